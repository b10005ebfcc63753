--
-- federation_models: automl_fit over federation nodes on one server
-- (test/t/405_federation_nb.pl and 406_federation_kmeans.pl run three):
-- nodes => '{local}' equals the local fit (gaussian_nb), k-means from given
-- centres, refusals and bad calls of the node-side functions with their
-- SQLSTATEs, suppression on the local node.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA fedm;
CREATE TABLE fedm.p AS
SELECT g AS id, cos(g * 1.3) + (g % 3) AS x1, (g % 11)::float8 AS x2, (g % 5 = 0) AS b,
       (ARRAY['F', 'M'])[1 + (g / 3) % 2] AS sex, (ARRAY['a', 'b', 'c'])[1 + g % 3] AS grp,
       (g % 3) AS code
FROM generate_series(1, 300) g;
SET automl.min_group_size = 1;
\set VERBOSITY terse
-- a call's outcome as SQLSTATE: message
CREATE FUNCTION fedm.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- gaussian_nb over '{local}' equals the local fit: parameters and probabilities
CREATE FUNCTION fedm.jrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE m float8 := 0; k text;
BEGIN
  IF jsonb_typeof(a) IS DISTINCT FROM jsonb_typeof(b) THEN RETURN 'Infinity'; END IF;
  IF jsonb_typeof(a) = 'number' THEN
    IF a::float8 = b::float8 THEN RETURN 0; END IF;
    RETURN abs(a::float8 - b::float8) / greatest(abs(a::float8), abs(b::float8));
  ELSIF jsonb_typeof(a) = 'array' THEN
    IF jsonb_array_length(a) <> jsonb_array_length(b) THEN RETURN 'Infinity'; END IF;
    FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP m := greatest(m, fedm.jrel(a->i, b->i)); END LOOP;
    RETURN m;
  ELSIF jsonb_typeof(a) = 'object' THEN
    FOR k IN SELECT jsonb_object_keys(a) LOOP m := greatest(m, fedm.jrel(a->k, b->k)); END LOOP;
    RETURN m;
  END IF;
  RETURN CASE WHEN a = b THEN 0 ELSE 'Infinity'::float8 END;
END $$;
SET client_min_messages = warning;
SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', features => '{x1,x2,sex,b}', nodes => '{local}') AS f \gset
SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', features => '{x1,x2,sex,b}') AS l \gset
RESET client_min_messages;
SELECT fedm.jrel(f.pipeline->'estimator'->'state', l.pipeline->'estimator'->'state') < 1e-10 AS nb_state_equal,
       f.pipeline->'schema' = l.pipeline->'schema' AS same_schema, f.classes = l.classes AS same_classes,
       (SELECT max(fedm.jrel(automl_predict_proba(:f, t), automl_predict_proba(:l, t))) FROM fedm.p t) < 1e-10 AS proba_equal,
       f.metrics->'nodes' AS nodes, f.description
  FROM automl.models f, automl.models l WHERE f.id = :f AND l.id = :l;
-- an integer target with 3 values is classification, as locally
SELECT automl_fit('fedm.p', 'code', 'gaussian_nb', features => '{x1}', nodes => '{local}') > 0 AS integer_classes;
SELECT classes FROM automl.models ORDER BY id DESC LIMIT 1;

-- k-means over '{local}' from given centres: Lloyd on this server's rows
SELECT automl_fit('fedm.p', NULL, 'kmeans', '{"n_clusters": 2, "init": [[0, 0], [3, 10]]}', '{x1,x2}', nodes => '{local}') AS k \gset
SELECT metrics->'n_iter' AS n_iter, metrics->'init' AS init, pipeline->'estimator'->'state'->'sizes' AS sizes
  FROM automl.models WHERE id = :k;
SELECT cluster, size FROM automl_kmeans_centers(:k) ORDER BY cluster;

-- refusals
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'random_forest', features => '{x1}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', features => '{x1,grp}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'x1', 'gaussian_nb', features => '{x2}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', '{"var_smoothing": -1}', '{x1}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', features => '{x1}', task => 'regression', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', features => '{x1}', nodes => '{nowhere}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', 'grp', 'kmeans', features => '{x1}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', NULL, 'kmeans', '{"n_clusters": 2}', '{x1,sex}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', NULL, 'kmeans', '{"n_clusters": 2, "init": [[0, 0]]}', '{x1,x2}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', NULL, 'kmeans', '{"n_clusters": 0}', '{x1,x2}', nodes => '{local}')$$);
SELECT fedm.try($$SELECT automl_fit('fedm.p', NULL, 'kmeans', '{"n_clusters": 400}', '{x1,x2}', nodes => '{local}')$$);

-- the node side called directly
SELECT fedm.try($$SELECT automl.node_nb(NULL, 'grp', '{x1}', NULL)$$);
SELECT fedm.try($$SELECT automl.node_nb('fedm.p', 'grp', NULL, NULL)$$);
SELECT fedm.try($$SELECT automl.node_nb('fedm.p', 'grp', '{x1,x1}', NULL)$$);
SELECT fedm.try($$SELECT automl.node_nb('fedm.p', 'grp', '{}', NULL)$$);
SELECT fedm.try($$SELECT automl.node_nb('fedm.p', 'grp', '{nope}', NULL)$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, NULL, NULL, NULL)$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, 0, NULL, NULL)$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, 2, '[[0, 0]]', NULL)$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, 2, '[[0, 0], [1, "a"]]', NULL)$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, 2, '{"a": 1}', NULL)$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, 2, '[[0, 0], [1, 1]]', '[[0, 0]]')$$);
SELECT fedm.try($$SELECT automl.node_kmeans('fedm.p', '{x1,sex}', NULL, 2, NULL, NULL)$$);
SELECT automl.node_kmeans('fedm.p', '{x1,x2}', NULL, 2, '[[0, 0], [3, 10]]', '[[0, 0], [3, 10]]')::jsonb - 'clusters' AS lloyd_pass;

-- suppression on this node: its answer says only that
SET automl.min_group_size = 101;
SELECT automl.node_nb('fedm.p', 'grp', '{x1}', NULL);
SELECT automl_fit('fedm.p', 'grp', 'gaussian_nb', features => '{x1}', nodes => '{local}');
SET automl.min_group_size = 120;
SELECT automl.node_kmeans('fedm.p', '{x1,x2}', '{"rules": [{"field": "x2", "operator": "less", "value": 5}]}', 2, NULL, NULL);
RESET automl.min_group_size;
SELECT function, arguments->>'target' AS target, suppressed IS NOT NULL AS suppressed
  FROM automl.federation_log WHERE function = 'automl.node_nb' ORDER BY id DESC LIMIT 1;

DROP SCHEMA fedm CASCADE;
