/*
 * coordinate_descent.c — lasso ("lasso") and elastic net ("elastic_net")
 * regression by cyclic or random coordinate descent.
 *
 * Both minimise sklearn's objective
 *     1 / (2 n) ||y - Xw - b||^2 + alpha l1_ratio ||w||_1
 *                                + alpha (1 - l1_ratio) / 2 ||w||^2
 * (lasso: l1_ratio = 1) on centred X and y, with sklearn's stopping rule:
 * after an epoch whose largest coefficient change is below tol times the
 * largest coefficient (or after the last epoch), compute the duality gap and
 * stop when it is below tol * ||y - mean(y)||^2.  The same coordinate updates
 * in the same order (selection "cyclic") give the same iterates as
 * sklearn's ElasticNet up to floating-point rounding; "random" draws the
 * coordinates from the AmlRng handed to fit.
 */
#include "ml/linear_common.h"

#include "core/blas.h"
#include "core/memory.h"
#include "core/random.h"

#include <math.h>
#include <stddef.h>

typedef struct EnetParams
{
	double		alpha;
	double		l1_ratio;
	bool		fit_intercept;
	int			max_iter;
	double		tol;
	int			selection;		/* 0 cyclic, 1 random */
} EnetParams;

static const char *const selection_choices[] = {"cyclic", "random", NULL};

#define ALPHA_SPEC(what) \
	{"alpha", AML_PARAM_DOUBLE, offsetof(EnetParams, alpha), 1.0, 0, INFINITY, \
		.description = what}
#define COMMON_SPECS \
	{"fit_intercept", AML_PARAM_BOOL, offsetof(EnetParams, fit_intercept), 1, 0, 1, \
		.description = "fit an unpenalised intercept (else the model goes through the origin)"}, \
	{"max_iter", AML_PARAM_INT, offsetof(EnetParams, max_iter), 1000, 1, 100000000, \
		.description = "maximum number of coordinate descent epochs"}, \
	{"tol", AML_PARAM_DOUBLE, offsetof(EnetParams, tol), 1e-4, 0, INFINITY, \
		.description = "stop when the duality gap is below tol times the sum of squares of the centred target"}, \
	{"selection", AML_PARAM_CHOICE, offsetof(EnetParams, selection), 0, 0, 1, \
		.choices = selection_choices, \
		.description = "order of coordinate updates: \"cyclic\" or \"random\""}

static const AmlParamSpec lasso_specs[] = {
	ALPHA_SPEC("L1 penalty strength: the objective is ||y - Xw||^2 / (2 n) + alpha ||w||_1"),
	COMMON_SPECS,
};

static const AmlParamSpec enet_specs[] = {
	ALPHA_SPEC("penalty strength: ||y - Xw||^2 / (2 n) + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2"),
	{"l1_ratio", AML_PARAM_DOUBLE, offsetof(EnetParams, l1_ratio), 0.5, 0, 1,
		.description = "share of the L1 penalty in the mix (1 = lasso, 0 = ridge)"},
	COMMON_SPECS,
};

/*
 * Minimise 1/2 ||y - Xw||^2 + l1 ||w||_1 + l2/2 ||w||^2 for centred X (n x p,
 * column-major) and y, from w = 0.  Returns the epochs run through *n_iter.
 */
static AmlStatus
enet_descent(const AmlMatrix *X, const double *y, double l1, double l2, int max_iter,
			 double tol, bool random, AmlRng *rng, double *w, int *n_iter,
			 bool *converged, AmlError *err)
{
	const int	n = X->rows;
	const int	p = X->cols;
	double	   *norm2 = AML_NEW_ARRAY(double, p + 1);
	double	   *R = AML_NEW_ARRAY(double, n);
	double		gap_tol;
	int			iter;

	*converged = false;
	*n_iter = 0;
	if (norm2 == NULL || R == NULL)
	{
		aml_free(norm2);
		aml_free(R);
		return aml_error_nomem(err, "coordinate descent workspace");
	}
	for (int j = 0; j < p; j++)
	{
		w[j] = 0;
		norm2[j] = aml_ddot(n, AML_COL(X, j), 1, AML_COL(X, j), 1);
	}
	for (int i = 0; i < n; i++)
		R[i] = y[i];			/* residual y - Xw with w = 0 */
	gap_tol = tol * aml_ddot(n, y, 1, y, 1);

	for (iter = 0; iter < max_iter; iter++)
	{
		double		w_max = 0;
		double		dw_max = 0;

		if (aml_interrupted())
		{
			aml_free(norm2);
			aml_free(R);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		for (int f = 0; f < p; f++)
		{
			int			j = random ? (int) aml_rng_below(rng, (uint64_t) p) : f;
			const double *xj = AML_COL(X, j);
			double		w_old = w[j];
			double		t;
			double		w_new;

			if (norm2[j] == 0)
				continue;
			/*
			 * x_j . (R + w_old x_j) without adding w_old x_j to R first, and
			 * one update of R by the change (sklearn adds then subtracts)
			 */
			t = aml_ddot(n, xj, 1, R, 1) + w_old * norm2[j];
			w_new = fabs(t) > l1 ? copysign(fabs(t) - l1, t) / (norm2[j] + l2) : 0.0;
			w[j] = w_new;
			if (w_new != w_old)
				aml_daxpy(n, w_old - w_new, xj, 1, R, 1);
			if (fabs(w_new - w_old) > dw_max)
				dw_max = fabs(w_new - w_old);
			if (fabs(w_new) > w_max)
				w_max = fabs(w_new);
		}
		if (w_max == 0 || dw_max / w_max < tol || iter == max_iter - 1)
		{
			/* duality gap, as sklearn's enet_coordinate_descent computes it */
			double		dual_norm = 0;
			double		r_norm2 = aml_ddot(n, R, 1, R, 1);
			double		w_norm2 = 0;
			double		l1_norm = 0;
			double		scale;
			double		gap;

			for (int j = 0; j < p; j++)
			{
				double		xta = aml_ddot(n, AML_COL(X, j), 1, R, 1) - l2 * w[j];

				if (fabs(xta) > dual_norm)
					dual_norm = fabs(xta);
				w_norm2 += w[j] * w[j];
				l1_norm += fabs(w[j]);
			}
			if (dual_norm > l1)
			{
				scale = l1 / dual_norm;
				gap = 0.5 * (r_norm2 + r_norm2 * scale * scale);
			}
			else
			{
				scale = 1.0;
				gap = r_norm2;
			}
			gap += l1 * l1_norm - scale * aml_ddot(n, R, 1, y, 1) +
				0.5 * l2 * (1 + scale * scale) * w_norm2;
			/* "<= 0" also stops a constant target, whose tolerance is 0 */
			if (gap < gap_tol || gap <= 0)
			{
				*converged = true;
				iter++;
				break;
			}
		}
	}
	*n_iter = iter > max_iter ? max_iter : iter;
	aml_free(norm2);
	aml_free(R);
	return AML_OK;
}

static AmlStatus
enet_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
		 AmlError *err)
{
	const EnetParams *params = (const EnetParams *) est->params;
	const bool	lasso = est->type == &aml_lasso_type;
	const double l1_ratio = lasso ? 1.0 : params->l1_ratio;
	const int	n = X->rows;
	const int	p = X->cols;
	AmlMatrix  *Xc = NULL;
	double	   *yc = NULL;
	double	   *x_mean = NULL;
	double		y_mean;
	AmlLinearModel *model = NULL;
	AmlRng		local;
	AmlStatus	st;

	if (rng == NULL)
	{
		aml_rng_seed(&local, 0);
		rng = &local;
	}
	AML_TRY(aml_linear_need_blas(err));
	AML_TRY(aml_linear_model_new(est, AML_FORM_IDENTITY, 1, &model, err));
	x_mean = AML_NEW_ARRAY(double, p + 1);
	if (x_mean == NULL)
	{
		st = aml_error_nomem(err, "coordinate descent workspace");
		goto done;
	}
	st = aml_linear_centered_copy(X, y, params->fit_intercept, &Xc, &yc, x_mean, &y_mean, err);
	if (st != AML_OK)
		goto done;
	st = enet_descent(Xc, yc, params->alpha * l1_ratio * n,
					  params->alpha * (1.0 - l1_ratio) * n, params->max_iter, params->tol,
					  params->selection == 1, rng, model->coef, &model->n_iter,
					  &model->converged, err);
	if (st != AML_OK)
		goto done;
	aml_linear_set_intercept(model, params->fit_intercept, x_mean, y_mean, p);
	est->state = model;
	model = NULL;
done:
	aml_linear_model_free(model);
	aml_matrix_free(Xc);
	aml_free(yc);
	aml_free(x_mean);
	return st;
}

const AmlEstimatorType aml_lasso_type = {
	.name = "lasso",
	.label = "lasso regression",
	.tasks = AML_TASK_REGRESSION,
	.params = {lasso_specs, AML_PARAM_COUNT(lasso_specs), sizeof(EnetParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.probabilistic = false,
	.fit = enet_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_IDENTITY,
};

const AmlEstimatorType aml_elastic_net_type = {
	.name = "elastic_net",
	.label = "elastic net regression",
	.tasks = AML_TASK_REGRESSION,
	.params = {enet_specs, AML_PARAM_COUNT(enet_specs), sizeof(EnetParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.probabilistic = false,
	.fit = enet_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_IDENTITY,
};
