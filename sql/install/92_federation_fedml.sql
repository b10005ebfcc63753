
-------------------------------------------------------------------------------
-- 92_federation_fedml.sql — node side of automl_experiment over federation
-- nodes (k-fold validation of naive Bayes: src/federation/fed_nb_cv.c)
-------------------------------------------------------------------------------
CREATE FUNCTION automl.node_nb_folds(relation regclass, target name, features name[], filter jsonb, k int)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_nb_folds'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_nb_folds(regclass, name, name[], jsonb, int) IS
    'Federation node side of automl_experiment(..., nodes => ...): for each of k folds (a hash of the row''s values), automl.node_nb''s answer for the complete rows outside the fold (members of automl_federation_member; suppressed as automl.node_nb, per fold)';

CREATE FUNCTION automl.node_nb_validate(relation regclass, target name, features name[], filter jsonb, k int,
                                        models jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_nb_validate'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_nb_validate(regclass, name, name[], jsonb, int, jsonb) IS
    'Federation node side of automl_experiment(..., nodes => ...): per fold the confusion matrix of the fold''s complete rows predicted by the fold''s model (models = {"classes", "pipelines"}) (members of automl_federation_member; suppressed when a non-zero cell counts under automl.min_group_size)';

CREATE FUNCTION automl.node_nb_counts(relation regclass, target name, features name[], filter jsonb, request jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_nb_counts'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_nb_counts(regclass, name, name[], jsonb, jsonb) IS
    'Federation node side of automl_fit(..., ''multinomial_nb'' | ''bernoulli_nb'', nodes => ...): request {"minmax": true}: automl.node_nb''s answer plus each numeric feature''s minimum and maximum; {"above": [{offset, scale} | null per feature], "binarize": b}: per class and numeric feature the rows with (x - offset)/scale > b (members of automl_federation_member; suppressed under automl.min_group_size rows per class or per count above/below)';

CREATE FUNCTION automl.node_rows(relation regclass, target name, features name[], filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_rows'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_rows(regclass, name, name[], jsonb) IS
    'Federation node side of automl_fit(..., ''knn'', nodes => ...): the complete rows (target and features) — ROW VALUES, refused (42501) unless this node''s superuser set automl.federation_allow_rows = on (members of automl_federation_member; logged with "row_values": true)';
