--
-- security: an ordinary role attacks every SQL function of the extension.
--
-- regress_attacker has LOGIN, SELECT on one table, CREATE on a schema of its
-- own and membership in automl_registry_user.  In that schema it plants a
-- trojan twin of every pg_catalog function, operator and aggregate automl
-- could call, and a trojan domain for the types automl casts to; each
-- trojan records who ran it and, when that is someone else, tries
-- ALTER ROLE regress_attacker SUPERUSER.  With search_path = evil first it
-- then calls every function of the extension (a query below checks that
-- none is missing), against a victim's models, runs, apps and deployments.
-- Afterwards: no trojan ran as anyone but the attacker, the attacker is not
-- superuser, and nothing of the victim's changed.  A superuser then makes the
-- same calls with the same search_path: automl itself resolves nothing in
-- it.  Ownership by role OID (drop and re-create a role), the per-role
-- model cache, and hostile registry labels follow.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS automl;
RESET client_min_messages;
-- ids in this file count from 1
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;
DELETE FROM automl.deployments;
DELETE FROM automl.apps;
ALTER TABLE automl.deployments ALTER COLUMN id RESTART WITH 1;

-- attempt(statement): "ok" or "SQLSTATE: message".  Written without any
-- operator or function that a search_path could capture, so that the only
-- trojans that can run are those reached from inside the statement.
CREATE FUNCTION pg_temp.attempt(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state pg_catalog.text;
    message pg_catalog.text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
    RETURN pg_catalog.concat(state, ': ', message);
END $$;

-------------------------------------------------------------------------------
-- the victim, the attacker, their data
-------------------------------------------------------------------------------
CREATE ROLE regress_victim IN ROLE automl_registry_user;
CREATE ROLE regress_attacker LOGIN IN ROLE automl_registry_user;
CREATE SCHEMA sec;
GRANT USAGE ON SCHEMA sec TO regress_victim, regress_attacker;
CREATE TABLE sec.patients AS
SELECT i AS id, (i % 7) + i / 10.0 AS x1, ((i * 37) % 11)::float8 AS x2,
       CASE i % 3 WHEN 0 THEN 'AD' WHEN 1 THEN 'MCI' ELSE 'CN' END AS dx
FROM generate_series(1, 90) i;
CREATE TABLE sec.mine AS SELECT * FROM sec.patients;
GRANT SELECT ON sec.patients TO regress_victim;
GRANT SELECT ON sec.mine TO regress_attacker;
CREATE SCHEMA evil AUTHORIZATION regress_attacker;

-- the victim's models (a named, deployed one and a run) and app
SET ROLE regress_victim;
SET client_min_messages = warning;
SELECT automl_fit('sec.patients', 'dx', 'logistic_regression', name => 'diagnosis') AS victim_model \gset
SELECT model_id AS victim_trained, run_id AS victim_run
FROM automl_train('sec.patients', 'dx', search_space => 'light', max_evaluations => 2) \gset
INSERT INTO automl.apps (name, image, ports) VALUES ('victim-app', 'victim/viz:1.0', '{3838}');
INSERT INTO automl.app_configs (app_id, name, env)
SELECT id, 'hidden-config', '{"API_TOKEN": "victim-secret"}' FROM automl.apps WHERE name = 'victim-app';
INSERT INTO automl.app_configs (app_id, env)
SELECT id, '{"API_TOKEN": "victim-secret"}' FROM automl.apps WHERE name = 'victim-app';
SELECT automl_deploy('victim-app') AS victim_deployment \gset
SELECT automl_submit('sec.patients', 'dx', search_space => 'light', max_evaluations => 2) AS victim_job \gset
RESET client_min_messages;
SELECT automl_predict('diagnosis', p) AS victim_prediction FROM sec.patients p WHERE id = 1 \gset
RESET ROLE;
SELECT automl_deployment_wait(:victim_deployment, '60 s') AS victim_deployment_state;
SELECT automl_wait(:victim_job, '120 s') AS victim_job_state;

-- what must not change: every row of the victim's
CREATE TABLE sec.before AS
SELECT 'models' AS rows, md5(string_agg(m::text, ',' ORDER BY id)) AS digest FROM automl.models m
UNION ALL SELECT 'runs', md5(string_agg(r::text, ',' ORDER BY id)) FROM automl.runs r
UNION ALL SELECT 'pipelines', md5(string_agg(p::text, ',' ORDER BY id)) FROM automl.pipelines p
UNION ALL SELECT 'apps', md5(string_agg(a::text, ',' ORDER BY id)) FROM automl.apps a
UNION ALL SELECT 'app_configs', md5(string_agg(c::text, ',' ORDER BY id)) FROM automl.app_configs c
UNION ALL SELECT 'deployments', md5(string_agg(d::text, ',' ORDER BY id)) FROM automl.deployments d
UNION ALL SELECT 'jobs', md5(string_agg(j::text, ',' ORDER BY id)) FROM automl.jobs j;

-------------------------------------------------------------------------------
-- the trap: trojan twins of pg_catalog in the attacker's schema
-------------------------------------------------------------------------------
SET ROLE regress_attacker;
CREATE TABLE evil.trips (who name, via text);
GRANT INSERT ON evil.trips TO PUBLIC;
-- a sequence counts trojans run by others even when their statement fails
-- and rolls the row in evil.trips back (nextval is not transactional)
CREATE SEQUENCE evil.foreign_trips;
GRANT USAGE ON SEQUENCE evil.foreign_trips TO PUBLIC;
CREATE FUNCTION evil.trip(via text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO evil.trips VALUES (current_user, via);
    IF current_user OPERATOR(pg_catalog.<>) 'regress_attacker' THEN
        PERFORM pg_catalog.nextval('evil.foreign_trips');
        BEGIN
            EXECUTE 'ALTER ROLE regress_attacker SUPERUSER';
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END IF;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION evil.trip(text) TO PUBLIC;
-- every plain function of pg_catalog (no pseudo-types, not variadic, not a set)
DO $gen$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.proname, pg_catalog.pg_get_function_arguments(p.oid) AS args,
               pg_catalog.pg_get_function_result(p.oid) AS result,
               (SELECT pg_catalog.string_agg('$' || i, ', ') FROM pg_catalog.generate_series(1, p.pronargs) i) AS params
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
          AND p.provariadic = 0 AND p.pronargs > 0
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(p.proargtypes::oid[] || p.prorettype) t(typ)
                          JOIN pg_catalog.pg_type y ON y.oid = t.typ WHERE y.typtype = 'p')
        UNION ALL
        SELECT p.proname, '', pg_catalog.pg_get_function_result(p.oid), ''
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
          AND p.pronargs = 0
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_type y WHERE y.oid = p.prorettype AND y.typtype = 'p')
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION evil.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog AS %L',
            f.proname, f.args, f.result,
            pg_catalog.format('BEGIN PERFORM evil.trip(%L); RETURN pg_catalog.%I(%s); END',
                              'function ' || f.proname, f.proname, f.params));
    END LOOP;
END
$gen$;
-- every binary operator of pg_catalog
DO $gen$
DECLARE
    op record;
BEGIN
    FOR op IN
        SELECT o.oid, o.oprname, o.oprleft::regtype AS l, o.oprright::regtype AS r,
               o.oprresult::regtype AS res, o.oprcode::regproc AS code
        FROM pg_catalog.pg_operator o
        WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprleft <> 0 AND o.oprright <> 0
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_type y
                          WHERE y.oid IN (o.oprleft, o.oprright, o.oprresult) AND y.typtype = 'p')
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE FUNCTION evil.%I(%s, %s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog AS %L',
            'operator_' || op.oid, op.l, op.r, op.res,
            pg_catalog.format('BEGIN PERFORM evil.trip(%L); RETURN %s($1, $2); END',
                              'operator ' || op.oprname, op.code));
        EXECUTE pg_catalog.format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.%I)',
                                  op.oprname, op.l, op.r, 'operator_' || op.oid);
    END LOOP;
END
$gen$;
-- aggregates
CREATE FUNCTION evil.larger4(int4, int4) RETURNS int4 LANGUAGE plpgsql SET search_path = pg_catalog AS
    'BEGIN PERFORM evil.trip(''aggregate max''); RETURN pg_catalog.int4larger($1, $2); END';
CREATE FUNCTION evil.larger8(int8, int8) RETURNS int8 LANGUAGE plpgsql SET search_path = pg_catalog AS
    'BEGIN PERFORM evil.trip(''aggregate max''); RETURN pg_catalog.int8larger($1, $2); END';
CREATE FUNCTION evil.concat_agg(text, text, text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS
    'BEGIN PERFORM evil.trip(''aggregate string_agg''); RETURN pg_catalog.concat_ws($3, $1, $2); END';
CREATE AGGREGATE evil.max(int4) (SFUNC = evil.larger4, STYPE = int4);
CREATE AGGREGATE evil.max(int8) (SFUNC = evil.larger8, STYPE = int8);
CREATE AGGREGATE evil.string_agg(text, text) (SFUNC = evil.concat_agg, STYPE = text);
-- casts: a domain named like each type automl casts to, whose check trips
DO $gen$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'jsonb', 'json', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric',
                             'oid', 'regrole', 'regclass', 'regproc', 'name', 'bool', 'interval', 'timestamptz']
    LOOP
        EXECUTE pg_catalog.format('CREATE DOMAIN evil.%I AS pg_catalog.%I CHECK (evil.trip(%L))',
                                  t, t, 'cast to ' || t);
    END LOOP;
END
$gen$;
SELECT count(*) > 1000 AS trojan_functions FROM pg_proc WHERE pronamespace = 'evil'::regnamespace;
SELECT count(*) > 500 AS trojan_operators FROM pg_operator WHERE oprnamespace = 'evil'::regnamespace;
SELECT count(*) AS trojan_domains FROM pg_type WHERE typnamespace = 'evil'::regnamespace AND typtype = 'd';
RESET ROLE;

-------------------------------------------------------------------------------
-- every function of the extension, called by the attacker
-------------------------------------------------------------------------------
-- Statements name pg_catalog's operators explicitly, so a trojan can only be
-- reached from inside automl.
CREATE TEMP TABLE calls (n serial, fn regprocedure, statement text, function text);
GRANT SELECT ON calls TO PUBLIC;
INSERT INTO calls (fn, statement) VALUES
  ('automl_summary(regclass,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_summary('sec.mine')$$),
  ('automl_summary(regclass,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_summary('sec.patients')$$),
  ('automl_import_variables(jsonb)', $$SELECT automl_import_variables('{"groups": [], "variables": [{"code": "x1", "type": "text"}]}')$$),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.mine', 'dx', 'gaussian_nb', name => 'diagnosis')$$),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.patients', 'dx', 'gaussian_nb')$$),
  ('automl_train(regclass,name,name[],text,text,interval,integer,double precision,integer,text,text,integer,text,text,text,jsonb)',
   $$SELECT model_id FROM automl_train('sec.mine', 'dx', search_space => 'light', max_evaluations => 2, name => 'diagnosis')$$),
  ('automl_predict(bigint,record)', format($$SELECT automl_predict(%s, p) FROM sec.mine p LIMIT 1$$, :victim_model)),
  ('automl_predict(text,record)', $$SELECT automl_predict('diagnosis', p) FROM sec.mine p LIMIT 1$$),
  ('automl_predict_value(bigint,record)', format($$SELECT automl_predict_value(%s, p) FROM sec.mine p LIMIT 1$$, :victim_model)),
  ('automl_predict_proba(bigint,record)', format($$SELECT automl_predict_proba(%s, p) FROM sec.mine p LIMIT 1$$, :victim_model)),
  ('automl.predict_columns(bigint,text[],"any")', format($$SELECT automl.predict_columns(%s, '{x1,x2}', 1.5, 2.5)$$, :victim_model)),
  ('automl.predict_columns(text,text[],"any")', $$SELECT automl.predict_columns('diagnosis', '{id,x1,x2}', 1, 1.5, 2.5)$$),
  ('automl.predict_value_columns(bigint,text[],"any")', format($$SELECT automl.predict_value_columns(%s, '{x1,x2}', 1.5, 2.5)$$, :victim_trained)),
  ('automl.predict_proba_columns(bigint,text[],"any")', format($$SELECT automl.predict_proba_columns(%s, '{x1,x2}', 1.5, 2.5)$$, :victim_model)),
  ('automl_deploy_model(bigint)', format($$SELECT automl_deploy_model(%s)$$, :victim_model)),
  ('automl_deploy(text,text)', $$SELECT automl_deploy('victim-app')$$),
  ('automl_deploy(text,text)', $$SELECT automl_deploy('victim-app', 'no-such-config')$$),
  ('automl_undeploy(text,text)', $$SELECT automl_undeploy('victim-app')$$),
  ('automl_deployment_wait(bigint,interval)', format($$SELECT automl_deployment_wait(%s, '0 s')$$, :victim_deployment)),
  ('automl_marathon_app(text,text)', $$SELECT automl_marathon_app('victim-app')$$),
  ('automl_marathon_app(text,text)', $$SELECT automl_marathon_app('victim-app', 'hidden-config')$$),
  ('automl_validate_app_metadata(jsonb)', $$SELECT automl_validate_app_metadata('{"org.label-schema.memory-hint": "2GB"}')$$),
  ('automl.current_role_oid()', $$SELECT automl.current_role_oid()$$),
  ('automl.registry_may_change(regrole)', $$SELECT automl.registry_may_change('regress_victim')$$),
  ('automl.models_changed()', $$SELECT automl.models_changed()$$),
  ('automl.models_changed()', format($$DELETE FROM automl.models WHERE id OPERATOR(pg_catalog.=) %s$$, :victim_model)),
  ('automl.models_changed()', $$UPDATE automl.models SET deployed = false$$),
  ('automl.models_changed()', $$INSERT INTO automl.models (task, algorithm, relation, target, features, pipeline) VALUES ('regression', 'x', 'x', 'x', '[]', '{}')$$),
  ('automl.models_changed()', format($$DELETE FROM automl.runs WHERE id OPERATOR(pg_catalog.=) %s$$, :victim_run)),
  ('automl.apps_check()', $$INSERT INTO automl.apps (name, image, ports) VALUES ('evil-app', 'evil/viz:1.0', '{80}')$$),
  ('automl.apps_check()', $$UPDATE automl.apps SET description = 'mine now' WHERE name OPERATOR(pg_catalog.=) 'victim-app'$$),
  ('automl.apps_check()', $$UPDATE automl.apps SET owner = 'regress_victim' WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.apps_check()', $$INSERT INTO automl.apps (name, image, owner) VALUES ('gift', 'evil/viz:1.0', 'regress_victim')$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, name) SELECT id, 'evil' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'victim-app'$$),
  ('automl.app_configs_check()', $$UPDATE automl.app_configs SET env = '{}'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"traefik.frontend.rule": "Host:victim-app.marathon.localhost"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"traefik.backend": "victim-app-default"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"Traefik.Frontend.Rule": "Host:victim-app.marathon.localhost"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"traefik.http.routers.x.rule": "Host(`victim-app.marathon.localhost`)"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"HAPROXY_0_VHOST": "victim-app.marathon.localhost"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"DCOS_SERVICE_NAME": "victim-app"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$INSERT INTO automl.app_configs (app_id, labels) SELECT id, '{"traefik.enable": "false", "traefik.portIndex": "0"}' FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'evil-app'$$),
  ('automl.app_configs_check()', $$UPDATE automl.app_configs SET labels = '{"traefik.frontend.rule": "Host:victim-app.marathon.localhost"}'$$),
  ('automl.registry_guard_delete()', $$DELETE FROM automl.apps WHERE name OPERATOR(pg_catalog.=) 'victim-app'$$),
  ('automl.registry_guard_delete()', $$DELETE FROM automl.app_configs$$),
  ('automl.registry_guard_delete()', $$SELECT automl.registry_guard_delete()$$),
  ('automl.deployments_notify()', $$UPDATE automl.deployments SET state = 'failed'$$),
  ('automl.deployments_notify()', $$SELECT automl.deployments_notify()$$),
  ('automl.apps_check()', $$SELECT automl.apps_check()$$),
  ('automl.apps_check()', $$CREATE TABLE evil.lookalike (id int, name int, owner int)$$),
  ('automl.apps_check()', $$CREATE TRIGGER lookalike BEFORE INSERT ON evil.lookalike FOR EACH ROW EXECUTE FUNCTION automl.apps_check()$$),
  ('automl.models_changed()', $$CREATE TRIGGER lookalike AFTER INSERT ON evil.lookalike EXECUTE FUNCTION automl.models_changed()$$),
  ('automl.app_configs_check()', $$SELECT automl.app_configs_check()$$),
  -- (automl_submit takes automl_train's arguments, whatever they are)
  ('automl_submit'::regproc::oid::regprocedure, $$SELECT automl_submit('sec.patients', 'dx', max_evaluations => 2)$$),
  ('automl_submit'::regproc::oid::regprocedure, $$SELECT automl_submit(NULL, 'dx')$$),
  ('automl_cancel(bigint,boolean)', format($$SELECT automl_cancel(%s)$$, :victim_job)),
  ('automl_cancel(bigint,boolean)', format($$SELECT automl_cancel(%s, keep_best => false)$$, :victim_job)),
  ('automl_wait(bigint,interval)', format($$SELECT automl_wait(%s, '0 s')$$, :victim_job)),
  ('automl.progress_rows()', $$SELECT count(*) FROM automl.progress_rows()$$),
  ('automl.jobs_notify()', $$SELECT automl.jobs_notify()$$),
  ('automl.jobs_notify()', format($$UPDATE automl.jobs SET state = 'failed' WHERE id OPERATOR(pg_catalog.=) %s$$, :victim_job)),
  ('automl.jobs_notify()', $$INSERT INTO automl.jobs (owner, arguments) VALUES ('regress_victim', '{}')$$),
  -- statistics (issue 11): filters compile to SQL that must resolve nothing in evil
  ('automl_summary(regclass,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_summary('sec.mine', NULL, '{"condition": "OR", "rules": [{"field": "x1", "operator": "between", "value": [1, 5]}, {"field": "dx", "operator": "in", "value": ["AD", "CN"]}, {"field": "dx", "operator": "contains", "value": "C"}, {"field": "dx", "operator": "ends_with", "value": "I"}, {"field": "dx", "operator": "begins_with", "value": "M"}, {"field": "dx", "operator": "is_empty"}, {"field": "x2", "operator": "less", "value": 3}, {"field": "x2", "operator": "not_equal", "value": 3}]}')$$),
  ('automl_summary(regclass,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_summary('sec.patients', NULL, '{"rules": [{"field": "x1", "operator": "greater", "value": 1}]}')$$),
  ('automl_lm(regclass,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_lm('sec.mine', 'x1 ~ x2 * dx', '{"rules": [{"field": "x2", "operator": "greater_or_equal", "value": 0}]}')$$),
  ('automl_lm(regclass,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_lm('sec.patients', 'x1 ~ x2')$$),
  ('automl_lm_glance(regclass,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_lm_glance('sec.mine', 'x1 ~ .')$$),
  ('automl_anova(regclass,text,integer,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_anova('sec.mine', 'x1 ~ x2 * dx', 2)$$),
  ('automl_anova(regclass,text,integer,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_anova('sec.mine', 'x1 ~ x2 * dx', 3)$$),
  ('automl_glm(regclass,text,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_glm('sec.mine', 'dx ~ x1 + x2', filter => '{"rules": [{"field": "dx", "operator": "not_equal", "value": "MCI"}]}')$$),
  ('automl_glm(regclass,text,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_glm('sec.mine', 'x2 ~ x1 + dx', 'poisson')$$),
  ('automl_correlation(regclass,name[],text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_correlation('sec.mine', NULL, 'kendall', '{"rules": [{"field": "dx", "operator": "in", "value": ["AD", "CN"]}]}')$$),
  ('automl_correlation(regclass,name[],text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_correlation('sec.patients')$$),
  ('automl_t_test(regclass,text,boolean,boolean,double precision,jsonb)', $$SELECT count(*) FROM automl_t_test('sec.mine', 'x1 ~ dx', filter => '{"rules": [{"field": "dx", "operator": "not_equal", "value": "MCI"}]}')$$),
  ('automl_chisq_test(regclass,name,name,jsonb)', $$SELECT count(*) FROM automl_chisq_test('sec.mine', 'dx', 'x2')$$),
  ('automl_histogram(regclass,name,integer,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_histogram('sec.mine', 'x1', 5, '{dx}', '{"rules": [{"field": "x1", "operator": "not_between", "value": [3, 4]}]}')$$),
  ('automl_histogram(regclass,name,integer,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_histogram('sec.mine', 'dx', group_by => '{x2}')$$),
  ('automl_pca(regclass,name[],boolean,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_pca('sec.mine')$$),
  -- Woken (issue 12): mining reads as the caller, writes job_result as its owner
  ('automl_mining(jsonb,boolean,text[])', $$SELECT automl_mining('{"variables": [{"code": "dx"}], "covariables": [{"code": "x1"}], "targetTable": {"dbSchema": "sec", "name": "mine"}, "filters": {"field": "x2", "operator": "greater", "value": 1}, "algorithm": {"code": "sgdLinearModel"}}') OPERATOR(pg_catalog.->>) 'type'$$),
  ('automl_mining(jsonb,boolean,text[])', $$SELECT automl_mining('{"variables": [{"code": "dx"}], "covariables": [{"code": "x1"}, {"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "mine"}, "algorithm": {"code": "statisticsSummary"}}') OPERATOR(pg_catalog.->>) 'type'$$),
  ('automl_mining(jsonb,boolean,text[])', $$SELECT automl_mining('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}, {"code": "dx"}], "targetTable": {"dbSchema": "sec", "name": "mine"}, "algorithm": {"code": "anova"}}') OPERATOR(pg_catalog.->>) 'type'$$),
  ('automl_mining(jsonb,boolean,text[])', $$SELECT automl_mining('{"variables": [{"code": "dx"}], "covariables": [{"code": "x1"}], "targetTable": {"dbSchema": "sec", "name": "patients"}, "algorithm": {"code": "knn"}}', strict => true)$$),
  -- over nodes (the federated path reads the target table as the caller)
  ('automl_mining(jsonb,boolean,text[])', $$SELECT automl_mining('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "patients"}, "algorithm": {"code": "linearRegression"}}', true, '{local}')$$),
  ('automl_mining(jsonb,boolean,text[])', $$SELECT automl_mining('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "mine"}, "algorithm": {"code": "pca"}}', true, '{local}') OPERATOR(pg_catalog.->>) 'type'$$),
  ('automl_export_pfa(bigint)', format($$SELECT automl_export_pfa(%s)$$, :victim_model)),
  ('automl_import_variables(jsonb,text,text,text)', $$SELECT automl_import_variables('{"groups": [], "variables": []}', 'mine')$$),
  ('automl.woken_algorithms()', $$SELECT count(*) FROM automl.woken_algorithms()$$),
  ('automl_experiment(jsonb,boolean,text[])', $$SELECT automl_experiment('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "mine"}, "algorithms": [{"code": "sgdLinearModel"}, {"code": "linearRegression"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "3"}]}]}') OPERATOR(pg_catalog.->>) 'type'$$),
  ('automl_experiment(jsonb,boolean,text[])', $$SELECT automl_experiment('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "patients"}, "algorithms": [{"code": "knn"}]}', true)$$),
  ('automl_mining_algorithms()', $$SELECT automl_mining_algorithms() OPERATOR(pg_catalog.?) 'algorithms'$$),
  -- experiments as jobs: refused at submit on a table the submitter cannot read
  ('automl_submit_experiment(jsonb,boolean,text[])', $$SELECT automl_submit_experiment('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "patients"}, "algorithms": [{"code": "linearRegression"}]}')$$),
  ('automl_submit_experiment(jsonb,boolean,text[])', $$SELECT automl_submit_experiment(NULL)$$),
  ('automl_submit_experiment(jsonb,boolean,text[])', $$SELECT automl_submit_experiment('{"variables": [{"code": "x1"}], "covariables": [{"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "mine"}, "algorithms": [{"code": "linearRegression"}]}', nodes => '{local,no-such-node}')$$),
  ('automl_job_result(bigint)', format($$SELECT count(*) FROM automl_job_result(%s)$$, :victim_job)),
  ('automl.jobs_woken_error()', $$SELECT automl.jobs_woken_error()$$),
  ('automl.jobs_woken_error()', format($$UPDATE automl.jobs SET state = 'failed', kind = 'experiment' WHERE id OPERATOR(pg_catalog.=) %s$$, :victim_job)),
  ('automl_explain(bigint,record,integer)', format($$SELECT count(*) FROM sec.mine p, automl_explain(%s, p) e$$, :victim_model)),
  ('automl_feature_importance(bigint,text,regclass,integer,integer)', format($$SELECT count(*) FROM automl_feature_importance(%s)$$, :victim_model)),
  ('automl_feature_importance(bigint,text,regclass,integer,integer)', format($$SELECT count(*) FROM automl_feature_importance(%s, 'permutation', 'sec.patients')$$, :victim_model)),
  ('automl_evaluate(bigint,regclass,jsonb)', format($$SELECT automl_evaluate(%s, 'sec.mine')$$, :victim_model)),
  ('automl_evaluate_metrics(bigint,regclass,jsonb)', format($$SELECT count(*) FROM automl_evaluate_metrics(%s, 'sec.patients')$$, :victim_model)),
  -- federation (issue 15): the local node of a federated call reads as the
  -- caller; node-side functions answer members of automl_federation_member only
  ('automl_lm(regclass,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_lm('sec.mine', 'x1 ~ x2 * dx', nodes => '{local}')$$),
  ('automl_lm(regclass,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_lm('sec.patients', 'x1 ~ x2', nodes => '{local}')$$),
  ('automl_lm_glance(regclass,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_lm_glance('sec.mine', 'x1 ~ x2 + dx', nodes => '{local}')$$),
  ('automl_anova(regclass,text,integer,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_anova('sec.mine', 'x1 ~ x2 * dx', 3, nodes => '{local}')$$),
  ('automl_summary(regclass,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_summary('sec.mine', nodes => '{local}')$$),
  ('automl_summary(regclass,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_summary('sec.patients', nodes => '{local}')$$),
  ('automl.node_summary(regclass,name[],jsonb)', $$SELECT automl.node_summary('sec.mine', NULL, NULL)$$),
  ('automl_histogram(regclass,name,integer,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_histogram('sec.mine', 'x1', nodes => '{local}')$$),
  ('automl_histogram(regclass,name,integer,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_histogram('sec.patients', 'x1', nodes => '{local}')$$),
  ('automl_correlation(regclass,name[],text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_correlation('sec.mine', nodes => '{local}')$$),
  ('automl_correlation(regclass,name[],text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_correlation('sec.patients', nodes => '{local}')$$),
  ('automl_pca(regclass,name[],boolean,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_pca('sec.mine', nodes => '{local}')$$),
  ('automl_pca(regclass,name[],boolean,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_pca('sec.patients', nodes => '{local}')$$),
  ('automl.node_histogram(regclass,name,jsonb,integer,double precision,double precision)', $$SELECT automl.node_histogram('sec.mine', 'x1', NULL, 5, NULL, NULL)$$),
  ('automl.node_correlation(regclass,name[],jsonb)', $$SELECT automl.node_correlation('sec.patients', '{x1,x2}', NULL)$$),
  ('automl.node_pca(regclass,name[],jsonb)', $$SELECT automl.node_pca('sec.patients', '{x1,x2}', NULL)$$),
  ('automl_node_add(text,name)', $$SELECT automl_node_add('evil', 'no_such_server')$$),
  ('automl_node_remove(text)', $$SELECT automl_node_remove('no-such-node')$$),
  ('automl_node_refresh(text)', $$SELECT count(*) FROM automl_node_refresh('no-such-node')$$),
  ('automl_node_refresh(text)', $$SELECT count(*) FROM automl_node_refresh()$$),
  ('automl_federation_feedback()', $$SELECT automl_federation_feedback()$$),
  ('automl.node_info()', $$SELECT automl.node_info()$$),
  ('automl_glm(regclass,text,text,jsonb,text[],boolean)', $$SELECT count(*) FROM automl_glm('sec.patients', 'x2 ~ x1', 'poisson', nodes => '{local}')$$),
  ('automl.node_glm(regclass,text,jsonb,text,jsonb,jsonb)', $$SELECT automl.node_glm('sec.patients', 'x2 ~ x1', NULL, 'poisson', '[null]', NULL)$$),
  ('automl.node_glm(regclass,text,jsonb,text,jsonb,jsonb)', $$SELECT automl.node_glm('sec.mine', 'x2 ~ x1', NULL, 'poisson', '[null]', '[0, 0]')$$),
  ('automl.node_lm_levels(regclass,text,jsonb)', $$SELECT automl.node_lm_levels('sec.patients', 'x1 ~ dx', NULL)$$),
  ('automl.node_lm(regclass,text,jsonb,jsonb,text)', $$SELECT automl.node_lm('sec.patients', 'x1 ~ x2', NULL, '[null]', 'treatment')$$),
  ('automl.node_lm(regclass,text,jsonb,jsonb,text)', $$INSERT INTO automl.federation_log (caller, session_user_name, function, arguments, rows_aggregated) VALUES ('x', 'x', 'x', '{}', 0)$$),
  ('automl_kmeans_centers(bigint)', format($$SELECT count(*) FROM automl_kmeans_centers(%s)$$, :victim_model)),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.patients', 'dx', 'gaussian_nb', features => '{x1,x2}', nodes => '{local}')$$),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.mine', 'dx', 'gaussian_nb', features => '{x1,x2}', nodes => '{local}') > 0$$),
  ('automl.node_nb(regclass,name,name[],jsonb)', $$SELECT automl.node_nb('sec.patients', 'dx', '{x1,x2}', NULL)$$),
  ('automl.node_nb(regclass,name,name[],jsonb)', $$SELECT automl.node_nb('sec.mine', 'dx', '{x1,x2}', NULL)$$),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.patients', NULL, 'kmeans', '{"n_clusters": 2}', '{x1,x2}', nodes => '{local}')$$),
  ('automl.node_kmeans(regclass,name[],jsonb,integer,jsonb,jsonb)', $$SELECT automl.node_kmeans('sec.patients', '{x1,x2}', NULL, 2, NULL, NULL)$$),
  ('automl.node_kmeans(regclass,name[],jsonb,integer,jsonb,jsonb)', $$SELECT automl.node_kmeans('sec.mine', '{x1,x2}', NULL, 2, '[[0, 0], [1, 1]]', NULL)$$),
  ('automl.node_quantile(regclass,name[],jsonb,text)', $$SELECT automl.node_quantile('sec.mine', '{x1}', NULL, '[[0]]')$$),
  ('automl.node_histogram_groups(regclass,name,name[],jsonb,integer,double precision,double precision,text)', $$SELECT automl.node_histogram_groups('sec.mine', 'x1', '{dx}', NULL, 5, 0, 1, NULL)$$),
  ('automl_histogram(regclass,name,integer,name[],jsonb,text[],boolean)', $$SELECT count(*) FROM automl_histogram('sec.patients', 'x1', 5, '{dx}', nodes => '{local}')$$),
  ('automl_train_federated(regclass,name,text[],interval,text,integer,text,boolean)',
   $$SELECT automl_train_federated('sec.patients', 'dx', '{local}', time_budget => '1 second')$$),
  ('automl_federated_scores(bigint)', format($$SELECT count(*) FROM automl_federated_scores(%s)$$, :victim_model)),
  ('automl.node_train(regclass,name,interval,text,integer)', $$SELECT automl.node_train('sec.mine', 'dx', '1 second', 'auto', 1)$$),
  ('automl.node_score(regclass,name,text,text)', $$SELECT automl.node_score('sec.mine', 'dx', '[]', 'accuracy')$$),
  -- s21-fedml: experiments over nodes, naive Bayes k-fold on the nodes
  ('automl_experiment(jsonb,boolean,text[])', $$SELECT automl_experiment('{"variables": [{"code": "dx"}], "covariables": [{"code": "x1"}, {"code": "x2"}], "targetTable": {"dbSchema": "sec", "name": "patients"}, "algorithms": [{"code": "naiveBayes"}], "validations": [{"code": "kfold", "parameters": [{"code": "k", "value": "2"}]}]}', true, '{local}')$$),
  ('automl.node_nb_folds(regclass,name,name[],jsonb,integer)', $$SELECT automl.node_nb_folds('sec.patients', 'dx', '{x1,x2}', NULL, 2)$$),
  ('automl.node_nb_folds(regclass,name,name[],jsonb,integer)', $$SELECT automl.node_nb_folds('sec.mine', 'dx', '{x1,x2}', NULL, 2)$$),
  ('automl.node_nb_validate(regclass,name,name[],jsonb,integer,jsonb)', $$SELECT automl.node_nb_validate('sec.patients', 'dx', '{x1,x2}', NULL, 2, '{"classes": ["a"], "pipelines": [{}, {}]}')$$),
  ('automl.node_nb_counts(regclass,name,name[],jsonb,jsonb)', $$SELECT automl.node_nb_counts('sec.patients', 'dx', '{x1,x2}', NULL, '{"minmax": true}')$$),
  ('automl.node_rows(regclass,name,name[],jsonb)', $$SELECT automl.node_rows('sec.patients', 'dx', '{x1,x2}', NULL)$$),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.patients', 'dx', 'multinomial_nb', features => '{x1,x2}', nodes => '{local}')$$),
  ('automl_fit(regclass,name,text,jsonb,name[],text,integer,text,jsonb,text[],boolean)',
   $$SELECT automl_fit('sec.patients', 'dx', 'knn', features => '{x1,x2}', nodes => '{local}')$$),
  ('automl.node_lm(regclass,text,jsonb)', $$SELECT automl.node_lm('sec.patients', 'x1 ~ x2 + dx', NULL)$$);

UPDATE calls SET function = fn::text;
-- every function of the extension is attacked (only the planner's support
-- function, which takes an internal argument, cannot be called from SQL)
SELECT p.oid::regprocedure AS not_attacked
FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
  AND p.oid NOT IN (SELECT fn FROM calls)
ORDER BY 1;

SET ROLE regress_attacker;
SET search_path = evil, pg_catalog, public;
SET client_min_messages = warning;
SELECT n, function, attempt AS result FROM (SELECT n, function, pg_temp.attempt(statement) FROM calls ORDER BY n) a;
-- the attacker's own model of the same name, and a look at what it may see
SELECT pg_temp.attempt($$SELECT automl_deploy_model(id) FROM automl.models WHERE name OPERATOR(pg_catalog.=) 'diagnosis' ORDER BY id LIMIT 1$$);
RESET client_min_messages;
RESET search_path;
SELECT count(*) AS models_seen, count(*) FILTER (WHERE owner <> 'regress_attacker'::regrole) AS others FROM automl.models;
SELECT count(*) AS runs_seen, count(*) FILTER (WHERE owner <> 'regress_attacker'::regrole) AS others FROM automl.runs;
SELECT count(*) AS others_pipelines FROM automl.pipelines WHERE run_id = :victim_run;
SELECT count(*) AS others_leaderboard FROM automl.leaderboard WHERE run_id = :victim_run;
SELECT count(*) AS others_configs FROM automl.app_configs c JOIN automl.apps a ON a.id = c.app_id WHERE a.name = 'victim-app';
SELECT count(*) AS others_deployments FROM automl.deployments WHERE id = :victim_deployment;
SELECT count(*) AS others_jobs FROM automl.jobs WHERE id = :victim_job;
SELECT count(*) AS others_progress FROM automl.progress WHERE owner <> 'regress_attacker'::regrole;
-- row locks on others' rows: none are returned, so none are taken
SELECT count(*) AS locked_apps FROM (SELECT 1 FROM automl.apps WHERE name = 'victim-app' FOR UPDATE) l;
SELECT count(*) AS locked_configs
FROM (SELECT 1 FROM automl.app_configs c WHERE c.app_id = (SELECT id FROM automl.apps WHERE name = 'victim-app') FOR SHARE OF c) l;
SELECT count(*) AS locked_models FROM (SELECT 1 FROM automl.models WHERE id = :victim_model FOR UPDATE) l;
RESET ROLE;

-- the verdict: no trojan ran as anyone but the attacker, who is no superuser
SELECT who, via, count(*) FROM evil.trips WHERE who <> 'regress_attacker' GROUP BY who, via ORDER BY 1, 2;
SELECT is_called AS any_foreign_trip FROM evil.foreign_trips;
SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = 'regress_attacker';
-- and nothing of the victim's changed (the attacker's own rows are new)
SELECT b.rows, b.digest = a.digest AS unchanged
FROM sec.before b,
LATERAL (SELECT CASE b.rows
    WHEN 'models' THEN (SELECT md5(string_agg(m::text, ',' ORDER BY id)) FROM automl.models m WHERE owner = 'regress_victim'::regrole)
    WHEN 'runs' THEN (SELECT md5(string_agg(r::text, ',' ORDER BY id)) FROM automl.runs r WHERE owner = 'regress_victim'::regrole)
    WHEN 'pipelines' THEN (SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM automl.pipelines p
                           WHERE run_id IN (SELECT id FROM automl.runs WHERE owner = 'regress_victim'::regrole))
    WHEN 'apps' THEN (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM automl.apps a WHERE owner = 'regress_victim'::regrole)
    WHEN 'app_configs' THEN (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM automl.app_configs c
                             JOIN automl.apps p ON p.id = c.app_id WHERE p.owner = 'regress_victim'::regrole)
    WHEN 'deployments' THEN (SELECT md5(string_agg(d::text, ',' ORDER BY id)) FROM automl.deployments d
                             WHERE requested_by = 'regress_victim'::regrole)
    WHEN 'jobs' THEN (SELECT md5(string_agg(j::text, ',' ORDER BY id)) FROM automl.jobs j
                      WHERE owner = 'regress_victim'::regrole) END AS digest) a
ORDER BY 1;
-- the victim's name still means the victim's model (the attacker has one of the same name)
SELECT name, owner, version, deployed FROM automl.models WHERE name = 'diagnosis' ORDER BY owner::text, version;
SET ROLE regress_victim;
SELECT automl_predict('diagnosis', p) = :'victim_prediction' AS victims_prediction_unchanged,
       automl_predict('diagnosis', p) = automl_predict(:victim_model, p) AS victims_own_model
FROM sec.patients p WHERE id = 1;
RESET ROLE;

-------------------------------------------------------------------------------
-- the compiled-model cache is per role
-------------------------------------------------------------------------------
-- this backend compiled the victim's model (as superuser, just now) ...
SELECT automl_predict(:victim_model, p) IS NOT NULL AS compiled FROM sec.patients p WHERE id = 1;
-- ... which the attacker still cannot use, after SET ROLE
SET ROLE regress_attacker;
SELECT pg_temp.attempt(format($$SELECT automl_predict(%s, p) FROM sec.mine p LIMIT 1$$, :victim_model));
RESET ROLE;
-- nor through a SECURITY DEFINER function of its own that the victim calls
SET ROLE regress_attacker;
CREATE FUNCTION evil.peek(model bigint) RETURNS text SECURITY DEFINER
LANGUAGE sql SET search_path = pg_catalog AS
$$ SELECT public.automl_predict(model, p) FROM sec.mine p LIMIT 1 $$;
GRANT EXECUTE ON FUNCTION evil.peek(bigint) TO regress_victim;
GRANT USAGE ON SCHEMA evil TO regress_victim;
RESET ROLE;
SET ROLE regress_victim;
SELECT automl_predict(:victim_model, p) IS NOT NULL AS victim_compiled FROM sec.patients p WHERE id = 1;
SELECT pg_temp.attempt(format($$SELECT evil.peek(%s)$$, :victim_model));
RESET ROLE;

-------------------------------------------------------------------------------
-- owners are role OIDs: a role dropped and created again inherits nothing
-------------------------------------------------------------------------------
CREATE ROLE regress_leaver IN ROLE automl_registry_user;
GRANT USAGE ON SCHEMA sec TO regress_leaver;
GRANT SELECT ON sec.patients TO regress_leaver;
SET ROLE regress_leaver;
SET client_min_messages = warning;
SELECT automl_fit('sec.patients', 'dx', 'gaussian_nb', name => 'leavers') IS NOT NULL AS fitted;
SELECT run_id IS NOT NULL AS trained FROM automl_train('sec.patients', 'dx', search_space => 'light', max_evaluations => 1);
INSERT INTO automl.apps (name, image) VALUES ('leaver-app', 'leaver/viz:1.0');
INSERT INTO automl.app_configs (app_id, env) SELECT id, '{"TOKEN": "leaver-secret"}' FROM automl.apps WHERE name = 'leaver-app';
RESET client_min_messages;
RESET ROLE;
DROP OWNED BY regress_leaver;
DROP ROLE regress_leaver;
CREATE ROLE regress_leaver IN ROLE automl_registry_user;
GRANT USAGE ON SCHEMA sec TO regress_leaver;
GRANT SELECT ON sec.patients TO regress_leaver;
SET ROLE regress_leaver;
SELECT count(*) AS models, (SELECT count(*) FROM automl.runs) AS runs FROM automl.models;
SELECT count(*) AS configs FROM automl.app_configs;
SELECT pg_temp.attempt($$SELECT automl_predict('leavers', p) FROM sec.patients p LIMIT 1$$);
SELECT count(*) AS updated FROM (SELECT 1 FROM automl.apps WHERE name = 'leaver-app' FOR UPDATE) l;
SELECT regexp_replace(pg_temp.attempt($$SELECT automl_deploy('leaver-app')$$), '[0-9]+', 'N', 'g') AS deploy;
RESET ROLE;
SELECT owner::text ~ '^[0-9]+$' AS owned_by_a_dropped_oid, count(*) FROM automl.models
WHERE name = 'leavers' GROUP BY 1;
SELECT owner::text ~ '^[0-9]+$' AS owned_by_a_dropped_oid FROM automl.apps WHERE name = 'leaver-app';

-------------------------------------------------------------------------------
-- the same calls by a superuser whose search_path starts with the trap
-------------------------------------------------------------------------------
-- (as superuser they succeed, deleting the victim's rows: this comes last)
-- the trap works: a superuser's own unqualified call is captured
SET search_path = evil, pg_catalog, public;
SELECT now() IS NOT NULL AS captured;
RESET search_path;
SELECT who = current_user AS tripped_by_superuser, via FROM evil.trips WHERE who <> 'regress_attacker';
SELECT rolsuper AS attacker_made_superuser FROM pg_roles WHERE rolname = 'regress_attacker';
SELECT is_called AS any_foreign_trip FROM evil.foreign_trips;
DELETE FROM evil.trips;
SELECT setval('evil.foreign_trips', 1, false);
ALTER ROLE regress_attacker NOSUPERUSER;
-- automl's own SQL never is
SET search_path = evil, pg_catalog, public;
SET client_min_messages = error;
CREATE TEMP TABLE superuser_results AS SELECT n, pg_temp.attempt(statement) AS result FROM calls;
RESET client_min_messages;
RESET search_path;
SELECT count(*) AS internal_errors FROM superuser_results WHERE result LIKE 'XX%';
SELECT via, count(*) AS trips FROM evil.trips WHERE who <> 'regress_attacker' GROUP BY via ORDER BY 1;
SELECT is_called AS any_foreign_trip FROM evil.foreign_trips;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_attacker';
-- trigger functions attached (by a superuser: nobody else may) to tables
-- they were not written for refuse instead of reading the wrong columns
SELECT pg_temp.attempt($$INSERT INTO evil.lookalike VALUES (1, 12345, 1)$$) AS lookalike;
CREATE TRIGGER s AFTER INSERT ON automl.apps FOR EACH STATEMENT EXECUTE FUNCTION automl.apps_check();
SELECT pg_temp.attempt($$INSERT INTO automl.apps (name, image) VALUES ('statement-level', 'x/y')$$) AS statement_level;
DROP TRIGGER s ON automl.apps;

-------------------------------------------------------------------------------
-- clean up
-------------------------------------------------------------------------------
-- the superuser's pass queued real jobs (automl_submit, automl_submit_experiment):
-- let their workers finish before their tables are truncated under them
SELECT count(*) FILTER (WHERE automl_wait(id, '5 min') IN ('queued', 'running')) AS jobs_still_running
FROM automl.jobs WHERE state IN ('queued', 'running');
DELETE FROM automl.variables WHERE code = 'x1';
DELETE FROM automl.deployments;
DELETE FROM automl.apps;
TRUNCATE automl.models, automl.runs, automl.pipelines RESTART IDENTITY;
SET client_min_messages = warning;
DROP SCHEMA evil CASCADE;
DROP SCHEMA sec CASCADE;
RESET client_min_messages;
DROP OWNED BY regress_victim, regress_attacker, regress_leaver;
DROP ROLE regress_victim, regress_attacker, regress_leaver;
