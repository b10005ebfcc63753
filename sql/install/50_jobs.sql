
-- 50_jobs.sql — training jobs in background workers (asynchronous
-- automl_train), and every search in progress (automl.progress).

-------------------------------------------------------------------------------
-- role
-------------------------------------------------------------------------------
-- Members of automl_job_admin see, wait on and cancel every job and every
-- search in progress; everyone else only their own.  The role belongs to the
-- cluster and is reused by later installs, if it carries no attributes and no
-- memberships (a role of that name made by someone else could carry
-- privileges into the jobs); otherwise the install fails and says why
-- (automl.install_role, 00_schema.sql).
SELECT automl.install_role('automl_job_admin', '{}', 'every job administrator', NULL);
COMMENT ON ROLE automl_job_admin IS
    'automl job administrators: see, wait on and cancel every training job and search in progress';

-------------------------------------------------------------------------------
-- jobs
-------------------------------------------------------------------------------
CREATE TABLE automl.jobs (
    id            bigserial PRIMARY KEY,
    owner         regrole NOT NULL DEFAULT automl.current_role_oid(),
    kind          text NOT NULL DEFAULT 'train' CHECK (kind IN ('train', 'experiment')),
    arguments     jsonb NOT NULL,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts      integer NOT NULL DEFAULT 0,
    worker_pid    integer,
    evaluated     integer,
    best_score    float8,
    best_std      float8,
    best_pipeline text,
    seconds_left  float8,
    run_id        bigint,
    model_id      bigint,
    error         text,
    sqlstate      text,
    submitted_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX jobs_active ON automl.jobs (id) WHERE state IN ('queued', 'running');
COMMENT ON TABLE automl.jobs IS
    'Jobs (automl_submit, automl_submit_experiment): the arguments, the state, the progress while running, the run and model when done, the error when failed';
COMMENT ON COLUMN automl.jobs.kind IS
    'train: automl_submit (automl_train); experiment: automl_submit_experiment (a Woken ExperimentQuery, its result in woken.job_result under the job id)';
COMMENT ON COLUMN automl.jobs.arguments IS
    'train: the arguments of automl_train by name, as text (JSON null: NULL), the relation schema-qualified; experiment: {"query", "strict", "node", and "nodes" when given}';
COMMENT ON COLUMN automl.jobs.run_id IS
    'The run in automl.runs (no foreign key: its owner may delete runs and models, the job stays as history)';
COMMENT ON COLUMN automl.jobs.attempts IS
    'How many times the job was started: a job whose worker died is started once more, then fails';

-- Owners see their own jobs, automl_job_admin and superusers all of them.
-- Rows are written only by automl_submit/automl_cancel (as the table's
-- owner) and by the job workers.
ALTER TABLE automl.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_of_owner ON automl.jobs
    USING (owner OPERATOR(pg_catalog.=) automl.current_role_oid()
           OR pg_catalog.pg_has_role('automl_job_admin', 'USAGE'));
GRANT SELECT ON automl.jobs TO PUBLIC;

-- NOTIFY automl_jobs {"job_id", "state", "evaluated", "best_score"} on every
-- change of state, and of progress (which the scheduler records at most once
-- a second).  Sent at commit: a listener never hears of a rolled-back state.
CREATE FUNCTION automl.jobs_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('automl_jobs',
        pg_catalog.jsonb_build_object('job_id', NEW.id, 'state', NEW.state,
                                      'evaluated', NEW.evaluated, 'best_score', NEW.best_score)::text);
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION automl.jobs_notify() FROM PUBLIC;
COMMENT ON FUNCTION automl.jobs_notify() IS
    'Trigger on automl.jobs: NOTIFY automl_jobs with the job id, state, pipelines evaluated and best score';
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON automl.jobs
    FOR EACH ROW EXECUTE FUNCTION automl.jobs_notify();
CREATE TRIGGER jobs_notify_update AFTER UPDATE ON automl.jobs
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.evaluated IS DISTINCT FROM NEW.evaluated
          OR OLD.best_score IS DISTINCT FROM NEW.best_score)
    EXECUTE FUNCTION automl.jobs_notify();

-------------------------------------------------------------------------------
-- functions
-------------------------------------------------------------------------------
-- automl_submit takes exactly the arguments of automl_train (names, types,
-- defaults): its declaration is made from automl_train's, so an argument
-- added to automl_train is an argument of automl_submit too, stored by name
-- and passed by name when the job runs.
DO $$
BEGIN
    EXECUTE pg_catalog.format(
        'CREATE FUNCTION automl_submit(%s) RETURNS bigint AS %L, %L LANGUAGE C CALLED ON NULL INPUT VOLATILE',
        pg_catalog.pg_get_function_arguments('automl_train'::pg_catalog.regproc),
        'MODULE_PATHNAME', 'automl_submit');
    EXECUTE pg_catalog.format('COMMENT ON FUNCTION automl_submit(%s) IS %L',
        pg_catalog.pg_get_function_identity_arguments('automl_train'::pg_catalog.regproc),
        'Queue automl_train with these arguments as a background job running with the caller''s '
        'privileges; returns the job id at once (needs shared_preload_libraries = ''automl'')');
END
$$;

CREATE FUNCTION automl_cancel(job_id bigint, keep_best boolean DEFAULT true)
RETURNS boolean
AS 'MODULE_PATHNAME', 'automl_cancel'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_cancel(bigint, boolean) IS
    'Cancel a job: a queued job never starts; a running one stops within a second and, with keep_best, refits and stores the best pipeline found so far. False when the job had already ended';

CREATE FUNCTION automl_wait(job_id bigint, timeout interval DEFAULT '1 hour')
RETURNS text
AS 'MODULE_PATHNAME', 'automl_wait'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_wait(bigint, interval) IS
    'Wait until a job ends (woken by its worker, no polling); returns its state: succeeded, failed or cancelled, or queued/running at the timeout';

-------------------------------------------------------------------------------
-- progress
-------------------------------------------------------------------------------
CREATE FUNCTION automl.progress_rows(
    OUT pid integer, OUT job_id bigint, OUT database oid, OUT owner oid, OUT relid oid,
    OUT phase text, OUT evaluated integer, OUT best_score float8, OUT best_std float8,
    OUT best_pipeline text, OUT seconds_left float8, OUT started_at timestamptz,
    OUT updated_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'automl_progress_rows'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION automl.progress_rows() IS
    'The searches in progress that the caller may see (shared memory), for the view automl.progress';

CREATE VIEW automl.progress AS
SELECT p.pid, p.job_id, d.datname AS database, p.owner::pg_catalog.regrole AS owner,
       CASE WHEN p.database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database
                                                    WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
            THEN p.relid::pg_catalog.regclass::text ELSE p.relid::text END AS relation,
       p.phase, p.evaluated, p.best_score, p.best_std, p.best_pipeline, p.seconds_left,
       p.started_at, p.updated_at
  FROM automl.progress_rows() p
  LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) p.database;
COMMENT ON VIEW automl.progress IS
    'Every AutoML search in progress, synchronous or a job, that the caller may see (own searches; automl_job_admin and superusers all): phase loading, searching, ensemble or refit, pipelines evaluated, best score so far, seconds left';
GRANT SELECT ON automl.progress TO PUBLIC;
