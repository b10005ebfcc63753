/*
 * scalers.c — column scalers (standard, min-max, max-abs, robust), the row
 * normaliser and the binariser, with scikit-learn 1.2's semantics.
 *
 * Missing values (NaN) are ignored by the statistics and pass through
 * unchanged, so these steps can run before imputation as in scikit-learn.
 * Where scikit-learn would produce NaN statistics (a column with no observed
 * value at fit time) the column is passed through unchanged instead.
 *
 * Each column scaler is one affine map per column:
 *   standard, max-abs, robust:  out = (x - offset) / scale
 *   min-max:                    out = x * scale + offset   (then optional clip)
 * written in the same order of operations as scikit-learn, so results agree
 * to the last bit or two.  The batch path runs column by column and gives
 * exactly the numbers of the row path.
 */
#include "ml/transformer.h"
#include "core/distributions.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/stats.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* row and batch paths must round alike: no fused multiply-add contraction */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ---------------------------------------------------------------- params */

typedef struct StandardParams
{
	bool		with_mean;
	bool		with_std;
} StandardParams;

static const AmlParamSpec standard_specs[] = {
	{"with_mean", AML_PARAM_BOOL, offsetof(StandardParams, with_mean), 1, 0, 1, false, false,
	false, NULL, "subtract the mean of each column"},
	{"with_std", AML_PARAM_BOOL, offsetof(StandardParams, with_std), 1, 0, 1, false, false,
	false, NULL, "divide each column by its standard deviation"},
};

typedef struct MinMaxParams
{
	double		range_min;
	double		range_max;
	bool		clip;
} MinMaxParams;

static const AmlParamSpec minmax_specs[] = {
	{"feature_range_min", AML_PARAM_DOUBLE, offsetof(MinMaxParams, range_min), 0, -1e300, 1e300,
	false, false, false, NULL, "lower end of the target range (scikit-learn's feature_range[0])"},
	{"feature_range_max", AML_PARAM_DOUBLE, offsetof(MinMaxParams, range_max), 1, -1e300, 1e300,
	false, false, false, NULL, "upper end of the target range (scikit-learn's feature_range[1])"},
	{"clip", AML_PARAM_BOOL, offsetof(MinMaxParams, clip), 0, 0, 1, false, false, false, NULL,
	"clip transformed values of new data to the target range"},
};

typedef struct RobustParams
{
	bool		with_centering;
	bool		with_scaling;
	double		q_low;
	double		q_high;
	bool		unit_variance;
} RobustParams;

static const AmlParamSpec robust_specs[] = {
	{"with_centering", AML_PARAM_BOOL, offsetof(RobustParams, with_centering), 1, 0, 1, false,
	false, false, NULL, "subtract the median of each column"},
	{"with_scaling", AML_PARAM_BOOL, offsetof(RobustParams, with_scaling), 1, 0, 1, false, false,
	false, NULL, "divide each column by its interquantile range"},
	{"q_low", AML_PARAM_DOUBLE, offsetof(RobustParams, q_low), 25, 0, 100, false, false, false,
	NULL, "lower percentile of the range (scikit-learn's quantile_range[0])"},
	{"q_high", AML_PARAM_DOUBLE, offsetof(RobustParams, q_high), 75, 0, 100, false, false, false,
	NULL, "upper percentile of the range (scikit-learn's quantile_range[1])"},
	{"unit_variance", AML_PARAM_BOOL, offsetof(RobustParams, unit_variance), 0, 0, 1, false,
	false, false, NULL, "rescale so that normally distributed columns get variance 1"},
};

typedef struct NormalizerParams
{
	int			norm;
} NormalizerParams;

static const char *const norm_choices[] = {"l1", "l2", "max", NULL};

enum
{
	NORM_L1, NORM_L2, NORM_MAX
};

static const AmlParamSpec normalizer_specs[] = {
	{"norm", AML_PARAM_CHOICE, offsetof(NormalizerParams, norm), NORM_L2, 0, 0, false, false,
	false, norm_choices, "the norm each row is divided by"},
};

typedef struct BinarizerParams
{
	double		threshold;
} BinarizerParams;

static const AmlParamSpec binarizer_specs[] = {
	{"threshold", AML_PARAM_DOUBLE, offsetof(BinarizerParams, threshold), 0, -1e300, 1e300,
	false, false, false, NULL, "values above it become 1, the others 0"},
};

/* ---------------------------------------------------------------- affine state */

typedef enum AffineKind
{
	AFFINE_STANDARD, AFFINE_MINMAX, AFFINE_MAXABS, AFFINE_ROBUST
} AffineKind;

/* names of the two fitted statistics kept for inspection, per kind */
static const char *const stat_names[4][2] = {
	{"mean", "var"},
	{"data_min", "data_max"},
	{"max_abs", NULL},
	{"center", "iqr"},
};

typedef struct AffineState
{
	int			p;
	double	   *offset;			/* p: subtracted (or added, min-max) */
	double	   *scale;			/* p: divided by (or multiplied by, min-max) */
	double	   *stat_a;			/* p: see stat_names */
	double	   *stat_b;			/* p or unused */
	double	   *n_seen;			/* p: non-missing values per column at fit time */
	bool		multiply;		/* min-max form */
	bool		clip;
	double		lo;
	double		hi;
} AffineState;

static AffineKind
affine_kind(const AmlTransformer *t)
{
	if (t->type == &aml_minmax_scaler_type)
		return AFFINE_MINMAX;
	if (t->type == &aml_maxabs_scaler_type)
		return AFFINE_MAXABS;
	if (t->type == &aml_robust_scaler_type)
		return AFFINE_ROBUST;
	return AFFINE_STANDARD;
}

static void
affine_free(AmlTransformer *t)
{
	AffineState *s = t->state;

	if (s == NULL)
		return;
	aml_free(s->offset);
	aml_free(s);
	t->state = NULL;
}

/* one allocation for the five arrays */
static AffineState *
affine_new(int p)
{
	AffineState *s = AML_NEW(AffineState);

	if (s == NULL)
		return NULL;
	s->p = p;
	s->offset = AML_NEW_ARRAY(double, (size_t) 5 * (size_t) (p > 0 ? p : 1));
	if (s->offset == NULL)
	{
		aml_free(s);
		return NULL;
	}
	s->scale = s->offset + p;
	s->stat_a = s->scale + p;
	s->stat_b = s->stat_a + p;
	s->n_seen = s->stat_b + p;
	return s;
}

static void
affine_row(const AmlTransformer *t, const double *in, double *out)
{
	const AffineState *s = t->state;
	const double *off = s->offset;
	const double *sc = s->scale;
	int			p = s->p;

	if (!s->multiply)
	{
		for (int j = 0; j < p; j++)
			out[j] = (in[j] - off[j]) / sc[j];
	}
	else if (!s->clip)
	{
		for (int j = 0; j < p; j++)
			out[j] = in[j] * sc[j] + off[j];
	}
	else
	{
		double		lo = s->lo;
		double		hi = s->hi;

		for (int j = 0; j < p; j++)
		{
			double		v = in[j] * sc[j] + off[j];

			out[j] = v < lo ? lo : (v > hi ? hi : v);
		}
	}
}

static AmlStatus
affine_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	const AffineState *s = t->state;
	AmlMatrix  *r;
	int			n = X->rows;

	AML_TRY(aml_matrix_create_unset(n, s->p, &r, err));
	for (int j = 0; j < s->p; j++)
	{
		const double *x = AML_COL(X, j);
		double	   *o = AML_COL(r, j);
		double		off = s->offset[j];
		double		sc = s->scale[j];

		if (!s->multiply)
			for (int i = 0; i < n; i++)
				o[i] = (x[i] - off) / sc;
		else if (!s->clip)
			for (int i = 0; i < n; i++)
				o[i] = x[i] * sc + off;
		else
		{
			double		lo = s->lo;
			double		hi = s->hi;

			for (int i = 0; i < n; i++)
			{
				double		v = x[i] * sc + off;

				o[i] = v < lo ? lo : (v > hi ? hi : v);
			}
		}
	}
	*out = r;
	return AML_OK;
}

static int
identity_source(const AmlTransformer *t, int j)
{
	return j;
}

static json_object *
affine_to_json(const AmlTransformer *t)
{
	const AffineState *s = t->state;
	AffineKind	kind = affine_kind(t);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "offset", aml_json_new_double_array(s->offset, s->p));
	json_object_object_add(o, "scale", aml_json_new_double_array(s->scale, s->p));
	json_object_object_add(o, stat_names[kind][0], aml_json_new_double_array(s->stat_a, s->p));
	if (stat_names[kind][1] != NULL)
		json_object_object_add(o, stat_names[kind][1], aml_json_new_double_array(s->stat_b, s->p));
	json_object_object_add(o, "n_samples_seen", aml_json_new_double_array(s->n_seen, s->p));
	return o;
}

/* the parts of the state that come from the hyperparameters */
static void
affine_set_mode(AmlTransformer *t, AffineState *s)
{
	s->multiply = false;
	s->clip = false;
	if (affine_kind(t) == AFFINE_MINMAX)
	{
		const MinMaxParams *mp = t->params;

		s->multiply = true;
		s->clip = mp->clip;
		s->lo = mp->range_min;
		s->hi = mp->range_max;
	}
}

static AmlStatus
affine_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	AffineKind	kind = affine_kind(t);
	AffineState *s = affine_new(t->n_in);
	const char *what = t->type->name;

	if (s == NULL)
		return aml_error_nomem(err, "a scaler state");
	t->state = s;
	affine_set_mode(t, s);
	AML_TRY(aml_json_get_double_array(obj, "offset", s->offset, s->p, what, err));
	AML_TRY(aml_json_get_double_array(obj, "scale", s->scale, s->p, what, err));
	AML_TRY(aml_json_get_double_array(obj, stat_names[kind][0], s->stat_a, s->p, what, err));
	if (stat_names[kind][1] != NULL)
		AML_TRY(aml_json_get_double_array(obj, stat_names[kind][1], s->stat_b, s->p, what, err));
	AML_TRY(aml_json_get_double_array(obj, "n_samples_seen", s->n_seen, s->p, what, err));
	if (t->n_out != t->n_in)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s state has %d outputs for %d inputs",
						 what, t->n_out, t->n_in);
	return AML_OK;
}

/* scikit-learn's _handle_zeros_in_scale: near-zero scales become 1 */
static double
nonzero_scale(double v)
{
	return v < 10 * DBL_EPSILON ? 1.0 : v;
}

/* ---------------------------------------------------------------- order statistics */

/* smallest value of v[from..n-1] (v[from-1] = k-th smallest after aml_select_kth) */
static double
min_from(const double *v, int n, int from)
{
	double		m = v[from];

	for (int i = from + 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/*
 * numpy's percentile (method "linear") of the n values in v, which it
 * reorders: virtual index (n-1) q, and numpy's two-sided lerp.
 */
static double
percentile_numpy(double *v, int n, double percent)
{
	double		q = percent / 100.0;
	double		virt = (n - 1) * q;
	int			prev;
	double		a;
	double		b;
	double		g;
	double		diff;

	if (virt >= n - 1)
	{
		aml_select_kth(v, n, n - 1);
		return v[n - 1];
	}
	if (virt < 0)
		virt = 0;
	prev = (int) floor(virt);
	aml_select_kth(v, n, prev);
	a = v[prev];
	b = min_from(v, n, prev + 1);
	g = virt - prev;
	diff = b - a;
	if (g >= 0.5)
		return b - diff * (1 - g);
	return a + diff * g;
}

/* ---------------------------------------------------------------- standard */

static AmlStatus
standard_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const StandardParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	AffineState *s = affine_new(p);

	if (s == NULL)
		return aml_error_nomem(err, "a scaler state");
	affine_set_mode(t, s);
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		sum = 0;
		double		cnt = 0;
		double		mean;
		double		var;
		double		corr = 0;
		double		sq = 0;

		for (int i = 0; i < n; i++)
			if (!isnan(x[i]))
			{
				sum += x[i];
				cnt += 1;
			}
		s->n_seen[j] = cnt;
		if (cnt == 0)
		{
			/* nothing observed: pass the column through */
			s->stat_a[j] = NAN;
			s->stat_b[j] = NAN;
			s->offset[j] = 0;
			s->scale[j] = 1;
			continue;
		}
		mean = sum / cnt;
		/* corrected two-pass variance, as scikit-learn's _incremental_mean_and_var */
		for (int i = 0; i < n; i++)
			if (!isnan(x[i]))
			{
				double		d = x[i] - mean;

				corr += d;
				sq += d * d;
			}
		var = (sq - corr * corr / cnt) / cnt;
		s->stat_a[j] = mean;
		s->stat_b[j] = var;
		s->offset[j] = prm->with_mean ? mean : 0.0;
		if (!prm->with_std)
			s->scale[j] = 1.0;
		else
		{
			/* scikit-learn's _is_constant_feature: below the rounding error bound */
			double		bound = cnt * DBL_EPSILON * var + (cnt * mean * DBL_EPSILON) * (cnt * mean * DBL_EPSILON);

			s->scale[j] = var <= bound ? 1.0 : sqrt(var);
		}
	}
	t->state = s;
	t->n_out = p;
	return AML_OK;
}

/* ---------------------------------------------------------------- min-max */

static AmlStatus
minmax_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const MinMaxParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	AffineState *s;

	if (!(prm->range_min < prm->range_max))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "feature_range_min of minmax_scaler must be less than feature_range_max");
		return aml_error_detail(err, "Got %g and %g.", prm->range_min, prm->range_max);
	}
	s = affine_new(p);
	if (s == NULL)
		return aml_error_nomem(err, "a scaler state");
	affine_set_mode(t, s);
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		lo = INFINITY;
		double		hi = -INFINITY;
		double		cnt = 0;

		for (int i = 0; i < n; i++)
			if (!isnan(x[i]))
			{
				if (x[i] < lo)
					lo = x[i];
				if (x[i] > hi)
					hi = x[i];
				cnt += 1;
			}
		s->n_seen[j] = cnt;
		if (cnt == 0)
		{
			s->stat_a[j] = NAN;
			s->stat_b[j] = NAN;
			s->scale[j] = 1;
			s->offset[j] = 0;
			continue;
		}
		s->stat_a[j] = lo;
		s->stat_b[j] = hi;
		s->scale[j] = (prm->range_max - prm->range_min) / nonzero_scale(hi - lo);
		s->offset[j] = prm->range_min - lo * s->scale[j];
	}
	t->state = s;
	t->n_out = p;
	return AML_OK;
}

/* ---------------------------------------------------------------- max-abs */

static AmlStatus
maxabs_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	int			n = X->rows;
	int			p = X->cols;
	AffineState *s = affine_new(p);

	if (s == NULL)
		return aml_error_nomem(err, "a scaler state");
	affine_set_mode(t, s);
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		m = 0;
		double		cnt = 0;

		for (int i = 0; i < n; i++)
			if (!isnan(x[i]))
			{
				if (fabs(x[i]) > m)
					m = fabs(x[i]);
				cnt += 1;
			}
		s->n_seen[j] = cnt;
		s->stat_a[j] = cnt > 0 ? m : NAN;
		s->offset[j] = 0;
		s->scale[j] = nonzero_scale(m);
	}
	t->state = s;
	t->n_out = p;
	return AML_OK;
}

/* ---------------------------------------------------------------- robust */

static AmlStatus
robust_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const RobustParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	AffineState *s;
	double	   *buf;
	double		adjust = 1.0;

	if (!(prm->q_low < prm->q_high))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "q_low of robust_scaler must be less than q_high");
		return aml_error_detail(err, "Got %g and %g.", prm->q_low, prm->q_high);
	}
	if (prm->unit_variance && (prm->q_low <= 0 || prm->q_high >= 100))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "unit_variance of robust_scaler needs q_low above 0 and q_high below 100");
		return aml_error_detail(err, "The normal quantiles of 0%% and 100%% are infinite.");
	}
	if (prm->unit_variance)
		adjust = aml_norm_ppf(prm->q_high / 100.0) - aml_norm_ppf(prm->q_low / 100.0);
	s = affine_new(p);
	buf = AML_NEW_ARRAY(double, n);
	if (s == NULL || buf == NULL)
	{
		if (s != NULL)
			aml_free(s->offset);
		aml_free(s);
		aml_free(buf);
		return aml_error_nomem(err, "a scaler state");
	}
	affine_set_mode(t, s);
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		int			m = 0;
		double		lo;
		double		hi;

		for (int i = 0; i < n; i++)
			if (!isnan(x[i]))
				buf[m++] = x[i];
		s->n_seen[j] = m;
		if (m == 0)
		{
			s->stat_a[j] = NAN;
			s->stat_b[j] = NAN;
			s->offset[j] = 0;
			s->scale[j] = 1;
			continue;
		}
		s->stat_a[j] = aml_median_inplace(buf, m);
		lo = percentile_numpy(buf, m, prm->q_low);
		hi = percentile_numpy(buf, m, prm->q_high);
		s->stat_b[j] = hi - lo;
		s->offset[j] = prm->with_centering ? s->stat_a[j] : 0.0;
		if (prm->with_scaling)
		{
			double		sc = nonzero_scale(hi - lo);

			if (prm->unit_variance)
				sc = sc / adjust;
			s->scale[j] = sc;
		}
		else
			s->scale[j] = 1.0;
	}
	aml_free(buf);
	t->state = s;
	t->n_out = p;
	return AML_OK;
}

/* ---------------------------------------------------------------- normalizer & binarizer */

/* stateless after fit: only the column count, kept in n_in/n_out */
typedef struct PassState
{
	int			p;
} PassState;

static void
pass_free(AmlTransformer *t)
{
	aml_free(t->state);
	t->state = NULL;
}

static AmlStatus
pass_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	PassState  *s = AML_NEW(PassState);

	if (s == NULL)
		return aml_error_nomem(err, "a transformer state");
	s->p = X->cols;
	t->state = s;
	t->n_out = X->cols;
	return AML_OK;
}

static json_object *
pass_to_json(const AmlTransformer *t)
{
	const PassState *s = t->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n_features", json_object_new_int(s->p));
	return o;
}

static AmlStatus
pass_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	PassState  *s = AML_NEW(PassState);

	if (s == NULL)
		return aml_error_nomem(err, "a transformer state");
	t->state = s;
	AML_TRY(aml_json_get_int(obj, "n_features", &s->p, t->type->name, err));
	if (s->p != t->n_in || t->n_out != t->n_in)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s state does not match its %d inputs",
						 t->type->name, t->n_in);
	return AML_OK;
}

/*
 * Row norms ignore missing values (scikit-learn's normalize() rejects them);
 * a zero norm becomes 1 (_handle_zeros_in_scale) so all-zero rows stay zero.
 */
static void
normalizer_row(const AmlTransformer *t, const double *in, double *out)
{
	const NormalizerParams *prm = t->params;
	int			p = t->n_in;
	double		norm = 0;

	if (prm->norm == NORM_L2)
	{
		for (int j = 0; j < p; j++)
			if (!isnan(in[j]))
				norm += in[j] * in[j];
		norm = sqrt(norm);
	}
	else if (prm->norm == NORM_L1)
	{
		for (int j = 0; j < p; j++)
			if (!isnan(in[j]))
				norm += fabs(in[j]);
	}
	else
	{
		for (int j = 0; j < p; j++)
			if (fabs(in[j]) > norm)
				norm = fabs(in[j]);
	}
	norm = nonzero_scale(norm);
	for (int j = 0; j < p; j++)
		out[j] = in[j] / norm;
}

static AmlStatus
normalizer_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	const NormalizerParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	AmlMatrix  *r;
	double	   *norm;

	AML_TRY(aml_matrix_create_unset(n, p, &r, err));
	norm = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	if (norm == NULL)
	{
		aml_matrix_free(r);
		return aml_error_nomem(err, "row norms");
	}
	/* accumulate over columns in the row path's order (j ascending) */
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);

		if (prm->norm == NORM_L2)
		{
			for (int i = 0; i < n; i++)
				if (!isnan(x[i]))
					norm[i] += x[i] * x[i];
		}
		else if (prm->norm == NORM_L1)
		{
			for (int i = 0; i < n; i++)
				if (!isnan(x[i]))
					norm[i] += fabs(x[i]);
		}
		else
		{
			for (int i = 0; i < n; i++)
				if (fabs(x[i]) > norm[i])
					norm[i] = fabs(x[i]);
		}
	}
	for (int i = 0; i < n; i++)
		norm[i] = nonzero_scale(prm->norm == NORM_L2 ? sqrt(norm[i]) : norm[i]);
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double	   *o = AML_COL(r, j);

		for (int i = 0; i < n; i++)
			o[i] = x[i] / norm[i];
	}
	aml_free(norm);
	*out = r;
	return AML_OK;
}

/* x > threshold -> 1, else 0; missing stays missing */
static void
binarizer_row(const AmlTransformer *t, const double *in, double *out)
{
	double		thr = ((const BinarizerParams *) t->params)->threshold;

	for (int j = 0; j < t->n_in; j++)
		out[j] = isnan(in[j]) ? in[j] : (in[j] > thr ? 1.0 : 0.0);
}

static AmlStatus
binarizer_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	double		thr = ((const BinarizerParams *) t->params)->threshold;
	AmlMatrix  *r;
	size_t		total = (size_t) X->rows * (size_t) X->cols;

	AML_TRY(aml_matrix_create_unset(X->rows, X->cols, &r, err));
	for (size_t k = 0; k < total; k++)
	{
		double		v = X->data[k];

		r->data[k] = isnan(v) ? v : (v > thr ? 1.0 : 0.0);
	}
	*out = r;
	return AML_OK;
}

/* ---------------------------------------------------------------- types */

/* min-max scaling is affine unless it clips */
static bool
minmax_affine(const AmlTransformer *t)
{
	return !((const MinMaxParams *) t->params)->clip;
}

const AmlTransformerType aml_standard_scaler_type = {
	.name = "standard_scaler",
	.label = "standard scaling",
	.role = AML_ROLE_SCALER,
	.params = {standard_specs, AML_PARAM_COUNT(standard_specs), sizeof(StandardParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = standard_fit,
	.transform_row = affine_row,
	.transform = affine_transform,
	.state_to_json = affine_to_json,
	.state_from_json = affine_from_json,
	.free_state = affine_free,
	.source_column = identity_source,
	.affine = aml_transformer_always_affine,
};

const AmlTransformerType aml_minmax_scaler_type = {
	.name = "minmax_scaler",
	.label = "min-max scaling",
	.role = AML_ROLE_SCALER,
	.params = {minmax_specs, AML_PARAM_COUNT(minmax_specs), sizeof(MinMaxParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = minmax_fit,
	.transform_row = affine_row,
	.transform = affine_transform,
	.state_to_json = affine_to_json,
	.state_from_json = affine_from_json,
	.free_state = affine_free,
	.source_column = identity_source,
	.affine = minmax_affine,
};

const AmlTransformerType aml_maxabs_scaler_type = {
	.name = "maxabs_scaler",
	.label = "max-abs scaling",
	.role = AML_ROLE_SCALER,
	.params = {NULL, 0, 0},
	.supervised = false,
	.accepts_missing = true,
	.fit = maxabs_fit,
	.transform_row = affine_row,
	.transform = affine_transform,
	.state_to_json = affine_to_json,
	.state_from_json = affine_from_json,
	.free_state = affine_free,
	.source_column = identity_source,
	.affine = aml_transformer_always_affine,
};

const AmlTransformerType aml_robust_scaler_type = {
	.name = "robust_scaler",
	.label = "robust scaling",
	.role = AML_ROLE_SCALER,
	.params = {robust_specs, AML_PARAM_COUNT(robust_specs), sizeof(RobustParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = robust_fit,
	.transform_row = affine_row,
	.transform = affine_transform,
	.state_to_json = affine_to_json,
	.state_from_json = affine_from_json,
	.free_state = affine_free,
	.source_column = identity_source,
	.affine = aml_transformer_always_affine,
};

const AmlTransformerType aml_normalizer_type = {
	.name = "normalizer",
	.label = "row normalisation",
	.role = AML_ROLE_SCALER,
	.params = {normalizer_specs, AML_PARAM_COUNT(normalizer_specs), sizeof(NormalizerParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = pass_fit,
	.transform_row = normalizer_row,
	.transform = normalizer_transform,
	.state_to_json = pass_to_json,
	.state_from_json = pass_from_json,
	.free_state = pass_free,
	.source_column = identity_source,
};

const AmlTransformerType aml_binarizer_type = {
	.name = "binarizer",
	.label = "binarisation",
	.role = AML_ROLE_FEATURES,
	.params = {binarizer_specs, AML_PARAM_COUNT(binarizer_specs), sizeof(BinarizerParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = pass_fit,
	.transform_row = binarizer_row,
	.transform = binarizer_transform,
	.state_to_json = pass_to_json,
	.state_from_json = pass_from_json,
	.free_state = pass_free,
	.source_column = identity_source,
};
