/*
 * evaluate.c — k-fold cross-validation of one candidate with pruning and a
 * time cap (see evaluate.h).
 */
#include "search/evaluate.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/cross_validation.h"
#include "ml/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *
aml_candidate_status_name(AmlCandidateStatus status)
{
	switch (status)
	{
		case AML_CANDIDATE_OK:
			return "ok";
		case AML_CANDIDATE_FAILED:
			return "failed";
		case AML_CANDIDATE_TIMED_OUT:
			return "timed out";
		case AML_CANDIDATE_PRUNED:
			return "pruned";
		case AML_CANDIDATE_SKIPPED:
			return "skipped";
	}
	return "unknown";
}

size_t
aml_cv_data_bytes(int n_rows, int n_cols, int k)
{
	/* every row once in a test fold and k-1 times in training folds */
	return (size_t) k * (size_t) n_rows * ((size_t) n_cols + 1) * sizeof(double) + 1024;
}

void
aml_cv_data_free(AmlCvData *cv)
{
	if (cv == NULL)
		return;
	for (int f = 0; f < cv->k; f++)
	{
		aml_matrix_free(cv->train_x[f]);
		aml_matrix_free(cv->test_x[f]);
		aml_free(cv->train_y[f]);
		aml_free(cv->test_y[f]);
		aml_free(cv->test_rows[f]);
	}
	aml_free((void *) cv->y);
	aml_free(cv);
}

/*
 * The folds.  For classification, the rows of classes with fewer than k rows
 * ("pinned") cannot be stratified: they are left out of the scored rows and
 * added to the training rows of every split.  The scored rows are numbered
 * 0..n_rows-1 in their original order (test_rows and the out-of-fold
 * predictions use these numbers; y is theirs).
 */
AmlStatus
aml_cv_data_create(const AmlSchema *schema, const AmlMatrix *raw, const double *y, int n_classes,
				   int k, int repeats, const AmlMetric *metric, AmlRng *rng, AmlCvData **out,
				   AmlError *err)
{
	AmlCvData  *cv;
	AmlFolds   *folds = NULL;
	AmlTask		task = schema->task;
	int		   *count = NULL;
	int		   *scored = NULL;	/* scored row -> original row */
	int		   *pinned = NULL;
	int			n_scored = 0;
	int			n_pinned = 0;
	int			splits;
	double	   *sy = NULL;

	*out = NULL;
	if (repeats < 1)
		repeats = 1;
	if (k < 2 || k * repeats > AML_MAX_FOLDS)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "cv_folds times repeats must be between 2 and %d", AML_MAX_FOLDS);
	cv = AML_NEW(AmlCvData);
	scored = AML_NEW_ARRAY(int, raw->rows + 1);
	pinned = AML_NEW_ARRAY(int, raw->rows + 1);
	sy = AML_NEW_ARRAY(double, raw->rows + 1);
	count = AML_NEW_ARRAY(int, n_classes + 1);
	if (cv == NULL || scored == NULL || pinned == NULL || sy == NULL || count == NULL)
	{
		aml_error_nomem(err, "cross-validation folds");
		goto fail;
	}
	if (task == AML_TASK_CLASSIFICATION)
		for (int i = 0; i < raw->rows; i++)
			count[(int) y[i]]++;
	for (int i = 0; i < raw->rows; i++)
	{
		if (task == AML_TASK_CLASSIFICATION && count[(int) y[i]] < k)
			pinned[n_pinned++] = i;
		else
		{
			sy[n_scored] = y[i];
			scored[n_scored++] = i;
		}
	}
	if (n_scored < 2 * k)
	{
		aml_error(err, AML_ERR_INVALID_DATA, "%d rows are too few for %d-fold cross-validation",
				  n_scored, k);
		goto fail;
	}
	if (aml_folds_for_task(task, sy, n_scored, n_classes, k, repeats, rng, &folds, err) != AML_OK)
		goto fail;
	cv->schema = schema;
	cv->metric = metric;
	cv->n_rows = n_scored;
	cv->n_classes = n_classes;
	cv->y = sy;
	sy = NULL;
	cv->folds_per_repeat = k;
	cv->repeats = repeats;
	cv->n_pinned = n_pinned;
	splits = aml_folds_n_splits(folds);
	cv->k = splits;
	for (int f = 0; f < splits; f++)
	{
		AmlSplit	split;
		int		   *train_rows;
		int			n_train;

		if (aml_folds_split(folds, f, &split, err) != AML_OK)
			goto fail;
		n_train = split.n_train + n_pinned;
		train_rows = AML_NEW_ARRAY(int, n_train + 1);
		if (train_rows != NULL)
		{
			for (int i = 0; i < split.n_train; i++)
				train_rows[i] = scored[split.train[i]];
			for (int i = 0; i < n_pinned; i++)
				train_rows[split.n_train + i] = pinned[i];
			cv->train_x[f] = aml_matrix_take_rows(raw, train_rows, n_train);
		}
		cv->test_x[f] = NULL;
		{
			int		   *test_rows = AML_NEW_ARRAY(int, split.n_test + 1);

			if (test_rows != NULL)
			{
				for (int i = 0; i < split.n_test; i++)
					test_rows[i] = scored[split.test[i]];
				cv->test_x[f] = aml_matrix_take_rows(raw, test_rows, split.n_test);
				aml_free(test_rows);
			}
		}
		cv->train_y[f] = AML_NEW_ARRAY(double, n_train);
		cv->test_y[f] = AML_NEW_ARRAY(double, split.n_test);
		cv->test_rows[f] = AML_NEW_ARRAY(int, split.n_test);
		if (!train_rows || !cv->train_x[f] || !cv->test_x[f] || !cv->train_y[f] || !cv->test_y[f] ||
			!cv->test_rows[f])
		{
			aml_free(train_rows);
			aml_split_free(&split);
			aml_error_nomem(err, "cross-validation folds");
			goto fail;
		}
		for (int i = 0; i < n_train; i++)
			cv->train_y[f][i] = y[train_rows[i]];
		for (int i = 0; i < split.n_test; i++)
		{
			cv->test_y[f][i] = cv->y[split.test[i]];
			cv->test_rows[f][i] = split.test[i];
		}
		cv->n_test[f] = split.n_test;
		aml_free(train_rows);
		aml_split_free(&split);
	}
	aml_folds_free(folds);
	aml_free(scored);
	aml_free(pinned);
	aml_free(count);
	*out = cv;
	return AML_OK;
fail:
	aml_folds_free(folds);
	aml_free(scored);
	aml_free(pinned);
	aml_free(count);
	aml_free(sy);
	aml_cv_data_free(cv);
	return err->status;
}

void
aml_candidate_clear(AmlCandidate *c)
{
	aml_free(c->spec);
	aml_free(c->description);
	aml_free(c->estimator);
	aml_matrix_free(c->oof);
	c->spec = c->description = c->estimator = NULL;
	c->oof = NULL;
}

/* The interrupt hook during one candidate: the caller's, or its own deadline. */
typedef struct CapState
{
	AmlInterruptHook outer;
	void	   *outer_state;
	double		deadline;
	bool		outer_fired;
	bool		cap_fired;
} CapState;

static bool
cap_hook(void *arg)
{
	CapState   *s = arg;

	if (s->outer != NULL && s->outer(s->outer_state))
	{
		s->outer_fired = true;
		return true;
	}
	if (aml_clock() > s->deadline)
	{
		s->cap_fired = true;
		return true;
	}
	return false;
}

static void
set_reason(AmlCandidate *c, AmlCandidateStatus status, const char *fmt, const char *arg)
{
	c->status = status;
	snprintf(c->reason, sizeof(c->reason), fmt, arg);
}

static void
set_fold_reason(AmlFoldOutcome *o, AmlCandidateStatus status, const char *fmt, const char *arg)
{
	o->status = status;
	snprintf(o->reason, sizeof(o->reason), fmt, arg);
}

/*
 * One split of a candidate's cross-validation: fit on the split's training
 * rows, predict its test rows, score them.  The unit that parallel
 * evaluation hands out (search/batch.h); aml_cv_evaluate runs the splits of
 * one candidate one after the other through it.
 */
AmlStatus
aml_cv_fold(const AmlCvData *cv, json_object *spec, int f, const AmlRng *rng, double deadline,
			double cap_seconds, bool want_pred, bool (*cancelled) (void), AmlFoldOutcome *out,
			AmlError *err)
{
	CapState	cap;
	double		start = aml_clock();
	AmlPipeline *p = NULL;
	AmlMatrix  *pred = NULL;
	AmlError	ferr;
	AmlRng		frng;
	AmlStatus	st;
	AmlStatus	result = AML_OK;
	double		score = NAN;

	memset(out, 0, sizeof(*out));
	out->status = AML_CANDIDATE_OK;
	out->score = NAN;
	memset(&cap, 0, sizeof(cap));
	aml_get_interrupt_hook(&cap.outer, &cap.outer_state);
	cap.deadline = deadline;
	aml_set_interrupt_hook(cap_hook, &cap);

	aml_error_clear(&ferr);
	aml_rng_derive(rng, (uint64_t) f, &frng);
	if (start > deadline)
	{
		cap.cap_fired = true;
		st = AML_ERR_TIMEOUT;
	}
	else
		st = aml_pipeline_create(cv->schema, spec, &p, &ferr);
	if (st == AML_OK)
	{
		out->probabilistic = p->estimator->type->probabilistic;
		if (cv->metric->needs_proba && !out->probabilistic)
		{
			set_fold_reason(out, AML_CANDIDATE_FAILED, "%s does not estimate probabilities, which the metric needs",
							p->estimator->type->name);
			goto done;
		}
		p->skip_explain_info = true;	/* scored, then thrown away */
		st = aml_pipeline_fit(p, cv->train_x[f], cv->train_y[f], &frng, &ferr);
	}
	if (st == AML_OK && f == 0 && p->estimator->type->state_bytes != NULL)
		out->model_bytes = p->estimator->type->state_bytes(p->estimator);
	if (st == AML_OK)
	{
		double		predict_start = aml_clock();

		pred = aml_matrix_new(cv->test_x[f]->rows, aml_pipeline_outputs(p));
		if (pred == NULL)
			st = aml_error_nomem(&ferr, "predictions");
		else
			st = aml_pipeline_predict(p, cv->test_x[f], pred, &ferr);
		out->predict_seconds = aml_clock() - predict_start;
	}
	if (st == AML_OK)
		st = aml_metric_score(cv->metric, cv->test_y[f], pred, cv->n_classes, &score, &ferr);
	if (st == AML_OK && !isfinite(score))
		st = aml_error(&ferr, AML_ERR_NUMERICAL, "the metric is not finite on fold %d", f + 1);
	if (st != AML_OK)
	{
		if (cap.outer_fired || (cancelled != NULL && cancelled()))
			result = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		else if ((cap.cap_fired || st == AML_ERR_TIMEOUT) && cap_seconds <= 0)
			set_fold_reason(out, AML_CANDIDATE_TIMED_OUT, "%s", "stopped at the end of the time budget");
		else if (cap.cap_fired || st == AML_ERR_TIMEOUT)
		{
			char		secs[32];

			snprintf(secs, sizeof(secs), "%.1f", cap_seconds);
			set_fold_reason(out, AML_CANDIDATE_TIMED_OUT, "took longer than its %s s time cap", secs);
		}
		else if (st == AML_ERR_OUT_OF_MEMORY)
			set_fold_reason(out, AML_CANDIDATE_FAILED, "out of memory: %.200s", ferr.message);
		else
			set_fold_reason(out, AML_CANDIDATE_FAILED, "%.250s", ferr.message);
		goto done;
	}
	out->score = score;
	if (want_pred)
	{
		out->pred = pred;
		pred = NULL;
	}
done:
	aml_set_interrupt_hook(cap.outer, cap.outer_state);
	aml_matrix_free(pred);
	aml_pipeline_free(p);
	out->seconds = aml_clock() - start;
	return result;
}

void
aml_fold_outcome_clear(AmlFoldOutcome *o)
{
	aml_matrix_free(o->pred);
	o->pred = NULL;
}

/*
 * Add split f's outcome to the candidate, in split order; true when the
 * candidate is finished (a split failed or timed out, it is pruned, or it
 * was the last split).  Takes o->pred.
 */
bool
aml_cv_take_fold(const AmlCvData *cv, const AmlPruneRule *prune, bool keep_oof, int f,
				 AmlFoldOutcome *o, AmlCandidate *c)
{
	bool		higher = aml_metric_higher_is_better(cv->metric);
	double		sum = 0;

	c->fit_seconds += o->seconds;
	c->predict_seconds += o->predict_seconds;
	if (f == 0)
	{
		c->model_bytes = o->model_bytes;
		c->probabilistic = o->probabilistic;
	}
	if (o->status != AML_CANDIDATE_OK)
	{
		c->status = o->status;
		memcpy(c->reason, o->reason, sizeof(c->reason));
		aml_fold_outcome_clear(o);
		return true;
	}
	if (keep_oof && o->pred != NULL)
	{
		const AmlMatrix *pred = o->pred;

		if (c->oof == NULL)
			c->oof = aml_matrix_new(cv->n_rows, pred->cols);
		/* with repeated k-fold: the mean over the repeats */
		if (c->oof != NULL)
			for (int j = 0; j < pred->cols; j++)
				for (int i = 0; i < pred->rows; i++)
					AML_AT(c->oof, cv->test_rows[f][i], j) += AML_AT(pred, i, j) / cv->repeats;
	}
	aml_fold_outcome_clear(o);
	if (f == 0 && prune != NULL && prune->max_split_model_bytes > 0 &&
		o->model_bytes > prune->max_split_model_bytes)
	{
		char		sizes[64];

		snprintf(sizes, sizeof(sizes), "about %.0f MB fitted on all rows, at most %.0f MB",
				 o->model_bytes / prune->max_split_model_bytes * prune->max_model_bytes / 1048576.0,
				 prune->max_model_bytes / 1048576.0);
		set_reason(c, AML_CANDIDATE_FAILED, "its model would be too large to store (%s)", sizes);
		return true;
	}
	if (f == 0 && prune != NULL && prune->end_deadline > 0)
	{
		double		need = prune->refit_per_fit_second * o->seconds + prune->store_per_byte * o->model_bytes;

		if (aml_clock() + need > prune->end_deadline)
		{
			char		secs[32];

			snprintf(secs, sizeof(secs), "%.1f", need);
			set_reason(c, AML_CANDIDATE_TIMED_OUT,
					   "would not leave the time to refit and store it (about %s s)", secs);
			return true;
		}
	}
	if (f == 0 && prune != NULL && prune->max_seconds > 0 && cv->k > 1)
	{
		int			at_once = prune->splits_at_once > 1 ? prune->splits_at_once : 1;
		/* the first split alone (its pace decides), then the others at_once at a time */
		double		least = o->seconds * (1 + (cv->k - 1 + at_once - 1) / at_once);

		if (least > AML_CAP_SLACK * prune->max_seconds)
		{
			c->status = AML_CANDIDATE_TIMED_OUT;
			snprintf(c->reason, sizeof(c->reason),
					 "would take at least %.1f s, more than its %.1f s time cap (%.2f s for its first of %d splits)",
					 least, prune->max_seconds, o->seconds, cv->k);
			return true;
		}
	}
	c->fold_scores[f] = o->score;
	c->folds_done = f + 1;
	for (int i = 0; i <= f; i++)
		sum += c->fold_scores[i];
	/* stop early when clearly worse than the best so far */
	if (prune != NULL && prune->active && f + 1 < cv->k)
	{
		double		running = (higher ? 1 : -1) * sum / (f + 1);
		double		spread = fmax(prune->best_std, 0.005 * fabs(prune->best_signed_mean) + 1e-9);

		if (running < prune->best_signed_mean - 3.0 / sqrt((double) (f + 1)) * spread)
		{
			char		msg[64];

			snprintf(msg, sizeof(msg), "%d of %d", f + 1, cv->k);
			set_reason(c, AML_CANDIDATE_PRUNED, "clearly worse than the best after %s folds", msg);
			return true;
		}
	}
	return f + 1 >= cv->k;
}

void
aml_cv_candidate_begin(AmlCandidate *c)
{
	c->status = AML_CANDIDATE_OK;
	c->reason[0] = '\0';
	c->folds_done = 0;
	c->fit_seconds = 0;
	c->predict_seconds = 0;
	c->mean = c->std = NAN;
	c->signed_mean = -INFINITY;
}

/* Mean and spread of the splits taken; result: how the evaluation ended. */
void
aml_cv_candidate_end(const AmlCvData *cv, AmlCandidate *c, AmlStatus result)
{
	bool		higher = aml_metric_higher_is_better(cv->metric);

	if (c->folds_done > 0)
	{
		double		sum = 0;
		double		mean;
		double		ss = 0;

		for (int f = 0; f < c->folds_done; f++)
			sum += c->fold_scores[f];
		mean = sum / c->folds_done;
		for (int f = 0; f < c->folds_done; f++)
			ss += (c->fold_scores[f] - mean) * (c->fold_scores[f] - mean);
		c->mean = mean;
		c->std = c->folds_done > 1 ? sqrt(ss / c->folds_done) : 0;
		c->signed_mean = (higher ? 1 : -1) * mean;
	}
	if (c->status != AML_CANDIDATE_OK || result != AML_OK)
	{
		aml_matrix_free(c->oof);
		c->oof = NULL;
		if (c->status != AML_CANDIDATE_PRUNED)
			c->signed_mean = -INFINITY;
	}
}

AmlStatus
aml_cv_evaluate(const AmlCvData *cv, json_object *spec, const AmlPruneRule *prune, double deadline,
				double cap_seconds, bool keep_oof, bool (*cancelled) (void), AmlRng *rng, AmlCandidate *c,
				AmlError *err)
{
	AmlStatus	result = AML_OK;

	aml_cv_candidate_begin(c);
	for (int f = 0; f < cv->k; f++)
	{
		AmlFoldOutcome o;

		result = aml_cv_fold(cv, spec, f, rng, deadline, cap_seconds, keep_oof, cancelled, &o, err);
		if (result != AML_OK)
		{
			aml_fold_outcome_clear(&o);
			break;
		}
		if (aml_cv_take_fold(cv, prune, keep_oof, f, &o, c))
			break;
		if (cancelled != NULL && cancelled())
		{
			result = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			break;
		}
	}
	aml_cv_candidate_end(cv, c, result);
	return result;
}
