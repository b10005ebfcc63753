/*
 * evaluation_curves.c — the full evaluation report (evaluation_curves.h):
 * per-class report, ROC and precision-recall curves, reliability curves,
 * Brier score, residual summary.  Each curve follows scikit-learn 1.2's
 * definition step by step, so the numbers agree with it to rounding
 * (test/reference/evaluate.py).
 */
#include "ml/evaluation_curves.h"
#include "ml/evaluation.h"
#include "ml/decision.h"
#include "ml/metrics.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Scored
{
	double		score;
	int			index;
	bool		positive;
} Scored;

/* decreasing score; ties in decreasing row order (numpy's stable ascending sort, reversed) */
static int
by_score_desc(const void *a, const void *b)
{
	const Scored *x = a;
	const Scored *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return y->index - x->index;
}

AmlStatus
aml_binary_clf_curve(const bool *positive, const double *score, int n, double *fps, double *tps,
					 double *thresholds, int *count, AmlError *err)
{
	Scored	   *s = AML_NEW_ARRAY(Scored, n > 0 ? n : 1);
	double		tp = 0;
	int			k = 0;

	if (s == NULL)
		return aml_error_nomem(err, "a curve");
	for (int i = 0; i < n; i++)
	{
		if (isnan(score[i]))
		{
			aml_free(s);
			return aml_error(err, AML_ERR_INVALID_DATA, "a score is NaN");
		}
		s[i].score = score[i];
		s[i].index = i;
		s[i].positive = positive[i];
	}
	qsort(s, n, sizeof(Scored), by_score_desc);
	for (int i = 0; i < n; i++)
	{
		tp += s[i].positive;
		/* the last row of each run of equal scores */
		if (i == n - 1 || s[i + 1].score != s[i].score)
		{
			tps[k] = tp;
			fps[k] = (i + 1) - tp;
			thresholds[k] = s[i].score;
			k++;
		}
	}
	*count = k;
	aml_free(s);
	return AML_OK;
}

static json_object *
doubles(const double *v, int n)
{
	return aml_json_new_double_array(v, n);
}

/* roc_curve(drop_intermediate=True) and its AUC */
static json_object *
roc_json(const double *fps0, const double *tps0, const double *thr0, int m, double auc)
{
	double	   *fpr = AML_NEW_ARRAY(double, m + 1);
	double	   *tpr = AML_NEW_ARRAY(double, m + 1);
	double	   *thr = AML_NEW_ARRAY(double, m + 1);
	int			k = 0;
	json_object *o = json_object_new_object();

	if (!fpr || !tpr || !thr)
	{
		aml_free(fpr);
		aml_free(tpr);
		aml_free(thr);
		return o;
	}
	/* first point (0, 0) at thresholds[0] + 1, then the kept points */
	fpr[k] = 0;
	tpr[k] = 0;
	thr[k] = thr0[0] + 1;
	k++;
	for (int i = 0; i < m; i++)
	{
		bool		keep = true;

		/* optimal_idxs: ends, and points where the second difference is non-zero */
		if (m > 2 && i > 0 && i < m - 1)
			keep = (fps0[i + 1] - 2 * fps0[i] + fps0[i - 1]) != 0 ||
				(tps0[i + 1] - 2 * tps0[i] + tps0[i - 1]) != 0;
		if (!keep)
			continue;
		fpr[k] = fps0[i];
		tpr[k] = tps0[i];
		thr[k] = thr0[i];
		k++;
	}
	for (int i = 0; i < k; i++)
	{
		fpr[i] = fps0[m - 1] > 0 ? fpr[i] / fps0[m - 1] : NAN;
		tpr[i] = tps0[m - 1] > 0 ? tpr[i] / tps0[m - 1] : NAN;
	}
	json_object_object_add(o, "fpr", doubles(fpr, k));
	json_object_object_add(o, "tpr", doubles(tpr, k));
	json_object_object_add(o, "thresholds", doubles(thr, k));
	if (isfinite(auc))
		json_object_object_add(o, "auc", aml_json_new_double(auc));
	aml_free(fpr);
	aml_free(tpr);
	aml_free(thr);
	return o;
}

/* precision_recall_curve and average_precision_score */
static json_object *
pr_json(const double *fps, const double *tps, const double *thr, int m)
{
	double	   *p = AML_NEW_ARRAY(double, m + 1);
	double	   *r = AML_NEW_ARRAY(double, m + 1);
	double	   *t = AML_NEW_ARRAY(double, m > 0 ? m : 1);
	json_object *o = json_object_new_object();
	double		ap = 0;

	if (!p || !r || !t)
	{
		aml_free(p);
		aml_free(r);
		aml_free(t);
		return o;
	}
	/* reversed: increasing thresholds, then the (precision 1, recall 0) end point */
	for (int i = 0; i < m; i++)
	{
		int			j = m - 1 - i;
		double		ps = tps[j] + fps[j];

		p[i] = ps != 0 ? tps[j] / ps : 0;
		r[i] = tps[m - 1] == 0 ? 1 : tps[j] / tps[m - 1];
		t[i] = thr[j];
	}
	p[m] = 1;
	r[m] = 0;
	/* AP = -sum(diff(recall) * precision[:-1]) */
	for (int i = 0; i < m; i++)
		ap -= (r[i + 1] - r[i]) * p[i];
	json_object_object_add(o, "precision", doubles(p, m + 1));
	json_object_object_add(o, "recall", doubles(r, m + 1));
	json_object_object_add(o, "thresholds", doubles(t, m));
	json_object_object_add(o, "average_precision", aml_json_new_double(ap));
	aml_free(p);
	aml_free(r);
	aml_free(t);
	return o;
}

/* calibration_curve(n_bins, strategy="uniform") */
static json_object *
calibration_json(const bool *positive, const double *prob, int n)
{
	int			B = AML_CALIBRATION_BINS;
	double		sums[AML_CALIBRATION_BINS],
				trues[AML_CALIBRATION_BINS],
				tot[AML_CALIBRATION_BINS],
				pt[AML_CALIBRATION_BINS],
				pp[AML_CALIBRATION_BINS];
	int			k = 0;
	json_object *o = json_object_new_object();

	memset(sums, 0, sizeof(sums));
	memset(trues, 0, sizeof(trues));
	memset(tot, 0, sizeof(tot));
	for (int i = 0; i < n; i++)
	{
		/* np.searchsorted(inner edges, p) (side left): bins are (e_{b-1}, e_b] */
		int			b = 0;

		while (b < B - 1 && prob[i] > (b + 1) * (1.0 / B))
			b++;
		/* edge b is b * (1 / B) in floating point, as np.linspace computes it */
		sums[b] += prob[i];
		trues[b] += positive[i];
		tot[b] += 1;
	}
	for (int b = 0; b < B; b++)
		if (tot[b] > 0)
		{
			pt[k] = trues[b] / tot[b];
			pp[k] = sums[b] / tot[b];
			k++;
		}
	json_object_object_add(o, "prob_true", doubles(pt, k));
	json_object_object_add(o, "prob_pred", doubles(pp, k));
	json_object_object_add(o, "n_bins", json_object_new_int(B));
	return o;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* numpy.percentile, linear interpolation, on sorted v */
static double
percentile(const double *v, int n, double q)
{
	double		pos = q / 100.0 * (n - 1);
	int			lo = (int) floor(pos);
	int			hi = lo + 1 < n ? lo + 1 : lo;
	double		frac = pos - lo;

	return v[lo] + (v[hi] - v[lo]) * frac;
}

static AmlStatus
regression_extra(json_object *report, const double *y, const AmlMatrix *pred, AmlError *err)
{
	int			n = pred->rows;
	double	   *r = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	double		mean = 0,
				ss = 0;
	json_object *o;

	if (r == NULL)
		return aml_error_nomem(err, "residuals");
	for (int i = 0; i < n; i++)
	{
		r[i] = y[i] - AML_AT(pred, i, 0);
		mean += r[i];
	}
	mean /= n;
	for (int i = 0; i < n; i++)
		ss += (r[i] - mean) * (r[i] - mean);
	qsort(r, n, sizeof(double), cmp_double);
	o = json_object_new_object();
	json_object_object_add(o, "mean", aml_json_new_double(mean));
	if (n > 1)
		json_object_object_add(o, "std", aml_json_new_double(sqrt(ss / (n - 1))));
	json_object_object_add(o, "min", aml_json_new_double(r[0]));
	json_object_object_add(o, "q1", aml_json_new_double(percentile(r, n, 25)));
	json_object_object_add(o, "median", aml_json_new_double(percentile(r, n, 50)));
	json_object_object_add(o, "q3", aml_json_new_double(percentile(r, n, 75)));
	json_object_object_add(o, "max", aml_json_new_double(r[n - 1]));
	json_object_object_add(report, "residuals", o);
	aml_free(r);
	return AML_OK;
}

static AmlStatus
classification_extra(json_object *report, const double *y, const AmlMatrix *pred, int K,
					 bool probabilistic, const AmlCalibrator *decision, const char *const *labels,
					 AmlError *err)
{
	int			n = pred->rows;
	int		   *cm = AML_NEW_ARRAY(int, (size_t) K * K);
	double	   *yp = AML_NEW_ARRAY(double, n);
	bool	   *pos = AML_NEW_ARRAY(bool, n);
	double	   *score = AML_NEW_ARRAY(double, n);
	double	   *fps = AML_NEW_ARRAY(double, n);
	double	   *tps = AML_NEW_ARRAY(double, n);
	double	   *thr = AML_NEW_ARRAY(double, n);
	double	   *row = AML_NEW_ARRAY(double, K);
	json_object *per_class,
			   *roc,
			   *pr,
			   *cal,
			   *cmj,
			   *mat;
	AmlStatus	st = AML_OK;

	if (!cm || !yp || !pos || !score || !fps || !tps || !thr || !row)
	{
		st = aml_error_nomem(err, "an evaluation report");
		goto done;
	}
	for (int i = 0; i < n; i++)
	{
		for (int c = 0; c < K; c++)
			row[c] = AML_AT(pred, i, c);
		/* the decision of aml_model_decide */
		yp[i] = aml_decide(decision, row, K);
	}
	st = aml_confusion_matrix(y, yp, n, K, cm, err);
	if (st != AML_OK)
		goto done;
	json_object_object_add(report, "labels", aml_json_new_string_array(labels, K));
	cmj = json_object_new_object();
	mat = json_object_new_array_ext(K);
	for (int t = 0; t < K; t++)
		json_object_array_add(mat, aml_json_new_int_array(cm + (size_t) t * K, K));
	json_object_object_add(cmj, "labels", aml_json_new_string_array(labels, K));
	json_object_object_add(cmj, "matrix", mat);
	json_object_object_add(report, "confusion_matrix", cmj);

	/* classification_report: per class, zero_division = 0 */
	per_class = json_object_new_object();
	for (int c = 0; c < K; c++)
	{
		double		tp = cm[(size_t) c * K + c],
					col = 0,
					rowsum = 0,
					p,
					r,
					f;
		json_object *o = json_object_new_object();

		for (int t = 0; t < K; t++)
		{
			col += cm[(size_t) t * K + c];
			rowsum += cm[(size_t) c * K + t];
		}
		p = col > 0 ? tp / col : 0;
		r = rowsum > 0 ? tp / rowsum : 0;
		f = p + r > 0 ? 2 * p * r / (p + r) : 0;
		json_object_object_add(o, "precision", aml_json_new_double(p));
		json_object_object_add(o, "recall", aml_json_new_double(r));
		json_object_object_add(o, "f1", aml_json_new_double(f));
		json_object_object_add(o, "support", json_object_new_int((int) rowsum));
		json_object_object_add(per_class, labels[c], o);
	}
	json_object_object_add(report, "per_class", per_class);

	/* curves on the scores of each class (two classes: the second only) */
	roc = json_object_new_object();
	pr = json_object_new_object();
	cal = json_object_new_object();
	for (int c = K == 2 ? 1 : 0; c < K; c++)
	{
		int			m;
		double		npos = 0;
		double		auc = NAN;
		AmlError	e2;

		for (int i = 0; i < n; i++)
		{
			pos[i] = (int) y[i] == c;
			score[i] = AML_AT(pred, i, c);
			npos += pos[i];
		}
		if (aml_binary_clf_curve(pos, score, n, fps, tps, thr, &m, err) != AML_OK)
		{
			st = err->status;
			goto done;
		}
		if (npos > 0 && npos < n)
			(void) aml_roc_auc_binary(pos, score, n, &auc, &e2);
		json_object_object_add(roc, labels[c], roc_json(fps, tps, thr, m, auc));
		json_object_object_add(pr, labels[c], pr_json(fps, tps, thr, m));
		if (probabilistic)
			json_object_object_add(cal, labels[c], calibration_json(pos, score, n));
	}
	json_object_object_add(report, "roc_curve", roc);
	json_object_object_add(report, "pr_curve", pr);
	if (probabilistic)
	{
		json_object_object_add(report, "calibration_curve", cal);
		json_object_object_add(report, "brier", aml_json_new_double(aml_brier_score(y, pred, K)));
	}
	else
		json_object_put(cal);
done:
	aml_free(cm);
	aml_free(yp);
	aml_free(pos);
	aml_free(score);
	aml_free(fps);
	aml_free(tps);
	aml_free(thr);
	aml_free(row);
	return st;
}

double
aml_brier_score(const double *y, const AmlMatrix *pred, int n_classes)
{
	int			n = pred->rows;
	double		brier = 0;

	for (int i = 0; i < n; i++)
	{
		if (n_classes == 2)
		{
			double		d = AML_AT(pred, i, 1) - ((int) y[i] == 1);

			brier += d * d;
		}
		else
			for (int c = 0; c < n_classes; c++)
			{
				double		d = AML_AT(pred, i, c) - ((int) y[i] == c);

				brier += d * d;
			}
	}
	return n > 0 ? brier / n : NAN;
}

AmlStatus
aml_evaluation_full_report(AmlTask task, const double *y, const AmlMatrix *pred, int n_classes,
						   bool probabilistic, const char *const *labels, json_object **out,
						   AmlError *err)
{
	return aml_evaluation_full_report_decided(task, y, pred, n_classes, probabilistic, NULL, labels,
											  out, err);
}

AmlStatus
aml_evaluation_full_report_decided(AmlTask task, const double *y, const AmlMatrix *pred,
								   int n_classes, bool probabilistic, const AmlCalibrator *decision,
								   const char *const *labels, json_object **out, AmlError *err)
{
	json_object *report;
	AmlStatus	st;

	*out = NULL;
	if (pred->rows < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to evaluate");
	report = aml_evaluation_report_decided(task, y, pred, n_classes, probabilistic, decision);
	json_object_object_add(report, "task", json_object_new_string(aml_task_name(task)));
	if (task == AML_TASK_CLASSIFICATION)
		st = classification_extra(report, y, pred, n_classes, probabilistic, decision, labels, err);
	else
		st = regression_extra(report, y, pred, err);
	if (st != AML_OK)
	{
		json_object_put(report);
		return st;
	}
	*out = report;
	return AML_OK;
}
