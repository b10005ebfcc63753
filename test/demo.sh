#!/usr/bin/env bash
# demo.sh — the README's quick start: installs what is missing, builds and
# installs automl, starts a throwaway PostgreSQL 15 cluster (as the postgres
# user, in /tmp/automl-demo, port $AUTOML_DEMO_PORT or 5433), loads the MIP
# sample patients and shows what automl does with them.  The cluster keeps
# running afterwards so you can explore; the last lines say how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
PORT=${AUTOML_DEMO_PORT:-5433}
DIR=/tmp/automl-demo
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
BIN=/usr/lib/postgresql/15/bin
as_postgres() { $SUDO runuser -u postgres -- "$@"; }

echo "== installing packages, building and installing automl"
test/install-deps.sh
make -s -j2 >/tmp/automl-demo-build.log 2>&1 || { cat /tmp/automl-demo-build.log; exit 1; }
$SUDO make -s install >/dev/null

echo "== starting a throwaway cluster in $DIR on port $PORT"
if [ -f "$DIR/data/postmaster.pid" ]; then as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true; fi
$SUDO rm -rf "$DIR"
$SUDO mkdir -p "$DIR"
$SUDO chown postgres:postgres "$DIR"
as_postgres "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
as_postgres tee -a "$DIR/data/postgresql.conf" >/dev/null <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$DIR'
shared_preload_libraries = 'automl'
automl.database = 'automl_demo'
CONF
as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
as_postgres "$BIN/createdb" -h "$DIR" -p "$PORT" automl_demo
# psql reads test/data relative to its working directory, as the postgres user
$SUDO mkdir -p "$DIR/test"
$SUDO cp -r "$SRC/test/data" "$SRC/test/demo.sql" "$DIR/test/"
$SUDO chown -R postgres:postgres "$DIR/test"
(cd "$DIR" && as_postgres psql -h "$DIR" -p "$PORT" -d automl_demo -X -q -f test/demo.sql)

cat <<MSG

The cluster is still running. Explore it with:
  sudo -u postgres psql -h $DIR -p $PORT -d automl_demo
Stop and remove it with:
  sudo -u postgres $BIN/pg_ctl -D $DIR/data stop && sudo rm -rf $DIR
MSG
