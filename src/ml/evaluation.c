/*
 * evaluation.c — all metrics of a task as JSON (see evaluation.h).
 */
#include "ml/evaluation.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/decision.h"
#include "ml/metrics.h"

#include <math.h>

static const char *const classification_metrics[] = {
	"accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "precision_macro",
	"recall_macro", "roc_auc", "log_loss", NULL
};

static const char *const regression_metrics[] = {
	"r2", "rmse", "mae", "mse", "explained_variance", NULL
};

json_object *
aml_evaluation_report(AmlTask task, const double *y, const AmlMatrix *pred, int n_classes,
					  bool probabilistic)
{
	return aml_evaluation_report_decided(task, y, pred, n_classes, probabilistic, NULL);
}

json_object *
aml_evaluation_report_decided(AmlTask task, const double *y, const AmlMatrix *pred, int n_classes,
							  bool probabilistic, const AmlCalibrator *decision)
{
	json_object *report = json_object_new_object();
	const char *const *names = task == AML_TASK_CLASSIFICATION ? classification_metrics
		: regression_metrics;
	AmlMatrix  *decided = NULL;

	/* labels as the calibrator decides them: scores whose argmax they are */
	if (task == AML_TASK_CLASSIFICATION && pred->cols == n_classes && decision != NULL)
	{
		AmlError	err;

		if (aml_decision_scores(decision, pred, &decided, &err) != AML_OK)
			decided = NULL;
	}
	for (int i = 0; names[i] != NULL; i++)
	{
		const AmlMetric *m = aml_metric_find(names[i]);
		const AmlMatrix *p = pred;
		double		score;
		AmlError	err;

		if (m == NULL || (m->needs_proba && !probabilistic))
			continue;
		if (decided != NULL && !m->needs_proba && !m->needs_scores)
			p = decided;
		if (aml_metric_score(m, y, p, n_classes, &score, &err) == AML_OK && isfinite(score))
			json_object_object_add(report, names[i], aml_json_new_double(score));
	}
	if (decided != NULL)
		pred = decided;			/* the confusion matrix below: of the decided labels */
	if (task == AML_TASK_CLASSIFICATION)
	{
		int			n = pred->rows;
		double	   *labels = AML_NEW_ARRAY(double, n > 0 ? n : 1);
		int		   *cm = AML_NEW_ARRAY(int, n_classes * n_classes);
		double	   *scores = AML_NEW_ARRAY(double, n_classes);
		AmlError	err;

		if (labels && cm && scores)
		{
			for (int i = 0; i < n; i++)
			{
				for (int c = 0; c < n_classes; c++)
					scores[c] = AML_AT(pred, i, c);
				labels[i] = aml_argmax(scores, n_classes);
			}
			if (aml_confusion_matrix(y, labels, n, n_classes, cm, &err) == AML_OK)
			{
				json_object *rows = json_object_new_array_ext(n_classes);

				/* rows are true classes, columns predicted ones */
				for (int t = 0; t < n_classes; t++)
					json_object_array_add(rows, aml_json_new_int_array(cm + t * n_classes, n_classes));
				json_object_object_add(report, "confusion_matrix", rows);
			}
		}
		aml_free(labels);
		aml_free(cm);
		aml_free(scores);
	}
	json_object_object_add(report, "rows", json_object_new_int(pred->rows));
	aml_matrix_free(decided);
	return report;
}
