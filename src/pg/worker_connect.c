/*
 * worker_connect.c — connecting a background worker (the deploy worker, the
 * job scheduler) to automl.database, and waiting quietly when that database
 * does not exist.
 *
 * A background worker connects to one database, once
 * (BackgroundWorkerInitializeConnection), and connecting to a database that
 * does not exist is a FATAL error: the worker exits, the postmaster starts
 * it again bgw_restart_time (1 s) later, and the log fills up.  Instead:
 *
 * One state in shared memory for all workers (worker.h, AmlConnectState):
 *
 *   - a worker connects directly, noting in shared memory that it is trying
 *     (and its pid: a worker starting meanwhile waits for that outcome);
 *     when the next worker finds the note still there, that attempt failed
 *     (PostgreSQL has logged why, once);
 *   - that next worker connects to no database (the shared catalogs only, as
 *     the logical replication launcher does) and looks for the database in
 *     pg_database.  Missing: it logs one WARNING with a hint and waits,
 *     looking again after 1 s, 2 s, 4 s ... then every minute, and at once
 *     after a configuration reload.  Found: it exits, and the worker started
 *     a second later connects;
 *   - when the database exists but connecting to it still fails (it does not
 *     accept connections, no free slot ...), the waits before each new
 *     attempt grow the same way, up to a minute.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

#include "pg/automl.h"
#include "pg/worker.h"

#define FIRST_WAIT_MS 1000
#define LONGEST_WAIT_MS 60000

static bool
database_exists(const char *name)
{
	bool		exists;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	exists = OidIsValid(get_database_oid(name, true));
	CommitTransactionCommand();
	return exists;
}

/* Sleep up to ms, or until a configuration reload (or the latch) wakes us. */
static void
nap(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/* The previous worker could not connect: find out why without connecting, and wait. */
static void
wait_for_database(AmlConnectState *shared, const char *type, int failures)
{
	long		wait_ms = FIRST_WAIT_MS;
	bool		logged;

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname(type);

	for (;;)
	{
		if (database_exists(aml_guc_database))
		{
			/* it exists, yet connecting failed more than once: do not retry at once */
			if (failures > 1)
				nap(Min((long) FIRST_WAIT_MS << Min(failures - 1, 16), (long) LONGEST_WAIT_MS));
			SpinLockAcquire(&shared->mutex);
			shared->connecting = false;
			logged = shared->missing_logged;
			SpinLockRelease(&shared->mutex);
			if (logged)
				ereport(LOG,
						(errmsg("database \"%s\" exists now: the %s restarts to connect to it",
								aml_guc_database, type)));
			/* restarted after bgw_restart_time, the next worker connects */
			proc_exit(1);
		}

		SpinLockAcquire(&shared->mutex);
		logged = shared->missing_logged;
		shared->missing_logged = true;
		SpinLockRelease(&shared->mutex);
		if (!logged)
			ereport(WARNING,
					(errcode(ERRCODE_UNDEFINED_DATABASE),
					 errmsg("automl.database names database \"%s\", which does not exist", aml_guc_database),
					 errdetail("The %s waits for it, and looks again at least once a minute "
							   "and after every configuration reload.", type),
					 errhint("Create the database and install automl there, or set automl.database to an "
							 "existing database and restart the server.")));
		pgstat_report_activity(STATE_IDLE, NULL);
		nap(wait_ms);
		wait_ms = Min(wait_ms * 2, (long) LONGEST_WAIT_MS);
	}
}

void
aml_worker_connect(const char *type)
{
	AmlConnectState *shared = aml_connect_state;
	bool		failed_before;
	int			failures;

	/* (at most 30 s: a pid may have been reused) */
	for (int waited = 0; waited < 300; waited++)
	{
		pid_t		other;

		SpinLockAcquire(&shared->mutex);
		other = shared->connecting ? shared->connecting_pid : 0;
		SpinLockRelease(&shared->mutex);
		/* another worker is connecting right now: its outcome tells ours */
		if (other == 0 || other == MyProcPid || (kill(other, 0) != 0 && errno == ESRCH))
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	SpinLockAcquire(&shared->mutex);
	failed_before = shared->connecting;
	if (failed_before)
		shared->connect_failures++;
	else
		shared->connecting = true;
	shared->connecting_pid = MyProcPid;
	failures = shared->connect_failures;
	SpinLockRelease(&shared->mutex);

	if (failed_before)
		wait_for_database(shared, type, failures);	/* does not return */

	/* a FATAL error here (no such database ...) leaves shared->connecting set */
	BackgroundWorkerInitializeConnection(aml_guc_database, NULL, 0);

	SpinLockAcquire(&shared->mutex);
	shared->connecting = false;
	shared->connect_failures = 0;
	shared->missing_logged = false;
	SpinLockRelease(&shared->mutex);
}
