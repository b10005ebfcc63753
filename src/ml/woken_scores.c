/*
 * woken_scores.c — Woken's (MIP) score documents and the Spark MLlib
 * arithmetic they come from (see woken_scores.h).
 */
#include "ml/woken_scores.h"
#include "ml/metrics_internal.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
