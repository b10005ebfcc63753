/*
 * ensemble_selection.c — greedy ensemble selection (see ensemble_selection.h),
 * written from the published description.
 */
#include "search/ensemble_selection.h"
#include "core/memory.h"
#include "ml/metrics.h"

#include <math.h>
#include <string.h>

AmlStatus
aml_ensemble_select(const AmlCvData *cv, const AmlCandidate *candidates, const int *pool,
					int n_pool, int n_init, int rounds, double deadline, AmlEnsembleChoice *out,
					AmlError *err)
{
	const AmlMatrix *first;
	AmlMatrix  *sum;
	AmlMatrix  *trial;
	int		   *counts;
	int		   *best_counts;
	int			total;
	int			best_total;
	double		best_signed;
	double		best_raw;
	bool		higher = aml_metric_higher_is_better(cv->metric);
	size_t		cells;

	memset(out, 0, sizeof(*out));
	if (n_pool < 1 || n_init < 1 || n_init > n_pool)
		return aml_error(err, AML_ERR_INTERNAL, "no candidates to ensemble");
	first = candidates[pool[0]].oof;
	cells = (size_t) first->rows * (size_t) first->cols;
	sum = aml_matrix_copy(first);
	trial = aml_matrix_new(first->rows, first->cols);
	counts = AML_NEW_ARRAY(int, n_pool);
	best_counts = AML_NEW_ARRAY(int, n_pool);
	if (sum == NULL || trial == NULL || counts == NULL || best_counts == NULL)
	{
		aml_matrix_free(sum);
		aml_matrix_free(trial);
		aml_free(counts);
		aml_free(best_counts);
		return aml_error_nomem(err, "ensemble selection");
	}
	memset(counts, 0, sizeof(int) * (size_t) n_pool);
	for (int c = 1; c < n_init; c++)
	{
		const AmlMatrix *oof = candidates[pool[c]].oof;

		for (size_t k = 0; k < cells; k++)
			sum->data[k] += oof->data[k];
	}
	for (int c = 0; c < n_init; c++)
		counts[c] = 1;
	total = best_total = n_init;
	memcpy(best_counts, counts, sizeof(int) * (size_t) n_pool);
	for (size_t k = 0; k < cells; k++)
		trial->data[k] = sum->data[k] / total;
	if (aml_metric_score(cv->metric, cv->y, trial, cv->n_classes, &best_raw, err) != AML_OK)
	{
		aml_matrix_free(sum);
		aml_matrix_free(trial);
		aml_free(counts);
		aml_free(best_counts);
		return err->status;
	}
	best_signed = higher ? best_raw : -best_raw;

	for (int r = 0; r < rounds; r++)
	{
		int			pick = -1;
		double		pick_signed = -INFINITY;
		double		pick_raw = NAN;
		double		round_start = aml_clock();

		if (aml_interrupted())
			break;
		for (int c = 0; c < n_pool; c++)
		{
			const AmlMatrix *oof = candidates[pool[c]].oof;
			double		score;
			double		signed_score;
			AmlError	serr;

			for (size_t k = 0; k < cells; k++)
				trial->data[k] = (sum->data[k] + oof->data[k]) / (total + 1);
			if (aml_metric_score(cv->metric, cv->y, trial, cv->n_classes, &score, &serr) != AML_OK ||
				!isfinite(score))
				continue;
			signed_score = higher ? score : -score;
			if (signed_score > pick_signed)
			{
				pick_signed = signed_score;
				pick_raw = score;
				pick = c;
			}
		}
		if (pick < 0)
			break;
		for (size_t k = 0; k < cells; k++)
			sum->data[k] += candidates[pool[pick]].oof->data[k];
		counts[pick]++;
		total++;
		if (pick_signed > best_signed)
		{
			best_signed = pick_signed;
			best_raw = pick_raw;
			memcpy(best_counts, counts, sizeof(int) * (size_t) n_pool);
			best_total = total;
		}
		/* another round as long as this one would not end past the deadline */
		if (deadline > 0 && aml_clock() + (aml_clock() - round_start) > deadline)
			break;
	}
	for (int c = 0; c < n_pool && out->n_members < AML_MAX_ENSEMBLE; c++)
		if (best_counts[c] > 0)
		{
			out->members[out->n_members] = pool[c];
			out->weights[out->n_members] = (double) best_counts[c] / best_total;
			out->n_members++;
		}
	out->score = best_raw;
	out->signed_score = best_signed;
	aml_matrix_free(sum);
	aml_matrix_free(trial);
	aml_free(counts);
	aml_free(best_counts);
	return AML_OK;
}
