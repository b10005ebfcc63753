#!/usr/bin/python3
"""Reference numbers for test/unit/test_nystroem.c (src/ml/nystroem.c).

Run with Debian's scikit-learn 1.2 from the repository root:
    /usr/bin/python3 test/reference/nystroem.py
It writes test/unit/reference/nystroem.json with a seeded matrix of 60
training rows and 15 test rows of 5 columns, and for scikit-learn's
Nystroem(kernel="rbf", gamma=0.3, n_components=60) fitted on the training
rows (every row a landmark, in its own random order):
  - gram_test: Z(test) Z(test)' (15 x 15, row-major);
  - gram_cross: Z(test) Z(train)' (15 x 60, row-major).
The features themselves depend on the landmarks' order (an orthogonal
change of basis), their inner products do not: with every row a landmark
they are k(x)' K^-1 k(y), whatever order automl draws them in.
Also rbf_kernel(test, train) (kernel_cross), which Z(test) Z(train)'
reproduces when every training row is a landmark.
"""
import json

import numpy as np
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import rbf_kernel

rng = np.random.RandomState(11)
train = rng.normal(size=(60, 5))
test = rng.normal(size=(15, 5))
ny = Nystroem(kernel="rbf", gamma=0.3, n_components=60, random_state=0).fit(train)
zt = ny.transform(test)
zr = ny.transform(train)
with open("test/unit/reference/nystroem.json", "w") as f:
    json.dump({"gamma": 0.3, "train": train.tolist(), "test": test.tolist(),
               "gram_test": (zt @ zt.T).ravel().tolist(), "gram_cross": (zt @ zr.T).ravel().tolist(),
               "kernel_cross": rbf_kernel(test, train, gamma=0.3).ravel().tolist()}, f)
print("wrote test/unit/reference/nystroem.json")
