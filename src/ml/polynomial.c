/*
 * polynomial.c — polynomial_features: degree-2 products of the columns
 * (scikit-learn 1.2's PolynomialFeatures(degree=2)).
 *
 * Output columns, in scikit-learn's order: [1 when include_bias], x_0 ..
 * x_{p-1}, then x_i x_j for i <= j (i < j with interaction_only) in
 * lexicographic order: x_0^2, x_0 x_1, ..., x_0 x_{p-1}, x_1^2, ...
 *
 * Differences from scikit-learn: include_bias defaults to false (the models
 * fit their own intercept), only degree 2 is offered, and fit refuses with
 * AML_ERR_INVALID_PARAMETER when the output would have more than
 * max_output_features columns, so the AutoML search can skip the step on
 * wide data instead of exhausting memory.
 */
#include "ml/transformer.h"
#include "core/json.h"
#include "core/memory.h"

#include <stddef.h>
#include <stdint.h>

typedef struct PolyParams
{
	int			degree;
	bool		interaction_only;
	bool		include_bias;
	int			max_output_features;
} PolyParams;

static const AmlParamSpec poly_specs[] = {
	{"degree", AML_PARAM_INT, offsetof(PolyParams, degree), 2, 2, 2, false, false, false, NULL,
	"degree of the polynomial (only 2 is supported)"},
	{"interaction_only", AML_PARAM_BOOL, offsetof(PolyParams, interaction_only), 0, 0, 1, false,
	false, false, NULL, "only products of distinct columns, no squares"},
	{"include_bias", AML_PARAM_BOOL, offsetof(PolyParams, include_bias), 0, 0, 1, false, false,
	false, NULL, "add a first column of ones"},
	{"max_output_features", AML_PARAM_INT, offsetof(PolyParams, max_output_features), 2000, 1,
	10000000, false, false, false, NULL,
	"fit fails when more output columns than this would be produced"},
};

typedef struct PolyState
{
	int			p;
	int			n_out;
	bool		interaction_only;
	bool		include_bias;
} PolyState;

static void
poly_free(AmlTransformer *t)
{
	aml_free(t->state);
	t->state = NULL;
}

static int64_t
output_count(int64_t p, bool interaction_only, bool include_bias)
{
	int64_t		pairs = interaction_only ? p * (p - 1) / 2 : p * (p + 1) / 2;

	return (include_bias ? 1 : 0) + p + pairs;
}

static double
poly_out_width(const AmlTransformer *t, double n_in, double rows)
{
	const PolyParams *prm = t->params;
	double		pairs = prm->interaction_only ? n_in * (n_in - 1) / 2 : n_in * (n_in + 1) / 2;

	(void) rows;
	return (prm->include_bias ? 1 : 0) + n_in + pairs;
}

static AmlStatus
poly_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const PolyParams *prm = t->params;
	int64_t		count = output_count(X->cols, prm->interaction_only, prm->include_bias);
	PolyState  *s;

	if (count > prm->max_output_features)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "polynomial features would produce %lld columns, more than max_output_features (%d)",
				  (long long) count, prm->max_output_features);
		aml_error_detail(err, "The input has %d columns.", X->cols);
		return aml_error_hint(err, "Raise max_output_features, use interaction_only, or select "
							  "fewer columns first.");
	}
	s = AML_NEW(PolyState);
	if (s == NULL)
		return aml_error_nomem(err, "polynomial features");
	s->p = X->cols;
	s->n_out = (int) count;
	s->interaction_only = prm->interaction_only;
	s->include_bias = prm->include_bias;
	t->state = s;
	t->n_out = s->n_out;
	return AML_OK;
}

static void
poly_row(const AmlTransformer *t, const double *in, double *out)
{
	const PolyState *s = t->state;
	int			p = s->p;
	int			o = 0;
	int			off = s->interaction_only ? 1 : 0;

	if (s->include_bias)
		out[o++] = 1.0;
	for (int j = 0; j < p; j++)
		out[o++] = in[j];
	for (int i = 0; i < p; i++)
	{
		double		xi = in[i];

		for (int j = i + off; j < p; j++)
			out[o++] = xi * in[j];
	}
}

static AmlStatus
poly_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	const PolyState *s = t->state;
	int			n = X->rows;
	int			p = s->p;
	int			o = 0;
	int			off = s->interaction_only ? 1 : 0;
	AmlMatrix  *r;

	AML_TRY(aml_matrix_create_unset(n, s->n_out, &r, err));
	if (s->include_bias)
	{
		double	   *c = AML_COL(r, o++);

		for (int i = 0; i < n; i++)
			c[i] = 1.0;
	}
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double	   *c = AML_COL(r, o++);

		for (int i = 0; i < n; i++)
			c[i] = x[i];
	}
	for (int a = 0; a < p; a++)
	{
		const double *xa = AML_COL(X, a);

		for (int b = a + off; b < p; b++)
		{
			const double *xb = AML_COL(X, b);
			double	   *c = AML_COL(r, o++);

			for (int i = 0; i < n; i++)
				c[i] = xa[i] * xb[i];
		}
	}
	*out = r;
	return AML_OK;
}

/* bias: -1; x_j: j; x_i^2: i; x_i x_j (i != j): -1 */
static int
poly_source(const AmlTransformer *t, int j)
{
	const PolyState *s = t->state;
	int			off = s->interaction_only ? 1 : 0;
	int			o = j;

	if (s->include_bias)
	{
		if (o == 0)
			return -1;
		o--;
	}
	if (o < s->p)
		return o;
	o -= s->p;
	for (int a = 0; a < s->p; a++)
	{
		int			len = s->p - a - off;

		if (o < len)
			return (off == 0 && o == 0) ? a : -1;
		o -= len;
	}
	return -1;
}

static json_object *
poly_to_json(const AmlTransformer *t)
{
	const PolyState *s = t->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n_features", json_object_new_int(s->p));
	json_object_object_add(o, "n_output_features", json_object_new_int(s->n_out));
	json_object_object_add(o, "interaction_only", json_object_new_boolean(s->interaction_only));
	json_object_object_add(o, "include_bias", json_object_new_boolean(s->include_bias));
	return o;
}

static AmlStatus
poly_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	const char *what = "polynomial_features state";
	PolyState  *s = AML_NEW(PolyState);

	if (s == NULL)
		return aml_error_nomem(err, "polynomial features");
	t->state = s;
	AML_TRY(aml_json_get_int(obj, "n_features", &s->p, what, err));
	AML_TRY(aml_json_get_int(obj, "n_output_features", &s->n_out, what, err));
	AML_TRY(aml_json_get_bool(obj, "interaction_only", &s->interaction_only, what, err));
	AML_TRY(aml_json_get_bool(obj, "include_bias", &s->include_bias, what, err));
	if (s->p != t->n_in || s->n_out != t->n_out ||
		output_count(s->p, s->interaction_only, s->include_bias) != s->n_out)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s does not match its shape", what);
	return AML_OK;
}

const AmlTransformerType aml_polynomial_features_type = {
	.name = "polynomial_features",
	.label = "polynomial features",
	.role = AML_ROLE_FEATURES,
	.params = {poly_specs, AML_PARAM_COUNT(poly_specs), sizeof(PolyParams)},
	.supervised = false,
	.accepts_missing = false,
	.fit = poly_fit,
	.transform_row = poly_row,
	.transform = poly_transform,
	.state_to_json = poly_to_json,
	.state_from_json = poly_from_json,
	.free_state = poly_free,
	.source_column = poly_source,
	.out_width = poly_out_width,
};
