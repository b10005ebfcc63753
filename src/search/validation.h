/*
 * validation.h — how a search validates: the holdout and the k-fold
 * cross-validation chosen from the number of rows and the rarest classes,
 * so that automl_train adapts instead of refusing.
 *
 * Automatic choices (a request of 0 folds or a NaN test size):
 *  - holdout: 25 % of the rows; none below AML_HOLDOUT_MIN_ROWS rows (the
 *    cross-validation score is then the estimate).  Classes with fewer than
 *    AML_HOLDOUT_MIN_CLASS rows stay out of the holdout (all in training).
 *  - folds: 5; fewer on small tables (rows / 10, down to 2); for
 *    classification lowered (down to 3) while a class has between 3 and k-1
 *    rows, so that it can be stratified.  Classes that still have fewer rows
 *    than folds are "pinned": in the training rows of every split, never
 *    tested (aml_cv_data_create).
 *  - repeated k-fold on small tables (less noisy selection): 3 times below
 *    200 rows, twice below 500, at most AML_MAX_FOLDS splits.
 * Values given explicitly are kept; only impossible ones are errors.
 */
#ifndef AML_SEARCH_VALIDATION_H
#define AML_SEARCH_VALIDATION_H

#include <stdbool.h>

#include "core/status.h"
#include "ml/estimator.h"

#define AML_HOLDOUT_MIN_ROWS 100
#define AML_HOLDOUT_MIN_CLASS 4

typedef struct AmlFoldPlan
{
	int			cv_folds;
	int			repeats;
	int			n_pinned_classes;	/* classes with fewer rows than folds */
	bool		folds_automatic;
} AmlFoldPlan;

/* The holdout fraction: requested (>= 0), or automatic when NaN. */
double		aml_validation_test_size(int n_rows, double requested);

/*
 * The folds for the search's rows: requested (> 0) or automatic (0).
 * class_count (classification; NULL for regression) counts the search's rows
 * of each class.  An impossible explicit value is an AML_ERR_INVALID_DATA
 * error with a hint.
 */
AmlStatus	aml_validation_folds(int n_rows, const int *class_count, int n_classes, int requested,
								 AmlFoldPlan *out, AmlError *err);

#endif
