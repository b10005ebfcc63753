#!/usr/bin/python3
"""scikit-learn counterpart of test/bench/trees_bench.c: fit and predict times
and holdout scores of DecisionTree*, RandomForest* and ExtraTrees* (n_jobs=1,
one BLAS/OpenMP thread) on the same data and the same split.

  /usr/bin/python3 test/bench/trees_sklearn.py [dataset [model]]

dataset: breast_cancer wine diabetes synthetic synthetic_reg (default: all)
model:   decision_tree random_forest extra_trees (default: all)
Split: row i is a test row when i % 4 == 0.  The synthetic data are described
in trees_bench.c (splitmix64 seeded with 42).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import csv  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,  # noqa: E402
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MASK = (1 << 64) - 1


def load(name, classify):
    with open(os.path.join(ROOT, "test", "data", name + ".csv")) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index("target")
    X = np.array([[float(r[j]) for j in range(len(header)) if j != t] for r in rows])
    y = np.array([float(r[t]) for r in rows])
    if classify:
        y = np.searchsorted(np.unique(y), y)
    return X, y


def synthetic(n=100000, p=20, regression=False):
    # splitmix64 with numpy's wrapping uint64 arithmetic
    k = np.arange(1, n * (p + 1) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(42) + k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    u = u.reshape(n, p + 1)
    X, e = u[:, :p].copy(), u[:, p]
    x = X
    s = 2 * x[:, 0] - 1.5 * x[:, 1] + 2 * x[:, 2] * x[:, 3] - x[:, 4] * x[:, 4] + 0.5 * x[:, 5] + (e - 0.5)
    y = 10 * s if regression else (s > 0.5).astype(int)
    return X, y


MODELS = {
    "decision_tree": (DecisionTreeClassifier, DecisionTreeRegressor),
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
    "extra_trees": (ExtraTreesClassifier, ExtraTreesRegressor),
}


def run(dname, X, y, classify, model):
    test = np.arange(len(y)) % 4 == 0
    Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]
    cls = MODELS[model][0 if classify else 1]
    kw = {} if model == "decision_tree" else {"n_jobs": 1}
    m = cls(random_state=0, **kw)
    t0 = time.perf_counter()
    c0 = time.process_time()
    m.fit(Xtr, ytr)
    t1 = time.perf_counter()
    c1 = time.process_time()
    p = m.predict_proba(Xte) if classify else m.predict(Xte)
    t2 = time.perf_counter()
    c2 = time.process_time()
    if classify:
        metric = accuracy_score(yte, m.classes_[np.argmax(p, axis=1)])
    else:
        metric = r2_score(yte, p)
    print("%-14s %-14s fit %9.4f s (cpu %9.4f)  predict %8.4f s (cpu %7.4f, %6d rows)  %s %.4f" %
          (dname, model, t1 - t0, c1 - c0, t2 - t1, c2 - c1, len(yte),
           "acc" if classify else "r2 ", metric),
          flush=True)


def main():
    for dname in ["breast_cancer", "wine", "diabetes", "synthetic", "synthetic_reg"]:
        if len(sys.argv) > 1 and sys.argv[1] != dname:
            continue
        if dname.startswith("synthetic"):
            classify = dname == "synthetic"
            X, y = synthetic(regression=not classify)
        else:
            classify = dname != "diabetes"
            X, y = load(dname, classify)
        for model in MODELS:
            if len(sys.argv) > 2 and sys.argv[2] != model:
                continue
            run(dname, X, y, classify, model)


if __name__ == "__main__":
    main()
