/*
 * summary.c — automl_summary(relation, columns): MIP's "statisticsSummary".
 *
 * One row per column: kind, count of values, of NULLs, of distinct values,
 * mean and sample standard deviation (as avg() and stddev_samp() compute them
 * for float8), min, quartiles and median (as percentile_cont()), max, and for
 * categorical and binary columns the most frequent value and its count.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "core/dataset.h"
#include "core/memory.h"
#include "core/stats.h"
#include "pg/core_bridge.h"
#include "pg/loader.h"
#include "pg/filter.h"

PG_FUNCTION_INFO_V1(automl_summary);

enum
{
	S_COLUMN_NAME,
	S_KIND,
	S_COUNT,
	S_NULL_COUNT,
	S_DISTINCT_COUNT,
	S_MEAN,
	S_STD,
	S_MIN,
	S_Q1,
	S_MEDIAN,
	S_Q3,
	S_MAX,
	S_TOP,
	S_TOP_COUNT,
	S_NATTS
};

static void
summarise_column(const AmlColumn *col, int n_rows, Datum *values, bool *nulls)
{
	int			count = n_rows - col->n_missing;
	double	   *sorted;
	int			distinct = 0;
	AmlMoments	m;

	for (int i = 0; i < S_NATTS; i++)
		nulls[i] = true;
	values[S_COLUMN_NAME] = CStringGetTextDatum(col->name);
	nulls[S_COLUMN_NAME] = false;
	values[S_KIND] = CStringGetTextDatum(aml_kind_name(col->kind));
	nulls[S_KIND] = false;
	values[S_COUNT] = Int64GetDatum(count);
	nulls[S_COUNT] = false;
	values[S_NULL_COUNT] = Int64GetDatum(col->n_missing);
	nulls[S_NULL_COUNT] = false;

	if (col->kind == AML_KIND_CATEGORICAL)
	{
		int64	   *freq = palloc0(sizeof(int64) * Max(col->dict->count, 1));
		int			top = -1;

		for (int i = 0; i < n_rows; i++)
			if (!col->missing[i])
				freq[(int) col->values[i]]++;
		for (int c = 0; c < col->dict->count; c++)
		{
			if (freq[c] > 0)
				distinct++;
			/* ties go to the first value in byte order */
			if (freq[c] > 0 && (top < 0 || freq[c] > freq[top]))
				top = c;
		}
		values[S_DISTINCT_COUNT] = Int64GetDatum(distinct);
		nulls[S_DISTINCT_COUNT] = false;
		if (top >= 0)
		{
			values[S_TOP] = CStringGetTextDatum(aml_dict_string(col->dict, top));
			nulls[S_TOP] = false;
			values[S_TOP_COUNT] = Int64GetDatum(freq[top]);
			nulls[S_TOP_COUNT] = false;
		}
		pfree(freq);
		return;
	}

	/* numeric and binary: moments in row order, then order statistics */
	aml_moments_init(&m);
	for (int i = 0; i < n_rows; i++)
		if (!col->missing[i])
			aml_moments_add(&m, col->values[i]);
	sorted = palloc(sizeof(double) * Max(count, 1));
	count = aml_sorted_finite(col->values, n_rows, sorted);
	for (int i = 0; i < count; i++)
		if (i == 0 || sorted[i] != sorted[i - 1])
			distinct++;
	values[S_DISTINCT_COUNT] = Int64GetDatum(distinct);
	nulls[S_DISTINCT_COUNT] = false;
	if (count > 0)
	{
		values[S_MEAN] = Float8GetDatum(aml_moments_mean(&m));
		nulls[S_MEAN] = false;
		if (count > 1)
		{
			values[S_STD] = Float8GetDatum(sqrt(aml_moments_var_samp(&m)));
			nulls[S_STD] = false;
		}
		values[S_MIN] = Float8GetDatum(sorted[0]);
		values[S_Q1] = Float8GetDatum(aml_quantile_sorted(sorted, count, 0.25));
		values[S_MEDIAN] = Float8GetDatum(aml_quantile_sorted(sorted, count, 0.5));
		values[S_Q3] = Float8GetDatum(aml_quantile_sorted(sorted, count, 0.75));
		values[S_MAX] = Float8GetDatum(sorted[count - 1]);
		nulls[S_MIN] = nulls[S_Q1] = nulls[S_MEDIAN] = nulls[S_Q3] = nulls[S_MAX] = false;
	}
	if (col->kind == AML_KIND_BINARY && count > 0)
	{
		int64		ones = 0;

		for (int i = 0; i < count; i++)
			ones += sorted[i] != 0;
		/* ties go to false, the first value in order */
		values[S_TOP] = CStringGetTextDatum(ones > count - ones ? "true" : "false");
		nulls[S_TOP] = false;
		values[S_TOP_COUNT] = Int64GetDatum(ones > count - ones ? ones : count - ones);
		nulls[S_TOP_COUNT] = false;
	}
	pfree(sorted);
}

Datum
automl_summary(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ArrayType  *columns = PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlSource  *source;
	AmlCoreSession *session;
	AmlDataset *ds;
	AmlLoadStats stats;
	Datum		values[S_NATTS];
	bool		nulls[S_NATTS];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	relid = PG_GETARG_OID(0);
	InitMaterializedSRF(fcinfo, 0);
	source = aml_source_describe(relid, columns, true);
	session = aml_core_session_begin("automl_summary");
	ds = aml_source_load_where(source, aml_filter_compile(AML_FILTER_ARG(fcinfo, 2), relid, 1), &stats);
	for (int c = 0; c < ds->n_cols; c++)
	{
		CHECK_FOR_INTERRUPTS();
		summarise_column(&ds->columns[c], ds->n_rows, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	aml_core_session_end(session);
	return (Datum) 0;
}
