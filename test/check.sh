#!/usr/bin/env bash
# check.sh — runs the whole automl test suite on a Debian 12 machine, from a
# clean clone, as root (or a user with sudo): installs the Debian packages it
# needs, builds with warnings as errors, installs the extension, and runs
#   1. the C unit tests of the pure layers (make unit)
#   2. the pg_regress suites on a temporary instance (make regress)
#   3. the TAP tests with background workers (make tap)
#   4. the Marathon emulator's own tests
#   5. the fuzzer: randomized calls of every SQL function (test/fuzz/fuzz.py)
#   6. the sanitizer stage: everything built again with AddressSanitizer and
#      UndefinedBehaviorSanitizer, installed into its own staged copy of
#      PostgreSQL, and stages 1-3 and a shorter fuzz run with it; any
#      sanitizer report fails the stage
# PostgreSQL refuses to run as root, so server tests run as the postgres user
# in a copy of the tree that user can write.  Ends with a pass/fail summary
# per stage and one line "N passed, M failed" over the individual tests of
# all stages; the exit status is non-zero when any stage failed.
#
# What "a test" is, per stage: a unit check (CHECK in test/unit; a program
# that dies without reporting counts as one failure), a pg_regress test, a
# TAP test (an "ok" line; a file that dies without one counts as one
# failure), an emulator test case, a fuzzer call (plus its memory checks and
# final log check), and one sanitizer log scan per sanitized stage (failing
# with as many reports as it finds).
#
# AML_STAGE=DIR installs into a private copy of PostgreSQL under DIR
# (test/stage.sh) instead of the system's, so several trees can be tested at
# once on one machine; the sanitizer stage always installs into its own copy
# (DIR.sanitize, or a temporary directory without AML_STAGE).
# AML_SKIP_SANITIZE=1 leaves the sanitizer stage out (a quick local run).
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
BASE_PATH=$PATH
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
LOGS=$(mktemp -d /tmp/automl-check-logs.XXXXXX)
chmod 755 "$LOGS"
as_postgres() { $SUDO runuser -u postgres -- env PG_CONFIG="$PG_CONFIG" PATH="$PATH" "$@"; }

# ------------------------------------------------------------------ counting
# count_KIND LOG STATUS prints "passed failed" for one stage's output.
count_unit() {
  awk -v status="$2" '
    /^== / { prog = $2; reported = 0 }
    /^[0-9]+ checks, [0-9]+ failures$/ { p += $1 - $3; f += $3; reported = 1 }
    /^FAILED: / { if (!reported) f++ }
    END { if (status != 0 && f == 0) f = 1; print p + 0, f + 0 }' "$1"
}
count_regress() {
  awk -v status="$2" '
    / \.\.\. ok( |$)/ { p++ }
    / \.\.\. (FAILED|failed)/ { f++ }
    END { if (status != 0 && f == 0) f = 1; print p + 0, f + 0 }' "$1"
}
count_tap() {
  awk -v status="$2" '
    /^Files=[0-9]+, Tests=[0-9]+/ { split($2, a, "="); total = a[2] + 0; summary = 1 }
    /\(Wstat: [0-9]+.*Tests: [0-9]+ Failed: [0-9]+\)/ {
      match($0, /Failed: [0-9]+/); n = substr($0, RSTART + 8, RLENGTH - 8) + 0
      failed_tests += n; f += (n > 0 ? n : 1)
    }
    END {
      p = total - failed_tests
      if ((status != 0 || !summary) && f == 0) f = 1
      print (p > 0 ? p : 0), f + 0
    }' "$1"
}
count_unittest() {
  awk -v status="$2" '
    /^Ran [0-9]+ tests? in/ { ran = $2 }
    /^FAILED \(/ { s = $0; while (match(s, /(failures|errors)=[0-9]+/)) {
        split(substr(s, RSTART, RLENGTH), kv, "="); f += kv[2]; s = substr(s, RSTART + RLENGTH) } }
    END { if (status != 0 && f == 0) f = 1; p = ran - f; print (p > 0 ? p : 0), f + 0 }' "$1"
}
count_fuzz() {
  awk -v status="$2" '
    /^fuzz: [0-9]+ passed, [0-9]+ failed$/ { p = $2; f = $4 }
    END { if (status != 0 && f == 0) f = 1; print p + 0, f + 0 }' "$1"
}
count_scan() {
  awk -v status="$2" '
    /^sanitizer reports: [0-9]+$/ { n = $3 }
    END { if (n > 0) print 0, n; else if (status != 0) print 0, 1; else print 1, 0 }' "$1"
}

declare -a NAMES RESULTS
TOTAL_PASSED=0
TOTAL_FAILED=0
# stage NAME KIND COMMAND...: runs it, shows and keeps its output, counts it
stage() {
  local name=$1 kind=$2; shift 2
  local log="$LOGS/$(echo "$name" | tr -c 'A-Za-z0-9\n' '_').log"
  echo
  echo "== $name"
  local start=$SECONDS status
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  read -r passed failed < <("count_$kind" "$log" "$status")
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  if [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]; then RESULTS+=("PASS"); else RESULTS+=("FAIL"); fi
  NAMES+=("$name ($((SECONDS - start)) s): $passed passed, $failed failed")
}

stage "C unit tests" unit as_postgres make -s -C "$WORK" unit
stage "pg_regress suites" regress as_postgres make -s -C "$WORK" regress
stage "TAP tests" tap as_postgres make -s -C "$WORK" tap
stage "Marathon emulator tests" unittest as_postgres python3 "$WORK/test/marathon/test_marathon_emulator.py"
# every function up to 10 000 times as regress_fuzz and 300 times as superuser,
# in an equal share of 600 s (test/fuzz/fuzz.py --time-limit)
stage "fuzzer" fuzz as_postgres python3 "$WORK/test/fuzz/fuzz.py" --bindir "$($PGC --bindir)"

# ------------------------------------------------------------------ sanitizers
# AddressSanitizer inside the postmaster, and why it is reliable here:
#  * postgres itself is not instrumented; automl.so is (-fsanitize=address,
#    undefined), so the ASan runtime must be loaded before anything else
#    allocates.  The sanitizer stage's copy of PostgreSQL replaces
#    bin/postgres with a wrapper that execs the real binary with libasan in
#    LD_PRELOAD.  initdb, pg_ctl, pg_regress and the TAP framework all start
#    the server through bin/postgres, so every server of the stage runs with
#    it, and psql, perl and python do not.
#  * Preloading libasan alone deadlocks on Debian 12: the preloaded runtime's
#    constructor runs after those of the libraries postgres links (libraries
#    initialise in reverse load order), p11-kit's constructor (via libldap and
#    gnutls) calls newlocale() -> malloc() before ASan is initialised, and
#    the process later hangs on glibc's locale lock (even "postgres -V").
#    So the wrapper preloads postgres's own libraries first and libasan last:
#    ASan then initialises first (verify_asan_link_order=0 accepts the order;
#    no library before it defines malloc).
#  * fork without exec is fine for ASan (a single-threaded postmaster; the
#    shadow memory is inherited); PostgreSQL's memory contexts hide chunk
#    bounds from ASan, so the sanitized build gives the pure layers one
#    malloc per block (AML_SANITIZE in src/pg/core_bridge.c).
#  * detect_leaks=0 for servers: a backend exits with its memory contexts
#    still allocated by design.  The unit tests run with LeakSanitizer.
#  * Reports: ASan aborts the process (the postmaster then logs "exited with
#    exit code 1" and restarts: the tests fail), UBSan reports and carries
#    on.  Reports go to the log_path files, or to the process's stderr (the
#    postmaster log) when ASan could not honour log_path, so both the
#    log_path directory and every server log of the stage are scanned.
sanitize_setup() {
  local bindir=$1 libasan deps
  libasan=$(gcc -print-file-name=libasan.so)
  libasan=$(readlink -f "$libasan")
  [ -f "$bindir/postgres.real" ] || mv "$bindir/postgres" "$bindir/postgres.real"
  deps=$(ldd "$bindir/postgres.real" | awk '/=> \// { print $3 }' |
         grep -vE '/(libc|libm|libgcc_s|libpthread|libdl|librt)\.so' | tr '\n' ':')
  cat >"$bindir/postgres" <<EOF
#!/bin/sh
# written by test/check.sh's sanitizer stage: the server with AddressSanitizer
LD_PRELOAD="$deps$libasan\${LD_PRELOAD:+:\$LD_PRELOAD}" exec "\$(dirname "\$0")/postgres.real" "\$@"
EOF
  chmod 755 "$bindir/postgres"
}

# scan_reports DIR...: the sanitizer reports in the given logs and in the
# log_path directory; prints them and their count (distinct report lines),
# fails when there is one.  Scanned log_path files are moved aside so each
# report fails one stage only.
scan_reports() {
  local pattern='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' n
  n=$(grep -rhE "$pattern" "$SANLOG" "$@" 2>/dev/null | sort -u | wc -l)
  if [ "$n" -gt 0 ]; then
    grep -rE -A14 "$pattern" "$SANLOG" "$@" 2>/dev/null | head -200
  fi
  mkdir -p "$SANLOG/seen"
  find "$SANLOG" -maxdepth 1 -type f -exec mv {} "$SANLOG/seen/" \;
  echo "sanitizer reports: $n"
  [ "$n" -eq 0 ]
}

if [ -z "${AML_SKIP_SANITIZE:-}" ]; then
  SAN_DIR=${AML_STAGE:+$AML_STAGE.sanitize}
  SAN_DIR=${SAN_DIR:-$(mktemp -d /tmp/automl-sanitize-stage.XXXXXX)}
  SAN_PGC=$(test/stage.sh "$SAN_DIR")
  SAN_BIN=$($SAN_PGC --bindir)
  WORK_SAN=$(mktemp -d /tmp/automl-check-sanitize.XXXXXX)
  SANLOG=$(mktemp -d /tmp/automl-sanitizer-logs.XXXXXX)
  cp -a "$SRC"/. "$WORK_SAN"/
  echo
  echo "== building with AddressSanitizer and UndefinedBehaviorSanitizer"
  start=$SECONDS
  if make -s -C "$WORK_SAN" clean >/dev/null 2>&1 &&
     make -s -C "$WORK_SAN" -j2 WERROR=1 SANITIZE=address,undefined PG_CONFIG="$SAN_PGC" >"$BUILD_LOG" 2>&1 &&
     make -s -C "$WORK_SAN" install SANITIZE=address,undefined PG_CONFIG="$SAN_PGC" >/dev/null &&
     sanitize_setup "$SAN_BIN"; then
    chown -R postgres:postgres "$WORK_SAN" "$SANLOG"
    chmod 755 "$WORK_SAN"
    NAMES+=("sanitized build ($((SECONDS - start)) s)"); RESULTS+=("PASS")
    SAN_ASAN="verify_asan_link_order=0:abort_on_error=0:allocator_may_return_null=1:log_path=$SANLOG/asan"
    SAN_UBSAN="print_stacktrace=1:halt_on_error=0:log_path=$SANLOG/ubsan"
    as_sanitized() {   # LEAKS SCRIPT...: as postgres, with the stage's PostgreSQL first in PATH
      local leaks=$1; shift
      $SUDO runuser -u postgres -- env PG_CONFIG="$SAN_PGC" PATH="$SAN_BIN:$BASE_PATH" \
        ASAN_OPTIONS="$SAN_ASAN:detect_leaks=$leaks" UBSAN_OPTIONS="$SAN_UBSAN" "$@"
    }
    stage "sanitized: C unit tests" unit as_sanitized 1 make -s -C "$WORK_SAN" unit SANITIZE=address,undefined
    stage "sanitized: unit test reports" scan scan_reports
    stage "sanitized: pg_regress suites" regress as_sanitized 0 make -s -C "$WORK_SAN" regress
    stage "sanitized: pg_regress reports" scan scan_reports "$WORK_SAN/test/log"
    stage "sanitized: TAP tests" tap as_sanitized 0 make -s -C "$WORK_SAN" tap
    stage "sanitized: TAP reports" scan scan_reports "$WORK_SAN/test/tmp_check"
    # fewer calls: the sanitized server is slower; the fuzzer itself fails
    # on a sanitizer report (server log and log_path files) and names the
    # call (the reports of its KNOWN_ISSUES excepted)
    stage "sanitized: fuzzer" fuzz as_sanitized 0 env AML_FUZZ_NO_RSS=1 \
      python3 "$WORK_SAN/test/fuzz/fuzz.py" --bindir "$SAN_BIN" --expect-asan --sanitizer-log-dir "$SANLOG" \
      --calls 3000 --superuser-calls 100
  else
    cat "$BUILD_LOG"
    NAMES+=("sanitized build ($((SECONDS - start)) s): build failed"); RESULTS+=("FAIL")
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
  fi
fi

echo
echo "== summary"
failed=0
for i in "${!NAMES[@]}"; do
  printf '  %-4s %s\n' "${RESULTS[$i]}" "${NAMES[$i]}"
  [ "${RESULTS[$i]}" = PASS ] || failed=1
done
if [ $failed -ne 0 ]; then
  [ -f "$WORK/test/regression.diffs" ] && { echo; echo "== regression.diffs"; head -200 "$WORK/test/regression.diffs"; }
  [ -n "${WORK_SAN:-}" ] && [ -f "$WORK_SAN/test/regression.diffs" ] &&
    { echo; echo "== regression.diffs (sanitized)"; head -200 "$WORK_SAN/test/regression.diffs"; }
  echo "SOME TESTS FAILED (work trees kept in $WORK${WORK_SAN:+ and $WORK_SAN}; stage logs in $LOGS)"
  echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
  exit 1
fi
rm -rf "$WORK" "$LOGS" ${WORK_SAN:+"$WORK_SAN"} ${SANLOG:+"$SANLOG"}
[ -z "${AML_STAGE:-}" ] && [ -n "${SAN_DIR:-}" ] && rm -rf "$SAN_DIR"
echo "ALL TESTS PASSED"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
