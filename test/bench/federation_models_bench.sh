#!/usr/bin/env bash
# federation_models_bench.sh — automl_fit over 3 nodes x ROWS rows
# (gaussian_nb: target g with 3 classes, features x1..x5; kmeans: k = 5 on
# x1..x5) against (a) the slowest node's local automl_fit on its own rows
# and (b) pulling the rows to the centre through postgres_fdw (a UNION ALL
# view of the nodes' foreign tables) and fitting there.  Four throwaway
# clusters on 127.0.0.1 (a centre holding an empty table of the same shape,
# and three nodes).  Note: the local gaussian_nb fit also computes holdout
# metrics (a second fit on 75% of the rows), the federated one does not;
# local kmeans runs 10 k-means++ starts, federated kmeans one start whose
# Lloyd iterations are one round (one read of every node's rows) each.
#
# Run as the postgres user with the staged server on PATH, from the tree:
#   runuser -u postgres -- env PATH="$(dirname $PGC):$PATH" test/bench/federation_models_bench.sh [ROWS] [REPEAT]
# Prints one line per measurement: what, milliseconds (best of REPEAT).
set -euo pipefail
ROWS=${1:-200000}
REPEAT=${2:-1}
. "$(dirname "$0")/lib/federation_setup.sh"
fed_clusters fedmbench "${FEDBENCH_PORT:-56530}"
fed_tables "x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text"
for i in 1 2 3; do
  q $i "SELECT setseed(0.$i); INSERT INTO t SELECT x1 + c, x2 - c, x3 + 0.5 * c, x4, x5, (ARRAY['a','b','c'])[1 + c] g
        FROM (SELECT random() x1, random() x2, random() x3, random() x4, random() x5,
                     floor(random() * 3)::int c FROM generate_series(1, $ROWS)) s"
  q $i "VACUUM ANALYZE t"
done
fed_centre "x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text"

NB="'g', 'gaussian_nb', features => '{x1,x2,x3,x4,x5}'"
KM="NULL, 'kmeans', '{\"n_clusters\": 5}', '{x1,x2,x3,x4,x5}'"
for what in nb km; do
  if [ $what = nb ]; then args=$NB; else args=$KM; fi
  slowest=0
  for i in 1 2 3; do
    ms=$(best $i "SELECT automl_fit('t', $args)")
    echo "$what local automl_fit on node $i ($ROWS rows): $ms ms"
    if [ "$ms" -gt "$slowest" ]; then slowest=$ms; fi
  done
  fed=$(best 0 "SELECT automl_fit('t', $args, nodes => '{n1,n2,n3}')")
  echo "$what federated automl_fit over 3 nodes ($((3 * ROWS)) rows): $fed ms = $(awk "BEGIN {printf \"%.2f\", $fed / $slowest}") x the slowest local"
  pulled=$(best 0 "SELECT automl_fit('pulled', $args)")
  echo "$what rows pulled through postgres_fdw and fitted at the centre: $pulled ms"
done
q 0 "SELECT 'kmeans federated iterations: ' || (metrics->>'n_iter') FROM automl.models WHERE algorithm = 'kmeans' AND metrics ? 'nodes' ORDER BY id DESC LIMIT 1"
