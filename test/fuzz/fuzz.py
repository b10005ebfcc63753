#!/usr/bin/env python3
"""fuzz.py — randomized calls of every SQL function of automl against a real
server (Python stdlib only; speaks the wire protocol itself, pgwire.py).

It starts a throwaway cluster (initdb, shared_preload_libraries = 'automl'),
loads test/fuzz/fixtures.sql (roles, relations of every odd kind, models,
apps), finds every function of the extension in pg_proc through pg_depend,
and calls each of them --calls times as the ordinary role regress_fuzz and
--superuser-calls times as the superuser, with arguments drawn from pools of
hostile values by SQL type (NULLs, ±0, NaN, ±Infinity, extreme integers and
intervals, huge arrays, empty/huge/binary-junk/unicode strings, deep and
huge JSON, relations of every kind, other roles' objects) and of plausible
values by argument name, so that calls get past the first check.  Trigger
functions are exercised through writes to the tables they guard and by
attaching them to tables the role owns.

It fails when
  * a call loses the connection, or the postmaster log shows a backend that
    was terminated by a signal or exited abnormally (a crash),
  * an error has SQLSTATE class XX (internal error: elog(ERROR) reached from
    SQL; XX001 data_corrupted excepted, the right report of a stored model
    that cannot be read), a call hangs past the client timeout, or runs
    seconds past statement_timeout (it cannot be cancelled),
  * a backend's memory grows over repeated calls after warm-up (memory
    contexts as pg_log_backend_memory_contexts reports them, and RssAnon).
The seed is fixed (reproducible) and printed with the first failing call.
The last line is "fuzz: N passed, M failed", counting calls, the memory
checks and the final log check.

Known issues (bugs found and reported, not yet fixed) are skipped unless
--known-issues is given; see KNOWN_ISSUES.
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgwire  # noqa: E402
import values as V  # noqa: E402
from values import lit  # noqa: E402

DEFAULT_SEED = 20240611

# statement_timeout of the calls of a function (default --statement-timeout-ms):
# waiting is what automl_deployment_wait is for, and the fuzzer's deploy
# requests are still queued, so most of its calls wait until cancelled; a
# search runs until its time budget (a minute by default) or is cancelled;
# a node's k-means round with a large k (ten k-means++ starts) runs until
# cancelled too, and at 500 ms its few slow calls took half its share
STATEMENT_TIMEOUT_MS = {"automl_deployment_wait": 40, "automl_wait": 40, "automl_train": 100,
                        "node_kmeans": 100}
HERE = os.path.dirname(os.path.abspath(__file__))

# Bugs the fuzzer found that are not fixed yet (reported; the files are
# being changed by others).  A "skip" issue's calls are not generated; a
# "tolerate" issue's internal error is counted as passed (and reported as a
# known-issue hit).  --known-issues treats them like any other failure.
# Remove an entry with its fix.
KNOWN_ISSUES = [
]


def known_log_issue(line):
    for issue in KNOWN_ISSUES:
        if "log" in issue and re.search(issue["log"], line):
            return issue["id"]
    return None


def known_issue(error):
    for issue in KNOWN_ISSUES:
        if issue.get("code") == error.get("C") and re.search(issue["message"], error.get("M", "")):
            return issue["id"]
    return None


def skipped(issue_id, args):
    return not args.known_issues and any(i["id"] == issue_id and i.get("skip") for i in KNOWN_ISSUES)


# In the postmaster log: a process killed by a signal, a backend that exited
# abnormally (ASan exits with 1) and the crash restart that follows, a
# background worker of automl that died (a parallel worker exits with 1 on
# any error: that is how errors reach the leader), assertion failures and
# sanitizer reports.
CRASH_PATTERNS = re.compile(
    r'terminated by signal|was terminated by exception|server process \(PID \d+\) exited with exit code|'
    r'terminating any other active server processes|'
    r'background worker "(?!parallel worker")[^"]*" \(PID \d+\) exited with exit code|'
    r'PANIC:|TRAP:|AddressSanitizer|LeakSanitizer|runtime error:|stack smashing')


class Fn:
    """A function of the extension, as pg_proc describes it."""

    def __init__(self, row):
        (self.oid, self.schema, self.name, self.identity, argtypes, argnames, self.ndefaults,
         self.rettype, retset, self.kind, variadic, support, self.parallel) = row
        self.argtypes = parse_array(argtypes)
        self.argnames = parse_array(argnames)
        self.ndefaults = int(self.ndefaults)
        self.retset = retset == "t"
        self.variadic = variadic == "t"
        self.support = support == "t"
        self.qualified = "%s.%s" % (V.ident(self.schema) if self.schema != "public" else "public",
                                    V.ident(self.name))

    @property
    def signature(self):
        return "%s.%s(%s)" % (self.schema, self.name, self.identity)

    @property
    def is_trigger(self):
        return self.rettype == "trigger"

    @property
    def callable(self):
        return "internal" not in self.argtypes and not self.is_trigger


def parse_array(text):
    """A one-dimensional text[] in its output form, as a list of str."""
    if text is None or text == "{}":
        return []
    inner = text[1:-1]
    out, cur, quoted, i = [], "", False, 0
    while i < len(inner):
        ch = inner[i]
        if quoted:
            if ch == "\\":
                i += 1
                cur += inner[i]
            elif ch == '"':
                quoted = False
            else:
                cur += ch
        elif ch == '"':
            quoted = True
        elif ch == ",":
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out


class Value:
    def __init__(self, expr, from_clause=None):
        self.expr = expr
        self.from_clause = from_clause


# ---------------------------------------------------------------- the server

class Server:
    def __init__(self, bindir, workdir, log):
        self.bindir = bindir
        self.workdir = workdir
        self.data = os.path.join(workdir, "data")
        self.logfile = os.path.join(workdir, "postmaster.log")
        self.port = 5432
        self.log = log
        self.log_offset = 0

    def run(self, *cmd, **kw):
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, **kw)

    def start(self):
        self.run(os.path.join(self.bindir, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--no-locale", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# automl fuzzer\n"
                    "shared_preload_libraries = 'automl'\n"
                    "automl.database = 'fuzz'\n"
                    "listen_addresses = ''\n"
                    "unix_socket_directories = '%s'\n"
                    "port = %d\n"
                    "fsync = off\n"
                    "max_worker_processes = 16\n"
                    "max_connections = 20\n"
                    # LOG keeps crash reports and memory context dumps, drops the
                    # ERROR of every failing call (they are counted client-side)
                    "log_min_messages = log\n"
                    "log_min_error_statement = panic\n"
                    "log_line_prefix = '%%m [%%p] '\n" % (self.workdir, self.port))
        self.run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.logfile, "-w",
                 "-t", "120", "start")

    def stop(self):
        subprocess.run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "fast", "-w",
                        "-t", "120", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql_file(self, db, path):
        return self.run(os.path.join(self.bindir, "psql"), "-X", "-q", "-h", self.workdir, "-p",
                        str(self.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-f", path)

    def connect(self, user, db="fuzz"):
        deadline = time.time() + 60
        while True:
            try:
                return pgwire.Connection(self.workdir, self.port, user, db, timeout=120.0)
            except (OSError, RuntimeError, pgwire.ConnectionLost) as e:
                # after a crash the postmaster refuses connections until recovered
                if time.time() > deadline:
                    raise RuntimeError("cannot connect as %s: %s" % (user, e))
                time.sleep(0.2)

    def wait_for_worker(self, timeout=120):
        query = ("SELECT pg_reload_conf(), count(*) FROM pg_stat_activity "
                 "WHERE backend_type = 'automl deploy worker' AND datname = 'fuzz'")
        deadline = time.time() + timeout
        while True:
            out = self.run(os.path.join(self.bindir, "psql"), "-X", "-At", "-h", self.workdir, "-p",
                           str(self.port), "-U", "postgres", "-d", "fuzz", "-c", query).stdout
            if out.strip().endswith("|1"):
                return
            if time.time() > deadline:
                raise RuntimeError("the deploy worker never started in database fuzz")
            time.sleep(0.2)

    def new_log(self):
        """What the postmaster logged since the last call."""
        try:
            with open(self.logfile, "rb") as f:
                f.seek(self.log_offset)
                data = f.read()
        except OSError:
            return ""
        self.log_offset += len(data)
        return data.decode("utf-8", "replace")


# ---------------------------------------------------------------- the fuzzer

class Fuzzer:
    def __init__(self, args, server):
        self.args = args
        self.server = server
        self.passed = 0
        self.failed = 0
        self.failures = []          # (signature, call number, role, sql, what)
        self.failure_kinds = {}     # (signature, what) -> count
        self.stats = {}             # signature -> dict
        self.conns = {}
        self.slow = []
        self.deployment_ids = ["1", "2", "3"]
        self.rss_checks = not os.environ.get("AML_FUZZ_NO_RSS")
        self.known_hits = {}
        self.crash_lines = []
        self.sanitizer_offsets = {}
        self.denied = {}

    # ------------------------------------------------ sessions

    def session(self, role):
        conn = self.conns.get(role)
        if conn is not None and not conn.closed:
            return conn
        conn = self.server.connect("postgres")
        setup = ["SET client_min_messages = error",
                 "SET statement_timeout = '%dms'" % self.args.statement_timeout_ms,
                 "SET lock_timeout = '2s'",
                 "SET idle_in_transaction_session_timeout = 0",
                 "SET search_path = fuzz, public"]
        if role != "postgres":
            conn.close()
            conn = self.server.connect(role)
        for s in setup:
            r = conn.query(s)
            if r.error:
                raise RuntimeError("session setup failed: %s" % r.error.get("M"))
        self.conns[role] = conn
        return conn

    def query_setup(self, sql, role="postgres"):
        r = self.session(role).query(sql)
        if r.error:
            raise RuntimeError("setup query failed: %s\n%s" % (r.error.get("M"), sql))
        return r.rows

    # ------------------------------------------------ fixtures and discovery

    def load_context(self):
        q = self.query_setup
        self.models = dict(q("SELECT what, id FROM fuzz.fixture"))
        self.model_rel = {}
        self.model_inputs = {}
        self.own_models, self.all_models = [], []
        for mid, rel, owner, names in q("""SELECT id, relation, owner,
                                                 (SELECT array_agg(f->>'name') FROM jsonb_array_elements(features) f)
                                          FROM automl.models ORDER BY id"""):
            self.model_rel[mid] = rel
            self.model_inputs[mid] = parse_array(names)
            self.all_models.append(mid)
            if owner == "regress_fuzz":
                self.own_models.append(mid)
        rels = q("""SELECT format('%I.%I', n.nspname, c.relname), c.relkind, n.nspname
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname IN ('fuzz', 'fuzz_other') AND c.relname <> 'fixture'
                    ORDER BY 1""")
        self.relations = [r[0] for r in rels]
        self.good_relations = ["fuzz.t_num", "fuzz.t_num", "fuzz.t_num", "fuzz.t_small", "fuzz.t_one",
                               "fuzz.t_two", "fuzz.t_types", "fuzz.v_num", "fuzz.mv_num", "fuzz.t_part",
                               "fuzz.t_dropped", "fuzz.t_nan", "fuzz.t_cats", "fuzz.t_const", "fuzz.t_nulls",
                               "fuzz.t_generated", 'fuzz."t weird"', "fuzz.t_parent", "fuzz.t_empty",
                               "fuzz.t_extreme", "fuzz.t_pairs", "fuzz.t_infinite"]
        toast = q("""SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'fuzz.t_toast'::regclass)""")[0][0]
        self.odd_relations = self.relations + [
            toast, "pg_class", "pg_authid", "pg_statistic", "automl.models", "automl.runs", "automl.deployments",
            "automl.apps", "automl.variables", "automl.leaderboard", "public.su_data", "fuzz.pair",
            "pg_catalog.pg_proc", "information_schema.columns", "pg_toast.pg_toast_2619"]
        self.columns = {}
        for rel, cols in q("""SELECT format('%I.%I', n.nspname, c.relname),
                                     array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE NOT a.attisdropped)
                              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                              WHERE n.nspname IN ('fuzz', 'fuzz_other', 'public') GROUP BY 1"""):
            self.columns[rel] = parse_array(cols)
        self.all_columns = sorted({c for cs in self.columns.values() for c in cs})
        self.apps = [r[0] for r in q("SELECT name FROM automl.apps ORDER BY id")]
        self.app_ids = [r[0] for r in q("SELECT id FROM automl.apps ORDER BY id")]
        self.own_app_ids = [r[0] for r in q("SELECT id FROM automl.apps WHERE owner = 'regress_fuzz'::regrole ORDER BY id")]
        self.config_ids = [r[0] for r in q("SELECT id FROM automl.app_configs ORDER BY id")]
        rows = q("""SELECT p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
                           (SELECT array_agg(t::regtype::text ORDER BY i)
                            FROM unnest(p.proargtypes) WITH ORDINALITY u(t, i)),
                           (SELECT array_agg(coalesce(p.proargnames[i], '')) FROM generate_series(1,
                                   p.pronargs) i
                            WHERE p.proargmodes IS NULL OR p.proargmodes[i] IN ('i', 'b', 'v')),
                           p.pronargdefaults, p.prorettype::regtype::text, p.proretset, p.prokind,
                           p.provariadic <> 0, p.prosupport <> 0, p.proparallel
                    FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace
                    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'automl'
                    ORDER BY n.nspname, p.proname, p.oid""")
        self.functions = [Fn(r) for r in rows]
        # input argument names can be missing for unnamed arguments
        for fn in self.functions:
            while len(fn.argnames) < len(fn.argtypes):
                fn.argnames.append("")
        # the tables each trigger function guards, and its events
        self.trigger_tables = {}
        self.trigger_defs = {}
        for foid, rel, tdef in q("""SELECT t.tgfoid, format('%I.%I', n.nspname, c.relname), pg_get_triggerdef(t.oid)
                              FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                              JOIN pg_namespace n ON n.oid = c.relnamespace
                              JOIN pg_depend d ON d.objid = t.tgfoid AND d.deptype = 'e'
                                   AND d.classid = 'pg_proc'::regclass
                              JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'automl'
                              WHERE NOT t.tgisinternal ORDER BY 1, 2"""):
            if rel not in self.trigger_tables.get(foid, []):
                self.trigger_tables.setdefault(foid, []).append(rel)
            self.trigger_defs.setdefault((foid, rel), []).append(tdef)
        self.table_columns = {}
        for rel, cols, types in q("""SELECT format('%I.%I', 'automl', c.relname), array_agg(a.attname ORDER BY a.attnum),
                                            array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
                                     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                                     WHERE c.relnamespace = 'automl'::regnamespace AND c.relkind = 'r'
                                       AND a.attnum > 0 AND NOT a.attisdropped GROUP BY 1"""):
            self.table_columns[rel] = list(zip(parse_array(cols), parse_array(types)))
        # the role's copies of the guarded tables (same name and shape, in
        # schema fuzz), to attach the trigger functions to
        self.copies = {}
        self.writable = {}
        for rels in self.trigger_tables.values():
            for rel in rels:
                copy = "fuzz." + rel.split(".")[-1]
                if rel not in self.copies:
                    self.query_setup("CREATE TABLE %s (LIKE %s INCLUDING ALL)" % (copy, rel),
                                     role="regress_fuzz")
                self.copies[rel] = copy
                self.writable[rel] = q("SELECT has_table_privilege('regress_fuzz', %s, 'INSERT')"
                                       % lit(rel))[0][0] == "t"

    # ------------------------------------------------ values

    def relation(self, rng, good):
        if good:
            return Value("%s::regclass" % lit(self.scn["rel"]))
        r = rng.random()
        if r < 0.06:
            return Value("NULL::regclass")
        if r < 0.75:
            return Value("%s::regclass" % lit(rng.choice(self.odd_relations)))
        return Value(rng.choice(["'-'::regclass", "0::oid::regclass", "4294967295::oid::regclass",
                                 "123456789::oid::regclass", "1::oid::regclass", "'pg_class'::regclass::oid::regclass",
                                 "'fuzz.t_num'::regclass::oid::bigint::oid::regclass",
                                 "(SELECT max(oid) FROM pg_class)::regclass",
                                 "(SELECT oid FROM pg_class WHERE relkind = 'i' LIMIT 1)::regclass",
                                 "(SELECT oid FROM pg_class WHERE relkind = 't' LIMIT 1)::regclass",
                                 "(SELECT oid FROM pg_class WHERE relkind = 'c' LIMIT 1)::regclass"]))

    def column_name(self, rng, good):
        if good:
            return lit(self.scn["target"])
        r = rng.random()
        if r < 0.07:
            return "NULL"
        if r < 0.35:
            return lit(rng.choice(self.all_columns))
        if r < 0.5:
            return lit(rng.choice(["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid", "*",
                                   "........pg.dropped.2........", "", "Y", "y ", "\"y\"", "p", "p.a"]))
        if r < 0.55:
            return rng.choice(V.SERVER_BIG_TEXT)
        return lit(V.junk_string(rng))

    def names_array(self, rng, good, elem="name"):
        if good:
            cols = [c for c in self.columns.get(self.scn["rel"], []) if c != self.scn["target"]] or ["x1"]
            k = rng.randint(1, min(len(cols), 6))
            return "ARRAY[%s]::%s[]" % (", ".join(lit(c) for c in rng.sample(cols, k)), elem)
        return V.p_array(rng, elem, self.all_columns + ["ctid", "tableoid"])

    def model_id(self, rng, good):
        if good:
            return "(%s)::bigint" % self.scn["model"]
        r = rng.random()
        if r < 0.4:
            return "(%s)::bigint" % rng.choice(list(self.models.values()))
        return V.p_int8(rng)

    def record(self, rng, fn, good):
        """A row value; a whole-row reference brings its FROM clause."""
        r = rng.random()
        if good:
            return Value("t", "%s t" % self.scn["model_rel"])
        rel = rng.choice(["fuzz.t_num", "fuzz.t_small", "fuzz.t_types", "fuzz.t_dropped", "fuzz.t_nan",
                          "fuzz.t_nulls", "fuzz.t_one", "fuzz.v_num", "fuzz.t_wide", "fuzz.t_pairs",
                          'fuzz."t weird"', "fuzz.t_extreme", "fuzz.t_empty", "fuzz.t_nocols",
                          "fuzz.t_generated", "fuzz.t_infinite", "fuzz.t_cats", "fuzz.t_child", "fuzz.mv_num",
                          "fuzz.t_part", "fuzz_other.secret"])
        if r < 0.4:
            return Value("t", "%s t" % rel)
        if r < 0.5:
            return Value("(SELECT t FROM %s t LIMIT 1)" % rel)
        if r < 0.58:
            return Value(rng.choice(["NULL::record", "ROW()", "ROW(NULL)", "ROW(NULL, NULL, NULL)",
                                     "ROW(1)", "ROW(1.5, 'a')", "(1.5, 'x')::fuzz.pair", "t.p",
                                     "ROW(t.*)", "ROW(ROW(1, 2), ARRAY[1])"]),
                         "fuzz.t_pairs t")
        keys = self.model_inputs.get(self.scn["model"], []) + ["y", "x1", "c"]
        if r < 0.75:
            return Value("jsonb_populate_record(NULL::%s, %s)"
                         % (rng.choice(["fuzz.t_num", "fuzz.t_types", "fuzz.t_dropped", "fuzz.t_nan"]),
                            lit(V.random_json(rng, 1, keys)) if rng.random() < 0.5
                            else lit("{%s}" % ", ".join('"%s": %s' % (k, V.random_json(rng, 4))
                                                        for k in rng.sample(keys, min(len(keys), 3))))))
        # an anonymous row of odd values, with the model's input names
        n = min(len(keys), rng.choice([0, 1, 2, 3, 5]))
        return Value("(SELECT r FROM (SELECT %s) r)" % ", ".join(
            "%s AS %s" % (self.any_value(rng), V.ident(k)) for k in rng.sample(keys, n))
                     if n and rng.random() < 0.6 else
                     "ROW(%s)" % ", ".join(self.any_value(rng) for _ in range(n)))

    def any_value(self, rng):
        return rng.choice([
            "1", "1.5", "'x'::text", "NULL", "NULL::float8", "true", "now()", "'1 day'::interval",
            "'{1,2}'::int[]", "ROW(1, 2)", "'{}'::jsonb", "'NaN'::float8", "'-Infinity'::float8",
            "'inf'::real", "32767::int2", "'NaN'::numeric", "1e1000::numeric", "-1e1000::numeric",
            "'12:00'::time", "'infinity'::timestamp", "'-infinity'::date", "'24:00:00+15:59'::timetz",
            "point(1, 2)", "'\\x00ff'::bytea", "gen_random_uuid()", "'happy'::fuzz.mood", "5::fuzz.posint",
            "'ab'::char(5)", "'ab'::varchar(1)", "'nm'::name", "'a'::\"char\"", "repeat('x', 100000)",
            "9223372036854775807::int8", "(-9223372036854775807 - 1)::int8", "'red'", "'blue'::text",
            "'178000000 years'::interval", "'294276-12-31 23:59:59'::timestamp", "'-0'::float8",
            "(1e308)::float8", "1e-320::float8", "''", "chr(128512)", "'{}'::text[]", "'(1,2)'::fuzz.pair",
            "int4range(1, 2)", "'<a/>'::xml", "'1'::money"] + [V.lit(V.junk_string(rng, 20))])

    def arg_value(self, fn, i, rng, good):
        name = fn.argnames[i]
        typ = fn.argtypes[i]
        h = self.hint(fn, name, typ, rng, good)
        if h is not None:
            return h if isinstance(h, Value) else Value(h)
        return self.by_type(typ, rng, good)

    def by_type(self, typ, rng, good=False):
        if typ == "regclass":
            return self.relation(rng, good)
        if typ == "name":
            return Value("(%s)::name" % self.column_name(rng, good))
        if typ in ("name[]", "text[]"):
            return Value(self.names_array(rng, good, typ[:-2]))
        if typ == "text":
            return Value(V.p_text(rng))
        if typ in ("jsonb", "json"):
            return Value("(%s)::%s" % (V.p_jsonb(rng), typ))
        if typ == "bigint":
            return Value(V.p_int8(rng))
        if typ in ("integer", "smallint"):
            return Value("(%s)::%s" % (V.p_int4(rng), typ))
        if typ in ("double precision", "real", "numeric"):
            return Value("(%s)::%s" % (V.p_float8(rng), typ))
        if typ == "interval":
            return Value(V.p_interval(rng))
        if typ == "boolean":
            return Value(V.p_bool(rng))
        if typ == "record":
            return self.record(rng, None, good)
        if typ == '"any"':
            return Value(self.any_value(rng))
        # a type the fuzzer does not know yet: NULL, junk text and odd values cast to it
        r = rng.random()
        if r < 0.2:
            return Value("NULL::%s" % typ)
        if r < 0.6:
            return Value("(%s)::%s" % (V.p_text(rng), typ))
        return Value("(%s)::%s" % (self.any_value(rng), typ))

    def hint(self, fn, name, typ, rng, good):
        """Plausible values by argument name (so calls get past the first
        check); None for the type's pools.  Hostile draws fall through to
        the type's pools except where the name knows better ones."""
        if name == "relation":
            return self.relation(rng, good)
        if name in ("target",):
            return Value("(%s)::name" % self.column_name(rng, good))
        if name in ("features", "columns"):
            if good and rng.random() < 0.2:
                return Value("NULL::name[]")
            return Value(self.names_array(rng, good, "name"))
        if name == "algorithm":
            if good:
                return "(%s)::text" % lit(self.scn["algorithm"])
            if rng.random() < 0.3:
                return "(%s)::text" % lit(rng.choice(V.ALGORITHMS))
            return None
        if name == "params":
            if good:
                return "(%s)::jsonb" % lit(rng.choice(V.GOOD_PARAMS.get(self.scn["algorithm"], ["{}"])))
            if rng.random() < 0.3:
                # one of the algorithm's own hyperparameters with an odd value
                doc = rng.choice(V.GOOD_PARAMS.get(self.scn["algorithm"], ["{}"]))
                m = re.match(r'\{"(\w+)"', doc)
                if m:
                    return "(%s)::jsonb" % lit('{"%s": %s}' % (m.group(1), V.random_json(rng, 3)))
            return "(%s)::jsonb" % V.p_jsonb(rng, V.HYPERPARAMETERS, [V.params_doc])
        if name == "task":
            if good:
                return "(%s)::text" % lit("auto" if rng.random() < 0.7 else rng.choice(V.TASKS))
            return "(%s)::text" % (lit(rng.choice(V.TASKS)) if rng.random() < 0.3 else V.p_text(rng))
        if name == "metric":
            return "(%s)::text" % (lit(rng.choice(V.METRICS)) if good or rng.random() < 0.3 else V.p_text(rng))
        if name == "seed":
            return "(%s)::integer" % (rng.choice(["42", "0", "1", "-1", "7"]) if good else V.p_int4(rng))
        if name == "name" and typ == "text":
            if good:
                return "(%s)::text" % rng.choice(["NULL", "'fuzz_model'", "'fuzz_named'", "'m%d'" % rng.randint(0, 20)])
            return "(%s)::text" % rng.choice([V.p_text(rng), "repeat('n', 201)", "'fuzz_other_named'",
                                              "''", "'fuzz_named'"])
        if name == "time_budget":
            if good:
                return "%s::interval" % lit(rng.choice(["10 ms", "50 ms", "0.1 s", "0.2 s"]))
            return V.p_interval(rng)
        if name == "cv_folds":
            return "(%s)::integer" % (rng.choice(["2", "3", "5"]) if good else
                                      rng.choice(["0", "1", "-1", "1000", "2147483647", "-2147483648",
                                                  "NULL", "81", "80", "79", "13"]) if rng.random() < 0.6
                                      else V.p_int4(rng))
        if name == "test_size":
            return "(%s)::float8" % (rng.choice(["0.25", "0.2", "0.5"]) if good else V.p_float8(rng))
        if name == "search_space":
            if good:
                return "(%s)::text" % lit(rng.choice(["light", "light", "default"]))
            r = rng.random()
            if r < 0.6:
                return "(%s)::text" % lit(V.search_space_doc(rng))
            if r < 0.7:
                return "(%s)::text" % rng.choice(V.SERVER_BIG_JSON)
            return None
        if name == "max_evaluations":
            return "(%s)::integer" % (rng.choice(["1", "2", "3"]) if good else
                                      rng.choice(["0", "-1", "NULL", "2147483647", "-2147483648", "1"])
                                      if rng.random() < 0.7 else V.p_int4(rng))
        if name == "model_id":
            return self.model_id(rng, good)
        if name == "model_name":
            if good:
                return "(%s)::text" % lit(self.scn["model_name"])
            if rng.random() < 0.3:
                # another role's deployed model, a name with versions, no name
                return "(%s)::text" % lit(rng.choice(["fuzz_other_named", "fuzz_named", "", "FUZZ_FIXED"]))
            return None
        if name == "row":
            return self.record(rng, fn, good)
        if name == "names" and typ == "text[]":
            if good or rng.random() < 0.3:
                inputs = list(self.model_inputs.get(self.scn["model"], ["x1"]))
                if not good:
                    rng.shuffle(inputs)
                self.scn["names"] = inputs
                return "ARRAY[%s]::text[]" % ", ".join(lit(c) for c in inputs)
            return None
        if name == "hierarchy":
            return "(%s)::jsonb" % V.p_jsonb(rng, V.VARIABLE_KEYS, [V.hierarchy_doc])
        if name == "metadata":
            return "(%s)::jsonb" % V.p_jsonb(rng, V.LABEL_SCHEMA, [V.metadata_doc])
        if name == "app":
            if good:
                return "(%s)::text" % lit(self.scn["app"])
            return "(%s)::text" % (lit(V.app_name(rng)) if rng.random() < 0.6 else V.p_text(rng))
        if name == "config":
            if good:
                return "(%s)::text" % lit(self.scn["config"])
            return "(%s)::text" % (lit(rng.choice(["default", "big", "nope", "", "DEFAULT", "a" * 64]))
                                   if rng.random() < 0.5 else V.p_text(rng))
        if name == "deployment_id":
            if good or rng.random() < 0.3:
                return "(%s)::bigint" % rng.choice(self.deployment_ids)
            return None
        if name == "timeout":
            if good:
                return "%s::interval" % lit(rng.choice(["0", "1 ms", "20 ms", "50 ms"]))
            if rng.random() < 0.7:
                return "%s::interval" % lit(rng.choice(["-1 s", "0", "-178000000 years", "1 microsecond",
                                                        "-9223372036854775807 microseconds",
                                                        "-2147483648 mons", "1 mon -31 days", "10 ms",
                                                        "9223372036854775807 microseconds",
                                                        "2147483647 mons 2147483647 days"]))
            return None
        return None

    # ------------------------------------------------ calls

    def gen_call(self, fn, rng, role):
        """One call of fn as SQL text; PARALLEL SAFE functions now and then
        in parallel workers (force_parallel_mode)."""
        sql = self.gen_call_inner(fn, rng, role)
        if fn.parallel == "s" and rng.random() < 0.03 and not sql.startswith("EXPLAIN"):
            return "BEGIN; SET LOCAL force_parallel_mode = on; %s; COMMIT" % sql
        return sql

    def gen_call_inner(self, fn, rng, role):
        models = self.own_models if role == "regress_fuzz" else self.all_models
        # a call by model name uses the deployed model of that name ("fuzz_fixed":
        # model names are shared by all roles, and the fuzzer's automl_fit
        # calls add and deploy versions of the names it knows)
        named = self.models.get("fixed")
        model = named if "model_name" in fn.argnames or rng.random() < 0.2 else rng.choice(models)
        rel = rng.choice(self.good_relations)
        cols = self.columns.get(rel, []) or ["x1"]
        preferred = [c for c in ("y", "label", "c", "k", "b") if c in cols]
        self.scn = {"model": model, "model_rel": self.model_rel.get(model, "fuzz.t_num"), "rel": rel,
                    "target": rng.choice(preferred) if preferred and rng.random() < 0.8 else rng.choice(cols),
                    "model_name": "fuzz_fixed",
                    "names": None}
        self.scn["algorithm"] = rng.choice(V.ALGORITHMS)
        self.scn["app"], self.scn["config"] = rng.choice([("fuzz-app", "default"), ("fuzz-app", "big"),
                                                          ("fuzz-cmd", "default")])
        any_variadic = fn.variadic and fn.argtypes and fn.argtypes[-1] == '"any"'
        nargs = len(fn.argtypes) - (1 if any_variadic else 0)
        npass = nargs
        if fn.ndefaults and rng.random() < 0.3:
            npass = rng.randint(nargs - fn.ndefaults, nargs)
        mode = rng.random()
        bad = set()
        if mode < 0.3:
            pass                                    # every argument plausible
        elif mode < 0.75 and npass:
            bad.add(rng.randrange(npass))           # one hostile argument
        else:
            bad = {i for i in range(npass) if rng.random() < 0.5}
        vals = [self.arg_value(fn, i, rng, i not in bad) for i in range(npass)]
        if any_variadic:
            # VARIADIC "any": the columns the names say (mostly), or any
            # number of values of any type
            names = self.scn["names"]
            if names is not None and rng.random() < 0.85:
                for c in names:
                    vals.append(Value(V.ident(c), "%s t" % self.scn["model_rel"]) if rng.random() < 0.9
                                else Value(self.any_value(rng)))
                if rng.random() < 0.1 and len(vals) > 2:
                    vals.pop()              # one value fewer than names
            else:
                for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 8])):
                    vals.append(Value(self.any_value(rng)))
            if rng.random() < 0.08 and len(vals) > 2:
                vals = vals[:2] + [Value("VARIADIC ARRAY[%s]" % ", ".join(v.expr for v in vals[2:3]))]
        # named notation for some arguments after the first
        parts = []
        named_from = rng.randint(1, max(npass, 1)) if rng.random() < 0.3 and all(fn.argnames) else npass
        skipped = False
        for i, v in enumerate(vals):
            expr = v.expr
            if i >= named_from and i < nargs and fn.argnames[i]:
                if i >= nargs - fn.ndefaults and rng.random() < 0.2:
                    skipped = True          # leave this default out
                    continue
                parts.append("%s => %s" % (V.ident(fn.argnames[i]), expr))
            elif skipped:
                continue
            else:
                parts.append(expr)
        froms = sorted({v.from_clause for v in vals if v.from_clause})
        call = "%s(%s)" % (fn.qualified, ", ".join(parts))
        form = rng.random()
        if len(froms) > 1:
            # two whole-row references: keep the first relation's alias only
            froms = froms[:1]
        if froms:
            limit = rng.choice(["", " LIMIT 1", " LIMIT 3"])
            if fn.support and form < 0.08:
                return "EXPLAIN (VERBOSE, COSTS OFF) SELECT %s FROM %s%s" % (call, froms[0], limit)
            if form < 0.2:
                return "SELECT count(r) FROM (SELECT %s AS r FROM %s%s) s" % (call, froms[0], limit)
            return "SELECT %s FROM %s%s" % (call, froms[0], limit)
        if form < 0.1 and nargs:
            # the same call site, several rows: different values of one argument
            k = rng.randrange(min(npass, nargs)) if npass else 0
            if k < len(parts) and "=>" not in parts[k] and fn.argtypes[k] not in ('"any"', "record"):
                rows = ", ".join("((%s)::%s)" % (self.arg_value(fn, k, rng, rng.random() < 0.5).expr,
                                                 fn.argtypes[k]) for _ in range(rng.randint(2, 4)))
                parts2 = list(parts)
                parts2[k] = "v.a"
                return "SELECT %s(%s) FROM (VALUES %s) v(a)" % (fn.qualified, ", ".join(parts2), rows)
        if form < 0.15:
            return "SELECT %s FROM generate_series(1, 3)" % call
        if (fn.retset or fn.rettype.startswith("automl.")) and form < 0.6:
            return "SELECT * FROM %s" % call
        return "SELECT %s" % call

    def session_for(self, fn, role):
        """The role's session, with fn's statement_timeout; returns (conn, ms)."""
        timeout_ms = STATEMENT_TIMEOUT_MS.get(fn.name, self.args.statement_timeout_ms)
        for attempt in (1, 2):
            conn = self.session(role)
            try:
                if getattr(conn, "timeout_ms", None) != timeout_ms:
                    conn.query("SET statement_timeout = %d" % timeout_ms)
                    conn.timeout_ms = timeout_ms
                return conn, timeout_ms
            except (pgwire.ConnectionLost, pgwire.Timeout):
                # the session died with an earlier call (a crash ends every session)
                self.drop_sessions()
        raise RuntimeError("cannot open a session as %s" % role)

    def drop_sessions(self):
        for c in self.conns.values():
            c.close()
        self.conns.clear()

    def execute(self, fn, sql, role, number):
        conn, timeout_ms = self.session_for(fn, role)
        start = time.time()
        what = None
        try:
            r = conn.query(sql)
            if self.args.show and number <= self.args.show:
                print("    #%d %s\n      -> %s" % (number, shorten(sql, 400), "%s %s" % (
                    r.error.get("C"), shorten(r.error.get("M", ""), 200)) if r.error else "ok %s" % (
                    shorten(str(r.rows[:2]), 200))))
            if conn.closed or r.fatal:
                what = "connection lost (%s)" % (r.error.get("M") if r.error else "no error")
            elif r.error and r.error.get("C", "").startswith("XX") and r.error.get("C") != "XX001":
                issue = None if self.args.known_issues else known_issue(r.error)
                if issue:
                    self.known_hits[issue] = self.known_hits.get(issue, 0) + 1
                else:
                    what = "internal error %s: %s" % (r.error.get("C"), r.error.get("M"))
            st = self.stats.setdefault(fn.signature, {"calls": 0, "errors": 0, "codes": {}, "seconds": 0.0})
            st["calls"] += 1
            if r.error:
                st["errors"] += 1
                code = r.error.get("C")
                st["codes"][code] = st["codes"].get(code, 0) + 1
                if code == "42501" and role == "regress_fuzz":
                    self.denied[fn.signature] = self.denied.get(fn.signature, 0) + 1
            if r.error is None and fn.name == "automl_deploy" and r.rows and r.rows[0][0]:
                if len(self.deployment_ids) < 200:
                    self.deployment_ids.append(r.rows[0][0])
            # a transaction left open by a multi-statement call
            if not conn.closed and conn_in_transaction(r):
                conn.query("ROLLBACK")
        except pgwire.ConnectionLost as e:
            what = "connection lost (%s)" % e
        except pgwire.Timeout as e:
            what = "hang: %s" % e
            conn.close()
        elapsed = time.time() - start
        st = self.stats.setdefault(fn.signature, {"calls": 0, "errors": 0, "codes": {}, "seconds": 0.0})
        st["seconds"] += elapsed
        if elapsed > 0.3:
            self.slow.append((elapsed, fn.signature, sql[:300]))
        if what is None and elapsed > timeout_ms / 1000.0 + self.args.cancel_grace:
            what = "not cancellable: ran %.1f s with statement_timeout = %d ms" % (elapsed, timeout_ms)
        if what is None and conn.closed:
            what = "connection lost"
        if what is not None and what.startswith("connection lost"):
            time.sleep(0.5)         # the postmaster logs why the backend died
            why = self.check_log()
            if why:
                what += " | " + why
        elif what is None and (self.args.expect_asan or number % 200 == 0):
            # every call under the sanitizers: a UBSan report does not end
            # the backend, only the log says which call it was
            what = self.check_log()
        if what:
            self.fail(fn.signature, number, role, sql, what)
            if conn.closed or what.startswith("server log"):
                self.drop_sessions()        # after a crash every backend is gone
        else:
            self.passed += 1

    def read_log(self):
        """What the postmaster logged since the last read; crash reports in
        it, and in new sanitizer log files (--sanitizer-log-dir), are kept for
        the next check_log()."""
        text = self.server.new_log()
        self.crash_lines += [line for line in text.splitlines() if CRASH_PATTERNS.search(line)]
        if self.args.sanitizer_log_dir:
            for name in sorted(os.listdir(self.args.sanitizer_log_dir)):
                path = os.path.join(self.args.sanitizer_log_dir, name)
                if not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    f.seek(self.sanitizer_offsets.get(path, 0))
                    data = f.read()
                self.sanitizer_offsets[path] = self.sanitizer_offsets.get(path, 0) + len(data)
                self.crash_lines += ["%s: %s" % (name, line) for line in data.decode("utf-8", "replace").splitlines()
                                     if CRASH_PATTERNS.search(line)]
        return text

    def check_log(self):
        self.read_log()
        bad = []
        for line in self.crash_lines_taken():
            issue = None if self.args.known_issues else known_log_issue(line)
            if issue:
                self.known_hits[issue] = self.known_hits.get(issue, 0) + 1
            else:
                bad.append(line)
        return ("server log: " + " | ".join(bad[:3])) if bad else None

    def crash_lines_taken(self):
        lines, self.crash_lines = self.crash_lines, []
        return lines

    def fail(self, signature, number, role, sql, what):
        self.failed += 1
        kind = re.sub(r"\d+", "N", what)[:160]
        key = (signature, kind)
        self.failure_kinds[key] = self.failure_kinds.get(key, 0) + 1
        if self.failure_kinds[key] == 1:
            self.failures.append((signature, number, role, sql, what))
            if len(self.failures) == 1:
                print("fuzz: FIRST FAILURE (seed %d) in %s, call #%d as %s:\n    %s\n  %s"
                      % (self.args.seed, signature, number, role, what, shorten(sql, 2000)), flush=True)

    # ------------------------------------------------ trigger functions

    def gen_write(self, fn, rng, role):
        """A write that fires trigger function fn: on a table the extension
        guards with it, or on the role's copy of that table (same name and
        shape in schema fuzz) with the trigger attached."""
        tables = self.trigger_tables.get(fn.oid, [])
        if not tables or rng.random() < 0.02:
            return "SELECT %s()" % fn.qualified       # refused: not called as a trigger
        table = rng.choice(tables)
        target = table
        if rng.random() < 0.3 or (role == "regress_fuzz" and not self.writable[table] and rng.random() < 0.95):
            target = self.copies[table]
        cols = [c for c in self.table_columns[table] if c[0] != "id" or rng.random() < 0.1]
        op = rng.random()
        mode = rng.random()
        if op < 0.45:
            chosen = [c for c in cols if self.good_column(table, c[0], role, rng) is not None or rng.random() < 0.2]
            bad = set()
            if mode < 0.3:
                pass
            elif mode < 0.75 and chosen:
                bad.add(rng.randrange(len(chosen)))
            else:
                bad = {i for i in range(len(chosen)) if rng.random() < 0.4}
            vals = []
            for i, (c, t) in enumerate(chosen):
                good = self.good_column(table, c, role, rng)
                vals.append(self.column_value(c, t, rng) if i in bad or good is None else good)
            if not chosen:
                sql = "INSERT INTO %s DEFAULT VALUES" % target   # every column left out
            else:
                sql = "INSERT INTO %s (%s) %sVALUES (%s)" % (
                    target, ", ".join(V.ident(c) for c, _ in chosen),
                    "OVERRIDING SYSTEM VALUE " if any(c == "id" for c, _ in chosen) else "", ", ".join(vals))
        elif op < 0.85:
            chosen = rng.sample(cols, rng.randint(1, 2))
            sets = ", ".join("%s = %s" % (V.ident(c), self.column_value(c, t, rng)
                                          if rng.random() < 0.8 or self.good_column(table, c, role, rng) is None
                                          else self.good_column(table, c, role, rng)) for c, t in chosen)
            sql = "UPDATE %s SET %s WHERE %s" % (target, sets, self.where(table, rng))
        else:
            sql = "DELETE FROM %s WHERE %s" % (target, self.where(table, rng))
        # updates and deletes of the extension's own tables are rolled back
        # (the fixtures must survive), and so are the superuser's writes to
        # the tables only automl writes (a row it forges would stop the
        # deploy worker's queue or be a model that cannot load); inserts and
        # the copies' writes commit often enough for commit-time work
        # (NOTIFY) to run
        if rng.random() < 0.6 or (target == table and (not sql.startswith("INSERT") or not self.writable[table])):
            return "BEGIN; %s; ROLLBACK" % sql
        return sql

    def good_column(self, table, col, role, rng):
        """A value the table accepts for col, or None (leave it to its default)."""
        t = table.split(".")[-1]
        n = rng.randint(0, 10 ** 9)
        if t == "apps":
            return {"name": "'fuzz-w-%d'" % n, "image": "'hbpmip/w:1.%d'" % (n % 10), "ports": "'{8080}'",
                    "metadata": "'{}'", "description": "'a fuzzed app'"}.get(col)
        if t == "app_configs":
            ids = self.own_app_ids if role == "regress_fuzz" else self.app_ids
            return {"app_id": str(rng.choice(ids)), "name": "'c-%d'" % n, "cpus": "0.5", "mem": "256",
                    "env": "'{\"A\": \"1\"}'", "labels": "'{}'", "constraints": "'[]'", "instances": "1"}.get(col)
        if t == "deployments":
            return {"action": "'deploy'", "state": "'requested'", "app": "'fuzz-app'", "config": "'default'",
                    "marathon_app_id": "'/automl/fuzz-app/default'"}.get(col)
        if t == "models":
            return {"task": "'regression'", "algorithm": "'ridge'", "relation": "'fuzz.t_num'", "target": "'y'",
                    "features": "'[]'", "pipeline": "'{}'"}.get(col)
        return None

    def where(self, table, rng):
        if "deployments" in table:
            return rng.choice(["true", "id = (SELECT max(id) FROM %s)" % table, "state = 'requested'", "false"])
        if "models" in table:
            return rng.choice(["true", "false", "id = %s" % rng.choice(self.all_models), "name = 'fuzz_named'"])
        return rng.choice(["true", "false", "id = (SELECT min(id) FROM %s)" % table,
                           "name = 'fuzz-app'", "name = 'default'", "name = 'fuzz-other-app'", "name = 'big'",
                           "id = %s" % rng.choice(self.app_ids + self.config_ids + [0, -1])])

    def column_value(self, col, typ, rng):
        """A hostile value for a column of a guarded table."""
        if col == "name":
            return lit(V.app_name(rng)) if rng.random() < 0.8 else V.p_text(rng)
        if col == "image":
            return lit(V.docker_image(rng)) if rng.random() < 0.85 else "NULL"
        if col == "metadata":
            return "(%s)::jsonb" % V.p_jsonb(rng, V.LABEL_SCHEMA, [V.metadata_doc])
        if col in ("env", "labels"):
            return "(%s)::jsonb" % V.p_jsonb(rng, None, [V.string_map_doc])
        if col == "health_check":
            return "(%s)::jsonb" % V.p_jsonb(rng, None, [V.health_check_doc])
        if col == "constraints":
            return "(%s)::jsonb" % V.p_jsonb(rng, None, [V.constraints_doc])
        if col == "ports":
            return rng.choice(["'{}'", "'{80}'", "'{0}'", "'{65535}'", "'{65536}'", "'{-1}'", "'{80,80}'",
                               "ARRAY[NULL]::int[]", "NULL", "'{{80},{81}}'", "'[0:0]={80}'", "'[5:6]={80,81}'",
                               "(SELECT array_agg(g) FROM generate_series(1, 20000) g)",
                               "'{2147483647}'", "'{-2147483648}'", "'{8080,8081,8082}'"])
        if col == "app_id":
            return rng.choice([str(i) for i in self.app_ids] + ["0", "-1", "NULL", "9223372036854775807",
                                                                "(-9223372036854775807 - 1)"])
        if col in ("owner", "requested_by"):
            return rng.choice(["'regress_fuzz'", "'regress_fuzz_other'", "'postgres'", "''", "NULL",
                               "'automl_registry_admin'", lit(V.junk_string(rng, 70))])
        if col == "args":
            return V.p_array(rng, "text", ["--x", "a b", "'", "$(rm -rf /)", ""])
        if col in ("state", "action"):
            return lit(rng.choice(["requested", "deploying", "running", "failed", "deleting", "deleted", "x",
                                   "deploy", "undeploy", ""]))
        if col == "command":
            return rng.choice(["NULL", "''", "'sleep 1'", lit(V.junk_string(rng)), "repeat('x', 100000)"])
        if col == "source_url":
            return rng.choice(["NULL", "'http://x'", "'https://github.com/a/b'", "'git@github.com:a/b'",
                               "'http:// x'", "'ftp://x'", "''", "'http://'", lit(V.junk_string(rng))])
        if col in ("cpus", "mem", "disk"):
            return V.p_float8(rng)
        if col in ("features", "pipeline", "params", "metrics", "classes", "definition", "error_details"):
            return "(%s)::jsonb" % V.p_jsonb(rng)
        base = {"text": "text", "bigint": "bigint", "integer": "integer", "double precision": "double precision",
                "jsonb": "jsonb", "boolean": "boolean", "interval": "interval", "name": "name"}.get(typ)
        if base:
            return self.by_type(base, rng).expr
        if typ.endswith("[]"):
            return rng.choice(["NULL", "'{}'", "DEFAULT"])
        return rng.choice(["DEFAULT", "NULL", "now()", "'infinity'", "'-infinity'"])

    def attach_triggers(self, fn, rng):
        """The trigger function on the role's copy of each table it guards:
        as the extension attaches it, or with random timing, level and
        events (renewed every 500 calls)."""
        conn = self.session("regress_fuzz")
        for table in self.trigger_tables.get(fn.oid, []):
            copy = self.copies[table]
            for tdef in self.trigger_defs[(fn.oid, table)]:
                tname = tdef.split()[2]
                conn.query("DROP TRIGGER IF EXISTS %s ON %s" % (tname, copy))
                conn.query(tdef.replace(" ON %s " % table, " ON %s " % copy, 1))
            conn.query("DROP TRIGGER IF EXISTS fuzz_trigger ON %s" % copy)
            if rng.random() < 0.5:
                level = rng.choice(["ROW", "ROW", "STATEMENT"])
                timing = rng.choice(["BEFORE", "AFTER"])
                events = " OR ".join(rng.sample(["INSERT", "UPDATE", "DELETE"] +
                                                (["TRUNCATE"] if level == "STATEMENT" else []),
                                                rng.randint(1, 3)))
                conn.query("CREATE TRIGGER fuzz_trigger %s %s ON %s FOR EACH %s EXECUTE FUNCTION %s()"
                           % (timing, events, copy, level, fn.qualified))

    def attach_foreign_shape(self, fn, rng):
        """KNOWN ISSUE (see KNOWN_ISSUES): the trigger on tables of other shapes."""
        conn = self.session("regress_fuzz")
        rel = rng.choice(["fuzz.t_num", "fuzz.t_types", "fuzz.t_nocols", "fuzz.t_dropped", "fuzz.t_pairs"])
        conn.query("DROP TRIGGER IF EXISTS fuzz_foreign ON %s" % rel)
        conn.query("CREATE TRIGGER fuzz_foreign BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW "
                   "EXECUTE FUNCTION %s()" % (rel, fn.qualified))
        return "BEGIN; UPDATE %s SET %s; ROLLBACK" % (rel, "y = y" if rel != "fuzz.t_nocols" else "ctid = ctid") \
            if rel != "fuzz.t_nocols" else "BEGIN; INSERT INTO fuzz.t_nocols DEFAULT VALUES; ROLLBACK"

    # ------------------------------------------------ memory

    def memory_of(self, role):
        """(memory context bytes, RssAnon bytes) of the session's backend."""
        conn = self.session(role)
        pid = conn.pid
        su = self.session("postgres")
        self.read_log()             # what was logged before is not this dump
        r = su.query("SELECT pg_log_backend_memory_contexts(%d)" % pid)
        if r.error:
            raise RuntimeError("pg_log_backend_memory_contexts: %s" % r.error.get("M"))
        conn.query("SELECT 1")      # the backend handles the request at its next interrupt check
        total = None
        text = ""
        deadline = time.time() + 10
        while total is None and time.time() < deadline:
            text += self.read_log()
            m = re.search(r"\[%d\] LOG:\s+Grand total: (\d+) bytes" % pid, text)
            if m:
                total = int(m.group(1))
            else:
                time.sleep(0.05)
        if total is None:
            raise RuntimeError("backend %d did not log its memory contexts" % pid)
        what = self.check_log()
        if what:
            raise RuntimeError(what)
        rss = None
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        rss = int(line.split()[1]) * 1024
        except OSError:
            pass
        return total, rss

    def memory_check(self, fn, role):
        """The same calls over and over after warm-up: the backend's memory
        must not grow (a leak per call would)."""
        rng = random.Random("%d:memory:%s" % (self.args.seed, fn.signature))
        gen = (lambda: self.gen_write(fn, rng, role)) if fn.is_trigger else (lambda: self.gen_call(fn, rng, role))
        templates = []
        conn, _ = self.session_for(fn, role)
        for _ in range(60):
            sql = gen()
            start = time.time()
            try:
                r = conn.query(sql)
            except (pgwire.ConnectionLost, pgwire.Timeout) as e:
                return "memory check: call failed (%s): %s" % (e, shorten(sql, 300))
            if conn_in_transaction(r):
                conn.query("ROLLBACK")
            # calls that create rows (a new model, app, deployment) or run
            # long are left out: the same work must be repeated exactly
            if time.time() - start < 0.05 and not (r.error is None and fn.name in
                                                   ("automl_fit", "automl_train", "automl_deploy",
                                                    "automl_undeploy")):
                templates.append(sql)
            if len(templates) >= 25:
                break
        if not templates:
            return None
        rounds_warm, rounds = 3, self.args.memory_rounds
        for _ in range(rounds_warm):
            for sql in templates:
                r = conn.query(sql)
                if conn_in_transaction(r):
                    conn.query("ROLLBACK")
        before = self.memory_of(role)
        for _ in range(rounds):
            for sql in templates:
                r = conn.query(sql)
                if conn_in_transaction(r):
                    conn.query("ROLLBACK")
        after = self.memory_of(role)
        calls = rounds * len(templates)
        grow_ctx = after[0] - before[0]
        grow_rss = (after[1] - before[1]) if (after[1] is not None and before[1] is not None) else 0
        print("  memory %-60s %4d calls: contexts %+8.1f kB, RssAnon %+8.1f kB"
              % (shorten(fn.signature, 60), calls, grow_ctx / 1024.0, grow_rss / 1024.0))
        if grow_ctx > self.args.memory_limit_kb * 1024:
            return "memory contexts grew by %d bytes over %d repeated calls (%d per call)" % (
                grow_ctx, calls, grow_ctx // calls)
        if self.rss_checks and grow_rss > self.args.rss_limit_kb * 1024:
            return "RssAnon grew by %d bytes over %d repeated calls (%d per call)" % (
                grow_rss, calls, grow_rss // calls)
        return None

    # ------------------------------------------------ the run

    def run_function(self, fn, role, count, deadline):
        rng = random.Random("%d:%s:%s" % (self.args.seed, role, fn.signature))
        done = 0
        foreign = not skipped("trigger-foreign-shape", self.args)
        for number in range(1, count + 1):
            if time.time() > deadline:
                break
            if fn.is_trigger:
                try:
                    if number % 500 == 1 and role == "regress_fuzz":
                        self.attach_triggers(fn, rng)
                    if foreign and fn.schema == "automl" and role == "regress_fuzz" and rng.random() < 0.01:
                        sql = self.attach_foreign_shape(fn, rng)
                    else:
                        sql = self.gen_write(fn, rng, role)
                except (pgwire.ConnectionLost, pgwire.Timeout) as e:
                    self.fail(fn.signature, number, role, "(attaching the trigger)", "connection lost (%s)" % e)
                    self.drop_sessions()
                    continue
            else:
                sql = self.gen_call(fn, rng, role)
            self.execute(fn, sql, role, number)
            done += 1
        return done

    def check_asan(self):
        """--expect-asan: the server must run with AddressSanitizer (the
        sanitizer stage's wrapper preloads it); otherwise the stage would
        pass without checking anything."""
        pid = self.session("regress_fuzz").pid
        with open("/proc/%d/maps" % pid) as f:
            loaded = "libasan" in f.read()
        print("fuzz: backend %d runs %s AddressSanitizer" % (pid, "with" if loaded else "WITHOUT"))
        if loaded:
            self.passed += 1
        else:
            self.fail("server", 0, "-", "-", "the server does not run with AddressSanitizer")

    def run(self):
        deadline = time.time() + self.args.time_limit
        if self.args.expect_asan:
            self.check_asan()
        targets = [fn for fn in self.functions if fn.callable or fn.is_trigger]
        if self.args.only:
            targets = [fn for fn in targets if re.search(self.args.only, fn.signature)]
        print("fuzz: seed %d; %d functions of automl, %d callable or trigger; %d calls each as regress_fuzz, "
              "%d as superuser" % (self.args.seed, len(self.functions), len(targets), self.args.calls,
                                   self.args.superuser_calls), flush=True)
        # functions that take "internal" must not be callable from SQL
        for fn in self.functions:
            if "internal" in fn.argtypes:
                for role in ("regress_fuzz", "postgres"):
                    sql = "SELECT %s(NULL)" % fn.qualified
                    r = self.session(role).query(sql)
                    code = r.error.get("C") if r.error else None
                    if code in ("42883", "42804"):
                        self.passed += 1
                    else:
                        self.fail(fn.signature, 1, role, sql, "a function taking internal was callable "
                                  "from SQL (%s)" % (code or "no error"))
        for index, fn in enumerate(targets):
            start = time.time()
            # each function gets an equal share of the time that is left (a
            # fast one leaves its rest to the others): up to --calls calls,
            # at least --min-calls, or the run fails
            share = max(deadline - start, 0) / (len(targets) - index)
            fn_deadline = start + share
            n = self.run_function(fn, "regress_fuzz", self.args.calls, start + 0.85 * share)
            su_calls = self.args.superuser_calls
            if self.denied.get(fn.signature, 0) > n // 2:
                # the ordinary role is mostly refused (42501): the superuser
                # gets the calls that reach the function's own checks
                su_calls = max(su_calls, self.args.calls // 3)
            n_su = self.run_function(fn, "postgres", su_calls, fn_deadline)
            st = self.stats.get(fn.signature, {"calls": 0, "errors": 0, "codes": {}})
            top = sorted(st["codes"].items(), key=lambda kv: -kv[1])[:4]
            print("  %-70s %6d calls (%d as superuser), %5.1f%% errors %s, %.1f s"
                  % (shorten(fn.signature, 70), n + n_su, n_su, 100.0 * st["errors"] / max(st["calls"], 1),
                     " ".join("%s:%d" % kv for kv in top), time.time() - start), flush=True)
            if n < self.args.min_calls or n_su < min(self.args.min_calls, su_calls) // 4:
                self.fail(fn.signature, n, "-", "-", "only %d calls (%d as superuser) in its %.0f s share of "
                          "the time limit (%d s); at least %d are required"
                          % (n, n_su, share, self.args.time_limit, self.args.min_calls))
        if self.args.memory_rounds > 0:
            for fn in targets:
                for role in ("regress_fuzz", "postgres"):
                    try:
                        what = self.memory_check(fn, role)
                    except (RuntimeError, pgwire.ConnectionLost, pgwire.Timeout) as e:
                        what = "memory check: %s" % e
                    if what:
                        self.fail(fn.signature, 0, role, "(memory check)", what)
                    else:
                        self.passed += 1
        # the whole postmaster log once more, after the sessions are gone
        for c in list(self.conns.values()):
            c.close()
        time.sleep(0.5)
        what = self.check_log()
        if what:
            self.fail("postmaster", 0, "-", "-", what)
        else:
            self.passed += 1

    def report(self):
        if self.slow:
            print("fuzz: slowest calls:")
            for elapsed, sig, sql in sorted(self.slow, reverse=True)[:5]:
                print("  %6.2f s  %s" % (elapsed, shorten(sql, 160)))
        if self.failures:
            print("fuzz: %d distinct failures (seed %d); the first call of each:" % (len(self.failures), self.args.seed))
            for sig, number, role, sql, what in self.failures:
                count = self.failure_kinds[(sig, re.sub(r"\d+", "N", what)[:160])]
                print("  %s, call #%d as %s (%d like it): %s\n      %s"
                      % (sig, number, role, count, what, shorten(sql, 1000)))
        for issue, n in sorted(self.known_hits.items()):
            print("fuzz: known issue %s: %d calls tolerated (see KNOWN_ISSUES in fuzz.py)" % (issue, n))
        print("fuzz: %d passed, %d failed" % (self.passed, self.failed))


def conn_in_transaction(result):
    return getattr(result, "txstatus", "I") != "I"


def shorten(s, n):
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[:n] + "... (%d characters)" % len(s)


def main():
    # SIGTERM (a CI timeout) stops the cluster on the way out
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True, help="PostgreSQL's bin directory (with automl installed)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("AML_FUZZ_SEED", DEFAULT_SEED)))
    ap.add_argument("--calls", type=int, default=int(os.environ.get("AML_FUZZ_CALLS", 10000)),
                    help="calls of each function as regress_fuzz")
    ap.add_argument("--superuser-calls", type=int, default=int(os.environ.get("AML_FUZZ_SU_CALLS", 300)))
    ap.add_argument("--time-limit", type=float, default=float(os.environ.get("AML_FUZZ_TIME_LIMIT", 600)),
                    help="seconds for all the calls, shared equally by the functions")
    ap.add_argument("--min-calls", type=int, default=int(os.environ.get("AML_FUZZ_MIN_CALLS", 100)),
                    help="a function called fewer times as regress_fuzz in its share fails the run")
    ap.add_argument("--statement-timeout-ms", type=int, default=500)
    ap.add_argument("--cancel-grace", type=float, default=float(os.environ.get("AML_FUZZ_CANCEL_GRACE", 5)),
                    help="seconds past statement_timeout after which a call counts as not cancellable")
    ap.add_argument("--memory-rounds", type=int, default=int(os.environ.get("AML_FUZZ_MEMORY_ROUNDS", 12)))
    ap.add_argument("--memory-limit-kb", type=int, default=256,
                    help="largest growth of the memory contexts over the repeated calls")
    ap.add_argument("--rss-limit-kb", type=int, default=8192)
    ap.add_argument("--expect-asan", action="store_true",
                    help="fail unless the backends run with AddressSanitizer (sanitizer stage)")
    ap.add_argument("--sanitizer-log-dir", help="also watch the sanitizers' log_path files in this directory")
    ap.add_argument("--only", help="a regular expression: fuzz only the functions whose signature matches")
    ap.add_argument("--known-issues", action="store_true", help="also generate the calls of KNOWN_ISSUES")
    ap.add_argument("--show", type=int, default=0, help="print the first N calls of each function and their results")
    ap.add_argument("--keep", action="store_true", help="keep the cluster's directory")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="automl-fuzz.")
    os.chmod(workdir, 0o700)
    server = Server(args.bindir, workdir, sys.stdout)
    fuzzer = None
    status = 1
    try:
        server.start()
        server.run(os.path.join(args.bindir, "createdb"), "-h", workdir, "-p", str(server.port), "-U",
                   "postgres", "fuzz")
        server.psql_file("fuzz", os.path.join(HERE, "fixtures.sql"))
        # the deploy worker starts before database "fuzz" exists, waits for
        # it and is restarted to connect (a reload makes it look at once):
        # wait until it serves "fuzz"; what the setup logged is not the
        # fuzzer's concern
        server.wait_for_worker()
        fuzzer = Fuzzer(args, server)
        fuzzer.load_context()
        server.new_log()
        fuzzer.run()
        fuzzer.report()
        status = 0 if fuzzer.failed == 0 else 1
    except subprocess.CalledProcessError as e:
        print("fuzz: setup failed: %s\n%s" % (" ".join(e.cmd), e.output))
        print("fuzz: 0 passed, 1 failed")
    except Exception as e:  # a broken harness is a failure, never a pass
        print("fuzz: aborted: %s: %s" % (type(e).__name__, e))
        if fuzzer is not None:
            fuzzer.failed += 1
            fuzzer.report()
        else:
            print("fuzz: 0 passed, 1 failed")
        status = 1
    finally:
        server.stop()
        if status != 0 or args.keep:
            print("fuzz: cluster kept in %s (postmaster.log)" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
