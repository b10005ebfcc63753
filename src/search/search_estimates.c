/*
 * search_estimates.c — the search's estimates: the memory a candidate needs
 * to be evaluated, and the time the end of the search must keep for the
 * refits and storing of the winner (see search_internal.h).
 */
#include "search/search_internal.h"
#include "core/json.h"
#include "ml/pipeline.h"

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

/*
 * Rough peak bytes to evaluate a genome: copies of the data through its
 * preprocessing, and what its estimator says fitting needs (fit_bytes).
 */
double
aml_search_estimate_bytes(const Search *s, const AmlGenome *g, json_object *spec, char *why, size_t whylen)
{
	const AmlSearchSpace *space = s->opt->space;
	double		rows = (double) s->traits.n_rows * (s->opt->cv_folds - 1) / s->opt->cv_folds;
	double		width = g->ordinal ? s->traits.n_inputs : (double) s->traits.encoded_width;
	double		bytes;
	json_object *est_spec;
	json_object *type_name;

	if (g->slots[AML_SLOT_IMPUTER].op >= 0 && gene_value(space, &g->slots[AML_SLOT_IMPUTER], "add_indicator", 0))
		width += s->traits.n_inputs;
	if (g->slots[AML_SLOT_TRANSFORM].op >= 0 &&
		strcmp(space->ops[g->slots[AML_SLOT_TRANSFORM].op].name, "polynomial_features") == 0)
	{
		double		poly = width + width * (width + 1) / 2;

		if (poly > 2000)
		{
			snprintf(why, whylen, "polynomial features would make %.0f columns", poly);
			return INFINITY;
		}
		width = poly;
	}
	bytes = 3.0 * rows * width * sizeof(double);
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

/* Time kept for the end whatever the model: storing the run and a margin. */
double
aml_search_end_reserve(const Search *s)
{
	return s->opt->reserve_seconds + 0.02 * s->opt->time_budget;
}

/*
 * Time kept for the end: refitting the best candidate or, when ensembles
 * are on, the best of the top estimators (an ensemble refits each member).
 */
double
aml_search_reserve(const Search *s)
{
	double		r = aml_search_end_reserve(s);
	double		refit = 0;

	if (s->best >= 0)
		refit = aml_search_refit_seconds(s, &s->cands[s->best]);
	if (s->opt->ensemble && s->n_est > 1)
	{
		bool		used[MAX_ESTIMATORS] = {false};
		double		members = 0;

		for (int k = 0; k < ENSEMBLE_INIT && k < s->n_est; k++)
		{
			int			pick = -1;

			for (int e = 0; e < s->n_est; e++)
				if (!used[e] && (pick < 0 || s->cands[s->est_best[e]].signed_mean >
								 s->cands[s->est_best[pick]].signed_mean))
					pick = e;
			used[pick] = true;
			members += aml_search_refit_seconds(s, &s->cands[s->est_best[pick]]);
		}
		refit = fmax(refit, members);
	}
	return r + refit;
}

