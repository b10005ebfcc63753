#!/usr/bin/env bash
# predict_bench.sh — SQL batch prediction throughput on one core: a table of
# 1 000 000 rows x 20 numeric columns, a ridge model and a 100-tree random
# forest trained with automl_fit on 20 000 of its rows, then
#   SELECT sum(x1) FROM t                         (the baseline)
#   SELECT sum(x20) FROM t                        (every column deformed)
#   SELECT sum(b + w1 * x1 + ... + w20 * x20)     (the ridge model written in SQL)
#   SELECT sum(automl_predict_value(m, t)) FROM t (every row predicted)
# with parallel query off.  Runs a throwaway cluster as the postgres user
# (the extension must be installed).  Prints rows/s and the ratio to sum().
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=$(mktemp -d /tmp/automl-predict-bench.XXXXXX)
chown postgres "$DIR"
BIN=/usr/lib/postgresql/15/bin
ROWS=${ROWS:-1000000}
as_pg() { runuser -u postgres -- "$@"; }
as_pg $BIN/initdb -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = 5440
listen_addresses = ''
unix_socket_directories = '$DIR'
shared_buffers = '512MB'
max_parallel_workers_per_gather = 0
jit = off
CONF
as_pg $BIN/pg_ctl -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg $BIN/pg_ctl -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
psql_() { as_pg psql -h "$DIR" -p 5440 -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_ <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE t AS
SELECT i AS id, $(for j in $(seq 1 20); do printf 'random() AS x%d, ' $j; done) 0.0::float8 AS y
FROM generate_series(1, $ROWS) i;
UPDATE t SET y = x1 + 2 * x2 - x3 + 0.5 * x4 * x5 + 0.1 * random();
VACUUM ANALYZE t;
CREATE TABLE train AS SELECT * FROM t WHERE id <= 20000;
SELECT automl_fit('train', 'y', 'ridge', features => '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20}') AS ridge \gset
SELECT automl_fit('train', 'y', 'random_forest', '{"n_estimators": 100, "max_depth": 12}',
                  features => '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20}') AS forest \gset
SQL
time_of() {  # best of 3, in ms
  local best=
  for _ in 1 2 3; do
    local ms
    ms=$(psql_ -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
    if [ -z "$best" ] || awk "BEGIN{exit !($ms < $best)}"; then best=$ms; fi
  done
  echo "$best"
}
psql_ -c "SELECT sum(automl_predict_value(1, t)) FROM t WHERE id < 10" >/dev/null   # warm the model cache path
base=$(time_of "SELECT sum(x1) FROM t")
last=$(time_of "SELECT sum(x20) FROM t")
formula=$(time_of "SELECT sum(0.25 $(for j in $(seq 1 20); do printf ' + %s * x%d' "0.$j" $j; done)) FROM t")
ridge=$(time_of "SELECT sum(automl_predict_value(1, t)) FROM t")
ridge_text=$(time_of "SELECT count(automl_predict(1, t)) FROM t")
forest=$(time_of "SELECT sum(automl_predict_value(2, t)) FROM t")
awk -v n="$ROWS" -v b="$base" -v l="$last" -v fm="$formula" -v r="$ridge" -v rt="$ridge_text" -v f="$forest" 'BEGIN {
  printf "| query over %d rows (one core) | ms | rows/s | vs sum(x1) |\n|---|---|---|---|\n", n
  printf "| SELECT sum(x1) | %.0f | %.0f | 1.0x |\n", b, n / b * 1000
  printf "| SELECT sum(x20) (every column deformed) | %.0f | %.0f | %.2fx |\n", l, n / l * 1000, l / b
  printf "| the linear formula in SQL: sum(b + w1 * x1 + ... + w20 * x20) | %.0f | %.0f | %.2fx |\n", fm, n / fm * 1000, fm / b
  printf "| sum(automl_predict_value(ridge, t)) | %.0f | %.0f | %.2fx |\n", r, n / r * 1000, r / b
  printf "| count(automl_predict(ridge, t)) (text) | %.0f | %.0f | %.2fx |\n", rt, n / rt * 1000, rt / b
  printf "| sum(automl_predict_value(forest of 100 trees, t)) | %.0f | %.0f | %.2fx |\n", f, n / f * 1000, f / b
}'
