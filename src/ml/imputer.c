/*
 * imputer.c — simple_imputer: replaces missing values (NaN) column by column
 * with the column's mean, median, most frequent value or a constant, with
 * optional missing-indicator columns (scikit-learn 1.2's SimpleImputer).
 *
 * Output columns: the imputed input columns in input order, then (with
 * add_indicator) one 0/1 column per input column that had missing values at
 * fit time, like MissingIndicator(features="missing-only") — a column that
 * only has missing values in new data gets no indicator, its missing values
 * are still imputed.
 *
 * A column with no observed value at fit time has no mean/median/mode: as in
 * scikit-learn 1.2 it is dropped from the output (keep_empty_features=false)
 * or imputed with 0 (keep_empty_features=true); with strategy "constant" it
 * is kept and filled with fill_value.  Its indicator column, if any, is kept.
 * Only NaN counts as missing (scikit-learn's missing_values=np.nan).
 */
#include "ml/transformer.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/stats.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum
{
	STRATEGY_MEAN, STRATEGY_MEDIAN, STRATEGY_MOST_FREQUENT, STRATEGY_CONSTANT
};

static const char *const strategy_choices[] = {"mean", "median", "most_frequent", "constant", NULL};

typedef struct ImputerParams
{
	int			strategy;
	double		fill_value;
	bool		add_indicator;
	bool		keep_empty_features;
} ImputerParams;

static const AmlParamSpec imputer_specs[] = {
	{"strategy", AML_PARAM_CHOICE, offsetof(ImputerParams, strategy), STRATEGY_MEAN, 0, 0,
	false, false, false, strategy_choices, "what replaces a missing value of a column"},
	{"fill_value", AML_PARAM_DOUBLE, offsetof(ImputerParams, fill_value), 0, -1e300, 1e300,
	false, false, false, NULL, "the value used by strategy \"constant\""},
	{"add_indicator", AML_PARAM_BOOL, offsetof(ImputerParams, add_indicator), 0, 0, 1, false,
	false, false, NULL, "append a 0/1 column per column that had missing values when fitted"},
	{"keep_empty_features", AML_PARAM_BOOL, offsetof(ImputerParams, keep_empty_features), 0, 0,
	1, false, false, false, NULL,
	"keep columns with no observed value when fitted (imputed with 0) instead of dropping them"},
};

typedef struct ImputerState
{
	int			p;				/* input columns */
	double	   *statistics;		/* p: value imputed per input column (NaN: dropped) */
	int			n_kept;
	int		   *kept;			/* n_kept: input column of each imputed output */
	double	   *fill;			/* n_kept: statistics[kept[k]] */
	int			n_ind;
	int		   *ind;			/* n_ind: input columns with an indicator */
} ImputerState;

static void
imputer_free(AmlTransformer *t)
{
	ImputerState *s = t->state;

	if (s == NULL)
		return;
	aml_free(s->statistics);
	aml_free(s->kept);
	aml_free(s->fill);
	aml_free(s->ind);
	aml_free(s);
	t->state = NULL;
}

/* ---------------------------------------------------------------- order statistics */

/* Doubles as unsigned keys whose order is the numeric order (no NaN here). */
static inline uint64_t
sort_key(double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	return (u & UINT64_C(0x8000000000000000)) ? ~u : (u | UINT64_C(0x8000000000000000));
}

static inline double
from_key(uint64_t k)
{
	uint64_t	u = (k & UINT64_C(0x8000000000000000)) ? (k & ~UINT64_C(0x8000000000000000)) : ~k;
	double		v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/*
 * Sort v[0..n-1] ascending: LSD radix sort on 11-bit digits of the keys
 * (6 passes, linear time); keys has room for 2 n keys.  -0.0 sorts just
 * before 0.0; callers compare the doubles, for which they are equal.
 */
static void
radix_sort(double *v, uint64_t *keys, int n)
{
	uint64_t   *a = keys;
	uint64_t   *b = keys + n;
	size_t		count[2048];

	for (int i = 0; i < n; i++)
		a[i] = sort_key(v[i]);
	for (int shift = 0; shift < 64; shift += 11)
	{
		size_t		sum = 0;
		uint64_t   *swap;

		memset(count, 0, sizeof(count));
		for (int i = 0; i < n; i++)
			count[(a[i] >> shift) & 2047]++;
		for (int d = 0; d < 2048; d++)
		{
			size_t		c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (int i = 0; i < n; i++)
			b[count[(a[i] >> shift) & 2047]++] = a[i];
		swap = a;
		a = b;
		b = swap;
	}
	for (int i = 0; i < n; i++)
		v[i] = from_key(a[i]);
}

/* most frequent value of v[0..n-1], the smallest one on ties (scipy.stats.mode); tmp: 2 n keys */
static double
mode_of(double *v, uint64_t *tmp, int n)
{
	double		best = v[0];
	int			best_count = 0;
	int			i = 0;

	radix_sort(v, tmp, n);
	while (i < n)
	{
		int			j = i + 1;

		while (j < n && v[j] == v[i])
			j++;
		if (j - i > best_count)
		{
			best_count = j - i;
			best = v[i] == 0 ? 0.0 : v[i];
		}
		i = j;
	}
	return best;
}

/* ---------------------------------------------------------------- fit */

static AmlStatus
imputer_alloc(ImputerState *s, int p, int n_kept, int n_ind)
{
	s->p = p;
	s->n_kept = n_kept;
	s->n_ind = n_ind;
	s->statistics = AML_NEW_ARRAY(double, p > 0 ? p : 1);
	s->kept = AML_NEW_ARRAY(int, n_kept > 0 ? n_kept : 1);
	s->fill = AML_NEW_ARRAY(double, n_kept > 0 ? n_kept : 1);
	s->ind = AML_NEW_ARRAY(int, n_ind > 0 ? n_ind : 1);
	return (s->statistics && s->kept && s->fill && s->ind) ? AML_OK : AML_ERR_OUT_OF_MEMORY;
}

static AmlStatus
imputer_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const ImputerParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	ImputerState *s;
	double	   *buf = NULL;
	uint64_t   *tmp = NULL;
	int		   *n_missing;
	int			n_kept = 0;
	int			n_ind = 0;

	n_missing = AML_NEW_ARRAY(int, p > 0 ? p : 1);
	if (n_missing == NULL)
		return aml_error_nomem(err, "an imputer");
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		int			m = 0;

		for (int i = 0; i < n; i++)
			m += isnan(x[i]);
		n_missing[j] = m;
		if (m > 0)
			n_ind++;
		if (m < n || prm->strategy == STRATEGY_CONSTANT || prm->keep_empty_features)
			n_kept++;
	}
	if (!prm->add_indicator)
		n_ind = 0;
	if (n_kept + n_ind == 0)
	{
		aml_free(n_missing);
		aml_error(err, AML_ERR_INVALID_DATA, "every column given to simple_imputer is missing");
		aml_error_detail(err, "No column has an observed value, so none can be imputed.");
		return aml_error_hint(err, "Use strategy \"constant\" or keep_empty_features.");
	}
	s = AML_NEW(ImputerState);
	if (s == NULL || imputer_alloc(s, p, n_kept, n_ind) != AML_OK)
	{
		t->state = s;
		imputer_free(t);
		aml_free(n_missing);
		return aml_error_nomem(err, "an imputer");
	}
	if (prm->strategy == STRATEGY_MEDIAN || prm->strategy == STRATEGY_MOST_FREQUENT)
	{
		buf = AML_NEW_ARRAY(double, n);
		if (prm->strategy == STRATEGY_MOST_FREQUENT)
			tmp = AML_NEW_ARRAY(uint64_t, 2 * (size_t) n);
		if (buf == NULL || (prm->strategy == STRATEGY_MOST_FREQUENT && tmp == NULL))
		{
			aml_free(buf);
			aml_free(tmp);
			aml_free(n_missing);
			t->state = s;
			imputer_free(t);
			return aml_error_nomem(err, "an imputer");
		}
	}
	n_kept = 0;
	n_ind = 0;
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		int			seen = n - n_missing[j];
		double		stat;

		if (prm->strategy == STRATEGY_CONSTANT)
			stat = prm->fill_value;
		else if (seen == 0)
			stat = prm->keep_empty_features ? 0.0 : NAN;
		else if (prm->strategy == STRATEGY_MEAN)
		{
			double		sum = 0;

			for (int i = 0; i < n; i++)
				if (!isnan(x[i]))
					sum += x[i];
			stat = sum / seen;
		}
		else
		{
			int			m = 0;

			for (int i = 0; i < n; i++)
				if (!isnan(x[i]))
					buf[m++] = x[i];
			stat = prm->strategy == STRATEGY_MEDIAN ? aml_median_inplace(buf, m) : mode_of(buf, tmp, m);
		}
		s->statistics[j] = stat;
		if (!isnan(stat))
		{
			s->kept[n_kept] = j;
			s->fill[n_kept] = stat;
			n_kept++;
		}
		if (prm->add_indicator && n_missing[j] > 0)
			s->ind[n_ind++] = j;
	}
	aml_free(buf);
	aml_free(tmp);
	aml_free(n_missing);
	t->state = s;
	t->n_out = s->n_kept + s->n_ind;
	return AML_OK;
}

/* ---------------------------------------------------------------- transform */

static void
imputer_row(const AmlTransformer *t, const double *in, double *out)
{
	const ImputerState *s = t->state;
	int			nk = s->n_kept;

	for (int k = 0; k < nk; k++)
	{
		double		v = in[s->kept[k]];

		out[k] = isnan(v) ? s->fill[k] : v;
	}
	for (int m = 0; m < s->n_ind; m++)
		out[nk + m] = isnan(in[s->ind[m]]) ? 1.0 : 0.0;
}

static AmlStatus
imputer_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	const ImputerState *s = t->state;
	int			n = X->rows;
	AmlMatrix  *r;

	AML_TRY(aml_matrix_create_unset(n, t->n_out, &r, err));
	for (int k = 0; k < s->n_kept; k++)
	{
		const double *x = AML_COL(X, s->kept[k]);
		double	   *o = AML_COL(r, k);
		double		f = s->fill[k];

		for (int i = 0; i < n; i++)
			o[i] = isnan(x[i]) ? f : x[i];
	}
	for (int m = 0; m < s->n_ind; m++)
	{
		const double *x = AML_COL(X, s->ind[m]);
		double	   *o = AML_COL(r, s->n_kept + m);

		for (int i = 0; i < n; i++)
			o[i] = isnan(x[i]) ? 1.0 : 0.0;
	}
	*out = r;
	return AML_OK;
}

static int
imputer_source(const AmlTransformer *t, int j)
{
	const ImputerState *s = t->state;

	if (j < 0 || j >= t->n_out)
		return -1;
	if (j < s->n_kept)
		return s->kept[j];
	return s->ind[j - s->n_kept];
}

/* ---------------------------------------------------------------- JSON */

static json_object *
imputer_to_json(const AmlTransformer *t)
{
	const ImputerState *s = t->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "statistics", aml_json_new_double_array(s->statistics, s->p));
	json_object_object_add(o, "kept", aml_json_new_int_array(s->kept, s->n_kept));
	json_object_object_add(o, "indicator_features", aml_json_new_int_array(s->ind, s->n_ind));
	return o;
}

static AmlStatus
imputer_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	ImputerState *s = AML_NEW(ImputerState);
	const char *what = "simple_imputer state";

	if (s == NULL)
		return aml_error_nomem(err, "an imputer");
	t->state = s;
	s->p = t->n_in;
	s->statistics = AML_NEW_ARRAY(double, s->p > 0 ? s->p : 1);
	if (s->statistics == NULL)
		return aml_error_nomem(err, "an imputer");
	AML_TRY(aml_json_get_double_array(obj, "statistics", s->statistics, s->p, what, err));
	AML_TRY(aml_json_get_int_vector(obj, "kept", &s->kept, &s->n_kept, what, err));
	AML_TRY(aml_json_get_int_vector(obj, "indicator_features", &s->ind, &s->n_ind, what, err));
	if (s->n_kept + s->n_ind != t->n_out)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has %d columns, expected %d", what,
						 s->n_kept + s->n_ind, t->n_out);
	s->fill = AML_NEW_ARRAY(double, s->n_kept > 0 ? s->n_kept : 1);
	if (s->fill == NULL)
		return aml_error_nomem(err, "an imputer");
	for (int k = 0; k < s->n_kept; k++)
	{
		if (s->kept[k] < 0 || s->kept[k] >= s->p || isnan(s->statistics[s->kept[k]]))
			return aml_error(err, AML_ERR_BAD_FORMAT, "%s has an invalid kept column", what);
		s->fill[k] = s->statistics[s->kept[k]];
	}
	for (int m = 0; m < s->n_ind; m++)
		if (s->ind[m] < 0 || s->ind[m] >= s->p)
			return aml_error(err, AML_ERR_BAD_FORMAT, "%s has an invalid indicator column", what);
	return AML_OK;
}

const AmlTransformerType aml_simple_imputer_type = {
	.name = "simple_imputer",
	.label = "imputation",
	.role = AML_ROLE_IMPUTER,
	.params = {imputer_specs, AML_PARAM_COUNT(imputer_specs), sizeof(ImputerParams)},
	.supervised = false,
	.accepts_missing = true,
	.fit = imputer_fit,
	.transform_row = imputer_row,
	.transform = imputer_transform,
	.state_to_json = imputer_to_json,
	.state_from_json = imputer_from_json,
	.free_state = imputer_free,
	.source_column = imputer_source,
	.affine = aml_transformer_always_affine,
};
