/*
 * linear_bench.c — fit and prediction times of the linear models (pure C
 * layer), on the datasets and settings of test/bench/linear_sklearn.py.
 *
 * Build from the repository root (as the unit tests, plus this file):
 *   cc -O2 -std=gnu11 -Isrc -Itest/unit/lib $(pkg-config --cflags json-c) \
 *      -DAML_OPENBLAS_LIBRARY='"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"' \
 *      test/bench/linear_bench.c test/unit/lib/csv.c $(find src/core src/ml -name '*.c') \
 *      $(pkg-config --libs json-c) -ldl -lm -o /tmp/linear_bench
 *   /tmp/linear_bench [reps] [data directory, default test/data]
 *
 * Prints per model the best of `reps` fit times, the batch prediction time
 * (aml_estimator_predict on all rows) and the per-row prediction rate
 * (predict_row over row-major copies of the rows: the SQL path), with
 * OpenBLAS on one thread.  Times are CPU time of the process (as
 * time.process_time() in the Python script), so that other load on a
 * shared machine disturbs the comparison less.
 */
#include "csv.h"

#include "core/blas.h"
#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/estimator.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *data_dir = "test/data";
static int	reps = 5;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
load(const char *file, const char *target, bool classes, AmlMatrix **X, double **y, int *k)
{
	char		path[1024];
	AmlDataset *ds;

	snprintf(path, sizeof(path), "%s/%s", data_dir, file);
	ds = csv_load(path);
	if (ds == NULL || csv_split_xy(ds, target, classes, X, y, k) != 0)
	{
		fprintf(stderr, "cannot load %s\n", path);
		exit(2);
	}
	aml_dataset_free(ds);
}

static void
standardise(AmlMatrix *X)
{
	for (int j = 0; j < X->cols; j++)
	{
		double	   *x = AML_COL(X, j);
		double		mean = 0,
					ss = 0,
					sd;

		for (int i = 0; i < X->rows; i++)
			mean += x[i];
		mean /= X->rows;
		for (int i = 0; i < X->rows; i++)
			ss += (x[i] - mean) * (x[i] - mean);
		sd = sqrt(ss / X->rows);
		if (sd == 0)
			sd = 1;
		for (int i = 0; i < X->rows; i++)
			x[i] = (x[i] - mean) / sd;
	}
}

/* splitmix64 of counter k, seed 12345 (as linear_sklearn.py) */
static uint64_t
splitmix(uint64_t k)
{
	uint64_t	z = 12345u + (k + 1) * 0x9E3779B97F4A7C15ull;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double
uniform(uint64_t k)
{
	return (double) (splitmix(k) >> 11) * (1.0 / 9007199254740992.0);
}

static void
synthetic(int n, int p, AmlMatrix **X, double **yr, double **yb, double **y3)
{
	*X = aml_matrix_new(n, p);
	*yr = AML_NEW_ARRAY(double, n);
	*yb = AML_NEW_ARRAY(double, n);
	*y3 = AML_NEW_ARRAY(double, n);
	for (int i = 0; i < n; i++)
	{
		double		z = 0;

		for (int j = 0; j < p; j++)
		{
			double		x = 2.0 * uniform((uint64_t) i * p + j) - 1.0;

			AML_AT(*X, i, j) = x;
			z = z + ((j % 5) - 2 + 0.5) * x;
		}
		(*yr)[i] = z + (2.0 * uniform((uint64_t) n * p + i) - 1.0);
		(*yb)[i] = (*yr)[i] > 0;
		(*y3)[i] = (*yr)[i] < -1.0 ? 0 : (*yr)[i] < 1.0 ? 1 : 2;
	}
}

static void
bench(const char *label, const char *type, const char *params, AmlTask task, int k,
	  const AmlMatrix *X, const double *y)
{
	const AmlEstimatorType *t = aml_estimator_type_find(type);
	double		best_fit = INFINITY;
	double		best_pred = INFINITY;
	double		best_row = INFINITY;
	AmlError	err;
	AmlEstimator *est = NULL;
	AmlMatrix  *out = NULL;
	double	   *rows;
	double		scores[16];
	double		sink = 0;

	if (t == NULL)
	{
		fprintf(stderr, "%s is not linked in\n", type);
		exit(2);
	}
	rows = malloc(sizeof(double) * X->rows * X->cols);
	for (int i = 0; i < X->rows; i++)
		aml_matrix_get_row(X, i, rows + (size_t) i * X->cols);
	for (int r = 0; r < reps; r++)
	{
		json_object *p = NULL;
		AmlRng		rng;
		double		t0,
					t1,
					t2,
					t3;

		if (params)
			aml_json_parse(params, strlen(params), &p, &err);
		if (aml_estimator_create(t, task, k, p, &est, &err) != AML_OK)
		{
			fprintf(stderr, "%s: %s\n", label, err.message);
			exit(2);
		}
		json_object_put(p);
		aml_rng_seed(&rng, 42);
		/* the output matrix (first touched outside the timing, like the caller's) */
		out = aml_matrix_new(X->rows, aml_estimator_outputs(est));
		t0 = now();
		if (aml_estimator_fit(est, X, y, &rng, &err) != AML_OK)
		{
			fprintf(stderr, "%s: %s\n", label, err.message);
			exit(2);
		}
		t1 = now();
		aml_estimator_predict(est, X, out, &err);
		t2 = now();
		for (int i = 0; i < X->rows; i++)
		{
			est->type->predict_row(est, rows + (size_t) i * X->cols, scores);
			sink += scores[0];
		}
		t3 = now();
		best_fit = fmin(best_fit, t1 - t0);
		best_pred = fmin(best_pred, t2 - t1);
		best_row = fmin(best_row, t3 - t2);
		aml_matrix_free(out);
		aml_estimator_free(est);
	}
	printf("%-40s fit %10.3f ms   predict %9.3f ms   predict_row %7.1f M rows/s%s\n",
		   label, best_fit * 1e3, best_pred * 1e3, X->rows / best_row * 1e-6,
		   sink == 12345.6789 ? " " : "");
	fflush(stdout);
	free(rows);
}

int
main(int argc, char **argv)
{
	AmlError	err;
	AmlMatrix  *X;
	double	   *y;
	double	   *yb;
	double	   *y3;
	int			k;

	if (argc > 1)
		reps = atoi(argv[1]);
	if (argc > 2)
		data_dir = argv[2];
	if (aml_blas_init(1, &err) != AML_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		return 2;
	}

	load("diabetes.csv", "target", false, &X, &y, &k);
	bench("diabetes linear_regression", "linear_regression", NULL, AML_TASK_REGRESSION, 0, X, y);
	bench("diabetes ridge", "ridge", NULL, AML_TASK_REGRESSION, 0, X, y);
	bench("diabetes lasso", "lasso", NULL, AML_TASK_REGRESSION, 0, X, y);
	bench("diabetes elastic_net", "elastic_net", NULL, AML_TASK_REGRESSION, 0, X, y);
	aml_matrix_free(X);
	aml_free(y);

	load("breast_cancer.csv", "target", true, &X, &y, &k);
	standardise(X);
	bench("breast_cancer logistic_regression", "logistic_regression", NULL,
		  AML_TASK_CLASSIFICATION, k, X, y);
	bench("breast_cancer logistic_regression l1", "logistic_regression",
		  "{\"penalty\": \"l1\"}", AML_TASK_CLASSIFICATION, k, X, y);
	bench("breast_cancer linear_svm", "linear_svm", NULL, AML_TASK_CLASSIFICATION, k, X, y);
	aml_matrix_free(X);
	aml_free(y);

	load("wine.csv", "target", true, &X, &y, &k);
	standardise(X);
	bench("wine logistic_regression", "logistic_regression", NULL, AML_TASK_CLASSIFICATION, k,
		  X, y);
	bench("wine logistic_regression l1", "logistic_regression", "{\"penalty\": \"l1\"}",
		  AML_TASK_CLASSIFICATION, k, X, y);
	bench("wine linear_svm", "linear_svm", NULL, AML_TASK_CLASSIFICATION, k, X, y);
	aml_matrix_free(X);
	aml_free(y);

	synthetic(100000, 20, &X, &y, &yb, &y3);
	reps = reps / 2 > 1 ? reps / 2 : 1;
	bench("synthetic linear_regression", "linear_regression", NULL, AML_TASK_REGRESSION, 0,
		  X, y);
	bench("synthetic ridge", "ridge", NULL, AML_TASK_REGRESSION, 0, X, y);
	bench("synthetic lasso", "lasso", "{\"alpha\": 0.01}", AML_TASK_REGRESSION, 0, X, y);
	bench("synthetic elastic_net", "elastic_net", "{\"alpha\": 0.01}", AML_TASK_REGRESSION, 0,
		  X, y);
	bench("synthetic logistic_regression", "logistic_regression", NULL,
		  AML_TASK_CLASSIFICATION, 2, X, yb);
	bench("synthetic logistic_regression l1", "logistic_regression", "{\"penalty\": \"l1\"}",
		  AML_TASK_CLASSIFICATION, 2, X, yb);
	bench("synthetic logistic_regression 3 classes", "logistic_regression", NULL,
		  AML_TASK_CLASSIFICATION, 3, X, y3);
	bench("synthetic linear_svm", "linear_svm", NULL, AML_TASK_CLASSIFICATION, 2, X, yb);
	bench("synthetic linear_svm 3 classes", "linear_svm", NULL, AML_TASK_CLASSIFICATION, 3,
		  X, y3);
	aml_matrix_free(X);
	aml_free(y);
	aml_free(yb);
	aml_free(y3);
	return 0;
}
