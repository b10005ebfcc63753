/*
 * decision.c — the class decided from calibrated probabilities: the
 * threshold of two classes, the class weights of more (decision.h).
 */
#include "ml/decision.h"
#include "core/memory.h"
#include "ml/estimator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THRESHOLD_CANDIDATES 256

double
aml_decision_floor(const AmlCalibrator *c, int K)
{
	return c != NULL && c->method == AML_CALIBRATION_TEMPERATURE && c->rows > 0
		? 1.0 / ((double) c->rows + K) : 0.0;
}

int
aml_decide(const AmlCalibrator *c, const double *p, int K)
{
	int			best = 0;
	double		lift;

	if (c != NULL && K == 2)
		return p[1] > c->threshold ? 1 : 0;
	if (c == NULL || c->class_weights == NULL || c->n_classes != K)
		return aml_argmax(p, K);
	lift = aml_decision_floor(c, K);
	for (int k = 1; k < K; k++)
		if (c->class_weights[k] * (p[k] - lift) > c->class_weights[best] * (p[best] - lift))
			best = k;
	return best;
}

AmlStatus
aml_decision_scores(const AmlCalibrator *c, const AmlMatrix *p, AmlMatrix **out, AmlError *err)
{
	AmlMatrix  *d;
	double		lift;

	*out = NULL;
	if (c == NULL || (p->cols != 2 && (c->class_weights == NULL || c->n_classes != p->cols)))
		return AML_OK;
	lift = aml_decision_floor(c, p->cols);
	d = aml_matrix_new(p->rows, p->cols);
	if (d == NULL)
		return aml_error_nomem(err, "the decided labels");
	for (int i = 0; i < p->rows; i++)
	{
		if (p->cols == 2)
		{
			/* argmax of (threshold, p1) is 1 exactly when p1 > threshold */
			AML_AT(d, i, 0) = c->threshold;
			AML_AT(d, i, 1) = AML_AT(p, i, 1);
		}
		else
			for (int k = 0; k < p->cols; k++)
				AML_AT(d, i, k) = c->class_weights[k] * (AML_AT(p, i, k) - lift);
	}
	*out = d;
	return AML_OK;
}

AmlStatus
aml_class_weights_choose(const AmlMatrix *proba, const double *y, int K, const AmlMetric *metric,
						 double **weights, double *alpha, double *score, AmlError *err)
{
	int			n = proba->rows;
	double	   *prior;
	double	   *w;
	double	   *best_w;
	AmlMatrix  *d;
	double		best = NAN;
	AmlError	merr;

	*weights = NULL;
	*alpha = 0;
	*score = NAN;
	if (K <= 2 || proba->cols != K || n == 0 || metric->needs_proba || metric->needs_scores)
		return AML_OK;			/* not a label metric of more than two classes */
	prior = AML_NEW_ARRAY(double, K);
	w = AML_NEW_ARRAY(double, K);
	best_w = AML_NEW_ARRAY(double, K);
	d = aml_matrix_new(n, K);
	if (!prior || !w || !best_w || !d)
	{
		aml_free(prior);
		aml_free(w);
		aml_free(best_w);
		aml_matrix_free(d);
		return aml_error_nomem(err, "class weights");
	}
	for (int k = 0; k < K; k++)
		prior[k] = 0;
	for (int i = 0; i < n; i++)
		if (y[i] >= 0 && y[i] < K)
			prior[(int) y[i]] += 1.0 / n;
	for (int a = 0; a < AML_CLASS_WEIGHT_ALPHAS; a++)
	{
		double		al = (double) a / (AML_CLASS_WEIGHT_ALPHAS - 1);
		double		s;

		/* a class without rows here gets the largest weight of the others' */
		for (int k = 0; k < K; k++)
			w[k] = prior[k] > 0 ? pow(prior[k], -al) : 0;
		for (int k = 0; k < K; k++)
			if (prior[k] == 0)
				for (int j = 0; j < K; j++)
					w[k] = fmax(w[k], w[j]);
		for (int i = 0; i < n; i++)
			for (int k = 0; k < K; k++)
				AML_AT(d, i, k) = w[k] * AML_AT(proba, i, k);
		/* a metric that cannot score these rows: no weights, not an error */
		if (aml_metric_score(metric, y, d, K, &s, &merr) != AML_OK || isnan(s))
		{
			*alpha = 0;
			best = NAN;
			break;
		}
		if (isnan(best) || aml_metric_is_better(metric, s, best))
		{
			best = s;
			*alpha = al;
			memcpy(best_w, w, sizeof(double) * (size_t) K);
		}
	}
	aml_free(prior);
	aml_free(w);
	aml_matrix_free(d);
	if (*alpha == 0)
	{
		aml_free(best_w);		/* the plain argmax: no weights */
		*score = best;
		return AML_OK;
	}
	*weights = best_w;
	*score = best;
	return AML_OK;
}

bool
aml_threshold_transfers(double share1, int n, int ones)
{
	double		expected1 = share1 * n;
	double		expected0 = (1 - share1) * n;

	if (!(share1 >= 0 && share1 <= 1) || n <= 0)
		return true;
	if (expected1 >= AML_TRANSFER_MIN_ROWS && ones < expected1 / 10)
		return false;
	if (expected0 >= AML_TRANSFER_MIN_ROWS && n - ones < expected0 / 10)
		return false;
	return true;
}

int
aml_threshold_count_ones(const AmlCalibrator *c, const AmlMatrix *calibrated)
{
	int			ones = 0;

	/* class 1 when p1 > threshold, as aml_model_decide */
	for (int i = 0; i < calibrated->rows; i++)
		ones += AML_AT(calibrated, i, 1) > c->threshold;
	return ones;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

bool
aml_threshold_share_moved(double before, double after)
{
	double		rarer = fmin(before, 1 - before);

	if (!(before >= 0 && before <= 1) || !(after >= 0 && after <= 1))
		return false;
	return fabs(after - before) > fmax(0.01, 0.25 * rarer);
}

double
aml_threshold_for_share(const double *p1, int n, double share)
{
	double	   *sorted;
	int			zeros;
	double		t;

	if (n <= 0 || !(share >= 0 && share <= 1))
		return NAN;
	sorted = AML_NEW_ARRAY(double, n);
	if (sorted == NULL)
		return NAN;
	memcpy(sorted, p1, sizeof(double) * (size_t) n);
	qsort(sorted, n, sizeof(double), cmp_double);
	/* the rows decided as class 0: the lowest, p1 <= t */
	zeros = n - (int) lround(share * n);
	if (zeros <= 0)
		t = sorted[0] / 2;
	else if (zeros >= n)
		t = sorted[n - 1];
	else
		t = (sorted[zeros - 1] + sorted[zeros]) / 2;
	aml_free(sorted);
	return t;
}

AmlStatus
aml_threshold_choose(const AmlMatrix *proba, const double *y, const AmlMetric *metric,
					 double *threshold, double *score, AmlError *err)
{
	int			n = proba->rows;
	double	   *p = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	AmlMatrix  *pred = aml_matrix_new(n, 2);
	double		best = NAN,
				best_t = 0.5;
	int			m = 0;
	int			stride;
	AmlStatus	st = AML_OK;

	*threshold = 0.5;
	*score = NAN;
	if (!p || !pred)
	{
		aml_free(p);
		aml_matrix_free(pred);
		return aml_error_nomem(err, "a decision threshold");
	}
	if (proba->cols != 2 || metric->needs_proba || metric->needs_scores)
	{
		aml_free(p);
		aml_matrix_free(pred);
		return AML_OK;			/* not a thresholded label metric: 0.5 */
	}
	{
		int			ones = 0;

		for (int i = 0; i < n; i++)
			ones += y[i] == 1;
		if (ones < AML_THRESHOLD_MIN_CLASS_ROWS || n - ones < AML_THRESHOLD_MIN_CLASS_ROWS)
		{
			aml_free(p);
			aml_matrix_free(pred);
			return AML_OK;		/* too few rows of a class to place it: 0.5 */
		}
	}
	for (int i = 0; i < n; i++)
		p[i] = AML_AT(proba, i, 1);
	qsort(p, n, sizeof(double), cmp_double);
	for (int i = 0; i < n; i++)
		if (m == 0 || p[m - 1] != p[i])
			p[m++] = p[i];
	stride = m > MAX_THRESHOLD_CANDIDATES ? m / MAX_THRESHOLD_CANDIDATES : 1;
	for (int c = -1; c < m; c += (c < 0 ? 1 : stride))
	{
		/* class 1 when p1 > t: 0.5, then midpoints between distinct values */
		double		t = c < 0 ? 0.5 : c + 1 < m ? (p[c] + p[c + 1]) / 2 : p[c];
		double		s;

		for (int i = 0; i < n; i++)
		{
			AML_AT(pred, i, 0) = t;
			AML_AT(pred, i, 1) = AML_AT(proba, i, 1);
		}
		st = aml_metric_score(metric, y, pred, 2, &s, err);
		if (st != AML_OK)
			break;
		if (isnan(best) || aml_metric_is_better(metric, s, best) ||
			(s == best && fabs(t - 0.5) < fabs(best_t - 0.5)))
		{
			best = s;
			best_t = t;
		}
	}
	aml_free(p);
	aml_matrix_free(pred);
	if (st == AML_OK)
	{
		*threshold = best_t;
		*score = best;
	}
	return st;
}

