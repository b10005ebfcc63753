/*
 * test_nystroem.c — src/ml/nystroem.c, the RBF kernel map.
 *
 * Against scikit-learn 1.2's Nystroem (test/reference/nystroem.py ->
 * reference/nystroem.json): with every training row a landmark, the inner
 * products of the features of test rows with each other and with training
 * rows equal scikit-learn's to 1e-10 (the features themselves depend on the
 * order the landmarks are drawn in; their inner products do not), and
 * reproduce the kernel k(x, y) = exp(-gamma ||x - y||^2).  With fewer
 * landmarks, the map reproduces the kernel between a landmark and any row
 * (Nystroem's defining property).  Also: gamma null is 1 / columns, more
 * components than rows keeps every row, JSON round trip to the bit, the
 * same seed the same map, bad hyperparameters and bad state documents; and
 * the columns it and polynomial features say they make (out_width, which
 * the search's memory estimates read).
 */
#include "unit.h"

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/transformer.h"

#include <string.h>

static json_object *ref;

static AmlMatrix *
rows_of(const char *key)
{
	json_object *a = unit_json_get(ref, key);
	int			n = (int) json_object_array_length(a);
	int			p = (int) json_object_array_length(json_object_array_get_idx(a, 0));
	AmlMatrix  *X = aml_matrix_new(n, p);

	for (int i = 0; i < n; i++)
		for (int j = 0; j < p; j++)
			AML_AT(X, i, j) = json_object_get_double(json_object_array_get_idx(json_object_array_get_idx(a, i), j));
	return X;
}

static AmlTransformer *
fitted(const char *params_json, const AmlMatrix *X, uint64_t seed)
{
	const AmlTransformerType *type = aml_transformer_type_find("nystroem");
	json_object *params = json_tokener_parse(params_json);
	AmlTransformer *t = NULL;
	AmlRng		rng;
	AmlError	err;

	CHECK(type != NULL);
	CHECK_OK(aml_transformer_create(type, AML_TASK_CLASSIFICATION, 2, params, &t, &err), &err);
	aml_rng_seed(&rng, seed);
	CHECK_OK(aml_transformer_fit(t, X, NULL, &rng, &err), &err);
	json_object_put(params);
	return t;
}

/* the features of every row of X (rows x n_out, row-major) */
static double *
features(const AmlTransformer *t, const AmlMatrix *X)
{
	double	   *z = AML_NEW_ARRAY(double, (size_t) X->rows * t->n_out);
	double	   *in = AML_NEW_ARRAY(double, X->cols);

	for (int i = 0; i < X->rows; i++)
	{
		for (int j = 0; j < X->cols; j++)
			in[j] = AML_AT(X, i, j);
		t->type->transform_row(t, in, z + (size_t) i * t->n_out);
	}
	aml_free(in);
	return z;
}

static double
dot(const double *a, const double *b, int n)
{
	double		s = 0;

	for (int k = 0; k < n; k++)
		s += a[k] * b[k];
	return s;
}

static void
test_against_sklearn(void)
{
	AmlMatrix  *train = rows_of("train");
	AmlMatrix  *test = rows_of("test");
	AmlTransformer *t = fitted("{\"gamma\": 0.3, \"n_components\": 60}", train, 42);
	int			m = t->n_out;
	double	   *zt = features(t, test);
	double	   *zr = features(t, train);
	json_object *gt = unit_json_get(ref, "gram_test");
	json_object *gc = unit_json_get(ref, "gram_cross");
	json_object *kc = unit_json_get(ref, "kernel_cross");
	double		worst = 0;

	CHECK_MSG(m == 60, "%d components, 60 asked and 60 rows", m);
	for (int a = 0; a < test->rows; a++)
	{
		for (int b = 0; b < test->rows; b++)
		{
			double		want = json_object_get_double(json_object_array_get_idx(gt, (size_t) a * test->rows + b));

			worst = fmax(worst, fabs(dot(zt + (size_t) a * m, zt + (size_t) b * m, m) - want));
		}
		for (int b = 0; b < train->rows; b++)
		{
			double		got = dot(zt + (size_t) a * m, zr + (size_t) b * m, m);
			size_t		at = (size_t) a * train->rows + b;

			worst = fmax(worst, fabs(got - json_object_get_double(json_object_array_get_idx(gc, at))));
			worst = fmax(worst, fabs(got - json_object_get_double(json_object_array_get_idx(kc, at))));
		}
	}
	CHECK_MSG(worst <= 1e-10, "largest difference from scikit-learn's inner products %.3g", worst);
	aml_free(zt);
	aml_free(zr);
	aml_transformer_free(t);
	aml_matrix_free(train);
	aml_matrix_free(test);
}

/* fewer landmarks: Z(landmark) . Z(x) = k(landmark, x) for every row x */
static void
test_landmarks_reproduce_kernel(void)
{
	AmlMatrix  *train = rows_of("train");
	AmlMatrix  *test = rows_of("test");
	AmlTransformer *t = fitted("{\"n_components\": 12}", train, 7);
	json_object *state = aml_transformer_to_json(t);
	json_object *lm = NULL;
	json_object *st = NULL;
	double		gamma;
	double	   *zt = features(t, test);
	double	   *zl;
	AmlMatrix  *L = aml_matrix_new(12, train->cols);
	double		worst = 0;

	CHECK(t->n_out == 12);
	CHECK(json_object_object_get_ex(state, "state", &st));
	CHECK(json_object_object_get_ex(st, "landmarks", &lm) && json_object_array_length(lm) == (size_t) 12 * train->cols);
	gamma = json_object_get_double(json_object_object_get(st, "gamma"));
	CHECK_NEAR(gamma, 1.0 / train->cols, 1e-15);	/* null: 1 / columns */
	for (int r = 0; r < 12; r++)
		for (int j = 0; j < train->cols; j++)
			AML_AT(L, r, j) = json_object_get_double(json_object_array_get_idx(lm, (size_t) r * train->cols + j));
	zl = features(t, L);
	for (int r = 0; r < 12; r++)
	{
		bool		is_row = false;

		/* each landmark is a training row */
		for (int i = 0; i < train->rows && !is_row; i++)
		{
			bool		same = true;

			for (int j = 0; j < train->cols; j++)
				same = same && AML_AT(train, i, j) == AML_AT(L, r, j);
			is_row = same;
		}
		CHECK_MSG(is_row, "landmark %d is not a training row", r);
		for (int a = 0; a < test->rows; a++)
		{
			double		d2 = 0;

			for (int j = 0; j < train->cols; j++)
				d2 += (AML_AT(test, a, j) - AML_AT(L, r, j)) * (AML_AT(test, a, j) - AML_AT(L, r, j));
			worst = fmax(worst, fabs(dot(zl + (size_t) r * 12, zt + (size_t) a * 12, 12) - exp(-gamma * d2)));
		}
	}
	CHECK_MSG(worst <= 1e-10, "landmark rows: largest difference from the kernel %.3g", worst);
	aml_free(zt);
	aml_free(zl);
	aml_matrix_free(L);
	json_object_put(state);
	aml_transformer_free(t);
	aml_matrix_free(train);
	aml_matrix_free(test);
}

static void
test_json_seed_and_limits(void)
{
	AmlMatrix  *train = rows_of("train");
	AmlMatrix  *test = rows_of("test");
	AmlTransformer *t = fitted("{\"gamma\": 0.2, \"n_components\": 20}", train, 3);
	AmlTransformer *same = fitted("{\"gamma\": 0.2, \"n_components\": 20}", train, 3);
	AmlTransformer *other = fitted("{\"gamma\": 0.2, \"n_components\": 20}", train, 4);
	AmlTransformer *all = fitted("{\"n_components\": 500}", train, 3);
	AmlTransformer *back = NULL;
	json_object *j = aml_transformer_to_json(t);
	const char *text = aml_json_text(j);
	json_object *parsed = json_tokener_parse(text);
	double	   *z1 = features(t, test);
	double	   *z2 = features(same, test);
	double	   *z3 = features(other, test);
	double	   *z4;
	AmlError	err;

	CHECK(memcmp(z1, z2, sizeof(double) * 15 * 20) == 0);
	CHECK(memcmp(z1, z3, sizeof(double) * 15 * 20) != 0);
	CHECK_MSG(all->n_out == train->rows, "n_components 500 on %d rows: %d", train->rows, all->n_out);
	CHECK_OK(aml_transformer_from_json(parsed, &back, &err), &err);
	z4 = features(back, test);
	CHECK(memcmp(z1, z4, sizeof(double) * 15 * 20) == 0);
	aml_free(z1);
	aml_free(z2);
	aml_free(z3);
	aml_free(z4);
	json_object_put(j);
	json_object_put(parsed);
	aml_transformer_free(t);
	aml_transformer_free(same);
	aml_transformer_free(other);
	aml_transformer_free(all);
	aml_transformer_free(back);
	aml_matrix_free(train);
	aml_matrix_free(test);
}

static void
test_bad_input(void)
{
	const AmlTransformerType *type = aml_transformer_type_find("nystroem");
	const char *bad_params[] = {"{\"n_components\": 0}", "{\"n_components\": 2001}", "{\"gamma\": 0}",
	"{\"gamma\": -1}", "{\"kernel\": \"poly\"}"};
	AmlMatrix  *train = rows_of("train");
	AmlTransformer *t = fitted("{\"n_components\": 4}", train, 1);
	json_object *good = aml_transformer_to_json(t);
	const char *edits[] = {"n_components", "gamma", "landmarks"};

	for (int i = 0; i < 5; i++)
	{
		json_object *p = json_tokener_parse(bad_params[i]);
		AmlTransformer *b = NULL;
		AmlError	err;

		CHECK_MSG(aml_transformer_create(type, AML_TASK_CLASSIFICATION, 2, p, &b, &err) != AML_OK,
				  "accepted %s", bad_params[i]);
		aml_transformer_free(b);
		json_object_put(p);
	}
	/* a state with a wrong count, a negative gamma, landmarks cut short */
	for (int i = 0; i < 3; i++)
	{
		json_object *doc = json_tokener_parse(aml_json_text(good));
		json_object *st = json_object_object_get(doc, "state");
		AmlTransformer *b = NULL;
		AmlError	err;

		if (i == 0)
			json_object_object_add(st, "n_components", json_object_new_int(5));
		else if (i == 1)
			json_object_object_add(st, "gamma", json_object_new_double(-0.5));
		else
			json_object_array_del_idx(json_object_object_get(st, edits[i]), 0, 1);
		CHECK_STATUS(aml_transformer_from_json(doc, &b, &err), AML_ERR_BAD_FORMAT, &err);
		aml_transformer_free(b);
		json_object_put(doc);
	}
	json_object_put(good);
	aml_transformer_free(t);
	aml_matrix_free(train);
}

/* the columns a step makes, as the search's memory estimates read them */
static void
test_out_width(void)
{
	const char *cases[][2] = {{"nystroem", "{\"n_components\": 100}"}, {"nystroem", "{\"n_components\": 20}"},
	{"polynomial_features", "{}"}, {"polynomial_features", "{\"interaction_only\": true}"},
	{"polynomial_features", "{\"include_bias\": true}"}};
	double		want[] = {60, 20, 65, 55, 66};	/* 10 columns, 60 rows */

	for (int i = 0; i < 5; i++)
	{
		const AmlTransformerType *type = aml_transformer_type_find(cases[i][0]);
		json_object *p = json_tokener_parse(cases[i][1]);
		AmlTransformer *t = NULL;
		AmlError	err;

		CHECK(type != NULL && type->out_width != NULL);
		CHECK_OK(aml_transformer_create(type, AML_TASK_REGRESSION, 0, p, &t, &err), &err);
		CHECK_MSG(type->out_width(t, 10, 60) == want[i], "%s %s: %g columns, not %g", cases[i][0], cases[i][1],
				  type->out_width(t, 10, 60), want[i]);
		aml_transformer_free(t);
		json_object_put(p);
	}
}

int
main(void)
{
	unit_begin();
	ref = unit_load_json("reference/nystroem.json");
	RUN(test_against_sklearn);
	RUN(test_landmarks_reproduce_kernel);
	RUN(test_json_seed_and_limits);
	RUN(test_bad_input);
	RUN(test_out_width);
	json_object_put(ref);
	return unit_end();
}
