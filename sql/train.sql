--
-- train: automl_train — the search's results, storage, determinism with
-- max_evaluations, zero-configuration on real tables, and every bad input
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
\set ECHO none
\i test/data/load_benchmarks.sql
\i test/data/load_mip.sql
\i test/regress_helpers.sql
\set ECHO all
-- scikit-learn 1.2's scores of the portfolio's deterministic pipelines in each
-- cross-validation fold of the runs below, and the rows each run holds out
-- (automl_train's seeded holdout and folds, reproduced by
-- test/reference/aml_split.py): written by test/reference/regress.py
CREATE TABLE ref_folds (run text, spec jsonb, fold_scores float8[], PRIMARY KEY (run, spec));
\copy ref_folds FROM 'test/reference/regress/folds.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE ref_holdout_rows (run text PRIMARY KEY, rows int[]);
\copy ref_holdout_rows FROM 'test/reference/regress/holdout_rows.csv' WITH (FORMAT csv, HEADER true)
RESET client_min_messages;
-- model and run ids in this file count from 1, whatever ran before
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;

-- a small reproducible search on wine (20 evaluations, seed 7): its scores
-- against scikit-learn, what is stored, and the leaderboard (5 folds given,
-- not chosen, so that the folds are scikit-learn's reference folds; the
-- model refitted on the training rows only, so that the holdout can be
-- recomputed from the stored model)
SET client_min_messages = warning;
SELECT * FROM automl_train('bench.wine', 'target', time_budget => '5 minutes', cv_folds => 5,
                           max_evaluations => 20, seed => 7, name => 'wine', refit => 'train', test_size => 0.25) \gset t1_
RESET client_min_messages;
SELECT :'t1_metric' AS metric, :t1_evaluated AS evaluated;
SELECT r.task, r.metric, r.status, r.evaluated, r.stop_reason, r.cv_folds, r.cv_repeats, r.train_rows,
       r.holdout_rows, r.refit, r.final_rows, r.leaked_columns, r.error,
       r.model_id = :t1_model_id AS model_linked, m.run_id = r.id AS run_linked, m.name, m.version, m.deployed
FROM automl.runs r JOIN automl.models m ON m.id = r.model_id WHERE r.id = :t1_run_id;
SELECT count(*) AS candidates, count(*) FILTER (WHERE status = 'ok') > 0 AS some_ok,
       count(*) FILTER (WHERE weight > 0) >= 1 AS in_model,
       bool_and(fold_scores IS NOT NULL OR status IN ('failed', 'skipped')) AS scores_recorded,
       bool_or(phase = 'portfolio') AND bool_or(phase = 'evolution') AS both_phases
FROM automl.pipelines WHERE run_id = :t1_run_id;
SELECT rank, metric FROM automl.leaderboard WHERE run_id = :t1_run_id ORDER BY rank LIMIT 3;
-- the leaderboard's scores are real: the portfolio's deterministic pipelines
-- score in every fold what scikit-learn scores with the same pipeline on the
-- same rows (balanced accuracy of the same labels: within 1e-12)
SELECT p.number, p.description, cardinality(p.fold_scores) AS folds,
       (SELECT max(abs(a - b)) FROM unnest(p.fold_scores, r.fold_scores) u(a, b)) <= 1e-12 AS every_fold_agrees
FROM automl.pipelines p JOIN ref_folds r ON r.run = 'wine seed 7' AND r.spec = p.spec
WHERE p.run_id = :t1_run_id ORDER BY p.number;
-- so the search's score is at least the best of them, less one standard error
-- of its best pipeline (an ensemble is kept within that of the best pipeline)
SELECT round(max(r.mean)::numeric, 4) AS sklearn_best_cv_score,
       :t1_cv_score >= max(r.mean) - (SELECT std_score / sqrt(5) FROM automl.pipelines
                                      WHERE run_id = :t1_run_id AND status = 'ok'
                                      ORDER BY mean_score DESC LIMIT 1) AS cv_score_at_least_that
FROM (SELECT (SELECT avg(x) FROM unnest(fold_scores) x) AS mean FROM ref_folds WHERE run = 'wine seed 7') r;
-- the holdout scores are what the stored model (refitted on the training
-- rows) scores on the 45 rows the run held out, recomputed here from
-- automl_predict and automl_predict_proba: balanced accuracy (within 1e-12)
-- and log loss (within 1e-9; it depends on every probability, so only
-- these rows give it); by name the model predicts the same
SELECT sum(rows) AS holdout_rows,
       abs(avg(recall) - :t1_holdout_score) <= 1e-12 AS holdout_score_recomputed,
       abs(sum(log_loss) / sum(rows) - (SELECT (metrics #>> '{holdout,log_loss}')::float8 FROM automl.models
                                        WHERE id = :t1_model_id)) <= 1e-9 AS holdout_log_loss_recomputed,
       sum(by_name_differs) AS by_name_differs
FROM (SELECT count(*) AS rows, avg((automl_predict(:t1_model_id, w.w) = (w.w).target::text)::int) AS recall,
             -sum(ln((automl_predict_proba(:t1_model_id, w.w) ->> (w.w).target::text)::float8)) AS log_loss,
             count(*) FILTER (WHERE automl_predict('wine', w.w) <> automl_predict(:t1_model_id, w.w)) AS by_name_differs
      FROM (SELECT row_number() OVER (ORDER BY ctid) - 1 AS row, w FROM bench.wine w) w
      JOIN ref_holdout_rows h ON h.run = 'wine seed 7' AND w.row = ANY (h.rows)
      GROUP BY (w.w).target) per_class;

-- the same data, seed and max_evaluations give the same pipelines and scores;
-- refitted on all rows (the default), the model has the same holdout score
-- (it is measured on the model fitted without those rows) and is fitted on
-- all 178 rows
SET client_min_messages = warning;
SELECT * FROM automl_train('bench.wine', 'target', time_budget => '5 minutes', cv_folds => 5,
                           max_evaluations => 20, seed => 7, test_size => 0.25) \gset t2_
RESET client_min_messages;
SELECT :t1_cv_score = :t2_cv_score AS same_cv_score, :'t1_pipeline' = :'t2_pipeline' AS same_pipeline,
       :t1_holdout_score = :t2_holdout_score AS same_holdout_score,
       (SELECT final_rows FROM automl.runs WHERE id = :t1_run_id) AS final_rows_train,
       (SELECT final_rows FROM automl.runs WHERE id = :t2_run_id) AS final_rows_all,
       (SELECT metrics -> 'final_rows' FROM automl.models WHERE id = :t2_model_id) AS model_final_rows;
-- the model fitted on all rows predicts its own training rows at least as
-- well as the one that never saw the holdout
SELECT sum((automl_predict(:t2_model_id, w) = w.target::text)::int) >=
       sum((automl_predict(:t1_model_id, w) = w.target::text)::int) AS all_rows_fit_at_least_as_well
FROM bench.wine w;
SELECT count(*) AS compared,
       count(*) FILTER (WHERE a.spec = b.spec AND a.status = b.status
                          AND a.fold_scores IS NOT DISTINCT FROM b.fold_scores) AS identical
FROM automl.pipelines a JOIN automl.pipelines b USING (number)
WHERE a.run_id = :t1_run_id AND b.run_id = :t2_run_id;

-- regression with the light space and another metric
SET client_min_messages = warning;
SELECT * FROM automl_train('bench.diabetes', 'target', metric => 'mae', search_space => 'light',
                           max_evaluations => 12, seed => 3, cv_folds => 5, refit => 'train', test_size => 0.25) \gset t3_
RESET client_min_messages;
SELECT :'t3_metric' AS metric,
       (SELECT bool_and(estimator IN ('linear_regression', 'ridge', 'lasso', 'elastic_net', 'knn', 'decision_tree'))
        FROM automl.pipelines WHERE run_id = :t3_run_id) AS only_light_models,
       (SELECT greater_is_better FROM automl.runs WHERE id = :t3_run_id) AS greater_is_better;
-- fold by fold the portfolio's linear models and kNN score scikit-learn's
-- mean absolute error on the same rows (within 1e-9 relative: closed forms,
-- and coordinate descent with the same updates and stopping rule)
SELECT p.number, p.description, cardinality(p.fold_scores) AS folds,
       (SELECT max(abs(a - b) / b) FROM unnest(p.fold_scores, r.fold_scores) u(a, b)) <= 1e-9 AS every_fold_agrees
FROM automl.pipelines p JOIN ref_folds r ON r.run = 'diabetes seed 3' AND r.spec = p.spec
WHERE p.run_id = :t3_run_id ORDER BY p.number;
-- lower is better: the search's error is at most the best of them plus one
-- standard error of its best pipeline; the holdout error is what the stored
-- model's predictions make on the 111 held-out rows (within 1e-9 relative)
SELECT round(min(r.mean)::numeric, 4) AS sklearn_best_cv_mae,
       :t3_cv_score <= min(r.mean) + (SELECT std_score / sqrt(5) FROM automl.pipelines
                                      WHERE run_id = :t3_run_id AND status = 'ok'
                                      ORDER BY mean_score LIMIT 1) AS cv_mae_at_most_that
FROM (SELECT (SELECT avg(x) FROM unnest(fold_scores) x) AS mean FROM ref_folds WHERE run = 'diabetes seed 3') r;
SELECT count(*) AS holdout_rows,
       abs(avg(abs(automl_predict_value(:t3_model_id, d.d) - (d.d).target)) - :t3_holdout_score)
       <= 1e-9 * :t3_holdout_score AS holdout_mae_recomputed
FROM (SELECT row_number() OVER (ORDER BY ctid) - 1 AS row, d FROM bench.diabetes d) d
JOIN ref_holdout_rows h ON h.run = 'diabetes seed 3' AND d.row = ANY (h.rows);

-- zero configuration on the MIP patients: identifiers, empty columns, NULLs,
-- text, constant columns are handled (NOTICEs), a custom search space; the
-- two columns that recode the diagnosis (edsdcategory: AD -> AD, CN -> CN,
-- Other -> MCI; neurodegenerativescategories) are left out as leaks, so the
-- scores are what brain volumes, age and MMSE give (about 0.7 balanced
-- accuracy over AD, MCI and CN, not 1.0)
SELECT model_id IS NOT NULL AS trained, metric, evaluated, run_id AS mip_run_id,
       cv_score BETWEEN 0.55 AND 0.9 AS cv_score_realistic, holdout_score BETWEEN 0.55 AND 0.9 AS holdout_realistic
FROM automl_train('science.cde_features_a', 'alzheimerbroadcategory',
                  time_budget => '5 minutes', max_evaluations => 6, seed => 1, test_size => 0.25,
                  search_space => '{"estimators": {"random_forest": {"n_estimators": [20, 50]},
                                                   "logistic_regression": {}},
                                    "preprocessing": {"simple_imputer": {}, "standard_scaler": {}}}') \gset
SELECT :'trained' AS trained, :'cv_score_realistic' AS cv_score_realistic, :'holdout_realistic' AS holdout_realistic;
SELECT l ->> 'column' AS leaked_column, l ->> 'action' AS action
FROM automl.runs, jsonb_array_elements(leaked_columns) l WHERE id = :mip_run_id ORDER BY 1;
-- with leakage => 'warn' they stay (a WARNING each), and the search reads them
SET client_min_messages = warning;
SELECT cv_score > 0.95 AS leaks_used FROM automl_train('science.cde_features_a', 'alzheimerbroadcategory',
    max_evaluations => 1, seed => 1, leakage => 'warn', search_space => 'light');
RESET client_min_messages;

-- the RBF kernel map (nystroem, scikit-learn's Nystroem) then a linear model
-- is a kernel machine: on two classes split by a circle, logistic regression
-- alone is at chance (0.5), with the map it separates them; the pipeline is
-- explained by sampling (the map is not affine) and not exported as PFA
-- (0A000, the step named)
CREATE TABLE circle AS
SELECT g, x1, x2, CASE WHEN x1 * x1 + x2 * x2 < 0.5 THEN 'in' ELSE 'out' END AS y
FROM (SELECT g, ((g * 7919) % 1000) / 500.0 - 1 AS x1, ((g * 104729) % 997) / 498.5 - 1 AS x2
      FROM generate_series(1, 400) g) s;
SET client_min_messages = warning;
SELECT model_id AS kernel_model, cv_score > 0.9 AS kernel_separates
FROM automl_train('circle', 'y', features => '{x1,x2}', max_evaluations => 6, seed => 3,
    search_space => '{"estimators": {"logistic_regression": {"C": [1, 10]}},
                      "preprocessing": {"standard_scaler": {}, "nystroem": {"n_components": [40, 80]}}}') \gset
RESET client_min_messages;
SELECT :'kernel_separates' AS kernel_separates, description LIKE '%RBF kernel map (Nystroem)%' AS uses_map
FROM automl.models WHERE id = :kernel_model;
SELECT max(fold_score) FILTER (WHERE description NOT LIKE '%Nystroem%') AS best_without_map
FROM automl.pipelines p, unnest(p.fold_scores) fold_score
WHERE p.run_id = (SELECT run_id FROM automl.models WHERE id = :kernel_model);
SELECT avg((automl_predict(:kernel_model, c) = y)::int) > 0.9 AS accurate FROM circle c;
SELECT count(*) AS explanation_rows, count(*) FILTER (WHERE feature = '(base)') AS base_rows
FROM (SELECT * FROM circle LIMIT 1) c, automl_explain(:kernel_model, c) e;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :kernel_model)) AS pfa_export;
DROP TABLE circle;

-- a time budget is what ends a search without max_evaluations (how close to
-- the budget it ends is timed by test/bench/search_bench.sh: a wall clock on
-- a shared test machine proves nothing)
SET client_min_messages = warning;
SELECT run_id AS t4_run_id FROM automl_train('bench.breast_cancer', 'target', time_budget => '3 seconds') \gset
RESET client_min_messages;
SELECT stop_reason, time_budget, evaluated > 0 AS evaluated_some FROM automl.runs WHERE id = :t4_run_id;

-- a search bound by time stops early once the best has not improved in the
-- last two thirds of at least 300 candidates (more would only add selection
-- noise): a separable table is solved by the first pipelines
CREATE TABLE separable AS SELECT g::float8 AS x, (g % 7)::float8 AS noise, CASE WHEN g > 30 THEN 'b' ELSE 'a' END AS y
FROM generate_series(1, 60) g;
SET client_min_messages = warning;
SELECT run_id AS conv_run_id FROM automl_train('separable', 'y', time_budget => '5 minutes', leakage => 'keep') \gset
RESET client_min_messages;
SELECT stop_reason LIKE 'converged: no better pipeline in % evaluations' AS converged,
       evaluated BETWEEN 300 AND 400 AS evaluated_300_to_400, cv_score, elapsed < interval '5 minutes' AS early
FROM automl.runs WHERE id = :conv_run_id;
DROP TABLE separable;

-- filter: automl_train reads only the rows that pass a query-builder filter
-- (the filter compiler of automl_summary), and the run records it; a job
-- (automl_submit) with the same filter trains on the same rows
SET client_min_messages = warning;
SELECT run_id AS f_all FROM automl_train('bench.wine', 'target', search_space => 'light', max_evaluations => 1) \gset
SELECT run_id AS f_some FROM automl_train('bench.wine', 'target', search_space => 'light', max_evaluations => 1,
    filter => '{"condition": "AND", "rules": [{"field": "alcohol", "operator": "less", "value": 13}]}') \gset
SELECT automl_submit('bench.wine', 'target', search_space => 'light', max_evaluations => 1,
    filter => '{"condition": "AND", "rules": [{"field": "alcohol", "operator": "less", "value": 13}]}') AS f_job \gset
SELECT automl_wait(:f_job, '300 s') AS f_job_state;
RESET client_min_messages;
SELECT CASE r.id WHEN :f_all THEN 'no filter' WHEN :f_some THEN 'filter' ELSE 'job with filter' END AS run,
       r.train_rows + r.holdout_rows AS rows_read, r.filter
FROM automl.runs r
WHERE r.id IN (:f_all, :f_some) OR r.id = (SELECT run_id FROM automl.jobs WHERE id = :f_job)
ORDER BY r.id;
SELECT count(*) AS wine_rows, count(*) FILTER (WHERE alcohol < 13) AS rows_alcohol_below_13 FROM bench.wine;

-- the decision threshold of two classes: threshold => 'auto' (the default)
-- chooses it on the calibrated out-of-fold predictions by the metric, a
-- number or 'none' (0.5) sets it; it is stored in the model's calibrator and
-- automl_predict decides by it.  The stored holdout metrics are those of
-- automl_predict's labels on the rows the run held out (seed 5, test_size
-- 0.25: the rows printed by test/reference/threshold_holdout.py)
SET client_min_messages = warning;
SELECT * FROM automl_train('bench.breast_cancer', 'target', search_space => 'light', max_evaluations => 3,
                           seed => 5, test_size => 0.25, cv_folds => 5, refit => 'train') \gset ta_
SELECT * FROM automl_train('bench.breast_cancer', 'target', search_space => 'light', max_evaluations => 3,
                           seed => 5, test_size => 0.25, cv_folds => 5, refit => 'train', threshold => '0.3') \gset tf_
SELECT * FROM automl_train('bench.breast_cancer', 'target', search_space => 'light', max_evaluations => 3,
                           seed => 5, test_size => 0.25, cv_folds => 5, refit => 'train', threshold => 'none') \gset tn_
RESET client_min_messages;
CREATE TEMP TABLE threshold_runs AS
SELECT * FROM (VALUES ('auto', :ta_model_id, :ta_holdout_score), ('0.3', :tf_model_id, :tf_holdout_score),
                      ('none', :tn_model_id, :tn_holdout_score)) v(threshold, model_id, holdout_score);
SELECT t.threshold,
       round((m.pipeline #>> '{calibration,threshold}')::numeric, 4) AS calibrator_threshold,
       m.pipeline #>> '{calibration,method}' AS calibration,
       (m.metrics -> 'threshold') IS NOT DISTINCT FROM (m.pipeline #> '{calibration,threshold}') AS in_metrics
FROM threshold_runs t JOIN automl.models m ON m.id = t.model_id ORDER BY 1;
-- automl_predict decides by it: class 1 exactly when its probability is above the threshold
SELECT bool_and((automl_predict(:tf_model_id, b) = '1') = ((automl_predict_proba(:tf_model_id, b) ->> '1')::float8 > 0.3))
       AS predict_uses_0_3,
       count(*) FILTER (WHERE (automl_predict_proba(:tf_model_id, b) ->> '1')::float8 > 0.3
                          AND (automl_predict_proba(:tf_model_id, b) ->> '1')::float8 <= 0.5) > 0 AS some_labels_not_argmax
FROM bench.breast_cancer b;
-- and so does automl_evaluate: its accuracy and confusion matrix are automl_predict's
SELECT t.threshold,
       abs((automl_evaluate(t.model_id, 'bench.breast_cancer') ->> 'accuracy')::float8
           - (SELECT avg((automl_predict(t.model_id, b) = b.target::text)::int) FROM bench.breast_cancer b)) < 1e-12
       AS evaluate_accuracy_is_predicts,
       automl_evaluate(t.model_id, 'bench.breast_cancer') #> '{confusion_matrix,matrix}' =
       (SELECT jsonb_agg(jsonb_build_array(as_0, as_1) ORDER BY target)
        FROM (SELECT target, count(*) FILTER (WHERE automl_predict(t.model_id, b) = '0') AS as_0,
                     count(*) FILTER (WHERE automl_predict(t.model_id, b) = '1') AS as_1
              FROM bench.breast_cancer b GROUP BY target) c) AS evaluate_confusion_is_predicts
FROM threshold_runs t ORDER BY 1;
-- the holdout's balanced accuracy (the run's holdout score), accuracy and
-- confusion matrix are those of automl_predict (within 1e-12)
WITH held AS (
    SELECT t.threshold, (b.b).target AS truth, automl_predict(t.model_id, b.b) AS predicted
    FROM (SELECT row_number() OVER (ORDER BY ctid) - 1 AS row, b FROM bench.breast_cancer b) b
    CROSS JOIN threshold_runs t
    WHERE b.row = ANY ('{0,12,14,16,19,20,21,29,32,34,40,43,47,55,56,65,66,83,92,94,96,101,106,109,121,122,129,131,134,137,153,166,174,180,190,191,197,208,210,216,219,221,222,234,236,237,249,253,256,257,259,260,278,282,283,284,288,289,290,292,293,295,298,300,301,303,306,307,308,309,312,314,315,316,317,320,322,323,325,329,340,343,344,347,352,357,358,359,366,367,372,375,376,378,386,391,401,402,412,417,419,424,427,430,432,435,439,440,453,456,459,461,462,468,475,479,480,484,489,491,495,502,505,509,510,511,516,518,527,529,530,535,537,539,540,543,545,548,553,556,557,558,563}'::int[])),
per_class AS (
    SELECT threshold, truth, count(*) AS n, count(*) FILTER (WHERE predicted = truth::text) AS correct,
           count(*) FILTER (WHERE predicted = '0') AS as_0, count(*) FILTER (WHERE predicted = '1') AS as_1
    FROM held GROUP BY threshold, truth)
SELECT p.threshold, sum(p.n) AS holdout_rows,
       abs(avg(p.correct::float8 / p.n) - t.holdout_score) <= 1e-12 AS holdout_score_is_predicts,
       abs(sum(p.correct)::float8 / sum(p.n) - (m.metrics #>> '{holdout,accuracy}')::float8) <= 1e-12 AS accuracy_is_predicts,
       jsonb_agg(jsonb_build_array(p.as_0, p.as_1) ORDER BY p.truth) = m.metrics #> '{holdout,confusion_matrix}'
       AS confusion_matrix_is_predicts
FROM per_class p JOIN threshold_runs t USING (threshold) JOIN automl.models m ON m.id = t.model_id
GROUP BY p.threshold, t.holdout_score, m.metrics ORDER BY 1;

-- the final model decides as the model scored on the holdout: refitted on
-- every row, a Gaussian naive Bayes meets three outliers of z the holdout
-- held (rows 40, 100 and 140, "pos" rows of seed 42's holdout: printed by
-- test/reference/threshold_holdout.py --shift); its variance of z for "pos"
-- grows 10^4-fold, and at the threshold chosen on the search's folds it
-- would decide 0.3 % of the training rows "pos" instead of 23 %.  Its
-- threshold is moved to decide those rows in the holdout model's proportion
-- (NOTICE).  The rows without the outliers: balanced accuracy 0.84 (0.50
-- before), 22 % decided "pos".
CREATE TABLE nb_shift AS
SELECT i,
       ((i::int8 * 7919) % 1000 + (i::int8 * 104729) % 1000 + (i::int8 * 1299709) % 1000) / 1000.0 - 1.5
         + CASE WHEN i % 20 = 0 THEN 1.0 ELSE 0 END AS x,
       CASE WHEN i IN (40, 100, 140) THEN 1000
            ELSE ((i::int8 * 15485863) % 1000 + (i::int8 * 32452843) % 1000) / 1000.0 - 1 END AS z,
       CASE WHEN i % 20 = 0 THEN 'pos' ELSE 'neg' END AS y
FROM generate_series(1, 2000) i ORDER BY i;
SET client_min_messages = warning;
SELECT model_id AS nb_shift_model FROM automl_train('nb_shift', 'y', features => '{x,z}',
    search_space => '{"estimators": {"gaussian_nb": {}}}', max_evaluations => 2, test_size => 0.25, cv_folds => 5) \gset
RESET client_min_messages;
SELECT ((avg((automl_predict(:nb_shift_model, t) = 'pos')::int) FILTER (WHERE y = 'pos') +
         avg((automl_predict(:nb_shift_model, t) = 'neg')::int) FILTER (WHERE y = 'neg')) / 2) > 0.75 AS balanced_accuracy_above_075,
       avg((automl_predict(:nb_shift_model, t) = 'pos')::int) BETWEEN 0.1 AND 0.4 AS pos_share_10_to_40_percent
FROM nb_shift t WHERE z < 100;
SELECT (metrics -> 'threshold') = (pipeline #> '{calibration,threshold}') AS stored_threshold_is_served,
       (pipeline #>> '{calibration,threshold}')::float8 < 0.01 AS threshold_moved_down
FROM automl.models WHERE id = :nb_shift_model;
DROP TABLE nb_shift;

-- more than two classes: threshold => 'auto' also chooses class weights
-- prior^-alpha (alpha in 0, 1/4 .. 1) by the metric on the calibrated
-- out-of-fold predictions; automl_predict decides the class of the largest
-- weighted probability, automl_evaluate and the holdout metrics with it;
-- threshold => 'none' keeps the plain argmax.  1 200 rows, classes of 80 %,
-- 15 % and 5 %, overlapping
CREATE TABLE cw_rare AS
SELECT i,
       ((i::int8 * 7919) % 1000 + (i::int8 * 104729) % 1000 + (i::int8 * 1299709) % 1000) / 1000.0 - 1.5
         + CASE WHEN i % 20 = 0 THEN 1.2 WHEN i % 20 IN (1, 2, 3) THEN 0.6 ELSE 0 END AS x1,
       ((i::int8 * 15485863) % 1000 + (i::int8 * 32452843) % 1000) / 1000.0 - 1
         + CASE WHEN i % 20 = 0 THEN 0.6 ELSE 0 END AS x2,
       CASE WHEN i % 20 = 0 THEN 'c' WHEN i % 20 IN (1, 2, 3) THEN 'b' ELSE 'a' END AS y
FROM generate_series(1, 1200) i ORDER BY i;
SET client_min_messages = warning;
SELECT model_id AS cw_model FROM automl_train('cw_rare', 'y', search_space => 'light', max_evaluations => 3,
                                              cv_folds => 5, test_size => 0.25) \gset
SELECT model_id AS cw_none FROM automl_train('cw_rare', 'y', search_space => 'light', max_evaluations => 3,
                                             cv_folds => 5, test_size => 0.25, threshold => 'none') \gset
RESET client_min_messages;
SELECT m.id = :cw_model AS auto, jsonb_array_length(m.metrics -> 'class_weights') AS class_weights,
       (m.metrics -> 'class_weights') IS NOT DISTINCT FROM (m.pipeline #> '{calibration,class_weights}') AS in_pipeline
FROM automl.models m WHERE m.id IN (:cw_model, :cw_none) ORDER BY 1 DESC;
WITH p AS (
    SELECT t.y, automl_predict(:cw_model, t) AS label, automl_predict_proba(:cw_model, t) AS proba,
           (SELECT pipeline #> '{calibration,class_weights}' FROM automl.models WHERE id = :cw_model) AS w
    FROM cw_rare t),
w AS (
    SELECT y, label, proba,
           (SELECT k FROM jsonb_each_text(proba) e(k, v)
            ORDER BY v::float8 * (w ->> (ascii(k) - ascii('a')))::float8 DESC, k LIMIT 1) AS weighted_argmax,
           (SELECT k FROM jsonb_each_text(proba) e(k, v) ORDER BY v::float8 DESC, k LIMIT 1) AS argmax
    FROM p)
SELECT bool_and(label = weighted_argmax) AS predict_is_weighted_argmax,
       count(*) FILTER (WHERE label <> argmax) > 0 AS some_labels_not_argmax,
       abs((automl_evaluate(:cw_model, 'cw_rare') ->> 'accuracy')::float8 - avg((label = y)::int)) < 1e-12
       AS evaluate_accuracy_is_predicts,
       abs((automl_evaluate(:cw_model, 'cw_rare') ->> 'balanced_accuracy')::float8 -
           (SELECT avg(r) FROM (SELECT avg((label = y)::int) AS r FROM w GROUP BY y) c)) < 1e-12
       AS evaluate_balanced_accuracy_is_predicts
FROM w;
DROP TABLE cw_rare;

-- bad input: each statement and the error it gets
CREATE TABLE tiny AS SELECT 1.0::float8 AS x, 'a'::text AS y;
CREATE TABLE few_rows AS SELECT g::float8 AS x, g * 2.0 AS y FROM generate_series(1, 8) g;
CREATE TABLE rare_classes AS
SELECT (g * 37 % 41)::float8 AS x, CASE WHEN g <= 4 THEN 'rare' ELSE 'common' END AS y FROM generate_series(1, 40) g;
-- classes of 1, 2 and 7 rows among 120 (x1 tells c and d apart, noisily)
CREATE TABLE rare_127 AS
SELECT (g * 37 % 101)::float8 + CASE WHEN g <= 10 THEN 30 ELSE 0 END AS x1, sin(g) AS x2,
       CASE WHEN g = 1 THEN 'a' WHEN g <= 3 THEN 'b' WHEN g <= 10 THEN 'c' ELSE 'd' END AS y
FROM generate_series(1, 120) g;
-- 120 rows in 40 classes of 3 rows: too rare for a holdout
CREATE TABLE many_rare AS
SELECT (g * 37 % 101)::float8 AS x1, sin(g) AS x2, 'c' || (g % 40) AS y FROM generate_series(1, 120) g;
-- 120 rows in 60 classes of 2 rows: 2-fold cross-validation (refused before)
CREATE TABLE pairs AS
SELECT (g * 37 % 101)::float8 AS x1, sin(g) AS x2, 'p' || (g % 60) AS y FROM generate_series(1, 120) g;
CREATE TABLE copy_only AS SELECT g::float8 AS x, 2.0 * g + 1 AS y FROM generate_series(1, 30) g;
CREATE TABLE ten_rows AS
SELECT (g * 7 % 10)::float8 AS x1, cos(g) AS x2, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END AS y
FROM generate_series(1, 10) g;
\pset format unaligned
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$SELECT automl_train('bench.wine', 'target', time_budget => '0 seconds')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', time_budget => '-1 minute')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', time_budget => '1 year')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', cv_folds => 1)$q$),
  ($q$SELECT automl_train('bench.wine', 'target', cv_folds => 50)$q$),
  ($q$SELECT automl_train('bench.wine', 'target', test_size => -0.1)$q$),
  ($q$SELECT automl_train('bench.wine', 'target', test_size => 1)$q$),
  ($q$SELECT automl_train('bench.wine', 'target', test_size => 'NaN')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', max_evaluations => 0)$q$),
  ($q$SELECT automl_train('bench.wine', 'target', metric => 'r2')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', metric => 'happiness')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', search_space => 'huge')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', search_space => '{"estimators": {"ridge": {}}}')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', search_space => '{"estimators": {}}')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', search_space => '{"estimators": {"knn": {"k": [1, 3]}}}')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', search_space => '{"estimators": ')$q$),
  ($q$SELECT automl_train('bench.wine', 'quality')$q$),
  ($q$SELECT automl_train('bench.wine', NULL)$q$),
  ($q$SELECT automl_train('tiny', 'y')$q$),
  ($q$SELECT automl_train('few_rows', 'y', max_evaluations => 3) IS NOT NULL$q$),
  ($q$SELECT automl_train('few_rows', 'y', cv_folds => 5)$q$),
  ($q$SELECT automl_train('rare_classes', 'y', max_evaluations => 2) IS NOT NULL$q$),
  ($q$SELECT automl_train('rare_classes', 'y', cv_folds => 2, test_size => 0.25, max_evaluations => 2) IS NOT NULL$q$),
  ($q$SELECT automl_train('bench.wine', 'target', cv_folds => 20, max_evaluations => 2) IS NOT NULL$q$),
  ($q$SELECT automl_train('rare_127', 'y', max_evaluations => 3) IS NOT NULL$q$),
  ($q$SELECT automl_train('rare_127', 'y', cv_folds => 2, max_evaluations => 3) IS NOT NULL$q$),
  ($q$SELECT automl_train('ten_rows', 'y', cv_folds => 20)$q$),
  ($q$SELECT automl_train('rare_127', 'y', test_size => 0.99)$q$),
  ($q$SELECT automl_train('ten_rows', 'y', max_evaluations => 3) IS NOT NULL$q$),
  ($q$SELECT automl_train('many_rare', 'y', max_evaluations => 1, search_space => 'light') IS NOT NULL$q$),
  ($q$SELECT automl_train('pairs', 'y', max_evaluations => 1, search_space => 'light') IS NOT NULL$q$),
  ($q$SELECT automl_train('bench.wine', 'target', test_size => 0, max_evaluations => 2) IS NOT NULL$q$),
  ($q$SELECT automl_train('bench.wine', 'target', refit => 'nonsense')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', leakage => 'maybe')$q$),
  ($q$SELECT automl_train('copy_only', 'y')$q$),
  ($q$SELECT automl_train('copy_only', 'y', leakage => 'keep', max_evaluations => 1) IS NOT NULL$q$),
  ($q$SELECT automl_train('bench.wine', 'target', filter => '{"field": "nope", "operator": "equal", "value": 1}')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', filter => '{"field": "alcohol", "operator": "resembles", "value": 1}')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', filter => '{"field": "alcohol", "operator": "greater", "value": 99}')$q$),
  ($q$SELECT automl_submit('bench.wine', 'target', filter => '{"field": "nope", "operator": "equal", "value": 1}')$q$),
  ($q$SELECT automl_train('bench.breast_cancer', 'target', threshold => 'sometimes')$q$),
  ($q$SELECT automl_train('bench.breast_cancer', 'target', threshold => '1')$q$),
  ($q$SELECT automl_train('bench.breast_cancer', 'target', threshold => '0')$q$),
  ($q$SELECT automl_train('bench.breast_cancer', 'target', threshold => 'NaN')$q$),
  ($q$SELECT automl_train('bench.breast_cancer', 'target', threshold => '0.3x')$q$),
  ($q$SELECT automl_train('bench.wine', 'target', threshold => '0.3')$q$),
  ($q$SELECT automl_train('bench.diabetes', 'target', threshold => '0.3')$q$)
) AS bad(statement);
\pset format aligned

-- the memory budget (automl.max_memory): automl_train refuses up front when
-- the table's statistics show that the data cannot fit, and stops with
-- SQLSTATE 53200 when the search runs out of it (here every candidate is
-- skipped as too big for 1 MB, until the search's own list of candidates
-- outgrows it); either way no model and no candidate is stored and no
-- automl memory is left.  The refusal up front comes before the run starts:
-- no run; the search's error comes after: its run is recorded as failed,
-- with the error and its SQLSTATE (by a background worker, in a transaction
-- of its own: the caller's rolls back)
CREATE TABLE big_train AS SELECT g::float8 AS x, g % 3 AS y FROM generate_series(1, 200000) g;
ANALYZE big_train;
SELECT (SELECT count(*) FROM automl.runs) AS runs_before, (SELECT count(*) FROM automl.models) AS models_before,
       (SELECT count(*) FROM pg_backend_memory_contexts WHERE name LIKE 'automl%') AS contexts_before \gset
SET automl.max_memory = '1MB';
SET client_min_messages = warning;
\pset format unaligned
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$SELECT automl_train('big_train', 'y', max_evaluations => 3)$q$),
  ($q$SELECT automl_train('bench.breast_cancer', 'target', max_evaluations => 3)$q$)
) AS bad(statement);
\pset format aligned
RESET client_min_messages;
SELECT (SELECT count(*) FROM automl.runs) - :runs_before AS runs_stored,
       (SELECT count(*) FROM automl.models) - :models_before AS models_stored,
       (SELECT count(*) FROM pg_backend_memory_contexts WHERE name LIKE 'automl%') - :contexts_before
       AS automl_contexts_left;
SELECT relation, status, sqlstate, error, model_id IS NULL AS no_model, finished_at >= started_at AS ended,
       (SELECT count(*) FROM automl.pipelines p WHERE p.run_id = r.id) AS candidates
FROM automl.runs r WHERE status <> 'succeeded' ORDER BY id;
RESET automl.max_memory;
-- a table large for its time budget: the search validates on a sample of
-- the training rows (here 5 250 of 9 000: 3 500 cells of two columns per second), the model scored on the holdout
-- has at least those rows, the final model as many of the 12 000 as the
-- budget allows; how many depends on the machine's pace, not the sample
CREATE TABLE sampled AS
  SELECT a, b, CASE WHEN a + b > 1 THEN 'high' ELSE 'low' END AS y
  FROM (SELECT ((g * 37) % 1000)::float8 / 1000 AS a, ((g * 7919) % 1009)::float8 / 1009 AS b
        FROM generate_series(1, 12000) g) t;
SET client_min_messages = warning;
SELECT model_id AS sampled_model FROM automl_train('sampled', 'y', time_budget => '3 seconds') \gset
RESET client_min_messages;
SELECT metrics->>'search_rows' AS search_rows,
       (metrics->>'holdout_fit_rows')::int BETWEEN 5000 AND 9000 AS holdout_model_rows_in_range,
       (metrics->>'final_rows')::int BETWEEN (metrics->>'holdout_fit_rows')::int AND 12000 AS final_rows_in_range,
       (metrics#>>'{holdout,rows}')::int AS holdout_rows
FROM automl.models WHERE id = :sampled_model;
SELECT avg((automl_predict(:sampled_model, s) = s.y)::int) > 0.9 AS predicts_well FROM sampled s;
-- a search bound by max_evaluations is not sampled for time
SET client_min_messages = warning;
SELECT model_id AS unsampled_model FROM automl_train('sampled', 'y', max_evaluations => 2) \gset
RESET client_min_messages;
SELECT metrics->>'search_rows' AS search_rows FROM automl.models WHERE id = :unsampled_model;
DROP TABLE sampled;
-- but any search is sampled for memory: when the folds of all its rows
-- would take more than a quarter of what automl.max_memory leaves, it
-- validates on a sample of rows whose folds do (here 20 columns, 15 000
-- training rows, 16 MB: about 3 200 rows), where it ended with SQLSTATE
-- 53200 "the cross-validation folds do not fit in the memory budget"; the
-- models after it are fitted on as many rows as fit
CREATE TABLE memory_rows AS
  SELECT ((g * 3) % 1000)::float8 AS x3, ((g * 7) % 1000)::float8 AS x7, ((g * 11) % 1000)::float8 AS x11, ((g * 13) % 1000)::float8 AS x13,
         ((g * 17) % 1000)::float8 AS x17, ((g * 19) % 1000)::float8 AS x19, ((g * 23) % 1000)::float8 AS x23, ((g * 29) % 1000)::float8 AS x29,
         ((g * 31) % 1000)::float8 AS x31, ((g * 37) % 1000)::float8 AS x37, ((g * 41) % 1000)::float8 AS x41, ((g * 43) % 1000)::float8 AS x43,
         ((g * 47) % 1000)::float8 AS x47, ((g * 53) % 1000)::float8 AS x53, ((g * 59) % 1000)::float8 AS x59, ((g * 61) % 1000)::float8 AS x61,
         ((g * 67) % 1000)::float8 AS x67, ((g * 71) % 1000)::float8 AS x71, ((g * 73) % 1000)::float8 AS x73, ((g * 79) % 1000)::float8 AS x79,
         CASE WHEN (g * 3) % 1000 + (g * 7) % 1000 > 1000 THEN 'high' ELSE 'low' END AS y
  FROM generate_series(1, 20000) g;
SET automl.max_parallel_workers = 1;
SET automl.max_memory = '16MB';
SET client_min_messages = warning;
SELECT model_id AS memory_rows_model FROM automl_train('memory_rows', 'y', max_evaluations => 2) \gset
RESET client_min_messages;
RESET automl.max_memory;
RESET automl.max_parallel_workers;
SELECT r.status, (m.metrics->>'search_rows')::int BETWEEN 1000 AND 7499 AS search_on_a_sample,
       (m.metrics->>'final_rows')::int >= (m.metrics->>'search_rows')::int AS final_rows_at_least_those,
       (m.metrics#>>'{holdout,rows}')::int AS holdout_rows
FROM automl.runs r JOIN automl.models m ON m.id = r.model_id WHERE m.id = :memory_rows_model;
SELECT avg((automl_predict(:memory_rows_model, t) = t.y)::int) > 0.9 AS predicts_well FROM memory_rows t;
DROP TABLE memory_rows;
-- the memory budget at the fits after the search: when fitting the winner
-- on every row would need more than automl.max_memory leaves (the search's
-- estimates: here a 2-fold search on a quarter of the rows, one-hot encoded
-- into about 500 columns), the holdout's model and the final model are
-- fitted on as many rows as fit, with a NOTICE each, where this ended with
-- SQLSTATE 53200 (the search had succeeded)
CREATE TABLE wide_codes AS
  SELECT ((g * 7) % 50)::text AS c1, ((g * 11) % 50)::text AS c2, ((g * 13) % 50)::text AS c3,
         ((g * 17) % 50)::text AS c4, ((g * 19) % 50)::text AS c5, ((g * 23) % 50)::text AS c6,
         ((g * 29) % 50)::text AS c7, ((g * 31) % 50)::text AS c8, ((g * 37) % 50)::text AS c9,
         ((g * 41) % 50)::text AS c10, ((g * 43) % 1000)::float8 AS x,
         CASE WHEN (g * 43) % 1000 > 500 THEN 'high' ELSE 'low' END AS y
  FROM generate_series(1, 3000) g;
SET automl.max_parallel_workers = 1;  -- the memory of one process, whatever the machine's CPUs
SET automl.max_memory = '22MB';
SET client_min_messages = warning;
SELECT model_id AS memory_model FROM automl_train('wide_codes', 'y', max_evaluations => 1, leakage => 'keep',
                                                  cv_folds => 2, test_size => 0.5) \gset
RESET client_min_messages;
RESET automl.max_memory;
SELECT r.status, r.final_rows BETWEEN 750 AND 2999 AS final_model_on_fewer_rows,
       (m.metrics->>'holdout_fit_rows')::int BETWEEN 750 AND 1499 AS holdout_model_on_fewer_rows,
       (m.metrics#>>'{holdout,rows}')::int AS holdout_rows
FROM automl.runs r JOIN automl.models m ON m.id = r.model_id WHERE m.id = :memory_model;
SELECT avg((automl_predict(:memory_model, w) = w.y)::int) > 0.9 AS predicts_well FROM wide_codes w;
-- when every candidate of the search runs out of the memory budget (here
-- the one candidate, one-hot encoded, in two helper processes that have a
-- third of 40 MB each), the rescue runs: naive Bayes on ordinal codes, in
-- this process, one evaluation past max_evaluations, with a NOTICE (it was
-- SQLSTATE 53200, "every candidate pipeline ran out of the memory budget":
-- a search bound by max_evaluations had no rescue)
SET automl.max_parallel_workers = 2;
SET automl.max_memory = '40MB';
\set VERBOSITY terse
SELECT model_id AS rescued_model FROM automl_train('wide_codes', 'y', max_evaluations => 1, leakage => 'keep') \gset
\set VERBOSITY default
SELECT r.status, r.evaluated,
       array_agg(p.phase || ' ' || p.estimator || ': ' || p.status || coalesce(', weight ' || p.weight, '') ORDER BY p.number) AS candidates
FROM automl.runs r JOIN automl.models m ON m.id = r.model_id JOIN automl.pipelines p ON p.run_id = r.id
WHERE m.id = :rescued_model GROUP BY r.status, r.evaluated;
SELECT avg((automl_predict(:rescued_model, w) = w.y)::int) > 0.6 AS predicts FROM wide_codes w;
-- with no rescue in the search space (the user's own, without naive Bayes),
-- the error says so, with SQLSTATE 53200 and the setting to raise (it was
-- 22000, "every candidate pipeline failed", with a hint to check the data)
SET client_min_messages = warning;
\pset format unaligned
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$SELECT automl_train('wide_codes', 'y', max_evaluations => 1, leakage => 'keep', search_space => '{"estimators": {"logistic_regression": {}}, "preprocessing": {"standard_scaler": {}}, "encodings": ["onehot"]}')$q$)
) AS bad(statement);
\pset format aligned
RESET client_min_messages;
-- what the estimator needs besides is not planned (a forest's estimate runs
-- several times high with many classes): a fit that runs out of the memory
-- budget is tried again on half its rows, down to a split's rows of the
-- search (here a forest of 60 classes in 4 MB, in one process: the
-- holdout's model on 1 500 rows fits, the final one on 3 000 does not)
CREATE TABLE forest_classes AS
  SELECT ((g * 37) % 1000)::float8 AS a, ((g * 7919) % 1009)::float8 AS b, 'k' || (g % 60) AS y
  FROM generate_series(1, 3000) g;
SET automl.max_parallel_workers = 1;
SET automl.max_memory = '4MB';
\set VERBOSITY terse
SELECT model_id AS forest_model FROM automl_train('forest_classes', 'y', max_evaluations => 1, cv_folds => 2,
  test_size => 0.5, search_space => '{"estimators": {"random_forest": {}}}') \gset
\set VERBOSITY default
RESET automl.max_memory;
SELECT r.status, r.final_rows, (m.metrics->>'holdout_fit_rows')::int AS holdout_fit_rows
FROM automl.runs r JOIN automl.models m ON m.id = r.model_id WHERE m.id = :forest_model;
RESET automl.max_parallel_workers;
DROP TABLE wide_codes, forest_classes;

-- task 'auto' on a numeric target of two whole numbers (0/1 labels stored as
-- float8 or numeric, as a CSV's "1.0" loads): classification, with a NOTICE
-- (it was regression: automl_predict returned 0.507 for a 0/1 label); three
-- whole numbers and other numbers stay regression; automl_fit follows its
-- algorithm when it does one task only (ridge: regression, as before)
CREATE TABLE float_labels AS
  SELECT g::float8 AS x, l::float8 AS y01, (l + 1)::numeric(3,1) AS y12, (g % 3)::float8 AS y3, l + 0.5 AS yhalf
  FROM generate_series(1, 200) g, LATERAL (SELECT (g % 10 < 3 OR g > 120)::int AS l) l;
\set VERBOSITY terse
SELECT model_id AS y01_model FROM automl_train('float_labels', 'y01', features => '{x}', max_evaluations => 1) \gset
\set VERBOSITY default
SET client_min_messages = warning;
SELECT automl_fit('float_labels', 'y01', 'logistic_regression', features => '{x}') AS logistic_model \gset
SELECT model_id AS y12_model FROM automl_train('float_labels', 'y12', features => '{x}', max_evaluations => 2) \gset
SELECT model_id AS y3_model FROM automl_train('float_labels', 'y3', features => '{x}', max_evaluations => 2) \gset
SELECT model_id AS yhalf_model FROM automl_train('float_labels', 'yhalf', features => '{x}', max_evaluations => 2) \gset
SELECT automl_fit('float_labels', 'y01', 'ridge', features => '{x}') AS ridge_model \gset
RESET client_min_messages;
SELECT m.target, m.task FROM automl.models m
WHERE m.id IN (:y01_model, :logistic_model, :y12_model, :y3_model, :yhalf_model, :ridge_model) ORDER BY m.id;
SELECT array_agg(DISTINCT automl_predict(:y01_model, f)) AS y01_labels,
       array_agg(DISTINCT automl_predict(:y12_model, f)) AS y12_labels
FROM float_labels f;
DROP TABLE float_labels;

DROP TABLE threshold_runs, tiny, few_rows, rare_classes, rare_127, ten_rows, many_rare, pairs, copy_only, big_train, ref_folds, ref_holdout_rows;
