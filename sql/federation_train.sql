--
-- federation_train: cross-site AutoML on one server (test/t/409_federation_train.pl
-- runs three): the node-side functions automl.node_train and automl.node_score
-- (a node_score equals automl_evaluate_metrics of the same model), suppression
-- under automl.min_group_size, and every bad call with its SQLSTATE.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
CREATE SCHEMA fedt;
CREATE TABLE fedt.p AS
SELECT cos(g * 1.3) + (g % 3) AS x1, (g % 11)::float8 AS x2,
       (ARRAY['F', 'M'])[1 + (g / 3) % 2] AS sex,
       (ARRAY['a', 'b', 'c'])[1 + (g * 7) % 3] AS y, cos(g * 0.7) * 3 + g % 5 AS v
FROM generate_series(1, 200) g;
SET automl.min_group_size = 10;
\set VERBOSITY terse
CREATE FUNCTION fedt.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- node_train: automl_train on this server's rows, the model in the answer
CREATE TEMP TABLE fedt_answer AS SELECT automl.node_train('fedt.p', 'y', '2 seconds', 'auto', 7)::jsonb AS j;
SELECT j->>'rows' AS rows, j->>'task' AS task, j->>'metric' AS metric,
       (j->'model'->>'format') IN ('automl-pipeline', 'automl-ensemble') AS has_model,
       (SELECT pipeline FROM automl.models WHERE id = (j->>'model_id')::bigint) = j->'model' AS stored_same,
       j::text !~ '"(knn|minmax_scaler|maxabs_scaler|robust_scaler|median|most_frequent)"' AS row_free
FROM fedt_answer;
-- node_score of a stored model = automl_evaluate_metrics of it
SELECT automl_fit('fedt.p', 'y', 'logistic_regression', name => 'fedt_lr') > 0 AS fitted;
SELECT automl_fit('fedt.p', 'v', 'ridge', name => 'fedt_ridge') > 0 AS fitted;
SELECT (s->>'rows')::int AS rows,
       (s->'scores'->>0)::float8 = (SELECT value FROM automl_evaluate_metrics(m.id, 'fedt.p') WHERE metric = 'balanced_accuracy') AS same_ba
FROM automl.models m,
     LATERAL (SELECT automl.node_score('fedt.p', 'y', jsonb_build_array(m.pipeline)::text, 'balanced_accuracy')::jsonb) x(s)
WHERE m.name = 'fedt_lr';
SELECT (s->'scores'->>0)::float8 = (SELECT value FROM automl_evaluate_metrics(m.id, 'fedt.p') WHERE metric = 'r2') AS same_r2,
       jsonb_array_length(s->'scores') AS k
FROM automl.models m,
     LATERAL (SELECT automl.node_score('fedt.p', 'v', jsonb_build_array(m.pipeline, m.pipeline)::text, 'r2')::jsonb) x(s)
WHERE m.name = 'fedt_ridge';

-- suppression: fewer rows than automl.min_group_size
SET automl.min_group_size = 500;
SELECT automl.node_score('fedt.p', 'y', (SELECT jsonb_build_array(pipeline)::text FROM automl.models WHERE name = 'fedt_lr'), 'accuracy')::jsonb ? 'suppressed' AS suppressed;
SELECT automl.node_train('fedt.p', 'y', '2 seconds', 'auto', 7)::jsonb ? 'suppressed' AS suppressed;
SET automl.min_group_size = 10;

-- what left the node is logged: arguments, rows, no model
SELECT function, rows_aggregated, arguments->>'target' AS target, arguments->>'sent' AS sent,
       arguments ? 'model' AS has_model
FROM automl.federation_log WHERE function IN ('automl.node_train', 'automl.node_score')
  AND arguments->>'relation' = 'fedt.p' ORDER BY id;

-- automl_federated_scores of a model that is not cross-site: no rows
SELECT count(*) FROM automl_federated_scores((SELECT id FROM automl.models WHERE name = 'fedt_lr'));

-- bad calls
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', NULL)$$);
SELECT fedt.try($$SELECT automl_train_federated(NULL, 'y', '{local}')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', '{local}', time_budget => '0 seconds')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', '{local}', metric => 'nope')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'nope', '{local}')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', '{local}', name => '')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', '{nowhere}')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', '{local,local}')$$);
SELECT fedt.try($$SELECT automl_train_federated('fedt.p', 'y', '{local}', time_budget => '2 seconds')$$);
SELECT fedt.try($$SELECT automl.node_train('fedt.p', 'y', NULL, 'auto', 1)$$);
SELECT fedt.try($$SELECT automl.node_train('fedt.p', 'y', '0 seconds', 'auto', 1)$$);
SELECT fedt.try($$SELECT automl.node_score('fedt.p', 'y', '{}', 'accuracy')$$);
SELECT fedt.try($$SELECT automl.node_score('fedt.p', 'y', '[]', 'accuracy')$$);
SELECT fedt.try($$SELECT automl.node_score('fedt.p', 'y', '[1]', 'accuracy')$$);
SELECT fedt.try($$SELECT automl.node_score('fedt.p', 'y', '[{"format": "automl-pipeline"}]', 'accuracy')$$);
SELECT fedt.try($$SELECT automl.node_score('fedt.p', 'y', 'not json', 'accuracy')$$);
SELECT fedt.try(format($$SELECT automl.node_score('fedt.p', 'v', %L, 'accuracy')$$,
       (SELECT jsonb_build_array(pipeline)::text FROM automl.models WHERE name = 'fedt_lr')));
SELECT fedt.try(format($$SELECT automl.node_score('fedt.p', 'y', %L, 'r2')$$,
       (SELECT jsonb_build_array(pipeline)::text FROM automl.models WHERE name = 'fedt_lr')));
-- a role outside automl_federation_member is refused on the node
CREATE ROLE fedt_outsider;
GRANT USAGE ON SCHEMA fedt TO fedt_outsider;
GRANT SELECT ON fedt.p TO fedt_outsider;
SET ROLE fedt_outsider;
SELECT fedt.try($$SELECT automl.node_train('fedt.p', 'y', '2 seconds', 'auto', 1)$$);
SELECT fedt.try($$SELECT automl.node_score('fedt.p', 'y', '[]', 'accuracy')$$);
RESET ROLE;
DROP SCHEMA fedt CASCADE;
DROP ROLE fedt_outsider;
RESET automl.min_group_size;
