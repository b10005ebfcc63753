/*
 * linear_svm.c — linear support vector classifier ("linear_svm"), the model
 * of sklearn's LinearSVC (LIBLINEAR): L2 penalty, hinge or squared hinge
 * loss, one-vs-rest for more than two classes, solved by dual coordinate
 * descent with shrinking (Hsieh et al., 2008), as LIBLINEAR does.
 *
 * Primal problem, for labels y_i in {-1, +1} and x~_i = [x_i, intercept_scaling]:
 *     min_w  1/2 ||w||^2 + sum_i C_i loss(y_i w . x~_i)
 *     loss = max(0, 1 - m)^2 (squared_hinge) or max(0, 1 - m) (hinge)
 * so, as in LIBLINEAR and sklearn, the intercept is penalised like a
 * coefficient (its scale is intercept_scaling).  Stops when the projected
 * gradient of the dual spans at most tol (LIBLINEAR's eps), or after
 * max_iter passes.  Coordinates are visited in a random order drawn from the
 * AmlRng handed to fit (one derived stream per one-vs-rest problem), so the
 * result depends on the seed only within tol, like sklearn's random_state.
 *
 * Not probabilistic: the outputs are decision scores.  Two classes: d for
 * the second class and -d for the first; more: one score per class.  A class
 * without training rows gets score -DBL_MAX (what sklearn's cross_val_predict
 * fills in for decision functions).  class_weight "balanced" scales C per
 * class like LIBLINEAR does (binary: each class its weight; one-vs-rest: the
 * "one" class its weight, the rest C).
 */
#include "ml/linear_common.h"

#include "core/memory.h"
#include "core/random.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct SvmParams
{
	int			penalty;		/* 0: l2 */
	int			loss;			/* 0 squared_hinge, 1 hinge */
	double		C;
	bool		fit_intercept;
	double		intercept_scaling;
	double		tol;
	int			max_iter;
	int			class_weight;	/* 0 none, 1 balanced */
} SvmParams;

static const char *const svm_penalty_choices[] = {"l2", NULL};
static const char *const svm_loss_choices[] = {"squared_hinge", "hinge", NULL};
static const char *const svm_class_weight_choices[] = {"none", "balanced", NULL};

static const AmlParamSpec svm_specs[] = {
	{"penalty", AML_PARAM_CHOICE, offsetof(SvmParams, penalty), 0, 0, 0,
		.choices = svm_penalty_choices,
		.description = "penalty on the coefficients (only \"l2\")"},
	{"loss", AML_PARAM_CHOICE, offsetof(SvmParams, loss), 0, 0, 1,
		.choices = svm_loss_choices,
		.description = "\"squared_hinge\" or \"hinge\" (the standard SVM loss)"},
	{"C", AML_PARAM_DOUBLE, offsetof(SvmParams, C), 1.0, 0, INFINITY, true, false,
		.description = "inverse of the penalty strength (smaller C = stronger penalty)"},
	{"fit_intercept", AML_PARAM_BOOL, offsetof(SvmParams, fit_intercept), 1, 0, 1,
		.description = "fit an intercept (penalised, as a constant feature)"},
	{"intercept_scaling", AML_PARAM_DOUBLE, offsetof(SvmParams, intercept_scaling), 1.0, 0,
		INFINITY, true, false,
		.description = "value of the constant feature standing for the intercept (larger = weaker penalty on it)"},
	{"tol", AML_PARAM_DOUBLE, offsetof(SvmParams, tol), 1e-4, 0, INFINITY, true, false,
		.description = "stop when the projected gradient of the dual problem spans at most tol"},
	{"max_iter", AML_PARAM_INT, offsetof(SvmParams, max_iter), 1000, 1, 100000000,
		.description = "maximum number of passes over the data"},
	{"class_weight", AML_PARAM_CHOICE, offsetof(SvmParams, class_weight), 0, 0, 1,
		.choices = svm_class_weight_choices,
		.description = "\"balanced\" scales C inversely to class frequency"},
};

typedef struct SvmData
{
	const double *Xr;			/* n x q, row-major, last column the intercept feature */
	int			n;
	int			q;				/* features + 1 with an intercept */
	const double *xnorm;		/* squared row norms */
	/* per-problem work */
	double	   *alpha;
	double	   *QD;
	int		   *index;
	signed char *yy;
} SvmData;

/*
 * Dual coordinate descent for one binary problem (yy[i] = +1 / -1), C_pos for
 * the +1 rows and C_neg for the others.  w (q values) receives the solution.
 */
static AmlStatus
svm_dual_cd(SvmData *sd, double C_pos, double C_neg, bool hinge, double eps, int max_iter,
			AmlRng *rng, double *w, int *n_iter, bool *converged, AmlError *err)
{
	const int	n = sd->n;
	const int	q = sd->q;
	/* squared hinge: diag = 1 / (2 C), no upper bound; hinge: diag = 0, bound C */
	const double diag_pos = hinge ? 0.0 : 0.5 / C_pos;
	const double diag_neg = hinge ? 0.0 : 0.5 / C_neg;
	const double upper_pos = hinge ? C_pos : INFINITY;
	const double upper_neg = hinge ? C_neg : INFINITY;
	double		pg_max_old = INFINITY;
	double		pg_min_old = -INFINITY;
	int			active = n;
	int			iter = 0;

	*converged = false;
	for (int j = 0; j < q; j++)
		w[j] = 0;
	for (int i = 0; i < n; i++)
	{
		sd->alpha[i] = 0;
		sd->QD[i] = sd->xnorm[i] + (sd->yy[i] > 0 ? diag_pos : diag_neg);
		sd->index[i] = i;
	}
	while (iter < max_iter)
	{
		double		pg_max_new = -INFINITY;
		double		pg_min_new = INFINITY;

		if (aml_interrupted())
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		aml_rng_shuffle(rng, sd->index, active);
		for (int s = 0; s < active; s++)
		{
			const int	i = sd->index[s];
			const double *restrict x = sd->Xr + (size_t) i * q;
			const double yi = sd->yy[i];
			const double diag = yi > 0 ? diag_pos : diag_neg;
			const double upper = yi > 0 ? upper_pos : upper_neg;
			const double a = sd->alpha[i];
			double		G = yi * aml_linear_dot(w, x, q) - 1 + a * diag;
			double		PG = 0;

			if (a == 0)
			{
				if (G > pg_max_old)
				{
					/* shrink: this variable will stay at its bound */
					active--;
					sd->index[s] = sd->index[active];
					sd->index[active] = i;
					s--;
					continue;
				}
				else if (G < 0)
					PG = G;
			}
			else if (a == upper)
			{
				if (G < pg_min_old)
				{
					active--;
					sd->index[s] = sd->index[active];
					sd->index[active] = i;
					s--;
					continue;
				}
				else if (G > 0)
					PG = G;
			}
			else
				PG = G;
			if (PG > pg_max_new)
				pg_max_new = PG;
			if (PG < pg_min_new)
				pg_min_new = PG;
			if (fabs(PG) > 1e-12)
			{
				double		a_new = fmin(fmax(a - G / sd->QD[i], 0.0), upper);
				double		delta = (a_new - a) * yi;

				sd->alpha[i] = a_new;
				aml_linear_axpy(q, delta, x, w);
			}
		}
		iter++;
		if (pg_max_new - pg_min_new <= eps)
		{
			if (active == n)
			{
				*converged = true;
				break;
			}
			/* converged on the active set: check every variable again */
			active = n;
			pg_max_old = INFINITY;
			pg_min_old = -INFINITY;
			continue;
		}
		pg_max_old = pg_max_new > 0 ? pg_max_new : INFINITY;
		pg_min_old = pg_min_new < 0 ? pg_min_new : -INFINITY;
	}
	*n_iter = iter;
	return AML_OK;
}

static AmlStatus
svm_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const SvmParams *params = (const SvmParams *) est->params;
	const int	n = X->rows;
	const int	p = X->cols;
	const int	K = est->n_classes;
	const int	q = p + (params->fit_intercept ? 1 : 0);
	const bool	hinge = params->loss == 1;
	int		   *counts = AML_NEW_ARRAY(int, K);
	int		   *present = AML_NEW_ARRAY(int, K);
	double	   *cw = AML_NEW_ARRAY(double, K);
	double	   *Xr = NULL;
	double	   *xnorm = NULL;
	double	   *w = NULL;
	AmlLinearModel *model = NULL;
	SvmData		sd;
	AmlRng		local;
	int			k;
	AmlStatus	st = AML_OK;

	memset(&sd, 0, sizeof(sd));
	if (rng == NULL)
	{
		aml_rng_seed(&local, 0);
		rng = &local;
	}
	if (counts == NULL || present == NULL || cw == NULL)
	{
		st = aml_error_nomem(err, "linear SVM workspace");
		goto done;
	}
	k = aml_linear_class_counts(y, n, K, counts, present);
	for (int c = 0; c < K; c++)
		cw[c] = (params->class_weight == 1 && counts[c] > 0) ?
			(double) n / ((double) k * counts[c]) : 1.0;

	if (k < 2)
	{
		/* one class: score 0 for it, -DBL_MAX for the others */
		st = aml_linear_model_new(est, AML_FORM_SCORES, K, &model, err);
		if (st != AML_OK)
			goto done;
		for (int c = 0; c < K; c++)
			model->intercept[c] = c == present[0] ? 0.0 : -DBL_MAX;
		goto finish;
	}

	/* rows as contiguous vectors [x_i, intercept_scaling] */
	Xr = AML_NEW_ARRAY(double, (size_t) n * q);
	xnorm = AML_NEW_ARRAY(double, n);
	w = AML_NEW_ARRAY(double, q);
	sd.alpha = AML_NEW_ARRAY(double, n);
	sd.QD = AML_NEW_ARRAY(double, n);
	sd.index = AML_NEW_ARRAY(int, n);
	sd.yy = AML_NEW_ARRAY(signed char, n);
	if (Xr == NULL || xnorm == NULL || w == NULL || sd.alpha == NULL || sd.QD == NULL ||
		sd.index == NULL || sd.yy == NULL)
	{
		st = aml_error_nomem(err, "linear SVM workspace");
		goto done;
	}
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);

		for (int i = 0; i < n; i++)
			Xr[(size_t) i * q + j] = x[i];
	}
	for (int i = 0; i < n; i++)
	{
		if (params->fit_intercept)
			Xr[(size_t) i * q + p] = params->intercept_scaling;
		xnorm[i] = aml_linear_dot(Xr + (size_t) i * q, Xr + (size_t) i * q, q);
	}
	sd.Xr = Xr;
	sd.n = n;
	sd.q = q;
	sd.xnorm = xnorm;

	if (k == 2)
	{
		const int	pos = present[1];
		const int	neg = present[0];
		AmlRng		child;
		int			iters;

		st = aml_linear_model_new(est, AML_FORM_BINARY_SCORE, 1, &model, err);
		if (st != AML_OK)
			goto done;
		for (int i = 0; i < n; i++)
			sd.yy[i] = (int) y[i] == pos ? 1 : -1;
		aml_rng_derive(rng, 0, &child);
		st = svm_dual_cd(&sd, params->C * cw[pos], params->C * cw[neg], hinge, params->tol,
						 params->max_iter, &child, w, &iters, &model->converged, err);
		if (st != AML_OK)
			goto done;
		memcpy(model->coef, w, sizeof(double) * p);
		model->intercept[0] = params->fit_intercept ? w[p] * params->intercept_scaling : 0.0;
		model->pos_class = pos;
		model->neg_class = neg;
		model->fill = -DBL_MAX;
		model->n_iter = iters;
		goto finish;
	}

	/* one-vs-rest */
	st = aml_linear_model_new(est, AML_FORM_SCORES, K, &model, err);
	if (st != AML_OK)
		goto done;
	model->n_iter = 0;
	for (int c = 0; c < K; c++)
		model->intercept[c] = -DBL_MAX;
	for (int a = 0; a < k; a++)
	{
		const int	c = present[a];
		AmlRng		child;
		int			iters;
		bool		conv;

		for (int i = 0; i < n; i++)
			sd.yy[i] = (int) y[i] == c ? 1 : -1;
		/* stream by rank among the present classes: absent classes change nothing */
		aml_rng_derive(rng, (uint64_t) a, &child);
		st = svm_dual_cd(&sd, params->C * cw[c], params->C, hinge, params->tol,
						 params->max_iter, &child, w, &iters, &conv, err);
		if (st != AML_OK)
			goto done;
		memcpy(model->coef + (size_t) c * p, w, sizeof(double) * p);
		model->intercept[c] = params->fit_intercept ? w[p] * params->intercept_scaling : 0.0;
		if (iters > model->n_iter)
			model->n_iter = iters;
		model->converged = model->converged && conv;
	}
finish:
	est->state = model;
	model = NULL;
done:
	aml_linear_model_free(model);
	aml_free(counts);
	aml_free(present);
	aml_free(cw);
	aml_free(Xr);
	aml_free(xnorm);
	aml_free(w);
	aml_free(sd.alpha);
	aml_free(sd.QD);
	aml_free(sd.index);
	aml_free(sd.yy);
	return st;
}

const AmlEstimatorType aml_linear_svm_type = {
	.name = "linear_svm",
	.label = "linear support vector machine",
	.tasks = AML_TASK_CLASSIFICATION,
	.params = {svm_specs, AML_PARAM_COUNT(svm_specs), sizeof(SvmParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.probabilistic = false,
	.fit = svm_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_IDENTITY,
};
