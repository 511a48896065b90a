# syntax=docker/dockerfile:1
# Two stages: the compiler and dev dependencies stay in `build`; `runtime` gets production
# dependencies, dist/ and nothing else. docker/replay-image.sh replays the runtime stage's `npm ci`,
# CMD and HEALTHCHECK outside Docker, reading them from this file, so edit them here only.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# `prepare` would compile before the sources are copied; the build runs as its own step below,
# which also keeps the dependency layer cached across source edits. The npm cache lives in a BuildKit
# cache mount, so it speeds rebuilds without landing in a layer.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# ONNX Runtime's CPU binaries ship inside the onnxruntime-node package, so no install script is needed.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Opt-in CUDA: onnxruntime-node's install script fetches the CUDA 12 execution provider from NuGet.
# ONNXRUNTIME_NODE_INSTALL outranks .npmrc's `skip`. Untested: no GPU or Docker engine where this was written;
# the host still needs CUDA 12 and cuDNN 9 libraries, which node:20-slim does not carry.
ARG ORT_CUDA=0
RUN if [ "$ORT_CUDA" = "1" ]; then ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js; fi

COPY --from=build /app/dist ./dist
COPY openapi.yaml README.md ./

# uid 1000 is node:20-slim's `node` user; numeric so Kubernetes' runAsNonRoot can verify it.
RUN mkdir /models && chown 1000:1000 /models
USER 1000:1000

# MODEL_ID bakes a hub model into the image; without it, mount a model folder at /models (or let
# the first start pull MODEL there when the hub is reachable).
ARG MODEL_ID=
ENV MODELS_DIR=/models \
    MODEL=${MODEL_ID:-cross-encoder/ms-marco-MiniLM-L-6-v2}
RUN if [ -n "$MODEL_ID" ]; then node dist/cli.js pull "$MODEL_ID"; fi

EXPOSE 8080
# No curl in slim images; Node's fetch does the probe. A long start period covers a first-start pull.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli.js", "serve"]
