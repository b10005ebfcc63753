--
-- woken_pfa: automl_export_pfa for gradient boosting, naive Bayes, k-NN,
-- k-means, ensembles of classifiers and calibrated classifiers (class
-- probabilities compared with automl_predict_proba too).  Each document is
-- scored on every row of its table by an
-- interpreter of PFA 0.8.1 written from the specification
-- (test/woken/pfa_eval.py) and must predict what automl_predict predicts
-- (1e-9 for values, equal labels and cluster numbers); the boosted models on
-- the first 300 rows, as the interpreter is slow.  The linear models,
-- trees and forests are checked the same way in the woken suite.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
\set ECHO none
\i test/data/load_benchmarks.sql
\i test/data/load_mip.sql
\i test/regress_helpers.sql
\set ECHO all
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY CASCADE;
-- gradient boosting: regression, binary and multiclass, on columns with missing values and
-- categories (ordinal encoding), some with a squared-error and one with an absolute-error loss
SELECT automl_fit('science.cde_features_a', 'minimentalstate', 'gradient_boosting', '{"max_iter": 30}',
                  features => '{lefthippocampus,gender,subjectageyears,agegroup}', task => 'regression') AS gb_reg \gset
SELECT automl_fit('science.cde_features_a', 'minimentalstate', 'gradient_boosting', '{"max_iter": 10, "loss": "absolute_error"}',
                  features => '{lefthippocampus,righthippocampus}', task => 'regression') AS gb_abs \gset
-- (min_samples_leaf above half the rows: every tree is one leaf)
SELECT automl_fit('science.cde_features_a', 'minimentalstate', 'gradient_boosting', '{"max_iter": 3, "min_samples_leaf": 600}',
                  features => '{lefthippocampus}', task => 'regression') AS gb_leaf \gset
SELECT automl_fit('science.cde_features_a', 'gender', 'gradient_boosting', '{"max_iter": 20}',
                  features => '{lefthippocampus,righthippocampus,subjectageyears,agegroup}') AS gb_bin \gset
SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gradient_boosting', '{"max_iter": 15}',
                  features => '{lefthippocampus,righthippocampus,gender,subjectageyears}') AS gb_multi \gset
-- naive Bayes: Gaussian (Woken's example alzheimerbroadcategory ~ lefthippocampus, and iris),
-- Bernoulli with a threshold, multinomial
SELECT automl_fit('science.cde_features_a', 'alzheimerbroadcategory', 'gaussian_nb',
                  features => '{lefthippocampus}') AS gnb_woken \gset
SELECT automl_fit('bench.iris', 'name', 'gaussian_nb') AS gnb_iris \gset
SELECT automl_fit('bench.iris', 'name', 'bernoulli_nb', '{"binarize": 3.0}') AS bnb \gset
SELECT automl_fit('bench.iris', 'name', 'multinomial_nb', '{"alpha": 0.5}') AS mnb \gset
-- k-NN: uniform and distance-weighted votes and means, Euclidean and Manhattan
SELECT automl_fit('bench.iris', 'name', 'knn', '{"n_neighbors": 5}') AS knn_cls \gset
SELECT automl_fit('bench.iris', 'name', 'knn', '{"n_neighbors": 7, "weights": "distance", "metric": "manhattan"}',
                  features => '{sepal_length,sepal_width,petal_width}') AS knn_wcls \gset
SELECT automl_fit('bench.linreg_sample', 'cognitive_task2', 'knn', '{"n_neighbors": 2}',
                  features => '{score_test1,college_math}') AS knn_reg \gset
SELECT automl_fit('bench.linreg_sample', 'cognitive_task2', 'knn', '{"n_neighbors": 4, "weights": "distance"}',
                  features => '{score_test1,college_math}') AS knn_wreg \gset
-- the search's weighted ensembles of regressors (stored as automl_train stores them: members
-- over the same inputs): boosting + ridge, two k-NN
SELECT automl_fit('science.cde_features_a', 'minimentalstate', 'ridge', '{"alpha": 2}',
                  features => '{lefthippocampus,gender,subjectageyears,agegroup}', task => 'regression') AS ridge \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, pipeline)
SELECT 'regression', 'ensemble', 'science.cde_features_a', 'minimentalstate', g.features,
       jsonb_build_object('format', 'automl-ensemble', 'version', 1, 'members',
                          jsonb_build_array(jsonb_build_object('weight', 0.625, 'pipeline', g.pipeline),
                                            jsonb_build_object('weight', 0.375, 'pipeline', r.pipeline)))
FROM automl.models g, automl.models r WHERE g.id = :gb_reg AND r.id = :ridge RETURNING id AS ens_gb \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, pipeline)
SELECT 'regression', 'ensemble', 'bench.linreg_sample', 'cognitive_task2', a.features,
       jsonb_build_object('format', 'automl-ensemble', 'version', 1, 'members',
                          jsonb_build_array(jsonb_build_object('weight', 0.3, 'pipeline', a.pipeline),
                                            jsonb_build_object('weight', 0.7, 'pipeline', b.pipeline)))
FROM automl.models a, automl.models b WHERE a.id = :knn_reg AND b.id = :knn_wreg RETURNING id AS ens_knn \gset
-- and what the search itself makes (tpot's call of the woken suite: an ensemble)
SELECT model_id AS tpot FROM automl_train('bench.linreg_sample', 'cognitive_task2', features => '{score_test1}',
                                          time_budget => '5 minutes', cv_folds => 3, search_space => 'light',
                                          max_evaluations => 6) \gset
-- k-means with a categorical column
SELECT automl_fit('bench.iris', NULL, 'kmeans', '{"n_clusters": 3}') AS km \gset
-- ensembles of classifiers (each member's class probabilities, weighted as automl_predict
-- averages them) and calibrated classifiers (calibration.c's calibrators, then the threshold):
-- binary on cde_features_a (missing values, categories), three classes on iris
SELECT automl_fit('science.cde_features_a', 'gender', 'logistic_regression',
                  features => '{lefthippocampus,righthippocampus,subjectageyears,agegroup}') AS lr_bin \gset
SELECT automl_fit('science.cde_features_a', 'gender', 'random_forest', '{"n_estimators": 8}',
                  features => '{lefthippocampus,righthippocampus,subjectageyears,agegroup}') AS rf_bin \gset
SELECT automl_fit('bench.iris', 'name', 'logistic_regression') AS lr_iris \gset
SELECT automl_fit('bench.iris', 'name', 'decision_tree', '{"max_depth": 3}') AS dt_iris \gset
SELECT automl_fit('bench.iris', 'name', 'extra_trees', '{"n_estimators": 5}') AS et_iris \gset
CREATE TEMP TABLE cls_ens AS
SELECT 'ens_bin' AS name, 'science.cde_features_a'::regclass AS rel,
       jsonb_build_array(jsonb_build_array(:gb_bin, 0.5), jsonb_build_array(:lr_bin, 0.3), jsonb_build_array(:rf_bin, 0.2)) AS members,
       NULL::jsonb AS calibration
UNION ALL SELECT 'ens_iris', 'bench.iris',
       jsonb_build_array(jsonb_build_array(:gnb_iris, 2), jsonb_build_array(:knn_cls, 1), jsonb_build_array(:lr_iris, 1),
                         jsonb_build_array(:dt_iris, 0.5), jsonb_build_array(:et_iris, 0.5)), NULL
UNION ALL SELECT 'ens_bin_platt', 'science.cde_features_a',
       jsonb_build_array(jsonb_build_array(:gb_bin, 0.6), jsonb_build_array(:lr_bin, 0.4)),
       '{"method": "platt", "a": 1.7, "b": -0.3, "threshold": 0.45}'
UNION ALL SELECT 'ens_iris_temp', 'bench.iris',
       jsonb_build_array(jsonb_build_array(:gnb_iris, 1), jsonb_build_array(:lr_iris, 1), jsonb_build_array(:et_iris, 1)),
       '{"method": "temperature", "temperature": 2.5, "threshold": 0.5}';
CREATE TEMP TABLE cls_models (name text, id bigint, rel regclass);
DO $$
DECLARE e record; mid bigint;
BEGIN
  FOR e IN SELECT * FROM cls_ens ORDER BY name LOOP
    INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
    SELECT f.task, 'ensemble', f.relation, f.target, f.features, f.classes,
           jsonb_build_object('format', 'automl-ensemble', 'version', 1, 'members',
                              (SELECT jsonb_agg(jsonb_build_object('weight', (x->>1)::float8, 'pipeline', p.pipeline) ORDER BY o)
                               FROM jsonb_array_elements(e.members) WITH ORDINALITY t(x, o)
                               JOIN automl.models p ON p.id = (x->>0)::bigint))
           || CASE WHEN e.calibration IS NULL THEN '{}' ELSE jsonb_build_object('calibration', e.calibration) END
    FROM automl.models f WHERE f.id = (e.members->0->>0)::bigint RETURNING id INTO mid;
    INSERT INTO cls_models VALUES (e.name, mid, e.rel);
  END LOOP;
END $$;
-- single calibrated classifiers: Platt, isotonic (with a flat piece), none with a threshold,
-- temperature on three classes, and with its smoothing ("rows") and class weights (the class of the largest weighted probability)
CREATE TEMP TABLE cls_cal AS SELECT * FROM (VALUES
    ('cal_platt', :gb_bin, 'science.cde_features_a'::regclass, '{"method": "platt", "a": 2.1, "b": 0.4, "threshold": 0.62}'::jsonb),
    ('cal_isotonic', :lr_bin, 'science.cde_features_a', '{"method": "isotonic", "x": [0.2, 0.35, 0.5, 0.51, 0.7, 0.9], "y": [0.05, 0.3, 0.3, 0.55, 0.8, 0.97], "threshold": 0.4}'),
    ('cal_none', :rf_bin, 'science.cde_features_a', '{"method": "none", "threshold": 0.35}'),
    ('cal_temp', :gnb_iris, 'bench.iris', '{"method": "temperature", "temperature": 0.6}'),
    ('cal_weights', :gnb_iris, 'bench.iris', '{"method": "temperature", "temperature": 3, "rows": 20, "class_weights": [1, 4, 0.5]}')) c(name, src, rel, cal);
DO $$
DECLARE c record; mid bigint;
BEGIN
  FOR c IN SELECT * FROM cls_cal ORDER BY name LOOP
    INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
    SELECT task, algorithm, relation, target, features, classes, pipeline || jsonb_build_object('calibration', c.cal)
    FROM automl.models WHERE id = c.src RETURNING id INTO mid;
    INSERT INTO cls_models VALUES (c.name, mid, c.rel);
  END LOOP;
END $$;
-- and what the search makes for a binary target: its calibrator and threshold, an ensemble
SELECT model_id AS tpot_cls FROM automl_train('bench.breast_cancer', 'target', search_space => 'light',
                                              max_evaluations => 4, seed => 5, cv_folds => 3,
                                              test_size => 0.25) \gset
INSERT INTO cls_models VALUES ('tpot_cls', :tpot_cls, 'bench.breast_cancer');
RESET client_min_messages;
\pset format unaligned
\pset tuples_only on
\o test/results/woken_pfa_gb_reg.json
SELECT json_build_object('pfa', automl_export_pfa(:gb_reg), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:gb_reg, s)))) FROM (SELECT * FROM science.cde_features_a LIMIT 300) s;
\o test/results/woken_pfa_gb_abs.json
SELECT json_build_object('pfa', automl_export_pfa(:gb_abs), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:gb_abs, s)))) FROM (SELECT * FROM science.cde_features_a LIMIT 300) s;
\o test/results/woken_pfa_gb_leaf.json
SELECT json_build_object('pfa', automl_export_pfa(:gb_leaf), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:gb_leaf, s)))) FROM (SELECT * FROM science.cde_features_a LIMIT 300) s;
\o test/results/woken_pfa_gb_bin.json
SELECT json_build_object('pfa', automl_export_pfa(:gb_bin), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:gb_bin, s)))) FROM (SELECT * FROM science.cde_features_a LIMIT 300) s;
\o test/results/woken_pfa_gb_multi.json
SELECT json_build_object('pfa', automl_export_pfa(:gb_multi), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:gb_multi, s)))) FROM (SELECT * FROM science.cde_features_a LIMIT 300) s;
\o test/results/woken_pfa_gnb_woken.json
SELECT json_build_object('pfa', automl_export_pfa(:gnb_woken), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:gnb_woken, s)))) FROM science.cde_features_a s;
\o test/results/woken_pfa_gnb_iris.json
SELECT json_build_object('pfa', automl_export_pfa(:gnb_iris), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:gnb_iris, s)))) FROM bench.iris s;
\o test/results/woken_pfa_bnb.json
SELECT json_build_object('pfa', automl_export_pfa(:bnb), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:bnb, s)))) FROM bench.iris s;
\o test/results/woken_pfa_mnb.json
SELECT json_build_object('pfa', automl_export_pfa(:mnb), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:mnb, s)))) FROM bench.iris s;
\o test/results/woken_pfa_knn_cls.json
SELECT json_build_object('pfa', automl_export_pfa(:knn_cls), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:knn_cls, s)))) FROM bench.iris s;
\o test/results/woken_pfa_knn_wcls.json
SELECT json_build_object('pfa', automl_export_pfa(:knn_wcls), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:knn_wcls, s)))) FROM bench.iris s;
\o test/results/woken_pfa_knn_reg.json
SELECT json_build_object('pfa', automl_export_pfa(:knn_reg), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:knn_reg, s)))) FROM bench.linreg_sample s;
\o test/results/woken_pfa_knn_wreg.json
SELECT json_build_object('pfa', automl_export_pfa(:knn_wreg), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:knn_wreg, s)))) FROM bench.linreg_sample s;
\o test/results/woken_pfa_ens_gb.json
SELECT json_build_object('pfa', automl_export_pfa(:ens_gb), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:ens_gb, s)))) FROM (SELECT * FROM science.cde_features_a LIMIT 300) s;
\o test/results/woken_pfa_ens_knn.json
SELECT json_build_object('pfa', automl_export_pfa(:ens_knn), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:ens_knn, s)))) FROM bench.linreg_sample s;
\o test/results/woken_pfa_tpot.json
SELECT json_build_object('pfa', automl_export_pfa(:tpot), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict_value(:tpot, s)))) FROM bench.linreg_sample s;
\o test/results/woken_pfa_km.json
SELECT json_build_object('pfa', automl_export_pfa(:km), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(:km, s)::int))) FROM bench.iris s;
-- (one \o and one query per model, written as a script and run)
\o test/results/woken_pfa_cls.sql
SELECT format('\o test/results/woken_pfa_%s.json', name) || E'\n' ||
       format($$SELECT json_build_object('pfa', automl_export_pfa(%s), 'rows', json_agg(json_build_object('input', to_jsonb(s), 'expected', automl_predict(%s, s), 'proba', automl_predict_proba(%s, s)))) FROM (SELECT * FROM %s LIMIT 300) s;$$,
              id, id, id, rel)
FROM cls_models ORDER BY name;
\o
\set ECHO none
\i test/results/woken_pfa_cls.sql
\o
\set ECHO all
\pset format aligned
\pset tuples_only off
\! for m in gb_reg gb_abs gb_leaf gb_bin gb_multi gnb_woken gnb_iris bnb mnb knn_cls knn_wcls knn_reg knn_wreg ens_gb ens_knn tpot km; do python3 test/woken/pfa_eval.py test/results/woken_pfa_$m.json; done
-- ensembles of classifiers and calibrated classifiers: labels (automl_predict) and class
-- probabilities (automl_predict_proba, 1e-9) on every row scored
\! for m in cal_isotonic cal_none cal_platt cal_temp cal_weights ens_bin ens_bin_platt ens_iris ens_iris_temp tpot_cls; do python3 test/woken/pfa_eval.py test/results/woken_pfa_$m.json; done
SELECT c.name, m.algorithm, m.pipeline->'calibration'->>'method' AS calibration,
       jsonb_array_length(m.pipeline->'members') AS members
FROM cls_models c JOIN automl.models m ON m.id = c.id WHERE c.name = 'tpot_cls';
-- the class weights change labels of the argmax
SELECT count(*) FILTER (WHERE automl_predict(w.id, s) <> automl_predict(t.id, s)) > 0 AS weights_change_labels
FROM bench.iris s, cls_models w, cls_models t WHERE w.name = 'cal_weights' AND t.name = 'cal_temp';
-- the decision uses the calibrated probabilities: a threshold moved between two rows'
-- probabilities changes labels; a changed isotonic point changes probabilities; a changed
-- class weight changes labels
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_cal_none.json')); c['pfa']['action'][-1]['path'][0]['if']['>'][1]['double'] = 0.65; json.dump(c, open('test/results/woken_pfa_bad5.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad5.json | sed -n 1p
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_cal_isotonic.json')); c['pfa']['cells']['calibration_y']['init'][3] += 0.01; json.dump(c, open('test/results/woken_pfa_bad6.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad6.json | sed -n 1p
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_cal_weights.json')); c['pfa']['action'][-1]['path'][0]['a.argmax']['new'][1]['*'][1]['double'] *= 3; json.dump(c, open('test/results/woken_pfa_bad8.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad8.json | sed -n 1p
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_ens_iris.json')); c['pfa']['action'][-2]['let']['proba']['la.add'][1]['la.scale'][1]['double'] *= 1.001; json.dump(c, open('test/results/woken_pfa_bad7.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad7.json | sed -n 1p
-- the interpreter can fail: a changed leaf, a changed mean, a changed training row, a moved centre
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_gb_reg.json')); c['pfa']['cells']['boosting']['init'][0]['baseline'] += 1e-6; json.dump(c, open('test/results/woken_pfa_bad1.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad1.json | sed -n 1p
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_gnb_iris.json')); c['pfa']['cells']['nb']['init'][0]['stats'][2]['mean'] += 3; json.dump(c, open('test/results/woken_pfa_bad2.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad2.json | sed -n 1p
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_knn_reg.json')); c['pfa']['cells']['codebook']['init'][0]['y'] += 1; json.dump(c, open('test/results/woken_pfa_bad3.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad3.json | sed -n 1p
\! python3 -c "import json; c = json.load(open('test/results/woken_pfa_km.json')); c['pfa']['cells']['clusters']['init'][0]['center'][2] += 5; json.dump(c, open('test/results/woken_pfa_bad4.json', 'w'))"; python3 test/woken/pfa_eval.py test/results/woken_pfa_bad4.json | sed -n 1p
-- an ensemble's members keep their own cells, functions and types (prefixed m<i>_)
SELECT (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(d->'cells') k) AS cells,
       (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(d->'fcns') k) AS fcns,
       d->'cells'->'m0_boosting'->'type'->'items'->>'name' AS boosting_type,
       d->'action'->2 AS output
FROM automl_export_pfa(:ens_gb) d;
-- the documents' parts: output type, cells, functions, library functions of the action
SELECT m.name, d->>'output' AS output,
       (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(d->'cells') k) AS cells,
       (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(coalesce(d->'fcns', '{}')) k) AS fcns,
       (SELECT string_agg(DISTINCT f[1], ',' ORDER BY f[1])
          FROM regexp_matches((d->'action')::text, '"((?:model|m|metric|a)\.[a-zA-Z.]+)"', 'g') f) AS library
FROM (VALUES ('gb_reg', :gb_reg), ('gb_bin', :gb_bin), ('gb_multi', :gb_multi), ('gnb', :gnb_iris),
             ('bnb', :bnb), ('mnb', :mnb), ('knn_cls', :knn_cls), ('knn_wreg', :knn_wreg), ('km', :km)) m(name, id),
     automl_export_pfa(m.id) d
ORDER BY m.name;
-- gradient boosting: one cell entry per output (1 for regression and binary, 3 classes), each
-- with its baseline and one tree per iteration
SELECT m.name, jsonb_array_length(d->'cells'->'boosting'->'init') AS outputs,
       (SELECT array_agg(jsonb_array_length(o->'trees')) FROM jsonb_array_elements(d->'cells'->'boosting'->'init') o) AS trees,
       (SELECT (pipeline->'estimator'->'state'->>'n_iter')::int FROM automl.models WHERE id = m.id) AS n_iter
FROM (VALUES ('gb_reg', :gb_reg), ('gb_bin', :gb_bin), ('gb_multi', :gb_multi), ('gb_leaf', :gb_leaf)) m(name, id),
     automl_export_pfa(m.id) d ORDER BY 1;
-- a one-leaf tree is a split whose two sides are that leaf
SELECT t->'pass' = t->'fail' AS same_sides, t->'pass' ? 'double' AS leaf
FROM automl_export_pfa(:gb_leaf) d, jsonb_array_elements(d->'cells'->'boosting'->'init'->0->'trees') t;

-- families and steps PFA cannot express: a clear error naming them
-- (an ensemble of classifiers with a non-probabilistic member, members of different classes,
-- an unknown calibrator, Platt on three classes)
SELECT automl_fit('bench.iris', 'name', 'linear_svm') AS svm_iris \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
SELECT task, 'ensemble', relation, target, features, classes,
       jsonb_build_object('format', 'automl-ensemble', 'version', 1, 'members',
                          jsonb_build_array(jsonb_build_object('weight', 0.5, 'pipeline', pipeline),
                                            jsonb_build_object('weight', 0.5, 'pipeline', (SELECT pipeline FROM automl.models WHERE id = :svm_iris))))
FROM automl.models WHERE id = :gnb_iris RETURNING id AS ensemble_svm \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
SELECT task, 'ensemble', relation, target, features, classes,
       jsonb_build_object('format', 'automl-ensemble', 'version', 1, 'members',
                          jsonb_build_array(jsonb_build_object('weight', 0.5, 'pipeline', pipeline),
                                            jsonb_build_object('weight', 0.5, 'pipeline', (SELECT pipeline FROM automl.models WHERE id = :gnb_woken))))
FROM automl.models WHERE id = :gb_bin RETURNING id AS ensemble_mixed \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
SELECT task, algorithm, relation, target, features, classes,
       pipeline || '{"calibration": {"method": "sigmoid"}}'
FROM automl.models WHERE id = :gb_bin RETURNING id AS calibrated \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
SELECT task, algorithm, relation, target, features, classes,
       pipeline || '{"calibration": {"method": "platt", "a": 1, "b": 0}}'
FROM automl.models WHERE id = :gnb_iris RETURNING id AS platt3 \gset
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :ensemble_svm)) AS ensemble_svm;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :ensemble_mixed)) AS ensemble_mixed;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :calibrated)) AS calibrated;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :platt3)) AS platt3;
-- a damaged stored state is a clear error too
INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
SELECT task, algorithm, relation, target, features, classes,
       jsonb_set(pipeline, '{estimator,state,child}', '[1]')
FROM automl.models WHERE id = :gb_reg RETURNING id AS damaged_gb \gset
INSERT INTO automl.models (task, algorithm, relation, target, features, classes, pipeline)
SELECT task, algorithm, relation, target, features, classes,
       jsonb_set(pipeline, '{estimator,state,k}', '500')
FROM automl.models WHERE id = :knn_reg RETURNING id AS damaged_knn \gset
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :damaged_gb)) AS damaged_gb;
SELECT pg_temp.try(format('SELECT automl_export_pfa(%s)', :damaged_knn)) AS damaged_knn;
SELECT pg_temp.try('SELECT automl_export_pfa(999999)') AS missing;
SELECT pg_temp.try('SELECT automl_export_pfa(NULL)') AS null_id;
