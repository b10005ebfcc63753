/*
 * linear_common.h — what the linear model families share (private to
 * linear_regression.c, coordinate_descent.c, logistic_regression.c and
 * linear_svm.c; the functions are defined in linear_regression.c).
 *
 * Every linear model ends up as the same fitted state: one or more rows of
 * coefficients and an intercept per row, plus a "form" saying how the scores
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
 * predict_batch accumulates the same terms in the same order (by blocks of
 * rows, a few columns at a time), so both give bit-identical numbers.
 */
#ifndef AML_LINEAR_COMMON_H
#define AML_LINEAR_COMMON_H

#include <stdbool.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/estimator.h"

typedef enum AmlLinearForm
{
	AML_FORM_IDENTITY = 0,
	AML_FORM_LOGISTIC,
	AML_FORM_SOFTMAX,
	AML_FORM_BINARY_SCORE,
	AML_FORM_SCORES
} AmlLinearForm;

typedef struct AmlLinearModel
{
	AmlLinearForm form;
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
AmlStatus	aml_linear_model_new(const AmlEstimator *est, AmlLinearForm form, int n_rows,
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

/* Column means of X and the mean of y (zeros unless `center`). */
void		aml_linear_means(const AmlMatrix *X, const double *y, bool center, double *x_mean,
							 double *y_mean);

/*
 * The intercept of a model fitted on centred data: y_mean - x_mean . coef
 * when `fit_intercept`, else 0 (into model->intercept[0]).
 */
void		aml_linear_set_intercept(AmlLinearModel *model, bool fit_intercept,
									 const double *x_mean, double y_mean, int p);

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

/*
 * Small vector kernels for the solvers (not for prediction, whose order of
 * operations is fixed).  The build compiles with -O2, where GCC does not
 * vectorise loops, so they use GCC/clang vector types of two doubles.
 */
#if defined(__GNUC__) || defined(__clang__)
typedef double aml_v2d __attribute__((vector_size(16), aligned(8), may_alias));
#define AML_HAVE_V2D 1
#endif

/* sum of a[0 .. n-1] */
static inline double
aml_linear_sum(const double *a, int n)
{
	double		s = 0;
	int			i = 0;

#ifdef AML_HAVE_V2D
	aml_v2d		s0 = {0, 0},
				s1 = {0, 0};

	for (; i + 4 <= n; i += 4)
	{
		s0 += *(const aml_v2d *) (a + i);
		s1 += *(const aml_v2d *) (a + i + 2);
	}
	s0 += s1;
	s = s0[0] + s0[1];
#endif
	for (; i < n; i++)
		s += a[i];
	return s;
}

/* dst = src - c */
static inline void
aml_linear_shift(int n, const double *restrict src, double c, double *restrict dst)
{
	int			i = 0;

#ifdef AML_HAVE_V2D
	const aml_v2d cv = {c, c};

	for (; i + 4 <= n; i += 4)
	{
		*(aml_v2d *) (dst + i) = *(const aml_v2d *) (src + i) - cv;
		*(aml_v2d *) (dst + i + 2) = *(const aml_v2d *) (src + i + 2) - cv;
	}
#endif
	for (; i < n; i++)
		dst[i] = src[i] - c;
}

/* a . b */
static inline double
aml_linear_dot(const double *a, const double *b, int n)
{
	double		s = 0;
	int			i = 0;

#ifdef AML_HAVE_V2D
	aml_v2d		s0 = {0, 0},
				s1 = {0, 0};

	for (; i + 4 <= n; i += 4)
	{
		s0 += *(const aml_v2d *) (a + i) * *(const aml_v2d *) (b + i);
		s1 += *(const aml_v2d *) (a + i + 2) * *(const aml_v2d *) (b + i + 2);
	}
	s0 += s1;
	s = s0[0] + s0[1];
#endif
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* sum_i a_i b_i c_i */
static inline double
aml_linear_dot3(const double *a, const double *b, const double *c, int n)
{
	double		s = 0;
	int			i = 0;

#ifdef AML_HAVE_V2D
	aml_v2d		s0 = {0, 0},
				s1 = {0, 0};

	for (; i + 4 <= n; i += 4)
	{
		s0 += *(const aml_v2d *) (a + i) * *(const aml_v2d *) (b + i) *
			*(const aml_v2d *) (c + i);
		s1 += *(const aml_v2d *) (a + i + 2) * *(const aml_v2d *) (b + i + 2) *
			*(const aml_v2d *) (c + i + 2);
	}
	s0 += s1;
	s = s0[0] + s0[1];
#endif
	for (; i < n; i++)
		s += a[i] * b[i] * c[i];
	return s;
}

/* y += alpha * x */
static inline void
aml_linear_axpy(int n, double alpha, const double *restrict x, double *restrict y)
{
	int			i = 0;

#ifdef AML_HAVE_V2D
	const aml_v2d av = {alpha, alpha};

	for (; i + 4 <= n; i += 4)
	{
		*(aml_v2d *) (y + i) += av * *(const aml_v2d *) (x + i);
		*(aml_v2d *) (y + i + 2) += av * *(const aml_v2d *) (x + i + 2);
	}
#endif
	for (; i < n; i++)
		y[i] += alpha * x[i];
}

#endif
