#!/usr/bin/env bash
# Reproducible PostgreSQL figures (README "Performance"):
#   1. start-up of `powermap serve` with 1,000,000 power points in PostgreSQL;
#   2. HTTP k=5 nearest under load (wrk, 4 connections, 20 s) against that server;
#   3. the alternative a user would pick — PostGIS KNN (`ORDER BY geog <-> point LIMIT 5`
#      on a GiST index, re-ranked by ST_Distance on the spheroid) — under pgbench with the
#      same concurrency and random query points, in the same run.
# Needs: postgresql, postgresql-15-postgis-3, wrk (apt); a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
cargo build --release --locked --bin powermap
eval "$(scripts/pg-throwaway.sh)"
trap 'kill $server 2>/dev/null || true; scripts/pg-throwaway.sh stop "$PG_THROWAWAY_DIR"' EXIT
url=$POWERMAP_TEST_PG
psql() { command psql -q -v ON_ERROR_STOP=1 "$url" "$@"; }

echo "== migrations, then $N power points over Japan (deterministic)"
target/release/powermap --db "$url" token create --role planner --name bench >/dev/null
psql <<SQL
SELECT setseed(0.42);
INSERT INTO power_points (id, lon, lat, properties, updated_at)
SELECT 'pp-' || g, 129 + random() * 17, 31 + random() * 14,
       '{"name":"bench ' || g || '","kind":"generator","capacity_w":1500,"pure_sine":true,"status":"available","outlets":[{"type":"ac100v","count":2,"max_w":1500}]}',
       '2026-11-24T00:00:00Z'
FROM generate_series(1, $N) g;
SQL

echo "== start-up: serve until /readyz answers"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
RUST_LOG=powermap=info target/release/powermap --db "$url" serve --addr "127.0.0.1:$port" >/tmp/powermap-bench-serve.log 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.05; done
end=$(date +%s.%N)
python3 -c "print(f'start-up with $N points: {($end - $start):.2f} s')"
grep -o 'indexes loaded in [0-9.]* s' /tmp/powermap-bench-serve.log || true

echo "== HTTP nearest k=5 (wrk -t2 -c4 -d20s, random points over Japan)"
cat >/tmp/powermap-nearest.lua <<'LUA'
math.randomseed(42)
request = function()
  local lon = 129 + math.random() * 17
  local lat = 31 + math.random() * 14
  return wrk.format("GET", string.format("/api/v1/nearest/power?lat=%.5f&lon=%.5f&k=5", lat, lon))
end
LUA
wrk -t2 -c4 -d20s --latency -s /tmp/powermap-nearest.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|99%|Latency"

echo "== PostGIS KNN, same points (pgbench -c4 -j2 -T20)"
psql <<SQL
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE knn AS SELECT id, geography(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) AS geog FROM power_points;
CREATE INDEX knn_gist ON knn USING gist (geog);
ANALYZE knn;
SQL
cat >/tmp/powermap-knn.sql <<'SQL'
\set lon random(129000, 146000)
\set lat random(31000, 45000)
SELECT id, ST_Distance(geog, q, true) AS d FROM (
  SELECT id, geog, q FROM knn, geography(ST_SetSRID(ST_MakePoint(:lon / 1000.0, :lat / 1000.0), 4326)) q
  ORDER BY geog <-> q LIMIT 5) s ORDER BY d;
SQL
command pgbench -n -c4 -j2 -T20 -f /tmp/powermap-knn.sql "$url" | grep -E "latency average|tps"
