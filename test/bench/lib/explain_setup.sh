# explain_setup.sh — sourced by explain_bench.sh and explain_cache_bench.sh:
# a throwaway cluster as the postgres user with the binaries of PG_CONFIG,
# the extension created, a table of random rows and automl_fit on it.
#
#   explain_cluster NAME PORT [CONF...]   initdb + start in /tmp/NAME.XXXXXX on
#       PORT (a Unix socket there only), parallel query and JIT off, extra
#       postgresql.conf lines CONF; stopped and removed on exit.  Defines
#       as_pg, psql_ (psql on that cluster, stopping at the first error) and
#       DIR, BIN.
#   explain_table TABLE ROWS              TABLE(id, x1..x20 uniform on [0, 1), y) with
#       y = x1 + 2 x2 - x3 + 0.5 x4 x5 + 0.1 U(0, 1), then VACUUM ANALYZE.
#   explain_fit TABLE FAMILY [PARAMS]      automl_fit(TABLE, 'y', FAMILY, PARAMS)
#       on x1..x20; models get ids 1, 2, ... in the order they are fitted.
# The caller has cd'd to the repository's root and runs as root.

F='{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20}'

as_pg() { runuser -u postgres -- "$@"; }

explain_cluster() {
  local name=$1 port=$2
  shift 2
  DIR=$(mktemp -d "/tmp/$name.XXXXXX")
  chown postgres "$DIR"
  BIN=$(${PG_CONFIG:-pg_config} --bindir)
  EXPLAIN_PORT=$port
  as_pg "$BIN/initdb" -D "$DIR/data" -A trust >/dev/null
  {
    echo "port = $port"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$DIR'"
    for line in "$@"; do echo "$line"; done
    echo "max_parallel_workers_per_gather = 0"
    echo "jit = off"
  } >> "$DIR/data/postgresql.conf"
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
  trap 'as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null; rm -rf "$DIR"' EXIT
  psql_ -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION automl'
}

psql_() { as_pg "$BIN/psql" -h "$DIR" -p "$EXPLAIN_PORT" -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }

explain_table() {
  psql_ <<SQL
CREATE TABLE $1 AS
SELECT i AS id, $(for j in $(seq 1 20); do printf 'random() AS x%d, ' "$j"; done) 0.0::float8 AS y
FROM generate_series(1, $2) i;
UPDATE $1 SET y = x1 + 2 * x2 - x3 + 0.5 * x4 * x5 + 0.1 * random();
VACUUM ANALYZE $1;
SQL
}

explain_fit() {
  psql_ -c 'SET client_min_messages = warning' \
    -c "SELECT automl_fit('$1', 'y', '$2', ${3:+'$3', }features => '$F')"
}
