#!/usr/bin/python3
"""scikit-learn's HistGradientBoosting* on the data of boosting_bench.c.

Run from test/bench with one thread:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 boosting_sklearn.py
Same hyperparameters as the C bench: defaults with early stopping off (and one
run with early_stopping="auto" on the synthetic classification); times are the
best of several runs; predict_row is predict_proba / predict on one row.
"""
import csv
import os
import sys
import time

if os.environ.get("OMP_NUM_THREADS") != "1":
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def load(name, target, is_class):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index(target)
    X = np.array([[float(v) if v != "" else np.nan for j, v in enumerate(r) if j != t]
                  for r in rows])
    y = np.array([float(r[t]) for r in rows])
    if is_class:
        values = sorted(set(y))
        y = np.array([values.index(v) for v in y], dtype=float)
    return X, y


def splitmix64(x):
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def synthetic(n, p=20):
    k = np.arange(n * (p + 1), dtype=np.uint64)
    u = (splitmix64(k) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    u = u.reshape(n, p + 1)
    X = u[:, :p].copy()
    f = X[:, 0] + np.sin(6 * X[:, 1]) + X[:, 2] * X[:, 3] + 0.5 * X[:, 4] * X[:, 4] \
        + 0.6 * (u[:, p] - 0.5)
    return X, f, (f > 1.2).astype(float)


def bench(name, is_class, X, y, reps, **params):
    cls = HistGradientBoostingClassifier if is_class else HistGradientBoostingRegressor
    best_fit = best_pred = best_row = 1e30
    n_rows = min(len(y), 2000)
    for _ in range(reps):
        m = cls(random_state=42, **params)
        t0 = time.perf_counter()
        m.fit(X, y)
        best_fit = min(best_fit, time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = m.predict_proba(X) if is_class else m.predict(X)
        best_pred = min(best_pred, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(n_rows):
            (m.predict_proba if is_class else m.predict)(X[i:i + 1])
        best_row = min(best_row, (time.perf_counter() - t0) / n_rows)
    if is_class:
        metric = ("accuracy", float(np.mean(out.argmax(axis=1) == y)))
    else:
        metric = ("R2", 1 - np.sum((y - out) ** 2) / np.sum((y - y.mean()) ** 2))
    print("%-22s %7d x %-3d fit %9.1f ms  predict %8.2f ms  predict_row %7.2f us/row  "
          "train %s %.4f  n_iter %d" % (name, X.shape[0], X.shape[1], best_fit * 1e3,
                                        best_pred * 1e3, best_row * 1e6, metric[0], metric[1],
                                        m.n_iter_))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    off = dict(early_stopping=False)
    for name, target, is_class in [("breast_cancer.csv", "target", True),
                                   ("wine.csv", "target", True),
                                   ("diabetes.csv", "target", False)]:
        X, y = load(name, target, is_class)
        bench(name, is_class, X, y, 10, **off)
    X, yreg, ycls = synthetic(n)
    bench("synthetic classif.", True, X, ycls, 3, **off)
    bench("synthetic regression", False, X, yreg, 3, **off)
    bench("synth. classif. auto-es", True, X, ycls, 3)


if __name__ == "__main__":
    main()
