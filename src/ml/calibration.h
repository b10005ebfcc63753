/*
 * calibration.h — calibrated class probabilities, learnt from out-of-fold
 * predictions, and the calibrator that carries the decision made from them.
 *
 * Methods (all map a row of predicted probabilities to calibrated ones):
 *   platt        two classes: p1' = 1 / (1 + exp(-(a * logit(p1) + b))), a
 *                and b by maximum likelihood with Platt's smoothed targets
 *                ((N+ + 1) / (N+ + 2), 1 / (N- + 2)); Newton's method
 *   isotonic     two classes: p1' = the isotonic (non-decreasing) regression
 *                of the class-1 indicator on p1 (pool adjacent violators),
 *                interpolated linearly between its breakpoints and clipped
 *                at the ends, as scikit-learn's IsotonicRegression, with its
 *                values v stored as (n v + 1) / (n + 2) for its n rows
 *   temperature  any number of classes: p' = softmax(log p / T), T > 0 by
 *                minimising the log loss (a safeguarded Newton method on
 *                1 / T), then p'' = (n p' + 1) / (n + K) for the n rows it
 *                was fitted on (Laplace's estimate: never 0 or 1, where
 *                out-of-fold predictions that separate the classes send T
 *                to its bound e^-4 and a row of another class on a new
 *                relation would cost log(1e-15))
 * aml_calibration_choose() compares "none" with the methods that apply (two
 * classes: platt, isotonic, temperature; more: temperature) by the log loss
 * of a k-fold cross-fit on the out-of-fold predictions themselves, and keeps
 * the best only when it improves on "none".
 *
 * The calibrator also carries the decision made from its probabilities
 * (src/ml/decision.h): the threshold of two classes, the class weights of
 * more.
 */
#ifndef AML_CALIBRATION_H
#define AML_CALIBRATION_H

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
	int			rows;			/* temperature: rows fitted on; p -> (rows p + 1) / (rows + K) (0: as is) */
	double		threshold;		/* two classes: decision threshold on p1 (0.5 by default) */
	double	   *class_weights;	/* more classes: weights of the decision, or NULL (decision.h) */
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

json_object *aml_calibrator_to_json(const AmlCalibrator *c);
AmlStatus	aml_calibrator_from_json(json_object *obj, int n_classes, AmlCalibrator **out,
									 AmlError *err);

#endif
