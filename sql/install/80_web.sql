-- 80_web.sql — what the HTTP API (src/web) needs in the database

-- /events finds the deployment requests changed since its last look by
-- updated_at (src/web/web_events.c); without this index every look would
-- read the whole table.
CREATE INDEX deployments_updated_at ON automl.deployments (updated_at);
