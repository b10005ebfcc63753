--
-- stats_glm: automl_glm against R 4.x glm() (binomial/logit, poisson/log):
-- estimates, standard errors, z statistics, p-values and Wald intervals
-- (confint.default) from test/reference/stats/glm_ref.csv (reference.R).
-- Tolerances: 1e-8 relative on estimates and statistics, 1e-6 on p-values.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA sg;
CREATE TABLE sg.glm (a float8, b float8, cat3 text, outcome text, sick boolean, count int, three text);
\copy sg.glm FROM 'test/reference/stats/glm.csv' CSV HEADER
CREATE VIEW sg.glm6 AS SELECT a, b, cat3, sick FROM sg.glm;
CREATE TABLE sg.ref (case_ text, family text, formula text, term text, estimate float8, std_error float8,
    statistic float8, p_value float8, conf_low float8, conf_high float8);
\copy sg.ref FROM 'test/reference/stats/glm_ref.csv' CSV HEADER
CREATE FUNCTION sg.rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a IS NULL AND b IS NULL THEN 0
              WHEN a IS NULL OR b IS NULL THEN 'Infinity'
              WHEN a = b THEN 0
              ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;

SELECT term, round(estimate::numeric, 6) AS estimate, round(std_error::numeric, 6) AS std_error,
       round(conf_low::numeric, 6) AS conf_low, round(conf_high::numeric, 6) AS conf_high
FROM automl_glm('sg.glm', 'outcome ~ a + b');

SET client_min_messages = warning;
CREATE TEMP TABLE got AS
SELECT c.case_, g.* FROM (SELECT DISTINCT case_, family, formula FROM sg.ref) c,
     LATERAL automl_glm(CASE WHEN c.case_ = 'g6' THEN 'sg.glm6'::regclass ELSE 'sg.glm'::regclass END,
                        c.formula, c.family) g;
SELECT coalesce(r.case_, g.case_) AS case_, min(r.family) AS family, min(r.formula) AS formula,
       count(*) FILTER (WHERE r.term IS NULL OR g.term IS NULL) AS unmatched_terms,
       bool_and(sg.rel(g.estimate, r.estimate) < 1e-8) AS estimate,
       bool_and(sg.rel(g.std_error, r.std_error) < 1e-8) AS std_error,
       bool_and(sg.rel(g.statistic, r.statistic) < 1e-8) AS statistic,
       bool_and(sg.rel(g.p_value, r.p_value) < 1e-6) AS p_value,
       bool_and(sg.rel(g.conf_low, r.conf_low) < 1e-8 AND sg.rel(g.conf_high, r.conf_high) < 1e-8) AS wald
FROM sg.ref r FULL JOIN got g ON g.case_ = r.case_ AND g.term = r.term
GROUP BY 1 ORDER BY 1;
SELECT r.case_, r.term, g.term AS got_term, r.estimate, g.estimate AS got, r.std_error, g.std_error AS got_se
FROM sg.ref r FULL JOIN got g ON g.case_ = r.case_ AND g.term = r.term
WHERE NOT (sg.rel(g.estimate, r.estimate) < 1e-8 AND sg.rel(g.std_error, r.std_error) < 1e-8
           AND sg.rel(g.p_value, r.p_value) < 1e-6) OR r.term IS NULL OR g.term IS NULL;

-- bad input
\i test/regress_helpers.sql
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'three ~ a')$$);
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'count ~ a')$$);
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'outcome ~ a', 'poisson')$$);
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'a ~ b', 'poisson')$$);
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'sick ~ a', 'gaussian')$$);
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'sick ~ a +* b')$$);
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'sick ~ a', filter => '{"rules": [{"field": "a", "operator": "greater", "value": 100}]}')$$);
-- (automl_lm takes fewer rows than coefficients as R does; automl_glm refuses them)
SELECT pg_temp.try($$SELECT * FROM automl_glm('sg.glm', 'count ~ a * b + cat3', 'poisson', filter => '{"rules": [{"field": "a", "operator": "greater", "value": 2.7}]}')$$);
DROP SCHEMA sg CASCADE;
RESET client_min_messages;
