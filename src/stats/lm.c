/*
 * lm.c — linear models and their ANOVA tables, as R computes them (lm.h).
 */
#include <math.h>
#include <string.h>

#include "core/distributions.h"
#include "core/memory.h"
#include "stats/lm.h"

#define LM_TOL 1e-7				/* lm.fit's tol */

void
aml_lm_free(AmlLm *lm)
{
	if (lm == NULL)
		return;
	aml_free(lm->raug);
	aml_ls_free(lm->fit);
	aml_free(lm);
}

AmlStatus
aml_lm_accumulate(const AmlDesign *design, const AmlLmData *data, AmlQRAccum *acc,
				  AmlMoments *y, double *yss, long *nonzero, AmlError *err)
{
	int			p = design->n_cols;
	int			nv = design->formula->n_vars;
	double	   *row = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *x = aml_alloc_array((size_t) nv + 1, sizeof(double));

	if (row == NULL || x == NULL)
	{
		aml_free(row);
		aml_free(x);
		return aml_error_nomem(err, "linear model");
	}
	for (long i = 0; i < data->n; i++)
	{
		if ((i & 65535) == 0 && aml_interrupted())
		{
			aml_free(row);
			aml_free(x);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		for (int v = 0; v < nv; v++)
			x[v] = data->x[v][i];
		aml_design_row(design, x, row);
		row[p] = data->y[i];
		if (nonzero != NULL)
			for (int j = 0; j < p; j++)
				nonzero[j] += row[j] != 0;
		aml_qr_accum_add(acc, row, data->w ? sqrt(data->w[i]) : 1.0);
		aml_moments_add(y, data->y[i]);
		*yss += data->y[i] * data->y[i];
	}
	aml_free(row);
	aml_free(x);
	return AML_OK;
}

AmlStatus
aml_lm_solve(const AmlDesign *design, double *raug, long n, const AmlMoments *y, double yss,
			 AmlLm **out, AmlError *err)
{
	int			p = design->n_cols;
	AmlLm	   *lm;
	AmlStatus	st;

	*out = NULL;
	/*
	 * Fewer rows than coefficients is a rank-deficient design as R's lm
	 * takes it: the pivoting keeps at most n columns, the others are
	 * aliased (NA)
	 */
	if (n == 0)
	{
		aml_free(raug);
		return aml_error(err, AML_ERR_INVALID_DATA, "no complete rows");
	}
	lm = aml_alloc0(sizeof(AmlLm));
	if (lm == NULL)
	{
		aml_free(raug);
		return aml_error_nomem(err, "linear model");
	}
	lm->design = design;
	lm->raug = raug;
	lm->n = n;
	lm->y_mean = y->sum / y->n;
	lm->tss = y->sxx;
	lm->yss = yss;
	st = aml_ls_solve(lm->raug, p + 1, LM_TOL, &lm->fit, err);
	if (st != AML_OK)
	{
		aml_lm_free(lm);
		return st;
	}
	lm->df_residual = (int) (lm->n - lm->fit->rank);
	/* as many rows as kept columns: the fit is exact, whatever rounding left */
	if (lm->df_residual == 0)
		lm->fit->rss = 0;
	lm->sigma = lm->df_residual > 0 ? sqrt(lm->fit->rss / lm->df_residual) : NAN;
	*out = lm;
	return AML_OK;
}

AmlStatus
aml_lm_fit(const AmlDesign *design, const AmlLmData *data, AmlLm **out, AmlError *err)
{
	int			p = design->n_cols;
	AmlQRAccum *acc;
	AmlMoments	y;
	double		yss = 0;
	double	   *raug;

	*out = NULL;
	/* refused before reading the rows (aml_lm_solve says the same) */
	if (data->n == 0)
		return aml_lm_solve(design, NULL, data->n, NULL, 0, out, err);
	AML_TRY(aml_qr_accum_create(p + 1, &acc, err));
	aml_moments_init(&y);
	if (aml_lm_accumulate(design, data, acc, &y, &yss, NULL, err) != AML_OK)
	{
		aml_qr_accum_free(acc);
		return err->status;
	}
	aml_qr_accum_flush(acc);
	raug = acc->r;
	acc->r = NULL;
	aml_qr_accum_free(acc);
	return aml_lm_solve(design, raug, data->n, &y, yss, out, err);
}

void
aml_lm_tidy(const AmlLm *lm, double level, AmlCoef *coefs)
{
	const AmlLsFit *fit = lm->fit;
	int			rank = fit->rank;
	double		q = lm->df_residual > 0 ? aml_t_isf((1 - level) / 2, lm->df_residual) : NAN;

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

		/* diag of (R'R)^-1 = squared row norms of R^-1 */
		for (int l = k; l < rank; l++)
			s += fit->rinv[k + (size_t) l * rank] * fit->rinv[k + (size_t) l * rank];
		c->aliased = false;
		c->estimate = fit->coef[j];
		c->std_error = lm->sigma * sqrt(s);
		c->statistic = c->estimate / c->std_error;
		c->p_value = lm->df_residual > 0 ? 2 * aml_t_sf(fabs(c->statistic), lm->df_residual) : NAN;
		c->conf_low = c->estimate - q * c->std_error;
		c->conf_high = c->estimate + q * c->std_error;
	}
}

void
aml_lm_glance(const AmlLm *lm, AmlLmGlance *g)
{
	bool		intercept = lm->design->formula->intercept;
	double		rss = lm->fit->rss;
	double		mss = intercept ? lm->tss - rss : lm->yss - rss;
	double		n = (double) lm->n;
	int			df_int = intercept ? 1 : 0;
	int			rank = lm->fit->rank;
	double		rdf = lm->df_residual;
	double		numdf = rank - df_int;

	if (mss < 0)
		mss = 0;
	g->r_squared = mss / (mss + rss);
	g->adj_r_squared = 1 - (1 - g->r_squared) * ((n - df_int) / rdf);
	g->sigma = lm->sigma;
	/* broom leaves the F test out (NA) whenever one coefficient is estimated */
	/* and with no residual degrees of freedom it is 0 / 0, R's NaN */
	g->statistic = numdf > 0 && rank > 1 && rdf > 0 ? (mss / numdf) / (rss / rdf) : NAN;
	g->p_value = numdf > 0 && rank > 1 && rdf > 0 ? aml_f_sf(g->statistic, numdf, rdf) : NAN;
	g->df = rank > 1 ? numdf : NAN;
	g->df_residual = rdf;
	g->nobs = n;
	g->log_lik = 0.5 * (-n * (log(2 * M_PI) + 1 - log(n) + log(rss)));
	g->aic = -2 * g->log_lik + 2 * (rank + 1);
	g->bic = -2 * g->log_lik + log(n) * (rank + 1);
	g->deviance = rss;
}

static void
finish_row(AmlAnovaRow *r, double resvar, double rdf)
{
	r->mean_sq = r->sum_sq / r->df;
	r->statistic = r->mean_sq / resvar;
	r->p_value = aml_f_sf(r->statistic, r->df, rdf);
}

AmlStatus
aml_lm_anova(const AmlLm *lm, int type, AmlAnovaRow *rows, int *n_rows, AmlError *err)
{
	const AmlDesign *d = lm->design;
	const AmlFormula *f = d->formula;
	const AmlLsFit *fit = lm->fit;
	int			p = fit->p;
	int			m = p + 1;
	double		rdf = lm->df_residual;
	double		resvar = fit->rss / rdf;
	int			n = 0;

	*n_rows = 0;
	if (rdf <= 0)
		return aml_error(err, AML_ERR_INVALID_DATA,
						 "an ANOVA table needs residual degrees of freedom");
	if (type == 1)
	{
		/* sequential: squared effects of each term's kept columns */
		for (int t = 0; t < f->n_terms; t++)
		{
			AmlAnovaRow *r = &rows[n];

			r->term = t;
			r->df = 0;
			r->sum_sq = 0;
			for (int k = 0; k < fit->rank; k++)
				if (d->assign[fit->pivot[k]] == t + 1)
				{
					r->df++;
					r->sum_sq += fit->effects[k] * fit->effects[k];
				}
			if (r->df > 0)
			{
				finish_row(r, resvar, rdf);
				n++;
			}
		}
	}
	else
	{
		int		   *cols = aml_alloc_array((size_t) p + 1, sizeof(int));

		if (cols == NULL)
			return aml_error_nomem(err, "ANOVA");
		if (type == 3 && fit->rank < p)
		{
			aml_free(cols);
			aml_error(err, AML_ERR_INVALID_DATA, "there are aliased coefficients in the model");
			aml_error_detail(err, "Type %d tests need a model of full rank; %d of %d coefficients are aliased.",
							 type, p - fit->rank, p);
			return aml_error_hint(err, "Use type 1, or drop the aliased terms.");
		}
		for (int t = (type == 3 && f->intercept) ? -1 : 0; t < f->n_terms; t++)
		{
			AmlAnovaRow *r = &rows[n];
			double		rss_with;
			double		rss_without;
			int			rank_with = fit->rank;
			int			rank_without;
			int			k = 0;
			AmlStatus	st;

			/* columns of the reduced model: type 2 leaves out the relatives */
			for (int j = 0; j < p; j++)
			{
				int			tj = d->assign[j] - 1;

				if (type == 2 && tj >= 0 && t >= 0 && tj != t &&
					(f->terms[t] & ~f->terms[tj]) == 0)
					continue;
				cols[k++] = j;
			}
			if (type == 2)
			{
				st = aml_ls_rss_subset(lm->raug, m, cols, k, &rss_with, &rank_with, err);
				if (st != AML_OK)
				{
					aml_free(cols);
					return st;
				}
			}
			else
				rss_with = fit->rss;
			/* drop the term's own columns */
			{
				int			kk = 0;

				for (int j = 0; j < k; j++)
					if (d->assign[cols[j]] != t + 1)
						cols[kk++] = cols[j];
				k = kk;
			}
			st = aml_ls_rss_subset(lm->raug, m, cols, k, &rss_without, &rank_without, err);
			if (st != AML_OK)
			{
				aml_free(cols);
				return st;
			}
			r->term = t;
			r->df = rank_with - rank_without;
			if (r->df == 0)
			{
				/* every column of the term aliased: car shows df 0 and NA */
				r->sum_sq = r->mean_sq = r->statistic = r->p_value = NAN;
				n++;
				continue;
			}
			r->sum_sq = rss_without - rss_with;
			if (r->sum_sq < 0)
				r->sum_sq = 0;
			finish_row(r, resvar, rdf);
			n++;
		}
		aml_free(cols);
	}
	rows[n].term = -2;
	rows[n].df = rdf;
	rows[n].sum_sq = fit->rss;
	rows[n].mean_sq = resvar;
	rows[n].statistic = NAN;
	rows[n].p_value = NAN;
	n++;
	*n_rows = n;
	return AML_OK;
}
