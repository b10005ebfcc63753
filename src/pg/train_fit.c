/*
 * train_fit.c — automl_train's fits after the search (see train_fit.h).
 *
 * The rows: every training row for the model scored on the holdout and
 * every row for the final one when the refits fit in the budget (the
 * search kept time for them).  When they do not (a table large for its
 * budget, or estimates that were short), aml_validation_fit_rows() plans
 * how many: the final model gets the time first, the holdout's model at
 * least the search's own rows, or one fit on the training rows is both
 * when that gives the final model more rows; samples are nested prefixes of a stratified
 * order (src/search/validation.c), so the holdout's model has the rows the
 * search validated on.  The memory budget may cut both further (plan_rows,
 * fit_on), never below a split's rows of the search.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "miscadmin.h"

#include "core/clock.h"
#include "core/memory.h"
#include "ml/calibration.h"
#include "ml/decision.h"
#include "ml/evaluation.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"
#include "pg/train_fit.h"
#include "search/validation.h"

/* Extrapolated fits are planned at this multiple of their estimate (plan_rows). */
#define PLAN_SAFETY 1.5
/*
 * And at this multiple of the estimate of their data's copies (three
 * through the preprocessing: generous for most pipelines).  What the
 * estimator needs besides is not planned (the estimators' estimates run
 * several times high for forests of many classes): a fit that runs out of
 * the memory budget is tried again on half its rows (fit_on).
 */
#define MEMORY_SAFETY 1.2

double
aml_train_data_bytes_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows)
{
	double		bytes = 0;

	for (int k = 0; k < e->n_members; k++)
		bytes = fmax(bytes, r->candidates[e->members[k]].data_bytes * rows / fmax(r->split_train_rows, 1));
	return bytes;
}

/*
 * Seconds of the members' fits (predict false) or predictions on `rows`
 * rows: their times per split scaled by the split's training or test rows,
 * with 30 % more.
 */
static double
members_seconds(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows, bool predict)
{
	double		split_rows = predict ? r->split_test_rows : r->split_train_rows;
	double		t = 0;

	for (int k = 0; k < e->n_members; k++)
	{
		const AmlCandidate *c = &r->candidates[e->members[k]];

		if (c->folds_done > 0)
			t += 1.3 * ((predict ? c->predict_seconds : c->fit_seconds) / c->folds_done) * rows /
				fmax(split_rows, 1);
	}
	return t;
}

double
aml_train_refit_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows)
{
	return members_seconds(r, e, rows, false);
}

double
aml_train_predict_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows)
{
	return members_seconds(r, e, rows, true);
}

double
aml_train_store_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows, double per_byte)
{
	double		bytes = 0;

	for (int k = 0; k < e->n_members; k++)
		bytes += r->candidates[e->members[k]].model_bytes * rows / fmax(r->split_train_rows, 1);
	return per_byte * bytes;
}

double
aml_train_model_threshold(const AmlModel *m)
{
	return m->calibration != NULL && m->outputs == 2 ? m->calibration->threshold : NAN;
}

int *
aml_train_sample_order(const double *y, int n, int n_classes, uint64 seed)
{
	int		   *order = palloc(sizeof(int) * Max(n, 1));
	AmlError	err;

	AML_PG_CHECK(aml_validation_sample_order(n, y, n_classes, seed, order, &err), &err);
	return order;
}

static int
int_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return x < y ? -1 : x > y;
}

int *
aml_train_sample_rows(const int *order, int n, int m)
{
	int		   *rows = palloc(sizeof(int) * Max(m, 1));

	Assert(m <= n);
	memcpy(rows, order, sizeof(int) * m);
	qsort(rows, m, sizeof(int), int_cmp);
	return rows;
}

/* The metric on the holdout, label metrics on the labels the calibrator decides. */
static double
holdout_metric(const AmlMetric *metric, const double *y, const AmlMatrix *pred, int n_classes,
			   const AmlCalibrator *decision)
{
	AmlMatrix  *decided = NULL;
	double		score;
	AmlError	err;
	AmlStatus	st;

	if (!metric->needs_proba && !metric->needs_scores)
		AML_PG_CHECK(aml_decision_scores(decision, pred, &decided, &err), &err);
	st = aml_metric_score(metric, y, decided ? decided : pred, n_classes, &score, &err);
	aml_matrix_free(decided);
	return st == AML_OK ? score : NAN;
}

/*
 * The holdout's predictions (pred) by the model fitted on the training rows.
 * A calibration and threshold chosen on the search's out-of-fold
 * predictions must decide these rows as they decided those
 * (aml_threshold_transfers, which reads no labels); when they do not and
 * the model's own probabilities decide both classes, the calibration is
 * left out of this model and of the final one (NOTICE).
 */
static void
predict_holdout(AmlWinnerFit *f, AmlModel *model, const AmlMatrix *x, AmlMatrix *pred)
{
	AmlCalibrator *cal = model->calibration;
	double		share1 = f->result->calibration_share1;
	AmlMatrix  *cal_pred;
	int			ones;
	int			own_ones = 0;
	AmlError	err;

	/* share1 is known for two classes with a chosen threshold only */
	if (cal == NULL || isnan(share1))
	{
		AML_PG_CHECK(aml_model_predict(model, x, pred, &err), &err);
		return;
	}
	/* the model's own probabilities, then calibrated */
	model->calibration = NULL;
	AML_PG_CHECK(aml_model_predict(model, x, pred, &err), &err);
	model->calibration = cal;
	AML_PG_CHECK(aml_matrix_create(pred->rows, pred->cols, &cal_pred, &err), &err);
	AML_PG_CHECK(aml_calibrator_apply(cal, pred, cal_pred, &err), &err);
	ones = aml_threshold_count_ones(cal, cal_pred);
	for (int i = 0; i < pred->rows; i++)
		own_ones += AML_AT(pred, i, 1) > AML_AT(pred, i, 0);	/* argmax */
	if (aml_threshold_transfers(share1, pred->rows, ones) || own_ones == 0 || own_ones == pred->rows)
	{
		memcpy(pred->data, cal_pred->data, sizeof(double) * (size_t) pred->rows * pred->cols);
		aml_matrix_free(cal_pred);
		return;
	}
	aml_matrix_free(cal_pred);
	ereport(NOTICE,
			(errmsg("automl: the calibration and decision threshold are left out: they decided %.1f %% of the search's out-of-fold rows as \"%s\" but decide %d of the %d holdout rows so (the model's own probabilities: %d)",
					100.0 * share1, aml_dict_string(f->data->schema.classes, 1), ones, pred->rows, own_ones),
			 errdetail("The model scored on the holdout is fitted on more rows than the search's folds, and its probabilities moved past the calibration's steps.")));
	aml_calibrator_free(cal);
	model->calibration = NULL;
	aml_calibrator_free(f->result->calibration);
	f->result->calibration = NULL;
	f->result->calibration_share1 = NAN;
}

/*
 * The operating point of an automatic threshold, carried to the final model.
 * The threshold is chosen on the search's out-of-fold probabilities and
 * scored on the holdout with the model fitted on the training rows; the
 * final model, fitted on more rows, may put its probabilities elsewhere: a
 * Gaussian naive Bayes on heavy-tailed columns (a loans table, 5 % "bad")
 * decided 60 % of the rows "good" on the holdout, and 7 % after its refit
 * on every row, at the same threshold.  So both models decide the same
 * sample of training rows (rows both were fitted on), and when the final
 * model's share of class 1 there moved (aml_threshold_share_moved), its
 * threshold becomes the one that decides that sample as the holdout's
 * model did (NOTICE).  It reads no labels.
 */
#define CARRY_MAX_ROWS 2000
#define CARRY_MIN_ROWS 200

typedef struct ThresholdCarry
{
	int		   *rows;			/* into train_x; NULL: nothing to carry */
	int			n;
	double		share;			/* of the holdout's model on those rows */
} ThresholdCarry;

/* The calibrated probabilities of class 1 of model on the carry's rows (palloc). */
static double *
carry_p1(const AmlWinnerFit *f, const ThresholdCarry *c, const AmlModel *model)
{
	AmlMatrix  *x = aml_pg_take_rows(f->train_x, c->rows, c->n);
	AmlMatrix  *pred;
	double	   *p1 = palloc(sizeof(double) * c->n);
	AmlError	err;

	AML_PG_CHECK(aml_matrix_create(c->n, model->outputs, &pred, &err), &err);
	AML_PG_CHECK(aml_model_predict(model, x, pred, &err), &err);
	for (int i = 0; i < c->n; i++)
		p1[i] = AML_AT(pred, i, 1);
	aml_matrix_free(pred);
	aml_matrix_free(x);
	return p1;
}

/*
 * Before the holdout's model is freed: its share of class 1 on a stratified
 * sample of the training rows, as many as two predictions allow in a
 * fiftieth of the time left (at least 0.1 s).
 */
static void
carry_start(const AmlWinnerFit *f, const AmlModel *train_model, ThresholdCarry *c)
{
	double		allowed = fmax(0.1, 0.02 * (f->hard_deadline - aml_clock()));
	int			n = Min(f->n_train, CARRY_MAX_ROWS);
	int		   *order;
	double	   *p1;
	int			ones = 0;

	memset(c, 0, sizeof(*c));
	if (train_model->calibration == NULL || train_model->outputs != 2 ||
		isnan(f->result->calibration_share1))
		return;					/* no threshold, or one the user set */
	while (n > CARRY_MIN_ROWS && 2 * aml_train_predict_estimate(f->result, &f->result->final, n) > allowed)
		n /= 2;
	if (2 * aml_train_predict_estimate(f->result, &f->result->final, n) > allowed)
		return;					/* not even CARRY_MIN_ROWS in time */
	order = f->train_order != NULL ? (int *) f->train_order :
		aml_train_sample_order(f->train_y, f->n_train, f->data->n_classes, f->seed + 2);
	c->rows = aml_train_sample_rows(order, f->n_train, n);
	if (order != f->train_order)
		pfree(order);
	c->n = n;
	p1 = carry_p1(f, c, train_model);
	for (int i = 0; i < n; i++)
		ones += p1[i] > train_model->calibration->threshold;
	pfree(p1);
	c->share = (double) ones / n;
}

/* After the final fit: the holdout model's share of class 1, when it moved. */
static void
carry_finish(AmlWinnerFit *f, ThresholdCarry *c)
{
	AmlCalibrator *cal = f->model->calibration;
	double	   *p1;
	int			ones = 0;
	double		share;
	double		t;

	if (c->rows == NULL || cal == NULL || f->model->outputs != 2 ||
		aml_clock() + aml_train_predict_estimate(f->result, &f->result->final, c->n) > f->hard_deadline)
		return;
	p1 = carry_p1(f, c, f->model);
	for (int i = 0; i < c->n; i++)
		ones += p1[i] > cal->threshold;
	share = (double) ones / c->n;
	elog(DEBUG1, "automl: on %d training rows the holdout's model decides %.1f %% as \"%s\", the final model %.1f %%",
		 c->n, 100 * c->share, aml_dict_string(f->data->schema.classes, 1), 100 * share);
	if (aml_threshold_share_moved(c->share, share) &&
		!isnan(t = aml_threshold_for_share(p1, c->n, c->share)))
	{
		ereport(NOTICE,
				(errmsg("automl: the decision threshold of the final model is %.4g instead of %.4g: at %.4g it decided %.1f %% of %d training rows as \"%s\", and the model scored on the holdout %.1f %%",
						t, cal->threshold, cal->threshold, 100 * share, c->n,
						aml_dict_string(f->data->schema.classes, 1), 100 * c->share),
				 errdetail("Refitted on every row, the model moved its probabilities; the new threshold decides those rows in the same proportion.")));
		cal->threshold = t;
	}
	pfree(p1);
}

/* An ensemble that cannot be refitted or stored in time gives way to the best pipeline. */
static void
keep_ensemble_or_best(AmlWinnerFit *f, int holdout_rows, int final_rows)
{
	AmlSearchResult *result = f->result;
	double		need;
	double		bytes;
	const AmlCandidate *best;

	if (!result->is_ensemble)
		return;
	need = (holdout_rows > 0 ? aml_train_refit_estimate(result, &result->final, holdout_rows) +
			aml_train_predict_estimate(result, &result->final, f->n_test) : 0) +
		(final_rows > holdout_rows ? aml_train_refit_estimate(result, &result->final, final_rows) : 0) +
		aml_train_store_estimate(result, &result->final, Max(final_rows, holdout_rows), f->store_per_byte);
	bytes = aml_train_store_estimate(result, &result->final, Max(final_rows, holdout_rows), 1.0);
	if (aml_clock() + need + f->store_seconds <= f->hard_deadline && bytes <= AML_MAX_MODEL_BYTES)
		return;
	best = &result->candidates[result->best];
	if (bytes > AML_MAX_MODEL_BYTES)
		ereport(NOTICE,
				(errmsg("automl: the best single pipeline is the model, not the ensemble of %d: the ensemble would take about %.0f MB, more than the %.0f MB a model may have",
						result->final.n_members, bytes / 1048576.0, AML_MAX_MODEL_BYTES / 1048576.0)));
	else
		ereport(NOTICE,
				(errmsg("automl: the best single pipeline is the model, not the ensemble of %d: refitting the ensemble would take about %.1f s, past the time budget",
						result->final.n_members, need)));
	result->final.n_members = 1;
	result->final.members[0] = result->best;
	result->final.weights[0] = 1.0;
	result->final.score = best->mean;
	result->final.signed_score = best->signed_mean;
	result->is_ensemble = false;
	result->cv_score = best->mean;
	result->cv_std = best->std;
}

static void plan_rows_in_time(AmlWinnerFit *f, int *holdout_rows, int *final_rows);

/*
 * The most rows the winner can be fitted on in what is left of the memory
 * budget once `taken` more bytes are allocated: the estimated copies of the
 * data through its members' preprocessing and the copy of the sampled rows,
 * at MEMORY_SAFETY.  INT_MAX when there is no budget.
 */
static int
memory_rows(const AmlWinnerFit *f, double taken)
{
	size_t		available = aml_memory_available();
	double		per_row;
	double		rows;

	if (available == SIZE_MAX)
		return INT_MAX;
	per_row = MEMORY_SAFETY * (aml_train_data_bytes_estimate(f->result, &f->result->final, 1000000) / 1e6 +
							   (f->data->raw->cols + 1.0) * sizeof(double));
	rows = ((double) available - taken) / fmax(per_row, 1);
	return rows >= INT_MAX ? INT_MAX : (int) fmax(rows, 0);
}

/*
 * Rows capped at what the memory allows (memory_rows), but never below the
 * rows a split of the search was fitted on, which did fit.
 */
static int
cap_by_memory(AmlWinnerFit *f, int rows, double taken)
{
	int			cap = Max(memory_rows(f, taken), Min(rows, (int) f->result->split_train_rows));

	if (cap >= rows)
		return rows;
	f->memory_bound = true;
	elog(DEBUG1, "automl: %d rows would need about %.0f MB, %.0f MB are left: fitted on %d",
		 rows, (aml_train_data_bytes_estimate(f->result, &f->result->final, rows) + taken) / 1048576.0,
		 aml_memory_available() / 1048576.0, cap);
	return cap;
}

/* Why a fit gets fewer rows than it might. */
static const char *
fewer_rows_reason(const AmlWinnerFit *f)
{
	return f->memory_bound ? "the memory budget (automl.max_memory)" : "the time budget";
}

/* What fitting on `rows` rows would cost, past what the budget allows, in words. */
static void
cost_in_words(const AmlWinnerFit *f, int rows, char *buf, size_t len)
{
	if (f->memory_rows > 0)
		snprintf(buf, len, "would not fit in the memory budget (automl.max_memory): a fit on %d rows ran out of it",
				 f->memory_rows);
	else if (f->memory_bound)
		snprintf(buf, len, "would need about %.0f MB, more than the memory budget (automl.max_memory) leaves",
				 MEMORY_SAFETY * aml_train_data_bytes_estimate(f->result, &f->result->final, rows) / 1048576.0);
	else
		snprintf(buf, len, "would take about %.1f s, past the time budget",
				 aml_train_refit_estimate(f->result, &f->result->final, rows));
}

/* How many rows each fit gets: all that fit in the budgets (see validation.h). */
static void
plan_rows(AmlWinnerFit *f, int *holdout_rows, int *final_rows)
{
	bool		one_fit;

	plan_rows_in_time(f, holdout_rows, final_rows);
	/* the holdout's model is the final one when there is time for one fit only */
	one_fit = *holdout_rows > 0 && *final_rows <= *holdout_rows;
	/* the holdout's rows are copied before its model is fitted; both are freed before the final fit */
	if (*holdout_rows > 0)
		*holdout_rows = cap_by_memory(f, *holdout_rows, (double) f->n_test * (f->data->raw->cols + 1) * sizeof(double));
	*final_rows = one_fit ? Min(*final_rows, *holdout_rows) : cap_by_memory(f, *final_rows, 0);
}

/* How many rows each fit gets in the time budget (see validation.h). */
static void
plan_rows_in_time(AmlWinnerFit *f, int *holdout_rows, int *final_rows)
{
	const AmlTrainingData *data = f->data;
	bool		holdout = f->n_test > 0;
	bool		final_on_all = f->refit_all || !holdout;
	int			n_all = data->n_rows;
	const AmlEnsembleChoice *e = &f->result->final;
	double		per_row = (aml_train_refit_estimate(f->result, e, 1000000) +
						   aml_train_store_estimate(f->result, e, 1000000, f->store_per_byte)) / 1e6;
	double		now = aml_clock();
	/* the holdout's predictions, whatever the rows of its model */
	double		predict = holdout ? aml_train_predict_estimate(f->result, e, f->n_test) : 0;
	double		full = predict + (holdout ? aml_train_refit_estimate(f->result, e, f->n_train) : 0) +
		(final_on_all ? aml_train_refit_estimate(f->result, e, n_all) : 0) +
		aml_train_store_estimate(f->result, e, final_on_all ? n_all : f->n_train, f->store_per_byte);

	/* all rows when they fit within the margin (as the search planned them) */
	if (now + full + f->store_seconds <= f->hard_deadline)
	{
		*holdout_rows = holdout ? f->n_train : 0;
		*final_rows = final_on_all ? n_all : f->n_train;
		return;
	}
	/*
	 * else as many as fit in the budget itself (the margin is for estimates
	 * that were short), at 1.5 times the estimated pace: fits on several times
	 * the search's rows ran up to 1.7 times their estimate (boosting on
	 * 14 000 rows of diamonds planned from 4 000)
	 */
	aml_validation_fit_rows(PLAN_SAFETY * per_row, f->budget_end - now - f->store_seconds - PLAN_SAFETY * predict,
							holdout ? f->n_train : 0, n_all, f->n_search, final_on_all,
							holdout_rows, final_rows);
}

/*
 * The winner fitted on the first *rows rows of `order` of (x, y), or on all
 * when *rows == n.  A fit that runs out of the memory budget is tried again
 * on half the rows, down to a split's rows of the search (which did fit);
 * *rows: the rows fitted.  order is made when needed (y: class codes for
 * classification).
 */
static AmlModel *
fit_on(AmlWinnerFit *f, const AmlMatrix *x, const double *y, int n, const int *order, int *rows,
	   uint64 order_seed)
{
	bool		classification = f->data->schema.task == AML_TASK_CLASSIFICATION;
	int		   *own_order = NULL;
	AmlModel   *model;
	AmlError	err;
	AmlStatus	st;

	for (;;)
	{
		if (*rows >= n)
			st = aml_search_refit(&f->data->schema, f->result, x, y, f->seed, &model, &err);
		else
		{
			int		   *pick;
			AmlMatrix  *sx;
			double	   *sy;

			if (order == NULL)
				order = own_order = aml_train_sample_order(classification ? y : NULL, n,
														   classification ? f->data->n_classes : 0,
														   order_seed);
			pick = aml_train_sample_rows(order, n, *rows);
			sx = aml_pg_take_rows(x, pick, *rows);
			sy = aml_pg_take_values(y, pick, *rows);
			st = aml_search_refit(&f->data->schema, f->result, sx, sy, f->seed, &model, &err);
			aml_matrix_free(sx);
			aml_free(sy);
			pfree(pick);
		}
		CHECK_FOR_INTERRUPTS();
		if (st == AML_ERR_OUT_OF_MEMORY && *rows > (int) f->result->split_train_rows && aml_memory_limit_hit())
		{
			elog(DEBUG1, "automl: fitting on %d rows ran out of the memory budget: trying %d", *rows,
				 Max(*rows / 2, (int) f->result->split_train_rows));
			if (f->memory_rows == 0)
				f->memory_rows = *rows;
			f->memory_bound = true;
			aml_memory_clear_limit_hit();
			*rows = Max(*rows / 2, (int) f->result->split_train_rows);
			continue;
		}
		AML_PG_CHECK(st, &err);
		break;
	}
	if (own_order != NULL)
		pfree(own_order);
	return model;
}

/*
 * The final model's rows planned again from the holdout model's fit, timed:
 * the plan (plan_rows_in_time) extrapolates the search's fits on a sample at
 * 1.5 times their pace and can leave seconds unused on large tables
 * (stress.reg100k at 12 s: a final model of 21 437 of its 100 000 rows,
 * with its holdout's model fitted in 0.9 s and 3 s left); the same pipeline
 * just fitted on `fitted` rows in `seconds` is a better measure.  Rows grow in proportion at REPLAN_SAFETY times that pace
 * (n log n from 20 000 to 40 000 rows is 1.07 times linear) within the
 * budget itself, less storing; never fewer than planned.
 */
#define REPLAN_SAFETY 1.3

static int
replan_final_rows(AmlWinnerFit *f, int fitted, double seconds, int planned)
{
	const AmlEnsembleChoice *e = &f->result->final;
	int			n_all = f->data->n_rows;
	double		per_row = REPLAN_SAFETY * seconds / Max(fitted, 1);
	double		left = f->budget_end - aml_clock() - f->store_seconds;
	double		rows;
	int			fit;

	if (!(seconds > 0) || fitted <= 0)
		return planned;
	rows = (left - aml_train_store_estimate(f->result, e, n_all, f->store_per_byte)) / per_row;
	if (rows <= planned)
		return planned;
	fit = rows >= n_all ? n_all : (int) rows;
	/* a refit that adds few rows is not worth its time */
	if (fit < n_all && fit < 1.1 * Max(planned, fitted))
		return planned;
	fit = cap_by_memory(f, fit, 0);
	if (fit <= planned)
		return planned;
	elog(DEBUG1, "automl: the holdout's model took %.2f s on %d rows: the final model gets %d rows (planned %d)",
		 seconds, fitted, fit, planned);
	return fit;
}

void
aml_train_fit_winner(AmlWinnerFit *f)
{
	const AmlTrainingData *data = f->data;
	int			holdout_rows;
	int			final_rows;
	AmlModel   *train_model = NULL;
	double		holdout_fit_seconds = 0;
	ThresholdCarry carry;
	AmlError	err;

	f->holdout_score = NAN;
	f->holdout_report = NULL;
	{
		/* the ensemble when it fits on the fewest rows planned, else the best pipeline */
		int			least = Max(f->n_search, 1);

		keep_ensemble_or_best(f, f->n_test > 0 ? least : 0, least);
	}
	plan_rows(f, &holdout_rows, &final_rows);

	/* the holdout score: the winner fitted without the holdout rows */
	if (f->n_test > 0)
	{
		AmlMatrix  *hold_x = aml_pg_take_rows(data->raw, f->test_rows, f->n_test);
		double	   *hold_y = aml_pg_take_values(data->y, f->test_rows, f->n_test);
		AmlMatrix  *pred;

		double		fit_start = aml_clock();

		train_model = fit_on(f, f->train_x, f->train_y, f->n_train, f->train_order, &holdout_rows, f->seed);
		holdout_fit_seconds = aml_clock() - fit_start;
		/* out of memory on the training rows: the final model is that one */
		if (f->memory_rows > 0)
			final_rows = Min(final_rows, holdout_rows);
		AML_PG_CHECK(aml_matrix_create(hold_x->rows, train_model->outputs, &pred, &err), &err);
		predict_holdout(f, train_model, hold_x, pred);
		/* labels as automl_predict decides them (aml_model_decide) */
		f->holdout_score = holdout_metric(f->metric, hold_y, pred, data->n_classes, train_model->calibration);
		f->holdout_report = aml_evaluation_report_decided(data->schema.task, hold_y, pred, data->n_classes,
														  train_model->probabilistic, train_model->calibration);
		aml_pg_json_release_with_context(f->holdout_report);
		aml_matrix_free(pred);
		aml_matrix_free(hold_x);
		aml_free(hold_y);
		f->holdout_fit_rows = holdout_rows;
		elog(DEBUG1, "automl: holdout scored (model fitted on %d of %d training rows, estimated %.2f s; its %d predictions %.2f s)",
			 holdout_rows, f->n_train, aml_train_refit_estimate(f->result, &f->result->final, holdout_rows),
			 f->n_test, aml_train_predict_estimate(f->result, &f->result->final, f->n_test));
		if (holdout_rows < f->n_train)
			ereport(NOTICE,
					(errmsg("automl: the holdout is scored with the model fitted on %d of the %d training rows: all of them would not fit in %s",
							holdout_rows, f->n_train, fewer_rows_reason(f))));
	}

	/* the final model */
	if (f->n_test > 0 && f->refit_all && f->memory_rows == 0 && final_rows < data->n_rows)
		final_rows = replan_final_rows(f, holdout_rows, holdout_fit_seconds, final_rows);
	if (f->n_test > 0 && (final_rows <= holdout_rows || !f->refit_all))
	{
		if (f->refit_all)
		{
			char		cost[160];

			cost_in_words(f, data->n_rows, cost, sizeof(cost));
			ereport(NOTICE,
					(errmsg("automl: the model is the one fitted on %d training rows: refitting it on all %d rows %s",
							holdout_rows, data->n_rows, cost)));
		}
		f->model = train_model;
		f->final_rows = holdout_rows;
		return;
	}
	memset(&carry, 0, sizeof(carry));
	if (train_model != NULL)
	{
		carry_start(f, train_model, &carry);
		aml_model_free(train_model);
	}
	f->model = fit_on(f, data->raw, data->y, data->n_rows, NULL, &final_rows, f->seed + 1);
	f->final_rows = final_rows;
	carry_finish(f, &carry);
	if (final_rows < data->n_rows)
	{
		char		cost[160];

		cost_in_words(f, data->n_rows, cost, sizeof(cost));
		ereport(NOTICE,
				(errmsg("automl: the model is fitted on %d of the %d rows: all of them %s",
						final_rows, data->n_rows, cost)));
	}
}
