--
-- explain_importance: the global importance automl_train stores with a model
-- (mean |SHAP| on the holdout rows, computed at training time) and what
-- automl_feature_importance reads or computes
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
\set ECHO none
\i test/data/load_benchmarks.sql
\set ECHO all
-- the rows automl_train holds out of wine with seed 7 (test/reference/aml_split.py)
CREATE TEMP TABLE ref_holdout_rows (run text PRIMARY KEY, rows int[]);
\copy ref_holdout_rows FROM 'test/reference/regress/holdout_rows.csv' WITH (FORMAT csv, HEADER true)
-- model and run ids in this file count from 1, whatever ran before
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;
-- a copy of wine to train on, in the same row order
CREATE TABLE imp_wine AS SELECT * FROM bench.wine ORDER BY ctid;
SELECT * FROM automl_train('imp_wine', 'target', time_budget => '5 minutes', cv_folds => 5,
                           max_evaluations => 10, seed => 7, name => 'imp_wine', test_size => 0.25) \gset t_
RESET client_min_messages;

-- stored with the model, in its metrics: the 45 holdout rows, every feature
SELECT metrics #>> '{importance,method}' AS method,
       metrics #> '{importance,explainer}' IS NOT NULL AS explainer_named,
       (metrics #>> '{importance,rows}')::int AS rows,
       (metrics #>> '{importance,holdout_rows}')::int AS holdout_rows,
       (SELECT holdout_rows FROM automl.runs WHERE id = :t_run_id) AS run_holdout_rows,
       jsonb_array_length(metrics #> '{importance,features}') AS features,
       (SELECT bool_and((f ->> 'importance')::float8 >= 0 AND (f ->> 'std')::float8 >= 0)
        FROM jsonb_array_elements(metrics #> '{importance,features}') f) AS non_negative
FROM automl.models WHERE id = :t_model_id;

-- read, not computed: without a relation, the stored numbers
SELECT count(*) AS features, min(source) AS source,
       bool_and(i.importance = (f ->> 'importance')::float8 AND i.std = (f ->> 'std')::float8) AS same_as_stored
FROM automl_feature_importance(:t_model_id) i
JOIN automl.models m ON m.id = :t_model_id
JOIN LATERAL jsonb_array_elements(m.metrics #> '{importance,features}') f ON f ->> 'feature' = i.feature;
SELECT feature FROM automl_feature_importance(:t_model_id) LIMIT 3;

-- equal (1e-9) to the importance computed on demand on the same rows, with
-- the same number of permutations for members explained by sampling
CREATE TEMP TABLE wine_holdout AS
SELECT (w.w).* FROM (SELECT row_number() OVER (ORDER BY ctid) - 1 AS row, w FROM imp_wine w) w
JOIN ref_holdout_rows h ON h.run = 'wine seed 7' AND w.row = ANY (h.rows) ORDER BY w.row;
SET automl.explain_samples = 64;
SELECT count(*) AS features, min(c.source) AS source,
       max(abs(c.importance - s.importance)) <= 1e-9 AS importance_equal,
       max(abs(c.std - s.std)) <= 1e-9 AS std_equal,
       max(c.importance) > 0 AS some_matter
FROM automl_feature_importance(:t_model_id, 'shap', 'wine_holdout') c
JOIN automl_feature_importance(:t_model_id) s USING (feature);
RESET automl.explain_samples;

-- no recomputation: with the training rows gone, the stored numbers are
-- still there, while computing needs rows
TRUNCATE imp_wine;
SELECT count(*) AS features, min(source) AS source FROM automl_feature_importance(:t_model_id);
SELECT * FROM automl_feature_importance(:t_model_id, 'permutation');
SELECT * FROM automl_feature_importance(:t_model_id, 'shap', 'imp_wine');
DROP TABLE imp_wine;
SELECT count(*) AS features, min(source) AS source FROM automl_feature_importance(:t_model_id);
SELECT * FROM automl_feature_importance(:t_model_id, 'permutation');

-- a model of automl_fit (no holdout) is computed when asked, on its training relation
SELECT automl_fit('bench.wine', 'target', 'decision_tree', '{"max_depth": 3}') AS fit_id \gset
SELECT count(*) AS features, min(source) AS source FROM automl_feature_importance(:fit_id);
-- test_size => 0: no holdout, the importance is stored on the training rows
SET client_min_messages = warning;
SELECT * FROM automl_train('bench.iris', 'name', time_budget => '1 minute', max_evaluations => 3,
                           seed => 1, test_size => 0, name => 'imp_iris') \gset n_
RESET client_min_messages;
SELECT metrics ? 'importance' AS stored, metrics #>> '{importance,training_rows}' AS training_rows,
       metrics -> 'importance' ? 'holdout_rows' AS has_holdout_rows
FROM automl.models WHERE id = :n_model_id;
SELECT count(*) AS features, min(source) AS source FROM automl_feature_importance(:n_model_id);
-- another owner sees neither
CREATE ROLE regress_importance_other;
SET ROLE regress_importance_other;
SELECT * FROM automl_feature_importance(:t_model_id);
RESET ROLE;
DROP ROLE regress_importance_other;
