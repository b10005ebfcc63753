/*
 * metrics.h — model quality scores: scikit-learn's classification and
 * regression metrics, a registry of named metrics for the search, and
 * Woken's (MIP) score documents.
 *
 * Conventions: class labels are class indices 0 .. n_classes-1 stored as
 * doubles (like estimator targets); predictions given as an AmlMatrix are in
 * the estimator output format (n x n_classes scores/probabilities whose
 * argmax is the predicted class, or n x 1 regression values).
 *
 * Semantics follow scikit-learn 1.2:
 *   precision/recall/F1  labels = classes present in y_true or y_pred;
 *                        zero_division = 0; "binary" uses positive class 1
 *   balanced accuracy    mean recall over the classes present in y_true
 *   roc_auc              binary: score of class 1; multiclass: one-vs-rest
 *                        macro average (classes absent from y_true are
 *                        skipped instead of raising, see aml_roc_auc_ovr)
 *   log_loss             probabilities clipped to [eps, 1 - eps] with
 *                        eps = DBL_EPSILON, rows renormalised
 *   r2, explained_variance  1 when the target is constant and predicted
 *                        exactly, 0 when constant and not (force_finite)
 */
#ifndef AML_METRICS_H
#define AML_METRICS_H

#include <stdbool.h>
#include <json.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/estimator.h"

/* ------------------------------------------------------------ classification */

typedef enum AmlAverage
{
	AML_AVERAGE_BINARY = 0,		/* the positive class (1) only */
	AML_AVERAGE_MACRO,			/* unweighted mean over labels */
	AML_AVERAGE_WEIGHTED		/* mean weighted by true support */
} AmlAverage;

/*
 * Confusion matrix counts into cm[n_classes * n_classes], row-major:
 * cm[t * n_classes + p] = rows of true class t predicted as p.
 * AML_ERR_INVALID_DATA when a label is not an integer in [0, n_classes).
 */
AmlStatus	aml_confusion_matrix(const double *y_true, const double *y_pred, int n, int n_classes,
								 int *cm, AmlError *err);

/* From a confusion matrix (k x k, row-major as above). */
double		aml_cm_accuracy(const int *cm, int k);
double		aml_cm_balanced_accuracy(const int *cm, int k);
/*
 * Precision, recall and F1 (any output may be NULL).  Binary needs k == 2
 * (returns NaN otherwise).
 */
void		aml_cm_precision_recall_f1(const int *cm, int k, AmlAverage average,
									   double *precision, double *recall, double *f1);

/* Convenience on label vectors (AML_ERR_INVALID_DATA for bad labels or n < 1). */
AmlStatus	aml_accuracy(const double *y_true, const double *y_pred, int n, int n_classes,
						 double *out, AmlError *err);

/*
 * ROC AUC of a binary problem: positive[i] true when row i is positive,
 * score[i] its score (higher = more positive).  Ties count half (the area
 * under the step ROC curve, like sklearn).  AML_ERR_INVALID_DATA when only one
 * class is present or a score is NaN.
 */
AmlStatus	aml_roc_auc_binary(const bool *positive, const double *score, int n,
							   double *out, AmlError *err);

/*
 * ROC AUC from estimator output (n x n_classes).  Two classes: the score of
 * class 1.  More: one-vs-rest macro average over the classes present in
 * y_true (sklearn raises when a class is absent; here it is left out).
 * AML_ERR_INVALID_DATA when y_true holds a single class.
 */
AmlStatus	aml_roc_auc(const double *y_true, const AmlMatrix *scores, int n_classes,
						double *out, AmlError *err);

/* Mean negative log-likelihood of the true classes (n x n_classes probabilities). */
AmlStatus	aml_log_loss(const double *y_true, const AmlMatrix *proba, int n_classes,
						 double *out, AmlError *err);

/* ------------------------------------------------------------ regression */

double		aml_mse(const double *y, const double *yhat, int n);
double		aml_rmse(const double *y, const double *yhat, int n);
double		aml_mae(const double *y, const double *yhat, int n);
double		aml_r2(const double *y, const double *yhat, int n);
/* sklearn: 1 - Var(y - yhat) / Var(y) */
double		aml_explained_variance(const double *y, const double *yhat, int n);

/* ------------------------------------------------------------ registry */

typedef struct AmlMetric AmlMetric;

typedef AmlStatus (*AmlMetricFn) (const AmlMetric *m, const double *y_true,
								  const AmlMatrix *pred, int n_classes, double *score,
								  AmlError *err);

struct AmlMetric
{
	const char *name;			/* e.g. "f1_macro" */
	const char *label;			/* in words, e.g. "macro-averaged F1 score" */
	AmlTask		task;
	bool		greater_is_better;	/* false for losses and errors (minimised) */
	bool		needs_proba;	/* needs probabilities (not just scores) */
	bool		needs_scores;	/* uses the scores themselves, not only the argmax */
	AmlMetricFn fn;
	int			variant;		/* private to metrics.c */
};

/* Metric by name (NULL when unknown). */
const AmlMetric *aml_metric_find(const char *name);
/*
 * Metric by name for a task: AML_ERR_INVALID_PARAMETER naming the valid
 * metrics when unknown or meant for the other task.
 */
AmlStatus	aml_metric_lookup(const char *name, AmlTask task, const AmlMetric **out,
							  AmlError *err);
int			aml_metric_count(void);
const AmlMetric *aml_metric_at(int i);
/* accuracy for classification, r2 for regression */
const AmlMetric *aml_metric_default(AmlTask task);

/*
 * Score predictions in estimator output format: pred is n x n_classes for
 * classification (n_classes >= 2), n x 1 for regression; n = pred->rows
 * rows of y_true.  NaN predictions, empty input and ill-defined cases (one
 * class for ROC AUC) are AML_ERR_INVALID_DATA.
 */
AmlStatus	aml_metric_score(const AmlMetric *m, const double *y_true, const AmlMatrix *pred,
							 int n_classes, double *score, AmlError *err);

bool		aml_metric_higher_is_better(const AmlMetric *m);
/* true when score a is strictly better than b (NaN is worse than anything). */
bool		aml_metric_is_better(const AmlMetric *m, double a, double b);
/* The worst possible value (-inf or +inf), a starting point for a search. */
double		aml_metric_worst(const AmlMetric *m);
/* The score as a quantity to maximise: score or -score. */
double		aml_metric_signed(const AmlMetric *m, double score);

#endif
