/*
 * test_naive_bayes_knn.c — naive Bayes (Gaussian, Bernoulli, multinomial) and
 * k-nearest neighbours against scikit-learn 1.2 (reference/nb_knn.json from
 * test/reference/nb_knn.py), plus batch/row agreement, JSON round trips,
 * hyperparameter errors and degenerate inputs.
 *
 * Tolerances: probabilities and kNN regression values within 1e-9 (relative
 * above 1); Gaussian NB means/variances within 1e-12 relative.  predict_row
 * and predict_batch must agree bit for bit, and so must a model reloaded
 * from JSON.
 */
#include "unit.h"
#include "csv.h"

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/estimator.h"

#include <stdlib.h>

#define TOL 1e-9

static json_object *reference;

/* ------------------------------------------------------------ helpers */

/* A list of rows (JSON arrays of numbers) as a column-major matrix. */
static AmlMatrix *
matrix_from_rows(json_object *rows)
{
	int			n = (int) json_object_array_length(rows);
	int			p = (int) json_object_array_length(json_object_array_get_idx(rows, 0));
	AmlMatrix  *m = aml_matrix_new(n, p);

	for (int i = 0; i < n; i++)
	{
		json_object *r = json_object_array_get_idx(rows, i);

		for (int j = 0; j < p; j++)
			AML_AT(m, i, j) = json_object_get_double(json_object_array_get_idx(r, j));
	}
	return m;
}

static double *
doubles_from_array(json_object *a)
{
	int			n = (int) json_object_array_length(a);
	double	   *v = AML_NEW_ARRAY(double, n);

	for (int i = 0; i < n; i++)
		v[i] = json_object_get_double(json_object_array_get_idx(a, i));
	return v;
}

typedef struct Data
{
	AmlMatrix  *X;
	double	   *y;
	int			n_classes;
	AmlDataset *ds;
} Data;

static Data
load_dataset(const char *name)
{
	Data		d = {0};
	char		file[64];

	if (strcmp(name, "wine_std") == 0)
	{
		json_object *w = unit_json_get(unit_json_get(reference, "knn_data"), "wine");

		d.X = matrix_from_rows(unit_json_get(w, "X"));
		d.y = doubles_from_array(unit_json_get(w, "y"));
		d.n_classes = 3;
		return d;
	}
	snprintf(file, sizeof(file), "%s.csv", name);
	d.ds = csv_load(unit_data_path(file));
	if (d.ds == NULL ||
		csv_split_xy(d.ds, strcmp(name, "iris") == 0 ? "name" : "target", true,
					 &d.X, &d.y, &d.n_classes) != 0)
	{
		fprintf(stderr, "cannot load %s\n", name);
		exit(2);
	}
	return d;
}

static void
free_dataset(Data *d)
{
	aml_matrix_free(d->X);
	aml_free(d->y);
	if (d->ds)
		aml_dataset_free(d->ds);
}

/* Create and fit; NULL (with a failed check) on error. */
static AmlEstimator *
fit_model(const char *type, AmlTask task, int n_classes, json_object *params,
		  const AmlMatrix *X, const double *y)
{
	AmlEstimator *est = NULL;
	AmlError	err;
	AmlRng		rng;

	aml_rng_seed(&rng, 42);
	CHECK_OK(aml_estimator_create(aml_estimator_type_find(type), task, n_classes, params,
								  &est, &err), &err);
	if (est == NULL)
		return NULL;
	CHECK_OK(aml_estimator_fit(est, X, y, &rng, &err), &err);
	return est;
}

static AmlMatrix *
predict(const AmlEstimator *est, const AmlMatrix *X)
{
	AmlMatrix  *out = aml_matrix_new(X->rows, aml_estimator_outputs(est));
	AmlError	err;

	CHECK_OK(aml_estimator_predict(est, X, out, &err), &err);
	return out;
}

/* predict_row on every row must equal the batch output bit for bit. */
static void
check_rows_equal_batch(const AmlEstimator *est, const AmlMatrix *X, const AmlMatrix *batch)
{
	int			k = aml_estimator_outputs(est);
	double	   *row = AML_NEW_ARRAY(double, X->cols + k);
	double	   *out = row + X->cols;
	int			mismatches = 0;

	for (int i = 0; i < X->rows; i++)
	{
		aml_matrix_get_row(X, i, row);
		est->type->predict_row(est, row, out);
		for (int c = 0; c < k; c++)
			if (out[c] != AML_AT(batch, i, c))
				mismatches++;
	}
	CHECK_MSG(mismatches == 0, "%s: %d row/batch mismatches", est->type->name, mismatches);
	aml_free(row);
}

/* to_json -> text -> parse -> from_json must predict identically. */
static void
check_round_trip(const AmlEstimator *est, const AmlMatrix *X, const AmlMatrix *expected)
{
	json_object *j = aml_estimator_to_json(est);
	const char *text = aml_json_text(j);
	json_object *parsed = NULL;
	AmlEstimator *back = NULL;
	AmlError	err;
	AmlMatrix  *pred;
	int			mismatches = 0;

	CHECK_OK(aml_json_parse(text, strlen(text), &parsed, &err), &err);
	CHECK_OK(aml_estimator_from_json(parsed, &back, &err), &err);
	if (back != NULL)
	{
		pred = predict(back, X);
		for (size_t e = 0; e < (size_t) pred->rows * pred->cols; e++)
			if (pred->data[e] != expected->data[e])
				mismatches++;
		CHECK_MSG(mismatches == 0, "%s: %d differences after JSON round trip",
				  est->type->name, mismatches);
		/* and the reloaded model serialises to the same text */
		{
			json_object *j2 = aml_estimator_to_json(back);

			CHECK_STR(aml_json_text(j2), text);
			json_object_put(j2);
		}
		aml_matrix_free(pred);
		aml_estimator_free(back);
	}
	json_object_put(parsed);
	json_object_put(j);
}

/* ------------------------------------------------------------ naive Bayes vs sklearn */

static void
test_nb_reference(void)
{
	json_object *cases = unit_json_get(reference, "nb");
	int			n_cases = (int) json_object_array_length(cases);

	CHECK(n_cases >= 14);
	for (int ci = 0; ci < n_cases; ci++)
	{
		json_object *c = json_object_array_get_idx(cases, ci);
		const char *model = json_object_get_string(unit_json_get(c, "model"));
		const char *dataset = json_object_get_string(unit_json_get(c, "dataset"));
		bool		drop_last = strcmp(json_object_get_string(unit_json_get(c, "fit_rows")), "all") != 0;
		json_object *classes = unit_json_get(c, "classes");
		json_object *proba = unit_json_get(c, "proba");
		Data		d = load_dataset(dataset);
		AmlMatrix  *Xfit = d.X;
		double	   *yfit = d.y;
		AmlEstimator *est;
		AmlMatrix  *pred;
		int			bad = 0;
		double		worst = 0;

		if (drop_last)
		{
			int		   *rows = AML_NEW_ARRAY(int, d.X->rows);
			int			m = 0;

			yfit = AML_NEW_ARRAY(double, d.X->rows);
			for (int i = 0; i < d.X->rows; i++)
				if (d.y[i] != d.n_classes - 1)
				{
					yfit[m] = d.y[i];
					rows[m++] = i;
				}
			Xfit = aml_matrix_take_rows(d.X, rows, m);
			aml_free(rows);
		}
		est = fit_model(model, AML_TASK_CLASSIFICATION, d.n_classes, unit_json_get(c, "params"),
						Xfit, yfit);
		if (est == NULL)
			continue;
		pred = predict(est, d.X);
		CHECK((int) json_object_array_length(proba) == d.X->rows);
		for (int i = 0; i < d.X->rows; i++)
		{
			json_object *row = json_object_array_get_idx(proba, i);
			double		sum = 0;

			for (int k = 0; k < d.n_classes; k++)
			{
				double		ours = AML_AT(pred, i, k);
				double		theirs = 0.0;

				/* sklearn only has columns for the classes seen in training */
				for (int m = 0; m < (int) json_object_array_length(classes); m++)
					if (json_object_get_int(json_object_array_get_idx(classes, m)) == k)
						theirs = json_object_get_double(json_object_array_get_idx(row, m));
				if (!unit_near(ours, theirs, TOL))
					bad++;
				if (fabs(ours - theirs) > worst)
					worst = fabs(ours - theirs);
				sum += ours;
			}
			if (!unit_near(sum, 1.0, 1e-12))
				bad++;
		}
		CHECK_MSG(bad == 0, "%s on %s (%s, case %d): %d probabilities differ from sklearn, "
				  "worst %g", model, dataset, drop_last ? "one class absent" : "all rows", ci,
				  bad, worst);
		if (drop_last)
			for (int i = 0; i < d.X->rows; i++)
				CHECK(AML_AT(pred, i, d.n_classes - 1) == 0.0);

		/* Gaussian: fitted means and variances */
		if (strcmp(model, "gaussian_nb") == 0)
		{
			json_object *j = aml_estimator_to_json(est);
			json_object *state = unit_json_get(j, "state");
			AmlMatrix  *theta = NULL;
			AmlMatrix  *var = NULL;
			AmlError	err;
			json_object *st = unit_json_get(c, "theta");
			json_object *sv = unit_json_get(c, "var");

			CHECK_OK(aml_json_get_matrix(state, "theta", &theta, "test", &err), &err);
			CHECK_OK(aml_json_get_matrix(state, "var", &var, "test", &err), &err);
			bad = 0;
			for (int m = 0; m < (int) json_object_array_length(classes); m++)
			{
				int			k = json_object_get_int(json_object_array_get_idx(classes, m));

				for (int f = 0; f < d.X->cols; f++)
				{
					double		t = json_object_get_double(json_object_array_get_idx(
														  json_object_array_get_idx(st, m), f));
					double		v = json_object_get_double(json_object_array_get_idx(
														  json_object_array_get_idx(sv, m), f));

					/* relative to the feature's scale */
					if (fabs(AML_AT(theta, f, k) - t) > 1e-12 * fmax(1, fabs(t)))
						bad++;
					if (fabs(AML_AT(var, f, k) - v) > 1e-12 * fmax(1e-300, fabs(v)))
						bad++;
				}
			}
			CHECK_MSG(bad == 0, "gaussian_nb on %s: %d fitted parameters differ", dataset, bad);
			aml_matrix_free(theta);
			aml_matrix_free(var);
			json_object_put(j);
		}
		check_rows_equal_batch(est, d.X, pred);
		check_round_trip(est, d.X, pred);
		aml_matrix_free(pred);
		aml_estimator_free(est);
		if (drop_last)
		{
			aml_matrix_free(Xfit);
			aml_free(yfit);
		}
		free_dataset(&d);
	}
}

/* ------------------------------------------------------------ kNN vs sklearn */

static void
test_knn_reference(void)
{
	json_object *cases = unit_json_get(reference, "knn");
	int			n_cases = (int) json_object_array_length(cases);

	CHECK(n_cases == 18);
	for (int ci = 0; ci < n_cases; ci++)
	{
		json_object *c = json_object_array_get_idx(cases, ci);
		const char *dataset = json_object_get_string(unit_json_get(c, "dataset"));
		bool		on_train = strcmp(json_object_get_string(unit_json_get(c, "on")), "train") == 0;
		json_object *data = unit_json_get(unit_json_get(reference, "knn_data"), dataset);
		bool		cls = strcmp(dataset, "wine") == 0;
		AmlMatrix  *X = matrix_from_rows(unit_json_get(data, "X"));
		double	   *y = doubles_from_array(unit_json_get(data, "y"));
		int			n = X->rows;
		int		   *train = AML_NEW_ARRAY(int, n);
		int		   *test = AML_NEW_ARRAY(int, n);
		double	   *ytrain = AML_NEW_ARRAY(double, n);
		int			ntr = 0;
		int			nte = 0;
		AmlMatrix  *Xtr;
		AmlMatrix  *Xte;
		AmlEstimator *est;
		AmlMatrix  *pred;
		json_object *expected = unit_json_get(c, "pred");
		int			bad = 0;
		double		worst = 0;

		for (int i = 0; i < n; i++)
		{
			if (i % 4 != 0)
			{
				ytrain[ntr] = y[i];
				train[ntr++] = i;
			}
			else
				test[nte++] = i;
		}
		Xtr = aml_matrix_take_rows(X, train, ntr);
		Xte = on_train ? aml_matrix_copy(Xtr) : aml_matrix_take_rows(X, test, nte);
		est = fit_model("knn", cls ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION,
						cls ? 3 : 0, unit_json_get(c, "params"), Xtr, ytrain);
		if (est != NULL)
		{
			pred = predict(est, Xte);
			CHECK((int) json_object_array_length(expected) == Xte->rows);
			for (int i = 0; i < Xte->rows; i++)
			{
				json_object *row = json_object_array_get_idx(expected, i);

				for (int k = 0; k < pred->cols; k++)
				{
					double		theirs = json_object_get_double(json_object_array_get_idx(row, k));

					if (!unit_near(AML_AT(pred, i, k), theirs, TOL))
						bad++;
					if (fabs(AML_AT(pred, i, k) - theirs) > worst)
						worst = fabs(AML_AT(pred, i, k) - theirs);
				}
			}
			CHECK_MSG(bad == 0, "knn case %d (%s, %s, %s): %d values differ from sklearn, worst %g",
					  ci, dataset, aml_json_text(unit_json_get(c, "params")), on_train ? "train" : "test",
					  bad, worst);
			check_rows_equal_batch(est, Xte, pred);
			check_round_trip(est, Xte, pred);
			aml_matrix_free(pred);
			aml_estimator_free(est);
		}
		aml_matrix_free(X);
		aml_matrix_free(Xtr);
		aml_matrix_free(Xte);
		aml_free(y);
		aml_free(ytrain);
		aml_free(train);
		aml_free(test);
	}
}

/* ------------------------------------------------------------ kNN specifics */

static json_object *
params_of(const char *text)
{
	json_object *o = NULL;
	AmlError	err;

	if (aml_json_parse(text, strlen(text), &o, &err) != AML_OK)
	{
		fprintf(stderr, "bad test JSON %s\n", text);
		exit(2);
	}
	return o;
}

static void
test_knn_ties(void)
{
	/* 1-D: training points at distance 1 from 0 at rows 0..3, farther at row 4 */
	double		xs[] = {1, -1, 1, -1, 3};
	double		ys[] = {0, 1, 1, 0, 1};
	AmlMatrix	X = aml_matrix_view(5, 1, xs);
	double		q[] = {0};
	AmlMatrix	Q = aml_matrix_view(1, 1, q);
	double		out[2];
	json_object *p2 = params_of("{\"n_neighbors\": 2}");
	json_object *p3 = params_of("{\"n_neighbors\": 3, \"weights\": \"distance\"}");
	json_object *p3m = params_of("{\"n_neighbors\": 3, \"metric\": \"manhattan\"}");
	AmlEstimator *est;
	AmlMatrix  *pred;

	/* lower training index wins: rows 0 and 1 */
	est = fit_model("knn", AML_TASK_CLASSIFICATION, 2, p2, &X, ys);
	est->type->predict_row(est, q, out);
	CHECK(out[0] == 0.5 && out[1] == 0.5);
	pred = predict(est, &Q);
	CHECK(AML_AT(pred, 0, 0) == 0.5);
	aml_matrix_free(pred);
	aml_estimator_free(est);

	/* rows 0, 1, 2: classes 0, 1, 1 with equal weights */
	est = fit_model("knn", AML_TASK_CLASSIFICATION, 2, p3, &X, ys);
	est->type->predict_row(est, q, out);
	CHECK_NEAR(out[0], 1.0 / 3, 1e-15);
	CHECK_NEAR(out[1], 2.0 / 3, 1e-15);
	pred = predict(est, &Q);
	CHECK(AML_AT(pred, 0, 0) == out[0] && AML_AT(pred, 0, 1) == out[1]);
	aml_matrix_free(pred);
	aml_estimator_free(est);

	est = fit_model("knn", AML_TASK_CLASSIFICATION, 2, p3m, &X, ys);
	pred = predict(est, &Q);
	CHECK_NEAR(AML_AT(pred, 0, 1), 2.0 / 3, 1e-15);
	aml_matrix_free(pred);
	aml_estimator_free(est);

	/* regression, exact match gets all the weight: query 1 matches rows 0 and 2 */
	q[0] = 1;
	{
		double		yr[] = {10, 20, 30, 40, 50};

		est = fit_model("knn", AML_TASK_REGRESSION, 0, p3, &X, yr);
		est->type->predict_row(est, q, out);
		CHECK(out[0] == 20.0);
		pred = predict(est, &Q);
		CHECK(AML_AT(pred, 0, 0) == 20.0);
		aml_matrix_free(pred);
		aml_estimator_free(est);
	}
	json_object_put(p2);
	json_object_put(p3);
	json_object_put(p3m);
}

/* Brute-force k nearest with a full sort, as an independent check. */
typedef struct DistIdx
{
	double		d;
	int			i;
} DistIdx;

static int
cmp_dist_idx(const void *a, const void *b)
{
	const DistIdx *x = a;
	const DistIdx *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static void
naive_knn(const AmlMatrix *X, const double *y, int k, bool manhattan, bool distance,
		  int n_classes, const double *q, double *out)
{
	int			n = X->rows;
	DistIdx    *nb = AML_NEW_ARRAY(DistIdx, n);
	bool		exact = false;

	for (int t = 0; t < n; t++)
	{
		double		acc = 0;

		for (int j = 0; j < X->cols; j++)
		{
			double		diff = q[j] - AML_AT(X, t, j);

			acc += manhattan ? fabs(diff) : diff * diff;
		}
		nb[t].d = manhattan ? acc : sqrt(acc);
		nb[t].i = t;
	}
	qsort(nb, n, sizeof(DistIdx), cmp_dist_idx);
	for (int m = 0; m < k; m++)
		if (nb[m].d == 0)
			exact = true;
	if (n_classes > 0)
	{
		double		norm = 0;

		for (int c = 0; c < n_classes; c++)
			out[c] = 0;
		for (int m = 0; m < k; m++)
			out[(int) y[nb[m].i]] += !distance ? 1.0 : exact ? (nb[m].d == 0) : 1.0 / nb[m].d;
		for (int c = 0; c < n_classes; c++)
			norm += out[c];
		for (int c = 0; c < n_classes; c++)
			out[c] /= norm;
	}
	else
	{
		double		num = 0;
		double		den = 0;

		for (int m = 0; m < k; m++)
		{
			double		w = !distance ? 1.0 : exact ? (nb[m].d == 0) : 1.0 / nb[m].d;

			num += w * y[nb[m].i];
			den += w;
		}
		out[0] = num / den;
	}
	aml_free(nb);
}

/*
 * Larger random problems (several training tiles and query blocks): batch
 * equals predict_row bit for bit and both equal a naive full sort; data with
 * a large offset (cancellation in |a|^2 + |b|^2 - 2ab) and with many
 * duplicate rows (ties at the k-th neighbour) exercise the exact fallback.
 */
static void
test_knn_batch_paths(void)
{
	const char *variants[] = {
		"{\"n_neighbors\": 7}",
		"{\"n_neighbors\": 7, \"weights\": \"distance\"}",
		"{\"n_neighbors\": 40, \"weights\": \"distance\"}",
		"{\"n_neighbors\": 3, \"p\": 1}",
		"{\"n_neighbors\": 1}",
	};
	AmlRng		rng;

	aml_rng_seed(&rng, 7);
	for (int scenario = 0; scenario < 3; scenario++)
	{
		int			n = 2600;
		int			nq = 150;
		int			p = 6;
		AmlMatrix  *X = aml_matrix_new(n, p);
		AmlMatrix  *Q = aml_matrix_new(nq, p);
		double	   *ycls = AML_NEW_ARRAY(double, n);
		double	   *yreg = AML_NEW_ARRAY(double, n);
		double		offset = scenario == 1 ? 1e4 : 0.0;

		for (int t = 0; t < n; t++)
		{
			int			src = scenario == 2 ? t % 13 : t;	/* 13 distinct rows, repeated */

			for (int j = 0; j < p; j++)
			{
				AmlRng		r2;

				aml_rng_derive(&rng, (uint64_t) src * 100 + j, &r2);
				AML_AT(X, t, j) = offset + (scenario == 2 ? floor(aml_rng_normal(&r2) * 2)
											: aml_rng_normal(&r2));
			}
			ycls[t] = (double) (aml_rng_below(&rng, 3));
			yreg[t] = aml_rng_normal(&rng) * 5;
		}
		for (int i = 0; i < nq; i++)
			for (int j = 0; j < p; j++)
				AML_AT(Q, i, j) = i % 10 == 0 ? AML_AT(X, i * 7, j)	/* exact matches */
					: offset + (scenario == 2 ? floor(aml_rng_normal(&rng) * 2)
								: aml_rng_normal(&rng));
		for (int v = 0; v < (int) (sizeof(variants) / sizeof(variants[0])); v++)
		{
			json_object *params = params_of(variants[v]);
			json_object *kj;
			int			k;
			bool		distance = strstr(variants[v], "distance") != NULL;
			bool		manhattan = strstr(variants[v], "\"p\": 1") != NULL;

			json_object_object_get_ex(params, "n_neighbors", &kj);
			k = json_object_get_int(kj);
			for (int task = 0; task < 2; task++)
			{
				bool		cls = task == 0;
				AmlEstimator *est = fit_model("knn", cls ? AML_TASK_CLASSIFICATION :
											  AML_TASK_REGRESSION, cls ? 3 : 0, params, X,
											  cls ? ycls : yreg);
				AmlMatrix  *pred = predict(est, Q);
				double		q[8];
				double		expect[3];
				int			bad = 0;

				check_rows_equal_batch(est, Q, pred);
				for (int i = 0; i < nq; i++)
				{
					aml_matrix_get_row(Q, i, q);
					naive_knn(X, cls ? ycls : yreg, k, manhattan, distance, cls ? 3 : 0, q, expect);
					for (int c = 0; c < pred->cols; c++)
						if (!unit_near(AML_AT(pred, i, c), expect[c], 1e-9))
							bad++;
				}
				CHECK_MSG(bad == 0, "scenario %d, %s, %s: %d values differ from a naive kNN",
						  scenario, variants[v], cls ? "classification" : "regression", bad);
				aml_matrix_free(pred);
				aml_estimator_free(est);
			}
			json_object_put(params);
		}
		aml_matrix_free(X);
		aml_matrix_free(Q);
		aml_free(ycls);
		aml_free(yreg);
	}
}

static void
test_knn_degenerate(void)
{
	double		xs[] = {1, 2};
	double		ys[] = {1};
	AmlMatrix	X = aml_matrix_view(1, 2, xs);
	double		out[3];
	double		q[] = {5, 5};
	AmlEstimator *est;

	/* one training row, k = 5: that row decides */
	est = fit_model("knn", AML_TASK_CLASSIFICATION, 3, NULL, &X, ys);
	est->type->predict_row(est, q, out);
	CHECK(out[0] == 0 && out[1] == 1 && out[2] == 0);
	{
		AmlMatrix  *pred = predict(est, &X);

		CHECK(AML_AT(pred, 0, 1) == 1.0);
		check_round_trip(est, &X, pred);
		aml_matrix_free(pred);
	}
	aml_estimator_free(est);

	/* a class without training rows gets probability 0 */
	{
		double		x3[] = {0, 1, 2, 3, 4};
		double		y3[] = {0, 0, 1, 1, 1};
		AmlMatrix	X3 = aml_matrix_view(5, 1, x3);
		json_object *p = params_of("{\"n_neighbors\": 3, \"weights\": \"distance\"}");
		AmlMatrix  *pred;

		est = fit_model("knn", AML_TASK_CLASSIFICATION, 3, p, &X3, y3);
		pred = predict(est, &X3);
		for (int i = 0; i < 5; i++)
		{
			CHECK(AML_AT(pred, i, 2) == 0.0);
			CHECK_NEAR(AML_AT(pred, i, 0) + AML_AT(pred, i, 1), 1.0, 1e-15);
		}
		CHECK(AML_AT(pred, 0, 0) == 1.0 && AML_AT(pred, 4, 1) == 1.0);
		check_rows_equal_batch(est, &X3, pred);
		aml_matrix_free(pred);
		aml_estimator_free(est);
		json_object_put(p);
	}
	/* all rows the same target and a constant feature */
	{
		double		x2[] = {1, 2, 3, 4, 7, 7, 7, 7};
		double		y2[] = {3.5, 3.5, 3.5, 3.5};
		AmlMatrix	X2 = aml_matrix_view(4, 2, x2);
		AmlMatrix  *pred;

		est = fit_model("knn", AML_TASK_REGRESSION, 0, NULL, &X2, y2);
		pred = predict(est, &X2);
		for (int i = 0; i < 4; i++)
			CHECK(AML_AT(pred, i, 0) == 3.5);
		aml_matrix_free(pred);
		aml_estimator_free(est);
	}
}

/* ------------------------------------------------------------ NB specifics */

static void
test_nb_degenerate(void)
{
	const char *types[] = {"gaussian_nb", "bernoulli_nb", "multinomial_nb"};

	for (int t = 0; t < 3; t++)
	{
		AmlEstimator *est;
		double		out[3];

		/* one row: its class gets probability 1, the others 0 */
		{
			double		xs[] = {1, 0, 2};
			double		ys[] = {1};
			AmlMatrix	X = aml_matrix_view(1, 3, xs);

			est = fit_model(types[t], AML_TASK_CLASSIFICATION, 3, NULL, &X, ys);
			est->type->predict_row(est, xs, out);
			CHECK_MSG(out[0] == 0 && out[1] == 1 && out[2] == 0, "%s one row: %g %g %g",
					  types[t], out[0], out[1], out[2]);
			aml_estimator_free(est);
		}
		/* constant features (all of them), two classes */
		{
			double		xs[] = {2, 2, 2, 2, 5, 5, 5, 5};
			double		ys[] = {0, 1, 1, 1};
			AmlMatrix	X = aml_matrix_view(4, 2, xs);
			AmlMatrix  *pred;

			est = fit_model(types[t], AML_TASK_CLASSIFICATION, 2, NULL, &X, ys);
			pred = predict(est, &X);
			for (int i = 0; i < 4; i++)
			{
				CHECK(isfinite(AML_AT(pred, i, 0)) && isfinite(AML_AT(pred, i, 1)));
				CHECK_NEAR(AML_AT(pred, i, 1), 0.75, t == 0 ? 1e-12 : 0.2);
			}
			check_rows_equal_batch(est, &X, pred);
			aml_matrix_free(pred);
			aml_estimator_free(est);
		}
	}
	/* Gaussian with no smoothing at all and a constant feature: no NaN */
	{
		double		xs[] = {1, 1, 1, 1, 0, 1, 2, 3};
		double		ys[] = {0, 0, 1, 1};
		AmlMatrix	X = aml_matrix_view(4, 2, xs);
		json_object *p = params_of("{\"var_smoothing\": 0}");
		AmlEstimator *est = fit_model("gaussian_nb", AML_TASK_CLASSIFICATION, 2, p, &X, ys);
		AmlMatrix  *pred = predict(est, &X);

		for (int i = 0; i < 8; i++)
			CHECK(!isnan(pred->data[i]));
		CHECK(AML_AT(pred, 0, 0) > 0.5 && AML_AT(pred, 3, 1) > 0.5);
		aml_matrix_free(pred);
		aml_estimator_free(est);
		json_object_put(p);
	}
	/* multinomial NB refuses negative features */
	{
		double		xs[] = {1, -1};
		double		ys[] = {0, 1};
		AmlMatrix	X = aml_matrix_view(2, 1, xs);
		AmlEstimator *est = NULL;
		AmlError	err;
		AmlRng		rng;

		aml_rng_seed(&rng, 1);
		CHECK_OK(aml_estimator_create(&aml_multinomial_nb_type, AML_TASK_CLASSIFICATION, 2,
									  NULL, &est, &err), &err);
		CHECK_STATUS(aml_estimator_fit(est, &X, ys, &rng, &err), AML_ERR_INVALID_DATA, &err);
		aml_estimator_free(est);
	}
	/* Bernoulli with binarize null: features used as given */
	{
		double		xs[] = {1, 0, 1, 0, 0, 1, 1, 0};
		double		ys[] = {0, 1, 0, 1};
		AmlMatrix	X = aml_matrix_view(4, 2, xs);
		json_object *p = params_of("{\"binarize\": null, \"alpha\": 0}");
		AmlEstimator *est = fit_model("bernoulli_nb", AML_TASK_CLASSIFICATION, 2, p, &X, ys);
		AmlMatrix  *pred = predict(est, &X);

		/* alpha 0 is raised to 1e-10: near-certain but finite */
		CHECK(AML_AT(pred, 0, 0) > 0.999999 && AML_AT(pred, 1, 1) > 0.999999);
		check_round_trip(est, &X, pred);
		aml_matrix_free(pred);
		aml_estimator_free(est);
		json_object_put(p);
	}
}

static void
test_bad_params(void)
{
	struct
	{
		const char *type;
		const char *params;
		const char *fragment;	/* expected in the message */
	}			cases[] = {
		{"knn", "{\"n_neighbors\": 0}", "out of range"},
		{"knn", "{\"n_neighbors\": 2.5}", "integer"},
		{"knn", "{\"weights\": \"linear\"}", "invalid value"},
		{"knn", "{\"metric\": \"cosine\"}", "invalid value"},
		{"knn", "{\"p\": 3}", "out of range"},
		{"knn", "{\"k\": 3}", "unknown hyperparameter"},
		{"gaussian_nb", "{\"var_smoothing\": -1}", "out of range"},
		{"gaussian_nb", "{\"var_smoothing\": \"small\"}", "number"},
		{"bernoulli_nb", "{\"alpha\": -0.5}", "out of range"},
		{"bernoulli_nb", "{\"fit_prior\": 1}", "true or false"},
		{"multinomial_nb", "{\"binarize\": 0.5}", "unknown hyperparameter"},
	};

	for (int i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
	{
		json_object *p = params_of(cases[i].params);
		AmlEstimator *est = NULL;
		AmlError	err;

		aml_error_clear(&err);
		CHECK_STATUS(aml_estimator_create(aml_estimator_type_find(cases[i].type),
										  AML_TASK_CLASSIFICATION, 3, p, &est, &err),
					 AML_ERR_INVALID_PARAMETER, &err);
		CHECK_MSG(strstr(err.message, cases[i].fragment) != NULL,
				  "%s %s: message \"%s\"", cases[i].type, cases[i].params, err.message);
		CHECK(est == NULL);
		json_object_put(p);
	}
	/* NB is classification only */
	{
		AmlEstimator *est = NULL;
		AmlError	err;

		CHECK_STATUS(aml_estimator_create(&aml_gaussian_nb_type, AML_TASK_REGRESSION, 0, NULL,
										  &est, &err), AML_ERR_INVALID_PARAMETER, &err);
	}
	/* registry and flags */
	CHECK(aml_estimator_type_find("gaussian_nb") == &aml_gaussian_nb_type);
	CHECK(aml_estimator_type_find("bernoulli_nb") == &aml_bernoulli_nb_type);
	CHECK(aml_estimator_type_find("multinomial_nb") == &aml_multinomial_nb_type);
	CHECK(aml_estimator_type_find("knn") == &aml_knn_type);
	CHECK(aml_multinomial_nb_type.needs_nonnegative);
	CHECK(aml_knn_type.needs_scaling);
	CHECK(aml_knn_type.tasks == (AML_TASK_CLASSIFICATION | AML_TASK_REGRESSION));
}

/* Same data twice: identical serialised models (no hidden randomness). */
static void
test_determinism(void)
{
	const char *types[] = {"gaussian_nb", "bernoulli_nb", "multinomial_nb", "knn"};
	Data		d = load_dataset("iris");

	for (int t = 0; t < 4; t++)
	{
		AmlEstimator *a = fit_model(types[t], AML_TASK_CLASSIFICATION, d.n_classes, NULL, d.X, d.y);
		AmlEstimator *b = fit_model(types[t], AML_TASK_CLASSIFICATION, d.n_classes, NULL, d.X, d.y);
		json_object *ja = aml_estimator_to_json(a);
		json_object *jb = aml_estimator_to_json(b);

		CHECK_STR(aml_json_text(ja), aml_json_text(jb));
		json_object_put(ja);
		json_object_put(jb);
		aml_estimator_free(a);
		aml_estimator_free(b);
	}
	free_dataset(&d);
}

/*
 * Every allocation failing in turn: fit, predict and reload return
 * AML_ERR_OUT_OF_MEMORY (or succeed) and leak nothing.
 */
static void
test_out_of_memory(void)
{
	const char *types[] = {"gaussian_nb", "bernoulli_nb", "multinomial_nb", "knn"};
	Data		d = load_dataset("iris");

	for (int t = 0; t < 4; t++)
	{
		int			ooms = 0;

		for (size_t budget = 64; budget < 40000; budget += 64)
		{
			size_t		base = aml_memory_in_use();
			AmlEstimator *est = NULL;
			AmlError	err;
			AmlRng		rng;
			AmlStatus	st;
			AmlMemoryBudget saved;

			aml_rng_seed(&rng, 1);
			aml_set_memory_budget(budget, &saved);
			st = aml_estimator_create(aml_estimator_type_find(types[t]), AML_TASK_CLASSIFICATION,
									  d.n_classes, NULL, &est, &err);
			if (st == AML_OK)
				st = aml_estimator_fit(est, d.X, d.y, &rng, &err);
			if (st == AML_OK)
			{
				AmlMatrix  *out = aml_matrix_new(d.X->rows, d.n_classes);

				st = out ? aml_estimator_predict(est, d.X, out, &err) : AML_ERR_OUT_OF_MEMORY;
				aml_matrix_free(out);
			}
			if (st == AML_OK)
			{
				json_object *j = aml_estimator_to_json(est);
				AmlEstimator *back = NULL;

				st = aml_estimator_from_json(j, &back, &err);
				aml_estimator_free(back);
				json_object_put(j);
			}
			aml_estimator_free(est);
			aml_restore_memory_budget(&saved);
			CHECK_MSG(st == AML_OK || st == AML_ERR_OUT_OF_MEMORY, "%s budget %zu: %s", types[t],
					  budget, aml_status_name(st));
			CHECK_MSG(aml_memory_in_use() == base, "%s budget %zu leaked", types[t], budget);
			ooms += st == AML_ERR_OUT_OF_MEMORY;
			if (st == AML_OK)
				break;
		}
		CHECK(ooms > 3);
	}
	aml_memory_clear_limit_hit();
	free_dataset(&d);
}

/*
 * More classes than rows in a prediction block (NB_BLOCK = 512): the batch
 * path's per-row buffers must hold k values (the fuzzer found a Gaussian
 * batch buffer sized for the block instead: a heap overflow from 513 classes).
 */
static void
test_nb_many_classes(void)
{
	const char *types[] = {"gaussian_nb", "bernoulli_nb", "multinomial_nb"};
	const int	k = 700;
	const int	n = 2 * k;
	AmlMatrix  *X = aml_matrix_new(n, 2);
	double	   *y = AML_NEW_ARRAY(double, n);

	for (int i = 0; i < n; i++)
	{
		y[i] = i % k;
		AML_AT(X, i, 0) = (i % k) % 7;
		AML_AT(X, i, 1) = (i / 3) % 5;
	}
	for (int t = 0; t < 3; t++)
	{
		AmlEstimator *est = fit_model(types[t], AML_TASK_CLASSIFICATION, k, NULL, X, y);
		AmlMatrix  *pred;
		int			bad_sums = 0;

		if (est == NULL)
			continue;
		CHECK(aml_estimator_outputs(est) == k);
		pred = predict(est, X);
		for (int i = 0; i < n; i++)
		{
			double		sum = 0;

			for (int c = 0; c < k; c++)
				sum += AML_AT(pred, i, c);
			if (!unit_near(sum, 1.0, 1e-9))
				bad_sums++;
		}
		CHECK_MSG(bad_sums == 0, "%s with %d classes: %d rows whose probabilities do not sum to 1",
				  types[t], k, bad_sums);
		check_rows_equal_batch(est, X, pred);
		aml_matrix_free(pred);
		aml_estimator_free(est);
	}
	aml_matrix_free(X);
	aml_free(y);
}

int
main(void)
{
	unit_begin();
	reference = unit_load_json("reference/nb_knn.json");
	RUN(test_nb_reference);
	RUN(test_knn_reference);
	RUN(test_knn_ties);
	RUN(test_knn_batch_paths);
	RUN(test_knn_degenerate);
	RUN(test_nb_degenerate);
	RUN(test_nb_many_classes);
	RUN(test_bad_params);
	RUN(test_determinism);
	RUN(test_out_of_memory);
	json_object_put(reference);
	return unit_end();
}
