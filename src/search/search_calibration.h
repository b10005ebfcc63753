/*
 * search_calibration.h — calibrating the chosen model's probabilities on the
 * search's out-of-fold predictions (src/ml/calibration.h), so that
 * automl_train's model returns calibrated probabilities when that improves
 * the cross-fitted log loss.
 */
#ifndef AML_SEARCH_CALIBRATION_H
#define AML_SEARCH_CALIBRATION_H

#include "ml/calibration.h"
#include "search/ensemble_selection.h"
#include "search/evaluate.h"

/*
 * Many classes: the calibration (temperature scaling, a pass over every cell
 * per Newton step, in a 5-fold cross-fit) is fitted on a seeded sample of the
 * out-of-fold rows of at most AML_CALIBRATION_MAX_CELLS cells (rows x
 * classes), never fewer than AML_CALIBRATION_MIN_ROWS rows: one temperature
 * needs no more, and the search's end stays short (about 0.6 s for the most
 * cells, aml_search_post_seconds).  Two classes use every row.
 */
#define AML_CALIBRATION_MAX_CELLS (1 << 20)
#define AML_CALIBRATION_MIN_ROWS 1000

/* The out-of-fold rows the calibration of K classes is fitted on, of n. */
int			aml_search_calibration_rows(int n, int K);

/*
 * *out: the calibrator of the final choice (single or ensemble) fitted on
 * its out-of-fold predictions, or NULL when the task is regression, a
 * member has no out-of-fold probabilities, or no calibration improves the
 * log loss and the decision is the plain one (threshold 0.5, no class
 * weights).  logloss[0] / logloss[1]:
 * the cross-fitted log loss without / with the chosen calibration (NaN when
 * not computed).
 *
 * Two classes: the calibrator's decision threshold is chosen on the
 * calibrated out-of-fold predictions by metric (aml_threshold_choose: 0.5
 * unless metric is a label metric) when threshold_auto, else it is
 * threshold (0: 0.5).  A threshold other than 0.5 keeps a calibrator of
 * method "none" to carry it.  *share1: when the threshold was chosen and
 * there is a calibrator, the share of out-of-fold rows it decides as class
 * 1 (calibrated p1 > threshold, as aml_model_decide); NaN otherwise.
 *
 * More classes, when threshold_auto: the class weights of the decision
 * (aml_class_weights_choose, src/ml/decision.h) on the calibrated
 * out-of-fold predictions; weights keep a calibrator of method "none" to
 * carry them.
 */
AmlStatus	aml_search_calibrate(const AmlCvData *cv, const AmlCandidate *cands,
								 const AmlEnsembleChoice *final, uint64_t seed,
								 const AmlMetric *metric, bool threshold_auto, double threshold,
								 AmlCalibrator **out, double logloss[2], double *share1,
								 AmlError *err);

/* A copy of a calibrator (NULL for NULL). */
AmlStatus	aml_calibrator_copy(const AmlCalibrator *c, AmlCalibrator **out, AmlError *err);

#endif
