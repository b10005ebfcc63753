/*
 * fed_summary.c — automl_summary over federation nodes: counts, NULL
 * counts, mean and sample standard deviation of numeric columns (moments
 * combined as PostgreSQL's float8_combine, stats/combine.h), category
 * counts of categorical and boolean columns (distinct count, most frequent
 * value; booleans also get mean and std, as automl_summary gives).  Numeric
 * and boolean columns: each node also sends the count of its non-NaN values
 * and their minimum and maximum (as automl_histogram's first round); the
 * quartiles and median then come exactly from rounds of counts below
 * thresholds (fed_quantile.c).  The distinct count of a numeric column
 * stays NULL (it would need the values).
 *
 * Node side: automl.node_summary(), members only, logged; a node with fewer
 * than automl.min_group_size rows suppresses its part, a column with fewer
 * values (1 .. min-1) is left out, and a category with fewer rows is not
 * sent (its column's distinct count and most frequent value are then NULL
 * at the centre: they would be wrong).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "core/dataset.h"
#include "core/stats.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_quantile.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "stats/combine.h"

PG_FUNCTION_INFO_V1(automl_fed_summary);
PG_FUNCTION_INFO_V1(automl_node_summary);

extern Datum automl_summary(PG_FUNCTION_ARGS);

static char *
node_summary_json(Oid relid, ArrayType *columns, Jsonb *filter, int64 *rows, const char **suppressed)
{
	AmlSource  *source = aml_source_describe(relid, columns, true);
	AmlLoadStats stats;
	AmlDataset *ds = aml_source_load_where(source, aml_filter_compile(filter, relid, 1), &stats);
	StringInfoData s;

	*rows = ds->n_rows;
	*suppressed = aml_fed_group_check(ds->n_rows, "the set of rows");
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %d, \"columns\": [", ds->n_rows);
	for (int c = 0; c < ds->n_cols; c++)
	{
		AmlColumn  *col = &ds->columns[c];
		int			count = ds->n_rows - col->n_missing;

		CHECK_FOR_INTERRUPTS();
		if (c > 0)
			appendStringInfoString(&s, ", ");
		appendStringInfoString(&s, "{\"name\": ");
		aml_fed_json_string(&s, col->name);
		appendStringInfo(&s, ", \"kind\": \"%s\", \"count\": %d, \"null_count\": %d",
						 aml_kind_name(col->kind), count, col->n_missing);
		if (aml_fed_group_check(count, "values") || aml_fed_group_check(col->n_missing, "NULLs"))
		{
			/* a handful of values or of NULLs: nothing but the fact */
			*suppressed = psprintf("column \"%s\" has fewer than automl.min_group_size (%d) values or NULLs",
								   col->name, aml_fed_min_group_size);
			return aml_fed_suppressed_json(*suppressed);
		}
		if (col->kind != AML_KIND_CATEGORICAL)
		{
			AmlMoments	m;

			aml_moments_init(&m);
			for (int i = 0; i < ds->n_rows; i++)
				if (!col->missing[i])
					aml_moments_add(&m, col->values[i]);
			double		mn = INFINITY,
						mx = -INFINITY;
			int			finite = 0;

			appendStringInfoString(&s, ", \"moments\": [");
			aml_fed_json_double(&s, m.n);
			appendStringInfoString(&s, ", ");
			aml_fed_json_double(&s, m.sum);
			appendStringInfoString(&s, ", ");
			aml_fed_json_double(&s, m.sxx);
			appendStringInfoChar(&s, ']');
			/* the order statistics' frame: values that sort (no NaN), extremes */
			for (int i = 0; i < ds->n_rows; i++)
				if (!isnan(col->values[i]))
				{
					finite++;
					mn = Min(mn, col->values[i]);
					mx = Max(mx, col->values[i]);
				}
			appendStringInfo(&s, ", \"sorted_n\": %d", finite);
			if (finite > 0)
			{
				appendStringInfoString(&s, ", \"min\": ");
				aml_fed_json_double(&s, mn);
				appendStringInfoString(&s, ", \"max\": ");
				aml_fed_json_double(&s, mx);
			}
		}
		if (col->kind != AML_KIND_NUMERIC)
		{
			int			nd = col->kind == AML_KIND_BINARY ? 2 : col->dict->count;
			int64	   *freq = palloc0(sizeof(int64) * Max(nd, 1));
			bool		hidden = false;
			int			k = 0;

			for (int i = 0; i < ds->n_rows; i++)
				if (!col->missing[i])
					freq[col->kind == AML_KIND_BINARY ? (col->values[i] != 0) : (int) col->values[i]]++;
			appendStringInfoString(&s, ", \"categories\": {");
			for (int d = 0; d < nd; d++)
			{
				if (freq[d] == 0)
					continue;
				if (aml_fed_group_check(freq[d], "a category"))
				{
					hidden = true;
					continue;
				}
				if (k++ > 0)
					appendStringInfoString(&s, ", ");
				aml_fed_json_string(&s, col->kind == AML_KIND_BINARY ? (d ? "true" : "false")
									: aml_dict_string(col->dict, d));
				appendStringInfo(&s, ": " INT64_FORMAT, freq[d]);
			}
			appendStringInfo(&s, "}, \"hidden\": %s", hidden ? "true" : "false");
		}
		appendStringInfoChar(&s, '}');
	}
	appendStringInfoString(&s, "]}");
	return s.data;
}

Datum
automl_node_summary(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ArrayType  *columns = PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1);
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;
	StringInfoData args;

	aml_fed_check_member("automl.node_summary");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	relid = PG_GETARG_OID(0);
	session = aml_core_session_begin("automl.node_summary");
	out = node_summary_json(relid, columns, filter, &rows, &suppressed);
	aml_core_session_end(session);
	initStringInfo(&args);
	appendStringInfoString(&args, "{\"relation\": ");
	aml_fed_json_string(&args, aml_fed_relation_name(relid));
	appendStringInfo(&args, ", \"filter\": %s}",
					 filter ? JsonbToCString(NULL, &filter->root, VARSIZE(filter)) : "null");
	aml_fed_log("automl.node_summary", args.data, rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

typedef struct LocalSummary
{
	Oid			relid;
	ArrayType  *columns;
	Jsonb	   *filter;
} LocalSummary;

static char *
local_summary(void *arg)
{
	LocalSummary *a = arg;
	int64		rows;
	const char *sup;

	return node_summary_json(a->relid, a->columns, a->filter, &rows, &sup);
}

typedef struct ColSum
{
	int64		count;
	int64		null_count;
	AmlMoments	m;
	List	   *labels;			/* categories: char * */
	List	   *counts;			/* int64 * */
	bool		hidden;
	bool		seen;
	bool		order_unknown;	/* a node's extreme could not be read (infinite) */
} ColSum;

enum
{
	S_COLUMN_NAME, S_KIND, S_COUNT, S_NULL_COUNT, S_DISTINCT_COUNT, S_MEAN, S_STD, S_MIN,
	S_Q1, S_MEDIAN, S_Q3, S_MAX, S_TOP, S_TOP_COUNT, S_NATTS
};

Datum
automl_fed_summary(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_ARRAYTYPE_P(3) : NULL;
	bool		strict = PG_NARGS() > 4 && !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *columns = PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1);
	Jsonb	   *filter = AML_FILTER_ARG(fcinfo, 2);
	AmlSource  *source;
	AmlFedCall *c;
	AmlCoreSession *session;
	ColSum	   *cs;
	AmlFedQuantileColumn *q;
	LocalSummary la;
	const char *params[3];
	int			contributed = 0;

	if (nodes == NULL)
		return automl_summary(fcinfo);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be NULL")));
	InitMaterializedSRF(fcinfo, 0);
	source = aml_source_describe(PG_GETARG_OID(0), columns, true);
	c = aml_fed_begin(nodes, strict, "automl_summary");
	session = aml_core_session_begin("automl_summary");
	cs = palloc0(sizeof(ColSum) * Max(source->ncols, 1));
	q = palloc0(sizeof(AmlFedQuantileColumn) * Max(source->ncols, 1));
	for (int j = 0; j < source->ncols; j++)
	{
		aml_moments_init(&cs[j].m);
		q[j].name = source->cols[j].name;
		q[j].min = INFINITY;
		q[j].max = -INFINITY;
	}
	la.relid = PG_GETARG_OID(0);
	la.columns = columns;
	la.filter = filter;
	params[0] = aml_fed_relation_name(la.relid);
	if (columns)
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(get_fn_expr_argtype(fcinfo->flinfo, 1), &out, &varlena);
		params[1] = OidOutputFunctionCall(out, PointerGetDatum(columns));
	}
	else
		params[1] = NULL;
	params[2] = aml_fed_filter_text(filter);
	aml_fed_round(c, "SELECT automl.node_summary($1::pg_catalog.regclass, $2::pg_catalog.name[], $3::pg_catalog.jsonb)",
				  3, params, local_summary, &la);
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		json_object *cols = NULL;

		if (!aml_fed_answered(node))
			continue;
		doc = aml_fed_contribution(c, node);
		if (doc == NULL)
			continue;
		if (!json_object_object_get_ex(doc, "columns", &cols) || cols == NULL ||
			!json_object_is_type(cols, json_type_array) ||
			json_object_array_length(cols) != source->ncols)
		{
			json_object_put(doc);
			aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH, "its relation's columns differ from this server's");
			continue;
		}
		for (int j = 0; j < source->ncols; j++)
		{
			json_object *col = json_object_array_get_idx(cols, j);
			json_object *x = NULL;
			ColSum	   *s = &cs[j];

			if (col == NULL || !json_object_is_type(col, json_type_object))
				continue;

			json_object_object_get_ex(col, "count", &x);
			s->count += json_object_get_int64(x);
			json_object_object_get_ex(col, "null_count", &x);
			s->null_count += json_object_get_int64(x);
			s->seen = true;
			if (json_object_object_get_ex(col, "moments", &x) && x != NULL &&
				json_object_is_type(x, json_type_array) && json_object_array_length(x) == 3)
			{
				AmlMoments	m;

				m.n = json_object_get_double(json_object_array_get_idx(x, 0));
				m.sum = json_object_get_double(json_object_array_get_idx(x, 1));
				m.sxx = json_object_get_double(json_object_array_get_idx(x, 2));
				aml_moments_merge(&s->m, &m);
			}
			if ((x = aml_fed_get(col, "sorted_n")) != NULL && json_object_get_int64(x) > 0)
			{
				json_object *lo = aml_fed_get(col, "min");
				json_object *hi = aml_fed_get(col, "max");

				q[j].n += json_object_get_int64(x);
				if (lo && hi && (json_object_is_type(lo, json_type_double) || json_object_is_type(lo, json_type_int)) &&
					(json_object_is_type(hi, json_type_double) || json_object_is_type(hi, json_type_int)))
				{
					q[j].min = Min(q[j].min, json_object_get_double(lo));
					q[j].max = Max(q[j].max, json_object_get_double(hi));
				}
				else
					s->order_unknown = true;
			}
			if (json_object_object_get_ex(col, "hidden", &x) && json_object_get_boolean(x))
				s->hidden = true;
			if (json_object_object_get_ex(col, "categories", &x) && x != NULL &&
				json_object_is_type(x, json_type_object))
			{
				json_object_object_foreach(x, key, val)
				{
					ListCell   *lc;
					int			k = 0;
					bool		found = false;

					foreach(lc, s->labels)
					{
						if (strcmp(lfirst(lc), key) == 0)
						{
							*(int64 *) list_nth(s->counts, k) += json_object_get_int64(val);
							found = true;
							break;
						}
						k++;
					}
					if (!found)
					{
						int64	   *n = palloc(sizeof(int64));

						*n = json_object_get_int64(val);
						s->labels = lappend(s->labels, pstrdup(key));
						s->counts = lappend(s->counts, n);
					}
				}
			}
		}
		contributed++;
		json_object_put(doc);
	}
	if (contributed == 0)
		aml_fed_no_contribution(c, "automl_summary");
	for (int j = 0; j < source->ncols; j++)
		q[j].known = source->cols[j].kind != AML_KIND_CATEGORICAL && q[j].n > 0 && !cs[j].order_unknown &&
			q[j].min <= q[j].max;
	aml_fed_quantiles(c, la.relid, filter, q, source->ncols);
	for (int j = 0; j < source->ncols; j++)
	{
		Datum		values[S_NATTS];
		bool		nulls[S_NATTS];
		ColSum	   *s = &cs[j];

		for (int k = 0; k < S_NATTS; k++)
			nulls[k] = true;
		values[S_COLUMN_NAME] = CStringGetTextDatum(source->cols[j].name);
		values[S_KIND] = CStringGetTextDatum(aml_kind_name(source->cols[j].kind));
		values[S_COUNT] = Int64GetDatum(s->count);
		values[S_NULL_COUNT] = Int64GetDatum(s->null_count);
		nulls[S_COLUMN_NAME] = nulls[S_KIND] = nulls[S_COUNT] = nulls[S_NULL_COUNT] = false;
		if (source->cols[j].kind != AML_KIND_CATEGORICAL)
		{
			if (s->m.n > 0)
			{
				values[S_MEAN] = Float8GetDatum(aml_moments_mean(&s->m));
				nulls[S_MEAN] = false;
			}
			if (s->m.n > 1)
			{
				values[S_STD] = Float8GetDatum(sqrt(aml_moments_var_samp(&s->m)));
				nulls[S_STD] = false;
			}
			if (q[j].known)
			{
				values[S_MIN] = Float8GetDatum(q[j].min);
				values[S_MAX] = Float8GetDatum(q[j].max);
				nulls[S_MIN] = nulls[S_MAX] = false;
				values[S_Q1] = Float8GetDatum(q[j].q[0]);
				values[S_MEDIAN] = Float8GetDatum(q[j].q[1]);
				values[S_Q3] = Float8GetDatum(q[j].q[2]);
				nulls[S_Q1] = q[j].q_null[0];
				nulls[S_MEDIAN] = q[j].q_null[1];
				nulls[S_Q3] = q[j].q_null[2];
			}
		}
		if (source->cols[j].kind != AML_KIND_NUMERIC && !s->hidden && s->labels != NIL)
		{
			int			top = -1;
			int64		top_n = 0;

			/* ties go to the first value in byte order, as automl_summary */
			for (int k = 0; k < list_length(s->labels); k++)
			{
				int64		n = *(int64 *) list_nth(s->counts, k);

				if (top < 0 || n > top_n ||
					(n == top_n && strcmp(list_nth(s->labels, k), list_nth(s->labels, top)) < 0))
				{
					top = k;
					top_n = n;
				}
			}
			values[S_DISTINCT_COUNT] = Int64GetDatum(list_length(s->labels));
			values[S_TOP] = CStringGetTextDatum(list_nth(s->labels, top));
			values[S_TOP_COUNT] = Int64GetDatum(top_n);
			nulls[S_DISTINCT_COUNT] = nulls[S_TOP] = nulls[S_TOP_COUNT] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}
