#!/usr/bin/env bash
# ml_bench.sh — the ML core against scikit-learn, one thread each: builds
# test/bench/ml_bench.c, runs it and test/bench/ml_sklearn.py (Debian's
# python3-sklearn) on the same data, and prints a markdown table of fit and
# predict times and holdout scores.  Usage: test/bench/ml_bench.sh [small]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p test/bench/results
make -s test/unit/bin/libaml_pure.a test/unit/bin/obj/testlib/csv.o test/unit/bin/obj/testlib/unit.o
cc -O2 -std=gnu11 -ffp-contract=off -Isrc -Itest/unit/lib $(pkg-config --cflags json-c) \
  test/bench/ml_bench.c test/unit/bin/obj/testlib/csv.o -Wl,--whole-archive test/unit/bin/libaml_pure.a \
  -Wl,--no-whole-archive $(pkg-config --libs json-c) -ldl -lm -o test/bench/results/ml_bench
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
(cd test/bench && ./results/ml_bench "${1:-all}" > results/ml_automl.csv)
(cd test/bench && /usr/bin/python3 ml_sklearn.py "${1:-all}" > results/ml_sklearn.csv)
/usr/bin/python3 - <<'PY'
import csv
ours = {(r["family"], r["dataset"]): r for r in csv.DictReader(open("test/bench/results/ml_automl.csv"))}
theirs = {(r["family"], r["dataset"]): r for r in csv.DictReader(open("test/bench/results/ml_sklearn.csv"))}
print("| family | dataset | fit ms (automl / sklearn) | predict ms (automl / sklearn) | score (automl / sklearn) |")
print("|---|---|---|---|---|")
slower = worse = 0
for key, o in ours.items():
    t = theirs.get(key)
    if t is None:
        continue
    fo, ft, po, pt = (float(o["fit_ms"]), float(t["fit_ms"]), float(o["predict_ms"]), float(t["predict_ms"]))
    so, st = float(o["score"]), float(t["score"])
    flag = ""
    if fo > ft or po > pt:
        slower += 1
        flag += " (slower)"
    if so < st - 0.01:
        worse += 1
        flag += " (less accurate)"
    print("| %s | %s | %.2f / %.2f (%.1fx) | %.2f / %.2f (%.1fx) | %.4f / %.4f%s |" %
          (key[0], key[1], fo, ft, ft / max(fo, 1e-3), po, pt, pt / max(po, 1e-3), so, st, flag))
print("\n%d comparisons; slower in %d, less accurate (by more than 0.01) in %d" % (len(ours), slower, worse))
PY
