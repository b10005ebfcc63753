#!/usr/bin/python3
"""search_bench.py — the AutoML search against scikit-learn (driven by
search_bench.sh, which starts the cluster and sets PGHOST/PGPORT).

For every dataset the rows whose 1-based position in the CSV is a multiple of
4 are the test rows, the others the training rows, on both sides.
  automl:   automl_train on the training rows (time_budget, test_size 0.1
            for its own holdout), predictions of the test rows with
            automl_predict from SQL.
  sklearn:  RandomForest, HistGradientBoosting and LogisticRegression/Ridge
            with default settings (median imputation, one-hot encoding,
            scaling for the linear model), and a random search over those
            three families cross-validated (5 folds) for the same time budget,
            refitted on all training rows.
Scores: balanced accuracy (classification) or R^2 (regression) on the test
rows.  Then the score of automl_train on the MIP table for several budgets,
and pipelines evaluated per second against cross-validating one pipeline in
scikit-learn (TPOT's evaluation cost)."""
import csv
import os
import random
import subprocess
import sys
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, \
    RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, OrdinalEncoder

BUDGET = int(os.environ.get("BUDGET", "30"))
CURVE = [int(b) for b in os.environ.get("CURVE", "5 15 30 120").split()]

MIP_FEATURES = None  # filled from the table: age, gender, volumes, MMSE

DATASETS = [  # name, table, csv, target, classification
    ("iris", "bench.iris", "iris.csv", "name", True),
    ("wine", "bench.wine", "wine.csv", "target", True),
    ("breast_cancer", "bench.breast_cancer", "breast_cancer.csv", "target", True),
    ("diabetes", "bench.diabetes", "diabetes.csv", "target", False),
    ("linreg_sample", "bench.linreg_sample", "linreg_sample.csv", "college_math", False),
    ("boston", "bench.boston", "BostonHousing.csv", "medv", False),
    ("house_votes", "bench.house_votes", "HouseVotes84.csv", "class", True),
    ("pima", "bench.pima", "PimaIndiansDiabetes2.csv", "diabetes", True),
    ("mip", "science.cde_features_a", "desd-synthdata.csv", "alzheimerbroadcategory", True),
]
if os.environ.get("DATASETS"):
    DATASETS = [d for d in DATASETS if d[0] in os.environ["DATASETS"].split()]


def psql(sql):
    out = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-A", "-t", "-F", "\t",
                          "-v", "ON_ERROR_STOP=1", "-c", "SET client_min_messages = warning", "-c", sql],
                         capture_output=True, text=True, env=dict(os.environ))
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def sql_name(name):
    import re
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def mip_features():
    rows = psql("SELECT attname FROM pg_attribute WHERE attrelid = 'science.cde_features_a'::regclass "
                "AND attnum > 0 AND (attname IN ('subjectageyears', 'gender', 'minimentalstate') OR attnum BETWEEN "
                "(SELECT attnum FROM pg_attribute WHERE attrelid = 'science.cde_features_a'::regclass AND attname = '_3rdventricle') AND "
                "(SELECT attnum FROM pg_attribute WHERE attrelid = 'science.cde_features_a'::regclass "
                "AND attname = 'leftttgtransversetemporalgyrus')) ORDER BY attnum")
    return [r[0] for r in rows]


def load_csv(file, target, features):
    rows = list(csv.reader(open("test/data/" + file)))
    header = [sql_name(h) for h in rows[0]]
    data = rows[1:]
    t = header.index(target)
    y = [r[t] for r in data]
    keep = [(j, h) for j, h in enumerate(header) if j != t and (features is None or h in features)]
    return [h for _, h in keep], [[r[j] for j, _ in keep] for r in data], y


def split_tables(name, table, target, features):
    cols = "*" if features is None else ", ".join(features + [target])
    psql(f"""DROP TABLE IF EXISTS b_{name}_all, b_{name}_train, b_{name}_test;
             CREATE TABLE b_{name}_all AS SELECT row_number() OVER () AS rid, * FROM (SELECT {cols} FROM {table}) s;
             CREATE TABLE b_{name}_train AS SELECT {cols} FROM b_{name}_all WHERE rid % 4 <> 0 AND {target} IS NOT NULL;
             CREATE TABLE b_{name}_test AS SELECT * FROM b_{name}_all WHERE rid % 4 = 0 AND {target} IS NOT NULL;""")


def automl_run(name, target, budget, classification):
    model_id, evaluated, elapsed = psql(
        f"SELECT model_id, evaluated, extract(epoch FROM elapsed) FROM automl_train('b_{name}_train', "
        f"'{target}', time_budget => '{budget} seconds', test_size => 0.1)")[0]
    pred = psql(f"SELECT rid, {target}, automl_predict({model_id}, t) FROM b_{name}_test t ORDER BY rid")
    truth = [p[1] for p in pred]
    guess = [p[2] for p in pred]
    if classification:
        score = balanced_accuracy_score(truth, guess)
    else:
        score = r2_score([float(v) for v in truth], [float(v) for v in guess])
    return score, int(evaluated), float(elapsed)


def numeric_or_nan(v):
    try:
        return float(v)
    except ValueError:
        return float("nan")


def sklearn_data(file, target, features, classification):
    header, X, y = load_csv(file, target, features)
    categorical = [j for j in range(len(header)) if any(
        v != "" and numeric_or_nan(v) != numeric_or_nan(v) for v in (r[j] for r in X))]
    rows = np.arange(1, len(X) + 1)
    has_y = np.array([v != "" for v in y])
    test = (rows % 4 == 0) & has_y
    train = (rows % 4 != 0) & has_y
    Xn = np.array([[(v if j in categorical else numeric_or_nan(v)) if v != "" else
                    (np.nan if j not in categorical else "__missing__") for j, v in enumerate(r)]
                   for r in X], dtype=object)
    yv = np.array(y, dtype=object) if classification else np.array([numeric_or_nan(v) for v in y])
    return Xn, yv, train, test, categorical


def preprocessing(categorical, n, scale, onehot=True):
    numeric = [j for j in range(n) if j not in categorical]
    num = [SimpleImputer(strategy="median", add_indicator=True)] + ([StandardScaler()] if scale else [])
    cat = OneHotEncoder(handle_unknown="ignore") if onehot else \
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return ColumnTransformer([("num", make_pipeline(*num), numeric), ("cat", cat, categorical)])


def families(classification):
    if classification:
        return {"rf": lambda **p: RandomForestClassifier(n_jobs=1, random_state=0, **p),
                "hgb": lambda **p: HistGradientBoostingClassifier(random_state=0, **p),
                "linear": lambda **p: LogisticRegression(max_iter=1000, **p)}
    return {"rf": lambda **p: RandomForestRegressor(n_jobs=1, random_state=0, **p),
            "hgb": lambda **p: HistGradientBoostingRegressor(random_state=0, **p),
            "linear": lambda **p: Ridge(**p)}


def sample_params(rng, family, classification):
    if family == "rf":
        return {"n_estimators": rng.choice([50, 100, 200, 300]), "max_features": rng.choice(["sqrt", 0.3, 0.5, 1.0]),
                "min_samples_leaf": rng.choice([1, 2, 4, 8])}
    if family == "hgb":
        return {"learning_rate": 10 ** rng.uniform(-2, -0.5), "max_leaf_nodes": rng.choice([8, 15, 31, 63]),
                "min_samples_leaf": rng.choice([5, 10, 20, 50]), "l2_regularization": rng.choice([0, 0.1, 1, 10])}
    if classification:
        return {"C": 10 ** rng.uniform(-3, 2)}
    return {"alpha": 10 ** rng.uniform(-3, 3)}


def sklearn_runs(file, target, features, classification, budget):
    X, y, train, test, categorical = sklearn_data(file, target, features, classification)
    score = balanced_accuracy_score if classification else r2_score
    scoring = "balanced_accuracy" if classification else "r2"
    fams = families(classification)
    results = {}
    for fam, make in fams.items():
        model = make_pipeline(preprocessing(categorical, X.shape[1], fam == "linear"), make())
        model.fit(X[train], y[train])
        results[fam] = score(y[test], model.predict(X[test]))
    # random search over the three families for the same time budget
    rng = random.Random(0)
    start = time.perf_counter()
    best, best_cv, evaluated = None, -np.inf, 0
    while time.perf_counter() - start < budget:
        fam = rng.choice(list(fams))
        params = sample_params(rng, fam, classification)
        model = make_pipeline(preprocessing(categorical, X.shape[1], fam == "linear"), fams[fam](**params))
        cv = cross_val_score(model, X[train], y[train], cv=5, scoring=scoring).mean()
        evaluated += 1
        if cv > best_cv:
            best, best_cv = model, cv
    best.fit(X[train], y[train])
    results["random_search"] = score(y[test], best.predict(X[test]))
    results["random_search_evaluated"] = evaluated
    # TPOT-style cost: cross-validating one default forest pipeline
    t0 = time.perf_counter()
    cross_val_score(make_pipeline(preprocessing(categorical, X.shape[1], False), fams["rf"]()),
                    X[train], y[train], cv=5, scoring=scoring)
    results["cv_seconds_rf"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cross_val_score(make_pipeline(preprocessing(categorical, X.shape[1], True), fams["linear"]()),
                    X[train], y[train], cv=5, scoring=scoring)
    results["cv_seconds_linear"] = time.perf_counter() - t0
    return results


def main():
    import warnings
    warnings.filterwarnings("ignore")
    mip = mip_features()
    print(f"## automl_train ({BUDGET} s) against scikit-learn on the test rows\n")
    print("| dataset | metric | automl_train | RF | HGB | LR/Ridge | random search (same time) | best other | "
          "automl pipelines/s | sklearn pipelines/s (RF, linear) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    wins = 0
    total = 0
    margins = []
    for name, table, file, target, classification in DATASETS:
        features = mip if name == "mip" else None
        split_tables(name, table, target, features)
        ours, evaluated, elapsed = automl_run(name, target, BUDGET, classification)
        theirs = sklearn_runs(file, target, features, classification, BUDGET)
        best_other = max(theirs["rf"], theirs["hgb"], theirs["linear"], theirs["random_search"])
        total += 1
        wins += ours >= best_other - 1e-9
        margins.append(ours - best_other)
        print("| %s | %s | **%.4f** | %.4f | %.4f | %.4f | %.4f (%d evaluated) | %.4f | %.1f | %.1f, %.1f |" % (
            name, "balanced accuracy" if classification else "R²", ours, theirs["rf"], theirs["hgb"],
            theirs["linear"], theirs["random_search"], theirs["random_search_evaluated"], best_other,
            evaluated / elapsed, 1 / theirs["cv_seconds_rf"], 1 / theirs["cv_seconds_linear"]), flush=True)
    print(f"\nautoml_train at least as good as the best of them on {wins} of {total} datasets; "
          f"mean difference to the best of them {np.mean(margins):+.4f}\n")
    print("## automl_train on the MIP patients by time budget\n")
    print("| budget | balanced accuracy on the test rows | pipelines evaluated | elapsed s |")
    print("|---|---|---|---|")
    split_tables("mip", "science.cde_features_a", "alzheimerbroadcategory", mip)
    for budget in CURVE:
        ours, evaluated, elapsed = automl_run("mip", "alzheimerbroadcategory", budget, True)
        print("| %d s | %.4f | %d | %.1f |" % (budget, ours, evaluated, elapsed), flush=True)


main()
