/*
 * evaluation.h — every metric of a task for one set of predictions, as the
 * JSON stored with a model (automl.models.metrics) and a run's candidates.
 */
#ifndef AML_EVALUATION_H
#define AML_EVALUATION_H

#include <stdbool.h>
#include <json.h>

#include "core/matrix.h"
#include "ml/calibration.h"
#include "ml/estimator.h"

/*
 * {"accuracy": .., "balanced_accuracy": .., "f1_macro": .., ..., "confusion_matrix": [[..]]}
 * for classification (probability metrics only when `probabilistic`), or
 * {"r2": .., "rmse": .., "mae": .., "mse": .., "explained_variance": ..} for
 * regression.  pred is what estimators output (n x outputs).  Metrics that
 * cannot be computed on these rows (ROC AUC with one class present) are left out.
 */
json_object *aml_evaluation_report(AmlTask task, const double *y, const AmlMatrix *pred,
								   int n_classes, bool probabilistic);
/*
 * The same, with the label metrics and the confusion matrix decided as
 * aml_model_decide() does with the calibrator `decision` (its threshold of
 * two classes, its class weights of more: src/ml/decision.h; NULL: argmax,
 * as aml_evaluation_report).
 */
json_object *aml_evaluation_report_decided(AmlTask task, const double *y, const AmlMatrix *pred,
										   int n_classes, bool probabilistic,
										   const AmlCalibrator *decision);

#endif
