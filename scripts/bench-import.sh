#!/usr/bin/env bash
# Reproducible import figure (README "Performance"): `import gsi-shelters` of a generated
# 100,000-row national emergency-site CSV (Shift_JIS, as municipalities publish it) into a
# fresh SQLite file, then the same file again (a re-import that matches every 共通ID), and
# once more with every name changed (a re-import that rewrites every row).
# Needs: a release build; hyperfine is not needed (each import is timed once, wall clock).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
cargo build --release --locked --bin powermap
dir=$(mktemp -d /tmp/powermap-bench-import.XXXXXX)
trap 'rm -rf "$dir"' EXIT

gen() { # $1: file, $2: name prefix
  python3 - "$1" "$2" "$N" <<'PY'
import random, sys
path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(42)
head = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考"
rows = [head]
for i in range(n):
    flags = ["1" if random.random() < p else "" for p in (0.5, 0.2, 0.1, 0.9, 0.1, 0.6, 0.3, 0.02)]
    lat, lon = 31 + random.random() * 14, 129 + random.random() * 17
    note = '"正面から入る\n（夜間は通用口）"' if i % 50 == 0 else ""
    rows.append(",".join([str(i + 1), f"{10000000 + i}", f"{prefix}{i}", f"千葉県白井市復{i % 2000}番地",
                          *flags, "1" if i % 3 == 0 else "", f"{lat:.6f}", f"{lon:.6f}", note]))
open(path, "wb").write(("\r\n".join(rows) + "\r\n").encode("cp932"))
PY
}
gen "$dir/a.csv" "避難場所"
gen "$dir/b.csv" "指定緊急避難場所"
echo "== $(du -h "$dir/a.csv" | cut -f1) CSV, $N rows (Shift_JIS)"
db="sqlite://$dir/bench.db"
run() { # $1: label, $2: file
  local start end
  start=$(date +%s.%N)
  target/release/powermap --db "$db" import gsi-shelters "$2" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'$1: {($end - $start):.2f} s')"
}
run "new" "$dir/a.csv"
run "re-import, nothing changed" "$dir/a.csv"
run "re-import, every name changed" "$dir/b.csv"
/usr/bin/time -f "peak memory of one more re-import: %M KiB" target/release/powermap --db "$db" import gsi-shelters "$dir/a.csv" >/dev/null
