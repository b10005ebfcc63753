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
 *    rows, so that it can be stratified, and further (down to 2) while the
 *    classes with fewer rows than folds hold more than half of the rows or
 *    leave fewer than two classes to score.  Classes that still have fewer
 *    rows than folds are "pinned": in the training rows of every split,
 *    never tested (aml_cv_data_create).
 *  - repeated k-fold on small tables (less noisy selection): 3 times below
 *    200 rows, twice below 500, at most AML_MAX_FOLDS splits.
 * Values given explicitly are kept; only impossible ones are errors.
 *
 * The search's rows (successive halving's first rung, by rows): a
 * time-bound search on a table large for its budget validates candidates on
 * a sample of the training rows (aml_validation_search_rows), so that slow
 * families are evaluated at all; the winner is then fitted on as many rows
 * as the rest of the budget allows (aml_validation_fit_rows), every row
 * when it can.  A candidate's cross-validation score on the sample is what
 * it gives with that many rows: more rows only help.
 */
#ifndef AML_SEARCH_VALIDATION_H
#define AML_SEARCH_VALIDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "ml/estimator.h"

#define AML_HOLDOUT_MIN_ROWS 1000
#define AML_HOLDOUT_MIN_CLASS 4
/* A search is sampled only above this many training rows, and never below it. */
#define AML_SEARCH_MIN_ROWS 5000
/*
 * Cells (rows x inputs) a sampled search may validate on per second of
 * budget: about what lets the portfolio of strong defaults (ten pipelines,
 * forests and boosting among them, 5-fold) finish within half of the
 * budget on two processes (measured on diamonds, 5 classes, 9 columns: 5 000
 * rows at 12 s).
 */
#define AML_SEARCH_CELLS_PER_SECOND 3500
/* Rows of each class that a sample's first rows hold (all of a rarer class). */
#define AML_SAMPLE_MIN_CLASS_ROWS 20

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

/*
 * How many of the n_rows training rows the search validates on: all of
 * them for a search bound by max_evaluations (> 0), with no time budget, or
 * on up to max(AML_SEARCH_MIN_ROWS, AML_SEARCH_CELLS_PER_SECOND x budget /
 * n_inputs) rows; a sample of more than 80 % of the rows is not worth it.
 */
int			aml_validation_search_rows(int n_rows, int n_inputs, double budget_seconds,
									   int max_evaluations);

/*
 * At most how many of n_rows the folds of the search may hold so that
 * they take at most a quarter of available bytes (the candidates' fits need
 * the rest, their encodings often several times the inputs' width): n_rows
 * when they fit, else fewer, but never fewer than
 * min(n_rows, AML_MEMORY_SAMPLE_MIN_ROWS) (the search then says it does not
 * fit, as before).  folds: the splits (folds x repeats) the folds hold.
 */
#define AML_MEMORY_SAMPLE_MIN_ROWS 1000
int			aml_validation_memory_rows(int n_rows, int n_inputs, int folds, size_t available);

/*
 * A nested sampling order of n rows: order[0..n-1] is a permutation whose
 * every prefix is a sample.  For classification (y the class codes, n_classes
 * > 0) the first rows hold up to AML_SAMPLE_MIN_CLASS_ROWS of every class
 * (all of a rarer one), then the classes follow in proportion; regression
 * (y NULL): a random permutation.  Deterministic in seed.
 */
AmlStatus	aml_validation_sample_order(int n, const double *y, int n_classes, uint64_t seed,
										int *order, AmlError *err);

/*
 * How many rows the winner is fitted on when the refits would overrun:
 * per_row seconds per row fitted (and stored), `available` seconds.  With a
 * holdout (n_train > 0) *holdout_rows rows of the training rows for the
 * model scored on the holdout and *final_rows of the n_all rows for the
 * final model (*final_rows == *holdout_rows: the holdout's model is the
 * final one); without (n_train == 0) only *final_rows.  All rows when they
 * fit; else the final model gets the time first, the holdout's model at
 * least min_rows rows (the search's) and a third of the time, unless one
 * fit on the training rows (scored on the holdout, and the final model)
 * gets as many rows as that final model would: then that one fit, on as
 * many training rows as fit (at least min_rows).  refit_all false: the
 * holdout's model is the final one.
 */
void		aml_validation_fit_rows(double per_row, double available, int n_train, int n_all,
									int min_rows, bool refit_all, int *holdout_rows, int *final_rows);

#endif
