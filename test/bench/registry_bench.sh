#!/usr/bin/env bash
# registry_bench.sh — reliability and speed of the app registry's deploy worker.
#
# A throwaway cluster (automl preloaded, installed with `make install`) and the
# Marathon emulator (test/marathon) on loopback.  pgbench runs REQUESTS
# deploy/undeploy requests (test/bench/registry_step.sql) from CLIENTS
# concurrent sessions, three times, each time on its own NAPPS apps:
#   phase 1  Marathon healthy, as fast as the sessions can commit:
#            throughput (>= 200 deployments/s)
#   phase 2  Marathon healthy, RATE requests/s offered (200, the required
#            throughput): latency from COMMIT to the emulator receiving the
#            request (p50 < 20 ms, p99 < 100 ms)
#   phase 3  FAULT_RATE of all Marathon calls fail (5xx, dropped and reset
#            connections, 409 locked, garbage, failures after the change was
#            made), as fast as possible
# Every phase checks: no request lost or failed, none applied twice on
# Marathon, Marathon's final state equals the registry's; the numbers and the
# checks are printed by test/bench/registry_bench.py.  Bounded in time
# (TIME_LIMIT seconds per phase, about 30 s in all).  Run as root or as a user
# that can run PostgreSQL; as root it runs itself as postgres.  The exit status
# is non-zero when a check fails.
#
#   test/bench/registry_bench.sh               # 1000 requests, 8 sessions, 30% faults
#   REQUESTS=5000 CLIENTS=16 test/bench/registry_bench.sh
set -euo pipefail

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -eq 0 ]; then
  exec runuser -u postgres -- env REQUESTS="${REQUESTS:-}" CLIENTS="${CLIENTS:-}" NAPPS="${NAPPS:-}" \
    FAULT_RATE="${FAULT_RATE:-}" DEPLOY_SECONDS="${DEPLOY_SECONDS:-}" TIME_LIMIT="${TIME_LIMIT:-}" \
    KEEP="${KEEP:-}" RATE="${RATE:-}" POLL_INTERVAL="${POLL_INTERVAL:-}" CONCURRENCY="${CONCURRENCY:-}" "$SELF" "$@"
fi

REQUESTS=${REQUESTS:-1000}
RATE=${RATE:-200}
POLL_INTERVAL=${POLL_INTERVAL:-20ms}
CONCURRENCY=${CONCURRENCY:-64}
CLIENTS=${CLIENTS:-8}
NAPPS=${NAPPS:-200}
FAULT_RATE=${FAULT_RATE:-0.3}
DEPLOY_SECONDS=${DEPLOY_SECONDS:-0.05}
TIME_LIMIT=${TIME_LIMIT:-300}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH="$PGBIN:$PATH"
PER_CLIENT=$(( (REQUESTS + CLIENTS - 1) / CLIENTS ))

WORK=$(mktemp -d /tmp/registry-bench.XXXXXX)
EMU_PID=""
cleanup() {
  pg_ctl -D "$WORK/data" stop -m immediate >/dev/null 2>&1 || true
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work directory kept: $WORK"; fi
}
trap cleanup EXIT

echo "== app registry benchmark: $((PER_CLIENT * CLIENTS)) requests from $CLIENTS sessions, $NAPPS apps per phase"

# the Marathon emulator, logging every request with its arrival time
python3 "$SRC/test/marathon/marathon_emulator.py" --port 0 --port-file "$WORK/marathon.port" \
  --deploy-seconds "$DEPLOY_SECONDS" --max-running-deployments 100000 --max-log 1000000 \
  --log-file "$WORK/marathon.jsonl" >"$WORK/emulator.out" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/marathon.port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/marathon.port")
EMU="http://127.0.0.1:$PORT"

initdb -D "$WORK/data" -A trust >/dev/null
cat >>"$WORK/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
max_connections = 50
shared_buffers = 128MB
shared_preload_libraries = 'automl'
automl.database = 'bench'
automl.marathon_url = '$EMU'
automl.deploy_poll_interval = '${POLL_INTERVAL:-20ms}'
automl.deploy_max_backoff = '500ms'
automl.deploy_concurrency = ${CONCURRENCY:-64}
automl.deploy_timeout = '2min'
EOF
pg_ctl -D "$WORK/data" -l "$WORK/postgres.log" start -w >/dev/null
export PGHOST="$WORK" PGDATABASE=bench
createdb bench
psql -qX -v ON_ERROR_STOP=1 -v napps="$NAPPS" -v clients="$CLIENTS" -f "$SRC/test/bench/registry_setup.sql"
# the worker connects once the database exists
for _ in $(seq 1 100); do
  [ "$(psql -XAtc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'automl deploy worker'")" = 1 ] && break
  sleep 0.1
done

emulator() {
  python3 "$SRC/test/bench/registry_bench.py" emulator --url "$EMU" "$@"
}

wait_final() {
  local phase=$1 deadline=$((SECONDS + TIME_LIMIT)) left
  while :; do
    left=$(psql -XAtc "SELECT count(*) FROM bench.log l LEFT JOIN automl.deployments d ON d.id = l.request_id
                       WHERE l.phase = $phase AND coalesce(d.state, 'lost') NOT IN ('running', 'failed', 'deleted')")
    [ "$left" -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then echo "  $left requests still not final after ${TIME_LIMIT}s"; return 0; fi
    sleep 0.2
  done
}

export_results() {
  psql -qX -v ON_ERROR_STOP=1 <<EOF
\copy (SELECT request_id, phase, client, app, action, extract(epoch FROM t_commit) AS t_commit FROM bench.log) TO '$WORK/requests.csv' CSV HEADER
\copy (SELECT id, action, state, app, marathon_app_id, attempts, extract(epoch FROM started_at) AS started_at, extract(epoch FROM finished_at) AS finished_at, last_error FROM automl.deployments) TO '$WORK/deployments.csv' CSV HEADER
EOF
  emulator GET /_emulator/state >"$WORK/state.json"
}

run_phase() {
  local phase=$1
  # shellcheck disable=SC2086
  pgbench -n -r -c "$CLIENTS" -j 2 -t "$PER_CLIENT" ${RATE_OPT:-} -D phase="$phase" -f "$SRC/test/bench/registry_step.sql" \
    >"$WORK/pgbench.$phase.out" 2>&1 || { cat "$WORK/pgbench.$phase.out"; return 1; }
  grep -E '^(tps|number of failed|latency average)' "$WORK/pgbench.$phase.out" | sed 's/^/  pgbench: /'
  wait_final "$phase"
}

status=0
report() {
  python3 "$SRC/test/bench/registry_bench.py" report --log "$WORK/marathon.jsonl" --requests "$WORK/requests.csv" \
    --deployments "$WORK/deployments.csv" --state "$WORK/state.json" "$@" || status=1
}

echo
echo "== phase 1: Marathon healthy, requests as fast as $CLIENTS sessions can commit them (throughput)"
run_phase 1
export_results
report --phase 1 --check-throughput

echo
echo "== phase 2: Marathon healthy, $RATE requests/s offered (latency)"
RATE_OPT="-R $RATE" run_phase 2
export_results
report --phase 2 --check-latency

echo
echo "== phase 3: ${FAULT_RATE} of Marathon calls fail, requests as fast as possible"
python3 "$SRC/test/bench/registry_bench.py" faults --count $((REQUESTS * 12)) --rate "$FAULT_RATE" --seed 7 \
  >"$WORK/faults.json"
emulator POST /_emulator/faults --data "$WORK/faults.json" >/dev/null
run_phase 3
emulator DELETE /_emulator/faults >/dev/null
export_results
report --phase 3

if grep -qE 'terminated by signal|PANIC' "$WORK/postgres.log"; then
  echo "FAIL: the server log shows a crash"; status=1
fi
echo
if [ $status -eq 0 ]; then echo "BENCHMARK PASSED"; else echo "BENCHMARK FAILED"; fi
exit $status
