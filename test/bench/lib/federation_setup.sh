# federation_setup.sh — sourced by federation_bench.sh and
# federation_models_bench.sh: four throwaway clusters on 127.0.0.1 (node 0
# the centre, nodes 1-3 the hospitals), run as the postgres user with the
# staged server on PATH.
#
#   fed_clusters PREFIX PORT0   initdb + start n0..n3 in /tmp/PREFIX.XXXXXX on
#       ports PORT0..PORT0+3 (parallel query off); stopped and removed on
#       exit.  Defines BASE, PORT0 and q NODE SQL (psql -At on that node,
#       stopping at the first error).
#   fed_tables COLUMNS          on every node: the extension, an empty table
#       t (COLUMNS), and a login role fed, member of automl_federation_member,
#       that may read it (the user mappings' role).
#   fed_centre COLUMNS          on the centre: postgres_fdw servers s1..s3 with
#       user mappings as fed, foreign tables ft1..ft3 (COLUMNS) of the
#       nodes' t, the federation nodes n1..n3 (automl_node_add) and a view
#       pulled = ft1 UNION ALL ft2 UNION ALL ft3.
#   best NODE SQL               the best wall time in ms of SQL on NODE over
#       REPEAT runs.

fed_clusters() {
  BASE=$(mktemp -d "/tmp/$1.XXXXXX")
  PORT0=$2
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
}

q() { psql -X -q -At -h "$BASE" -p $((PORT0 + $1)) -d postgres -v ON_ERROR_STOP=1 -c "$2"; }

fed_tables() {
  for i in 0 1 2 3; do
    q $i "CREATE EXTENSION automl"
    q $i "CREATE TABLE t ($1)"
    q $i "CREATE ROLE fed LOGIN IN ROLE automl_federation_member; GRANT SELECT ON t TO fed"
  done
}

fed_centre() {
  q 0 "CREATE EXTENSION postgres_fdw"
  for i in 1 2 3; do
    q 0 "CREATE SERVER s$i FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '$((PORT0 + i))', dbname 'postgres', fetch_size '10000');
         CREATE USER MAPPING FOR CURRENT_USER SERVER s$i OPTIONS (user 'fed');
         CREATE FOREIGN TABLE ft$i ($1) SERVER s$i OPTIONS (table_name 't');
         SELECT automl_node_add('n$i', 's$i')"
  done
  q 0 "CREATE VIEW pulled AS SELECT * FROM ft1 UNION ALL SELECT * FROM ft2 UNION ALL SELECT * FROM ft3"
}

best() {
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
