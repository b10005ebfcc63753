--
-- stats_tests: automl_correlation, automl_t_test, automl_chisq_test against
-- R 4.x cor.test, t.test, chisq.test (test/reference/stats/tests_ref.csv,
-- made by reference.R).  1e-8 relative on estimates/statistics, 1e-6 on
-- p-values.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA tt;
CREATE TABLE tt.num (id int, y float8, x1 float8, x2 float8, x3 float8);
CREATE TABLE tt.fac (id int, y float8, grp text, sex text, age float8, flag boolean);
CREATE TABLE tt.glm (a float8, b float8, cat3 text, outcome text, sick boolean, count int, three text);
\copy tt.num FROM 'test/reference/stats/lm_num.csv' CSV HEADER
\copy tt.fac FROM 'test/reference/stats/lm_fac.csv' CSV HEADER
\copy tt.glm FROM 'test/reference/stats/glm.csv' CSV HEADER
CREATE TABLE tt.ref (case_ text, x text, y text, estimate float8, estimate1 float8, estimate2 float8,
    statistic float8, p_value float8, parameter float8, conf_low float8, conf_high float8,
    method text, n bigint);
\copy tt.ref FROM 'test/reference/stats/tests_ref.csv' CSV HEADER
CREATE FUNCTION tt.rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a IS NULL AND b IS NULL THEN 0
              WHEN a IS NULL OR b IS NULL THEN 'Infinity'
              WHEN a = b THEN 0
              ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;

-- correlations: every pair, pairwise-complete rows
SELECT x, y, round(estimate::numeric, 6) AS estimate, n FROM automl_correlation('tt.num', '{y,x1,x2,x3}');
CREATE TEMP TABLE got AS
SELECT 'c1' AS case_, * FROM automl_correlation('tt.num', '{y,x1,x2,x3}')
UNION ALL SELECT 'c2', * FROM automl_correlation('tt.num', '{y,x1,x2,x3}', 'spearman')
UNION ALL SELECT 'c3', * FROM automl_correlation('tt.num', '{y,x1,x2,x3}', 'kendall')
UNION ALL SELECT 'c4', * FROM automl_correlation('tt.num', '{x1,x2,x3}', 'kendall',
                               '{"rules": [{"field": "id", "operator": "less_or_equal", "value": 30}]}')
UNION ALL SELECT 'c5', * FROM automl_correlation('tt.glm', '{a,count}', 'spearman')
UNION ALL SELECT 'c6', * FROM automl_correlation('tt.glm', '{a,b,count}', 'kendall')
UNION ALL SELECT 'c7', * FROM automl_correlation('tt.num', '{x1,x2}', 'spearman',
                               '{"rules": [{"field": "id", "operator": "less_or_equal", "value": 8}]}')
UNION ALL SELECT 'c8', * FROM automl_correlation('tt.num', '{x1,x2}', 'spearman',
                               '{"rules": [{"field": "id", "operator": "less_or_equal", "value": 40}]}');
SELECT r.case_, r.x, r.y, g.n = r.n AS n,
       tt.rel(g.estimate, r.estimate) < 1e-8 AS estimate,
       tt.rel(g.statistic, r.statistic) < 1e-8 AS statistic,
       tt.rel(g.p_value, r.p_value) < 1e-6 AS p_value,
       tt.rel(g.conf_low, r.conf_low) < 1e-8 AND tt.rel(g.conf_high, r.conf_high) < 1e-8 AS conf
FROM tt.ref r LEFT JOIN got g ON g.case_ = r.case_ AND g.x = r.x AND g.y = r.y
WHERE r.case_ LIKE 'c%' ORDER BY 1, 2, 3;

-- t-tests
CREATE TEMP TABLE got_t AS
SELECT 't1' AS case_, * FROM automl_t_test('tt.fac', 'y ~ sex')
UNION ALL SELECT 't2', * FROM automl_t_test('tt.fac', 'y ~ sex', var_equal => true)
UNION ALL SELECT 't3', * FROM automl_t_test('tt.fac', 'y ~ 1', mu => 7)
UNION ALL SELECT 't4', * FROM automl_t_test('tt.num', 'x1 ~ x2', paired => true)
UNION ALL SELECT 't5', * FROM automl_t_test('tt.fac', 'y ~ flag', mu => 0.25);
SELECT case_, method, round(estimate::numeric, 6) AS estimate, round(parameter::numeric, 4) AS df FROM got_t ORDER BY 1;
SELECT r.case_, g.method = r.method AS method,
       tt.rel(g.estimate, coalesce(r.estimate1 - r.estimate2, r.estimate)) < 1e-8 AS estimate,
       tt.rel(g.estimate1, r.estimate1) < 1e-8 AND tt.rel(g.estimate2, r.estimate2) < 1e-8 AS estimates,
       tt.rel(g.statistic, r.statistic) < 1e-8 AND tt.rel(g.parameter, r.parameter) < 1e-8 AS statistic,
       tt.rel(g.p_value, r.p_value) < 1e-6 AS p_value,
       tt.rel(g.conf_low, r.conf_low) < 1e-8 AND tt.rel(g.conf_high, r.conf_high) < 1e-8 AS conf
FROM tt.ref r LEFT JOIN got_t g USING (case_) WHERE r.case_ LIKE 't%' ORDER BY 1;

-- chi-square tests
CREATE TEMP TABLE got_x AS
SELECT 'x1' AS case_, * FROM automl_chisq_test('tt.fac', 'grp', 'sex')
UNION ALL SELECT 'x2', * FROM automl_chisq_test('tt.fac', 'sex', 'flag')
UNION ALL SELECT 'x3', * FROM automl_chisq_test('tt.glm', 'cat3', 'three');
SELECT r.case_, g.method, g.n = r.n AS n, g.parameter = r.parameter AS df,
       tt.rel(g.statistic, r.statistic) < 1e-8 AS statistic, tt.rel(g.p_value, r.p_value) < 1e-6 AS p_value
FROM tt.ref r LEFT JOIN got_x g USING (case_) WHERE r.case_ LIKE 'x%' ORDER BY 1;

-- bad input
\i test/regress_helpers.sql
SET client_min_messages = warning;
SELECT pg_temp.try($$SELECT * FROM automl_t_test('tt.fac', 'y ~ grp')$$);
SELECT pg_temp.try($$SELECT * FROM automl_t_test('tt.fac', 'y ~ sex + age')$$);
SELECT pg_temp.try($$SELECT * FROM automl_t_test('tt.fac', 'sex ~ 1')$$);
SELECT pg_temp.try($$SELECT * FROM automl_t_test('tt.fac', 'y ~ 1', paired => true)$$);
SELECT pg_temp.try($$SELECT * FROM automl_t_test('tt.fac', 'y ~ sex', mu => 'NaN')$$);
SELECT pg_temp.try($$SELECT * FROM automl_t_test('tt.fac', 'y ~ sex', filter => '{"rules": [{"field": "id", "operator": "less", "value": 3}]}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_correlation('tt.fac', '{y,grp}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_correlation('tt.fac', '{y}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_correlation('tt.fac', NULL, 'pearsons')$$);
SELECT pg_temp.try($$SELECT * FROM automl_correlation('tt.fac', '{y,nope}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_chisq_test('tt.fac', 'sex', 'sex')$$);
SELECT pg_temp.try($$SELECT * FROM automl_chisq_test('tt.fac', 'sex', 'grp', '{"rules": [{"field": "sex", "operator": "equal", "value": "F"}]}')$$);
RESET client_min_messages;
DROP SCHEMA tt CASCADE;
