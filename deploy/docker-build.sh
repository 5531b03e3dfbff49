# Sourced by the deploy scripts: docker_build ARGS... builds with BuildKit (build secrets need
# it) through whichever client has it: `docker buildx`, or a docker CLI older than 23 (Debian's
# docker.io), which has BuildKit built in. Docker 23+ without the buildx plugin has neither.
docker_build() {
  if docker buildx version >/dev/null 2>&1; then
    docker buildx build --load "$@"
    return
  fi
  local cli
  for cli in docker /usr/bin/docker; do
    local major
    major=$("$cli" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1) || continue
    if [ -n "$major" ] && [ "$major" -lt 23 ]; then
      DOCKER_BUILDKIT=1 "$cli" build "$@"
      return
    fi
  done
  echo "docker_build: BuildKit is needed: install the buildx plugin, or Debian's docker.io client" >&2
  return 1
}
