
-- 40_registry.sql — the app registry (Maracker inside PostgreSQL): apps and
-- their run configurations (plain SQL CRUD, validated by constraints and
-- triggers), deployment requests carried to Marathon by the deploy worker,
-- and the functions that queue and follow them.

-------------------------------------------------------------------------------
-- roles
-------------------------------------------------------------------------------
-- automl_registry_user may register apps and deploy its own;
-- automl_registry_admin (a member of automl_registry_user) may change,
-- deploy and undeploy every app and set the labels that route traffic.
-- Roles belong to the whole cluster: they outlive DROP EXTENSION and are
-- reused when the extension is created again (here or in another database).
-- A role of that name that automl did not make could carry privileges of
-- its own into the registry, so one that exists already is used only when
-- it has no attributes and no memberships beyond automl's; otherwise the
-- install fails and says why.  A role that an earlier install made (it
-- carries automl's comment) is reused quietly, any other with a WARNING
-- (automl.install_role, 00_schema.sql).
SELECT automl.install_role('automl_registry_user', '{}', 'every member of the registry',
                           'automl app registry ');
SELECT automl.install_role('automl_registry_admin', '{automl_registry_user}',
                           'every member of the registry', 'automl app registry ');
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members m
                   WHERE m.roleid OPERATOR(pg_catalog.=) 'automl_registry_user'::pg_catalog.regrole
                     AND m.member OPERATOR(pg_catalog.=) 'automl_registry_admin'::pg_catalog.regrole) THEN
        GRANT automl_registry_user TO automl_registry_admin;
    END IF;
END
$$;
COMMENT ON ROLE automl_registry_user IS
    'automl app registry users: may register apps and change, deploy and undeploy their own';
COMMENT ON ROLE automl_registry_admin IS
    'automl app registry administrators: may change, deploy and undeploy every app and set routing labels';

-------------------------------------------------------------------------------
-- apps
-------------------------------------------------------------------------------
CREATE TABLE automl.apps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL
                CONSTRAINT apps_name_key UNIQUE
                CONSTRAINT apps_name_check CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    description text,
    image       text,
    command     text,
    ports       integer[] NOT NULL DEFAULT '{}',
    source_url  text,
    metadata    jsonb NOT NULL DEFAULT '{}'
                CONSTRAINT apps_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
    owner       regrole NOT NULL DEFAULT automl.current_role_oid(),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT apps_image_or_command CHECK (image IS NOT NULL OR command IS NOT NULL)
);
COMMENT ON TABLE automl.apps IS
    'App registry: containerised (or command) apps that can be deployed on Marathon';
COMMENT ON COLUMN automl.apps.name IS
    'Unique name, a Marathon id segment and DNS label: lowercase letters, digits and hyphens, at most 63';
COMMENT ON COLUMN automl.apps.image IS
    'Docker image [registry/]namespace/name[:tag]; NULL for an app that is only a command';
COMMENT ON COLUMN automl.apps.command IS
    'Shell command (Marathon cmd); required when image is NULL, overrides the image''s command otherwise';
COMMENT ON COLUMN automl.apps.ports IS
    'Container ports (1..65535); an app with ports is exposed through Traefik';
COMMENT ON COLUMN automl.apps.metadata IS
    'The image''s labels (Label Schema: org.label-schema.description, memory-hint ...), used as defaults';
COMMENT ON COLUMN automl.apps.owner IS
    'Role that may change and deploy the app (besides members of automl_registry_admin)';

-------------------------------------------------------------------------------
-- run configurations
-------------------------------------------------------------------------------
CREATE TABLE automl.app_configs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id       bigint NOT NULL REFERENCES automl.apps (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT 'default',
    cpus         float8 NOT NULL CONSTRAINT app_configs_cpus_check CHECK (cpus >= 0.001),
    mem          float8 NOT NULL CONSTRAINT app_configs_mem_check CHECK (mem >= 32),
    disk         float8 NOT NULL DEFAULT 0 CONSTRAINT app_configs_disk_check CHECK (disk >= 0),
    instances    integer NOT NULL DEFAULT 1 CONSTRAINT app_configs_instances_check CHECK (instances >= 0),
    args         text[] NOT NULL DEFAULT '{}',
    env          jsonb NOT NULL DEFAULT '{}'
                 CONSTRAINT app_configs_env_check CHECK (jsonb_typeof(env) = 'object'),
    labels       jsonb NOT NULL DEFAULT '{}'
                 CONSTRAINT app_configs_labels_check CHECK (jsonb_typeof(labels) = 'object'),
    health_check jsonb
                 CONSTRAINT app_configs_health_check_check CHECK (jsonb_typeof(health_check) = 'object'),
    constraints  jsonb NOT NULL DEFAULT '[]'
                 CONSTRAINT app_configs_constraints_check CHECK (jsonb_typeof(constraints) = 'array'),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT app_configs_app_id_name_key UNIQUE (app_id, name)
);
COMMENT ON TABLE automl.app_configs IS
    'Named run configurations of an app (resources, arguments, environment, labels, health check)';
COMMENT ON COLUMN automl.app_configs.name IS
    'Configuration name, unique per app ("default" unless named); ends the Marathon app id';
COMMENT ON COLUMN automl.app_configs.cpus IS
    'CPU share (at least 0.001); default: the image''s org.label-schema.cpu-hint, else 0.1';
COMMENT ON COLUMN automl.app_configs.mem IS
    'Memory in MB (at least 32); default: the image''s org.label-schema.memory-hint, else 128';
COMMENT ON COLUMN automl.app_configs.args IS
    'Arguments (Marathon args); appended to the app''s command, shell-quoted, when it has one';
COMMENT ON COLUMN automl.app_configs.env IS
    'Environment variables: a JSON object of strings';
COMMENT ON COLUMN automl.app_configs.labels IS
    'Marathon labels (strings); they override the Traefik labels the registry adds; automl.* is reserved';
COMMENT ON COLUMN automl.app_configs.health_check IS
    'One Marathon health check, e.g. {"protocol": "HTTP", "path": "/health", "portIndex": 0}';
COMMENT ON COLUMN automl.app_configs.constraints IS
    'Marathon placement constraints, e.g. [["hostname", "UNIQUE"]]';

-------------------------------------------------------------------------------
-- deployment requests
-------------------------------------------------------------------------------
-- One row per request (deploy or undeploy).  A deploy goes requested ->
-- deploying -> running (or failed), an undeploy requested -> deleting ->
-- deleted (or failed).  A running deployment becomes deleted when a later
-- request of the same Marathon app succeeds (superseded_by says which).
-- Only automl_deploy(), automl_undeploy() and the deploy worker write it.
CREATE TABLE automl.deployments (
    id                     bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    action                 text NOT NULL
                           CONSTRAINT deployments_action_check CHECK (action IN ('deploy', 'undeploy')),
    state                  text NOT NULL DEFAULT 'requested'
                           CONSTRAINT deployments_state_check
                           CHECK (state IN ('requested', 'deploying', 'running', 'failed', 'deleting', 'deleted')),
    app                    text NOT NULL,
    config                 text NOT NULL,
    app_id                 bigint REFERENCES automl.apps (id) ON DELETE SET NULL,
    config_id              bigint REFERENCES automl.app_configs (id) ON DELETE SET NULL,
    marathon_app_id        text NOT NULL,
    marathon_deployment_id text,
    marathon_version       text,
    definition             jsonb,
    attempts               integer NOT NULL DEFAULT 0,
    deadline               timestamptz,
    next_attempt_at        timestamptz,
    last_error             text,
    last_http_status       integer,
    error_details          jsonb,
    tasks_running          integer,
    tasks_healthy          integer,
    superseded_by          bigint,
    requested_by           regrole NOT NULL DEFAULT automl.current_role_oid(),
    requested_at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at             timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at            timestamptz
);
-- the worker's queue, and the order of requests per Marathon app
CREATE INDEX deployments_requested ON automl.deployments (id) WHERE state = 'requested';
CREATE INDEX deployments_marathon_app_id ON automl.deployments (marathon_app_id, id);
CREATE INDEX deployments_config_id ON automl.deployments (config_id, id);
CREATE INDEX deployments_app_id ON automl.deployments (app_id);
COMMENT ON TABLE automl.deployments IS
    'Deployment requests and their state on Marathon (requested, deploying, running, failed, deleting, deleted)';
COMMENT ON COLUMN automl.deployments.action IS 'deploy (POST or PUT on Marathon) or undeploy (DELETE)';
COMMENT ON COLUMN automl.deployments.state IS
    'requested, deploying, running, failed (deploy); requested, deleting, deleted, failed (undeploy)';
COMMENT ON COLUMN automl.deployments.marathon_app_id IS
    'Marathon app id: <automl.marathon_group>/<app>/<config>';
COMMENT ON COLUMN automl.deployments.marathon_deployment_id IS 'Marathon deployment that carried out the request';
COMMENT ON COLUMN automl.deployments.marathon_version IS 'Version of the app on Marathon after the request';
COMMENT ON COLUMN automl.deployments.definition IS
    'The app definition sent to Marathon, exactly (deploy requests)';
COMMENT ON COLUMN automl.deployments.attempts IS
    'Tries of the request: the first, then one per POST, PUT or DELETE sent again after a failure';
COMMENT ON COLUMN automl.deployments.deadline IS
    'When the request fails if it has not succeeded: automl.deploy_timeout after the worker took it up (kept across worker restarts)';
COMMENT ON COLUMN automl.deployments.next_attempt_at IS 'When the worker tries again after a retryable failure';
COMMENT ON COLUMN automl.deployments.last_error IS 'The last error, with Marathon''s message when it gave one';
COMMENT ON COLUMN automl.deployments.last_http_status IS 'HTTP status of the last failed call (NULL: no answer)';
COMMENT ON COLUMN automl.deployments.error_details IS
    'Marathon''s error document of the last failed call (a JSON string holding the body when jsonb refuses it)';
COMMENT ON COLUMN automl.deployments.superseded_by IS
    'The later request that replaced or removed this running deployment';

-------------------------------------------------------------------------------
-- triggers: validation, defaults, ownership, notifications
-------------------------------------------------------------------------------
CREATE FUNCTION automl.apps_check()
RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_apps_check'
LANGUAGE C;
COMMENT ON FUNCTION automl.apps_check() IS
    'Trigger: refuses an app Marathon would refuse (name, image, ports, metadata), fills defaults from the image metadata, checks ownership';
CREATE TRIGGER apps_check BEFORE INSERT OR UPDATE ON automl.apps
    FOR EACH ROW EXECUTE FUNCTION automl.apps_check();

CREATE FUNCTION automl.app_configs_check()
RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_app_configs_check'
LANGUAGE C;
COMMENT ON FUNCTION automl.app_configs_check() IS
    'Trigger: refuses a configuration Marathon would refuse (cpus, mem, env and label values, health check, constraints), fills defaults, checks ownership';
CREATE TRIGGER app_configs_check BEFORE INSERT OR UPDATE ON automl.app_configs
    FOR EACH ROW EXECUTE FUNCTION automl.app_configs_check();

CREATE FUNCTION automl.registry_guard_delete()
RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_registry_guard_delete'
LANGUAGE C;
COMMENT ON FUNCTION automl.registry_guard_delete() IS
    'Trigger: refuses to delete an app or configuration that is deployed, or that the current role does not own';
CREATE TRIGGER apps_guard_delete BEFORE DELETE ON automl.apps
    FOR EACH ROW EXECUTE FUNCTION automl.registry_guard_delete();
CREATE TRIGGER app_configs_guard_delete BEFORE DELETE ON automl.app_configs
    FOR EACH ROW EXECUTE FUNCTION automl.registry_guard_delete();

CREATE FUNCTION automl.deployments_notify()
RETURNS trigger
AS 'MODULE_PATHNAME', 'automl_deployments_notify'
LANGUAGE C;
COMMENT ON FUNCTION automl.deployments_notify() IS
    'Trigger: NOTIFY automl_deployments with a JSON payload for every change of state of a deployment request';
-- Only changes of state notify, not the insert of a request: PostgreSQL
-- serialises the commits of all transactions that sent a NOTIFY, so a NOTIFY
-- in automl_deploy() would make concurrent callers wait for each other's WAL
-- flush.  Listeners hear about a new request when the worker takes it
-- (deploying or deleting), a few milliseconds after its commit.
CREATE TRIGGER deployments_notify_state AFTER UPDATE OF state ON automl.deployments
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION automl.deployments_notify();

-- The trigger functions read these tables' columns by name and type: they
-- are not for other tables, so nobody else may attach them.
REVOKE EXECUTE ON FUNCTION automl.apps_check(), automl.app_configs_check(),
    automl.registry_guard_delete(), automl.deployments_notify() FROM PUBLIC;

-------------------------------------------------------------------------------
-- privileges and row-level security
-------------------------------------------------------------------------------
-- Everyone may read the catalogue of apps.  Registering apps and changing
-- them is for automl_registry_user (GRANT automl_registry_user TO alice);
-- a role changes, deploys and sees the configurations of its own apps only
-- (configurations hold environment variables, which may be secrets);
-- members of automl_registry_admin all of them.  Rows of other owners are
-- invisible to UPDATE, DELETE and SELECT ... FOR UPDATE/SHARE.
CREATE FUNCTION automl.registry_may_change(owner regrole)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN owner OPERATOR(pg_catalog.=) automl.current_role_oid()
    OR pg_catalog.pg_has_role('automl_registry_admin', 'USAGE');
COMMENT ON FUNCTION automl.registry_may_change(regrole) IS
    'Whether the current role may change an app of this owner (its owner, or a member of automl_registry_admin)';

REVOKE ALL ON automl.apps, automl.app_configs FROM PUBLIC;
GRANT SELECT ON automl.apps TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON automl.apps, automl.app_configs TO automl_registry_user;
ALTER TABLE automl.apps ENABLE ROW LEVEL SECURITY;
ALTER TABLE automl.app_configs ENABLE ROW LEVEL SECURITY;

CREATE POLICY apps_read ON automl.apps FOR SELECT USING (true);
CREATE POLICY apps_insert ON automl.apps FOR INSERT
    WITH CHECK (automl.registry_may_change(owner));
CREATE POLICY apps_update ON automl.apps FOR UPDATE
    USING (automl.registry_may_change(owner)) WITH CHECK (automl.registry_may_change(owner));
CREATE POLICY apps_delete ON automl.apps FOR DELETE
    USING (automl.registry_may_change(owner));
COMMENT ON POLICY apps_insert ON automl.apps IS 'An app belongs to the role that registers it (admins may register for others)';
COMMENT ON POLICY apps_update ON automl.apps IS 'Only its owner and admins change (or lock) an app; it cannot be given away except by admins';
COMMENT ON POLICY apps_delete ON automl.apps IS 'Only its owner and admins delete an app';

CREATE POLICY app_configs_owner ON automl.app_configs
    USING (EXISTS (SELECT FROM automl.apps a WHERE a.id OPERATOR(pg_catalog.=) app_id
                   AND automl.registry_may_change(a.owner)));
COMMENT ON POLICY app_configs_owner ON automl.app_configs IS
    'Configurations (with their environment) are seen, added, changed and locked by the owner of their app and admins';

-- Deployment requests are written only by automl_deploy()/automl_undeploy()
-- (as the table's owner, after checking the caller may change the app) and
-- by the deploy worker: a role that could insert rows would make the worker
-- act on apps it does not own.  A request (its definition holds the
-- environment) is seen by whoever asked for it, the app's owner and admins.
REVOKE ALL ON automl.deployments FROM PUBLIC;
GRANT SELECT ON automl.deployments TO PUBLIC;
ALTER TABLE automl.deployments ENABLE ROW LEVEL SECURITY;
CREATE POLICY deployments_read ON automl.deployments FOR SELECT
    USING (requested_by OPERATOR(pg_catalog.=) automl.current_role_oid()
           OR pg_catalog.pg_has_role('automl_registry_admin', 'USAGE')
           OR EXISTS (SELECT FROM automl.apps a WHERE a.id OPERATOR(pg_catalog.=) app_id
                      AND a.owner OPERATOR(pg_catalog.=) automl.current_role_oid()));
COMMENT ON POLICY deployments_read ON automl.deployments IS
    'A deployment request is seen by its requester, the owner of its app and admins';

-- The registry is user data: pg_dump saves it with the extension.
SELECT pg_catalog.pg_extension_config_dump('automl.apps', '');
SELECT pg_catalog.pg_extension_config_dump('automl.apps_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.app_configs', '');
SELECT pg_catalog.pg_extension_config_dump('automl.app_configs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('automl.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('automl.deployments_id_seq', '');

-------------------------------------------------------------------------------
-- functions
-------------------------------------------------------------------------------
CREATE FUNCTION automl_deploy(app text, config text DEFAULT 'default')
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_deploy'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION automl_deploy(text, text) IS
    'Queue the deployment (create or update) of an app configuration on Marathon; returns the deployment id. Needs the deploy worker (shared_preload_libraries)';

CREATE FUNCTION automl_undeploy(app text, config text DEFAULT 'default')
RETURNS bigint
AS 'MODULE_PATHNAME', 'automl_undeploy'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION automl_undeploy(text, text) IS
    'Queue the removal of a deployed app configuration from Marathon; returns the request id. Needs the deploy worker';

-- Queuing work for the deploy worker is for registry users (and admins).
REVOKE EXECUTE ON FUNCTION automl_deploy(text, text), automl_undeploy(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION automl_deploy(text, text), automl_undeploy(text, text) TO automl_registry_user;

CREATE FUNCTION automl_deployment_wait(deployment_id bigint, timeout interval DEFAULT '1 minute')
RETURNS text
AS 'MODULE_PATHNAME', 'automl_deployment_wait'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION automl_deployment_wait(bigint, interval) IS
    'Wait until a deployment request is final (running, failed or deleted) or the timeout expires; returns its state';

CREATE FUNCTION automl_marathon_app(app text, config text DEFAULT 'default')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'automl_marathon_app'
LANGUAGE C STABLE;
COMMENT ON FUNCTION automl_marathon_app(text, text) IS
    'The Marathon app definition (with Traefik labels) that automl_deploy would send for an app configuration';

CREATE FUNCTION automl_validate_app_metadata(metadata jsonb)
RETURNS text[]
AS 'MODULE_PATHNAME', 'automl_validate_app_metadata'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION automl_validate_app_metadata(jsonb) IS
    'Problems of an image metadata document (Label Schema labels) for automl.apps.metadata; empty when valid';
