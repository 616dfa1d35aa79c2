#!/usr/bin/env bash
# The test command: the whole suite on SQLite, then the API suite again on PostgreSQL when
# POWERMAP_TEST_PG names a server (`eval "$(scripts/pg-throwaway.sh)"` starts one).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== SQLite pass: cargo test"
cargo test --locked "$@"

if [[ -n ${POWERMAP_TEST_PG:-} ]]; then
  echo "== PostgreSQL pass (${POWERMAP_TEST_PG%%@*}@…)"
  POWERMAP_TEST_BACKEND=postgres cargo test --locked --test api "$@"
else
  echo "== PostgreSQL pass skipped: set POWERMAP_TEST_PG=postgres://… (or eval \"\$(scripts/pg-throwaway.sh)\") to run it"
fi
