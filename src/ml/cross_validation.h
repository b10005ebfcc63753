/*
 * cross_validation.h — how rows are split for model evaluation: shuffled
 * k-fold, stratified k-fold, (stratified) train/test holdout splits, and
 * their repetitions, as index lists.
 *
 * Every scheme is an AmlFolds: for each repetition r, fold_of_row assigns
 * each row to one of k test folds (a holdout split has k = 1 and marks its
 * training rows with -1).  Split s (0 <= s < repeats * k) tests on fold
 * s % k of repetition s / k and trains on every other row.  Index lists are
 * in increasing row order.
 *
 * Randomness: repetition r draws from aml_rng_derive(rng, r), so the folds
 * depend only on the seed of rng (the generator itself is not advanced).
 *
 * Fold sizes: k-fold makes folds whose sizes differ by at most 1 (the first
 * n % k folds of the shuffled order are one larger, like scikit-learn's
 * KFold).  Stratified k-fold additionally gives each fold floor or ceil of
 * n_c / k rows of every class c (scikit-learn's StratifiedKFold(shuffle=True)
 * in spirit; the permutation differs).  Holdout: n_test = ceil(test_size * n)
 * as scikit-learn; stratified holdout splits every class in proportion
 * (largest remainders), so the class proportions of the test set are within
 * one row of the ideal.
 */
#ifndef AML_CROSS_VALIDATION_H
#define AML_CROSS_VALIDATION_H

#include <stdbool.h>

#include "core/random.h"
#include "core/status.h"
#include "ml/estimator.h"

typedef struct AmlFolds
{
	int			n_rows;
	int			k;				/* test folds per repetition (1 for a holdout split) */
	int			repeats;		/* repetitions (>= 1) */
	bool		stratified;
	int		   *fold_of_row;	/* repeats x n_rows: [r * n_rows + i], -1 = training only */
	int		   *test_count;		/* repeats x k: rows in each test fold */
} AmlFolds;

typedef struct AmlSplit
{
	int			n_train;
	int		   *train;			/* row indices, increasing */
	int			n_test;
	int		   *test;			/* row indices, increasing */
} AmlSplit;

/* Shuffled k-fold (2 <= k <= n_rows), repeated `repeats` times. */
AmlStatus	aml_kfold(int n_rows, int k, int repeats, AmlRng *rng, AmlFolds **out,
					  AmlError *err);

/*
 * Stratified shuffled k-fold on class indices y[0..n_rows-1] (0 .. n_classes-1).
 * Every class that has rows needs at least k of them.
 */
AmlStatus	aml_stratified_kfold(const double *y, int n_rows, int n_classes, int k, int repeats,
								 AmlRng *rng, AmlFolds **out, AmlError *err);

/*
 * Holdout split(s): test_size in (0, 1) is the fraction of test rows; y
 * (class indices) makes it stratified, NULL plain.
 */
AmlStatus	aml_holdout(int n_rows, double test_size, const double *y, int n_classes,
						int repeats, AmlRng *rng, AmlFolds **out, AmlError *err);

/* k-fold suited to the task: stratified for classification (y needed), plain otherwise. */
AmlStatus	aml_folds_for_task(AmlTask task, const double *y, int n_rows, int n_classes, int k,
							   int repeats, AmlRng *rng, AmlFolds **out, AmlError *err);

void		aml_folds_free(AmlFolds *folds);

/* Number of train/test splits: repeats * k. */
int			aml_folds_n_splits(const AmlFolds *folds);
int			aml_folds_test_count(const AmlFolds *folds, int split);
int			aml_folds_train_count(const AmlFolds *folds, int split);
/*
 * Row indices of split `split` into train[] and test[] (room for the counts
 * above; either may be NULL when not wanted).
 */
void		aml_folds_indices(const AmlFolds *folds, int split, int *train, int *test);
/* Same, allocating the lists (release with aml_split_free). */
AmlStatus	aml_folds_split(const AmlFolds *folds, int split, AmlSplit *out, AmlError *err);
void		aml_split_free(AmlSplit *split);

/* One train/test split (stratified when y is given). */
AmlStatus	aml_train_test_split(int n_rows, double test_size, const double *y, int n_classes,
								 AmlRng *rng, AmlSplit *out, AmlError *err);

#endif
