#!/bin/sh
# docker-entrypoint-initdb.d script of the postgres service (compose.yaml): the
# role dbmazz connects as, owner of the shop database and of its tables (so it
# may create the publication; docs/operations.md).
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
  -c "CREATE ROLE dbmazz LOGIN REPLICATION PASSWORD 'dbmazz-demo'" \
  -c "ALTER DATABASE shop OWNER TO dbmazz"
psql -v ON_ERROR_STOP=1 -U dbmazz -d shop -f /dbmazz-demo/schema.sql
