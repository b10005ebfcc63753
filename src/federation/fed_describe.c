/*
 * fed_describe.c — automl_correlation (Pearson) and automl_pca over
 * federation nodes, equal to the same functions on the union of the nodes'
 * rows (automl_histogram: fed_histogram.c).
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
 * Node side: automl.node_correlation, automl.node_pca
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

PG_FUNCTION_INFO_V1(automl_fed_correlation);
PG_FUNCTION_INFO_V1(automl_fed_pca);
PG_FUNCTION_INFO_V1(automl_node_correlation);
PG_FUNCTION_INFO_V1(automl_node_pca);

extern Datum automl_correlation(PG_FUNCTION_ARGS);
extern Datum automl_pca(PG_FUNCTION_ARGS);



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
check_numeric(AmlStatsFrame *fr, const char *what)
{
	for (int j = 0; j < fr->ncols; j++)
		if (fr->cols[j].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: column \"%s\" is categorical", what, fr->cols[j].name)));
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
	aml_fed_node_args(fcinfo, 2);
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
	aml_fed_log("automl.node_correlation", aml_fed_log_arguments(a.relid, names_text(a.names, a.n), a.filter, NULL),
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
	aml_fed_log("automl.node_pca", aml_fed_log_arguments(a.relid, names_text(a.names, a.n), a.filter, NULL),
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
