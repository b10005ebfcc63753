/*
 * stats_tests.c — automl_correlation, automl_t_test, automl_chisq_test:
 * R's cor.test, t.test and chisq.test (numerics in src/stats/tests.c),
 * columns of broom::tidy.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "core/memory.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/tests.h"

PG_FUNCTION_INFO_V1(automl_correlation);
PG_FUNCTION_INFO_V1(automl_t_test);
PG_FUNCTION_INFO_V1(automl_chisq_test);

static void
put(Datum *values, bool *nulls, int i, double v)
{
	nulls[i] = isnan(v);
	values[i] = Float8GetDatum(v);
}

Datum
automl_correlation(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *method_name = PG_ARGISNULL(2) ? "pearson" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCorMethod method;
	AmlCoreSession *session;
	AmlStatsFrame *fr;
	char	  **names;
	int			n;
	double	   *x;
	double	   *y;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	relid = PG_GETARG_OID(0);
	if (strcmp(method_name, "pearson") == 0)
		method = AML_COR_PEARSON;
	else if (strcmp(method_name, "spearman") == 0)
		method = AML_COR_SPEARMAN;
	else if (strcmp(method_name, "kendall") == 0)
		method = AML_COR_KENDALL;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_correlation: unknown method \"%s\"", method_name),
				 errhint("The methods are pearson, spearman and kendall.")));

	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_correlation");
	if (PG_ARGISNULL(1))
	{
		/* every numeric column */
		AmlSource  *all = aml_source_describe_ext(relid, NIL, true, true);

		names = palloc(sizeof(char *) * Max(all->ncols, 1));
		n = 0;
		for (int i = 0; i < all->ncols; i++)
			if (all->cols[i].kind == AML_KIND_NUMERIC)
				names[n++] = all->cols[i].name;
	}
	else
	{
		List	   *l = aml_name_array_to_list(PG_GETARG_ARRAYTYPE_P(1), "columns");
		ListCell   *lc;

		names = palloc(sizeof(char *) * Max(list_length(l), 1));
		n = 0;
		foreach(lc, l)
			names[n++] = lfirst(lc);
	}
	if (n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_correlation needs at least two numeric columns")));
	fr = aml_stats_frame_load(relid, names, n, AML_FILTER_ARG(fcinfo, 3), false, "automl_correlation");
	for (int c = 0; c < n; c++)
		if (fr->cols[c].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("automl_correlation: column \"%s\" is categorical", fr->cols[c].name),
					 errdetail("Correlations are between numeric (or boolean) columns.")));
	x = palloc(sizeof(double) * Max(fr->n, 1));
	y = palloc(sizeof(double) * Max(fr->n, 1));
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++)
		{
			long		k = 0;
			AmlTestResult r;
			AmlError	err;
			Datum		values[8];
			bool		nulls[8];

			CHECK_FOR_INTERRUPTS();
			/* pairwise-complete rows */
			for (long i = 0; i < fr->n; i++)
				if (!isnan(fr->cols[a].values[i]) && !isnan(fr->cols[b].values[i]))
				{
					x[k] = fr->cols[a].values[i];
					y[k++] = fr->cols[b].values[i];
				}
			memset(nulls, 0, sizeof(nulls));
			values[0] = CStringGetTextDatum(fr->cols[a].name);
			values[1] = CStringGetTextDatum(fr->cols[b].name);
			if (aml_cor_test(x, y, k, method, 0.95, &r, &err) != AML_OK)
			{
				if (err.status != AML_ERR_INVALID_DATA)
					aml_pg_raise(&err);
				/* too few pairs: R's cor.test errors; a row of NULLs keeps the matrix whole */
				r.estimate = r.statistic = r.p_value = r.conf_low = r.conf_high = NAN;
				r.n = k;
			}
			put(values, nulls, 2, r.estimate);
			put(values, nulls, 3, r.statistic);
			put(values, nulls, 4, r.p_value);
			put(values, nulls, 5, r.conf_low);
			put(values, nulls, 6, r.conf_high);
			values[7] = Int64GetDatum(r.n);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	aml_core_session_end(session);
	return (Datum) 0;
}

static void
put_test(ReturnSetInfo *rsinfo, const AmlTestResult *r)
{
	Datum		values[10];
	bool		nulls[10];

	put(values, nulls, 0, r->estimate);
	put(values, nulls, 1, r->estimate1);
	put(values, nulls, 2, r->estimate2);
	put(values, nulls, 3, r->statistic);
	put(values, nulls, 4, r->p_value);
	put(values, nulls, 5, r->parameter);
	put(values, nulls, 6, r->conf_low);
	put(values, nulls, 7, r->conf_high);
	values[8] = CStringGetTextDatum(r->method);
	nulls[8] = false;
	values[9] = CStringGetTextDatum("two.sided");
	nulls[9] = false;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
automl_t_test(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *formula;
	bool		paired = PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2);
	bool		var_equal = PG_ARGISNULL(3) ? false : PG_GETARG_BOOL(3);
	double		mu = PG_ARGISNULL(4) ? 0 : PG_GETARG_FLOAT8(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	AmlFormula *f;
	AmlStatsFrame *fr;
	AmlDesignVar *vars;
	AmlStatsColumn *resp;
	AmlTestResult r;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and formula must not be NULL")));
	relid = PG_GETARG_OID(0);
	formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!isfinite(mu))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_t_test: mu must be a finite number")));
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_t_test");
	f = aml_stats_parse_formula(relid, formula, true);
	if (!(f->n_terms == 0 && f->intercept) &&
		!(f->n_terms == 1 && aml_term_order(f->terms[0]) == 1 && f->intercept))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_t_test: the formula must be y ~ 1 or y ~ group"),
				 errhint("With paired => true, y ~ x tests the differences y - x of each row.")));
	fr = aml_stats_formula_frame(relid, f, AML_FILTER_ARG(fcinfo, 5), "automl_t_test", &vars);
	resp = &fr->cols[0];
	if (resp->kind == AML_KIND_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("automl_t_test: the response \"%s\" is categorical", resp->name)));
	if (f->n_terms == 0)
	{
		if (paired)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("automl_t_test: a paired test needs y ~ x")));
		if (fr->n < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("automl_t_test: not enough observations")));
		aml_t_test_one(resp->values, NULL, fr->n, mu, 0.95, &r);
	}
	else if (paired)
	{
		if (fr->cols[1].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("automl_t_test: a paired test needs two numeric columns, \"%s\" is categorical",
							fr->cols[1].name)));
		if (fr->n < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("automl_t_test: not enough observations")));
		aml_t_test_one(resp->values, fr->cols[1].values, fr->n, mu, 0.95, &r);
	}
	else
	{
		int			nl;
		int		   *codes = aml_stats_factor_codes(&fr->cols[1], fr->n, &nl, NULL);
		double	   *g[2];
		long		ng[2] = {0, 0};

		if (nl != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("automl_t_test: grouping factor \"%s\" must have exactly 2 levels, it has %d",
							fr->cols[1].name, nl),
					 errhint("Filter the rows to two groups.")));
		g[0] = palloc(sizeof(double) * fr->n);
		g[1] = palloc(sizeof(double) * fr->n);
		for (long i = 0; i < fr->n; i++)
			g[codes[i]][ng[codes[i]]++] = resp->values[i];
		if (ng[0] < 2 || ng[1] < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("automl_t_test: not enough observations in a group"),
					 errdetail("The groups have %ld and %ld complete rows; each needs 2.", ng[0], ng[1])));
		aml_t_test_two(g[0], ng[0], g[1], ng[1], var_equal, mu, 0.95, &r);
	}
	put_test(rsinfo, &r);
	aml_core_session_end(session);
	return (Datum) 0;
}

Datum
automl_chisq_test(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	AmlStatsFrame *fr;
	char	   *names[2];
	int			nr,
				nc;
	int		   *rc,
			   *cc;
	double	   *counts;
	AmlTestResult r;
	Datum		values[5];
	bool		nulls[5];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation, x and y must not be NULL")));
	relid = PG_GETARG_OID(0);
	names[0] = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	names[1] = pstrdup(NameStr(*PG_GETARG_NAME(2)));
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_chisq_test");
	fr = aml_stats_frame_load(relid, names, 2, AML_FILTER_ARG(fcinfo, 3), true, "automl_chisq_test");
	rc = aml_stats_factor_codes(&fr->cols[0], fr->n, &nr, NULL);
	cc = aml_stats_factor_codes(&fr->cols[1], fr->n, &nc, NULL);
	if (nr < 2 || nc < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("automl_chisq_test: x and y must each have at least 2 levels"),
				 errdetail("\"%s\" has %d and \"%s\" has %d in the complete rows.",
						   names[0], nr, names[1], nc)));
	counts = palloc0(sizeof(double) * nr * nc);
	for (long i = 0; i < fr->n; i++)
		counts[rc[i] * nc + cc[i]] += 1;
	aml_chisq_test(counts, nr, nc, &r);
	put(values, nulls, 0, r.statistic);
	put(values, nulls, 1, r.p_value);
	values[2] = Int32GetDatum((int32) r.parameter);
	nulls[2] = false;
	values[3] = CStringGetTextDatum(r.method);
	nulls[3] = false;
	values[4] = Int64GetDatum(r.n);
	nulls[4] = false;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	aml_core_session_end(session);
	return (Datum) 0;
}
