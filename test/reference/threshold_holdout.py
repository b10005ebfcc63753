#!/usr/bin/env python3
"""The rows automl_train holds out of bench.breast_cancer with seed 5 and
test_size 0.25 (aml_split.py reproduces its seeded, stratified holdout), as a
PostgreSQL int array of 0-based row numbers in file order: the train suite
checks on them that the stored holdout metrics of a model with a decision
threshold are those of automl_predict.  Run: python3 test/reference/threshold_holdout.py

With --shift: the "pos" rows (1-based i) that seed 42 and test_size 0.25 hold
out of the train suite's nb_shift table (2 000 rows, "pos" every 20th), of
which the suite puts outliers in rows 40, 100 and 140."""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from aml_split import holdout, search_rngs  # noqa: E402

if "--shift" in sys.argv:
    y = [1 if i % 20 == 0 else 0 for i in range(1, 2001)]
    hold_rng, _ = search_rngs(42)
    _, test = holdout(len(y), 0.25, y, 2, hold_rng)
    print(sorted(i + 1 for i in test if y[i] == 1))
    sys.exit(0)

with open(os.path.join(HERE, "..", "data", "breast_cancer.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
labels = [float(r["target"]) for r in rows]
classes = sorted(set(labels))
y = [classes.index(v) for v in labels]
hold_rng, _ = search_rngs(5)
_, test = holdout(len(y), 0.25, y, len(classes), hold_rng)
print("{" + ",".join(str(i) for i in sorted(test)) + "}")
