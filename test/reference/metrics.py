#!/usr/bin/python3
"""Reference numbers for test/unit/test_metrics_cv.c, from scikit-learn 1.2.

Run with Debian's Python (python3-sklearn):  /usr/bin/python3 test/reference/metrics.py
Writes test/unit/reference/metrics.json: fixed vectors of true labels and
predictions in the estimator output format (class probabilities or one value
per row) and scikit-learn's metrics on them.  Predicted classes are the argmax
of the probabilities (first on ties, like np.argmax).
"""
import json
import os

import numpy as np
from sklearn import metrics as M

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "unit", "reference", "metrics.json")
rng = np.random.RandomState(20240501)
cases = []


def cls_case(name, y, proba, auc=True, labels=None):
    y = np.asarray(y)
    proba = np.asarray(proba, dtype=np.float64)
    k = proba.shape[1]
    pred = proba.argmax(axis=1)
    labels = list(range(k)) if labels is None else labels
    s = {
        "accuracy": M.accuracy_score(y, pred),
        "balanced_accuracy": M.balanced_accuracy_score(y, pred),
    }
    for avg in ("macro", "weighted"):
        s["precision_" + avg] = M.precision_score(y, pred, average=avg, zero_division=0)
        s["recall_" + avg] = M.recall_score(y, pred, average=avg, zero_division=0)
        s["f1_" + avg] = M.f1_score(y, pred, average=avg, zero_division=0)
    if k == 2:
        s["precision"] = M.precision_score(y, pred, zero_division=0)
        s["recall"] = M.recall_score(y, pred, zero_division=0)
        s["f1"] = M.f1_score(y, pred, zero_division=0)
    if auc:
        s["roc_auc"] = (M.roc_auc_score(y, proba[:, 1]) if k == 2
                        else M.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    s["log_loss"] = M.log_loss(y, proba, labels=labels)
    cases.append({"name": name, "task": "classification", "n_classes": k,
                  "y_true": [int(v) for v in y], "pred": proba.tolist(),
                  "confusion_matrix": M.confusion_matrix(y, pred, labels=labels).tolist(),
                  "scores": {key: float(v) for key, v in s.items()}})


def reg_case(name, y, yhat):
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    s = {
        "r2": M.r2_score(y, yhat),
        "mse": M.mean_squared_error(y, yhat),
        "rmse": M.mean_squared_error(y, yhat, squared=False),
        "mae": M.mean_absolute_error(y, yhat),
        "explained_variance": M.explained_variance_score(y, yhat),
    }
    cases.append({"name": name, "task": "regression", "n_classes": 0,
                  "y_true": y.tolist(), "pred": [[v] for v in yhat.tolist()],
                  "scores": {key: float(v) for key, v in s.items()}})


# binary, probabilities rounded to one decimal so that scores tie
n = 40
y = rng.randint(0, 2, n)
p1 = np.clip(0.25 * y + 0.75 * rng.rand(n), 0, 1).round(1)
cls_case("binary_ties", y, np.column_stack([1 - p1, p1]))

# binary with extreme probabilities (log loss clipping)
y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
p1 = np.array([0.0, 1.0, 0.0, 0.3, 0.9, 1.0, 0.2, 0.6])
cls_case("binary_extreme", y, np.column_stack([1 - p1, p1]))

# 4 classes, Dirichlet probabilities
n = 60
y = rng.randint(0, 4, n)
proba = rng.dirichlet(np.ones(4), n)
proba[np.arange(n), y] += rng.rand(n) * 0.8
proba /= proba.sum(axis=1, keepdims=True)
cls_case("multiclass", y, proba)

# 4 classes, class 3 never true but sometimes predicted (macro averages over the
# union of labels); ROC AUC left out (sklearn raises, see metrics.h)
n = 30
y = rng.randint(0, 3, n)
proba = rng.dirichlet(np.ones(4), n)
cls_case("absent_true_class", y, proba, auc=False)

# 4 classes, class 2 neither true nor predicted
n = 30
y = rng.choice([0, 1, 3], n)
proba = rng.dirichlet(np.ones(4), n)
proba[:, 2] *= 0.01
proba /= proba.sum(axis=1, keepdims=True)
cls_case("absent_class", y, proba, auc=False)

# regression
n = 50
y = rng.randn(n) * 10 + 3
reg_case("regression", y, y + rng.randn(n) * 4 + 1)
reg_case("regression_constant_target", np.full(6, 2.5), [2.5, 2.0, 3.0, 2.5, 2.5, 2.0])
reg_case("regression_constant_exact", np.full(4, 1.5), np.full(4, 1.5))

with open(OUT, "w") as f:
    json.dump({"generator": "test/reference/metrics.py",
               "sklearn": __import__("sklearn").__version__, "cases": cases}, f, indent=1)
print("wrote", OUT)
