/*
 * calibration.h — calibrated class probabilities and the binary decision
 * threshold, learnt from out-of-fold predictions.
 *
 * Methods (all map a row of predicted probabilities to calibrated ones):
 *   platt        two classes: p1' = 1 / (1 + exp(-(a * logit(p1) + b))), a
 *                and b by maximum likelihood with Platt's smoothed targets
 *                ((N+ + 1) / (N+ + 2), 1 / (N- + 2)); Newton's method
 *   isotonic     two classes: p1' = the isotonic (non-decreasing) regression
 *                of the class-1 indicator on p1 (pool adjacent violators),
 *                interpolated linearly between its breakpoints and clipped
 *                at the ends, as scikit-learn's IsotonicRegression
 *   temperature  any number of classes: p' = softmax(log p / T), T > 0 by
 *                minimising the log loss (golden-section search on log T)
 * aml_calibration_choose() compares "none" with the methods that apply (two
 * classes: platt, isotonic, temperature; more: temperature) by the log loss
 * of a k-fold cross-fit on the out-of-fold predictions themselves, and keeps
 * the best only when it improves on "none".
 *
 * The decision threshold (two classes): the predicted class is 1 when the
 * calibrated p1 >= threshold; aml_threshold_choose() picks, among the
 * midpoints between consecutive distinct p1, the threshold that maximises a
 * label metric (accuracy, balanced accuracy, F1 ...), ties to the one
 * closest to 0.5.  With fewer than AML_THRESHOLD_MIN_CLASS_ROWS rows of
 * either class it stays 0.5: the best of a few hundred thresholds on a
 * handful of rows of a class is chance (4 rare rows of 16 000 with no
 * signal: 0.79 balanced accuracy out of fold, 0.29 on new rows).
 */
#ifndef AML_CALIBRATION_H
#define AML_CALIBRATION_H

#define AML_THRESHOLD_MIN_CLASS_ROWS 10

#include <json.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/metrics.h"

typedef enum AmlCalibrationMethod
{
	AML_CALIBRATION_NONE = 0,
	AML_CALIBRATION_PLATT,
	AML_CALIBRATION_ISOTONIC,
	AML_CALIBRATION_TEMPERATURE
} AmlCalibrationMethod;

typedef struct AmlCalibrator
{
	AmlCalibrationMethod method;
	int			n_classes;
	double		a,				/* platt */
				b;
	int			n_points;		/* isotonic breakpoints */
	double	   *x;
	double	   *y;
	double		temperature;
	double		threshold;		/* two classes: decision threshold on p1 (0.5 by default) */
} AmlCalibrator;

const char *aml_calibration_method_name(AmlCalibrationMethod m);
bool		aml_calibration_method_parse(const char *name, AmlCalibrationMethod *out);

/* Fit one method on predicted probabilities (n x K) and class indices y. */
AmlStatus	aml_calibrator_fit(AmlCalibrationMethod method, const AmlMatrix *proba, const double *y,
							   int n_classes, AmlCalibrator **out, AmlError *err);
void		aml_calibrator_free(AmlCalibrator *c);
/* One row of K probabilities -> calibrated (in may equal out). */
void		aml_calibrator_apply_row(const AmlCalibrator *c, const double *in, double *out);
AmlStatus	aml_calibrator_apply(const AmlCalibrator *c, const AmlMatrix *proba, AmlMatrix *out,
								 AmlError *err);

/*
 * Choose the calibration on out-of-fold predictions (see above): folds for
 * the inner cross-fit, rows assigned round-robin after a seeded shuffle.
 * *out is the fitted winner on all rows (method NONE when nothing helps);
 * logloss_none / logloss_best: the cross-fit log losses compared.
 */
AmlStatus	aml_calibration_choose(const AmlMatrix *oof, const double *y, int n_classes,
								   int folds, uint64_t seed, AmlCalibrator **out,
								   double *logloss_none, double *logloss_best, AmlError *err);

/* The threshold on p1 maximising metric (a label metric of two classes). */
AmlStatus	aml_threshold_choose(const AmlMatrix *proba, const double *y, const AmlMetric *metric,
								 double *threshold, double *score, AmlError *err);

/*
 * Whether a calibration and threshold chosen on out-of-fold predictions,
 * which decided a share share1 of those rows as class 1, decide n new rows
 * alike: false when either class, expected on at least
 * AML_TRANSFER_MIN_ROWS of the new rows, is decided on fewer than a tenth
 * of what is expected (ones: the new rows decided as class 1).  It reads no
 * labels, so the new rows may be a holdout whose score is reported: a model
 * refitted on more rows than the search's folds can move its probabilities
 * past a calibrator's steps (Gaussian naive Bayes on 900 one-hot columns:
 * isotonic steps between 0 and 1e-298, every holdout row on one side).
 */
#define AML_TRANSFER_MIN_ROWS 10
bool		aml_threshold_transfers(double share1, int n, int ones);
/* Rows of calibrated probabilities (two classes) that c's threshold decides as class 1. */
int			aml_threshold_count_ones(const AmlCalibrator *c, const AmlMatrix *calibrated);

/*
 * Whether a model's share of rows decided as class 1 moved from `before`
 * to `after` on the same rows: by more than a quarter of the rarer
 * decision's share and more than a hundredth.
 */
bool		aml_threshold_share_moved(double before, double after);
/*
 * The threshold that decides the share `share` of the n calibrated
 * probabilities of class 1 p1 as class 1 (p1 > threshold), as nearly as
 * ties allow (and p1 = 0, never above a threshold in [0, 1]): midway
 * between the values around the cut.  NaN when out of
 * memory or share is not in [0, 1].
 */
double		aml_threshold_for_share(const double *p1, int n, double share);

json_object *aml_calibrator_to_json(const AmlCalibrator *c);
AmlStatus	aml_calibrator_from_json(json_object *obj, int n_classes, AmlCalibrator **out,
									 AmlError *err);

#endif
