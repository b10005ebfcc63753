#!/usr/bin/python3
"""random_search.py — the issue's stronger scikit-learn baseline for
automl_suite.py: a random search over RandomForest, HistGradientBoosting and
logistic regression / ridge (the same preprocessing as automl_suite.py's
defaults), given SEARCH_SECONDS (default 120) of wall time on both cores per
table, on the same 75/25 split (seed 42).

It is what RandomizedSearchCV(n_iter=...) does, with a clock instead of a
count: configurations drawn with ParameterSampler (seed 0) from the
distributions below, each scored by 5-fold cross-validation
(cross_val_score, n_jobs=2; stratified for classification, plain k-fold when
a class has fewer than 5 rows) with the suite's metric (balanced accuracy or
R^2), until the time is spent (the configuration running then finishes);
the best is refitted on the training rows and scored on the test rows.

Needs Debian's python3-sklearn (run with /usr/bin/python3); SUITE_DATA as
for automl_suite.sh (its R step makes the CSV files).  Results are cached in
results/random_search.json (delete it to recompute); the table compares them
with results/automl_suite.json when automl_suite.sh ran.
  SEARCH_SECONDS=120 TABLES="iris glass" /usr/bin/python3 test/bench/random_search.py
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from scipy.stats import loguniform, randint, uniform
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, \
    RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import KFold, ParameterSampler, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import automl_suite as suite  # noqa: E402  (tables, loading, the split's conventions)

SECONDS = float(os.environ.get("SEARCH_SECONDS", "120"))
CACHE = os.path.join(suite.HERE, "results", "random_search.json")


def families(classification):
    """(name, estimator, scaled input, parameter distributions)"""
    if classification:
        return [
            ("rf", RandomForestClassifier(random_state=0, n_jobs=1), False,
             {"model__n_estimators": randint(50, 500), "model__max_features": uniform(0.05, 0.95),
              "model__min_samples_leaf": randint(1, 20), "model__bootstrap": [True, False],
              "model__criterion": ["gini", "entropy"]}),
            ("hgb", HistGradientBoostingClassifier(random_state=0), False,
             {"model__learning_rate": loguniform(0.01, 0.5), "model__max_leaf_nodes": randint(4, 128),
              "model__min_samples_leaf": randint(2, 100), "model__l2_regularization": loguniform(1e-4, 10),
              "model__max_iter": randint(50, 500)}),
            ("linear", LogisticRegression(max_iter=2000), True,
             {"model__C": loguniform(1e-3, 1e3), "model__class_weight": [None, "balanced"]}),
        ]
    return [
        ("rf", RandomForestRegressor(random_state=0, n_jobs=1), False,
         {"model__n_estimators": randint(50, 500), "model__max_features": uniform(0.05, 0.95),
          "model__min_samples_leaf": randint(1, 20), "model__bootstrap": [True, False]}),
        ("hgb", HistGradientBoostingRegressor(random_state=0), False,
         {"model__learning_rate": loguniform(0.01, 0.5), "model__max_leaf_nodes": randint(4, 128),
          "model__min_samples_leaf": randint(2, 100), "model__l2_regularization": loguniform(1e-4, 10),
          "model__max_iter": randint(50, 500)}),
        ("linear", Ridge(), True, {"model__alpha": loguniform(1e-3, 1e3)}),
    ]


def pipeline(model, scaled, ni, ci):
    num = Pipeline([("impute", SimpleImputer(strategy="median"))] +
                   ([("scale", StandardScaler())] if scaled else []))
    pre = ColumnTransformer([("num", num, ni), ("cat", OneHotEncoder(handle_unknown="ignore"), ci)],
                            sparse_threshold=0)
    return Pipeline([("pre", pre), ("model", clone(model))])


def search(header, train, test, t, classification):
    Xtr, ytr, Xte, yte, ni, ci = suite.matrices(header, train, test, t, classification)
    if classification:
        counts = {}
        for v in ytr:
            counts[v] = counts.get(v, 0) + 1
        cv = StratifiedKFold(5, shuffle=True, random_state=0) if min(counts.values()) >= 5 \
            else KFold(5, shuffle=True, random_state=0)
        scoring = "balanced_accuracy"
    else:
        cv = KFold(5, shuffle=True, random_state=0)
        scoring = "r2"
    fams = families(classification)
    samplers = [iter(ParameterSampler(d, n_iter=10 ** 6, random_state=0)) for _, _, _, d in fams]
    best = (-np.inf, None, None)
    tried = 0
    t0 = time.time()
    while time.time() - t0 < SECONDS:
        k = tried % len(fams)  # the three families in turn
        name, model, scaled, _ = fams[k]
        params = next(samplers[k])
        p = pipeline(model, scaled, ni, ci).set_params(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                s = float(np.mean(cross_val_score(p, Xtr, ytr, cv=cv, scoring=scoring, n_jobs=2)))
            except ValueError:
                s = -np.inf
        tried += 1
        if s > best[0]:
            best = (s, name, params)
    search_seconds = time.time() - t0
    name, params = best[1], best[2]
    model, scaled = [(m, sc) for n, m, sc, _ in fams if n == name][0]
    p = pipeline(model, scaled, ni, ci).set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p.fit(Xtr, ytr)
    pred = p.predict(Xte)
    score = balanced_accuracy_score(yte, pred) if classification else r2_score(yte, pred)
    return {"score": float(score), "cv": best[0], "family": name, "evaluated": tried,
            "wall": round(time.time() - t0, 1), "search_seconds": round(search_seconds, 1),
            "params": {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}}


def main():
    os.makedirs(os.path.join(suite.HERE, "results"), exist_ok=True)
    cache = json.load(open(CACHE)) if os.path.exists(CACHE) else {}
    automl_path = os.path.join(suite.HERE, "results", "automl_suite.json")
    automl = {e["table"]: e for e in json.load(open(automl_path))} if os.path.exists(automl_path) else {}
    key = "%g" % SECONDS
    for name, file, target, classification, kind in suite.TABLES:
        header, rows, t = suite.load(name, file, target)
        tr, te = suite.split(rows, t, classification)
        if key not in cache.get(name, {}):
            r = search(header, [rows[i] for i in tr], [rows[i] for i in te], t, classification)
            cache.setdefault(name, {})[key] = r
            json.dump(cache, open(CACHE, "w"), indent=1, sort_keys=True)
            print(name, r, file=sys.stderr, flush=True)
    load = open("/proc/loadavg").read().split()[:3]
    print("# random search (RF, HistGB, logistic/ridge) given %g s per table, against automl_train\n" % SECONDS)
    print("Load average at the end: %s\n" % " ".join(load))
    budgets = sorted({b for e in automl.values() for b in e["automl"]}, key=float)
    print("| table | random search | family | evaluated | wall s | " +
          " | ".join("automl %s s" % b for b in budgets) + " |")
    print("|---|---:|---|---:|---:|" + "---:|" * len(budgets))
    sums = [0.0] * (len(budgets) + 1)
    wins = [0] * len(budgets)
    n = 0
    for name, *_ in suite.TABLES:
        r = cache.get(name, {}).get(key)
        if r is None:
            continue
        cells = []
        complete = True
        for i, b in enumerate(budgets):
            a = automl.get(name, {}).get("automl", {}).get(b, {})
            if "score" not in a:
                cells.append("")
                complete = False
                continue
            cells.append("%.3f (%+.3f)" % (a["score"], a["score"] - r["score"]))
        if complete and budgets:
            n += 1
            sums[0] += r["score"]
            for i, b in enumerate(budgets):
                s = automl[name]["automl"][b]["score"]
                sums[i + 1] += s
                wins[i] += s >= r["score"]
        print("| %s | %.3f | %s | %d | %.1f | %s |" % (name, r["score"], r["family"], r["evaluated"], r["wall"],
                                                       " | ".join(cells)))
    if n:
        print()
        print("- mean over the %d tables with every score: random search %.4f; %s" %
              (n, sums[0] / n, "; ".join("automl %s s %.4f (≥ random search on %d)" % (b, sums[i + 1] / n, wins[i])
                                        for i, b in enumerate(budgets))))


if __name__ == "__main__":
    main()
