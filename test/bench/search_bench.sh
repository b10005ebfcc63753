#!/usr/bin/env bash
# search_bench.sh — automl_train against scikit-learn on every dataset of
# test/data (30-second budget), the MIP budget curve (5/15/30/120 s) and the
# search's throughput.  Starts a throwaway cluster as the postgres user (the
# extension must be installed), then runs test/bench/search_bench.py with
# Debian's python3-sklearn.  Takes about 15 minutes.
#   BUDGET=30 CURVE="5 15 30 120" DATASETS="iris wine" test/bench/search_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=$(mktemp -d /tmp/automl-search-bench.XXXXXX)
chown postgres "$DIR"
BIN=/usr/lib/postgresql/15/bin
as_pg() { runuser -u postgres -- "$@"; }
as_pg $BIN/initdb -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = 5441
listen_addresses = ''
unix_socket_directories = '$DIR'
max_parallel_workers_per_gather = 0
CONF
as_pg $BIN/pg_ctl -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg $BIN/pg_ctl -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
mkdir -p test/bench/results
export PGHOST="$DIR" PGPORT=5441 PGUSER=postgres PGDATABASE=postgres
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
as_pg env PGHOST="$DIR" PGPORT=5441 psql -q -X -c "SET client_min_messages = warning" -c "CREATE EXTENSION automl" \
  -f test/data/load_benchmarks.sql -f test/data/load_mip.sql >/dev/null
/usr/bin/python3 test/bench/search_bench.py | tee test/bench/results/search_bench.md
