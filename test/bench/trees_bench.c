/*
 * trees_bench.c — fit and predict times and holdout scores of decision_tree,
 * random_forest and extra_trees (pure C layer, one thread), to compare with
 * test/bench/trees_sklearn.py on the same data and the same split.
 *
 * Build from the repository root:
 *   cc -O2 -std=gnu11 -Isrc -Itest/unit/lib $(pkg-config --cflags json-c)
 *      -DAML_OPENBLAS_LIBRARY='"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"'
 *      test/bench/trees_bench.c test/unit/lib/[a-z]*.c src/core/[a-z]*.c src/ml/[a-z]*.c
 *      $(pkg-config --libs json-c) -ldl -lm -o /tmp/trees_bench
 * Run from test/unit (data at ../data/):  /tmp/trees_bench [dataset [model]]
 *   dataset: breast_cancer wine diabetes synthetic synthetic_reg (default: all)
 *   model:   decision_tree random_forest extra_trees (default: all)
 *
 * Split: row i is a test row when i % 4 == 0, a training row otherwise.
 * Synthetic data (identical in trees_sklearn.py): 100 000 rows x 20 features
 * uniform in [0, 1) from splitmix64 seeded with 42, drawn row by row (20
 * features then one noise draw e per row); s = 2 x0 - 1.5 x1 + 2 x2 x3 - x4^2 +
 * 0.5 x5 + (e - 0.5); classification y = (s > 0.5), regression y = 10 s.
 */
#include "csv.h"
#include "unit.h"

#include "core/json.h"
#include "core/memory.h"
#include "ml/estimator.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
synthetic(int n, int p, bool regression, AmlMatrix **Xout, double **yout)
{
	AmlMatrix  *X = aml_matrix_new(n, p);
	double	   *y = aml_alloc(sizeof(double) * n);
	uint64_t	state = 42;

	for (int i = 0; i < n; i++)
	{
		double		x[64];
		double		e,
					s;

		for (int j = 0; j < p; j++)
		{
			x[j] = (double) (splitmix64(&state) >> 11) * 0x1.0p-53;
			AML_AT(X, i, j) = x[j];
		}
		e = (double) (splitmix64(&state) >> 11) * 0x1.0p-53;
		s = 2 * x[0] - 1.5 * x[1] + 2 * x[2] * x[3] - x[4] * x[4] + 0.5 * x[5] + (e - 0.5);
		y[i] = regression ? 10 * s : (s > 0.5 ? 1 : 0);
	}
	*Xout = X;
	*yout = y;
}

static void
run(const char *dname, const AmlMatrix *X, const double *y, int n_classes, const char *model)
{
	int			n = X->rows;
	int			ntr = 0,
				nte = 0;
	int		   *itr = malloc(sizeof(int) * n);
	int		   *ite = malloc(sizeof(int) * n);
	double	   *ytr = malloc(sizeof(double) * n);
	double	   *yte = malloc(sizeof(double) * n);
	AmlMatrix  *Xtr;
	AmlMatrix  *Xte;
	AmlMatrix  *out;
	AmlEstimator *est;
	AmlError	err;
	AmlRng		rng;
	AmlTask		task = n_classes > 0 ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION;
	double		t0,
				t1,
				t2,
				t3,
				c0,
				c1,
				c2,
				metric = 0;
	double	   *row;
	double		scores[64];
	int			k;
	int			reps;

	for (int i = 0; i < n; i++)
	{
		if (i % 4 == 0)
		{
			ite[nte] = i;
			yte[nte++] = y[i];
		}
		else
		{
			itr[ntr] = i;
			ytr[ntr++] = y[i];
		}
	}
	Xtr = aml_matrix_take_rows(X, itr, ntr);
	Xte = aml_matrix_take_rows(X, ite, nte);
	if (aml_estimator_create(aml_estimator_type_find(model), task, n_classes, NULL, &est, &err) != AML_OK)
	{
		fprintf(stderr, "%s: %s\n", model, err.message);
		exit(1);
	}
	aml_rng_seed(&rng, 0);
	t0 = now();
	c0 = cpu_now();
	if (aml_estimator_fit(est, Xtr, ytr, &rng, &err) != AML_OK)
	{
		fprintf(stderr, "%s: %s\n", model, err.message);
		exit(1);
	}
	t1 = now();
	c1 = cpu_now();
	k = aml_estimator_outputs(est);
	out = aml_matrix_new(nte, k);
	if (aml_estimator_predict(est, Xte, out, &err) != AML_OK)
		exit(1);
	t2 = now();
	c2 = cpu_now();
	if (task == AML_TASK_CLASSIFICATION)
	{
		for (int i = 0; i < nte; i++)
		{
			for (int c = 0; c < k; c++)
				scores[c] = AML_AT(out, i, c);
			metric += aml_argmax(scores, k) == (int) yte[i];
		}
		metric /= nte;
	}
	else
	{
		double		mean = 0,
					ss = 0,
					sr = 0;

		for (int i = 0; i < nte; i++)
			mean += yte[i] / nte;
		for (int i = 0; i < nte; i++)
		{
			sr += (yte[i] - AML_AT(out, i, 0)) * (yte[i] - AML_AT(out, i, 0));
			ss += (yte[i] - mean) * (yte[i] - mean);
		}
		metric = 1 - sr / ss;
	}
	/*
	 * single-row latency (the SQL path): best of 5 rounds over the test rows,
	 * in CPU time (the wall clock is unreliable on a shared machine)
	 */
	row = malloc(sizeof(double) * X->cols * nte);
	for (int i = 0; i < nte; i++)
		aml_matrix_get_row(Xte, i, row + (size_t) i * X->cols);
	reps = nte < 20000 ? (20000 + nte - 1) / nte : 1;
	t3 = INFINITY;
	for (int round = 0; round < 5; round++)
	{
		double		start = cpu_now(),
					el;

		for (int r = 0; r < reps; r++)
			for (int i = 0; i < nte; i++)
				est->type->predict_row(est, row + (size_t) i * X->cols, scores);
		el = (cpu_now() - start) / ((double) reps * nte);
		t3 = el < t3 ? el : t3;
	}
	printf("%-14s %-14s fit %9.4f s (cpu %9.4f)  predict %8.4f s (cpu %7.4f, %6d rows)  row %7.3f us  %s %.4f\n",
		   dname, model, t1 - t0, c1 - c0, t2 - t1, c2 - c1, nte, t3 * 1e6,
		   task == AML_TASK_CLASSIFICATION ? "acc" : "r2 ", metric);
	fflush(stdout);
	free(row);
	aml_matrix_free(out);
	aml_estimator_free(est);
	aml_matrix_free(Xtr);
	aml_matrix_free(Xte);
	free(itr);
	free(ite);
	free(ytr);
	free(yte);
}

int
main(int argc, char **argv)
{
	const char *datasets[] = {"breast_cancer", "wine", "diabetes", "synthetic", "synthetic_reg"};
	const char *models[] = {"decision_tree", "random_forest", "extra_trees"};

	unit_begin();
	for (int di = 0; di < 5; di++)
	{
		AmlMatrix  *X = NULL;
		double	   *y = NULL;
		int			n_classes = 0;
		AmlDataset *ds = NULL;

		if (argc > 1 && strcmp(argv[1], datasets[di]) != 0)
			continue;
		if (di < 3)
		{
			char		file[64];

			snprintf(file, sizeof(file), "%s.csv", datasets[di]);
			ds = csv_load(unit_data_path(file));
			if (ds == NULL || csv_split_xy(ds, "target", di < 2, &X, &y, &n_classes) != 0)
				return 1;
		}
		else
		{
			synthetic(100000, 20, di == 4, &X, &y);
			n_classes = di == 3 ? 2 : 0;
		}
		for (int mi = 0; mi < 3; mi++)
			if (argc <= 2 || strcmp(argv[2], models[mi]) == 0)
				run(datasets[di], X, y, n_classes, models[mi]);
		aml_matrix_free(X);
		aml_free(y);
		aml_dataset_free(ds);
	}
	return 0;
}
