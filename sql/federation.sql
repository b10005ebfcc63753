--
-- federation: what can be checked on one server (test/t/400_federation.pl
-- runs three): nodes => '{local}' equals the local fit (the federated path:
-- node functions in-process, factors stacked), the node catalogue, bad node
-- lists and bad calls of the node-side functions with their SQLSTATEs, a
-- node that is down, the feedback.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
RESET client_min_messages;
CREATE SCHEMA fed;
CREATE TABLE fed.p AS
SELECT g AS id, (g % 7) * 0.5 + sin(g) AS y, cos(g * 1.3) AS x1, (g % 11)::float8 AS x2,
       (ARRAY['a', 'b', 'c'])[1 + g % 3] AS grp, (ARRAY['F', 'M'])[1 + (g / 3) % 2] AS sex
FROM generate_series(1, 300) g;

-- largest relative difference between two result sets
CREATE FUNCTION fed.maxrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE sql AS $$
  SELECT max(CASE WHEN jsonb_typeof(x.value) = 'number' AND (x.value)::float8 <> (y.value)::float8
                  THEN abs((x.value)::float8 - (y.value)::float8) / greatest(abs((x.value)::float8), abs((y.value)::float8))
                  WHEN x.value IS DISTINCT FROM y.value AND jsonb_typeof(x.value) <> 'number' THEN 'Infinity'
                  ELSE 0 END)
  FROM generate_series(0, jsonb_array_length(a) - 1) i,
       jsonb_each(a->i) x JOIN jsonb_each(b->i) y USING (key)
$$;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_lm('fed.p', 'y ~ x1 + x2 * grp + sex', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_lm('fed.p', 'y ~ x1 + x2 * grp + sex') t)) < 1e-10 AS lm_equal;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_lm_glance('fed.p', 'y ~ x1 + grp', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_lm_glance('fed.p', 'y ~ x1 + grp') t)) < 1e-10 AS glance_equal;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_anova('fed.p', 'y ~ grp * sex + x1', 3, nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_anova('fed.p', 'y ~ grp * sex + x1', 3) t)) < 1e-10 AS anova3_equal;
SELECT automl_federation_feedback();
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_histogram('fed.p', 'y', 9, nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_histogram('fed.p', 'y', 9) t)) = 0 AS histogram_equal;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_histogram('fed.p', 'grp', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_histogram('fed.p', 'grp') t)) = 0 AS histogram_categories_equal;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_correlation('fed.p', '{y,x1,x2}', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_correlation('fed.p', '{y,x1,x2}') t)) < 1e-10 AS correlation_equal;
SELECT fed.maxrel((SELECT jsonb_agg(jsonb_build_object('c', component, 's', std_dev, 'p', proportion) || loadings) FROM automl_pca('fed.p', '{y,x1,x2}', nodes => '{local}') t),
                  (SELECT jsonb_agg(jsonb_build_object('c', component, 's', std_dev, 'p', proportion) || loadings) FROM automl_pca('fed.p', '{y,x1,x2}') t)) < 1e-10 AS pca_equal;
-- not federated: refused with 0A000
\set VERBOSITY terse
SELECT count(*) FROM automl_correlation('fed.p', '{y,x1}', 'spearman', nodes => '{local}');
SELECT count(*) FROM automl_correlation('fed.p', '{y,x1}', 'kendall', nodes => '{local}');
SELECT count(*) FROM automl_correlation('fed.p', '{y,x1}', 'nosuch', nodes => '{local}');
SELECT count(*) FROM automl_histogram('fed.p', 'y', 0, nodes => '{local}');
SELECT count(*) FROM automl_correlation('fed.p', '{y,grp}', nodes => '{local}');
SELECT count(*) FROM automl_pca('fed.p', '{y,sex}', nodes => '{local}');
SELECT count(*) FROM automl_pca('fed.p', '{y,x1}', filter => '{"rules": [{"field": "id", "operator": "less", "value": 3}]}', nodes => '{local}');
-- node-side calls with bad arguments
SELECT automl.node_histogram('fed.p', 'y', NULL, 5, 1, 'Infinity');
SELECT automl.node_histogram('fed.p', 'y', NULL, 5, 2, 1);
SELECT automl.node_histogram('fed.p', 'y', NULL, 100000, NULL, NULL);
SELECT automl.node_histogram('fed.p', NULL, NULL, 5, NULL, NULL);
SELECT automl.node_correlation('fed.p', '{}', NULL);
SELECT automl.node_correlation('fed.p', '{y,nosuch}', NULL);
SELECT automl.node_pca('fed.p', NULL, NULL);
SELECT automl.node_pca('fed.p', '{grp}', NULL);
SELECT automl.node_pca('fed.p', (SELECT array_agg(('c' || g)::name) FROM generate_series(1, 2000) g)::name[], NULL);
SELECT count(*) FROM automl_correlation('fed.p', (SELECT array_agg(('c' || g)::name) FROM generate_series(1, 2000) g)::name[], nodes => '{local}');
\set VERBOSITY default
-- small bins are not sent
SET automl.min_group_size = 40;
SELECT automl.node_histogram('fed.p', 'x2', NULL, 22, 0, 10);
SELECT bin, count FROM automl_histogram('fed.p', 'x1', 4, nodes => '{local}');
RESET automl.min_group_size;

-- suppression on the local node too: a group under automl.min_group_size
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1 + grp', '{"rules": [{"field": "id", "operator": "less", "value": 40}]}', nodes => '{local}');
SET automl.min_group_size = 20;
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1 + grp', '{"rules": [{"field": "id", "operator": "less", "value": 40}]}', nodes => '{local}');
SELECT automl_federation_feedback();
RESET automl.min_group_size;

-- a factor with one level in every node's complete rows: 22023, as the local automl_lm
\set VERBOSITY sqlstate
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1 + grp', '{"rules": [{"field": "grp", "operator": "equal", "value": "a"}]}', nodes => '{local}');
\set VERBOSITY default
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1 + grp', '{"rules": [{"field": "grp", "operator": "equal", "value": "a"}]}', nodes => '{local}');

-- bad node lists
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{}');
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{local,NULL}');
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{local,local}');
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{nosuch}');
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{{local}}');
SELECT count(*) FROM automl_lm(NULL, 'y ~ x1', nodes => '{local}');
SELECT count(*) FROM automl_lm('fed.p', 'grp ~ x1', nodes => '{local}');
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1 +', nodes => '{local}');
SELECT count(*) FROM automl_anova('fed.p', 'y ~ x1', 4, nodes => '{local}');

-- the catalogue: a node that is down is added with a warning
CREATE SERVER fed_down FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '1', dbname 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER fed_down OPTIONS (user 'nobody');
SELECT automl_node_add('down', 'fed_down');
SELECT name, server, last_seen IS NULL AS never_seen FROM automl.nodes;
SELECT automl_node_add('down', 'fed_down');
SELECT automl_node_add('local', 'fed_down');
SELECT automl_node_add('Bad Name', 'fed_down');
SELECT automl_node_add('x', 'no_such_server');
SELECT automl_node_add(NULL, 'fed_down');
CREATE FOREIGN DATA WRAPPER fed_other;
CREATE SERVER fed_other_srv FOREIGN DATA WRAPPER fed_other;
SELECT automl_node_add('other', 'fed_other_srv');
-- refreshing the catalogue: a node that is down is a row with its error, not an error
SELECT name, ok, version, tables, error FROM automl_node_refresh('down');
SELECT name, ok, error IS NOT NULL AS has_error FROM automl_node_refresh();
SELECT name, last_seen IS NULL AS never_seen FROM automl.nodes;
SELECT * FROM automl_node_refresh('nosuch');
SELECT * FROM automl_node_refresh('local');
SELECT * FROM automl_node_refresh('');
\set VERBOSITY sqlstate
SELECT * FROM automl_node_refresh('nosuch');
\set VERBOSITY default
-- privileges as automl_node_add's: USAGE on the server and a user mapping
CREATE ROLE fed_refresher;
SET ROLE fed_refresher;
SELECT * FROM automl_node_refresh('down');
\set VERBOSITY sqlstate
SELECT * FROM automl_node_refresh('down');
\set VERBOSITY default
SELECT name, ok, error FROM automl_node_refresh();
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER fed_down TO fed_refresher;
SET ROLE fed_refresher;
SELECT * FROM automl_node_refresh('down');
SELECT name, ok, error FROM automl_node_refresh();
RESET ROLE;
REVOKE USAGE ON FOREIGN SERVER fed_down FROM fed_refresher;
DROP ROLE fed_refresher;
-- calls with it: left out with feedback, or an error with strict
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{local,down}');
SELECT jsonb_array_length(automl_federation_feedback()), automl_federation_feedback()->0->>'node' AS node,
       automl_federation_feedback()->0->>'failure' AS failure;
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{local,down}', strict => true);
SELECT count(*) FROM automl_lm('fed.p', 'y ~ x1', nodes => '{down}');
SELECT automl_node_remove('down');
SELECT automl_node_remove('down');
SELECT automl_node_remove(NULL);

-- the node side called directly (a superuser is a member of every role)
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '[["a", "b", "c"]]', 'treatment')::jsonb->'n' AS n;
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '[["a", "b"]]', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '[null]', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ x1', NULL, '[["a", "b"]]', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ x1', NULL, '{}', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ x1', NULL, '[null]', 'helmert');
SELECT automl.node_lm('fed.p', 'y ~ x1', NULL, NULL, 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '[["a", null, "c"]]', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '["abc"]', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '[{"a": 1}]', 'treatment');
SELECT automl.node_lm('fed.p', 'y ~ grp', NULL, '[[1, 2, 3]]', 'treatment');
-- one round (protocol 2): the node's own levels, one column per cell of each term
SELECT j->'protocol' AS protocol, j->'n' AS n, j->'m' AS m, j->'levels' AS levels, j->'cols' AS cols,
       jsonb_array_length(j->'r') AS r_entries FROM (SELECT automl.node_lm('fed.p', 'y ~ x1 * grp + sex', NULL)::jsonb j) s;
SELECT automl.node_lm('fed.p', 'y ~ grp:sex', NULL)::jsonb->'cols' AS cols;
SELECT automl.node_lm('fed.p', 'y ~ grp', '{"rules": [{"field": "id", "operator": "less", "value": 5}]}');
SELECT automl.node_lm('fed.p', 'grp ~ x1', NULL);
SELECT automl.node_lm('fed.p', NULL, NULL);
SELECT automl.node_lm_levels('fed.p', 'y ~ grp + sex', NULL);
SELECT automl.node_lm_levels('fed.p', 'y ~ grp', '{"rules": [{"field": "id", "operator": "less", "value": 5}]}');
SELECT function, rows_aggregated, suppressed FROM automl.federation_log WHERE arguments->>'relation' = 'fed.p' ORDER BY id;
-- a role that is not a member
CREATE ROLE fed_outsider;
GRANT USAGE ON SCHEMA fed TO fed_outsider;
GRANT SELECT ON fed.p TO fed_outsider;
SET ROLE fed_outsider;
SELECT automl.node_lm_levels('fed.p', 'y ~ grp', NULL);
SELECT automl.node_info();
SELECT count(*) FROM automl.federation_log;
RESET ROLE;

-- automl_glm over nodes: one IRLS round per iteration, equal to the local fit
ALTER TABLE fed.p ADD COLUMN hit boolean, ADD COLUMN cnt int, ADD COLUMN x2b float8;
UPDATE fed.p SET hit = (y + x1 + 0.3 * sin(id * 7.1)) > 1.6, cnt = (id * 37 % 13) % 5, x2b = 2 * x2;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_glm('fed.p', 'hit ~ x1 + x2 + grp', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_glm('fed.p', 'hit ~ x1 + x2 + grp') t)) < 1e-8 AS glm_binomial_equal;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_glm('fed.p', 'cnt ~ x1 + sex', 'poisson', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_glm('fed.p', 'cnt ~ x1 + sex', 'poisson') t)) < 1e-8 AS glm_poisson_equal;
SELECT fed.maxrel((SELECT jsonb_agg(to_jsonb(t)) FROM automl_glm('fed.p', 'hit ~ x1 + x2 + x2b', nodes => '{local}') t),
                  (SELECT jsonb_agg(to_jsonb(t)) FROM automl_glm('fed.p', 'hit ~ x1 + x2 + x2b') t)) < 1e-8 AS glm_aliased_equal;
SELECT term, estimate IS NULL AS aliased FROM automl_glm('fed.p', 'hit ~ x1 + x2 + x2b', nodes => '{local}');
-- refusals: categorical response, bad family, numeric binomial not 0/1, NULLs
SELECT * FROM automl_glm('fed.p', 'grp ~ x1', nodes => '{local}');
SELECT * FROM automl_glm('fed.p', 'grp ~ x1', 'poisson', nodes => '{local}');
SELECT * FROM automl_glm('fed.p', 'hit ~ x1', 'gamma', nodes => '{local}');
SELECT * FROM automl_glm('fed.p', 'x2 ~ x1', nodes => '{local}');
SELECT * FROM automl_glm('fed.p', NULL, nodes => '{local}');
SELECT * FROM automl_glm('fed.p', 'hit ~ x1', nodes => '{no_such_node}');
-- suppression: fewer than min_group_size rows of one outcome
SELECT count(*) FROM automl_glm('fed.p', 'hit ~ x1', filter => '{"rules": [{"field": "id", "operator": "less", "value": 15}]}', nodes => '{local}');
-- node side, bad arguments
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, 'binomial', '[null]', NULL)::jsonb->'n' AS n;
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, 'binomial', '[null]', '[0.1]');
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, 'binomial', '[null]', '["a", 1]');
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, 'binomial', '{}', NULL);
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, 'normal', '[null]', NULL);
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, NULL, '[null]', NULL);
SELECT automl.node_glm('fed.p', 'grp ~ x1', NULL, 'binomial', '[null]', NULL);
SELECT automl.node_glm('fed.p', 'cnt ~ x1', NULL, 'binomial', '[null]', NULL);
SELECT function, arguments->>'first_pass' AS first_pass, rows_aggregated FROM automl.federation_log
WHERE function = 'automl.node_glm' ORDER BY id DESC LIMIT 1;
SET ROLE fed_outsider;
SELECT automl.node_glm('fed.p', 'hit ~ x1', NULL, 'binomial', '[null]', NULL);
RESET ROLE;

DROP SCHEMA fed CASCADE;
DROP SERVER fed_down CASCADE;
DROP FOREIGN DATA WRAPPER fed_other CASCADE;
DROP ROLE fed_outsider;
