/*
 * test_evaluate.c — automl_evaluate's report (src/ml/evaluation_curves.c)
 * against scikit-learn 1.2.1 on the inputs of reference/evaluate.json (from
 * test/reference/evaluate.py): classification_report, confusion matrix,
 * roc_curve, roc_auc_score, precision_recall_curve, average precision,
 * calibration_curve, brier_score_loss; regression metrics and residual
 * quantiles.  Tolerance 1e-12 (relative), counts exact.
 */
#include "unit.h"

#include "core/json.h"
#include "ml/evaluation_curves.h"

static double
num(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
	{
		unit_fail(__FILE__, __LINE__, "no key %s", key);
		return NAN;
	}
	return json_object_get_double(v);
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		unit_fail(__FILE__, __LINE__, "no key %s", key);
	return v;
}

static void
check_array(json_object *ours, json_object *ref, const char *what)
{
	int			n = ours ? (int) json_object_array_length(ours) : -1;

	CHECK_MSG(ours && n == (int) json_object_array_length(ref), "%s: %d points, scikit-learn %d",
			  what, n, (int) json_object_array_length(ref));
	if (!ours || n != (int) json_object_array_length(ref))
		return;
	for (int i = 0; i < n; i++)
	{
		double		a = json_object_get_double(json_object_array_get_idx(ours, i));
		double		b = json_object_get_double(json_object_array_get_idx(ref, i));

		CHECK_MSG(unit_near(a, b, 1e-12), "%s[%d]: %.17g, scikit-learn %.17g", what, i, a, b);
	}
}

static void
run_case(json_object *c)
{
	const char *name = json_object_get_string(get(c, "name"));
	bool		classification = strcmp(json_object_get_string(get(c, "task")), "classification") == 0;
	json_object *y = get(c, "y");
	int			n = (int) json_object_array_length(y);
	int			K = classification ? json_object_get_int(get(c, "n_classes")) : 0;
	double	   *yv = AML_NEW_ARRAY(double, n);
	AmlMatrix  *pred = aml_matrix_new(n, classification ? K : 1);
	const char *labels[3] = {"c0", "c1", "c2"};
	json_object *report;
	AmlError	err;

	for (int i = 0; i < n; i++)
	{
		yv[i] = json_object_get_double(json_object_array_get_idx(y, i));
		if (classification)
			for (int k = 0; k < K; k++)
				AML_AT(pred, i, k) = json_object_get_double(
					json_object_array_get_idx(json_object_array_get_idx(get(c, "proba"), i), k));
		else
			AML_AT(pred, i, 0) = json_object_get_double(json_object_array_get_idx(get(c, "pred"), i));
	}
	CHECK_OK(aml_evaluation_full_report(classification ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION,
										yv, pred, K, true, labels, &report, &err), &err);
	if (!classification)
	{
		const char *keys[] = {"r2", "mae", "mse", "explained_variance"};
		const char *rk[] = {"mean", "std", "min", "q1", "median", "q3", "max"};

		for (int i = 0; i < 4; i++)
			CHECK_MSG(unit_near(num(report, keys[i]), num(c, keys[i]), 1e-12), "%s %s: %.17g vs %.17g",
					  name, keys[i], num(report, keys[i]), num(c, keys[i]));
		for (int i = 0; i < 7; i++)
			CHECK_MSG(unit_near(num(get(report, "residuals"), rk[i]), num(get(c, "residuals"), rk[i]), 1e-12),
					  "%s residual %s: %.17g vs %.17g", name, rk[i],
					  num(get(report, "residuals"), rk[i]), num(get(c, "residuals"), rk[i]));
	}
	else
	{
		json_object *cm = get(get(report, "confusion_matrix"), "matrix");

		CHECK_NEAR(num(report, "accuracy"), num(c, "accuracy"), 1e-12);
		CHECK_NEAR(num(report, "balanced_accuracy"), num(c, "balanced_accuracy"), 1e-12);
		CHECK_NEAR(num(report, "log_loss"), num(c, "log_loss"), 1e-12);
		CHECK_NEAR(num(report, "brier"), num(c, "brier"), 1e-12);
		for (int t = 0; t < K; t++)
			for (int p = 0; p < K; p++)
				CHECK(json_object_get_int(json_object_array_get_idx(json_object_array_get_idx(cm, t), p)) ==
					  json_object_get_int(json_object_array_get_idx(
						  json_object_array_get_idx(get(c, "confusion_matrix"), t), p)));
		for (int k = 0; k < K; k++)
		{
			json_object *ours = get(get(report, "per_class"), labels[k]);
			json_object *ref = json_object_array_get_idx(get(c, "per_class"), k);

			CHECK_NEAR(num(ours, "precision"), num(ref, "precision"), 1e-12);
			CHECK_NEAR(num(ours, "recall"), num(ref, "recall"), 1e-12);
			CHECK_NEAR(num(ours, "f1"), num(ref, "f1"), 1e-12);
			CHECK(num(ours, "support") == num(ref, "support"));
		}
		for (size_t j = 0; j < json_object_array_length(get(c, "curves")); j++)
		{
			json_object *ref = json_object_array_get_idx(get(c, "curves"), j);
			const char *label = labels[json_object_get_int(get(ref, "class"))];
			json_object *roc = get(get(report, "roc_curve"), label);
			json_object *pr = get(get(report, "pr_curve"), label);
			json_object *cal = get(get(report, "calibration_curve"), label);
			char		what[64];

			snprintf(what, sizeof(what), "%s %s fpr", name, label);
			check_array(get(roc, "fpr"), get(ref, "fpr"), what);
			snprintf(what, sizeof(what), "%s %s tpr", name, label);
			check_array(get(roc, "tpr"), get(ref, "tpr"), what);
			snprintf(what, sizeof(what), "%s %s roc thresholds", name, label);
			check_array(get(roc, "thresholds"), get(ref, "thresholds"), what);
			CHECK_NEAR(num(roc, "auc"), num(ref, "auc"), 1e-12);
			snprintf(what, sizeof(what), "%s %s precision", name, label);
			check_array(get(pr, "precision"), get(ref, "precision"), what);
			snprintf(what, sizeof(what), "%s %s recall", name, label);
			check_array(get(pr, "recall"), get(ref, "recall"), what);
			snprintf(what, sizeof(what), "%s %s pr thresholds", name, label);
			check_array(get(pr, "thresholds"), get(ref, "pr_thresholds"), what);
			CHECK_NEAR(num(pr, "average_precision"), num(ref, "average_precision"), 1e-12);
			snprintf(what, sizeof(what), "%s %s prob_true", name, label);
			check_array(get(cal, "prob_true"), get(ref, "prob_true"), what);
			snprintf(what, sizeof(what), "%s %s prob_pred", name, label);
			check_array(get(cal, "prob_pred"), get(ref, "prob_pred"), what);
		}
	}
	json_object_put(report);
	aml_matrix_free(pred);
	aml_free(yv);
}

static void
test_against_sklearn(void)
{
	json_object *ref = unit_load_json("reference/evaluate.json");
	json_object *cases = get(ref, "cases");

	CHECK(json_object_array_length(cases) == 4);
	for (size_t i = 0; i < json_object_array_length(cases); i++)
		run_case(json_object_array_get_idx(cases, i));
	json_object_put(ref);
}

static void
test_bad_input(void)
{
	AmlMatrix  *pred = aml_matrix_new(0, 2);
	json_object *report;
	AmlError	err;
	const char *labels[2] = {"a", "b"};
	double		y[1] = {0};

	CHECK_STATUS(aml_evaluation_full_report(AML_TASK_CLASSIFICATION, y, pred, 2, true, labels,
											&report, &err), AML_ERR_INVALID_DATA, &err);
	aml_matrix_free(pred);
}

int
main(void)
{
	unit_begin();
	RUN(test_against_sklearn);
	RUN(test_bad_input);
	return unit_end();
}
