/*
 * search_calibration.c — the chosen model's calibration from the search's
 * out-of-fold predictions (search_calibration.h).
 */
#include "search/search_calibration.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/decision.h"

#include <math.h>

int
aml_search_calibration_rows(int n, int K)
{
	int			m;

	if (K <= 2 || (double) n * K <= AML_CALIBRATION_MAX_CELLS)
		return n;
	m = AML_CALIBRATION_MAX_CELLS / K;
	if (m < AML_CALIBRATION_MIN_ROWS)
		m = AML_CALIBRATION_MIN_ROWS;
	return m < n ? m : n;
}

AmlStatus
aml_search_calibrate(const AmlCvData *cv, const AmlCandidate *cands,
					 const AmlEnsembleChoice *final, uint64_t seed, const AmlMetric *metric,
					 bool threshold_auto, double threshold, AmlCalibrator **out,
					 double logloss[2], double *share1, AmlError *err)
{
	int			K = cv->n_classes;
	int			n_all = 0;
	int			n;
	AmlMatrix  *P;
	double	   *y;
	bool	   *keep;
	int		   *perm;
	AmlCalibrator *c = NULL;
	AmlStatus	st;

	*out = NULL;
	logloss[0] = logloss[1] = NAN;
	*share1 = NAN;
	if (cv->schema->task != AML_TASK_CLASSIFICATION || K < 2)
		return AML_OK;
	for (int k = 0; k < final->n_members; k++)
	{
		const AmlCandidate *m = &cands[final->members[k]];

		if (m->oof == NULL || !m->probabilistic || m->oof->cols != K)
			return AML_OK;
	}
	for (int f = 0; f < cv->k; f++)
		n_all += cv->n_test[f];
	n = aml_search_calibration_rows(n_all, K);
	P = aml_matrix_new(n, K);
	y = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	keep = AML_NEW_ARRAY(bool, n_all > 0 ? n_all : 1);
	perm = n < n_all ? AML_NEW_ARRAY(int, n_all) : NULL;
	if (P == NULL || y == NULL || keep == NULL || (n < n_all && perm == NULL))
	{
		aml_matrix_free(P);
		aml_free(y);
		aml_free(keep);
		aml_free(perm);
		return aml_error_nomem(err, "calibration");
	}
	if (n < n_all)
	{
		/* a seeded sample of n of the out-of-fold rows, in their order */
		AmlRng		rng;

		for (int i = 0; i < n_all; i++)
			perm[i] = i;
		aml_rng_seed(&rng, seed ^ 0x5ca1ab1eULL);
		aml_rng_shuffle(&rng, perm, n_all);
		for (int i = 0; i < n; i++)
			keep[perm[i]] = true;
		aml_free(perm);
	}
	else
		for (int i = 0; i < n_all; i++)
			keep[i] = true;
	n = 0;
	for (int f = 0, pos = 0; f < cv->k; f++)
		for (int i = 0; i < cv->n_test[f]; i++, pos++)
		{
			int			row = cv->test_rows[f][i];

			if (!keep[pos])
				continue;
			for (int c2 = 0; c2 < K; c2++)
			{
				double		v = 0;

				for (int k = 0; k < final->n_members; k++)
					v += final->weights[k] * AML_AT(cands[final->members[k]].oof, row, c2);
				AML_AT(P, n, c2) = v;
			}
			y[n++] = cv->test_y[f][i];
		}
	aml_free(keep);
	st = aml_calibration_choose(P, y, K, 5, seed, &c, &logloss[0], &logloss[1], err);
	/* two classes: the decision threshold, on the calibrated predictions */
	if (st == AML_OK && K == 2)
	{
		if (threshold_auto && metric != NULL)
		{
			double		score;

			st = aml_calibrator_apply(c, P, P, err);
			if (st == AML_OK)
				st = aml_threshold_choose(P, y, metric, &c->threshold, &score, err);
			if (st == AML_OK && n > 0)
				*share1 = (double) aml_threshold_count_ones(c, P) / n;
		}
		else if (threshold > 0 && threshold < 1)
			c->threshold = threshold;
	}
	/* more classes: the class weights of the decision, on the calibrated predictions */
	if (st == AML_OK && K > 2 && threshold_auto && metric != NULL)
	{
		double		alpha;
		double		score;

		st = aml_calibrator_apply(c, P, P, err);
		/* the weights act on the probabilities before the smoothing's floor, as aml_decide */
		if (st == AML_OK)
		{
			double		lift = aml_decision_floor(c, K);

			for (size_t k = 0; k < (size_t) P->rows * (size_t) K; k++)
				P->data[k] -= lift;
			st = aml_class_weights_choose(P, y, K, metric, &c->class_weights, &alpha, &score, err);
		}
	}
	aml_matrix_free(P);
	aml_free(y);
	if (st != AML_OK)
	{
		aml_calibrator_free(c);
		return st;
	}
	if (c->method == AML_CALIBRATION_NONE && c->threshold == 0.5 && c->class_weights == NULL)
		aml_calibrator_free(c);
	else
		*out = c;
	return AML_OK;
}

AmlStatus
aml_calibrator_copy(const AmlCalibrator *c, AmlCalibrator **out, AmlError *err)
{
	json_object *j;
	AmlStatus	st;

	*out = NULL;
	if (c == NULL)
		return AML_OK;
	j = aml_calibrator_to_json(c);
	st = aml_calibrator_from_json(j, c->n_classes, out, err);
	json_object_put(j);
	return st;
}
