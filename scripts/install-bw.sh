#!/usr/bin/env bash
# Installs the pinned official Bitwarden CLI (@bitwarden/cli) into the project-local, git-ignored
# directory .tools/bw, for the storage-vaultwarden interop tests. Idempotent: when the pinned version
# is already installed it only prints the path of the executable and exits.
#
# Usage: scripts/install-bw.sh            -> prints the path of the bw executable on stdout
# Env:   ANIMA_BW_VERSION (default 2026.8.0; 2026.9.0 calls an endpoint Vaultwarden lacks)
set -euo pipefail

version=${ANIMA_BW_VERSION:-2026.8.0}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix="$root/.tools/bw"
bin="$prefix/node_modules/.bin/bw"
pkg="$prefix/node_modules/@bitwarden/cli/package.json"

installed_version() {
  [ -f "$pkg" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg" 2>/dev/null || true
}

if [ -x "$bin" ] && [ "$(installed_version)" = "$version" ]; then
  echo "$bin"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "error: npm (Node.js >= 20) is needed to install the Bitwarden CLI" >&2; exit 1; }
mkdir -p "$prefix"
[ -f "$prefix/package.json" ] || echo '{"name":"anima-vault-tools-bw","private":true}' > "$prefix/package.json"
echo "installing @bitwarden/cli@$version into $prefix" >&2
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --save-exact "@bitwarden/cli@$version" >&2
[ -x "$bin" ] && [ "$(installed_version)" = "$version" ] || { echo "error: bw $version not found at $bin after npm install" >&2; exit 1; }
echo "$bin"
