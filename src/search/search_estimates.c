/*
 * search_estimates.c — the search's estimates: the memory a candidate needs
 * to be evaluated, and the time the end of the search must keep for the
 * refits and storing of the winner and its global importance (see
 * search_internal.h).
 */
#include "search/search_internal.h"
#include "search/search_calibration.h"
#include "core/json.h"
#include "ml/pipeline.h"
#include "ml/transformer.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ estimates */

static double
gene_value(const AmlSearchSpace *space, const AmlGene *g, const char *param, double fallback)
{
	if (g->op < 0)
		return fallback;
	for (int i = 0; i < space->ops[g->op].n_domains; i++)
		if (strcmp(space->ops[g->op].domains[i].param, param) == 0)
			return isnan(g->v[i]) ? fallback : g->v[i];
	return fallback;
}

/* A step that would make more columns is not evaluated (polynomial features' default limit). */
#define MAX_MADE_COLUMNS 2000

/*
 * Rough peak bytes to evaluate a genome: copies of the data through its
 * preprocessing, and what its estimator says fitting needs (fit_bytes).
 */
double
aml_search_estimate_bytes(const Search *s, const AmlGenome *g, json_object *spec, double *data_bytes,
						  char *why, size_t whylen)
{
	const AmlSearchSpace *space = s->opt->space;
	double		rows = (double) s->traits.n_rows * (s->opt->cv_folds - 1) / s->opt->cv_folds;
	double		width = g->ordinal ? s->traits.n_inputs : (double) s->traits.encoded_width;
	double		bytes;
	json_object *est_spec;
	json_object *type_name;
	json_object *steps;

	if (g->slots[AML_SLOT_IMPUTER].op >= 0 && gene_value(space, &g->slots[AML_SLOT_IMPUTER], "add_indicator", 0))
		width += s->traits.n_inputs;
	/* the columns each step makes, as its type says (polynomial features, the kernel map) */
	if (json_object_object_get_ex(spec, "steps", &steps))
		for (size_t k = 0; k < json_object_array_length(steps); k++)
		{
			json_object *step = json_object_array_get_idx(steps, k);
			json_object *tname;
			json_object *params = NULL;
			const AmlTransformerType *tt;
			AmlTransformer *t;
			AmlError	err;

			if (!json_object_object_get_ex(step, "type", &tname) ||
				(tt = aml_transformer_type_find(json_object_get_string(tname))) == NULL || tt->out_width == NULL)
				continue;
			json_object_object_get_ex(step, "params", &params);
			if (aml_transformer_create(tt, s->schema->task, s->traits.n_classes, params, &t, &err) != AML_OK)
				continue;
			width = tt->out_width(t, width, rows);
			aml_transformer_free(t);
			if (width > MAX_MADE_COLUMNS)
			{
				*data_bytes = INFINITY;
				snprintf(why, whylen, "%s would make %.0f columns", tt->label, width);
				return INFINITY;
			}
		}
	bytes = 3.0 * rows * width * sizeof(double);
	*data_bytes = bytes;
	if (json_object_object_get_ex(spec, "estimator", &est_spec) &&
		json_object_object_get_ex(est_spec, "type", &type_name))
	{
		const AmlEstimatorType *type = aml_estimator_type_find(json_object_get_string(type_name));
		json_object *params = NULL;
		AmlEstimator *est;
		AmlError	err;

		json_object_object_get_ex(est_spec, "params", &params);
		if (type != NULL && type->fit_bytes != NULL &&
			aml_estimator_create(type, s->schema->task, s->traits.n_classes, params, &est, &err) == AML_OK)
		{
			bytes += type->fit_bytes(est, (int) fmin(rows, INT_MAX), (int) fmin(width, INT_MAX));
			aml_estimator_free(est);
		}
	}
	snprintf(why, whylen, "would need about %.0f MB", bytes / (1024 * 1024));
	return bytes;
}

double
aml_search_refit_scale(const Search *s)
{
	return s->opt->refit_scale > 0 ? s->opt->refit_scale : 1.0;
}

/* Seconds to refit candidate c on all rows (from its cross-validation time). */
double
aml_search_refit_seconds(const Search *s, const AmlCandidate *c)
{
	int			k = s->opt->cv_folds;

	if (c->folds_done == 0)
		return 0;
	return 1.3 * (c->fit_seconds / c->folds_done) * k / (k - 1) * aml_search_refit_scale(s) +
		s->opt->store_seconds_per_byte * c->model_bytes * k / (k - 1) * s->opt->store_scale;
}

/*
 * The global importance computed with the final model
 * (AmlSearchOptions.importance_*): seconds of CPU per explained row per
 * byte of the model's JSON state, measured on the demo's MIP table (3
 * classes, 136 inputs, models fitted on 582 rows, automl_feature_importance
 * on 195 rows with 64 permutations; CPU time of the backend), with some
 * margin (the search's byte estimates run about 30 % low):
 *   TreeSHAP of trees and forests   TREE_RATE x bytes x depth^2, depth the
 *                                   estimator's max_depth, else 2 + log2 of
 *                                   the final fit's rows (measured 2.2e-11 to
 *                                   3.0e-11: 100 trees of depth 6 0.08 s, 100
 *                                   unlimited 0.49 s, 200 extra trees 1.03 s)
 *   TreeSHAP of boosting            BOOSTING_RATE x bytes (2.8e-9: 0.17 s)
 *   the linear closed form          LINEAR_RATE x bytes (8.5e-9: 0.03 s)
 *   sampling                        PREDICT_RATE x bytes per prediction, which
 *                                   reads the whole state (1.5e-11 k-NN,
 *                                   2.4e-11 naive Bayes, 4.7e-11 boosting in
 *                                   an ensemble), 2^n predictions per row for
 *                                   n <= 10 inputs, else samples x n
 * plus PREPARE_SECONDS per model; the method as ml/explain.c chooses it:
 * trees and linear models through single-source steps only, boosting and
 * linear classifiers in an ensemble by sampling.  The caller's
 * importance_scale turns CPU into wall seconds.
 */
#define TREE_RATE 3.5e-11
#define BOOSTING_RATE 4e-9
#define LINEAR_RATE 1.5e-8
#define PREDICT_RATE 7e-11
#define PREPARE_SECONDS 0.05
#define EXACT_MAX_INPUTS 10		/* AML_EXPLAIN_EXACT_MAX */
#define IMPORTANCE_MAX_SHARE 0.10	/* of the budget: beyond, it is not kept */
#define REFIT_MAX_SHARE 0.40	/* of the budget kept for refits on more rows than the search's */

/* Seconds to explain one row of candidate c's final fit (alone: natural, else an ensemble's member). */
static double
importance_row_seconds(const Search *s, const AmlCandidate *c, bool natural)
{
	const AmlEstimatorType *type = c->estimator != NULL ? aml_estimator_type_find(c->estimator) : NULL;
	const AmlSearchSpace *space = s->opt->space;
	const AmlGenome *g = &c->genome;
	int			k = s->opt->cv_folds;
	double		store = s->opt->store_scale > 0 ? s->opt->store_scale : 1.0;
	double		bytes = c->model_bytes * k / (k - 1.0) * store;
	double		rows = fmax(s->traits.n_rows * store, 2);
	bool		classification = s->schema->task == AML_TASK_CLASSIFICATION;
	bool		mapped = g->slots[AML_SLOT_TRANSFORM].op < 0 &&
		!(g->slots[AML_SLOT_SCALER].op >= 0 &&
		  strcmp(space->ops[g->slots[AML_SLOT_SCALER].op].name, "normalizer") == 0);
	int			n = s->traits.n_inputs;
	double		evaluations;

	/* the explainer's method, from the estimator's type (ml/explain.c) */
	if (type != NULL && mapped)
	{
		if (type->trees == AML_TREES_AVERAGED)
		{
			double		depth = fmin(gene_value(space, &g->slots[AML_SLOT_ESTIMATOR], "max_depth", INFINITY),
									 2 + log2(rows));

			return TREE_RATE * bytes * depth * depth;
		}
		/* classifiers' margins are explained only as a whole model (natural) */
		if (type->trees == AML_TREES_BOOSTED && (natural || !classification))
			return BOOSTING_RATE * bytes;
		if (type->fold_link != AML_FOLD_NONE && (natural || !classification))
			return LINEAR_RATE * bytes;
	}
	evaluations = n <= EXACT_MAX_INPUTS ? ldexp(1.0, n) : (double) s->opt->importance_samples * n;
	return evaluations * PREDICT_RATE * bytes;
}

/* Seconds to compute the importance of candidate c's final fit (0: none asked). */
static double
importance_seconds(const Search *s, const AmlCandidate *c, bool natural)
{
	double		scale = s->opt->importance_scale > 0 ? s->opt->importance_scale : 1.0;

	if (s->opt->importance_rows <= 0 || c->folds_done == 0)
		return 0;
	return scale * (PREPARE_SECONDS + s->opt->importance_rows * importance_row_seconds(s, c, natural));
}

/*
 * The search's end after its last candidate: greedy ensemble selection
 * (ENSEMBLE_POOL x ENSEMBLE_ROUNDS scorings of the averaged out-of-fold
 * predictions), in proportion to the out-of-fold cells (rows x outputs),
 * and the choice of a calibration (a 5-fold cross-fit of temperature
 * scaling, a few Newton passes over the cells, for more than two classes),
 * in proportion to the cells it is fitted on (at most
 * AML_CALIBRATION_MAX_CELLS: aml_search_calibration_rows).  Measured (perf,
 * 2 CPUs): calibrating 3 750 rows of 1 000 classes took 2.2 s of the caller's
 * CPU with every row, 0.6 us a cell, allocation and copies included; the
 * selection about 0.5 us a cell (2 000 rows of 200 classes, before the
 * Newton temperature: 1.7 s for both).
 */
#define ENSEMBLE_SECONDS_PER_CELL 0.5e-6
#define CALIBRATION_SECONDS_PER_CELL 0.6e-6

double
aml_search_post_seconds(const Search *s)
{
	double		outputs = s->schema->task == AML_TASK_CLASSIFICATION ? fmax(s->traits.n_classes, 2) : 1;
	double		seconds = ENSEMBLE_SECONDS_PER_CELL * s->traits.n_rows * outputs;

	if (s->schema->task == AML_TASK_CLASSIFICATION)
		seconds += CALIBRATION_SECONDS_PER_CELL * outputs *
			aml_search_calibration_rows(s->traits.n_rows, (int) outputs);
	return seconds;
}

/* Time kept for the end whatever the model: storing the run, the search's own end and a margin. */
double
aml_search_end_reserve(const Search *s)
{
	return s->opt->reserve_seconds + aml_search_post_seconds(s) + 0.02 * s->opt->time_budget;
}

/*
 * Time kept for the end: refitting the best candidate or, when ensembles
 * are on, the best of the top estimators (an ensemble refits each member),
 * and the importance of that model (each member explained in turn) when it
 * is asked for and takes at most IMPORTANCE_MAX_SHARE of the budget.
 */
double
aml_search_reserve(const Search *s)
{
	double		r = aml_search_end_reserve(s);
	double		refit = 0;
	double		importance = 0;

	if (s->best >= 0)
	{
		refit = aml_search_refit_seconds(s, &s->cands[s->best]);
		importance = importance_seconds(s, &s->cands[s->best], true);
	}
	if (s->opt->ensemble && s->n_est > 1)
	{
		bool		used[MAX_ESTIMATORS] = {false};
		double		members = 0;
		double		members_importance = 0;

		for (int k = 0; k < ENSEMBLE_INIT && k < s->n_est; k++)
		{
			int			pick = -1;

			for (int e = 0; e < s->n_est; e++)
				if (!used[e] && (pick < 0 || s->cands[s->est_best[e]].signed_mean >
								 s->cands[s->est_best[pick]].signed_mean))
					pick = e;
			used[pick] = true;
			members += aml_search_refit_seconds(s, &s->cands[s->est_best[pick]]);
			members_importance += importance_seconds(s, &s->cands[s->est_best[pick]], false);
		}
		refit = fmax(refit, members);
		importance = fmax(importance, members_importance);
	}
	if (importance > IMPORTANCE_MAX_SHARE * s->opt->time_budget)
		importance = 0;
	/*
	 * Refits past REFIT_MAX_SHARE of the budget are not waited for when the
	 * caller can fit on fewer rows (min_refit_scale below refit_scale: it
	 * then fits on as many as the time left allows, pg/train_fit.c)
	 */
	if (s->opt->min_refit_scale > 0 && s->opt->min_refit_scale < aml_search_refit_scale(s))
	{
		double		least = refit * s->opt->min_refit_scale / aml_search_refit_scale(s);

		refit = fmin(refit, fmax(least, REFIT_MAX_SHARE * s->opt->time_budget));
	}
	return r + refit + importance;
}

