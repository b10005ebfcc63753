/*
 * logistic_regression_internal.h — what the files of logistic regression
 * share (not a public header; the estimator is reached through estimator.h):
 *
 *   logistic_regression.c         hyperparameters, fit, the estimator type
 *   logistic_regression_blocks.c  the problem and its passes over X by blocks
 *   logistic_regression_l2.c      the l2 solver (trust-region Newton, TRON)
 *   logistic_regression_l1.c      the l1 solver (proximal Newton, newGLMNET)
 */
#ifndef AML_LOGISTIC_REGRESSION_INTERNAL_H
#define AML_LOGISTIC_REGRESSION_INTERNAL_H

#include "ml/linear_common.h"

#include <stdbool.h>

typedef struct LogProblem
{
	const AmlMatrix *X;			/* n x p, column-major */
	int			n;
	int			p;
	int			R;				/* 1: binary (sigmoid); >= 3: softmax over R classes */
	bool		intercept;
	double		lambda;			/* 1 / C */
	const int  *label;			/* binary: 0/1; softmax: 0..R-1 */
	const double *sw;			/* row weights, NULL = all 1 */
	int			nparam;			/* p R (+ R intercepts); W column r at theta + r p */
	int			bs;				/* rows per block of the fused passes */
	double	   *P;				/* n x R probabilities at the current point */
	double	   *Z;				/* n x R scores at the current point (l1) */
	double	   *blk;			/* 3 bs R + bs (p + 1) scratch for one block */
} LogProblem;

#define SW(pb, i) ((pb)->sw ? (pb)->sw[i] : 1.0)

/* logistic_regression_blocks.c */
int			aml_logreg_block_rows(int n, int p);
void		aml_logreg_block_scores(const LogProblem *pb, int i0, int m, const double *theta,
									double *Zb);
void		aml_logreg_block_xt_add(const LogProblem *pb, int i0, int m, const double *A,
									double *g);
double		aml_logreg_block_loss(const LogProblem *pb, int i0, int m, const double *Zb,
								  double *P, double *res, double *h);

/* logistic_regression_l2.c, logistic_regression_l1.c: minimise the objective from theta */
AmlStatus	aml_logreg_solve_l2(LogProblem *pb, double *theta, int max_iter, double tol,
								int *n_iter, bool *converged, AmlError *err);
AmlStatus	aml_logreg_solve_l1(LogProblem *pb, double *theta, int max_iter, double tol,
								int *n_iter, bool *converged, AmlError *err);

#endif							/* AML_LOGISTIC_REGRESSION_INTERNAL_H */
