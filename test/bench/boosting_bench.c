/*
 * boosting_bench.c — fit and predict times of gradient_boosting (histogram
 * gradient boosting) on breast_cancer, wine, diabetes and a synthetic
 * 100 000 x 20 table; test/bench/boosting_sklearn.py does the same with
 * scikit-learn's HistGradientBoosting*.
 *
 * Build from the repository root (one line):
 *   cc -O2 -std=gnu11 -Isrc -Itest/unit/lib $(pkg-config --cflags json-c)
 *     -DAML_OPENBLAS_LIBRARY='"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"'
 *     test/bench/boosting_bench.c test/unit/lib/csv.c src/core/[a-z]*.c src/ml/estimator.c
 *     src/ml/transformer.c src/ml/params.c src/ml/registry.c src/ml/binning.c
 *     src/ml/gradient_boosting*.c $(pkg-config --libs json-c) -ldl -lm -o /tmp/boosting_bench
 * Run from test/bench (data in ../data):  /tmp/boosting_bench
 *
 * Hyperparameters: scikit-learn's defaults (100 rounds, 31 leaves,
 * min_samples_leaf 20, 255 bins) with early stopping off, so both sides
 * build the same number of trees.  Times are the best of several runs.
 */
#include "csv.h"

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/estimator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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

/* uniform [0, 1) number k of the synthetic table (same in boosting_sklearn.py) */
static double
unif(uint64_t k)
{
	return (double) (splitmix64(k) >> 11) * 0x1.0p-53;
}

/* 100 000 x 20 uniform features; regression target f(x) + noise, class = target > 1.2 */
static void
synthetic(int n, int p, AmlMatrix **X, double **yreg, double **ycls)
{
	*X = aml_matrix_new(n, p);
	*yreg = malloc(sizeof(double) * n);
	*ycls = malloc(sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		double		f;

		for (int j = 0; j < p; j++)
			AML_AT(*X, i, j) = unif((uint64_t) i * (p + 1) + j);
		f = AML_AT(*X, i, 0) + sin(6 * AML_AT(*X, i, 1)) + AML_AT(*X, i, 2) * AML_AT(*X, i, 3) +
			0.5 * AML_AT(*X, i, 4) * AML_AT(*X, i, 4) +
			0.6 * (unif((uint64_t) i * (p + 1) + p) - 0.5);
		(*yreg)[i] = f;
		(*ycls)[i] = f > 1.2 ? 1 : 0;
	}
}

static void
bench(const char *name, AmlTask task, int n_classes, const AmlMatrix *X, const double *y,
	  const char *params_json, int reps)
{
	AmlError	err;
	json_object *params = NULL;
	double		best_fit = 1e30;
	double		best_pred = 1e30;
	double		best_row = 1e30;
	AmlEstimator *est = NULL;
	AmlMatrix  *out = aml_matrix_new(X->rows, task == AML_TASK_CLASSIFICATION ? n_classes : 1);
	double	   *row = malloc(sizeof(double) * X->cols);
	double		outrow[16];
	double		metric = 0;
	double		sink = 0;

	aml_json_parse(params_json, strlen(params_json), &params, &err);
	for (int r = 0; r < reps; r++)
	{
		AmlRng		rng;
		double		t0;

		aml_estimator_free(est);
		if (aml_estimator_create(&aml_gradient_boosting_type, task, n_classes, params, &est,
								 &err) != AML_OK)
		{
			fprintf(stderr, "%s\n", err.message);
			exit(1);
		}
		aml_rng_seed(&rng, 42);
		t0 = now();
		if (aml_estimator_fit(est, X, y, &rng, &err) != AML_OK)
		{
			fprintf(stderr, "fit: %s\n", err.message);
			exit(1);
		}
		best_fit = fmin(best_fit, now() - t0);
		t0 = now();
		aml_estimator_predict(est, X, out, &err);
		best_pred = fmin(best_pred, now() - t0);
		t0 = now();
		for (int i = 0; i < X->rows; i++)
		{
			aml_matrix_get_row(X, i, row);
			est->type->predict_row(est, row, outrow);
			sink += outrow[0];
		}
		best_row = fmin(best_row, now() - t0);
	}
	if (task == AML_TASK_CLASSIFICATION)
	{
		int			correct = 0;

		for (int i = 0; i < X->rows; i++)
		{
			int			best = 0;

			for (int k = 1; k < n_classes; k++)
				if (AML_AT(out, i, k) > AML_AT(out, i, best))
					best = k;
			correct += best == (int) y[i];
		}
		metric = (double) correct / X->rows;
	}
	else
	{
		double		mean = 0;
		double		ss_res = 0;
		double		ss_tot = 0;

		for (int i = 0; i < X->rows; i++)
			mean += y[i];
		mean /= X->rows;
		for (int i = 0; i < X->rows; i++)
		{
			ss_res += (y[i] - out->data[i]) * (y[i] - out->data[i]);
			ss_tot += (y[i] - mean) * (y[i] - mean);
		}
		metric = 1 - ss_res / ss_tot;
	}
	printf("%-22s %7d x %-3d fit %9.1f ms  predict %8.2f ms  predict_row %7.2f us/row  train %s %.4f%s\n",
		   name, X->rows, X->cols, best_fit * 1e3, best_pred * 1e3, best_row / X->rows * 1e6,
		   task == AML_TASK_CLASSIFICATION ? "accuracy" : "R2", metric, sink == 12345 ? " " : "");
	json_object_put(params);
	aml_estimator_free(est);
	aml_matrix_free(out);
	free(row);
}

static void
bench_csv(const char *file, const char *target, bool is_class, const char *params, int reps)
{
	char		path[256];
	AmlDataset *ds;
	AmlMatrix  *X;
	double	   *y;
	int			k;

	snprintf(path, sizeof(path), "../data/%s", file);
	ds = csv_load(path);
	if (ds == NULL || csv_split_xy(ds, target, is_class, &X, &y, &k) != 0)
		exit(1);
	bench(file, is_class ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION, k, X, y, params, reps);
	aml_matrix_free(X);
	aml_free(y);
	aml_dataset_free(ds);
}

int
main(int argc, char **argv)
{
	const char *params = "{\"early_stopping\": \"off\"}";
	AmlMatrix  *X;
	double	   *yreg;
	double	   *ycls;
	int			n = argc > 1 ? atoi(argv[1]) : 100000;

	bench_csv("breast_cancer.csv", "target", true, params, 10);
	bench_csv("wine.csv", "target", true, params, 10);
	bench_csv("diabetes.csv", "target", false, params, 10);
	synthetic(n, 20, &X, &yreg, &ycls);
	bench("synthetic classif.", AML_TASK_CLASSIFICATION, 2, X, ycls, params, 3);
	bench("synthetic regression", AML_TASK_REGRESSION, 0, X, yreg, params, 3);
	bench("synth. classif. auto-es", AML_TASK_CLASSIFICATION, 2, X, ycls, "{}", 3);
	aml_matrix_free(X);
	free(yreg);
	free(ycls);
	return 0;
}
