
-------------------------------------------------------------------------------
-- 91_federation_models.sql — node side of the models automl_fit fits over
-- federation nodes (src/federation/fed_nb.c, fed_kmeans.c)
-------------------------------------------------------------------------------
CREATE FUNCTION automl.node_nb(relation regclass, target name, features name[], filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_nb'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_nb(regclass, name, name[], jsonb) IS
    'Federation node side of automl_fit(..., ''gaussian_nb'', nodes => ...): per class of the target, its rows and the means and squared deviations (numeric features) or level counts (categorical features) of its complete rows (members of automl_federation_member; suppressed under automl.min_group_size rows per class, level or class and level)';

CREATE FUNCTION automl.node_kmeans(relation regclass, features name[], filter jsonb, k int,
                                   centers jsonb, previous jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_kmeans'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_kmeans(regclass, name[], jsonb, int, jsonb, jsonb) IS
    'Federation node side of automl_fit(NULL target, ''kmeans'', nodes => ...): centers NULL: count, feature moments and the centres of the node''s own k-means clusters of at least automl.min_group_size rows; else one Lloyd pass at centers: per cluster count and sum (withheld under automl.min_group_size rows), inertia, rows that changed cluster since previous (members of automl_federation_member)';
