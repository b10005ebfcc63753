/*
 * security.h — acting as another role, and pinning search_path, safely.
 *
 * Every change of user id in automl goes through aml_act_as(): it opens a
 * GUC nest level, pins search_path to "pg_catalog, pg_temp" in it, and then
 * (for a valid role) switches to that role in a restricted security context
 * (SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION).
 * aml_act_end() undoes both; an error unwinds both with the (sub)transaction.
 * Statements run meanwhile name pg_catalog's functions, types and operators
 * explicitly (OPERATOR(pg_catalog.=)), so no object of the caller's can be
 * reached, whatever the caller's search_path was.
 *
 * aml_act_as(&a, InvalidOid) only pins search_path: for SQL that the
 * extension runs as the current role on its own tables (triggers, queries
 * on automl.*), so that a writable schema in someone's search_path cannot
 * capture what automl calls.
 */
#ifndef AML_PG_SECURITY_H
#define AML_PG_SECURITY_H

#include "postgres.h"

/* The search_path of every statement automl runs on its own tables. */
#define AML_SAFE_SEARCH_PATH "pg_catalog, pg_temp"

typedef struct AmlActAs
{
	Oid			saved_user;
	int			saved_context;
	int			guc_level;
	bool		switched;		/* the user id was changed */
	bool		active;
} AmlActAs;

/* Pin search_path; switch to `role` unless it is InvalidOid. */
void		aml_act_as(AmlActAs *a, Oid role);
/*
 * For a job worker (src/jobs) only: as aml_act_as(a, role) but without
 * SECURITY_RESTRICTED_OPERATION (as SET ROLE inside a SECURITY DEFINER
 * function), so that the job owner's work may create temporary objects
 * (automl_experiment's view and folds; the owner's TEMP privilege is
 * checked by the server).  The worker's session ends with the job.
 */
void		aml_act_as_job_owner(AmlActAs *a, Oid role);
/* Pin search_path and act as the owner of automl.<relname> (which must exist). */
void		aml_act_as_owner_of(AmlActAs *a, const char *relname);
/* Restore the caller's user id and search_path. */
void		aml_act_end(AmlActAs *a);
/* The role that was current before aml_act_as() (the caller). */
Oid			aml_act_caller(const AmlActAs *a);

/* A role for messages: "alice" (quoted), or "16384 (dropped)" for a role that no longer exists. */
char	   *aml_role_label(Oid role);

/* Oid of automl.<relname>, InvalidOid when it does not exist. */
Oid			aml_automl_relid(const char *relname);
/* Owner of automl.<relname>; errors (42P01) when it does not exist. */
Oid			aml_automl_table_owner(const char *relname);

/*
 * The roles automl's install makes (automl_registry_user, automl_job_admin
 * ...) belong to the whole cluster.  aml_install_role() creates one (NOLOGIN)
 * or reuses one that exists when it carries no attribute (LOGIN, SUPERUSER,
 * CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS, a password) and no
 * membership outside may_be_member_of (NULL-terminated); otherwise it fails
 * (42710), saying that `whose` ("every job administrator") would get them.
 * With comment_prefix, reusing a role whose comment does not start with it
 * (one an earlier install did not make) is said in a WARNING.  SQL:
 * automl.install_role(), callable only from CREATE EXTENSION automl.
 */
void		aml_install_role(const char *name, const char *const *may_be_member_of, const char *whose,
							 const char *comment_prefix);

#endif
