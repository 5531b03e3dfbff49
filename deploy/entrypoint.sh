#!/bin/sh
# Hands the worker its credentials as files, never as environment variables an agent could
# read from /proc, and never echoes them; then runs the worker as this process.
set -eu

secrets=/run/secrets
private="${TMPDIR:-/tmp}/unified-worker-secrets"

# Docker secrets, when the stack mounts them.
if [ -z "${WORKER_API_TOKEN_FILE:-}" ] && [ -z "${WORKER_API_TOKEN:-}" ] && [ -r "$secrets/worker_api_token" ]; then
  WORKER_API_TOKEN_FILE="$secrets/worker_api_token"
  export WORKER_API_TOKEN_FILE
fi
if [ -z "${CLAUDE_CODE_CREDENTIALS_SECRET:-}" ] && [ -r "$secrets/claude_credentials" ]; then
  CLAUDE_CODE_CREDENTIALS_SECRET="$secrets/claude_credentials"
  export CLAUDE_CODE_CREDENTIALS_SECRET
fi

# Credentials passed inline move to a private file, and out of the environment.
if [ -n "${CLAUDE_CODE_CREDENTIALS_JSON:-}" ]; then
  umask 077
  mkdir -p "$private"
  printf '%s' "$CLAUDE_CODE_CREDENTIALS_JSON" > "$private/claude_credentials.json"
  CLAUDE_CODE_CREDENTIALS_SECRET="$private/claude_credentials.json"
  export CLAUDE_CODE_CREDENTIALS_SECRET
  unset CLAUDE_CODE_CREDENTIALS_JSON
fi
if [ -n "${WORKER_API_TOKEN:-}" ]; then
  umask 077
  mkdir -p "$private"
  printf '%s' "$WORKER_API_TOKEN" > "$private/worker_api_token"
  WORKER_API_TOKEN_FILE="$private/worker_api_token"
  export WORKER_API_TOKEN_FILE
  unset WORKER_API_TOKEN
fi

exec node /app/dist/worker.mjs "$@"
