/*
 * qr.h — least squares as R's lm() solves it, in one pass over the rows.
 *
 * Rows [x_1 .. x_p, y] are folded into the (p+1) x (p+1) upper-triangular
 * factor R of the augmented matrix [X y] = Q R by Householder reflections
 * on blocks of rows (a streaming "TSQR"): the rows are never all held, and
 * R carries everything least squares needs, because Q is orthogonal: the
 * column norms, the projections of any column on any others and the
 * residual sum of squares of any sub-model are those of [X y].
 *
 * aml_ls_solve() then runs R's pivoting rule (LINPACK dqrdc2 as modified for
 * R, which lm.fit calls with tol = 1e-7, glm.fit with 1e-11) on that small
 * factor: columns are taken in order, and a column whose norm after
 * projection on the columns already kept falls below tol times its
 * original norm is aliased (moved to the end, its coefficient NA).  So
 * the same columns are aliased as in R, and kept columns keep their order.
 */
#ifndef AML_STATS_QR_H
#define AML_STATS_QR_H

#include <stdbool.h>

#include "core/status.h"

typedef struct AmlQRAccum
{
	int			m;				/* p + 1 */
	double	   *r;				/* m x m, column-major, upper triangle */
	double	   *block;			/* block_rows x m, column-major */
	int			block_rows;
	int			filled;
	long		n_rows;
} AmlQRAccum;

AmlStatus	aml_qr_accum_create(int m, AmlQRAccum **out, AmlError *err);
/* Add one row of m values (the response last), scaled by w (1 for lm). */
void		aml_qr_accum_add(AmlQRAccum *a, const double *row, double w);
/* Fold any buffered rows into r. */
void		aml_qr_accum_flush(AmlQRAccum *a);
void		aml_qr_accum_reset(AmlQRAccum *a);
void		aml_qr_accum_free(AmlQRAccum *a);

typedef struct AmlLsFit
{
	int			p;
	int			rank;
	int		   *pivot;			/* p: position -> original column; kept columns first */
	double	   *coef;			/* p, original order; NaN when aliased */
	double	   *rinv;			/* rank x rank inverse of the pivoted R (upper) */
	double	   *effects;		/* m: Q'y in pivoted order (rank first entries per kept column) */
	double		rss;
} AmlLsFit;

/* Solve from the augmented factor (m = p + 1) with R's pivoting tolerance. */
AmlStatus	aml_ls_solve(const double *raug, int m, double tol, AmlLsFit **out, AmlError *err);
void		aml_ls_free(AmlLsFit *fit);
/*
 * Residual sum of squares of the least-squares fit on columns cols[0..k-1]
 * of the augmented factor (the response is column m-1), and its rank.
 */
AmlStatus	aml_ls_rss_subset(const double *raug, int m, const int *cols, int k, double *rss,
							  int *rank, AmlError *err);

#endif
