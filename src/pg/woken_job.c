/*
 * woken_job.c — one Woken job inside automl (pg/woken_job.h): a new job
 * (job id, node), running it with Woken's error reporting (a failure is the
 * job's text/plain+error result, or raised when strict), its
 * woken.job_result row, its QueryResult and its feedback.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/security.h"
#include "pg/woken.h"
#include "pg/subxact.h"
#include "pg/woken_job.h"

void
aml_woken_feedback(AmlWokenJob *job, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "severity", json_object_new_string("warning"));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_array_add(job->feedback, o);
}

void
aml_woken_write_job_result(AmlWokenJob *job)
{
	AmlActAs	a;
	Oid			owner;
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		values[7];
	char		nulls[7] = "       ";
	int			ret;
	Oid			relid;

	relid = RangeVarGetRelid(makeRangeVar("woken", "job_result", -1), NoLock, false);
	{
		HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (!HeapTupleIsValid(tp))
			elog(ERROR, "cache lookup failed for relation %u", relid);
		owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
		ReleaseSysCache(tp);
	}
	values[0] = CStringGetTextDatum(job->job_id);
	values[1] = CStringGetTextDatum(job->node);
	if (job->data)
		values[2] = CStringGetTextDatum(job->data);
	else
		nulls[2] = 'n';
	if (job->error)
		values[3] = CStringGetTextDatum(job->error);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(job->shape);
	if (job->function)
		values[5] = CStringGetTextDatum(pnstrdup(job->function, 255));
	else
		nulls[5] = 'n';
	values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(job->parameters)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&a, owner);
	ret = SPI_execute_with_args("INSERT INTO woken.job_result "
								"(job_id, node, data, error, shape, function, parameters) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7)",
								7, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "writing woken.job_result failed: %s", SPI_result_code_string(ret));
	aml_act_end(&a);
	SPI_finish();
}

static char *
new_job_id(void)
{
	Datum		uuid = DirectFunctionCall1(gen_random_uuid, (Datum) 0);

	return DatumGetCString(DirectFunctionCall1(uuid_out, uuid));
}

void
aml_woken_job_init(AmlWokenJob *job, const char *code)
{
	memset(job, 0, sizeof(*job));
	job->cxt = CurrentMemoryContext;
	job->job_id = new_job_id();
	job->node = aml_woken_node();
	job->code = code;
	job->parameters = aml_pg_json_own(json_object_new_object());
	job->feedback = aml_pg_json_own(json_object_new_array());
}

typedef struct RunArgs
{
	AmlWokenJob *job;
	json_object *q;
	void		(*run) (AmlWokenJob *job, json_object *q);
} RunArgs;

static void
run_connected(void *arg)
{
	RunArgs    *ra = arg;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ra->run(ra->job, ra->q);
	SPI_finish();
}

void
aml_woken_run_guarded(AmlWokenJob *job, void (*run) (AmlWokenJob *job, json_object *q), json_object *q,
					  bool strict)
{
	if (strict)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		run(job, q);
		SPI_finish();
		return;
	}
	{
		RunArgs		ra = {job, q, run};
		ErrorData  *edata = aml_subxact_try(run_connected, &ra, true);

		if (edata != NULL)
		{
			job->error = edata->message;
			job->data = NULL;
			job->shape = "text/plain+error";
			json_object_object_add(job->parameters, "sqlstate",
								   json_object_new_string(unpack_sql_state(edata->sqlerrcode)));
		}
	}
}

json_object *
aml_woken_query_result(AmlWokenJob *job, json_object *q)
{
	json_object *result = aml_pg_json_own(json_object_new_object());
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	json_object_object_add(result, "jobId", json_object_new_string(job->job_id));
	json_object_object_add(result, "node", json_object_new_string(job->node));
	json_object_object_add(result, "dataProvenance", json_object_new_array());
	json_object_object_add(result, "feedback", json_object_get(job->feedback));
	json_object_object_add(result, "timestamp",
						   aml_json_new_number((double) now / USECS_PER_SEC +
											   (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY));
	json_object_object_add(result, "type", json_object_new_string(job->shape));
	json_object_object_add(result, "algorithm", job->code ? json_object_new_string(job->code) : NULL);
	json_object_object_add(result, "function", job->function ? json_object_new_string(job->function) : NULL);
	if (job->data)
	{
		json_object *data = aml_pg_parse_json(job->data, strlen(job->data));

		json_object_object_add(result, "data", json_object_get(data));
	}
	else
		json_object_object_add(result, "data", NULL);
	json_object_object_add(result, "error", job->error ? json_object_new_string(job->error) : NULL);
	if (q != NULL)
		json_object_object_add(result, "query", json_object_get(q));
	return result;
}
