-- 30_search.sql — the AutoML search: runs, every candidate pipeline, the leaderboard

-------------------------------------------------------------------------------
-- woken-db: runs and their candidates
-------------------------------------------------------------------------------
CREATE TABLE automl.runs (
    id                bigserial PRIMARY KEY,
    relation          text NOT NULL,
    target            text NOT NULL,
    features          name[],
    task              text NOT NULL CHECK (task IN ('classification', 'regression')),
    metric            text NOT NULL,
    greater_is_better boolean NOT NULL,
    time_budget       interval,
    max_evaluations   integer,
    cv_folds          integer NOT NULL,
    cv_repeats        integer NOT NULL DEFAULT 1,
    test_size         float8 NOT NULL,
    seed              integer NOT NULL,
    search_space      text NOT NULL,
    name              text,
    status            text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    evaluated         integer,
    generations       integer,
    stop_reason       text,
    model_id          bigint REFERENCES automl.models ON DELETE SET NULL,
    cv_score          float8,
    cv_std            float8,
    holdout_score     float8,
    holdout_metrics   jsonb,
    train_rows        integer,
    holdout_rows      integer,
    refit             text NOT NULL DEFAULT 'all' CHECK (refit IN ('all', 'train')),
    final_rows        integer,
    leaked_columns    jsonb NOT NULL DEFAULT '[]',
    filter            jsonb,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    elapsed           interval,
    error             text,
    sqlstate          text CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
    owner             regrole NOT NULL DEFAULT automl.current_role_oid()
);
COMMENT ON TABLE automl.runs IS
    'One row per automl_train call, written when it starts (status running) and updated when it ends: its arguments, the validation chosen (cv_folds, cv_repeats, test_size), the columns left out as target leakage, the row filter (query-builder JSON, NULL: every row), the search''s outcome, the holdout score (of the model fitted without the holdout rows), the rows of the final fit (final_rows) and the model it produced. A call that ends in an error after it started is recorded as failed, or cancelled (SQLSTATE 57014: a cancel, statement_timeout), with the error''s message (error) and SQLSTATE (sqlstate), by a background worker in its own transaction, although the caller''s transaction rolls back; its candidates are not kept';
ALTER TABLE automl.models ADD FOREIGN KEY (run_id) REFERENCES automl.runs ON DELETE SET NULL;

CREATE TABLE automl.pipelines (
    id          bigserial PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES automl.runs ON DELETE CASCADE,
    number      integer NOT NULL,
    phase       text NOT NULL,
    description text,
    estimator   text NOT NULL,
    spec        jsonb NOT NULL,
    fold_scores float8[],
    mean_score  float8,
    std_score   float8,
    complexity  integer,
    fit_seconds float8,
    status      text NOT NULL CHECK (status IN ('ok', 'failed', 'timed out', 'pruned', 'skipped')),
    reason      text,
    weight      float8,
    UNIQUE (run_id, number)
);
COMMENT ON TABLE automl.pipelines IS
    'Every candidate pipeline of every run: specification, per-fold scores, time, status and why it failed; weight > 0 for the final model''s members';

-- Owners see and delete their own runs (and so their candidates), superusers
-- all; rows are written only by automl_train.
ALTER TABLE automl.runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY runs_of_owner ON automl.runs
    USING (owner OPERATOR(pg_catalog.=) automl.current_role_oid());
ALTER TABLE automl.pipelines ENABLE ROW LEVEL SECURITY;
CREATE POLICY pipelines_of_visible_runs ON automl.pipelines
    USING (EXISTS (SELECT 1 FROM automl.runs r WHERE r.id = run_id));
GRANT SELECT, DELETE ON automl.runs, automl.pipelines TO PUBLIC;

CREATE VIEW automl.leaderboard WITH (security_invoker = true) AS
SELECT p.run_id,
       rank() OVER (PARTITION BY p.run_id
                    ORDER BY CASE WHEN r.greater_is_better THEN p.mean_score ELSE -p.mean_score END DESC,
                             p.complexity, p.number) AS rank,
       p.number AS pipeline,
       p.description,
       r.metric,
       p.mean_score AS cv_score,
       p.std_score AS cv_std,
       round(p.fit_seconds::numeric, 3) AS seconds,
       p.weight IS NOT NULL AS in_model,
       p.phase
FROM automl.pipelines p
JOIN automl.runs r ON r.id = p.run_id
WHERE p.status = 'ok';
COMMENT ON VIEW automl.leaderboard IS
    'Candidates of each run that completed cross-validation, best first (rank 1)';
GRANT SELECT ON automl.leaderboard TO PUBLIC;

-------------------------------------------------------------------------------
-- the search
-------------------------------------------------------------------------------
CREATE TYPE automl.train_result AS (
    model_id      bigint,
    run_id        bigint,
    pipeline      text,
    metric        text,
    cv_score      float8,
    holdout_score float8,
    evaluated     integer,
    elapsed       interval
);

CREATE FUNCTION automl_train(relation regclass, target name, features name[] DEFAULT NULL,
                             task text DEFAULT 'auto', metric text DEFAULT 'auto',
                             time_budget interval DEFAULT '1 minute', cv_folds int DEFAULT NULL,
                             test_size float8 DEFAULT NULL, seed int DEFAULT 42,
                             search_space text DEFAULT 'default', name text DEFAULT NULL,
                             max_evaluations int DEFAULT NULL, refit text DEFAULT 'all',
                             leakage text DEFAULT 'drop', threshold text DEFAULT 'auto',
                             filter jsonb DEFAULT NULL)
RETURNS automl.train_result
AS 'MODULE_PATHNAME', 'automl_train'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;
COMMENT ON FUNCTION automl_train(regclass, name, name[], text, text, interval, int, float8, int, text, text, int, text, text, text, jsonb) IS
    'AutoML: leave out columns that leak the target, search pipelines by cross-validation (folds and holdout chosen from the data unless given) within a time budget, score the best on a holdout, refit it on all rows, store run, candidates and model; two classes: the decision threshold chosen on the out-of-fold predictions (threshold => ''auto''), given, or 0.5 (''none''); more classes: class weights prior^-alpha chosen the same way (''auto''), or the most probable class (''none''); filter (query-builder JSON) selects the rows it reads';
