# Two stages: the compiler and dev dependencies stay in `build`; `runtime` gets production
# dependencies, dist/ and nothing else. docker/replay-image.sh replays the runtime stage's `npm ci`,
# CMD and HEALTHCHECK outside Docker, reading them from this file, so edit them here only.
# RUN --mount (the npm cache below) needs BuildKit, Docker's default builder since 23.0, whose bundled
# Dockerfile frontend has it; no `# syntax=` line, which would make every build pull a frontend image.

# Node 24 is a maintained LTS and what CI runs the tests on (.ci/run); package.json's engines say
# ">=22", what three production dependencies need.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` would compile before the sources are copied; the build runs as its own step below,
# which also keeps the dependency layer cached across source edits. The npm cache lives in a BuildKit
# cache mount, so it speeds rebuilds without landing in a layer.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# ONNX Runtime's CPU binaries ship inside the onnxruntime-node package, so no install script is needed.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Opt-in CUDA: onnxruntime-node's install script fetches the CUDA 12 execution provider from NuGet.
# (package.json's allowScripts denies that script to `npm ci`, and --ignore-scripts skips it here.) Untested: no GPU or Docker engine where this was written;
# the host still needs CUDA 12 and cuDNN 9 libraries, which node:24-slim does not carry.
ARG ORT_CUDA=0
RUN if [ "$ORT_CUDA" = "1" ]; then ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js; fi

COPY --from=build /app/dist ./dist
COPY openapi.yaml README.md ./

# uid 1000 is the node images' `node` user; numeric so Kubernetes' runAsNonRoot can verify it.
# /data holds the embedded document store (PGlite); mount a volume there to keep collections.
RUN mkdir /models /data && chown 1000:1000 /models /data
USER 1000:1000
ENV DATA_DIR=/data
VOLUME ["/data"]

# MODEL_ID bakes a hub cross-encoder into the image, EMBEDDING_MODEL_ID a sentence-transformers
# embedder. A baked image is meant to run without the hub, so baking the reranker bakes the service's
# default embedder too, unless EMBEDDING_MODEL_ID names another or is `none` (no embedder: the
# embedding routes answer 503). With neither, nothing is pulled at build time: mount model folders at
# /models, or let the first start pull MODEL and EMBEDDING_MODEL there when the hub is reachable.
ARG MODEL_ID=
ARG EMBEDDING_MODEL_ID=
ENV MODELS_DIR=/models \
    MODEL=${MODEL_ID:-cross-encoder/ms-marco-MiniLM-L-6-v2} \
    EMBEDDING_MODEL=${EMBEDDING_MODEL_ID:-sentence-transformers/all-MiniLM-L6-v2}
RUN if [ -n "$MODEL_ID" ]; then node dist/cli.js pull "$MODEL_ID"; fi
RUN if [ -n "$MODEL_ID$EMBEDDING_MODEL_ID" ] && [ "$EMBEDDING_MODEL" != "none" ]; then node dist/cli.js pull "$EMBEDDING_MODEL"; fi

EXPOSE 8080
# No curl in slim images; Node's fetch does the probe. A long start period covers a first-start pull.
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli.js", "serve"]
