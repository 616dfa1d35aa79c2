#!/usr/bin/env bash
# Screenshots of the three views (desktop 1280×800 and phone 390×844) and the printed plan
# sheet, from a fresh demo server, into web/screenshots/ (the README shows them).
set -euo pipefail
cd "$(dirname "$0")/.."
(cd web && npm ci --no-audit --no-fund --loglevel=error)
cargo build --locked --bin powermap
node web/tests/browser.mjs --bin target/debug/powermap --screenshots web/screenshots
