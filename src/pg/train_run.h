/*
 * train_run.h — automl.runs and automl.pipelines rows of automl_train.
 *
 * A run row is written when the search starts (status 'running') and
 * updated when it ends: 'succeeded' with the outcome, or 'failed' /
 * 'cancelled' with the error.  In a foreground call everything happens in
 * the caller's transaction: an error rolls the run back with everything
 * else (no orphan pipelines); a caller that owns its transactions (a job
 * worker) commits the running row first and records the end with
 * aml_train_run_fail().
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

/* Insert the run (status 'running') for the caller; returns its id. */
int64		aml_train_run_begin(const AmlRunStart *start);
/* Its outcome and candidates; status 'succeeded'. */
void		aml_train_run_succeed(int64 run_id, const AmlRunEnd *end);
/* status 'failed' or 'cancelled' with the error text. */
void		aml_train_run_fail(int64 run_id, const char *status, const char *error);

#endif
