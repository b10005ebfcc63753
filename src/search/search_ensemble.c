/*
 * search_ensemble.c — the search's ensemble phase: greedy ensemble selection
 * (search/ensemble_selection.h) over the kept out-of-fold predictions of
 * the best candidates, kept when it beats the best single pipeline in
 * cross-validation and its members can be refitted in time (see search.h).
 */
#include "search/search_internal.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Mean and std over the folds of an ensemble's averaged out-of-fold predictions. */
static void
ensemble_fold_stats(const Search *s, const AmlEnsembleChoice *e, double *mean_out, double *std_out)
{
	const AmlCvData *cv = s->cv;
	double		scores[AML_MAX_FOLDS];
	double		mean = 0;
	double		ss = 0;
	int			outputs = s->cands[e->members[0]].oof->cols;

	for (int f = 0; f < cv->k; f++)
	{
		AmlMatrix  *m = aml_matrix_new(cv->n_test[f], outputs);
		AmlError	err;

		if (m == NULL)
		{
			*mean_out = *std_out = NAN;
			return;
		}
		for (int i = 0; i < cv->n_test[f]; i++)
			for (int c = 0; c < outputs; c++)
			{
				double		v = 0;

				for (int k = 0; k < e->n_members; k++)
					v += e->weights[k] * AML_AT(s->cands[e->members[k]].oof, cv->test_rows[f][i], c);
				AML_AT(m, i, c) = v;
			}
		if (aml_metric_score(cv->metric, cv->test_y[f], m, cv->n_classes, &scores[f], &err) != AML_OK)
			scores[f] = NAN;
		aml_matrix_free(m);
		mean += scores[f];
	}
	mean /= cv->k;
	for (int f = 0; f < cv->k; f++)
		ss += (scores[f] - mean) * (scores[f] - mean);
	*mean_out = mean;
	*std_out = sqrt(ss / cv->k);
}

AmlStatus
aml_search_run_ensemble(Search *s, AmlSearchResult *r, AmlError *err)
{
	int			pool[ENSEMBLE_POOL];
	int			n_pool = 0;
	bool		classification = s->schema->task == AML_TASK_CLASSIFICATION;
	AmlEnsembleChoice e;
	double		refit = 0;
	const AmlCandidate *best;
	double		se;
	int			n_init = 1;
	double		mean;
	double		std;
	double		signed_mean;

	/*
	 * The pool: the best candidate of each estimator first (diverse models
	 * make better ensembles than variants of one), then the best others; in
	 * both rounds best first.
	 */
	for (int round = 0; round < 2; round++)
		for (int picked = n_pool; picked < ENSEMBLE_POOL; picked++)
		{
			int			next = -1;

			for (int i = 0; i < s->n; i++)
			{
				const AmlCandidate *c = &s->cands[i];
				bool		taken = false;

				if (c->status != AML_CANDIDATE_OK || c->oof == NULL ||
					(classification && !c->probabilistic) ||
					(round == 0 && !aml_search_best_of_its_estimator(s, i)))
					continue;
				for (int j = 0; j < n_pool; j++)
					if (pool[j] == i)
						taken = true;
				if (!taken && (next < 0 || c->signed_mean > s->cands[next].signed_mean))
					next = i;
			}
			if (next < 0)
				break;
			pool[n_pool++] = next;
		}
	if (n_pool < 2 || pool[0] != s->best)
		return AML_OK;

	/*
	 * Among many candidates the best cross-validation score is partly luck
	 * (a 4-deep decision tree can top 36 pipelines on 584 rows and then lose
	 * to all of them on new rows).  So the ensemble starts from the best
	 * pipelines of up to three estimators that are within two standard
	 * errors of the best, and it is kept when it is within one standard
	 * error of the best single pipeline (better, when that error is zero):
	 * averaging models that are as good is the safer bet.
	 */
	best = &s->cands[s->best];
	se = best->std / sqrt((double) s->cv->k);
	while (n_init < n_pool && n_init < ENSEMBLE_INIT && aml_search_best_of_its_estimator(s, pool[n_init]) &&
		   s->cands[pool[n_init]].signed_mean >= best->signed_mean - 2 * se)
		n_init++;
	/*
	 * Members come from the whole pool; when refitting them all would not fit
	 * in what is left, from the starting members only (their refit is what
	 * the search kept time for).
	 */
	for (int attempt = 0;; attempt++)
	{
		int			n = attempt == 0 ? n_pool : n_init;

		if (attempt > 1 || n < 2)
			return AML_OK;
		AML_TRY(aml_ensemble_select(s->cv, s->cands, pool, n, n_init, ENSEMBLE_ROUNDS,
									s->opt->max_evaluations > 0 ? 0 : s->deadline - aml_search_reserve(s) +
									aml_search_post_seconds(s), &e, err));
		if (e.n_members < 2)
			continue;
		ensemble_fold_stats(s, &e, &mean, &std);
		signed_mean = aml_metric_higher_is_better(s->cv->metric) ? mean : -mean;
		if (!(signed_mean > best->signed_mean - se))	/* se == 0: strictly better */
			continue;
		refit = 0;
		for (int k = 0; k < e.n_members; k++)
			refit += aml_search_refit_seconds(s, &s->cands[e.members[k]]);
		if (s->opt->max_evaluations > 0 ||
			aml_clock() + refit + s->opt->reserve_seconds < s->deadline)
			break;
	}
	r->final = e;
	r->is_ensemble = true;
	r->cv_score = mean;
	r->cv_std = std;
	aml_search_note(s, "ensemble");
	return AML_OK;
}

