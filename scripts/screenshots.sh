#!/usr/bin/env bash
# Screenshots of the three views (desktop 1280×800 and phone 390×844) and the printed plan
# sheet, from a fresh demo server, into web/screenshots/ (the README shows them). With
# pngquant installed (apt-get install pngquant) the PNGs are quantised to keep the repository small.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd web && npm ci --no-audit --no-fund --loglevel=error)
cargo build --locked --bin powermap
node web/tests/browser.mjs --bin target/debug/powermap --screenshots web/screenshots
if command -v pngquant >/dev/null; then
  for png in web/screenshots/*.png; do
    # 98/99: the result would be larger or below the quality floor; the original stays.
    pngquant --force --skip-if-larger --quality 70-95 --ext .png "$png" || { rc=$?; [[ $rc == 98 || $rc == 99 ]]; }
  done
fi
