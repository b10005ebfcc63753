--
-- registry: the app registry (apps, configurations, deployment requests),
-- every kind of bad input refused at INSERT/UPDATE time, the Marathon
-- definitions it builds, and the deploy/undeploy/wait functions.  There is
-- no Marathon here (automl.marathon_url is not set): the deploy worker
-- records every request as failed, which keeps the output deterministic.
-- The worker against a Marathon emulator is tested in test/t/100_registry_*.pl.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
-- deterministic request ids in messages
ALTER TABLE automl.deployments ALTER COLUMN id RESTART WITH 101;

-------------------------------------------------------------------------------
-- apps: a valid one, defaults from the image's Label Schema metadata
-------------------------------------------------------------------------------
INSERT INTO automl.apps (name, image, ports, metadata) VALUES
  ('sales-dashboard', 'registry.example.com:5000/viz/dash:1.2.3', '{8050}',
   '{"org.label-schema.schema-version": "1.0",
     "org.label-schema.description": "Sales dashboard",
     "org.label-schema.vcs-url": "https://github.com/example/dash",
     "org.label-schema.memory-hint": "512",
     "org.label-schema.build-date": "2017-08-31T10:00:00Z",
     "org.opencontainers.image.licenses": "Apache-2.0"}');
SELECT name, description, image, command, ports, source_url, owner::text = current_user AS mine,
       updated_at = created_at AS fresh
FROM automl.apps;
-- a configuration named "default" unless named; mem from the memory hint, cpus 0.1
INSERT INTO automl.app_configs (app_id, env)
SELECT id, '{"DATASET_ID": "42"}' FROM automl.apps WHERE name = 'sales-dashboard';
SELECT name, cpus, mem, disk, instances, args, env, labels, health_check, constraints
FROM automl.app_configs;
-- official images need no namespace; digests are fine
INSERT INTO automl.apps (name, image) VALUES ('nginx', 'nginx'), ('pinned', 'hbpmip/portal-backend@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
-- a command app (no container)
INSERT INTO automl.apps (name, command, ports) VALUES ('sleeper', 'python3 -m http.server $PORT0', '{8000}');

-------------------------------------------------------------------------------
-- bad apps: each refused with a clear message, its SQLSTATE (23514 check,
-- 23502 not null, 23505 unique) and the table and column it concerns
-------------------------------------------------------------------------------
\set ECHO none
\i test/regress_helpers.sql
\set ECHO all
\pset format unaligned
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.apps (name, image) VALUES ('My_App', 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('app-', 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('-app', 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('viz.app', 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('', 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES (repeat('a', 64), 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES (NULL, 'nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('sales-dashboard', 'nginx')$q$)
) AS bad(statement);
-- images
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', 'Nginx')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', 'nginx:')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', 'nginx:-latest')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', 'hbpmip//portal')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', 'registry.example.com:http/viz/dash')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', 'nginx@sha256:abc')$q$),
  ($q$INSERT INTO automl.apps (name, image) VALUES ('x', '')$q$),
  ($q$INSERT INTO automl.apps (name) VALUES ('x')$q$),
  ($q$INSERT INTO automl.apps (name, command) VALUES ('x', '')$q$)
) AS bad(statement);
-- ports
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.apps (name, image, ports) VALUES ('x', 'nginx', '{0}')$q$),
  ($q$INSERT INTO automl.apps (name, image, ports) VALUES ('x', 'nginx', '{80,70000}')$q$),
  ($q$INSERT INTO automl.apps (name, image, ports) VALUES ('x', 'nginx', '{80,NULL}')$q$),
  ($q$INSERT INTO automl.apps (name, image, ports) VALUES ('x', 'nginx', '{80,443,80}')$q$),
  ($q$INSERT INTO automl.apps (name, image, ports) VALUES ('x', 'nginx', '{{80},{443}}')$q$),
  ($q$INSERT INTO automl.apps (name, image, ports) VALUES ('x', 'nginx', NULL)$q$)
) AS bad(statement);
-- source URL and metadata
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.apps (name, image, source_url) VALUES ('x', 'nginx', 'not a url')$q$),
  ($q$INSERT INTO automl.apps (name, image, metadata) VALUES ('x', 'nginx', '[]')$q$),
  ($q$INSERT INTO automl.apps (name, image, metadata) VALUES ('x', 'nginx', '{"org.label-schema.memory-hint": 2048}')$q$),
  ($q$INSERT INTO automl.apps (name, image, metadata) VALUES ('x', 'nginx', '{"org.label-schema.memory-hint": "2GB", "org.label-schema.url": "ftp://x"}')$q$)
) AS bad(statement);
\pset format aligned
-- nothing was inserted by the failed statements
SELECT name FROM automl.apps ORDER BY name;

-- the metadata checker lists every problem at once (empty when valid)
SELECT automl_validate_app_metadata('{"org.label-schema.description": "fine"}');
SELECT unnest(automl_validate_app_metadata('{
  "org.label-schema.schema-version": "2.0",
  "org.label-schema.build-date": "yesterday",
  "org.label-schema.url": "www.example.com",
  "org.label-schema.memory-hint": "16",
  "org.label-schema.cpu-hint": "0",
  "org.label-schema.memory_hint": "512",
  "org.label-schema.name": "",
  "org.label-schema.version": 2,
  "com.example.anything": "goes"}'));
SELECT automl_validate_app_metadata('"a string"');
SELECT automl_validate_app_metadata(NULL);

-------------------------------------------------------------------------------
-- bad configurations
-------------------------------------------------------------------------------
CREATE TEMP TABLE dash AS SELECT id FROM automl.apps WHERE name = 'sales-dashboard';
\pset format unaligned
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.app_configs (app_id, name) SELECT id, 'Big' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name) SELECT id, 'restart' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name) SELECT id, NULL FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id) SELECT id FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, cpus) SELECT id, 'big', 0 FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, cpus) SELECT id, 'big', -1 FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, cpus) SELECT id, 'big', 0.0005 FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, cpus) SELECT id, 'big', 'NaN' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, mem) SELECT id, 'big', 16 FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, disk) SELECT id, 'big', -1 FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, instances) SELECT id, 'big', -1 FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, args) SELECT id, 'big', '{a,NULL}' FROM dash$q$)
) AS bad(statement);
-- env and labels: objects of strings
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.app_configs (app_id, name, env) SELECT id, 'big', '{"PORT": 8080}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, env) SELECT id, 'big', '{"DEBUG": true}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, env) SELECT id, 'big', '{"X": null}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, env) SELECT id, 'big', '{"X": {"secret": "pw"}}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, env) SELECT id, 'big', '{"A=B": "c"}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, env) SELECT id, 'big', '["PORT=8080"]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, labels) SELECT id, 'big', '{"traefik.port": 8080}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, labels) SELECT id, 'big', '{"automl.deployment": "1"}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, labels) SELECT id, 'big', '{"": "x"}' FROM dash$q$)
) AS bad(statement);
-- health checks
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '{"protocol": "HTTP", "portIndex": 1}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '{"protocol": "GOPHER"}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '{"protocol": "HTTP", "path": "health"}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '{"intervalSeconds": "20"}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '{"interval": 20}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '{"protocol": "COMMAND"}' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check) SELECT id, 'big', '[]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, health_check)
   SELECT id, 'big', '{"protocol": "HTTP"}' FROM automl.apps WHERE name = 'nginx'$q$)
) AS bad(statement);
-- constraints
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.app_configs (app_id, name, constraints) SELECT id, 'big', '[["hostname", "UNIQ"]]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, constraints) SELECT id, 'big', '[["hostname", "UNIQUE", "x"]]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, constraints) SELECT id, 'big', '[["rack", "LIKE"]]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, constraints) SELECT id, 'big', '[["rack", "MAX_PER", "two"]]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, constraints) SELECT id, 'big', '[["rack"]]' FROM dash$q$),
  ($q$INSERT INTO automl.app_configs (app_id, name, constraints) SELECT id, 'big', '{"hostname": "UNIQUE"}' FROM dash$q$)
) AS bad(statement);
-- an unknown app
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$INSERT INTO automl.app_configs (app_id, name) VALUES (-1, 'big')$q$)
) AS bad(statement);
-- changing the ports would leave a health check pointing nowhere, and an
-- update is validated like an insert
INSERT INTO automl.app_configs (app_id, name, health_check)
SELECT id, 'checked', '{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0}' FROM dash;
SELECT statement || E'\n    -> ' || pg_temp.try(statement) AS "statement -> result" FROM (VALUES
  ($q$UPDATE automl.apps SET ports = '{}' WHERE name = 'sales-dashboard'$q$),
  ($q$UPDATE automl.app_configs SET env = '{"N": 1}' WHERE name = 'checked'$q$)
) AS bad(statement);
\pset format aligned
-- nothing was changed by the failed statements
SELECT a.name, a.ports, c.name AS config, c.env FROM automl.apps a JOIN automl.app_configs c ON c.app_id = a.id
ORDER BY 1, 3;

-------------------------------------------------------------------------------
-- the Marathon app definitions
-------------------------------------------------------------------------------
-- Docker, BRIDGE networking with host port 0, Traefik labels, env
SELECT jsonb_pretty(automl_marathon_app('sales-dashboard'));
-- a named configuration: its own host name; user labels override Traefik's;
-- health check and constraints passed on; args for the image's entrypoint
INSERT INTO automl.app_configs (app_id, name, cpus, mem, instances, args, labels, health_check, constraints)
SELECT id, 'big', 2, 4096, 3, '{--workers,4}',
       '{"traefik.frontend.rule": "Host:dash.example.com", "team": "viz"}',
       '{"protocol": "HTTP", "path": "/health", "portIndex": 0, "gracePeriodSeconds": 120}',
       '[["hostname", "UNIQUE"]]'
FROM dash;
SELECT jsonb_pretty(automl_marathon_app('sales-dashboard', 'big'));
-- a command app with args: one shell command line, args quoted (Marathon
-- refuses cmd together with args); host networking, dynamic ports
INSERT INTO automl.app_configs (app_id, args, env)
SELECT id, ARRAY['--bind', '0.0.0.0', 'it''s here', ''], '{"GREETING": "hello world"}'
FROM automl.apps WHERE name = 'sleeper';
SELECT jsonb_pretty(automl_marathon_app('sleeper'));
-- no ports: no Traefik labels, no port mappings
INSERT INTO automl.app_configs (app_id, cpus, mem) SELECT id, 0.5, 64 FROM automl.apps WHERE name = 'nginx';
SELECT automl_marathon_app('nginx');
SELECT automl_marathon_app('nginx', 'other');
SELECT automl_marathon_app('missing');

-------------------------------------------------------------------------------
-- deploy, undeploy, wait (no Marathon: the worker fails the requests)
-------------------------------------------------------------------------------
SELECT automl_deploy('missing');
SELECT automl_deploy('sales-dashboard', 'nope');
SELECT automl_deploy(NULL);
SELECT automl_deploy('sales-dashboard', NULL);
SELECT automl_undeploy('sales-dashboard');
-- a request is queued with the exact definition it will send, stamped with its id
SELECT automl_deploy('sales-dashboard') AS dep \gset
SELECT action, app, config, marathon_app_id,
       definition->'labels'->>'automl.deployment' = id::text AS stamped,
       definition - 'labels' = automl_marathon_app('sales-dashboard') - 'labels' AS same_definition
FROM automl.deployments WHERE id = :dep;
SELECT automl_deployment_wait(:dep, '60 s');
SELECT state, attempts, last_error, finished_at IS NOT NULL AS finished FROM automl.deployments WHERE id = :dep;
SELECT automl_undeploy('sales-dashboard');
-- waiting
SELECT automl_deployment_wait(999999);
SELECT automl_deployment_wait(:dep, '-1 s');
SELECT automl_deployment_wait(NULL);
SELECT automl_deployment_wait(:dep, '0 s');
BEGIN;
SELECT automl_deploy('nginx') AS pending \gset
SELECT automl_deployment_wait(:pending);
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT automl_deployment_wait(:dep);
ROLLBACK;
-- a rolled-back request never reaches the worker
SELECT count(*) FROM automl.deployments WHERE id = :pending;

-- an active deployment (as the worker records one) protects what it uses
INSERT INTO automl.deployments (action, state, app, config, app_id, config_id, marathon_app_id)
SELECT 'deploy', 'running', a.name, c.name, a.id, c.id, '/automl/' || a.name || '/' || c.name
FROM automl.apps a JOIN automl.app_configs c ON c.app_id = a.id WHERE a.name = 'nginx';
DELETE FROM automl.apps WHERE name = 'nginx';
DELETE FROM automl.app_configs WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'nginx');
UPDATE automl.apps SET name = 'nginx2' WHERE name = 'nginx';
UPDATE automl.app_configs SET name = 'renamed' WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'nginx');
-- other changes are fine: they apply at the next deployment
UPDATE automl.apps SET description = 'web server' WHERE name = 'nginx';
UPDATE automl.app_configs SET instances = 2 WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'nginx');
-- undeploying targets the Marathon app that runs; asking twice gives the same request
BEGIN;
SELECT automl_undeploy('nginx') AS undep \gset
SELECT automl_undeploy('nginx') = :undep AS same_request;
SELECT action, state, marathon_app_id, definition FROM automl.deployments WHERE id = :undep;
COMMIT;
SELECT automl_deployment_wait(:undep, '60 s');
SELECT state, last_error FROM automl.deployments WHERE id = :undep;
UPDATE automl.deployments SET state = 'deleted' WHERE app = 'nginx' AND state = 'running';
-- deleting an app deletes its configurations; its requests stay as history
DELETE FROM automl.apps WHERE name = 'nginx';
SELECT count(*) AS nginx_configs FROM automl.app_configs c
WHERE NOT EXISTS (SELECT 1 FROM automl.apps a WHERE a.id = c.app_id);
SELECT app, config, action, state, app_id IS NULL AS app_gone, config_id IS NULL AS config_gone
FROM automl.deployments WHERE app = 'nginx' ORDER BY id;

-------------------------------------------------------------------------------
-- ownership and row-level security
-------------------------------------------------------------------------------
-- registering apps is for automl_registry_user (and admins, its members)
CREATE ROLE regress_registry_alice IN ROLE automl_registry_user;
CREATE ROLE regress_registry_bob IN ROLE automl_registry_user;
CREATE ROLE regress_registry_admin IN ROLE automl_registry_admin;
CREATE ROLE regress_registry_nobody;
SET ROLE regress_registry_alice;
INSERT INTO automl.apps (name, image, ports) VALUES ('alice-viz', 'alice/viz:1.0', '{3838}');
INSERT INTO automl.app_configs (app_id, env) SELECT id, '{"TOKEN": "alice-secret"}' FROM automl.apps WHERE name = 'alice-viz';
SELECT name, owner FROM automl.apps WHERE name = 'alice-viz';
RESET ROLE;
SET ROLE regress_registry_bob;
-- bob sees every app, but not the configurations (and their environment) of others ...
SELECT name, owner = 'regress_registry_alice'::regrole AS alices FROM automl.apps ORDER BY name;
SELECT count(*) AS alices_configs_bob_sees FROM automl.app_configs c JOIN automl.apps a ON a.id = c.app_id
WHERE a.name = 'alice-viz';
SELECT automl_marathon_app('alice-viz');
-- ... and changes or locks only his own: other owners' rows are not there for him
UPDATE automl.apps SET description = 'mine now' WHERE name = 'alice-viz';
UPDATE automl.apps SET owner = 'regress_registry_bob' WHERE name = 'alice-viz';
DELETE FROM automl.apps WHERE name = 'alice-viz';
SELECT name FROM automl.apps WHERE name = 'alice-viz' FOR UPDATE;
SELECT name FROM automl.apps WHERE name = 'alice-viz' FOR SHARE;
UPDATE automl.app_configs SET instances = 5 WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'alice-viz');
DELETE FROM automl.app_configs WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'alice-viz');
INSERT INTO automl.app_configs (app_id, name) SELECT id, 'bobs' FROM automl.apps WHERE name = 'alice-viz';
INSERT INTO automl.apps (name, image, owner) VALUES ('bob-viz', 'bob/viz', 'regress_registry_alice');
SELECT automl_deploy('alice-viz');
SELECT automl_undeploy('alice-viz');
SELECT automl_deploy('alice-viz', 'no-such-config');
-- deployment requests are written only through the functions
INSERT INTO automl.deployments (action, app, config, marathon_app_id) VALUES ('deploy', 'alice-viz', 'default', '/x/y');
UPDATE automl.deployments SET state = 'failed';
-- his own app is his to change, and to deploy
INSERT INTO automl.apps (name, image) VALUES ('bob-viz', 'bob/viz');
INSERT INTO automl.app_configs (app_id) SELECT id FROM automl.apps WHERE name = 'bob-viz';
UPDATE automl.apps SET description = 'Bob''s' WHERE name = 'bob-viz';
SELECT automl_deploy('bob-viz') AS bobs \gset
SELECT requested_by, action, app FROM automl.deployments WHERE id = :bobs;
-- the requests of others are not his to see (their definitions hold the environment)
SELECT count(*) AS others_requests FROM automl.deployments WHERE requested_by <> 'regress_registry_bob'::regrole;
-- the Marathon credentials are not his to see
SHOW automl.marathon_credentials;
SELECT count(*) FROM pg_settings WHERE name = 'automl.marathon_credentials';
RESET ROLE;
-- a role that is not a registry user reads the catalogue and nothing else
SET ROLE regress_registry_nobody;
SELECT count(*) > 0 AS sees_apps FROM automl.apps;
INSERT INTO automl.apps (name, image) VALUES ('nobodys', 'nobody/viz');
SELECT count(*) FROM automl.app_configs;
SELECT automl_deploy('bob-viz');
RESET ROLE;
-- an admin may change anyone's app
SET ROLE regress_registry_admin;
UPDATE automl.apps SET description = 'checked by an admin' WHERE name = 'alice-viz';
UPDATE automl.app_configs SET mem = 256 WHERE app_id = (SELECT id FROM automl.apps WHERE name = 'alice-viz');
INSERT INTO automl.apps (name, image, owner) VALUES ('for-alice', 'alice/other', 'regress_registry_alice');
SELECT count(*) AS requests_admin_sees FROM automl.deployments WHERE id = :bobs;
RESET ROLE;
SELECT name, owner, description FROM automl.apps WHERE name IN ('alice-viz', 'bob-viz', 'for-alice') ORDER BY name;
SELECT a.name, c.mem FROM automl.app_configs c JOIN automl.apps a ON a.id = c.app_id WHERE a.name = 'alice-viz';
SELECT automl_deployment_wait(:bobs, '60 s');

-------------------------------------------------------------------------------
-- configuration
-------------------------------------------------------------------------------
SHOW automl.marathon_url;
SHOW automl.marathon_group;
SHOW automl.traefik_domain;
SHOW automl.deploy_timeout;
SHOW automl.http_timeout;
SHOW automl.deploy_concurrency;
-- credentials: never shown, and a malformed value is not echoed
SET automl.marathon_credentials = 'basic:nocolon';
SET automl.marathon_credentials = 'Bearer abc';
SET automl.marathon_credentials = 'basic:user:s3cret';
SHOW automl.marathon_credentials;
SELECT current_setting('automl.marathon_credentials');
RESET automl.marathon_credentials;
SHOW automl.marathon_credentials;
-- server-wide settings are checked too
ALTER SYSTEM SET automl.marathon_url = 'ftp://marathon.example.com';
ALTER SYSTEM SET automl.marathon_url = 'http://user:pw@marathon.example.com:8080';
ALTER SYSTEM SET automl.marathon_url = 'http://marathon.example.com:8080/?x=1';
ALTER SYSTEM SET automl.marathon_group = 'automl';
ALTER SYSTEM SET automl.marathon_group = '/Viz_Apps';
ALTER SYSTEM SET automl.traefik_domain = 'Example.COM';
ALTER SYSTEM SET automl.deploy_concurrency = 0;
SET automl.marathon_url = 'http://marathon:8080';

-- the registry is user data: pg_dump saves it with the extension
SELECT c::regclass AS saved_by_pg_dump FROM pg_extension e, unnest(e.extconfig) c
WHERE e.extname = 'automl' AND c::regclass::text ~ '^automl\.(apps|app_configs|deployments)'
ORDER BY c::regclass::text;

-------------------------------------------------------------------------------
-- clean up
-------------------------------------------------------------------------------
DELETE FROM automl.deployments;
DELETE FROM automl.apps;
DROP ROLE regress_registry_alice, regress_registry_bob, regress_registry_admin, regress_registry_nobody;
