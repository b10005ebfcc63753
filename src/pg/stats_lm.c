/*
 * stats_lm.c — automl_lm, automl_lm_glance and automl_anova: R's lm(),
 * broom::tidy/glance of it, anova() and car::Anova() in SQL.
 *
 * Numerics in src/stats (lm.h); here: arguments, the model frame
 * (stats_frame.h), result rows.
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
#include "pg/stats_rows.h"
#include "stats/lm.h"

PG_FUNCTION_INFO_V1(automl_lm);
PG_FUNCTION_INFO_V1(automl_lm_glance);
PG_FUNCTION_INFO_V1(automl_anova);

typedef struct LmCall
{
	AmlFormula *formula;
	AmlStatsFrame *frame;
	AmlDesignVar *vars;
	AmlDesign  *design;
	AmlLm	   *lm;
} LmCall;

static Oid
relation_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and formula must not be NULL")));
	return PG_GETARG_OID(0);
}

static void
fit_call(Oid relid, const char *formula, Jsonb *filter, AmlContrast contrast, const char *what,
		 LmCall *call)
{
	AmlError	err;
	AmlLmData	data;
	AmlStatsColumn *resp;
	const double **x;

	call->formula = aml_stats_parse_formula(relid, formula, true);
	call->frame = aml_stats_formula_frame(relid, call->formula, filter, what, &call->vars);
	resp = &call->frame->cols[0];
	if (resp->kind == AML_KIND_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: the response \"%s\" is categorical", what, resp->name),
				 errdetail("A linear model needs a numeric response."),
				 errhint("Use automl_glm(..., family => 'binomial') for a two-level response.")));
	if (aml_design_build(call->formula, call->vars, contrast, &call->design, &err) != AML_OK)
		aml_stats_raise(&err);
	x = palloc(sizeof(double *) * (call->formula->n_vars + 1));
	for (int v = 0; v < call->formula->n_vars; v++)
		x[v] = call->frame->cols[v + 1].values;
	data.n = call->frame->n;
	data.x = x;
	data.y = resp->values;
	data.w = NULL;
	if (aml_lm_fit(call->design, &data, &call->lm, &err) != AML_OK)
		aml_stats_raise(&err);
	if (call->lm->fit->rank < call->design->n_cols)
		ereport(NOTICE,
				(errmsg("%s: %d coefficient%s not defined because of singularities",
						what, call->design->n_cols - call->lm->fit->rank,
						call->design->n_cols - call->lm->fit->rank == 1 ? "" : "s"),
				 errdetail("Their columns are linear combinations of earlier ones; their estimates are NULL, as R's NA.")));
}

Datum
automl_lm(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_arg(fcinfo);
	char	   *formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	LmCall		call;

	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_lm");
	fit_call(relid, formula, AML_FILTER_ARG(fcinfo, 2), AML_CONTRAST_TREATMENT, "automl_lm", &call);
	aml_stats_put_lm_tidy(rsinfo, call.design, call.lm);
	aml_core_session_end(session);
	return (Datum) 0;
}

Datum
automl_lm_glance(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_arg(fcinfo);
	char	   *formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	LmCall		call;

	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_lm_glance");
	fit_call(relid, formula, AML_FILTER_ARG(fcinfo, 2), AML_CONTRAST_TREATMENT, "automl_lm_glance", &call);
	aml_stats_put_lm_glance(rsinfo, call.lm);
	aml_core_session_end(session);
	return (Datum) 0;
}

Datum
automl_anova(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_arg(fcinfo);
	char	   *formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		type = PG_ARGISNULL(2) ? 1 : PG_GETARG_INT32(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	LmCall		call;

	if (type < 1 || type > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_anova: type must be 1, 2 or 3, not %d", type),
				 errhint("Type 1 is R's anova(); types 2 and 3 are car::Anova's.")));
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_anova");
	fit_call(relid, formula, AML_FILTER_ARG(fcinfo, 3),
			 type == 3 ? AML_CONTRAST_SUM : AML_CONTRAST_TREATMENT, "automl_anova", &call);
	aml_stats_put_anova(rsinfo, call.formula, call.lm, type);
	aml_core_session_end(session);
	return (Datum) 0;
}
