#!/usr/bin/python3
"""Reference numbers for the pg_regress suites sql/models.sql and sql/train.sql.

Run with Debian's scikit-learn 1.2 (python3-sklearn) from the repository root:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 test/reference/regress.py
It writes test/reference/regress/*.csv, which the suites load with \\copy, so
that neither the suites nor CI need Python.

What is computed (every dataset read from test/data as the suites load it,
in file order = the heap order automl reads; test/reference/aml_split.py
gives the rows automl's own seeded splits choose):

scores.csv (key, value)
  "<dataset> <algorithm> holdout <metric>": scikit-learn's holdout score of
      the same pipeline (automl_fit's default preprocessing: median imputation
      with missing indicators, standard / min-max scaling where automl_fit
      uses it) fitted on the same 75% of the rows automl_fit trains on, scored
      on the same 25%, for the estimators that are deterministic:
      logistic regression and the linear SVM at their exact optimum
      (newton-cg / liblinear at tol 1e-10), naive Bayes, k-NN, histogram
      gradient boosting (early stopping off below 10000 rows, as automl's
      "auto"), OLS, ridge, lasso and elastic net (cyclic coordinate descent,
      tol 1e-4, as automl)
  "<dataset> <algorithm> holdout <metric> mean|sd": for trees and forests,
      whose result depends on random feature choices, bootstrap samples and
      how ties between equally good splits are broken: mean and standard
      deviation over scikit-learn random_state 0..99 on the same rows
  "iris imputer median <column>": SimpleImputer(strategy="median").statistics_

predictions.csv (model, row, label, value, proba)
  the same deterministic pipelines refitted on every row (what automl_fit
  stores), predicting every row: the label, the probability of class "1"
  (binary) or the predicted value (regression), and for iris every class
  probability as JSON; row -1 of "iris logistic_regression" is the row
  (sepal_length NULL, sepal_width NULL, petal_length 5.0, petal_width 1.8)

folds.csv (run, spec, fold_scores)
  automl_train's portfolio pipelines that are deterministic, as automl
  writes their spec in automl.pipelines, with scikit-learn's score in each of
  the run's cross-validation folds (reproduced: the holdout of
  aml_rng_seed(seed), folds from stream 2 of the same seed)

holdout_rows.csv (run, rows)
  the rows automl_train keeps out as its holdout, as a PostgreSQL int array
"""
import csv
import json
import os
import sys
import warnings

import numpy as np
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, mean_absolute_error,
                             r2_score)
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OrdinalEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from aml_split import holdout, holdout_split, kfold_split, search_rngs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "test", "data")
OUT = os.path.join(HERE, "regress")
SEEDS = range(100)

warnings.simplefilter("ignore")  # ConvergenceWarning of the default fits, as users see them


def read(name):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def numeric(name, target, features=None):
    """X (float, NaN for empty), y (float) in file order."""
    header, rows = read(name)
    t = header.index(target)
    cols = [header.index(c) for c in features] if features else [j for j in range(len(header)) if j != t]
    X = np.array([[float(r[j]) if r[j] != "" else np.nan for j in cols] for r in rows])
    y = np.array([float(r[t]) for r in rows])
    return X, y


def codes(labels):
    """Class codes as automl numbers them: distinct values in increasing order
    (numbers numerically, text in byte order)."""
    classes = sorted(set(labels))
    return classes, np.array([classes.index(v) for v in labels])


def fl(v):
    return repr(float(v))


# automl_fit's default preprocessing (src/ml/pipeline.c: aml_pipeline_default_spec)
def imputer():
    return SimpleImputer(strategy="median", add_indicator=True)


def exact_logistic(**kw):
    return LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=10000, **kw)


def exact_svm(**kw):
    return LinearSVC(tol=1e-10, max_iter=1000000, **kw)


FIT_CLASSIFIERS = {
    "logistic_regression": lambda: make_pipeline(imputer(), StandardScaler(), exact_logistic()),
    "linear_svm": lambda: make_pipeline(imputer(), StandardScaler(), exact_svm()),
    "gaussian_nb": lambda: make_pipeline(imputer(), GaussianNB()),
    "bernoulli_nb": lambda: make_pipeline(imputer(), StandardScaler(), BernoulliNB()),
    "multinomial_nb": lambda: make_pipeline(imputer(), MinMaxScaler(), MultinomialNB()),
    "knn": lambda: make_pipeline(imputer(), StandardScaler(), KNeighborsClassifier()),
    "gradient_boosting": lambda: HistGradientBoostingClassifier(),
}
FIT_REGRESSORS = {
    "linear_regression": lambda: make_pipeline(imputer(), LinearRegression()),
    "ridge": lambda: make_pipeline(imputer(), StandardScaler(), Ridge()),
    "lasso": lambda: make_pipeline(imputer(), StandardScaler(), Lasso()),
    "elastic_net": lambda: make_pipeline(imputer(), StandardScaler(), ElasticNet()),
    "knn": lambda: make_pipeline(imputer(), StandardScaler(), KNeighborsRegressor()),
    "gradient_boosting": lambda: HistGradientBoostingRegressor(),
}
RANDOM_CLASSIFIERS = {
    "decision_tree": lambda s: DecisionTreeClassifier(random_state=s),
    "random_forest": lambda s: RandomForestClassifier(random_state=s),
    "extra_trees": lambda s: ExtraTreesClassifier(random_state=s),
}
RANDOM_REGRESSORS = {
    "decision_tree": lambda s: DecisionTreeRegressor(random_state=s),
    "random_forest": lambda s: RandomForestRegressor(random_state=s),
    "extra_trees": lambda s: ExtraTreesRegressor(random_state=s),
}

scores = []       # (key, value)
predictions = []  # (model, row, label, value, proba)


def spread(key, make, X, y, train, test, score):
    values = [score(y[test], make(s).fit(X[train], y[train]).predict(X[test])) for s in SEEDS]
    scores.append((key + " mean", fl(np.mean(values))))
    scores.append((key + " sd", fl(np.std(values, ddof=1))))


def models_suite():
    # OLS on MIP's linreg sample (automl_fit seed 42, two named features)
    X, y = numeric("linreg_sample.csv", "college_math", ["score_math_course1", "score_math_course2"])
    train, test = holdout_split(len(y), 0.25, None, 0, 42)
    m = FIT_REGRESSORS["linear_regression"]().fit(X[train], y[train])
    scores.append(("linreg_sample linear_regression holdout r2", fl(r2_score(y[test], m.predict(X[test])))))
    m = FIT_REGRESSORS["linear_regression"]().fit(X, y)
    for i, v in enumerate(m.predict(X)):
        predictions.append(("linreg_sample linear_regression", i, "", fl(v), ""))

    # iris, logistic regression (automl_fit seed 1), stratified by the 3 classes
    header, rows = read("iris.csv")
    X = np.array([[float(v) for v in r[:4]] for r in rows])
    classes, y = codes([r[4] for r in rows])
    train, test = holdout_split(len(y), 0.25, list(y), len(classes), 1)
    m = FIT_CLASSIFIERS["logistic_regression"]().fit(X[train], y[train])
    scores.append(("iris logistic_regression holdout accuracy",
                   fl(accuracy_score(y[test], m.predict(X[test])))))
    m = FIT_CLASSIFIERS["logistic_regression"]().fit(X, y)
    nulls = np.array([[np.nan, np.nan, 5.0, 1.8]])
    for i, (label, p) in enumerate(zip(m.predict(np.vstack([X, nulls])),
                                       m.predict_proba(np.vstack([X, nulls])))):
        proba = json.dumps({c: float(p[k]) for k, c in enumerate(classes)})
        predictions.append(("iris logistic_regression", i if i < len(y) else -1, classes[label], "", proba))
    for name, median in zip(header[:4], SimpleImputer(strategy="median").fit(X).statistics_):
        scores.append(("iris imputer median " + name, fl(median)))

    # every algorithm: breast cancer (target 0/1) and diabetes, automl_fit seed 7
    X, yv = numeric("breast_cancer.csv", "target")
    classes, y = codes(list(yv))
    labels = ["%g" % c for c in classes]
    train, test = holdout_split(len(y), 0.25, list(y), len(classes), 7)
    for name, make in FIT_CLASSIFIERS.items():
        m = make().fit(X[train], y[train])
        scores.append(("breast_cancer %s holdout accuracy" % name,
                       fl(accuracy_score(y[test], m.predict(X[test])))))
        m = make().fit(X, y)
        p1 = m.predict_proba(X)[:, 1] if name != "linear_svm" else [None] * len(y)
        for i, (label, p) in enumerate(zip(m.predict(X), p1)):
            predictions.append(("breast_cancer " + name, i, labels[label], "" if p is None else fl(p), ""))
    for name, make in RANDOM_CLASSIFIERS.items():
        spread("breast_cancer %s holdout accuracy" % name, make, X, y, train, test, accuracy_score)

    X, y = numeric("diabetes.csv", "target")
    train, test = holdout_split(len(y), 0.25, None, 0, 7)
    for name, make in FIT_REGRESSORS.items():
        m = make().fit(X[train], y[train])
        scores.append(("diabetes %s holdout r2" % name, fl(r2_score(y[test], m.predict(X[test])))))
        m = make().fit(X, y)
        for i, v in enumerate(m.predict(X)):
            predictions.append(("diabetes " + name, i, "", fl(v), ""))
    for name, make in RANDOM_REGRESSORS.items():
        spread("diabetes %s holdout r2" % name, make, X, y, train, test, r2_score)

    # house votes: a forest of 50 trees on y/n/NULL votes (automl_fit seed 42).
    # automl's trees send missing values down either side of a split;
    # scikit-learn 1.2's cannot, so a missing vote is its own ordinal value (-1)
    header, rows = read("HouseVotes84.csv")
    classes, y = codes([r[0] for r in rows])
    votes = np.array([[v if v != "" else np.nan for v in r[1:]] for r in rows], dtype=object)
    X = OrdinalEncoder(encoded_missing_value=-1).fit_transform(votes)
    train, test = holdout_split(len(y), 0.25, list(y), len(classes), 42)
    spread("house_votes random_forest holdout accuracy",
           lambda s: RandomForestClassifier(n_estimators=50, random_state=s),
           X, y, train, test, accuracy_score)


# automl_train's portfolio (src/search/space.c): the deterministic pipelines,
# with the spec automl stores for them and scikit-learn's equivalent
def mean_imputer():
    return SimpleImputer(strategy="mean")


def spec(steps, estimator, params):
    return json.dumps({"steps": steps, "encoder": {"categorical": "onehot"},
                       "estimator": {"type": estimator, "params": params}}, sort_keys=True)


IMPUTE = [{"type": "simple_imputer", "params": {"strategy": "mean", "add_indicator": False}}]
SCALE = IMPUTE + [{"type": "standard_scaler", "params": {}}]
CLASSIFICATION_PORTFOLIO = [
    (spec(SCALE, "logistic_regression", {"C": 1, "penalty": "l2", "max_iter": 300, "class_weight": "none"}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(), exact_logistic(C=1))),
    (spec([], "gradient_boosting", {"max_iter": 100, "subsample": 1, "learning_rate": 0.1,
                                    "max_leaf_nodes": 31, "min_samples_leaf": 20}),
     lambda: HistGradientBoostingClassifier()),
    (spec(IMPUTE, "gaussian_nb", {"var_smoothing": 1e-9}),
     lambda: make_pipeline(mean_imputer(), GaussianNB())),
    (spec(SCALE, "logistic_regression", {"C": 0.1, "penalty": "l2", "max_iter": 300, "class_weight": "none"}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(), exact_logistic(C=0.1))),
    (spec([], "gradient_boosting", {"max_iter": 300, "subsample": 1, "learning_rate": 0.05,
                                    "max_leaf_nodes": 15, "min_samples_leaf": 10, "l2_regularization": 1}),
     lambda: HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                            min_samples_leaf=10, l2_regularization=1)),
    (spec(SCALE, "linear_svm", {"C": 0.1, "loss": "squared_hinge"}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(), exact_svm(C=0.1))),
]
REGRESSION_PORTFOLIO = [
    (spec(SCALE, "ridge", {"alpha": 1}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(), Ridge(alpha=1))),
    (spec(SCALE, "lasso", {"alpha": 0.01, "max_iter": 2000}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(), Lasso(alpha=0.01, max_iter=2000))),
    (spec(SCALE, "elastic_net", {"alpha": 0.01, "l1_ratio": 0.5, "max_iter": 2000}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(), ElasticNet(alpha=0.01, l1_ratio=0.5,
                                                                        max_iter=2000))),
    (spec(SCALE, "knn", {"weights": "distance", "n_neighbors": 10}),
     lambda: make_pipeline(mean_imputer(), StandardScaler(),
                           KNeighborsRegressor(n_neighbors=10, weights="distance"))),
    (spec(IMPUTE, "linear_regression", {}),
     lambda: make_pipeline(mean_imputer(), LinearRegression())),
]

folds_out = []    # (run, spec, fold_scores)
holdout_out = []  # (run, rows)


def search_run(run, X, y, n_classes, seed, portfolio, score):
    hold_rng, fold_rng = search_rngs(seed)
    stratify = list(y) if n_classes else None
    train, test = holdout(len(y), 0.25, stratify, n_classes, hold_rng)
    holdout_out.append((run, "{" + ",".join(str(i) for i in test) + "}"))
    Xt, yt = X[train], y[train]
    folds = kfold_split(len(yt), 5, list(yt) if n_classes else None, n_classes, fold_rng)
    for text, make in portfolio:
        s = [score(yt[b], make().fit(Xt[a], yt[a]).predict(Xt[b])) for a, b in folds]
        folds_out.append((run, text, "{" + ",".join(fl(v) for v in s) + "}"))


def train_suite():
    # wine: balanced accuracy, 5 folds, seed 7
    X, yv = numeric("wine.csv", "target")
    classes, y = codes(list(yv))
    search_run("wine seed 7", X, y, len(classes), 7, CLASSIFICATION_PORTFOLIO, balanced_accuracy_score)
    # diabetes: mean absolute error, light space, seed 3
    X, y = numeric("diabetes.csv", "target")
    search_run("diabetes seed 3", X, y, 0, 3, REGRESSION_PORTFOLIO, mean_absolute_error)


def write(name, header, rows):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    models_suite()
    train_suite()
    write("scores.csv", ["key", "value"], scores)
    write("predictions.csv", ["model", "row", "label", "value", "proba"], predictions)
    write("folds.csv", ["run", "spec", "fold_scores"], folds_out)
    write("holdout_rows.csv", ["run", "rows"], holdout_out)
