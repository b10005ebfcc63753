/*
 * security.c — acting as another role, and pinning search_path (see
 * security.h).  The one place where automl changes its user id.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_current_role_oid);

static void
act_as(AmlActAs *a, Oid role, int context)
{
	GetUserIdAndSecContext(&a->saved_user, &a->saved_context);
	a->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", AML_SAFE_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	a->switched = OidIsValid(role);
	if (a->switched)
		SetUserIdAndSecContext(role, a->saved_context | context);
	a->active = true;
}

void
aml_act_as(AmlActAs *a, Oid role)
{
	act_as(a, role, SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
}

void
aml_act_as_job_owner(AmlActAs *a, Oid role)
{
	if (!OidIsValid(role))
		elog(ERROR, "a job runs as its owner");
	act_as(a, role, SECURITY_LOCAL_USERID_CHANGE);
}

void
aml_act_as_owner_of(AmlActAs *a, const char *relname)
{
	aml_act_as(a, aml_automl_table_owner(relname));
}

void
aml_act_end(AmlActAs *a)
{
	if (!a->active)
		return;
	if (a->switched)
		SetUserIdAndSecContext(a->saved_user, a->saved_context);
	AtEOXact_GUC(true, a->guc_level);
	a->active = false;
}

Oid
aml_act_caller(const AmlActAs *a)
{
	return a->saved_user;
}

char *
aml_role_label(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? psprintf("\"%s\"", name) : psprintf("%u (dropped)", role);
}

Oid
aml_automl_relid(const char *relname)
{
	Oid			nsp = get_namespace_oid("automl", true);

	return OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
}

Oid
aml_automl_table_owner(const char *relname)
{
	Oid			relid = aml_automl_relid(relname);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"automl.%s\" does not exist", relname),
				 errhint("Run CREATE EXTENSION automl in this database.")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * automl.current_role_oid() → regrole: the current user as a role OID, for
 * the owner columns' defaults and the row-level security policies (owners
 * are role OIDs, so a role dropped and created again under the same name
 * inherits nothing).
 */
Datum
automl_current_role_oid(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetUserId());
}
