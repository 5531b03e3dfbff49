#!/usr/bin/env bash
# Deploys the pool to a Docker Swarm: loads .env, creates the secrets that are missing, builds
# and pushes the image, deploys the stack and waits until every replica runs.
# Usage: deploy/deploy-swarm.sh [stack-name]     (run on a manager node)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
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

docker build -f "$here/Dockerfile" -t "$WORKER_IMAGE" "$here/.."
docker push "$WORKER_IMAGE"

docker stack deploy --with-registry-auth -c "$here/swarm.yml" "$stack"

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
