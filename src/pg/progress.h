/*
 * progress.h — every AutoML search in progress, in shared memory (the
 * automl.progress view), and the way a job is told to stop keeping its best.
 *
 * automl_train reports here (begin, phase, each progress event, end); a job
 * worker opens the entry before it calls automl_train, with its job id, so
 * that the entry exists from the job's start and carries the id.  Without
 * shared_preload_libraries there is no shared memory: the calls do nothing
 * and the view is empty.
 */
#ifndef AML_PG_PROGRESS_H
#define AML_PG_PROGRESS_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#define AML_PROGRESS_SLOTS 128
#define AML_PROGRESS_TEXT 256

/* What a stop request asks for (AmlProgressEntry.stop). */
#define AML_STOP_NONE 0
#define AML_STOP_KEEP_BEST 1	/* end the search, refit and store the best so far */
#define AML_STOP_DISCARD 2		/* end with an error, store nothing */

typedef struct AmlProgressEntry
{
	slock_t		mutex;			/* protects everything but stop */
	pid_t		pid;			/* 0: free */
	int64		job_id;			/* 0: a synchronous call */
	Oid			database;
	Oid			owner;
	Oid			relid;
	char		phase[16];		/* loading, searching, ensemble, refit, storing */
	int			evaluated;
	double		best_score;		/* NaN: none yet */
	double		best_std;
	char		best[AML_PROGRESS_TEXT];
	double		seconds_left;	/* NaN: not known */
	TimestampTz started;
	TimestampTz updated;
	uint32		changes;		/* incremented at every report */
	pg_atomic_uint32 stop;		/* AML_STOP_*, set by automl_cancel */
} AmlProgressEntry;

typedef struct AmlProgressShared
{
	slock_t		mutex;			/* taken to claim or free an entry */
	AmlProgressEntry entries[AML_PROGRESS_SLOTS];
} AmlProgressShared;

extern AmlProgressShared *aml_progress_shared;	/* NULL unless preloaded */

/* From _PG_init. */
void		aml_progress_init(void);

/*
 * Open this backend's entry (nested calls share it; the outermost end
 * frees it, and so does the end of the transaction or the process).
 */
void		aml_progress_begin(int64 job_id, Oid relid);
void		aml_progress_phase(const char *phase);
void		aml_progress_report(int evaluated, double best_score, double best_std,
								const char *best, double seconds_left);
void		aml_progress_end(void);

/* Was this backend's search asked to stop (AML_STOP_*)? */
uint32		aml_progress_stop_requested(void);
/*
 * Asked to stop keeping the best, and searching (not refitting or storing):
 * the search and the evaluation under way should end now.
 */
bool		aml_progress_stopping(void);
/* Ask the search of a job to stop; false when the job has no entry. */
bool		aml_progress_request_stop(int64 job_id, uint32 how);
/* A copy of the entry of a job; false when it has none. */
bool		aml_progress_of_job(int64 job_id, AmlProgressEntry *copy);

#endif
