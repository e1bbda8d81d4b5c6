#!/usr/bin/env bash
# Installs the `buf` CLI (https://buf.build) from the npm package
# @bufbuild/buf, for the integration test that calls dbmazzd with
# `buf curl` through server reflection (tests/integration/buf_curl_test.cc).
#
# Usage: deploy/install_buf.sh
#   Installs @bufbuild/buf@$BUF_VERSION into ${DBMAZZ_CACHE_DIR:-<repo>/.cache}/buf.
#   Idempotent: an existing working install of that version is reused without
#   asking the registry. The last line of stdout is the path of the buf
#   binary, e.g.:
#     DBMAZZ_BUF=$(deploy/install_buf.sh | tail -n 1) ctest -R buf_curl
#   Everything else (npm's output, progress) goes to stderr.
set -euo pipefail

# Pinned: the test relies on `buf curl`'s flags and output format.
BUF_VERSION="1.75.0"

log() { echo "install_buf: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 0 ] || die "usage: $0 (no arguments)"

case "$(uname -m)" in
  x86_64 | amd64) platform="linux-x64" ;;
  aarch64 | arm64) platform="linux-aarch64" ;;
  *) die "unsupported machine $(uname -m)" ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${DBMAZZ_CACHE_DIR:-$repo_root/.cache}"
install_dir="$cache_dir/buf"
# The binary ships inside the platform package (an optional dependency of
# @bufbuild/buf); @bufbuild/buf's own bin/buf is only a node wrapper.
bin="$install_dir/node_modules/@bufbuild/buf-$platform/bin/buf"

# Prints the installed version if it is the pinned one, else fails.
installed_version() {
  local v
  [ -x "$bin" ] && v="$("$bin" --version 2>/dev/null)" && [ "$v" = "$BUF_VERSION" ] && echo "$v"
}

if version="$(installed_version)"; then
  log "already installed: buf $version"
  echo "$bin"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is required (deploy/setup.sh installs it)"

log "installing @bufbuild/buf@$BUF_VERSION into $install_dir"
mkdir -p "$install_dir"
# A private package.json keeps npm from walking up into the repository.
if [ ! -f "$install_dir/package.json" ]; then
  echo '{"name":"dbmazz-buf","private":true}' >"$install_dir/package.json"
fi
(
  cd "$install_dir"
  # --ignore-scripts: the postinstall script only checks (or downloads) the
  # platform binary, which the optional dependency already brings.
  npm install --no-audit --no-fund --no-save --ignore-scripts --loglevel=error \
    "@bufbuild/buf@$BUF_VERSION" >&2
) || die "npm install of @bufbuild/buf@$BUF_VERSION failed"

[ -f "$bin" ] || die "$bin is missing after the install; the package layout changed"
chmod a+rx "$bin"
version="$(installed_version)" || die "the installed $bin does not run or is not $BUF_VERSION"
log "installed: buf $version"
echo "$bin"
