/*
 * calibration_bench.c — does calibration chosen on out-of-fold predictions
 * improve the holdout log loss?  For every classification table of test/data
 * and six families (default hyperparameters; missing values imputed with the
 * training mean, standardised inputs for logistic regression and kNN): a
 * stratified 75/25 holdout (seeded), 5-fold out-of-fold predictions on the
 * training rows, aml_calibration_choose() on them, the model refitted on
 * all training rows, and the holdout log loss without and with the chosen
 * calibration.  Prints a markdown table and the share of (table, family)
 * pairs where the calibrated log loss is not worse.
 * Run: test/bench/calibration_bench.sh
 */
#include "csv.h"

#include "core/blas.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/calibration.h"
#include "ml/cross_validation.h"
#include "ml/estimator.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const families[] = {"gaussian_nb", "knn", "logistic_regression", "decision_tree",
	"random_forest", "gradient_boosting"};

static const struct
{
	const char *file;
	const char *target;
}			tables[] = {
	{"iris.csv", "name"}, {"wine.csv", "target"}, {"breast_cancer.csv", "target"},
	{"PimaIndiansDiabetes2.csv", "diabetes"},
};

/* mean imputation (training rows), then optional standardisation */
static AmlMatrix *
prepare(const AmlMatrix *X, const int *train, int nt, bool scale)
{
	AmlMatrix  *o = aml_matrix_copy(X);

	for (int j = 0; j < X->cols; j++)
	{
		double		s = 0,
					ss = 0;
		int			c = 0;

		for (int k = 0; k < nt; k++)
			if (!isnan(AML_AT(X, train[k], j)))
			{
				s += AML_AT(X, train[k], j);
				c++;
			}
		s = c ? s / c : 0;
		for (int i = 0; i < X->rows; i++)
			if (isnan(AML_AT(o, i, j)))
				AML_AT(o, i, j) = s;
		for (int k = 0; k < nt; k++)
			ss += (AML_AT(o, train[k], j) - s) * (AML_AT(o, train[k], j) - s);
		ss = sqrt(ss / nt);
		if (scale && ss > 0)
			for (int i = 0; i < X->rows; i++)
				AML_AT(o, i, j) = (AML_AT(o, i, j) - s) / ss;
	}
	return o;
}

static AmlMatrix *
rows_of(const AmlMatrix *X, const int *idx, int n)
{
	AmlMatrix  *o = aml_matrix_new(n, X->cols);

	for (int k = 0; k < n; k++)
		for (int j = 0; j < X->cols; j++)
			AML_AT(o, k, j) = AML_AT(X, idx[k], j);
	return o;
}

static double
log_loss(const AmlMatrix *P, const double *y)
{
	double		l = 0;

	for (int i = 0; i < P->rows; i++)
		l -= log(fmax(1e-15, fmin(1 - 1e-15, AML_AT(P, i, (int) y[i]))));
	return l / P->rows;
}

static AmlMatrix *
fit_predict(const char *family, int K, const AmlMatrix *Xtr, const double *ytr, const AmlMatrix *Xte,
			uint64_t seed)
{
	AmlEstimator *est;
	AmlError	err;
	AmlRng		rng;
	AmlMatrix  *P = aml_matrix_new(Xte->rows, K);

	aml_rng_seed(&rng, seed);
	if (aml_estimator_create(aml_estimator_type_find(family), AML_TASK_CLASSIFICATION, K, NULL, &est, &err) != AML_OK ||
		aml_estimator_fit(est, Xtr, ytr, &rng, &err) != AML_OK ||
		aml_estimator_predict(est, Xte, P, &err) != AML_OK)
	{
		fprintf(stderr, "%s: %s\n", family, err.message);
		exit(1);
	}
	aml_estimator_free(est);
	return P;
}

int
main(void)
{
	int			pairs = 0,
				not_worse = 0;
	AmlError	berr;

	if (aml_blas_init(1, &berr) != AML_OK)
	{
		fprintf(stderr, "%s\n", berr.message);
		return 1;
	}

	printf("| table | family | calibration | holdout log loss before | after |\n|---|---|---|---|---|\n");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
	{
		char		path[256];
		AmlDataset *ds;
		AmlMatrix  *X;
		double	   *y;
		int			K;
		AmlSplit	split;
		AmlRng		rng;
		AmlError	err;

		snprintf(path, sizeof(path), "../data/%s", tables[t].file);
		ds = csv_load(path);
		csv_split_xy(ds, tables[t].target, true, &X, &y, &K);
		aml_dataset_free(ds);
		aml_rng_seed(&rng, 42);
		aml_train_test_split(X->rows, 0.25, y, K, &rng, &split, &err);
		for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		{
			bool		scale = strcmp(families[f], "knn") == 0 || strcmp(families[f], "logistic_regression") == 0;
			AmlMatrix  *Xp = prepare(X, split.train, split.n_train, scale);
			AmlMatrix  *Xtr = rows_of(Xp, split.train, split.n_train);
			AmlMatrix  *Xte = rows_of(Xp, split.test, split.n_test);
			double	   *ytr = AML_NEW_ARRAY(double, split.n_train);
			double	   *yte = AML_NEW_ARRAY(double, split.n_test);
			AmlMatrix  *oof = aml_matrix_new(split.n_train, K);
			AmlMatrix  *P,
					   *Pc;
			AmlFolds   *folds;
			AmlCalibrator *cal;
			double		none,
						best,
						before,
						after;

			for (int k = 0; k < split.n_train; k++)
				ytr[k] = y[split.train[k]];
			for (int k = 0; k < split.n_test; k++)
				yte[k] = y[split.test[k]];
			aml_rng_seed(&rng, 7);
			aml_stratified_kfold(ytr, split.n_train, K, 5, 1, &rng, &folds, &err);
			for (int s = 0; s < 5; s++)
			{
				AmlSplit	fs;
				AmlMatrix  *a,
						   *b,
						   *pf;
				double	   *ya;

				aml_folds_split(folds, s, &fs, &err);
				a = rows_of(Xtr, fs.train, fs.n_train);
				b = rows_of(Xtr, fs.test, fs.n_test);
				ya = AML_NEW_ARRAY(double, fs.n_train);
				for (int k = 0; k < fs.n_train; k++)
					ya[k] = ytr[fs.train[k]];
				pf = fit_predict(families[f], K, a, ya, b, 100 + s);
				for (int k = 0; k < fs.n_test; k++)
					for (int c = 0; c < K; c++)
						AML_AT(oof, fs.test[k], c) = AML_AT(pf, k, c);
				aml_matrix_free(a);
				aml_matrix_free(b);
				aml_matrix_free(pf);
				aml_free(ya);
				aml_split_free(&fs);
			}
			if (aml_calibration_choose(oof, ytr, K, 5, 9, &cal, &none, &best, &err) != AML_OK)
			{
				fprintf(stderr, "%s\n", err.message);
				return 1;
			}
			P = fit_predict(families[f], K, Xtr, ytr, Xte, 1);
			Pc = aml_matrix_new(P->rows, K);
			aml_calibrator_apply(cal, P, Pc, &err);
			before = log_loss(P, yte);
			after = log_loss(Pc, yte);
			pairs++;
			not_worse += after <= before + 1e-12;
			printf("| %s | %s | %s | %.4f | %.4f |\n", tables[t].file, families[f],
				   aml_calibration_method_name(cal->method), before, after);
			aml_calibrator_free(cal);
			aml_matrix_free(P);
			aml_matrix_free(Pc);
			aml_matrix_free(oof);
			aml_folds_free(folds);
			aml_matrix_free(Xp);
			aml_matrix_free(Xtr);
			aml_matrix_free(Xte);
			aml_free(ytr);
			aml_free(yte);
		}
		aml_split_free(&split);
		aml_matrix_free(X);
		aml_free(y);
	}
	printf("\ncalibrated holdout log loss not worse than uncalibrated in %d of %d (table, family) pairs (%.0f%%)\n",
		   not_worse, pairs, 100.0 * not_worse / pairs);
	return 0;
}
