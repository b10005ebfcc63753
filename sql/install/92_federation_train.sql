
-------------------------------------------------------------------------------
-- 92_federation_train.sql — cross-site AutoML over federation nodes
-- (src/federation/fed_train.c, fed_train_node.c)
-------------------------------------------------------------------------------
CREATE FUNCTION automl_train_federated(relation regclass, target name, nodes text[],
                                       time_budget interval DEFAULT '1 minute',
                                       metric text DEFAULT 'auto', seed int DEFAULT 42,
                                       name text DEFAULT NULL, strict boolean DEFAULT false)
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_train_federated'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_train_federated(regclass, name, text[], interval, text, int, text, boolean) IS
    'Cross-site AutoML: every node runs automl_train on its own rows (row-free search space), every node scores every node''s model on its own rows, and the models are stored as one ensemble weighted by their mean score on the other nodes'' rows (served by automl_predict); the score table is in the model''s metrics (automl_federated_scores)';

CREATE FUNCTION automl_federated_scores(model_id bigint)
RETURNS TABLE (model_node text, data_node text, score float8, data_rows bigint,
               own_cv_score float8, mean_other float8, weight float8)
AS $$
    SELECT n.node, d.node, (cs->'scores'->(n.i::int - 1)->>(d.i::int - 1))::pg_catalog.float8,
           (cs->'rows'->>(d.i::int - 1))::pg_catalog.int8,
           (cs->'cv_score'->>(n.i::int - 1))::pg_catalog.float8,
           (cs->'mean_other'->>(n.i::int - 1))::pg_catalog.float8,
           (cs->'weights'->>(n.i::int - 1))::pg_catalog.float8
    FROM (SELECT m.metrics OPERATOR(pg_catalog.->) 'cross_site' AS cs
          FROM automl.models m WHERE m.id OPERATOR(pg_catalog.=) model_id) s,
         LATERAL pg_catalog.jsonb_array_elements_text(s.cs OPERATOR(pg_catalog.->) 'nodes')
             WITH ORDINALITY AS n(node, i),
         LATERAL pg_catalog.jsonb_array_elements_text(s.cs OPERATOR(pg_catalog.->) 'nodes')
             WITH ORDINALITY AS d(node, i)
    ORDER BY n.i, d.i
$$ LANGUAGE sql STABLE;
COMMENT ON FUNCTION automl_federated_scores(bigint) IS
    'The cross-site score table of a model of automl_train_federated: the model of model_node scored on the rows of data_node (the metric of the call), the rows scored, the node''s own cross-validation score, the model''s mean score on the other nodes'' rows and its weight in the ensemble (no rows for other models)';

CREATE FUNCTION automl.node_train(relation regclass, target name, time_budget interval, metric text, seed int)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_train'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_train(regclass, name, interval, text, int) IS
    'Federation node side of automl_train_federated: automl_train on this node''s rows as the caller, in a search space without estimators or steps that keep training rows or single row values; returns the fitted model (members of automl_federation_member; nothing under automl.min_group_size rows)';

CREATE FUNCTION automl.node_score(relation regclass, target name, models text, metric text)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_score'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_score(regclass, name, text, text) IS
    'Federation node side of automl_train_federated: the metric of each model of a JSON array on this node''s rows, and the number of rows (members of automl_federation_member; nothing under automl.min_group_size rows)';
