/*
 * nb_knn_bench.c — fit and predict times of the naive Bayes models and kNN
 * (pure layer, one OpenBLAS thread), to compare with nb_knn_sklearn.py.
 *
 * Build and run from the repository root:
 *   cc -O2 -std=gnu11 -Isrc -Itest/unit/lib $(pkg-config --cflags json-c) \
 *      -DAML_OPENBLAS_LIBRARY='"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"' \
 *      test/bench/nb_knn_bench.c test/unit/lib/csv.c src/core/[a-z]*.c src/ml/estimator.c \
 *      src/ml/params.c src/ml/registry.c src/ml/transformer.c src/ml/naive_bayes.c \
 *      src/ml/knn.c $(pkg-config --libs json-c) -ldl -lm -o /tmp/nb_knn_bench
 *   /tmp/nb_knn_bench test/data
 *
 * Datasets: breast_cancer, wine (classification), diabetes (regression) and a
 * synthetic 100 000 x 20 table (normal features; binary class and a linear
 * target with noise).  Features are standardised first (not timed) for kNN and
 * Gaussian/Bernoulli NB; multinomial NB gets |x| (non-negative).  Every time is
 * the best of several repetitions (fits at least 5), in milliseconds of CPU
 * time (robust to a busy machine).  kNN on the synthetic table
 * trains on 100 000 rows and predicts 10 000 of them; on the small datasets it
 * trains on all rows and predicts all rows.  "row" is predict_row over the same
 * rows (the SQL path).
 */
#include "csv.h"

#include "core/blas.h"
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
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* CPU time: robust to a busy machine */
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
standardise(AmlMatrix *X)
{
	for (int j = 0; j < X->cols; j++)
	{
		double	   *c = AML_COL(X, j);
		double		mean = 0;
		double		var = 0;

		for (int i = 0; i < X->rows; i++)
			mean += c[i];
		mean /= X->rows;
		for (int i = 0; i < X->rows; i++)
			var += (c[i] - mean) * (c[i] - mean);
		var = sqrt(var / X->rows);
		for (int i = 0; i < X->rows; i++)
			c[i] = var > 0 ? (c[i] - mean) / var : 0;
	}
}

static void
die(const char *what, const AmlError *err)
{
	fprintf(stderr, "%s: %s\n", what, err->message);
	exit(1);
}

/* Time fit, batch predict and predict_row of one model; prints one line. */
static void
bench(const char *dataset, const char *type, const char *params_text, AmlTask task,
	  int n_classes, const AmlMatrix *X, const double *y, const AmlMatrix *Xpred, int reps)
{
	AmlError	err;
	json_object *params = params_text ? json_tokener_parse(params_text) : NULL;
	double		fit_best = INFINITY;
	double		pred_best = INFINITY;
	double		row_best = INFINITY;
	AmlEstimator *est = NULL;
	AmlMatrix  *out;
	double	   *row;
	double	   *scores;
	double		checksum = 0;

	for (int r = 0; r < (reps > 5 ? reps : 5); r++)
	{
		AmlRng		rng;
		double		t0;

		aml_rng_seed(&rng, 1);
		aml_estimator_free(est);
		if (aml_estimator_create(aml_estimator_type_find(type), task, n_classes, params,
								 &est, &err) != AML_OK)
			die(type, &err);
		t0 = now_ms();
		if (aml_estimator_fit(est, X, y, &rng, &err) != AML_OK)
			die(type, &err);
		t0 = now_ms() - t0;
		fit_best = t0 < fit_best ? t0 : fit_best;
	}
	out = aml_matrix_new(Xpred->rows, aml_estimator_outputs(est));
	for (int r = 0; r < reps; r++)
	{
		double		t0 = now_ms();

		if (aml_estimator_predict(est, Xpred, out, &err) != AML_OK)
			die(type, &err);
		t0 = now_ms() - t0;
		pred_best = t0 < pred_best ? t0 : pred_best;
	}
	/* predict_row on a row-major copy (how the SQL path sees rows) */
	row = AML_NEW_ARRAY(double, (size_t) Xpred->rows * Xpred->cols + out->cols);
	scores = row + (size_t) Xpred->rows * Xpred->cols;
	for (int i = 0; i < Xpred->rows; i++)
		aml_matrix_get_row(Xpred, i, row + (size_t) i * Xpred->cols);
	for (int r = 0; r < (reps > 3 ? 3 : reps); r++)
	{
		double		t0 = now_ms();

		for (int i = 0; i < Xpred->rows; i++)
		{
			est->type->predict_row(est, row + (size_t) i * Xpred->cols, scores);
			checksum += scores[0];
		}
		t0 = now_ms() - t0;
		row_best = t0 < row_best ? t0 : row_best;
	}
	printf("%-14s %-15s %-34s fit %9.3f ms  predict %9.3f ms  row %9.3f ms  (%d x %d -> %d rows)%s\n",
		   dataset, type, params_text ? params_text : "{}", fit_best, pred_best, row_best,
		   X->rows, X->cols, Xpred->rows, checksum == checksum ? "" : " NaN!");
	aml_free(row);
	aml_matrix_free(out);
	aml_estimator_free(est);
	json_object_put(params);
}

static void
bench_nb(const char *name, const AmlMatrix *X, const double *y, int n_classes, int reps)
{
	AmlMatrix  *Xs = aml_matrix_copy(X);
	AmlMatrix  *Xa = aml_matrix_copy(X);

	standardise(Xs);
	for (size_t e = 0; e < (size_t) Xa->rows * Xa->cols; e++)
		Xa->data[e] = fabs(Xa->data[e]);
	bench(name, "gaussian_nb", NULL, AML_TASK_CLASSIFICATION, n_classes, Xs, y, Xs, reps);
	bench(name, "bernoulli_nb", NULL, AML_TASK_CLASSIFICATION, n_classes, Xs, y, Xs, reps);
	bench(name, "multinomial_nb", NULL, AML_TASK_CLASSIFICATION, n_classes, Xa, y, Xa, reps);
	aml_matrix_free(Xs);
	aml_matrix_free(Xa);
}

static void
bench_knn(const char *name, const AmlMatrix *X, const double *y, AmlTask task, int n_classes,
		  int n_pred, int reps)
{
	AmlMatrix  *Xs = aml_matrix_copy(X);
	AmlMatrix  *Xp;
	int		   *rows = malloc(sizeof(int) * n_pred);
	const char *variants[] = {"{\"n_neighbors\": 5}", "{\"n_neighbors\": 15, \"weights\": \"distance\"}",
	"{\"n_neighbors\": 5, \"metric\": \"manhattan\"}"};

	standardise(Xs);
	for (int i = 0; i < n_pred; i++)
		rows[i] = (int) ((long) i * X->rows / n_pred);
	Xp = aml_matrix_take_rows(Xs, rows, n_pred);
	for (int v = 0; v < 3; v++)
		bench(name, "knn", variants[v], task, n_classes, Xs, y, Xp, reps);
	aml_matrix_free(Xs);
	aml_matrix_free(Xp);
	free(rows);
}

static void
load(const char *dir, const char *file, const char *target, bool cls, AmlDataset **ds,
	 AmlMatrix **X, double **y, int *n_classes)
{
	char		path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	*ds = csv_load(path);
	if (*ds == NULL || csv_split_xy(*ds, target, cls, X, y, n_classes) != 0)
	{
		fprintf(stderr, "cannot load %s\n", path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/data";
	AmlError	err;
	AmlDataset *ds;
	AmlMatrix  *X;
	double	   *y;
	int			k;

	if (aml_blas_init(1, &err) != AML_OK)
		die("openblas", &err);

	load(dir, "breast_cancer.csv", "target", true, &ds, &X, &y, &k);
	bench_nb("breast_cancer", X, y, k, 50);
	bench_knn("breast_cancer", X, y, AML_TASK_CLASSIFICATION, k, X->rows, 20);
	aml_matrix_free(X);
	aml_free(y);
	aml_dataset_free(ds);

	load(dir, "wine.csv", "target", true, &ds, &X, &y, &k);
	bench_nb("wine", X, y, k, 50);
	bench_knn("wine", X, y, AML_TASK_CLASSIFICATION, k, X->rows, 20);
	aml_matrix_free(X);
	aml_free(y);
	aml_dataset_free(ds);

	load(dir, "diabetes.csv", "target", false, &ds, &X, &y, &k);
	bench_knn("diabetes", X, y, AML_TASK_REGRESSION, 0, X->rows, 20);
	aml_matrix_free(X);
	aml_free(y);
	aml_dataset_free(ds);

	/* synthetic 100 000 x 20 */
	{
		int			n = 100000;
		int			p = 20;
		AmlRng		rng;
		double	   *ycls = malloc(sizeof(double) * n);
		double	   *yreg = malloc(sizeof(double) * n);

		X = aml_matrix_new(n, p);
		aml_rng_seed(&rng, 2024);
		for (int j = 0; j < p; j++)
			for (int i = 0; i < n; i++)
				AML_AT(X, i, j) = aml_rng_normal(&rng);
		for (int i = 0; i < n; i++)
		{
			double		s = 0;

			for (int j = 0; j < p; j++)
				s += AML_AT(X, i, j) * (j % 3 == 0 ? 1.0 : -0.5) / (1 + j);
			yreg[i] = s + 0.3 * aml_rng_normal(&rng);
			ycls[i] = yreg[i] > 0 ? 1 : 0;
		}
		bench_nb("synthetic", X, ycls, 2, 5);
		bench_knn("synthetic", X, ycls, AML_TASK_CLASSIFICATION, 2, 10000, 1);
		bench_knn("synthetic", X, yreg, AML_TASK_REGRESSION, 0, 10000, 1);
		aml_matrix_free(X);
		free(ycls);
		free(yreg);
	}
	return 0;
}
