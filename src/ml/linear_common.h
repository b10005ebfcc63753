/*
 * linear_common.h — what the linear model families share (private to
 * linear_regression.c, coordinate_descent.c, logistic_regression.c and
 * linear_svm.c; the functions are defined in linear_regression.c).
 *
 * Every linear model ends up as the same fitted state: one or more rows of
 * coefficients and an intercept per row, plus a "link" saying how the scores
 * z_r = intercept_r + coef_r . x become outputs:
 *   IDENTITY      regression: out[0] = z_0
 *   LOGISTIC      binary probabilities: out[pos] = 1 / (1 + exp(-z_0)),
 *                 out[neg] = 1 - out[pos], other classes `fill` (0)
 *   SOFTMAX       one row per class, out = softmax(z); a class absent from the
 *                 training data has coefficients 0 and intercept -Infinity
 *   BINARY_SCORE  decision function d = z_0: out[pos] = d, out[neg] = -d,
 *                 other classes `fill` (-DBL_MAX, as sklearn's
 *                 cross_val_predict fills scores of a class a fold lacked)
 *   SCORES        one decision score per class (one-vs-rest); an absent class
 *                 has coefficients 0 and intercept -DBL_MAX
 * so one predict_row, predict_batch, JSON form and importances serve all of
 * them.  predict_row is a plain left-to-right dot product per row and
 * predict_batch accumulates the same terms in the same order column by
 * column, so both give bit-identical numbers.
 */
#ifndef AML_LINEAR_COMMON_H
#define AML_LINEAR_COMMON_H

#include <stdbool.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/estimator.h"

typedef enum AmlLinearLink
{
	AML_LINK_IDENTITY = 0,
	AML_LINK_LOGISTIC,
	AML_LINK_SOFTMAX,
	AML_LINK_BINARY_SCORE,
	AML_LINK_SCORES
} AmlLinearLink;

typedef struct AmlLinearModel
{
	AmlLinearLink link;
	int			n_features;
	int			n_rows;			/* coefficient rows: 1, or one per class */
	int			n_outputs;		/* 1 (regression) or n_classes */
	int			pos_class;		/* LOGISTIC / BINARY_SCORE: output of z > 0 */
	int			neg_class;
	double		fill;			/* LOGISTIC / BINARY_SCORE: the other outputs */
	double	   *coef;			/* n_rows x n_features, row r at coef + r * n_features */
	double	   *intercept;		/* n_rows */
	/* diagnostics, serialised but not used to predict */
	int			n_iter;			/* solver iterations (0 for closed forms) */
	bool		converged;
	int			rank;			/* OLS: columns used; -1 otherwise */
} AmlLinearModel;

/* A zeroed model for est (n_features and outputs from est), attached to nothing. */
AmlStatus	aml_linear_model_new(const AmlEstimator *est, AmlLinearLink link, int n_rows,
								 AmlLinearModel **out, AmlError *err);
void		aml_linear_model_free(AmlLinearModel *m);

/* The AmlEstimatorType callbacks every linear family uses (state is an AmlLinearModel). */
void		aml_linear_predict_row(const AmlEstimator *est, const double *x, double *out);
AmlStatus	aml_linear_predict_batch(const AmlEstimator *est, const AmlMatrix *X,
									 AmlMatrix *out, AmlError *err);
json_object *aml_linear_state_to_json(const AmlEstimator *est);
AmlStatus	aml_linear_state_from_json(AmlEstimator *est, json_object *state, AmlError *err);
void		aml_linear_free_state(AmlEstimator *est);
/* Mean absolute coefficient over the rows fitted on data (absent classes excluded). */
AmlStatus	aml_linear_importances(const AmlEstimator *est, double *out, AmlError *err);

/* Load OpenBLAS if nobody did yet (one thread). */
AmlStatus	aml_linear_need_blas(AmlError *err);

/*
 * Copy X and y, centred when `center` (x_mean, y_mean receive the means,
 * else zeros).  *Xc is a new n x p matrix; *yc a new array of
 * max(n, p) doubles (room for LAPACK least-squares solutions).
 */
AmlStatus	aml_linear_centered_copy(const AmlMatrix *X, const double *y, bool center,
									 AmlMatrix **Xc, double **yc, double *x_mean,
									 double *y_mean, AmlError *err);

/*
 * Classes with at least one row: counts[c] rows of class c (n_classes of
 * them), present[0..k-1] the present classes in increasing order; returns k.
 */
int			aml_linear_class_counts(const double *y, int n, int n_classes, int *counts,
									int *present);

/* a . b with four partial sums (fast; not used for prediction). */
static inline double
aml_linear_dot(const double *a, const double *b, int n)
{
	double		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0;
	int			i = 0;

	for (; i + 4 <= n; i += 4)
	{
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/* y += alpha * x */
static inline void
aml_linear_axpy(int n, double alpha, const double *restrict x, double *restrict y)
{
	for (int i = 0; i < n; i++)
		y[i] += alpha * x[i];
}

#endif
