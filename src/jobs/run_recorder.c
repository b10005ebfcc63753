/*
 * run_recorder.c — the short-lived background worker that records the end
 * of an automl_train call that failed (pg/train_run.h), in a transaction of
 * its own, while the caller's transaction aborts.
 *
 * The backend (aml_run_recorder_hook, set from _PG_init) puts the request
 * in a small DSM segment — the run's row as written at start, its status,
 * the error's message and SQLSTATE, when it ended — and starts one dynamic
 * worker ("automl run recorder") that attaches to it, connects to the
 * backend's database, inserts the ended row (aml_train_run_insert_ended:
 * as the owner of automl.runs, search_path pinned by pg/security.h, values
 * as $n parameters), commits, says so in the segment and exits.  The
 * backend waits on its latch (the worker sets it; bgw_notify_pid wakes it
 * when the worker stops) for at most the time it was given.
 *
 * Which role the worker connects as: the bootstrap superuser, as the job
 * workers and evaluation helpers do, and it runs no user work: its one
 * statement is automl's own, on automl's own table, as the table's owner —
 * the rights the caller's backend used for the same row (callers have no
 * INSERT on automl.runs), and the row's owner column is the caller's role
 * (an OID) as written at start, so row-level security shows it to the
 * caller alone.  Connecting as the caller's role instead would give the
 * statement no fewer rights and would fail in PostgreSQL 15 for a role
 * without LOGIN (a group role reached by SET ROLE, a SECURITY DEFINER
 * function's owner) or at its connection limit.
 *
 * Not recorded, with a WARNING in the caller's session: no background
 * worker slot free (max_worker_processes), no DSM segment, the worker
 * failing (its error in the WARNING and the log), or not done in time.  The
 * worker gives up RECORDER_MARGIN_MS before the backend stops waiting (its
 * lock_timeout ends then; connected later than that, it does not try), so
 * that a run is not written after the caller was told it was not (a
 * caller that locked automl.runs in its own transaction, say).  Needs no
 * shared memory of its own: works whether automl is preloaded or not.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "jobs/jobs.h"
#include "pg/train_run.h"
#include "pg/worker.h"

#define RECORDER_TYPE "automl run recorder"
#define RECORDER_MARGIN_MS 500

enum
{
	REQUEST_PENDING = 0,
	REQUEST_DONE,				/* committed */
	REQUEST_FAILED				/* the worker's error is in why */
};

typedef struct Request
{
	pg_atomic_uint32 state;
	Latch	   *leader_latch;
	Oid			database;
	TimestampTz deadline;		/* when the backend stops waiting */
	TimestampTz finished;
	char		status[16];
	char		sqlstate[6];
	char		why[256];
	Size		row_off;
	Size		error_off;
} Request;

/* ------------------------------------------------------------ the backend */

static bool
record(const AmlRunEnded *ended, int wait_ms, char *why, size_t why_size)
{
	Size		row_len = strlen(ended->row) + 1;
	Size		error_len = strlen(ended->error) + 1;
	Size		size = MAXALIGN(sizeof(Request)) + MAXALIGN(row_len) + error_len;
	dsm_segment *seg;
	Request    *req;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	bool		done = false;

	seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
	{
		strlcpy(why, "no dynamic shared memory segment is free", why_size);
		return false;
	}
	req = dsm_segment_address(seg);
	memset(req, 0, sizeof(Request));
	pg_atomic_init_u32(&req->state, REQUEST_PENDING);
	req->leader_latch = MyLatch;
	req->database = MyDatabaseId;
	req->deadline = deadline;
	req->finished = ended->finished;
	strlcpy(req->status, ended->status, sizeof(req->status));
	strlcpy(req->sqlstate, ended->sqlstate, sizeof(req->sqlstate));
	req->row_off = MAXALIGN(sizeof(Request));
	req->error_off = req->row_off + MAXALIGN(row_len);
	memcpy((char *) req + req->row_off, ended->row, row_len);
	memcpy((char *) req + req->error_off, ended->error, error_len);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "automl");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "aml_run_recorder_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s for PID %d", RECORDER_TYPE, MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, RECORDER_TYPE);
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		dsm_detach(seg);
		strlcpy(why, "no background worker slot is free (max_worker_processes)", why_size);
		return false;
	}
	for (;;)
	{
		uint32		state = pg_atomic_read_u32(&req->state);
		pid_t		pid;
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);

		if (state == REQUEST_DONE)
		{
			done = true;
			break;
		}
		if (state == REQUEST_FAILED)
		{
			pg_read_barrier();
			strlcpy(why, req->why, why_size);
			break;
		}
		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
		{
			/* it may have written its state just before it stopped */
			if (pg_atomic_read_u32(&req->state) != REQUEST_PENDING)
				continue;
			strlcpy(why, "the recorder exited without recording it (see the server log)", why_size);
			break;
		}
		if (left <= 0)
		{
			snprintf(why, why_size, "the recorder did not finish within %d ms (it may still record it)", wait_ms);
			break;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, Min(left, 100),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	pfree(handle);
	dsm_detach(seg);
	return done;
}

void
aml_run_recorder_init(void)
{
	aml_run_recorder_hook = record;
}

/* ------------------------------------------------------------ the worker */

void
aml_run_recorder_main(Datum main_arg)
{
	dsm_segment *seg;
	Request    *req;
	AmlRunEnded ended;
	char		lock_timeout[32];
	long		left;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, RECORDER_TYPE);
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);			/* the backend stopped waiting */
	req = dsm_segment_address(seg);
	BackgroundWorkerInitializeConnectionByOid(req->database, InvalidOid, 0);
	pgstat_report_appname(RECORDER_TYPE);
	left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), req->deadline) - RECORDER_MARGIN_MS;
	if (left <= 0)
	{
		strlcpy(req->why, "the recorder started too late", sizeof(req->why));
		pg_write_barrier();
		pg_atomic_write_u32(&req->state, REQUEST_FAILED);
		SetLatch(req->leader_latch);
		proc_exit(0);
	}
	snprintf(lock_timeout, sizeof(lock_timeout), "%ld", left);
	SetConfigOption("lock_timeout", lock_timeout, PGC_SUSET, PGC_S_OVERRIDE);

	ended.row = (char *) req + req->row_off;
	ended.error = (char *) req + req->error_off;
	ended.status = req->status;
	memcpy(ended.sqlstate, req->sqlstate, sizeof(ended.sqlstate));
	ended.finished = req->finished;
	PG_TRY();
	{
		aml_worker_begin_xact("automl: recording a failed run");
		aml_train_run_insert_ended(&ended);
		aml_worker_end_xact();
		pg_write_barrier();
		pg_atomic_write_u32(&req->state, REQUEST_DONE);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(LOG,
				(errmsg("automl run recorder: a failed run could not be recorded: %s", edata->message)));
		strlcpy(req->why, edata->message ? edata->message : "unknown error", sizeof(req->why));
		pg_write_barrier();
		pg_atomic_write_u32(&req->state, REQUEST_FAILED);
	}
	PG_END_TRY();
	SetLatch(req->leader_latch);
	proc_exit(0);
}
