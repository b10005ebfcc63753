/*
 * jobs.h — training jobs in background workers (asynchronous automl_train).
 *
 *   jobs.c        automl_submit, automl_submit_experiment (a Woken
 *                 experiment as a job), automl_cancel, automl_wait; GUCs; shared
 *                 memory; registration of the scheduler (from _PG_init)
 *   scheduler.c   the job scheduler: a worker per cluster, serving
 *                 automl.database, woken at COMMIT; claims queued jobs
 *                 (SKIP LOCKED), starts one dynamic worker per job up to
 *                 automl.max_jobs, records progress once a second, recovers
 *                 jobs whose worker died
 *   job_worker.c  the dynamic worker that runs one job as its submitter
 *                 (automl_train, or automl_experiment's work)
 *   parallel.c    a search's candidates evaluated in helper processes
 *   run_recorder.c  a short-lived worker that records the end of a failed
 *                 automl_train call in its own transaction (pg/train_run.h)
 *
 * The plumbing (shared memory, waking, connecting, the main loop) is
 * src/pg/worker.h's; the progress of a search is src/pg/progress.h's.
 */
#ifndef AML_JOBS_JOBS_H
#define AML_JOBS_JOBS_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "pg/worker.h"

#define AML_JOB_SCHEDULER_TYPE "automl job scheduler"
#define AML_JOB_WORKER_TYPE "automl job worker"

/* Most jobs running at once, whatever automl.max_jobs says. */
#define AML_MAX_JOBS_LIMIT 64
/* A job whose worker died is started again this many times in all (then it fails). */
#define AML_JOB_MAX_ATTEMPTS 2

/* GUCs */
extern int	aml_max_jobs;		/* automl.max_jobs */

/* One running job, between the scheduler, its worker and automl_cancel. */
typedef struct AmlJobSlot
{
	int64		job_id;			/* 0: free */
	int			attempt;		/* automl.jobs.attempts when claimed */
	Oid			database;
	pid_t		pid;			/* the job worker, once it runs */
	TimestampTz launched;
	pg_atomic_uint32 cancel;	/* AML_STOP_* (pg/progress.h) */
} AmlJobSlot;

typedef struct AmlJobsShared
{
	AmlWorkerSlot scheduler;
	ConditionVariable changed_cv;	/* broadcast after a job's state changed */
	slock_t		mutex;			/* protects slots[].job_id, attempt, database, pid, launched */
	AmlJobSlot	slots[AML_MAX_JOBS_LIMIT];
} AmlJobsShared;

extern AmlJobsShared *aml_jobs_shared;	/* NULL unless preloaded */

/* jobs.c */
void		aml_jobs_init(void);	/* from _PG_init */

/* scheduler.c */
PGDLLEXPORT void aml_job_scheduler_main(Datum main_arg);

/* job_worker.c */
PGDLLEXPORT void aml_job_worker_main(Datum main_arg);

/* parallel.c: evaluating a search's candidates in helper processes */
extern int	aml_max_parallel_workers;	/* automl.max_parallel_workers */
void		aml_parallel_init(void);	/* from aml_jobs_init: GUC, pg/eval_hook.h */
PGDLLEXPORT void aml_eval_helper_main(Datum main_arg);

/* run_recorder.c: failed runs recorded although the caller's transaction aborts */
void		aml_run_recorder_init(void);	/* from aml_jobs_init: pg/train_run.h's hook */
PGDLLEXPORT void aml_run_recorder_main(Datum main_arg);

#endif
