
-- 91_federation_quantile_groups.sql — node side of automl_summary's quartiles
-- (src/federation/fed_quantile.c) and of automl_histogram's group_by
-- (src/federation/fed_histogram_groups.c) over federation nodes.

CREATE FUNCTION automl.node_quantile(relation regclass, columns name[], filter jsonb, thresholds text)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_quantile'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_quantile(regclass, name[], jsonb, text) IS
    'Federation node side: for each column and each threshold of thresholds (a JSON array of arrays of numbers, one per column), the number of the column''s values <= the threshold (members of automl_federation_member; a count is null when the values below or above it are 1 .. automl.min_group_size - 1)';

CREATE FUNCTION automl.node_histogram_groups(relation regclass, "column" name, group_by name[], filter jsonb,
                                             bins int, lower float8, upper float8, categories text)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_histogram_groups'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_histogram_groups(regclass, name, name[], jsonb, int, float8, float8, text) IS
    'Federation node side: per group of group_by values, the counts of a column in the bins of [lower, upper] or, for a categorical column, in categories (a JSON array of strings in byte order) (members of automl_federation_member; no group or bin under automl.min_group_size rows)';
