#!/usr/bin/env bash
# Property-based API check: schemathesis generates requests from /api/v1/openapi.json, valid
# and invalid, and checks every answer against the document (status codes, bodies, headers)
# and for server errors. Runs against `powermap serve --demo` on a fresh database, anonymously
# and as the demo planner. Usage: scripts/schemathesis.sh [BIN]  (default target/debug/powermap)
# Needs `pip install schemathesis` (4.x); exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/debug/powermap}")
examples=${SCHEMATHESIS_EXAMPLES:-25}
port=${SCHEMATHESIS_PORT:-18321}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
(cd "$dir" && exec "$bin" --db "sqlite://$dir/st.db" serve --demo --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1) &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
url="http://127.0.0.1:$port"
run() { # label, extra args
  local label=$1
  shift
  echo "== schemathesis ($label), $examples examples per operation"
  schemathesis --config-file scripts/schemathesis.toml run "$url/api/v1/openapi.json" --url "$url" --checks all --max-examples "$examples" \
    --seed 20261203 --no-color --suppress-health-check all --workers 2 "$@"
}
status=0
run anonymous || status=1
run planner -H "Authorization: Bearer demo-planner" || status=1
if grep -q "panicked" "$dir/serve.log"; then
  echo "the server panicked:" >&2
  grep -A3 panicked "$dir/serve.log" >&2
  status=1
fi
exit $status
