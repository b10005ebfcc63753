#!/usr/bin/python3
"""Reference numbers for test/unit/test_boosting.c (histogram gradient boosting).

Run with Debian's scikit-learn 1.2 from the repository root:
    OMP_NUM_THREADS=1 /usr/bin/python3 test/reference/boosting.py
It writes test/unit/reference/boosting.json.

Every model is fitted with early_stopping=False so that it is deterministic.
The holdout split is by row number: rows with index % 5 == 0 are the test
rows, the others train (the C test does the same).  CSV files are parsed with
Python's float() (correctly rounded, like strtod in the C loader).
"""
import csv
import json
import math
import os
import sys

import numpy as np
from sklearn.ensemble import (GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor)
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
from sklearn.metrics import accuracy_score, log_loss, r2_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "test", "data")
OUT = os.path.join(ROOT, "test", "unit", "reference", "boosting.json")


def load(name, target, classes=None):
    """X (NaN for empty fields), y; class targets coded like csv_split_xy."""
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index(target)
    X = np.array([[float(v) if v != "" else np.nan for j, v in enumerate(r) if j != t]
                  for r in rows])
    raw_y = [r[t] for r in rows]
    if classes == "numeric":
        values = sorted({float(v) for v in raw_y})
        y = np.array([values.index(float(v)) for v in raw_y], dtype=float)
    elif classes == "strings":
        values = sorted(set(raw_y), key=lambda s: s.encode())
        y = np.array([values.index(v) for v in raw_y], dtype=float)
    else:
        y = np.array([float(v) for v in raw_y])
    return X, y


def holdout(X, y):
    test = np.arange(len(y)) % 5 == 0
    return X[~test], y[~test], X[test], y[test]


def predictor_nodes(model, i=0, k=0):
    """Nodes of tree (iteration i, output k) in scikit-learn's depth-first order."""
    nodes = model._predictors[i][k].nodes
    return [dict(feature=int(n["feature_idx"]), threshold=float(n["num_threshold"]),
                 missing_left=bool(n["missing_go_to_left"]), leaf=bool(n["is_leaf"]),
                 value=float(n["value"]), left=int(n["left"]), right=int(n["right"]))
            for n in nodes]


def fnum(x):
    """JSON number, with infinities as the strings the C JSON helpers read."""
    x = float(x)
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def model_case(name, data, target, classes, params):
    X, y = load(data, target, classes)
    Xtr, ytr, Xte, yte = holdout(X, y)
    base = dict(early_stopping=False)
    base.update(params)
    if classes:
        m = HistGradientBoostingClassifier(**base).fit(Xtr, ytr)
        proba = m.predict_proba(Xte)
        pred = proba.argmax(axis=1)
        out = dict(accuracy=accuracy_score(yte, pred),
                   log_loss=log_loss(yte, proba, labels=list(range(proba.shape[1]))),
                   proba=[fnum(v) for v in proba.ravel(order="F")])
    else:
        m = HistGradientBoostingRegressor(**base).fit(Xtr, ytr)
        pred = m.predict(Xte)
        out = dict(r2=r2_score(yte, pred), pred=[fnum(v) for v in pred])
    out.update(name=name, data=data, target=target, classes=classes or "", params=params,
               n_iter=int(m.n_iter_), n_test=int(len(yte)))
    return out


def main():
    ref = {"sklearn_version": __import__("sklearn").__version__}

    # ---- binning thresholds (whole data sets, no subsampling below 2e5 rows)
    bins = []
    for data, target, classes, max_bins in [("breast_cancer.csv", "target", "numeric", 255),
                                            ("diabetes.csv", "target", None, 255),
                                            ("diabetes.csv", "target", None, 16),
                                            ("PimaIndiansDiabetes2.csv", "diabetes", "strings", 255),
                                            ("wine.csv", "target", "numeric", 7)]:
        X, _ = load(data, target, classes)
        bm = _BinMapper(n_bins=max_bins + 1).fit(X)
        bins.append(dict(data=data, target=target, classes=classes or "", max_bins=max_bins,
                         thresholds=[[fnum(v) for v in t] for t in bm.bin_thresholds_],
                         n_bins=[int(v) for v in bm.n_bins_non_missing_]))
    ref["binning"] = bins

    # ---- stumps: one tree, two leaves, learning rate 1
    stump = dict(max_iter=1, max_leaf_nodes=2, learning_rate=1.0, min_samples_leaf=1,
                 early_stopping=False)
    X, y = load("diabetes.csv", "target")
    m = HistGradientBoostingRegressor(**stump).fit(X[:60], y[:60])
    ref["stump_regression"] = dict(rows=60, baseline=float(m._baseline_prediction.ravel()[0]),
                                   nodes=predictor_nodes(m),
                                   pred=[float(v) for v in m.predict(X[:60])])
    X, y = load("PimaIndiansDiabetes2.csv", "diabetes", "strings")
    # the insulin column (many NaN) alone: the split must learn where NaN goes
    Xi = X[:, [4]]
    m = HistGradientBoostingClassifier(**stump).fit(Xi, y)
    ref["stump_missing"] = dict(feature_column=4,
                                baseline=float(m._baseline_prediction.ravel()[0]),
                                nodes=predictor_nodes(m),
                                proba=[float(v) for v in m.predict_proba(Xi)[:, 1]])
    # a small tree with three leaves and missing values everywhere
    small = dict(max_iter=1, max_leaf_nodes=3, learning_rate=1.0, min_samples_leaf=5,
                 early_stopping=False)
    m = HistGradientBoostingClassifier(**small).fit(X, y)
    ref["tree_missing"] = dict(nodes=predictor_nodes(m),
                               proba=[float(v) for v in m.predict_proba(X)[:, 1]])

    # ---- whole models on the holdout split
    ref["models"] = [
        model_case("breast_cancer", "breast_cancer.csv", "target", "numeric", {}),
        model_case("wine", "wine.csv", "target", "numeric", {}),
        model_case("wine_small", "wine.csv", "target", "numeric",
                   dict(max_iter=30, max_leaf_nodes=8, min_samples_leaf=5, learning_rate=0.2,
                        l2_regularization=1.0)),
        model_case("diabetes", "diabetes.csv", "target", None, {}),
        model_case("diabetes_depth", "diabetes.csv", "target", None,
                   dict(max_depth=3, max_leaf_nodes=None, max_bins=32, l2_regularization=0.5,
                        learning_rate=0.05, max_iter=200)),
        model_case("diabetes_absolute", "diabetes.csv", "target", None,
                   dict(loss="absolute_error")),
        model_case("pima", "PimaIndiansDiabetes2.csv", "diabetes", "strings", {}),
        model_case("pima_small", "PimaIndiansDiabetes2.csv", "diabetes", "strings",
                   dict(max_iter=50, max_leaf_nodes=15, min_samples_leaf=10, max_bins=64)),
    ]
    # ---- huber: scikit-learn 1.2's HistGradientBoosting has no huber loss; ours follows
    # GradientBoostingRegressor(loss="huber"), whose trees are exact (not binned): compare the
    # holdout R^2 with a margin
    X, y = load("diabetes.csv", "target")
    Xtr, ytr, Xte, yte = holdout(X, y)
    m = GradientBoostingRegressor(loss="huber", alpha=0.9, n_estimators=100, learning_rate=0.1,
                                  max_depth=None, max_leaf_nodes=31, min_samples_leaf=20,
                                  random_state=0).fit(Xtr, ytr)
    ref["huber"] = dict(r2=r2_score(yte, m.predict(Xte)))
    # the same data with gross outliers in the training targets
    ytr_out = ytr.copy()
    ytr_out[::20] += 2000.0
    m.fit(Xtr, ytr_out)
    ref["huber"]["r2_outliers"] = r2_score(yte, m.predict(Xte))
    m2 = HistGradientBoostingRegressor(early_stopping=False).fit(Xtr, ytr_out)
    ref["huber"]["r2_outliers_squared_error"] = r2_score(yte, m2.predict(Xte))
    print("huber", ref["huber"])

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    for mc in ref["models"]:
        print(mc["name"], {k: mc[k] for k in ("accuracy", "log_loss", "r2", "n_iter") if k in mc})


if __name__ == "__main__":
    if os.environ.get("OMP_NUM_THREADS") != "1":
        os.environ["OMP_NUM_THREADS"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    main()
