#!/usr/bin/env bash
# explain_bench.sh — automl_explain against automl_predict on one core: a
# table of ROWS (default 100 000) rows x 20 numeric columns, 100-tree random
# forests (max_depth 6 and 12) trained with automl_fit on 20 000 of its
# rows, a ridge model and k-nearest neighbours (sampling), then
#   SELECT sum(automl_predict_value(m, t)) FROM t
#   SELECT sum(e.contribution) FROM t, automl_explain(m, t) e
# with parallel query off; EXPLAIN_ROWS (default 10 000) rows are explained
# (a twentieth of them for the depth-12 forest, a tenth for kNN)
# (the time is scaled to ROWS).  Runs a throwaway cluster as the postgres
# user with the binaries of PG_CONFIG (the staged build: PG_CONFIG=$(test/stage.sh DIR)).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=$(mktemp -d /tmp/automl-explain-bench.XXXXXX)
chown postgres "$DIR"
BIN=$(${PG_CONFIG:-pg_config} --bindir)
ROWS=${ROWS:-100000}
EXPLAIN_ROWS=${EXPLAIN_ROWS:-10000}
as_pg() { runuser -u postgres -- "$@"; }
as_pg $BIN/initdb -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = 5441
listen_addresses = ''
unix_socket_directories = '$DIR'
shared_buffers = '256MB'
max_parallel_workers_per_gather = 0
jit = off
CONF
as_pg $BIN/pg_ctl -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg $BIN/pg_ctl -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
psql_() { as_pg $BIN/psql -h "$DIR" -p 5441 -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
F='{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20}'
psql_ <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE t AS
SELECT i AS id, $(for j in $(seq 1 20); do printf 'random() AS x%d, ' $j; done) 0.0::float8 AS y
FROM generate_series(1, $ROWS) i;
UPDATE t SET y = x1 + 2 * x2 - x3 + 0.5 * x4 * x5 + 0.1 * random();
VACUUM ANALYZE t;
CREATE TABLE train AS SELECT * FROM t WHERE id <= 20000;
CREATE TABLE e AS SELECT * FROM t WHERE id <= $EXPLAIN_ROWS;
SELECT automl_fit('train', 'y', 'random_forest', '{"n_estimators": 100, "max_depth": 6}', features => '$F');
SELECT automl_fit('train', 'y', 'random_forest', '{"n_estimators": 100, "max_depth": 12}', features => '$F');
SELECT automl_fit('train', 'y', 'ridge', features => '$F');
SELECT automl_fit('train', 'y', 'knn', features => '$F');
SQL
time_of() {  # best of 2, in ms
  local best=
  for _ in 1 2; do
    local ms
    ms=$(psql_ -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
    if [ -z "$best" ] || awk "BEGIN{exit !($ms < $best)}"; then best=$ms; fi
  done
  echo "$best"
}
echo "| model | predict $ROWS rows (ms) | explain, scaled to $ROWS rows (ms) | µs per explained row | explain / predict |"
echo "|---|---|---|---|---|"
for m in 1 2 3 4; do
  name=$(psql_ -At -c "SELECT description FROM automl.models WHERE id = $m")
  n=$EXPLAIN_ROWS
  [ $m -eq 2 ] && n=$((EXPLAIN_ROWS / 20))
  [ $m -eq 4 ] && n=$((EXPLAIN_ROWS / 10))
  p=$(time_of "SELECT sum(automl_predict_value($m, t)) FROM t")
  x=$(time_of "SELECT sum(x.contribution) FROM (SELECT * FROM e WHERE id <= $n) t, automl_explain($m, t) x")
  awk -v name="$name" -v p="$p" -v x="$x" -v n="$n" -v rows="$ROWS" 'BEGIN {
    s = x * rows / n; printf "| %s | %.0f | %.0f | %.1f | %.1f× |\n", name, p, s, 1000 * x / n, s / p }'
done
