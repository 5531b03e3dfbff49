#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real, when they are missing: git (the
# loopback git server), HAProxy (the pool test), shellcheck and the docker CLI (checks of the
# deployment files; no engine is needed), chromium (the /docs page) and tmux (the terminal client).
set -euo pipefail

missing=()
command -v git >/dev/null || missing+=(git)
command -v ps >/dev/null || missing+=(procps)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v docker >/dev/null || missing+=(docker.io)
command -v chromium >/dev/null || missing+=(chromium)
command -v tmux >/dev/null || missing+=(tmux)
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
