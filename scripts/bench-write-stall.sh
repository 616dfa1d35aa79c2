#!/bin/sh
# Nearest p99 while a 100,000-feature bulk write lands in the index (target: under 20 ms).
# Run on a quiet machine; prints the load average beside the figure.
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(uname -m), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
cargo bench --bench write_stall
