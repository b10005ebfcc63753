--
-- stats_lm: automl_lm, automl_lm_glance and automl_anova against R 4.x
-- (lm, broom::tidy/glance, anova, car::Anova) on the tables and with the
-- numbers in test/reference/stats/ (reference.R made them; CI needs no R).
-- Tolerances: 1e-8 relative on estimates and statistics, 1e-6 on p-values.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA st;
CREATE TABLE st.num (id int, y float8, x1 float8, x2 float8, x3 float8);
CREATE TABLE st.fac (id int, y float8, grp text, sex text, age float8, flag boolean);
CREATE TABLE st.def (y float8, x1 float8, x2 float8, x3 float8, g text, h text);
\copy st.num FROM 'test/reference/stats/lm_num.csv' CSV HEADER
\copy st.fac FROM 'test/reference/stats/lm_fac.csv' CSV HEADER
\copy st.def FROM 'test/reference/stats/lm_def.csv' CSV HEADER
ALTER TABLE st.num DROP COLUMN id;
ALTER TABLE st.fac DROP COLUMN id;
-- fewer rows than coefficients, as R's lm takes them (reference.R: few, exact)
CREATE TABLE st.few AS SELECT * FROM st.fac WHERE age < 24;
CREATE TABLE st.exact AS SELECT * FROM st.fac WHERE age < 23;

CREATE TABLE st.tidy_ref (case_ text, formula text, term text, estimate float8, std_error float8,
    statistic float8, p_value float8, conf_low float8, conf_high float8);
CREATE TABLE st.glance_ref (case_ text, formula text, r_squared float8, adj_r_squared float8,
    sigma float8, statistic float8, p_value float8, df int, df_residual int, nobs bigint,
    log_lik float8, aic float8, bic float8, deviance float8);
CREATE TABLE st.anova_ref (case_ text, type int, formula text, term text, df int, sum_sq float8,
    mean_sq float8, statistic float8, p_value float8);
\copy st.tidy_ref FROM 'test/reference/stats/lm_tidy_ref.csv' CSV HEADER
\copy st.glance_ref FROM 'test/reference/stats/lm_glance_ref.csv' CSV HEADER
\copy st.anova_ref FROM 'test/reference/stats/anova_ref.csv' CSV HEADER

-- relative difference; both NULL (R's NA) is equal, one NULL is not
CREATE FUNCTION st.rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a IS NULL AND b IS NULL THEN 0
              WHEN a IS NULL OR b IS NULL THEN 'Infinity'
              WHEN a = b THEN 0
              ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;
CREATE FUNCTION st.tab(case_ text) RETURNS regclass LANGUAGE sql IMMUTABLE AS $$
  SELECT ('st.' || substring(case_ FROM '^[a-z]+'))::regclass $$;

-- a first look, with the notices R would print as warnings
SELECT term, round(estimate::numeric, 6) AS estimate, round(std_error::numeric, 6) AS std_error
FROM automl_lm('st.fac', 'y ~ grp * sex');
SELECT term, estimate IS NULL AS aliased FROM automl_lm('st.def', 'y ~ x1 + x2 + x3');

SET client_min_messages = warning;
-- coefficients: every term of R, no other, within tolerance
CREATE TEMP TABLE got AS
SELECT c.case_, a.* FROM (SELECT DISTINCT case_, formula FROM st.tidy_ref) c,
     LATERAL automl_lm(st.tab(c.case_), c.formula) a;
SELECT coalesce(r.case_, g.case_) AS case_, min(r.formula) AS formula,
       count(*) FILTER (WHERE r.term IS NULL OR g.term IS NULL) AS unmatched_terms,
       bool_and(st.rel(g.estimate, r.estimate) < 1e-8) AS estimate,
       bool_and(st.rel(g.std_error, r.std_error) < 1e-8) AS std_error,
       bool_and(st.rel(g.statistic, r.statistic) < 1e-8) AS statistic,
       bool_and(st.rel(g.p_value, r.p_value) < 1e-6) AS p_value,
       bool_and(st.rel(g.conf_low, r.conf_low) < 1e-8 AND st.rel(g.conf_high, r.conf_high) < 1e-8) AS conf
FROM st.tidy_ref r FULL JOIN got g ON g.case_ = r.case_ AND g.term = r.term
GROUP BY 1 ORDER BY 1;
-- (details of any difference; empty when all agree)
SELECT r.case_, r.term, g.term AS got_term, r.estimate, g.estimate AS got, r.p_value, g.p_value AS got_p
FROM st.tidy_ref r FULL JOIN got g ON g.case_ = r.case_ AND g.term = r.term
WHERE NOT (st.rel(g.estimate, r.estimate) < 1e-8 AND st.rel(g.std_error, r.std_error) < 1e-8
           AND st.rel(g.p_value, r.p_value) < 1e-6 AND st.rel(g.conf_low, r.conf_low) < 1e-8)
   OR r.term IS NULL OR g.term IS NULL;
-- term order is R's
SELECT c.case_, array_agg(a.term ORDER BY a.ord) = (SELECT array_agg(term ORDER BY ctid) FROM st.tidy_ref r WHERE r.case_ = c.case_) AS same_order
FROM (SELECT DISTINCT case_, formula FROM st.tidy_ref) c,
     LATERAL automl_lm(st.tab(c.case_), c.formula) WITH ORDINALITY a(term, e, s, t, p, l, h, ord)
GROUP BY c.case_ HAVING NOT (array_agg(a.term ORDER BY a.ord) = (SELECT array_agg(term ORDER BY ctid) FROM st.tidy_ref r WHERE r.case_ = c.case_));

-- glance
SELECT r.case_, g.df IS NOT DISTINCT FROM r.df AND g.df_residual = r.df_residual AND g.nobs = r.nobs AS dfs,
       st.rel(g.r_squared, r.r_squared) < 1e-8 AND st.rel(g.adj_r_squared, r.adj_r_squared) < 1e-8 AS r2,
       st.rel(g.sigma, r.sigma) < 1e-8 AND st.rel(g.statistic, r.statistic) < 1e-8 AS sigma_f,
       st.rel(g.p_value, r.p_value) < 1e-6 AS p_value,
       st.rel(g.log_lik, r.log_lik) < 1e-8 AND st.rel(g.aic, r.aic) < 1e-8 AND st.rel(g.bic, r.bic) < 1e-8
         AND st.rel(g.deviance, r.deviance) < 1e-8 AS likelihood
FROM st.glance_ref r, LATERAL automl_lm_glance(st.tab(r.case_), r.formula) g
ORDER BY 1;

-- ANOVA of types 1, 2, 3
CREATE TEMP TABLE got_anova AS
SELECT c.case_, c.type, a.* FROM (SELECT DISTINCT case_, type, formula FROM st.anova_ref) c,
     LATERAL automl_anova(CASE WHEN c.case_ IN ('a1', 'a3', 'a4', 'a6') THEN 'st.fac'::regclass
                               WHEN c.case_ IN ('d1', 'd2') THEN 'st.def'::regclass ELSE 'st.num'::regclass END,
                          c.formula, c.type) a;
SELECT coalesce(r.case_, g.case_) AS case_, coalesce(r.type, g.type) AS type, min(r.formula) AS formula,
       count(*) FILTER (WHERE r.term IS NULL OR g.term IS NULL) AS unmatched_terms,
       bool_and(g.df = r.df) AS df,
       bool_and(st.rel(g.sum_sq, r.sum_sq) < 1e-8 AND st.rel(g.mean_sq, r.mean_sq) < 1e-8) AS sum_sq,
       bool_and(st.rel(g.statistic, r.statistic) < 1e-8) AS statistic,
       bool_and(st.rel(g.p_value, r.p_value) < 1e-6) AS p_value
FROM st.anova_ref r FULL JOIN got_anova g ON g.case_ = r.case_ AND g.type = r.type AND g.term = r.term
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT r.case_, r.type, r.term, g.term AS got_term, r.sum_sq, g.sum_sq AS got, r.p_value, g.p_value AS got_p
FROM st.anova_ref r FULL JOIN got_anova g ON g.case_ = r.case_ AND g.type = r.type AND g.term = r.term
WHERE NOT (g.df = r.df AND st.rel(g.sum_sq, r.sum_sq) < 1e-8 AND st.rel(g.statistic, r.statistic) < 1e-8
           AND st.rel(g.p_value, r.p_value) < 1e-6) OR r.term IS NULL OR g.term IS NULL;
RESET client_min_messages;

-- a filter selects the rows (the same as a WHERE in R's subset)
SELECT (SELECT estimate FROM automl_lm('st.fac', 'y ~ age', '{"rules": [{"field": "sex", "operator": "equal", "value": "F"}]}') WHERE term = 'age')
     = (SELECT estimate FROM automl_lm('st.fac', 'y ~ age + grp', '{"rules": [{"field": "sex", "operator": "equal", "value": "F"}]}') WHERE term = 'age') AS different_models_differ;
CREATE TEMP TABLE fem AS SELECT * FROM st.fac WHERE sex = 'F';
SELECT bool_and(st.rel(a.estimate, b.estimate) < 1e-12) AS filter_equals_subset
FROM automl_lm('st.fac', 'y ~ age + grp', '{"rules": [{"field": "sex", "operator": "equal", "value": "F"}]}') a
JOIN automl_lm('fem', 'y ~ age + grp') b USING (term);

-- bad input: each a clear error with its SQLSTATE
\i test/regress_helpers.sql
SET client_min_messages = warning;
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ x1 +')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ x1 + (x2')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y x1')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ log(x1)')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ x1 $ x2')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ y')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', '~ x1')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ nope')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.fac', 'grp ~ age')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.fac', 'y ~ grp', '{"rules": [{"field": "grp", "operator": "equal", "value": "ctl"}]}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.fac', 'y ~ age', '{"rules": [{"field": "age", "operator": "less", "value": 0}]}')$$);
-- 6 rows for 8 coefficients is not an error: 6 are estimated (an exact fit,
-- no residual degrees of freedom: no standard errors), 2 are aliased
SELECT term, estimate IS NOT NULL AS estimated, std_error IS NULL AS no_std_error
FROM automl_lm('st.fac', 'y ~ grp * sex * age', '{"rules": [{"field": "age", "operator": "less", "value": 23}]}');
SELECT df, df_residual, nobs, sigma, log_lik, deviance
FROM automl_lm_glance('st.fac', 'y ~ grp * sex * age', '{"rules": [{"field": "age", "operator": "less", "value": 23}]}');
SELECT pg_temp.try($$SELECT * FROM automl_anova('st.fac', 'y ~ grp', 4)$$);
SELECT pg_temp.try($$SELECT * FROM automl_anova('st.def', 'y ~ x1 + x2 + x3', 2)$$);
SELECT pg_temp.try($$SELECT * FROM automl_anova('st.def', 'y ~ x1 + x2 + x3', 3)$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', NULL)$$);
SELECT pg_temp.try($$SELECT * FROM automl_lm('st.num', 'y ~ x1', '{"rules": [{"field": "x1; DROP TABLE st.num", "operator": "is_null"}]}')$$);
RESET client_min_messages;

SET client_min_messages = warning;
DROP SCHEMA st CASCADE;
RESET client_min_messages;
