/*
 * glm.c — IRLS as R's glm.fit (glm.h).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/distributions.h"
#include "core/memory.h"
#include "stats/glm.h"

#define GLM_TOL AML_GLM_TOL
#define GLM_MAXIT AML_GLM_MAXIT
#define THRESH 30.0
#define MTHRESH -30.0
#define INVEPS (1 / DBL_EPSILON)

static double
linkinv(AmlGlmFamily f, double eta)
{
	if (f == AML_GLM_BINOMIAL)
	{
		double		t = eta < MTHRESH ? DBL_EPSILON : eta > THRESH ? INVEPS : exp(eta);

		return t / (1 + t);
	}
	return fmax(exp(eta), DBL_EPSILON);
}

static double
mu_eta(AmlGlmFamily f, double eta)
{
	if (f == AML_GLM_BINOMIAL)
	{
		double		opexp = 1 + exp(eta);

		return (eta > THRESH || eta < MTHRESH) ? DBL_EPSILON : exp(eta) / (opexp * opexp);
	}
	return fmax(exp(eta), DBL_EPSILON);
}

static double
variance(AmlGlmFamily f, double mu)
{
	return f == AML_GLM_BINOMIAL ? mu * (1 - mu) : mu;
}

static double
ylogy(double y, double mu)
{
	return y != 0 ? y * log(y / mu) : 0;
}

static double
dev_resid(AmlGlmFamily f, double y, double mu)
{
	if (f == AML_GLM_BINOMIAL)
		return 2 * (ylogy(y, mu) + ylogy(1 - y, 1 - mu));
	return 2 * (ylogy(y, mu) - (y - mu));
}

void
aml_glm_row(AmlGlmFamily family, const double *row, int p, const double *beta, double y,
			double *dev, double *z, double *w)
{
	double		eta;
	double		mu;
	double		me;

	if (beta == NULL)
	{
		mu = family == AML_GLM_BINOMIAL ? (y + 0.5) / 2 : y + 0.1;
		eta = family == AML_GLM_BINOMIAL ? log(mu / (1 - mu)) : log(mu);
	}
	else
	{
		eta = 0;
		for (int j = 0; j < p; j++)
			eta += row[j] * beta[j];
		mu = linkinv(family, eta);
	}
	*dev = dev_resid(family, y, mu);
	me = mu_eta(family, eta);
	*z = eta + (y - mu) / me;
	*w = sqrt(me * me / variance(family, mu));
}

bool
aml_glm_converged(double dev, double devold)
{
	return fabs(dev - devold) / (fabs(dev) + 0.1) < AML_GLM_EPSILON;
}

double
aml_glm_null_deviance(AmlGlmFamily family, double n, double ysum, double ylogy_sum)
{
	double		ybar;

	if (n <= 0)
		return 0;
	ybar = ysum / n;
	if (family == AML_GLM_BINOMIAL)
		/* y in {0, 1}: ysum rows contribute log(1 / ybar), the others log(1 / (1 - ybar)) */
		return 2 * ((ysum > 0 ? -ysum * log(ybar) : 0) + (n - ysum > 0 ? -(n - ysum) * log1p(-ybar) : 0));
	if (ysum <= 0)
		return 0;
	return 2 * (ylogy_sum - ysum * log(ybar) - ysum + n * ybar);
}

void
aml_glm_free(AmlGlm *g)
{
	if (g == NULL)
		return;
	aml_ls_free(g->fit);
	aml_free(g->coef);
	aml_free(g);
}

AmlStatus
aml_glm_fit(const AmlDesign *design, const AmlLmData *data, AmlGlmFamily family,
			AmlGlm **out, AmlError *err)
{
	int			p = design->n_cols;
	int			m = p + 1;
	int			nv = design->formula->n_vars;
	long		n = data->n;
	AmlQRAccum *acc = NULL;
	AmlGlm	   *g = aml_alloc0(sizeof(AmlGlm));
	double	   *row = aml_alloc_array((size_t) m, sizeof(double));
	double	   *x = aml_alloc_array((size_t) nv + 1, sizeof(double));
	double	   *beta = aml_alloc_array((size_t) p + 1, sizeof(double));
	double		devold = 0;
	double		ybar = 0;
	AmlStatus	st = AML_OK;

	*out = NULL;
	if (g == NULL || row == NULL || x == NULL || beta == NULL)
	{
		st = aml_error_nomem(err, "generalised linear model");
		goto fail;
	}
	if (n < p)
	{
		aml_error(err, AML_ERR_INVALID_DATA, "fewer complete rows than coefficients");
		st = aml_error_detail(err, "The model has %d coefficients and %ld complete rows.", p, n);
		goto fail;
	}
	g->coef = aml_alloc_array((size_t) p + 1, sizeof(double));
	if (g->coef == NULL)
	{
		st = aml_error_nomem(err, "generalised linear model");
		goto fail;
	}
	if ((st = aml_qr_accum_create(m, &acc, err)) != AML_OK)
		goto fail;
	g->n = n;
	for (long i = 0; i < n; i++)
		ybar += data->y[i];
	ybar /= n;

	/*
	 * Pass k: eta from the previous coefficients (from mustart on the first
	 * pass), its deviance (the convergence test of the previous iteration),
	 * and the weighted least squares of the next iteration.
	 */
	for (int iter = 0;; iter++)
	{
		double		dev = 0;
		double		null_dev = 0;
		AmlLsFit   *fit;

		if (aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			goto fail;
		}
		aml_qr_accum_reset(acc);
		for (long i = 0; i < n; i++)
		{
			double		y = data->y[i];
			double		d;
			double		z;
			double		w;

			for (int v = 0; v < nv; v++)
				x[v] = data->x[v][i];
			aml_design_row(design, x, row);
			aml_glm_row(family, row, p, iter == 0 ? NULL : beta, y, &d, &z, &w);
			dev += d;
			null_dev += dev_resid(family, y, ybar);
			row[p] = z;
			aml_qr_accum_add(acc, row, w);
		}
		aml_qr_accum_flush(acc);
		if (iter == 0)
			g->null_deviance = null_dev;
		if (iter > 0)
		{
			if (!isfinite(dev))
			{
				st = aml_error(err, AML_ERR_NUMERICAL, "the deviance is not finite");
				goto fail;
			}
			g->iterations = iter;
			g->deviance = dev;
			if (aml_glm_converged(dev, devold))
			{
				g->converged = true;
				break;
			}
			if (iter >= GLM_MAXIT)
				break;
		}
		devold = dev;
		if ((st = aml_ls_solve(acc->r, m, GLM_TOL, &fit, err)) != AML_OK)
			goto fail;
		aml_ls_free(g->fit);
		g->fit = fit;
		for (int j = 0; j < p; j++)
			beta[j] = isnan(fit->coef[j]) ? 0 : fit->coef[j];
	}
	for (int j = 0; j < p; j++)
		g->coef[j] = g->fit->coef[j];
	aml_qr_accum_free(acc);
	aml_free(row);
	aml_free(x);
	aml_free(beta);
	*out = g;
	return AML_OK;

fail:
	aml_qr_accum_free(acc);
	aml_free(row);
	aml_free(x);
	aml_free(beta);
	aml_glm_free(g);
	return st;
}

void
aml_glm_tidy(const AmlGlm *g, double level, AmlCoef *coefs)
{
	const AmlLsFit *fit = g->fit;
	int			rank = fit->rank;
	double		q = aml_norm_ppf(1 - (1 - level) / 2);

	for (int j = 0; j < fit->p; j++)
	{
		coefs[j].aliased = true;
		coefs[j].estimate = coefs[j].std_error = coefs[j].statistic = NAN;
		coefs[j].p_value = coefs[j].conf_low = coefs[j].conf_high = NAN;
	}
	for (int k = 0; k < rank; k++)
	{
		int			j = fit->pivot[k];
		double		s = 0;
		AmlCoef    *c = &coefs[j];

		for (int l = k; l < rank; l++)
			s += fit->rinv[k + (size_t) l * rank] * fit->rinv[k + (size_t) l * rank];
		c->aliased = false;
		c->estimate = g->coef[j];
		c->std_error = sqrt(s);
		c->statistic = c->estimate / c->std_error;
		c->p_value = 2 * aml_norm_sf(fabs(c->statistic));
		c->conf_low = c->estimate - q * c->std_error;
		c->conf_high = c->estimate + q * c->std_error;
	}
}
