#!/usr/bin/env bash
# http_bench.sh — speed of the HTTP API: GET /apps p50/p99 at 200 requests/s
# (and closed-loop throughput), and COMMIT -> Server-Sent Event latency.
#
# A throwaway cluster (automl preloaded, installed with `make install`; the
# HTTP worker on 127.0.0.1), the Marathon emulator (test/marathon), 1000 apps,
# a SCRAM-authenticated registry user; test/bench/http_bench.py measures.
# Run as root (it runs itself as postgres) or as a user that can run
# PostgreSQL.  PGBIN selects the server (e.g. a staged one).
#
#   test/bench/http_bench.sh
#   RATE=400 SECONDS_=30 PGBIN=/tmp/stage-x/usr/lib/postgresql/15/bin test/bench/http_bench.sh
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -eq 0 ]; then
  exec runuser -u postgres -- env RATE="${RATE:-}" SECONDS_="${SECONDS_:-}" ROUNDS="${ROUNDS:-}" \
    PGBIN="${PGBIN:-}" KEEP="${KEEP:-}" "$SELF" "$@"
fi
RATE=${RATE:-200}
SECONDS_=${SECONDS_:-20}
ROUNDS=${ROUNDS:-30}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH="$PGBIN:$PATH"

WORK=$(mktemp -d /tmp/http-bench.XXXXXX)
EMU_PID=""
cleanup() {
  pg_ctl -D "$WORK/data" stop -m immediate >/dev/null 2>&1 || true
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work directory kept: $WORK"; fi
}
trap cleanup EXIT

python3 "$SRC/test/marathon/marathon_emulator.py" --port 0 --port-file "$WORK/marathon.port" \
  --deploy-seconds 0.05 >"$WORK/emulator.out" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/marathon.port" ] && break; sleep 0.05; done
EMU="http://127.0.0.1:$(cat "$WORK/marathon.port")"
HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

initdb -D "$WORK/data" -A trust >/dev/null
cat >>"$WORK/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
shared_preload_libraries = 'automl'
automl.database = 'bench'
automl.marathon_url = '$EMU'
automl.deploy_poll_interval = '20ms'
automl.http_listen = '127.0.0.1:$HTTP_PORT'
EOF
pg_ctl -D "$WORK/data" -l "$WORK/postgres.log" start -w >/dev/null
export PGHOST="$WORK" PGDATABASE=bench
createdb bench
psql -qX -v ON_ERROR_STOP=1 <<'EOF'
CREATE EXTENSION automl;
SET password_encryption = 'scram-sha-256';
CREATE ROLE bench_user LOGIN PASSWORD 'bench-pw' IN ROLE automl_registry_user;
SET ROLE bench_user;
INSERT INTO automl.apps (name, image, description)
SELECT 'app-' || lpad(i::text, 4, '0'), 'hbpmip/app:' || i, 'benchmark app ' || i FROM generate_series(1, 1000) i;
INSERT INTO automl.apps (name, image) VALUES ('bench-events', 'nginx');
INSERT INTO automl.app_configs (app_id, mem) SELECT id, 32 FROM automl.apps WHERE name = 'bench-events';
EOF
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/openapi.json" && break
  sleep 0.1
done
echo "== HTTP API benchmark: 1000 apps, $(nproc) cores, server $(postgres --version)"
python3 "$SRC/test/bench/http_bench.py" --port "$HTTP_PORT" --user bench_user --password bench-pw \
  --socket-dir "$WORK" --pgport 5432 --role bench_user --database bench --rate "$RATE" --seconds "$SECONDS_" --rounds "$ROUNDS"
