#!/usr/bin/python3
"""Reference numbers for test/unit/test_linear.c (linear models).

Run with Debian's scikit-learn 1.2 from the repository root:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 test/reference/linear.py
It writes test/unit/reference/linear.json.

Datasets (test/data, parsed with Python's float() like strtod in the C loader):
  diabetes       regression, raw features
  linreg_sample  the MIP OLS example: college_math ~ score_math_course1 + score_math_course2
  breast_cancer  binary, standardised (population std, as StandardScaler)
  wine           3 classes, standardised
Every estimator is fitted twice where its solver is iterative: with sklearn's
defaults ("default": what a user gets) and with a tight tolerance ("tight":
the exact optimum of the same objective; for logistic regression newton-cg,
since lbfgs stops on its function-decrease test first), so the C test can
compare its own default fit loosely and its tight fit closely.
"""
import csv
import json
import os
import warnings

import numpy as np
from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression, LogisticRegression,
                                  Ridge)
from sklearn.svm import LinearSVC

# ConvergenceWarning (default fits hitting max_iter, as users see them) and
# newton-cg line-search warnings near machine precision are expected
warnings.simplefilter("ignore")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "test", "data")
OUT = os.path.join(ROOT, "test", "unit", "reference", "linear.json")


def load(name, target, drop=(), classes=False):
    """X, y; a numeric class target coded 0..k-1 in increasing order (csv_split_xy)."""
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index(target)
    keep = [j for j, h in enumerate(header) if j != t and h not in drop]
    X = np.array([[float(r[j]) for j in keep] for r in rows])
    y = np.array([float(r[t]) for r in rows])
    if classes:
        values = sorted(set(y))
        y = np.array([values.index(v) for v in y], dtype=float)
    return X, y, [header[j] for j in keep]


def standardise(X):
    """StandardScaler with population std, written out as the C test computes it."""
    mean = X.sum(axis=0) / X.shape[0]
    std = np.sqrt(((X - mean) ** 2).sum(axis=0) / X.shape[0])
    std[std == 0] = 1.0
    return (X - mean) / std


def fl(a):
    return [float(v) for v in np.ravel(a)]


def reg(model, X, y):
    model.fit(X, y)
    out = dict(coef=fl(model.coef_), intercept=float(model.intercept_),
               pred=fl(model.predict(X[:20])), r2=float(model.score(X, y)))
    if hasattr(model, "n_iter_") and model.n_iter_ is not None:
        out["n_iter"] = int(np.max(model.n_iter_))
    return out


def clf(model, X, y, proba=True):
    model.fit(X, y)
    out = dict(coef=[fl(r) for r in np.atleast_2d(model.coef_)],
               intercept=fl(np.atleast_1d(model.intercept_)),
               labels=[int(v) for v in model.predict(X)],
               n_iter=int(np.max(model.n_iter_)))
    if proba:
        out["proba"] = [fl(r) for r in model.predict_proba(X)]
    out["decision"] = [fl(np.atleast_1d(r)) for r in model.decision_function(X)]
    return out


def main():
    ref = {}

    # ---------------------------------------------------------------- regression
    X, y, _ = load("diabetes.csv", "target")
    d = {}
    d["ols"] = reg(LinearRegression(), X, y)
    d["ols_noint"] = reg(LinearRegression(fit_intercept=False), X, y)
    d["ridge"] = reg(Ridge(), X, y)
    d["ridge_10_noint"] = reg(Ridge(alpha=10.0, fit_intercept=False), X, y)
    # more features than rows: the kernel (dual) form
    d["ridge_wide"] = reg(Ridge(alpha=0.5), X[:8], y[:8])
    d["lasso"] = reg(Lasso(), X, y)
    d["lasso_01"] = reg(Lasso(alpha=0.1), X, y)
    d["enet"] = reg(ElasticNet(), X, y)
    d["enet_01_07"] = reg(ElasticNet(alpha=0.1, l1_ratio=0.7), X, y)
    d["enet_tight"] = reg(ElasticNet(alpha=0.1, l1_ratio=0.7, tol=1e-12, max_iter=1000000),
                          X, y)
    Xs = standardise(X)
    d["lasso_std"] = reg(Lasso(alpha=0.5), Xs, y)
    d["lasso_std_tight"] = reg(Lasso(alpha=0.5, tol=1e-12, max_iter=1000000), Xs, y)
    # (the rank-deficient test appends dependent columns to diabetes and
    # expects "ols" back: sklearn's lstsq spreads weight over them instead)
    ref["diabetes"] = d

    # the MIP example
    X, y, names = load("linreg_sample.csv", "college_math")
    cols = [names.index("score_math_course1"), names.index("score_math_course2")]
    ref["linreg_sample"] = reg(LinearRegression(), X[:, cols], y)

    # ---------------------------------------------------------------- binary
    X, y, _ = load("breast_cancer.csv", "target", classes=True)
    X = standardise(X)
    b = {}
    b["logreg"] = clf(LogisticRegression(), X, y)
    b["logreg_tight"] = clf(LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=10000),
                            X, y)
    b["logreg_c01_balanced_tight"] = clf(
        LogisticRegression(C=0.1, class_weight="balanced", solver="newton-cg", tol=1e-10,
                           max_iter=10000), X, y)
    b["logreg_noint_tight"] = clf(
        LogisticRegression(fit_intercept=False, solver="newton-cg", tol=1e-10, max_iter=10000),
        X, y)
    b["logreg_l1_tight"] = clf(
        LogisticRegression(penalty="l1", solver="saga", C=0.5, tol=1e-12, max_iter=1000000),
        X, y)
    b["svm"] = clf(LinearSVC(random_state=0), X, y, proba=False)
    b["svm_tight"] = clf(LinearSVC(tol=1e-10, max_iter=1000000, random_state=0), X, y,
                         proba=False)
    b["svm_hinge_tight"] = clf(
        LinearSVC(loss="hinge", C=0.1, tol=1e-10, max_iter=1000000, random_state=0), X, y,
        proba=False)
    ref["breast_cancer"] = b

    # ---------------------------------------------------------------- multinomial
    X, y, _ = load("wine.csv", "target", classes=True)
    X = standardise(X)
    w = {}
    w["logreg"] = clf(LogisticRegression(), X, y)
    w["logreg_tight"] = clf(LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=10000),
                            X, y)
    w["logreg_c001_balanced_tight"] = clf(
        LogisticRegression(C=0.01, class_weight="balanced", solver="newton-cg", tol=1e-10,
                           max_iter=10000), X, y)
    w["logreg_l1_tight"] = clf(
        LogisticRegression(penalty="l1", solver="saga", C=0.2, tol=1e-12, max_iter=1000000),
        X, y)
    w["svm"] = clf(LinearSVC(random_state=0), X, y, proba=False)
    w["svm_tight"] = clf(LinearSVC(tol=1e-10, max_iter=1000000, random_state=0), X, y,
                         proba=False)
    ref["wine"] = w

    with open(OUT, "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
