/*
 * metrics.c — classification and regression scores (scikit-learn 1.2
 * semantics), the registry of named metrics used by the search, and Woken's
 * score documents (see metrics.h).
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

/* ------------------------------------------------------------ helpers */

static bool
valid_label(double v, int n_classes)
{
	return v >= 0 && v < n_classes && v == floor(v);
}

static AmlStatus
check_labels(const double *y, int n, int n_classes, const char *what, AmlError *err)
{
	for (int i = 0; i < n; i++)
		if (!valid_label(y[i], n_classes))
		{
			aml_error(err, AML_ERR_INVALID_DATA, "invalid class index %g in %s (row %d)",
					  y[i], what, i);
			return aml_error_detail(err, "Class indices must be integers from 0 to %d.",
									n_classes - 1);
		}
	return AML_OK;
}

static double
safe_div(double a, double b)
{
	return b == 0.0 ? 0.0 : a / b;
}

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

/*
 * Spark MLlib's MultivariateOnlineSummarizer for one column, fed in row order
 * (one partition): Welford updates over the non-zero values, then Spark's
 * corrections for the zeros.  Woken's scores come from it, and reproducing
 * its arithmetic reproduces Woken's numbers to the last bit.
 */
typedef struct SparkSummary
{
	double		n;				/* rows */
	double		nnz;			/* non-zero values */
	double		mean;			/* running mean of the non-zero values */
	double		m2n;			/* sum of squared deviations (non-zero values) */
	double		m2;				/* sum of squares */
	double		l1;				/* sum of absolute values */
} SparkSummary;

static void
spark_summary_init(SparkSummary *s)
{
	memset(s, 0, sizeof(*s));
}

static void
spark_summary_add(SparkSummary *s, double v)
{
	s->n += 1.0;
	if (v != 0.0)
	{
		double		prev = s->mean;
		double		diff = v - prev;

		s->mean = prev + 1.0 * diff / (s->nnz + 1.0);
		s->m2n += 1.0 * (v - s->mean) * diff;
		s->m2 += 1.0 * v * v;
		s->l1 += 1.0 * fabs(v);
		s->nnz += 1.0;
	}
}

static double
spark_summary_mean(const SparkSummary *s)
{
	return s->mean * (s->nnz / s->n);
}

/* sample variance (0 for a single row) */
static double
spark_summary_variance(const SparkSummary *s)
{
	double		denominator = s->n - (s->n / s->n);
	double		v;

	if (!(denominator > 0.0))
		return 0.0;
	v = (s->m2n + s->mean * s->mean * s->nnz * (s->n - s->nnz) / s->n) / denominator;
	return v > 0.0 ? v : 0.0;
}

double
aml_explained_variance_spark(const double *y, const double *yhat, int n)
{
	SparkSummary sy;
	double		mean;
	double		ssreg = 0.0;

	spark_summary_init(&sy);
	for (int i = 0; i < n; i++)
		spark_summary_add(&sy, y[i]);
	mean = spark_summary_mean(&sy);
	for (int i = 0; i < n; i++)
		ssreg += (yhat[i] - mean) * (yhat[i] - mean);
	return ssreg / n;
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

/* ------------------------------------------------------------ Woken */

static AmlStatus
woken_check_values(const double *y_true, const double *y_pred, int n, AmlError *err)
{
	if (n < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to score");
	for (int i = 0; i < n; i++)
		if (isnan(y_true[i]) || isnan(y_pred[i]))
			return aml_error(err, AML_ERR_INVALID_DATA, "cannot score row %d: %s value is NaN",
							 i, isnan(y_true[i]) ? "the true" : "the predicted");
	return AML_OK;
}

AmlStatus
aml_woken_regression_score(const double *y_true, const double *y_pred, int n,
						   json_object **out, AmlError *err)
{
	json_object *o;
	SparkSummary sy;
	SparkSummary se;
	double		sserr;
	double		sstot;
	double		mse;
	double		r2;

	*out = NULL;
	AML_TRY(woken_check_values(y_true, y_pred, n, err));
	/* Spark RegressionMetrics: a summary of (y, y - yhat) */
	spark_summary_init(&sy);
	spark_summary_init(&se);
	for (int i = 0; i < n; i++)
	{
		spark_summary_add(&sy, y_true[i]);
		spark_summary_add(&se, y_true[i] - y_pred[i]);
	}
	sserr = pow(sqrt(se.m2), 2);
	sstot = spark_summary_variance(&sy) * (sy.n - 1);
	mse = sserr / sy.n;
	/* Spark divides by zero for a constant target; use sklearn's finite rule */
	r2 = sstot == 0.0 ? (sserr == 0.0 ? 1.0 : 0.0) : 1 - sserr / sstot;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("RegressionScore"));
	json_object_object_add(o, "MSE", aml_json_new_number(mse));
	json_object_object_add(o, "RMSE", aml_json_new_number(sqrt(mse)));
	json_object_object_add(o, "R-squared", aml_json_new_number(r2));
	json_object_object_add(o, "MAE", aml_json_new_number(se.l1 / sy.n));
	json_object_object_add(o, "Explained variance",
						   aml_json_new_number(aml_explained_variance_spark(y_true, y_pred, n)));
	*out = o;
	return AML_OK;
}

static json_object *
woken_confusion_json(const int *cm, const char *const *labels, int k)
{
	json_object *o = json_object_new_object();
	json_object *values = json_object_new_array();

	json_object_object_add(o, "labels", aml_json_new_string_array(labels, k));
	for (int t = 0; t < k; t++)
		json_object_array_add(values, aml_json_new_int_array(cm + (size_t) t * k, k));
	json_object_object_add(o, "values", values);
	return o;
}

/* Confusion matrix of a Woken score (labels validated). */
static AmlStatus
woken_confusion(const double *y_true, const double *y_pred, int n,
				const char *const *labels, int n_labels, int **cm, AmlError *err)
{
	*cm = NULL;
	AML_TRY(woken_check_values(y_true, y_pred, n, err));
	if (labels == NULL || n_labels < 1)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "a classification score needs labels");
	for (int i = 0; i < n; i++)
	{
		double		bad = !valid_label(y_true[i], n_labels) ? y_true[i] :
			!valid_label(y_pred[i], n_labels) ? y_pred[i] : -1;

		if (bad != -1)
		{
			aml_error(err, AML_ERR_INVALID_DATA, "cannot find label %g in the %d labels", bad,
					  n_labels);
			return aml_error_detail(err, "Row %d has a class index outside 0 .. %d.", i,
									n_labels - 1);
		}
	}
	*cm = AML_NEW_ARRAY(int, (size_t) n_labels * n_labels);
	if (*cm == NULL)
		return aml_error_nomem(err, "a confusion matrix");
	for (int i = 0; i < n; i++)
		(*cm)[(size_t) y_true[i] * n_labels + (size_t) y_pred[i]]++;
	return AML_OK;
}

/*
 * The order in which Spark's MulticlassMetrics visits the labels when it sums
 * its weighted metrics (labelCountByClass, a countByValue() result): the
 * reduce-side AppendOnlyMap (murmur3 of Java's Double.hashCode, quadratic
 * probing, one partition), then Scala's toMap, which keeps that order for up
 * to 4 labels and otherwise iterates a hash trie keyed by the improved hash of
 * the label.  Floating-point sums depend on the order, so following it
 * reproduces Woken's numbers to the last bit.  order[] receives the classes
 * present in y_true; returns how many.
 */
static uint32_t
rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t
murmur3_int(uint32_t k)
{
	uint32_t	h = 0;

	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	h = h * 5 + 0xe6546b64u;
	h ^= 4;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t
java_double_hash(double d)
{
	uint64_t	bits;

	memcpy(&bits, &d, sizeof(bits));
	return (uint32_t) (bits ^ (bits >> 32));
}

/* scala.collection.immutable.HashMap: trie order of the improved hash of key.## */
static uint64_t
scala_trie_key(int label)
{
	uint32_t	h = (uint32_t) label;
	uint64_t	key = 0;

	h = h + ~(h << 9);
	h = h ^ (h >> 14);
	h = h + (h << 4);
	h = h ^ (h >> 10);
	for (int level = 0; level < 7; level++)
		key = (key << 5) | ((h >> (5 * level)) & 31);
	return key;
}

static AmlStatus
spark_label_order(const double *y_true, int n, int k, int *order, int *n_present,
				  AmlError *err)
{
	bool	   *seen = AML_NEW_ARRAY(bool, k);
	int			cap = 64;
	int		   *table = NULL;
	int			size = 0;
	int			m = 0;

	if (seen == NULL)
		return aml_error_nomem(err, "a score");
	table = AML_NEW_ARRAY(int, cap);
	if (table == NULL)
	{
		aml_free(seen);
		return aml_error_nomem(err, "a score");
	}
	for (int s = 0; s < cap; s++)
		table[s] = -1;
	for (int i = 0; i < n; i++)
	{
		int			c = (int) y_true[i];
		uint32_t	pos;

		if (seen[c])
			continue;
		seen[c] = true;
		pos = murmur3_int(java_double_hash((double) c)) & (uint32_t) (cap - 1);
		for (uint32_t delta = 1; table[pos] >= 0; delta++)
			pos = (pos + delta) & (uint32_t) (cap - 1);
		table[pos] = c;
		if (++size > (int) (0.7 * cap))
		{
			int			ncap = cap * 2;
			int		   *nt = AML_NEW_ARRAY(int, ncap);

			if (nt == NULL)
			{
				aml_free(seen);
				aml_free(table);
				return aml_error_nomem(err, "a score");
			}
			for (int s = 0; s < ncap; s++)
				nt[s] = -1;
			for (int s = 0; s < cap; s++)
				if (table[s] >= 0)
				{
					uint32_t	np = murmur3_int(java_double_hash((double) table[s])) &
						(uint32_t) (ncap - 1);

					for (uint32_t delta = 1; nt[np] >= 0; delta++)
						np = (np + delta) & (uint32_t) (ncap - 1);
					nt[np] = table[s];
				}
			aml_free(table);
			table = nt;
			cap = ncap;
		}
	}
	for (int s = 0; s < cap; s++)
		if (table[s] >= 0)
			order[m++] = table[s];
	if (m > 4)
	{
		/* insertion sort by trie key (few labels) */
		for (int a = 1; a < m; a++)
			for (int b = a; b > 0 && scala_trie_key(order[b]) < scala_trie_key(order[b - 1]); b--)
			{
				int			t = order[b];

				order[b] = order[b - 1];
				order[b - 1] = t;
			}
	}
	aml_free(seen);
	aml_free(table);
	*n_present = m;
	return AML_OK;
}

AmlStatus
aml_woken_polynomial_score(const double *y_true, const double *y_pred, int n,
						   const char *const *labels, int n_labels,
						   json_object **out, AmlError *err)
{
	int		   *cm;
	int			k = n_labels;
	double		tp_total = 0.0;
	double		wp = 0.0;
	double		wr = 0.0;
	double		wf = 0.0;
	double		wfpr = 0.0;
	int		   *order;
	int			n_present = 0;
	json_object *o;

	*out = NULL;
	AML_TRY(woken_confusion(y_true, y_pred, n, labels, n_labels, &cm, err));
	order = AML_NEW_ARRAY(int, k);
	if (order == NULL)
	{
		aml_free(cm);
		return aml_error_nomem(err, "a score");
	}
	if (spark_label_order(y_true, n, k, order, &n_present, err) != AML_OK)
	{
		aml_free(order);
		aml_free(cm);
		return err->status;
	}
	for (int c = 0; c < k; c++)
		tp_total += cm[(size_t) c * k + c];
	/* Spark MulticlassMetrics: weighted by the true count of each class */
	for (int m = 0; m < n_present; m++)
	{
		int			c = order[m];
		double		tp = cm[(size_t) c * k + c];
		double		fp = 0.0;
		double		count = 0.0;
		double		precision;
		double		recall;
		double		f1;
		double		fpr;

		for (int o2 = 0; o2 < k; o2++)
		{
			count += cm[(size_t) c * k + o2];
			if (o2 != c)
				fp += cm[(size_t) o2 * k + c];
		}
		precision = safe_div(tp, tp + fp);
		recall = tp / count;
		f1 = precision + recall == 0 ? 0.0 :
			(1.0 + 1.0) * precision * recall / (1.0 * precision + recall);
		fpr = safe_div(fp, n - count);
		wp += precision * count / n;
		wr += recall * count / n;
		wf += f1 * count / n;
		wfpr += fpr * count / n;
	}
	aml_free(order);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("PolynomialClassificationScore"));
	json_object_object_add(o, "Accuracy", aml_json_new_number(tp_total / n));
	json_object_object_add(o, "Confusion matrix", woken_confusion_json(cm, labels, k));
	json_object_object_add(o, "Weighted precision", aml_json_new_number(wp));
	json_object_object_add(o, "Weighted recall", aml_json_new_number(wr));
	json_object_object_add(o, "Weighted F1-score", aml_json_new_number(wf));
	json_object_object_add(o, "Weighted false positive rate", aml_json_new_number(wfpr));
	aml_free(cm);
	*out = o;
	return AML_OK;
}

AmlStatus
aml_woken_binary_score(const double *y_true, const double *y_pred, int n,
					   const char *const *labels, int n_labels,
					   json_object **out, AmlError *err)
{
	int		   *cm;
	double		precision;
	double		recall;
	double		f1;
	json_object *o;

	*out = NULL;
	if (n_labels != 2)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "a binary classification score needs 2 labels, not %d", n_labels);
	AML_TRY(woken_confusion(y_true, y_pred, n, labels, n_labels, &cm, err));
	/* class index 0 is the positive class */
	recall = safe_div(cm[0], (double) cm[0] + cm[1]);
	precision = safe_div(cm[0], (double) cm[0] + cm[2]);
	f1 = precision + recall == 0 ? 0.0 : 2.0 * precision * recall / (precision + recall);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("BinaryClassificationScore"));
	json_object_object_add(o, "Confusion matrix", woken_confusion_json(cm, labels, 2));
	json_object_object_add(o, "Accuracy", aml_json_new_number((double) (cm[0] + cm[3]) / n));
	json_object_object_add(o, "Recall", aml_json_new_number(recall));
	json_object_object_add(o, "Precision", aml_json_new_number(precision));
	json_object_object_add(o, "F1-score", aml_json_new_number(f1));
	json_object_object_add(o, "False positive rate",
						   aml_json_new_number(safe_div(cm[2], (double) cm[2] + cm[3])));
	aml_free(cm);
	*out = o;
	return AML_OK;
}

AmlStatus
aml_woken_score(AmlTask task, const double *y_true, const double *y_pred, int n,
				const char *const *labels, int n_labels, json_object **out, AmlError *err)
{
	if (task == AML_TASK_REGRESSION)
		return aml_woken_regression_score(y_true, y_pred, n, out, err);
	if (n_labels == 2)
		return aml_woken_binary_score(y_true, y_pred, n, labels, n_labels, out, err);
	return aml_woken_polynomial_score(y_true, y_pred, n, labels, n_labels, out, err);
}
