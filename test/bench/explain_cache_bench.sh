#!/usr/bin/env bash
# explain_cache_bench.sh — what caching the prepared explainer in the model
# cache saves: a TREES-tree (default 100) random forest of max_depth 12 on
# 20 000 rows x 20 numeric columns (automl_fit), then, in ONE session: the
# model compiled by a prediction, and three queries explaining one row each.
# The first explanation prepares the forest (H tables) and keeps it in the
# backend's model cache; the next ones reuse it.  Runs a throwaway cluster
# as the postgres user with the binaries of PG_CONFIG
# (PG_CONFIG=$(test/stage.sh DIR) test/bench/explain_cache_bench.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=$(mktemp -d /tmp/automl-explain-cache.XXXXXX)
chown postgres "$DIR"
BIN=$(${PG_CONFIG:-pg_config} --bindir)
TREES=${TREES:-100}
as_pg() { runuser -u postgres -- "$@"; }
as_pg $BIN/initdb -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = 5442
listen_addresses = ''
unix_socket_directories = '$DIR'
max_parallel_workers_per_gather = 0
jit = off
CONF
as_pg $BIN/pg_ctl -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg $BIN/pg_ctl -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
psql_() { as_pg $BIN/psql -h "$DIR" -p 5442 -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
F='{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20}'
psql_ <<SQL
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE t AS
SELECT i AS id, $(for j in $(seq 1 20); do printf 'random() AS x%d, ' $j; done) 0.0::float8 AS y
FROM generate_series(1, 20000) i;
UPDATE t SET y = x1 + 2 * x2 - x3 + 0.5 * x4 * x5 + 0.1 * random();
SELECT automl_fit('t', 'y', 'random_forest', '{"n_estimators": $TREES, "max_depth": 12}', features => '$F');
SQL
psql_ <<'SQL'
\timing on
\echo compile the model (a prediction):
SELECT round(automl_predict_value(1, t)::numeric, 3) FROM t WHERE id = 1;
\echo first explanation in this session (prepares the forest):
SELECT round(sum(contribution)::numeric, 6) FROM (SELECT * FROM t WHERE id = 1) t, automl_explain(1, t);
\echo second and third (the cached explainer):
SELECT round(sum(contribution)::numeric, 6) FROM (SELECT * FROM t WHERE id = 2) t, automl_explain(1, t);
SELECT round(sum(contribution)::numeric, 6) FROM (SELECT * FROM t WHERE id = 3) t, automl_explain(1, t);
SQL
