#!/usr/bin/env bash
# shap_bench.sh — builds and runs test/bench/shap_bench.c (pure layers, no
# server, one thread): µs per row of a 100-tree forest's output, of the
# leaf-wise TreeSHAP the product uses and of the recursive reference.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p test/bench/results
make -s test/unit/bin/libaml_pure.a
cc -O2 -g -std=gnu11 -ffp-contract=off -Isrc $(pkg-config --cflags json-c) \
  test/bench/shap_bench.c -Wl,--whole-archive test/unit/bin/libaml_pure.a \
  -Wl,--no-whole-archive $(pkg-config --libs json-c) -ldl -lm -o test/bench/results/shap_bench
export OPENBLAS_NUM_THREADS=1
./test/bench/results/shap_bench
