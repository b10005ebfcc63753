/*
 * progress.c — searches in progress, in shared memory (progress.h), and
 * automl.progress_rows(), the function behind the automl.progress view.
 *
 * An entry is claimed under the array's spinlock, written only by its
 * backend (under its own spinlock, a few dozen bytes at a time) and read by
 * anyone.  The view shows an entry to its owner, to members of
 * automl_job_admin and to superusers — the same rule as automl.jobs and
 * automl.runs.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pg/progress.h"
#include "pg/worker.h"

PG_FUNCTION_INFO_V1(automl_progress_rows);

#define ADMIN_ROLE "automl_job_admin"

AmlProgressShared *aml_progress_shared = NULL;

static AmlProgressEntry *mine = NULL;
static int	depth = 0;
static bool searching = false;	/* phase is searching or ensemble */
static bool callbacks_registered = false;

static void
progress_shmem_init(void *ptr)
{
	AmlProgressShared *s = ptr;

	SpinLockInit(&s->mutex);
	for (int i = 0; i < AML_PROGRESS_SLOTS; i++)
	{
		SpinLockInit(&s->entries[i].mutex);
		pg_atomic_init_u32(&s->entries[i].stop, AML_STOP_NONE);
	}
}

void
aml_progress_init(void)
{
	aml_shmem_add("automl progress", sizeof(AmlProgressShared), progress_shmem_init,
				  (void **) &aml_progress_shared);
}

static void
release(void)
{
	AmlProgressEntry *e = mine;

	mine = NULL;
	depth = 0;
	searching = false;
	if (e == NULL)
		return;
	SpinLockAcquire(&aml_progress_shared->mutex);
	SpinLockAcquire(&e->mutex);
	e->pid = 0;
	e->job_id = 0;
	SpinLockRelease(&e->mutex);
	SpinLockRelease(&aml_progress_shared->mutex);
}

static void
xact_callback(XactEvent event, void *arg)
{
	/*
	 * An error ends the search.  A search always ends within its
	 * transaction (a job worker ends its entry before committing), so one
	 * still open at the end is stale: e.g. its error was caught by a
	 * subtransaction.
	 */
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			release();
			break;
		default:
			break;
	}
}

static void
exit_callback(int code, Datum arg)
{
	release();
}

void
aml_progress_begin(int64 job_id, Oid relid)
{
	AmlProgressShared *s = aml_progress_shared;
	AmlProgressEntry *e = NULL;

	if (s == NULL)
		return;
	if (mine != NULL)
	{
		depth++;
		SpinLockAcquire(&mine->mutex);
		if (OidIsValid(relid))
			mine->relid = relid;
		mine->updated = GetCurrentTimestamp();
		mine->changes++;
		SpinLockRelease(&mine->mutex);
		return;
	}
	if (!callbacks_registered)
	{
		RegisterXactCallback(xact_callback, NULL);
		before_shmem_exit(exit_callback, (Datum) 0);
		callbacks_registered = true;
	}
	SpinLockAcquire(&s->mutex);
	for (int i = 0; i < AML_PROGRESS_SLOTS; i++)
		if (s->entries[i].pid == 0)
		{
			e = &s->entries[i];
			SpinLockAcquire(&e->mutex);
			e->pid = MyProcPid;
			e->job_id = job_id;
			e->database = MyDatabaseId;
			e->owner = GetUserId();
			e->relid = relid;
			strlcpy(e->phase, "loading", sizeof(e->phase));
			e->evaluated = 0;
			e->best_score = NAN;
			e->best_std = NAN;
			e->best[0] = '\0';
			e->seconds_left = NAN;
			e->started = e->updated = GetCurrentTimestamp();
			e->changes++;
			pg_atomic_write_u32(&e->stop, AML_STOP_NONE);
			SpinLockRelease(&e->mutex);
			break;
		}
	SpinLockRelease(&s->mutex);
	/* all taken: this search is not shown (nothing else depends on it) */
	if (e != NULL)
	{
		mine = e;
		depth = 1;
	}
}

void
aml_progress_phase(const char *phase)
{
	if (mine == NULL)
		return;
	searching = strcmp(phase, "searching") == 0 || strcmp(phase, "ensemble") == 0;
	SpinLockAcquire(&mine->mutex);
	strlcpy(mine->phase, phase, sizeof(mine->phase));
	mine->updated = GetCurrentTimestamp();
	mine->changes++;
	SpinLockRelease(&mine->mutex);
}

void
aml_progress_report(int evaluated, double best_score, double best_std, const char *best,
					double seconds_left)
{
	if (mine == NULL)
		return;
	SpinLockAcquire(&mine->mutex);
	mine->evaluated = evaluated;
	mine->best_score = best_score;
	mine->best_std = best_std;
	strlcpy(mine->best, best ? best : "", sizeof(mine->best));
	mine->seconds_left = seconds_left;
	mine->updated = GetCurrentTimestamp();
	mine->changes++;
	SpinLockRelease(&mine->mutex);
}

void
aml_progress_end(void)
{
	if (mine == NULL)
		return;
	if (--depth > 0)
		return;
	release();
}

uint32
aml_progress_stop_requested(void)
{
	return mine != NULL ? pg_atomic_read_u32(&mine->stop) : AML_STOP_NONE;
}

bool
aml_progress_stopping(void)
{
	return searching && mine != NULL && pg_atomic_read_u32(&mine->stop) == AML_STOP_KEEP_BEST;
}

bool
aml_progress_request_stop(int64 job_id, uint32 how)
{
	AmlProgressShared *s = aml_progress_shared;
	bool		found = false;

	if (s == NULL || job_id <= 0)
		return false;
	for (int i = 0; i < AML_PROGRESS_SLOTS; i++)
	{
		AmlProgressEntry *e = &s->entries[i];

		SpinLockAcquire(&e->mutex);
		if (e->pid != 0 && e->job_id == job_id)
		{
			pg_atomic_write_u32(&e->stop, how);
			found = true;
		}
		SpinLockRelease(&e->mutex);
	}
	return found;
}

bool
aml_progress_of_job(int64 job_id, AmlProgressEntry *copy)
{
	AmlProgressShared *s = aml_progress_shared;

	if (s == NULL || job_id <= 0)
		return false;
	for (int i = 0; i < AML_PROGRESS_SLOTS; i++)
	{
		AmlProgressEntry *e = &s->entries[i];
		bool		match;

		SpinLockAcquire(&e->mutex);
		match = e->pid != 0 && e->job_id == job_id;
		if (match)
			memcpy(copy, e, sizeof(*copy));
		SpinLockRelease(&e->mutex);
		if (match)
			return true;
	}
	return false;
}

/* May the current user see a search of `owner`? */
static bool
may_see(Oid owner, Oid admin)
{
	Oid			me = GetUserId();

	return owner == me || superuser() || (OidIsValid(admin) && has_privs_of_role(me, admin));
}

/*
 * automl.progress_rows(): pid, job_id, database, owner, relation, phase,
 * evaluated, best_score, best_std, best_pipeline, seconds_left, started,
 * updated — of the searches the caller may see.
 */
Datum
automl_progress_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlProgressShared *s = aml_progress_shared;
	Oid			admin = get_role_oid(ADMIN_ROLE, true);

	InitMaterializedSRF(fcinfo, 0);
	if (s == NULL)
		PG_RETURN_VOID();
	for (int i = 0; i < AML_PROGRESS_SLOTS; i++)
	{
		AmlProgressEntry e;
		Datum		values[13];
		bool		nulls[13];

		SpinLockAcquire(&s->entries[i].mutex);
		memcpy(&e, &s->entries[i], sizeof(e));
		SpinLockRelease(&s->entries[i].mutex);
		if (e.pid == 0 || !may_see(e.owner, admin))
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(e.pid);
		values[1] = Int64GetDatum(e.job_id);
		nulls[1] = e.job_id == 0;
		values[2] = ObjectIdGetDatum(e.database);
		values[3] = ObjectIdGetDatum(e.owner);
		values[4] = ObjectIdGetDatum(e.relid);
		nulls[4] = !OidIsValid(e.relid);
		values[5] = CStringGetTextDatum(e.phase);
		values[6] = Int32GetDatum(e.evaluated);
		values[7] = Float8GetDatum(e.best_score);
		nulls[7] = isnan(e.best_score);
		values[8] = Float8GetDatum(e.best_std);
		nulls[8] = isnan(e.best_std);
		values[9] = CStringGetTextDatum(e.best);
		nulls[9] = e.best[0] == '\0';
		values[10] = Float8GetDatum(e.seconds_left);
		nulls[10] = isnan(e.seconds_left);
		values[11] = TimestampTzGetDatum(e.started);
		values[12] = TimestampTzGetDatum(e.updated);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}
