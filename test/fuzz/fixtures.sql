-- fixtures.sql — what the fuzzer throws its calls at (run once by fuzz.py as
-- the bootstrap superuser in a fresh database).
--
--   regress_fuzz        the ordinary role most calls run as: LOGIN, a member of
--                       automl_registry_user, no privileges except on its own
--                       schema "fuzz"
--   regress_fuzz_other  another ordinary role, owner of schema fuzz_other
--                       (tables, a model and an app regress_fuzz may not use)
--
-- Relations of every odd kind: tables of every column type, empty, one row,
-- all NULL, constant, NaN/Infinity, wide, with dropped and generated
-- columns, odd column names, many categories, row-level security hiding every
-- row, views, materialized views, partitioned tables, inheritance, a composite
-- type's relation, sequences, indexes, TOAST tables and catalogs.
SET client_min_messages = warning;
CREATE EXTENSION automl;

-- both may use the app registry (the worst case: a registry user attacking)
CREATE ROLE regress_fuzz LOGIN IN ROLE automl_registry_user;
CREATE ROLE regress_fuzz_other LOGIN IN ROLE automl_registry_user;
CREATE SCHEMA fuzz AUTHORIZATION regress_fuzz;
CREATE SCHEMA fuzz_other AUTHORIZATION regress_fuzz_other;

-------------------------------------------------------------------------------
-- another role's data: regress_fuzz may not read it
-------------------------------------------------------------------------------
SET ROLE regress_fuzz_other;
CREATE TABLE fuzz_other.secret AS
    SELECT g AS id, (g % 7)::float8 AS x, (g % 3)::float8 AS x2, (g % 2 = 0) AS b,
           (g % 3)::float8 * 2 + (g % 7) AS y, CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END AS c
    FROM generate_series(1, 60) g;
SELECT automl_fit('fuzz_other.secret', 'y', 'ridge', features => '{x,x2}') AS other_model \gset
SELECT automl_fit('fuzz_other.secret', 'c', 'logistic_regression', features => '{x,x2}',
                  name => 'fuzz_other_named') AS other_named \gset
SELECT automl_deploy_model(:other_named);
INSERT INTO automl.apps (name, image, ports) VALUES ('fuzz-other-app', 'hbpmip/other:1.0', '{80}');
INSERT INTO automl.app_configs (app_id) SELECT id FROM automl.apps WHERE name = 'fuzz-other-app';
RESET ROLE;

-------------------------------------------------------------------------------
-- regress_fuzz's own relations
-------------------------------------------------------------------------------
SET ROLE regress_fuzz;
SET search_path = fuzz, public;

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a float8, b text);

-- regression and classification data
CREATE TABLE t_num AS
    SELECT g AS id, sin(g)::float8 AS x1, cos(g * 0.7)::float8 AS x2, (g % 5)::float8 AS x3,
           (g % 4)::int AS k, CASE g % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END AS c,
           (g % 2 = 0) AS b,
           (2 * sin(g) - cos(g * 0.7) + (g % 5) * 0.3)::float8 AS y,
           CASE WHEN sin(g) > 0 THEN 'pos' ELSE 'neg' END AS label
    FROM generate_series(1, 80) g;
ALTER TABLE t_num ADD PRIMARY KEY (id);
CREATE TABLE t_small AS SELECT * FROM t_num WHERE id <= 12;
CREATE TABLE t_empty (LIKE t_num);
CREATE TABLE t_one AS SELECT * FROM t_num WHERE id = 1;
CREATE TABLE t_two AS SELECT * FROM t_num WHERE id <= 2;
CREATE TABLE t_nulls AS SELECT NULL::float8 AS x1, NULL::text AS c, NULL::float8 AS y, NULL::bool AS b
    FROM generate_series(1, 20);
CREATE TABLE t_const AS SELECT 1.0::float8 AS x1, 'same'::text AS c, 2.0::float8 AS y, true AS b
    FROM generate_series(1, 30);
CREATE TABLE t_nan AS
    SELECT CASE g % 4 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity'::float8
                      WHEN 2 THEN '-Infinity'::float8 ELSE g END AS x1,
           CASE WHEN g % 5 = 0 THEN '1e308'::float8 ELSE -g END AS x2,
           CASE WHEN g % 2 = 0 THEN 'NaN'::float8 ELSE g END AS y,
           CASE WHEN g % 2 = 0 THEN 'x' ELSE NULL END AS c
    FROM generate_series(1, 40) g;
CREATE TABLE t_extreme AS
    SELECT (CASE WHEN g % 2 = 0 THEN 1e300 ELSE -1e300 END * g)::float8 AS x1,
           (g * 1e-300)::float8 AS x2, (CASE WHEN g % 2 = 0 THEN 9223372036854775807 ELSE -9223372036854775808 END)::int8 AS big,
           (g % 3)::numeric * 1e100 AS num, (g % 2)::float8 * 1e308 AS y
    FROM generate_series(1, 30) g;
CREATE TABLE t_cats AS
    SELECT g AS id, 'cat' || (g % 600) AS c, md5(g::text) AS u, (g % 7)::float8 AS x, (g % 3)::text AS y
    FROM generate_series(1, 800) g;
CREATE TABLE t_big AS
    SELECT g AS id, random()::float8 AS x1, (g % 13)::float8 AS x2, (g % 3)::int AS y
    FROM generate_series(1, 5000) g;

-- every column type the loader knows, and a few it refuses
CREATE TABLE t_types (
    i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, num numeric, bo boolean,
    tx text, vc varchar(10), ch char(5), nm name, qc "char", en mood, dm posint,
    da date, ts timestamp, tz timestamptz, tm time, ttz timetz, iv interval,
    js json, jb jsonb, ba bytea, ia integer[], ta text[], pt point, uu uuid, ip inet,
    mo money, bi bit(3), vb varbit, tv tsvector, cp pair, rg int4range, xm xml, oi oid, y float8);
INSERT INTO t_types
SELECT g::int2, g, g::int8 * 1000000000000, g / 3.0, g / 7.0, g * 1.5, g % 2 = 0,
       'text' || (g % 4), 'vc' || (g % 3), 'ch' || (g % 2), 'nm' || (g % 5), chr(97 + g % 3)::"char",
       (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::mood, g, '2000-01-01'::date + g,
       '2000-01-01'::timestamp + g * interval '1 hour', '2000-01-01'::timestamptz + g * interval '1 day',
       '00:00'::time + g * interval '1 minute', '12:00+02'::timetz, g * interval '1 day',
       json_build_object('a', g), jsonb_build_object('a', g), decode(md5(g::text), 'hex'), ARRAY[g, g + 1],
       ARRAY['a', 'b'], point(g, g), md5(g::text)::uuid, '10.0.0.1'::inet + g, g::money,
       (g % 8)::bit(3), '101'::varbit, to_tsvector('a b'), ROW(g, 'p')::pair, int4range(g, g + 2),
       '<a/>'::xml, g::oid, g * 0.5
FROM generate_series(1, 40) g;
INSERT INTO t_types (y) VALUES (1), (NULL);
CREATE TABLE t_infinite AS SELECT * FROM t_types;
INSERT INTO t_infinite (ts, tz, da, f8, y) VALUES ('infinity', '-infinity', 'infinity', 'NaN', 2);

-- odd shapes
CREATE TABLE t_nocols ();
INSERT INTO t_nocols DEFAULT VALUES;
CREATE TABLE t_dropped AS SELECT id, x1, 'gone'::text AS dead, x2, c, y FROM t_num;
ALTER TABLE t_dropped DROP COLUMN dead;
ALTER TABLE t_dropped DROP COLUMN x1;
ALTER TABLE t_dropped ADD COLUMN added float8 DEFAULT 42;
CREATE TABLE t_generated (x float8, y float8 GENERATED ALWAYS AS (x * 2) STORED, c text);
INSERT INTO t_generated (x, c) SELECT g, (g % 2)::text FROM generate_series(1, 30) g;
CREATE TABLE "t weird" ("a b" float8, "É" text, """q""" float8, "select" float8,
    "x2345678901234567890123456789012345678901234567890123456789012" float8, "y" float8, "Y" text);
INSERT INTO "t weird" SELECT g, 'é' || (g % 3), g * 2, g % 3, g % 5, g * 0.1, (g % 2)::text
    FROM generate_series(1, 30) g;
SELECT format('CREATE TABLE t_wide (%s, y float8)',
              string_agg(format('c%s float8', g), ', ')) FROM generate_series(1, 300) g \gexec
INSERT INTO t_wide (c1, c2, c300, y) SELECT g, g % 3, g % 5, g FROM generate_series(1, 20) g;
CREATE TABLE t_rls AS SELECT * FROM t_num;
ALTER TABLE t_rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE t_rls FORCE ROW LEVEL SECURITY;
CREATE POLICY nothing ON t_rls USING (false);
CREATE UNLOGGED TABLE t_unlogged AS SELECT * FROM t_num;
CREATE TABLE t_parent (x1 float8, y float8);
CREATE TABLE t_child (extra text) INHERITS (t_parent);
INSERT INTO t_parent SELECT g, g * 2 FROM generate_series(1, 10) g;
INSERT INTO t_child SELECT g, g * 3, 'e' FROM generate_series(1, 10) g;
CREATE TABLE t_part (x1 float8, y float8, c text) PARTITION BY LIST (c);
CREATE TABLE t_part_a PARTITION OF t_part FOR VALUES IN ('a');
CREATE TABLE t_part_b PARTITION OF t_part FOR VALUES IN ('b');
INSERT INTO t_part SELECT g, g % 4, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END FROM generate_series(1, 30) g;
CREATE TABLE t_part_empty (x float8) PARTITION BY RANGE (x);
CREATE TABLE t_pairs (p pair, y float8);
INSERT INTO t_pairs SELECT ROW(g, 'x')::pair, g FROM generate_series(1, 10) g;
CREATE TABLE t_toast AS SELECT repeat('long text ', 10000) || g AS c, g::float8 AS y
    FROM generate_series(1, 5) g;
CREATE VIEW v_num AS SELECT x1, x2, c, y, label FROM t_num;
CREATE VIEW v_empty AS SELECT * FROM t_num WHERE false;
CREATE VIEW v_values AS SELECT * FROM (VALUES (1.0::float8, 'a'), (2.0, 'b')) v(x, y);
CREATE MATERIALIZED VIEW mv_num AS SELECT * FROM t_num;
CREATE MATERIALIZED VIEW mv_unpopulated AS SELECT * FROM t_num WITH NO DATA;
CREATE SEQUENCE s_fuzz;
CREATE INDEX i_num ON t_num (x1);

-- the role's own models (ids recorded in fuzz.fixture)
CREATE TABLE fixture (what text PRIMARY KEY, id bigint);
INSERT INTO fixture VALUES
    ('ridge', automl_fit('t_num', 'y', 'ridge', features => '{x1,x2,x3,c,b}')),
    ('logistic', automl_fit('t_num', 'label', 'logistic_regression', features => '{x1,x2,c}')),
    ('forest', automl_fit('t_num', 'c', 'random_forest', '{"n_estimators": 5, "max_depth": 3}',
                          features => '{x1,x2,x3,k}')),
    ('boosting', automl_fit('t_num', 'y', 'gradient_boosting', '{"max_iter": 5}', features => '{x1,x3,k,b}')),
    ('nb', automl_fit('t_num', 'k', 'gaussian_nb', features => '{x1,x2}')),
    ('knn', automl_fit('t_num', 'b', 'knn', features => '{x1,x2,x3}')),
    ('svm', automl_fit('t_num', 'label', 'linear_svm', features => '{x1,x2}')),
    ('types', automl_fit('t_types', 'y', 'ridge',
                         features => '{i2,i4,i8,f4,num,bo,tx,vc,ch,nm,qc,en,dm,da,ts,tz,tm,ttz,iv}')),
    ('named', automl_fit('t_num', 'label', 'logistic_regression', features => '{x1}', name => 'fuzz_named')),
    -- the deployed model the fuzzer predicts with by name: no call it
    -- generates fits or deploys another version of it
    ('fixed', automl_fit('t_num', 'label', 'logistic_regression', features => '{x1,x2}', name => 'fuzz_fixed')),
    ('deleted', automl_fit('t_num', 'y', 'ridge', features => '{x1}'));
SELECT automl_deploy_model(id) FROM fixture WHERE what IN ('named', 'fixed');
DELETE FROM automl.models WHERE id = (SELECT id FROM fixture WHERE what = 'deleted');

-- the role's own apps
INSERT INTO automl.apps (name, image, command, ports, metadata) VALUES
    ('fuzz-app', 'hbpmip/fuzz:1.0', NULL, '{8080}', '{"org.label-schema.memory-hint": "256"}'),
    ('fuzz-cmd', NULL, 'sleep 1000', '{}', '{}');
INSERT INTO automl.app_configs (app_id, name) SELECT id, 'default' FROM automl.apps WHERE name IN ('fuzz-app', 'fuzz-cmd');
INSERT INTO automl.app_configs (app_id, name, env, labels, health_check)
    SELECT id, 'big', '{"A": "1"}', '{"l": "v"}', '{"protocol": "HTTP", "path": "/", "portIndex": 0}'
    FROM automl.apps WHERE name = 'fuzz-app';
RESET ROLE;
RESET search_path;

-------------------------------------------------------------------------------
-- the superuser's model, app and metadata
-------------------------------------------------------------------------------
CREATE TABLE public.su_data AS SELECT * FROM fuzz.t_num;
INSERT INTO fuzz.fixture VALUES ('superuser', automl_fit('public.su_data', 'y', 'ridge', features => '{x1,x2}'));
INSERT INTO fuzz.fixture VALUES ('other', :other_model), ('other_named', :other_named);
INSERT INTO automl.apps (name, image) VALUES ('fuzz-su-app', 'hbpmip/su:2');
INSERT INTO automl.app_configs (app_id) SELECT id FROM automl.apps WHERE name = 'fuzz-su-app';
SELECT automl_import_variables('{"groups": [], "variables": [
    {"code": "x1", "label": "X one", "type": "real"},
    {"code": "c", "label": "Colour", "type": "polynominal",
     "enumerations": [{"code": "red", "label": "Red"}, {"code": "green", "label": "Green"}]}]}');
