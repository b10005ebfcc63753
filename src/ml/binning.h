/*
 * binning.h — quantile binning of numeric features into small integer bins,
 * for histogram gradient boosting (gradient_boosting_fit.c).
 *
 * Follows scikit-learn 1.2's _BinMapper: for each feature the non-missing
 * values (of a random subsample of at most AML_BIN_SUBSAMPLE rows) give at
 * most max_bins - 1 increasing thresholds:
 *   - when the feature has at most max_bins distinct values, the midpoints
 *     between consecutive distinct values;
 *   - otherwise the percentiles 100 k / max_bins (k = 1 .. max_bins - 1) of
 *     the values, with numpy's "midpoint" interpolation.
 * Thresholds are clipped to AML_BIN_ALMOST_INF.  A value x goes to bin b when
 * thresholds[b - 1] < x <= thresholds[b], so x <= thresholds[b] exactly when
 * its bin is <= b: a split "bin <= b" learnt on binned data is the split
 * "x <= thresholds[b]" on raw values.  Missing values (NaN) go to the bin
 * max_bins, reserved for them whether or not the feature has missing values.
 */
#ifndef AML_BINNING_H
#define AML_BINNING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/matrix.h"
#include "core/random.h"
#include "core/status.h"

/* Largest number of bins for non-missing values (bin 255 is then the missing bin). */
#define AML_BIN_MAX_BINS 255
/* Thresholds are computed on at most this many rows (scikit-learn's default). */
#define AML_BIN_SUBSAMPLE 200000
/* Upper clip of the thresholds (scikit-learn's ALMOST_INF). */
#define AML_BIN_ALMOST_INF 1e300

typedef struct AmlBinMapper
{
	int			n_features;
	int			max_bins;		/* bins for non-missing values; missing bin = max_bins */
	int		   *n_bins;			/* per feature: bins used by non-missing values (>= 1) */
	int		   *offsets;		/* thresholds of feature j: thresholds[offsets[j] ..] */
	double	   *thresholds;		/* n_bins[j] - 1 per feature, increasing */
} AmlBinMapper;

/*
 * Compute the thresholds from rows rows[0..n_rows-1] of X (all rows when
 * rows is NULL).  max_bins in 2..255.  rng draws the subsample when there
 * are more than AML_BIN_SUBSAMPLE rows (it may be NULL otherwise).
 */
AmlStatus	aml_bin_mapper_fit(const AmlMatrix *X, const int *rows, int n_rows, int max_bins,
							   AmlRng *rng, AmlBinMapper **out, AmlError *err);
void		aml_bin_mapper_free(AmlBinMapper *bm);

/* Bin of value x of feature j (NaN -> bm->max_bins). */
uint8_t		aml_bin_value(const AmlBinMapper *bm, int j, double x);

/*
 * Bin rows rows[0..n_rows-1] of X (all rows when rows is NULL) into out,
 * column-major n_rows x n_features.  Sets has_missing[j] (when not NULL)
 * when feature j has a missing value among those rows.
 */
void		aml_bin_mapper_transform(const AmlBinMapper *bm, const AmlMatrix *X, const int *rows,
									 int n_rows, uint8_t *out, uint8_t *has_missing);

/*
 * Raw threshold of the split "bin <= b" of feature j: thresholds[b], or
 * +infinity when b is the last non-missing bin (every non-missing value goes
 * left, only missing values can go right).
 */
double		aml_bin_threshold(const AmlBinMapper *bm, int j, int b);

/* Sort v[0..n-1] ascending (no NaN); a radix sort, much faster than qsort on large arrays. */
void		aml_bin_sort_doubles(double *v, int n, double *scratch);

#endif
