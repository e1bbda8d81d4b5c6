#!/usr/bin/env bash
# The quick-start demo: dbmazzd with a demo pipeline on a local PostgreSQL and
# the StarRocks emulator. The daemon and its gRPC control plane are still being
# built (see the README's Status table); until they land this prints what exists today.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "dbmazz demo: coming soon."
echo "Today you can build and run the replication core's tests: ./deploy/test.sh"
