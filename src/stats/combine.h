/*
 * combine.h — sufficient statistics that nodes of a federation compute on
 * their own rows and a central node combines into the statistics of the
 * union of the rows, exactly (map-reduce; src/federation).
 *
 * Linear models: a node folds its rows [x_1 .. x_p, y] into the triangular
 * factor R_k of the streaming QR of qr.h (R_k' R_k = [X_k y_k]' [X_k y_k], the
 * node's X'X, X'y and y'y, in factored form).  The centre stacks the nodes'
 * factors and folds them into one more QR: R' R = sum_k R_k' R_k =
 * [X y]' [X y] of the union, so the centre holds the factor of the pooled
 * rows (up to the signs of its rows, which no statistic depends on) without
 * a single row, and everything lm.h computes (R's pivoting, inference,
 * ANOVA of any type) follows from it.  Factored rather than X'X because
 * forming X'X squares the condition number: stacking factors loses no
 * more than the pooled QR does.
 *
 * Moments: (n, sum, sxx) of nodes combined as PostgreSQL's float8_combine
 * does (Chan et al.), so the federated mean and sample standard deviation
 * equal avg() and stddev_samp() over the union to rounding.
 */
#ifndef AML_STATS_COMBINE_H
#define AML_STATS_COMBINE_H

#include "core/stats.h"
#include "core/status.h"
#include "stats/design.h"
#include "stats/lm.h"

/* What one node sends for a linear model (all over its complete rows). */
typedef struct AmlLmSuff
{
	long		n;
	int			m;				/* design columns + 1 (the response) */
	double	   *r;				/* m x m column-major, upper triangle */
	AmlMoments	y;				/* moments of the response */
	double		yss;			/* sum y^2 */
	long	   *nonzero;		/* per design column: rows where it is not 0 */
} AmlLmSuff;

/*
 * A node's statistics of its rows (data->x holds level indexes of the
 * design's levels for factors), folded as aml_lm_fit folds them
 * (aml_lm_accumulate).  Errors: out of memory, interrupted.
 */
AmlStatus	aml_lm_suff_compute(const AmlDesign *design, const AmlLmData *data, AmlLmSuff **out,
								AmlError *err);
/* An empty accumulator for the union (m = design columns + 1). */
AmlStatus	aml_lm_suff_create(int m, AmlLmSuff **out, AmlError *err);
void		aml_lm_suff_free(AmlLmSuff *s);

/* Accumulates nodes' statistics; aml_lm_combine_finish gives the model. */
typedef struct AmlLmCombine AmlLmCombine;

AmlStatus	aml_lm_combine_begin(int m, AmlLmCombine **out, AmlError *err);
/* Add one node's n, factor r (m x m), y moments and y'y. */
void		aml_lm_combine_add(AmlLmCombine *c, long n, const double *r, const AmlMoments *y, double yss);
/*
 * Add one node's factor in the node's own coding: r is ml x ml (its own
 * design columns, then the response), map is (ml - 1) x (m - 1),
 * column-major, with X_centre = X_node map on the node's rows (a 0/±1
 * matrix: each centre column a signed sum of the node's cell columns).
 * The rows of [R_l[:, :ml-1] map, R_l[:, ml-1]] are folded as data rows:
 * their cross-products are map' X'X map, X'y map, y'y — the node's in the
 * centre's coding (see fed_lm.c for the numerical argument).
 */
void		aml_lm_combine_add_mapped(AmlLmCombine *c, long n, int ml, const double *r,
									  const double *map, const AmlMoments *y, double yss);
/*
 * The model of the union, as aml_lm_fit() would give on the pooled rows
 * (errors as aml_lm_fit's: no rows, fewer rows than coefficients).
 * Frees c.
 */
AmlStatus	aml_lm_combine_finish(AmlLmCombine *c, const AmlDesign *design, AmlLm **out, AmlError *err);

/* Moments of the union of two sets of values (PostgreSQL's float8_combine). */
void		aml_moments_merge(AmlMoments *into, const AmlMoments *other);

/*
 * Co-moments of a pair of columns over the rows where both are present
 * (pairwise-complete, as cor.test on the pair): count, means, sums of
 * squared and crossed deviations.  Merged as Chan et al.; the Pearson
 * correlation of the union is cxy / sqrt(cxx cyy).
 */
typedef struct AmlCoMoments
{
	double		n;
	double		mx;
	double		my;
	double		cxx;
	double		cyy;
	double		cxy;
} AmlCoMoments;

/* x[i], y[i] with NaN for missing (such rows are skipped). */
void		aml_comoments_compute(const double *x, const double *y, long n, AmlCoMoments *out);
void		aml_comoments_merge(AmlCoMoments *into, const AmlCoMoments *other);

/*
 * PCA of the union: a node sends n, its column means and the triangular
 * factor R_k (p x p, column-major) of its rows centred at its own means
 * (R_k' R_k = its centred cross-products).  The centre stacks every R_k
 * and the rows sqrt(n_k) (mean_k - mean) (the between-node part), scales
 * the columns by the pooled standard deviations when asked, and folds them
 * into one more QR: the factor of the pooled centred (scaled) rows, whose
 * SVD is prcomp's (aml_pca_from_r, describe.h).
 */
AmlStatus	aml_cov_factor(const double *const *cols, long n, int p, double *mean, double *r,
						   AmlError *err);
/*
 * nodes: count n[k], means mean[k] (p), factors r[k] (p x p).  Errors as
 * aml_pca's (fewer than 2 rows, a constant column with scale).
 */
AmlStatus	aml_pca_combine(int nodes, const long *n, const double *const *mean,
							const double *const *r, int p, bool scale, double *sdev,
							double *loadings, int *n_components, AmlError *err);

/*
 * True when a design column is a count of rows: every variable of its term
 * is a factor (the intercept and numeric columns are not).  Such a column's
 * non-zero count is the size of a group of rows.
 */
bool		aml_design_col_is_group(const AmlDesign *d, int col);

#endif
