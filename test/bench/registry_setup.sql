-- registry_setup.sql — the app registry benchmark's database (registry_bench.sh).
--
-- Three phases (1: as fast as possible, 2: at a fixed rate, 3: faults
-- injected), each with :napps apps spread over :clients pgbench clients.  Each pgbench transaction calls
-- bench.step(client, phase): the client takes its next app (round robin over
-- its own apps of the phase) and deploys it if it is not deployed, or
-- undeploys it otherwise.  The request id and the time just before COMMIT go
-- to bench.log.
CREATE EXTENSION automl;
CREATE SCHEMA bench;

INSERT INTO automl.apps (name, image, ports)
SELECT format('bench-%s-%s', p, i), 'hbpmip/viz:' || i, '{8080}'
FROM generate_series(1, 3) p, generate_series(1, :napps) i;
INSERT INTO automl.app_configs (app_id, cpus, mem, env)
SELECT id, 0.1, 64, jsonb_build_object('APP', name) FROM automl.apps;

CREATE TABLE bench.targets (
    phase    int NOT NULL,
    client   int NOT NULL,
    slot     int NOT NULL,
    app      text NOT NULL PRIMARY KEY,
    deployed boolean NOT NULL DEFAULT false,
    UNIQUE (phase, client, slot)
);
INSERT INTO bench.targets (phase, client, slot, app)
SELECT p, (i - 1) % :clients, (i - 1) / :clients, format('bench-%s-%s', p, i)
FROM generate_series(1, 3) p, generate_series(1, :napps) i;

CREATE TABLE bench.cursor (
    phase  int NOT NULL,
    client int NOT NULL,
    next   int NOT NULL DEFAULT 0,
    PRIMARY KEY (phase, client)
);
INSERT INTO bench.cursor (phase, client)
SELECT p, c FROM generate_series(1, 3) p, generate_series(0, :clients - 1) c;

CREATE TABLE bench.log (
    request_id bigint PRIMARY KEY,
    phase      int NOT NULL,
    client     int NOT NULL,
    app        text NOT NULL,
    action     text NOT NULL,
    t_commit   timestamptz NOT NULL     -- clock_timestamp() just before COMMIT
);

CREATE FUNCTION bench.step(c int, ph int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    turn  int;
    n     int;
    t     record;
    id    bigint;
BEGIN
    UPDATE bench.cursor SET next = next + 1 WHERE phase = ph AND client = c RETURNING next - 1 INTO turn;
    SELECT count(*) INTO n FROM bench.targets WHERE phase = ph AND client = c;
    SELECT app, deployed INTO t FROM bench.targets WHERE phase = ph AND client = c AND slot = turn % n;
    IF t.deployed THEN
        id := automl_undeploy(t.app);
    ELSE
        id := automl_deploy(t.app);
    END IF;
    UPDATE bench.targets SET deployed = NOT deployed WHERE app = t.app;
    INSERT INTO bench.log
    VALUES (id, ph, c, t.app, CASE WHEN t.deployed THEN 'undeploy' ELSE 'deploy' END, clock_timestamp());
    RETURN id;
END $$;
