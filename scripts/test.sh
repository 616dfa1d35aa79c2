#!/usr/bin/env bash
# The test command: the whole suite on SQLite, every database test again on PostgreSQL, and the
# browser tests in headless Chromium; it ends with one line naming the passes run and skipped.
#
# PostgreSQL: the server named by POWERMAP_TEST_PG, or else a throw-away cluster started (and
# removed) here when PostgreSQL's server binaries are installed. Browser: needs Chromium and
# `web/node_modules` (the build makes it); the server is the debug build, or the release build
# with POWERMAP_BROWSER_PROFILE=release (schemathesis runs against the same build).
# POWERMAP_REQUIRE_PG=1 / POWERMAP_REQUIRE_BROWSER=1 / POWERMAP_REQUIRE_SCHEMATHESIS=1 turn a
# skip into a failure (CI sets all three).
set -euo pipefail
cd "$(dirname "$0")/.."
ran=()
skipped=()

skip() { # pass, reason, the variable that makes it required
  if [[ ${!3:-} == 1 ]]; then
    echo "$1 pass required ($3=1) but skipped: $2" >&2
    exit 1
  fi
  echo "== $1 pass skipped: $2"
  skipped+=("$1 ($2)")
}

echo "== SQLite pass: cargo test"
cargo test --locked "$@"
ran+=(sqlite)

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z ${POWERMAP_TEST_PG:-} && -x $pg_bin/initdb && $(id -u) == 0 ]]; then
  echo "== starting a throw-away PostgreSQL cluster"
  eval "$(scripts/pg-throwaway.sh)"
  trap 'scripts/pg-throwaway.sh stop "$PG_THROWAWAY_DIR"' EXIT
fi
if [[ -n ${POWERMAP_TEST_PG:-} ]]; then
  echo "== PostgreSQL pass (${POWERMAP_TEST_PG%%@*}@…)"
  # Every test that touches a database, again: the API suite and the command line.
  POWERMAP_TEST_BACKEND=postgres cargo test --locked --test api --test cli "$@"
  ran+=(postgres)
elif [[ -x $pg_bin/initdb ]]; then
  skip postgres "the throw-away cluster needs root (runuser); or set POWERMAP_TEST_PG=postgres://…" POWERMAP_REQUIRE_PG
else
  skip postgres "no PostgreSQL server binaries (apt-get install postgresql), no POWERMAP_TEST_PG" POWERMAP_REQUIRE_PG
fi

# Browser tests: real headless Chromium against `powermap serve --demo`, started in an empty
# directory so it serves the pages built into the binary.
chromium_bin=${CHROMIUM:-/usr/bin/chromium}
profile=${POWERMAP_BROWSER_PROFILE:-debug}
if [[ ! -x $chromium_bin ]]; then
  skip browser "no $chromium_bin (apt-get install chromium fonts-noto-cjk)" POWERMAP_REQUIRE_BROWSER
elif ! command -v node >/dev/null; then
  skip browser "no node (install Node.js 20 or newer)" POWERMAP_REQUIRE_BROWSER
else
  echo "== browser tests (headless Chromium, $profile build, started in an empty directory)"
  if [[ $profile == release ]]; then cargo build --locked --release --bin powermap; else cargo build --locked --bin powermap; fi
  [[ -d web/node_modules/playwright-core ]] || (cd web && npm ci --no-audit --no-fund --loglevel=error)
  node web/tests/browser.mjs --bin "target/$profile/powermap" ${POWERMAP_SCREENSHOTS:+--screenshots "$POWERMAP_SCREENSHOTS"}
  ran+=("browser ($profile)")
fi

# Schemathesis: requests generated from the served OpenAPI document, anonymously and as the
# planner, every answer checked against it (scripts/schemathesis.sh; exceptions and their
# reasons in scripts/schemathesis.toml).
if ! command -v schemathesis >/dev/null; then
  skip schemathesis "no schemathesis (pip install 'schemathesis==4.32.5')" POWERMAP_REQUIRE_SCHEMATHESIS
else
  echo "== schemathesis ($profile build)"
  if [[ $profile == release ]]; then cargo build --locked --release --bin powermap; else cargo build --locked --bin powermap; fi
  scripts/schemathesis.sh "target/$profile/powermap"
  ran+=(schemathesis)
fi

summary="passes run: $(IFS=,; echo "${ran[*]}" | sed 's/,/, /g')"
if ((${#skipped[@]})); then summary+="; skipped: $(printf '%s; ' "${skipped[@]}" | sed 's/; $//')"; fi
echo "$summary"
