#!/bin/sh
# Hands the worker its credentials as files, never as environment variables an agent could
# read from /proc, and never echoes them; then runs the worker as this process.
set -eu

secrets=/run/secrets
private="${TMPDIR:-/tmp}/unified-worker-secrets"

# from_secret VAR FILE_VAR NAME: point FILE_VAR at the Docker secret NAME unless VAR or FILE_VAR is set.
from_secret() {
  eval "inline=\${$1:-} given=\${$2:-}"
  if [ -z "$inline" ] && [ -z "$given" ] && [ -r "$secrets/$3" ]; then
    export "$2=$secrets/$3"
  fi
}

# to_file VAR FILE_VAR NAME: move VAR's value into a private file named NAME, read through FILE_VAR.
to_file() {
  eval "inline=\${$1:-}"
  [ -n "$inline" ] || return 0
  umask 077
  mkdir -p "$private"
  printf '%s' "$inline" > "$private/$3"
  export "$2=$private/$3"
  unset "$1"
}

from_secret WORKER_API_TOKEN WORKER_API_TOKEN_FILE worker_api_token
from_secret CLAUDE_CODE_CREDENTIALS_JSON CLAUDE_CODE_CREDENTIALS_SECRET claude_credentials
to_file WORKER_API_TOKEN WORKER_API_TOKEN_FILE worker_api_token
to_file CLAUDE_CODE_CREDENTIALS_JSON CLAUDE_CODE_CREDENTIALS_SECRET claude_credentials.json
to_file CODEX_AUTH_JSON CODEX_AUTH_SECRET codex_auth.json
unset inline given

exec node /app/dist/worker.mjs "$@"
