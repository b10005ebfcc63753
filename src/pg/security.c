/*
 * security.c — acting as another role, and pinning search_path (see
 * security.h).  The one place where automl changes its user id; also the
 * one check of the roles the install makes or reuses.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_current_role_oid);
PG_FUNCTION_INFO_V1(automl_install_role);

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

/* ------------------------------------------------------------ install roles */

void
aml_install_role(const char *name, const char *const *may_be_member_of, const char *whose,
				 const char *comment_prefix)
{
	Oid			types[2] = {TEXTOID, TEXTARRAYOID};
	Datum		values[2];
	int			n = 0;
	Datum	   *allowed;
	AmlActAs	safe;
	bool		isnull;
	bool		attributes,
				members_ok;
	char	   *comment,
			   *member_of;

	while (may_be_member_of[n])
		n++;
	allowed = palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
		allowed[i] = CStringGetTextDatum(may_be_member_of[i]);
	values[0] = CStringGetTextDatum(name);
	values[1] = PointerGetDatum(construct_array(allowed, n, TEXTOID, -1, false, TYPALIGN_INT));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&safe, InvalidOid);
	if (SPI_execute_with_args("SELECT x.attributes, x.comment, pg_catalog.array_to_string(x.member_of, ', '),"
							  " x.member_of OPERATOR(pg_catalog.<@) $2 FROM ("
							  "  SELECT a.rolsuper OR a.rolcreaterole OR a.rolcreatedb OR a.rolcanlogin"
							  "         OR a.rolreplication OR a.rolbypassrls OR a.rolpassword IS NOT NULL AS attributes,"
							  "         pg_catalog.shobj_description(a.oid, 'pg_authid') AS comment,"
							  "         ARRAY(SELECT g.rolname::pg_catalog.text FROM pg_catalog.pg_auth_members m"
							  "               JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid"
							  "               WHERE m.member OPERATOR(pg_catalog.=) a.oid ORDER BY 1) AS member_of"
							  "  FROM pg_catalog.pg_authid a WHERE a.rolname OPERATOR(pg_catalog.=) $1) x",
							  2, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading role \"%s\" failed", name);
	if (SPI_processed == 0)
	{
		if (SPI_execute(psprintf("CREATE ROLE %s NOLOGIN", quote_identifier(name)), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "CREATE ROLE %s failed", name);
		aml_act_end(&safe);
		SPI_finish();
		return;
	}
	attributes = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	comment = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	member_of = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	members_ok = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	if (attributes || !members_ok)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("role \"%s\" already exists and is not one automl can use", name),
				 errdetail("It has attributes (LOGIN, SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS "
						   "or a password) or memberships (%s) that %s would get.", member_of, whose),
				 errhint("Drop or rename that role, or remove its attributes and memberships, "
						 "then create the extension again.")));
	/* not made by an earlier install (whose comment it would carry) */
	if (comment_prefix != NULL &&
		(comment == NULL || strncmp(comment, comment_prefix, strlen(comment_prefix)) != 0))
		ereport(WARNING,
				(errmsg("using the existing role \"%s\", which automl did not create", name),
				 errdetail("It has no attributes and no memberships, so its members get only what automl grants.")));
	aml_act_end(&safe);
	SPI_finish();
}

/*
 * automl.install_role(role_name text, may_be_member_of text[], whose text,
 * comment_prefix text) → void: aml_install_role() for the install script
 * (sql/install/00_schema.sql declares it, 99_end.sql drops it).  Refused
 * outside CREATE EXTENSION automl.
 */
Datum
automl_install_role(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	const char **allowed;

	if (!creating_extension || get_extension_name(CurrentExtensionObject) == NULL ||
		strcmp(get_extension_name(CurrentExtensionObject), "automl") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("automl.install_role can only be called by CREATE EXTENSION automl")));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role_name, may_be_member_of and whose must not be NULL")));
	arr = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	allowed = palloc0(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
		allowed[i] = nulls[i] ? "" : TextDatumGetCString(elems[i]);
	aml_install_role(text_to_cstring(PG_GETARG_TEXT_PP(0)), allowed, text_to_cstring(PG_GETARG_TEXT_PP(2)),
					 PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)));
	PG_RETURN_VOID();
}
