#!/usr/bin/env bash
# calibration_bench.sh — builds and runs test/bench/calibration_bench.c (the
# pure layers only, no server): holdout log loss of every classification
# table of test/data and six families, without and with the calibration
# chosen on out-of-fold predictions.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p test/bench/results
make -s test/unit/bin/libaml_pure.a test/unit/bin/obj/testlib/csv.o
cc -O2 -g -std=gnu11 -ffp-contract=off -Isrc -Itest/unit/lib $(pkg-config --cflags json-c) \
  test/bench/calibration_bench.c test/unit/bin/obj/testlib/csv.o -Wl,--whole-archive test/unit/bin/libaml_pure.a \
  -Wl,--no-whole-archive $(pkg-config --libs json-c) -ldl -lm -o test/bench/results/calibration_bench
export OPENBLAS_NUM_THREADS=1
(cd test/bench && ./results/calibration_bench)
