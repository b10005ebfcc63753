#!/usr/bin/python3
"""scikit-learn side of the linear-model benchmark (compare with linear_bench.c).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 test/bench/linear_sklearn.py [reps]

Same data and hyperparameters as test/bench/linear_bench.c: diabetes (raw),
breast_cancer and wine (standardised), and a synthetic 100000 x 20 table
built from a counter-based splitmix64 hash that the C program reproduces
exactly.  Prints, per model, the best of `reps` fit times and the batch
prediction time (predict for regressors, predict_proba for logistic
regression, decision_function for the SVM) in milliseconds of process CPU
time (one thread everywhere; CPU time is less disturbed by other load).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import csv  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression,  # noqa: E402
                                  LogisticRegression, Ridge)
from sklearn.svm import LinearSVC  # noqa: E402

warnings.simplefilter("ignore")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "test", "data")

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix(k):
    """splitmix64 output for counters k (uint64 array), seed 12345."""
    with np.errstate(over="ignore"):
        z = np.uint64(12345) + (k + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def uniform(k):
    return (splitmix(k) >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def synthetic(n=100000, p=20):
    """X uniform in [-1, 1); y = X beta + uniform noise; binary and 3-class labels."""
    idx = np.arange(n * p, dtype=np.uint64).reshape(n, p)
    X = 2.0 * uniform(idx) - 1.0
    beta = np.array([(j % 5) - 2 + 0.5 for j in range(p)])
    noise = 2.0 * uniform(np.uint64(n * p) + np.arange(n, dtype=np.uint64)) - 1.0
    z = np.zeros(n)
    for j in range(p):  # the C program's summation order
        z = z + beta[j] * X[:, j]
    yr = z + noise
    yb = (yr > 0).astype(float)
    y3 = np.where(yr < -1.0, 0.0, np.where(yr < 1.0, 1.0, 2.0))
    return X, yr, yb, y3


def load(name, target):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    t = rows[0].index(target)
    X = np.array([[float(v) for j, v in enumerate(r) if j != t] for r in rows[1:]])
    y = np.array([float(r[t]) for r in rows[1:]])
    return X, y


def standardise(X):
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std == 0] = 1
    return (X - mean) / std


def bench(name, model, X, y, how, reps):
    best_fit = best_pred = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        model.fit(X, y)
        t1 = time.process_time()
        getattr(model, how)(X)
        t2 = time.process_time()
        best_fit = min(best_fit, t1 - t0)
        best_pred = min(best_pred, t2 - t1)
    print(f"{name:40s} fit {best_fit * 1e3:10.3f} ms   predict {best_pred * 1e3:9.3f} ms"
          f"   ({X.shape[0]} x {X.shape[1]})", flush=True)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    X, y = load("diabetes.csv", "target")
    for name, m in [("linear_regression", LinearRegression()), ("ridge", Ridge()),
                    ("lasso", Lasso()), ("elastic_net", ElasticNet())]:
        bench("diabetes " + name, m, X, y, "predict", reps)

    X, y = load("breast_cancer.csv", "target")
    X = standardise(X)
    bench("breast_cancer logistic_regression", LogisticRegression(), X, y, "predict_proba", reps)
    bench("breast_cancer logistic_regression l1",
          LogisticRegression(penalty="l1", solver="liblinear"), X, y, "predict_proba", reps)
    bench("breast_cancer linear_svm", LinearSVC(), X, y, "decision_function", reps)

    X, y = load("wine.csv", "target")
    X = standardise(X)
    bench("wine logistic_regression", LogisticRegression(), X, y, "predict_proba", reps)
    bench("wine logistic_regression l1",
          LogisticRegression(penalty="l1", solver="saga"), X, y, "predict_proba", reps)
    bench("wine linear_svm", LinearSVC(), X, y, "decision_function", reps)

    X, yr, yb, y3 = synthetic()
    reps = max(1, reps // 2)
    for name, m in [("linear_regression", LinearRegression()), ("ridge", Ridge()),
                    ("lasso", Lasso(alpha=0.01)), ("elastic_net", ElasticNet(alpha=0.01))]:
        bench("synthetic " + name, m, X, yr, "predict", reps)
    bench("synthetic logistic_regression", LogisticRegression(), X, yb, "predict_proba", reps)
    bench("synthetic logistic_regression l1",
          LogisticRegression(penalty="l1", solver="liblinear"), X, yb, "predict_proba", reps)
    bench("synthetic logistic_regression 3 classes", LogisticRegression(), X, y3,
          "predict_proba", reps)
    bench("synthetic linear_svm", LinearSVC(), X, yb, "decision_function", reps)
    bench("synthetic linear_svm 3 classes", LinearSVC(), X, y3, "decision_function", reps)


if __name__ == "__main__":
    main()
