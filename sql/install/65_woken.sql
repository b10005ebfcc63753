
-- 65_woken.sql — Woken inside the database: woken-db's tables (job_result,
-- results_cache), meta-db's meta_variables, the algorithm catalogue
-- (Woken's /mining/algorithms), mining queries, experiments and PFA export.

-------------------------------------------------------------------------------
-- woken-db and meta-db, column for column (LREN-CHUV/woken-db-setup
-- migrations V1_0..V1_4, HBPMedical/meta-db-setup).  They live in their own
-- schema so that an existing Woken or container points at them with
-- search_path = woken (its SQL names the tables unqualified).
-------------------------------------------------------------------------------
CREATE SCHEMA woken;
COMMENT ON SCHEMA woken IS 'automl: woken-db (job_result, results_cache) and meta-db (meta_variables) as Woken has them';
GRANT USAGE ON SCHEMA woken TO PUBLIC;

CREATE TABLE woken.job_result (
    job_id       character varying(128) NOT NULL,
    node         character varying(32) NOT NULL,
    "timestamp"  timestamp DEFAULT pg_catalog.now(),
    data         text,
    error        text,
    shape        character varying(256) NOT NULL,
    function     character varying(256),
    parameters   jsonb,
    result_name  character varying(32) DEFAULT '' NOT NULL,
    result_title character varying(256),
    CONSTRAINT pk_job_result PRIMARY KEY (job_id, shape, result_name, node)
);
COMMENT ON TABLE woken.job_result IS
    'woken-db results: one row per mining job or experiment (automl_mining, automl_experiment), data in the format its shape names';
-- Rows are written by automl_mining/automl_experiment as the table's owner
-- on the caller's behalf; results derive from tables not everyone may read,
-- so nobody else reads them unless granted (GRANT SELECT ... TO the
-- platform's role).
REVOKE ALL ON woken.job_result FROM PUBLIC;

CREATE SEQUENCE woken.gen_features_table_seq START 1 INCREMENT 1;

CREATE TABLE woken.results_cache (
    node                character varying(32) NOT NULL,
    table_name          character varying(128) NOT NULL,
    table_contents_hash character varying(256),
    query               jsonb NOT NULL,
    created_at          timestamp DEFAULT pg_catalog.now(),
    last_used           timestamp,
    data                jsonb,
    shape               character varying(256),
    function            character varying(256),
    CONSTRAINT pk_results_cache PRIMARY KEY (node, table_name, table_contents_hash, query, shape, function)
);
COMMENT ON TABLE woken.results_cache IS
    'woken-db cache of mining results, filled as Woken fills it: every successful automl_mining QueryResult (data), keyed by node, table name, the query with user "woken", shape and function; table_contents_hash = MD5 of the rows the result was computed from. Read by a Woken pointed at this schema; automl never answers from it';
REVOKE ALL ON woken.results_cache FROM PUBLIC;

CREATE TABLE woken.meta_variables (
    id                  serial PRIMARY KEY,
    source              character varying(256) UNIQUE NOT NULL,
    hierarchy           jsonb NOT NULL,
    target_table        character varying(256) NOT NULL,
    histogram_groupings character varying(256) NOT NULL
);
COMMENT ON TABLE woken.meta_variables IS
    'meta-db: the variable hierarchy of each source and the table it describes (Woken''s meta_variables)';
GRANT SELECT ON woken.meta_variables TO PUBLIC;

-- a run and a model know the Woken job that made them
ALTER TABLE automl.runs ADD COLUMN job_id text;
ALTER TABLE automl.models ADD COLUMN job_id text;

CREATE FUNCTION automl_import_variables(hierarchy jsonb, target_table text,
                                        source text DEFAULT NULL,
                                        histogram_groupings text DEFAULT '')
RETURNS integer
AS 'MODULE_PATHNAME', 'automl_import_meta_variables'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_import_variables(jsonb, text, text, text) IS
    'Store a MIP hierarchy whole in woken.meta_variables for a target table (source defaults to its lower-case name) and import its variables; returns their number';

-------------------------------------------------------------------------------
-- the algorithm catalogue (Woken's /mining/algorithms), made from the
-- estimators' parameter tables
-------------------------------------------------------------------------------
CREATE FUNCTION automl.woken_algorithms(
    OUT code text, OUT label text, OUT description text, OUT type text[],
    OUT predictive boolean, OUT variables_can_be_null boolean,
    OUT covariables_can_be_null boolean, OUT constraints jsonb,
    OUT parameters jsonb, OUT implementation text, OUT requires text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'automl_woken_algorithms'
LANGUAGE C STRICT IMMUTABLE;
COMMENT ON FUNCTION automl.woken_algorithms() IS
    'The algorithm catalogue rows (automl.algorithms reads it)';

CREATE VIEW automl.algorithms AS
    SELECT a.code, a.label, a.description, a.type, a.predictive,
           a.variables_can_be_null, a.covariables_can_be_null,
           a.constraints, a.parameters, a.implementation,
           a.requires IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_proc p
                                         WHERE p.proname OPERATOR(pg_catalog.=) a.requires) AS available
    FROM automl.woken_algorithms() a;
COMMENT ON VIEW automl.algorithms IS
    'Algorithms automl_mining/automl_experiment run, as Woken''s /mining/algorithms lists them; available = its SQL function is installed';
GRANT SELECT ON automl.algorithms TO PUBLIC;

CREATE FUNCTION automl_mining_algorithms()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_mining_algorithms'
LANGUAGE C STABLE;
COMMENT ON FUNCTION automl_mining_algorithms() IS
    'Woken''s /mining/algorithms document: {"algorithms": [...], "validations": [...], "metrics": {...}}';

-------------------------------------------------------------------------------
-- mining, experiments, PFA
-------------------------------------------------------------------------------
CREATE FUNCTION automl_export_pfa(model_id bigint)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_export_pfa'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION automl_export_pfa(bigint) IS
    'A model as a PFA 0.8.1 document (preprocessing and model in PFA''s library) that predicts what automl_predict predicts';

-- nodes: federation nodes (automl.nodes names, 'local' = this server): the
-- codes with a federated implementation run over them (src/federation/fed_mining.c)
CREATE FUNCTION automl_mining(query jsonb, strict boolean DEFAULT false, nodes text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_mining'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_mining(jsonb, boolean, text[]) IS
    'Run a Woken MiningQuery; returns its QueryResult and writes the woken.job_result row (strict: errors are raised, not returned, a node failure too; nodes: statisticsSummary, histograms, linearRegression, anova, correlationHeatmap and pca run over those federation nodes, on the union of their rows)';

CREATE FUNCTION automl_experiment(query jsonb, strict boolean DEFAULT false, nodes text[] DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_experiment'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_experiment(jsonb, boolean, text[]) IS
    'Run a Woken ExperimentQuery (several algorithms, k-fold validated as Woken does; with nodes, over federation nodes: federated codes on the union of their rows, naive Bayes k-fold validated on the nodes); returns its QueryResult and writes the woken.job_result row';

-------------------------------------------------------------------------------
-- experiments as jobs (the job queue of 50_jobs.sql)
-------------------------------------------------------------------------------
-- automl_submit_experiment takes automl_experiment's arguments and returns
-- a job id, as automl_submit takes automl_train's.  A name of its own
-- rather than an overload of automl_submit: automl_submit is declared from
-- automl_train's arguments and looked up by name (HTTP POST /jobs), and an
-- overload (query jsonb) would make a forgotten target argument a JSON
-- syntax error.
-- nodes: as automl_experiment's (federation nodes, 'local' = this server);
-- the job connects to them with its owner's user mappings.
CREATE FUNCTION automl_submit_experiment(query jsonb, strict boolean DEFAULT false, nodes text[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_submit_experiment'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_submit_experiment(jsonb, boolean, text[]) IS
    'Queue automl_experiment(query, strict, nodes) as a background job running with the caller''s privileges (and, with nodes, the caller''s user mappings); returns the job id at once. Its woken.job_result row has job_id = the job id (text); the job fails with the SQLSTATE of an error of the experiment as a whole (needs shared_preload_libraries = ''automl'')';

-- An experiment job that ends failed or cancelled (its worker's error, a
-- cancel, a worker lost too often) leaves its text/plain+error row, as a
-- synchronous automl_experiment does: a reader of job_result always gets an
-- answer.  The rows are written by automl's own roles (the job worker, the
-- scheduler, automl_cancel as the table's owner).
CREATE FUNCTION automl.jobs_woken_error() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'automl' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'jobs'
       OR TG_LEVEL OPERATOR(pg_catalog.<>) 'ROW' OR TG_OP OPERATOR(pg_catalog.<>) 'UPDATE' THEN
        RAISE EXCEPTION 'automl.jobs_woken_error() is a row trigger of UPDATE on automl.jobs'
            USING ERRCODE = 'wrong_object_type';
    END IF;
    INSERT INTO woken.job_result (job_id, node, error, shape, function, parameters)
    VALUES (NEW.id::pg_catalog.text,
            pg_catalog."left"(COALESCE(NEW.arguments OPERATOR(pg_catalog.->>) 'node', 'local'), 32),
            COALESCE(NEW.error, NEW.state), 'text/plain+error', 'automl_experiment',
            pg_catalog.jsonb_build_object('sqlstate', NEW.sqlstate, 'state', NEW.state))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION automl.jobs_woken_error() FROM PUBLIC;
COMMENT ON FUNCTION automl.jobs_woken_error() IS
    'Trigger on automl.jobs: an experiment job that ended failed or cancelled gets its text/plain+error row in woken.job_result';
CREATE TRIGGER jobs_woken_error AFTER UPDATE OF state ON automl.jobs
    FOR EACH ROW
    WHEN (NEW.kind OPERATOR(pg_catalog.=) 'experiment' AND NEW.state IN ('failed', 'cancelled')
          AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION automl.jobs_woken_error();

-------------------------------------------------------------------------------
-- a submitter's own results
-------------------------------------------------------------------------------
-- woken.job_result is granted to no one (results derive from tables not
-- everyone may read), so the rows of a queued job are shown through a view
-- with the visibility of automl.jobs: the job's owner, members of
-- automl_job_admin and superusers.  The view reads as its owner (automl's
-- installer); the condition is evaluated for the querying role
-- (current_user inside a view is the caller).  security_barrier: a caller's
-- own conditions (a leaky function) run after the visibility test, never
-- on rows it may not see.
CREATE VIEW automl.job_results WITH (security_barrier) AS
SELECT j.id AS job, r.*
  FROM automl.jobs j
  JOIN woken.job_result r ON r.job_id OPERATOR(pg_catalog.=) j.id::pg_catalog.text
 WHERE j.owner OPERATOR(pg_catalog.=) automl.current_role_oid()
    OR pg_catalog.pg_has_role('automl_job_admin', 'USAGE');
COMMENT ON VIEW automl.job_results IS
    'The woken.job_result rows of the jobs in automl.jobs the caller may see (own jobs; automl_job_admin and superusers all); job = the job id';
GRANT SELECT ON automl.job_results TO PUBLIC;

CREATE FUNCTION automl_job_result(job_id bigint)
RETURNS SETOF woken.job_result
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.job_id, r.node, r."timestamp", r.data, r.error, r.shape, r.function, r.parameters,
           r.result_name, r.result_title
      FROM automl.job_results r
     WHERE r.job OPERATOR(pg_catalog.=) $1
     ORDER BY r.shape, r.result_name, r.node
$$;
COMMENT ON FUNCTION automl_job_result(bigint) IS
    'The woken.job_result rows of a job (automl_submit_experiment) that the caller may see in automl.jobs (owner, automl_job_admin, superuser); no rows otherwise';
