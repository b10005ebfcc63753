/*
 * wake.c — waking the deploy worker when a transaction that queued a request
 * commits.
 *
 * A background worker cannot LISTEN, so automl_deploy()/automl_undeploy()
 * call aml_registry_wake_at_commit(): it registers (once per backend) an
 * XactCallback that, at XACT_EVENT_COMMIT — when the new rows are visible to
 * other transactions — raises the shared "wake requested" flag and sets the
 * worker's latch.  Nothing happens on abort, and nothing at PREPARE
 * TRANSACTION (the rows become visible at COMMIT PREPARED, possibly in
 * another session: the worker's timed tick finds them).  The flag lets the
 * worker tell "new requests" from other latch wake-ups (signals), so it
 * does not run a claim transaction for nothing.
 */
#include "postgres.h"

#include "access/xact.h"
#include "storage/latch.h"
#include "storage/spin.h"

#include "registry/registry.h"

static bool wake_callback_registered = false;
static bool wake_at_commit = false;

void
aml_registry_wake_worker(void)
{
	AmlRegistryShared *shared = aml_registry_shared;
	Latch	   *latch;

	if (shared == NULL)
		return;
	pg_atomic_write_u32(&shared->wake_requested, 1);
	SpinLockAcquire(&shared->mutex);
	latch = shared->worker_latch;
	SpinLockRelease(&shared->mutex);
	/*
	 * The latch lives in the worker's PGPROC, in shared memory: if the worker
	 * has just exited, setting it at worst wakes whoever reuses the slot.
	 */
	if (latch != NULL)
		SetLatch(latch);
}

static void
wake_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_at_commit)
			{
				wake_at_commit = false;
				aml_registry_wake_worker();
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_at_commit = false;
			break;
		default:
			break;
	}
}

void
aml_registry_wake_at_commit(void)
{
	if (!wake_callback_registered)
	{
		RegisterXactCallback(wake_xact_callback, NULL);
		wake_callback_registered = true;
	}
	wake_at_commit = true;
}
