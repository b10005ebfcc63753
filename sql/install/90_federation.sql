-------------------------------------------------------------------------------
-- federation (issue 15): one analysis over several automl servers, only
-- aggregates leaving each (src/federation).  Nodes are postgres_fdw foreign
-- servers with user mappings: where a node is and which credentials to use
-- are PostgreSQL's catalogue, automl stores no password.
-------------------------------------------------------------------------------

-- On a node: the role a federation connects as must be a member of this one.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
                   WHERE rolname OPERATOR(pg_catalog.=) 'automl_federation_member') THEN
        CREATE ROLE automl_federation_member NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE automl_federation_member IS
    'automl federation: members may call the node-side functions automl.node_* (aggregates only)';

CREATE TABLE automl.nodes (
    name text PRIMARY KEY,
    server name NOT NULL,
    owner regrole NOT NULL DEFAULT automl.current_role_oid(),
    added_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_seen timestamptz,
    version text,
    tables jsonb
);
COMMENT ON TABLE automl.nodes IS
    'Federation nodes: a name for a postgres_fdw foreign server (connection options and credentials stay in the server and the caller''s user mapping)';
GRANT SELECT ON automl.nodes TO PUBLIC;

CREATE TABLE automl.federation_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    caller text NOT NULL,
    session_user_name text NOT NULL,
    function text NOT NULL,
    arguments jsonb NOT NULL,
    rows_aggregated bigint NOT NULL,
    suppressed text
);
COMMENT ON TABLE automl.federation_log IS
    'On a node: every federation call answered (caller, function, arguments, rows aggregated; suppressed: why nothing but that fact left)';
REVOKE ALL ON automl.federation_log FROM PUBLIC;

CREATE FUNCTION automl_node_add(name text, server name)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_node_add'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_node_add(text, name) IS
    'Register a postgres_fdw foreign server as a federation node (needs USAGE on it); asks the node for its version and tables';

CREATE FUNCTION automl_node_remove(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_node_remove'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_node_remove(text) IS
    'Remove a federation node (its owner or a superuser)';

-- Ask nodes again who they are (version, tables, last_seen); a node that is
-- down is a row with ok = false and its error, never an error of the call.
-- (The argument is "node": "name" is the first column of the result.)
CREATE FUNCTION automl_node_refresh(node text DEFAULT NULL)
RETURNS TABLE(name text, ok boolean, version text, tables jsonb, error text)
AS 'MODULE_PATHNAME', 'automl_node_refresh'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_node_refresh(text) IS
    'Contact a federation node (NULL: every node) concurrently and record its version, exposed tables and last_seen in automl.nodes; one row per node, ok = false with the error for a node that is down, late or unusable (needs USAGE on the server and a user mapping, as automl_node_add)';

CREATE FUNCTION automl_federation_feedback()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_federation_feedback'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION automl_federation_feedback() IS
    'Feedback of this session''s last federated call: one entry per node left out, suppressed or late';

-- node side: called by the centre over libpq; aggregates only, logged
CREATE FUNCTION automl.node_info()
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_info'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION automl.node_info() IS
    'Federation node side: version and the relations the caller may read (members of automl_federation_member)';

CREATE FUNCTION automl.node_lm_levels(relation regclass, formula text, filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_lm_levels'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_lm_levels(regclass, text, jsonb) IS
    'Federation node side: levels of the factors of a formula (members of automl_federation_member; none under automl.min_group_size rows)';

CREATE FUNCTION automl.node_lm(relation regclass, formula text, filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_lm_factor'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_lm(regclass, text, jsonb) IS
    'Federation node side, one round (protocol 2): triangular factor of [X y] in the node''s own full-dummy coding, its levels and columns, response moments (members of automl_federation_member; suppressed under automl.min_group_size rows per level or cell)';

CREATE FUNCTION automl.node_lm(relation regclass, formula text, filter jsonb, levels jsonb, contrast text)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_lm'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_lm(regclass, text, jsonb, jsonb, text) IS
    'Federation node side, protocol 1 (centres of the previous version): triangular factor of [X y] coded with the centre''s levels and response moments of a linear model (members of automl_federation_member; suppressed under automl.min_group_size rows per group)';

CREATE FUNCTION automl.node_summary(relation regclass, columns name[], filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_summary'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_summary(regclass, name[], jsonb) IS
    'Federation node side: counts, NULL counts, moments and category counts of columns (members of automl_federation_member; nothing under automl.min_group_size rows)';

CREATE FUNCTION automl.node_histogram(relation regclass, "column" name, filter jsonb, bins int,
                                      lower float8, upper float8)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_histogram'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_histogram(regclass, name, jsonb, int, float8, float8) IS
    'Federation node side: count, minimum and maximum of a column (lower/upper NULL; categorical: category counts), or its counts in the bins of [lower, upper] (members of automl_federation_member; no bin or category under automl.min_group_size rows)';

CREATE FUNCTION automl.node_correlation(relation regclass, columns name[], filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_correlation'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_correlation(regclass, name[], jsonb) IS
    'Federation node side: co-moments (count, means, centred sums of squares and products) of every pair of columns (members of automl_federation_member; suppressed under automl.min_group_size rows per pair)';

CREATE FUNCTION automl.node_pca(relation regclass, columns name[], filter jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_pca'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_pca(regclass, name[], jsonb) IS
    'Federation node side: count, means and the triangular factor of the centred complete rows of columns (members of automl_federation_member; suppressed under automl.min_group_size rows or no more rows than columns)';

CREATE FUNCTION automl.node_glm(relation regclass, formula text, filter jsonb, family text,
                                levels jsonb, beta jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_node_glm'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl.node_glm(regclass, text, jsonb, text, jsonb, jsonb) IS
    'Federation node side: one IRLS pass of a generalised linear model at coefficients beta (NULL: the first pass), triangular factor of the weighted [X z] and deviance (members of automl_federation_member; suppressed under automl.min_group_size rows per group or outcome)';
