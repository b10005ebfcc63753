#!/usr/bin/env bash
# explain_bench.sh — automl_explain against automl_predict on one core: a
# table of ROWS (default 100 000) rows x 20 numeric columns, 100-tree random
# forests (max_depth 6 and 12) trained with automl_fit on 20 000 of its
# rows, a ridge model and k-nearest neighbours (sampling), then
#   SELECT sum(automl_predict_value(m, t)) FROM t
#   SELECT sum(e.contribution) FROM t, automl_explain(m, t) e
# with parallel query off, each twice in one session, the faster one counted
# (the backend's model cache then holds the model and its prepared
# explainer, as over a whole table: test/bench/explain_cache_bench.sh
# measures the first call); EXPLAIN_ROWS (default 10 000) rows are explained
# (a twentieth of them for the depth-12 forest, a tenth for kNN)
# (the time is scaled to ROWS); MODELS (default "1 2 3 4") picks the models:
# "1 2 3" leaves out kNN, whose 1 000 explained rows take about 15 minutes.  Runs a throwaway cluster as the postgres
# user with the binaries of PG_CONFIG (the staged build: PG_CONFIG=$(test/stage.sh DIR));
# cluster, data and training: lib/explain_setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib/explain_setup.sh
ROWS=${ROWS:-100000}
EXPLAIN_ROWS=${EXPLAIN_ROWS:-10000}
explain_cluster automl-explain-bench 5441 "shared_buffers = '256MB'"
explain_table t "$ROWS"
psql_ <<SQL
CREATE TABLE train AS SELECT * FROM t WHERE id <= 20000;
CREATE TABLE e AS SELECT * FROM t WHERE id <= $EXPLAIN_ROWS;
SQL
explain_fit train random_forest '{"n_estimators": 100, "max_depth": 6}'
explain_fit train random_forest '{"n_estimators": 100, "max_depth": 12}'
explain_fit train ridge
explain_fit train knn
time_of() {  # "best first": best of 2 in one new session, and the first of them, in ms
  local t
  t=$(psql_ -c '\timing on' -c "$1" -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
  echo "$(echo "$t" | sort -g | head -1) $(echo "$t" | head -1)"
}
echo "| model | predict $ROWS rows (ms) | explain, scaled to $ROWS rows (ms) | µs per explained row | explain / predict | the first query of a session: explain / predict |"
echo "|---|---|---|---|---|---|"
for m in ${MODELS:-1 2 3 4}; do
  name=$(psql_ -At -c "SELECT description FROM automl.models WHERE id = $m")
  n=$EXPLAIN_ROWS
  [ $m -eq 2 ] && n=$((EXPLAIN_ROWS / 20))
  [ $m -eq 4 ] && n=$((EXPLAIN_ROWS / 10))
  read -r p p1 < <(time_of "SELECT sum(automl_predict_value($m, t)) FROM t")
  read -r x x1 < <(time_of "SELECT sum(x.contribution) FROM (SELECT * FROM e WHERE id <= $n) t, automl_explain($m, t) x")
  awk -v name="$name" -v p="$p" -v x="$x" -v p1="$p1" -v x1="$x1" -v n="$n" -v rows="$ROWS" 'BEGIN {
    s = x * rows / n; printf "| %s | %.0f | %.0f | %.1f | %.1f× | %.1f× |\n", name, p, s, 1000 * x / n, s / p,
      x1 * rows / n / p1 }'
done
