--
-- federation_rounds: automl_summary over nodes => '{local}' gives the
-- local summary's quartiles, median, min and max exactly (bisection on
-- counts, src/federation/fed_quantile.c; test/t/404 runs three clusters),
-- the node side automl.node_quantile and its bad arguments, suppression;
-- automl_histogram(..., group_by, nodes => '{local}') = the local one
-- (src/federation/fed_histogram_groups.c; test/t/401 runs three clusters),
-- automl.node_histogram_groups and its bad arguments, suppression.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA fq;
-- ties, negative values, NULLs, a NaN, a boolean, a categorical column, a tiny column
CREATE TABLE fq.p AS
SELECT g AS id, round((sin(g) * 40)::numeric, 1)::float8 AS x,
       CASE WHEN g % 13 = 0 THEN NULL ELSE (g % 7) - 3.25 END AS y,
       CASE WHEN g % 20 = 5 THEN 'NaN'::float8 ELSE exp(g / 60.0) END AS z,
       g % 3 = 0 AS b, (ARRAY['a', 'b', 'c'])[1 + g % 3] AS grp, 1e-300 * g AS tiny
FROM generate_series(1, 301) g;

CREATE FUNCTION fq.same(f jsonb) RETURNS TABLE (column_name text, exact boolean, moments boolean) LANGUAGE sql AS $$
  SELECT l.column_name,
         (l.min, l.q1, l.median, l.q3, l.max, l.count, l.null_count)
           IS NOT DISTINCT FROM (r.min, r.q1, r.median, r.q3, r.max, r.count, r.null_count),
         coalesce(abs(l.mean - r.mean) <= 1e-14 * abs(l.mean) AND abs(l.std - r.std) <= 1e-14 * l.std, l.mean IS NULL)
  FROM automl_summary('fq.p', filter => f) l
  JOIN automl_summary('fq.p', filter => f, nodes => '{local}') r USING (column_name)
  ORDER BY 1
$$;
SET client_min_messages = warning;
SELECT * FROM fq.same(NULL);
SELECT * FROM fq.same('{"rules": [{"field": "id", "operator": "less", "value": 240}]}');
RESET client_min_messages;
SELECT column_name, q1, median, q3 FROM automl_summary('fq.p', '{y,b,grp}', nodes => '{local}');
SELECT automl.node_quantile('fq.p', '{x}', NULL, '[[0]]');
SELECT arguments->>'columns' AS columns, arguments->>'thresholds' AS thresholds, rows_aggregated
FROM automl.federation_log WHERE function = 'automl.node_quantile' ORDER BY id DESC LIMIT 1;

-- a quartile in a node's rare tail: min_group_size 120 > a quarter of 301 rows
SET automl.min_group_size = 120;
SELECT column_name, min IS NOT NULL AS min, q1, median IS NOT NULL AS median, q3, max IS NOT NULL AS max
FROM automl_summary('fq.p', '{x}', nodes => '{local}');
SELECT f->>'message' FROM jsonb_array_elements(automl_federation_feedback()) f;
SET automl.min_group_size = 10;
SELECT automl.node_quantile('fq.p', '{x}', NULL, '[[-41, -40, 0, 30, 39.9, 40]]');
SELECT automl.node_quantile('fq.p', '{x}', '{"rules": [{"field": "id", "operator": "less", "value": 3}]}', '[[0]]');

-- node side, bad arguments
\set VERBOSITY terse
SELECT automl.node_quantile('fq.p', '{x}', NULL, NULL);
SELECT automl.node_quantile(NULL, '{x}', NULL, '[[0]]');
SELECT automl.node_quantile('fq.p', NULL, NULL, '[[0]]');
SELECT automl.node_quantile('fq.p', '{x}', NULL, 'not json');
SELECT automl.node_quantile('fq.p', '{x}', NULL, '{"x": [0]}');
SELECT automl.node_quantile('fq.p', '{x,y}', NULL, '[[0]]');
SELECT automl.node_quantile('fq.p', '{x}', NULL, '[["a"]]');
SELECT automl.node_quantile('fq.p', '{x}', NULL, '[0]');
SELECT automl.node_quantile('fq.p', '{grp}', NULL, '[[0]]');
SELECT automl.node_quantile('fq.p', '{nosuch}', NULL, '[[0]]');
SELECT automl.node_quantile('fq.p', '{x}', NULL, '[[' || repeat('0,', 1000000) || '0]]');
CREATE ROLE fq_outsider;
GRANT USAGE ON SCHEMA fq TO fq_outsider;
GRANT SELECT ON fq.p TO fq_outsider;
SET ROLE fq_outsider;
SELECT automl.node_quantile('fq.p', '{x}', NULL, '[[0]]');
RESET ROLE;
\set VERBOSITY default

-- histograms per group: numeric, categorical and boolean group columns, NULL groups
CREATE FUNCTION fq.hsame(col name, g name[], bins int, f jsonb) RETURNS boolean LANGUAGE sql AS $$
  SELECT (SELECT jsonb_agg(to_jsonb(t)) FROM automl_histogram('fq.p', col, bins, g, f) t) =
         (SELECT jsonb_agg(to_jsonb(t)) FROM automl_histogram('fq.p', col, bins, g, f, nodes => '{local}') t)
$$;
SET automl.min_group_size = 1;
SET client_min_messages = warning;
SELECT fq.hsame('x', '{grp}', 10, NULL) AS by_category,
       fq.hsame('x', '{b,grp}', 7, NULL) AS by_boolean_and_category,
       fq.hsame('z', '{y}', 5, NULL) AS by_number_with_nulls,
       fq.hsame('grp', '{b}', 20, NULL) AS categorical_by_boolean,
       fq.hsame('x', '{grp}', 4, '{"rules": [{"field": "id", "operator": "less", "value": 100}]}') AS filtered;
RESET client_min_messages;
SELECT group_values, bin, count FROM automl_histogram('fq.p', 'x', 2, '{b}', nodes => '{local}');
-- suppression: groups and bins under automl.min_group_size
SET automl.min_group_size = 40;
SELECT group_values, bin, count FROM automl_histogram('fq.p', 'x', 2, '{y}', nodes => '{local}');
SELECT f->>'message' FROM jsonb_array_elements(automl_federation_feedback()) f;
SET automl.min_group_size = 10;
SELECT automl.node_histogram_groups('fq.p', 'x', '{b}', NULL, 2, -40, 40, NULL);
SELECT automl.node_histogram_groups('fq.p', 'grp', '{b}', NULL, NULL, NULL, NULL, '["a", "c"]');
\set VERBOSITY terse
SELECT count(*) FROM automl_histogram('fq.p', 'x', 2, '{x}', nodes => '{local}');
SELECT count(*) FROM automl_histogram('fq.p', 'x', 2, '{nosuch}', nodes => '{local}');
SELECT count(*) FROM automl_histogram('fq.p', 'x', 2, '{NULL}', nodes => '{local}');
SELECT automl.node_histogram_groups('fq.p', 'x', NULL, NULL, 2, -40, 40, NULL);
SELECT automl.node_histogram_groups('fq.p', 'x', '{b}', NULL, 2, NULL, 40, NULL);
SELECT automl.node_histogram_groups('fq.p', 'x', '{b}', NULL, 2, 40, -40, NULL);
SELECT automl.node_histogram_groups('fq.p', 'x', '{b}', NULL, 0, -40, 40, NULL);
SELECT automl.node_histogram_groups('fq.p', 'x', '{b}', NULL, 2, -40, 40, '["a"]');
SELECT automl.node_histogram_groups('fq.p', 'grp', '{b}', NULL, 2, -40, 40, NULL);
SELECT automl.node_histogram_groups('fq.p', 'grp', '{b}', NULL, NULL, NULL, NULL, '["c", "a"]');
SELECT automl.node_histogram_groups('fq.p', 'grp', '{b}', NULL, NULL, NULL, NULL, '[1]');
SELECT automl.node_histogram_groups('fq.p', 'grp', '{grp}', NULL, NULL, NULL, NULL, '["a"]');
SET ROLE fq_outsider;
SELECT automl.node_histogram_groups('fq.p', 'x', '{b}', NULL, 2, -40, 40, NULL);
RESET ROLE;
\set VERBOSITY default
SELECT arguments->>'group_by' AS group_by, arguments->>'bins' AS bins, rows_aggregated, suppressed
FROM automl.federation_log WHERE function = 'automl.node_histogram_groups' ORDER BY id DESC LIMIT 1;

DROP SCHEMA fq CASCADE;
DROP ROLE fq_outsider;
