/*
 * logistic_regression.c — logistic regression ("logistic_regression"):
 * binary, and multinomial (softmax) for more than two classes, with an L2 or
 * an L1 penalty on the coefficients (the intercept is never penalised).
 *
 * The objective is sklearn's:
 *     penalty l2:  sum_i s_i loss_i + 1 / (2 C) ||W||^2
 *     penalty l1:  sum_i s_i loss_i + 1 / C ||W||_1
 * with loss_i the log loss of row i and s_i its weight (1, or
 * n / (k * rows of its class) with class_weight "balanced").
 *
 * Solvers:
 *   l2  trust-region Newton with preconditioned conjugate gradients (the
 *       TRON method of LIBLINEAR), matrix-free: each Hessian-vector product
 *       is one pass over X by blocks of rows that stay in cache (X v and
 *       X' (D X v) per block), and one such pass also gives the value,
 *       gradient and Jacobi preconditioner at a trial point.  It converges
 *       in a few Newton steps, also on unscaled data where lbfgs struggles.
 *   l1  proximal Newton (newGLMNET): a quadratic model of the log loss per
 *       block of coefficients (the binary model, or one class of the
 *       multinomial model at a time), minimised by coordinate descent with
 *       soft thresholding on the explicit block Hessian [X 1]' D [X 1] (up to
 *       512 features; beyond, column by column), then a backtracking line
 *       search on the penalised objective.
 * Both stop when the largest component of the gradient (for l1 the
 * minimum-norm subgradient) is at most tol: the "gtol" test sklearn's
 * default lbfgs applies to the same objective.  l2 also stops, like lbfgs,
 * when an accepted step decreases the objective by less than a relative
 * 2.2e-9 (scipy's default "ftol", scaled here by tol / 1e-4 so that a
 * smaller tol asks for more).  Newton steps converge fast, so at the same
 * tol the coefficients are closer to the exact optimum than sklearn's.
 *
 * Classes without training rows (a CV fold) get probability 0: the model is
 * fitted on the classes present (binary when two are), as sklearn would fit
 * the fold, and cross_val_predict fills absent classes with 0.
 */
#include "ml/logistic_regression_internal.h"

#include "core/blas.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct LogRegParams
{
	int			penalty;		/* 0 l2, 1 l1 */
	double		C;
	bool		fit_intercept;
	int			max_iter;
	double		tol;
	int			class_weight;	/* 0 none, 1 balanced */
} LogRegParams;

static const char *const penalty_choices[] = {"l2", "l1", NULL};
static const char *const class_weight_choices[] = {"none", "balanced", NULL};

static const AmlParamSpec logreg_specs[] = {
	{"penalty", AML_PARAM_CHOICE, offsetof(LogRegParams, penalty), 0, 0, 1,
		.choices = penalty_choices,
		.description = "penalty on the coefficients: \"l2\" (squared norm) or \"l1\" (sparse)"},
	{"C", AML_PARAM_DOUBLE, offsetof(LogRegParams, C), 1.0, 0, INFINITY, true, false,
		.description = "inverse of the penalty strength (smaller C = stronger penalty)"},
	{"fit_intercept", AML_PARAM_BOOL, offsetof(LogRegParams, fit_intercept), 1, 0, 1,
		.description = "fit an unpenalised intercept per class"},
	{"max_iter", AML_PARAM_INT, offsetof(LogRegParams, max_iter), 100, 1, 100000000,
		.description = "maximum number of Newton iterations"},
	{"tol", AML_PARAM_DOUBLE, offsetof(LogRegParams, tol), 1e-4, 0, INFINITY,
		.description = "stop when no gradient component of the objective exceeds tol"},
	{"class_weight", AML_PARAM_CHOICE, offsetof(LogRegParams, class_weight), 0, 0, 1,
		.choices = class_weight_choices,
		.description = "\"balanced\" weighs rows inversely to their class frequency"},
};

/* ================================================================ fit */

static AmlStatus
logreg_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
		   AmlError *err)
{
	const LogRegParams *params = (const LogRegParams *) est->params;
	const int	n = X->rows;
	const int	p = X->cols;
	const int	K = est->n_classes;
	int		   *counts = AML_NEW_ARRAY(int, K);
	int		   *present = AML_NEW_ARRAY(int, K);
	int		   *index_of = AML_NEW_ARRAY(int, K);
	int		   *label = AML_NEW_ARRAY(int, n);
	double	   *sw = NULL;
	double	   *theta = NULL;
	double	   *arrays = NULL;
	AmlLinearModel *model = NULL;
	LogProblem	pb;
	int			k;
	AmlStatus	st = AML_OK;

	memset(&pb, 0, sizeof(pb));
	if (counts == NULL || present == NULL || index_of == NULL || label == NULL)
	{
		st = aml_error_nomem(err, "logistic regression workspace");
		goto done;
	}
	st = aml_linear_need_blas(err);
	if (st != AML_OK)
		goto done;
	k = aml_linear_class_counts(y, n, K, counts, present);
	for (int c = 0; c < K; c++)
		index_of[c] = -1;
	for (int a = 0; a < k; a++)
		index_of[present[a]] = a;

	if (k < 2)
	{
		/* one class: it gets probability 1 */
		st = aml_linear_model_new(est, AML_FORM_SOFTMAX, K, &model, err);
		if (st != AML_OK)
			goto done;
		for (int c = 0; c < K; c++)
			model->intercept[c] = c == present[0] ? 0.0 : -INFINITY;
		goto finish;
	}

	if (params->class_weight == 1)
	{
		sw = AML_NEW_ARRAY(double, n);
		if (sw == NULL)
		{
			st = aml_error_nomem(err, "logistic regression weights");
			goto done;
		}
		for (int i = 0; i < n; i++)
			sw[i] = (double) n / ((double) k * counts[(int) y[i]]);
	}
	pb.X = X;
	pb.n = n;
	pb.p = p;
	pb.R = k == 2 ? 1 : k;
	pb.intercept = params->fit_intercept;
	pb.lambda = 1.0 / params->C;
	pb.label = label;
	pb.sw = sw;
	pb.nparam = p * pb.R + (pb.intercept ? pb.R : 0);
	for (int i = 0; i < n; i++)
		label[i] = k == 2 ? ((int) y[i] == present[1]) : index_of[(int) y[i]];

	pb.bs = aml_logreg_block_rows(n, p);
	theta = AML_NEW_ARRAY(double, pb.nparam + 1);
	/* P, Z (l1 only) and one block's scratch */
	arrays = AML_NEW_ARRAY(double, (size_t) n * pb.R * (params->penalty == 1 ? 2 : 1) +
						   (size_t) pb.bs * (3 * (size_t) pb.R + p + 1));
	if (theta == NULL || arrays == NULL)
	{
		st = aml_error_nomem(err, "logistic regression workspace");
		goto done;
	}
	pb.P = arrays;
	pb.blk = pb.P + (size_t) n * pb.R;
	if (params->penalty == 1)
	{
		pb.Z = pb.blk;
		pb.blk = pb.Z + (size_t) n * pb.R;
	}

	st = aml_linear_model_new(est, pb.R == 1 ? AML_FORM_LOGISTIC : AML_FORM_SOFTMAX,
							  pb.R == 1 ? 1 : K, &model, err);
	if (st != AML_OK)
		goto done;
	if (params->penalty == 0)
		st = aml_logreg_solve_l2(&pb, theta, params->max_iter, params->tol, &model->n_iter,
					  &model->converged, err);
	else
		st = aml_logreg_solve_l1(&pb, theta, params->max_iter, params->tol, &model->n_iter,
					  &model->converged, err);
	if (st != AML_OK)
		goto done;

	if (pb.R == 1)
	{
		memcpy(model->coef, theta, sizeof(double) * p);
		model->intercept[0] = pb.intercept ? theta[p] : 0.0;
		model->pos_class = present[1];
		model->neg_class = present[0];
		model->fill = 0;
	}
	else
	{
		double		mean_b = 0;

		/* intercepts are defined up to a common shift: centre them like sklearn */
		if (pb.intercept)
		{
			for (int r = 0; r < pb.R; r++)
				mean_b += theta[(size_t) p * pb.R + r];
			mean_b /= pb.R;
		}
		for (int c = 0; c < K; c++)
		{
			int			r = index_of[c];

			if (r < 0)
			{
				model->intercept[c] = -INFINITY;
				continue;
			}
			memcpy(model->coef + (size_t) c * p, theta + (size_t) r * p, sizeof(double) * p);
			model->intercept[c] = pb.intercept ? theta[(size_t) p * pb.R + r] - mean_b : 0.0;
		}
	}
finish:
	est->state = model;
	model = NULL;
done:
	aml_linear_model_free(model);
	aml_free(counts);
	aml_free(present);
	aml_free(index_of);
	aml_free(label);
	aml_free(sw);
	aml_free(theta);
	aml_free(arrays);
	return st;
}

const AmlEstimatorType aml_logistic_regression_type = {
	.name = "logistic_regression",
	.label = "logistic regression",
	.tasks = AML_TASK_CLASSIFICATION,
	.params = {logreg_specs, AML_PARAM_COUNT(logreg_specs), sizeof(LogRegParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.probabilistic = true,
	.fit = logreg_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_SOFTMAX,
};
