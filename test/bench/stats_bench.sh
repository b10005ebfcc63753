#!/usr/bin/env bash
# stats_bench.sh — automl_lm over 1 000 000 rows x 10 numeric predictors
# against what the issue measures it by: one SELECT of
#   regr_slope(y, x1) + regr_slope(y, x2) + ... + regr_slope(y, x10)
# (ten single-predictor aggregates in one pass), and a plain sum(x10) as
# the cost of reading the rows.  Also automl_anova (type 1) and automl_glm
# (Poisson, several passes).  Parallel query off, best of 3 each.
# Runs a throwaway cluster as the postgres user with the binaries of
# PG_CONFIG (default: the one on PATH); the extension must be installed there.
#   PG_CONFIG=/tmp/stage-x/usr/lib/postgresql/15/bin/pg_config test/bench/stats_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_CONFIG=${PG_CONFIG:-pg_config}
BIN=$($PG_CONFIG --bindir)
ROWS=${ROWS:-1000000}
PORT=${PORT:-5447}
DIR=$(mktemp -d /tmp/automl-stats-bench.XXXXXX)
chown postgres "$DIR"
as_pg() { runuser -u postgres -- "$@"; }
as_pg $BIN/initdb -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$DIR'
shared_buffers = '512MB'
max_parallel_workers_per_gather = 0
jit = off
CONF
as_pg $BIN/pg_ctl -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg $BIN/pg_ctl -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
psql_() { as_pg $BIN/psql -h "$DIR" -p $PORT -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_ <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE t AS
SELECT $(for j in $(seq 1 10); do printf 'random() AS x%d, ' $j; done) 0.0::float8 AS y
FROM generate_series(1, $ROWS) i;
UPDATE t SET y = 1 + x1 + 2 * x2 - x3 + 0.5 * x4 + 0.1 * random();
ALTER TABLE t ADD COLUMN c int;
UPDATE t SET c = floor(3 * random() + x1)::int;
VACUUM ANALYZE t;
SQL
time_of() {  # best of 3, in ms
  local best=
  for _ in 1 2 3; do
    local ms
    ms=$(psql_ -c 'SET client_min_messages = warning' -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
    if [ -z "$best" ] || awk "BEGIN{exit !($ms < $best)}"; then best=$ms; fi
  done
  echo "$best"
}
F="y ~ $(for j in $(seq 1 10); do printf '%sx%d' "$([ $j -gt 1 ] && echo ' + ')" $j; done)"
sum=$(time_of "SELECT sum(x10) FROM t")
slopes=$(time_of "SELECT $(for j in $(seq 1 10); do printf '%sregr_slope(y, x%d)' "$([ $j -gt 1 ] && echo ' + ')" $j; done) FROM t")
lm=$(time_of "SELECT count(*) FROM automl_lm('t', '$F')")
anova=$(time_of "SELECT count(*) FROM automl_anova('t', '$F')")
glm=$(time_of "SELECT count(*) FROM automl_glm('t', 'c ~ x1 + x2 + x3', 'poisson')")
awk -v n="$ROWS" -v s="$sum" -v r="$slopes" -v l="$lm" -v a="$anova" -v g="$glm" 'BEGIN {
  printf "| query over %d rows (one core, best of 3) | ms | vs the 10 regr_slope |\n|---|---|---|\n", n
  printf "| SELECT sum(x10) (reading the rows) | %.0f | %.2fx |\n", s, s / r
  printf "| SELECT regr_slope(y, x1) + ... + regr_slope(y, x10) | %.0f | 1.00x |\n", r
  printf "| automl_lm(t, y ~ x1 + ... + x10) (coefficients, se, t, p, CI) | %.0f | %.2fx |\n", l, l / r
  printf "| automl_anova(t, y ~ x1 + ... + x10) (type 1) | %.0f | %.2fx |\n", a, a / r
  printf "| automl_glm(t, c ~ x1 + x2 + x3, poisson) (IRLS) | %.0f | %.2fx |\n", g, g / r
}'
