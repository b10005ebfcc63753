/*
 * model_store.c — automl.models (see model_store.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"

#include "pg/model_store.h"
#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_models_changed);
PG_FUNCTION_INFO_V1(automl_deploy_model);

Oid
aml_models_relid(void)
{
	return aml_automl_relid("models");
}

/* Serialise writers of one owner's model name (versions, deployment). */
static void
lock_model_name(Datum name, Oid owner)
{
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		values[2] = {name, ObjectIdGetDatum(owner)};
	int			ret;

	ret = SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock("
								"pg_catalog.hashtextextended($1, $2::pg_catalog.int8))",
								2, types, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "locking the model name failed: %s", SPI_result_code_string(ret));
}

static Datum
text_or_null(const char *s, char *nulls, int i)
{
	nulls[i] = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

int64
aml_model_store(const AmlModelRecord *rec, int32 *version)
{
	AmlActAs	ctx;
	/* jsonb values travel as text and are cast in the statement */
	Oid			types[13] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, REGROLEOID};
	Datum		values[13];
	char		nulls[13];
	int			ret;
	int64		id;
	bool		isnull;
	Oid			owner = GetUserId();

	values[0] = text_or_null(rec->name, nulls, 0);
	values[1] = text_or_null(rec->task, nulls, 1);
	values[2] = text_or_null(rec->algorithm, nulls, 2);
	values[3] = text_or_null(rec->relation, nulls, 3);
	values[4] = text_or_null(rec->target, nulls, 4);
	values[5] = text_or_null(rec->features, nulls, 5);
	values[6] = text_or_null(rec->classes, nulls, 6);
	values[7] = text_or_null(rec->params ? rec->params : "{}", nulls, 7);
	values[8] = text_or_null(rec->pipeline, nulls, 8);
	values[9] = text_or_null(rec->description, nulls, 9);
	values[10] = text_or_null(rec->metrics ? rec->metrics : "{}", nulls, 10);
	values[11] = Int64GetDatum(rec->run_id);
	nulls[11] = rec->run_id > 0 ? ' ' : 'n';
	values[12] = ObjectIdGetDatum(owner);
	nulls[12] = ' ';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the table's owner: only automl writes models */
	aml_act_as_owner_of(&ctx, "models");
	if (rec->name != NULL)
	{
		Oid			lt[2] = {TEXTOID, REGROLEOID};
		Datum		lv[2] = {values[0], values[12]};

		/* one version number at a time per name of this owner */
		lock_model_name(values[0], owner);
		ret = SPI_execute_with_args("UPDATE automl.models SET deployed = false "
									"WHERE owner OPERATOR(pg_catalog.=) $2 "
									"AND name OPERATOR(pg_catalog.=) $1 AND deployed",
									2, lt, lv, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "updating automl.models failed: %s", SPI_result_code_string(ret));
	}
	ret = SPI_execute_with_args(
		"INSERT INTO automl.models (name, version, task, algorithm, relation, target, features, "
		"classes, params, pipeline, description, metrics, run_id, owner, deployed) "
		"SELECT $1, CASE WHEN $1 IS NULL THEN NULL ELSE "
		"(SELECT COALESCE(pg_catalog.max(version), 0) OPERATOR(pg_catalog.+) 1 FROM automl.models "
		"WHERE owner OPERATOR(pg_catalog.=) $13 AND name OPERATOR(pg_catalog.=) $1) END, "
		"$2, $3, $4, $5, $6::pg_catalog.jsonb, $7::pg_catalog.jsonb, $8::pg_catalog.jsonb, "
		"$9::pg_catalog.jsonb, $10, $11::pg_catalog.jsonb, $12, $13, "
		"$1 IS NOT NULL RETURNING id, version",
		13, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "storing the model failed: %s", SPI_result_code_string(ret));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (version != NULL)
	{
		Datum		v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		*version = isnull ? 0 : DatumGetInt32(v);
	}
	aml_act_end(&ctx);
	SPI_finish();
	return id;
}

AmlStoredModel *
aml_model_fetch(int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	AmlStoredModel *m;
	MemoryContext caller = CurrentMemoryContext;
	int			ret;
	AmlActAs	safe;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the caller: row-level security hides other roles' models */
	aml_act_as(&safe, InvalidOid);
	ret = SPI_execute_with_args("SELECT pipeline::pg_catalog.text, algorithm FROM automl.models "
								"WHERE id OPERATOR(pg_catalog.=) $1",
								1, types, values, NULL, true, 1);
	aml_act_end(&safe);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading automl.models failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model " INT64_FORMAT " does not exist", id),
				 errhint("It may have been deleted, or belong to another role.")));
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		m = palloc(sizeof(AmlStoredModel));
		m->id = id;
		m->pipeline = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		m->algorithm = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return m;
}

bool
aml_model_visible(int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	bool		found;
	int			ret;
	AmlActAs	safe;

	if (!OidIsValid(aml_models_relid()))
		return false;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&safe, InvalidOid);
	ret = SPI_execute_with_args("SELECT 1 FROM automl.models WHERE id OPERATOR(pg_catalog.=) $1",
								1, types, values, NULL, true, 1);
	aml_act_end(&safe);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading automl.models failed: %s", SPI_result_code_string(ret));
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

int64
aml_model_deployed_id(const char *name)
{
	Oid			types[2] = {TEXTOID, REGROLEOID};
	Datum		values[2] = {CStringGetTextDatum(name), ObjectIdGetDatum(GetUserId())};
	int			ret;
	int64		id;
	bool		isnull;
	AmlActAs	safe;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* names belong to their owner: the current role's model of that name */
	aml_act_as(&safe, InvalidOid);
	ret = SPI_execute_with_args("SELECT id FROM automl.models WHERE owner OPERATOR(pg_catalog.=) $2 "
								"AND name OPERATOR(pg_catalog.=) $1 AND deployed",
								2, types, values, NULL, true, 1);
	aml_act_end(&safe);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading automl.models failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no deployed model named \"%s\"", name),
				 errdetail("Model names belong to their owner; the current role has no model of that name deployed."),
				 errhint("Train one with automl_train(..., name => '%s') or automl_fit(..., name => '%s'), "
						 "or deploy a version with automl_deploy_model().", name, name)));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return id;
}

/* Statement trigger on automl.models: every backend's model cache forgets. */
Datum
automl_models_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("automl_models_changed() must be called as a trigger")));
	if (RelationGetRelid(trigdata->tg_relation) != aml_models_relid())
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"automl_models_changed\" cannot be a trigger on %s",
						RelationGetRelationName(trigdata->tg_relation)),
				 errdetail("It guards automl.models only.")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	PG_RETURN_POINTER(NULL);
}

/* automl_deploy_model(model_id): make this version the deployed one of its name */
Datum
automl_deploy_model(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	AmlActAs	ctx;
	char	   *name;
	Oid			owner;
	bool		isnull;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* visible to the caller (their own, or any for a superuser)? */
	aml_act_as(&ctx, InvalidOid);
	ret = SPI_execute_with_args("SELECT name, owner FROM automl.models WHERE id OPERATOR(pg_catalog.=) $1",
								1, types, values, NULL, true, 1);
	aml_act_end(&ctx);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading automl.models failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model " INT64_FORMAT " does not exist", id),
				 errhint("It may have been deleted, or belong to another role.")));
	name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model " INT64_FORMAT " has no name", id),
				 errhint("Only named models are deployed; train with name => '...'.")));
	aml_act_as_owner_of(&ctx, "models");
	{
		Oid			t3[3] = {TEXTOID, INT8OID, REGROLEOID};
		Datum		v3[3] = {CStringGetTextDatum(name), Int64GetDatum(id), ObjectIdGetDatum(owner)};

		/* the same lock as storing a new version of the name */
		lock_model_name(v3[0], owner);
		ret = SPI_execute_with_args("UPDATE automl.models SET deployed = false "
									"WHERE owner OPERATOR(pg_catalog.=) $3 AND name OPERATOR(pg_catalog.=) $1 "
									"AND deployed AND id OPERATOR(pg_catalog.<>) $2",
									3, t3, v3, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "updating automl.models failed: %s", SPI_result_code_string(ret));
		ret = SPI_execute_with_args("UPDATE automl.models SET deployed = true "
									"WHERE id OPERATOR(pg_catalog.=) $2 AND owner OPERATOR(pg_catalog.=) $3 "
									"AND name OPERATOR(pg_catalog.=) $1",
									3, t3, v3, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "updating automl.models failed: %s", SPI_result_code_string(ret));
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("model " INT64_FORMAT " was changed or deleted concurrently", id)));
	}
	aml_act_end(&ctx);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}
