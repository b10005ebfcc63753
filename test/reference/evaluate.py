#!/usr/bin/python3
"""Reference numbers for test/unit/test_evaluate.c (automl_evaluate's report,
src/ml/evaluation_curves.c).

Run with Debian's scikit-learn 1.2 from the repository root:
    /usr/bin/python3 test/reference/evaluate.py
It writes test/unit/reference/evaluate.json: for each case the inputs (true
class index or value per row, predicted probabilities or values) and what
scikit-learn 1.2.1 computes from them:
    classification_report (precision, recall, f1, support per class,
    zero_division=0), confusion_matrix, roc_curve (drop_intermediate=True),
    roc_auc_score, precision_recall_curve, average_precision_score,
    calibration_curve (n_bins=10, strategy="uniform"), brier_score_loss,
    accuracy, balanced accuracy, log loss; r2, MAE, MSE, explained
    variance and numpy's residual quantiles for regression.
Probabilities are rounded to 2 decimals so that scores tie, as real
classifiers' do (trees, kNN).  One-vs-rest curves per class for three
classes, the second class only for two (pos_label=1).
"""
import json

import numpy as np
from sklearn import metrics
from sklearn.calibration import calibration_curve


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classification_case(name, n, k, seed):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, k, size=n)
    z = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = np.round(softmax_rows(z), 2)
    p[:, -1] = 1.0 - p[:, :-1].sum(axis=1)  # rows sum to 1 (up to rounding)
    p = np.clip(p, 0.0, 1.0)
    yp = p.argmax(axis=1)
    case = {"name": name, "task": "classification", "n_classes": k,
            "y": y.tolist(), "proba": p.tolist()}
    rep = metrics.classification_report(y, yp, labels=list(range(k)), output_dict=True,
                                        zero_division=0)
    case["per_class"] = [{"precision": rep[str(c)]["precision"], "recall": rep[str(c)]["recall"],
                          "f1": rep[str(c)]["f1-score"], "support": rep[str(c)]["support"]}
                         for c in range(k)]
    case["confusion_matrix"] = metrics.confusion_matrix(y, yp, labels=list(range(k))).tolist()
    case["accuracy"] = metrics.accuracy_score(y, yp)
    case["balanced_accuracy"] = metrics.balanced_accuracy_score(y, yp)
    case["log_loss"] = metrics.log_loss(y, p, labels=list(range(k)))
    curves = []
    for c in ([1] if k == 2 else range(k)):
        pos = (y == c).astype(int)
        fpr, tpr, thr = metrics.roc_curve(pos, p[:, c])
        prec, rec, pthr = metrics.precision_recall_curve(pos, p[:, c])
        pt, pp = calibration_curve(pos, p[:, c], n_bins=10, strategy="uniform")
        curves.append({"class": c, "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist(),
                       "auc": metrics.roc_auc_score(pos, p[:, c]),
                       "precision": prec.tolist(), "recall": rec.tolist(), "pr_thresholds": pthr.tolist(),
                       "average_precision": metrics.average_precision_score(pos, p[:, c]),
                       "prob_true": pt.tolist(), "prob_pred": pp.tolist()})
    case["curves"] = curves
    if k == 2:
        case["brier"] = metrics.brier_score_loss(y, p[:, 1])
    else:
        case["brier"] = float(np.mean(np.sum((p - np.eye(k)[y]) ** 2, axis=1)))
    return case


def regression_case(name, n, seed):
    rng = np.random.RandomState(seed)
    y = rng.normal(10, 3, size=n)
    yhat = y + rng.normal(0.5, 1.5, size=n)
    r = y - yhat
    return {"name": name, "task": "regression", "y": y.tolist(), "pred": yhat.tolist(),
            "r2": metrics.r2_score(y, yhat), "mae": metrics.mean_absolute_error(y, yhat),
            "mse": metrics.mean_squared_error(y, yhat),
            "explained_variance": metrics.explained_variance_score(y, yhat),
            "residuals": {"mean": float(r.mean()), "std": float(r.std(ddof=1)),
                          "min": float(r.min()), "q1": float(np.percentile(r, 25)),
                          "median": float(np.percentile(r, 50)), "q3": float(np.percentile(r, 75)),
                          "max": float(r.max())}}


cases = [classification_case("binary", 300, 2, 1),
         classification_case("three classes", 250, 3, 2),
         classification_case("binary small", 12, 2, 3),
         regression_case("regression", 200, 4)]
with open("test/unit/reference/evaluate.json", "w") as f:
    json.dump({"sklearn": __import__("sklearn").__version__, "cases": cases}, f)
print("wrote test/unit/reference/evaluate.json")
