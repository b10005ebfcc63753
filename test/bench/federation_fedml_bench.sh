#!/usr/bin/env bash
# federation_fedml_bench.sh — multinomial_nb, bernoulli_nb and knn fitted
# over 3 nodes x ROWS rows (target g with 3 classes, features x1..x5)
# against (a) the slowest node's local automl_fit on its own rows and (b)
# pulling the rows to the centre through postgres_fdw and fitting there;
# and the k-fold validation of automl_experiment's naiveBayes over the
# nodes (k = 5) against the same experiment on the pulled rows.  knn needs
# automl.federation_allow_rows = on on every node (set here).  Same
# clusters as federation_models_bench.sh (lib/federation_setup.sh).
#
# Run as the postgres user with the staged server on PATH, from the tree:
#   runuser -u postgres -- env PATH="$(dirname $PGC):$PATH" test/bench/federation_fedml_bench.sh [ROWS] [REPEAT]
# Prints one line per measurement: what, milliseconds (best of REPEAT).
set -euo pipefail
ROWS=${1:-100000}
REPEAT=${2:-1}
. "$(dirname "$0")/lib/federation_setup.sh"
fed_clusters fedmlbench "${FEDBENCH_PORT:-56540}"
fed_tables "x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text"
for i in 1 2 3; do
  q $i "SELECT setseed(0.$i); INSERT INTO t SELECT x1 + c, x2 - c, x3 + 0.5 * c, x4, x5, (ARRAY['a','b','c'])[1 + c] g
        FROM (SELECT random() x1, random() x2, random() x3, random() x4, random() x5,
                     floor(random() * 3)::int c FROM generate_series(1, $ROWS)) s"
  q $i "VACUUM ANALYZE t"
  echo "automl.federation_allow_rows = on" >> "$BASE/n$i/postgresql.conf"
  # timings without suppression: on these well-separated classes some
  # class's count below a Bernoulli threshold, and some confusion cell of
  # the validation, is under 10 on every node (the fit/validation would be
  # suppressed with the default)
  echo "automl.min_group_size = 1" >> "$BASE/n$i/postgresql.conf"
  q $i "SELECT pg_reload_conf()" >/dev/null
done
fed_centre "x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text"

for algo in multinomial_nb bernoulli_nb knn; do
  args="'g', '$algo', features => '{x1,x2,x3,x4,x5}'"
  slowest=0
  for i in 1 2 3; do
    ms=$(best $i "SELECT automl_fit('t', $args)")
    echo "$algo local automl_fit on node $i ($ROWS rows): $ms ms"
    if [ "$ms" -gt "$slowest" ]; then slowest=$ms; fi
  done
  fed=$(best 0 "SELECT automl_fit('t', $args, nodes => '{n1,n2,n3}')")
  echo "$algo federated automl_fit over 3 nodes ($((3 * ROWS)) rows): $fed ms = $(awk "BEGIN {printf \"%.2f\", $fed / $slowest}") x the slowest local"
  pulled=$(best 0 "SELECT automl_fit('pulled', $args)")
  echo "$algo rows pulled through postgres_fdw and fitted at the centre: $pulled ms"
done
Q='{"variables": [{"code": "g"}], "covariables": [{"code": "x1"}, {"code": "x2"}, {"code": "x3"}, {"code": "x4"}, {"code": "x5"}], "targetTable": {"name": "TABLE"}, "algorithms": [{"code": "naiveBayes"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "5"}]}]}'
q 0 "CREATE TABLE pooled AS SELECT * FROM pulled"
fed=$(best 0 "SELECT automl_experiment('${Q/TABLE/t}', true, '{n1,n2,n3}')")
echo "experiment (naiveBayes, 5-fold) over 3 nodes: $fed ms"
loc=$(best 0 "SELECT automl_experiment('${Q/TABLE/pooled}', true)")
echo "the same experiment on the pooled rows at the centre (local 5-fold): $loc ms"
