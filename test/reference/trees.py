#!/usr/bin/python3
"""Reference numbers for test/unit/test_trees.c (decision trees, random forest,
extra trees) computed with scikit-learn 1.2.

Run from the repository root:  /usr/bin/python3 test/reference/trees.py
Writes test/unit/reference/trees.json.

Data are read the way test/unit/lib/csv.c reads them: X = every column but the
target, in file order; a categorical target is coded by sorted category name,
a numeric class target by sorted value; empty fields are missing (NaN).

Exact CART cases fit a single tree with max_features=None under 200
random_states: scikit-learn breaks ties between equally good splits by the
order it draws features in, so the script records every root split it saw
and every distinct fitted tree ("variant": importances, training-set
predictions, number of leaves).  The C tree breaks ties deterministically
(lowest feature index), so the C test checks that it equals one of the
variants by importances and number of leaves (cases with more than 64
variants keep only the root splits); training-set predictions are recorded
when they are the same for every variant.
Forest cases record holdout metrics averaged over seeds 0..4.
"""
import csv
import json
import math
import os
import sys

import numpy as np
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "test", "data")
OUT = os.path.join(ROOT, "test", "unit", "reference", "trees.json")


def load(name, target, classify):
    with open(os.path.join(DATA, name)) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    t = header.index(target)
    cols = [j for j in range(len(header)) if j != t]
    X = np.array([[float(r[j]) if r[j] != "" else math.nan for j in cols] for r in rows])
    raw = [r[t] for r in rows]
    if classify:
        try:
            vals = [float(v) for v in raw]
            uniq = sorted(set(vals))
            y = np.array([uniq.index(v) for v in vals])
        except ValueError:
            uniq = sorted(set(raw), key=lambda s: s.encode())
            y = np.array([uniq.index(v) for v in raw])
    else:
        y = np.array([float(v) for v in raw])
    return X, y


def floats(a):
    return [float(v) for v in np.asarray(a).ravel()]


def exact_case(name, data, target, classify, n_states=200, max_variants=64, **params):
    X, y = load(data, target, classify)
    cls = DecisionTreeClassifier if classify else DecisionTreeRegressor
    roots = []
    variants = {}
    for rs in range(n_states):
        m = cls(random_state=rs, **params).fit(X, y)
        tr = m.tree_
        root = [int(tr.feature[0]), float(tr.threshold[0])] if tr.node_count > 1 else [-1, 0.0]
        if root not in roots:
            roots.append(root)
        pred = m.predict_proba(X) if classify else m.predict(X)
        key = (tuple(np.round(m.feature_importances_, 12)), tuple(np.round(pred.ravel(), 9)),
               m.get_n_leaves())
        if key not in variants:
            variants[key] = {"count": 0, "importances": floats(m.feature_importances_),
                             "predictions": floats(pred), "n_leaves": int(m.get_n_leaves()),
                             "depth": int(m.get_depth())}
        variants[key]["count"] += 1
    preds = {k[1] for k in variants}
    vs = sorted(variants.values(), key=lambda v: -v["count"])
    for v in vs:
        del v["predictions"]
    case = {
        "name": name, "data": data, "target": target,
        "task": "classification" if classify else "regression",
        "params": params,
        "root_splits": roots,
        "n_variants": len(vs),
        "predictions_invariant": len(preds) == 1,
        "predictions": floats(pred) if len(preds) == 1 else [],
        "variants": vs[:max_variants] if len(vs) <= max_variants else [],
    }
    print("%-24s variants=%-3d same_predictions=%-5s roots=%s" %
          (name, len(vs), len(preds) == 1, roots))
    return case


def split_indices(y, classify, seed=0):
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=0.25, random_state=seed,
                              stratify=y if classify else None)
    return sorted(int(i) for i in tr), sorted(int(i) for i in te)


def forest_case(name, data, target, classify, model, impute=False, **params):
    X, y = load(data, target, classify)
    tr, te = split_indices(y, classify)
    scores = []
    for seed in range(5):
        m = model(n_estimators=100, random_state=seed, n_jobs=1, **params)
        if impute:
            m = make_pipeline(SimpleImputer(strategy="median"), m)
        m.fit(X[tr], y[tr])
        p = m.predict(X[te])
        scores.append(accuracy_score(y[te], p) if classify else r2_score(y[te], p))
    print("%-28s mean=%.4f %s" % (name, np.mean(scores), np.round(scores, 4)))
    return {"name": name, "data": data, "target": target,
            "task": "classification" if classify else "regression",
            "model": model.__name__, "params": params, "imputed": impute,
            "train": tr, "test": te, "scores": floats(scores), "mean": float(np.mean(scores))}


def main():
    exact = [
        exact_case("iris_full", "iris.csv", "name", True),
        exact_case("iris_depth2", "iris.csv", "name", True, max_depth=2),
        exact_case("wine_full", "wine.csv", "target", True),
        exact_case("wine_entropy_depth3", "wine.csv", "target", True, criterion="entropy",
                   max_depth=3),
        exact_case("wine_leaf5", "wine.csv", "target", True, min_samples_leaf=5),
        exact_case("wine_split12_decrease", "wine.csv", "target", True, min_samples_split=12,
                   min_impurity_decrease=0.01),
        exact_case("breast_depth3", "breast_cancer.csv", "target", True, max_depth=3),
        exact_case("diabetes_full", "diabetes.csv", "target", False),
        exact_case("diabetes_depth4", "diabetes.csv", "target", False, max_depth=4),
        exact_case("diabetes_leaf10", "diabetes.csv", "target", False, min_samples_leaf=10),
        exact_case("boston_depth3", "BostonHousing.csv", "medv", False, max_depth=3),
    ]
    forests = [
        forest_case("breast_rf", "breast_cancer.csv", "target", True, RandomForestClassifier),
        forest_case("breast_et", "breast_cancer.csv", "target", True, ExtraTreesClassifier),
        forest_case("wine_rf", "wine.csv", "target", True, RandomForestClassifier),
        forest_case("wine_et", "wine.csv", "target", True, ExtraTreesClassifier),
        forest_case("diabetes_rf", "diabetes.csv", "target", False, RandomForestRegressor),
        forest_case("diabetes_et", "diabetes.csv", "target", False, ExtraTreesRegressor),
        forest_case("diabetes_rf_sqrt", "diabetes.csv", "target", False, RandomForestRegressor,
                    max_features="sqrt"),
        forest_case("breast_rf_entropy", "breast_cancer.csv", "target", True,
                    RandomForestClassifier, criterion="entropy", max_samples=0.5),
        forest_case("pima_rf_imputed", "PimaIndiansDiabetes2.csv", "diabetes", True,
                    RandomForestClassifier, impute=True),
        forest_case("pima_et_imputed", "PimaIndiansDiabetes2.csv", "diabetes", True,
                    ExtraTreesClassifier, impute=True),
    ]
    doc = {"generator": "test/reference/trees.py",
           "sklearn": __import__("sklearn").__version__,
           "exact": exact, "forests": forests}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    sys.exit(main())
