#!/usr/bin/env bash
# parallel_bench.sh — parallel evaluation of a search's candidates
# (automl.max_parallel_workers): pipelines evaluated per second with 1 and 2
# processes on the MIP table and two larger synthetic tables (max_evaluations,
# so both runs evaluate the same candidates: the script also checks that
# the leaderboards are identical), then the holdout score reached on the MIP
# table within 12 s and 60 s with 1 and 2 processes.
#
# Starts a throwaway cluster as the postgres user with the server of
# PG_BIN (the extension must be installed there), e.g. a staged build:
#   PG_BIN=/tmp/stage-x/usr/lib/postgresql/15/bin test/bench/parallel_bench.sh
# Takes about 10 minutes.  Knobs: EVALS="24 12 12" BUDGETS="12 60".
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
EVALS=(${EVALS:-24 12 12})
BUDGETS=${BUDGETS:-12 60}
DIR=$(mktemp -d /tmp/automl-parallel-bench.XXXXXX)
chown postgres "$DIR"
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$PG_BIN/initdb" -D "$DIR/data" -A trust >/dev/null
cat >> "$DIR/data/postgresql.conf" <<CONF
port = 5442
listen_addresses = ''
unix_socket_directories = '$DIR'
max_worker_processes = 16
max_parallel_workers_per_gather = 0
CONF
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
trap 'as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
psql() { as_pg env PGHOST="$DIR" PGPORT=5442 OPENBLAS_NUM_THREADS=1 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql -c "SET client_min_messages = warning" -c "CREATE EXTENSION automl" -f test/data/load_mip.sql >/dev/null
psql <<'SQL' >/dev/null
CREATE SCHEMA IF NOT EXISTS bench;
SELECT setseed(0.42);
-- 20 000 rows, 12 numeric and 2 categorical columns, 3 classes
CREATE TABLE bench.synth_cls AS
SELECT x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, c1, c2,
       CASE WHEN x1 + x2 * x3 + (c1 = 'a')::int + 0.3 * random() > 1.2 THEN 'high'
            WHEN x4 - x5 + 0.3 * random() > 0 THEN 'mid' ELSE 'low' END AS y
FROM (SELECT random() AS x1, random() AS x2, random() AS x3, random() AS x4, random() AS x5,
             random() AS x6, random() AS x7, random() AS x8, random() AS x9, random() AS x10,
             random() AS x11, random() AS x12,
             (ARRAY['a', 'b', 'c'])[1 + (random() * 2.99)::int] AS c1,
             (ARRAY['u', 'v', 'w', 'z'])[1 + (random() * 3.99)::int] AS c2
      FROM generate_series(1, 20000)) s;
-- 40 000 rows, 10 numeric columns, a regression target
CREATE TABLE bench.synth_reg AS
SELECT x1, x2, x3, x4, x5, x6, x7, x8, x9, x10,
       3 * x1 - 2 * x2 * x3 + sin(6 * x4) + x5 * x5 + 0.2 * random() AS y
FROM (SELECT random() AS x1, random() AS x2, random() AS x3, random() AS x4, random() AS x5,
             random() AS x6, random() AS x7, random() AS x8, random() AS x9, random() AS x10
      FROM generate_series(1, 40000)) s;
SQL

echo "## Parallel evaluation (automl.max_parallel_workers), $(nproc) CPUs"
echo
echo "| table | rows | max_evaluations | processes | evaluated | search s | pipelines/s in the search | speed-up | whole call s | speed-up | same leaderboard |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
i=0
for spec in "science.cde_features_a alzheimerbroadcategory" "bench.synth_cls y" "bench.synth_reg y"; do
  set -- $spec
  table=$1 target=$2 evals=${EVALS[$i]}
  i=$((i + 1))
  rows=$(psql -At -c "SELECT count(*) FROM $table")
  base_rate="" base_whole="" base_digest=""
  for w in 1 2; do
    # DEBUG1 says when the search (loading included) ended: "search done after X s"
    out=$(psql -At -F ' ' -c "SET client_min_messages = debug1" -c "SET automl.max_parallel_workers = $w" -c "
      SELECT evaluated, extract(epoch FROM elapsed), run_id
      FROM automl_train('$table', '$target', time_budget => '30 min', max_evaluations => $evals)" 2>"$DIR/stderr")
    search=$(sed -n 's/.*automl: search done after \([0-9.]*\) s.*/\1/p' "$DIR/stderr" | tail -1)
    set -- $out
    digest=$(psql -At -c "SELECT md5(string_agg(number || ':' || status || ':' || coalesce(mean_score::text, ''), ',' ORDER BY number))
                          FROM automl.pipelines WHERE run_id = $3")
    rate=$(awk -v e="$1" -v s="$search" 'BEGIN { printf "%.3f", e / s }')
    if [ -z "$base_rate" ]; then base_rate=$rate; base_whole=$2; base_digest=$digest; speed="1.00"; wspeed="1.00"; same="—"
    else speed=$(awk -v a="$rate" -v b="$base_rate" 'BEGIN { printf "%.2f", a / b }')
         wspeed=$(awk -v a="$2" -v b="$base_whole" 'BEGIN { printf "%.2f", b / a }')
         same=$([ "$digest" = "$base_digest" ] && echo yes || echo NO); fi
    printf '| %s | %s | %s | %s | %s | %.1f | %s | %s× | %.1f | %s× | %s |\n' "$table" "$rows" "$evals" "$w" "$1" "$search" "$rate" "$speed" "$2" "$wspeed" "$same"
  done
done
echo
echo "(search s: from the call's start to the end of the search, loading included, as DEBUG1 reports"
echo "it; whole call: loading, search, ensemble, holdout, refit on all rows and storing — the steps"
echo "after the search run in one process.)"
echo
echo "## MIP table: holdout score reached within a time budget"
echo
echo "| time budget | processes | evaluated | cv balanced accuracy | holdout balanced accuracy |"
echo "|---|---|---|---|---|"
for b in $BUDGETS; do
  for w in 1 2; do
    out=$(psql -At -F ' ' -c "SET client_min_messages = warning" -c "SET automl.max_parallel_workers = $w" -c "
      SELECT evaluated, round(cv_score::numeric, 4), round(holdout_score::numeric, 4)
      FROM automl_train('science.cde_features_a', 'alzheimerbroadcategory', time_budget => '$b s')")
    set -- $out
    echo "| $b s | $w | $1 | $2 | $3 |"
  done
done
