/*
 * stats_rows.c — result rows of a fitted linear model (stats_rows.h).
 */
#include "pg/stats_rows.h"

#include <math.h>

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "pg/stats_frame.h"

/* a float8 Datum, NULL for NaN (R's NA) */
static void
put(Datum *values, bool *nulls, int i, double v)
{
	nulls[i] = isnan(v);
	values[i] = Float8GetDatum(v);
}

void
aml_stats_put_lm_tidy(ReturnSetInfo *rsinfo, const AmlDesign *design, const AmlLm *lm)
{
	AmlCoef    *coefs = palloc(sizeof(AmlCoef) * Max(design->n_cols, 1));

	aml_lm_tidy(lm, 0.95, coefs);
	for (int j = 0; j < design->n_cols; j++)
	{
		Datum		values[7];
		bool		nulls[7];

		values[0] = CStringGetTextDatum(design->names[j]);
		nulls[0] = false;
		put(values, nulls, 1, coefs[j].estimate);
		put(values, nulls, 2, coefs[j].std_error);
		put(values, nulls, 3, coefs[j].statistic);
		put(values, nulls, 4, coefs[j].p_value);
		put(values, nulls, 5, coefs[j].conf_low);
		put(values, nulls, 6, coefs[j].conf_high);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

void
aml_stats_put_lm_glance(ReturnSetInfo *rsinfo, const AmlLm *lm)
{
	AmlLmGlance g;
	Datum		values[12];
	bool		nulls[12];

	aml_lm_glance(lm, &g);
	put(values, nulls, 0, g.r_squared);
	put(values, nulls, 1, g.adj_r_squared);
	put(values, nulls, 2, g.sigma);
	put(values, nulls, 3, g.statistic);
	put(values, nulls, 4, g.p_value);
	values[5] = Int32GetDatum(isnan(g.df) ? 0 : (int32) g.df);
	nulls[5] = isnan(g.df);
	values[6] = Int32GetDatum((int32) g.df_residual);
	nulls[6] = false;
	values[7] = Int64GetDatum((int64) g.nobs);
	nulls[7] = false;
	put(values, nulls, 8, g.log_lik);
	put(values, nulls, 9, g.aic);
	put(values, nulls, 10, g.bic);
	put(values, nulls, 11, g.deviance);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

void
aml_stats_put_anova(ReturnSetInfo *rsinfo, const AmlFormula *f, const AmlLm *lm, int type)
{
	AmlAnovaRow *rows = palloc(sizeof(AmlAnovaRow) * (f->n_terms + 3));
	int			n_rows;
	AmlError	err;

	if (aml_lm_anova(lm, type, rows, &n_rows, &err) != AML_OK)
		aml_stats_raise(&err);
	for (int i = 0; i < n_rows; i++)
	{
		Datum		values[6];
		bool		nulls[6];
		char		label[1024];

		if (rows[i].term == -1)
			strlcpy(label, "(Intercept)", sizeof(label));
		else if (rows[i].term == -2)
			strlcpy(label, "Residuals", sizeof(label));
		else
			aml_term_label(f, f->terms[rows[i].term], label, sizeof(label));
		values[0] = CStringGetTextDatum(label);
		nulls[0] = false;
		values[1] = Int32GetDatum((int32) rows[i].df);
		nulls[1] = false;
		put(values, nulls, 2, rows[i].sum_sq);
		put(values, nulls, 3, rows[i].mean_sq);
		put(values, nulls, 4, rows[i].statistic);
		put(values, nulls, 5, rows[i].p_value);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}
