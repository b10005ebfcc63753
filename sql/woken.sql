--
-- woken: Woken inside the database — woken-db's tables, the algorithm
-- catalogue, automl_mining with every code on MIP's sample tables (with the
-- published answers), what lands in woken.job_result, PFA export checked by
-- an independent PFA interpreter (test/woken/pfa_eval.py), and bad input
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
\set ECHO none
\i test/data/load_benchmarks.sql
\i test/data/load_mip.sql
\i test/regress_helpers.sql
\set ECHO all
RESET client_min_messages;
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;
TRUNCATE woken.job_result;
TRUNCATE woken.meta_variables RESTART IDENTITY;
-- Woken's sample table (science-db SAMPLE_DATA = linreg_sample.csv)
CREATE TABLE public.sample_data AS SELECT * FROM bench.linreg_sample;

-------------------------------------------------------------------------------
-- woken-db and meta-db tables, column for column
-------------------------------------------------------------------------------
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS "default"
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = 'woken'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname, a.attnum;
SELECT conrelid::regclass, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'woken'::regnamespace ORDER BY 1, 2;
SELECT 'woken.gen_features_table_seq'::regclass;

-------------------------------------------------------------------------------
-- the algorithm catalogue
-------------------------------------------------------------------------------
SELECT code, type, predictive, variables_can_be_null AS var_null,
       covariables_can_be_null AS covar_null, implementation, available,
       jsonb_array_length(parameters) AS n_params
FROM automl.algorithms ORDER BY code;
-- knn's parameters come from its estimator's table; k is Woken's name of n_neighbors
SELECT p->>'code' AS code, p->>'label' AS label, p->>'type' AS type, p->'default_value' AS "default",
       p->'values' AS "values", p->'constraints' AS constraints
FROM automl.algorithms, jsonb_array_elements(parameters) p WHERE code = 'knn';
SELECT constraints FROM automl.algorithms WHERE code = 'naiveBayes';
SELECT jsonb_object_keys(automl_mining_algorithms()) ORDER BY 1;
SELECT automl_mining_algorithms()->'validations';
SELECT jsonb_array_length(automl_mining_algorithms()->'algorithms') =
       (SELECT count(*) FROM automl.algorithms) AS one_per_row;

-------------------------------------------------------------------------------
-- automl_mining: every code
-------------------------------------------------------------------------------
SET client_min_messages = warning;
-- Woken's regression example: cognitive_task2 ~ score_test1 + college_math,
-- published intercept 54.9529, score_test1 -0.00463, college_math -0.00583
-- (woken tests lr_and_anova_experiment.json)
SELECT key AS term, round((value->>'coef')::numeric, 5) AS coef, round((value->>'std_err')::numeric, 5) AS std_err
FROM jsonb_each(automl_mining('{"user": {"code": "user1"}, "variables": [{"code": "cognitive_task2"}],
    "covariables": [{"code": "score_test1"}, {"code": "college_math"}], "covariablesMustExist": true,
    "grouping": [], "filters": null, "datasets": [],
    "targetTable": {"database": "features", "dbSchema": "public", "name": "sample_data"},
    "algorithm": {"code": "linearRegression", "parameters": []}}')->'data') ORDER BY 1;
-- the same numbers as automl_lm, and R (lm) gives 54.9529
SELECT key AS term, value->'F' AS f, value->'df' AS df
FROM jsonb_each(automl_mining('{"variables": [{"code": "cognitive_task2"}],
    "covariables": [{"code": "score_test1"}], "targetTable": {"name": "sample_data"},
    "algorithm": {"code": "anova", "parameters": [{"code": "design", "value": "additive"}]}}')->'data') ORDER BY 1;
-- statisticsSummary: Woken's summary of cognitive_task2 (n 150, mean 50, sd 10, min 35.38481, max 80.4739)
SELECT r->>'index' AS variable, r->'count' AS n, round((r->>'mean')::numeric, 5) AS mean,
       round((r->>'std')::numeric, 5) AS std, round((r->>'min')::numeric, 5) AS min,
       round((r->>'max')::numeric, 4) AS max, round((r->>'EX^2')::numeric, 2) AS ex2
FROM jsonb_array_elements(automl_mining('{"variables": [{"code": "cognitive_task2"}],
    "covariables": [], "targetTable": {"name": "sample_data"},
    "algorithm": {"code": "statisticsSummary"}}')->'data'->'data') r;
-- predictive codes: a PFA document, or the stored model's description where PFA cannot say it
SELECT q.code, r->>'type' AS type, r->>'function' AS function, r->'error' AS error,
       r->'data'->>'output' AS pfa_output, r->'data'->>'algorithm' AS model_algorithm,
       jsonb_array_length(r->'feedback') AS feedback
FROM (VALUES
  ('knn', '{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}, {"code": "college_math"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn", "parameters": [{"code": "k", "value": "2"}]}}'),
  ('naiveBayes', '{"variables": [{"code": "alzheimerbroadcategory"}], "covariables": [{"code": "lefthippocampus"}],
    "targetTable": {"dbSchema": "science", "name": "cde_features_a"}, "algorithm": {"code": "naiveBayes"}}'),
  ('gradientBoosting', '{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "gradientBoosting",
    "parameters": [{"code": "n_estimators", "value": "20"}, {"code": "learning_rate", "value": "0.2"}]}}'),
  ('sgdLinearModel', '{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "sgdLinearModel", "parameters": [{"code": "alpha", "value": "0.01"}]}}'),
  ('sgdLinearModel classification', '{"variables": [{"code": "gender"}], "covariables": [{"code": "lefthippocampus"}, {"code": "agegroup"}],
    "targetTable": {"dbSchema": "science", "name": "cde_features_a"}, "algorithm": {"code": "sgdLinearModel"}}'),
  ('tpot', '{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "tpot", "parameters": [{"code": "time_budget", "value": "5 minutes"}, {"code": "cv_folds", "value": "3"}, {"code": "search_space", "value": "light"}, {"code": "max_evaluations", "value": "6"}]}}')
) AS q(code, query), automl_mining(q.query::jsonb) r;
-- the codes whose statistics functions are not installed say so
SELECT code, automl_mining(jsonb_build_object('variables', '[{"code": "cognitive_task2"}]'::jsonb,
         'covariables', '[{"code": "score_test1"}]'::jsonb, 'targetTable', '{"name": "sample_data"}'::jsonb,
         'algorithm', jsonb_build_object('code', code)))->>'error' AS error
FROM automl.algorithms WHERE NOT available ORDER BY code;
-- kmeans: automl_fit(view, NULL, 'kmeans') on the variables and covariables (rows with NULLs
-- left out, as Woken does), k clusters; the same clusters as a direct automl_fit on those rows
SELECT automl_fit('sample_data', NULL, 'kmeans', '{"n_clusters": 4}',
                  features => '{cognitive_task2,score_test1,college_math}',
                  filter => '{"condition": "AND", "rules": [
                    {"field": "cognitive_task2", "operator": "is_not_null"},
                    {"field": "score_test1", "operator": "is_not_null"},
                    {"field": "college_math", "operator": "is_not_null"}]}') AS km_direct \gset
SELECT r->>'type' AS type, r->>'function' AS function, r->'data'->'features'->0->>'name' AS first_feature,
       jsonb_array_length(r->'data'->'clusters') AS clusters,
       (SELECT sum((c->>'size')::int) FROM jsonb_array_elements(r->'data'->'clusters') c)
         = (SELECT count(*) FROM sample_data WHERE cognitive_task2 IS NOT NULL AND score_test1 IS NOT NULL
              AND college_math IS NOT NULL) AS sizes_sum_to_rows,
       abs((r->'data'->>'inertia')::float8 - (m.metrics->>'inertia')::float8)
         < 1e-9 * (r->'data'->>'inertia')::float8 AS as_automl_fit
FROM automl.models m,
     automl_mining('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}, {"code": "college_math"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "kmeans", "parameters": [{"code": "k", "value": "4"}]}}') r
WHERE m.id = :km_direct;
SELECT automl_mining('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "kmeans", "parameters": [{"code": "k", "value": "many"}]}}')->>'error' AS bad_k;
-- histograms: the variable's chart and one per grouping variable (a series per group), with
-- automl_histogram's counts
SELECT c->'title'->>'text' AS title, c->'xAxis'->'categories'->0 AS first_bin, s->>'name' AS series, s->'data' AS counts
FROM jsonb_array_elements(automl_mining('{"variables": [{"code": "lefthippocampus"}], "grouping": [{"code": "gender"}],
    "targetTable": {"dbSchema": "science", "name": "cde_features_a"},
    "algorithm": {"code": "histograms", "parameters": [{"code": "bins", "value": "3"}]}}')->'data') c,
     jsonb_array_elements(c->'series') s;
SELECT group_values, array_agg(count ORDER BY bin) AS counts
FROM automl_histogram('science.cde_features_a', 'lefthippocampus', 3, '{gender}') GROUP BY 1 ORDER BY 1;
-- correlationHeatmap: Pearson's r of every pair (both halves and the diagonal), as automl_correlation
SELECT r->'data'->'xAxis'->'categories' AS variables, jsonb_array_length(r->'data'->'series'->0->'data') AS cells,
       (SELECT bool_and(abs((cell->>2)::float8 - c.estimate) < 1e-15)
        FROM jsonb_array_elements(r->'data'->'series'->0->'data') cell,
             automl_correlation('sample_data', '{iq,score_test1,college_math}') c
        WHERE (cell->>0)::int <> (cell->>1)::int
          AND ARRAY[c.x, c.y] <@ ARRAY[r->'data'->'xAxis'->'categories'->>(cell->>0)::int,
                                        r->'data'->'xAxis'->'categories'->>(cell->>1)::int]) AS equal
FROM automl_mining('{"variables": [{"code": "iq"}], "covariables": [{"code": "score_test1"}, {"code": "college_math"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "correlationHeatmap"}}') r;
-- pca: automl_pca's components of the variables and covariables
SELECT c->'component' AS component, round((c->>'proportion')::numeric, 6) AS proportion,
       round((c->>'proportion')::numeric, 6) = round(p.proportion::numeric, 6) AS equal
FROM jsonb_array_elements(automl_mining('{"variables": [{"code": "iq"}], "covariables": [{"code": "score_test1"}, {"code": "college_math"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "pca"}}')->'data'->'components') c
JOIN automl_pca('sample_data', '{iq,score_test1,college_math}') p ON p.component = (c->>'component')::int
ORDER BY 1;
-- filters (query-builder JSON, issue 11's compiler), datasets, feedback
SELECT r->'data'->'data'->0->'count' AS n, r->'feedback' AS feedback
FROM automl_mining('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "nope"}],
    "datasets": [{"code": "x"}], "targetTable": {"name": "sample_data"},
    "filters": {"condition": "AND", "rules": [{"field": "college_math", "operator": "greater", "value": 50},
                                             {"field": "iq", "operator": "between", "value": [90, 110]}]},
    "algorithm": {"code": "statisticsSummary"}}') r;
SELECT count(*) FROM sample_data WHERE college_math > 50 AND iq BETWEEN 90 AND 110;
-- datasets on a table with a dataset column; filters as a string (2017 clients)
SELECT r->'data'->'data'->0->'count' AS n, r->'error' AS error
FROM automl_mining('{"variables": [{"code": "subjectageyears"}], "datasets": [{"code": "desd-synthdata"}],
    "targetTable": {"dbSchema": "science", "name": "cde_features_a"},
    "filters": "{\"field\": \"gender\", \"operator\": \"equal\", \"value\": \"F\"}",
    "algorithm": {"code": "statisticsSummary"}}') r;
SELECT count(subjectageyears) FROM science.cde_features_a WHERE gender = 'F' AND dataset = 'desd-synthdata';

-- automl.node names the node in results and rows
SET automl.node = 'chuv';
SELECT r->>'node' AS node, r->>'type' AS type
FROM automl_mining('{"variables": [{"code": "iq"}], "targetTable": {"name": "sample_data"},
                     "algorithm": {"code": "statisticsSummary"}}') r;
RESET automl.node;
SHOW automl.node;

-------------------------------------------------------------------------------
-- what landed in woken.job_result: one row per job, Woken's shapes
-------------------------------------------------------------------------------
SELECT node, shape, function, result_name, error IS NOT NULL AS failed,
       parameters ? 'query' AS has_query, parameters->>'variables' AS variables,
       parameters->'covariables' AS covariables, parameters->'model_parameters' AS model_parameters
FROM woken.job_result ORDER BY timestamp, function, parameters::text;
-- data parses as the shape says; every predictive row's model knows its job
SELECT shape, count(*), bool_and(data::jsonb IS NOT NULL) AS json
FROM woken.job_result WHERE error IS NULL GROUP BY shape ORDER BY shape;
SELECT count(*) AS models, count(job_id) AS linked,
       bool_and(job_id IN (SELECT job_id FROM woken.job_result)) AS jobs_exist FROM automl.models;
SELECT count(*) AS runs, count(job_id) AS linked FROM automl.runs;
RESET client_min_messages;

-------------------------------------------------------------------------------
-- bad input: Woken's error (QueryResult and a text/plain+error row), or the
-- SQLSTATE with strict => true
-------------------------------------------------------------------------------
TRUNCATE woken.job_result;
TRUNCATE woken.meta_variables RESTART IDENTITY;
SELECT pg_temp.try($$SELECT automl_mining('{"variables": [')$$) AS malformed_json;
SELECT pg_temp.try($$SELECT automl_mining(NULL)$$) AS null_query;
CREATE TEMP TABLE bad (n serial, query jsonb);
INSERT INTO bad (query) VALUES
  ('[1, 2]'),
  ('{"variables": [{"code": "iq"}], "targetTable": {"name": "sample_data"}}'),
  ('{"variables": [{"code": "iq"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "svm"}}'),
  ('{"variables": [{"code": "iq"}], "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "targetTable": {"name": "no_such_table"}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq2"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}, {"code": "toto"}], "covariablesMustExist": true, "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "toto"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "filters": {"field": "iq", "operator": "greater", "value": 1000}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "filters": {"field": "nope", "operator": "equal", "value": 1}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn", "parameters": [{"code": "k", "value": "abc"}]}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn", "parameters": [{"code": "k", "value": "0"}]}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn", "parameters": [{"code": "depth", "value": "3"}]}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "naiveBayes"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "grouping": [{"code": "id"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "tpot", "parameters": [{"code": "time_budget", "value": "soon"}]}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "anova", "parameters": [{"code": "design", "value": "nested"}]}}');
SELECT n, r->>'type' AS type, r->>'error' AS error, r->'data' AS data
FROM bad, automl_mining(query) r ORDER BY n;
SELECT n, pg_temp.try(format('SELECT automl_mining(%L, strict => true)', query)) AS strict
FROM bad ORDER BY n;
-- one text/plain+error row per failed job (strict calls roll theirs back)
SELECT count(*), count(DISTINCT job_id), bool_and(shape = 'text/plain+error' AND data IS NULL AND error <> '')
FROM woken.job_result;
SELECT parameters->>'sqlstate' AS sqlstate, count(*) FROM woken.job_result GROUP BY 1 ORDER BY 1;

-------------------------------------------------------------------------------
-- woken.results_cache: every successful automl_mining result, as Woken's
-- mining service caches it (errors, strict failures and experiments are not)
-------------------------------------------------------------------------------
SELECT count(*) > 0 AS filled, bool_and(query->'user' = '{"code": "woken"}') AS user_woken,
       bool_and(data->>'type' = shape AND data->>'algorithm' = function AND data->'error' = 'null') AS results,
       bool_and(length(table_contents_hash) = 32) AS md5, bool_and(created_at <= last_used) AS times,
       count(*) FILTER (WHERE shape = 'text/plain+error') AS errors
FROM woken.results_cache;
TRUNCATE woken.results_cache;
SET client_min_messages = warning;
SELECT automl_mining('{"user": {"code": "alice"}, "variables": [{"code": "cognitive_task2"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "statisticsSummary"}}')->>'jobId' AS job \gset
-- keyed by node, table, the query with Woken's user, shape, function; the hash is of the rows it read
SELECT node, table_name, shape, function, data->>'jobId' = :'job' AS its_result,
       query = '{"user": {"code": "woken"}, "variables": [{"code": "cognitive_task2"}],
                 "targetTable": {"name": "sample_data"}, "algorithm": {"code": "statisticsSummary"}}' AS key,
       table_contents_hash = (SELECT md5(string_agg(v::text, E'\n' ORDER BY v::text))
                              FROM (SELECT cognitive_task2 FROM sample_data) v) AS hash_of_its_rows
FROM woken.results_cache;
-- another user's same query has the same key: the first result is kept
SELECT automl_mining('{"user": {"code": "bob"}, "variables": [{"code": "cognitive_task2"}],
    "targetTable": {"name": "sample_data"}, "algorithm": {"code": "statisticsSummary"}}')->>'type' AS type;
SELECT count(*), bool_and(data->>'jobId' = :'job') AS first_kept FROM woken.results_cache;
-- a filter: another key, other rows, another hash
SELECT automl_mining('{"variables": [{"code": "cognitive_task2"}], "targetTable": {"name": "sample_data"},
    "filters": {"field": "id", "operator": "less", "value": 50}, "algorithm": {"code": "statisticsSummary"}}')->>'type' AS type;
SELECT count(*), count(DISTINCT table_contents_hash) AS hashes FROM woken.results_cache;
-- not cached: an error, a strict call that fails, more than 30 variables (Woken's limit)
SELECT automl_mining('{"variables": [{"code": "nope"}], "targetTable": {"name": "sample_data"},
    "algorithm": {"code": "statisticsSummary"}}')->>'type' AS type;
SELECT pg_temp.try($$SELECT automl_mining('{"variables": [{"code": "iq"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn"}}', strict => true)$$) AS strict;
SELECT automl_mining(jsonb_build_object('variables', '[{"code": "lefthippocampus"}]'::jsonb,
    'covariables', (SELECT jsonb_agg(jsonb_build_object('code', attname) ORDER BY attnum)
                    FROM (SELECT attname, attnum FROM pg_attribute
                          WHERE attrelid = 'science.cde_features_a'::regclass AND attnum > 0
                            AND atttypid = 'float8'::regtype AND attname <> 'lefthippocampus'
                          ORDER BY attnum LIMIT 30) a),
    'targetTable', '{"dbSchema": "science", "name": "cde_features_a"}'::jsonb,
    'algorithm', '{"code": "statisticsSummary"}'::jsonb))->>'type' AS type_31_variables;
SELECT count(*) FROM woken.results_cache;
RESET client_min_messages;

-------------------------------------------------------------------------------
-- PFA export: each document is scored on the table's rows by an interpreter
-- of PFA 0.8.1 written from the specification (test/woken/pfa_eval.py) and
-- must predict what automl_predict predicts (1e-9 for values, equal labels)
-------------------------------------------------------------------------------
SET client_min_messages = warning;
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY CASCADE;
SELECT automl_fit('bench.linreg_sample', 'college_math', 'linear_regression',
                  features => '{score_math_course1,score_math_course2}') AS ols \gset
SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'logistic_regression',
                  features => '{lefthippocampus,gender,subjectageyears}') AS softmax \gset
SELECT automl_fit('science.cde_features_a', 'gender', 'logistic_regression',
                  features => '{lefthippocampus,righthippocampus,subjectageyears,agegroup}') AS logit \gset
SELECT automl_fit('science.cde_features_a', 'minimentalstate', 'ridge', '{"alpha": 3}',
                  features => '{lefthippocampus,gender,agegroup,subjectage}', task => 'regression') AS ridge \gset
SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'decision_tree', '{"max_depth": 5}',
                  features => '{lefthippocampus,gender,subjectageyears,agegroup}') AS tree \gset
SELECT automl_fit('science.cde_features_a', 'minimentalstate', 'random_forest', '{"n_estimators": 8, "max_depth": 5}',
                  features => '{lefthippocampus,gender,subjectageyears}', task => 'regression') AS forest_reg \gset
SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'extra_trees', '{"n_estimators": 8, "max_depth": 6}',
                  features => '{lefthippocampus,righthippocampus,gender,subjectageyears}') AS forest_cls \gset
SELECT automl_fit('bench.iris', 'name', 'linear_svm', features => '{sepal_length,sepal_width,petal_length,petal_width}') AS svm \gset
RESET client_min_messages;
\pset format unaligned
\pset tuples_only on
\o test/results/woken_pfa_ols.json
SELECT json_build_object('pfa', automl_export_pfa(:ols), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:ols, s)))) FROM bench.linreg_sample s;
\o test/results/woken_pfa_softmax.json
SELECT json_build_object('pfa', automl_export_pfa(:softmax), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:softmax, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_logit.json
SELECT json_build_object('pfa', automl_export_pfa(:logit), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:logit, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_ridge.json
SELECT json_build_object('pfa', automl_export_pfa(:ridge), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:ridge, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_tree.json
SELECT json_build_object('pfa', automl_export_pfa(:tree), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:tree, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_forest_reg.json
SELECT json_build_object('pfa', automl_export_pfa(:forest_reg), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:forest_reg, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_forest_cls.json
SELECT json_build_object('pfa', automl_export_pfa(:forest_cls), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:forest_cls, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_svm.json
SELECT json_build_object('pfa', automl_export_pfa(:svm), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:svm, s)))) FROM bench.iris s;
\o
\pset format aligned
\pset tuples_only off
\! for m in ols softmax logit ridge tree forest_reg forest_cls svm; do python3 test/woken/pfa_eval.py test/results/woken_pfa_$m.json; done
-- the interpreter can fail: a document whose coefficient is changed disagrees
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_ols.json')); c['pfa']['cells']['model']['init']['coeff'][0] += 1e-6; json.dump(c, open('test/results/woken_pfa_bad.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad.json
-- the document's parts
SELECT d->>'name' AS name, d->'input' AS input, d->>'output' AS output, d->>'method' AS method,
       jsonb_object_keys(d->'cells') AS cells
FROM automl_export_pfa(:softmax) d;
-- k-NN and naive Bayes export too (their documents are scored in the woken_pfa suite);
-- the families PFA cannot express (the search's ensembles) are errors naming them, there
SET client_min_messages = warning;
SELECT automl_fit('bench.iris', 'name', 'knn') AS knn \gset
SELECT automl_fit('bench.iris', 'name', 'gaussian_nb') AS nb \gset
RESET client_min_messages;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :knn)) AS knn;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :nb)) AS nb;
SELECT pg_temp.try('SELECT automl_export_pfa(999999)') AS missing;

-------------------------------------------------------------------------------
-- automl_experiment: several algorithms, k-fold validated as Woken does
-------------------------------------------------------------------------------
SET client_min_messages = warning;
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY CASCADE;
TRUNCATE woken.job_result;
-- Woken's knn experiment (knn_experiment_query.json: k = 5, 2 folds on sample_data) with a
-- linear model and linear regression beside it
CREATE TEMP TABLE exp AS SELECT automl_experiment('{"user": {"code": "user1"},
    "variables": [{"code": "cognitive_task2"}], "grouping": [],
    "covariables": [{"code": "score_test1"}, {"code": "college_math"}], "covariablesMustExist": true,
    "targetTable": {"database": "features", "dbSchema": "public", "name": "sample_data"},
    "algorithms": [{"code": "knn", "parameters": [{"code": "k", "value": "5"}]},
                   {"code": "sgdLinearModel"}, {"code": "linearRegression"}, {"code": "nope"}],
    "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "2"}]}]}') AS r;
SELECT r->>'type' AS type, r->>'function' AS function, r->'error' AS error, jsonb_array_length(r->'data') AS items
FROM exp;
SELECT i->'algorithmSpec'->>'code' AS code, i->>'type' AS type, i->>'error' AS error,
       i->'validations'->0->'data'->'average'->>'type' AS score,
       jsonb_object_keys(i->'validations'->0->'data'->'folds') AS fold
FROM exp, jsonb_array_elements(r->'data') i ORDER BY 1, 5;
-- "average" is the score of the pooled predictions: with two folds of 75 rows its MSE and MAE
-- are the means of the folds'
SELECT i->'algorithmSpec'->>'code' AS code,
       abs((v->'average'->>'MSE')::float8 - ((v->'folds'->'1'->>'MSE')::float8 + (v->'folds'->'2'->>'MSE')::float8) / 2) < 1e-9 AS mse_pooled,
       abs((v->'average'->>'MAE')::float8 - ((v->'folds'->'1'->>'MAE')::float8 + (v->'folds'->'2'->>'MAE')::float8) / 2) < 1e-9 AS mae_pooled,
       abs((v->'average'->>'RMSE')::float8 - sqrt((v->'average'->>'MSE')::float8)) < 1e-12 AS rmse,
       (v->'average'->>'R-squared')::float8 BETWEEN -1 AND 0.2 AS r2_plausible
FROM exp, jsonb_array_elements(r->'data') i, LATERAL (SELECT i->'validations'->0->'data' AS v) x
WHERE i ? 'validations' ORDER BY 1;
-- the PFA of the final model carries Woken's validations cell, and still predicts
SELECT i->'data'->'cells'->'validations'->'init'->0->>'code' AS code,
       (i->'data'->'cells'->'validations'->'init'->0->>'data')::jsonb->'average'->>'type' AS score
FROM exp, jsonb_array_elements(r->'data') i WHERE i->>'type' = 'application/pfa+json';
\pset format unaligned
\pset tuples_only on
\o test/results/woken_pfa_experiment.json
SELECT json_build_object('pfa', i->'data', 'rows',
         (SELECT json_agg(json_build_object('input', to_jsonb(s),
                 'expected', automl_predict_value((i->'data'->'metadata'->>'automl.model_id')::bigint, s)))
          FROM sample_data s))
FROM exp, jsonb_array_elements(r->'data') i
WHERE i->>'type' = 'application/pfa+json' AND i->'algorithmSpec'->>'code' = 'sgdLinearModel';
\o test/results/woken_pfa_experiment_knn.json
SELECT json_build_object('pfa', i->'data', 'rows',
         (SELECT json_agg(json_build_object('input', to_jsonb(s),
                 'expected', automl_predict_value((i->'data'->'metadata'->>'automl.model_id')::bigint, s)))
          FROM sample_data s))
FROM exp, jsonb_array_elements(r->'data') i
WHERE i->>'type' = 'application/pfa+json' AND i->'algorithmSpec'->>'code' = 'knn';
\o
\pset format aligned
\pset tuples_only off
\! python3 test/woken/pfa_eval.py test/results/woken_pfa_experiment.json; python3 test/woken/pfa_eval.py test/results/woken_pfa_experiment_knn.json
-- Woken's naive Bayes experiment (alzheimerbroadcategory ~ lefthippocampus): the pooled confusion
-- matrix is the sum of the folds'
CREATE TEMP TABLE nb AS SELECT automl_experiment('{"variables": [{"code": "alzheimerbroadcategory"}],
    "covariables": [{"code": "lefthippocampus"}], "targetTable": {"dbSchema": "science", "name": "cde_features_a"},
    "algorithms": [{"code": "naiveBayes"}],
    "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "3"}]}]}')->'data'->0->'validations'->0->'data' AS v;
SELECT v->'average'->>'type' AS type, v->'average'->'Confusion matrix'->'labels' AS labels,
       (SELECT sum(x::int) FROM jsonb_array_elements(v->'average'->'Confusion matrix'->'values') row,
                                jsonb_array_elements_text(row) x) AS n,
       round((v->'average'->>'Accuracy')::numeric, 3) BETWEEN 0.4 AND 0.9 AS accuracy_plausible
FROM nb;
SELECT count(*) AS rows FROM science.cde_features_a WHERE alzheimerbroadcategory IS NOT NULL AND lefthippocampus IS NOT NULL;
SELECT (SELECT array_agg(s ORDER BY i) FROM generate_series(0, 2) i,
        LATERAL (SELECT sum((v->'folds'->f->'Confusion matrix'->'values'->i->>j)::int) AS s
                 FROM generate_series(0, 2) j, jsonb_object_keys(v->'folds') f) x)
       = (SELECT array_agg(s ORDER BY i) FROM generate_series(0, 2) i,
          LATERAL (SELECT sum((v->'average'->'Confusion matrix'->'values'->i->>j)::int) AS s
                   FROM generate_series(0, 2) j) x) AS pooled_is_sum
FROM nb;
-- one job_result row per experiment; the final models belong to it, the fold models are gone
SELECT shape, function, error IS NULL AS ok, parameters->'algorithms' AS algorithms FROM woken.job_result ORDER BY timestamp;
SELECT count(*) AS models, count(DISTINCT job_id) AS jobs FROM automl.models;
-- an algorithm that fails is an item with its error, the others still run
SELECT i->'algorithmSpec'->>'code' AS code, i->>'type' AS type, i->>'error' AS error
FROM exp, jsonb_array_elements(r->'data') i WHERE i->>'error' IS NOT NULL;
-- bad experiments: the experiment's error, or its algorithms' (strict: the first, raised)
SELECT pg_temp.try(format('SELECT automl_experiment(%L, strict => true)', q)) AS strict,
       coalesce(r->>'error', (SELECT string_agg(i->>'error', '; ') FROM jsonb_array_elements(r->'data') i)) AS woken
FROM (VALUES
  ('{"variables": [{"code": "iq"}], "targetTable": {"name": "sample_data"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn"}], "validations": [{"code": "loo"}]}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "1"}]}]}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "two"}]}]}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "filters": {"field": "id", "operator": "less", "value": 3}, "algorithms": [{"code": "knn"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "5"}]}]}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithms": [{"code": "knn"}, {"code": "knn", "parameters": [{"code": "k", "value": "x"}]}]}')
) AS t(q), automl_experiment(q::jsonb) r;
RESET client_min_messages;

-------------------------------------------------------------------------------
-- nodes (src/federation/fed_mining.c): nodes => '{local}' runs the federated
-- path on this server's rows and equals the local query; codes without a
-- federated implementation and bad node lists are refused (QueryResult
-- error, or the SQLSTATE with strict)
-------------------------------------------------------------------------------
SET client_min_messages = warning;
SET automl.min_group_size = 1;
CREATE TEMP TABLE fedres AS
SELECT q, automl_mining(q, nodes => '{local}') f, automl_mining(q) l
FROM (VALUES
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}, {"code": "score_test1"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "linearRegression"}}'::jsonb),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "histograms"}}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "statisticsSummary"}}')
) AS t(q);
SELECT q->'algorithm'->>'code' AS code,
       (f->'data') = (l->'data') OR (q->'algorithm'->>'code' = 'statisticsSummary' AND
         (SELECT bool_and(fd - '{unique}'::text[] = ld - '{unique}'::text[])
          FROM jsonb_array_elements(f->'data'->'data') WITH ORDINALITY a(fd, i)
          JOIN jsonb_array_elements(l->'data'->'data') WITH ORDINALITY b(ld, j) ON i = j)) AS same_data,
       f->>'error' AS error, f->>'type' AS type,
       (SELECT parameters->'nodes' FROM woken.job_result WHERE job_id = f->>'jobId') AS job_nodes,
       (SELECT parameters->>'executionPlan' FROM woken.job_result WHERE job_id = f->>'jobId') AS plan
FROM fedres;
-- linearRegression's numbers over '{local}' within 1e-12 of the local fit
SELECT max(abs((f->'data'->t->>'coef')::float8 - (l->'data'->t->>'coef')::float8)) < 1e-12 AS coef_same
FROM automl_mining('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}, {"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "linearRegression"}}', nodes => '{local}') f,
     automl_mining('{"variables": [{"code": "cognitive_task2"}], "covariables": [{"code": "score_test1"}, {"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "linearRegression"}}') l,
     unnest('{intercept,score_test1,college_math}'::text[]) t;
CREATE TEMP TABLE badnodes (n serial, query jsonb, nodes text[]);
INSERT INTO badnodes (query, nodes) VALUES
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "knn"}}', '{local}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "tpot"}}', '{local}'),
  ('{"variables": [{"code": "iq"}], "grouping": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "histograms"}}', '{local}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "pca"}}', '{no_such_node}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "pca"}}', '{local,local}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "algorithm": {"code": "pca"}}', '{local,NULL}'),
  ('{"variables": [{"code": "iq"}], "covariables": [{"code": "college_math"}], "targetTable": {"name": "sample_data"}, "filters": {"field": "iq", "operator": "greater", "value": 1000}, "algorithm": {"code": "anova"}}', '{local}');
SELECT n, r->>'type' AS type, r->>'error' AS error FROM badnodes, automl_mining(query, nodes => nodes) r ORDER BY n;
SELECT n, pg_temp.try(format('SELECT automl_mining(%L, true, %L)', query, nodes)) AS strict FROM badnodes ORDER BY n;
RESET automl.min_group_size;
RESET client_min_messages;

-------------------------------------------------------------------------------
-- meta-db: a hierarchy kept whole per target table
-------------------------------------------------------------------------------
\set sample `cat test/data/sample_variables.json`
SELECT automl_import_variables(:'sample'::jsonb, 'SAMPLE_DATA', 'sample');
SELECT id, source, target_table, histogram_groupings, hierarchy = :'sample'::jsonb AS whole
FROM woken.meta_variables;
-- Woken's query, by target table whatever its case
SELECT source, hierarchy->>'code' AS root FROM woken.meta_variables WHERE upper(target_table) = upper('sample_data');
SELECT automl_import_variables(:'sample'::jsonb, 'SAMPLE_DATA', 'sample', 'dataset');
SELECT count(*), min(histogram_groupings) FROM woken.meta_variables;
SELECT pg_temp.try($$SELECT automl_import_variables('[1]'::jsonb, 't')$$) AS not_object;
SELECT pg_temp.try($$SELECT automl_import_variables('{}'::jsonb, NULL)$$) AS null_table;
SELECT pg_temp.try($$SELECT automl_import_variables('{}'::jsonb, '')$$) AS empty_table;

DROP TABLE public.sample_data;
TRUNCATE woken.meta_variables;
