/*
 * woken_scores.h — Woken's (MIP) score documents, with Spark MLlib's
 * arithmetic (split from metrics.h; the scikit-learn metrics stay there).
 */
#ifndef AML_WOKEN_SCORES_H
#define AML_WOKEN_SCORES_H

#include <json.h>

#include "ml/metrics.h"

/* Spark MLlib / Woken: sum((yhat - mean(y))^2) / n, mean as Spark's summarizer computes it */
double		aml_explained_variance_spark(const double *y, const double *yhat, int n);

/* ------------------------------------------------------------ Woken (MIP) */

/*
 * Woken's score documents (woken-validation Scoring.scala, Spark MLlib
 * formulas), as json_objects the caller releases with json_object_put().
 * The arithmetic follows Spark's (its online summarizer for regression, its
 * label iteration order for weighted sums), so the golden vectors of
 * woken-validation are reproduced exactly.
 *
 * {"type":"RegressionScore","MSE":..,"RMSE":..,"R-squared":..,"MAE":..,
 *  "Explained variance":..}   (explained variance the Spark way; R-squared of
 * a constant target is 1 or 0 like sklearn where Spark would divide by 0)
 */
AmlStatus	aml_woken_regression_score(const double *y_true, const double *y_pred, int n,
									   json_object **out, AmlError *err);

/*
 * {"type":"PolynomialClassificationScore","Accuracy":..,
 *  "Confusion matrix":{"labels":[..],"values":[[..]]},"Weighted precision":..,
 *  "Weighted recall":..,"Weighted F1-score":..,"Weighted false positive rate":..}
 * labels[0..n_labels-1] name the class indices (matrix rows = true label,
 * columns = predicted).  Weighted = sum over classes of (true count / n) *
 * per-class value; a 0/0 per-class value counts as 0.
 */
AmlStatus	aml_woken_polynomial_score(const double *y_true, const double *y_pred, int n,
									   const char *const *labels, int n_labels,
									   json_object **out, AmlError *err);

/*
 * {"type":"BinaryClassificationScore","Confusion matrix":{..},"Accuracy":..,
 *  "Recall":..,"Precision":..,"F1-score":..,"False positive rate":..}
 * with class index 0 the positive class, as Woken does; n_labels must be 2.
 */
AmlStatus	aml_woken_binary_score(const double *y_true, const double *y_pred, int n,
								   const char *const *labels, int n_labels,
								   json_object **out, AmlError *err);

/* The score document suited to the task: regression, binary (2 labels) or polynomial. */
AmlStatus	aml_woken_score(AmlTask task, const double *y_true, const double *y_pred, int n,
							const char *const *labels, int n_labels,
							json_object **out, AmlError *err);

#endif
