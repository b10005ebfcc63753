#!/usr/bin/python3
"""Reference numbers for test/unit/test_naive_bayes_knn.c, from scikit-learn 1.2.

Run with Debian's Python (python3-sklearn):  /usr/bin/python3 test/reference/nb_knn.py
Writes test/unit/reference/nb_knn.json.

Naive Bayes: predict_proba of GaussianNB, BernoulliNB and MultinomialNB fitted
on all rows of wine, iris and breast_cancer (raw features; BernoulliNB also on
standardised wine), plus a fit without the rows of one class.
kNN: predict_proba / predict of KNeighborsClassifier (wine) and
KNeighborsRegressor (diabetes), algorithm="brute", k = 5 and 15, uniform and
distance weights, Euclidean and Manhattan, on standardised features (written
into the JSON so the C test uses the very same numbers), trained on the rows
i % 4 != 0 and tested on the rows i % 4 == 0; plus distance-weighted
prediction of the training rows themselves (exact matches).
"""
import json
import os

import numpy as np
import pandas as pd
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(HERE, "..", "unit", "reference", "nb_knn.json")


def load(name, target):
    df = pd.read_csv(os.path.join(DATA, name), float_precision="round_trip")
    y = df[target]
    X = df.drop(columns=[target]).to_numpy(dtype=np.float64)
    # classes in sorted order -> 0..k-1, as csv_split_xy does
    classes = sorted(y.unique())
    y = np.array([classes.index(v) for v in y], dtype=np.int64)
    return X, y


def tolist(a):
    return [[float(v) for v in row] for row in np.asarray(a)]


datasets = {
    "wine": load("wine.csv", "target"),
    "iris": load("iris.csv", "name"),
    "breast_cancer": load("breast_cancer.csv", "target"),
}
wine_std = StandardScaler().fit_transform(datasets["wine"][0])

nb_cases = []


def nb_case(model, name, params, X, y, source, rows="all"):
    if rows == "all":
        fit_rows = np.arange(len(y))
    else:  # drop the rows of the last class
        fit_rows = np.where(y != y.max())[0]
    m = model(**params).fit(X[fit_rows], y[fit_rows])
    case = {
        "model": name,
        "dataset": source,
        "params": params,
        "fit_rows": rows,
        "classes": [int(c) for c in m.classes_],
        "proba": tolist(m.predict_proba(X)),
    }
    if name == "gaussian_nb":
        case["theta"] = tolist(m.theta_)
        case["var"] = tolist(m.var_)
    nb_cases.append(case)


for ds in ("wine", "iris", "breast_cancer"):
    X, y = datasets[ds]
    nb_case(GaussianNB, "gaussian_nb", {}, X, y, ds)
    nb_case(MultinomialNB, "multinomial_nb", {}, X, y, ds)
nb_case(GaussianNB, "gaussian_nb", {"var_smoothing": 1e-3}, *datasets["wine"], "wine")
nb_case(GaussianNB, "gaussian_nb", {}, *datasets["wine"], "wine", rows="no_last_class")
nb_case(MultinomialNB, "multinomial_nb", {"alpha": 0.1, "fit_prior": False},
        *datasets["iris"], "iris")
nb_case(MultinomialNB, "multinomial_nb", {}, *datasets["wine"], "wine", rows="no_last_class")
nb_case(BernoulliNB, "bernoulli_nb", {}, wine_std, datasets["wine"][1], "wine_std")
nb_case(BernoulliNB, "bernoulli_nb", {"alpha": 0.5, "fit_prior": False}, wine_std,
        datasets["wine"][1], "wine_std")
nb_case(BernoulliNB, "bernoulli_nb", {"binarize": 2.5}, *datasets["iris"], "iris")
nb_case(BernoulliNB, "bernoulli_nb", {"binarize": 1.0}, *datasets["breast_cancer"],
        "breast_cancer")
nb_case(BernoulliNB, "bernoulli_nb", {}, wine_std, datasets["wine"][1], "wine_std",
        rows="no_last_class")

# ---------------------------------------------------------------- kNN
dia = pd.read_csv(os.path.join(DATA, "diabetes.csv"), float_precision="round_trip")
dia_y = dia["target"].to_numpy(dtype=np.float64)
dia_X = StandardScaler().fit_transform(dia.drop(columns=["target"]).to_numpy(dtype=np.float64))

knn_data = {
    "wine": {"X": tolist(wine_std), "y": [int(v) for v in datasets["wine"][1]]},
    "diabetes": {"X": tolist(dia_X), "y": [float(v) for v in dia_y]},
}
knn_cases = []
for ds, X, y, est in (("wine", wine_std, datasets["wine"][1], KNeighborsClassifier),
                      ("diabetes", dia_X, dia_y, KNeighborsRegressor)):
    idx = np.arange(len(y))
    train, test = idx[idx % 4 != 0], idx[idx % 4 == 0]
    for k in (5, 15):
        for weights in ("uniform", "distance"):
            for metric in ("euclidean", "manhattan"):
                m = est(n_neighbors=k, weights=weights, metric=metric, algorithm="brute")
                m.fit(X[train], y[train])
                pred = m.predict_proba(X[test]) if ds == "wine" else m.predict(X[test])[:, None]
                knn_cases.append({
                    "dataset": ds, "on": "test",
                    "params": {"n_neighbors": k, "weights": weights, "metric": metric},
                    "pred": tolist(pred)})
    # exact matches: predict the training rows with distance weights
    m = est(n_neighbors=5, weights="distance", algorithm="brute").fit(X[train], y[train])
    pred = m.predict_proba(X[train]) if ds == "wine" else m.predict(X[train])[:, None]
    knn_cases.append({"dataset": ds, "on": "train",
                      "params": {"n_neighbors": 5, "weights": "distance", "p": 2},
                      "pred": tolist(pred)})

with open(OUT, "w") as f:
    json.dump({"generator": "test/reference/nb_knn.py",
               "sklearn": __import__("sklearn").__version__,
               "nb": nb_cases, "knn_data": knn_data, "knn": knn_cases}, f)
print("wrote", OUT)
