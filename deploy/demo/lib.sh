# shellcheck shell=bash
# Shared by deploy/demo.sh and tests/doc/run_doc_examples.sh: start a
# throwaway PostgreSQL 15 with the demo's shop database, the StarRocks
# emulator with the demo's tables, and dbmazzd; compare the two sides; stop
# everything. Source it from bash with `set -euo pipefail`:
#
#   source deploy/demo/lib.sh
#   demo_init "$(mktemp -d)"      # everything goes under this directory
#   demo_start_postgres && demo_load_shop && demo_start_emulator && demo_start_dbmazzd
#   demo_ctl list                 # dbmazzctl against the daemon
#   demo_compare_tables           # 0 when every table is equal on both sides
#   demo_stop_all                 # idempotent; also stops what half-started
#
# After the start functions: PG_PORT, PG_SOCKET_DIR, EMU_FE_PORT, EMU_PID,
# DBMAZZD_ADDR, DBMAZZD_PID. Every wait is bounded. As root, PostgreSQL runs as
# the `postgres` OS user (the directory is made reachable for it); otherwise
# as the calling user. The servers run in sessions of their own (setsid;
# pg_ctl does the same), so a Ctrl+C in the terminal reaches only the calling
# script, whose trap stops them in order.

DEMO_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEMO_TABLES=(products orders order_items)
DEMO_DB=shop
DEMO_ROLE=dbmazz
DEMO_PASSWORD=dbmazz-demo
PG_BINDIR="${DBMAZZ_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
BUILD_DIR="${DEMO_BUILD_DIR:-$DEMO_REPO/build/release}"
DBMAZZD="$BUILD_DIR/server/dbmazzd"
DBMAZZCTL="$BUILD_DIR/client/dbmazzctl"
EMULATOR="$BUILD_DIR/tests/support/starrocks_emulator/starrocks_emulator"

DEMO_DIR=""
PG_PORT=""
PG_SOCKET_DIR=""
PG_DATA=""
PG_STARTED=0
EMU_FE_PORT=""
EMU_PID=""
DBMAZZD_ADDR=""
DBMAZZD_PID=""

demo_log() { echo "demo: $*" >&2; }
demo_die() {
  demo_log "error: $*"
  exit 1
}

# demo_init DIR: DIR holds PostgreSQL, the emulator's and dbmazzd's files and
# logs. Checks the binaries are built.
demo_init() {
  DEMO_DIR="$1"
  mkdir -p "$DEMO_DIR"
  DEMO_DIR="$(cd "$DEMO_DIR" && pwd)"
  for bin in "$DBMAZZD" "$DBMAZZCTL" "$EMULATOR"; do
    [ -x "$bin" ] || demo_die "$bin is not built (cmake --build --preset release --target dbmazzd dbmazzctl starrocks_emulator)"
  done
  for tool in "$PG_BINDIR/initdb" "$PG_BINDIR/pg_ctl" "$PG_BINDIR/pgbench"; do
    [ -x "$tool" ] || demo_die "$tool is missing (deploy/setup.sh installs postgresql-15)"
  done
  for tool in psql curl jq; do
    command -v "$tool" >/dev/null || demo_die "$tool is missing (deploy/setup.sh installs it)"
  done
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || demo_die "running as root needs the 'postgres' OS user (postgresql-15 creates it)"
    # The postgres user must reach its directory inside DEMO_DIR.
    chmod 755 "$DEMO_DIR"
  fi
}

# Runs a PostgreSQL server program as the user that owns the cluster.
demo_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$PG_SOCKET_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$PG_SOCKET_DIR" && "$@")
  fi
}

# A TCP port nothing listens on right now (probed with bash's /dev/tcp).
demo_free_port() {
  local port i
  for i in $(seq 1 100); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  demo_die "no free TCP port found after $i tries"
}

# Waits up to $2 seconds for pid $1 to exit; 0 if it did.
demo_wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || true
  return 0
}

# Stops pid $1 with SIGTERM, SIGKILL after $2 seconds.
demo_stop_pid() {
  local pid="$1" timeout="$2" name="$3"
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || true
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  if ! demo_wait_exit "$pid" "$timeout"; then
    demo_log "$name (pid $pid) did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    demo_wait_exit "$pid" 5 || true
  fi
}

# initdb + start on 127.0.0.1:<free port>, wal_level=logical, unix socket in
# $DEMO_DIR/pg. Roles other than postgres authenticate with scram-sha-256 over
# TCP, as on a real server.
demo_start_postgres() {
  PG_SOCKET_DIR="$DEMO_DIR/pg"
  PG_DATA="$PG_SOCKET_DIR/data"
  mkdir -p "$PG_SOCKET_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_SOCKET_DIR"; fi
  demo_as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DEMO_DIR/initdb.log" 2>&1 ||
    demo_die "initdb failed: $(tail -5 "$DEMO_DIR/initdb.log")"
  demo_as_pg sh -c "cat >> '$PG_DATA/postgresql.conf'" <<EOF
# deploy/demo: logical replication for dbmazz
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCKET_DIR'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
fsync = off
EOF
  demo_as_pg sh -c "cat > '$PG_DATA/pg_hba.conf'" <<'EOF'
local all         all                     trust
host  all         postgres  127.0.0.1/32  trust
host  all         all       127.0.0.1/32  scram-sha-256
host  replication all       127.0.0.1/32  scram-sha-256
EOF
  local attempt
  for attempt in 1 2 3 4 5; do
    PG_PORT="$(demo_free_port)"
    if demo_as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_SOCKET_DIR/postgres.log" -w -t 60 \
      -o "-p $PG_PORT" start >>"$DEMO_DIR/pg_ctl.log" 2>&1; then
      PG_STARTED=1
      return 0
    fi
    demo_log "PostgreSQL did not start on port $PG_PORT (attempt $attempt): $(tail -3 "$PG_SOCKET_DIR/postgres.log" 2>/dev/null)"
  done
  demo_die "PostgreSQL did not start; see $PG_SOCKET_DIR/postgres.log"
}

# psql as the superuser over the unix socket; extra arguments follow.
demo_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres "$@"
}

# The role dbmazz connects as (LOGIN, REPLICATION, a password), the database
# shop owned by it, and the schema with its rows (deploy/demo/schema.sql).
demo_load_shop() {
  demo_psql -d postgres <<EOF
CREATE ROLE $DEMO_ROLE LOGIN REPLICATION PASSWORD '$DEMO_PASSWORD';
CREATE DATABASE $DEMO_DB OWNER $DEMO_ROLE;
EOF
  psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$DEMO_ROLE" -d "$DEMO_DB" \
    -f "$DEMO_REPO/deploy/demo/schema.sql" >/dev/null
  demo_prepare_compare
}

# The emulator on free ports with deploy/demo/starrocks.yaml; EMU_FE_PORT.
demo_start_emulator() {
  local ports="$DEMO_DIR/emulator.ports" deadline=$((SECONDS + 30))
  rm -f "$ports"
  setsid "$EMULATOR" --schema "$DEMO_REPO/deploy/demo/starrocks.yaml" --host 127.0.0.1 \
    --port-file "$ports" >"$DEMO_DIR/emulator.out" 2>"$DEMO_DIR/emulator.log" &
  EMU_PID=$!
  until [ -s "$ports" ]; do
    kill -0 "$EMU_PID" 2>/dev/null || demo_die "the StarRocks emulator exited: $(cat "$DEMO_DIR/emulator.log")"
    [ "$SECONDS" -lt "$deadline" ] || demo_die "the StarRocks emulator did not start within 30s"
    sleep 0.1
  done
  EMU_FE_PORT="$(jq -r .fe_port "$ports")"
}

# dbmazzd on 127.0.0.1:<free port>, state in $DEMO_DIR/state/state.db.
demo_start_dbmazzd() {
  local out="$DEMO_DIR/dbmazzd.out" deadline=$((SECONDS + 30))
  : >"$out"
  setsid "$DBMAZZD" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
    --state "$DEMO_DIR/state/state.db" --workers 2 \
    >"$out" 2>"$DEMO_DIR/dbmazzd.log" &
  DBMAZZD_PID=$!
  until grep -q 'listening on ' "$out"; do
    kill -0 "$DBMAZZD_PID" 2>/dev/null || demo_die "dbmazzd exited: $(tail -5 "$DEMO_DIR/dbmazzd.log")"
    [ "$SECONDS" -lt "$deadline" ] || demo_die "dbmazzd did not start within 30s"
    sleep 0.1
  done
  DBMAZZD_ADDR="$(sed -n 's/.*listening on //p' "$out" | head -1)"
  DBMAZZD_METRICS="$(sed -n 's/.*metrics on //p' "$DEMO_DIR/dbmazzd.log" | head -1)"
}

# dbmazzctl against the demo's dbmazzd.
demo_ctl() {
  "$DBMAZZCTL" --server "$DBMAZZD_ADDR" "$@"
}

# demo_render_pipeline OUT: deploy/examples/demo-pipeline.yaml with the
# throwaway servers' ports in place of 5432 and 8030.
demo_render_pipeline() {
  local out="$1"
  sed -e "s/port=5432/port=$PG_PORT/" -e "s#http://127.0.0.1:8030#http://127.0.0.1:$EMU_FE_PORT#" \
    "$DEMO_REPO/deploy/examples/demo-pipeline.yaml" >"$out"
  if ! grep -q "port=$PG_PORT" "$out" || ! grep -q "127.0.0.1:$EMU_FE_PORT" "$out"; then
    demo_die "deploy/examples/demo-pipeline.yaml no longer has 'port=5432' and 'http://127.0.0.1:8030' to substitute"
  fi
}

# --- Comparing PostgreSQL and StarRocks -------------------------------------
#
# Each row becomes one JSON object, keys sorted (jq -S), values as the
# emulator's dump shows them (docs/starrocks-emulator.md): numbers, DECIMAL
# as exact strings, DATETIME as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, JSON
# embedded. The lines are sorted; the checksum is the MD5 of them, so equal
# checksums mean equal contents, row for row and value for value.

declare -A DEMO_PG_QUERY=()

# Builds, once, the SELECT rendering each demo table's rows as
# "<table><TAB><JSON object>" the way the dump shows them (DEMO_PG_QUERY).
# Call it in the main shell (not in $(...)): demo_load_shop does.
demo_prepare_compare() {
  local table
  for table in "${DEMO_TABLES[@]}"; do
    DEMO_PG_QUERY[$table]="$(demo_psql -d "$DEMO_DB" -At -v table="$table" <<'EOF'
SELECT 'SELECT ' || quote_literal(:'table') || ' || chr(9) || json_build_object(' || string_agg(format('%L, %s', a.attname,
  CASE a.atttypid
    WHEN 'timestamptz'::regtype THEN format(
      $f$to_char(%1$I AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || CASE WHEN extract(microseconds FROM %1$I)::bigint %% 1000000 <> 0 THEN to_char(%1$I AT TIME ZONE 'UTC', '.US') ELSE '' END$f$,
      a.attname)
    WHEN 'timestamp'::regtype THEN format(
      $f$to_char(%1$I, 'YYYY-MM-DD HH24:MI:SS') || CASE WHEN extract(microseconds FROM %1$I)::bigint %% 1000000 <> 0 THEN to_char(%1$I, '.US') ELSE '' END$f$,
      a.attname)
    WHEN 'date'::regtype THEN format($f$to_char(%I, 'YYYY-MM-DD')$f$, a.attname)
    WHEN 'int2'::regtype THEN quote_ident(a.attname)
    WHEN 'int4'::regtype THEN quote_ident(a.attname)
    WHEN 'int8'::regtype THEN quote_ident(a.attname)
    WHEN 'bool'::regtype THEN quote_ident(a.attname)
    WHEN 'json'::regtype THEN quote_ident(a.attname)
    WHEN 'jsonb'::regtype THEN quote_ident(a.attname)
    ELSE quote_ident(a.attname) || '::text'
  END), ', ' ORDER BY a.attnum) || ')::text FROM public.' || quote_ident(:'table')
FROM pg_attribute a
WHERE a.attrelid = ('public.' || quote_ident(:'table'))::regclass AND a.attnum > 0 AND NOT a.attisdropped;
EOF
)"
  done
}

# demo_dump_postgres DIR: every table's sorted canonical rows into
# DIR/<table>.pg, read by one statement (one consistent snapshot).
demo_dump_postgres() {
  local dir="$1" table union=""
  for table in "${DEMO_TABLES[@]}"; do
    [ -n "${DEMO_PG_QUERY[$table]:-}" ] || demo_die "demo_prepare_compare was not called"
    union="${union:+$union UNION ALL }${DEMO_PG_QUERY[$table]}"
  done
  demo_psql -d "$DEMO_DB" -At -c "$union" >"$dir/all.pg.raw" || return 1
  for table in "${DEMO_TABLES[@]}"; do
    awk -F '\t' -v t="$table" '$1 == t { print substr($0, length(t) + 2) }' "$dir/all.pg.raw" |
      jq -c -S . | LC_ALL=C sort >"$dir/$table.pg"
  done
}

# demo_dump_starrocks TABLE OUT: the emulator's rows, sorted and canonical.
demo_dump_starrocks() {
  curl -sSf --max-time 20 "http://127.0.0.1:$EMU_FE_PORT/__emulator/tables/$DEMO_DB/$1" |
    jq -c -S '.rows[]' | LC_ALL=C sort >"$2"
}

# "<rows> <checksum>" of a dump file (checksum: the first 12 hex digits).
demo_digest() {
  local n sum
  n=$(wc -l <"$1")
  sum=$(md5sum <"$1")
  echo "$n ${sum:0:12}"
}

# Prints a table of row counts and checksums per table; returns 0 when both
# sides are equal for every table. Dumps stay in $DEMO_DIR/compare/.
demo_compare_tables() {
  local dir="$DEMO_DIR/compare" table pg sr status all_equal=0 pg_ok=1
  mkdir -p "$dir"
  rm -f "$dir"/*.pg "$dir"/*.sr "$dir"/*.sr.err
  # StarRocks first: under live traffic PostgreSQL, read a moment later, is
  # then at least as new, and the table shows StarRocks catching up.
  for table in "${DEMO_TABLES[@]}"; do
    demo_dump_starrocks "$table" "$dir/$table.sr" 2>"$dir/$table.sr.err" || rm -f "$dir/$table.sr"
  done
  demo_dump_postgres "$dir" 2>"$dir/postgres.err" || pg_ok=0
  printf '%-12s %10s  %-12s   %10s  %-12s  %s\n' TABLE "PG ROWS" "PG CHECKSUM" "SR ROWS" "SR CHECKSUM" ""
  for table in "${DEMO_TABLES[@]}"; do
    pg="? ?"
    sr="? ?"
    if [ "$pg_ok" = 1 ]; then pg="$(demo_digest "$dir/$table.pg")"; fi
    if [ -f "$dir/$table.sr" ]; then sr="$(demo_digest "$dir/$table.sr")"; fi
    if [ "$pg" = "$sr" ] && [ "$pg" != "? ?" ]; then
      status="equal"
    else
      status="differs"
      all_equal=1
    fi
    # shellcheck disable=SC2086  # word splitting of "<rows> <checksum>" is intended
    printf '%-12s %10s  %-12s   %10s  %-12s  %s\n' "$table" $pg $sr "$status"
  done
  return "$all_equal"
}

# After a failed comparison: the first differing rows of each table.
demo_show_differences() {
  local dir="$DEMO_DIR/compare" table
  for table in "${DEMO_TABLES[@]}"; do
    if [ ! -f "$dir/$table.pg" ] || [ ! -f "$dir/$table.sr" ]; then continue; fi
    if ! cmp -s "$dir/$table.pg" "$dir/$table.sr"; then
      echo "--- $table: rows only in PostgreSQL (<) or only in StarRocks (>), first 10" \
        "(long values abbreviated):"
      diff "$dir/$table.pg" "$dir/$table.sr" | grep '^[<>]' | head -10 |
        while IFS= read -r line; do
          printf '%s ' "${line:0:1}"
          jq -c 'map_values(tojson as $j | if ($j | length) > 60
                   then "\($j[0:40])... (\($j | length) chars)" else . end)' <<<"${line:2}"
        done || true
    fi
    if [ -s "$dir/$table.sr.err" ]; then echo "--- $table.sr.err: $(head -3 "$dir/$table.sr.err")"; fi
  done
  if [ -s "$dir/postgres.err" ]; then echo "--- postgres.err: $(head -3 "$dir/postgres.err")"; fi
}

# Stops dbmazzd, the emulator and PostgreSQL (whatever was started).
demo_stop_all() {
  demo_stop_pid "$DBMAZZD_PID" 60 dbmazzd
  DBMAZZD_PID=""
  demo_stop_pid "$EMU_PID" 10 "the StarRocks emulator"
  EMU_PID=""
  if [ "$PG_STARTED" = 1 ]; then
    if ! demo_as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >>"$DEMO_DIR/pg_ctl.log" 2>&1; then
      demo_log "pg_ctl stop failed; killing the postmaster"
      local pid
      pid="$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
      if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    PG_STARTED=0
  fi
}
