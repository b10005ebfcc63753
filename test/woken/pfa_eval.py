#!/usr/bin/env python3
"""pfa_eval.py — an interpreter of the PFA subset automl_export_pfa writes,
written from the PFA 0.8.1 specification (dmg.org/pfa), standard library only.

    python3 test/woken/pfa_eval.py CASE.json

CASE.json is {"pfa": <document>, "rows": [{"input": {...}, "expected": x}, ...]}
(what sql/woken_pfa.sql writes with automl_export_pfa and automl_predict*).
Each row's input record is scored by the document's action; numbers must
agree with "expected" within 1e-9 (relative to max(1, |expected|)), labels
exactly.  Prints one line: "pfa <name>: N rows agree" or the first
disagreements, and exits 1 on any.

Semantics implemented (spec section in brackets):
  symbols and "input.field" paths [6.2], literals {"double"}, {"string"},
  {"int"}, bare numbers; "let" [6.6], "do", "if"/"then"/"else",
  "ifnotnull" (binds the non-null value) [6.9]; "new" (arrays) [6.8];
  "attr" + "path" and "cell" + "path" [6.11, 6.12]; "fcn" references to
  "u.*" and inline function definitions {"params", "ret", "do"} (which read
  the enclosing scope); library
  functions +, -, *, /, u-, ==, <, <=, >, >=, impute.isnan, a.index,
  a.contains, a.argmax (first index of the maximum), a.map, a.reduce
  (left fold), a.fold (left fold from a zero), a.zipmap, a.mean, la.add,
  m.sqrt, m.link.logit, m.link.softmax, metric.absDiff,
  metric.squaredEuclidean, metric.taxicab, model.reg.linear (record
  {coeff, const}; matrix coeff gives a vector), model.tree.simpleWalk
  (follows pass/fail while the test function says true/false until a
  non-record, i.e. a leaf), model.naive.gaussian, model.neighbor.nearestK
  (stable: equal distances keep the codebook's order),
  model.cluster.closest (the first of equally close clusters).  "new"
  builds arrays and records; "fcn" names a u.* or a library function.
  Outputs: double (1e-9), string or int (equal).  Avro JSON union values
  {"branch": value} in cell initialisers are unwrapped by the cell's type.
  For calibrated classifiers and ensembles of classifiers: "var" and "set"
  (mutable variables; "set" assigns in the scope that declared them) [6.6],
  "while" (the body a new scope per pass) [6.10], int "//" (floor
  division), m.ln, m.exp, a.max, a.sum (in array order), la.scale.
  A row may also carry "proba" (automl_predict_proba's {"label": p}): in
  the order of the cell "classes", it must agree within 1e-9 (absolute)
  with the action's top-level variable "proba" (the class probabilities
  the exporter binds before the decision).
"""
import json
import math
import sys


class Fcn:
    """A function; an inline one reads (never writes) its enclosing scope."""
    def __init__(self, params, body, ev, enclosing=()):
        self.params = [list(p.keys())[0] for p in params]
        self.body = body
        self.ev = ev
        self.enclosing = list(enclosing)

    def __call__(self, *args):
        scope = dict(zip(self.params, args))
        return self.ev.run(self.body, self.enclosing + [scope])


class Evaluator:
    def __init__(self, doc):
        self.doc = doc
        self.types = {}
        self.cells = {name: self.decode(c["type"], c["init"]) for name, c in doc.get("cells", {}).items()}
        self.fcns = {"u." + n: Fcn(f["params"], f["do"], self) for n, f in doc.get("fcns", {}).items()}

    # Avro JSON -> values (records as dicts, unions unwrapped)
    def decode(self, t, v):
        if isinstance(t, str):
            if t in self.types:
                t = self.types[t]
            else:
                return v
        if isinstance(t, list):
            if v is None:
                return None
            branch, inner = next(iter(v.items()))
            for option in t:
                name = option if isinstance(option, str) else option.get("name", option.get("type"))
                if name == branch:
                    return self.decode(option, inner)
            raise ValueError("union branch %s not in %s" % (branch, t))
        if t["type"] == "record":
            self.types.setdefault(t["name"], t)
            return {f["name"]: self.decode(f["type"], v[f["name"]]) for f in t["fields"]}
        if t["type"] == "array":
            return [self.decode(t["items"], x) for x in v]
        return v

    def lookup(self, scopes, name):
        parts = name.split(".")
        for s in reversed(scopes):
            if parts[0] in s:
                v = s[parts[0]]
                for p in parts[1:]:
                    v = v[p]
                return v
        raise KeyError(name)

    def run(self, exprs, scopes):
        scopes = scopes + [{}]
        result = None
        for e in exprs:
            result = self.ev(e, scopes)
        return result

    def ev(self, e, scopes):
        if isinstance(e, str):
            return self.lookup(scopes, e)
        if isinstance(e, bool) or e is None:
            return e
        if isinstance(e, (int, float)):
            return e
        if isinstance(e, list):
            raise ValueError("bare array in expression")
        if "let" in e or "var" in e:
            for k, v in e.get("let", e.get("var")).items():
                scopes[-1][k] = self.ev(v, scopes)
            return None
        if "set" in e:
            for k, v in e["set"].items():
                val = self.ev(v, scopes)
                for s in reversed(scopes):
                    if k in s:
                        s[k] = val
                        break
                else:
                    raise ValueError("set of an undeclared variable %s" % k)
            return None
        if "while" in e:
            while self.ev(e["while"], scopes):
                self.run(e["do"], scopes)
            return None
        if "do" in e and "params" not in e:
            return self.run(e["do"], scopes)
        if "ifnotnull" in e:
            (name, expr), = e["ifnotnull"].items()
            v = self.ev(expr, scopes)
            if v is not None:
                return self.run([e["then"]], scopes + [{name: v}])
            return self.run([e["else"]], scopes) if "else" in e else None
        if "if" in e:
            if self.ev(e["if"], scopes):
                return self.ev(e["then"], scopes)
            return self.ev(e["else"], scopes) if "else" in e else None
        if "new" in e:
            if isinstance(e["new"], dict):  # a record
                return {k: self.ev(v, scopes) for k, v in e["new"].items()}
            return [self.ev(x, scopes) for x in e["new"]]
        if "cell" in e:
            v = self.cells[e["cell"]]
            for p in e.get("path", []):
                v = v[self.ev(p, scopes)]
            return v
        if "attr" in e:
            v = self.ev(e["attr"], scopes)
            for p in e["path"]:
                v = v[self.ev(p, scopes)]
            return v
        if "fcn" in e:
            if e["fcn"].startswith("u."):
                return self.fcns[e["fcn"]]
            return lambda *args, op=e["fcn"]: self.call(op, list(args))
        if "params" in e:
            return Fcn(e["params"], e["do"], self, [dict(s) for s in scopes])
        for lit in ("double", "float"):
            if lit in e:
                return float(e[lit])
        for lit in ("int", "long"):
            if lit in e:
                return int(e[lit])
        if "string" in e:
            return e["string"]
        (op, args), = e.items()
        if not isinstance(args, list):
            args = [args]
        return self.call(op, [self.ev(a, scopes) for a in args])

    def call(self, op, a):
        if op.startswith("u."):  # a call of a function of "fcns"
            return self.fcns[op](*a)
        if op == "+":
            return a[0] + a[1]
        if op == "-":
            return a[0] - a[1]
        if op == "*":
            return a[0] * a[1]
        if op == "/":  # PFA "/" is floating-point division (IEEE: 0/0 is NaN)
            x, y = float(a[0]), float(a[1])
            if y == 0:
                return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1, y)
            return x / y
        if op == "//":  # [//]: integer division, rounded down
            return a[0] // a[1]
        if op == "m.ln":
            return math.log(a[0]) if a[0] > 0 else (-math.inf if a[0] == 0 else math.nan)
        if op == "m.exp":
            try:
                return math.exp(a[0])
            except OverflowError:
                return math.inf
        if op == "a.max":
            if not a[0]:
                raise ValueError("a.max of an empty array")
            return max(a[0])
        if op == "a.sum":
            s = 0.0
            for x in a[0]:
                s += x
            return s
        if op == "la.scale":  # [la.scale](x, alpha): each x_i * alpha
            return [x * a[1] for x in a[0]]
        if op == "u-":
            return -a[0]
        if op == "==":
            return a[0] == a[1]
        if op == "<":
            return a[0] < a[1]
        if op == "<=":
            return a[0] <= a[1]
        if op == ">":
            return a[0] > a[1]
        if op == ">=":
            return a[0] >= a[1]
        if op == "impute.isnan":
            return isinstance(a[0], float) and math.isnan(a[0])
        if op == "a.index":
            return a[0].index(a[1]) if a[1] in a[0] else -1
        if op == "a.contains":
            return a[1] in a[0]
        if op == "a.argmax":
            best = 0
            for i, v in enumerate(a[0]):
                if v > a[0][best]:
                    best = i
            return best
        if op == "a.map":
            return [a[1](x) for x in a[0]]
        if op == "a.reduce":
            acc = a[0][0]
            for x in a[0][1:]:
                acc = a[1](acc, x)
            return acc
        if op == "a.fold":  # [a.fold]: left fold from zero, fcn(accumulator, item)
            acc = a[1]
            for x in a[0]:
                acc = a[2](acc, x)
            return acc
        if op == "a.zipmap":  # [a.zipmap]: fcn over items at the same index
            if len(a[0]) != len(a[1]):
                raise ValueError("a.zipmap: misaligned arrays")
            return [a[2](x, y) for x, y in zip(a[0], a[1])]
        if op == "m.sqrt":
            return math.sqrt(a[0])
        if op == "metric.absDiff":  # [metric.absDiff]: |x - y|
            return abs(a[0] - a[1])
        if op in ("metric.squaredEuclidean", "metric.taxicab"):
            # [metric.*]: sum over components of similarity(x_i, y_i)^2 (squared
            # Euclidean) or of similarity(x_i, y_i) (taxicab), without missing values
            sim, x, y = a[0], a[1], a[2]
            if len(x) != len(y):
                raise ValueError("%s: dimensions differ" % op)
            s = 0.0
            for u, v in zip(x, y):
                z = sim(u, v)
                s += z * z if op == "metric.squaredEuclidean" else z
            return s
        if op == "model.neighbor.nearestK":
            # [model.neighbor.nearestK](k, datum, codebook, metric): the k items of
            # the codebook nearest datum, nearest first; equal distances keep the
            # codebook's order (a stable sort)
            k, datum, codebook, metric = a
            order = sorted(range(len(codebook)), key=lambda i: metric(datum, codebook[i]))
            return [codebook[i] for i in order[:k]]
        if op == "model.cluster.closest":
            # [model.cluster.closest](datum, clusters, metric): the cluster whose
            # center is nearest (metric(datum, center)), the first of equals
            datum, clusters, metric = a
            best, bd = None, None
            for c in clusters:
                d = metric(datum, c["center"])
                if best is None or d < bd:
                    best, bd = c, d
            return best
        if op == "model.naive.gaussian":
            # [model.naive.gaussian](datum, classModel): sum over features of the
            # log of the normal density, -log(2 pi var)/2 - (x - mean)^2 / (2 var)
            datum, model = a
            if len(datum) != len(model):
                raise ValueError("model.naive.gaussian: dimensions differ")
            s = 0.0
            for x, g in zip(datum, model):
                s += -0.5 * math.log(2.0 * math.pi * g["variance"]) - (x - g["mean"]) ** 2 / (2.0 * g["variance"])
            return s
        if op == "a.mean":
            s = 0.0
            for x in a[0]:
                s += x
            return s / len(a[0])
        if op == "la.add":
            return [x + y for x, y in zip(a[0], a[1])]
        if op == "m.link.logit":
            return 1.0 / (1.0 + math.exp(-a[0]))
        if op == "m.link.softmax":
            m = max(a[0])
            ex = [math.exp(x - m) for x in a[0]]
            s = sum(ex)
            return [x / s for x in ex]
        if op == "model.reg.linear":
            x, model = a
            def dot(c, b):
                s = b
                for w, v in zip(c, x):
                    s += w * v
                return s
            if model["coeff"] and isinstance(model["coeff"][0], list):
                return [dot(c, b) for c, b in zip(model["coeff"], model["const"])]
            return dot(model["coeff"], model["const"])
        if op == "model.tree.simpleWalk":
            datum, node, test = a
            while isinstance(node, dict):
                node = node["pass"] if test(datum, node) else node["fail"]
            return node
        raise ValueError("function %s is not in the subset" % op)

    def action(self, record):
        """The action's value and its top-level scope."""
        top = {}
        result = None
        scopes = [{"input": record}, top]
        for e in self.doc["action"]:
            result = self.ev(e, scopes)
        return result, top


def input_record(doc, row):
    rec = {}
    for f in doc["input"]["fields"]:
        v = row.get(f["name"])
        if v is not None and "double" in f["type"]:
            v = float(v)
        rec[f["name"]] = v
    return rec


def main(path):
    case = json.load(open(path))
    doc = case["pfa"]
    ev = Evaluator(doc)
    bad = []
    n_proba = 0
    for i, r in enumerate(case["rows"]):
        got, top = ev.action(input_record(doc, r["input"]))
        want = r["expected"]
        if doc["output"] == "double":
            ok = want is not None and abs(got - float(want)) <= 1e-9 * max(1.0, abs(float(want)))
        else:
            ok = got == want
        if not ok:
            bad.append("row %d: PFA %r, automl_predict %r" % (i, got, want))
        if "proba" in r:
            # automl_predict_proba's {"label": p}: in the order of the cell "classes"
            n_proba += 1
            p = top.get("proba")
            want_p = [r["proba"].get(c) for c in ev.cells.get("classes", [])]
            if p is None or len(p) != len(want_p) or None in want_p or \
               any(not abs(x - float(y)) <= 1e-9 for x, y in zip(p, want_p)):
                bad.append("row %d: PFA proba %r, automl_predict_proba %r" % (i, p, want_p))
    if bad:
        print("pfa %s: %d of %d rows disagree" % (doc["name"], len(bad), len(case["rows"])))
        for b in bad[:5]:
            print("  " + b)
        sys.exit(1)
    print("pfa %s (%s): %d rows agree%s" % (doc["name"], doc["metadata"].get("automl.algorithm"), len(case["rows"]),
                                            " (labels and probabilities)" if n_proba == len(case["rows"]) else ""))


if __name__ == "__main__":
    main(sys.argv[1])
