--
-- explain: automl_explain and automl_feature_importance — additivity on every
-- row for every kind of explanation, the linear closed form by hand, and
-- every kind of bad input
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
\set ECHO none
\i test/data/load_benchmarks.sql
\set ECHO all
RESET client_min_messages;
-- model ids in this file count from 1, whatever ran before
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;

-- additivity: base + contributions = the explained output, on every row
CREATE FUNCTION pg_temp.additivity(model bigint, rel regclass, out rows bigint, out worst float8)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    SELECT count(DISTINCT r), max(abs(s))
    FROM (SELECT r, e.class, sum(e.contribution) FILTER (WHERE e.feature <> '(base)')
                 + sum(e.contribution) FILTER (WHERE e.feature = '(base)') - %s AS s
          FROM (SELECT t AS r FROM %s t) t, automl_explain(%s, t.r) e
          GROUP BY r, e.class) x$q$,
    CASE WHEN (SELECT task FROM automl.models WHERE id = model) = 'regression'
         THEN format('automl_predict_value(%s, r)', model)
         ELSE 'NULL' END, rel, model) INTO rows, worst;
END $$;

-- regression forest on boston (TreeSHAP, value scale): the sum is the prediction
SELECT automl_fit('bench.boston', 'medv', 'random_forest', '{"n_estimators": 30}') AS forest \gset
SELECT rows, worst <= 1e-9 AS additive FROM pg_temp.additivity(:forest, 'bench.boston');
-- one house: the five largest contributions (chas is a text column)
SELECT feature, value, round(contribution::numeric, 3) AS contribution, class
FROM bench.boston h, automl_explain(:forest, h, top_n => 5) WHERE h.crim = 0.00632;

-- a linear model: contribution = coefficient x (x - training mean) in the
-- original units (the pipeline standardises; the slope is the fitted line's)
SELECT automl_fit('bench.linreg_sample', 'college_math', 'linear_regression',
                  features => '{score_math_course1,score_math_course2}') AS ols \gset
SELECT e.feature,
       round(e.contribution::numeric, 6) AS contribution,
       round((CASE e.feature
                WHEN 'score_math_course1' THEN 0.20199022646422 * (s.score_math_course1 - m.c1)
                WHEN 'score_math_course2' THEN 0.80981627479611 * (s.score_math_course2 - m.c2)
              END)::numeric, 6) AS by_hand
FROM (SELECT * FROM bench.linreg_sample ORDER BY id LIMIT 1) s,
     (SELECT avg(score_math_course1) c1, avg(score_math_course2) c2 FROM bench.linreg_sample) m,
     automl_explain(:ols, s) e
WHERE e.feature <> '(base)' ORDER BY e.feature;

-- binary logistic regression on pima: contributions to the log-odds of the
-- second class; expit(base + contributions) is the predicted probability
SELECT automl_fit('bench.pima', 'diabetes', 'logistic_regression') AS pima \gset
SELECT count(*) AS rows,
       max(abs(1 / (1 + exp(-s)) - (automl_predict_proba(:pima, r) ->> c)::float8)) <= 1e-9 AS expit_is_probability
FROM (SELECT r, e.class AS c, sum(e.contribution) AS s
      FROM (SELECT t AS r FROM bench.pima t) t, automl_explain(:pima, t.r) e GROUP BY r, e.class) x;
SELECT feature, value, round(contribution::numeric, 4) AS contribution, class
FROM (SELECT * FROM bench.pima LIMIT 1) p, automl_explain(:pima, p, 3);

-- gradient boosting on iris (three classes): one explanation per class, of
-- the class margin; softmax of the margins is predict_proba
SELECT automl_fit('bench.iris', 'name', 'gradient_boosting', '{"max_iter": 20}') AS gb \gset
SELECT count(*) AS rows,
       max(abs(exp(s) / t - (automl_predict_proba(:gb, r) ->> c)::float8)) <= 1e-9 AS softmax_is_probability
FROM (SELECT r, c, s, sum(exp(s)) OVER (PARTITION BY r) AS t
      FROM (SELECT r, e.class AS c, sum(e.contribution) AS s
            FROM (SELECT i AS r FROM bench.iris i) i, automl_explain(:gb, i.r) e GROUP BY r, e.class) y) x;
SELECT class, count(*) AS rows_per_row FROM (SELECT * FROM bench.iris LIMIT 1) i, automl_explain(:gb, i) GROUP BY class ORDER BY class;

-- k nearest neighbours (no exact method): sampled Shapley values of the
-- probabilities, exact here (4 inputs: every coalition), additive
SELECT automl_fit('bench.iris', 'name', 'knn') AS knn \gset
SELECT count(*) AS rows,
       max(abs(s - (automl_predict_proba(:knn, r) ->> c)::float8)) <= 1e-9 AS sum_is_probability
FROM (SELECT r, e.class AS c, sum(e.contribution) AS s
      FROM (SELECT i AS r FROM bench.iris i) i, automl_explain(:knn, i.r) e GROUP BY r, e.class) x;
-- breast cancer (30 inputs): permutation sampling, seeded, still additive
SELECT automl_fit('bench.breast_cancer', 'target', 'gaussian_nb') AS nb \gset
SET automl.explain_samples = 16;
SELECT count(*) AS rows,
       max(abs(s - (automl_predict_proba(:nb, r) ->> c)::float8)) <= 1e-9 AS sum_is_probability
FROM (SELECT r, e.class AS c, sum(e.contribution) AS s
      FROM (SELECT b AS r FROM bench.breast_cancer b LIMIT 20) b, automl_explain(:nb, b.r) e GROUP BY r, e.class) x;
-- the same row gives the same numbers
SELECT (SELECT array_agg(contribution ORDER BY feature) FROM automl_explain(:nb, b)) =
       (SELECT array_agg(contribution ORDER BY feature) FROM automl_explain(:nb, b)) AS repeatable
FROM (SELECT * FROM bench.breast_cancer LIMIT 1) b;
RESET automl.explain_samples;

-- global importance: mean |contribution| over the training relation, and
-- permutation importance on a relation (mean drop of accuracy / R²)
SELECT feature, round(importance::numeric, 3) AS importance
FROM automl_feature_importance(:forest) LIMIT 3;
SELECT feature, importance > 0 AS matters
FROM automl_feature_importance(:gb, 'permutation', 'bench.iris', n_repeats => 3) ORDER BY feature;

-- in the target list (a set-returning function outside FROM): the same rows, the same order
SELECT (e).feature, (e).value, round((e).contribution::numeric, 6) AS contribution
FROM (SELECT automl_explain(:forest, h, top_n => 3) AS e FROM bench.boston h WHERE h.crim = 0.00632) x;
SELECT a = b AS same_rows, cardinality(a) AS n
FROM (SELECT array_agg(x::text) AS a
      FROM (SELECT automl_explain(:forest, h) AS x FROM (SELECT * FROM bench.boston ORDER BY crim LIMIT 5) h) t) a,
     (SELECT array_agg(e::text) AS b
      FROM (SELECT * FROM bench.boston ORDER BY crim LIMIT 5) h, automl_explain(:forest, h) e) b;

-- bad input
SELECT * FROM automl_explain(:forest, ROW(1, 2)::record);
CREATE TEMP TABLE houses AS SELECT * FROM bench.boston LIMIT 2;
ALTER TABLE houses DROP COLUMN lstat;
SELECT * FROM houses h, automl_explain(:forest, h);
SELECT * FROM bench.boston h, automl_explain(:forest, h, 0) LIMIT 1;
SELECT * FROM bench.boston h, automl_explain(:forest, h, -3) LIMIT 1;
SELECT * FROM bench.boston h, automl_explain(999999, h) LIMIT 1;
SELECT count(*) AS no_rows FROM bench.boston h, automl_explain(NULL, h);
SELECT count(*) AS no_rows FROM automl_explain(:forest, NULL::bench.boston);
SELECT * FROM (SELECT 'Infinity'::float8 AS score_math_course1, 1.0::float8 AS score_math_course2) s, automl_explain(:ols, s);
SELECT * FROM automl_feature_importance(:forest, 'gain');
SELECT * FROM automl_feature_importance(:forest, 'permutation', n_repeats => 0);
SELECT * FROM automl_feature_importance(NULL);
SELECT * FROM automl_feature_importance(:forest, 'permutation', 'houses');
CREATE TEMP TABLE no_target AS SELECT crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, b, lstat FROM bench.boston;
SELECT * FROM automl_feature_importance(:forest, 'permutation', 'no_target');
CREATE TEMP TABLE empty_boston AS SELECT * FROM bench.boston LIMIT 0;
SELECT * FROM automl_feature_importance(:forest, 'shap', 'empty_boston');
-- another owner's model is not found
CREATE ROLE regress_explain_other;
GRANT USAGE ON SCHEMA bench TO regress_explain_other;
GRANT SELECT ON bench.boston TO regress_explain_other;
SET ROLE regress_explain_other;
SELECT * FROM bench.boston h, automl_explain(:forest, h) LIMIT 1;
SELECT * FROM automl_feature_importance(:forest);
RESET ROLE;
REVOKE ALL ON bench.boston FROM regress_explain_other;
REVOKE ALL ON SCHEMA bench FROM regress_explain_other;
DROP ROLE regress_explain_other;
