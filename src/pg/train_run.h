/*
 * train_run.h — automl.runs and automl.pipelines rows of automl_train.
 *
 * A run row is written when the search starts (status 'running') and
 * updated when it ends with 'succeeded' and the outcome, all in the
 * caller's transaction: a caller that rolls back after a success keeps no
 * run, and nothing is left 'running'.
 *
 * A call that ends in an ERROR after its run started is recorded as
 * 'failed' or 'cancelled' (SQLSTATE 57014: a cancel, a statement timeout)
 * with the error's message and SQLSTATE, although the caller's transaction
 * aborts: automl_train runs inside an internal subtransaction, rolls it
 * back on the error (the running row, any model and candidate go with it),
 * and aml_train_run_record_error() has the row written again, ended, by a
 * short-lived background worker in a transaction of its own (the
 * recorder, src/jobs/run_recorder.c, reached through
 * aml_run_recorder_hook: src/pg does not include src/jobs).  The row keeps
 * the id the sequence gave it at start.  The candidates evaluated before
 * the error are not recorded (automl.pipelines only has rows of
 * succeeded runs, and never rows without their run).
 *
 * Not recorded: a backend terminated (FATAL: pg_terminate_backend, a lost
 * client) or crashed — nothing can run after it, and its running row,
 * never committed, is gone too; and an error when no background worker
 * can start or the recorder does not finish within
 * AML_RUN_RECORD_WAIT_MS (a WARNING says so; the error is unchanged).
 */
#ifndef AML_PG_TRAIN_RUN_H
#define AML_PG_TRAIN_RUN_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "ml/metrics.h"
#include "pg/training_data.h"
#include "search/search.h"

typedef struct AmlRunStart
{
	const AmlTrainingData *data;
	const AmlMetric *metric;
	ArrayType  *features;
	double		budget;
	int			max_evaluations;
	int			cv_folds;
	int			cv_repeats;
	double		test_size;
	int			seed;
	const char *space_text;
	const char *name;
	const char *refit;
	const char *leaked_json;	/* jsonb text: [{"column", "reason", "action"}...] */
	Jsonb	   *filter;			/* the row filter (pg/filter.h); NULL: none */
	int			train_rows;
	int			holdout_rows;
	TimestampTz started;
} AmlRunStart;

typedef struct AmlRunEnd
{
	const AmlSearchResult *result;
	int64		model_id;
	double		holdout_score;	/* NaN: no holdout */
	const char *holdout_json;	/* NULL: no holdout */
	int			final_rows;
} AmlRunEnd;

/*
 * The run as it was written at start, kept by automl_train to record its
 * end if the call fails: id 0 until it started.
 */
typedef struct AmlRunStarted
{
	int64		id;
	char	   *row;			/* jsonb text of the row (owner as an OID) */
} AmlRunStarted;

/* Insert the run (status 'running') for the caller; returns its id, and fills *started. */
int64		aml_train_run_begin(const AmlRunStart *start, AmlRunStarted *started);
/* Its outcome and candidates; status 'succeeded'. */
void		aml_train_run_succeed(int64 run_id, const AmlRunEnd *end);

/*
 * From automl_train, after the error `edata` and the rollback of its
 * subtransaction: record the run as 'cancelled' (57014) or 'failed' with
 * edata's message and SQLSTATE, durably (by the recorder), waiting for it
 * at most AML_RUN_RECORD_WAIT_MS; a NOTICE names the run, a WARNING says
 * why it could not be recorded.  Never raises an error: the caller
 * re-throws edata unchanged.
 */
void		aml_train_run_record_error(const AmlRunStarted *run, const ErrorData *edata);

/*
 * In a background worker (a job's), where automl_train runs in the
 * worker's own transaction and no subtransaction: the run that transaction
 * started (its row kept in TopMemoryContext, so that it survives the
 * abort), once; false if none started since the last call.  The job worker
 * writes it, ended, with aml_train_run_insert_ended in the transaction
 * that records the job's failure.
 */
bool		aml_train_run_take_started(AmlRunStarted *run);

#define AML_RUN_RECORD_WAIT_MS 4000

/*
 * The recorder (set by src/jobs/run_recorder.c from _PG_init): have the
 * ended row written and committed by another process.  True once it is
 * committed; false with the reason in why[why_size] otherwise.
 */
typedef struct AmlRunEnded
{
	const char *row;			/* AmlRunStarted.row */
	const char *status;			/* 'failed' or 'cancelled' */
	const char *error;			/* the message */
	char		sqlstate[6];
	TimestampTz finished;
} AmlRunEnded;

typedef bool (*AmlRunRecorderHook) (const AmlRunEnded *ended, int wait_ms, char *why, size_t why_size);
extern AmlRunRecorderHook aml_run_recorder_hook;

/*
 * In the recorder's transaction: insert the ended row as the owner of
 * automl.runs (its owner column is the caller's role, as at start).
 */
void		aml_train_run_insert_ended(const AmlRunEnded *ended);

#endif
