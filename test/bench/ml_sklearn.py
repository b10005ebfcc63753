#!/usr/bin/python3
"""ml_sklearn.py — scikit-learn's side of the ML benchmark (see ml_bench.c):
the same families, datasets, rows, synthetic data and preprocessing, one
CSV line per (family, dataset): family,dataset,fit_ms,predict_ms,score.
Run with Debian's python3-sklearn on one thread (ml_bench.sh sets
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1)."""
import csv
import sys
import time

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, \
    RandomForestRegressor, HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

FAMILIES = [  # label, classifier, regressor, scaled
    ("logistic_regression", lambda: LogisticRegression(), None, True),
    ("linear_svm", lambda: LinearSVC(), None, True),
    ("linear_regression", None, lambda: LinearRegression(), False),
    ("ridge", None, lambda: Ridge(), True),
    ("lasso", None, lambda: Lasso(alpha=0.1), True),
    ("elastic_net", None, lambda: ElasticNet(alpha=0.1), True),
    ("gaussian_nb", lambda: GaussianNB(), None, False),
    ("knn", lambda: KNeighborsClassifier(), lambda: KNeighborsRegressor(), True),
    ("decision_tree", lambda: DecisionTreeClassifier(random_state=42),
     lambda: DecisionTreeRegressor(random_state=42), False),
    ("random_forest", lambda: RandomForestClassifier(random_state=42, n_jobs=1),
     lambda: RandomForestRegressor(random_state=42, n_jobs=1), False),
    ("extra_trees", lambda: ExtraTreesClassifier(random_state=42, n_jobs=1),
     lambda: ExtraTreesRegressor(random_state=42, n_jobs=1), False),
    ("gradient_boosting", lambda: HistGradientBoostingClassifier(early_stopping=False, random_state=42),
     lambda: HistGradientBoostingRegressor(early_stopping=False, random_state=42), False),
]


def load(file, classes):
    rows = list(csv.reader(open("../data/" + file)))
    header, rows = rows[0], rows[1:]
    t = header.index("target")
    X = np.array([[float(v) for j, v in enumerate(r) if j != t] for r in rows])
    y = np.array([float(r[t]) for r in rows])
    if classes:
        y = np.searchsorted(np.unique(y), y)
    return X, y


def uniform_at(i):
    z = (i * np.uint64(0x9e3779b97f4a7c15) + np.uint64(0x9e3779b97f4a7c15))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def synthetic(classification):
    n, p = 100000, 20
    with np.errstate(over="ignore"):
        X = uniform_at(np.arange(n * p, dtype=np.uint64)).reshape(n, p)
        noise = uniform_at(np.uint64(10000000) + np.arange(n, dtype=np.uint64))
    s = sum((j + 1) * (X[:, j] - 0.5) / 10.0 for j in range(10))
    s = s + 0.5 * np.sin(6.0 * X[:, 0]) + 0.3 * X[:, 1] * X[:, 2] + 0.5 * (noise - 0.5)
    return X, ((s > 0.1).astype(float) if classification else s)


def run(label, make, scaled, name, X, y, classification):
    test = np.arange(len(y)) % 4 == 0
    Xtr, Xte, ytr, yte = X[~test], X[test], y[~test], y[test]
    if scaled:
        mean, std = Xtr.mean(axis=0), Xtr.std(axis=0)
        std[std == 0] = 1
        Xtr, Xte = (Xtr - mean) / std, (Xte - mean) / std
    best_fit = best_predict = float("inf")
    repeats = 1 if len(y) > 10000 else 5
    for _ in range(repeats):
        model = make()
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        t1 = time.perf_counter()
        pred = model.predict(Xte)
        t2 = time.perf_counter()
        best_fit, best_predict = min(best_fit, t1 - t0), min(best_predict, t2 - t1)
    score = accuracy_score(yte, pred) if classification else r2_score(yte, pred)
    print("%s,%s,%.3f,%.3f,%.4f" % (label, name, best_fit * 1e3, best_predict * 1e3, score), flush=True)


def main():
    import warnings
    warnings.filterwarnings("ignore")
    everything = len(sys.argv) < 2 or sys.argv[1] != "small"
    data = [("breast_cancer", load("breast_cancer.csv", True), True),
            ("wine", load("wine.csv", True), True),
            ("diabetes", load("diabetes.csv", False), False)]
    if everything:
        data += [("synthetic_cls", synthetic(True), True), ("synthetic_reg", synthetic(False), False)]
    print("family,dataset,fit_ms,predict_ms,score")
    for name, (X, y), classification in data:
        for label, cls, reg, scaled in FAMILIES:
            make = cls if classification else reg
            if make is not None:
                run(label, make, scaled, name, X, y, classification)


main()
