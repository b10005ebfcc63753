-- 20_models.sql — the model store and the functions that fit and serve models

-------------------------------------------------------------------------------
-- woken-db: fitted models
-------------------------------------------------------------------------------
CREATE TABLE automl.models (
    id          bigserial PRIMARY KEY,
    name        text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
    version     integer CHECK (version > 0),
    task        text NOT NULL CHECK (task IN ('classification', 'regression', 'clustering')),
    algorithm   text NOT NULL,
    relation    text NOT NULL,
    target      text,           -- NULL exactly for clustering (no target)
    features    jsonb NOT NULL,
    classes     jsonb,
    params      jsonb NOT NULL DEFAULT '{}',
    pipeline    jsonb NOT NULL,
    description text,
    metrics     jsonb NOT NULL DEFAULT '{}',
    run_id      bigint,
    owner       regrole NOT NULL DEFAULT automl.current_role_oid(),
    deployed    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (owner, name, version),
    CHECK ((name IS NULL) = (version IS NULL)),
    CHECK ((target IS NULL) = (task = 'clustering')),
    CHECK (NOT deployed OR name IS NOT NULL)
);
-- Forests make pipelines of tens of MB: lz4, when the server was built with
-- it, compresses them several times faster than the default pglz (a 100-tree
-- extra-trees model of 26 MB: automl_fit 4.2 s instead of 4.8 s) for a
-- quarter more space.
DO $$
BEGIN
    ALTER TABLE automl.models ALTER COLUMN pipeline SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    NULL;
END
$$;
-- names, versions and the deployed version belong to their owner
CREATE UNIQUE INDEX models_deployed_name ON automl.models (owner, name) WHERE deployed;
COMMENT ON TABLE automl.models IS
    'Fitted models: the pipeline as JSON with every fitted parameter, its features, metrics and owner';

-- Owners see and delete their own models, superusers all.  Rows are written
-- only by automl's functions (as the table owner, on the caller's behalf), so
-- every stored pipeline is one automl produced: no INSERT/UPDATE for PUBLIC.
ALTER TABLE automl.models ENABLE ROW LEVEL SECURITY;
CREATE POLICY models_of_owner ON automl.models
    USING (owner OPERATOR(pg_catalog.=) automl.current_role_oid());
GRANT SELECT, DELETE ON automl.models TO PUBLIC;

-- Every change empties the compiled-model caches of all backends.
CREATE FUNCTION automl.models_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_models_changed'
LANGUAGE C;
COMMENT ON FUNCTION automl.models_changed() IS
    'Trigger: a change to automl.models empties the compiled-model cache of every backend';
CREATE TRIGGER models_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON automl.models
    FOR EACH STATEMENT EXECUTE FUNCTION automl.models_changed();
-- Trigger functions are for automl's own tables: nobody else attaches them
-- (firing them on automl.models needs no privilege).
REVOKE EXECUTE ON FUNCTION automl.models_changed() FROM PUBLIC;

-------------------------------------------------------------------------------
-- fitting one explicit model
-------------------------------------------------------------------------------
CREATE FUNCTION automl_fit(relation regclass, target name, algorithm text,
                           params jsonb DEFAULT '{}', features name[] DEFAULT NULL,
                           task text DEFAULT 'auto', seed int DEFAULT 42, name text DEFAULT NULL,
                           filter jsonb DEFAULT NULL, nodes text[] DEFAULT NULL,
                           strict boolean DEFAULT false)
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_fed_fit'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_fit(regclass, name, text, jsonb, name[], text, int, text, jsonb, text[], boolean) IS
    'Fit one algorithm (with default preprocessing) on a relation (the rows passing filter, query-builder JSON); stores it in automl.models and returns the model id. nodes: fit gaussian_nb or kmeans over federation nodes (the model of the union of their complete rows; features named), strict: a node failure is an error';

CREATE FUNCTION automl_deploy_model(model_id bigint)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_deploy_model'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION automl_deploy_model(bigint) IS
    'Make this model the deployed version of its name (what automl_predict(name, row) uses); returns the name';

-------------------------------------------------------------------------------
-- serving models
-------------------------------------------------------------------------------
-- The planner support function rewrites automl_predict*(model, t) where t is
-- a whole-row reference to a table into the columns variants below, so the
-- executor passes the needed columns instead of building every row value.
CREATE FUNCTION automl.predict_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'automl_predict_support'
LANGUAGE C STRICT;
COMMENT ON FUNCTION automl.predict_support(internal) IS
    'Planner support of automl_predict*: passes the needed columns instead of a whole row';

CREATE FUNCTION automl.predict_columns(model_id bigint, names text[], VARIADIC "any")
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_columns'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl.predict_columns(bigint, text[], "any") IS
    'automl_predict(model_id, row) with the row passed as named columns (planner rewrite)';
CREATE FUNCTION automl.predict_columns(model_name text, names text[], VARIADIC "any")
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_columns_by_name'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl.predict_columns(text, text[], "any") IS
    'automl_predict(model_name, row) with the row passed as named columns (planner rewrite)';
CREATE FUNCTION automl.predict_value_columns(model_id bigint, names text[], VARIADIC "any")
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_value_columns'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl.predict_value_columns(bigint, text[], "any") IS
    'automl_predict_value(model_id, row) with the row passed as named columns (planner rewrite)';
CREATE FUNCTION automl.predict_proba_columns(model_id bigint, names text[], VARIADIC "any")
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_predict_proba_columns'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl.predict_proba_columns(bigint, text[], "any") IS
    'automl_predict_proba(model_id, row) with the row passed as named columns (planner rewrite)';

CREATE FUNCTION automl_predict(model_id bigint, "row" record)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict'
LANGUAGE C STRICT STABLE PARALLEL SAFE SUPPORT automl.predict_support;
COMMENT ON FUNCTION automl_predict(bigint, record) IS
    'Predicted label (classification), value as text (regression) or cluster number from 0 (clustering) of a model for a row; columns matched by name';

CREATE FUNCTION automl_predict(model_name text, "row" record)
RETURNS text
AS 'MODULE_PATHNAME', 'automl_predict_by_name'
LANGUAGE C STRICT STABLE PARALLEL SAFE SUPPORT automl.predict_support;
COMMENT ON FUNCTION automl_predict(text, record) IS
    'Prediction of the deployed version of a named model for a row';

CREATE FUNCTION automl_predict_value(model_id bigint, "row" record)
RETURNS float8
AS 'MODULE_PATHNAME', 'automl_predict_value'
LANGUAGE C STRICT STABLE PARALLEL SAFE SUPPORT automl.predict_support;
COMMENT ON FUNCTION automl_predict_value(bigint, record) IS
    'Predicted value of a regression model for a row (or the numeric label of a classifier)';

CREATE FUNCTION automl_predict_proba(model_id bigint, "row" record)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_predict_proba'
LANGUAGE C STRICT STABLE PARALLEL SAFE SUPPORT automl.predict_support;
COMMENT ON FUNCTION automl_predict_proba(bigint, record) IS
    'Class probabilities of a classifier for a row, as {"label": probability, ...}';

-------------------------------------------------------------------------------
-- clustering models
-------------------------------------------------------------------------------
CREATE FUNCTION automl_kmeans_centers(model_id bigint)
RETURNS TABLE (cluster int, size bigint, center jsonb)
AS 'MODULE_PATHNAME', 'automl_kmeans_centers'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION automl_kmeans_centers(bigint) IS
    'Clusters of a k-means model: number (0-based, as automl_predict), training rows, centre in the columns'' units ("col=value" keys: fraction of rows)';
