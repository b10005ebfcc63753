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


-- Owners of models, runs, apps and deployment requests are role OIDs, never
-- names: a role dropped and created again under the same name inherits
-- nothing.  This is the current user's OID, for defaults and policies.
CREATE FUNCTION automl.current_role_oid()
RETURNS pg_catalog.regrole
AS 'MODULE_PATHNAME', 'automl_current_role_oid'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION automl.current_role_oid() IS
    'The current user (current_user) as a role OID: the owner of what the caller creates';

-- The install's check of the roles it makes or reuses (src/pg/security.h):
-- each area's part calls it for its roles; 99_end.sql drops it.
CREATE FUNCTION automl.install_role(role_name text, may_be_member_of text[], whose text,
                                    comment_prefix text)
RETURNS void
AS 'MODULE_PATHNAME', 'automl_install_role'
LANGUAGE C VOLATILE;
