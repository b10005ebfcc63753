/*
 * fed_describe.c — automl_histogram, automl_correlation (Pearson) and
 * automl_pca over federation nodes, equal to the same functions on the
 * union of the nodes' rows.
 *
 * Histogram: round 1, each node sends its count and the minimum and maximum
 * of the column (categorical: its category counts, and that is all); the
 * centre takes the global range, makes R's breaks (aml_hist_breaks) and in
 * round 2 every node counts its values in those bins with the local
 * function's rule (aml_hist_bin).  A bin (or category) holding 1 ..
 * automl.min_group_size - 1 of a node's rows is not sent: the centre's count
 * of such a bin is NULL (a hidden category cannot be named: its rows are
 * missing from the counts), with a feedback entry.  group_by is not
 * federated (0A000).
 *
 * Correlation: per pair of columns, each node sends the co-moments of its
 * pairwise-complete rows (count, means, centred sums of squares and cross
 * products); the centre merges them (Chan et al., stats/combine.h) and runs
 * cor.test's Pearson inference on the pooled r.  Spearman and Kendall need
 * the ranks of the pooled rows: refused (0A000).  A node with a pair of
 * 1 .. min - 1 complete rows suppresses its part.
 *
 * PCA: each node sends its count, column means and the triangular factor of
 * its centred complete rows; the centre stacks them with the between-node
 * rows into one QR (aml_pca_combine), whose SVD gives prcomp's components
 * with the local function's sign rule.  A node with fewer than
 * automl.min_group_size rows, or no more rows than columns (its factor
 * would be its rows, rotated), suppresses its part.
 *
 * Node side: automl.node_histogram, automl.node_correlation, automl.node_pca
 * (members only, logged in automl.federation_log).
 */
#include "federation/fed_json.h"

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
PG_FUNCTION_INFO_V1(automl_fed_correlation);
PG_FUNCTION_INFO_V1(automl_fed_pca);
PG_FUNCTION_INFO_V1(automl_node_histogram);
PG_FUNCTION_INFO_V1(automl_node_correlation);
PG_FUNCTION_INFO_V1(automl_node_pca);

extern Datum automl_histogram(PG_FUNCTION_ARGS);
extern Datum automl_correlation(PG_FUNCTION_ARGS);
extern Datum automl_pca(PG_FUNCTION_ARGS);

#define MAX_BINS 10000			/* as automl_histogram */

#define NODES_ARG(i) (PG_NARGS() > (i) && !PG_ARGISNULL(i) ? PG_GETARG_ARRAYTYPE_P(i) : NULL)
#define STRICT_ARG(i) (PG_NARGS() > (i) && !PG_ARGISNULL(i) && PG_GETARG_BOOL(i))

/* ---------------------------------------------------------------- helpers */

static void
put(Datum *values, bool *nulls, int i, double v)
{
	nulls[i] = isnan(v);
	values[i] = Float8GetDatum(v);
}

/* names as the text of a name[] (a node-function parameter) */
static char *
names_text(char **names, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	ArrayType  *a;
	Oid			out;
	bool		varlena;

	for (int i = 0; i < n; i++)
		d[i] = DirectFunctionCall1(namein, CStringGetDatum(names[i]));
	a = construct_array(d, n, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR);
	getTypeOutputInfo(NAMEARRAYOID, &out, &varlena);
	return OidOutputFunctionCall(out, PointerGetDatum(a));
}

static char **
names_from_array(ArrayType *a, const char *argname, int *n)
{
	List	   *l = aml_name_array_to_list(a, argname);
	char	  **names = palloc(sizeof(char *) * Max(list_length(l), 1));
	ListCell   *lc;

	*n = 0;
	foreach(lc, l)
		names[(*n)++] = lfirst(lc);
	return names;
}

/* the columns argument, or every numeric column (as the local functions) */
static char **
numeric_columns(Oid relid, ArrayType *columns, int *n)
{
	AmlSource  *all;
	char	  **names;

	if (columns)
		return names_from_array(columns, "columns", n);
	all = aml_source_describe_ext(relid, NIL, true, true);
	names = palloc(sizeof(char *) * Max(all->ncols, 1));
	*n = 0;
	for (int i = 0; i < all->ncols; i++)
		if (all->cols[i].kind == AML_KIND_NUMERIC)
			names[(*n)++] = all->cols[i].name;
	return names;
}

static char *
log_arguments(Oid relid, const char *names, Jsonb *filter, const char *extra)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"relation\": ");
	aml_fed_json_string(&s, aml_fed_relation_name(relid));
	appendStringInfoString(&s, ", \"columns\": ");
	aml_fed_json_string(&s, names);
	appendStringInfo(&s, ", \"filter\": %s%s}", filter ? aml_fed_filter_text(filter) : "null",
					 extra ? extra : "");
	return s.data;
}

/* p x p factors and p (p - 1) / 2 pairs: no more columns than a table can have */
static void
check_column_count(int n)
{
	if (n > MaxHeapAttributeNumber)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many columns (%d); the limit is %d", n, MaxHeapAttributeNumber)));
}

static void
node_not_null(FunctionCallInfo fcinfo, int nargs)
{
	for (int i = 0; i < nargs; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of a federation function must not be NULL", i + 1)));
}

static void
check_numeric(AmlStatsFrame *fr, const char *what)
{
	for (int j = 0; j < fr->ncols; j++)
		if (fr->cols[j].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: column \"%s\" is categorical", what, fr->cols[j].name)));
}

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
	node_not_null(fcinfo, 2);
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
				log_arguments(a.relid, a.column, filter,
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

/* the categories of round 1, unioned and counted, one row each in byte order */
static void
histogram_categories(AmlFedCall *c, ReturnSetInfo *rsinfo, json_object **docs)
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
	if (!PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("automl_histogram: group_by is not supported over federation nodes"),
				 errhint("Call it without group_by, or with a filter per group.")));
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
		histogram_categories(c, rsinfo, docs);
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

/* ---------------------------------------------------------------- correlation */

typedef struct ColsArgs
{
	Oid			relid;
	char	  **names;
	int			n;
	Jsonb	   *filter;
} ColsArgs;

/* {"n": rows, "pairs": [[n, mx, my, cxx, cyy, cxy], ...]} (pairs a < b in column order) */
static char *
node_correlation_json(const ColsArgs *a, int64 *rows, const char **suppressed)
{
	AmlStatsFrame *fr = aml_stats_frame_load(a->relid, a->names, a->n, a->filter, false,
											 "automl.node_correlation");
	StringInfoData s;
	int			k = 0;

	check_numeric(fr, "automl_correlation");
	*rows = fr->n;
	*suppressed = aml_fed_group_check(fr->n, "the set of rows");
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"pairs\": [", fr->n);
	for (int x = 0; x < fr->ncols; x++)
		for (int y = x + 1; y < fr->ncols; y++)
		{
			AmlCoMoments m;
			double		v[6];

			CHECK_FOR_INTERRUPTS();
			aml_comoments_compute(fr->cols[x].values, fr->cols[y].values, fr->n, &m);
			*suppressed = aml_fed_group_check((int64) m.n,
											  psprintf("the complete rows of \"%s\" and \"%s\"",
													   fr->cols[x].name, fr->cols[y].name));
			if (*suppressed)
				return aml_fed_suppressed_json(*suppressed);
			v[0] = m.n;
			v[1] = m.mx;
			v[2] = m.my;
			v[3] = m.cxx;
			v[4] = m.cyy;
			v[5] = m.cxy;
			appendStringInfoString(&s, k++ ? ", [" : "[");
			for (int i = 0; i < 6; i++)
			{
				if (i)
					appendStringInfoString(&s, ", ");
				aml_fed_json_double(&s, v[i]);
			}
			appendStringInfoChar(&s, ']');
		}
	appendStringInfoString(&s, "]}");
	return s.data;
}

static void
node_cols_args(FunctionCallInfo fcinfo, ColsArgs *a)
{
	node_not_null(fcinfo, 2);
	a->relid = PG_GETARG_OID(0);
	a->names = names_from_array(PG_GETARG_ARRAYTYPE_P(1), "columns", &a->n);
	a->filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	if (a->n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must not be empty")));
	check_column_count(a->n);
}

Datum
automl_node_correlation(PG_FUNCTION_ARGS)
{
	ColsArgs	a;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member("automl.node_correlation");
	node_cols_args(fcinfo, &a);
	session = aml_core_session_begin("automl.node_correlation");
	out = node_correlation_json(&a, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_correlation", log_arguments(a.relid, names_text(a.names, a.n), a.filter, NULL),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

static char *
local_correlation(void *arg)
{
	int64		rows;
	const char *sup;

	return node_correlation_json(arg, &rows, &sup);
}

/* Send the round of a function of columns; NULL-free params. */
static void
cols_round(AmlFedCall *c, const char *fn, ColsArgs *a, AmlFedLocalFn local)
{
	const char *params[3];

	params[0] = aml_fed_relation_name(a->relid);
	params[1] = names_text(a->names, a->n);
	params[2] = aml_fed_filter_text(a->filter);
	aml_fed_round(c, psprintf("SELECT %s($1::pg_catalog.regclass, $2::pg_catalog.name[], $3::pg_catalog.jsonb)", fn),
				  3, params, local, a);
}

Datum
automl_fed_correlation(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *method = PG_ARGISNULL(2) ? "pearson" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	AmlFedCall *c;
	AmlCoreSession *session;
	ColsArgs	a;
	AmlCoMoments *pooled;
	int			npairs;
	int			contributed = 0;
	int			k;

	if (nodes == NULL)
		return automl_correlation(fcinfo);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	if (strcmp(method, "spearman") == 0 || strcmp(method, "kendall") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("automl_correlation: method \"%s\" is not supported over federation nodes", method),
				 errdetail("It needs the ranks of the pooled rows, which no node can compute from its own rows."),
				 errhint("Use method => 'pearson' (exact over nodes), or call it on each node.")));
	if (strcmp(method, "pearson") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_correlation: unknown method \"%s\"", method),
				 errhint("The methods are pearson, spearman and kendall.")));
	a.relid = PG_GETARG_OID(0);
	a.filter = AML_FILTER_ARG(fcinfo, 3);
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_correlation");
	a.names = numeric_columns(a.relid, PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1), &a.n);
	if (a.n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_correlation needs at least two numeric columns")));
	check_column_count(a.n);
	/* the columns' kinds here: errors before any node is asked */
	for (int j = 0; j < a.n; j++)
	{
		AmlSource  *src = aml_source_describe_ext(a.relid, list_make1(a.names[j]), true, true);

		if (src->cols[0].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("automl_correlation: column \"%s\" is categorical", a.names[j]),
					 errdetail("Correlations are between numeric (or boolean) columns.")));
	}
	c = aml_fed_begin(nodes, STRICT_ARG(5), "automl_correlation");
	npairs = a.n * (a.n - 1) / 2;
	pooled = palloc0(sizeof(AmlCoMoments) * npairs);
	cols_round(c, "automl.node_correlation", &a, local_correlation);
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc;
		json_object *pairs;
		bool		ok = true;

		if (!aml_fed_answered(&c->nodes[i]))
			continue;
		doc = aml_fed_contribution(c, &c->nodes[i]);
		if (doc == NULL)
			continue;
		pairs = aml_fed_get(doc, "pairs");
		if (!aml_fed_is_array(pairs, npairs))
			ok = false;
		for (int p = 0; ok && p < npairs; p++)
			if (!aml_fed_is_number_array(json_object_array_get_idx(pairs, p), 6))
				ok = false;
		if (!ok)
		{
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
			json_object_put(doc);
			continue;
		}
		for (int p = 0; p < npairs; p++)
		{
			json_object *v = json_object_array_get_idx(pairs, p);
			AmlCoMoments m;

			m.n = json_object_get_double(json_object_array_get_idx(v, 0));
			m.mx = json_object_get_double(json_object_array_get_idx(v, 1));
			m.my = json_object_get_double(json_object_array_get_idx(v, 2));
			m.cxx = json_object_get_double(json_object_array_get_idx(v, 3));
			m.cyy = json_object_get_double(json_object_array_get_idx(v, 4));
			m.cxy = json_object_get_double(json_object_array_get_idx(v, 5));
			aml_comoments_merge(&pooled[p], &m);
		}
		contributed++;
		json_object_put(doc);
	}
	if (contributed == 0)
		aml_fed_no_contribution(c, "automl_correlation");
	k = 0;
	for (int x = 0; x < a.n; x++)
		for (int y = x + 1; y < a.n; y++)
		{
			AmlCoMoments *m = &pooled[k++];
			AmlTestResult r;
			AmlError	err;
			Datum		values[8];
			bool		nulls[8];
			long		n = (long) m->n;

			memset(nulls, 0, sizeof(nulls));
			values[0] = CStringGetTextDatum(a.names[x]);
			values[1] = CStringGetTextDatum(a.names[y]);
			if (aml_cor_test_pearson(n >= 3 ? m->cxy / sqrt(m->cxx * m->cyy) : NAN, n, 0.95, &r, &err) != AML_OK)
			{
				if (err.status != AML_ERR_INVALID_DATA)
					aml_pg_raise(&err);
				r.estimate = r.statistic = r.p_value = r.conf_low = r.conf_high = NAN;
				r.n = n;
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
	aml_fed_end(c);
	return (Datum) 0;
}

/* ---------------------------------------------------------------- PCA */

/* {"n": rows, "mean": [p], "r": [p x p column-major]} of the complete rows */
static char *
node_pca_json(const ColsArgs *a, int64 *rows, const char **suppressed)
{
	AmlStatsFrame *fr = aml_stats_frame_load(a->relid, a->names, a->n, a->filter, true, "automl.node_pca");
	const double **cols = palloc(sizeof(double *) * a->n);
	double	   *mean = palloc(sizeof(double) * a->n);
	double	   *r = palloc(sizeof(double) * a->n * a->n);
	AmlError	err;
	StringInfoData s;

	check_numeric(fr, "automl_pca");
	*rows = fr->n;
	*suppressed = aml_fed_group_check(fr->n, "the set of complete rows");
	if (*suppressed == NULL && fr->n > 0 && fr->n <= a->n)
		*suppressed = psprintf("the set of complete rows has no more rows (%ld) than columns (%d)", fr->n, a->n);
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	for (int j = 0; j < a->n; j++)
		cols[j] = fr->cols[j].values;
	if (aml_cov_factor(cols, fr->n, a->n, mean, r, &err) != AML_OK)
		aml_pg_raise(&err);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"mean\": [", fr->n);
	for (int j = 0; j < a->n; j++)
	{
		if (j)
			appendStringInfoString(&s, ", ");
		aml_fed_json_double(&s, mean[j]);
	}
	appendStringInfoString(&s, "], \"r\": [");
	for (int j = 0; j < a->n * a->n; j++)
	{
		if (j)
			appendStringInfoString(&s, ", ");
		aml_fed_json_double(&s, r[j]);
	}
	appendStringInfoString(&s, "]}");
	return s.data;
}

Datum
automl_node_pca(PG_FUNCTION_ARGS)
{
	ColsArgs	a;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member("automl.node_pca");
	node_cols_args(fcinfo, &a);
	session = aml_core_session_begin("automl.node_pca");
	out = node_pca_json(&a, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_pca", log_arguments(a.relid, names_text(a.names, a.n), a.filter, NULL),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

static char *
local_pca(void *arg)
{
	int64		rows;
	const char *sup;

	return node_pca_json(arg, &rows, &sup);
}

Datum
automl_fed_pca(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		scale = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	AmlFedCall *c;
	AmlCoreSession *session;
	ColsArgs	a;
	int			p;
	long	   *n;
	double	  **mean;
	double	  **r;
	int			k = 0;
	double	   *sdev;
	double	   *loadings;
	int			ncomp;
	double		total = 0,
				cum = 0;
	AmlError	err;

	if (nodes == NULL)
		return automl_pca(fcinfo);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	a.relid = PG_GETARG_OID(0);
	a.filter = AML_FILTER_ARG(fcinfo, 3);
	InitMaterializedSRF(fcinfo, 0);
	session = aml_core_session_begin("automl_pca");
	a.names = numeric_columns(a.relid, PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1), &a.n);
	p = a.n;
	if (p < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_pca needs at least one numeric column")));
	check_column_count(p);
	for (int j = 0; j < p; j++)
	{
		AmlSource  *src = aml_source_describe_ext(a.relid, list_make1(a.names[j]), true, true);

		if (src->cols[0].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("automl_pca: column \"%s\" is categorical", a.names[j]),
					 errdetail("Principal components are computed from numeric (or boolean) columns.")));
	}
	c = aml_fed_begin(nodes, STRICT_ARG(5), "automl_pca");
	n = palloc0(sizeof(long) * c->n);
	mean = palloc0(sizeof(double *) * c->n);
	r = palloc0(sizeof(double *) * c->n);
	cols_round(c, "automl.node_pca", &a, local_pca);
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc;
		json_object *jm;
		json_object *jr;
		json_object *jn;

		if (!aml_fed_answered(&c->nodes[i]))
			continue;
		doc = aml_fed_contribution(c, &c->nodes[i]);
		if (doc == NULL)
			continue;
		jn = aml_fed_get(doc, "n");
		jm = aml_fed_get(doc, "mean");
		jr = aml_fed_get(doc, "r");
		if (jn == NULL || !json_object_is_type(jn, json_type_int) ||
			!aml_fed_is_number_array(jm, p) || !aml_fed_is_number_array(jr, (size_t) p * p))
		{
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
			json_object_put(doc);
			continue;
		}
		n[k] = (long) json_object_get_int64(jn);
		if (n[k] > 0)
		{
			mean[k] = palloc(sizeof(double) * p);
			r[k] = palloc(sizeof(double) * p * p);
			for (int j = 0; j < p; j++)
				mean[k][j] = json_object_get_double(json_object_array_get_idx(jm, j));
			for (int j = 0; j < p * p; j++)
				r[k][j] = json_object_get_double(json_object_array_get_idx(jr, j));
			k++;
		}
		json_object_put(doc);
	}
	if (k == 0)
		aml_fed_no_contribution(c, "automl_pca");
	sdev = palloc(sizeof(double) * p);
	loadings = palloc(sizeof(double) * p * p);
	if (aml_pca_combine(k, n, (const double *const *) mean, (const double *const *) r, p, scale,
						sdev, loadings, &ncomp, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int comp = 0; comp < ncomp; comp++)
		total += sdev[comp] * sdev[comp];
	for (int comp = 0; comp < ncomp; comp++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		StringInfoData s;

		cum += sdev[comp] * sdev[comp];
		initStringInfo(&s);
		appendStringInfoChar(&s, '{');
		for (int j = 0; j < p; j++)
		{
			if (j)
				appendStringInfoString(&s, ", ");
			aml_fed_json_string(&s, a.names[j]);
			appendStringInfo(&s, ": %.17g", loadings[j + (size_t) comp * p]);
		}
		appendStringInfoChar(&s, '}');
		values[0] = Int32GetDatum(comp + 1);
		values[1] = Float8GetDatum(sdev[comp]);
		values[2] = Float8GetDatum(sdev[comp] * sdev[comp] / total);
		values[3] = Float8GetDatum(cum / total);
		values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}
