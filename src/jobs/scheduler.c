/*
 * scheduler.c — the job scheduler: one background worker per cluster,
 * connected to automl.database, on the loop of pg/worker.h.
 *
 * A round (woken at the COMMIT of automl_submit/automl_cancel, when a job
 * worker starts or exits — bgw_notify_pid —, once a second while jobs run,
 * every 5 s otherwise):
 *
 *   forget the slots of job workers that are gone;
 *   one short transaction:
 *     - recover: a job 'running' that no live worker holds lost its worker
 *       (killed, or the server stopped or crashed): it is queued again once
 *       (attempts < AML_JOB_MAX_ATTEMPTS), otherwise it fails, saying why;
 *     - progress: the progress of each running job (pg/progress.h) written
 *       to its row when it changed, at most once a second (the row's
 *       trigger NOTIFYs automl_jobs);
 *     - claim: queued jobs, oldest first, FOR UPDATE SKIP LOCKED, up to
 *       automl.max_jobs running, set 'running' with attempts + 1;
 *   start one dynamic background worker per claimed job (job_worker.c).
 *   When no worker slot is free (max_worker_processes), the job is queued
 *   again and tried at the next round.
 *
 * A job worker commits its result in the same transaction as the run and
 * the model, and only while its row is still 'running' with its attempt
 * number: a job is never run twice to completion, and a run is never half
 * written.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "jobs/jobs.h"
#include "pg/automl.h"
#include "pg/progress.h"
#include "pg/security.h"

#define EQ " OPERATOR(pg_catalog.=) "
#define TICK_MS 5000
#define PROGRESS_MS 1000
/* a worker that never reported its pid this long after its start is gone */
#define START_GRACE_MS 60000

/*
 * A job whose worker never reported its pid never ran (the server stopped
 * between the claim and the worker's start): queued again without the
 * attempt counting.
 */
#define RECOVER_SQL \
	"UPDATE automl.jobs SET" \
	"  state = CASE WHEN worker_pid IS NULL OR attempts OPERATOR(pg_catalog.<) $2 THEN 'queued' ELSE 'failed' END," \
	"  attempts = CASE WHEN worker_pid IS NULL AND attempts OPERATOR(pg_catalog.>) 0" \
	"    THEN attempts OPERATOR(pg_catalog.-) 1 ELSE attempts END," \
	"  finished_at = CASE WHEN worker_pid IS NULL OR attempts OPERATOR(pg_catalog.<) $2 THEN NULL ELSE pg_catalog.clock_timestamp() END," \
	"  sqlstate = CASE WHEN worker_pid IS NULL OR attempts OPERATOR(pg_catalog.<) $2 THEN NULL ELSE '57P01' END," \
	"  error = CASE WHEN worker_pid IS NULL THEN NULL" \
	"    WHEN attempts OPERATOR(pg_catalog.<) $2" \
	"    THEN 'its worker ended before the job finished (killed, or the server stopped); queued again'" \
	"    ELSE 'its worker ended before the job finished (killed, or the server stopped), ' ||" \
	"         attempts::pg_catalog.text || ' times: not started again' END," \
	"  worker_pid = NULL" \
	" WHERE state" EQ "'running' AND NOT (id" EQ "ANY ($1))"

#define PROGRESS_SQL \
	"UPDATE automl.jobs SET evaluated = $2, best_score = $3, best_std = $4, best_pipeline = $5," \
	"  seconds_left = $6" \
	" WHERE id" EQ "$1 AND state" EQ "'running'"

#define CLAIM_SQL \
	"WITH c AS (SELECT id FROM automl.jobs WHERE state" EQ "'queued'" \
	"            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)" \
	"UPDATE automl.jobs j SET state = 'running', attempts = j.attempts OPERATOR(pg_catalog.+) 1," \
	"  started_at = pg_catalog.clock_timestamp(), worker_pid = NULL, error = NULL" \
	"  FROM c WHERE j.id" EQ "c.id RETURNING j.id, j.attempts"

#define UNCLAIM_SQL \
	"UPDATE automl.jobs SET state = 'queued', attempts = attempts OPERATOR(pg_catalog.-) 1, started_at = NULL" \
	" WHERE id" EQ "$1 AND state" EQ "'running' AND attempts" EQ "$2"

typedef struct LocalSlot
{
	BackgroundWorkerHandle *handle; /* NULL: started by an earlier scheduler */
	uint32		changes;		/* of the progress entry, when last written */
	TimestampTz written;		/* when the progress was last written */
} LocalSlot;

static AmlWorkerLoop loop;
static LocalSlot local[AML_MAX_JOBS_LIMIT];
static bool extension_ready = false;
static bool need_claim = true;
static TimestampTz next_tick = 0;
static SPIPlanPtr recover_plan,
			progress_plan,
			claim_plan,
			unclaim_plan;

static void
forget_plans(void)
{
	recover_plan = progress_plan = claim_plan = unclaim_plan = NULL;
	extension_ready = false;
	need_claim = true;
}

/* Clear the slots of job workers that are gone; the number of slots in use. */
static int
reap_slots(void)
{
	AmlJobsShared *shared = aml_jobs_shared;
	TimestampTz now = GetCurrentTimestamp();
	int			busy = 0;

	for (int i = 0; i < AML_MAX_JOBS_LIMIT; i++)
	{
		AmlJobSlot *slot = &shared->slots[i];
		bool		gone = false;
		pid_t		pid;
		int64		job;

		SpinLockAcquire(&shared->mutex);
		job = slot->job_id;
		pid = slot->pid;
		SpinLockRelease(&shared->mutex);
		if (job == 0)
		{
			if (local[i].handle != NULL)
			{
				pfree(local[i].handle);
				local[i].handle = NULL;
			}
			continue;
		}
		if (local[i].handle != NULL)
		{
			pid_t		hpid;

			gone = GetBackgroundWorkerPid(local[i].handle, &hpid) == BGWH_STOPPED;
		}
		else if (pid != 0)
			gone = kill(pid, 0) != 0 && errno == ESRCH;
		else
			gone = now > TimestampTzPlusMilliseconds(slot->launched, START_GRACE_MS);
		if (gone)
		{
			SpinLockAcquire(&shared->mutex);
			if (slot->job_id == job)
				slot->job_id = 0;
			SpinLockRelease(&shared->mutex);
			if (local[i].handle != NULL)
				pfree(local[i].handle);
			local[i].handle = NULL;
			need_claim = true;
		}
		else
			busy++;
	}
	return busy;
}

static void
spi_ok(int rc, int expected, const char *what)
{
	if (rc != expected)
		elog(ERROR, "%s failed: %s", what, SPI_result_code_string(rc));
}

/* The progress of running jobs that changed, at most once a second each. */
static void
record_progress(void)
{
	AmlJobsShared *shared = aml_jobs_shared;
	TimestampTz now = GetCurrentTimestamp();
	Oid			types[6] = {INT8OID, INT4OID, FLOAT8OID, FLOAT8OID, TEXTOID, FLOAT8OID};

	for (int i = 0; i < AML_MAX_JOBS_LIMIT; i++)
	{
		AmlProgressEntry e;
		int64		job;
		Datum		values[6];
		char		nulls[6];

		SpinLockAcquire(&shared->mutex);
		job = shared->slots[i].job_id;
		SpinLockRelease(&shared->mutex);
		if (job == 0 || !aml_progress_of_job(job, &e))
			continue;
		if (e.changes == local[i].changes ||
			now < TimestampTzPlusMilliseconds(local[i].written, PROGRESS_MS))
			continue;
		memset(nulls, ' ', sizeof(nulls));
		values[0] = Int64GetDatum(job);
		values[1] = Int32GetDatum(e.evaluated);
		values[2] = Float8GetDatum(e.best_score);
		nulls[2] = isnan(e.best_score) ? 'n' : ' ';
		values[3] = Float8GetDatum(e.best_std);
		nulls[3] = isnan(e.best_std) ? 'n' : ' ';
		values[4] = CStringGetTextDatum(e.best);
		nulls[4] = e.best[0] ? ' ' : 'n';
		values[5] = Float8GetDatum(e.seconds_left);
		nulls[5] = isnan(e.seconds_left) ? 'n' : ' ';
		spi_ok(SPI_execute_plan(aml_worker_prepare(&progress_plan, PROGRESS_SQL, 6, types),
								values, nulls, false, 0), SPI_OK_UPDATE, "recording progress");
		local[i].changes = e.changes;
		local[i].written = now;
	}
}

/* Running jobs that no live worker holds: queued again once, or failed. */
static bool
recover_orphans(void)
{
	AmlJobsShared *shared = aml_jobs_shared;
	Datum		held[AML_MAX_JOBS_LIMIT];
	int			n = 0;
	Oid			types[2] = {INT8ARRAYOID, INT4OID};
	Datum		values[2];

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < AML_MAX_JOBS_LIMIT; i++)
		if (shared->slots[i].job_id != 0)
			held[n++] = Int64GetDatum(shared->slots[i].job_id);
	SpinLockRelease(&shared->mutex);
	values[0] = PointerGetDatum(construct_array(held, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = Int32GetDatum(AML_JOB_MAX_ATTEMPTS);
	spi_ok(SPI_execute_plan(aml_worker_prepare(&recover_plan, RECOVER_SQL, 2, types), values, NULL, false, 0),
		   SPI_OK_UPDATE, "recovering jobs");
	if (SPI_processed > 0)
		ereport(LOG,
				(errmsg("automl job scheduler: %llu job%s lost %s worker (queued again once, then failed)",
						(unsigned long long) SPI_processed, SPI_processed == 1 ? "" : "s",
						SPI_processed == 1 ? "its" : "their")));
	return SPI_processed > 0;
}

static bool
start_worker(int i, int64 job, int attempt)
{
	AmlJobsShared *shared = aml_jobs_shared;
	AmlJobSlot *slot = &shared->slots[i];
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext old;
	bool		started;

	SpinLockAcquire(&shared->mutex);
	slot->job_id = job;
	slot->attempt = attempt;
	slot->database = MyDatabaseId;
	slot->pid = 0;
	slot->launched = GetCurrentTimestamp();
	pg_atomic_write_u32(&slot->cancel, AML_STOP_NONE);
	SpinLockRelease(&shared->mutex);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "automl");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "aml_job_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "automl job worker for job %lld", (long long) job);
	snprintf(worker.bgw_type, BGW_MAXLEN, AML_JOB_WORKER_TYPE);
	worker.bgw_main_arg = Int32GetDatum(i);
	worker.bgw_notify_pid = MyProcPid;
	/* the handle outlives this round */
	old = MemoryContextSwitchTo(loop.worker_cxt);
	started = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(old);
	if (!started)
	{
		SpinLockAcquire(&shared->mutex);
		slot->job_id = 0;
		SpinLockRelease(&shared->mutex);
		return false;
	}
	local[i].handle = handle;
	local[i].changes = 0;
	local[i].written = 0;
	return true;
}

static void
iteration(void)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		woken = aml_worker_take_wake(&aml_jobs_shared->scheduler);
	bool		tick = now >= next_tick;
	int			busy;
	int			room;
	int64		claimed_id[AML_MAX_JOBS_LIMIT];
	int			claimed_attempt[AML_MAX_JOBS_LIMIT];
	int			n_claimed = 0;
	int			unclaimed = 0;
	bool		changed;

	if (woken || tick)
		need_claim = true;
	if (tick)
		next_tick = TimestampTzPlusMilliseconds(now, TICK_MS);
	if (!extension_ready)
	{
		if (!need_claim)
			return;
		aml_worker_begin_xact("automl: looking for the extension");
		extension_ready = aml_worker_extension_ready("jobs", NULL, NULL);
		aml_worker_end_xact();
		if (!extension_ready)
		{
			need_claim = false;
			return;
		}
	}
	busy = reap_slots();
	room = Max(Min(aml_max_jobs, AML_MAX_JOBS_LIMIT) - busy, 0);

	aml_worker_begin_xact("automl: recording and claiming jobs");
	if (!OidIsValid(aml_automl_relid("jobs")))
	{
		/* DROP EXTENSION: look for it again later */
		aml_worker_end_xact();
		forget_plans();
		return;
	}
	changed = recover_orphans();
	record_progress();
	if (need_claim && room > 0)
	{
		Oid			types[1] = {INT4OID};
		Datum		values[1] = {Int32GetDatum(room)};

		spi_ok(SPI_execute_plan(aml_worker_prepare(&claim_plan, CLAIM_SQL, 1, types), values, NULL, false, 0),
			   SPI_OK_UPDATE_RETURNING, "claiming jobs");
		for (uint64 r = 0; r < SPI_processed && n_claimed < AML_MAX_JOBS_LIMIT; r++)
		{
			bool		isnull;

			claimed_id[n_claimed] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
			claimed_attempt[n_claimed] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
			n_claimed++;
		}
	}
	/* full: a worker that exits wakes us (bgw_notify_pid, and its slot's release) */
	need_claim = false;
	aml_worker_end_xact();
	if (changed || n_claimed > 0)
	{
		ConditionVariableBroadcast(&aml_jobs_shared->changed_cv);
		aml_events_announce();	/* the HTTP worker's /events */
	}

	for (int k = 0; k < n_claimed; k++)
	{
		int			free_slot = -1;

		SpinLockAcquire(&aml_jobs_shared->mutex);
		for (int i = 0; i < AML_MAX_JOBS_LIMIT && free_slot < 0; i++)
			if (aml_jobs_shared->slots[i].job_id == 0 && local[i].handle == NULL)
				free_slot = i;
		SpinLockRelease(&aml_jobs_shared->mutex);
		if (free_slot >= 0 && start_worker(free_slot, claimed_id[k], claimed_attempt[k]))
			continue;
		/* no background worker slot: back to the queue, tried again at the next tick */
		claimed_id[unclaimed] = claimed_id[k];
		claimed_attempt[unclaimed] = claimed_attempt[k];
		unclaimed++;
	}
	if (unclaimed > 0)
	{
		Oid			types[2] = {INT8OID, INT4OID};

		ereport(LOG,
				(errmsg("automl job scheduler: no background worker slot free for %d job%s; they wait in the queue",
						unclaimed, unclaimed == 1 ? "" : "s"),
				 errhint("Raise max_worker_processes, or lower automl.max_jobs.")));
		aml_worker_begin_xact("automl: queuing jobs again");
		for (int k = 0; k < unclaimed; k++)
		{
			Datum		values[2] = {Int64GetDatum(claimed_id[k]), Int32GetDatum(claimed_attempt[k])};

			spi_ok(SPI_execute_plan(aml_worker_prepare(&unclaim_plan, UNCLAIM_SQL, 2, types), values, NULL,
									false, 0), SPI_OK_UPDATE, "queuing jobs again");
		}
		aml_worker_end_xact();
		next_tick = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
	}
}

static long
timeout_ms(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		secs;
	int			usecs;
	bool		running = false;

	if (need_claim && extension_ready)
		return 0;
	for (int i = 0; i < AML_MAX_JOBS_LIMIT && !running; i++)
		running = aml_jobs_shared->slots[i].job_id != 0;
	if (running)
		return PROGRESS_MS;
	if (next_tick <= now)
		return 0;
	TimestampDifference(now, next_tick, &secs, &usecs);
	return Min(secs * 1000 + (usecs + 999) / 1000, (long) TICK_MS);
}

void
aml_job_scheduler_main(Datum main_arg)
{
	AmlJobsShared *shared = aml_jobs_shared;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (shared == NULL)
		elog(ERROR, "automl job scheduler started without shared memory");
	aml_worker_connect(AML_JOB_SCHEDULER_TYPE);
	pgstat_report_appname(AML_JOB_SCHEDULER_TYPE);
	/* a superuser: only the catalog's functions, operators and types, once and for all */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	aml_worker_attach(&shared->scheduler);

	aml_worker_loop_init(&loop, AML_JOB_SCHEDULER_TYPE, 0);
	loop.iteration = iteration;
	loop.timeout_ms = timeout_ms;
	loop.on_error = forget_plans;
	ereport(LOG, (errmsg("automl job scheduler started in database \"%s\"", aml_guc_database)));
	aml_worker_loop_run(&loop);
}
