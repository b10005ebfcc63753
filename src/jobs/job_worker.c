/*
 * job_worker.c — the dynamic background worker that runs one training job
 * (started by scheduler.c, one per job; bgw_main_arg is its slot).
 *
 *   1. a short transaction takes the job: its row must still be 'running'
 *      with the attempt the scheduler claimed (else it was cancelled, or
 *      given to another worker, and this one exits); it records its pid;
 *   2. one transaction runs automl_train as the job's owner
 *      (pg/security.h's aml_act_as: row-level security and privileges are
 *      the owner's), with the arguments stored by automl_submit passed by
 *      name, and records the outcome in the job's row — in the same
 *      transaction as the run and the model, and only while the row is
 *      still this worker's: a job ends once, a run is never half written;
 *   3. on an error, the transaction is rolled back (no model, no
 *      candidate is kept) and a new one records 'failed' (or 'cancelled')
 *      with the message and its SQLSTATE, in the job's row and, when
 *      automl_train had started its run, in that run's row, written again
 *      ended (pg/train_run.h: aml_train_run_take_started), its id in the
 *      job's run_id.
 *
 * A job of kind 'experiment' (automl_submit_experiment) runs
 * automl_experiment's work instead of automl_train, the same way
 * (run_experiment_job).
 *
 * Cancelling: automl_cancel sets the slot's flag and the search's stop flag
 * (pg/progress.h).  With keep_best the search ends at once and automl_train
 * refits and stores the best pipeline so far (the run and the job say
 * 'cancelled'); without, a query cancel (SIGINT) ends the job with an
 * error, storing nothing.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "jobs/jobs.h"
#include "pg/progress.h"
#include "pg/security.h"
#include "pg/subxact.h"
#include "pg/train_run.h"
#include "pg/woken_job.h"

#define EQ " OPERATOR(pg_catalog.=) "

static int	my_slot = -1;
static int64 my_job = 0;

static void
release_slot(int code, Datum arg)
{
	AmlJobsShared *shared = aml_jobs_shared;
	AmlJobSlot *slot = &shared->slots[my_slot];

	SpinLockAcquire(&shared->mutex);
	if (slot->job_id == my_job && slot->pid == MyProcPid)
	{
		slot->job_id = 0;
		slot->pid = 0;
	}
	SpinLockRelease(&shared->mutex);
	ConditionVariableBroadcast(&shared->changed_cv);
	aml_events_announce();	/* the HTTP worker's /events */
	aml_worker_wake(&shared->scheduler);
}

static void
begin_xact(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
end_xact(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	ConditionVariableBroadcast(&aml_jobs_shared->changed_cv);
	aml_events_announce();	/* the HTTP worker's /events */
}

/*
 * SELECT ... FROM <schema>.automl_train(name => ($1->>'name')::type, ...):
 * every argument of automl_train that the job's arguments name ($1).
 */
static char *
train_call_sql(Jsonb *args)
{
	Oid			nsp;
	bool		isnull;
	Oid			fn;
	HeapTuple	proc;
	Oid		   *argtypes;
	char	  **names;
	char	   *modes;
	int			nargs;
	int			passed = 0;
	StringInfoData sql;

	if (SPI_execute("SELECT p.oid, e.extnamespace FROM pg_catalog.pg_extension e"
					" JOIN pg_catalog.pg_proc p ON p.pronamespace" EQ "e.extnamespace"
					" WHERE e.extname" EQ "'automl' AND p.proname" EQ "'automl_train'", true, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("automl_train was not found in the schema of the automl extension")));
	fn = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	nsp = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fn);
	nargs = get_func_arg_info(proc, &argtypes, &names, &modes);
	ReleaseSysCache(proc);

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT r.model_id, r.run_id, r.pipeline, r.cv_score, r.evaluated FROM %s.automl_train(",
					 quote_identifier(get_namespace_name(nsp)));
	for (int i = 0; i < nargs; i++)
	{
		if (names == NULL || names[i] == NULL ||
			!DatumGetBool(DirectFunctionCall2(jsonb_exists, JsonbPGetDatum(args),
											  CStringGetTextDatum(names[i]))))
			continue;			/* not given: automl_train's default */
		appendStringInfo(&sql, "%s%s => ($1 OPERATOR(pg_catalog.->>) %s)::%s",
						 passed++ > 0 ? ", " : "", quote_identifier(names[i]),
						 quote_literal_cstr(names[i]), format_type_be_qualified(argtypes[i]));
	}
	appendStringInfoString(&sql, ") r");
	return sql.data;
}

/* The job's row, if it is still this worker's to run. */
static bool
take_job(int attempt, Oid *owner, char **args, char **kind)
{
	Oid			types[3] = {INT8OID, INT4OID, INT4OID};
	Datum		values[3] = {Int64GetDatum(my_job), Int32GetDatum(attempt), Int32GetDatum(MyProcPid)};
	bool		isnull;
	bool		mine;

	begin_xact("automl: taking a job");
	if (SPI_execute_with_args("UPDATE automl.jobs SET worker_pid = $3"
							  " WHERE id" EQ "$1 AND state" EQ "'running' AND attempts" EQ "$2"
							  " RETURNING owner::pg_catalog.oid, arguments::pg_catalog.text, kind",
							  3, types, values, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "taking the job failed");
	mine = SPI_processed == 1;
	if (mine)
	{
		*owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*args = MemoryContextStrdup(TopMemoryContext,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		*kind = MemoryContextStrdup(TopMemoryContext,
									SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
	}
	end_xact();
	return mine;
}

/*
 * An experiment (automl_submit_experiment): automl_experiment's work as the
 * owner (pg/woken_job.h), its woken.job_result row written in this
 * transaction, the job's row set succeeded in the same one.  Its errors
 * fail the job (record_failure); the text/plain+error row of a job that
 * ends failed or cancelled is written by a trigger on automl.jobs
 * (sql/install/65_woken.sql), whichever way it ended.
 */
static void
run_experiment_job(int attempt, Oid owner, const char *args_text)
{
	AmlJobSlot *slot = &aml_jobs_shared->slots[my_slot];
	Jsonb	   *args;
	AmlActAs	as_owner;
	uint32		stop;
	char		activity[64];
	char	   *query;
	char	   *node;
	char	   *strict;
	ArrayType  *nodes;
	Oid			nsp;
	bool		isnull;

	snprintf(activity, sizeof(activity), "automl job %lld: automl_experiment", (long long) my_job);
	begin_xact(activity);
	args = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(args_text)));
	{
		Oid			types[1] = {JSONBOID};
		Datum		values[1] = {JsonbPGetDatum(args)};

		if (SPI_execute_with_args("SELECT ($1 OPERATOR(pg_catalog.->) 'query')::pg_catalog.text,"
								  " $1 OPERATOR(pg_catalog.->>) 'node', $1 OPERATOR(pg_catalog.->>) 'strict',"
								  " (SELECT e.extnamespace FROM pg_catalog.pg_extension e"
								  "   WHERE e.extname" EQ "'automl'),"
								  " (SELECT pg_catalog.array_agg(x.v ORDER BY x.o)"
								  "    FROM pg_catalog.jsonb_array_elements_text($1 OPERATOR(pg_catalog.->) 'nodes')"
								  "         WITH ORDINALITY x(v, o))",
								  1, types, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "reading the job's arguments failed");
		query = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		node = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		strict = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
		nsp = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
		if (query == NULL || node == NULL || isnull)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("job %lld has no experiment to run", (long long) my_job)));
		{
			bool		nodes_null;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &nodes_null);

			/* over federation nodes: connected to with the owner's user mappings */
			nodes = nodes_null ? NULL : DatumGetArrayTypePCopy(d);
		}
	}

	/* the experiment works in temporary objects (its view, its folds): pg/security.h */
	aml_act_as_job_owner(&as_owner, owner);
	aml_progress_begin(my_job, InvalidOid);
	if (pg_atomic_read_u32(&slot->cancel) != AML_STOP_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("job %lld was cancelled before it started", (long long) my_job)));
	aml_woken_experiment_job(psprintf("%lld", (long long) my_job), node, query,
							 strict != NULL && strcmp(strict, "true") == 0, nsp, nodes);
	/* what the owner's work deferred runs now, as the owner, not at COMMIT as this worker */
	if (SPI_execute("SET CONSTRAINTS ALL IMMEDIATE", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "firing the job's deferred triggers failed");
	stop = aml_progress_stop_requested();
	aml_progress_end();
	aml_act_end(&as_owner);
	/* an experiment is not a search: a cancel, even keep_best, stores nothing */
	if (stop != AML_STOP_NONE || pg_atomic_read_u32(&slot->cancel) != AML_STOP_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("job %lld was cancelled", (long long) my_job)));
	{
		Oid			types[2] = {INT8OID, INT4OID};
		Datum		values[2] = {Int64GetDatum(my_job), Int32GetDatum(attempt)};

		if (SPI_execute_with_args("UPDATE automl.jobs SET state = 'succeeded', seconds_left = 0,"
								  " worker_pid = NULL, finished_at = pg_catalog.clock_timestamp()"
								  " WHERE id" EQ "$1 AND state" EQ "'running' AND attempts" EQ "$2",
								  2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "recording the job's outcome failed");
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("job %lld is no longer this worker's to finish", (long long) my_job),
					 errdetail("Its row changed while it ran; what it found is not stored.")));
	}
	end_xact();
}

static void
run_job(int attempt, Oid owner, const char *args_text)
{
	AmlJobSlot *slot = &aml_jobs_shared->slots[my_slot];
	Jsonb	   *args;
	char	   *sql;
	AmlActAs	as_owner;
	uint32		stop;
	bool		isnull;
	int64		model_id;
	int64		run_id;
	char	   *pipeline;
	Datum		cv_score;
	bool		cv_null;
	int32		evaluated;
	char		activity[64];

	snprintf(activity, sizeof(activity), "automl job %lld: automl_train", (long long) my_job);
	begin_xact(activity);
	args = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(args_text)));
	sql = train_call_sql(args);

	aml_act_as(&as_owner, owner);
	aml_progress_begin(my_job, InvalidOid);
	stop = pg_atomic_read_u32(&slot->cancel);
	if (stop == AML_STOP_DISCARD)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("job %lld was cancelled before it started", (long long) my_job)));
	if (stop != AML_STOP_NONE)
		(void) aml_progress_request_stop(my_job, stop);
	{
		Oid			types[1] = {JSONBOID};
		Datum		values[1] = {JsonbPGetDatum(args)};

		if (SPI_execute_with_args(sql, 1, types, values, NULL, false, 0) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "automl_train returned no row");
	}
	model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	pipeline = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	cv_score = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &cv_null);
	evaluated = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));
	/*
	 * What the owner's work deferred (a constraint trigger queued by a
	 * function of a view it read) would fire at COMMIT as this worker: it
	 * fires now, still as the owner, where the security-restricted
	 * operation refuses it (the job fails instead of escalating).
	 */
	if (SPI_execute("SET CONSTRAINTS ALL IMMEDIATE", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "firing the job's deferred triggers failed");
	stop = aml_progress_stop_requested();
	aml_progress_end();
	aml_act_end(&as_owner);

	if (stop == AML_STOP_KEEP_BEST)
	{
		Oid			types[1] = {INT8OID};
		Datum		values[1] = {Int64GetDatum(run_id)};

		/* the search ended on the cancel: the run says so (and has the best model) */
		if (SPI_execute_with_args("UPDATE automl.runs SET status = 'cancelled' WHERE id" EQ "$1",
								  1, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "marking the run cancelled failed");
	}
	{
		Oid			types[8] = {INT8OID, INT4OID, TEXTOID, INT8OID, INT8OID, INT4OID, FLOAT8OID, TEXTOID};
		Datum		values[8];
		char		nulls[8];

		memset(nulls, ' ', sizeof(nulls));
		values[0] = Int64GetDatum(my_job);
		values[1] = Int32GetDatum(attempt);
		values[2] = CStringGetTextDatum(stop == AML_STOP_KEEP_BEST ? "cancelled" : "succeeded");
		values[3] = Int64GetDatum(run_id);
		values[4] = Int64GetDatum(model_id);
		values[5] = Int32GetDatum(evaluated);
		values[6] = cv_score;
		nulls[6] = cv_null ? 'n' : ' ';
		values[7] = pipeline ? CStringGetTextDatum(pipeline) : (Datum) 0;
		nulls[7] = pipeline ? ' ' : 'n';
		if (SPI_execute_with_args("UPDATE automl.jobs SET state = $3, run_id = $4, model_id = $5,"
								  " evaluated = $6, best_score = $7, best_pipeline = $8, seconds_left = 0,"
								  " worker_pid = NULL, finished_at = pg_catalog.clock_timestamp()"
								  " WHERE id" EQ "$1 AND state" EQ "'running' AND attempts" EQ "$2",
								  8, types, values, nulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "recording the job's outcome failed");
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("job %lld is no longer this worker's to finish", (long long) my_job),
					 errdetail("Its row changed while it ran; what it found is not stored.")));
	}
	end_xact();
}

static void
insert_ended(void *arg)
{
	aml_train_run_insert_ended((const AmlRunEnded *) arg);
}

/*
 * The failed job's run, in a subtransaction: if it cannot be written, the
 * job's failure still is (a LOG line says why).
 */
static bool
record_run(const AmlRunEnded *ended)
{
	ErrorData  *e = aml_subxact_try(insert_ended, (void *) ended, false);

	if (e == NULL)
		return true;
	ereport(LOG,
			(errmsg("automl job %lld: its run could not be recorded: %s", (long long) my_job,
					e->message ? e->message : "unknown error")));
	FreeErrorData(e);
	return false;
}

static void
record_failure(int attempt, ErrorData *edata)
{
	uint32		cancel = pg_atomic_read_u32(&aml_jobs_shared->slots[my_slot].cancel);
	bool		cancelled = cancel != AML_STOP_NONE || edata->sqlerrcode == ERRCODE_QUERY_CANCELED;
	Oid			types[6] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', 'n'};
	AmlRunStarted run;

	values[0] = Int64GetDatum(my_job);
	values[1] = Int32GetDatum(attempt);
	values[2] = CStringGetTextDatum(cancelled ? "cancelled" : "failed");
	values[3] = CStringGetTextDatum(edata->message ? edata->message : "unknown error");
	values[4] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	values[5] = (Datum) 0;
	begin_xact("automl: recording a job's failure");
	if (aml_train_run_take_started(&run))
	{
		AmlRunEnded ended;

		/* the run automl_train started was rolled back with the job's transaction: again, ended */
		ended.row = run.row;
		ended.status = cancelled ? "cancelled" : "failed";
		ended.error = edata->message ? edata->message : "unknown error";
		strlcpy(ended.sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(ended.sqlstate));
		ended.finished = GetCurrentTimestamp();
		if (record_run(&ended))
		{
			values[5] = Int64GetDatum(run.id);
			nulls[5] = ' ';
		}
	}
	if (SPI_execute_with_args("UPDATE automl.jobs SET state = $3, error = $4, sqlstate = $5,"
							  " run_id = $6, worker_pid = NULL, seconds_left = NULL,"
							  " finished_at = pg_catalog.clock_timestamp()"
							  " WHERE id" EQ "$1 AND state" EQ "'running' AND attempts" EQ "$2",
							  6, types, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "recording the job's failure failed");
	end_xact();
}

void
aml_job_worker_main(Datum main_arg)
{
	AmlJobsShared *shared = aml_jobs_shared;
	AmlJobSlot *slot;
	static int	attempt;
	Oid			database;
	static Oid	owner = InvalidOid;	/* static: read after a longjmp */
	static char *args = NULL;
	static char *kind = NULL;

	pqsignal(SIGTERM, die);
	/*
	 * automl_cancel(keep_best => false) SIGINTs this worker as soon as its
	 * pid is in the slot.  Until the job is taken inside the PG_TRY below,
	 * a query cancel would end the worker unrecorded (an ERROR while
	 * connecting), the scheduler would see a lost worker and run the job
	 * again, the cancel forgotten.  So SIGINT is ignored until then; the
	 * cancel flag in the slot, set before the signal, is checked by run_job.
	 */
	pqsignal(SIGINT, SIG_IGN);
	BackgroundWorkerUnblockSignals();
	if (shared == NULL)
		elog(ERROR, "automl job worker started without shared memory");
	my_slot = DatumGetInt32(main_arg);
	if (my_slot < 0 || my_slot >= AML_MAX_JOBS_LIMIT)
		elog(ERROR, "automl job worker started for slot %d", my_slot);
	slot = &shared->slots[my_slot];
	SpinLockAcquire(&shared->mutex);
	my_job = slot->job_id;
	attempt = slot->attempt;
	database = slot->database;
	if (my_job != 0)
		slot->pid = MyProcPid;
	SpinLockRelease(&shared->mutex);
	if (my_job == 0)
		proc_exit(0);
	before_shmem_exit(release_slot, (Datum) 0);

	BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
	pgstat_report_appname(AML_JOB_WORKER_TYPE);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

	PG_TRY();
	{
		/* from here on a cancel is recorded (cancelled) like any error of the job */
		pqsignal(SIGINT, StatementCancelHandler);
		if (!take_job(attempt, &owner, &args, &kind))
			proc_exit(0);		/* cancelled, or someone else's now */
		if (strcmp(kind, "experiment") == 0)
			run_experiment_job(attempt, owner, args);
		else
			run_job(attempt, owner, args);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		/* a failed job is the job's outcome, not the worker's: no ERROR in the log */
		ereport(LOG,
				(errmsg("automl job %lld ended with an error: %s", (long long) my_job, edata->message)));
		record_failure(attempt, edata);
	}
	PG_END_TRY();
	proc_exit(0);
}
