
-- 91_federation_quantile.sql — node side of automl_summary's quartiles over
-- federation nodes (src/federation/fed_quantile.c).

CREATE FUNCTION automl.node_quantile(relation regclass, columns name[], filter jsonb, thresholds text)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_quantile'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_quantile(regclass, name[], jsonb, text) IS
    'Federation node side: for each column and each threshold of thresholds (a JSON array of arrays of numbers, one per column), the number of the column''s values <= the threshold (members of automl_federation_member; a count is null when the values below or above it are 1 .. automl.min_group_size - 1)';
