#!/usr/bin/python3
"""Reference numbers for test/unit/test_calibration.c (src/ml/calibration.c).

Run with Debian's scikit-learn 1.2 from the repository root:
    /usr/bin/python3 test/reference/calibration.py
It writes test/unit/reference/calibration.json with seeded, overconfident
binary probabilities p (and labels y) and:
  - isotonic_sklearn: scikit-learn's IsotonicRegression(out_of_bounds="clip")
    fitted on (p, y) and evaluated at the test points (what
    CalibratedClassifierCV(method="isotonic") does);
  - isotonic: the same fit with automl's one change: its values v become
    (n v + 1) / (n + 2) for its n rows (no probability of 0 or 1), then
    interpolated the same way;
  - platt: scikit-learn's _sigmoid_calibration (Platt's smoothed targets,
    BFGS) on the log-odds logit(p) as the feature, returned as (a, b) of
    p' = 1 / (1 + exp(-(a logit(p) + b)));
    automl fits the same objective by Newton's method.
"""
import json

import numpy as np
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

rng = np.random.RandomState(7)
n = 400
z = rng.normal(size=n)
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
p = np.round(1 / (1 + np.exp(-2.5 * z - 0.3)), 3)  # overconfident, shifted, with ties
test = np.linspace(-0.05, 1.05, 23)

iso = IsotonicRegression(out_of_bounds="clip").fit(p, y)
# the fit at the distinct training points, shrunk as automl does
xs = np.unique(p)
fit = (n * iso.predict(xs) + 1) / (n + 2)
laplace = np.interp(test, xs, fit)
logit = np.log(np.clip(p, 1e-15, 1 - 1e-15) / (1 - np.clip(p, 1e-15, 1 - 1e-15)))
A, B = _sigmoid_calibration(logit, y)

with open("test/unit/reference/calibration.json", "w") as f:
    json.dump({"p": p.tolist(), "y": y.tolist(), "test": test.tolist(),
               "isotonic_sklearn": iso.predict(test).tolist(), "isotonic": laplace.tolist(),
               "platt_a": float(-A), "platt_b": float(-B)}, f)
print("wrote test/unit/reference/calibration.json")
