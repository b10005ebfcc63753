#!/usr/bin/python3
"""scikit-learn counterpart of nb_knn_bench.c (one thread): fit and predict
times of GaussianNB, BernoulliNB, MultinomialNB and KNeighbors* on the same
datasets and the same protocol (best of several repetitions, fits at least 5; milliseconds of CPU
time, robust to a busy machine).

Run from the repository root:  /usr/bin/python3 test/bench/nb_knn_sklearn.py [test/data]
"""
import os
import sys

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # noqa: E402

DATA = sys.argv[1] if len(sys.argv) > 1 else "test/data"


def standardise(X):
    sd = X.std(axis=0)
    sd[sd == 0] = 1
    return (X - X.mean(axis=0)) / sd


def bench(dataset, name, make, X, y, Xpred, reps, predict):
    fit_best = pred_best = float("inf")
    for _ in range(max(reps, 5)):
        m = make()
        t0 = time.process_time()
        m.fit(X, y)
        fit_best = min(fit_best, (time.process_time() - t0) * 1e3)
    for _ in range(reps):
        t0 = time.process_time()
        getattr(m, predict)(Xpred)
        pred_best = min(pred_best, (time.process_time() - t0) * 1e3)
    print(f"{dataset:14s} {name:44s} fit {fit_best:9.3f} ms  predict {pred_best:9.3f} ms"
          f"  ({X.shape[0]} x {X.shape[1]} -> {Xpred.shape[0]} rows)", flush=True)


def bench_nb(dataset, X, y, reps):
    Xs = standardise(X)
    Xa = np.abs(X)
    bench(dataset, "gaussian_nb", GaussianNB, Xs, y, Xs, reps, "predict_proba")
    bench(dataset, "bernoulli_nb", BernoulliNB, Xs, y, Xs, reps, "predict_proba")
    bench(dataset, "multinomial_nb", MultinomialNB, Xa, y, Xa, reps, "predict_proba")


def bench_knn(dataset, X, y, cls, n_pred, reps):
    Xs = standardise(X)
    rows = (np.arange(n_pred) * X.shape[0]) // n_pred
    Xp = Xs[rows]
    est = KNeighborsClassifier if cls else KNeighborsRegressor
    predict = "predict_proba" if cls else "predict"
    for label, kw in (("knn k=5", dict(n_neighbors=5)),
                      ("knn k=15 distance", dict(n_neighbors=15, weights="distance")),
                      ("knn k=5 manhattan", dict(n_neighbors=5, metric="manhattan"))):
        bench(dataset, label + " (brute)",
              lambda: est(algorithm="brute", n_jobs=1, **kw), Xs, y, Xp, reps, predict)
        bench(dataset, label + " (auto)",
              lambda: est(n_jobs=1, **kw), Xs, y, Xp, reps, predict)


def load(name, target):
    df = pd.read_csv(os.path.join(DATA, name))
    return df.drop(columns=[target]).to_numpy(dtype=np.float64), df[target].to_numpy()


X, y = load("breast_cancer.csv", "target")
bench_nb("breast_cancer", X, y, 50)
bench_knn("breast_cancer", X, y, True, X.shape[0], 20)
X, y = load("wine.csv", "target")
bench_nb("wine", X, y, 50)
bench_knn("wine", X, y, True, X.shape[0], 20)
X, y = load("diabetes.csv", "target")
bench_knn("diabetes", X, y, False, X.shape[0], 20)

rng = np.random.RandomState(2024)
n, p = 100000, 20
X = rng.randn(n, p)
w = np.array([(1.0 if j % 3 == 0 else -0.5) / (1 + j) for j in range(p)])
yreg = X @ w + 0.3 * rng.randn(n)
ycls = (yreg > 0).astype(int)
bench_nb("synthetic", X, ycls, 5)
bench_knn("synthetic", X, ycls, True, 10000, 1)
bench_knn("synthetic", X, yreg, False, 10000, 1)
