/*
 * evaluation_curves.h — the full evaluation report of automl_evaluate: every
 * metric of evaluation.h plus what scikit-learn 1.2 shows about a classifier
 * (classification_report, roc_curve, precision_recall_curve,
 * average_precision_score, calibration_curve, brier_score_loss) or a
 * regressor's residuals, as one JSON document.
 *
 * Classification curves are one-vs-rest per class ("the second label" only
 * for two classes, scikit-learn's pos_label=1), keyed by label:
 *   {"labels": [..], "confusion_matrix": {"labels": [..], "matrix": [[..]]},
 *    "per_class": {label: {"precision", "recall", "f1", "support"}},
 *    "roc_curve": {label: {"fpr": [..], "tpr": [..], "thresholds": [..], "auc"}},
 *    "pr_curve": {label: {"precision": [..], "recall": [..], "thresholds": [..],
 *                         "average_precision"}},
 *    "calibration_curve": {label: {"prob_true": [..], "prob_pred": [..], "n_bins": 10}},
 *    "brier": (two classes: brier_score_loss of the second class; more:
 *              mean over rows of sum over classes of (p - 1[y = class])^2),
 *    accuracy, balanced_accuracy, ... (evaluation.h), "rows"}
 * ROC curves drop intermediate points and start at thresholds[0] + 1 as
 * scikit-learn 1.2 does; calibration bins are uniform on [0, 1].
 * Regression: r2, rmse, mae, mse, explained_variance, "rows" and
 *   "residuals": {"mean", "std" (n - 1), "min", "q1", "median", "q3", "max"}
 *   of y - prediction (quantiles interpolated linearly, numpy's default).
 */
#ifndef AML_EVALUATION_CURVES_H
#define AML_EVALUATION_CURVES_H

#include <stdbool.h>
#include <json.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/calibration.h"
#include "ml/estimator.h"

#define AML_CALIBRATION_BINS 10

/* y: class index or value per row; pred: n x outputs; labels: n_classes names. */
AmlStatus	aml_evaluation_full_report(AmlTask task, const double *y, const AmlMatrix *pred,
									   int n_classes, bool probabilistic,
									   const char *const *labels, json_object **out,
									   AmlError *err);
/*
 * The same with the labels decided as aml_model_decide() does with the
 * calibrator `decision` (src/ml/decision.h; NULL: argmax): label metrics,
 * confusion matrix and per-class report; the curves do not depend on it.
 */
AmlStatus	aml_evaluation_full_report_decided(AmlTask task, const double *y, const AmlMatrix *pred,
											   int n_classes, bool probabilistic,
											   const AmlCalibrator *decision,
											   const char *const *labels, json_object **out,
											   AmlError *err);

/*
 * The report's "brier" of probabilities pred (n x n_classes) for class
 * indices y: brier_score_loss of the second class for two classes, else the
 * mean over rows of the sum over classes of (p - 1[y = class])^2.
 */
double		aml_brier_score(const double *y, const AmlMatrix *pred, int n_classes);

/*
 * scikit-learn's _binary_clf_curve: distinct thresholds in decreasing order
 * and the false / true positives at each (arrays of n, *count filled).
 */
AmlStatus	aml_binary_clf_curve(const bool *positive, const double *score, int n, double *fps,
								 double *tps, double *thresholds, int *count, AmlError *err);

#endif
