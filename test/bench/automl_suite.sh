#!/usr/bin/env bash
# automl_suite.sh — the automl_train benchmark suite (automl_suite.py):
# 22 public tables (scikit-learn's bundled sets, test/data, and R packages
# from Debian: r-cran-mlbench r-cran-modeldata r-cran-ggplot2 r-cran-kernlab
# r-cran-aer), automl_train at BUDGETS seconds against scikit-learn's
# defaults.  Starts a throwaway cluster from PG_CONFIG's bindir (the extension
# must be installed there, e.g. PG_CONFIG=$(test/stage.sh /tmp/stage-x)).
# About 8 minutes at BUDGETS=12 (plus scikit-learn once, cached).
#   PG_CONFIG=... BUDGETS="12 60" TABLES="iris glass" test/bench/automl_suite.sh
# SUITE=more: 18 further tables (automl_suite.py), about 7 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_CONFIG=${PG_CONFIG:-pg_config}
BIN=$($PG_CONFIG --bindir)
export SUITE_DATA=${SUITE_DATA:-/tmp/automl-suite-data}
mkdir -p "$SUITE_DATA"; chmod 755 "$SUITE_DATA"
[ -f "$SUITE_DATA/diamonds.csv" ] && [ -f "$SUITE_DATA/scat.csv" ] || Rscript test/bench/automl_suite_data.R "$SUITE_DATA"
chmod 644 "$SUITE_DATA"/*.csv
DIR=$(mktemp -d /tmp/automl-suite.XXXXXX)
chmod 755 "$DIR"; chown postgres "$DIR"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$BIN/initdb" -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = 5447
listen_addresses = ''
unix_socket_directories = '$DIR'
max_parallel_workers_per_gather = 0
shared_preload_libraries = 'automl'
automl.database = 'postgres'
CONF
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
export PGHOST="$DIR" PGPORT=5447 PGUSER=postgres PGDATABASE=postgres PSQL="$BIN/psql"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$BIN/psql" -q -X -c "SET client_min_messages = warning" -c "CREATE EXTENSION automl" >/dev/null
mkdir -p test/bench/results
/usr/bin/python3 test/bench/automl_suite.py | tee "test/bench/results/automl_suite${SUITE:+_$SUITE}.md"
