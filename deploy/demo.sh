#!/usr/bin/env bash
# The quick-start demo: rows flowing from PostgreSQL into StarRocks tables
# through dbmazzd.
#
#   ./deploy/demo.sh
#
# Installs what is missing (deploy/setup.sh), builds dbmazzd, dbmazzctl and
# the StarRocks emulator (release preset), then starts, under a temporary
# directory: a throwaway PostgreSQL 15 with an e-commerce database (products
# with large TOASTed jsonb, orders, order_items: deploy/demo/schema.sql), the
# StarRocks emulator with the same tables (deploy/demo/starrocks.yaml) and
# dbmazzd. It creates the pipeline of deploy/examples/demo-pipeline.yaml with
# `dbmazzctl create` (the snapshot copies the existing rows), runs pgbench
# traffic (deploy/demo/{insert,update,delete}.sql: 70/25/5 %) and shows
# every second the pipeline and, per table, rows and a content checksum in
# PostgreSQL and in StarRocks.
#
# Interactive (a terminal): runs until Ctrl+C.
# Otherwise (CI=true, stdin not a terminal, or DEMO_SECONDS set): DEMO_SECONDS
# of traffic (default 30), then waits until the pipeline has caught up and
# checks that every StarRocks table equals its PostgreSQL table (row counts and
# checksums); prints PASS or FAIL and exits non-zero on a mismatch.
#
# Either way it then deletes the pipeline (dropping its replication slot),
# stops every process it started and removes its directory.
#
# Environment: DEMO_SECONDS (traffic duration), DEMO_RATE (transactions/s,
# default 10), DEMO_CATCHUP_TIMEOUT (seconds, default 120), DEMO_DIR (default:
# a new directory under $TMPDIR or /tmp), DEMO_KEEP=1 (keep the directory and
# its logs), DEMO_SKIP_BUILD=1 (skip deploy/setup.sh and the build: use the
# binaries already in build/release).
set -euo pipefail
cd "$(dirname "$0")/.."

rate="${DEMO_RATE:-10}"
catchup_timeout="${DEMO_CATCHUP_TIMEOUT:-120}"
[[ "$rate" =~ ^[0-9]+$ && "$rate" -gt 0 ]] || { echo "demo: DEMO_RATE must be a positive integer" >&2; exit 2; }
[[ "$catchup_timeout" =~ ^[0-9]+$ ]] || { echo "demo: DEMO_CATCHUP_TIMEOUT must be seconds" >&2; exit 2; }
if [ -n "${DEMO_SECONDS:-}" ] || [ "${CI:-}" = true ] || [ ! -t 0 ]; then
  interactive=0
  seconds="${DEMO_SECONDS:-30}"
  [[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "demo: DEMO_SECONDS must be a positive integer" >&2; exit 2; }
else
  interactive=1
  seconds=$((7 * 24 * 3600)) # until Ctrl+C
fi
tty_out=0
if [ -t 1 ]; then tty_out=1; fi

start_time=$SECONDS
if [ "${DEMO_SKIP_BUILD:-0}" = 1 ]; then
  echo "== DEMO_SKIP_BUILD=1: using the binaries already in build/release"
else
  echo "== setup (deploy/setup.sh)"
  bash deploy/setup.sh
  echo "== build (release preset): dbmazzd dbmazzctl starrocks_emulator"
  cmake --preset release >/dev/null
  cmake --build --preset release --target dbmazzd dbmazzctl starrocks_emulator
fi
build_done=$SECONDS

# A DEMO_DIR given by the user is only removed if the demo created it.
if [ -n "${DEMO_DIR:-}" ]; then
  if [ -e "$DEMO_DIR" ] && [ -n "$(ls -A "$DEMO_DIR" 2>/dev/null)" ]; then
    echo "demo: DEMO_DIR=$DEMO_DIR exists and is not empty; choose a new directory" >&2
    exit 2
  fi
  demo_dir="$DEMO_DIR"
else
  demo_dir="$(mktemp -d "${TMPDIR:-/tmp}/dbmazz-demo.XXXXXX")"
fi
# shellcheck source=deploy/demo/lib.sh
source deploy/demo/lib.sh

pipeline_id=demo
created=0
pgbench_pid=""
result=1
demo_init "$demo_dir"

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  echo
  echo "== stopping"
  if [ -n "$pgbench_pid" ]; then
    demo_stop_pid "$pgbench_pid" 10 pgbench
  fi
  if [ "$created" = 1 ] && [ -n "$DBMAZZD_PID" ] && kill -0 "$DBMAZZD_PID" 2>/dev/null; then
    if demo_ctl delete "$pipeline_id" >/dev/null; then
      local deadline=$((SECONDS + 60))
      while demo_ctl get "$pipeline_id" >/dev/null 2>&1 && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
      done
    fi
    local slots
    slots="$(demo_psql -d postgres -At -c "SELECT count(*) FROM pg_replication_slots" 2>/dev/null)"
    if [ "$slots" = 0 ]; then
      echo "pipeline '$pipeline_id' deleted; its replication slot is dropped"
    else
      echo "demo: the replication slot is still there after deleting the pipeline (slots: ${slots:-?})" >&2
      [ "$rc" -ne 0 ] || rc=1
    fi
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; then
    for log in "$DEMO_DIR/dbmazzd.log" "$DEMO_DIR/emulator.log" "$DEMO_DIR/pgbench.log" \
      "$DEMO_DIR/pg/postgres.log"; do
      [ -s "$log" ] && { echo "--- last lines of $log"; tail -20 "$log"; }
    done
  fi
  demo_stop_all
  if [ "${DEMO_KEEP:-0}" = 1 ]; then
    echo "kept $DEMO_DIR (logs: dbmazzd.log, emulator.log, pgbench.log, pg/postgres.log)"
  else
    rm -rf "$DEMO_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting PostgreSQL 15, the StarRocks emulator and dbmazzd in $DEMO_DIR"
demo_start_postgres
demo_load_shop
demo_start_emulator
demo_start_dbmazzd
services_done=$SECONDS
pipeline_file="$DEMO_DIR/pipeline.yaml"
demo_render_pipeline "$pipeline_file"
cat <<EOF
PostgreSQL  127.0.0.1:$PG_PORT, database $DEMO_DB (user $DEMO_ROLE, password $DEMO_PASSWORD)
            psql -h $PG_SOCKET_DIR -p $PG_PORT -U postgres $DEMO_DB
StarRocks   emulator FE http://127.0.0.1:$EMU_FE_PORT, database $DEMO_DB
dbmazzd     $DBMAZZD_ADDR, state $DEMO_DIR/state/state.db
            metrics ${DBMAZZD_METRICS:-(off)}
pipeline    deploy/examples/demo-pipeline.yaml with ports 5432 -> $PG_PORT and 8030 -> $EMU_FE_PORT
            (in $pipeline_file)

== dbmazzctl validate $pipeline_id -f pipeline.yaml
EOF
demo_ctl validate "$pipeline_id" -f "$pipeline_file"
echo "== dbmazzctl create $pipeline_id -f pipeline.yaml"
demo_ctl create "$pipeline_id" -f "$pipeline_file" >/dev/null
created=1
create_time=$SECONDS
echo "created; the snapshot copies the existing rows, then changes stream"

echo "== pgbench: $rate transactions/s (70% insert, 25% update, 5% delete)$([ "$interactive" = 0 ] && echo " for ${seconds}s")"
setsid "$PG_BINDIR/pgbench" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -n -c 1 -j 1 -R "$rate" \
  -T "$seconds" -P 5 \
  -f deploy/demo/insert.sql@70 -f deploy/demo/update.sql@25 -f deploy/demo/delete.sql@5 \
  "$DEMO_DB" >"$DEMO_DIR/pgbench.log" 2>&1 &
pgbench_pid=$!

# "STATE SNAPSHOT_DONE" of the pipeline, or "? ?".
pipeline_state() {
  demo_ctl -o json get "$pipeline_id" 2>/dev/null | jq -r '"\(.state) \(.snapshot.done // false)"' ||
    echo "? ?"
}

snapshot_seconds=""
check_snapshot() {
  local state snap_done
  read -r state snap_done <<<"$(pipeline_state)"
  if [ -z "$snapshot_seconds" ] && [ "$snap_done" = true ]; then
    snapshot_seconds=$((SECONDS - create_time))
  fi
  if [ "$state" = FAILED ]; then
    echo "demo: the pipeline FAILED:" >&2
    demo_ctl get "$pipeline_id" >&2 || true
    return 1
  fi
}

# rows/s loaded into StarRocks between two frames (as `dbmazzctl watch`).
# Sets loaded_text (not in a subshell: it keeps the previous sample).
last_loaded=""
last_loaded_time=0
loaded_text=""
update_loaded() {
  local loaded now rate="-"
  loaded="$(demo_ctl -o json get "$pipeline_id" 2>/dev/null | jq -r '.stats.rows_loaded // 0')" || return 0
  now=$SECONDS
  if [ -n "$last_loaded" ] && [ "$now" -gt "$last_loaded_time" ]; then
    rate=$(((loaded - last_loaded) / (now - last_loaded_time)))
  fi
  last_loaded="$loaded"
  last_loaded_time=$now
  loaded_text="changes streamed into StarRocks: $loaded rows ($rate rows/s)"
}

# One screen: the pipeline (the table `dbmazzctl watch` shows), both sides
# table by table, pgbench's progress.
render() {
  local frame
  update_loaded
  frame="$(
    echo "dbmazz demo — PostgreSQL :$PG_PORT → dbmazzd $DBMAZZD_ADDR → StarRocks emulator :$EMU_FE_PORT    $(date +%T)"
    echo
    demo_ctl list 2>&1 || true
    echo "$loaded_text"
    echo
    demo_compare_tables || true
    echo
    echo "pgbench: $(grep -a 'progress:' "$DEMO_DIR/pgbench.log" | tail -1 || true)"
    echo
    if [ "$interactive" = 1 ]; then
      echo "In another terminal: $DBMAZZCTL --server $DBMAZZD_ADDR watch   (or get $pipeline_id, events $pipeline_id)"
      echo "Ctrl+C stops the demo, deletes the pipeline and removes $DEMO_DIR."
    fi
  )"
  if [ "$tty_out" = 1 ]; then printf '\033[H\033[2J'; fi
  printf '%s\n' "$frame"
}

tick=0
while kill -0 "$pgbench_pid" 2>/dev/null; do
  check_snapshot
  if [ "$tty_out" = 1 ]; then
    render
  elif [ $((tick % 5)) = 4 ]; then
    read -r state _ <<<"$(pipeline_state)"
    echo "$((SECONDS - create_time))s: pipeline $state; pgbench $(grep -a 'progress:' "$DEMO_DIR/pgbench.log" | tail -1 | cut -d, -f1-2 || true)"
  fi
  tick=$((tick + 1))
  sleep 1
done
pgbench_rc=0
wait "$pgbench_pid" || pgbench_rc=$?
pgbench_pid=""
traffic_done=$SECONDS
if [ "$pgbench_rc" -ne 0 ]; then
  cat "$DEMO_DIR/pgbench.log" >&2
  demo_die "pgbench failed (exit $pgbench_rc)"
fi
sed -n '/^transaction type/,$p' "$DEMO_DIR/pgbench.log" | grep -E '^(number of transactions actually processed|number of failed transactions|tps =)' || true

echo "== traffic stopped; waiting (up to ${catchup_timeout}s) until StarRocks equals PostgreSQL"
converged=0
deadline=$((SECONDS + catchup_timeout))
while [ "$SECONDS" -lt "$deadline" ]; do
  check_snapshot
  if demo_compare_tables >/dev/null; then
    converged=1
    break
  fi
  sleep 1
done
converge_seconds=$((SECONDS - traffic_done))
# The final check: both sides again, after the pipeline had a moment to apply
# anything else it still held (nothing, if it is correct).
[ "$converged" = 0 ] || sleep 2
check_snapshot
echo
final_ok=0
demo_compare_tables && final_ok=1
demo_ctl list
echo
if [ "$converged" = 1 ]; then
  convergence="${converge_seconds}s (traffic stopped -> tables equal)"
else
  convergence="none within ${catchup_timeout}s"
fi
echo "timings: setup+build $((build_done - start_time))s, services started $((services_done - build_done))s," \
  "snapshot ${snapshot_seconds:-?}s (create -> snapshot done), convergence $convergence"
if [ "$converged" = 1 ] && [ "$final_ok" = 1 ]; then
  echo "PASS: every StarRocks table equals its PostgreSQL table (rows and checksums)"
  result=0
else
  demo_show_differences
  echo "FAIL: StarRocks differs from PostgreSQL $([ "$converged" = 0 ] && echo "after ${catchup_timeout}s" || echo "on the final check")"
  result=1
fi
exit "$result"
