#!/usr/bin/env bash
# Deploys the pool to a Docker Swarm: loads .env, creates the secrets that are missing, builds
# the image, pushes it and deploys the stack by the pushed digest (tasks then never ask the
# registry again, one job each), and waits until every replica runs.
# Usage: deploy/deploy-swarm.sh [stack-name]     (run on a manager node)
# Env (or .env): WORKER_IMAGE (registry/name:tag every node can pull from), the secrets'
#   values, BUILD_ARGS (e.g. "--build-arg PROVIDERS=claude-code"), BUILD_CA_FILE (CAs of a
#   TLS-intercepting proxy, passed to the build as a secret), EXTRA_STACK_FILE (a compose file
#   merged over swarm.yml), SKIP_BUILD=1 to deploy an image already pushed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/docker-build.sh
. "$here/docker-build.sh"
stack=${1:-unified-worker}
env_file=${ENV_FILE:-$here/../.env}

if [ -f "$env_file" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
fi
: "${WORKER_IMAGE:?set WORKER_IMAGE (a registry every node can pull from) in .env}"

# Creates a secret from an environment variable unless it exists; the value goes through
# stdin, never argv, and is never printed.
ensure_secret() {
  local name=$1 value=${2:-}
  if docker secret inspect "$name" >/dev/null 2>&1; then
    return
  fi
  if [ -z "$value" ]; then
    echo "secret $name is missing: set it in $env_file or create it with docker secret create" >&2
    exit 1
  fi
  printf '%s' "$value" | docker secret create "$name" - >/dev/null
  echo "created secret $name"
}

ensure_secret worker_api_token "${WORKER_API_TOKEN:-}"
ensure_secret claude_credentials "${CLAUDE_CODE_CREDENTIALS_JSON:-}"
ensure_secret db_api_token "${DB_API_TOKEN:-}"
ensure_secret postgres_password "${POSTGRES_PASSWORD:-}"
ensure_secret database_url "postgres://unified_worker:${POSTGRES_PASSWORD:-}@postgres:5432/unified_worker"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  build=(-f "$here/Dockerfile" -t "$WORKER_IMAGE")
  [ -n "${BUILD_CA_FILE:-}" ] && build+=(--secret "id=ca,src=$BUILD_CA_FILE")
  # shellcheck disable=SC2206
  build+=(${BUILD_ARGS:-})
  docker_build "${build[@]}" "$here/.."
  docker push "$WORKER_IMAGE" >/dev/null
fi
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$WORKER_IMAGE" | grep -m1 "^${WORKER_IMAGE%:*}@") || {
  echo "no digest for $WORKER_IMAGE: push it first" >&2
  exit 1
}
echo "deploying $digest"

files=(-c "$here/swarm.yml")
[ -n "${EXTRA_STACK_FILE:-}" ] && files+=(-c "$EXTRA_STACK_FILE")
WORKER_IMAGE=$digest docker stack deploy --resolve-image never "${files[@]}" "$stack"

echo "waiting for the replicas of $stack"
for _ in $(seq 1 120); do
  pending=$(docker stack services "$stack" --format '{{.Replicas}}' | awk -F/ '$1 != $2' | wc -l)
  if [ "$pending" -eq 0 ]; then
    docker stack services "$stack"
    exit 0
  fi
  sleep 5
done
echo "some services did not reach their replica count:" >&2
docker stack services "$stack" >&2
exit 1
