/*
 * feature_selection.c — column selectors: variance_threshold (unsupervised)
 * and the univariate filters select_k_best, select_percentile and
 * select_fwe (scikit-learn 1.2's VarianceThreshold, SelectKBest,
 * SelectPercentile, SelectFwe).
 *
 * Scores of the univariate filters, chosen by the task:
 *   classification  ANOVA F (f_classif) over the classes present in y;
 *   regression      f_regression: F = r^2 / (1 - r^2) (n - 2) from Pearson's r,
 * with p-values from the F distribution (core/distributions.h).  Sums are
 * centred (two passes), which is more accurate than scikit-learn's
 * sum-of-squares formulas; on real data the two agree to ~1e-12.
 *
 * Selection follows scikit-learn exactly: NaN scores count as the lowest
 * possible score; select_k_best keeps the k highest scores with ties going
 * to the later column (a stable ascending sort, the last k); select_percentile
 * keeps scores above numpy's linear percentile at 100 - percentile plus,
 * in column order, as many scores equal to it as scikit-learn's
 * "max_feats - kept" slice allows; select_fwe keeps p < alpha / n_features.
 * The output keeps the selected columns in input order.
 *
 * Degenerate cases: a constant column gets F = NaN and p = NaN for
 * classification (scikit-learn's 0/0), F = 0 and p = 1 for regression
 * (scikit-learn's force_finite); a perfect linear fit gets F = DBL_MAX, p = 0.
 * Deviation: when a selector would keep no column (no p-value below the
 * bound, a tiny percentile, every variance at or below the threshold —
 * where scikit-learn returns an empty matrix or raises), the single best
 * column is kept instead: the highest score (the later column on ties) or,
 * for variance_threshold, the highest variance (the first column on ties).
 * k larger than the number of columns keeps them all.
 */
#include "ml/transformer.h"
#include "core/distributions.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- params */

typedef struct VarianceParams
{
	double		threshold;
} VarianceParams;

static const AmlParamSpec variance_specs[] = {
	{"threshold", AML_PARAM_DOUBLE, offsetof(VarianceParams, threshold), 0, 0, INFINITY, false,
	false, false, NULL, "columns whose variance is not above it are removed"},
};

typedef struct KBestParams
{
	int			k;
} KBestParams;

static const AmlParamSpec kbest_specs[] = {
	{"k", AML_PARAM_INT, offsetof(KBestParams, k), 10, 1, 2147483647.0, false, false, true, NULL,
	"number of columns to keep (null: all)"},
};

typedef struct PercentileParams
{
	double		percentile;
} PercentileParams;

static const AmlParamSpec percentile_specs[] = {
	{"percentile", AML_PARAM_DOUBLE, offsetof(PercentileParams, percentile), 10, 0, 100, true,
	false, false, NULL, "percentage of the columns to keep, by score"},
};

typedef struct FweParams
{
	double		alpha;
} FweParams;

static const AmlParamSpec fwe_specs[] = {
	{"alpha", AML_PARAM_DOUBLE, offsetof(FweParams, alpha), 0.05, 0, 1, true, false, false, NULL,
	"family-wise error rate: keep columns with p-value below alpha / number of columns"},
};

/* ---------------------------------------------------------------- state */

typedef struct SelectState
{
	int			p;
	double	   *scores;			/* p: F statistics, or variances */
	double	   *pvalues;		/* p: p-values (NaN for variance_threshold) */
	int			n_sel;
	int		   *sel;			/* n_sel: kept input columns, ascending */
} SelectState;

static bool
is_variance(const AmlTransformer *t)
{
	return t->type == &aml_variance_threshold_type;
}

static void
select_free(AmlTransformer *t)
{
	SelectState *s = t->state;

	if (s == NULL)
		return;
	aml_free(s->scores);
	aml_free(s->sel);
	aml_free(s);
	t->state = NULL;
}

static SelectState *
select_new(int p)
{
	SelectState *s = AML_NEW(SelectState);

	if (s == NULL)
		return NULL;
	s->p = p;
	s->scores = AML_NEW_ARRAY(double, 2 * (size_t) (p > 0 ? p : 1));
	s->sel = AML_NEW_ARRAY(int, p > 0 ? p : 1);
	if (s->scores == NULL || s->sel == NULL)
	{
		aml_free(s->scores);
		aml_free(s->sel);
		aml_free(s);
		return NULL;
	}
	s->pvalues = s->scores + p;
	return s;
}

/* ---------------------------------------------------------------- scores */

/* ANOVA F of each column over the classes present in y */
static AmlStatus
f_classif(const AmlTransformer *t, const AmlMatrix *X, const double *y, double *F, double *pv,
		  AmlError *err)
{
	int			n = X->rows;
	int			p = X->cols;
	int			K = t->n_classes;
	int		   *cls;
	double	   *count;
	double	   *sum;
	int			present = 0;
	double		dfbn;
	double		dfwn;

	for (int i = 0; i < n; i++)
	{
		if (!(y[i] >= 0) || y[i] != floor(y[i]))
			return aml_error(err, AML_ERR_INVALID_DATA, "class labels must be 0, 1, 2 ...");
		if (y[i] + 1 > K)
			K = (int) y[i] + 1;
	}
	cls = AML_NEW_ARRAY(int, n);
	count = AML_NEW_ARRAY(double, 2 * (size_t) K);
	if (cls == NULL || count == NULL)
	{
		aml_free(cls);
		aml_free(count);
		return aml_error_nomem(err, "F statistics");
	}
	sum = count + K;
	for (int i = 0; i < n; i++)
	{
		cls[i] = (int) y[i];
		count[cls[i]] += 1;
	}
	for (int c = 0; c < K; c++)
		present += count[c] > 0;
	dfbn = present - 1;
	dfwn = n - present;
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		total = 0;
		double		mean;
		double		lo = x[0];
		double		hi = x[0];
		double		ssbn = 0;
		double		sswn = 0;

		memset(sum, 0, sizeof(double) * K);
		for (int i = 0; i < n; i++)
		{
			sum[cls[i]] += x[i];
			total += x[i];
			if (x[i] < lo)
				lo = x[i];
			if (x[i] > hi)
				hi = x[i];
		}
		if (lo == hi)
		{
			/* constant column: 0 / 0 */
			F[j] = NAN;
			pv[j] = NAN;
			continue;
		}
		mean = total / n;
		for (int c = 0; c < K; c++)
			if (count[c] > 0)
			{
				sum[c] /= count[c];		/* now the class mean */
				ssbn += count[c] * (sum[c] - mean) * (sum[c] - mean);
			}
		for (int i = 0; i < n; i++)
		{
			double		d = x[i] - sum[cls[i]];

			sswn += d * d;
		}
		F[j] = (ssbn / dfbn) / (sswn / dfwn);
		pv[j] = aml_f_sf(F[j], dfbn, dfwn);
	}
	aml_free(cls);
	aml_free(count);
	return AML_OK;
}

/* f_regression: F from the correlation of each column with y */
static void
f_regression(const AmlMatrix *X, const double *y, double *F, double *pv)
{
	int			n = X->rows;
	int			p = X->cols;
	double		ysum = 0;
	double		ymean;
	double		syy = 0;
	double		ylo = y[0];
	double		yhi = y[0];
	double		df = n - 2.0;

	for (int i = 0; i < n; i++)
	{
		ysum += y[i];
		if (y[i] < ylo)
			ylo = y[i];
		if (y[i] > yhi)
			yhi = y[i];
	}
	ymean = ysum / n;
	for (int i = 0; i < n; i++)
		syy += (y[i] - ymean) * (y[i] - ymean);
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		xsum = 0;
		double		xmean;
		double		sxx = 0;
		double		sxy = 0;
		double		lo = x[0];
		double		hi = x[0];
		double		r;
		double		r2;
		double		f;

		for (int i = 0; i < n; i++)
		{
			xsum += x[i];
			if (x[i] < lo)
				lo = x[i];
			if (x[i] > hi)
				hi = x[i];
		}
		xmean = xsum / n;
		for (int i = 0; i < n; i++)
		{
			double		d = x[i] - xmean;

			sxx += d * d;
			sxy += d * (y[i] - ymean);
		}
		/* constant column or target: r undefined, forced to 0 (force_finite) */
		r = (lo == hi || ylo == yhi) ? 0.0 : sxy / sqrt(sxx) / sqrt(syy);
		r2 = r * r;
		f = r2 / (1.0 - r2) * df;
		if (isnan(f))
		{
			F[j] = 0.0;
			pv[j] = 1.0;
		}
		else if (isinf(f))
		{
			F[j] = DBL_MAX;
			pv[j] = 0.0;
		}
		else
		{
			F[j] = f;
			pv[j] = aml_f_sf(f, 1.0, df);
		}
	}
}

/* ---------------------------------------------------------------- selection */

static inline double
clean_score(double v)
{
	return isnan(v) ? -DBL_MAX : v;
}

static const double *sort_scores;	/* for the comparator below (single-threaded) */

/* ascending by score, then by column (numpy's stable argsort) */
static int
compare_ascending(const void *a, const void *b)
{
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	double		x = clean_score(sort_scores[i]);
	double		y = clean_score(sort_scores[j]);

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return (i > j) - (i < j);
}

/* the column SelectKBest(k=1) keeps: highest score, the later column on ties */
static int
best_column(const double *scores, int p)
{
	int			best = 0;

	for (int j = 1; j < p; j++)
		if (clean_score(scores[j]) >= clean_score(scores[best]))
			best = j;
	return best;
}

static void
mask_k_best(const double *scores, int p, int k, bool *mask, int *order)
{
	if (k == AML_PARAM_NONE_INT || k >= p)
	{
		for (int j = 0; j < p; j++)
			mask[j] = true;
		return;
	}
	for (int j = 0; j < p; j++)
		order[j] = j;
	sort_scores = scores;
	qsort(order, (size_t) p, sizeof(int), compare_ascending);
	for (int r = p - k; r < p; r++)
		mask[order[r]] = true;
}

/* numpy.percentile(v, q, method="linear") of the n values (sorted copy in buf) */
static double
numpy_percentile(const double *v, int n, double percent, double *buf)
{
	double		q = percent / 100.0;
	double		virt = (n - 1) * q;
	int			prev;
	double		a;
	double		b;
	double		g;
	double		diff;

	memcpy(buf, v, sizeof(double) * n);
	for (int i = 1; i < n; i++)
	{
		double		key = buf[i];
		int			j = i - 1;

		while (j >= 0 && buf[j] > key)
		{
			buf[j + 1] = buf[j];
			j--;
		}
		buf[j + 1] = key;
	}
	if (virt >= n - 1)
		return buf[n - 1];
	if (virt < 0)
		return buf[0];
	prev = (int) floor(virt);
	a = buf[prev];
	b = buf[prev + 1];
	g = virt - prev;
	diff = b - a;
	if (g >= 0.5)
		return b - diff * (1 - g);
	return a + diff * g;
}

static void
mask_percentile(const double *scores, int p, double percentile, bool *mask, double *buf)
{
	double	   *clean = buf + p;
	double		thr;
	int			kept = 0;
	int			n_ties = 0;
	long		stop;
	int			max_feats;

	if (percentile >= 100)
	{
		for (int j = 0; j < p; j++)
			mask[j] = true;
		return;
	}
	for (int j = 0; j < p; j++)
		clean[j] = clean_score(scores[j]);
	thr = numpy_percentile(clean, p, 100 - percentile, buf);
	for (int j = 0; j < p; j++)
	{
		mask[j] = clean[j] > thr;
		kept += mask[j];
		n_ties += clean[j] == thr;
	}
	if (n_ties == 0)
		return;
	/* ties[:max_feats - kept] with Python's slice semantics */
	max_feats = (int) ((double) p * percentile / 100.0);
	stop = (long) max_feats - kept;
	if (stop < 0)
		stop += n_ties;
	if (stop < 0)
		stop = 0;
	for (int j = 0, t = 0; j < p && t < stop; j++)
		if (clean[j] == thr)
		{
			mask[j] = true;
			t++;
		}
}

/* ---------------------------------------------------------------- fit */

static AmlStatus
finish_selection(AmlTransformer *t, SelectState *s, const bool *mask, int fallback)
{
	s->n_sel = 0;
	for (int j = 0; j < s->p; j++)
		if (mask[j])
			s->sel[s->n_sel++] = j;
	if (s->n_sel == 0)
		s->sel[s->n_sel++] = fallback;
	t->state = s;
	t->n_out = s->n_sel;
	return AML_OK;
}

static AmlStatus
variance_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	double		threshold = ((const VarianceParams *) t->params)->threshold;
	int			n = X->rows;
	int			p = X->cols;
	SelectState *s = select_new(p);
	bool	   *mask;
	int			best = 0;
	AmlStatus	st;

	if (s == NULL)
		return aml_error_nomem(err, "a selector");
	mask = AML_NEW_ARRAY(bool, p > 0 ? p : 1);
	if (mask == NULL)
	{
		t->state = s;
		select_free(t);
		return aml_error_nomem(err, "a selector");
	}
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		sum = 0;
		double		cnt = 0;
		double		ss = 0;
		double		lo = INFINITY;
		double		hi = -INFINITY;
		bool		any_nan = false;
		double		var;

		for (int i = 0; i < n; i++)
		{
			if (isnan(x[i]))
			{
				any_nan = true;
				continue;
			}
			sum += x[i];
			cnt += 1;
			if (x[i] < lo)
				lo = x[i];
			if (x[i] > hi)
				hi = x[i];
		}
		if (cnt == 0)
			var = NAN;
		else
		{
			double		mean = sum / cnt;

			for (int i = 0; i < n; i++)
				if (!isnan(x[i]))
					ss += (x[i] - mean) * (x[i] - mean);
			var = ss / cnt;
			/* threshold 0: peak-to-peak makes constant columns exactly 0 (numpy.ptp is NaN with NaN) */
			if (threshold == 0 && !any_nan && hi - lo < var)
				var = hi - lo;
		}
		s->scores[j] = var;
		s->pvalues[j] = NAN;
		mask[j] = var > threshold;
		if (!isnan(var) && (isnan(s->scores[best]) || var > s->scores[best]))
			best = j;
	}
	st = finish_selection(t, s, mask, best);
	aml_free(mask);
	return st;
}

static AmlStatus
univariate_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	int			p = X->cols;
	SelectState *s = select_new(p);
	bool	   *mask;
	int		   *order;
	double	   *buf;
	AmlStatus	st;

	if (s == NULL)
		return aml_error_nomem(err, "a selector");
	mask = AML_NEW_ARRAY(bool, p > 0 ? p : 1);
	order = AML_NEW_ARRAY(int, p > 0 ? p : 1);
	buf = AML_NEW_ARRAY(double, 2 * (size_t) (p > 0 ? p : 1));
	if (mask == NULL || order == NULL || buf == NULL)
	{
		st = aml_error_nomem(err, "a selector");
		goto fail;
	}
	if (t->task == AML_TASK_CLASSIFICATION)
	{
		st = f_classif(t, X, y, s->scores, s->pvalues, err);
		if (st != AML_OK)
			goto fail;
	}
	else
		f_regression(X, y, s->scores, s->pvalues);

	if (t->type == &aml_select_k_best_type)
		mask_k_best(s->scores, p, ((const KBestParams *) t->params)->k, mask, order);
	else if (t->type == &aml_select_percentile_type)
		mask_percentile(s->scores, p, ((const PercentileParams *) t->params)->percentile, mask, buf);
	else
	{
		double		bound = ((const FweParams *) t->params)->alpha / p;

		for (int j = 0; j < p; j++)
			mask[j] = s->pvalues[j] < bound;
	}
	st = finish_selection(t, s, mask, best_column(s->scores, p));
	aml_free(mask);
	aml_free(order);
	aml_free(buf);
	return st;

fail:
	aml_free(mask);
	aml_free(order);
	aml_free(buf);
	t->state = s;
	select_free(t);
	return st;
}

/* ---------------------------------------------------------------- transform */

static void
select_row(const AmlTransformer *t, const double *in, double *out)
{
	const SelectState *s = t->state;

	for (int k = 0; k < s->n_sel; k++)
		out[k] = in[s->sel[k]];
}

static AmlStatus
select_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	const SelectState *s = t->state;
	AmlMatrix  *r;

	AML_TRY(aml_matrix_create_unset(X->rows, s->n_sel, &r, err));
	for (int k = 0; k < s->n_sel; k++)
		memcpy(AML_COL(r, k), AML_COL(X, s->sel[k]), sizeof(double) * (size_t) X->rows);
	*out = r;
	return AML_OK;
}

static int
select_source(const AmlTransformer *t, int j)
{
	const SelectState *s = t->state;

	return (j >= 0 && j < s->n_sel) ? s->sel[j] : -1;
}

static json_object *
select_to_json(const AmlTransformer *t)
{
	const SelectState *s = t->state;
	json_object *o = json_object_new_object();

	if (is_variance(t))
		json_object_object_add(o, "variances", aml_json_new_double_array(s->scores, s->p));
	else
	{
		json_object_object_add(o, "scores", aml_json_new_double_array(s->scores, s->p));
		json_object_object_add(o, "pvalues", aml_json_new_double_array(s->pvalues, s->p));
	}
	json_object_object_add(o, "selected", aml_json_new_int_array(s->sel, s->n_sel));
	return o;
}

static AmlStatus
select_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	const char *what = t->type->name;
	SelectState *s = select_new(t->n_in);
	int		   *sel;
	int			n_sel;

	if (s == NULL)
		return aml_error_nomem(err, "a selector");
	t->state = s;
	if (is_variance(t))
	{
		AML_TRY(aml_json_get_double_array(obj, "variances", s->scores, s->p, what, err));
		for (int j = 0; j < s->p; j++)
			s->pvalues[j] = NAN;
	}
	else
	{
		AML_TRY(aml_json_get_double_array(obj, "scores", s->scores, s->p, what, err));
		AML_TRY(aml_json_get_double_array(obj, "pvalues", s->pvalues, s->p, what, err));
	}
	AML_TRY(aml_json_get_int_vector(obj, "selected", &sel, &n_sel, what, err));
	if (n_sel != t->n_out || n_sel > s->p)
	{
		aml_free(sel);
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s state selects %d columns, expected %d",
						 what, n_sel, t->n_out);
	}
	for (int k = 0; k < n_sel; k++)
	{
		if (sel[k] < 0 || sel[k] >= s->p)
		{
			aml_free(sel);
			return aml_error(err, AML_ERR_BAD_FORMAT, "%s state selects an invalid column", what);
		}
		s->sel[k] = sel[k];
	}
	s->n_sel = n_sel;
	aml_free(sel);
	return AML_OK;
}

/* ---------------------------------------------------------------- types */

const AmlTransformerType aml_variance_threshold_type = {
	.name = "variance_threshold",
	.label = "variance threshold",
	.role = AML_ROLE_SELECTOR,
	.params = {variance_specs, AML_PARAM_COUNT(variance_specs), sizeof(VarianceParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = variance_fit,
	.transform_row = select_row,
	.transform = select_transform,
	.state_to_json = select_to_json,
	.state_from_json = select_from_json,
	.free_state = select_free,
	.source_column = select_source,
	.affine = aml_transformer_always_affine,
};

const AmlTransformerType aml_select_k_best_type = {
	.name = "select_k_best",
	.label = "k-best selection",
	.role = AML_ROLE_SELECTOR,
	.params = {kbest_specs, AML_PARAM_COUNT(kbest_specs), sizeof(KBestParams)},
	.supervised = true,
	.accepts_missing = false,
	.fit = univariate_fit,
	.transform_row = select_row,
	.transform = select_transform,
	.state_to_json = select_to_json,
	.state_from_json = select_from_json,
	.free_state = select_free,
	.source_column = select_source,
	.affine = aml_transformer_always_affine,
};

const AmlTransformerType aml_select_percentile_type = {
	.name = "select_percentile",
	.label = "percentile selection",
	.role = AML_ROLE_SELECTOR,
	.params = {percentile_specs, AML_PARAM_COUNT(percentile_specs), sizeof(PercentileParams)},
	.supervised = true,
	.accepts_missing = false,
	.fit = univariate_fit,
	.transform_row = select_row,
	.transform = select_transform,
	.state_to_json = select_to_json,
	.state_from_json = select_from_json,
	.free_state = select_free,
	.source_column = select_source,
	.affine = aml_transformer_always_affine,
};

const AmlTransformerType aml_select_fwe_type = {
	.name = "select_fwe",
	.label = "family-wise error selection",
	.role = AML_ROLE_SELECTOR,
	.params = {fwe_specs, AML_PARAM_COUNT(fwe_specs), sizeof(FweParams)},
	.supervised = true,
	.accepts_missing = false,
	.fit = univariate_fit,
	.transform_row = select_row,
	.transform = select_transform,
	.state_to_json = select_to_json,
	.state_from_json = select_from_json,
	.free_state = select_free,
	.source_column = select_source,
	.affine = aml_transformer_always_affine,
};
