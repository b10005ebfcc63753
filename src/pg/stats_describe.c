/*
 * stats_describe.c — automl_histogram and automl_pca (MIP's histograms and
 * pca algorithms); numerics in src/stats/describe.c.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "core/memory.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/describe.h"

PG_FUNCTION_INFO_V1(automl_histogram);
PG_FUNCTION_INFO_V1(automl_pca);

#define MAX_BINS 10000
#define MAX_GROUP_CELLS 1000000

typedef struct GroupCol
{
	int		   *codes;
	int			n_levels;
	double	   *numeric_levels;
	const AmlStatsColumn *col;
} GroupCol;

static Datum
jsonb_from_text(const char *s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

/* {"col": value, ...} of a group */
static Datum
group_json_codes(GroupCol *g, int ng, const int *codes)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (int k = 0; k < ng; k++)
	{
		const AmlStatsColumn *c = g[k].col;

		if (k)
			appendStringInfoString(&s, ", ");
		escape_json(&s, c->name);
		appendStringInfoString(&s, ": ");
		if (codes[k] < 0)
			appendStringInfoString(&s, "null");
		else if (c->kind == AML_KIND_CATEGORICAL)
			escape_json(&s, c->levels[codes[k]]);
		else if (c->kind == AML_KIND_BINARY)
			appendStringInfoString(&s, g[k].numeric_levels[codes[k]] != 0 ? "true" : "false");
		else
		{
			char		buf[64];

			snprintf(buf, sizeof(buf), "%.17g", g[k].numeric_levels[codes[k]]);
			appendStringInfoString(&s, buf);
		}
	}
	appendStringInfoChar(&s, '}');
	return jsonb_from_text(s.data);
}

Datum
automl_histogram(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *column;
	int32		bins = PG_ARGISNULL(2) ? 20 : PG_GETARG_INT32(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	AmlStatsFrame *fr;
	char	  **names;
	int			ng = 0;
	GroupCol   *g;
	AmlStatsColumn *x;
	long		n_cells = 1;
	long	   *cell;
	int			n_bins;
	double	   *breaks = NULL;
	int64	   *counts;
	bool	   *group_seen;
	long		n_groups;
	long		dropped = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and column must not be NULL")));
	relid = PG_GETARG_OID(0);
	column = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	if (bins < 1 || bins > MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_histogram: bins must be between 1 and %d, not %d", MAX_BINS, bins)));
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_histogram");
	if (!PG_ARGISNULL(3))
	{
		List	   *l = aml_name_array_to_list(PG_GETARG_ARRAYTYPE_P(3), "group_by");
		ListCell   *lc;

		names = palloc(sizeof(char *) * (list_length(l) + 1));
		names[0] = column;
		foreach(lc, l)
		{
			if (strcmp(lfirst(lc), column) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("automl_histogram: column \"%s\" cannot also group", column)));
			names[++ng] = lfirst(lc);
		}
	}
	else
	{
		names = palloc(sizeof(char *));
		names[0] = column;
	}
	fr = aml_stats_frame_load(relid, names, ng + 1, AML_FILTER_ARG(fcinfo, 4), false, "automl_histogram");
	x = &fr->cols[0];
	g = palloc0(sizeof(GroupCol) * Max(ng, 1));
	for (int k = 0; k < ng; k++)
	{
		g[k].col = &fr->cols[k + 1];
		g[k].codes = aml_stats_factor_codes(g[k].col, fr->n, &g[k].n_levels, &g[k].numeric_levels);
		n_cells *= g[k].n_levels + 1;	/* + NULL */
		if (n_cells > MAX_GROUP_CELLS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("automl_histogram: too many groups"),
					 errdetail("The group_by columns have more than %d combinations of values.", MAX_GROUP_CELLS)));
	}
	n_groups = n_cells;

	/* bins: numeric over [min, max] of every value; categorical: the categories */
	if (x->kind == AML_KIND_CATEGORICAL)
		n_bins = Max(x->n_levels, 0);
	else
	{
		double		mn = INFINITY,
					mx = -INFINITY;

		for (long i = 0; i < fr->n; i++)
			if (!isnan(x->values[i]))
			{
				mn = Min(mn, x->values[i]);
				mx = Max(mx, x->values[i]);
			}
		if (mn > mx)
			n_bins = 0;
		else
		{
			breaks = palloc(sizeof(double) * (bins + 1));
			n_bins = aml_hist_breaks(mn, mx, bins, breaks);
		}
	}
	if ((double) n_groups * Max(n_bins, 1) > 1e8)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("automl_histogram: too many groups times bins")));
	counts = palloc0(sizeof(int64) * n_groups * Max(n_bins, 1));
	group_seen = palloc0(sizeof(bool) * n_groups);
	cell = palloc(sizeof(long) * Max(fr->n, 1));
	for (long i = 0; i < fr->n; i++)
	{
		long		key = 0;
		int			bin;

		for (int k = 0; k < ng; k++)
			key = key * (g[k].n_levels + 1) + (g[k].codes[i] + 1);
		cell[i] = key;
		if (isnan(x->values[i]))
		{
			dropped++;
			continue;
		}
		bin = x->kind == AML_KIND_CATEGORICAL ? (int) x->values[i]
			: aml_hist_bin(breaks, n_bins, x->values[i]);
		if (bin < 0)
			continue;
		group_seen[key] = true;
		counts[key * n_bins + bin]++;
	}
	if (dropped > 0)
		ereport(NOTICE,
				(errmsg("automl_histogram: %ld row%s with NULL in \"%s\" left out", dropped,
						dropped == 1 ? "" : "s", column)));

	for (long key = 0; key < n_groups; key++)
	{
		int		   *codes;
		long		rest = key;
		Datum		gj;

		if (!group_seen[key])
			continue;
		CHECK_FOR_INTERRUPTS();
		codes = palloc(sizeof(int) * Max(ng, 1));
		for (int k = ng - 1; k >= 0; k--)
		{
			codes[k] = (int) (rest % (g[k].n_levels + 1)) - 1;
			rest /= g[k].n_levels + 1;
		}
		gj = group_json_codes(g, ng, codes);
		for (int b = 0; b < n_bins; b++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};

			values[0] = gj;
			values[1] = Int32GetDatum(b + 1);
			if (x->kind == AML_KIND_CATEGORICAL)
			{
				nulls[2] = nulls[3] = true;
				values[5] = CStringGetTextDatum(x->levels[b]);
			}
			else
			{
				values[2] = Float8GetDatum(breaks[b]);
				values[3] = Float8GetDatum(breaks[b + 1]);
				nulls[5] = true;
			}
			values[4] = Int64GetDatum(counts[key * n_bins + b]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	aml_core_session_end(session);
	return (Datum) 0;
}

Datum
automl_pca(PG_FUNCTION_ARGS)
{
	Oid			relid;
	bool		scale = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlCoreSession *session;
	AmlStatsFrame *fr;
	char	  **names;
	int			p;
	const double **cols;
	double	   *sdev;
	double	   *loadings;
	int			k;
	double		total = 0;
	double		cum = 0;
	AmlError	err;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	relid = PG_GETARG_OID(0);
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_pca");
	if (PG_ARGISNULL(1))
	{
		AmlSource  *all = aml_source_describe_ext(relid, NIL, true, true);

		names = palloc(sizeof(char *) * Max(all->ncols, 1));
		p = 0;
		for (int i = 0; i < all->ncols; i++)
			if (all->cols[i].kind == AML_KIND_NUMERIC)
				names[p++] = all->cols[i].name;
	}
	else
	{
		List	   *l = aml_name_array_to_list(PG_GETARG_ARRAYTYPE_P(1), "columns");
		ListCell   *lc;

		names = palloc(sizeof(char *) * Max(list_length(l), 1));
		p = 0;
		foreach(lc, l)
			names[p++] = lfirst(lc);
	}
	if (p < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_pca needs at least one numeric column")));
	fr = aml_stats_frame_load(relid, names, p, AML_FILTER_ARG(fcinfo, 3), true, "automl_pca");
	cols = palloc(sizeof(double *) * p);
	for (int j = 0; j < p; j++)
	{
		if (fr->cols[j].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("automl_pca: column \"%s\" is categorical", fr->cols[j].name),
					 errdetail("Principal components are computed from numeric (or boolean) columns.")));
		cols[j] = fr->cols[j].values;
	}
	sdev = palloc(sizeof(double) * p);
	loadings = palloc(sizeof(double) * p * p);
	if (aml_pca(cols, fr->n, p, scale, sdev, loadings, &k, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int c = 0; c < k; c++)
		total += sdev[c] * sdev[c];
	for (int c = 0; c < k; c++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		StringInfoData s;

		cum += sdev[c] * sdev[c];
		initStringInfo(&s);
		appendStringInfoChar(&s, '{');
		for (int j = 0; j < p; j++)
		{
			char		buf[64];

			if (j)
				appendStringInfoString(&s, ", ");
			escape_json(&s, fr->cols[j].name);
			snprintf(buf, sizeof(buf), ": %.17g", loadings[j + (size_t) c * p]);
			appendStringInfoString(&s, buf);
		}
		appendStringInfoChar(&s, '}');
		values[0] = Int32GetDatum(c + 1);
		values[1] = Float8GetDatum(sdev[c]);
		values[2] = Float8GetDatum(sdev[c] * sdev[c] / total);
		values[3] = Float8GetDatum(cum / total);
		values[4] = jsonb_from_text(s.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	aml_core_session_end(session);
	return (Datum) 0;
}
