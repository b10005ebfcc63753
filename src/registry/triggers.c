/*
 * triggers.c — the registry's triggers.
 *
 *   automl.apps_check()          BEFORE INSERT OR UPDATE ON automl.apps
 *   automl.app_configs_check()   BEFORE INSERT OR UPDATE ON automl.app_configs
 *   automl.registry_guard_delete() BEFORE DELETE ON automl.apps, automl.app_configs
 *   automl.deployments_notify()  AFTER UPDATE OF state ON automl.deployments
 *
 * The check triggers refuse what Marathon would refuse (validate.c) with
 * SQLSTATE 23514 naming the table and column, fill defaults from the image's
 * Label Schema metadata, keep created_at/updated_at, and refuse with
 * "permission denied" (42501) giving an app away, moving a configuration to
 * an app one does not own, and setting labels that route traffic (admins
 * only).  Row-level security already hides other owners' rows from UPDATE
 * and DELETE; the triggers check ownership again for the row they get.  Renaming,
 * moving or deleting what is deployed is refused (55006): undeploy first.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "pg/security.h"
#include "registry/registry.h"
#include "registry/validate.h"

PG_FUNCTION_INFO_V1(automl_apps_check);
PG_FUNCTION_INFO_V1(automl_app_configs_check);
PG_FUNCTION_INFO_V1(automl_registry_guard_delete);
PG_FUNCTION_INFO_V1(automl_deployments_notify);

#define ACTIVE_STATES "'{requested,deploying,running,deleting}'::pg_catalog.text[]"
#define ADMIN_ROLE "automl_registry_admin"

/* ------------------------------------------------------------ helpers */

static void
raise_problem(Relation rel, const char *column, const AmlProblem *p)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("%s", p->message),
			 p->detail ? errdetail("%s", p->detail) : 0,
			 p->hint ? errhint("%s", p->hint) : 0,
			 errtablecolname(rel, column)));
}

static void
raise_check(Relation rel, const char *column, const char *message, const char *detail)
{
	AmlProblem	p = {(char *) message, (char *) detail, NULL};

	raise_problem(rel, column, &p);
}

/* May this role change rows it does not own (and set routing labels)? */
static bool
registry_privileged(Relation rel, Oid role)
{
	Oid			admin;

	if (superuser_arg(role) || pg_class_ownercheck(RelationGetRelid(rel), role))
		return true;
	admin = get_role_oid(ADMIN_ROLE, true);
	return OidIsValid(admin) && has_privs_of_role(role, admin);
}

/*
 * The triggers read the registry's tables for integrity checks (what is
 * deployed, the app of a configuration) as the owner of those tables, so
 * the answer does not depend on what the current role may see; with
 * search_path pinned (pg/security.h).  Ownership is checked against the
 * role that fired the trigger, kept before.
 */
static void
connect_as_owner(AmlActAs *a)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as_owner_of(a, "deployments");
}

static void
disconnect(AmlActAs *a)
{
	aml_act_end(a);
	SPI_finish();
}

/*
 * The trigger's data, after checking that it fires for each row on one of
 * the tables it was written for (automl.<tables[i]>): the functions read
 * those tables' columns by name and type.  Attached anywhere else (only a
 * superuser can: EXECUTE is revoked from PUBLIC) they refuse.
 */
static TriggerData *
trigger_data(FunctionCallInfo fcinfo, const char *name, const char *const *tables)
{
	TriggerData *td;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by the trigger manager", name)));
	td = (TriggerData *) fcinfo->context;
	relid = RelationGetRelid(td->tg_relation);
	for (int i = 0; tables[i] != NULL; i++)
		if (relid == aml_automl_relid(tables[i]))
		{
			if (!TRIGGER_FIRED_FOR_ROW(td->tg_event))
				ereport(ERROR,
						(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						 errmsg("function \"%s\" must be fired for each row", name)));
			return td;
		}
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("function \"%s\" cannot be a trigger on %s", name,
					RelationGetRelationName(td->tg_relation)),
			 errdetail("It guards automl.%s only.", tables[0])));
	return NULL;				/* not reached */
}

static const char *const APPS[] = {"apps", NULL};
static const char *const APP_CONFIGS[] = {"app_configs", NULL};
static const char *const APPS_AND_CONFIGS[] = {"apps", "app_configs", NULL};
static const char *const DEPLOYMENTS[] = {"deployments", NULL};

typedef struct Row
{
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tuple;
	int			ncols;
	int			cols[16];
	Datum		values[16];
	bool		nulls[16];
} Row;

static int
attnum(Row *row, const char *name)
{
	int			n = SPI_fnumber(row->desc, name);

	if (n <= 0)
		elog(ERROR, "column \"%s\" is missing from %s", name, RelationGetRelationName(row->rel));
	return n;
}

static Datum
get(Row *row, const char *name, bool *isnull)
{
	return heap_getattr(row->tuple, attnum(row, name), row->desc, isnull);
}

/* A text or name column as a C string (NULL for NULL). */
static char *
get_text(Row *row, const char *name)
{
	bool		isnull;
	int			n = attnum(row, name);
	Datum		d = heap_getattr(row->tuple, n, row->desc, &isnull);

	if (isnull)
		return NULL;
	if (TupleDescAttr(row->desc, n - 1)->atttypid == NAMEOID)
		return pstrdup(NameStr(*DatumGetName(d)));
	return TextDatumGetCString(d);
}

/* Queue a change of the new row (applied by finish_row). */
static void
set(Row *row, const char *name, Datum value, bool isnull)
{
	Assert(row->ncols < lengthof(row->cols));
	row->cols[row->ncols] = attnum(row, name);
	row->values[row->ncols] = value;
	row->nulls[row->ncols] = isnull;
	row->ncols++;
}

static HeapTuple
finish_row(Row *row)
{
	if (row->ncols == 0)
		return row->tuple;
	return heap_modify_tuple_by_cols(row->tuple, row->desc, row->ncols, row->cols, row->values, row->nulls);
}

/*
 * created_at never changes after the insert; updated_at is the time of the
 * last update.  An insert keeps the times it is given (pg_dump's data), now()
 * by default.
 */
static void
set_timestamps(TriggerData *td, Row *row)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool		isnull;

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		(void) get(row, "created_at", &isnull);
		if (isnull)
			set(row, "created_at", TimestampTzGetDatum(now), false);
		(void) get(row, "updated_at", &isnull);
		if (isnull)
			set(row, "updated_at", TimestampTzGetDatum(now), false);
	}
	else
	{
		Datum		old = heap_getattr(td->tg_trigtuple, attnum(row, "created_at"), row->desc, &isnull);

		set(row, "created_at", old, isnull);
		set(row, "updated_at", TimestampTzGetDatum(now), false);
	}
}

static bool
column_changed(TriggerData *td, Row *row, const char *name)
{
	int			n = attnum(row, name);
	bool		null_old,
				null_new;
	Datum		o = heap_getattr(td->tg_trigtuple, n, row->desc, &null_old);
	Datum		v = heap_getattr(td->tg_newtuple, n, row->desc, &null_new);
	Form_pg_attribute att = TupleDescAttr(row->desc, n - 1);

	if (null_old || null_new)
		return null_old != null_new;
	return !datumIsEqual(o, v, att->attbyval, att->attlen);
}

/*
 * The newest active deployment of an app (config_id = 0) or of one
 * configuration: its id, configuration and state, or false.
 */
static bool
active_deployment(int64 app_id, int64 config_id, int64 *dep_id, char **config, char **state)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	const char *sql;
	bool		found = false;
	int			rc;

	if (config_id != 0)
	{
		sql = "SELECT id, config, state FROM automl.deployments WHERE config_id OPERATOR(pg_catalog.=) $1 "
			"AND state OPERATOR(pg_catalog.=) ANY (" ACTIVE_STATES ") ORDER BY id DESC LIMIT 1";
		values[0] = Int64GetDatum(config_id);
	}
	else
	{
		sql = "SELECT id, config, state FROM automl.deployments WHERE app_id OPERATOR(pg_catalog.=) $1 "
			"AND state OPERATOR(pg_catalog.=) ANY (" ACTIVE_STATES ") ORDER BY id DESC LIMIT 1";
		values[0] = Int64GetDatum(app_id);
	}
	rc = SPI_execute_with_args(sql, 1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		bool		isnull;

		*dep_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*config = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		*state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
		found = true;
	}
	return found;
}

static void
refuse_while_deployed(const char *what, const char *app, int64 dep_id, const char *config,
					  const char *state)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_IN_USE),
			 errmsg("cannot %s app \"%s\" while it is deployed", what, app),
			 errdetail("Deployment %lld of configuration \"%s\" is %s.", (long long) dep_id, config, state),
			 errhint("Undeploy it first: SELECT automl_undeploy('%s', '%s');", app, config)));
}

static void
check_owner(Relation rel, Oid caller, Oid owner, const char *app, const char *action)
{
	if (OidIsValid(owner) && owner == caller)
		return;
	if (registry_privileged(rel, caller))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s app \"%s\"", action, app),
			 errdetail("App \"%s\" belongs to role %s.", app, aml_role_label(owner)),
			 errhint("Only its owner and members of %s may change it.", ADMIN_ROLE)));
}

static Oid
get_oid(Row *row, const char *name)
{
	bool		isnull;
	Datum		d = get(row, name, &isnull);

	return isnull ? InvalidOid : DatumGetObjectId(d);
}

static Jsonb *
metadata_of(Datum d)
{
	return DatumGetJsonbP(d);
}

/* A label of the metadata document as a C string, or NULL. */
static char *
metadata_label(Jsonb *metadata, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	if (metadata == NULL || !JB_ROOT_IS_OBJECT(metadata))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&metadata->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static bool
is_source_url(const char *s)
{
	static const char *const schemes[] = {"http://", "https://", "git://", "ssh://", "git@"};
	bool		ok = false;

	for (int i = 0; i < lengthof(schemes); i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0 && s[strlen(schemes[i])] != '\0')
			ok = true;
	for (; ok && *s; s++)
		if (isspace((unsigned char) *s))
			ok = false;
	return ok;
}

/* ------------------------------------------------------------ automl.apps */

Datum
automl_apps_check(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "automl_apps_check", APPS);
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	Row			row = {0};
	char	   *name;
	Oid			owner;
	Oid			caller = GetUserId();
	AmlActAs	as_owner;
	char	   *image;
	char	   *command;
	char	   *source_url;
	Datum		d;
	bool		isnull;
	Jsonb	   *metadata = NULL;
	List	   *problems;
	int			nports = 0;
	AmlProblem	p;

	row.rel = td->tg_relation;
	row.desc = RelationGetDescr(row.rel);
	row.tuple = is_update ? td->tg_newtuple : td->tg_trigtuple;

	if (is_update)
	{
		Row			old = row;

		old.tuple = td->tg_trigtuple;
		check_owner(row.rel, caller, get_oid(&old, "owner"), get_text(&old, "name"), "change");
	}

	name = get_text(&row, "name");
	owner = get_oid(&row, "owner");
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("app name must not be NULL"),
				 errtablecolname(row.rel, "name")));
	if (!aml_check_name(name, false, &p))
		raise_problem(row.rel, "name", &p);
	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("owner must not be NULL"),
				 errtablecolname(row.rel, "owner")));
	if (owner != caller && !registry_privileged(row.rel, caller))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to give app \"%s\" to role %s", name, aml_role_label(owner)),
				 errhint("Only members of %s may register apps for other roles.", ADMIN_ROLE)));

	/* metadata: Label Schema labels of the image, the source of defaults */
	d = get(&row, "metadata", &isnull);
	if (!isnull)
	{
		metadata = metadata_of(d);
		problems = aml_metadata_problems(metadata);
		if (problems != NIL)
		{
			StringInfoData buf;
			ListCell   *lc;

			initStringInfo(&buf);
			foreach(lc, problems)
				appendStringInfo(&buf, "%s%s", buf.len > 0 ? "; " : "", (char *) lfirst(lc));
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("invalid image metadata for app \"%s\"", name),
					 errdetail("%s.", buf.data),
					 errhint("automl_validate_app_metadata() lists the problems of a metadata document."),
					 errtablecolname(row.rel, "metadata")));
		}
	}

	image = get_text(&row, "image");
	command = get_text(&row, "command");
	if (image != NULL && !aml_check_image(image, &p))
		raise_problem(row.rel, "image", &p);
	if (command != NULL && command[0] == '\0')
		raise_check(row.rel, "command", "command must not be empty",
					"Marathon refuses an empty cmd; use NULL for no command.");
	if (image == NULL && command == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("app \"%s\" needs an image or a command", name),
				 errhint("Set image to a Docker image, or command to a shell command for an app that is not a container."),
				 errtablecolname(row.rel, "image")));

	d = get(&row, "ports", &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("ports must not be NULL"),
				 errhint("Use '{}' for an app without ports."),
				 errtablecolname(row.rel, "ports")));
	if (!aml_check_ports(DatumGetArrayTypeP(d), &nports, &p))
		raise_problem(row.rel, "ports", &p);

	source_url = get_text(&row, "source_url");
	if (source_url == NULL && metadata != NULL)
	{
		char	   *vcs = metadata_label(metadata, AML_LS_VCS_URL);

		if (vcs != NULL && is_source_url(vcs))
			set(&row, "source_url", CStringGetTextDatum(vcs), false);
	}
	else if (source_url != NULL && !is_source_url(source_url))
		raise_check(row.rel, "source_url", psprintf("invalid source URL \"%s\"", source_url),
					"A source URL starts with http://, https://, git://, ssh:// or git@.");

	if (get_text(&row, "description") == NULL && metadata != NULL)
	{
		char	   *desc = metadata_label(metadata, AML_LS_DESCRIPTION);

		if (desc != NULL)
			set(&row, "description", CStringGetTextDatum(desc), false);
	}

	if (is_update)
	{
		bool		renamed = column_changed(td, &row, "name");
		bool		ports_changed = column_changed(td, &row, "ports");

		if (renamed || ports_changed)
		{
			int64		app_id = DatumGetInt64(get(&row, "id", &isnull));
			int64		dep_id;
			char	   *config;
			char	   *state;
			Row			old = row;

			old.tuple = td->tg_trigtuple;
			connect_as_owner(&as_owner);
			if (renamed && active_deployment(app_id, 0, &dep_id, &config, &state))
				refuse_while_deployed("rename", get_text(&old, "name"), dep_id, config, state);
			if (ports_changed)
			{
				/* the health checks of its configurations must still address a port */
				Oid			types[1] = {INT8OID};
				Datum		values[1] = {Int64GetDatum(app_id)};
				int			rc = SPI_execute_with_args("SELECT name, health_check FROM automl.app_configs "
													   "WHERE app_id OPERATOR(pg_catalog.=) $1 "
													   "AND health_check IS NOT NULL ORDER BY name",
													   1, types, values, NULL, true, 0);

				if (rc != SPI_OK_SELECT)
					elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
				for (uint64 i = 0; i < SPI_processed; i++)
				{
					Datum		hc = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

					if (!aml_check_health_check(DatumGetJsonbP(hc), nports, &p))
						ereport(ERROR,
								(errcode(ERRCODE_CHECK_VIOLATION),
								 errmsg("cannot change the ports of app \"%s\"", name),
								 errdetail("The health check of configuration \"%s\" would be invalid: %s.",
										   SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
										   p.message),
								 errtablecolname(row.rel, "ports")));
				}
			}
			disconnect(&as_owner);
		}
	}

	set_timestamps(td, &row);
	return PointerGetDatum(finish_row(&row));
}

/* ------------------------------------------------------------ automl.app_configs */

typedef struct AppInfo
{
	bool		found;
	char	   *name;
	Oid			owner;
	int			nports;
	char	   *memory_hint;
	char	   *cpu_hint;
} AppInfo;

/* The app's owner, ports and hints, allocated in `into` (it outlives SPI_finish). */
static AppInfo
lookup_app(int64 app_id, MemoryContext into)
{
	AppInfo		info = {0};
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(app_id)};
	int			rc;

	rc = SPI_execute_with_args("SELECT name, owner::pg_catalog.oid, ports, metadata FROM automl.apps "
							   "WHERE id OPERATOR(pg_catalog.=) $1",
							   1, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		HeapTuple	t = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		MemoryContext old = MemoryContextSwitchTo(into);
		info.found = true;
		info.name = SPI_getvalue(t, desc, 1);
		info.owner = DatumGetObjectId(SPI_getbinval(t, desc, 2, &isnull));
		d = SPI_getbinval(t, desc, 3, &isnull);
		info.nports = isnull ? 0 : ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(d)),
												  ARR_DIMS(DatumGetArrayTypeP(d)));
		d = SPI_getbinval(t, desc, 4, &isnull);
		if (!isnull)
		{
			info.memory_hint = metadata_label(DatumGetJsonbP(d), AML_LS_MEMORY_HINT);
			info.cpu_hint = metadata_label(DatumGetJsonbP(d), AML_LS_CPU_HINT);
		}
		MemoryContextSwitchTo(old);
	}
	return info;
}

static double
float_or_default(Row *row, const char *name, const char *hint, double fallback)
{
	bool		isnull;
	Datum		d = get(row, name, &isnull);
	double		v;

	if (!isnull)
		return DatumGetFloat8(d);
	v = hint ? strtod(hint, NULL) : fallback;
	set(row, name, Float8GetDatum(v), false);
	return v;
}

Datum
automl_app_configs_check(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "automl_app_configs_check", APP_CONFIGS);
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	Row			row = {0};
	bool		isnull;
	Datum		d;
	int64		app_id;
	char	   *name;
	AppInfo		app;
	AmlProblem	p;
	double		cpus,
				mem,
				disk;
	MemoryContext caller_context;
	Oid			caller = GetUserId();
	AmlActAs	as_owner;
	char	   *routing;

	row.rel = td->tg_relation;
	row.desc = RelationGetDescr(row.rel);
	row.tuple = is_update ? td->tg_newtuple : td->tg_trigtuple;

	d = get(&row, "app_id", &isnull);
	if (isnull)
		return PointerGetDatum(row.tuple);	/* NOT NULL says so */
	app_id = DatumGetInt64(d);
	name = get_text(&row, "name");
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("configuration name must not be NULL"),
				 errdetail("The configuration used when none is named is called \"default\"."),
				 errtablecolname(row.rel, "name")));
	if (!aml_check_name(name, true, &p))
		raise_problem(row.rel, "name", &p);

	caller_context = CurrentMemoryContext;
	connect_as_owner(&as_owner);
	if (is_update)
	{
		Row			old = row;
		int64		old_app_id;

		old.tuple = td->tg_trigtuple;
		old_app_id = DatumGetInt64(get(&old, "app_id", &isnull));
		app = lookup_app(old_app_id, caller_context);
		if (app.found)
			check_owner(row.rel, caller, app.owner, app.name, "change");
		if (column_changed(td, &row, "app_id") || column_changed(td, &row, "name"))
		{
			int64		dep_id;
			char	   *config;
			char	   *state;
			int64		config_id = DatumGetInt64(get(&old, "id", &isnull));

			if (active_deployment(old_app_id, config_id, &dep_id, &config, &state))
				refuse_while_deployed(column_changed(td, &row, "app_id") ? "move a configuration of"
									  : "rename a configuration of",
									  app.found ? app.name : "?", dep_id, config, state);
		}
	}
	app = lookup_app(app_id, caller_context);
	disconnect(&as_owner);
	if (!app.found)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("app %lld does not exist", (long long) app_id),
				 errdetail("A configuration belongs to an app of automl.apps."),
				 errtablecolname(row.rel, "app_id")));
	check_owner(row.rel, caller, app.owner, app.name, "change");

	cpus = float_or_default(&row, "cpus", app.cpu_hint, 0.1);
	if (isnan(cpus) || cpus < 0.001 || isinf(cpus))
		raise_check(row.rel, "cpus", psprintf("cpus must be at least 0.001, not %g", cpus),
					"A configuration needs a positive share of CPUs; Marathon's smallest is 0.001.");
	mem = float_or_default(&row, "mem", app.memory_hint, 128);
	if (isnan(mem) || mem < AML_MIN_MEM_MB || isinf(mem))
		raise_check(row.rel, "mem", psprintf("mem must be at least %d MB, not %g", AML_MIN_MEM_MB, mem),
					"Memory is given in megabytes (MiB).");
	disk = float_or_default(&row, "disk", NULL, 0);
	if (isnan(disk) || disk < 0 || isinf(disk))
		raise_check(row.rel, "disk", psprintf("disk must not be negative, not %g", disk),
					"Disk space is given in megabytes (MiB).");
	d = get(&row, "instances", &isnull);
	if (isnull)
		set(&row, "instances", Int32GetDatum(1), false);
	else if (DatumGetInt32(d) < 0)
		raise_check(row.rel, "instances", psprintf("instances must not be negative, not %d", DatumGetInt32(d)),
					NULL);

	d = get(&row, "args", &isnull);
	if (!isnull && !aml_check_args(DatumGetArrayTypeP(d), &p))
		raise_problem(row.rel, "args", &p);
	d = get(&row, "env", &isnull);
	if (!isnull && !aml_check_string_map(DatumGetJsonbP(d), false, &p))
		raise_problem(row.rel, "env", &p);
	d = get(&row, "labels", &isnull);
	if (!isnull && !aml_check_string_map(DatumGetJsonbP(d), true, &p))
		raise_problem(row.rel, "labels", &p);
	/* labels that route traffic could take another app's host: admins only */
	if (!isnull)
	{
		Jsonb	   *old_labels = NULL;

		if (is_update)
		{
			bool		old_null;
			Datum		o = heap_getattr(td->tg_trigtuple, attnum(&row, "labels"), row.desc, &old_null);

			old_labels = old_null ? NULL : DatumGetJsonbP(o);
		}
		routing = aml_routing_label_change(old_labels, DatumGetJsonbP(d));
		if (routing != NULL && !registry_privileged(row.rel, caller))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set label \"%s\"", routing),
					 errdetail("Labels that route traffic (traefik.* but traefik.enable, traefik.port, "
							   "traefik.portIndex, traefik.protocol and traefik.weight; HAPROXY_*; "
							   "DCOS_SERVICE_*) could take another app's host name or backend."),
					 errhint("Only members of %s may set them; the registry routes <app>.<domain> to the app by itself.",
							 ADMIN_ROLE),
					 errtablecolname(row.rel, "labels")));
	}
	d = get(&row, "health_check", &isnull);
	if (!isnull && !aml_check_health_check(DatumGetJsonbP(d), app.nports, &p))
		raise_problem(row.rel, "health_check", &p);
	d = get(&row, "constraints", &isnull);
	if (!isnull && !aml_check_constraints(DatumGetJsonbP(d), &p))
		raise_problem(row.rel, "constraints", &p);

	set_timestamps(td, &row);
	return PointerGetDatum(finish_row(&row));
}

/* ------------------------------------------------------------ deletes */

Datum
automl_registry_guard_delete(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "automl_registry_guard_delete", APPS_AND_CONFIGS);
	Row			row = {0};
	bool		is_app;
	bool		isnull;
	int64		id;
	int64		dep_id;
	char	   *config;
	char	   *state;
	Oid			caller = GetUserId();
	AmlActAs	as_owner;

	row.rel = td->tg_relation;
	row.desc = RelationGetDescr(row.rel);
	row.tuple = td->tg_trigtuple;
	is_app = strcmp(RelationGetRelationName(row.rel), "apps") == 0;
	id = DatumGetInt64(get(&row, "id", &isnull));

	connect_as_owner(&as_owner);
	if (is_app)
	{
		char	   *name = get_text(&row, "name");

		check_owner(row.rel, caller, get_oid(&row, "owner"), name, "delete");
		if (active_deployment(id, 0, &dep_id, &config, &state))
			refuse_while_deployed("delete", name, dep_id, config, state);
	}
	else
	{
		int64		app_id = DatumGetInt64(get(&row, "app_id", &isnull));
		AppInfo		app = lookup_app(app_id, CurrentMemoryContext);

		if (app.found)
			check_owner(row.rel, caller, app.owner, app.name, "change");
		if (active_deployment(app_id, id, &dep_id, &config, &state))
			refuse_while_deployed("delete a configuration of", app.found ? app.name : "?",
								  dep_id, config, state);
	}
	disconnect(&as_owner);
	return PointerGetDatum(row.tuple);
}

/* ------------------------------------------------------------ NOTIFY */

/*
 * NOTIFY automl_deployments with {"id", "app", "config", "action", "state",
 * "marathon_app_id", "attempts"[, "error"]} for every change of state (the
 * trigger's WHEN clause).  Sent at commit, so a listener never hears about a
 * state that was rolled back.
 */
Datum
automl_deployments_notify(PG_FUNCTION_ARGS)
{
	TriggerData *td = trigger_data(fcinfo, "automl_deployments_notify", DEPLOYMENTS);
	Row			row = {0};
	StringInfoData buf;
	bool		isnull;
	Datum		d;
	char	   *error;
	static const char *const fields[] = {"app", "config", "action", "state", "marathon_app_id"};

	row.rel = td->tg_relation;
	row.desc = RelationGetDescr(row.rel);
	row.tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"id\": " INT64_FORMAT, DatumGetInt64(get(&row, "id", &isnull)));
	for (int i = 0; i < lengthof(fields); i++)
	{
		char	   *v = get_text(&row, fields[i]);

		appendStringInfo(&buf, ", \"%s\": ", fields[i]);
		if (v == NULL)
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, v);
	}
	d = get(&row, "attempts", &isnull);
	appendStringInfo(&buf, ", \"attempts\": %d", isnull ? 0 : DatumGetInt32(d));
	error = get_text(&row, "last_error");
	if (error != NULL && strcmp(get_text(&row, "state"), AML_DEP_FAILED) == 0)
	{
		/* keep the payload well under NOTIFY's 8000-byte limit */
		if (strlen(error) > 500)
			error[pg_mbcliplen(error, strlen(error), 500)] = '\0';
		appendStringInfoString(&buf, ", \"error\": ");
		escape_json(&buf, error);
	}
	appendStringInfoChar(&buf, '}');
	Async_Notify("automl_deployments", buf.data);
	return PointerGetDatum(NULL);
}
