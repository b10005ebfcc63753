#!/usr/bin/env bash
# check.sh — runs the whole automl test suite on a Debian 12 machine, from a
# clean clone, as root (or a user with sudo): installs the Debian packages it
# needs, builds with warnings as errors, installs the extension, and runs
#   1. the C unit tests of the pure layers (make unit)
#   2. the pg_regress suites on a temporary instance (make regress)
#   3. the TAP tests with background workers (make tap)
#   4. the Marathon emulator's own tests
# PostgreSQL refuses to run as root, so server tests run as the postgres user
# in a copy of the tree that user can write.  Ends with a pass/fail summary;
# the exit status is non-zero when any stage failed.
#
# AML_STAGE=DIR installs into a private copy of PostgreSQL under DIR
# (test/stage.sh) instead of the system's, so several trees can be tested at
# once on one machine.
set -uo pipefail

cd "$(dirname "$0")/.."
SRC=$(pwd)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "== installing packages"
test/install-deps.sh || { echo "installing packages failed"; exit 1; }
PGC=/usr/lib/postgresql/15/bin/pg_config
if [ -n "${AML_STAGE:-}" ]; then PGC=$(test/stage.sh "$AML_STAGE"); fi
export PG_CONFIG=$PGC
export PATH="$($PGC --bindir):$PATH"

echo "== building (warnings are errors) and installing"
BUILD_LOG=$(mktemp /tmp/automl-build.XXXXXX)
make -s clean >/dev/null 2>&1
if ! make -s -j2 WERROR=1 >"$BUILD_LOG" 2>&1; then
  cat "$BUILD_LOG"; echo "build failed"; exit 1
fi
$SUDO make -s install >/dev/null || { echo "make install failed"; exit 1; }

# a copy of the tree that the postgres user owns
WORK=$(mktemp -d /tmp/automl-check.XXXXXX)
cp -a "$SRC"/. "$WORK"/
chown -R postgres:postgres "$WORK"
chmod 755 "$WORK"
as_postgres() { $SUDO runuser -u postgres -- env PG_CONFIG="$PGC" PATH="$PATH" "$@"; }

declare -a NAMES RESULTS
stage() {
  local name=$1; shift
  echo
  echo "== $name"
  local start=$SECONDS
  if "$@"; then RESULTS+=("PASS"); else RESULTS+=("FAIL"); fi
  NAMES+=("$name ($((SECONDS - start)) s)")
}

stage "C unit tests" as_postgres make -s -C "$WORK" unit
stage "pg_regress suites" as_postgres make -s -C "$WORK" regress
stage "TAP tests" as_postgres make -s -C "$WORK" tap
stage "Marathon emulator tests" as_postgres python3 "$WORK/test/marathon/test_marathon_emulator.py"

echo
echo "== summary"
failed=0
for i in "${!NAMES[@]}"; do
  printf '  %-4s %s\n' "${RESULTS[$i]}" "${NAMES[$i]}"
  [ "${RESULTS[$i]}" = PASS ] || failed=1
done
if [ $failed -ne 0 ]; then
  [ -f "$WORK/test/regression.diffs" ] && { echo; echo "== regression.diffs"; head -200 "$WORK/test/regression.diffs"; }
  echo "SOME TESTS FAILED (work tree kept in $WORK)"
  exit 1
fi
rm -rf "$WORK"
echo "ALL TESTS PASSED"
