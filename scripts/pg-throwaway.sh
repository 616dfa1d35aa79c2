#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 (a free port, a temp dir) and prints
# its URL. Used by .ci/run and by hand: `eval "$(scripts/pg-throwaway.sh)"` exports
# POWERMAP_TEST_PG and PG_THROWAWAY_DIR; `scripts/pg-throwaway.sh stop DIR` ends it.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $bin/initdb ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
if [[ ${1:-} == stop ]]; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$2/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$2"
  exit 0
fi
dir=$(mktemp -d /tmp/powermap-pg.XXXXXX)
chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=300" start >/dev/null
echo "export POWERMAP_TEST_PG=postgres://postgres@127.0.0.1:$port/postgres"
echo "export PG_THROWAWAY_DIR=$dir"
