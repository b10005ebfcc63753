--
-- explain_evaluate: automl_evaluate — the report's numbers agree with the
-- same quantities computed in SQL from automl_predict*, its shape, unseen
-- labels, and bad input.  (The curves are checked against scikit-learn in
-- the unit test test/unit/test_evaluate.c.)
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
\set ECHO none
\i test/data/load_benchmarks.sql
\set ECHO all
RESET client_min_messages;
-- model ids in this file count from 1, whatever ran before
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;

-- binary: pima with logistic regression
SELECT automl_fit('bench.pima', 'diabetes', 'logistic_regression') AS pima \gset
SELECT automl_evaluate(:pima, 'bench.pima') AS report \gset
SELECT key FROM jsonb_each(:'report') ORDER BY key;
SELECT (:'report'::jsonb ->> 'rows')::int AS rows,
       :'report'::jsonb -> 'labels' AS labels,
       :'report'::jsonb -> 'confusion_matrix' AS confusion_matrix,
       jsonb_object_keys(:'report'::jsonb -> 'roc_curve') AS curve_of;
-- accuracy and Brier score as SQL computes them from the predictions
SELECT abs((:'report'::jsonb ->> 'accuracy')::float8 - avg((automl_predict(:pima, p) = diabetes)::int)) < 1e-12 AS accuracy_agrees,
       abs((:'report'::jsonb ->> 'brier')::float8
           - avg(((automl_predict_proba(:pima, p) ->> 'pos')::float8 - (diabetes = 'pos')::int) ^ 2)) < 1e-12 AS brier_agrees,
       abs((:'report'::jsonb -> 'per_class' -> 'pos' ->> 'support')::int - count(*) FILTER (WHERE diabetes = 'pos')) = 0 AS support_agrees
FROM bench.pima p;
-- the ROC curve runs from (0, 0) to (1, 1); its AUC is the report's roc_auc
SELECT r -> 'fpr' -> 0 AS fpr0, r -> 'tpr' -> 0 AS tpr0,
       r -> 'fpr' -> -1 AS fpr_last, r -> 'tpr' -> -1 AS tpr_last,
       (r ->> 'auc')::float8 = (:'report'::jsonb ->> 'roc_auc')::float8 AS auc_is_roc_auc,
       jsonb_array_length(:'report'::jsonb -> 'calibration_curve' -> 'pos' -> 'prob_true') BETWEEN 2 AND 10 AS reliability_bins
FROM (SELECT :'report'::jsonb -> 'roc_curve' -> 'pos' AS r) x;

-- three classes: iris with gradient boosting; one curve per class
SELECT automl_fit('bench.iris', 'name', 'gradient_boosting', '{"max_iter": 20}') AS gb \gset
SELECT jsonb_object_keys(automl_evaluate(:gb, 'bench.iris') -> 'pr_curve') AS classes;
SELECT metric, round(value::numeric, 4) AS value FROM automl_evaluate_metrics(:gb, 'bench.iris');

-- regression: residual summary, R² as SQL computes it
SELECT automl_fit('bench.boston', 'medv', 'random_forest', '{"n_estimators": 20}') AS forest \gset
SELECT automl_evaluate(:forest, 'bench.boston') AS reg \gset
SELECT key FROM jsonb_each(:'reg') ORDER BY key;
SELECT abs((:'reg'::jsonb ->> 'r2')::float8
           - (1 - sum((medv - automl_predict_value(:forest, h)) ^ 2) / sum((medv - m) ^ 2))) < 1e-9 AS r2_agrees,
       abs((:'reg'::jsonb -> 'residuals' ->> 'median')::float8
           - percentile_cont(0.5) WITHIN GROUP (ORDER BY medv - automl_predict_value(:forest, h))) < 1e-9 AS median_agrees
FROM bench.boston h, (SELECT avg(medv) AS m FROM bench.boston) a;

-- labels the model never saw are left out and reported; NULL targets are counted
CREATE TEMP TABLE pima2 AS SELECT * FROM bench.pima;
UPDATE pima2 SET diabetes = 'unknown' WHERE pregnant = 1;
UPDATE pima2 SET diabetes = NULL WHERE pregnant = 2;
SELECT e -> 'unseen_labels' AS unseen, e -> 'null_target_rows' AS null_targets,
       (e ->> 'rows')::int = (SELECT count(*) FROM pima2 WHERE diabetes IN ('pos', 'neg')) AS rows_scored
FROM automl_evaluate(:pima, 'pima2') e;

-- filter: only the rows that pass a query-builder filter are scored (the
-- filter compiler of automl_summary), the same numbers as the filtered table
CREATE TEMP TABLE pima_older AS SELECT * FROM bench.pima WHERE age >= 40;
SELECT (f ->> 'rows')::int AS rows_filtered,
       (SELECT count(*) FROM bench.pima WHERE age >= 40) AS rows_age_40_or_more,
       (f - 'relation') = (t - 'relation') AS same_report_as_filtered_table,
       (f ->> 'accuracy') <> (:'report'::jsonb ->> 'accuracy') AS accuracy_differs_from_all_rows
FROM automl_evaluate(:pima, 'bench.pima', '{"condition": "AND", "rules": [{"field": "age", "operator": "greater_or_equal", "value": 40}]}') f,
     automl_evaluate(:pima, 'pima_older') t;
SELECT count(*) AS metrics,
       bool_and(m.value IS NOT DISTINCT FROM (SELECT value FROM automl_evaluate_metrics(:pima, 'pima_older') o WHERE o.metric = m.metric)) AS same_as_filtered_table
FROM automl_evaluate_metrics(:pima, 'bench.pima', '{"field": "age", "operator": "greater_or_equal", "value": 40}') m;
SELECT (automl_evaluate(:pima, 'bench.pima', NULL) - 'model_id') = (:'report'::jsonb - 'model_id') AS null_filter_is_every_row;
SELECT automl_evaluate(:pima, 'bench.pima', '{"field": "nope", "operator": "equal", "value": 1}');
SELECT automl_evaluate(:pima, 'bench.pima', '{"field": "age", "operator": "resembles", "value": 1}');
SELECT automl_evaluate(:pima, 'bench.pima', '{"field": "age", "operator": "equal", "value": "old"}');
SELECT automl_evaluate(:pima, 'bench.pima', '{"field": "age", "operator": "greater", "value": 999}');
\set VERBOSITY sqlstate
SELECT count(*) FROM automl_evaluate_metrics(:pima, 'bench.pima', '{"field": "nope", "operator": "equal", "value": 1}');
\set VERBOSITY default

-- bad input
SELECT automl_evaluate(:pima, NULL) IS NULL AS strict;
CREATE TEMP TABLE no_target AS SELECT pregnant, glucose, pressure, triceps, insulin, mass, pedigree, age FROM bench.pima;
SELECT automl_evaluate(:pima, 'no_target');
CREATE TEMP TABLE no_glucose AS SELECT pregnant, pressure, diabetes FROM bench.pima;
SELECT automl_evaluate(:pima, 'no_glucose');
CREATE TEMP TABLE empty_pima AS SELECT * FROM bench.pima LIMIT 0;
SELECT automl_evaluate(:pima, 'empty_pima');
CREATE TEMP TABLE all_unseen AS SELECT * FROM bench.pima LIMIT 3;
UPDATE all_unseen SET diabetes = 'maybe';
SELECT automl_evaluate(:pima, 'all_unseen');
SELECT automl_evaluate(999999, 'bench.pima');
-- another owner's model is not found
CREATE ROLE regress_evaluate_other;
GRANT USAGE ON SCHEMA bench TO regress_evaluate_other;
GRANT SELECT ON bench.pima TO regress_evaluate_other;
SET ROLE regress_evaluate_other;
SELECT automl_evaluate(:pima, 'bench.pima');
RESET ROLE;
REVOKE ALL ON bench.pima FROM regress_evaluate_other;
REVOKE ALL ON SCHEMA bench FROM regress_evaluate_other;
DROP ROLE regress_evaluate_other;

-- automl_train calibrates the chosen model's probabilities on its
-- out-of-fold predictions when that improves the cross-fitted log loss
-- (Platt, isotonic or temperature); the calibrator is stored with the model,
-- with the decision threshold chosen on the same predictions (threshold =>
-- 'auto': the one of the metric, balanced accuracy, a calibrator of method
-- "none" when only the threshold is not 0.5)
SET client_min_messages = warning;
SELECT model_id AS trained FROM automl_train('bench.pima', 'diabetes', search_space => 'light',
                                             max_evaluations => 6, time_budget => '2 minutes') \gset
RESET client_min_messages;
SELECT coalesce(pipeline -> 'calibration' ->> 'method', 'none') IN ('none', 'platt', 'isotonic', 'temperature') AS calibration_known,
       coalesce((pipeline -> 'calibration' ->> 'threshold')::float8, 0.5) BETWEEN 0 AND 1 AS threshold
FROM automl.models WHERE id = :trained;
SELECT coalesce((pipeline -> 'calibration' ->> 'threshold')::float8, 0.5) AS decision_threshold
FROM automl.models WHERE id = :trained \gset
-- calibrated probabilities are probabilities, and the label is "pos" when
-- its probability is above the decision threshold
SELECT bool_and(abs((pr ->> 'neg')::float8 + (pr ->> 'pos')::float8 - 1) < 1e-12) AS sum_to_one,
       bool_and(lab = CASE WHEN (pr ->> 'pos')::float8 > :decision_threshold THEN 'pos' ELSE 'neg' END) AS label_by_threshold
FROM (SELECT automl_predict_proba(:trained, p) AS pr, automl_predict(:trained, p) AS lab FROM bench.pima p) x;

-- a calibrated model is also scored before its calibration: with
-- temperature T the calibrated p' is softmax(log p / T), so p is
-- proportional to p'^T and the log loss and Brier score before it follow
-- from automl_predict_proba; a model without a calibrator has no such part
SELECT automl_fit('bench.pima', 'diabetes', 'logistic_regression') AS tempered \gset
UPDATE automl.models
SET pipeline = pipeline || '{"calibration": {"method": "temperature", "temperature": 2.0, "threshold": 0.5}}'
WHERE id = :tempered;
SELECT automl_evaluate(:tempered, 'bench.pima') -> 'calibration' AS calibration \gset
SELECT :'calibration'::jsonb ->> 'method' AS method,
       abs((:'calibration'::jsonb ->> 'log_loss_before')::float8 - avg(-ln(before))) < 1e-12 AS log_loss_before_agrees,
       abs((:'calibration'::jsonb ->> 'brier_before')::float8 - avg((pos_before - (diabetes = 'pos')::int) ^ 2)) < 1e-12 AS brier_before_agrees,
       (automl_evaluate(:tempered, 'bench.pima') ->> 'log_loss')::float8 > avg(-ln(before)) AS two_degrees_too_flat
FROM (SELECT diabetes, (pr ->> diabetes)::float8 ^ 2 / ((pr ->> 'pos')::float8 ^ 2 + (pr ->> 'neg')::float8 ^ 2) AS before,
             (pr ->> 'pos')::float8 ^ 2 / ((pr ->> 'pos')::float8 ^ 2 + (pr ->> 'neg')::float8 ^ 2) AS pos_before
      FROM (SELECT diabetes, automl_predict_proba(:tempered, p) AS pr FROM bench.pima p) x) y;
SELECT automl_evaluate(:pima, 'bench.pima') ? 'calibration' AS uncalibrated_has_calibration;
