--
-- stats_describe: automl_histogram (counts as R's hist with equal-width
-- breaks over [min, max]) and automl_pca (R's prcomp, loadings signed so
-- that each component's largest loading is positive) against
-- test/reference/stats/{hist,pca}_ref.csv (reference.R).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA sd;
CREATE TABLE sd.num (id int, y float8, x1 float8, x2 float8, x3 float8);
CREATE TABLE sd.fac (id int, y float8, grp text, sex text, age float8, flag boolean);
CREATE TABLE sd.glm (a float8, b float8, cat3 text, outcome text, sick boolean, count int, three text);
\copy sd.num FROM 'test/reference/stats/lm_num.csv' CSV HEADER
\copy sd.fac FROM 'test/reference/stats/lm_fac.csv' CSV HEADER
\copy sd.glm FROM 'test/reference/stats/glm.csv' CSV HEADER
CREATE TABLE sd.ints AS SELECT v FROM generate_series(0, 40) v, generate_series(1, 3);
CREATE TABLE sd.hist_ref (case_ text, grp text, bin int, lower float8, upper float8, count bigint);
CREATE TABLE sd.pca_ref (case_ text, component int, std_dev float8, variable text, loading float8);
\copy sd.hist_ref FROM 'test/reference/stats/hist_ref.csv' CSV HEADER
\copy sd.pca_ref FROM 'test/reference/stats/pca_ref.csv' CSV HEADER
CREATE FUNCTION sd.rel(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a IS NULL AND b IS NULL THEN 0
              WHEN a IS NULL OR b IS NULL THEN 'Infinity'
              WHEN a = b THEN 0
              ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;

-- histograms
SELECT * FROM automl_histogram('sd.num', 'x1', 7);
SELECT group_values, bin, lower, upper, count FROM automl_histogram('sd.fac', 'age', 4, '{sex}');
SELECT group_values, bin, count, category FROM automl_histogram('sd.fac', 'grp', group_by => '{flag}');
SET client_min_messages = warning;
CREATE TEMP TABLE got AS
SELECT 'h1' AS case_, 'all' AS grp, * FROM automl_histogram('sd.num', 'y')
UNION ALL SELECT 'h2', 'all', * FROM automl_histogram('sd.num', 'x1', 7)
UNION ALL SELECT 'h3', h.group_values->>'sex', h.* FROM automl_histogram('sd.fac', 'age', 10, '{sex}') h
UNION ALL SELECT 'h4', 'all', * FROM automl_histogram('sd.ints', 'v', 8);
SELECT r.case_, count(*) AS bins, bool_and(g.count = r.count) AS counts,
       bool_and(sd.rel(g.lower, r.lower) < 1e-12 AND sd.rel(g.upper, r.upper) < 1e-12) AS breaks
FROM sd.hist_ref r LEFT JOIN got g ON g.case_ = r.case_ AND g.grp = r.grp AND g.bin = r.bin
GROUP BY 1 ORDER BY 1;
SELECT count(*) AS extra_bins FROM got g
WHERE NOT EXISTS (SELECT FROM sd.hist_ref r WHERE g.case_ = r.case_ AND g.grp = r.grp AND g.bin = r.bin);
RESET client_min_messages;

-- PCA
SELECT component, round(std_dev::numeric, 6) AS std_dev, round(proportion::numeric, 6) AS proportion,
       round(cumulative::numeric, 6) AS cumulative
FROM automl_pca('sd.num', '{y,x1,x2,x3}');
SET client_min_messages = warning;
CREATE TEMP TABLE got_pca AS
SELECT 'p1' AS case_, * FROM automl_pca('sd.num', '{y,x1,x2,x3}')
UNION ALL SELECT 'p2', * FROM automl_pca('sd.num', '{y,x1,x2,x3}', false)
UNION ALL SELECT 'p3', * FROM automl_pca('sd.glm', '{a,b,count}');
SELECT r.case_, r.component, bool_and(sd.rel(g.std_dev, r.std_dev) < 1e-8) AS std_dev,
       bool_and(abs((g.loadings->>r.variable)::float8 - r.loading) < 1e-8) AS loadings
FROM sd.pca_ref r JOIN got_pca g USING (case_, component)
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT case_, max(cumulative) = 1 AS sums_to_one FROM got_pca GROUP BY 1 ORDER BY 1;

-- bad input
\i test/regress_helpers.sql
SELECT pg_temp.try($$SELECT * FROM automl_histogram('sd.num', 'x1', 0)$$);
SELECT pg_temp.try($$SELECT * FROM automl_histogram('sd.num', 'x1', group_by => '{x1}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_histogram('sd.num', 'nope')$$);
SELECT pg_temp.try($$SELECT * FROM automl_pca('sd.fac', '{y,grp}')$$);
SELECT pg_temp.try($$SELECT * FROM automl_pca('sd.fac', '{y,age}', filter => '{"rules": [{"field": "id", "operator": "equal", "value": 1}]}')$$);
CREATE TABLE sd.const AS SELECT i::float8 AS a, 1.0::float8 AS b FROM generate_series(1, 5) i;
SELECT pg_temp.try($$SELECT * FROM automl_pca('sd.const')$$);
SELECT count(*) AS components FROM automl_pca('sd.const', scale => false);
RESET client_min_messages;
DROP SCHEMA sd CASCADE;
