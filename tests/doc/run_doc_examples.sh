#!/usr/bin/env bash
# Runs the examples of the documentation so that they cannot rot.
#
#   tests/doc/run_doc_examples.sh [FILE.md ...]   (default: README.md docs/api.md docs/operations.md)
#
# Every fenced block whose info string is `sh doc-test` is executed, block after
# block, file by file, against live servers started for the purpose
# (deploy/demo/lib.sh): PostgreSQL 15 with the demo's shop database, the
# StarRocks emulator with its tables, and dbmazzd. A file's blocks run in one
# bash process with `set -euo pipefail` (a pipeline created in one block is
# there in the next), in a scratch directory holding `pipeline.yaml`
# (deploy/examples/demo-pipeline.yaml for these servers). Any failing command
# fails the test; so does a file without a single such block.
#
# The examples are written for the documented defaults; before running a
# block this script rewrites them to the live servers:
#   127.0.0.1:7070        -> dbmazzd's address (also $DBMAZZ_SERVER, which dbmazzctl reads)
#   http://127.0.0.1:8030 -> the emulator's FE
#   port=5432             -> PostgreSQL's port
#   /var/lib/dbmazz       -> dbmazzd's state directory
#   /var/backups/dbmazz   -> a scratch directory
# `dbmazzctl`, `dbmazzd` and `buf` are on PATH; `grpcurl` (not packaged in
# Debian) is tests/doc/grpcurl, which runs the same request with `buf curl`
# unless a real grpcurl is installed.
#
# Also checked: deploy/dbmazzd.toml is accepted by dbmazzd --config, and
# deploy/systemd/dbmazzd.service passes `systemd-analyze verify` (when present).
#
# DOC_TEST_VERBOSE=1 prints the examples' output also when they pass.
#
# Needs: a release build (dbmazzd dbmazzctl starrocks_emulator; another build
# directory with DEMO_BUILD_DIR), buf ($DBMAZZ_BUF, else deploy/install_buf.sh),
# the packages of deploy/setup.sh. ctest runs it as `doc_examples` (label
# integration); it then exits 77 (skipped) without DBMAZZ_BUF unless CI is set.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(README.md docs/api.md docs/operations.md); fi

buf="${DBMAZZ_BUF:-}"
if [ -z "$buf" ]; then
  # Under ctest (test doc_examples) as buf_curl_test: skip without buf, except in CI.
  if [ "${DBMAZZ_DOC_TEST_UNDER_CTEST:-0}" = 1 ] && [ -z "${CI:-}" ]; then
    echo "doc-test: DBMAZZ_BUF is not set: skipped (DBMAZZ_BUF=\$(bash deploy/install_buf.sh | tail -n 1))"
    exit 77
  fi
  buf="$(bash deploy/install_buf.sh | tail -n 1)"
fi
[ -x "$buf" ] || { echo "doc-test: buf not found ($buf)" >&2; exit 1; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/dbmazz-doc.XXXXXX")"
# As root, PostgreSQL runs as the postgres user, which must reach servers/pg.
chmod 755 "$scratch"
# shellcheck source=deploy/demo/lib.sh
source deploy/demo/lib.sh

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ "$rc" -ne 0 ] && [ -s "$DEMO_DIR/dbmazzd.log" ]; then
    echo "--- last lines of dbmazzd.log"
    tail -20 "$DEMO_DIR/dbmazzd.log"
  fi
  demo_stop_all
  rm -rf "$scratch"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

demo_init "$scratch/servers"
demo_start_postgres
demo_load_shop
demo_start_emulator
demo_start_dbmazzd

bin="$scratch/bin"
work="$scratch/work"
mkdir -p "$bin" "$work" "$scratch/backups" "$scratch/buf-cache"
ln -s "$DBMAZZCTL" "$bin/dbmazzctl"
ln -s "$DBMAZZD" "$bin/dbmazzd"
ln -s "$buf" "$bin/buf"
if ! command -v grpcurl >/dev/null; then ln -s "$repo/tests/doc/grpcurl" "$bin/grpcurl"; fi
demo_render_pipeline "$work/pipeline.yaml"
export PATH="$bin:$PATH" DBMAZZ_SERVER="$DBMAZZD_ADDR" BUF_CACHE_DIR="$scratch/buf-cache"
export DBMAZZ_REPO="$repo"

# The `sh doc-test` blocks of $1, each preceded by an echo naming its line.
extract_blocks() {
  awk -v file="$1" '
    /^```sh doc-test[[:space:]]*$/ { inside = 1; n++; printf "echo \"=== %s:%d\"\n", file, NR; next }
    /^```/ && inside { inside = 0; next }
    inside { print }
    END { if (n == 0) exit 3 }
  ' "$1"
}

# Deletes every pipeline left by the previous file (bounded).
delete_all_pipelines() {
  local id deadline=$((SECONDS + 60))
  for id in $(demo_ctl -o json list | jq -r '.pipelines[].pipeline_id'); do
    demo_ctl delete "$id" >/dev/null || true
  done
  while [ "$(demo_ctl -o json list | jq '.pipelines | length')" != 0 ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "doc-test: pipelines not deleted within 60s" >&2; return 1; }
    sleep 0.2
  done
}

failed=0
for file in "${files[@]}"; do
  script="$scratch/$(basename "$file").sh"
  {
    echo "set -euo pipefail"
    if ! extract_blocks "$file"; then
      echo "doc-test: $file has no \`\`\`sh doc-test block" >&2
      exit 1
    fi
  } >"$script.raw"
  sed -e "s#http://127.0.0.1:8030#http://127.0.0.1:$EMU_FE_PORT#g" \
    -e "s#127.0.0.1:7070#$DBMAZZD_ADDR#g" \
    -e "s#port=5432#port=$PG_PORT#g" \
    -e "s#/var/lib/dbmazz#$DEMO_DIR/state#g" \
    -e "s#/var/backups/dbmazz#$scratch/backups#g" \
    "$script.raw" >"$script"
  blocks=$(grep -c '^echo "=== ' "$script")
  echo "== $file: $blocks example block(s)"
  if (cd "$work" && timeout 600 bash "$script") >"$script.log" 2>&1; then
    echo "ok"
    if [ "${DOC_TEST_VERBOSE:-0}" = 1 ]; then cat "$script.log"; fi
  else
    rc=$?
    echo "FAILED (exit $rc); output:"
    cat "$script.log"
    failed=1
  fi
  delete_all_pipelines
done

echo "== deploy/dbmazzd.toml with dbmazzd --config"
conf_dir="$scratch/conf"
mkdir -p "$conf_dir"
: >"$conf_dir/out"
"$DBMAZZD" --config deploy/dbmazzd.toml --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --state "$conf_dir/state.db" \
  >"$conf_dir/out" 2>"$conf_dir/err" &
conf_pid=$!
deadline=$((SECONDS + 30))
until grep -q 'listening on ' "$conf_dir/out"; do
  if ! kill -0 "$conf_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "FAILED: dbmazzd --config deploy/dbmazzd.toml did not start:"
    cat "$conf_dir/err"
    failed=1
    break
  fi
  sleep 0.1
done
demo_stop_pid "$conf_pid" 30 "dbmazzd --config"
[ "$failed" = 1 ] || echo "ok"

if command -v systemd-analyze >/dev/null; then
  echo "== deploy/systemd/dbmazzd.service with systemd-analyze verify"
  unit="$scratch/unit/dbmazzd.service"
  mkdir -p "$(dirname "$unit")"
  # The unit names the installed path; verify checks that it is executable.
  sed "s#/usr/local/bin/dbmazzd#$DBMAZZD#" deploy/systemd/dbmazzd.service >"$unit"
  if out="$(systemd-analyze verify "$unit" 2>&1)" && [ -z "$out" ]; then
    echo "ok"
  else
    echo "FAILED: $out"
    failed=1
  fi
fi

if [ "$failed" = 0 ]; then echo "doc-test: PASS"; else echo "doc-test: FAIL"; fi
exit "$failed"
