/*
 * fed_histogram.c — automl_histogram over federation nodes, equal to the
 * same function on the union of the nodes' rows.
 *
 * Histogram: round 1, each node sends its count and the minimum and maximum
 * of the column (categorical: its category counts, and that is all); the
 * centre takes the global range, makes R's breaks (aml_hist_breaks) and in
 * round 2 every node counts its values in those bins with the local
 * function's rule (aml_hist_bin).  A bin (or category) holding 1 ..
 * automl.min_group_size - 1 of a node's rows is not sent: the centre's count
 * of such a bin is NULL (a hidden category cannot be named: its rows are
 * missing from the counts), with a feedback entry.  With group_by, round 2
 * counts per group (fed_histogram_groups.c).
 *
 * Node side: automl.node_histogram (members only, logged in
 * automl.federation_log).
 */
#include "federation/fed_json.h"
#include "federation/fed_histogram.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "core/dataset.h"
#include "federation/federation.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/combine.h"
#include "stats/describe.h"
#include "stats/tests.h"

PG_FUNCTION_INFO_V1(automl_fed_histogram);
PG_FUNCTION_INFO_V1(automl_node_histogram);

extern Datum automl_histogram(PG_FUNCTION_ARGS);

#define MAX_BINS 10000			/* as automl_histogram */

/* ---------------------------------------------------------------- histogram */

typedef struct HistArgs
{
	Oid			relid;
	char	   *column;
	Jsonb	   *filter;
	int			bins;
	bool		range;			/* round 1 */
	double		lower;
	double		upper;
} HistArgs;

static void
check_bins(int bins)
{
	if (bins < 1 || bins > MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_histogram: bins must be between 1 and %d, not %d", MAX_BINS, bins)));
}

/*
 * Round 1 (range): {"kind", "n", "min", "max"} or, for a categorical
 * column, {"kind", "n", "categories": {label: count}, "hidden": k}.
 * Round 2: {"n", "counts": [count or null, ...]} over the breaks of
 * [lower, upper].
 */
static char *
node_histogram_json(const HistArgs *a, int64 *rows, const char **suppressed)
{
	AmlStatsFrame *fr = aml_stats_frame_load(a->relid, (char **) &a->column, 1, a->filter, false,
											 "automl.node_histogram");
	AmlStatsColumn *x = &fr->cols[0];
	long		n = 0;
	StringInfoData s;
	int			hidden = 0;

	for (long i = 0; i < fr->n; i++)
		if (!isnan(x->values[i]))
			n++;
	*rows = n;
	*suppressed = aml_fed_group_check(n, "the set of values");
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"kind\": \"%s\", \"n\": %ld", aml_kind_name(x->kind), n);
	if (x->kind == AML_KIND_CATEGORICAL)
	{
		int64	   *freq = palloc0(sizeof(int64) * Max(x->n_levels, 1));
		int			k = 0;

		for (long i = 0; i < fr->n; i++)
			if (!isnan(x->values[i]))
				freq[(int) x->values[i]]++;
		appendStringInfoString(&s, ", \"categories\": {");
		for (int l = 0; l < x->n_levels; l++)
		{
			if (aml_fed_group_check(freq[l], "a category"))
			{
				hidden++;
				continue;
			}
			if (k++ > 0)
				appendStringInfoString(&s, ", ");
			aml_fed_json_string(&s, x->levels[l]);
			appendStringInfo(&s, ": " INT64_FORMAT, freq[l]);
		}
		appendStringInfo(&s, "}, \"hidden\": %d}", hidden);
	}
	else if (a->range)
	{
		double		mn = INFINITY,
					mx = -INFINITY;

		for (long i = 0; i < fr->n; i++)
			if (!isnan(x->values[i]))
			{
				mn = Min(mn, x->values[i]);
				mx = Max(mx, x->values[i]);
			}
		if (n > 0)
		{
			appendStringInfoString(&s, ", \"min\": ");
			aml_fed_json_double(&s, mn);
			appendStringInfoString(&s, ", \"max\": ");
			aml_fed_json_double(&s, mx);
		}
		appendStringInfoChar(&s, '}');
	}
	else
	{
		double	   *breaks = palloc(sizeof(double) * (a->bins + 1));
		int			nb = aml_hist_breaks(a->lower, a->upper, a->bins, breaks);
		int64	   *counts = palloc0(sizeof(int64) * nb);

		for (long i = 0; i < fr->n; i++)
		{
			int			b;

			if (isnan(x->values[i]))
				continue;
			b = aml_hist_bin(breaks, nb, x->values[i]);
			if (b >= 0)
				counts[b]++;
		}
		appendStringInfoString(&s, ", \"counts\": [");
		for (int b = 0; b < nb; b++)
		{
			if (b)
				appendStringInfoString(&s, ", ");
			if (aml_fed_group_check(counts[b], "a bin"))
			{
				hidden++;
				appendStringInfoString(&s, "null");
			}
			else
				appendStringInfo(&s, INT64_FORMAT, counts[b]);
		}
		appendStringInfoString(&s, "]}");
	}
	if (hidden > 0)
		*suppressed = psprintf("%d %s with fewer than automl.min_group_size (%d) rows not sent", hidden,
							   x->kind == AML_KIND_CATEGORICAL ? "categories" : "bins", aml_fed_min_group_size);
	return s.data;
}

Datum
automl_node_histogram(PG_FUNCTION_ARGS)
{
	HistArgs	a;
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member("automl.node_histogram");
	aml_fed_node_args(fcinfo, 2);
	a.relid = PG_GETARG_OID(0);
	a.column = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	a.filter = filter;
	a.bins = PG_ARGISNULL(3) ? 20 : PG_GETARG_INT32(3);
	check_bins(a.bins);
	a.range = PG_ARGISNULL(4) || PG_ARGISNULL(5);
	a.lower = a.range ? 0 : PG_GETARG_FLOAT8(4);
	a.upper = a.range ? 0 : PG_GETARG_FLOAT8(5);
	if (!a.range && !(isfinite(a.lower) && isfinite(a.upper) && a.lower <= a.upper))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl.node_histogram: lower and upper must be finite, lower <= upper")));
	session = aml_core_session_begin("automl.node_histogram");
	out = node_histogram_json(&a, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_histogram",
				aml_fed_log_arguments(a.relid, a.column, filter,
							  psprintf(", \"bins\": %d, \"round\": %d", a.bins, a.range ? 1 : 2)),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

static char *
local_histogram(void *arg)
{
	int64		rows;
	const char *sup;

	return node_histogram_json(arg, &rows, &sup);
}

typedef struct Category
{
	char	   *label;
	int64		count;
} Category;

static int
cmp_category(const void *a, const void *b)
{
	return strcmp(((const Category *) a)->label, ((const Category *) b)->label);
}

static void
put_bin(ReturnSetInfo *rsinfo, int bin, double lower, double upper, int64 count, bool count_null,
		const char *category)
{
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	values[0] = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	values[1] = Int32GetDatum(bin);
	if (category)
	{
		nulls[2] = nulls[3] = true;
		values[5] = CStringGetTextDatum(category);
	}
	else
	{
		values[2] = Float8GetDatum(lower);
		values[3] = Float8GetDatum(upper);
		nulls[5] = true;
	}
	values[4] = Int64GetDatum(count);
	nulls[4] = count_null;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * the categories of round 1, unioned and counted, one row each in byte
 * order; with group_by (not NULL) they are the bins of round 2
 */
static void
histogram_categories(AmlFedCall *c, ReturnSetInfo *rsinfo, json_object **docs, const HistArgs *a,
					 ArrayType *group_by)
{
	Category   *cats = NULL;
	int			n = 0;
	int			cap = 0;
	int			contributed = 0;

	for (int i = 0; i < c->n; i++)
	{
		json_object *cs;
		json_object *h;

		if (docs[i] == NULL)
			continue;
		cs = aml_fed_get(docs[i], "categories");
		if (cs == NULL || !json_object_is_type(cs, json_type_object))
		{
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_DATATYPE_MISMATCH,
							 "its column is not categorical here");
			continue;
		}
		contributed++;
		h = aml_fed_get(docs[i], "hidden");
		if (h && json_object_get_int(h) > 0)
			aml_fed_feedback(c, &c->nodes[i], false, 0,
							 "%d categories with fewer than automl.min_group_size rows not sent (their rows are not counted)",
							 json_object_get_int(h));
		json_object_object_foreach(cs, key, val)
		{
			int			k;

			for (k = 0; k < n; k++)
				if (strcmp(cats[k].label, key) == 0)
					break;
			if (k == n)
			{
				if (n == cap)
				{
					cap = Max(16, cap * 2);
					cats = cats ? repalloc(cats, sizeof(Category) * cap) : palloc(sizeof(Category) * cap);
				}
				cats[n].label = pstrdup(key);
				cats[n++].count = 0;
			}
			cats[k].count += json_object_get_int64(val);
		}
	}
	if (contributed == 0)
		aml_fed_no_contribution(c, "automl_histogram");
	if (n > 0)
		qsort(cats, n, sizeof(Category), cmp_category);
	if (group_by)
	{
		char	  **labels = palloc(sizeof(char *) * Max(n, 1));

		for (int k = 0; k < n; k++)
			labels[k] = cats[k].label;
		aml_fed_histogram_groups(c, rsinfo, a->relid, a->column, group_by, a->filter, a->bins, 0, 0, labels, n);
		return;
	}
	for (int k = 0; k < n; k++)
		put_bin(rsinfo, k + 1, 0, 0, cats[k].count, false, cats[k].label);
}

Datum
automl_fed_histogram(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(5);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlFedCall *c;
	AmlCoreSession *session;
	HistArgs	a;
	const char *params[6];
	json_object **docs;
	AmlSource  *src;
	bool		categorical;
	double		mn = INFINITY,
				mx = -INFINITY;
	int			contributed = 0;
	double	   *breaks;
	int			nb;
	int64	   *counts;
	bool	   *unknown;
	ArrayType  *group_by;

	if (nodes == NULL)
		return automl_histogram(fcinfo);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and column must not be NULL")));
	a.relid = PG_GETARG_OID(0);
	a.column = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	a.bins = PG_ARGISNULL(2) ? 20 : PG_GETARG_INT32(2);
	a.filter = AML_FILTER_ARG(fcinfo, 4);
	a.range = true;
	a.lower = a.upper = 0;
	check_bins(a.bins);
	group_by = PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3);
	if (group_by)
	{
		int			ng;

		(void) aml_fed_histogram_group_names(a.column, group_by, &ng);	/* checked before any round */
	}
	InitMaterializedSRF(fcinfo, 0);
	src = aml_source_describe_ext(a.relid, list_make1(a.column), true, true);
	categorical = src->cols[0].kind == AML_KIND_CATEGORICAL;
	c = aml_fed_begin(nodes, STRICT_ARG(6), "automl_histogram");
	session = aml_core_session_begin("automl_histogram");
	params[0] = aml_fed_relation_name(a.relid);
	params[1] = a.column;
	params[2] = aml_fed_filter_text(a.filter);
	params[3] = psprintf("%d", a.bins);
	params[4] = params[5] = NULL;
	aml_fed_round(c, "SELECT automl.node_histogram($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.jsonb, $4::pg_catalog.int4, $5::pg_catalog.float8, $6::pg_catalog.float8)",
				  6, params, local_histogram, &a);
	docs = palloc0(sizeof(json_object *) * c->n);
	for (int i = 0; i < c->n; i++)
	{
		json_object *k;

		if (!aml_fed_answered(&c->nodes[i]))
			continue;
		docs[i] = aml_fed_contribution(c, &c->nodes[i]);
		if (docs[i] == NULL)
			continue;
		k = aml_fed_get(docs[i], "kind");
		if (k == NULL || (strcmp(json_object_get_string(k), "categorical") == 0) != categorical)
		{
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_DATATYPE_MISMATCH,
							 "its column \"%s\" is of another kind than this server's", a.column);
			json_object_put(docs[i]);
			docs[i] = NULL;
		}
	}
	if (categorical)
	{
		histogram_categories(c, rsinfo, docs, &a, group_by);
		for (int i = 0; i < c->n; i++)
			if (docs[i])
				json_object_put(docs[i]);
		aml_core_session_end(session);
		aml_fed_end(c);
		return (Datum) 0;
	}
	/* the global range */
	for (int i = 0; i < c->n; i++)
	{
		json_object *lo;
		json_object *hi;

		if (docs[i] == NULL)
			continue;
		lo = aml_fed_get(docs[i], "min");
		hi = aml_fed_get(docs[i], "max");
		if (lo && hi && (json_object_is_type(lo, json_type_double) || json_object_is_type(lo, json_type_int)) &&
			(json_object_is_type(hi, json_type_double) || json_object_is_type(hi, json_type_int)))
		{
			mn = Min(mn, json_object_get_double(lo));
			mx = Max(mx, json_object_get_double(hi));
		}
		json_object_put(docs[i]);
	}
	if (!(mn <= mx))
	{
		/* no values anywhere: no rows, as automl_histogram on the union */
		for (int i = 0; i < c->n; i++)
			if (aml_fed_answered(&c->nodes[i]))
				contributed++;
		if (contributed == 0)
			aml_fed_no_contribution(c, "automl_histogram");
		aml_core_session_end(session);
		aml_fed_end(c);
		return (Datum) 0;
	}
	if (group_by)
	{
		aml_fed_histogram_groups(c, rsinfo, a.relid, a.column, group_by, a.filter, a.bins, mn, mx, NULL, 0);
		aml_core_session_end(session);
		aml_fed_end(c);
		return (Datum) 0;
	}
	breaks = palloc(sizeof(double) * (a.bins + 1));
	nb = aml_hist_breaks(mn, mx, a.bins, breaks);
	counts = palloc0(sizeof(int64) * nb);
	unknown = palloc0(sizeof(bool) * nb);
	a.range = false;
	a.lower = mn;
	a.upper = mx;
	{
		StringInfoData lo;
		StringInfoData hi;

		initStringInfo(&lo);
		initStringInfo(&hi);
		appendStringInfo(&lo, "%.17g", mn);
		appendStringInfo(&hi, "%.17g", mx);
		params[4] = lo.data;
		params[5] = hi.data;
	}
	aml_fed_round(c, "SELECT automl.node_histogram($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.jsonb, $4::pg_catalog.int4, $5::pg_catalog.float8, $6::pg_catalog.float8)",
				  6, params, local_histogram, &a);
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc;
		json_object *cs;
		int			hidden = 0;

		if (!aml_fed_answered(&c->nodes[i]))
			continue;
		doc = aml_fed_contribution(c, &c->nodes[i]);
		if (doc == NULL)
			continue;
		cs = aml_fed_get(doc, "counts");
		if (!aml_fed_is_array(cs, nb))
		{
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
			json_object_put(doc);
			continue;
		}
		for (int b = 0; b < nb; b++)
		{
			json_object *v = json_object_array_get_idx(cs, b);

			if (v == NULL || json_object_is_type(v, json_type_null))
			{
				unknown[b] = true;
				hidden++;
			}
			else
				counts[b] += json_object_get_int64(v);
		}
		if (hidden > 0)
			aml_fed_feedback(c, &c->nodes[i], false, 0,
							 "%d bins with fewer than automl.min_group_size rows not sent (their counts are NULL)",
							 hidden);
		contributed++;
		json_object_put(doc);
	}
	if (contributed == 0)
		aml_fed_no_contribution(c, "automl_histogram");
	for (int b = 0; b < nb; b++)
		put_bin(rsinfo, b + 1, breaks[b], breaks[b + 1], counts[b], unknown[b], NULL);
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}
