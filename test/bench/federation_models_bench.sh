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
BASE=$(mktemp -d /tmp/fedmbench.XXXXXX)
PORT0=${FEDBENCH_PORT:-56530}
trap 'for i in 0 1 2 3; do pg_ctl -D "$BASE/n$i" -m immediate stop >/dev/null 2>&1 || true; done; rm -rf "$BASE"' EXIT

for i in 0 1 2 3; do
  initdb -A trust -D "$BASE/n$i" >/dev/null
  cat >> "$BASE/n$i/postgresql.conf" <<CONF
port = $((PORT0 + i))
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
max_parallel_workers_per_gather = 0
CONF
  pg_ctl -D "$BASE/n$i" -l "$BASE/n$i.log" -w start >/dev/null
done
q() { psql -X -q -At -h "$BASE" -p $((PORT0 + $1)) -d postgres -v ON_ERROR_STOP=1 -c "$2"; }

for i in 0 1 2 3; do
  q $i "CREATE EXTENSION automl"
  q $i "CREATE TABLE t (x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text)"
  q $i "CREATE ROLE fed LOGIN IN ROLE automl_federation_member; GRANT SELECT ON t TO fed"
done
for i in 1 2 3; do
  q $i "SELECT setseed(0.$i); INSERT INTO t SELECT x1 + c, x2 - c, x3 + 0.5 * c, x4, x5, (ARRAY['a','b','c'])[1 + c] g
        FROM (SELECT random() x1, random() x2, random() x3, random() x4, random() x5,
                     floor(random() * 3)::int c FROM generate_series(1, $ROWS)) s"
  q $i "VACUUM ANALYZE t"
done
q 0 "CREATE EXTENSION postgres_fdw"
for i in 1 2 3; do
  q 0 "CREATE SERVER s$i FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '$((PORT0 + i))', dbname 'postgres', fetch_size '10000');
       CREATE USER MAPPING FOR CURRENT_USER SERVER s$i OPTIONS (user 'fed');
       CREATE FOREIGN TABLE ft$i (x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, g text) SERVER s$i OPTIONS (table_name 't');
       SELECT automl_node_add('n$i', 's$i')"
done
q 0 "CREATE VIEW pulled AS SELECT * FROM ft1 UNION ALL SELECT * FROM ft2 UNION ALL SELECT * FROM ft3"

best() {  # best() node sql -> best wall time in ms over REPEAT runs
  local node=$1 sql=$2 b=""
  for r in $(seq "$REPEAT"); do
    local t0 t1 ms
    t0=$(date +%s%N)
    q "$node" "SET client_min_messages = warning; $sql" >/dev/null
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$b" ] || [ "$ms" -lt "$b" ]; then b=$ms; fi
  done
  echo "$b"
}

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
