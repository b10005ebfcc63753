-- demo.sql — what test/demo.sh shows, run by psql from a directory holding
-- test/data (the quick start of README.md).
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION automl;
\i test/data/load_mip.sql
\set hierarchy `cat test/data/mip_cde_variables.json`
SELECT automl_import_variables(:'hierarchy') AS variables_imported;
RESET client_min_messages;

\echo
\echo == What the patients look like: automl_summary('science.cde_features_a')
SELECT column_name, kind, count, null_count, distinct_count,
       round(mean::numeric, 3) AS mean, round(std::numeric, 3) AS std,
       min, median, max, top, top_count
FROM automl_summary('science.cde_features_a',
       '{subjectageyears,gender,lefthippocampus,righthippocampus,leftamygdala,minimentalstate,alzheimerbroadcategory}');

\echo
\echo == AutoML: diagnosis (AD / CN / Other) from age, gender, 134 brain volumes and MMSE, 20 seconds
-- the features: age, gender, every brain volume (the columns between _3rdventricle
-- and leftttgtransversetemporalgyrus in the MIP table) and the MMSE score
SELECT array_agg(attname ORDER BY attnum)::text AS features
FROM pg_attribute
WHERE attrelid = 'science.cde_features_a'::regclass AND attnum > 0 AND NOT attisdropped
  AND (attname IN ('subjectageyears', 'gender', 'minimentalstate')
       OR attnum BETWEEN (SELECT attnum FROM pg_attribute WHERE attrelid = 'science.cde_features_a'::regclass AND attname = '_3rdventricle')
                     AND (SELECT attnum FROM pg_attribute WHERE attrelid = 'science.cde_features_a'::regclass AND attname = 'leftttgtransversetemporalgyrus'))
\gset
SELECT model_id, run_id, metric, round(cv_score::numeric, 4) AS cv_score,
       coalesce(round(holdout_score::numeric, 4)::text, 'none: too few rows to hold some out, the cv_score is the estimate')
         AS holdout_score, evaluated, elapsed, pipeline
FROM automl_train('science.cde_features_a', 'alzheimerbroadcategory', features => :'features',
                  time_budget => '20 seconds', name => 'diagnosis')
\gset train_
\x on
SELECT :train_model_id AS model_id, :train_run_id AS run_id, :'train_metric' AS metric,
       :train_cv_score AS cv_score, :'train_holdout_score' AS holdout_score,
       :train_evaluated AS pipelines_evaluated, :'train_elapsed' AS elapsed, :'train_pipeline' AS pipeline;
\x off

\echo
\echo == The top five of the leaderboard (automl.leaderboard)
SELECT rank, round(cv_score::numeric, 4) AS cv_score, round(cv_std::numeric, 4) AS cv_std,
       seconds, in_model, left(description, 110) AS pipeline
FROM automl.leaderboard WHERE run_id = :train_run_id ORDER BY rank LIMIT 5;

\echo
\echo == Every candidate of the run (automl.pipelines): the leaderboard ranks those that completed
SELECT status, count(*) AS pipelines, min(reason) AS for_example
FROM automl.pipelines WHERE run_id = :train_run_id GROUP BY status ORDER BY count(*) DESC;

\echo
\echo == Predictions for a few patients (automl_predict by model name, with probabilities)
SELECT subjectcode, alzheimerbroadcategory AS actual,
       automl_predict('diagnosis', p) AS predicted,
       automl_predict_proba(:train_model_id, p) AS probabilities
FROM science.cde_features_a p
WHERE alzheimerbroadcategory IS NOT NULL
ORDER BY subjectcode LIMIT 6;

\echo
\echo == Why? The five columns that pushed the prediction most for the first patient with brain volumes (automl_explain;
\echo    an ensemble is explained by seeded permutation sampling: 64 permutations here)
SET automl.explain_samples = 64;
SELECT e.class, e.feature, e.value, round(e.contribution::numeric, 4) AS contribution
FROM (SELECT * FROM science.cde_features_a
      WHERE alzheimerbroadcategory IS NOT NULL AND lefthippocampus IS NOT NULL
      ORDER BY subjectcode LIMIT 1) p,
     automl_explain(:train_model_id, p, top_n => 5) e;
RESET automl.explain_samples;

\echo
\echo == The global importance of the model, stored by automl_train (mean |SHAP| on the holdout rows,
\echo    or on the training rows when the table is too small to hold rows out;
\echo    automl_feature_importance reads it, nothing is recomputed)
SELECT metrics ? 'importance' AS importance_stored FROM automl.models WHERE id = :train_model_id \gset
\if :importance_stored
SELECT feature, round(importance::numeric, 4) AS importance, round(std::numeric, 4) AS std, source
FROM automl_feature_importance(:train_model_id)
LIMIT 10;
\else
\echo (not stored: the time budget did not allow it, see the NOTICE of automl_train; computed now, mean |SHAP| on 200 patients)
CREATE TEMP TABLE some_patients AS
SELECT * FROM science.cde_features_a WHERE lefthippocampus IS NOT NULL ORDER BY subjectcode LIMIT 200;
SELECT feature, round(importance::numeric, 4) AS importance, round(std::numeric, 4) AS std, source
FROM automl_feature_importance(:train_model_id, 'shap', 'some_patients')
LIMIT 10;
\endif

\echo
\echo == Which brain regions matter for the diagnosis (automl_feature_importance, permutation:
\echo    the drop of accuracy when a column is shuffled, 3 shuffles each)
SELECT feature, round(importance::numeric, 4) AS importance, round(std::numeric, 4) AS std
FROM automl_feature_importance(:train_model_id, 'permutation', 'science.cde_features_a', n_repeats => 3)
LIMIT 10;
