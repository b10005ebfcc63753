/*
 * test_metrics_cv.c — metrics against scikit-learn 1.2 (reference/metrics.json
 * from test/reference/metrics.py, within 1e-12), the metric registry, Woken's
 * score documents against the golden vectors of woken-validation
 * (ScoresTest.scala, within 1e-15 relative), and cross-validation splits
 * (coverage, fold sizes, class balance, determinism, errors).
 */
#include "unit.h"

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/cross_validation.h"
#include "ml/metrics.h"
#include "ml/woken_scores.h"

#include <stdlib.h>

static json_object *reference;

static double
jnum(json_object *o, const char *key)
{
	return json_object_get_double(unit_json_get(o, key));
}

/* ------------------------------------------------------------ metrics vs sklearn */

static void
test_metrics_reference(void)
{
	json_object *cases = unit_json_get(reference, "cases");
	int			n_cases = (int) json_object_array_length(cases);
	int			scored = 0;

	CHECK(n_cases == 8);
	for (int ci = 0; ci < n_cases; ci++)
	{
		json_object *c = json_object_array_get_idx(cases, ci);
		const char *name = json_object_get_string(unit_json_get(c, "name"));
		json_object *yj = unit_json_get(c, "y_true");
		json_object *pj = unit_json_get(c, "pred");
		int			n = (int) json_object_array_length(yj);
		int			cols = (int) json_object_array_length(json_object_array_get_idx(pj, 0));
		int			n_classes = json_object_get_int(unit_json_get(c, "n_classes"));
		double	   *y = AML_NEW_ARRAY(double, n);
		AmlMatrix  *pred = aml_matrix_new(n, cols);
		json_object *scores = unit_json_get(c, "scores");
		AmlError	err;

		for (int i = 0; i < n; i++)
		{
			y[i] = json_object_get_double(json_object_array_get_idx(yj, i));
			for (int k = 0; k < cols; k++)
				AML_AT(pred, i, k) = json_object_get_double(
					json_object_array_get_idx(json_object_array_get_idx(pj, i), k));
		}
		json_object_object_foreach(scores, key, val)
		{
			const AmlMetric *m = aml_metric_find(key);
			double		score = NAN;

			CHECK_MSG(m != NULL, "no metric %s", key);
			if (m == NULL)
				continue;
			CHECK_OK(aml_metric_score(m, y, pred, n_classes, &score, &err), &err);
			CHECK_MSG(unit_near(score, json_object_get_double(val), 1e-12),
					  "%s on %s: %.17g, sklearn %.17g", key, name, score,
					  json_object_get_double(val));
			scored++;
		}
		if (n_classes > 0)
		{
			int		   *cm = AML_NEW_ARRAY(int, n_classes * n_classes);
			double	   *labels = AML_NEW_ARRAY(double, n);
			json_object *cmj = unit_json_get(c, "confusion_matrix");
			int			bad = 0;

			for (int i = 0; i < n; i++)
			{
				double		row[8];

				aml_matrix_get_row(pred, i, row);
				labels[i] = aml_argmax(row, n_classes);
			}
			CHECK_OK(aml_confusion_matrix(y, labels, n, n_classes, cm, &err), &err);
			for (int t = 0; t < n_classes; t++)
				for (int p = 0; p < n_classes; p++)
					if (cm[t * n_classes + p] != json_object_get_int(json_object_array_get_idx(
												json_object_array_get_idx(cmj, t), p)))
						bad++;
			CHECK_MSG(bad == 0, "confusion matrix of %s differs", name);
			aml_free(cm);
			aml_free(labels);
		}
		aml_free(y);
		aml_matrix_free(pred);
	}
	CHECK(scored == 69);
}

/* ------------------------------------------------------------ registry */

static void
test_registry(void)
{
	const char *names[] = {"accuracy", "balanced_accuracy", "f1_macro", "f1_weighted",
		"precision_macro", "precision_weighted", "recall_macro", "recall_weighted", "roc_auc",
	"log_loss", "r2", "mse", "rmse", "mae", "explained_variance"};
	const char *minimised[] = {"log_loss", "mse", "rmse", "mae"};
	const AmlMetric *m;
	AmlError	err;

	for (int i = 0; i < (int) (sizeof(names) / sizeof(names[0])); i++)
	{
		m = aml_metric_find(names[i]);
		CHECK_MSG(m != NULL, "metric %s missing", names[i]);
		if (m == NULL)
			continue;
		CHECK_STR(m->name, names[i]);
		CHECK(m->task == (i < 10 ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION));
		CHECK(m->label != NULL && m->label[0] != '\0');
		{
			bool		minimise = false;

			for (int j = 0; j < 4; j++)
				minimise |= strcmp(minimised[j], names[i]) == 0;
			CHECK(aml_metric_higher_is_better(m) == !minimise);
			CHECK(aml_metric_worst(m) == (minimise ? INFINITY : -INFINITY));
			CHECK(aml_metric_is_better(m, minimise ? 1.0 : 2.0, minimise ? 2.0 : 1.0));
			CHECK(!aml_metric_is_better(m, 1.0, 1.0));
			CHECK(aml_metric_is_better(m, 1.0, NAN));
			CHECK(!aml_metric_is_better(m, NAN, 1.0));
			CHECK(aml_metric_signed(m, 3.0) == (minimise ? -3.0 : 3.0));
		}
	}
	CHECK(aml_metric_find("log_loss")->needs_proba);
	CHECK(!aml_metric_find("accuracy")->needs_proba);
	CHECK(aml_metric_find("nope") == NULL);
	for (int i = 0; i < aml_metric_count(); i++)
		CHECK(aml_metric_find(aml_metric_at(i)->name) == aml_metric_at(i));
	CHECK(aml_metric_at(aml_metric_count()) == NULL);
	CHECK_STR(aml_metric_default(AML_TASK_CLASSIFICATION)->name, "accuracy");
	CHECK_STR(aml_metric_default(AML_TASK_REGRESSION)->name, "r2");

	CHECK_OK(aml_metric_lookup("f1_macro", AML_TASK_CLASSIFICATION, &m, &err), &err);
	CHECK(m == aml_metric_find("f1_macro"));
	CHECK_STATUS(aml_metric_lookup("f2", AML_TASK_CLASSIFICATION, &m, &err),
				 AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.message, "unknown metric \"f2\"") != NULL);
	CHECK(strstr(err.detail, "balanced_accuracy") != NULL);
	CHECK(strstr(err.detail, "mse") == NULL);
	CHECK_STATUS(aml_metric_lookup("r2", AML_TASK_CLASSIFICATION, &m, &err),
				 AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.message, "regression") != NULL);
	CHECK(m == NULL);
}

/* ------------------------------------------------------------ edge cases */

static void
test_metric_edge_cases(void)
{
	AmlError	err;
	double		score;
	double		y1[] = {1, 1, 1, 1};
	double		p2[] = {0.2, 0.4, 0.1, 0.3, 0.8, 0.6, 0.9, 0.7};	/* 4 x 2 column-major */
	AmlMatrix	P2 = aml_matrix_view(4, 2, p2);

	/* ROC AUC with one class only */
	CHECK_STATUS(aml_metric_score(aml_metric_find("roc_auc"), y1, &P2, 2, &score, &err),
				 AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "only one class") != NULL);
	/* accuracy works there */
	CHECK_OK(aml_metric_score(aml_metric_find("accuracy"), y1, &P2, 2, &score, &err), &err);
	CHECK(score == 1.0);
	/* NaN prediction */
	p2[5] = NAN;
	CHECK_STATUS(aml_metric_score(aml_metric_find("accuracy"), y1, &P2, 2, &score, &err),
				 AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "NaN") != NULL);
	CHECK(isnan(score));
	p2[5] = 0.6;
	/* log loss needs probabilities */
	p2[0] = 1.5;
	CHECK_STATUS(aml_metric_score(aml_metric_find("log_loss"), y1, &P2, 2, &score, &err),
				 AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "probabilities") != NULL);
	p2[0] = 0.2;
	/* binary metrics need two classes */
	{
		double		p3[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
		double		y3[] = {0, 1, 2};
		AmlMatrix	P3 = aml_matrix_view(3, 3, p3);

		CHECK_STATUS(aml_metric_score(aml_metric_find("f1"), y3, &P3, 3, &score, &err),
					 AML_ERR_INVALID_PARAMETER, &err);
		CHECK(strstr(err.hint, "f1_macro") != NULL);
		CHECK_OK(aml_metric_score(aml_metric_find("f1_macro"), y3, &P3, 3, &score, &err), &err);
		CHECK(score == 1.0);
		/* a class absent from y_true is left out of the one-vs-rest ROC AUC */
		y3[2] = 1;
		p3[5] = 0.6;
		p3[8] = 0.4;
		CHECK_OK(aml_metric_score(aml_metric_find("roc_auc"), y3, &P3, 3, &score, &err), &err);
		CHECK(score == 1.0);
		/* wrong label */
		y3[2] = 3;
		CHECK_STATUS(aml_metric_score(aml_metric_find("accuracy"), y3, &P3, 3, &score, &err),
					 AML_ERR_INVALID_DATA, &err);
	}
	/* shapes and empty input */
	{
		AmlMatrix	empty = aml_matrix_view(0, 1, NULL);
		double		yr[] = {1, 2, 3, 4};

		CHECK_STATUS(aml_metric_score(aml_metric_find("r2"), yr, &empty, 0, &score, &err),
					 AML_ERR_INVALID_DATA, &err);
		CHECK_STATUS(aml_metric_score(aml_metric_find("r2"), yr, &P2, 0, &score, &err),
					 AML_ERR_INVALID_PARAMETER, &err);
		CHECK_STATUS(aml_metric_score(aml_metric_find("accuracy"), yr, &P2, 3, &score, &err),
					 AML_ERR_INVALID_PARAMETER, &err);
	}
	/* raw-array helpers */
	{
		double		y[] = {3, -0.5, 2, 7};
		double		yh[] = {2.5, 0.0, 2, 8};
		bool		pos[] = {false, true, true, false, true};
		double		sc[] = {0.1, 0.4, 0.35, 0.4, 0.4};

		CHECK_NEAR(aml_mse(y, yh, 4), 0.375, 1e-15);
		CHECK_NEAR(aml_mae(y, yh, 4), 0.5, 1e-15);
		CHECK_NEAR(aml_r2(y, yh, 4), 0.9486081370449679, 1e-15);
		CHECK_NEAR(aml_explained_variance(y, yh, 4), 0.9571734475374732, 1e-15);
		/* positives 0.4, 0.35, 0.4 against negatives 0.1, 0.4: ties count half */
		CHECK_OK(aml_roc_auc_binary(pos, sc, 5, &score, &err), &err);
		CHECK_NEAR(score, 4.0 / 6.0, 1e-15);
	}
}

/* ------------------------------------------------------------ Woken scores */

static void
check_num(json_object *o, const char *key, double expected)
{
	double		v = jnum(o, key);

	CHECK_MSG(v == expected,
			  "%s: %.17g, Woken %.17g", key, v, expected);
}

static void
check_cm(json_object *o, const char *const *labels, int k, const int *values)
{
	json_object *cm = unit_json_get(o, "Confusion matrix");
	json_object *l = unit_json_get(cm, "labels");
	json_object *v = unit_json_get(cm, "values");

	CHECK((int) json_object_array_length(l) == k);
	for (int i = 0; i < k; i++)
	{
		CHECK_STR(json_object_get_string(json_object_array_get_idx(l, i)), labels[i]);
		for (int j = 0; j < k; j++)
			CHECK(json_object_get_int(json_object_array_get_idx(json_object_array_get_idx(v, i), j))
				  == values[i * k + j]);
	}
}

static void
test_woken_scores(void)
{
	AmlError	err;
	json_object *o = NULL;

	/* regression (ScoresTest.scala) */
	{
		double		y[] = {123.56, 0.67, 1078.42, 64.2, 1.76, 1.23};
		double		p1[] = {15.6, 0.0051, 23.5, 0.421, 1.2, 0.0325};
		double		p2[] = {165.3, 1.65, 700.23, 66.7, 0.5, 2.3};

		CHECK_OK(aml_woken_regression_score(y, p1, 6, &o, &err), &err);
		CHECK_STR(json_object_get_string(unit_json_get(o, "type")), "RegressionScore");
		check_num(o, "MSE", 188096.91975654333);
		check_num(o, "RMSE", 433.7014177479056);
		check_num(o, "R-squared", -0.2352658303269044);
		check_num(o, "MAE", 204.8469);
		check_num(o, "Explained variance", 42048.97761921002);
		json_object_put(o);
		CHECK_OK(aml_woken_score(AML_TASK_REGRESSION, y, p2, 6, NULL, 0, &o, &err), &err);
		check_num(o, "MSE", 24129.97443333334);
		check_num(o, "RMSE", 155.3382581122028);
		check_num(o, "R-squared", 0.8415341785355228);
		check_num(o, "MAE", 70.95666666666668);
		check_num(o, "Explained variance", 65729.05376666668);
		json_object_put(o);
	}
	/* polynomial: labels a, b, c; predictions a,c,b,b,c,a; truth a,c,a,b,a,b */
	{
		const char *labels[] = {"a", "b", "c"};
		double		pred[] = {0, 2, 1, 1, 2, 0};
		double		truth[] = {0, 2, 0, 1, 0, 1};
		int			cm[] = {1, 1, 1, 1, 1, 0, 0, 0, 1};

		CHECK_OK(aml_woken_score(AML_TASK_CLASSIFICATION, truth, pred, 6, labels, 3, &o, &err),
				 &err);
		CHECK_STR(json_object_get_string(unit_json_get(o, "type")), "PolynomialClassificationScore");
		check_cm(o, labels, 3, cm);
		check_num(o, "Accuracy", 0.5);
		check_num(o, "Weighted precision", 0.5);
		check_num(o, "Weighted recall", 0.5);
		check_num(o, "Weighted F1-score", 0.47777777777777775);
		check_num(o, "Weighted false positive rate", 0.2833333333333333);
		json_object_put(o);
	}
	/* binary: labels a, b (a positive); predictions a,a,b,b,b,a; truth a,b,a,b,a,a */
	{
		const char *labels[] = {"a", "b"};
		double		pred[] = {0, 0, 1, 1, 1, 0};
		double		truth[] = {0, 1, 0, 1, 0, 0};
		int			cm[] = {2, 2, 1, 1};

		CHECK_OK(aml_woken_score(AML_TASK_CLASSIFICATION, truth, pred, 6, labels, 2, &o, &err),
				 &err);
		CHECK_STR(json_object_get_string(unit_json_get(o, "type")), "BinaryClassificationScore");
		check_cm(o, labels, 2, cm);
		check_num(o, "Accuracy", 0.5);
		check_num(o, "Precision", 2.0 / 3.0);
		check_num(o, "Recall", 0.5);
		check_num(o, "F1-score", 0.5714285714285715);
		check_num(o, "False positive rate", 0.5);
		json_object_put(o);
	}
	/* errors: label outside the enumeration, NaN */
	{
		const char *labels[] = {"a", "b", "c"};
		double		pred[] = {0, 3};
		double		truth[] = {0, 1};

		CHECK_STATUS(aml_woken_polynomial_score(truth, pred, 2, labels, 3, &o, &err),
					 AML_ERR_INVALID_DATA, &err);
		CHECK(strstr(err.message, "cannot find label 3") != NULL);
		CHECK(o == NULL);
		pred[1] = NAN;
		CHECK_STATUS(aml_woken_regression_score(truth, pred, 2, &o, &err), AML_ERR_INVALID_DATA,
					 &err);
		CHECK_STATUS(aml_woken_binary_score(truth, truth, 2, labels, 3, &o, &err),
					 AML_ERR_INVALID_PARAMETER, &err);
	}
	/* finite values whose scores overflow: null, never "NaN" or "Infinity" */
	{
		double		truth[] = {1e308, -1e308};
		double		pred[] = {-1e308, 1e308};
		const char *text;

		CHECK_OK(aml_woken_regression_score(truth, pred, 2, &o, &err), &err);
		text = aml_json_text(o);
		CHECK_MSG(strstr(text, "NaN") == NULL && strstr(text, "Infinity") == NULL, "%s", text);
		CHECK(json_object_object_get_ex(o, "MSE", NULL) && unit_json_get(o, "MSE") == NULL);
		json_object_put(o);
	}
}

/* ------------------------------------------------------------ cross-validation */

/* Train and test lists of every split: disjoint, covering, increasing. */
static void
check_split_lists(const AmlFolds *f)
{
	AmlError	err;

	for (int s = 0; s < aml_folds_n_splits(f); s++)
	{
		AmlSplit	sp;
		char	   *seen = aml_alloc0(f->n_rows);
		bool		ok = true;

		CHECK_OK(aml_folds_split(f, s, &sp, &err), &err);
		CHECK(sp.n_train + sp.n_test == f->n_rows);
		CHECK(sp.n_train > 0 && sp.n_test > 0);
		for (int i = 0; i < sp.n_train; i++)
		{
			ok &= !seen[sp.train[i]];
			seen[sp.train[i]] = 1;
			ok &= i == 0 || sp.train[i] > sp.train[i - 1];
		}
		for (int i = 0; i < sp.n_test; i++)
		{
			ok &= !seen[sp.test[i]];
			seen[sp.test[i]] = 1;
			ok &= i == 0 || sp.test[i] > sp.test[i - 1];
		}
		CHECK_MSG(ok, "split %d: lists overlap or are not increasing", s);
		aml_split_free(&sp);
		aml_free(seen);
	}
}

static void
test_kfold(void)
{
	AmlRng		rng;
	AmlError	err;
	int			sizes[] = {10, 11, 97, 150, 1000};
	int			ks[] = {2, 3, 5, 10};

	aml_rng_seed(&rng, 123);
	for (int a = 0; a < 5; a++)
		for (int b = 0; b < 4; b++)
		{
			int			n = sizes[a];
			int			k = ks[b];
			AmlFolds   *f = NULL;
			int		   *count = AML_NEW_ARRAY(int, k);
			int			lo = n;
			int			hi = 0;
			int			total = 0;

			CHECK_OK(aml_kfold(n, k, 1, &rng, &f, &err), &err);
			if (f == NULL)
				continue;
			CHECK(aml_folds_n_splits(f) == k && !f->stratified);
			for (int i = 0; i < n; i++)
			{
				CHECK(f->fold_of_row[i] >= 0 && f->fold_of_row[i] < k);
				count[f->fold_of_row[i]]++;
			}
			for (int c = 0; c < k; c++)
			{
				lo = count[c] < lo ? count[c] : lo;
				hi = count[c] > hi ? count[c] : hi;
				total += aml_folds_test_count(f, c);
				CHECK(aml_folds_test_count(f, c) == count[c]);
				CHECK(aml_folds_train_count(f, c) == n - count[c]);
			}
			/* every row in exactly one test fold, sizes differ by at most 1 */
			CHECK(total == n);
			CHECK_MSG(hi - lo <= 1, "n %d k %d: fold sizes %d..%d", n, k, lo, hi);
			check_split_lists(f);
			aml_free(count);
			aml_folds_free(f);
		}
}

static void
test_stratified_kfold(void)
{
	AmlRng		rng;
	AmlError	err;
	int			n = 178;
	int			n_classes = 4;	/* class 3 has no rows */
	double	   *y = AML_NEW_ARRAY(double, n);
	int			class_n[4] = {0};

	/* wine-like proportions 59/71/48, in blocks as in the file */
	for (int i = 0; i < n; i++)
	{
		y[i] = i < 59 ? 0 : i < 130 ? 1 : 2;
		class_n[(int) y[i]]++;
	}
	aml_rng_seed(&rng, 5);
	for (int k = 2; k <= 10; k++)
	{
		AmlFolds   *f = NULL;
		int			sizes[10] = {0};
		int			lo = n;
		int			hi = 0;
		int			bad = 0;

		CHECK_OK(aml_stratified_kfold(y, n, n_classes, k, 2, &rng, &f, &err), &err);
		if (f == NULL)
			continue;
		CHECK(f->stratified && aml_folds_n_splits(f) == 2 * k);
		for (int r = 0; r < 2; r++)
		{
			for (int fold = 0; fold < k; fold++)
			{
				int			per_class[4] = {0};

				sizes[fold] = 0;
				for (int i = 0; i < n; i++)
					if (f->fold_of_row[r * n + i] == fold)
					{
						per_class[(int) y[i]]++;
						sizes[fold]++;
					}
				/* within one row of the ideal n_c / k */
				for (int c = 0; c < n_classes; c++)
					if (fabs(per_class[c] - (double) class_n[c] / k) >= 1.0)
						bad++;
				lo = sizes[fold] < lo ? sizes[fold] : lo;
				hi = sizes[fold] > hi ? sizes[fold] : hi;
				CHECK(aml_folds_test_count(f, r * k + fold) == sizes[fold]);
			}
		}
		CHECK_MSG(bad == 0, "k %d: %d class counts off by a row or more", k, bad);
		CHECK_MSG(hi - lo <= 1, "k %d: fold sizes %d..%d", k, lo, hi);
		/* the two repetitions differ */
		CHECK(memcmp(f->fold_of_row, f->fold_of_row + n, sizeof(int) * n) != 0);
		check_split_lists(f);
		aml_folds_free(f);
	}
	aml_free(y);
}

static void
test_cv_determinism(void)
{
	AmlRng		a;
	AmlRng		b;
	AmlRng		c;
	AmlError	err;
	double		y[200];
	AmlFolds   *fa;
	AmlFolds   *fb;
	AmlFolds   *fc;

	for (int i = 0; i < 200; i++)
		y[i] = i % 3;
	aml_rng_seed(&a, 99);
	aml_rng_seed(&b, 99);
	aml_rng_seed(&c, 100);
	for (int strat = 0; strat < 2; strat++)
	{
		if (strat)
		{
			CHECK_OK(aml_stratified_kfold(y, 200, 3, 5, 1, &a, &fa, &err), &err);
			CHECK_OK(aml_stratified_kfold(y, 200, 3, 5, 1, &b, &fb, &err), &err);
			CHECK_OK(aml_stratified_kfold(y, 200, 3, 5, 1, &c, &fc, &err), &err);
		}
		else
		{
			CHECK_OK(aml_kfold(200, 5, 1, &a, &fa, &err), &err);
			CHECK_OK(aml_kfold(200, 5, 1, &b, &fb, &err), &err);
			CHECK_OK(aml_kfold(200, 5, 1, &c, &fc, &err), &err);
		}
		CHECK(memcmp(fa->fold_of_row, fb->fold_of_row, sizeof(int) * 200) == 0);
		CHECK(memcmp(fa->fold_of_row, fc->fold_of_row, sizeof(int) * 200) != 0);
		/* the folds are shuffled, not contiguous blocks */
		{
			int			changes = 0;

			for (int i = 1; i < 200; i++)
				changes += fa->fold_of_row[i] != fa->fold_of_row[i - 1];
			CHECK(changes > 50);
		}
		aml_folds_free(fa);
		aml_folds_free(fb);
		aml_folds_free(fc);
	}
	/* again with the same generator: same folds (the generator is not consumed) */
	CHECK_OK(aml_kfold(200, 5, 1, &a, &fa, &err), &err);
	CHECK_OK(aml_kfold(200, 5, 1, &a, &fb, &err), &err);
	CHECK(memcmp(fa->fold_of_row, fb->fold_of_row, sizeof(int) * 200) == 0);
	aml_folds_free(fa);
	aml_folds_free(fb);
	/* aml_folds_for_task picks stratified for classification */
	CHECK_OK(aml_folds_for_task(AML_TASK_CLASSIFICATION, y, 200, 3, 4, 1, &a, &fa, &err), &err);
	CHECK(fa->stratified);
	aml_folds_free(fa);
	CHECK_OK(aml_folds_for_task(AML_TASK_REGRESSION, NULL, 200, 0, 4, 1, &a, &fa, &err), &err);
	CHECK(!fa->stratified);
	aml_folds_free(fa);
}

static void
test_holdout(void)
{
	AmlRng		rng;
	AmlError	err;
	AmlSplit	sp;
	double		y[150];

	aml_rng_seed(&rng, 3);
	/* n_test = ceil(test_size * n) like sklearn */
	CHECK_OK(aml_train_test_split(10, 0.25, NULL, 0, &rng, &sp, &err), &err);
	CHECK(sp.n_test == 3 && sp.n_train == 7);
	aml_split_free(&sp);
	CHECK_OK(aml_train_test_split(101, 0.2, NULL, 0, &rng, &sp, &err), &err);
	CHECK(sp.n_test == 21 && sp.n_train == 80);
	aml_split_free(&sp);

	/* stratified: 50/30/70 rows, test_size 0.3 -> 45 test rows split 15/9/21 */
	for (int i = 0; i < 150; i++)
		y[i] = i < 50 ? 0 : i < 80 ? 1 : 2;
	{
		AmlFolds   *f;
		int			per_class[3];
		int			expect[3] = {15, 9, 21};

		CHECK_OK(aml_holdout(150, 0.3, y, 3, 3, &rng, &f, &err), &err);
		CHECK(aml_folds_n_splits(f) == 3 && f->k == 1);
		for (int r = 0; r < 3; r++)
		{
			memset(per_class, 0, sizeof(per_class));
			for (int i = 0; i < 150; i++)
				if (f->fold_of_row[r * 150 + i] == 0)
					per_class[(int) y[i]]++;
			for (int c = 0; c < 3; c++)
				CHECK(per_class[c] == expect[c]);
			CHECK(aml_folds_test_count(f, r) == 45);
		}
		CHECK(memcmp(f->fold_of_row, f->fold_of_row + 150, sizeof(int) * 150) != 0);
		check_split_lists(f);
		aml_folds_free(f);
	}
	/* stratified with uneven shares: within one row of the ideal, total exact */
	{
		AmlFolds   *f;
		int			per_class[3] = {0};
		int			n_test;

		CHECK_OK(aml_holdout(150, 0.17, y, 3, 1, &rng, &f, &err), &err);
		n_test = (int) ceil(0.17 * 150);
		for (int i = 0; i < 150; i++)
			if (f->fold_of_row[i] == 0)
				per_class[(int) y[i]]++;
		CHECK(per_class[0] + per_class[1] + per_class[2] == n_test);
		CHECK(fabs(per_class[0] - 50.0 * n_test / 150) < 1.0);
		CHECK(fabs(per_class[1] - 30.0 * n_test / 150) < 1.0);
		CHECK(fabs(per_class[2] - 70.0 * n_test / 150) < 1.0);
		aml_folds_free(f);
	}
}

static void
test_cv_errors(void)
{
	AmlRng		rng;
	AmlError	err;
	AmlFolds   *f = NULL;
	AmlSplit	sp;
	double		y[20];

	aml_rng_seed(&rng, 1);
	for (int i = 0; i < 20; i++)
		y[i] = i < 3 ? 1 : 0;
	CHECK_STATUS(aml_kfold(20, 1, 1, &rng, &f, &err), AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.message, "at least 2 folds") != NULL);
	CHECK_STATUS(aml_kfold(5, 6, 1, &rng, &f, &err), AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "6 folds from 5 rows") != NULL);
	CHECK(strstr(err.hint, "at most 5") != NULL);
	CHECK_STATUS(aml_kfold(5, 2, 0, &rng, &f, &err), AML_ERR_INVALID_PARAMETER, &err);
	/* class 1 has 3 rows: 5 stratified folds are impossible */
	CHECK_STATUS(aml_stratified_kfold(y, 20, 2, 5, 1, &rng, &f, &err), AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "class 1 has only 3 rows") != NULL);
	CHECK(strstr(err.hint, "at most 3 folds") != NULL);
	CHECK(f == NULL);
	CHECK_OK(aml_stratified_kfold(y, 20, 2, 3, 1, &rng, &f, &err), &err);
	aml_folds_free(f);
	/* a class with one row */
	y[1] = y[2] = 0;
	CHECK_STATUS(aml_stratified_kfold(y, 20, 2, 2, 1, &rng, &f, &err), AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "only 1 row") != NULL);
	CHECK(strstr(err.hint, "unstratified") != NULL);
	/* bad class index */
	y[0] = 2;
	CHECK_STATUS(aml_stratified_kfold(y, 20, 2, 2, 1, &rng, &f, &err), AML_ERR_INVALID_DATA, &err);
	y[0] = 1;
	/* test_size */
	CHECK_STATUS(aml_train_test_split(20, 0.0, NULL, 0, &rng, &sp, &err),
				 AML_ERR_INVALID_PARAMETER, &err);
	CHECK_STATUS(aml_train_test_split(20, 1.0, NULL, 0, &rng, &sp, &err),
				 AML_ERR_INVALID_PARAMETER, &err);
	CHECK_STATUS(aml_train_test_split(20, NAN, NULL, 0, &rng, &sp, &err),
				 AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.message, "test_size") != NULL);
	/* leaves the training set empty: ceil(0.97 * 20) = 20 */
	CHECK_STATUS(aml_train_test_split(20, 0.97, NULL, 0, &rng, &sp, &err),
				 AML_ERR_INVALID_DATA, &err);
	CHECK(strstr(err.message, "training set empty") != NULL);
	CHECK_STATUS(aml_train_test_split(1, 0.5, NULL, 0, &rng, &sp, &err),
				 AML_ERR_INVALID_DATA, &err);
	CHECK(sp.train == NULL && sp.test == NULL);
	/* a split that does not exist */
	CHECK_OK(aml_kfold(20, 4, 1, &rng, &f, &err), &err);
	CHECK_STATUS(aml_folds_split(f, 4, &sp, &err), AML_ERR_INVALID_PARAMETER, &err);
	aml_folds_free(f);
}

int
main(void)
{
	unit_begin();
	reference = unit_load_json("reference/metrics.json");
	RUN(test_metrics_reference);
	RUN(test_registry);
	RUN(test_metric_edge_cases);
	RUN(test_woken_scores);
	RUN(test_kfold);
	RUN(test_stratified_kfold);
	RUN(test_cv_determinism);
	RUN(test_holdout);
	RUN(test_cv_errors);
	json_object_put(reference);
	return unit_end();
}
