/*
 * transformers_bench.c — fit, batch transform and per-row transform times of
 * the transformers (standard_scaler, simple_imputer mean/median, pca,
 * polynomial_features, select_k_best) on breast_cancer, wine, diabetes and a
 * synthetic 100 000 x 20 table; test/bench/transformers_sklearn.py does the
 * same with scikit-learn.
 *
 * Build from the repository root (one line):
 *   cc -O2 -std=gnu11 -Isrc -Itest/unit/lib $(pkg-config --cflags json-c)
 *     -DAML_OPENBLAS_LIBRARY='"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"'
 *     test/bench/transformers_bench.c test/unit/lib/csv.c src/core/[a-z]*.c src/ml/estimator.c
 *     src/ml/transformer.c src/ml/params.c src/ml/registry.c src/ml/imputer.c
 *     src/ml/scalers.c src/ml/pca.c src/ml/polynomial.c src/ml/feature_selection.c
 *     $(pkg-config --libs json-c) -ldl -lm -o /tmp/transformers_bench
 * Run from test/bench (data in ../data):  /tmp/transformers_bench
 *
 * The synthetic table: uniform features from splitmix64 (as in
 * boosting_bench.c) mixed so that columns correlate; for the imputer every
 * value with (i * 21 + j) % 10 == 3 is missing.  Classification target for
 * the selector: f(x) > 1.2.  Times are process CPU time (fair on a shared
 * machine; OpenBLAS runs one thread), the best of several runs, in
 * milliseconds; "row" is the time per row of transform_row in microseconds.
 */
#include "csv.h"

#include "core/blas.h"
#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/transformer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t
splitmix64(uint64_t x)
{
	uint64_t	z = x + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
unif(uint64_t k)
{
	return (double) (splitmix64(k) >> 11) * 0x1.0p-53;
}

/* n x p: x_j = u_j + 0.5 u_{j-1} (correlated columns); class = f(u) > 1.2 */
static void
synthetic(int n, int p, AmlMatrix **X, double **ycls)
{
	*X = aml_matrix_new(n, p);
	*ycls = malloc(sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		double		prev = 0;
		double		f;

		for (int j = 0; j < p; j++)
		{
			double		u = unif((uint64_t) i * (p + 1) + j);

			AML_AT(*X, i, j) = u + 0.5 * prev;
			prev = u;
		}
		f = unif((uint64_t) i * (p + 1)) + sin(6 * unif((uint64_t) i * (p + 1) + 1)) +
			0.6 * (unif((uint64_t) i * (p + 1) + p) - 0.5);
		(*ycls)[i] = f > 1.2 ? 1 : 0;
	}
}

static void
bench(const char *data, const char *type_name, const char *params, const AmlMatrix *X,
	  const double *y, AmlTask task, int n_classes, int repeats)
{
	const AmlTransformerType *type = aml_transformer_type_find(type_name);
	json_object *pj = params ? json_tokener_parse(params) : NULL;
	AmlTransformer *t = NULL;
	AmlError	err;
	AmlRng		rng;
	double		best_fit = 1e30;
	double		best_tr = 1e30;
	double		best_row = 1e30;
	double	   *in = malloc(sizeof(double) * X->cols);
	double	   *out = NULL;
	volatile double sink = 0;

	aml_rng_seed(&rng, 1);
	if (type == NULL ||
		aml_transformer_create(type, task, n_classes, pj, &t, &err) != AML_OK)
	{
		printf("%-14s %-20s cannot create\n", data, type_name);
		json_object_put(pj);
		free(in);
		return;
	}
	for (int r = 0; r < repeats; r++)
	{
		double		t0 = now();
		AmlMatrix  *Z;

		if (aml_transformer_fit(t, X, y, &rng, &err) != AML_OK)
		{
			printf("%-14s %-20s fit failed: %s\n", data, type_name, err.message);
			goto done;
		}
		t0 = now() - t0;
		if (t0 < best_fit)
			best_fit = t0;
		t0 = now();
		if (aml_transformer_transform(t, X, &Z, &err) != AML_OK)
		{
			printf("%-14s %-20s transform failed: %s\n", data, type_name, err.message);
			goto done;
		}
		t0 = now() - t0;
		if (t0 < best_tr)
			best_tr = t0;
		sink += Z->data[0];
		aml_matrix_free(Z);
	}
	out = malloc(sizeof(double) * (t->n_out > 0 ? t->n_out : 1));
	for (int r = 0; r < (repeats > 3 ? 3 : repeats); r++)
	{
		double		t0 = now();

		for (int i = 0; i < X->rows; i++)
		{
			aml_matrix_get_row(X, i, in);
			t->type->transform_row(t, in, out);
			sink += out[0];
		}
		t0 = (now() - t0) / X->rows;
		if (t0 < best_row)
			best_row = t0;
	}
	printf("%-14s %-34s fit %9.3f ms  transform %9.3f ms  row %7.3f us  (%d -> %d columns)\n",
		   data, params ? params : type_name, best_fit * 1e3, best_tr * 1e3, best_row * 1e6,
		   X->cols, t->n_out);
done:
	(void) sink;
	aml_transformer_free(t);
	json_object_put(pj);
	free(in);
	free(out);
}

static void
run_all(const char *data, const AmlMatrix *X, const double *y, AmlTask task, int k, int repeats)
{
	bench(data, "standard_scaler", NULL, X, NULL, task, k, repeats);
	bench(data, "simple_imputer", NULL, X, NULL, task, k, repeats);
	bench(data, "simple_imputer", "{\"strategy\": \"median\"}", X, NULL, task, k, repeats);
	bench(data, "pca", "{\"n_components\": 10}", X, NULL, task, k, repeats);
	bench(data, "pca", "{\"n_components\": 10, \"svd_solver\": \"full\"}", X, NULL, task, k,
		  repeats);
	bench(data, "polynomial_features", NULL, X, NULL, task, k, repeats);
	bench(data, "select_k_best", "{\"k\": 5}", X, y, task, k, repeats);
}

int
main(void)
{
	const struct
	{
		const char *name;
		const char *file;
		const char *target;
		AmlTask		task;
	}			sets[] = {
		{"breast_cancer", "../data/breast_cancer.csv", "target", AML_TASK_CLASSIFICATION},
		{"wine", "../data/wine.csv", "target", AML_TASK_CLASSIFICATION},
		{"diabetes", "../data/diabetes.csv", "target", AML_TASK_REGRESSION},
	};
	AmlError	err;
	AmlMatrix  *X;
	double	   *y;
	int			k;

	if (aml_blas_init(1, &err) != AML_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	for (int s = 0; s < 3; s++)
	{
		AmlDataset *ds = csv_load(sets[s].file);

		if (ds == NULL || csv_split_xy(ds, sets[s].target, sets[s].task == AML_TASK_CLASSIFICATION,
									   &X, &y, &k) != 0)
			return 1;
		aml_dataset_free(ds);
		run_all(sets[s].name, X, y, sets[s].task, k, 50);
		aml_matrix_free(X);
		aml_free(y);
	}
	synthetic(100000, 20, &X, &y);
	run_all("synthetic", X, y, AML_TASK_CLASSIFICATION, 2, 5);
	/* imputation with 10% missing values */
	for (int i = 0; i < X->rows; i++)
		for (int j = 0; j < X->cols; j++)
			if ((i * 21 + j) % 10 == 3)
				AML_AT(X, i, j) = NAN;
	bench("synthetic+NaN", "simple_imputer", NULL, X, NULL, AML_TASK_REGRESSION, 0, 5);
	bench("synthetic+NaN", "simple_imputer", "{\"strategy\": \"median\"}", X, NULL,
		  AML_TASK_REGRESSION, 0, 5);
	bench("synthetic+NaN", "simple_imputer", "{\"strategy\": \"most_frequent\"}", X, NULL,
		  AML_TASK_REGRESSION, 0, 5);
	bench("synthetic+NaN", "standard_scaler", NULL, X, NULL, AML_TASK_REGRESSION, 0, 5);
	aml_matrix_free(X);
	free(y);
	return 0;
}
