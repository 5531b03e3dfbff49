#!/bin/sh
# Readies the container for one worker and runs it as this process: hands it its credentials as
# files (never as environment variables an agent could read from /proc, never echoed), checks
# that the agent's user can read none of them, and starts every job from an empty workspace.
set -eu

secrets=/run/secrets
private="${TMPDIR:-/tmp}/unified-worker-secrets"
agent=${AGENT_USER:-}

# from_secret VAR FILE_VAR NAME: point FILE_VAR at the Docker secret NAME unless VAR or FILE_VAR is set.
from_secret() {
  eval "inline=\${$1:-} given=\${$2:-}"
  if [ -z "$inline" ] && [ -z "$given" ] && [ -e "$secrets/$3" ]; then
    export "$2=$secrets/$3"
  fi
}

# to_file VAR FILE_VAR NAME: move VAR's value into a private file named NAME, read through FILE_VAR.
to_file() {
  eval "inline=\${$1:-}"
  [ -n "$inline" ] || return 0
  # A subshell: the worker and its agent keep the usual umask.
  (umask 077 && mkdir -p "$private" && printf '%s' "$inline" > "$private/$3")
  export "$2=$private/$3"
  unset "$1"
}

# A secret the agent's user could read is one it could send anywhere: refuse to start.
refuse_readable() {
  [ -n "$agent" ] || return 0
  for file in "$@"; do
    if [ -z "$file" ] || [ ! -e "$file" ]; then continue; fi
    if setpriv --reuid "$agent" --regid "$agent" --clear-groups test -r "$file" 2>/dev/null; then
      echo "unified-worker: refusing to start: $file is readable by $agent (mount secrets with mode 0400)" >&2
      exit 78
    fi
  done
}

from_secret WORKER_API_TOKEN WORKER_API_TOKEN_FILE worker_api_token
from_secret CLAUDE_CODE_CREDENTIALS_JSON CLAUDE_CODE_CREDENTIALS_SECRET claude_credentials
to_file WORKER_API_TOKEN WORKER_API_TOKEN_FILE worker_api_token
to_file CLAUDE_CODE_CREDENTIALS_JSON CLAUDE_CODE_CREDENTIALS_SECRET claude_credentials.json
to_file CODEX_AUTH_JSON CODEX_AUTH_SECRET codex_auth.json
unset inline given
refuse_readable "$secrets"/* "${WORKER_API_TOKEN_FILE:-}" "${CLAUDE_CODE_CREDENTIALS_SECRET:-}" "${CODEX_AUTH_SECRET:-}"

# A container that restarts (compose's restart: always) keeps its files: the previous job's
# workspace goes, unless the workspace is a volume kept on purpose.
workspace=${WORKSPACE_DIR:-/workspace}
if [ -d "$workspace" ] && ! mountpoint -q "$workspace"; then
  find "$workspace" -mindepth 1 -delete
fi

# Nothing the worker starts (the agent's CLIs included) can gain privileges through exec:
# `docker stack deploy` drops the no-new-privileges option, so it is set here. The young
# generation is held to Node 20's size: Node 24 lets it grow to several times that while a CLI
# floods its output, 100 MB more resident for garbage (tests/adversarial/output-flood.test.ts).
exec setpriv --no-new-privs node --max-semi-space-size=16 /app/dist/worker.mjs "$@"
