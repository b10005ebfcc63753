#!/usr/bin/python3
"""scikit-learn's transformers on the data of transformers_bench.c.

Run from test/bench with one thread:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 transformers_sklearn.py
Same steps as the C bench: StandardScaler, SimpleImputer (mean, median,
most_frequent), PCA(n_components=10) with the default solver (randomized on
the synthetic table) and with svd_solver="full", PolynomialFeatures(degree=2,
include_bias=False), SelectKBest(k=5) with f_classif / f_regression.  Times
are process CPU time (as in the C bench), the best of several runs, in
milliseconds; "row" is transform() of a single row, in microseconds (what a
per-row SQL call would cost).
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
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_classif, f_regression
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

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


MASK = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def splitmix64_np(x):
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def unif(k):
    return (splitmix64_np(k) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def synthetic(n, p):
    i = np.arange(n, dtype=np.uint64)[:, None]
    j = np.arange(p + 1, dtype=np.uint64)[None, :]
    U = unif(i * np.uint64(p + 1) + j)
    X = U[:, :p].copy()
    X[:, 1:] += 0.5 * U[:, :p - 1]
    f = U[:, 0] + np.sin(6 * U[:, 1]) + 0.6 * (U[:, p] - 0.5)
    return X, (f > 1.2).astype(float)


def best(fn, repeats):
    t = 1e30
    out = None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        t = min(t, time.process_time() - t0)
    return t, out


def bench(data, label, make, X, y, repeats):
    model = make()
    tf, _ = best(lambda: model.fit(X, y), repeats)
    tt, Z = best(lambda: model.transform(X), repeats)
    row = X[:1]
    n1 = 200
    t0 = time.process_time()
    for _ in range(n1):
        model.transform(row)
    tr = (time.process_time() - t0) / n1
    print(f"{data:14s} {label:34s} fit {tf * 1e3:9.3f} ms  transform {tt * 1e3:9.3f} ms  "
          f"row {tr * 1e6:9.1f} us  ({X.shape[1]} -> {Z.shape[1]} columns)")


def run_all(data, X, y, is_class, repeats):
    score = f_classif if is_class else f_regression
    bench(data, "standard_scaler", StandardScaler, X, y, repeats)
    bench(data, "simple_imputer", SimpleImputer, X, y, repeats)
    bench(data, '{"strategy": "median"}', lambda: SimpleImputer(strategy="median"), X, y, repeats)
    bench(data, '{"n_components": 10}', lambda: PCA(n_components=10), X, y, repeats)
    bench(data, '{"n_components": 10, "svd_solver": "full"}',
          lambda: PCA(n_components=10, svd_solver="full"), X, y, repeats)
    bench(data, "polynomial_features", lambda: PolynomialFeatures(2, include_bias=False), X, y,
          repeats)
    bench(data, '{"k": 5}', lambda: SelectKBest(score, k=5), X, y, repeats)


for name, file, target, is_class in [("breast_cancer", "breast_cancer.csv", "target", True),
                                     ("wine", "wine.csv", "target", True),
                                     ("diabetes", "diabetes.csv", "target", False)]:
    X, y = load(file, target, is_class)
    run_all(name, X, y, is_class, 50)

X, y = synthetic(100000, 20)
run_all("synthetic", X, y, True, 5)
i = np.arange(X.shape[0])[:, None]
j = np.arange(X.shape[1])[None, :]
X[(i * 21 + j) % 10 == 3] = np.nan
bench("synthetic+NaN", "simple_imputer", SimpleImputer, X, y, 5)
bench("synthetic+NaN", '{"strategy": "median"}', lambda: SimpleImputer(strategy="median"), X, y, 5)
bench("synthetic+NaN", '{"strategy": "most_frequent"}',
      lambda: SimpleImputer(strategy="most_frequent"), X, y, 2)
bench("synthetic+NaN", "standard_scaler", StandardScaler, X, y, 5)
