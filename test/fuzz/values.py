"""values.py — hostile and plausible SQL values for the fuzzer, by SQL type
and by argument name.

Every generator takes a random.Random and returns SQL text (an expression),
so every value is reproducible from the seed.  Large values are built by the
server (repeat(), generate_series()) to keep the statements short.
"""

import json


def lit(s):
    """A standard-conforming SQL string literal (no NUL: PostgreSQL refuses it)."""
    return "'" + s.replace("\0", "").replace("'", "''") + "'"


def ident(s):
    return '"' + s.replace('"', '""') + '"'


# characters that break things: quotes, escapes, format directives, controls,
# multibyte UTF-8 of every length, combining marks, bidi overrides, zero
# width, byte order mark, noncharacters
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz0123456789_-",
    "'\"\\`%${}[]()<>;:,./?!@#&*+=|~ \t\n\r",
    "".join(chr(c) for c in range(1, 32)) + "\x7f",
    "éñßøÅÆçüÿ\u0301\u0308",
    "日本語中文한국어",
    "\u202e\u202d\u200b\u200d\ufeff\ufffd\uffff\u2028\u2029",
    "\U0001F600\U0001F4A9\U00010348\U0010FFFD",
]
FORMAT_BOMBS = ["%s", "%n", "%d%d%d%d", "%.999999f", "%s%s%s%s%s%s%s%s", "%*s", "%1$s", "%x" * 20]
SQL_BOMBS = ["x'); DROP TABLE fuzz.t_num; --", "\"; DROP SCHEMA fuzz CASCADE; --", "' OR '1'='1",
             "$$; SELECT pg_sleep(10); $$", "\\", "\\\\", "''", "\"", "\\x00", "NULL", "null", "default",
             "../../../../etc/passwd", "/dev/zero", "http://127.0.0.1:1/", "pg_catalog.pg_authid",
             "automl.models", "public.automl_fit", "a.b.c", "\"quoted\"", " leading", "trailing ",
             "UPPER", "ridge\n", " ridge", "RIDGE"]


def junk_string(rng, max_len=None):
    r = rng.random()
    if max_len is None:
        n = rng.choice([0, 1, 2, 3, 5, 8, 13, 31, 63, 64, 65, 127, 200, 255, 256, 1000, 4000])
    else:
        n = rng.randint(0, max_len)
    if r < 0.15:
        return rng.choice(FORMAT_BOMBS + SQL_BOMBS)
    alphabet = "".join(rng.sample(ALPHABETS, rng.randint(1, len(ALPHABETS))))
    return "".join(rng.choice(alphabet) for _ in range(n))


SERVER_BIG_TEXT = [
    "repeat('x', 1000000)", "repeat('é', 300000)", "repeat('''', 100000)", "repeat('%s', 50000)",
    "repeat('\\', 70000)", "lpad('', 65536, 'ab')", "repeat(chr(128512), 100000)",
    "(SELECT string_agg(md5(g::text), ',') FROM generate_series(1, 20000) g)",
]


def p_text(rng):
    r = rng.random()
    if r < 0.07:
        return "NULL"
    if r < 0.12:
        return rng.choice(SERVER_BIG_TEXT)
    if r < 0.16:
        return "''"
    return lit(junk_string(rng))


INT4_SPECIAL = ["0", "1", "-1", "2", "3", "4", "5", "7", "10", "42", "100", "1000", "65535", "65536",
                "2147483647", "-2147483648", "-2147483647", "2147483646", "1073741824", "-100"]
INT8_EXTRA = ["9223372036854775807", "-9223372036854775808", "9223372036854775806", "4294967296",
              "-4294967296", "1099511627776", "4294967295"]


def p_int4(rng):
    r = rng.random()
    if r < 0.08:
        return "NULL"
    if r < 0.75:
        return "(%s)::integer" % rng.choice(INT4_SPECIAL)
    if r < 0.85:
        # odd types via casts
        return rng.choice(["(1.5)::numeric::integer", "'7'::text::integer", "true::integer",
                           "(2.5e0)::float8::integer", "(-0.5)::integer", "'  12  '::integer",
                           "(SELECT count(*) FROM fuzz.t_num)::integer", "length(repeat('x', 1000))"])
    return "(%d)::integer" % rng.randint(-2 ** 31, 2 ** 31 - 1)


def p_int8(rng):
    r = rng.random()
    if r < 0.08:
        return "NULL"
    if r < 0.6:
        return "(%s)::bigint" % rng.choice(INT4_SPECIAL + INT8_EXTRA)
    if r < 0.7:
        return rng.choice(["(1e18)::numeric::bigint", "'42'::bigint", "(2^62)::bigint",
                           "(SELECT max(id) FROM automl.models)", "(SELECT min(id) FROM automl.models)",
                           "(SELECT max(id) + 1 FROM automl.models)", "currval('automl.models_id_seq')",
                           "(-9223372036854775807 - 1)::bigint"])
    return "(%d)::bigint" % rng.randint(-2 ** 63, 2 ** 63 - 1)


FLOAT_SPECIAL = ["'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "0", "1e308", "-1e308",
                 "1.7976931348623157e308", "5e-324", "-5e-324", "2.2250738585072014e-308", "1e-300",
                 "0.5", "0.25", "0.1", "0.01", "0.999999999", "1.0000001", "-0.5", "1", "2", "100",
                 "1e15", "9007199254740993", "-1", "0.75", "1e-10"]


def p_float8(rng):
    r = rng.random()
    if r < 0.08:
        return "NULL"
    if r < 0.8:
        return "(%s)::float8" % rng.choice(FLOAT_SPECIAL)
    if r < 0.9:
        return rng.choice(["(1e1000)::numeric::float8", "'nan'::numeric::float8", "(1)::real::float8",
                           "'3.4e38'::real::float8", "(2)::integer::float8", "'1e-400'::float8",
                           "'infinity'::real::float8"])
    return "(%r)::float8" % rng.uniform(-10, 10)


INTERVAL_SPECIAL = ["0", "1 microsecond", "1 millisecond", "0.1 seconds", "0.3 seconds", "1 second",
                    "-1 second", "-1 microsecond", "1 day", "-1 day", "1 mon", "-1 mon", "1 year",
                    "100 years", "178000000 years", "-178000000 years", "2147483647 days",
                    "-2147483648 days", "2147483647 mons", "-2147483648 mons",
                    "9223372036854775807 microseconds", "-9223372036854775807 microseconds",
                    "2147483647 mons 2147483647 days 9223372036854775807 microseconds",
                    "-2147483648 mons -2147483648 days -9223372036854775807 microseconds",
                    "1 mon -30 days", "1 day -86400 seconds", "P1Y2M3DT4H5M6S", "@ 1 minute ago",
                    "00:00:00.000001", "1000000 hours", "2562047788 hours", "-2562047788 hours",
                    "0.5 microseconds", "1 week", "1 decade", "1 millennium"]


def p_interval(rng):
    r = rng.random()
    if r < 0.08:
        return "NULL"
    if r < 0.9:
        return "%s::interval" % lit(rng.choice(INTERVAL_SPECIAL))
    return "make_interval(secs => %r)" % rng.uniform(-5, 5)


def p_bool(rng):
    return rng.choice(["true", "false", "NULL", "'yes'::boolean", "(1)::boolean"])


# ---------------------------------------------------------------- JSON

def json_number(rng):
    return rng.choice(["0", "-0", "1", "-1", "0.5", "1e308", "-1e308", "1e309", "-1e1000", "1e-400",
                       "5e-324", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
                       "9223372036854775808", "18446744073709551616", "123456789012345678901234567890",
                       "3", "10", "100", "1000000000", "0.000001", "-7", "2", "0.99", "1.5"])


def json_string(rng):
    r = rng.random()
    if r < 0.3:
        return json.dumps(rng.choice(CHOICE_WORDS))
    if r < 0.35:
        return '"\\ud83d\\ude00\\u00e9\\t\\n\\"\\\\"'
    return json.dumps(junk_string(rng, 40))


def random_json(rng, depth=0, keys=None):
    """A random JSON document (text); keys: names to use for object keys."""
    r = rng.random()
    if depth > 4 or r < 0.35:
        s = rng.random()
        if s < 0.45:
            return json_number(rng)
        if s < 0.85:
            return json_string(rng)
        return rng.choice(["true", "false", "null"])
    if r < 0.7:
        n = rng.choice([0, 1, 2, 3, 5])
        items = []
        for _ in range(n):
            k = rng.choice(keys) if keys and rng.random() < 0.7 else junk_string(rng, 12)
            items.append("%s: %s" % (json.dumps(k), random_json(rng, depth + 1, keys)))
        return "{" + ", ".join(items) + "}"
    n = rng.choice([0, 1, 2, 3, 6])
    return "[" + ", ".join(random_json(rng, depth + 1, keys) for _ in range(n)) + "]"


SERVER_BIG_JSON = [
    "(repeat('[', 3000) || repeat(']', 3000))::jsonb",
    "(repeat('{\"a\": ', 2000) || '1' || repeat('}', 2000))::jsonb",
    "(SELECT jsonb_object_agg('k' || g, g) FROM generate_series(1, 50000) g)",
    "(SELECT jsonb_agg(g) FROM generate_series(1, 100000) g)",
    "jsonb_build_object('a', repeat('x', 1000000))",
    "jsonb_build_object(repeat('k', 100000), 1)",
    "(SELECT jsonb_agg(jsonb_build_object('code', 'v' || g, 'type', 'real')) FROM generate_series(1, 20000) g)",
    "jsonb_build_object('variables', (SELECT jsonb_agg(jsonb_build_object('code', 'v' || g, 'type', "
    "'polynominal', 'enumerations', '[{\"code\": \"a\"}]'::jsonb)) FROM generate_series(1, 3000) g))",
    "jsonb_build_object('groups', (repeat('[{\"code\": \"g\", \"groups\": ', 500) || '[]' || "
    "repeat('}]', 500))::jsonb)",
    "jsonb_build_object('estimators', (SELECT jsonb_object_agg('e' || g, '{}'::jsonb) FROM generate_series(1, 5000) g))",
]


def p_jsonb(rng, keys=None, shapes=None):
    r = rng.random()
    if r < 0.06:
        return "NULL"
    if r < 0.11:
        return rng.choice(SERVER_BIG_JSON)
    if shapes and r < 0.6:
        return lit(rng.choice(shapes)(rng)) + "::jsonb"
    return lit(random_json(rng, 0, keys)) + "::jsonb"


# ---------------------------------------------------------------- arrays

def p_array(rng, elem_type, good_elems):
    """A text-ish array (name[] or text[]) of good, hostile and NULL elements."""
    r = rng.random()
    t = elem_type
    if r < 0.07:
        return "NULL"
    if r < 0.12:
        return "'{}'::%s[]" % t
    if r < 0.18:
        return rng.choice([
            "(SELECT array_agg('c' || g) FROM generate_series(1, 100000) g)::%s[]" % t,
            "array_fill('x1'::%s, ARRAY[50000])" % t,
            "array_fill(NULL::%s, ARRAY[1000])" % t,
            "(SELECT array_agg(repeat('é', 200)) FROM generate_series(1, 100) g)::%s[]" % t,
            "'{{x1,x2},{x3,c}}'::%s[]" % t,
            "'[0:1]={x1,x2}'::%s[]" % t,
            "'[-2147483648:-2147483647]={x1,y}'::%s[]" % t,
            "'[2147483646:2147483647]={x1,y}'::%s[]" % t,
            "'{{{x1}}}'::%s[]" % t,
            "ARRAY[NULL]::%s[]" % t,
            "'{\"\"}'::%s[]" % t,
        ])
    n = rng.choice([1, 1, 2, 2, 3, 4, 6, 10])
    elems = []
    for _ in range(n):
        s = rng.random()
        if s < 0.65 and good_elems:
            elems.append(lit(rng.choice(good_elems)))
        elif s < 0.75:
            elems.append("NULL")
        else:
            elems.append(lit(junk_string(rng, 80)))
    if rng.random() < 0.1 and elems:
        elems.append(elems[0])      # a duplicate
    return "ARRAY[%s]::%s[]" % (", ".join(elems), t)


# ---------------------------------------------------------------- domain words

ALGORITHMS = ["linear_regression", "ridge", "lasso", "elastic_net", "logistic_regression", "linear_svm",
              "gaussian_nb", "bernoulli_nb", "multinomial_nb", "knn", "decision_tree", "random_forest",
              "extra_trees", "gradient_boosting"]
TRANSFORMERS = ["simple_imputer", "standard_scaler", "minmax_scaler", "maxabs_scaler", "robust_scaler",
                "normalizer", "variance_threshold", "select_percentile", "select_fwe", "select_k_best",
                "pca", "binarizer", "polynomial_features"]
HYPERPARAMETERS = ["add_indicator", "alpha", "binarize", "bootstrap", "categorical", "class_weight", "clip",
                   "criterion", "degree", "early_stopping", "feature_range_max", "feature_range_min",
                   "fill_value", "fit_intercept", "fit_prior", "include_bias", "interaction_only",
                   "intercept_scaling", "k", "keep_empty_features", "l1_ratio", "l2_regularization",
                   "learning_rate", "loss", "max_bins", "max_categories", "max_depth", "max_features",
                   "max_features_fraction", "max_iter", "max_leaf_nodes", "max_output_features",
                   "max_samples", "metric", "min_frequency", "min_impurity_decrease", "min_samples_leaf",
                   "min_samples_split", "n_components", "n_estimators", "n_iter_no_change", "n_neighbors",
                   "norm", "p", "penalty", "percentile", "q_high", "q_low", "selection", "splitter",
                   "strategy", "subsample", "svd_solver", "threshold", "tol", "unit_variance",
                   "validation_fraction", "var_smoothing", "weights", "whiten", "with_centering",
                   "with_mean", "with_scaling", "with_std", "C", "dual", "random_state", "n_jobs"]
# hyperparameters each algorithm accepts (the first key is fuzzed with odd values)
GOOD_PARAMS = {
    "linear_regression": ['{"fit_intercept": false}', "{}"],
    "ridge": ['{"alpha": 0.5}', '{"fit_intercept": true}', "{}"],
    "lasso": ['{"alpha": 0.1}', '{"max_iter": 50}', '{"tol": 0.01}'],
    "elastic_net": ['{"alpha": 0.1, "l1_ratio": 0.3}', '{"l1_ratio": 0.9}', '{"max_iter": 20}'],
    "logistic_regression": ['{"C": 2}', '{"penalty": "l1"}', '{"max_iter": 20}', '{"class_weight": "balanced"}'],
    "linear_svm": ['{"C": 0.5}', '{"loss": "hinge"}', '{"max_iter": 20}'],
    "gaussian_nb": ['{"var_smoothing": 1e-6}', "{}"],
    "bernoulli_nb": ['{"alpha": 0.5}', '{"binarize": 0.1}', '{"fit_prior": false}'],
    "multinomial_nb": ['{"alpha": 2}', '{"fit_prior": true}'],
    "knn": ['{"n_neighbors": 3}', '{"weights": "distance"}', '{"p": 1}'],
    "decision_tree": ['{"max_depth": 3}', '{"min_samples_leaf": 2}', '{"criterion": "entropy"}'],
    "random_forest": ['{"n_estimators": 3}', '{"max_depth": 2, "n_estimators": 2}', '{"max_features": "sqrt", "n_estimators": 4}',
                      '{"bootstrap": false, "n_estimators": 2}'],
    "extra_trees": ['{"n_estimators": 3}', '{"max_depth": 3, "n_estimators": 2}', '{"min_samples_split": 4, "n_estimators": 2}'],
    "gradient_boosting": ['{"max_iter": 5}', '{"learning_rate": 0.3, "max_iter": 3}', '{"max_leaf_nodes": 4, "max_iter": 3}',
                          '{"max_depth": 2, "max_iter": 4}'],
}
CHOICE_WORDS = ["l1", "l2", "elasticnet", "none", "gini", "entropy", "log_loss", "squared_error",
                "absolute_error", "huber", "hinge", "squared_hinge", "sqrt", "log2", "auto", "balanced",
                "uniform", "distance", "cyclic", "random", "best", "mean", "median", "most_frequent",
                "constant", "full", "randomized", "arpack", "onehot", "ordinal", "max", "euclidean",
                "manhattan", "minkowski", "classification", "regression", "default", "light"]
METRICS = ["auto", "accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_weighted", "precision",
           "precision_macro", "recall", "recall_weighted", "roc_auc", "log_loss", "r2", "mse", "rmse",
           "mae", "explained_variance"]
TASKS = ["auto", "classification", "regression"]
LABEL_SCHEMA = ["org.label-schema.description", "org.label-schema.memory-hint", "org.label-schema.cpu-hint",
                "org.label-schema.schema-version", "org.label-schema.build-date", "org.label-schema.url",
                "org.label-schema.vcs-url", "org.label-schema.name", "org.label-schema.version",
                "org.label-schema.vendor", "org.label-schema.usage", "org.label-schema.docker.cmd",
                "org.label-schema.unknown", "com.example.other"]
VARIABLE_KEYS = ["code", "label", "type", "sql_type", "units", "description", "methodology", "enumerations",
                 "minValue", "maxValue", "groups", "variables", "datasets", "isCategorical", "length"]
VARIABLE_TYPES = ["integer", "real", "boolean", "date", "polynominal", "binominal", "text", "nominal", ""]


def params_doc(rng):
    """Hyperparameters for automl_fit: mostly known names with odd values."""
    n = rng.choice([0, 1, 1, 2, 3])
    items = []
    for _ in range(n):
        k = rng.choice(HYPERPARAMETERS) if rng.random() < 0.85 else junk_string(rng, 10)
        v = random_json(rng, 3) if rng.random() < 0.8 else random_json(rng, 1)
        items.append("%s: %s" % (json.dumps(k), v))
    return "{" + ", ".join(items) + "}"


def search_space_doc(rng):
    def rng_spec():
        r = rng.random()
        if r < 0.3:
            return "[%s]" % ", ".join(random_json(rng, 4) for _ in range(rng.choice([0, 1, 2, 3])))
        if r < 0.7:
            return '{"min": %s, "max": %s%s}' % (json_number(rng), json_number(rng),
                                                 rng.choice(["", ', "log": true', ', "log": false', ', "log": 1']))
        return random_json(rng, 3)

    def ops(names):
        k = rng.choice([0, 1, 2, 3])
        items = []
        for _ in range(k):
            op = rng.choice(names) if rng.random() < 0.85 else junk_string(rng, 10)
            params = ", ".join("%s: %s" % (json.dumps(rng.choice(HYPERPARAMETERS)), rng_spec())
                               for _ in range(rng.choice([0, 1, 2])))
            items.append("%s: {%s}" % (json.dumps(op), params))
        return "{" + ", ".join(items) + "}"

    parts = []
    if rng.random() < 0.9:
        parts.append('"estimators": ' + ops(ALGORITHMS))
    if rng.random() < 0.6:
        parts.append('"preprocessing": ' + ops(TRANSFORMERS))
    if rng.random() < 0.4:
        parts.append('"encodings": [%s]' % ", ".join(
            json.dumps(rng.choice(["onehot", "ordinal", "target", ""])) for _ in range(rng.choice([0, 1, 2]))))
    if rng.random() < 0.1:
        parts.append('%s: %s' % (json.dumps(junk_string(rng, 8)), random_json(rng, 2)))
    return "{" + ", ".join(parts) + "}"


def hierarchy_doc(rng):
    def variable():
        items = []
        for k in rng.sample(VARIABLE_KEYS, rng.randint(0, 6)):
            if k == "type":
                v = json.dumps(rng.choice(VARIABLE_TYPES)) if rng.random() < 0.8 else random_json(rng, 3)
            elif k == "code":
                v = json.dumps(rng.choice(["x1", "x2", "c", "y", "label", "k", "b", "v1"])) \
                    if rng.random() < 0.6 else random_json(rng, 3)
            elif k == "enumerations":
                v = "[%s]" % ", ".join('{"code": %s, "label": %s}' % (json_string(rng), json_string(rng))
                                       for _ in range(rng.choice([0, 1, 2, 3])))
                if rng.random() < 0.2:
                    v = random_json(rng, 2)
            else:
                v = random_json(rng, 3)
            items.append("%s: %s" % (json.dumps(k), v))
        return "{" + ", ".join(items) + "}"

    def group(depth):
        items = []
        if rng.random() < 0.8:
            items.append('"code": %s' % json_string(rng))
        if rng.random() < 0.7:
            items.append('"variables": [%s]' % ", ".join(variable() for _ in range(rng.choice([0, 1, 2, 3]))))
        if depth < 4 and rng.random() < 0.5:
            items.append('"groups": [%s]' % ", ".join(group(depth + 1) for _ in range(rng.choice([0, 1, 2]))))
        if rng.random() < 0.1:
            items.append('"groups": %s' % random_json(rng, 3))
        return "{" + ", ".join(items) + "}"

    return group(0)


def metadata_doc(rng):
    n = rng.choice([0, 1, 2, 3, 4])
    items = []
    for _ in range(n):
        k = rng.choice(LABEL_SCHEMA) if rng.random() < 0.85 else junk_string(rng, 20)
        v = json.dumps(rng.choice(["1.0", "512", "2GB", "-1", "0", "31", "1e308", "NaN", "0.5", "abc",
                                   "2017-13-45T25:61:61Z", "2017-06-01T12:00:00Z", "http://x",
                                   "https://github.com/x/y", "", "9" * 400])) \
            if rng.random() < 0.6 else random_json(rng, 3)
        items.append("%s: %s" % (json.dumps(k), v))
    return "{" + ", ".join(items) + "}"


def string_map_doc(rng):
    n = rng.choice([0, 1, 2, 3])
    items = []
    for _ in range(n):
        k = rng.choice(["A", "PATH", "automl.deployment", "traefik.enable", "traefik.frontend.rule", "", "x y",
                        "HAPROXY_0_VHOST"]) if rng.random() < 0.7 else junk_string(rng, 20)
        v = json.dumps(junk_string(rng, 30)) if rng.random() < 0.7 else random_json(rng, 3)
        items.append("%s: %s" % (json.dumps(k), v))
    return "{" + ", ".join(items) + "}"


def health_check_doc(rng):
    keys = ["protocol", "path", "portIndex", "port", "gracePeriodSeconds", "intervalSeconds",
            "timeoutSeconds", "maxConsecutiveFailures", "command", "ignoreHttp1xx"]
    items = []
    for k in rng.sample(keys, rng.randint(0, 5)):
        if k == "protocol":
            v = json.dumps(rng.choice(["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "http", "", "UDP"]))
        elif k in ("portIndex", "port"):
            v = json_number(rng)
        else:
            v = random_json(rng, 3)
        items.append("%s: %s" % (json.dumps(k), v))
    return "{" + ", ".join(items) + "}"


def constraints_doc(rng):
    n = rng.choice([0, 1, 2])
    items = []
    for _ in range(n):
        if rng.random() < 0.7:
            parts = [json.dumps(rng.choice(["hostname", "rack", "", "attr"]))]
            parts.append(json.dumps(rng.choice(["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE",
                                                "MAX_PER", "IS", "bogus", ""])))
            if rng.random() < 0.6:
                parts.append(json_string(rng) if rng.random() < 0.7 else random_json(rng, 3))
            items.append("[%s]" % ", ".join(parts))
        else:
            items.append(random_json(rng, 2))
    return "[" + ", ".join(items) + "]"


def docker_image(rng):
    return rng.choice(["hbpmip/portal:1.0", "nginx", "nginx:latest", "registry.example.com:5000/a/b:c",
                       "a/b@sha256:" + "0" * 64, "UPPER/case", "a//b", ":tag", "a:", "a" * 300,
                       "localhost/x", "x:y:z", "-a/b", "a/b/c/d/e/f", "", " nginx"]) \
        if rng.random() < 0.7 else junk_string(rng, 60)


def app_name(rng):
    return rng.choice(["fuzz-app", "fuzz-cmd", "fuzz-other-app", "fuzz-su-app", "new-app", "a", "a-", "-a",
                       "A", "a" * 63, "a" * 64, "a--b", "0", "9x", "a.b", "a_b", "", "fuzz-app ",
                       "fuzz-new-" + str(rng.randint(0, 999))]) \
        if rng.random() < 0.75 else junk_string(rng, 70)
