#!/usr/bin/python3
"""Reference numbers for test/unit/test_transformers.c, from scikit-learn 1.2,
scipy 1.10 and mpmath.

Run with Debian's Python:  /usr/bin/python3 test/reference/transformers.py
Writes test/unit/reference/transformers.json.

Sections (every case names the dataset, the C transformer, its JSON
hyperparameters and scikit-learn's fitted attributes; "rows" are the row
indices whose transformed values are written, to keep the file small):
  scalers        StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler on
                 breast_cancer, wine, diabetes and PimaIndiansDiabetes2 (NaN);
                 Normalizer and Binarizer on the complete datasets.
  imputers       SimpleImputer (mean/median/most_frequent/constant, with and
                 without add_indicator) on PimaIndiansDiabetes2, and on a small
                 matrix with an all-missing column (keep_empty_features).
  pca            PCA(svd_solver="full") on iris, wine, breast_cancer, diabetes
                 with several n_components / whiten settings.
  polynomial     PolynomialFeatures(degree=2) on iris and wine.
  variance       VarianceThreshold on wine, breast_cancer and a small matrix.
  univariate     f_classif (wine, breast_cancer, iris) and f_regression
                 (diabetes) scores and p-values; SelectKBest, SelectPercentile
                 and SelectFwe supports.
  distributions  betainc, F / t / chi-square tails, normal and t quantiles:
                 exact values from mpmath at 40 digits ("exact") and scipy's
                 ("scipy").
Datasets are read with Python's float(), which rounds like the C strtod() of
test/unit/lib/csv.c; classes are numbered in sorted order as csv_split_xy does.
"""
import csv
import json
import math
import os

import mpmath as mp
import numpy as np
from scipy import special, stats
from sklearn.decomposition import PCA
from sklearn.feature_selection import (SelectFwe, SelectKBest, SelectPercentile,
                                       VarianceThreshold, f_classif, f_regression)
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import (Binarizer, MaxAbsScaler, MinMaxScaler, Normalizer,
                                   PolynomialFeatures, RobustScaler, StandardScaler)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(HERE, "..", "unit", "reference", "transformers.json")


def load(name, target, drop=()):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    t = header.index(target)
    cols = [j for j in range(len(header)) if j != t and header[j] not in drop]
    X = np.array([[float(r[j]) if r[j] != "" else np.nan for j in cols] for r in rows[1:]])
    yraw = [r[t] for r in rows[1:]]
    try:
        y = np.array([float(v) for v in yraw])
    except ValueError:
        classes = sorted(set(yraw))
        y = np.array([float(classes.index(v)) for v in yraw])
    return X, y


def enc(v):
    """JSON-safe value: NaN and infinities as strings (core/json.h reads them)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [enc(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def sample_rows(n):
    rows = list(range(min(n, 6)))
    rows += list(range(7, n, max(1, n // 12)))
    return sorted(set(rows))


def transformed(model, X, rows):
    Z = model.transform(X)
    return [enc(Z[i]) for i in rows]


D = {
    "breast_cancer": load("breast_cancer.csv", "target"),
    "wine": load("wine.csv", "target"),
    "diabetes": load("diabetes.csv", "target"),
    "iris": load("iris.csv", "name"),
    "pima": load("PimaIndiansDiabetes2.csv", "diabetes"),
}
CSV = {"breast_cancer": ("breast_cancer.csv", "target"), "wine": ("wine.csv", "target"),
       "diabetes": ("diabetes.csv", "target"), "iris": ("iris.csv", "name"),
       "pima": ("PimaIndiansDiabetes2.csv", "diabetes")}
out = {"datasets": {k: {"file": v[0], "target": v[1]} for k, v in CSV.items()}}

# ---------------------------------------------------------------- scalers
scalers = []


def scaler_case(data, ctype, params, model, attrs):
    X, _ = D[data]
    m = model.fit(X)
    rows = sample_rows(len(X))
    case = {"data": data, "type": ctype, "params": params, "rows": rows,
            "out": transformed(m, X, rows)}
    for name, value in attrs(m).items():
        case[name] = enc(value)
    scalers.append(case)


for data in ["breast_cancer", "wine", "diabetes", "pima"]:
    scaler_case(data, "standard_scaler", {}, StandardScaler(),
                lambda m: {"mean": m.mean_, "var": m.var_, "scale": m.scale_})
    scaler_case(data, "standard_scaler", {"with_mean": False}, StandardScaler(with_mean=False),
                lambda m: {"scale": m.scale_})
    scaler_case(data, "standard_scaler", {"with_std": False}, StandardScaler(with_std=False),
                lambda m: {"mean": m.mean_})
    scaler_case(data, "minmax_scaler", {}, MinMaxScaler(),
                lambda m: {"data_min": m.data_min_, "data_max": m.data_max_,
                           "scale": m.scale_, "offset": m.min_})
    scaler_case(data, "minmax_scaler", {"feature_range_min": -1, "feature_range_max": 2},
                MinMaxScaler(feature_range=(-1, 2)),
                lambda m: {"scale": m.scale_, "offset": m.min_})
    scaler_case(data, "maxabs_scaler", {}, MaxAbsScaler(),
                lambda m: {"max_abs": m.max_abs_, "scale": m.scale_})
    scaler_case(data, "robust_scaler", {}, RobustScaler(),
                lambda m: {"center": m.center_, "scale": m.scale_})
    scaler_case(data, "robust_scaler", {"q_low": 10, "q_high": 90, "unit_variance": True},
                RobustScaler(quantile_range=(10, 90), unit_variance=True),
                lambda m: {"center": m.center_, "scale": m.scale_})
    scaler_case(data, "robust_scaler", {"with_centering": False, "q_low": 5, "q_high": 62.5},
                RobustScaler(with_centering=False, quantile_range=(5, 62.5)),
                lambda m: {"scale": m.scale_})
    if data != "pima":  # Normalizer and Binarizer reject NaN
        for norm in ["l1", "l2", "max"]:
            scaler_case(data, "normalizer", {"norm": norm}, Normalizer(norm=norm), lambda m: {})
        scaler_case(data, "binarizer", {}, Binarizer(), lambda m: {})
        thr = float(np.median(D[data][0][:, 1]))
        scaler_case(data, "binarizer", {"threshold": thr}, Binarizer(threshold=thr),
                    lambda m: {})
# minmax clip on new data: fitted on the first half, applied to all rows
X = D["wine"][0]
m = MinMaxScaler(clip=True).fit(X[:89])
rows = sample_rows(len(X))
scalers.append({"data": "wine", "type": "minmax_scaler", "params": {"clip": True},
                "fit_rows": 89, "rows": rows, "out": transformed(m, X, rows),
                "scale": enc(m.scale_), "offset": enc(m.min_)})
out["scalers"] = scalers

# ---------------------------------------------------------------- imputers
imputers = []
Xp = D["pima"][0]
prow = sample_rows(len(Xp))
prow = sorted(set(prow + [int(i) for i in np.where(np.isnan(Xp).any(axis=1))[0][:15]]))
for strategy in ["mean", "median", "most_frequent", "constant"]:
    for add in [False, True]:
        kw = {"strategy": strategy, "add_indicator": add}
        if strategy == "constant":
            kw["fill_value"] = -1.5
        m = SimpleImputer(**kw).fit(Xp)
        params = dict(kw)
        imputers.append({"data": "pima", "params": params, "rows": prow,
                         "statistics": enc(m.statistics_),
                         "n_out": int(m.transform(Xp[:1]).shape[1]),
                         "out": transformed(m, Xp, prow)})
small = np.array([[1.0, np.nan, 3.0, np.nan],
                  [2.0, np.nan, np.nan, 7.0],
                  [2.0, np.nan, 5.0, 7.0],
                  [np.nan, np.nan, 3.0, 8.0],
                  [4.0, np.nan, 5.0, 8.0]])
for strategy in ["mean", "median", "most_frequent", "constant"]:
    for keep in [False, True]:
        for add in [False, True]:
            kw = {"strategy": strategy, "keep_empty_features": keep, "add_indicator": add}
            m = SimpleImputer(**kw).fit(small)
            imputers.append({"data": "small", "params": kw, "rows": list(range(5)),
                             "statistics": enc(m.statistics_),
                             "n_out": int(m.transform(small[:1]).shape[1]),
                             "out": transformed(m, small, range(5))})
out["imputer_small"] = enc(small.T.ravel())  # column-major 5 x 4
out["imputers"] = imputers

# ---------------------------------------------------------------- PCA
pcas = []
for data, settings in [
        ("iris", [{}, {"n_components": 2}, {"n_components": 0.95}, {"whiten": True}]),
        ("wine", [{}, {"n_components": 0.9999}, {"n_components": 3, "whiten": True}]),
        ("breast_cancer", [{"n_components": 5}, {"n_components": 0.999999}, {"whiten": True, "n_components": 10}]),
        ("diabetes", [{}, {"n_components": 3}, {"n_components": 0.5, "whiten": True}])]:
    X = D[data][0]
    for s in settings:
        m = PCA(svd_solver="full", **s).fit(X)
        rows = sample_rows(len(X))
        pcas.append({"data": data, "params": s, "rows": rows,
                     "n_components": int(m.n_components_),
                     "mean": enc(m.mean_), "components": enc(m.components_.ravel()),
                     "explained_variance": enc(m.explained_variance_),
                     "explained_variance_ratio": enc(m.explained_variance_ratio_),
                     "singular_values": enc(m.singular_values_),
                     "noise_variance": enc(m.noise_variance_),
                     "out": transformed(m, X, rows)})
out["pca"] = pcas

# ---------------------------------------------------------------- polynomial
polys = []
for data in ["iris", "wine"]:
    X = D[data][0]
    for kw in [{}, {"interaction_only": True}, {"include_bias": True}]:
        m = PolynomialFeatures(degree=2, include_bias=kw.get("include_bias", False),
                               interaction_only=kw.get("interaction_only", False)).fit(X)
        rows = sample_rows(len(X))
        polys.append({"data": data, "params": kw, "rows": rows,
                      "n_out": int(m.n_output_features_),
                      "powers": [[int(v) for v in r] for r in m.powers_],
                      "out": transformed(m, X, rows)})
out["polynomial"] = polys

# ---------------------------------------------------------------- variance threshold
variances = []
vsmall = np.array([[0.1, 1.0, 2.0, np.nan, 5.0],
                   [0.1, 1.0, 2.5, np.nan, 5.0],
                   [0.1, 1.0, 2.0, 3.0, np.nan],
                   [0.1, 1.0, 3.0, 4.0, 5.0]])
out["variance_small"] = enc(vsmall.T.ravel())  # column-major 4 x 5
for data, thresholds in [("wine", [0.0, 0.5, 10.0]), ("breast_cancer", [0.0, 0.01]),
                         ("small", [0.0, 0.1])]:
    X = vsmall if data == "small" else D[data][0]
    for thr in thresholds:
        m = VarianceThreshold(threshold=thr).fit(X)
        variances.append({"data": data, "params": {"threshold": thr},
                          "variances": enc(m.variances_),
                          "selected": [int(i) for i in m.get_support(indices=True)]})
out["variance"] = variances

# ---------------------------------------------------------------- univariate selection
univ = []
for data, func, task in [("wine", f_classif, "classification"),
                         ("breast_cancer", f_classif, "classification"),
                         ("iris", f_classif, "classification"),
                         ("diabetes", f_regression, "regression")]:
    X, y = D[data]
    F, pv = func(X, y)
    case = {"data": data, "task": task, "scores": enc(F), "pvalues": enc(pv), "select": []}
    p = X.shape[1]
    for k in [1, 3, 5, 10]:
        if k <= p:
            s = SelectKBest(func, k=k).fit(X, y)
            case["select"].append({"type": "select_k_best", "params": {"k": k},
                                   "selected": [int(i) for i in s.get_support(indices=True)]})
    for perc in [10, 25, 50, 99]:
        s = SelectPercentile(func, percentile=perc).fit(X, y)
        case["select"].append({"type": "select_percentile", "params": {"percentile": perc},
                               "selected": [int(i) for i in s.get_support(indices=True)]})
    for alpha in [0.05, 1e-10, 1e-40]:
        s = SelectFwe(func, alpha=alpha).fit(X, y)
        case["select"].append({"type": "select_fwe", "params": {"alpha": alpha},
                               "selected": [int(i) for i in s.get_support(indices=True)]})
    univ.append(case)
out["univariate"] = univ

# ---------------------------------------------------------------- distributions
mp.mp.dps = 40


def cf_beta(a, b, x):
    tiny = mp.mpf("1e-300")
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = mp.mpf(1), 1 - qab * x / qap
    d = 1 / d
    h = d
    m = 1
    while True:
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        c = 1 + aa / c
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        c = 1 + aa / c
        d = 1 / d
        de = d * c
        h *= de
        if abs(de - 1) < mp.mpf(10) ** -36:
            return h
        m += 1


def mp_ibeta(a, b, x):
    """(I_x(a,b), 1 - I_x(a,b)) at 40 digits (continued fraction, exact prefactor)."""
    a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    y = 1 - x
    if x == 0:
        return mp.mpf(0), mp.mpf(1)
    if y == 0:
        return mp.mpf(1), mp.mpf(0)
    lp = a * mp.log(x) + b * mp.log(y) - mp.log(mp.beta(a, b))
    if x * (a + b + 2) < a + 1:
        v = mp.exp(lp) * cf_beta(a, b, x) / a
        return v, 1 - v
    v = mp.exp(lp) * cf_beta(b, a, y) / b
    return 1 - v, v


def mp_gamma(a, x):
    """(P(a,x), Q(a,x)) at 40 digits."""
    a, x = mp.mpf(a), mp.mpf(x)
    lp = a * mp.log(x) - x - mp.loggamma(a)
    if x < a + 1:
        s = d = 1 / a
        ap = a
        while True:
            ap += 1
            d *= x / ap
            s += d
            if abs(d) < abs(s) * mp.mpf(10) ** -36:
                break
        v = mp.exp(lp) * s
        return v, 1 - v
    b = x + 1 - a
    c = 1 / mp.mpf("1e-300")
    d = 1 / b
    h = d
    i = 1
    while True:
        an = -i * (i - a)
        b += 2
        d = an * d + b
        c = b + an / c
        d = 1 / d
        de = d * c
        h *= de
        i += 1
        if abs(de - 1) < mp.mpf(10) ** -36:
            break
    v = mp.exp(lp) * h
    return 1 - v, v


# the continued fractions agree with mpmath's own hypergeometric betainc/gammainc
for a, b, x in [(0.5, 3, 0.2), (7, 2.5, 0.9), (3, 9, 0.5), (12, 40, 0.3)]:
    assert abs(mp_ibeta(a, b, x)[0] - mp.betainc(a, b, 0, x, regularized=True)) < 1e-35
for a, x in [(0.5, 0.2), (3, 7), (25, 20), (9.5, 3)]:
    assert abs(mp_gamma(a, x)[1] - mp.gammainc(a, x, mp.inf, regularized=True)) < 1e-35

dist = {"betainc": [], "f": [], "t": [], "chi2": [], "norm_ppf": [], "t_isf": []}
for a in [0.5, 1, 2.5, 9.5, 10, 30, 283.5, 2000, 50000]:
    for b in [0.5, 1, 4, 12, 283.5, 20000]:
        for x in [1e-8, 0.001, 0.2, 0.5, 0.8, 0.999, float(a / (a + b))]:
            v, c = mp_ibeta(a, b, x)
            dist["betainc"].append({"a": a, "b": b, "x": x, "exact": enc(float(v)),
                                    "exact_c": enc(float(c)),
                                    "scipy": enc(float(special.betainc(a, b, x)))})
for d1, d2 in [(1, 1), (1, 10), (2, 567), (1, 567), (2, 175), (12, 30), (5, 1000), (40, 40),
               (1, 100000), (3, 99996)]:
    for f in [1e-6, 0.05, 0.5, 1.0, 2.5, 10, 80, 600, 5000]:
        x = mp.mpf(d2) / (d2 + mp.mpf(d1) * f)
        sf, cdf = mp_ibeta(mp.mpf(d2) / 2, mp.mpf(d1) / 2, x)
        dist["f"].append({"f": f, "d1": d1, "d2": d2, "sf": enc(float(sf)), "cdf": enc(float(cdf)),
                          "scipy_sf": enc(float(stats.f.sf(f, d1, d2)))})
for df in [1, 2, 3, 7.5, 30, 440, 1e5]:
    for t in [-40, -3, -0.5, 0, 0.1, 1.96, 4, 12, 100]:
        if t == 0:
            sf = cdf = mp.mpf(0.5)
        else:
            tail = mp_ibeta(mp.mpf(df) / 2, mp.mpf(0.5), mp.mpf(df) / (df + mp.mpf(t) ** 2))[0] / 2
            sf, cdf = (tail, 1 - tail) if t > 0 else (1 - tail, tail)
        dist["t"].append({"t": t, "df": df, "sf": enc(float(sf)), "cdf": enc(float(cdf)),
                          "scipy_sf": enc(float(stats.t.sf(t, df)))})
for k in [1, 2, 3, 10, 25, 99, 1000, 20000]:
    for x in [1e-5, 0.5, 1, 5, 20, k * 0.5, k, k * 1.5, k + 40 * math.sqrt(k)]:
        p, q = mp_gamma(mp.mpf(k) / 2, mp.mpf(x) / 2)
        dist["chi2"].append({"x": x, "k": k, "sf": enc(float(q)), "cdf": enc(float(p)),
                             "scipy_sf": enc(float(stats.chi2.sf(x, k)))})
for p in [1e-300, 1e-20, 1e-5, 0.001, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999999]:
    z = mp.findroot(lambda z: mp.ncdf(z) - p, mp.mpf(stats.norm.ppf(p)))
    dist["norm_ppf"].append({"p": p, "exact": enc(float(z)), "scipy": enc(float(stats.norm.ppf(p)))})


def mp_t_sf(t, df):
    tail = mp_ibeta(mp.mpf(df) / 2, mp.mpf(0.5), mp.mpf(df) / (df + t ** 2))[0] / 2
    return tail if t > 0 else 1 - tail


for df in [1, 2, 3, 4.5, 10, 29, 440]:
    for p in [1e-12, 0.001, 0.025, 0.05, 0.2, 0.6, 0.975]:
        t0 = mp.mpf(stats.t.isf(p, df))
        t = mp.findroot(lambda t: mp_t_sf(t, df) - p, t0)
        dist["t_isf"].append({"p": p, "df": df, "exact": enc(float(t)),
                              "scipy": enc(float(stats.t.isf(p, df)))})
out["distributions"] = dist

with open(OUT, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT, os.path.getsize(OUT), "bytes")
