/*
 * describe.h — histograms and principal components as R computes them.
 *
 * Histogram: `bins` equal-width breaks over [min, max] (lower_i = min +
 * i * (max - min) / bins, the last = max, as seq(min, max, length.out =
 * bins + 1)), counted as R's hist(x, breaks = those) does: intervals closed
 * on the right, (b_i, b_i+1], the first also closed on the left, and the
 * breaks moved by R's fuzz of 1e-7 times the bin width (so a value within
 * that of a break falls in the lower bin).  All values equal: one bin.
 *
 * PCA: prcomp(x, center = TRUE, scale. = scale): the singular values and
 * right singular vectors of the centred (and scaled by the sample standard
 * deviation) data, computed from the streaming QR factor R of the data (the
 * same singular values and vectors, from a p x p SVD).  Signs are fixed:
 * in each component the loading of largest absolute value is positive
 * (prcomp's signs are whatever LAPACK returns).
 */
#ifndef AML_STATS_DESCRIBE_H
#define AML_STATS_DESCRIBE_H

#include <stdbool.h>

#include "core/status.h"

/* breaks: bins + 1 values (out); min == max gives one bin */
int			aml_hist_breaks(double min, double max, int bins, double *breaks);
/* bin of x (0-based) for breaks[0..nb] as R's hist, -1 when outside */
int			aml_hist_bin(const double *breaks, int nb, double x);

/*
 * cols[j][i]: p columns of n complete rows.  sdev (min(n, p) values) and
 * loadings (p x min(n, p), column-major) out.  Errors: a constant column
 * with scale (R: cannot rescale a constant/zero column to unit variance).
 */
AmlStatus	aml_pca(const double *const *cols, long n, int p, bool scale, double *sdev,
					double *loadings, int *n_components, AmlError *err);
/*
 * The components from the upper-triangular factor r (p x p, leading
 * dimension ld) of the n centred (and scaled) rows: its SVD, the signs
 * fixed as above.  Shared with the federated PCA (stats/combine.h).
 */
AmlStatus	aml_pca_from_r(const double *r, int ld, long n, int p, double *sdev, double *loadings,
						   int *n_components, AmlError *err);

#endif
