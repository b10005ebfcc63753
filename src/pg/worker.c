/*
 * worker.c — plumbing shared by automl's background workers (worker.h):
 * shared memory, worker slots, waking at commit, registration, the main
 * loop skeleton and the workers' short transactions.  Connecting to
 * automl.database is in worker_connect.c.
 *
 * Waking at commit.  A background worker cannot LISTEN, so a function that
 * queues work calls aml_worker_wake_at_commit(slot): an XactCallback
 * (registered once per backend) raises the slot's "wake requested" flag and
 * sets the worker's latch at XACT_EVENT_COMMIT, when the new rows are
 * visible to other transactions.  Nothing happens on abort, nor at PREPARE
 * TRANSACTION (the rows become visible at COMMIT PREPARED, possibly in
 * another session: each worker's timed tick finds them).  The flag lets a
 * worker tell "new work" from other latch wake-ups, so it does not run a
 * claim transaction for nothing.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg/automl.h"
#include "pg/worker.h"

/* ------------------------------------------------------------ shared memory */

#define MAX_PIECES 8
#define MAX_WAKE_SLOTS 4

typedef struct ShmemPiece
{
	const char *name;
	Size		size;
	void		(*init) (void *ptr);
	void	  **where;
} ShmemPiece;

static ShmemPiece pieces[MAX_PIECES];
static int	n_pieces = 0;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	for (int i = 0; i < n_pieces; i++)
		RequestAddinShmemSpace(MAXALIGN(pieces[i].size));
}

static void
shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (int i = 0; i < n_pieces; i++)
	{
		bool		found;
		void	   *ptr = ShmemInitStruct(pieces[i].name, pieces[i].size, &found);

		if (!found)
		{
			memset(ptr, 0, pieces[i].size);
			pieces[i].init(ptr);
		}
		*pieces[i].where = ptr;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
aml_shmem_add(const char *name, Size size, void (*init) (void *ptr), void **where)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	if (n_pieces >= MAX_PIECES)
		elog(ERROR, "automl: too many pieces of shared memory");
	if (n_pieces == 0)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = shmem_startup;
	}
	pieces[n_pieces].name = name;
	pieces[n_pieces].size = size;
	pieces[n_pieces].init = init;
	pieces[n_pieces].where = where;
	n_pieces++;
}

/* ------------------------------------------------------------ slots */

void
aml_worker_slot_init(AmlWorkerSlot *slot)
{
	SpinLockInit(&slot->mutex);
	slot->latch = NULL;
	slot->pid = 0;
	pg_atomic_init_u32(&slot->wake_requested, 0);
}

static void
detach_slot(int code, Datum arg)
{
	AmlWorkerSlot *slot = (AmlWorkerSlot *) DatumGetPointer(arg);

	SpinLockAcquire(&slot->mutex);
	if (slot->pid == MyProcPid)
	{
		slot->latch = NULL;
		slot->pid = 0;
	}
	SpinLockRelease(&slot->mutex);
}

void
aml_worker_attach(AmlWorkerSlot *slot)
{
	SpinLockAcquire(&slot->mutex);
	slot->latch = MyLatch;
	slot->pid = MyProcPid;
	SpinLockRelease(&slot->mutex);
	before_shmem_exit(detach_slot, PointerGetDatum(slot));
}

pid_t
aml_worker_pid(AmlWorkerSlot *slot)
{
	pid_t		pid;

	SpinLockAcquire(&slot->mutex);
	pid = slot->pid;
	SpinLockRelease(&slot->mutex);
	return pid;
}

bool
aml_worker_take_wake(AmlWorkerSlot *slot)
{
	return pg_atomic_exchange_u32(&slot->wake_requested, 0) != 0;
}

void
aml_worker_wake(AmlWorkerSlot *slot)
{
	Latch	   *latch;

	if (slot == NULL)
		return;
	pg_atomic_write_u32(&slot->wake_requested, 1);
	SpinLockAcquire(&slot->mutex);
	latch = slot->latch;
	SpinLockRelease(&slot->mutex);
	/*
	 * The latch lives in the worker's PGPROC, in shared memory: if the worker
	 * has just exited, setting it at worst wakes whoever reuses the slot.
	 */
	if (latch != NULL)
		SetLatch(latch);
}

/* ------------------------------------------------------------ wake at commit */

static bool wake_callback_registered = false;
static AmlWorkerSlot *wake_slots[MAX_WAKE_SLOTS];
static int	n_wake_slots = 0;

static void
wake_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			for (int i = 0; i < n_wake_slots; i++)
				aml_worker_wake(wake_slots[i]);
			n_wake_slots = 0;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			n_wake_slots = 0;
			break;
		default:
			break;
	}
}

void
aml_worker_wake_at_commit(AmlWorkerSlot *slot)
{
	if (slot == NULL)
		return;
	if (!wake_callback_registered)
	{
		RegisterXactCallback(wake_xact_callback, NULL);
		wake_callback_registered = true;
	}
	for (int i = 0; i < n_wake_slots; i++)
		if (wake_slots[i] == slot)
			return;
	if (n_wake_slots < MAX_WAKE_SLOTS)
		wake_slots[n_wake_slots++] = slot;
}

/* ------------------------------------------------------------ registration */

AmlConnectState *aml_connect_state = NULL;
static AmlWorkerSlot *events_slot = NULL;

static void
events_slot_init(void *ptr)
{
	aml_worker_slot_init((AmlWorkerSlot *) ptr);
}

void
aml_events_listen(void)
{
	if (events_slot != NULL)
		aml_worker_attach(events_slot);
}

bool
aml_events_take(void)
{
	return events_slot != NULL && aml_worker_take_wake(events_slot);
}

void
aml_events_announce(void)
{
	/* the flag is set even when nobody listens: harmless, the listener starts with a scan */
	aml_worker_wake(events_slot);
}

static void
connect_state_init(void *ptr)
{
	AmlConnectState *c = ptr;

	SpinLockInit(&c->mutex);
}

void
aml_worker_register(const char *function, const char *type)
{
	BackgroundWorker worker;
	static bool connect_state_added = false;

	if (!process_shared_preload_libraries_in_progress)
		return;
	if (!connect_state_added)
	{
		aml_shmem_add("automl worker connections", sizeof(AmlConnectState), connect_state_init,
					  (void **) &aml_connect_state);
		aml_shmem_add("automl event announcements", sizeof(AmlWorkerSlot), events_slot_init,
					  (void **) &events_slot);
		connect_state_added = true;
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* restarted after a crash or an error; the work resumes from its table */
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "automl");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s", type);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", type);
	RegisterBackgroundWorker(&worker);
}

void
aml_worker_require(const char *what, const char *worker, bool preloaded)
{
	char	   *dbname;

	if (!preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs the %s", what, worker),
				 errdetail("The %s runs only when automl is loaded through shared_preload_libraries.", worker),
				 errhint("Add automl to shared_preload_libraries, set automl.database, and restart the server.")));
	dbname = get_database_name(MyDatabaseId);
	if (aml_guc_database == NULL || dbname == NULL || strcmp(dbname, aml_guc_database) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s works only in database \"%s\"", what, aml_guc_database ? aml_guc_database : ""),
				 errdetail("The %s serves the database named by automl.database.", worker),
				 errhint("Connect to that database, or set automl.database = '%s' and restart the server.",
						 dbname ? dbname : "")));
}

double
aml_worker_wait_timeout_ms(FunctionCallInfo fcinfo, const char *what, const char *id_name,
						   const char *worker, bool preloaded, const char *progress)
{
	Interval   *timeout;
	double		timeout_ms;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", id_name)));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("timeout must not be NULL")));
	timeout = PG_GETARG_INTERVAL_P(1);
	timeout_ms = (timeout->time / 1000.0) + (timeout->day + timeout->month * 30.0) * 86400000.0;
	if (timeout_ms < 0 || isnan(timeout_ms))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative")));
	aml_worker_require(what, worker, preloaded);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot wait in a %s transaction", what,
						XactIsoLevel == XACT_SERIALIZABLE ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("Its snapshot would never show %s.", progress),
				 errhint("Wait in a READ COMMITTED transaction.")));
	return timeout_ms;
}

/* ------------------------------------------------------------ the loop */

void
aml_worker_loop_init(AmlWorkerLoop *loop, const char *type, int extra_events)
{
	memset(loop, 0, sizeof(*loop));
	loop->type = type;
	loop->error_pause_ms = 1000;
	loop->worker_cxt = AllocSetContextCreate(TopMemoryContext, "automl worker", ALLOCSET_DEFAULT_SIZES);
	loop->loop_cxt = AllocSetContextCreate(loop->worker_cxt, "automl worker loop", ALLOCSET_DEFAULT_SIZES);
	loop->wait_set = CreateWaitEventSet(loop->worker_cxt, 2 + extra_events);
	AddWaitEventToSet(loop->wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(loop->wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
}

void
aml_worker_loop_run(AmlWorkerLoop *loop)
{
	volatile TimestampTz pause_until = 0;

	for (;;)
	{
		WaitEvent	events[8];
		long		timeout;
		int			n;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (loop->on_reload)
				loop->on_reload();
		}

		MemoryContextReset(loop->loop_cxt);
		MemoryContextSwitchTo(loop->loop_cxt);
		if (GetCurrentTimestamp() >= pause_until)
		{
			PG_TRY();
			{
				loop->iteration();
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(loop->worker_cxt);
				EmitErrorReport();
				FlushErrorState();
				AbortCurrentTransaction();
				pgstat_report_activity(STATE_IDLE, NULL);
				/* start over from the table, which is always right */
				if (loop->on_error)
					loop->on_error();
				pause_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), loop->error_pause_ms);
			}
			PG_END_TRY();
		}
		MemoryContextSwitchTo(loop->worker_cxt);

		timeout = loop->timeout_ms();
		if (GetCurrentTimestamp() < pause_until)
		{
			long		secs;
			int			usecs;

			TimestampDifference(GetCurrentTimestamp(), pause_until, &secs, &usecs);
			secs = secs * 1000 + (usecs + 999) / 1000;
			timeout = timeout < 0 ? secs : Min(timeout, secs);
		}
		n = WaitEventSetWait(loop->wait_set, timeout, events, lengthof(events), PG_WAIT_EXTENSION);
		for (int i = 0; i < n; i++)
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
	}
}

/* ------------------------------------------------------------ short transactions */

void
aml_worker_begin_xact(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

void
aml_worker_end_xact(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

SPIPlanPtr
aml_worker_prepare(SPIPlanPtr *cache, const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan;

	if (*cache != NULL)
		return *cache;
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	*cache = plan;
	return plan;
}

bool
aml_worker_extension_ready(const char *table, char **version, MemoryContext into)
{
	Oid			nsp = get_namespace_oid("automl", true);

	if (OidIsValid(get_extension_oid("automl", true)) && OidIsValid(nsp) &&
		OidIsValid(get_relname_relid(table, nsp)))
	{
		int			rc = SPI_execute("SELECT extversion FROM pg_catalog.pg_extension"
									 " WHERE extname OPERATOR(pg_catalog.=) 'automl'", true, 1);

		if (rc == SPI_OK_SELECT && SPI_processed == 1)
		{
			char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

			if (version != NULL)
				*version = MemoryContextStrdup(into, v ? v : "?");
			return true;
		}
	}
	return false;
}
