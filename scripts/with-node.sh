#!/usr/bin/env bash
# Runs a command with a given Node release first on PATH:
#   scripts/with-node.sh 24 bash -c 'npm ci && npm test'
#   scripts/with-node.sh 22.23.5 node --version
# The first argument is a major (the newest release of it) or an exact version. Node's official
# binary comes from the npm registry, as the package node-<os>-<arch> (bin/node and the headers),
# fetched with `npm pack` (which checks the registry's checksum) once into node-<major or version>
# under ${NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unified-worker}. Nothing is downloaded from
# anywhere else. Delete that directory to take a newer release of the major.
# npm and npx stay the ones on PATH; they start with `#!/usr/bin/env node`, so they run on this
# Node too, and npm_config_nodedir points node-gyp at this Node's own headers.
set -euo pipefail

usage='usage: scripts/with-node.sh <major or version> <command> [args...]'
[ "$#" -ge 2 ] || { echo "$usage" >&2; exit 2; }
version=$1
shift
[[ $version =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]] || { echo "with-node: not a Node major or version: $version" >&2; echo "$usage" >&2; exit 2; }

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "with-node: no node package on the npm registry for $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-node: no node package on the npm registry for $(uname -m)" >&2; exit 1 ;;
esac

dir=${NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unified-worker}/node-$version
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "with-node: fetching node-$os-$arch@$version from the npm registry into $dir" >&2
  (cd "$tmp" && npm pack --silent "node-$os-$arch@$version" >/dev/null)
  tar -xzf "$tmp"/node-"$os"-"$arch"-*.tgz -C "$tmp"
  "$tmp/package/bin/node" --version >/dev/null
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
  trap - EXIT
fi

export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
echo "with-node: node $(node --version) ($dir/bin/node), npm $(npm --version)" >&2
exec "$@"
