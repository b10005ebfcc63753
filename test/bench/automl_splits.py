#!/usr/bin/python3
"""automl_splits.py — automl_train on several 75/25 splits of the suite's
tables (automl_suite.py's tables and protocol, split seeds SEEDS instead of
42 alone), against scikit-learn's best default on the same split (RF,
HistGB, logistic/ridge; the best of the three on the test rows, an oracle).
One split of a small table moves a score by a row (zoo: 0.14); several
splits tell a change of the search from run-to-run noise.

Runs against a cluster with the suite's CSV files loaded
(PGHOST/PGPORT/PSQL/SUITE_DATA as automl_suite.sh sets them; the tables
are created as x.<table>_<seed>_train/_test).  scikit-learn's scores are
cached in results/automl_splits_sklearn.json.
  TABLES="iris glass" SEEDS="42 1 2" BUDGET=12 ARGS=", test_size => 0" TAG=name \
    /usr/bin/python3 test/bench/automl_splits.py"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import automl_suite as S
SEEDS = [int(s) for s in os.environ.get("SEEDS", "42 1 2").split()]
BUDGET = int(os.environ.get("BUDGET", "12"))
ARGS = os.environ.get("ARGS", "")
TAG = os.environ.get("TAG", "base")
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
os.makedirs(RESULTS, exist_ok=True)
CACHE = os.path.join(RESULTS, "automl_splits_sklearn.json")
cache = json.load(open(CACHE)) if os.path.exists(CACHE) else {}
S.psql("CREATE SCHEMA IF NOT EXISTS x")
out = []
for name, file, target, classification, kind in S.TABLES:
    header, rows, t = S.load(name, file, target)
    for seed in SEEDS:
        key = "%s/%d" % (name, seed)
        tr, te = S.split(rows, t, classification, seed)
        train = [rows[i] for i in tr]; test = [rows[i] for i in te]
        if key not in cache:
            cache[key] = S.sklearn_scores(header, train, test, t, classification)
            json.dump(cache, open(CACHE, "w"))
        types = [S.sql_type(rows, j, j == t, classification) for j in range(len(header))]
        tt = "x.%s_%d" % (name, seed)
        if S.psql("SELECT to_regclass('%s_test') IS NULL" % tt)[0][0] == "t":
            S.create_table(tt + "_train", header, train, types)
            S.create_table(tt + "_test", header, test, types)
        t0 = time.time()
        try:
            r = S.psql("SELECT model_id, evaluated FROM automl_train('%s_train', '%s', time_budget => '%d seconds'%s)" % (tt, target, BUDGET, ARGS))
            wall = time.time() - t0
            mid = r[0][0]
            score = S.automl_score(mid, tt + "_test", target, classification)
            desc = S.psql("SELECT description FROM automl.models WHERE id = %s" % mid)[0][0]
        except RuntimeError as e:
            score, wall, desc = float("nan"), time.time() - t0, "ERROR " + str(e)[:200]
        best = max(v["score"] for v in cache[key].values())
        rec = {"table": name, "seed": seed, "score": score, "best": best, "wall": round(wall, 1), "model": desc[:100]}
        out.append(rec)
        print("%-14s %3d %.4f best %.4f %+.4f wall %5.1f %s" % (name, seed, score, best, score - best, wall, desc[:80]), flush=True)
json.dump(out, open(os.path.join(RESULTS, "automl_splits_%s.json" % TAG), "w"), indent=1)
wins = sum(1 for r in out if r["score"] >= r["best"] - 1e-12)
print("TAG %s: >= best default %d of %d (%.0f%%); mean %.4f vs %.4f; max wall %.1f" % (
    TAG, wins, len(out), 100.0 * wins / len(out), sum(r["score"] for r in out) / len(out),
    sum(r["best"] for r in out) / len(out), max(r["wall"] for r in out)))
