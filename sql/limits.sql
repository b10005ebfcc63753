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
-- with 10 kB documents, repeated, must not grow the backend.
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

