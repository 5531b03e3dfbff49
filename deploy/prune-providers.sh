#!/bin/sh
# Removes from node_modules the provider CLIs not named, and what the runtime never runs.
# Usage: prune-providers.sh claude-code codex gemini opencode copilot
set -eu
cd "${MODULES_DIR:-node_modules}"
keep=" $* "
for provider in claude-code codex gemini opencode copilot; do
  case "$provider" in
    claude-code) packages="@anthropic-ai/claude-code*" ;;
    codex) packages="@openai/codex*" ;;
    gemini) packages="@google/gemini-cli*" ;;
    opencode) packages="opencode-*" ;;
    copilot) packages="@github/copilot*" ;;
  esac
  case "$keep" in
    *" $provider "*) ;;
    *) for package in $packages; do rm -rf "$package"; done ;;
  esac
done
for name in $keep; do
  case "$name" in
    claude-code | codex | gemini | opencode | copilot) ;;
    *) echo "prune-providers: unknown provider $name (claude-code codex gemini opencode copilot)" >&2; exit 2 ;;
  esac
done
# The bundle holds every library and the build copied the docs page's script beside it; Codex's
# voice host (and its GStreamer) serves only its interactive mode.
rm -rf @scalar @openai/codex-linux-*/vendor/*/codex-resources/voice
