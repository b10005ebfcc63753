/*
 * decision.h — the class a model decides from its calibrated probabilities
 * (src/ml/calibration.h holds the calibrator that carries the decision).
 *
 * Two classes: class 1 when the calibrated p1 > threshold.
 * aml_threshold_choose() picks, among the midpoints between consecutive
 * distinct p1, the threshold that maximises a label metric (accuracy,
 * balanced accuracy, F1 ...), ties to the one closest to 0.5.  With fewer
 * than AML_THRESHOLD_MIN_CLASS_ROWS rows of either class it stays 0.5: the
 * best of a few hundred thresholds on a handful of rows of a class is
 * chance (4 rare rows of 16 000 with no signal: 0.79 balanced accuracy out
 * of fold, 0.29 on new rows).
 *
 * More classes: the class of the largest w_c (p_c - f), f the floor that
 * the temperature's smoothing adds (aml_decision_floor: the weights act on
 * the probabilities before it, so that the smoothing changes probabilities,
 * not decisions), with class weights
 * w_c = prior_c^-alpha (prior_c: the class's share of the rows the weights
 * are chosen on).  aml_class_weights_choose() picks alpha among 0, 1/4,
 * 1/2, 3/4 and 1 by a label metric, ties to the smallest (0: the plain
 * argmax, no weights).  For balanced accuracy (the mean of the recalls)
 * and calibrated probabilities, alpha = 1 is Bayes' decision; a model
 * already trained with balanced class weights wants less, hence the
 * choice.  One parameter, five values: little room to fit the folds' noise.
 */
#ifndef AML_DECISION_H
#define AML_DECISION_H

#include "ml/calibration.h"

#define AML_THRESHOLD_MIN_CLASS_ROWS 10
#define AML_CLASS_WEIGHT_ALPHAS 5

/*
 * What the temperature's smoothing adds to every probability: 1 / (rows + K)
 * (calibration.h), 0 for other calibrators and for those stored before it.
 */
double		aml_decision_floor(const AmlCalibrator *c, int K);

/* The class c decides from one row of K calibrated probabilities (c NULL: the largest). */
int			aml_decide(const AmlCalibrator *c, const double *p, int K);

/*
 * Scores whose largest per row is c's decision for the rows of
 * probabilities p (two classes: (threshold, p1), ties to the first; more:
 * w_c (p_c - floor)); *out NULL when the decision is p's own largest (c NULL, or more
 * classes without weights).  The label metrics of automl_train's holdout
 * and of automl_evaluate are computed on them.
 */
AmlStatus	aml_decision_scores(const AmlCalibrator *c, const AmlMatrix *p, AmlMatrix **out,
								AmlError *err);

/*
 * More than two classes: the class weights (see above) for the rows of
 * calibrated probabilities proba and their class indices y, by metric (a
 * label metric: else none).  *weights: K weights allocated with
 * aml_malloc, or NULL (alpha 0); *alpha and *score (NaN when not chosen)
 * say what was chosen.
 */
AmlStatus	aml_class_weights_choose(const AmlMatrix *proba, const double *y, int K,
									 const AmlMetric *metric, double **weights, double *alpha,
									 double *score, AmlError *err);

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

#endif
