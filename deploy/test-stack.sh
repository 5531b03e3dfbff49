#!/usr/bin/env bash
# The deployment, tested for real: on this host's Docker engine, a single-node Swarm runs
# deploy/swarm.yml (4 one-job workers with the real claude CLI, HAProxy, the DB API, PostgreSQL)
# and tests/stack/ drives it through HAProxy. Everything comes from this machine: base images
# from Debian's packages and the npm registry (deploy/local-images/), a registry on loopback
# that deploy-swarm.sh pushes to. Images are kept, so a second run takes minutes.
# Prints "N passed, M failed"; exits non-zero on any failure. Arguments go to vitest (-t NAME).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${STACK_STATE_DIR:-/var/lib/unified-worker-stack}
stack=uwstack
registry_port=5555
replicas=${STACK_WORKERS:-4}
mkdir -p "$state"
log() { printf 'test-stack: %s\n' "$*" >&2; }

# --- the engine --------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v docker-registry >/dev/null || need+=(docker-registry)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
dockerd_log=$state/dockerd.log
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  # Tasks must never pull an image they have: the registry of a tag not pinned by digest
  # would be asked at every task start.
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 nohup dockerd >>"$dockerd_log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
docker info >/dev/null
# An engine started before this run logs wherever its stderr goes: checked when that is a file.
if pid=$(pidof dockerd) && [ -f "/proc/$pid/fd/2" ]; then dockerd_log=$(readlink "/proc/$pid/fd/2"); fi
# Only what this run's engine logs from now on is checked for pulls from elsewhere.
log_start=0
[ -f "$dockerd_log" ] && log_start=$(wc -c <"$dockerd_log")

# --- images --------------------------------------------------------------------------------
eval "$("$root/deploy/local-images/build.sh")"

if ! curl -fsS "http://127.0.0.1:$registry_port/v2/" >/dev/null 2>&1; then
  log "starting a registry on 127.0.0.1:$registry_port"
  mkdir -p "$state/registry"
  cat >"$state/registry.yml" <<YAML
version: 0.1
storage: { filesystem: { rootdirectory: $state/registry } }
http: { addr: 127.0.0.1:$registry_port }
YAML
  nohup docker-registry serve "$state/registry.yml" >>"$state/registry.log" 2>&1 &
  for _ in $(seq 1 30); do curl -fsS "http://127.0.0.1:$registry_port/v2/" >/dev/null 2>&1 && break; sleep 1; done
fi

# pinned IMAGE: pushes a local image to the loopback registry, prints it by digest.
pinned() {
  local name=127.0.0.1:$registry_port/${1#*/}
  docker tag "$1" "$name"
  docker push "$name" >/dev/null
  docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$name" | grep -m1 "^${name%:*}@"
}
HAPROXY_IMAGE=$(pinned "$HAPROXY_IMAGE")
POSTGRES_IMAGE=$(pinned "$POSTGRES_IMAGE")
export HAPROXY_IMAGE POSTGRES_IMAGE

# The prompt-driven model server, bundled to one file and run from the worker image.
npx esbuild --bundle --platform=node --format=esm --log-level=warning \
  --outfile="$state/prompt-model.mjs" "$root/tests/stack/prompt-model.ts"

# --- the stack -----------------------------------------------------------------------------
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
docker stack rm "$stack" >/dev/null 2>&1 || true
for _ in $(seq 1 60); do [ -z "$(docker network ls -q --filter "label=com.docker.stack.namespace=$stack")" ] && break; sleep 1; done
for secret in worker_api_token claude_credentials db_api_token postgres_password database_url; do docker secret rm "$secret" >/dev/null 2>&1 || true; done

WORKER_API_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export WORKER_API_TOKEN
export CLAUDE_CODE_CREDENTIALS_JSON='{"claudeAiOauth":{"accessToken":"stack-test-unused"}}'
export DB_API_TOKEN=stack-test-db-api-token POSTGRES_PASSWORD=stack-test-postgres
export WORKER_IMAGE=127.0.0.1:$registry_port/unified-worker:stack WORKER_REPLICAS=$replicas
export PUBLISHED_PORT=${STACK_PORT:-18080} WORKER_DRAIN_MS=120000 WORKER_STOP_GRACE=3m
# The stack runs claude-code jobs only: the Claude-only image builds and pushes in a fraction of the time.
export BUILD_ARGS="--build-arg NODE_IMAGE=$NODE_IMAGE --build-arg DEBIAN_IMAGE=$DEBIAN_IMAGE --build-arg PROVIDERS=${STACK_PROVIDERS:-claude-code}" BUILD_CA_FILE=${BUILD_CA_FILE:-$(npm config get cafile 2>/dev/null | grep -v '^null$' || true)}
export EXTRA_STACK_FILE=$root/tests/stack/stack-test.yml STACK_MODEL_FILE=$state/prompt-model.mjs
export ENV_FILE=/dev/null
log "building and deploying ($replicas workers)"
"$root/deploy/deploy-swarm.sh" "$stack" >&2
until curl -fsS -o /dev/null "http://127.0.0.1:$PUBLISHED_PORT/health" 2>/dev/null; do sleep 1; done

# --- the checks ----------------------------------------------------------------------------
export STACK_URL=http://127.0.0.1:$PUBLISHED_PORT STACK_NAME=$stack STACK_WORKERS=$replicas STACK_WORKER_IMAGE=$WORKER_IMAGE
export STACK_DB_API_URL=http://127.0.0.1:${STACK_DB_API_PORT:-18090} STACK_DB_API_TOKEN=$DB_API_TOKEN
status=0
summaries=$state/summaries.txt
: >"$summaries"
# suite ARGS...: runs vitest on tests/stack/ and keeps its "N passed, M failed" line (a suite
# that could not count counts as one failure).
suite() {
  local out code=0
  out=$(mktemp)
  (cd "$root" && npx vitest run --config tests/stack/vitest.config.ts "$@") 2>&1 | tee "$out" >&2 || code=$?
  if ! grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" >>"$summaries"; then
    echo "0 passed, 1 failed" >>"$summaries"
    code=1
  elif [ "$code" -ne 0 ] && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$out"; then
    # vitest also fails a run whose tests all passed when an error escaped them: count it.
    echo "0 passed, 1 failed" >>"$summaries"
  fi
  rm -f "$out"
  return "$code"
}
suite tests/stack/pool.stack.ts "$@" || status=1

# --- the same pool under docker-compose, on one host ---------------------------------------
command -v docker-compose >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
compose=(docker-compose -f "$root/deploy/docker-compose.yml" -f "$root/tests/stack/compose-test.yml" -p uwcompose)
log "the same pool under docker-compose (3 workers)"
compose_port=${COMPOSE_PORT:-18081}
(
  export PUBLISHED_PORT=$compose_port
  "${compose[@]}" down -v >/dev/null 2>&1 || true
  "${compose[@]}" up -d --no-build --scale worker=3 >&2
  until curl -fsS -o /dev/null "http://127.0.0.1:$compose_port/health" 2>/dev/null; do sleep 1; done
  STACK_URL=http://127.0.0.1:$compose_port STACK_WORKERS=3 COMPOSE_PROJECT_NAME=uwcompose suite tests/stack/compose.stack.ts "$@"
) || status=1
"${compose[@]}" down -v >/dev/null 2>&1 || true

# No docker command may have reached beyond this machine.
[ -f "$dockerd_log" ] || log "dockerd's log is not a file here: pulls from elsewhere go unchecked"
if tail -c +"$((log_start + 1))" "$dockerd_log" 2>/dev/null | grep -iE 'pull|registry-1|docker\.io|resolve' | grep -vE "127\.0\.0\.1:$registry_port|Swarm|swarm" | grep -iE 'https?://|lookup|pulling' >&2; then
  log "dockerd reached (or tried to reach) a registry beyond this machine"
  echo "0 passed, 1 failed" >>"$summaries"
  status=1
fi

if [ "${KEEP_STACK:-0}" = 1 ]; then
  # What bench/stack-pool.ts needs to drive the kept stack; the token stays root's.
  (umask 077 && printf 'STACK_URL=%s\nSTACK_NAME=%s\nSTACK_WORKERS=%s\nWORKER_API_TOKEN=%s\nSTACK_DB_API_URL=%s\nSTACK_DB_API_TOKEN=%s\n' \
    "$STACK_URL" "$stack" "$replicas" "$WORKER_API_TOKEN" "$STACK_DB_API_URL" "$STACK_DB_API_TOKEN" >"$state/stack.env")
  log "the stack is kept; its settings are in $state/stack.env"
else
  docker stack rm "$stack" >/dev/null
fi
# The whole run's count: the Swarm suite, the compose suite, the engine's log.
awk '{ passed += $1; failed += $3 } END { printf "%d passed, %d failed\n", passed, failed }' "$summaries"
exit "$status"
