#!/usr/bin/env bash
# The test command: the whole suite on SQLite, then every database test again on PostgreSQL when
# POWERMAP_TEST_PG names a server (`eval "$(scripts/pg-throwaway.sh)"` starts one).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== SQLite pass: cargo test"
cargo test --locked "$@"

if [[ -n ${POWERMAP_TEST_PG:-} ]]; then
  echo "== PostgreSQL pass (${POWERMAP_TEST_PG%%@*}@…)"
  # Every test that touches a database, again: the API suite and the command line.
  POWERMAP_TEST_BACKEND=postgres cargo test --locked --test api --test cli "$@"
else
  echo "== PostgreSQL pass skipped: set POWERMAP_TEST_PG=postgres://… (or eval \"\$(scripts/pg-throwaway.sh)\") to run it"
fi

# Browser tests: real headless Chromium against `powermap serve --demo`. Skipped with a notice
# where Chromium or the web dependencies are missing, unless POWERMAP_REQUIRE_BROWSER=1 (CI).
chromium_bin=${CHROMIUM:-/usr/bin/chromium}
if [[ -x $chromium_bin && -d web/node_modules/playwright-core ]] && command -v node >/dev/null; then
  echo "== browser tests (headless Chromium)"
  cargo build --locked --bin powermap
  node web/tests/browser.mjs --bin target/debug/powermap ${POWERMAP_SCREENSHOTS:+--screenshots "$POWERMAP_SCREENSHOTS"}
elif [[ ${POWERMAP_REQUIRE_BROWSER:-} == 1 ]]; then
  echo "browser tests required but $chromium_bin or web/node_modules (cd web && npm ci) is missing" >&2
  exit 1
else
  echo "== browser tests skipped: install chromium (apt-get install chromium fonts-noto-cjk) and run 'cd web && npm ci'"
fi
