--
-- federation_fedml: automl_experiment over federation nodes, multinomial and
-- Bernoulli naive Bayes and k-NN over nodes, on one server ('{local}'; the
-- TAP tests 405, 407, 408 run three): results and every bad call of the
-- node-side functions with its SQLSTATE.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
CREATE SCHEMA fedx;
CREATE TABLE fedx.p AS
SELECT g AS id, cos(g * 1.3) + (g % 3) AS x1, (g % 11)::float8 AS x2,
       (ARRAY['F', 'M'])[1 + (g / 3) % 2] AS sex, (ARRAY['a', 'b', 'c'])[1 + g % 3] AS grp
FROM generate_series(1, 300) g;
SET automl.min_group_size = 1;
\set VERBOSITY terse
CREATE FUNCTION fedx.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- discrete naive Bayes over '{local}' = the local fit (estimator state, predictions)
SET client_min_messages = warning;
CREATE TEMP TABLE m AS
SELECT algo, automl_fit('fedx.p', 'grp', algo, features => '{x1,x2,sex}', nodes => '{local}') f,
       automl_fit('fedx.p', 'grp', algo, features => '{x1,x2,sex}') l
  FROM unnest(ARRAY['multinomial_nb', 'bernoulli_nb']) algo;
RESET client_min_messages;
CREATE FUNCTION fedx.maxrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE sql AS $$
  SELECT max(CASE WHEN x.v::float8 = y.v::float8 THEN 0
                  ELSE abs(x.v::float8 - y.v::float8) / greatest(abs(x.v::float8), abs(y.v::float8)) END)
    FROM jsonb_path_query(a, 'strict $.** ? (@.type() == "number")') WITH ORDINALITY x(v, i)
    JOIN jsonb_path_query(b, 'strict $.** ? (@.type() == "number")') WITH ORDINALITY y(v, i) USING (i)
$$;
SELECT m.algo,
       fedx.maxrel(f.pipeline->'estimator'->'state', l.pipeline->'estimator'->'state') < 1e-10 AS state_equal,
       (SELECT count(*) FROM fedx.p t WHERE automl_predict(m.f, t) IS DISTINCT FROM automl_predict(m.l, t)) AS labels_differing
  FROM m JOIN automl.models f ON f.id = m.f JOIN automl.models l ON l.id = m.l
 ORDER BY 1;

-- k-NN over nodes: this server does not let rows leave (default)
SELECT fedx.try($$SELECT automl_fit('fedx.p', 'grp', 'knn', features => '{x1,x2}', nodes => '{local}')$$);
SELECT fedx.try($$SELECT automl_fit('fedx.p', 'grp', 'knn', features => '{x1,x2}', nodes => '{local}', strict => true)$$);
SELECT fedx.try($$SELECT automl.node_rows('fedx.p', 'grp', '{x1}', NULL)$$);
SELECT current_setting('automl.federation_allow_rows');

-- experiment over '{local}': naiveBayes validated on the node, knn an error item
SET client_min_messages = warning;
SELECT i->'algorithmSpec'->>'code' AS code, i->>'error' AS error,
       i->'validations'->0->'data'->>'type' AS validation,
       (i->'validations'->0->'data'->'average'->>'Accuracy')::float8 > 0.3 AS accuracy_ok
FROM jsonb_array_elements(automl_experiment('{"variables": [{"code": "grp"}], "covariables": [{"code": "x1"}, {"code": "x2"}, {"code": "sex"}], "targetTable": {"dbSchema": "fedx", "name": "p"}, "algorithms": [{"code": "naiveBayes"}, {"code": "knn"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "3"}]}]}', false, '{local}')->'data') i;
RESET client_min_messages;
SELECT fedx.try($$SELECT automl_experiment('{"variables": [{"code": "grp"}], "covariables": [{"code": "x1"}], "targetTable": {"dbSchema": "fedx", "name": "p"}, "algorithms": [{"code": "knn"}]}', true, '{local}')$$);

-- node side: bad calls
SELECT fedx.try($$SELECT automl.node_nb_folds('fedx.p', 'grp', '{x1}', NULL, 1)$$);
SELECT fedx.try($$SELECT automl.node_nb_folds('fedx.p', 'grp', '{x1}', NULL, NULL)$$);
SELECT fedx.try($$SELECT automl.node_nb_folds('fedx.p', 'grp', '{x1}', NULL, 1001)$$);
SELECT fedx.try($$SELECT automl.node_nb_folds(NULL, 'grp', '{x1}', NULL, 2)$$);
SELECT fedx.try($$SELECT automl.node_nb_folds('fedx.p', 'grp', '{nope}', NULL, 2)$$);
SELECT fedx.try($$SELECT automl.node_nb_validate('fedx.p', 'grp', '{x1}', NULL, 2, '[]')$$);
SELECT fedx.try($$SELECT automl.node_nb_validate('fedx.p', 'grp', '{x1}', NULL, 2, '{"classes": ["a"], "pipelines": [1, 2]}')$$);
SELECT fedx.try($$SELECT automl.node_nb_validate('fedx.p', 'grp', '{x1}', NULL, 2, '{"classes": [], "pipelines": [{}, {}]}')$$);
SELECT fedx.try($$SELECT automl.node_nb_validate('fedx.p', 'grp', '{x1}', NULL, 2, NULL)$$);
SELECT fedx.try($$SELECT automl.node_nb_counts('fedx.p', 'grp', '{x1}', NULL, '[]')$$);
SELECT fedx.try($$SELECT automl.node_nb_counts('fedx.p', 'grp', '{x1}', NULL, '{"minmax": false}')$$);
SELECT fedx.try($$SELECT automl.node_nb_counts('fedx.p', 'grp', '{x1}', NULL, '{"above": [{"offset": 0}], "binarize": 0}')$$);
SELECT fedx.try($$SELECT automl.node_nb_counts('fedx.p', 'grp', '{sex}', NULL, '{"above": [{"offset": 0, "scale": 1}], "binarize": 0}')$$);
SELECT fedx.try($$SELECT automl.node_nb_counts('fedx.p', 'grp', '{x1}', NULL, '{"above": [{"offset": 0, "scale": 1}]}')$$);
SELECT fedx.try($$SELECT automl.node_nb_counts('fedx.p', 'grp', '{x1}', NULL, NULL)$$);
-- a well-formed threshold round: per class the rows above
SELECT automl.node_nb_counts('fedx.p', 'grp', '{x1,x2}', NULL, '{"above": [{"offset": 1, "scale": 1}, null], "binarize": 0}');
-- the log of what left
SELECT function, rows_aggregated, suppressed, arguments->>'request' AS request FROM automl.federation_log
 WHERE arguments->>'relation' = 'fedx.p' ORDER BY id;
