#!/usr/bin/env bash
# stage.sh DIR — a private copy of PostgreSQL 15's server installation under
# DIR (PostgreSQL finds its share and lib directories relative to its
# binaries), so that a build can be installed and tested without touching the
# system's installation: several trees can then be tested at once.
# Prints the pg_config to pass to make:  make PG_CONFIG=$(test/stage.sh DIR)
set -euo pipefail
DIR=$1
if [ ! -x "$DIR/usr/lib/postgresql/15/bin/pg_config" ]; then
  mkdir -p "$DIR/usr/lib/postgresql" "$DIR/usr/share/postgresql" "$DIR/usr/include"
  chmod 755 "$DIR"   # the server runs as another user (postgres) than the one who stages
  cp -a /usr/lib/postgresql/15 "$DIR/usr/lib/postgresql/"
  cp -a /usr/share/postgresql/15 "$DIR/usr/share/postgresql/"
  ln -sfn /usr/include/postgresql "$DIR/usr/include/postgresql"
fi
echo "$DIR/usr/lib/postgresql/15/bin/pg_config"
