/*
 * test_core.c — unit tests of src/core: memory budget, matrices, dictionary,
 * random numbers, dataset, statistics, JSON helpers, OpenBLAS loading.
 */
#include "unit.h"
#include "csv.h"

#include "core/blas.h"
#include "core/dataset.h"
#include "core/dictionary.h"
#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "core/stats.h"

#include <float.h>
#include <stdint.h>

static void
test_memory_budget(void)
{
	size_t		base = aml_memory_in_use();
	void	   *a;
	void	   *b;
	AmlMemoryBudget saved;

	aml_set_memory_budget(1000, &saved);
	CHECK(aml_memory_budget() == 1000 && aml_memory_used() == 0);
	CHECK(aml_memory_available() == 1000);
	a = aml_alloc(500);
	CHECK(a != NULL);
	CHECK(aml_memory_in_use() > base + 500);
	/* what is left: the budget less what is in use (headers included) */
	CHECK(aml_memory_available() == 1000 - aml_memory_used() && aml_memory_available() < 500);
	CHECK(aml_memory_fits(aml_memory_available()) && !aml_memory_fits(aml_memory_available() + 1));
	b = aml_alloc(600);
	CHECK(b == NULL);
	CHECK(aml_memory_limit_hit());
	aml_free(a);
	CHECK(aml_memory_in_use() == base);
	aml_restore_memory_budget(&saved);
	CHECK(!aml_memory_limit_hit());
	CHECK(aml_memory_budget() == 0);
	CHECK(aml_memory_available() == SIZE_MAX);
	a = aml_alloc(1 << 20);
	CHECK(a != NULL);
	a = aml_realloc(a, 2 << 20);
	CHECK(a != NULL);
	aml_free(a);
	CHECK(aml_alloc_array(SIZE_MAX / 2, 4) == NULL);
	{
		size_t		out;

		CHECK(!aml_mul_size(SIZE_MAX / 2, 3, &out));
		CHECK(aml_mul_size(1000, 1000, &out) && out == 1000000);
	}
}

static void
test_error_messages(void)
{
	AmlError	err;
	AmlMemoryBudget saved;

	aml_error_clear(&err);
	CHECK(err.status == AML_OK);
	CHECK(aml_error(&err, AML_ERR_INVALID_DATA, "column %s is empty", "x") == AML_ERR_INVALID_DATA);
	CHECK_STR(err.message, "column x is empty");
	aml_error_hint(&err, "Use %d rows.", 3);
	CHECK_STR(err.hint, "Use 3 rows.");
	aml_set_memory_budget(10, &saved);
	CHECK(aml_alloc(100) == NULL);
	aml_error_nomem(&err, "a test");
	CHECK(strstr(err.message, "memory budget") != NULL);
	CHECK(strstr(err.hint, "automl.max_memory") != NULL);
	aml_restore_memory_budget(&saved);
}

static void
test_matrix(void)
{
	AmlMatrix  *m = aml_matrix_new(3, 2);
	AmlMatrix  *r;
	int			rows[] = {2, 0, 2};
	int			cols[] = {1};
	double		row[2];

	CHECK(m != NULL);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			AML_AT(m, i, j) = i * 10 + j;
	CHECK(m->data[1] == 10);	/* column-major */
	r = aml_matrix_take_rows(m, rows, 3);
	CHECK(AML_AT(r, 0, 1) == 21 && AML_AT(r, 1, 0) == 0 && AML_AT(r, 2, 0) == 20);
	aml_matrix_free(r);
	r = aml_matrix_take_cols(m, cols, 1);
	CHECK(r->cols == 1 && AML_AT(r, 2, 0) == 21);
	aml_matrix_free(r);
	aml_matrix_get_row(m, 1, row);
	CHECK(row[0] == 10 && row[1] == 11);
	CHECK(aml_matrix_all_finite(m));
	AML_AT(m, 0, 0) = NAN;
	CHECK(aml_matrix_has_nan(m) && !aml_matrix_all_finite(m));
	aml_matrix_free(m);
	CHECK(aml_matrix_bytes(-1, 2) == SIZE_MAX);
	/* an output matrix the caller fills: its shape, and refusals */
	{
		AmlError	err;

		CHECK(aml_matrix_create_unset(4, 3, &r, &err) == AML_OK);
		CHECK(r != NULL && r->rows == 4 && r->cols == 3 && r->owns_data && r->data != NULL);
		for (int k = 0; k < 12; k++)
			r->data[k] = k;
		CHECK(AML_AT(r, 3, 2) == 11);
		aml_matrix_free(r);
		CHECK(aml_matrix_create_unset(0, 5, &r, &err) == AML_OK && r->rows == 0 && r->data != NULL);
		aml_matrix_free(r);
		CHECK(aml_matrix_create_unset(-1, 2, &r, &err) == AML_ERR_OUT_OF_MEMORY && r == NULL);
		CHECK(aml_matrix_create_unset(INT32_MAX, INT32_MAX, &r, &err) == AML_ERR_OUT_OF_MEMORY && r == NULL);
	}
}

static void
test_blas(void)
{
	/* A = [1 2; 3 4] column-major, x = [1 1] */
	double		a[] = {1, 3, 2, 4};
	double		x[] = {1, 1};
	double		y[2] = {0, 0};
	double		c[4];
	double		s[2];
	double		ls_a[] = {1, 1, 1, 1, 2, 3};	/* 3x2: intercept + x */
	double		ls_b[] = {1, 3, 5};				/* y = 2x - 1 */
	int			jpvt[2] = {0, 0};
	int			rank;
	AmlError	err;

	CHECK_OK(aml_blas_init(1, &err), &err);
	CHECK(aml_blas_loaded());
	aml_dgemv('N', 2, 2, 1.0, a, 2, x, 1, 0.0, y, 1);
	CHECK(y[0] == 3 && y[1] == 7);
	aml_dgemm('T', 'N', 2, 2, 2, 1.0, a, 2, a, 2, 0.0, c, 2);
	CHECK(c[0] == 10 && c[2] == 14 && c[3] == 20);
	CHECK(aml_ddot(2, x, 1, y, 1) == 10);
	CHECK(aml_dgelsy(3, 2, 1, ls_a, 3, ls_b, 3, jpvt, 1e-12, &rank) == 0);
	CHECK(rank == 2);
	CHECK_NEAR(ls_b[0], -1.0, 1e-12);
	CHECK_NEAR(ls_b[1], 2.0, 1e-12);
	{
		double		a2[] = {1, 3, 2, 4};

		CHECK(aml_dgesdd('N', 2, 2, a2, 2, s, NULL, 1, NULL, 1) == 0);
		/* singular values of [1 2; 3 4]: sqrt(15 +- sqrt(221)) */
		CHECK_NEAR(s[0], sqrt(15 + sqrt(221)), 1e-12);
		CHECK_NEAR(s[1], sqrt(15 - sqrt(221)), 1e-12);
	}
	CHECK(strlen(aml_blas_config()) > 0);
}

static void
test_dictionary(void)
{
	AmlDictionary *d = aml_dict_new();
	AmlError	err;
	int			code;
	int			remap[3];
	char		buf[32];

	CHECK_OK(aml_dict_intern(d, "M", 1, &code, &err), &err);
	CHECK(code == 0);
	CHECK_OK(aml_dict_intern(d, "F", 1, &code, &err), &err);
	CHECK(code == 1);
	CHECK_OK(aml_dict_intern(d, "M", 1, &code, &err), &err);
	CHECK(code == 0);
	CHECK_OK(aml_dict_intern(d, "", 0, &code, &err), &err);
	CHECK(code == 2);
	CHECK(aml_dict_lookup(d, "X", 1) == -1);
	CHECK_OK(aml_dict_sort(d, remap, &err), &err);
	CHECK_STR(aml_dict_string(d, 0), "");
	CHECK_STR(aml_dict_string(d, 1), "F");
	CHECK_STR(aml_dict_string(d, 2), "M");
	CHECK(remap[0] == 2 && remap[1] == 1 && remap[2] == 0);
	CHECK(aml_dict_lookup(d, "M", 1) == 2);
	/* growth */
	for (int i = 0; i < 5000; i++)
	{
		snprintf(buf, sizeof(buf), "v%d", i);
		CHECK_OK(aml_dict_intern(d, buf, strlen(buf), &code, &err), &err);
	}
	CHECK(d->count == 5003);
	CHECK(aml_dict_lookup(d, "v4999", 5) == 5002);
	aml_dict_free(d);
}

static void
test_random(void)
{
	AmlRng		a;
	AmlRng		b;
	AmlRng		c;
	int			items[10];
	double		sum = 0;
	double		sumsq = 0;
	int			counts[3] = {0, 0, 0};

	aml_rng_seed(&a, 42);
	aml_rng_seed(&b, 42);
	for (int i = 0; i < 100; i++)
		CHECK(aml_rng_next(&a) == aml_rng_next(&b));
	aml_rng_derive(&a, 1, &b);
	aml_rng_next(&a);
	aml_rng_derive(&a, 1, &c);	/* same parent seed: same stream */
	CHECK(aml_rng_next(&b) == aml_rng_next(&c));
	aml_rng_derive(&a, 2, &c);
	CHECK(aml_rng_next(&b) != aml_rng_next(&c));
	for (int i = 0; i < 100000; i++)
	{
		double		u = aml_rng_uniform(&a);
		double		z = aml_rng_normal(&a);

		CHECK_MSG(u >= 0 && u < 1, "uniform out of range: %g", u);
		sum += z;
		sumsq += z * z;
		counts[aml_rng_below(&a, 3)]++;
	}
	CHECK(fabs(sum / 100000) < 0.02);
	CHECK(fabs(sumsq / 100000 - 1) < 0.02);
	for (int k = 0; k < 3; k++)
		CHECK(abs(counts[k] - 33333) < 800);
	for (int i = 0; i < 10; i++)
		items[i] = i;
	aml_rng_shuffle(&a, items, 10);
	{
		int			seen = 0;

		for (int i = 0; i < 10; i++)
			seen |= 1 << items[i];
		CHECK(seen == 1023);
	}
}

static void
test_dataset(void)
{
	AmlDataset *ds;
	AmlError	err;
	int			row;
	AmlMatrix  *m;
	int			cols[] = {1, 0};

	CHECK_OK(aml_dataset_create(2, &ds, &err), &err);
	CHECK_OK(aml_dataset_define_column(ds, 0, "age", AML_KIND_NUMERIC, &err), &err);
	CHECK_OK(aml_dataset_define_column(ds, 1, "gender", AML_KIND_CATEGORICAL, &err), &err);
	for (int i = 0; i < 3000; i++)
	{
		CHECK_OK(aml_dataset_append_row(ds, &row, &err), &err);
		if (i % 3 != 0)
			aml_dataset_set_number(ds, row, 0, i);
		if (i % 2 == 0)
			aml_dataset_set_category(ds, row, 1, "M", 1, &err);
		else if (i % 5 != 0)
			aml_dataset_set_category(ds, row, 1, "F", 1, &err);
	}
	aml_dataset_set_number(ds, 1, 0, NAN);	/* NaN counts as missing */
	CHECK_OK(aml_dataset_finish(ds, &err), &err);
	CHECK(ds->n_rows == 3000);
	CHECK(ds->columns[0].n_missing == 1001);
	CHECK(ds->columns[1].n_missing == 300);
	CHECK_STR(aml_dict_string(ds->columns[1].dict, 0), "F");
	CHECK(ds->columns[1].values[0] == 1.0);	/* "M" renumbered after sort */
	CHECK(aml_dataset_find_column(ds, "gender") == 1);
	CHECK(aml_dataset_find_column(ds, "nope") == -1);
	CHECK_OK(aml_dataset_to_matrix(ds, cols, 2, &m, &err), &err);
	CHECK(m->rows == 3000 && m->cols == 2 && AML_AT(m, 2, 1) == 2 && isnan(AML_AT(m, 0, 1)));
	aml_matrix_free(m);
	aml_dataset_free(ds);
}

static void
test_dataset_budget(void)
{
	AmlDataset *ds;
	AmlError	err;
	int			row;
	AmlStatus	st = AML_OK;
	AmlMemoryBudget saved;

	aml_set_memory_budget(200000, &saved);
	CHECK_OK(aml_dataset_create(10, &ds, &err), &err);
	for (int j = 0; j < 10; j++)
		aml_dataset_define_column(ds, j, "c", AML_KIND_NUMERIC, &err);
	for (int i = 0; i < 100000 && st == AML_OK; i++)
		st = aml_dataset_append_row(ds, &row, &err);
	CHECK(st == AML_ERR_OUT_OF_MEMORY);
	CHECK(strstr(err.message, "memory budget exceeded") != NULL);
	aml_dataset_free(ds);
	aml_restore_memory_budget(&saved);
}

static void
test_stats(void)
{
	AmlMoments	m;
	double		v[] = {4, 1, 3, 2, 5};
	double		sorted[5];
	double		with_nan[] = {NAN, 2, 1};
	int			n;

	aml_moments_init(&m);
	for (int i = 0; i < 5; i++)
		aml_moments_add(&m, v[i]);
	CHECK(aml_moments_mean(&m) == 3);
	CHECK_NEAR(aml_moments_var_samp(&m), 2.5, 1e-15);
	CHECK_NEAR(aml_moments_var_pop(&m), 2.0, 1e-15);
	n = aml_sorted_finite(v, 5, sorted);
	CHECK(n == 5 && sorted[0] == 1 && sorted[4] == 5);
	CHECK(aml_quantile_sorted(sorted, 5, 0.25) == 2);
	CHECK(aml_quantile_sorted(sorted, 4, 0.5) == 2.5);
	CHECK(aml_quantile_sorted(sorted, 1, 0.75) == 1);
	CHECK(isnan(aml_quantile_sorted(sorted, 0, 0.5)));
	n = aml_sorted_finite(with_nan, 3, sorted);
	CHECK(n == 2 && sorted[0] == 1);
	aml_moments_init(&m);
	aml_moments_add(&m, INFINITY);
	aml_moments_add(&m, 1);
	CHECK(isinf(aml_moments_mean(&m)));
	CHECK(isnan(aml_moments_var_samp(&m)));
}

static void
test_json(void)
{
	double		values[] = {0.1, 1.0 / 3.0, -0.0, 1e-310, DBL_MAX, 123456789012.5, 3, NAN, INFINITY,
	-INFINITY};
	json_object *a = aml_json_new_double_array(values, 10);
	json_object *parsed;
	json_object *holder = json_object_new_object();
	const char *text;
	double		back[10];
	AmlError	err;
	AmlMatrix  *m = aml_matrix_new(2, 3);
	AmlMatrix  *m2;
	char		buf[40];

	json_object_object_add(holder, "v", a);
	text = aml_json_text(holder);
	CHECK_OK(aml_json_parse(text, strlen(text), &parsed, &err), &err);
	CHECK_OK(aml_json_get_double_array(parsed, "v", back, 10, "test", &err), &err);
	for (int i = 0; i < 7; i++)
		CHECK_MSG(back[i] == values[i] && signbit(back[i]) == signbit(values[i]),
				  "double %d did not round-trip: %.17g -> %.17g", i, values[i], back[i]);
	CHECK(isnan(back[7]) && back[8] == INFINITY && back[9] == -INFINITY);
	CHECK_STATUS(aml_json_get_double_array(parsed, "v", back, 9, "test", &err),
				 AML_ERR_BAD_FORMAT, &err);
	CHECK_STATUS(aml_json_get_double(parsed, "missing", back, "test", &err),
				 AML_ERR_BAD_FORMAT, &err);
	CHECK(strstr(err.message, "no field \"missing\"") != NULL);
	json_object_put(parsed);
	json_object_put(holder);

	aml_format_double(0.1, buf, sizeof(buf));
	CHECK_STR(buf, "0.1");

	for (int k = 0; k < 6; k++)
		m->data[k] = k / 7.0;
	holder = json_object_new_object();
	json_object_object_add(holder, "m", aml_json_new_matrix(m));
	CHECK_OK(aml_json_get_matrix(holder, "m", &m2, "test", &err), &err);
	CHECK(m2->rows == 2 && m2->cols == 3 && memcmp(m->data, m2->data, 6 * sizeof(double)) == 0);
	aml_matrix_free(m);
	aml_matrix_free(m2);
	json_object_put(holder);

	CHECK_STATUS(aml_json_parse("{\"a\": [1, 2", 11, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
	CHECK(strstr(err.message, "invalid JSON") != NULL);
	CHECK_STATUS(aml_json_parse("", 0, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
	/* bare numbers and literals are whole documents; nothing may follow one */
	CHECK_OK(aml_json_parse("null", 4, &parsed, &err), &err);
	CHECK(parsed == NULL);
	CHECK_OK(aml_json_parse("12", 2, &parsed, &err), &err);
	CHECK(json_object_is_type(parsed, json_type_int) && json_object_get_int(parsed) == 12);
	json_object_put(parsed);
	CHECK_OK(aml_json_parse("true \n", 6, &parsed, &err), &err);
	CHECK(json_object_is_type(parsed, json_type_boolean));
	json_object_put(parsed);
	CHECK_STATUS(aml_json_parse("nul", 3, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
	CHECK_STATUS(aml_json_parse("[1,", 3, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
	CHECK(strstr(err.message, "unexpected end of data") != NULL);
	CHECK_STATUS(aml_json_parse("{\"a\": 1} x", 10, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
	CHECK(strstr(err.message, "after the end") != NULL);

	/* metrics and scores: a number where there is one, null for NaN and infinities */
	holder = json_object_new_object();
	json_object_object_add(holder, "a", aml_json_new_number(0.1));
	json_object_object_add(holder, "b", aml_json_new_number(3));
	json_object_object_add(holder, "c", aml_json_new_number(NAN));
	json_object_object_add(holder, "d", aml_json_new_number(INFINITY));
	json_object_object_add(holder, "e", aml_json_new_number(-INFINITY));
	CHECK_STR(aml_json_text(holder), "{\"a\":0.1,\"b\":3,\"c\":null,\"d\":null,\"e\":null}");
	json_object_put(holder);

	/* strict parsing of untrusted documents */
	{
		static const char *const good[] = {"{\"a\": [1, 2.5, \"x\", null, true]}", " [1] \n", "\"pong\"", "42",
		"{\"a\":\"caf\u00e9 \\u00e9\"}"};
		static const char *const bad[] = {"{\"a\": 1} trailing", "{\"a\": 1}{}", "[1,]", "{\"a\": 1,}", "[NaN]",
			"[Infinity]", "[-Infinity]", "[1e999999]", "{\"a\": [1e999999]}", "[tRue]", "[01]", "null", "",
			"   ", "[\"\xff\"]", "[\"caf\xc3\"]", "{\"a\": 1", "[1] x"};

		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		{
			CHECK_OK(aml_json_parse_strict(good[i], strlen(good[i]), &parsed, &err), &err);
			CHECK(parsed != NULL);
			json_object_put(parsed);
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			parsed = (json_object *) 1;
			CHECK_STATUS(aml_json_parse_strict(bad[i], strlen(bad[i]), &parsed, &err), AML_ERR_BAD_FORMAT, &err);
			CHECK(parsed == NULL);
		}
		/* a NUL byte inside, the rest valid */
		CHECK_STATUS(aml_json_parse_strict("[1]\0[2]", 7, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
		CHECK(strstr(err.message, "NUL") != NULL);
		CHECK_STATUS(aml_json_parse_strict("[\"a\0b\"]", 7, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
		CHECK_STATUS(aml_json_parse_strict("{\"a\": 1} x", 10, &parsed, &err), AML_ERR_BAD_FORMAT, &err);
		CHECK(strstr(err.message, "after the end of the document") != NULL);
		/* \u0000 is valid JSON (PostgreSQL's jsonb refuses it: the caller decides) */
		CHECK_OK(aml_json_parse_strict("[\"a\\u0000b\"]", 12, &parsed, &err), &err);
		json_object_put(parsed);
	}
}

static void
test_csv(void)
{
	AmlDataset *ds = csv_load(unit_data_path("iris.csv"));
	AmlMatrix  *X;
	double	   *y;
	int			k;

	CHECK(ds != NULL);
	CHECK(ds->n_rows == 147 && ds->n_cols == 5);
	CHECK(ds->columns[4].kind == AML_KIND_CATEGORICAL && ds->columns[4].dict->count == 3);
	CHECK(csv_split_xy(ds, "name", false, &X, &y, &k) == 0);
	CHECK(X->cols == 4 && k == 3);
	aml_matrix_free(X);
	aml_free(y);
	aml_dataset_free(ds);
}

int
main(void)
{
	unit_begin();
	RUN(test_memory_budget);
	RUN(test_error_messages);
	RUN(test_matrix);
	RUN(test_blas);
	RUN(test_dictionary);
	RUN(test_random);
	RUN(test_dataset);
	RUN(test_dataset_budget);
	RUN(test_stats);
	RUN(test_json);
	RUN(test_csv);
	return unit_end();
}
