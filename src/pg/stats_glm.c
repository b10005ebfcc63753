/*
 * stats_glm.c — automl_glm: R's glm() with broom::tidy's columns.
 *
 * The response is coded as R codes it: a factor (text, enum ...) or a
 * boolean with two levels is 0 for its first level in R's sort order (byte
 * order; FALSE) and 1 for the other; a numeric binomial response must be 0
 * or 1; a Poisson response must be a non-negative number.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "core/memory.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/stats_frame.h"
#include "stats/glm.h"

PG_FUNCTION_INFO_V1(automl_glm);

static void
put(Datum *values, bool *nulls, int i, double v)
{
	nulls[i] = isnan(v);
	values[i] = Float8GetDatum(v);
}

Datum
automl_glm(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *formula;
	char	   *family_name = PG_ARGISNULL(2) ? "binomial" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlGlmFamily family;
	AmlCoreSession *session;
	AmlFormula *f;
	AmlStatsFrame *fr;
	AmlDesignVar *vars;
	AmlDesign  *design;
	AmlGlm	   *glm;
	AmlStatsColumn *resp;
	AmlLmData	data;
	AmlError	err;
	AmlCoef    *coefs;
	const double **x;
	double	   *y;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and formula must not be NULL")));
	relid = PG_GETARG_OID(0);
	formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(family_name, "binomial") == 0)
		family = AML_GLM_BINOMIAL;
	else if (strcmp(family_name, "poisson") == 0)
		family = AML_GLM_POISSON;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_glm: unknown family \"%s\"", family_name),
				 errhint("The families are binomial (logit link) and poisson (log link).")));

	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_glm");
	f = aml_stats_parse_formula(relid, formula, true);
	fr = aml_stats_formula_frame(relid, f, AML_FILTER_ARG(fcinfo, 3), "automl_glm", &vars);
	resp = &fr->cols[0];
	y = palloc(sizeof(double) * Max(fr->n, 1));
	if (family == AML_GLM_BINOMIAL)
	{
		if (resp->factor && resp->n_levels != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("automl_glm: a binomial response needs two levels, \"%s\" has %d",
							resp->name, resp->n_levels),
					 errdetail("A logistic regression models one level against the other."),
					 errhint("Filter the rows to two levels, or recode the column.")));
		for (long i = 0; i < fr->n; i++)
		{
			double		v = resp->values[i];

			if (resp->kind == AML_KIND_BINARY)
				v = v != 0;
			else if (!resp->factor && v != 0 && v != 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("automl_glm: a numeric binomial response must be 0 or 1"),
						 errdetail("Column \"%s\" has the value %g.", resp->name, v)));
			y[i] = v;
		}
	}
	else
	{
		if (resp->factor)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("automl_glm: a Poisson response must be numeric, \"%s\" is categorical",
							resp->name)));
		for (long i = 0; i < fr->n; i++)
		{
			if (resp->values[i] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("automl_glm: negative values are not allowed for the Poisson family"),
						 errdetail("Column \"%s\" has the value %g.", resp->name, resp->values[i])));
			y[i] = resp->values[i];
		}
	}
	if (aml_design_build(f, vars, AML_CONTRAST_TREATMENT, &design, &err) != AML_OK)
		aml_stats_raise(&err);
	x = palloc(sizeof(double *) * (f->n_vars + 1));
	for (int v = 0; v < f->n_vars; v++)
		x[v] = fr->cols[v + 1].values;
	data.n = fr->n;
	data.x = x;
	data.y = y;
	data.w = NULL;
	if (aml_glm_fit(design, &data, family, &glm, &err) != AML_OK)
		aml_stats_raise(&err);
	if (!glm->converged)
		ereport(NOTICE,
				(errmsg("automl_glm: the algorithm did not converge in %d iterations", glm->iterations)));
	if (glm->fit->rank < design->n_cols)
		ereport(NOTICE,
				(errmsg("automl_glm: %d coefficient%s not defined because of singularities",
						design->n_cols - glm->fit->rank,
						design->n_cols - glm->fit->rank == 1 ? "" : "s")));
	coefs = palloc(sizeof(AmlCoef) * design->n_cols);
	aml_glm_tidy(glm, 0.95, coefs);
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
	aml_core_session_end(session);
	return (Datum) 0;
}
