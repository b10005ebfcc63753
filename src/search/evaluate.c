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
#include <time.h>

double
aml_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

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
	aml_free(cv);
}

AmlStatus
aml_cv_data_create(const AmlSchema *schema, const AmlMatrix *raw, const double *y, int n_classes,
				   int k, const AmlMetric *metric, AmlRng *rng, AmlCvData **out, AmlError *err)
{
	AmlCvData  *cv;
	AmlFolds   *folds;
	AmlTask		task = schema->task;

	*out = NULL;
	if (k < 2 || k > AML_MAX_FOLDS)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "cv_folds must be between 2 and %d",
						 AML_MAX_FOLDS);
	AML_TRY(aml_folds_for_task(task, y, raw->rows, n_classes, k, 1, rng, &folds, err));
	cv = AML_NEW(AmlCvData);
	if (cv == NULL)
	{
		aml_folds_free(folds);
		return aml_error_nomem(err, "cross-validation folds");
	}
	cv->schema = schema;
	cv->metric = metric;
	cv->n_rows = raw->rows;
	cv->n_classes = n_classes;
	cv->y = y;
	cv->k = k;
	for (int f = 0; f < k; f++)
	{
		AmlSplit	split;

		if (aml_folds_split(folds, f, &split, err) != AML_OK)
			goto fail;
		cv->train_x[f] = aml_matrix_take_rows(raw, split.train, split.n_train);
		cv->test_x[f] = aml_matrix_take_rows(raw, split.test, split.n_test);
		cv->train_y[f] = AML_NEW_ARRAY(double, split.n_train);
		cv->test_y[f] = AML_NEW_ARRAY(double, split.n_test);
		cv->test_rows[f] = AML_NEW_ARRAY(int, split.n_test);
		if (!cv->train_x[f] || !cv->test_x[f] || !cv->train_y[f] || !cv->test_y[f] || !cv->test_rows[f])
		{
			aml_split_free(&split);
			aml_error_nomem(err, "cross-validation folds");
			goto fail;
		}
		for (int i = 0; i < split.n_train; i++)
			cv->train_y[f][i] = y[split.train[i]];
		for (int i = 0; i < split.n_test; i++)
		{
			cv->test_y[f][i] = y[split.test[i]];
			cv->test_rows[f][i] = split.test[i];
		}
		cv->n_test[f] = split.n_test;
		aml_split_free(&split);
	}
	aml_folds_free(folds);
	*out = cv;
	return AML_OK;
fail:
	aml_folds_free(folds);
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

AmlStatus
aml_cv_evaluate(const AmlCvData *cv, json_object *spec, const AmlPruneRule *prune, double deadline,
				bool keep_oof, bool (*cancelled) (void), AmlRng *rng, AmlCandidate *c, AmlError *err)
{
	CapState	cap;
	double		start = aml_clock();
	AmlStatus	result = AML_OK;
	AmlPipeline *p = NULL;
	AmlMatrix  *pred = NULL;
	double		sum = 0;
	bool		higher = aml_metric_higher_is_better(cv->metric);

	c->status = AML_CANDIDATE_OK;
	c->reason[0] = '\0';
	c->folds_done = 0;
	c->mean = c->std = NAN;
	c->signed_mean = -INFINITY;
	memset(&cap, 0, sizeof(cap));
	aml_get_interrupt_hook(&cap.outer, &cap.outer_state);
	cap.deadline = deadline;
	aml_set_interrupt_hook(cap_hook, &cap);

	for (int f = 0; f < cv->k; f++)
	{
		AmlError	ferr;
		AmlRng		frng;
		AmlStatus	st;
		double		score;

		aml_error_clear(&ferr);
		aml_rng_derive(rng, (uint64_t) f, &frng);
		st = aml_pipeline_create(cv->schema, spec, &p, &ferr);
		if (st == AML_OK)
		{
			c->probabilistic = p->estimator->type->probabilistic;
			if (cv->metric->needs_proba && !c->probabilistic)
			{
				set_reason(c, AML_CANDIDATE_FAILED, "%s does not estimate probabilities, which the metric needs",
						   p->estimator->type->name);
				break;
			}
			st = aml_pipeline_fit(p, cv->train_x[f], cv->train_y[f], &frng, &ferr);
		}
		if (st == AML_OK)
		{
			pred = aml_matrix_new(cv->test_x[f]->rows, aml_pipeline_outputs(p));
			if (pred == NULL)
				st = aml_error_nomem(&ferr, "predictions");
			else
				st = aml_pipeline_predict(p, cv->test_x[f], pred, &ferr);
		}
		if (st == AML_OK)
			st = aml_metric_score(cv->metric, cv->test_y[f], pred, cv->n_classes, &score, &ferr);
		if (st == AML_OK && !isfinite(score))
			st = aml_error(&ferr, AML_ERR_NUMERICAL, "the metric is not finite on fold %d", f + 1);
		if (st != AML_OK)
		{
			if (cap.outer_fired || (cancelled != NULL && cancelled()))
			{
				result = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
				break;
			}
			if (cap.cap_fired || st == AML_ERR_TIMEOUT)
			{
				char		secs[32];

				snprintf(secs, sizeof(secs), "%.1f", deadline - start);
				set_reason(c, AML_CANDIDATE_TIMED_OUT, "took longer than its %s s time cap", secs);
			}
			else if (st == AML_ERR_OUT_OF_MEMORY)
				set_reason(c, AML_CANDIDATE_FAILED, "out of memory: %.200s", ferr.message);
			else
				set_reason(c, AML_CANDIDATE_FAILED, "%.250s", ferr.message);
			break;
		}
		if (keep_oof)
		{
			if (c->oof == NULL)
				c->oof = aml_matrix_new(cv->n_rows, pred->cols);
			if (c->oof != NULL)
				for (int j = 0; j < pred->cols; j++)
					for (int i = 0; i < pred->rows; i++)
						AML_AT(c->oof, cv->test_rows[f][i], j) = AML_AT(pred, i, j);
		}
		aml_matrix_free(pred);
		pred = NULL;
		aml_pipeline_free(p);
		p = NULL;
		c->fold_scores[f] = score;
		c->folds_done = f + 1;
		sum += score;
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
				break;
			}
		}
		if (cancelled != NULL && cancelled())
		{
			result = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			break;
		}
	}
	aml_set_interrupt_hook(cap.outer, cap.outer_state);
	aml_matrix_free(pred);
	aml_pipeline_free(p);
	c->fit_seconds = aml_clock() - start;
	if (c->folds_done > 0)
	{
		double		mean = sum / c->folds_done;
		double		ss = 0;

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
	return result;
}
