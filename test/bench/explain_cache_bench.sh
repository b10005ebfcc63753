#!/usr/bin/env bash
# explain_cache_bench.sh — what caching the prepared explainer in the model
# cache saves: a TREES-tree (default 100) random forest of max_depth 12 on
# 20 000 rows x 20 numeric columns (automl_fit), then, in ONE session: the
# model compiled by a prediction, and three queries explaining one row each.
# The first explanation prepares the forest (H tables) and keeps it in the
# backend's model cache; the next ones reuse it.  Runs a throwaway cluster
# as the postgres user with the binaries of PG_CONFIG
# (PG_CONFIG=$(test/stage.sh DIR) test/bench/explain_cache_bench.sh);
# cluster, data and training: lib/explain_setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib/explain_setup.sh
TREES=${TREES:-100}
explain_cluster automl-explain-cache 5442
explain_table t 20000
explain_fit t random_forest "{\"n_estimators\": $TREES, \"max_depth\": 12}"
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
