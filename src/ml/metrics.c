/*
 * metrics.c — classification and regression scores (scikit-learn 1.2
 * semantics) and the registry of named metrics used by the search (see
 * metrics.h); Woken's score documents are in woken_scores.c.
 */
#include "ml/metrics.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/metrics_internal.h"

/* ------------------------------------------------------------ classification */

AmlStatus
aml_confusion_matrix(const double *y_true, const double *y_pred, int n, int n_classes,
					 int *cm, AmlError *err)
{
	if (n_classes < 1)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "a confusion matrix needs classes");
	AML_TRY(check_labels(y_true, n, n_classes, "the true labels", err));
	AML_TRY(check_labels(y_pred, n, n_classes, "the predicted labels", err));
	memset(cm, 0, sizeof(int) * (size_t) n_classes * n_classes);
	for (int i = 0; i < n; i++)
		cm[(size_t) y_true[i] * n_classes + (size_t) y_pred[i]]++;
	return AML_OK;
}

double
aml_cm_accuracy(const int *cm, int k)
{
	double		correct = 0.0;
	double		total = 0.0;

	for (int t = 0; t < k; t++)
		for (int p = 0; p < k; p++)
		{
			total += cm[t * k + p];
			if (t == p)
				correct += cm[t * k + p];
		}
	return safe_div(correct, total);
}

double
aml_cm_balanced_accuracy(const int *cm, int k)
{
	double		sum = 0.0;
	int			present = 0;

	for (int t = 0; t < k; t++)
	{
		double		support = 0.0;

		for (int p = 0; p < k; p++)
			support += cm[t * k + p];
		if (support > 0)
		{
			sum += cm[t * k + t] / support;
			present++;
		}
	}
	return present > 0 ? sum / present : 0.0;
}

/* per-class precision, recall and F1 of class c (sklearn 1.2 formulas) */
static void
class_prf(const int *cm, int k, int c, double *tp_out, double *pred_sum, double *true_sum,
		  double *precision, double *recall, double *f1)
{
	double		tp = cm[c * k + c];
	double		ps = 0.0;
	double		ts = 0.0;
	double		denom;

	for (int o = 0; o < k; o++)
	{
		ps += cm[o * k + c];
		ts += cm[c * k + o];
	}
	*tp_out = tp;
	*pred_sum = ps;
	*true_sum = ts;
	*precision = safe_div(tp, ps);
	*recall = safe_div(tp, ts);
	denom = *precision + *recall;
	if (denom == 0.0)
		denom = 1.0;
	*f1 = (1.0 + 1.0) * *precision * *recall / denom;
}

void
aml_cm_precision_recall_f1(const int *cm, int k, AmlAverage average,
						   double *precision, double *recall, double *f1)
{
	double		sp = 0.0;
	double		sr = 0.0;
	double		sf = 0.0;
	double		wsum = 0.0;
	int			labels = 0;

	if (average == AML_AVERAGE_BINARY)
	{
		double		tp, ps, ts, p = NAN, r = NAN, f = NAN;

		if (k == 2)
			class_prf(cm, k, 1, &tp, &ps, &ts, &p, &r, &f);
		if (precision)
			*precision = p;
		if (recall)
			*recall = r;
		if (f1)
			*f1 = f;
		return;
	}
	for (int c = 0; c < k; c++)
	{
		double		tp, ps, ts, p, r, f;

		class_prf(cm, k, c, &tp, &ps, &ts, &p, &r, &f);
		/* labels: classes present in y_true or y_pred */
		if (ps == 0 && ts == 0)
			continue;
		labels++;
		if (average == AML_AVERAGE_WEIGHTED)
		{
			sp += p * ts;
			sr += r * ts;
			sf += f * ts;
			wsum += ts;
		}
		else
		{
			sp += p;
			sr += r;
			sf += f;
		}
	}
	if (average == AML_AVERAGE_WEIGHTED)
	{
		if (wsum == 0.0)
			sp = sr = sf = 0.0;
		else
		{
			sp /= wsum;
			sr /= wsum;
			sf /= wsum;
		}
	}
	else if (labels > 0)
	{
		sp /= labels;
		sr /= labels;
		sf /= labels;
	}
	if (precision)
		*precision = sp;
	if (recall)
		*recall = sr;
	if (f1)
		*f1 = sf;
}

AmlStatus
aml_accuracy(const double *y_true, const double *y_pred, int n, int n_classes,
			 double *out, AmlError *err)
{
	int			correct = 0;

	if (n < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to score");
	AML_TRY(check_labels(y_true, n, n_classes, "the true labels", err));
	AML_TRY(check_labels(y_pred, n, n_classes, "the predicted labels", err));
	for (int i = 0; i < n; i++)
		correct += y_true[i] == y_pred[i];
	*out = (double) correct / n;
	return AML_OK;
}

typedef struct ScoredRow
{
	double		score;
	bool		positive;
} ScoredRow;

static int
cmp_scored(const void *a, const void *b)
{
	double		x = ((const ScoredRow *) a)->score;
	double		y = ((const ScoredRow *) b)->score;

	return (x > y) - (x < y);
}

/* AUC with rows already in work[0..n-1] (sorted here). */
static double
auc_sorted(ScoredRow *work, int n, double n_pos, double n_neg)
{
	double		neg_below = 0.0;
	double		acc = 0.0;

	qsort(work, n, sizeof(ScoredRow), cmp_scored);
	for (int a = 0; a < n;)
	{
		int			b = a;
		double		pos_g = 0.0;
		double		neg_g = 0.0;

		while (b < n && work[b].score == work[a].score)
		{
			if (work[b].positive)
				pos_g += 1.0;
			else
				neg_g += 1.0;
			b++;
		}
		acc += pos_g * (neg_below + 0.5 * neg_g);
		neg_below += neg_g;
		a = b;
	}
	return acc / (n_pos * n_neg);
}

AmlStatus
aml_roc_auc_binary(const bool *positive, const double *score, int n, double *out, AmlError *err)
{
	ScoredRow  *work;
	double		n_pos = 0.0;

	for (int i = 0; i < n; i++)
	{
		if (isnan(score[i]))
			return aml_error(err, AML_ERR_INVALID_DATA, "cannot compute ROC AUC: score of row %d is NaN", i);
		n_pos += positive[i];
	}
	if (n_pos == 0 || n_pos == n)
	{
		aml_error(err, AML_ERR_INVALID_DATA,
				  "ROC AUC is not defined when only one class is present");
		return aml_error_detail(err, "All %d rows are %s.", n, n_pos == 0 ? "negative" : "positive");
	}
	work = AML_NEW_ARRAY(ScoredRow, n);
	if (work == NULL)
		return aml_error_nomem(err, "ROC AUC");
	for (int i = 0; i < n; i++)
	{
		work[i].score = score[i];
		work[i].positive = positive[i];
	}
	*out = auc_sorted(work, n, n_pos, n - n_pos);
	aml_free(work);
	return AML_OK;
}

AmlStatus
aml_roc_auc(const double *y_true, const AmlMatrix *scores, int n_classes, double *out,
			AmlError *err)
{
	int			n = scores->rows;
	int		   *count;
	ScoredRow  *work;
	int			present = 0;
	double		sum = 0.0;
	int			first = n_classes == 2 ? 1 : 0;

	if (n < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to score");
	if (scores->cols != n_classes || n_classes < 2)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "ROC AUC needs one score per class (%d columns for %d classes)",
						 scores->cols, n_classes);
	AML_TRY(check_labels(y_true, n, n_classes, "the true labels", err));
	count = AML_NEW_ARRAY(int, n_classes);
	work = AML_NEW_ARRAY(ScoredRow, n);
	if (count == NULL || work == NULL)
	{
		aml_free(count);
		aml_free(work);
		return aml_error_nomem(err, "ROC AUC");
	}
	for (int i = 0; i < n; i++)
		count[(int) y_true[i]]++;
	for (int c = 0; c < n_classes; c++)
		present += count[c] > 0;
	if (present < 2)
	{
		aml_free(count);
		aml_free(work);
		aml_error(err, AML_ERR_INVALID_DATA,
				  "ROC AUC is not defined when only one class is present");
		aml_error_detail(err, "All %d rows belong to the same class.", n);
		return aml_error_hint(err, "Use more rows, stratified folds, or another metric such as accuracy.");
	}
	present = 0;
	/* binary: class 1 against class 0; multiclass: each class against the rest */
	for (int c = first; c < (n_classes == 2 ? 2 : n_classes); c++)
	{
		const double *col = AML_COL(scores, c);

		if (count[c] == 0 || count[c] == n)
			continue;
		for (int i = 0; i < n; i++)
		{
			work[i].score = col[i];
			work[i].positive = (int) y_true[i] == c;
		}
		sum += auc_sorted(work, n, count[c], n - count[c]);
		present++;
	}
	aml_free(count);
	aml_free(work);
	*out = sum / present;
	return AML_OK;
}

AmlStatus
aml_log_loss(const double *y_true, const AmlMatrix *proba, int n_classes, double *out,
			 AmlError *err)
{
	int			n = proba->rows;
	double		eps = DBL_EPSILON;
	double		total = 0.0;

	if (n < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to score");
	if (proba->cols != n_classes || n_classes < 2)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "log loss needs one probability per class (%d columns for %d classes)",
						 proba->cols, n_classes);
	AML_TRY(check_labels(y_true, n, n_classes, "the true labels", err));
	for (int i = 0; i < n; i++)
	{
		double		rowsum = 0.0;
		double		pt = 0.0;

		for (int c = 0; c < n_classes; c++)
		{
			double		v = AML_AT(proba, i, c);

			if (v < 0 || v > 1 || isnan(v))
			{
				aml_error(err, AML_ERR_INVALID_DATA, "log loss needs probabilities");
				return aml_error_detail(err, "Row %d has the value %g for class %d.", i, v, c);
			}
			v = v < eps ? eps : (v > 1 - eps ? 1 - eps : v);
			rowsum += v;
			if (c == (int) y_true[i])
				pt = v;
		}
		total += -log(pt / rowsum);
	}
	*out = total / n;
	return AML_OK;
}

/* ------------------------------------------------------------ regression */

double
aml_mse(const double *y, const double *yhat, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += (y[i] - yhat[i]) * (y[i] - yhat[i]);
	return s / n;
}

double
aml_rmse(const double *y, const double *yhat, int n)
{
	return sqrt(aml_mse(y, yhat, n));
}

double
aml_mae(const double *y, const double *yhat, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += fabs(y[i] - yhat[i]);
	return s / n;
}

static double
mean_of(const double *v, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s / n;
}

/* 1 - num/den with sklearn's force_finite rule for den == 0 */
static double
one_minus_ratio(double num, double den)
{
	if (den == 0.0)
		return num == 0.0 ? 1.0 : 0.0;
	return 1.0 - num / den;
}

double
aml_r2(const double *y, const double *yhat, int n)
{
	double		mean = mean_of(y, n);
	double		sse = 0.0;
	double		sst = 0.0;

	for (int i = 0; i < n; i++)
	{
		sse += (y[i] - yhat[i]) * (y[i] - yhat[i]);
		sst += (y[i] - mean) * (y[i] - mean);
	}
	return one_minus_ratio(sse, sst);
}

double
aml_explained_variance(const double *y, const double *yhat, int n)
{
	double		mean = mean_of(y, n);
	double		mean_err = 0.0;
	double		num = 0.0;
	double		den = 0.0;

	for (int i = 0; i < n; i++)
		mean_err += y[i] - yhat[i];
	mean_err /= n;
	for (int i = 0; i < n; i++)
	{
		double		e = y[i] - yhat[i] - mean_err;

		num += e * e;
		den += (y[i] - mean) * (y[i] - mean);
	}
	return one_minus_ratio(num / n, den / n);
}

/* ------------------------------------------------------------ registry */

enum
{
	V_ACCURACY,
	V_BALANCED,
	V_PRECISION,
	V_RECALL,
	V_F1,
	V_MSE,
	V_RMSE,
	V_MAE,
	V_R2,
	V_EV
};

static AmlStatus metric_from_labels(const AmlMetric *m, const double *y_true,
									const AmlMatrix *pred, int n_classes, double *score,
									AmlError *err);
static AmlStatus metric_roc_auc(const AmlMetric *m, const double *y_true,
								const AmlMatrix *pred, int n_classes, double *score,
								AmlError *err);
static AmlStatus metric_log_loss(const AmlMetric *m, const double *y_true,
								 const AmlMatrix *pred, int n_classes, double *score,
								 AmlError *err);
static AmlStatus metric_regression(const AmlMetric *m, const double *y_true,
								   const AmlMatrix *pred, int n_classes, double *score,
								   AmlError *err);

#define CLS AML_TASK_CLASSIFICATION
#define REG AML_TASK_REGRESSION
#define AVG(v, a) ((v) * 4 + (a))

static const AmlMetric metrics[] = {
	{"accuracy", "accuracy", CLS, true, false, false, metric_from_labels, AVG(V_ACCURACY, 0)},
	{"balanced_accuracy", "balanced accuracy", CLS, true, false, false, metric_from_labels,
	AVG(V_BALANCED, 0)},
	{"f1", "F1 score of class 1", CLS, true, false, false, metric_from_labels,
	AVG(V_F1, AML_AVERAGE_BINARY)},
	{"f1_macro", "macro-averaged F1 score", CLS, true, false, false, metric_from_labels,
	AVG(V_F1, AML_AVERAGE_MACRO)},
	{"f1_weighted", "support-weighted F1 score", CLS, true, false, false, metric_from_labels,
	AVG(V_F1, AML_AVERAGE_WEIGHTED)},
	{"precision", "precision of class 1", CLS, true, false, false, metric_from_labels,
	AVG(V_PRECISION, AML_AVERAGE_BINARY)},
	{"precision_macro", "macro-averaged precision", CLS, true, false, false, metric_from_labels,
	AVG(V_PRECISION, AML_AVERAGE_MACRO)},
	{"precision_weighted", "support-weighted precision", CLS, true, false, false,
	metric_from_labels, AVG(V_PRECISION, AML_AVERAGE_WEIGHTED)},
	{"recall", "recall of class 1", CLS, true, false, false, metric_from_labels,
	AVG(V_RECALL, AML_AVERAGE_BINARY)},
	{"recall_macro", "macro-averaged recall", CLS, true, false, false, metric_from_labels,
	AVG(V_RECALL, AML_AVERAGE_MACRO)},
	{"recall_weighted", "support-weighted recall", CLS, true, false, false, metric_from_labels,
	AVG(V_RECALL, AML_AVERAGE_WEIGHTED)},
	{"roc_auc", "area under the ROC curve", CLS, true, false, true, metric_roc_auc, 0},
	{"log_loss", "log loss (cross-entropy)", CLS, false, true, true, metric_log_loss, 0},
	{"r2", "coefficient of determination R²", REG, true, false, false, metric_regression, V_R2},
	{"mse", "mean squared error", REG, false, false, false, metric_regression, V_MSE},
	{"rmse", "root mean squared error", REG, false, false, false, metric_regression, V_RMSE},
	{"mae", "mean absolute error", REG, false, false, false, metric_regression, V_MAE},
	{"explained_variance", "explained variance", REG, true, false, false, metric_regression,
	V_EV},
};

#define N_METRICS ((int) (sizeof(metrics) / sizeof(metrics[0])))

int
aml_metric_count(void)
{
	return N_METRICS;
}

const AmlMetric *
aml_metric_at(int i)
{
	return i >= 0 && i < N_METRICS ? &metrics[i] : NULL;
}

const AmlMetric *
aml_metric_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < N_METRICS; i++)
		if (strcmp(metrics[i].name, name) == 0)
			return &metrics[i];
	return NULL;
}

const AmlMetric *
aml_metric_default(AmlTask task)
{
	return aml_metric_find(task == AML_TASK_CLASSIFICATION ? "accuracy" : "r2");
}

static void
list_metric_names(AmlTask task, char *buf, size_t buflen)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; i < N_METRICS && used < buflen; i++)
		if (metrics[i].task == task)
			used += (size_t) snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "",
									  metrics[i].name);
}

AmlStatus
aml_metric_lookup(const char *name, AmlTask task, const AmlMetric **out, AmlError *err)
{
	const AmlMetric *m = aml_metric_find(name);
	char		names[512];

	*out = NULL;
	list_metric_names(task, names, sizeof(names));
	if (m == NULL)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown metric \"%s\"", name ? name : "");
		return aml_error_detail(err, "Metrics for %s are: %s.", aml_task_name(task), names);
	}
	if (m->task != task)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "metric \"%s\" is for %s, not %s", name,
				  aml_task_name(m->task), aml_task_name(task));
		return aml_error_detail(err, "Metrics for %s are: %s.", aml_task_name(task), names);
	}
	*out = m;
	return AML_OK;
}

bool
aml_metric_higher_is_better(const AmlMetric *m)
{
	return m->greater_is_better;
}

bool
aml_metric_is_better(const AmlMetric *m, double a, double b)
{
	if (isnan(a))
		return false;
	if (isnan(b))
		return true;
	return m->greater_is_better ? a > b : a < b;
}

double
aml_metric_worst(const AmlMetric *m)
{
	return m->greater_is_better ? -INFINITY : INFINITY;
}

double
aml_metric_signed(const AmlMetric *m, double score)
{
	return m->greater_is_better ? score : -score;
}

AmlStatus
aml_metric_score(const AmlMetric *m, const double *y_true, const AmlMatrix *pred,
				 int n_classes, double *score, AmlError *err)
{
	int			n = pred->rows;
	size_t		total = (size_t) pred->rows * (size_t) pred->cols;

	*score = NAN;
	if (n < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to compute %s on", m->name);
	if (m->task == AML_TASK_CLASSIFICATION)
	{
		if (n_classes < 2 || pred->cols != n_classes)
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "%s needs %d class scores per row, got %d", m->name, n_classes,
							 pred->cols);
	}
	else if (pred->cols != 1)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "%s needs one predicted value per row, got %d", m->name, pred->cols);
	for (size_t e = 0; e < total; e++)
		if (isnan(pred->data[e]))
		{
			aml_error(err, AML_ERR_INVALID_DATA, "cannot compute %s: a prediction is NaN", m->name);
			return aml_error_detail(err, "Row %d has a NaN prediction.", (int) (e % (size_t) n));
		}
	for (int i = 0; i < n; i++)
		if (isnan(y_true[i]))
			return aml_error(err, AML_ERR_INVALID_DATA,
							 "cannot compute %s: the true value of row %d is missing", m->name, i);
	return m->fn(m, y_true, pred, n_classes, score, err);
}

static AmlStatus
metric_from_labels(const AmlMetric *m, const double *y_true, const AmlMatrix *pred,
				   int n_classes, double *score, AmlError *err)
{
	int			n = pred->rows;
	int			k = n_classes;
	int		   *cm;
	int			what = m->variant / 4;
	AmlAverage	average = (AmlAverage) (m->variant % 4);
	double		p, r, f;

	AML_TRY(check_labels(y_true, n, k, "the true labels", err));
	if (average == AML_AVERAGE_BINARY && (what == V_PRECISION || what == V_RECALL || what == V_F1)
		&& k != 2)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "metric \"%s\" needs two classes, not %d",
				  m->name, k);
		return aml_error_hint(err, "Use %s_macro or %s_weighted for more classes.", m->name,
							  m->name);
	}
	cm = AML_NEW_ARRAY(int, (size_t) k * k);
	if (cm == NULL)
		return aml_error_nomem(err, "a confusion matrix");
	for (int i = 0; i < n; i++)
	{
		int			best = 0;

		for (int c = 1; c < k; c++)
			if (AML_AT(pred, i, c) > AML_AT(pred, i, best))
				best = c;
		cm[(size_t) y_true[i] * k + best]++;
	}
	switch (what)
	{
		case V_ACCURACY:
			*score = aml_cm_accuracy(cm, k);
			break;
		case V_BALANCED:
			*score = aml_cm_balanced_accuracy(cm, k);
			break;
		default:
			aml_cm_precision_recall_f1(cm, k, average, &p, &r, &f);
			*score = what == V_PRECISION ? p : what == V_RECALL ? r : f;
			break;
	}
	aml_free(cm);
	return AML_OK;
}

static AmlStatus
metric_roc_auc(const AmlMetric *m, const double *y_true, const AmlMatrix *pred, int n_classes,
			   double *score, AmlError *err)
{
	return aml_roc_auc(y_true, pred, n_classes, score, err);
}

static AmlStatus
metric_log_loss(const AmlMetric *m, const double *y_true, const AmlMatrix *pred,
				int n_classes, double *score, AmlError *err)
{
	return aml_log_loss(y_true, pred, n_classes, score, err);
}

static AmlStatus
metric_regression(const AmlMetric *m, const double *y_true, const AmlMatrix *pred,
				  int n_classes, double *score, AmlError *err)
{
	int			n = pred->rows;
	const double *yhat = pred->data;

	switch (m->variant)
	{
		case V_MSE:
			*score = aml_mse(y_true, yhat, n);
			break;
		case V_RMSE:
			*score = aml_rmse(y_true, yhat, n);
			break;
		case V_MAE:
			*score = aml_mae(y_true, yhat, n);
			break;
		case V_R2:
			*score = aml_r2(y_true, yhat, n);
			break;
		default:
			*score = aml_explained_variance(y_true, yhat, n);
			break;
	}
	return AML_OK;
}
