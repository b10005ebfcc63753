/*
 * test_linear.c — unit tests of the linear models (linear_regression, ridge,
 * lasso, elastic_net, logistic_regression, linear_svm) against scikit-learn
 * 1.2 reference numbers (test/reference/linear.py -> reference/linear.json).
 *
 * Tolerances ("normwise": max |a_j - b_j| <= tol * max |b_j| over the vector;
 * intercepts 10 tol relative; measured differences are in parentheses):
 *   OLS, ridge (closed forms): 1e-8 (1e-15 .. 2e-13); the MIP example to the
 *       published 4 decimals; rank-deficient OLS equals OLS on the
 *       independent columns, dependent ones exactly 0 (R's lm() rule)
 *   lasso / elastic net, cyclic order: the same epochs as sklearn and 1e-8
 *       (4e-15): same coordinate updates, same duality-gap stopping rule
 *   lasso / elastic net at tol 1e-4 (cyclic, or random order, which cannot
 *       replay sklearn's random stream): the objective exceeds the exact
 *       optimum (sklearn at tol 1e-12) by at most what the duality gap
 *       tolerance allows, tol ||y - mean y||^2 / n; coefficients themselves
 *       can move a lot along the flat directions of correlated features
 *   logistic regression at the default tol 1e-4 vs the exact optimum
 *       (sklearn newton-cg at 1e-10): coefficients 1e-4 (3e-8 .. 2e-7),
 *       probabilities 1e-5 absolute; vs sklearn's default lbfgs, which stops
 *       on its function-decrease test with gradients up to 3e-4: 1e-3
 *       (9e-5), labels identical
 *   logistic regression at tol 1e-10 vs the exact optimum (newton-cg, or saga
 *       at 1e-12 for l1): coefficients 1e-6 (1e-10 .. 1e-7), probabilities
 *       1e-7 absolute, the same coefficients exactly zero (l1); unscaled data
 *       and 600 features (l1 column-wise path): gradient / subgradient ~0
 *   linear SVM at tol 1e-10 vs LinearSVC at 1e-10: 1e-8 (2e-11); at the
 *       defaults: decision values 1e-3 (1e-5) and >= 99% identical labels
 * Also: predict_row == predict_batch and JSON round trips bit for bit, same
 * seed same model, bad hyperparameters, one row, constant and zero features,
 * constant target, classes absent from the training rows, interruption.
 */
#include "unit.h"
#include "csv.h"

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/estimator.h"
#include "ml/linear_common.h"

#include <float.h>
#include <stdlib.h>

static json_object *reference;

/* every linear type, which the registry must find by its SQL name */
static const AmlEstimatorType *const linear_types[] = {
	&aml_linear_regression_type, &aml_ridge_type, &aml_lasso_type, &aml_elastic_net_type,
	&aml_logistic_regression_type, &aml_linear_svm_type,
};

/* ---------------------------------------------------------------- helpers */

static json_object *
ref_get(const char *dataset, const char *model)
{
	json_object *d;
	json_object *m = NULL;

	if (!json_object_object_get_ex(reference, dataset, &d))
		return NULL;
	if (model == NULL)
		return d;
	json_object_object_get_ex(d, model, &m);
	return m;
}

/* numbers of a (nested) JSON array, flattened row by row; returns how many */
static int
flatten(json_object *a, double *out, int max)
{
	int			k = 0;

	if (json_object_is_type(a, json_type_array))
	{
		for (size_t i = 0; i < json_object_array_length(a); i++)
			k += flatten(json_object_array_get_idx(a, i), out + k, max - k);
		return k;
	}
	if (max > 0)
		out[0] = json_object_get_double(a);
	return 1;
}

static int
ref_vec(json_object *m, const char *key, double *out, int max)
{
	json_object *a;

	if (m == NULL || !json_object_object_get_ex(m, key, &a))
	{
		unit_fail(__FILE__, __LINE__, "reference has no \"%s\"", key);
		return 0;
	}
	return flatten(a, out, max);
}

static double
ref_num(json_object *m, const char *key)
{
	double		v = NAN;

	ref_vec(m, key, &v, 1);
	return v;
}

/* max |a - b| <= tol * max |b| */
static void
check_vec(const char *what, const double *a, const double *b, int n, double tol)
{
	double		scale = 0;
	double		worst = 0;
	int			at = 0;

	for (int k = 0; k < n; k++)
		if (fabs(b[k]) > scale)
			scale = fabs(b[k]);
	for (int k = 0; k < n; k++)
		if (!(fabs(a[k] - b[k]) <= worst))
		{
			worst = fabs(a[k] - b[k]);
			at = k;
		}
	unit_checks++;
	if (getenv("LINEAR_VERBOSE"))
		printf("%-28s %-10s max diff / scale %.3g (tol %.3g)\n", unit_current, what,
			   worst / (scale > 0 ? scale : 1.0), tol);
	if (!(worst <= tol * (scale > 0 ? scale : 1.0)))
		unit_fail(__FILE__, __LINE__, "[%s] %s: element %d is %.17g, expected %.17g "
				  "(max diff %.3g, tol %.3g x %.3g)", unit_current, what, at, a[at], b[at],
				  worst, tol, scale);
}

static void
load_xy(const char *file, const char *target, bool classes, AmlMatrix **X, double **y,
		int *k)
{
	AmlDataset *ds = csv_load(unit_data_path(file));

	if (ds == NULL || csv_split_xy(ds, target, classes, X, y, k) != 0)
	{
		fprintf(stderr, "cannot load %s\n", file);
		exit(2);
	}
	aml_dataset_free(ds);
}

/* StandardScaler: population standard deviation, constant columns left as is */
static void
standardise(AmlMatrix *X)
{
	for (int j = 0; j < X->cols; j++)
	{
		double	   *x = AML_COL(X, j);
		double		mean = 0;
		double		ss = 0;
		double		sd;

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

static AmlEstimator *
fit_model(const char *type, AmlTask task, int k, const char *params, const AmlMatrix *X,
		  const double *y, uint64_t seed)
{
	const AmlEstimatorType *t = aml_estimator_type_find(type);
	json_object *p = NULL;
	AmlEstimator *est = NULL;
	AmlError	err;
	AmlRng		rng;

	CHECK_MSG(t != NULL, "type %s not registered", type);
	if (t == NULL)
		return NULL;
	if (params != NULL)
		CHECK_OK(aml_json_parse(params, strlen(params), &p, &err), &err);
	CHECK_OK(aml_estimator_create(t, task, k, p, &est, &err), &err);
	json_object_put(p);
	if (est == NULL)
		return NULL;
	aml_rng_seed(&rng, seed);
	CHECK_OK(aml_estimator_fit(est, X, y, &rng, &err), &err);
	if (est->state == NULL)
	{
		aml_estimator_free(est);
		return NULL;
	}
	return est;
}

static const AmlLinearModel *
lin(const AmlEstimator *est)
{
	return (const AmlLinearModel *) est->state;
}

/* all rows' predictions (rows x outputs, column-major) through the batch path */
static AmlMatrix *
predict_all(const AmlEstimator *est, const AmlMatrix *X)
{
	AmlMatrix  *out = aml_matrix_new(X->rows, aml_estimator_outputs(est));
	AmlError	err;

	CHECK_OK(aml_estimator_predict(est, X, out, &err), &err);
	return out;
}

/* compare a regression fit with a reference entry */
static void
check_regression(const AmlEstimator *est, json_object *ref, const AmlMatrix *X, double tol,
				 bool check_iter)
{
	double		coef[64];
	double		pred[20];
	double		mine[20];
	int			p = ref_vec(ref, "coef", coef, 64);
	double		icpt = ref_num(ref, "intercept");
	double		row[64];
	int			np;

	if (est == NULL)
		return;
	CHECK(p == X->cols);
	check_vec("coef", lin(est)->coef, coef, p, tol);
	CHECK_MSG(fabs(lin(est)->intercept[0] - icpt) <= tol * fmax(1.0, fabs(icpt)) * 10,
			  "[%s] intercept %.17g vs %.17g", unit_current, lin(est)->intercept[0], icpt);
	np = ref_vec(ref, "pred", pred, 20);
	for (int i = 0; i < np; i++)
	{
		aml_matrix_get_row(X, i, row);
		est->type->predict_row(est, row, &mine[i]);
	}
	check_vec("pred", mine, pred, np, tol);
	if (check_iter)
		CHECK_MSG(lin(est)->n_iter == (int) ref_num(ref, "n_iter"),
				  "[%s] %d epochs, sklearn %d", unit_current, lin(est)->n_iter,
				  (int) ref_num(ref, "n_iter"));
}

/* coefficient rows of a classifier as sklearn lays them out */
static void
check_classifier_coef(const AmlEstimator *est, json_object *ref, double tol)
{
	double		coef[256];
	double		icpt[8];
	int			nc = ref_vec(ref, "coef", coef, 256);
	int			ni = ref_vec(ref, "intercept", icpt, 8);
	const AmlLinearModel *m;

	if (est == NULL)
		return;
	m = lin(est);
	CHECK(nc == m->n_rows * m->n_features);
	CHECK(ni == m->n_rows);
	check_vec("coef", m->coef, coef, nc, tol);
	check_vec("intercept", m->intercept, icpt, ni, tol * 10);
}

/* probabilities of all rows against sklearn's predict_proba */
static void
check_proba(const AmlEstimator *est, json_object *ref, const AmlMatrix *X, double tol)
{
	int			k;
	double	   *want;
	double	   *got;
	AmlMatrix  *out;

	if (est == NULL)
		return;
	k = aml_estimator_outputs(est);
	want = malloc(sizeof(double) * X->rows * k);
	got = malloc(sizeof(double) * X->rows * k);
	out = predict_all(est, X);

	CHECK(ref_vec(ref, "proba", want, X->rows * k) == X->rows * k);
	for (int i = 0; i < X->rows; i++)
	{
		double		sum = 0;

		for (int c = 0; c < k; c++)
		{
			got[i * k + c] = AML_AT(out, i, c);
			sum += got[i * k + c];
		}
		CHECK_NEAR(sum, 1.0, 1e-12);
	}
	/* absolute: probabilities are in [0, 1] */
	for (int a = 0; a < X->rows * k; a++)
		if (!(fabs(got[a] - want[a]) <= tol))
		{
			unit_fail(__FILE__, __LINE__, "[%s] probability %d: %.17g vs %.17g (tol %g)",
					  unit_current, a, got[a], want[a], tol);
			break;
		}
	unit_checks++;
	aml_matrix_free(out);
	free(want);
	free(got);
}

/* share of rows whose predicted class (argmax) equals sklearn's label */
static double
label_agreement(const AmlEstimator *est, json_object *ref, const AmlMatrix *X)
{
	double	   *labels;
	AmlMatrix  *out;
	int			k;
	double	   *row;
	int			same = 0;

	if (est == NULL)
		return 0;
	labels = malloc(sizeof(double) * X->rows);
	out = predict_all(est, X);
	k = aml_estimator_outputs(est);
	row = malloc(sizeof(double) * k);

	CHECK(ref_vec(ref, "labels", labels, X->rows) == X->rows);
	for (int i = 0; i < X->rows; i++)
	{
		for (int c = 0; c < k; c++)
			row[c] = AML_AT(out, i, c);
		same += aml_argmax(row, k) == (int) labels[i];
	}
	aml_matrix_free(out);
	free(labels);
	free(row);
	return (double) same / X->rows;
}

/* sklearn's decision_function (1 value binary, k values otherwise) vs our scores */
static void
check_decision(const AmlEstimator *est, json_object *ref, const AmlMatrix *X, double tol)
{
	int			k;
	int			w;
	double	   *want;
	double	   *got;
	AmlMatrix  *out;

	if (est == NULL)
		return;
	k = aml_estimator_outputs(est);
	w = k == 2 ? 1 : k;
	want = malloc(sizeof(double) * X->rows * w);
	got = malloc(sizeof(double) * X->rows * w);
	out = predict_all(est, X);

	CHECK(ref_vec(ref, "decision", want, X->rows * w) == X->rows * w);
	for (int i = 0; i < X->rows; i++)
		for (int c = 0; c < w; c++)
			got[i * w + c] = k == 2 ? AML_AT(out, i, 1) : AML_AT(out, i, c);
	check_vec("decision", got, want, X->rows * w, tol);
	aml_matrix_free(out);
	free(want);
	free(got);
}

/* sklearn's elastic net objective 1/(2n) ||y - Xw - b||^2 + a r |w|_1 + a (1 - r) / 2 |w|^2 */
static double
enet_objective(const AmlMatrix *X, const double *y, const double *w, double b, double alpha,
			   double l1_ratio)
{
	double		rss = 0;
	double		l1 = 0;
	double		l2 = 0;

	for (int i = 0; i < X->rows; i++)
	{
		double		r = y[i] - b;

		for (int j = 0; j < X->cols; j++)
			r -= w[j] * AML_AT(X, i, j);
		rss += r * r;
	}
	for (int j = 0; j < X->cols; j++)
	{
		l1 += fabs(w[j]);
		l2 += w[j] * w[j];
	}
	return rss / (2.0 * X->rows) + alpha * l1_ratio * l1 + 0.5 * alpha * (1 - l1_ratio) * l2;
}

/*
 * "Within what tol allows": sklearn stops when the duality gap is below
 * tol ||y - mean(y)||^2 (in units of n times the objective), which bounds
 * how far the objective is from its minimum (the tight reference fit).
 */
static void
check_enet_optimal(const AmlEstimator *est, json_object *tight, const AmlMatrix *X,
				   const double *y, double alpha, double l1_ratio, double tol)
{
	double		w[64];
	double		mean = 0;
	double		ss = 0;
	double		mine;
	double		best;

	if (est == NULL)
		return;
	ref_vec(tight, "coef", w, 64);
	for (int i = 0; i < X->rows; i++)
		mean += y[i];
	mean /= X->rows;
	for (int i = 0; i < X->rows; i++)
		ss += (y[i] - mean) * (y[i] - mean);
	mine = enet_objective(X, y, lin(est)->coef, lin(est)->intercept[0], alpha, l1_ratio);
	best = enet_objective(X, y, w, ref_num(tight, "intercept"), alpha, l1_ratio);
	CHECK_MSG(mine - best <= tol * ss / X->rows && mine - best >= -1e-9 * best,
			  "[%s] objective %.17g, optimum %.17g, allowed excess %g", unit_current, mine,
			  best, tol * ss / X->rows);
}

/* ---------------------------------------------------------------- regression */

static void
test_ols_diabetes(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;
	AmlEstimator *est;

	load_xy("diabetes.csv", "target", false, &X, &y, &k);
	est = fit_model("linear_regression", AML_TASK_REGRESSION, 0, NULL, X, y, 1);
	check_regression(est, ref_get("diabetes", "ols"), X, 1e-8, false);
	CHECK(est && lin(est)->rank == 10);
	aml_estimator_free(est);
	est = fit_model("linear_regression", AML_TASK_REGRESSION, 0, "{\"fit_intercept\": false}",
					X, y, 1);
	check_regression(est, ref_get("diabetes", "ols_noint"), X, 1e-8, false);
	CHECK(est && lin(est)->intercept[0] == 0);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);
}

/* The MIP example: college_math ~ score_math_course1 + score_math_course2 */
static void
test_ols_known_answer(void)
{
	AmlDataset *ds = csv_load(unit_data_path("linreg_sample.csv"));
	int			cols[2];
	AmlMatrix  *X;
	AmlEstimator *est;
	AmlError	err;
	const double *y;
	double		ss_res = 0,
				ss_tot = 0,
				mean = 0;

	CHECK(ds != NULL);
	cols[0] = aml_dataset_find_column(ds, "score_math_course1");
	cols[1] = aml_dataset_find_column(ds, "score_math_course2");
	y = ds->columns[aml_dataset_find_column(ds, "college_math")].values;
	CHECK_OK(aml_dataset_to_matrix(ds, cols, 2, &X, &err), &err);
	est = fit_model("linear_regression", AML_TASK_REGRESSION, 0, NULL, X, y, 1);
	CHECK(est != NULL);
	if (est)
	{
		double		row[2];
		double		pred;

		/* published: intercept -2.2264, b1 0.2020, b2 0.8098, R^2 0.901 */
		CHECK(fabs(lin(est)->intercept[0] - -2.2264) < 5e-5);
		CHECK(fabs(lin(est)->coef[0] - 0.2020) < 5e-5);
		CHECK(fabs(lin(est)->coef[1] - 0.8098) < 5e-5);
		for (int i = 0; i < X->rows; i++)
			mean += y[i];
		mean /= X->rows;
		for (int i = 0; i < X->rows; i++)
		{
			aml_matrix_get_row(X, i, row);
			est->type->predict_row(est, row, &pred);
			ss_res += (y[i] - pred) * (y[i] - pred);
			ss_tot += (y[i] - mean) * (y[i] - mean);
		}
		CHECK(fabs((1 - ss_res / ss_tot) - 0.901) < 5e-4);
		CHECK_NEAR(1 - ss_res / ss_tot, ref_num(ref_get("linreg_sample", NULL), "r2"), 1e-12);
		check_regression(est, ref_get("linreg_sample", NULL), X, 1e-10, false);
	}
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_dataset_free(ds);
}

/*
 * Linearly dependent columns are dropped in order, like R's lm(): the model
 * on [bmi, X, s1 + s2, constant, zeros] equals OLS on X with bmi moved first;
 * X's own bmi column (a repeat of the first) and the extras get coefficient 0.
 */
static void
test_ols_rank_deficient(void)
{
	AmlMatrix  *X;
	AmlMatrix  *W;
	double	   *y;
	int			k;
	double		coef[10];
	AmlEstimator *est;
	json_object *ref = ref_get("diabetes", "ols");

	load_xy("diabetes.csv", "target", false, &X, &y, &k);
	W = aml_matrix_new(X->rows, 14);
	for (int i = 0; i < X->rows; i++)
	{
		AML_AT(W, i, 0) = AML_AT(X, i, 2);
		for (int j = 0; j < 10; j++)
			AML_AT(W, i, j + 1) = AML_AT(X, i, j);
		AML_AT(W, i, 11) = AML_AT(X, i, 4) + AML_AT(X, i, 5);
		AML_AT(W, i, 12) = 3.5;
		AML_AT(W, i, 13) = 0;
	}
	est = fit_model("linear_regression", AML_TASK_REGRESSION, 0, NULL, W, y, 1);
	CHECK(est != NULL);
	if (est)
	{
		const AmlLinearModel *m = lin(est);
		double		mine[10];

		ref_vec(ref, "coef", coef, 10);
		CHECK(m->rank == 10);
		mine[2] = m->coef[0];
		for (int j = 0; j < 10; j++)
			if (j != 2)
				mine[j] = m->coef[j + 1];
		check_vec("coef", mine, coef, 10, 1e-8);
		CHECK(m->coef[3] == 0);	/* the repeated bmi */
		CHECK(m->coef[11] == 0 && m->coef[12] == 0 && m->coef[13] == 0);
		CHECK_NEAR(m->intercept[0], ref_num(ref, "intercept"), 1e-9);
	}
	aml_estimator_free(est);
	aml_matrix_free(W);
	aml_matrix_free(X);
	aml_free(y);
}

static void
test_ridge(void)
{
	AmlMatrix  *X;
	AmlMatrix  *X8;
	double	   *y;
	int			k;
	int			rows[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	AmlEstimator *est;

	load_xy("diabetes.csv", "target", false, &X, &y, &k);
	est = fit_model("ridge", AML_TASK_REGRESSION, 0, NULL, X, y, 1);
	check_regression(est, ref_get("diabetes", "ridge"), X, 1e-8, false);
	aml_estimator_free(est);
	est = fit_model("ridge", AML_TASK_REGRESSION, 0,
					"{\"alpha\": 10, \"fit_intercept\": false}", X, y, 1);
	check_regression(est, ref_get("diabetes", "ridge_10_noint"), X, 1e-8, false);
	aml_estimator_free(est);
	/* 8 rows, 10 features: kernel form */
	X8 = aml_matrix_take_rows(X, rows, 8);
	est = fit_model("ridge", AML_TASK_REGRESSION, 0, "{\"alpha\": 0.5}", X8, y, 1);
	check_regression(est, ref_get("diabetes", "ridge_wide"), X, 1e-8, false);
	aml_estimator_free(est);
	/* alpha = 0 on dependent columns: SVD fallback, still a least-squares fit */
	{
		AmlMatrix  *D = aml_matrix_new(X->rows, 3);

		for (int i = 0; i < X->rows; i++)
		{
			AML_AT(D, i, 0) = AML_AT(X, i, 2);
			AML_AT(D, i, 1) = AML_AT(X, i, 2);
			AML_AT(D, i, 2) = AML_AT(X, i, 3);
		}
		est = fit_model("ridge", AML_TASK_REGRESSION, 0, "{\"alpha\": 0}", D, y, 1);
		CHECK(est != NULL);
		if (est)
		{
			AmlEstimator *ols = fit_model("linear_regression", AML_TASK_REGRESSION, 0, NULL,
										  D, y, 1);

			/* minimum-norm solution splits the duplicate evenly */
			CHECK_NEAR(lin(est)->coef[0], lin(est)->coef[1], 1e-6);
			CHECK_NEAR(lin(est)->coef[0] + lin(est)->coef[1], lin(ols)->coef[0], 1e-6);
			CHECK_NEAR(lin(est)->coef[2], lin(ols)->coef[2], 1e-6);
			aml_estimator_free(ols);
		}
		aml_estimator_free(est);
		aml_matrix_free(D);
	}
	aml_matrix_free(X8);
	aml_matrix_free(X);
	aml_free(y);
}

static void
test_lasso_enet(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;
	AmlEstimator *est;
	AmlEstimator *tight;

	load_xy("diabetes.csv", "target", false, &X, &y, &k);
	/* cyclic, sklearn's defaults: same iterates, same number of epochs */
	est = fit_model("lasso", AML_TASK_REGRESSION, 0, NULL, X, y, 1);
	check_regression(est, ref_get("diabetes", "lasso"), X, 1e-8, true);
	aml_estimator_free(est);
	est = fit_model("lasso", AML_TASK_REGRESSION, 0, "{\"alpha\": 0.1}", X, y, 1);
	check_regression(est, ref_get("diabetes", "lasso_01"), X, 1e-8, true);
	aml_estimator_free(est);
	est = fit_model("elastic_net", AML_TASK_REGRESSION, 0, NULL, X, y, 1);
	check_regression(est, ref_get("diabetes", "enet"), X, 1e-8, true);
	aml_estimator_free(est);
	est = fit_model("elastic_net", AML_TASK_REGRESSION, 0,
					"{\"alpha\": 0.1, \"l1_ratio\": 0.7}", X, y, 1);
	check_regression(est, ref_get("diabetes", "enet_01_07"), X, 1e-8, true);
	CHECK(est && lin(est)->converged);
	/* default tol vs the exact optimum */
	check_enet_optimal(est, ref_get("diabetes", "enet_tight"), X, y, 0.1, 0.7, 1e-4);
	aml_estimator_free(est);
	tight = fit_model("elastic_net", AML_TASK_REGRESSION, 0,
					  "{\"alpha\": 0.1, \"l1_ratio\": 0.7, \"tol\": 1e-12, \"max_iter\": 1000000}",
					  X, y, 1);
	check_regression(tight, ref_get("diabetes", "enet_tight"), X, 1e-8, false);
	aml_estimator_free(tight);
	/* random order: same optimum within what tol allows */
	est = fit_model("elastic_net", AML_TASK_REGRESSION, 0,
					"{\"alpha\": 0.1, \"l1_ratio\": 0.7, \"selection\": \"random\"}", X, y, 7);
	CHECK(est && lin(est)->converged);
	check_enet_optimal(est, ref_get("diabetes", "enet_tight"), X, y, 0.1, 0.7, 1e-4);
	aml_estimator_free(est);

	standardise(X);
	est = fit_model("lasso", AML_TASK_REGRESSION, 0, "{\"alpha\": 0.5}", X, y, 1);
	check_regression(est, ref_get("diabetes", "lasso_std"), X, 1e-8, true);
	CHECK(est && lin(est)->coef[0] == 0 && lin(est)->coef[5] == 0);	/* sparse */
	aml_estimator_free(est);
	est = fit_model("lasso", AML_TASK_REGRESSION, 0,
					"{\"alpha\": 0.5, \"tol\": 1e-12, \"max_iter\": 1000000}", X, y, 1);
	check_regression(est, ref_get("diabetes", "lasso_std_tight"), X, 1e-8, false);
	aml_estimator_free(est);
	est = fit_model("lasso", AML_TASK_REGRESSION, 0,
					"{\"alpha\": 0.5, \"selection\": \"random\"}", X, y, 3);
	check_enet_optimal(est, ref_get("diabetes", "lasso_std_tight"), X, y, 0.5, 1.0, 1e-4);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);
}

/* ---------------------------------------------------------------- classification */

static void
test_logistic_binary(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;
	AmlEstimator *est;
	json_object *tight = ref_get("breast_cancer", "logreg_tight");

	load_xy("breast_cancer.csv", "target", true, &X, &y, &k);
	standardise(X);
	CHECK(k == 2);

	/* defaults: compare with the exact optimum at what tol = 1e-4 allows */
	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k, NULL, X, y, 1);
	CHECK(est && lin(est)->converged && lin(est)->form == AML_FORM_LOGISTIC);
	check_classifier_coef(est, tight, 1e-4);
	check_proba(est, tight, X, 1e-5);
	check_classifier_coef(est, ref_get("breast_cancer", "logreg"), 1e-3);
	check_proba(est, ref_get("breast_cancer", "logreg"), X, 1e-3);
	CHECK(label_agreement(est, ref_get("breast_cancer", "logreg"), X) == 1.0);
	aml_estimator_free(est);

	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k, "{\"tol\": 1e-10}",
					X, y, 1);
	check_classifier_coef(est, tight, 1e-6);
	check_proba(est, tight, X, 1e-7);
	aml_estimator_free(est);

	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k,
					"{\"C\": 0.1, \"class_weight\": \"balanced\", \"tol\": 1e-10}", X, y, 1);
	check_classifier_coef(est, ref_get("breast_cancer", "logreg_c01_balanced_tight"), 1e-6);
	check_proba(est, ref_get("breast_cancer", "logreg_c01_balanced_tight"), X, 1e-7);
	aml_estimator_free(est);

	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k,
					"{\"fit_intercept\": false, \"tol\": 1e-10}", X, y, 1);
	check_classifier_coef(est, ref_get("breast_cancer", "logreg_noint_tight"), 1e-6);
	aml_estimator_free(est);

	/* L1 against saga at tol 1e-12 */
	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k,
					"{\"penalty\": \"l1\", \"C\": 0.5, \"tol\": 1e-10}", X, y, 1);
	check_classifier_coef(est, ref_get("breast_cancer", "logreg_l1_tight"), 1e-6);
	check_proba(est, ref_get("breast_cancer", "logreg_l1_tight"), X, 1e-7);
	if (est)
	{
		double		want[30];
		int			zeros = 0;

		ref_vec(ref_get("breast_cancer", "logreg_l1_tight"), "coef", want, 30);
		for (int j = 0; j < 30; j++)
			if (want[j] == 0)
			{
				zeros++;
				CHECK_MSG(lin(est)->coef[j] == 0, "coefficient %d should be exactly 0: %g", j,
						  lin(est)->coef[j]);
			}
		CHECK(zeros > 10);
	}
	aml_estimator_free(est);
	/* L1 at the default tol */
	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k,
					"{\"penalty\": \"l1\", \"C\": 0.5}", X, y, 1);
	CHECK(est && lin(est)->converged);
	check_classifier_coef(est, ref_get("breast_cancer", "logreg_l1_tight"), 1e-4);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);
}

static void
test_logistic_multinomial(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;
	AmlEstimator *est;
	json_object *tight = ref_get("wine", "logreg_tight");

	load_xy("wine.csv", "target", true, &X, &y, &k);
	standardise(X);
	CHECK(k == 3);
	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k, NULL, X, y, 1);
	CHECK(est && lin(est)->converged && lin(est)->form == AML_FORM_SOFTMAX);
	check_classifier_coef(est, tight, 1e-4);
	check_proba(est, tight, X, 1e-5);
	check_classifier_coef(est, ref_get("wine", "logreg"), 1e-3);
	check_proba(est, ref_get("wine", "logreg"), X, 1e-3);
	CHECK(label_agreement(est, ref_get("wine", "logreg"), X) == 1.0);
	aml_estimator_free(est);

	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k, "{\"tol\": 1e-10}",
					X, y, 1);
	check_classifier_coef(est, tight, 1e-6);
	check_proba(est, tight, X, 1e-7);
	aml_estimator_free(est);

	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k,
					"{\"C\": 0.01, \"class_weight\": \"balanced\", \"tol\": 1e-10}", X, y, 1);
	check_classifier_coef(est, ref_get("wine", "logreg_c001_balanced_tight"), 1e-6);
	check_proba(est, ref_get("wine", "logreg_c001_balanced_tight"), X, 1e-7);
	aml_estimator_free(est);

	est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k,
					"{\"penalty\": \"l1\", \"C\": 0.2, \"tol\": 1e-10}", X, y, 1);
	check_classifier_coef(est, ref_get("wine", "logreg_l1_tight"), 1e-6);
	check_proba(est, ref_get("wine", "logreg_l1_tight"), X, 1e-7);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);
}

static void
test_linear_svm(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;
	AmlEstimator *est;

	load_xy("breast_cancer.csv", "target", true, &X, &y, &k);
	standardise(X);
	est = fit_model("linear_svm", AML_TASK_CLASSIFICATION, k, NULL, X, y, 1);
	CHECK(est && lin(est)->form == AML_FORM_BINARY_SCORE);
	check_decision(est, ref_get("breast_cancer", "svm"), X, 1e-3);
	CHECK(label_agreement(est, ref_get("breast_cancer", "svm"), X) >= 0.99);
	aml_estimator_free(est);
	est = fit_model("linear_svm", AML_TASK_CLASSIFICATION, k,
					"{\"tol\": 1e-10, \"max_iter\": 1000000}", X, y, 1);
	check_classifier_coef(est, ref_get("breast_cancer", "svm_tight"), 1e-8);
	check_decision(est, ref_get("breast_cancer", "svm_tight"), X, 1e-8);
	CHECK(label_agreement(est, ref_get("breast_cancer", "svm_tight"), X) == 1.0);
	aml_estimator_free(est);
	est = fit_model("linear_svm", AML_TASK_CLASSIFICATION, k,
					"{\"loss\": \"hinge\", \"C\": 0.1, \"tol\": 1e-10, \"max_iter\": 1000000}",
					X, y, 1);
	check_classifier_coef(est, ref_get("breast_cancer", "svm_hinge_tight"), 1e-8);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);

	load_xy("wine.csv", "target", true, &X, &y, &k);
	standardise(X);
	est = fit_model("linear_svm", AML_TASK_CLASSIFICATION, k, NULL, X, y, 1);
	CHECK(est && lin(est)->form == AML_FORM_SCORES && lin(est)->converged);
	check_decision(est, ref_get("wine", "svm"), X, 1e-3);
	CHECK(label_agreement(est, ref_get("wine", "svm"), X) >= 0.99);
	aml_estimator_free(est);
	est = fit_model("linear_svm", AML_TASK_CLASSIFICATION, k,
					"{\"tol\": 1e-10, \"max_iter\": 1000000}", X, y, 1);
	check_classifier_coef(est, ref_get("wine", "svm_tight"), 1e-8);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);
}

/* ---------------------------------------------------------------- generic properties */

typedef struct Case
{
	const char *type;
	AmlTask		task;
	const char *params;
} Case;

static const Case cases[] = {
	{"linear_regression", AML_TASK_REGRESSION, NULL},
	{"ridge", AML_TASK_REGRESSION, NULL},
	{"lasso", AML_TASK_REGRESSION, "{\"alpha\": 0.1}"},
	{"elastic_net", AML_TASK_REGRESSION, "{\"selection\": \"random\"}"},
	{"logistic_regression", AML_TASK_CLASSIFICATION, NULL},
	{"logistic_regression", AML_TASK_CLASSIFICATION, "{\"penalty\": \"l1\"}"},
	{"linear_svm", AML_TASK_CLASSIFICATION, NULL},
	{"linear_svm", AML_TASK_CLASSIFICATION, "{\"loss\": \"hinge\"}"},
};

#define N_CASES ((int) (sizeof(cases) / sizeof(cases[0])))

/* wine, standardised: 3 classes; regression target: class index as a number */
static void
wine(AmlMatrix **X, double **y, int *k)
{
	load_xy("wine.csv", "target", true, X, y, k);
	standardise(*X);
}

static bool
same_predictions(const AmlEstimator *a, const AmlEstimator *b, const AmlMatrix *X)
{
	AmlMatrix  *pa = predict_all(a, X);
	AmlMatrix  *pb = predict_all(b, X);
	bool		same = memcmp(pa->data, pb->data, sizeof(double) * pa->rows * pa->cols) == 0;

	aml_matrix_free(pa);
	aml_matrix_free(pb);
	return same;
}

/* to_json -> text -> from_json predicts bit for bit the same */
static bool
round_trip_same(const AmlEstimator *est, const AmlMatrix *X)
{
	json_object *j = aml_estimator_to_json(est);
	const char *text = aml_json_text(j);
	json_object *parsed = NULL;
	AmlEstimator *back = NULL;
	AmlError	err;
	bool		same = false;

	if (aml_json_parse(text, strlen(text), &parsed, &err) == AML_OK &&
		aml_estimator_from_json(parsed, &back, &err) == AML_OK)
		same = same_predictions(est, back, X);
	aml_estimator_free(back);
	json_object_put(parsed);
	json_object_put(j);
	return same;
}

/* JSON round trip, predict_row == predict_batch, importances, determinism */
static void
round_trip_cases(const AmlMatrix *X, const double *y, int k)
{
	for (int c = 0; c < N_CASES; c++)
	{
		const Case *cs = &cases[c];
		int			kk = cs->task == AML_TASK_CLASSIFICATION ? k : 0;
		AmlEstimator *est = fit_model(cs->type, cs->task, kk, cs->params, X, y, 42);
		AmlEstimator *again = fit_model(cs->type, cs->task, kk, cs->params, X, y, 42);
		AmlEstimator *back = NULL;
		json_object *j;
		json_object *parsed;
		const char *text;
		AmlError	err;
		AmlMatrix  *batch;
		int			outs;
		double		row[16];
		double		one[8];
		double		imp[16];
		bool		same = true;

		if (est == NULL || again == NULL)
		{
			aml_estimator_free(est);
			aml_estimator_free(again);
			continue;
		}
		unit_current = cs->type;
		/* determinism: same seed, same model */
		CHECK_MSG(same_predictions(est, again, X), "%s %s is not deterministic", cs->type,
				  cs->params ? cs->params : "");
		/* JSON: text -> parse -> model -> bit-identical predictions */
		j = aml_estimator_to_json(est);
		text = aml_json_text(j);
		CHECK_OK(aml_json_parse(text, strlen(text), &parsed, &err), &err);
		CHECK_OK(aml_estimator_from_json(parsed, &back, &err), &err);
		if (back)
			CHECK_MSG(same_predictions(est, back, X), "%s: reloaded model predicts differently",
					  cs->type);
		json_object_put(j);
		json_object_put(parsed);
		aml_estimator_free(back);
		/* the row path gives exactly the batch numbers */
		batch = predict_all(est, X);
		outs = aml_estimator_outputs(est);
		for (int i = 0; i < X->rows; i++)
		{
			aml_matrix_get_row(X, i, row);
			est->type->predict_row(est, row, one);
			for (int o = 0; o < outs; o++)
				same = same && one[o] == AML_AT(batch, i, o);
		}
		CHECK_MSG(same, "%s: predict_row and predict_batch differ", cs->type);
		aml_matrix_free(batch);
		/* importances: mean absolute coefficient */
		CHECK_OK(est->type->importances(est, imp, &err), &err);
		for (int jf = 0; jf < X->cols; jf++)
		{
			const AmlLinearModel *m = lin(est);
			double		s = 0;

			for (int r = 0; r < m->n_rows; r++)
				s += fabs(m->coef[r * m->n_features + jf]);
			CHECK(imp[jf] >= 0);
			CHECK_NEAR(imp[jf], s / m->n_rows, 1e-15);
		}
		aml_estimator_free(est);
		aml_estimator_free(again);
	}
}

static void
test_round_trip(void)
{
	AmlMatrix  *X;
	AmlMatrix  *X2;
	double	   *y;
	int			k;
	int		   *rows;

	/* three classes: softmax and one-vs-rest links */
	wine(&X, &y, &k);
	round_trip_cases(X, y, k);
	/* two classes (logistic and binary-score links), an odd number of rows */
	rows = AML_NEW_ARRAY(int, 177);
	for (int i = 0; i < 177; i++)
	{
		rows[i] = i;
		y[i] = y[i] > 0;
	}
	X2 = aml_matrix_take_rows(X, rows, 177);
	round_trip_cases(X2, y, 2);
	aml_matrix_free(X2);
	aml_free(rows);
	aml_matrix_free(X);
	aml_free(y);
}

static void
test_bad_params(void)
{
	struct
	{
		const char *type;
		AmlTask		task;
		const char *params;
		const char *needle;
	}			bad[] = {
		{"ridge", AML_TASK_REGRESSION, "{\"alhpa\": 1}", "unknown hyperparameter"},
		{"ridge", AML_TASK_REGRESSION, "{\"alpha\": -1}", "out of range"},
		{"ridge", AML_TASK_REGRESSION, "{\"alpha\": \"big\"}", "must be a number"},
		{"lasso", AML_TASK_REGRESSION, "{\"l1_ratio\": 0.5}", "unknown hyperparameter"},
		{"elastic_net", AML_TASK_REGRESSION, "{\"l1_ratio\": 1.5}", "out of range"},
		{"elastic_net", AML_TASK_REGRESSION, "{\"selection\": \"shuffle\"}", "invalid value"},
		{"elastic_net", AML_TASK_REGRESSION, "{\"max_iter\": 0}", "out of range"},
		{"linear_regression", AML_TASK_REGRESSION, "{\"fit_intercept\": 1}", "true or false"},
		{"logistic_regression", AML_TASK_CLASSIFICATION, "{\"C\": 0}", "out of range"},
		{"logistic_regression", AML_TASK_CLASSIFICATION, "{\"penalty\": \"elasticnet\"}",
		"invalid value"},
		{"logistic_regression", AML_TASK_CLASSIFICATION, "{\"max_iter\": 2.5}", "integer"},
		{"linear_svm", AML_TASK_CLASSIFICATION, "{\"loss\": \"log\"}", "invalid value"},
		{"linear_svm", AML_TASK_CLASSIFICATION, "{\"tol\": 0}", "out of range"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		json_object *p;
		AmlEstimator *est = NULL;
		AmlError	err;

		CHECK_OK(aml_json_parse(bad[i].params, strlen(bad[i].params), &p, &err), &err);
		CHECK_STATUS(aml_estimator_create(aml_estimator_type_find(bad[i].type), bad[i].task,
										  2, p, &est, &err), AML_ERR_INVALID_PARAMETER, &err);
		CHECK_MSG(strstr(err.message, bad[i].needle) != NULL, "%s %s: message \"%s\"",
				  bad[i].type, bad[i].params, err.message);
		CHECK(est == NULL);
		json_object_put(p);
	}
	/* the messages help: valid names, valid range */
	{
		json_object *p;
		AmlEstimator *est = NULL;
		AmlError	err;

		aml_json_parse("{\"l1ratio\": 0.5}", 16, &p, &err);
		CHECK_STATUS(aml_estimator_create(&aml_elastic_net_type, AML_TASK_REGRESSION, 0, p,
										  &est, &err), AML_ERR_INVALID_PARAMETER, &err);
		CHECK(strstr(err.detail, "l1_ratio") != NULL && strstr(err.detail, "selection") != NULL);
		json_object_put(p);
		aml_json_parse("{\"C\": -1}", 9, &p, &err);
		CHECK_STATUS(aml_estimator_create(&aml_logistic_regression_type,
										  AML_TASK_CLASSIFICATION, 2, p, &est, &err),
					 AML_ERR_INVALID_PARAMETER, &err);
		CHECK_MSG(strstr(err.detail, "> 0") != NULL, "detail: %s", err.detail);
		json_object_put(p);
	}
	/* tasks */
	{
		AmlEstimator *est = NULL;
		AmlError	err;

		CHECK_STATUS(aml_estimator_create(&aml_ridge_type, AML_TASK_CLASSIFICATION, 2, NULL,
										  &est, &err), AML_ERR_INVALID_PARAMETER, &err);
		CHECK_STATUS(aml_estimator_create(&aml_linear_svm_type, AML_TASK_REGRESSION, 0, NULL,
										  &est, &err), AML_ERR_INVALID_PARAMETER, &err);
	}
}

static void
test_degenerate(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;

	wine(&X, &y, &k);

	/* one row */
	{
		int			first = 0;
		AmlMatrix  *X1 = aml_matrix_take_rows(X, &first, 1);
		double		row[16];
		double		out[4];

		aml_matrix_get_row(X, 5, row);
		for (int c = 0; c < N_CASES; c++)
		{
			int			kk = cases[c].task == AML_TASK_CLASSIFICATION ? k : 0;
			AmlEstimator *est = fit_model(cases[c].type, cases[c].task, kk, cases[c].params,
										  X1, y, 1);

			if (est == NULL)
				continue;
			est->type->predict_row(est, row, out);
			if (cases[c].task == AML_TASK_REGRESSION)
				CHECK_NEAR(out[0], y[0], 1e-9);	/* intercept only */
			else
			{
				CHECK(aml_argmax(out, k) == (int) y[0]);
				if (est->type->probabilistic)
					CHECK(out[(int) y[0]] == 1.0 && out[1] == 0 && out[2] == 0);
				else
					CHECK(out[1] == -DBL_MAX && out[2] == -DBL_MAX);
			}
			aml_estimator_free(est);
		}
		aml_matrix_free(X1);
	}

	/* constant and all-zero features get coefficient 0; constant target */
	{
		AmlMatrix  *C = aml_matrix_new(X->rows, 3);
		double	   *same = AML_NEW_ARRAY(double, X->rows);

		for (int i = 0; i < X->rows; i++)
		{
			AML_AT(C, i, 0) = AML_AT(X, i, 0);
			AML_AT(C, i, 1) = 7.25;
			AML_AT(C, i, 2) = 0;
			same[i] = 3.0;
		}
		for (int c = 0; c < N_CASES; c++)
		{
			int			kk = cases[c].task == AML_TASK_CLASSIFICATION ? k : 0;
			AmlEstimator *est = fit_model(cases[c].type, cases[c].task, kk, cases[c].params,
										  C, y, 1);

			if (est == NULL)
				continue;
			unit_current = cases[c].type;
			for (int r = 0; r < lin(est)->n_rows; r++)
			{
				/* penalised models: exactly 0 (lasso, L1) or numerically 0 */
				CHECK(fabs(lin(est)->coef[r * 3 + 2]) == 0);
				if (cases[c].task == AML_TASK_REGRESSION)
					CHECK_MSG(fabs(lin(est)->coef[r * 3 + 1]) < 1e-6, "%s constant column: %g",
							  cases[c].type, lin(est)->coef[r * 3 + 1]);
			}
			aml_estimator_free(est);
			if (cases[c].task == AML_TASK_REGRESSION)
			{
				double		row[3] = {1, 7.25, 0};
				double		out;

				est = fit_model(cases[c].type, cases[c].task, 0, cases[c].params, C, same, 1);
				if (est)
				{
					est->type->predict_row(est, row, &out);
					CHECK_NEAR(out, 3.0, 1e-12);
					aml_estimator_free(est);
				}
			}
		}
		aml_matrix_free(C);
		aml_free(same);
	}

	/* a class without rows (a CV fold) */
	{
		int		   *rows = AML_NEW_ARRAY(int, X->rows);
		int			n = 0;
		AmlMatrix  *Xs;
		double	   *ys = AML_NEW_ARRAY(double, X->rows);

		for (int i = 0; i < X->rows; i++)
			if ((int) y[i] != 1)
			{
				ys[n] = y[i];
				rows[n++] = i;
			}
		Xs = aml_matrix_take_rows(X, rows, n);
		for (int c = 4; c < N_CASES; c++)
		{
			AmlEstimator *est = fit_model(cases[c].type, cases[c].task, 3, cases[c].params,
										  Xs, ys, 1);
			AmlEstimator *two;
			double	   *y2 = AML_NEW_ARRAY(double, n);
			double		row[16];
			double		out[3];
			double		out2[2];
			int			agree = 0;

			if (est == NULL)
			{
				aml_free(y2);
				continue;
			}
			/* same model as a binary fit on the two classes present */
			for (int i = 0; i < n; i++)
				y2[i] = ys[i] == 2 ? 1 : 0;
			two = fit_model(cases[c].type, cases[c].task, 2, cases[c].params, Xs, y2, 1);
			for (int i = 0; two != NULL && i < X->rows; i++)
			{
				aml_matrix_get_row(X, i, row);
				est->type->predict_row(est, row, out);
				two->type->predict_row(two, row, out2);
				if (est->type->probabilistic)
				{
					CHECK(out[1] == 0);
					CHECK_NEAR(out[0] + out[2], 1.0, 1e-12);
				}
				else
					CHECK(out[1] == -DBL_MAX);
				agree += out[0] == out2[0] && out[2] == out2[1];
			}
			CHECK_MSG(two && agree == X->rows, "%s: absent class changes the model (%d of %d rows)",
					  cases[c].type, agree, X->rows);
			aml_estimator_free(est);
			aml_estimator_free(two);
			aml_free(y2);
		}
		/* four classes declared, three present: multinomial / one-vs-rest with a gap */
		for (int c = 4; c < N_CASES; c++)
		{
			double	   *y4 = AML_NEW_ARRAY(double, X->rows);
			AmlEstimator *est;
			AmlEstimator *three;
			double		row[16];
			double		out[4];
			double		out3[3];
			bool		same = true;

			for (int i = 0; i < X->rows; i++)
				y4[i] = y[i] == 0 ? 0 : y[i] + 1;	/* classes 0, 2, 3 */
			est = fit_model(cases[c].type, cases[c].task, 4, cases[c].params, X, y4, 1);
			three = fit_model(cases[c].type, cases[c].task, 3, cases[c].params, X, y, 1);
			if (est && three)
			{
				for (int i = 0; i < X->rows; i++)
				{
					aml_matrix_get_row(X, i, row);
					est->type->predict_row(est, row, out);
					three->type->predict_row(three, row, out3);
					same = same && out[0] == out3[0] && out[2] == out3[1] && out[3] == out3[2];
					CHECK(out[1] == (est->type->probabilistic ? 0.0 : -DBL_MAX));
				}
				CHECK_MSG(same, "%s: four declared classes change the model", cases[c].type);
				/* -Infinity / -DBL_MAX rows survive JSON; importances skip them */
				CHECK_MSG(round_trip_same(est, X), "%s: absent class lost in JSON",
						  cases[c].type);
				{
					double		i4[16];
					double		i3[16];
					AmlError	err;

					CHECK_OK(est->type->importances(est, i4, &err), &err);
					CHECK_OK(three->type->importances(three, i3, &err), &err);
					CHECK(memcmp(i4, i3, sizeof(double) * X->cols) == 0);
				}
			}
			aml_estimator_free(est);
			aml_estimator_free(three);
			aml_free(y4);
		}
		aml_matrix_free(Xs);
		aml_free(rows);
		aml_free(ys);
	}
	aml_matrix_free(X);
	aml_free(y);
}

/*
 * Many features (600 > the explicit-Hessian limit of the l1 solver, and more
 * features than rows): check the optimality conditions directly.
 */
static void
test_logistic_wide(void)
{
	const int	n = 200;
	const int	p = 600;
	AmlMatrix  *X = aml_matrix_new(n, p);
	double	   *y = AML_NEW_ARRAY(double, n);
	double	   *g = AML_NEW_ARRAY(double, p + 1);
	AmlRng		rng;
	const char *params[] = {"{\"penalty\": \"l1\", \"C\": 0.5, \"tol\": 1e-7}",
	"{\"C\": 0.5, \"tol\": 1e-7}"};

	aml_rng_seed(&rng, 5);
	for (int i = 0; i < n; i++)
	{
		double		z = 0;

		for (int j = 0; j < p; j++)
			AML_AT(X, i, j) = aml_rng_normal(&rng);
		for (int j = 0; j < 10; j++)
			z += (j % 2 ? 1.0 : -1.0) * AML_AT(X, i, j * 7);
		y[i] = z + 0.5 * aml_rng_normal(&rng) > 0;
	}
	for (int v = 0; v < 2; v++)
	{
		AmlEstimator *est = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, 2,
									  params[v], X, y, 1);
		const AmlLinearModel *m;
		double		worst = 0;
		int			nonzero = 0;

		if (est == NULL)
			continue;
		m = lin(est);
		CHECK(m->converged);
		memset(g, 0, sizeof(double) * (p + 1));
		for (int i = 0; i < n; i++)
		{
			double		z = m->intercept[0];
			double		r;

			for (int j = 0; j < p; j++)
				z += m->coef[j] * AML_AT(X, i, j);
			r = 1 / (1 + exp(-z)) - y[i];
			for (int j = 0; j < p; j++)
				g[j] += r * AML_AT(X, i, j);
			g[p] += r;
		}
		for (int j = 0; j < p; j++)
		{
			double		w = m->coef[j];
			double		a;

			if (v == 0)			/* l1: minimum-norm subgradient, lambda = 2 */
				a = w > 0 ? fabs(g[j] + 2) : w < 0 ? fabs(g[j] - 2) : fmax(fabs(g[j]) - 2, 0);
			else
				a = fabs(g[j] + 2 * w);
			worst = fmax(worst, a);
			nonzero += w != 0;
		}
		worst = fmax(worst, fabs(g[p]));
		CHECK_MSG(worst < 1e-6, "%s: optimality violated by %g", params[v], worst);
		if (v == 0)
			CHECK_MSG(nonzero > 0 && nonzero < 100, "l1 kept %d of %d features", nonzero, p);
		aml_estimator_free(est);
	}
	aml_matrix_free(X);
	aml_free(y);
	aml_free(g);
}

static bool
stop_now(void *state)
{
	return true;
}

static void
test_interrupt(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;

	wine(&X, &y, &k);
	aml_set_interrupt_hook(stop_now, NULL);
	for (int c = 2; c < N_CASES; c++)
	{
		const AmlEstimatorType *t = aml_estimator_type_find(cases[c].type);
		AmlEstimator *est;
		AmlError	err;
		AmlRng		rng;
		json_object *p = NULL;

		if (cases[c].params)
			aml_json_parse(cases[c].params, strlen(cases[c].params), &p, &err);
		CHECK_OK(aml_estimator_create(t, cases[c].task,
									  cases[c].task == AML_TASK_CLASSIFICATION ? k : 0, p, &est,
									  &err), &err);
		json_object_put(p);
		aml_rng_seed(&rng, 1);
		CHECK_STATUS(aml_estimator_fit(est, X, y, &rng, &err), AML_ERR_INTERRUPTED, &err);
		CHECK_STR(err.message, "interrupted");
		aml_estimator_free(est);
	}
	aml_set_interrupt_hook(NULL, NULL);
	aml_matrix_free(X);
	aml_free(y);
}

/* unscaled features: the preconditioned Newton solver still converges */
static void
test_logistic_unscaled(void)
{
	AmlMatrix  *X;
	double	   *y;
	int			k;
	AmlEstimator *raw;

	load_xy("breast_cancer.csv", "target", true, &X, &y, &k);
	raw = fit_model("logistic_regression", AML_TASK_CLASSIFICATION, k, "{\"tol\": 1e-8}",
					X, y, 1);
	CHECK(raw && lin(raw)->converged);
	if (raw)
	{
		/* optimality: the gradient of the objective is ~0 */
		const AmlLinearModel *m = lin(raw);
		double		g[31] = {0};

		for (int i = 0; i < X->rows; i++)
		{
			double		z = m->intercept[0];
			double		p;

			for (int j = 0; j < 30; j++)
				z += m->coef[j] * AML_AT(X, i, j);
			p = 1 / (1 + exp(-z));
			for (int j = 0; j < 30; j++)
				g[j] += (p - y[i]) * AML_AT(X, i, j);
			g[30] += p - y[i];
		}
		for (int j = 0; j < 30; j++)
			g[j] += m->coef[j];
		for (int j = 0; j < 31; j++)
			CHECK_MSG(fabs(g[j]) < 1e-6, "gradient %d = %g", j, g[j]);
	}
	aml_estimator_free(raw);
	aml_matrix_free(X);
	aml_free(y);
}

int
main(void)
{
	unit_begin();
	for (size_t i = 0; i < sizeof(linear_types) / sizeof(linear_types[0]); i++)
		CHECK(aml_estimator_type_find(linear_types[i]->name) == linear_types[i]);
	reference = unit_load_json("reference/linear.json");
	RUN(test_ols_diabetes);
	RUN(test_ols_known_answer);
	RUN(test_ols_rank_deficient);
	RUN(test_ridge);
	RUN(test_lasso_enet);
	RUN(test_logistic_binary);
	RUN(test_logistic_multinomial);
	RUN(test_logistic_unscaled);
	RUN(test_logistic_wide);
	RUN(test_linear_svm);
	RUN(test_round_trip);
	RUN(test_bad_params);
	RUN(test_degenerate);
	RUN(test_interrupt);
	json_object_put(reference);
	return unit_end();
}
