--
-- limits: superuser-only ceilings of the resource settings, json-c trees
-- released on errors, no NaN or infinity in jsonb, infinite inputs at predict
-- time, and malformed variable hierarchies
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
SELECT current_user AS superuser_name \gset

-- ---------------------------------------------------------------- ceilings
-- automl.max_memory and automl.blas_threads are the users'; their ceilings
-- automl.max_memory_limit and automl.max_blas_threads are superuser-only
SELECT name, context, boot_val, unit FROM pg_settings
WHERE name IN ('automl.max_memory', 'automl.max_memory_limit', 'automl.blas_threads')
ORDER BY name;
-- 4 threads, or the number of CPUs when fewer
SELECT context, setting::int BETWEEN 1 AND 4 AS at_most_4 FROM pg_settings
WHERE name = 'automl.max_blas_threads';

-- OpenBLAS starts with the ceiling's thread count when a backend asks for more
-- (a new backend: OpenBLAS is loaded on first use)
\c - :superuser_name
CREATE TABLE lim_big AS SELECT g AS a, g * 2.0 AS b FROM generate_series(1, 100000) g;
ANALYZE lim_big;
SET automl.max_blas_threads = 1;
SET automl.blas_threads = 2;
SELECT count FROM automl_summary('lim_big', '{a}');
SELECT count(*) AS backend_threads FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
RESET automl.blas_threads;
RESET automl.max_blas_threads;

\set ECHO none
\i test/regress_helpers.sql
\set ECHO all
CREATE ROLE regress_limits LOGIN;
GRANT SELECT ON lim_big TO regress_limits;
SET automl.max_blas_threads = 2;
SET ROLE regress_limits;
-- ordinary users may lower the settings, not raise them above the ceilings,
-- however they try; and they cannot change the ceilings
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($$SET automl.max_memory = '5GB'$$),
  ($$SET automl.max_memory = '4GB'$$),
  ($$SET automl.max_memory = '100MB'$$),
  ($$SELECT set_config('automl.max_memory', '1TB', false)$$),
  ($$SET LOCAL automl.max_memory = '8GB'$$),
  ($$ALTER ROLE regress_limits SET automl.max_memory = '8GB'$$),
  ($$CREATE FUNCTION pg_temp.lim_greedy() RETURNS int LANGUAGE sql SET automl.max_memory = '8GB' AS 'SELECT 1'$$),
  ($$SET automl.blas_threads = 3$$),
  ($$SET automl.blas_threads = 2$$),
  ($$SET automl.blas_threads = 1$$),
  ($$SET automl.max_memory_limit = '8GB'$$),
  ($$SET automl.max_blas_threads = 8$$)
) AS t(statement);
SHOW automl.max_memory;
SHOW automl.blas_threads;
RESET ROLE;
RESET automl.max_memory;
RESET automl.blas_threads;
RESET automl.max_blas_threads;

-- the ceiling applies where memory is used, to every setting, a superuser's too
SET automl.max_memory_limit = '1MB';
SET automl.max_memory = '8GB';
SELECT pg_temp.try($$SELECT * FROM automl_summary('lim_big')$$) AS summary_within_the_limit;
RESET automl.max_memory_limit;
SELECT count FROM automl_summary('lim_big', '{a}');
RESET automl.max_memory;

-- stored role settings are applied at login without asking again (they were
-- checked when a superuser stored them); the ceiling still applies
ALTER ROLE regress_limits SET automl.max_memory = '8GB';
ALTER ROLE regress_limits SET automl.max_memory_limit = '1MB';
\c - regress_limits
SHOW automl.max_memory;
SHOW automl.max_memory_limit;
\set ECHO none
\i test/regress_helpers.sql
\set ECHO all
SELECT pg_temp.try($$SELECT * FROM automl_summary('lim_big')$$) AS summary_within_the_limit;
DISCARD TEMP;
\c - :superuser_name
\set ECHO none
\i test/regress_helpers.sql
\set ECHO all
DROP TABLE lim_big;
DROP ROLE regress_limits;

-- ---------------------------------------------------------------- json-c trees
-- json-c allocates with malloc: every tree the glue builds or parses is
-- released with its memory context, also when the call fails.  Failing calls
-- with 10 kB documents, repeated, must not grow the backend.  (Under
-- AddressSanitizer, whose quarantine keeps freed memory resident, the
-- resident size says nothing: there the check is left to the plain build.)
CREATE FUNCTION pg_temp.sanitized() RETURNS boolean LANGUAGE sql AS $$
  SELECT pg_read_file('/proc/' || pg_backend_pid() || '/maps') LIKE '%libasan%' $$;
CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint LANGUAGE sql AS $$
  SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmRSS:\s+(\d+) kB')::bigint $$;
CREATE FUNCTION pg_temp.growth_kb(statement text, n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    failed int := 0;
BEGIN
    FOR i IN 1 .. 50 + n LOOP
        IF i = 51 THEN before := pg_temp.rss_kb(); END IF;
        BEGIN
            EXECUTE statement;
        EXCEPTION WHEN OTHERS THEN
            failed := failed + 1;
        END;
    END LOOP;
    IF failed <> 50 + n THEN RAISE EXCEPTION 'the statement did not fail: %', statement; END IF;
    IF pg_temp.sanitized() THEN RETURN 0; END IF;
    RETURN pg_temp.rss_kb() - before;
END $$;
CREATE TABLE lim_small AS
SELECT i, (i % 7)::float8 AS x, (i % 5)::float8 AS z, CASE WHEN i % 7 > 3 THEN 'a' ELSE 'b' END AS y
FROM generate_series(1, 60) i;
SELECT repeat('p', 10000) AS pad \gset
SELECT what, pg_temp.growth_kb(statement, n) < 2048 AS no_growth FROM (VALUES
  ('import: malformed after parsing', 1000,
   format($$SELECT automl_import_variables('{"pad": "%s", "variables": [{"code": "lim_v", "type": "decimal"}]}')$$, :'pad')),
  ('fit: unknown hyperparameter', 500,
   format($$SELECT automl_fit('lim_small', 'y', 'logistic_regression', '{"pad": "%s"}')$$, :'pad')),
  ('fit: no such target', 500,
   format($$SELECT automl_fit('lim_small', 'nothing', 'logistic_regression', '{"C": 1, "x": "%s"}')$$, :'pad')),
  ('train: bad search space', 200,
   format($$SELECT automl_train('lim_small', 'y', search_space => '{"estimators": {"nothing": {}}, "x": "%s"}', max_evaluations => 1)$$, :'pad')),
  ('registry: metadata of an app', 1000,
   format($$SELECT 1 / (cardinality(automl_validate_app_metadata('{"org.label-schema.memory-hint": "%s"}')) - 1)$$, :'pad'))
) AS t(what, n, statement);
DROP TABLE lim_small;

-- ---------------------------------------------------------------- infinite inputs
-- NULL and NaN are missing values at training and at predict time;
-- infinite inputs are refused at training and at predict time, by every
-- family, whichever way the row comes in; an infinite target is no value
CREATE TABLE lim_data AS
SELECT i, (i % 7)::float8 AS x, (i % 5)::float8 AS z, CASE WHEN i % 7 > 3 THEN 'a' ELSE 'b' END AS y,
       (i % 7) * 2.5 + (i % 5) AS v
FROM generate_series(1, 200) i;
SET client_min_messages = warning;
CREATE TABLE lim_models AS
SELECT automl_fit('lim_data', 'y', a, '{}', '{x,z}') AS id, a AS algorithm, 'classification' AS task
FROM unnest('{logistic_regression,linear_svm,gaussian_nb,bernoulli_nb,multinomial_nb,knn,decision_tree,random_forest,extra_trees,gradient_boosting}'::text[]) a
UNION ALL
SELECT automl_fit('lim_data', 'v', a, '{}', '{x,z}'), a, 'regression'
FROM unnest('{linear_regression,ridge,lasso,elastic_net,knn,decision_tree,random_forest,extra_trees,gradient_boosting}'::text[]) a;
RESET client_min_messages;
SELECT task, count(*) FROM lim_models GROUP BY task ORDER BY task;
-- training refuses them
INSERT INTO lim_data VALUES (201, 'Infinity', 1, 'a', 1);
SELECT pg_temp.try($$SELECT automl_fit('lim_data', 'y', 'decision_tree', '{}', '{x,z}')$$) AS training;
DELETE FROM lim_data WHERE i = 201;
-- an infinite target is no value: its row is left out, and the NOTICE says how many were infinite
INSERT INTO lim_data VALUES (201, 1, 1, 'a', 'Infinity'), (202, 2, 1, 'a', '-Infinity'), (203, 3, 1, 'a', NULL);
-- (an impossible alpha stops the fit after the rows are read: no model id in the output)
SELECT automl_fit('lim_data', 'v', 'ridge', '{"alpha": -1}', '{x,z}');
DELETE FROM lim_data WHERE i > 200;

CREATE TYPE lim_fixed AS (x float8, z float8);             -- fixed layout: the fast path
CREATE TYPE lim_varlena AS (note text, x float8, z float8); -- deformed attribute by attribute
CREATE TYPE lim_numeric AS (x numeric, z float8);           -- converted from numeric
CREATE TABLE lim_inputs (label text, x float8, z float8);  -- columns passed by the planner rewrite
INSERT INTO lim_inputs VALUES ('Infinity', 'Infinity', 1), ('-Infinity', '-Infinity', 1),
  ('NaN', 'NaN', 1), ('NULL', NULL, 1), ('1e308', 1e308, 1), ('-1e308', -1e308, 1);
CREATE FUNCTION pg_temp.plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
        RETURN NEXT regexp_replace(line, '''\d+''::bigint', 'N::bigint');
    END LOOP;
END $$;
SELECT pg_temp.plan(format('SELECT automl_predict(%s, t) FROM lim_inputs t', id))
FROM lim_models WHERE algorithm = 'logistic_regression';

CREATE TEMP TABLE lim_calls AS
SELECT m.id, m.algorithm, m.task, f, p.path, v.value,
       CASE p.path
         WHEN 'row, fixed layout' THEN format('SELECT %s(%s, ROW(%s, 1)::lim_fixed)', f, m.id, v.literal || '::float8')
         WHEN 'row, deformed' THEN format('SELECT %s(%s, ROW(''n'', %s, 1)::lim_varlena)', f, m.id, v.literal || '::float8')
         WHEN 'row, numeric' THEN format('SELECT %s(%s, ROW(%s, 1)::lim_numeric)', f, m.id, v.literal || '::numeric')
         ELSE format('SELECT %s(%s, t) FROM lim_inputs t WHERE label = %L', f, m.id, v.value)
       END AS statement
FROM lim_models m,
     unnest('{automl_predict,automl_predict_value,automl_predict_proba}'::text[]) f,
     unnest('{row\, fixed layout,row\, deformed,row\, numeric,columns (planner rewrite)}'::text[]) p(path),
     (VALUES ('Infinity', $$'Infinity'$$), ('-Infinity', $$'-Infinity'$$), ('NaN', $$'NaN'$$), ('NULL', 'NULL'))
       AS v(value, literal);
ALTER TABLE lim_calls ADD result text;
UPDATE lim_calls SET result = regexp_replace(pg_temp.try(statement), 'model \d+', 'model N');
-- every family, every function, every path: the same error for infinities
SELECT value, path, count(*) AS calls, string_agg(DISTINCT result, E'\n') AS results
FROM lim_calls WHERE value LIKE '%Infinity' GROUP BY value, path ORDER BY value, path;
-- NaN and NULL are missing values: the same prediction
SELECT path, count(*) FILTER (WHERE n.result IS NOT DISTINCT FROM u.result) AS same_as_null, count(*) AS calls
FROM lim_calls n JOIN lim_calls u USING (id, f, path)
WHERE n.value = 'NaN' AND u.value = 'NULL' GROUP BY path ORDER BY path;
SELECT count(*) AS failed_predictions FROM lim_calls
WHERE value IN ('NaN', 'NULL') AND f = 'automl_predict' AND result <> 'ok';
DELETE FROM automl.models WHERE id IN (SELECT id FROM lim_models);
DROP TABLE lim_calls, lim_inputs, lim_models, lim_data;
DROP TYPE lim_fixed, lim_varlena, lim_numeric;

-- ---------------------------------------------------------------- no NaN in jsonb
-- finite inputs can still overflow a model's arithmetic: a probability is then
-- never NaN in jsonb (JSON has none), and no label is picked from NaN scores
CREATE TABLE lim_data AS
SELECT i, (i % 7)::float8 AS x, (i % 5)::float8 AS z, CASE WHEN i % 7 > 3 THEN 'a' ELSE 'b' END AS y
FROM generate_series(1, 200) i;
SET client_min_messages = warning;
CREATE TABLE lim_models AS
SELECT automl_fit('lim_data', 'y', a, '{}', '{x,z}') AS id, a AS algorithm
FROM unnest('{logistic_regression,gaussian_nb,bernoulli_nb,multinomial_nb,knn,decision_tree,random_forest,extra_trees,gradient_boosting}'::text[]) a;
RESET client_min_messages;
CREATE TYPE lim_fixed AS (x float8, z float8);
CREATE FUNCTION pg_temp.proba(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result jsonb;
    problem text;
BEGIN
    BEGIN
        EXECUTE statement INTO result;
    EXCEPTION WHEN OTHERS THEN
        RETURN pg_temp.try(statement);
    END;
    -- valid JSON that reads back, with every probability a number in [0, 1]
    BEGIN
        SELECT string_agg(key || ' = ' || value::text, ', ') INTO problem
        FROM jsonb_each(result::text::jsonb)
        WHERE jsonb_typeof(value) <> 'number' OR value::text::float8 NOT BETWEEN 0 AND 1;
    EXCEPTION WHEN OTHERS THEN
        RETURN 'not JSON: ' || result::text;
    END;
    RETURN coalesce('not probabilities: ' || problem, 'probabilities');
END $$;
SELECT regexp_replace(pg_temp.proba(format('SELECT automl_predict_proba(%s, ROW(-1e308, 1)::lim_fixed)', id)), 'model \d+', 'model N') AS proba,
       regexp_replace(pg_temp.try(format('SELECT automl_predict(%s, ROW(-1e308, 1)::lim_fixed)', id)), 'model \d+', 'model N') AS label
FROM lim_models WHERE algorithm = 'logistic_regression' \gx
-- every probabilistic classifier, every extreme value: probabilities, or that error
SELECT v AS x, count(*) AS models,
       string_agg(DISTINCT regexp_replace(pg_temp.proba(format('SELECT automl_predict_proba(%s, ROW(%s, %s)::lim_fixed)', id, v, w)),
                                          'model \d+|class "\w+"', 'N', 'g'), E'\n') AS results
FROM lim_models, (VALUES ('1e308'), ('-1e308'), ('1e-308'), ('1.7e308')) AS a(v), (VALUES ('1'), ('1e308'), ('-1e308')) AS b(w)
GROUP BY v ORDER BY v;
-- stored metrics are numbers: a metric that overflows is left out
CREATE TABLE lim_huge AS SELECT i, i::float8 AS x, i * 1e300 AS big FROM generate_series(1, 100) i;
SET client_min_messages = warning;
SELECT automl_fit('lim_huge', 'big', 'linear_regression', features => '{x}') AS huge \gset
RESET client_min_messages;
SELECT metrics::text ~ 'NaN|Infinity' AS non_finite_text, metrics->'holdout' ? 'mse' AS has_mse,
       (SELECT array_agg(key ORDER BY key) FROM jsonb_each(metrics->'holdout')) AS holdout_metrics
FROM automl.models WHERE id = :huge;

DELETE FROM automl.models WHERE id IN (SELECT id FROM lim_models UNION ALL SELECT :huge);
DROP TABLE lim_huge, lim_models, lim_data;
DROP TYPE lim_fixed;

-- ---------------------------------------------------------------- variable hierarchies
-- NULLs, numbers, booleans, nested arrays and objects in every array field, and
-- missing fields: a clear 22023 naming what is wrong and where, never a crash
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  -- datasets: strings, numbers and {"code": ...} are names; nothing else is
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [null]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": ["a", null]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [true]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [["CHUV1"]]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [{}]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [{"code": null}]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [{"code": {"code": "x"}}]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": [""]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": "CHUV1"}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": {"code": "CHUV1"}}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": null}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "datasets": ["CHUV1", 2, {"code": "PPMI"}, {"code": 3}]}]}')$$),
  -- enumerations: objects with a string or number code and label
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [null]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [1, 2]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [[{"code": 1}]]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [{"code": null}]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [{"code": [1]}]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [{"code": 1, "label": {"en": "one"}}]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": {"code": 1}}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "polynominal", "enumerations": [{"code": 1}, {"code": "2", "label": 2}]}]}')$$),
  -- variables and their fields
  ($$SELECT automl_import_variables('{"variables": [null]}')$$),
  ($$SELECT automl_import_variables('{"variables": [[{"code": "lim_v", "type": "real"}]]}')$$),
  ($$SELECT automl_import_variables('{"variables": {"code": "lim_v", "type": "real"}}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": null, "type": "real"}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": ["lim_v"], "type": "real"}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": null}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": ["real"]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "label": true}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "units": {"si": "kg"}}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "minValue": [1]}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "minValue": "NaN"}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "maxValue": "Infinity"}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "maxValue": "-inf"}]}')$$),
  ($$SELECT automl_import_variables('{"variables": [{"code": "lim_v", "type": "real", "minValue": null, "label": null}]}')$$),
  -- groups
  ($$SELECT automl_import_variables('{"groups": [null]}')$$),
  ($$SELECT automl_import_variables('{"groups": [[]]}')$$),
  ($$SELECT automl_import_variables('{"groups": "g"}')$$),
  ($$SELECT automl_import_variables('{"groups": [{"code": null, "variables": [{"code": "lim_v", "type": "real"}]}]}')$$),
  ($$SELECT automl_import_variables('{"groups": [{"code": {"a": 1}, "variables": []}]}')$$),
  ($$SELECT automl_import_variables('{"groups": [{"code": false, "variables": []}]}')$$),
  ($$SELECT automl_import_variables('{"groups": [{"code": "", "variables": []}]}')$$),
  ($$SELECT automl_import_variables('{"groups": [{"code": 7, "groups": [{"variables": [{"code": "lim_w", "type": "text"}]}]}]}')$$),
  ($$SELECT automl_import_variables('{"groups": [{"code": "g", "variables": null, "groups": null}]}')$$),
  -- the document itself
  ($$SELECT automl_import_variables('null')$$),
  ($$SELECT automl_import_variables('[{"code": "lim_v", "type": "real"}]')$$),
  ($$SELECT automl_import_variables('"lim_v"')$$),
  ($$SELECT automl_import_variables('{}')$$),
  ($$SELECT automl_import_variables('1')$$),
  ($$SELECT automl_import_variables('true')$$),
  ($$SELECT automl_import_variables((repeat('{"groups": [', 40) || repeat(']}', 40))::jsonb)$$)
) AS t(statement);
SELECT code, type, group_path, datasets, enumerations FROM automl.variables
WHERE code IN ('lim_v', 'lim_w') ORDER BY code;
DELETE FROM automl.variables WHERE code IN ('lim_v', 'lim_w');
