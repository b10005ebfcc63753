#!/usr/bin/python3
"""k-means reference numbers from scikit-learn for test/unit/test_kmeans.c
and sql/stats_kmeans.sql.

Run with Debian's python (python3-sklearn):  /usr/bin/python3 test/reference/kmeans.py
Writes test/unit/reference/kmeans.json: for the four numeric columns of
test/data/iris.csv (unscaled, as automl's k-means sees them) and k = 2, 3, 4:
the best inertia of KMeans(n_clusters=k, n_init=10, random_state=s) over
seeds 0..9 (k-means++, lloyd, tol 1e-4, max_iter 300), its labels and centres.
"""
import csv
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "iris.csv")
OUT = os.path.join(HERE, "..", "unit", "reference", "kmeans.json")

with open(DATA) as f:
    rows = [r for r in csv.DictReader(f)]
cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
X = np.array([[float(r[c]) for c in cols] for r in rows])

cases = []
for k in (2, 3, 4):
    best = None
    for seed in range(10):
        km = KMeans(n_clusters=k, n_init=10, random_state=seed, algorithm="lloyd",
                    tol=1e-4, max_iter=300).fit(X)
        if best is None or km.inertia_ < best.inertia_:
            best = km
    cases.append({"n_clusters": k,
                  "inertia": float(repr(best.inertia_) and best.inertia_),
                  "labels": [int(v) for v in best.labels_],
                  "centers": best.cluster_centers_.tolist()})
    print("k=%d inertia=%.12f sizes=%s" % (k, best.inertia_, np.bincount(best.labels_).tolist()))

with open(OUT, "w") as f:
    json.dump({"generator": "test/reference/kmeans.py",
               "sklearn": sklearn.__version__,
               "columns": cols,
               "cases": cases}, f, indent=1)
