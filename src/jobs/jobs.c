/*
 * jobs.c — the SQL functions of training jobs, and the jobs' module
 * initialisation.
 *
 *   automl_submit(<the arguments of automl_train>)   queue a job, return its id
 *   automl_submit_experiment(query, strict, nodes)   queue a Woken experiment
 *   automl_cancel(job_id, keep_best)                 cancel a queued or running job
 *   automl_wait(job_id, timeout)                     wait for a final state
 *
 * automl_submit checks a filter argument with the filter compiler (the job
 * would fail on it), stores its arguments by name in automl.jobs.arguments (each
 * as text, the relation schema-qualified), inserting as the table's owner
 * for the caller, and wakes the scheduler when the transaction commits.  Its
 * SQL declaration is made from automl_train's (sql/install/50_jobs.sql), and
 * the arguments are read here from its own pg_proc row: an argument added to
 * automl_train needs no change in this file.
 *
 * Who may see, wait on and cancel a job is what automl.jobs' row-level
 * security shows the caller: the owner, members of automl_job_admin,
 * superusers.  Another's job is reported as not existing.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <signal.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "core/json.h"
#include "jobs/jobs.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/progress.h"
#include "pg/security.h"
#include "pg/woken.h"
#include "pg/woken_job.h"

PG_FUNCTION_INFO_V1(automl_submit);
PG_FUNCTION_INFO_V1(automl_submit_experiment);
PG_FUNCTION_INFO_V1(automl_cancel);
PG_FUNCTION_INFO_V1(automl_wait);

#define EQ " OPERATOR(pg_catalog.=) "

int			aml_max_jobs = 2;
AmlJobsShared *aml_jobs_shared = NULL;

/* ------------------------------------------------------------ initialisation */

static void
jobs_shmem_init(void *ptr)
{
	AmlJobsShared *shared = ptr;

	aml_worker_slot_init(&shared->scheduler);
	ConditionVariableInit(&shared->changed_cv);
	SpinLockInit(&shared->mutex);
	for (int i = 0; i < AML_MAX_JOBS_LIMIT; i++)
		pg_atomic_init_u32(&shared->slots[i].cancel, AML_STOP_NONE);
}

void
aml_jobs_init(void)
{
	DefineCustomIntVariable("automl.max_jobs",
							"Most training jobs running at once (one background worker each).",
							"Further jobs wait in the queue. Each running job takes a slot of "
							"max_worker_processes.",
							&aml_max_jobs, 2, 1, AML_MAX_JOBS_LIMIT, PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	aml_parallel_init();
	aml_run_recorder_init();
	/* both do nothing unless preloading */
	aml_shmem_add("automl jobs", sizeof(AmlJobsShared), jobs_shmem_init, (void **) &aml_jobs_shared);
	aml_worker_register("aml_job_scheduler_main", AML_JOB_SCHEDULER_TYPE);
}

static void
require_scheduler(const char *what)
{
	aml_worker_require(what, AML_JOB_SCHEDULER_TYPE, aml_jobs_shared != NULL);
}

/* ------------------------------------------------------------ automl_submit */

/* An argument as the text that its type reads back; a relation schema-qualified. */
static char *
argument_text(Oid type, Datum value)
{
	Oid			out;
	bool		varlena;

	if (type == REGCLASSOID)
	{
		Oid			relid = DatumGetObjectId(value);
		char	   *relname = get_rel_name(relid);

		if (relname == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation with OID %u does not exist", relid)));
		return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname);
	}
	getTypeOutputInfo(type, &out, &varlena);
	return OidOutputFunctionCall(out, value);
}

/*
 * Insert a queued job of that kind for the caller (as the owner of
 * automl.jobs: only automl writes jobs) and wake the scheduler at commit.
 */
static int64
queue_job(Oid caller, const char *kind, const char *arguments)
{
	AmlActAs	as_owner;
	Oid			itypes[3] = {REGROLEOID, JSONBOID, TEXTOID};
	Datum		ivalues[3];
	int64		id;
	bool		isnull;

	ivalues[0] = ObjectIdGetDatum(caller);
	ivalues[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(arguments));
	ivalues[2] = CStringGetTextDatum(kind);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as_owner_of(&as_owner, "jobs");
	if (SPI_execute_with_args("INSERT INTO automl.jobs (owner, arguments, kind) VALUES ($1, $2, $3) RETURNING id",
							  3, itypes, ivalues, NULL, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "queuing the job failed");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	aml_act_end(&as_owner);
	SPI_finish();
	aml_worker_wake_at_commit(&aml_jobs_shared->scheduler);
	return id;
}

Datum
automl_submit(PG_FUNCTION_ARGS)
{
	HeapTuple	proc;
	Oid		   *types;
	char	  **names;
	char	   *modes;
	int			nargs;
	StringInfoData json;
	Oid			caller = GetUserId();

	require_scheduler("automl_submit");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and target must not be NULL")));
	/* the job would fail on it: say so now (row-level security applies when it runs) */
	if (pg_class_aclcheck(PG_GETARG_OID(0), caller, ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(PG_GETARG_OID(0))),
				 errdetail("A job runs with the privileges of the role that submits it.")));

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	nargs = get_func_arg_info(proc, &types, &names, &modes);
	ReleaseSysCache(proc);
	if (names == NULL || nargs != PG_NARGS())
		elog(ERROR, "automl_submit must be declared with named arguments");

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (int i = 0; i < nargs; i++)
	{
		/* a filter the job would refuse (pg/filter.h): refused now, by the same compiler */
		if (strcmp(names[i], "filter") == 0 && !PG_ARGISNULL(i) && types[i] == JSONBOID)
			(void) aml_filter_compile(DatumGetJsonbP(PG_GETARG_DATUM(i)), PG_GETARG_OID(0), 1);
		if (i > 0)
			appendStringInfoString(&json, ", ");
		escape_json(&json, names[i]);
		appendStringInfoString(&json, ": ");
		if (PG_ARGISNULL(i))
			appendStringInfoString(&json, "null");
		else
			escape_json(&json, argument_text(types[i], PG_GETARG_DATUM(i)));
	}
	appendStringInfoChar(&json, '}');

	PG_RETURN_INT64(queue_job(caller, "train", json.data));
}

/* ------------------------------------------------------------ automl_submit_experiment */

/*
 * The nodes of an experiment job as a JSON array (NULL: this server only).
 * Refused now, as the job would refuse them: not a one-dimensional
 * non-empty list of distinct names (22023, 22004, 42710), a node not in
 * automl.nodes (42704), a node whose foreign server the submitter may not
 * use (42501).  The connection itself (user mapping, password) is the
 * job's, with the submitter's user mapping.
 */
static char *
experiment_nodes(ArrayType *nodes, Oid caller)
{
	Datum	   *elems;
	bool	   *enulls;
	int			n;
	StringInfoData s;

	if (ARR_NDIM(nodes) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("automl_submit_experiment: nodes must be a one-dimensional array")));
	deconstruct_array(nodes, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_submit_experiment: nodes is empty"),
				 errhint("Pass NULL for this server alone, or name nodes of automl.nodes ('local' is this server).")));
	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (int i = 0; i < n; i++)
	{
		char	   *name;

		if (enulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("automl_submit_experiment: a node name is NULL")));
		name = TextDatumGetCString(elems[i]);
		for (int j = 0; j < i; j++)
			if (!enulls[j] && strcmp(TextDatumGetCString(elems[j]), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("automl_submit_experiment: node \"%s\" is named twice", name)));
		if (strcmp(name, "local") != 0)
		{
			Oid			types[1] = {TEXTOID};
			Datum		values[1] = {elems[i]};
			char	   *server = NULL;
			ForeignServer *fs;

			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			if (SPI_execute_with_args("SELECT server::pg_catalog.text FROM automl.nodes WHERE name" EQ "$1",
									  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not read automl.nodes");
			if (SPI_processed == 1)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

				server = SPI_palloc(strlen(v) + 1);
				strcpy(server, v);
			}
			SPI_finish();
			if (server == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("federation node \"%s\" does not exist", name),
						 errhint("Nodes are listed in automl.nodes; add one with automl_node_add(name, server), "
								 "or write 'local' for this server.")));
			fs = GetForeignServerByName(server, false);
			if (pg_foreign_server_aclcheck(fs->serverid, caller, ACL_USAGE) != ACLCHECK_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied for foreign server %s of node \"%s\"", server, name),
						 errdetail("A job runs with the privileges of the role that submits it.")));
		}
		if (i)
			appendStringInfoString(&s, ", ");
		escape_json(&s, name);
	}
	appendStringInfoChar(&s, ']');
	return s.data;
}

/*
 * automl_submit_experiment(query jsonb, strict boolean, nodes text[]): the
 * arguments of automl_experiment, queued as a job of kind 'experiment'.
 * Like automl_submit it refuses now what the job would fail on for want of
 * privileges (the target table, the nodes' servers); everything else about
 * the query is the job's to report, as automl_experiment reports it.  The
 * node (automl.node) is the submitter's, as for a synchronous call.  With
 * nodes, the job connects to them with the submitter's user mappings.
 */
Datum
automl_submit_experiment(PG_FUNCTION_ARGS)
{
	Oid			caller = GetUserId();
	Jsonb	   *query;
	char	   *text;
	json_object *q;
	char	   *table;
	Oid			relid;
	StringInfoData json;

	require_scheduler("automl_submit_experiment");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL")));
	query = PG_GETARG_JSONB_P(0);
	text = JsonbToCString(NULL, &query->root, VARSIZE(query));
	q = aml_pg_parse_json(text, strlen(text));
	if (!json_object_is_type(q, json_type_object))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an ExperimentQuery must be a JSON object")));
	relid = aml_woken_target_table(q, &table);
	if (pg_class_aclcheck(relid, caller, ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errdetail("A job runs with the privileges of the role that submits it.")));

	/* the job's search_path is pg_catalog's: the table as the submitter's named it */
	{
		json_object *t = json_object_object_get(q, "targetTable");

		if (!json_object_is_type(t, json_type_object))
		{
			t = json_object_new_object();
			json_object_object_add(t, "name", json_object_new_string(get_rel_name(relid)));
			json_object_object_add(q, "targetTable", t);
		}
		json_object_object_add(t, "dbSchema", json_object_new_string(get_namespace_name(get_rel_namespace(relid))));
	}
	initStringInfo(&json);
	appendStringInfoString(&json, "{\"query\": ");
	appendStringInfoString(&json, aml_json_text(q));
	appendStringInfo(&json, ", \"strict\": %s, \"node\": ",
					 !PG_ARGISNULL(1) && PG_GETARG_BOOL(1) ? "true" : "false");
	escape_json(&json, aml_woken_node());
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		appendStringInfo(&json, ", \"nodes\": %s", experiment_nodes(PG_GETARG_ARRAYTYPE_P(2), caller));
	appendStringInfoChar(&json, '}');
	PG_RETURN_INT64(queue_job(caller, "experiment", json.data));
}

/* ------------------------------------------------------------ visibility */

/*
 * The state of a job the caller may see (row-level security, as the caller,
 * search_path pinned), its row's xmin in *xmin; errors when there is none.
 * Inside SPI.
 */
static char *
visible_state(int64 id, TransactionId *xmin)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT state, xmin FROM automl.jobs WHERE id" EQ "$1",
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the job failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job %lld does not exist", (long long) id),
				 errhint("Jobs are visible to their owner, to members of automl_job_admin and to superusers.")));
	if (xmin != NULL)
		*xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

static bool
is_final(const char *state)
{
	return strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
		strcmp(state, "cancelled") == 0;
}

/* ------------------------------------------------------------ automl_cancel */

/* Ask a running job to stop; false when no worker runs it. */
static bool
stop_running_job(int64 id, bool keep_best)
{
	AmlJobsShared *shared = aml_jobs_shared;
	uint32		how = keep_best ? AML_STOP_KEEP_BEST : AML_STOP_DISCARD;
	pid_t		pid = 0;
	bool		found = false;

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < AML_MAX_JOBS_LIMIT; i++)
		if (shared->slots[i].job_id == id)
		{
			/* the worker reads this when it starts, the search on its way */
			pg_atomic_write_u32(&shared->slots[i].cancel, how);
			pid = shared->slots[i].pid;
			found = true;
		}
	SpinLockRelease(&shared->mutex);
	if (!found)
		return false;
	(void) aml_progress_request_stop(id, how);
	/* storing nothing: a query cancel stops it wherever it is (refit included) */
	if (!keep_best && pid != 0)
		(void) kill(pid, SIGINT);
	return true;
}

Datum
automl_cancel(PG_FUNCTION_ARGS)
{
	int64		id;
	bool		keep_best = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	char	   *state;
	bool		done = false;
	AmlActAs	safe;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job_id must not be NULL")));
	id = PG_GETARG_INT64(0);
	require_scheduler("automl_cancel");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&safe, InvalidOid);
	state = visible_state(id, NULL);
	aml_act_end(&safe);

	if (strcmp(state, "queued") == 0)
	{
		AmlActAs	as_owner;
		Oid			types[1] = {INT8OID};
		Datum		values[1] = {Int64GetDatum(id)};

		aml_act_as_owner_of(&as_owner, "jobs");
		if (SPI_execute_with_args("UPDATE automl.jobs SET state = 'cancelled', "
								  "finished_at = pg_catalog.clock_timestamp(), "
								  "error = 'cancelled before it started' "
								  "WHERE id" EQ "$1 AND state" EQ "'queued'",
								  1, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "cancelling the job failed");
		done = SPI_processed == 1;
		aml_act_end(&as_owner);
		/* claimed meanwhile: it runs now */
		if (!done)
			state = "running";
	}
	if (strcmp(state, "running") == 0)
		done = stop_running_job(id, keep_best);
	SPI_finish();
	aml_worker_wake_at_commit(&aml_jobs_shared->scheduler);
	PG_RETURN_BOOL(done);
}

/* ------------------------------------------------------------ automl_wait */

Datum
automl_wait(PG_FUNCTION_ARGS)
{
	int64		id;
	double		timeout_ms;
	TimestampTz start = GetCurrentTimestamp();
	char	   *state = NULL;
	TransactionId xmin;
	AmlActAs	safe;
	MemoryContext caller_cxt = CurrentMemoryContext;

	timeout_ms = aml_worker_wait_timeout_ms(fcinfo, "automl_wait", "job_id", AML_JOB_SCHEDULER_TYPE,
											aml_jobs_shared != NULL, "the job's progress");
	id = PG_GETARG_INT64(0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&safe, InvalidOid);
	ConditionVariablePrepareToSleep(&aml_jobs_shared->changed_cv);
	for (;;)
	{
		long		remaining;

		CHECK_FOR_INTERRUPTS();
		/* each query sees the latest committed state (a new snapshot in READ COMMITTED) */
		PG_TRY();
		{
			state = visible_state(id, &xmin);
		}
		PG_CATCH();
		{
			ConditionVariableCancelSleep();
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (is_final(state))
			break;
		if (strcmp(state, "queued") == 0 && TransactionIdIsCurrentTransactionId(xmin))
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("job %lld was submitted in this transaction", (long long) id),
					 errdetail("The job scheduler sees it only after the transaction commits."),
					 errhint("Commit first, then wait for it.")));
		}
		remaining = (long) (timeout_ms - (double) (GetCurrentTimestamp() - start) / 1000.0);
		if (remaining <= 0)
			break;
		/* woken by the workers' broadcast; the timeout is the caller's, not a poll */
		(void) ConditionVariableTimedSleep(&aml_jobs_shared->changed_cv, remaining, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	/* SPI_finish frees what was allocated since SPI_connect */
	state = MemoryContextStrdup(caller_cxt, state);
	aml_act_end(&safe);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(state));
}
