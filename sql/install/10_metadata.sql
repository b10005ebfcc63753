-- 10_metadata.sql — the meta-db (MIP variable metadata) and describing data

-------------------------------------------------------------------------------
-- meta-db: variable metadata (MIP CDE hierarchy)
-------------------------------------------------------------------------------
CREATE TABLE automl.variables (
    code         text PRIMARY KEY,
    label        text,
    type         text NOT NULL
                 CHECK (type IN ('integer', 'real', 'boolean', 'date',
                                 'polynominal', 'binominal', 'text')),
    sql_type     text,
    units        text,
    description  text,
    methodology  text,
    enumerations jsonb CHECK (enumerations IS NULL OR jsonb_typeof(enumerations) = 'array'),
    min_value    float8,
    max_value    float8,
    group_path   text[] NOT NULL DEFAULT '{}',
    datasets     text[],
    imported_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE automl.variables IS
    'Variable metadata (MIP meta-db); a row whose code names a column overrides the kind its SQL type gives';
-- Everyone may read metadata; changing it is for the owner and roles it grants to.
GRANT SELECT ON automl.variables TO PUBLIC;

CREATE FUNCTION automl_import_variables(hierarchy jsonb)
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_import_variables'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION automl_import_variables(jsonb) IS
    'Import a MIP variable hierarchy (groups of variables) into automl.variables; returns the number of variables';

-------------------------------------------------------------------------------
-- describing data
-------------------------------------------------------------------------------
-- nodes, strict: federation (issue 15, src/federation/fed_summary.c, which
-- calls the local automl_summary when nodes is NULL)
CREATE FUNCTION automl_summary(relation regclass, columns name[] DEFAULT NULL,
    filter jsonb DEFAULT NULL, nodes text[] DEFAULT NULL, strict boolean DEFAULT false,
    OUT column_name text, OUT kind text, OUT count bigint, OUT null_count bigint,
    OUT distinct_count bigint, OUT mean float8, OUT std float8, OUT min float8,
    OUT q1 float8, OUT median float8, OUT q3 float8, OUT max float8,
    OUT top text, OUT top_count bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'automl_fed_summary'
LANGUAGE C CALLED ON NULL INPUT STABLE;
COMMENT ON FUNCTION automl_summary(regclass, name[], jsonb, text[], boolean) IS
    'Summary statistics of each column of a relation (MIP statisticsSummary): counts, mean, sample std, quartiles, most frequent value; filter: query-builder JSON';
