-- registry_step.sql — one pgbench transaction of the app registry benchmark:
-- a deploy or undeploy request, committed (see registry_setup.sql).
BEGIN;
SELECT bench.step(:client_id, :phase);
COMMIT;
