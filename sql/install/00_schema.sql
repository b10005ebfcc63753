-- 00_schema.sql — start of the install script of automl 0.1.
--
-- sql/automl--0.1.sql is built by concatenating the files of sql/install in
-- name order (Makefile); each area of the extension owns one part.

\echo Use "CREATE EXTENSION automl" to load this file. \quit

-- Tables live in the extension-owned schema automl; functions live in the
-- schema the extension is created in (public by default), so that
-- SELECT automl_summary('t') works with the default search_path.
CREATE SCHEMA automl;
COMMENT ON SCHEMA automl IS 'automl: meta-db, models, runs, jobs and the app registry';
GRANT USAGE ON SCHEMA automl TO PUBLIC;

