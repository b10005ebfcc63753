/*
 * fed_lm.c — automl_lm, automl_lm_glance and automl_anova over federation
 * nodes (nodes => ARRAY[...]), equal to the same function on the union of
 * the nodes' rows.
 *
 * Round 1 (only when the formula has factors): each node reports the levels
 * of each factor in its complete rows; the centre unions them (byte order,
 * as stats_frame.c sorts), so every node codes its rows with the same
 * columns.  Round 2: each node folds its rows into the factor of
 * stats/combine.h and sends it with the response's moments; the centre
 * stacks the factors and fits (combine.h explains why this is exact).
 *
 * Node side: automl.node_lm_levels() and automl.node_lm(), members of
 * automl_federation_member only; a node whose rows or any group of them
 * (factor level, cell of an interaction of factors) number fewer than
 * automl.min_group_size sends nothing but the fact that it suppressed its
 * part; so does a node with no more rows than the model has columns.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "core/memory.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_lm.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "pg/stats_rows.h"
#include "stats/combine.h"
#include "stats/lm.h"

PG_FUNCTION_INFO_V1(automl_fed_lm);
PG_FUNCTION_INFO_V1(automl_fed_lm_glance);
PG_FUNCTION_INFO_V1(automl_fed_anova);
PG_FUNCTION_INFO_V1(automl_node_lm_levels);
PG_FUNCTION_INFO_V1(automl_node_lm);

/* issue 11's local functions (src/pg/stats_lm.c) */
extern Datum automl_lm(PG_FUNCTION_ARGS);
extern Datum automl_lm_glance(PG_FUNCTION_ARGS);
extern Datum automl_anova(PG_FUNCTION_ARGS);

/* ---------------------------------------------------------------- helpers */

static char *
arguments_json(Oid relid, const char *formula, Jsonb *filter)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"relation\": ");
	aml_fed_json_string(&s, aml_fed_relation_name(relid));
	appendStringInfoString(&s, ", \"formula\": ");
	aml_fed_json_string(&s, formula);
	appendStringInfo(&s, ", \"filter\": %s}", filter ? aml_fed_filter_text(filter) : "null");
	return s.data;
}

/* ---------------------------------------------------------------- node side */

/* Levels of each factor in the complete rows, in formula variable order. */
static char *
node_levels_json(Oid relid, const char *formula, Jsonb *filter, int64 *rows, const char **suppressed)
{
	AmlFormula *f = aml_stats_parse_formula(relid, formula, true);
	char	  **names = palloc(sizeof(char *) * (f->n_vars + 1));
	AmlStatsFrame *fr;
	StringInfoData s;

	names[0] = f->response;
	for (int v = 0; v < f->n_vars; v++)
		names[v + 1] = f->vars[v];
	fr = aml_stats_frame_load(relid, names, f->n_vars + 1, filter, true, "automl.node_lm_levels");
	*rows = fr->n;
	*suppressed = aml_fed_group_check(fr->n, "the set of complete rows");
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"levels\": [", fr->n);
	for (int v = 0; v < f->n_vars && !*suppressed; v++)
	{
		AmlStatsColumn *col = &fr->cols[v + 1];

		if (v > 0)
			appendStringInfoString(&s, ", ");
		if (!col->factor)
		{
			appendStringInfoString(&s, "null");
			continue;
		}
		{
			long	   *count = palloc0(sizeof(long) * Max(col->n_levels, 1));

			for (long i = 0; i < fr->n; i++)
				count[(int) col->values[i]]++;
			appendStringInfoChar(&s, '[');
			for (int l = 0, k = 0; l < col->n_levels; l++)
			{
				if (count[l] == 0)
					continue;
				*suppressed = aml_fed_group_check(count[l], psprintf("a level of factor \"%s\"", col->name));
				if (*suppressed)
					break;
				if (k++ > 0)
					appendStringInfoString(&s, ", ");
				aml_fed_json_string(&s, col->levels[l]);
			}
			appendStringInfoChar(&s, ']');
		}
	}
	appendStringInfoString(&s, "]}");
	return *suppressed ? aml_fed_suppressed_json(*suppressed) : s.data;
}

/*
 * The node side of a model: its complete rows, coded with the union's
 * levels (levels_text: the centre's JSON array, null for a numeric
 * variable), and the design matrix of the formula.  The response is
 * fr->cols[0] as loaded.
 */
AmlDesign *
aml_fed_node_design(Oid relid, const char *formula, Jsonb *filter, const char *levels_text,
					const char *contrast, const char *what, AmlStatsFrame **frame,
					const double ***xout)
{
	AmlFormula *f = aml_stats_parse_formula(relid, formula, true);
	char	  **names = palloc(sizeof(char *) * (f->n_vars + 1));
	AmlDesignVar *dv = palloc0(sizeof(AmlDesignVar) * (f->n_vars + 1));
	json_object *levels = json_tokener_parse(levels_text);
	AmlStatsFrame *fr;
	AmlDesign  *design;
	AmlError	err;
	const double **x;

	if (!aml_fed_is_array(levels, f->n_vars))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: levels must be a JSON array with one entry per variable of the formula", what)));
	for (int v = 0; v < f->n_vars; v++)
	{
		json_object *lv = json_object_array_get_idx(levels, v);

		if (lv != NULL && !aml_fed_is_string_array(lv))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the levels of a variable must be null or an array of strings", what)));
	}
	if (strcmp(contrast, "treatment") != 0 && strcmp(contrast, "sum") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: contrast must be 'treatment' or 'sum'", what)));
	names[0] = f->response;
	for (int v = 0; v < f->n_vars; v++)
		names[v + 1] = f->vars[v];
	fr = aml_stats_frame_load(relid, names, f->n_vars + 1, filter, true, what);
	x = palloc(sizeof(double *) * (f->n_vars + 1));
	for (int v = 0; v < f->n_vars; v++)
	{
		AmlStatsColumn *col = &fr->cols[v + 1];
		json_object *lv = json_object_array_get_idx(levels, v);

		x[v] = col->values;
		if (col->factor != (lv != NULL))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: variable \"%s\" is %s on this node and %s at the centre",
							what, col->name, col->factor ? "a factor" : "numeric",
							col->factor ? "numeric" : "a factor")));
		if (!col->factor)
			continue;
		{
			int			nl = json_object_array_length(lv);
			const char **labels = palloc(sizeof(char *) * Max(nl, 1));
			int		   *code = palloc(sizeof(int) * Max(col->n_levels, 1));
			double	   *mapped = palloc(sizeof(double) * Max(fr->n, 1));

			for (int l = 0; l < nl; l++)
				labels[l] = json_object_get_string(json_object_array_get_idx(lv, l));
			for (int l = 0; l < col->n_levels; l++)
			{
				code[l] = -1;
				for (int g = 0; g < nl; g++)
					if (strcmp(labels[g], col->levels[l]) == 0)
						code[l] = g;
			}
			for (long i = 0; i < fr->n; i++)
			{
				int			c = code[(int) col->values[i]];

				if (c < 0)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("%s: factor \"%s\" has a level the first round did not report",
									what, col->name),
							 errdetail("The rows changed between the rounds of the federated call.")));
				mapped[i] = c;
			}
			dv[v].factor = true;
			dv[v].n_levels = nl;
			dv[v].levels = labels;
			x[v] = mapped;
		}
	}
	if (aml_design_build(f, dv, strcmp(contrast, "sum") == 0 ? AML_CONTRAST_SUM : AML_CONTRAST_TREATMENT,
						 &design, &err) != AML_OK)
		aml_stats_raise(&err);
	json_object_put(levels);
	*frame = fr;
	*xout = x;
	return design;
}

/* The node's factor of [X y] with the union's levels. */
static char *
node_lm_json(Oid relid, const char *formula, Jsonb *filter, const char *levels_text,
			 const char *contrast, int64 *rows, const char **suppressed)
{
	AmlStatsFrame *fr;
	AmlDesign  *design;
	AmlLmSuff  *suff;
	AmlLmData	data;
	AmlError	err;
	const double **x;
	StringInfoData s;
	int			m;

	design = aml_fed_node_design(relid, formula, filter, levels_text, contrast, "automl.node_lm", &fr, &x);
	if (fr->cols[0].factor)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("automl.node_lm: the response \"%s\" is categorical", fr->cols[0].name)));
	data.n = fr->n;
	data.x = x;
	data.y = fr->cols[0].values;
	data.w = NULL;
	if (aml_lm_suff_compute(design, &data, &suff, &err) != AML_OK)
		aml_pg_raise(&err);
	m = suff->m;
	*rows = fr->n;
	*suppressed = aml_fed_group_check(fr->n, "the set of complete rows");
	for (int j = 0; j < design->n_cols && !*suppressed; j++)
		if (aml_design_col_is_group(design, j))
			*suppressed = aml_fed_group_check(suff->nonzero[j], psprintf("the group of column \"%s\"", design->names[j]));
	if (!*suppressed && fr->n > 0 && fr->n <= m)
		*suppressed = psprintf("%ld rows are not more than the %d columns of the model and response", fr->n, m);
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"dropped\": %ld, \"m\": %d, \"names\": [", fr->n, fr->dropped, m);
	for (int j = 0; j < design->n_cols; j++)
	{
		if (j > 0)
			appendStringInfoString(&s, ", ");
		aml_fed_json_string(&s, design->names[j]);
	}
	appendStringInfoString(&s, "], \"r\": [");
	for (int k = 0; k < m * m; k++)
	{
		if (k > 0)
			appendStringInfoString(&s, ", ");
		aml_fed_json_double(&s, suff->r[k]);
	}
	appendStringInfoString(&s, "], \"y\": [");
	aml_fed_json_double(&s, suff->y.n);
	appendStringInfoString(&s, ", ");
	aml_fed_json_double(&s, suff->y.sum);
	appendStringInfoString(&s, ", ");
	aml_fed_json_double(&s, suff->y.sxx);
	appendStringInfoString(&s, "], \"yss\": ");
	aml_fed_json_double(&s, suff->yss);
	appendStringInfoChar(&s, '}');
	aml_lm_suff_free(suff);
	return s.data;
}

Datum
automl_node_lm_levels(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *formula;
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member("automl.node_lm_levels");
	aml_fed_node_args(fcinfo, 2);
	relid = PG_GETARG_OID(0);
	formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	session = aml_core_session_begin("automl.node_lm_levels");
	out = node_levels_json(relid, formula, filter, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_lm_levels", arguments_json(relid, formula, filter), rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

Datum
automl_node_lm(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *formula;
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	char	   *levels;
	char	   *contrast;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member("automl.node_lm");
	aml_fed_node_args(fcinfo, 2);
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		aml_fed_node_args(fcinfo, 5);
	relid = PG_GETARG_OID(0);
	formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	levels = JsonbToCString(NULL, &PG_GETARG_JSONB_P(3)->root, VARSIZE(PG_GETARG_JSONB_P(3)));
	contrast = text_to_cstring(PG_GETARG_TEXT_PP(4));
	session = aml_core_session_begin("automl.node_lm");
	out = node_lm_json(relid, formula, filter, levels, contrast, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_lm", arguments_json(relid, formula, filter), rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct LocalArgs
{
	Oid			relid;
	const char *formula;
	Jsonb	   *filter;
	const char *levels;
	const char *contrast;
} LocalArgs;

static char *
local_levels(void *arg)
{
	LocalArgs  *a = arg;
	int64		rows;
	const char *sup;

	return node_levels_json(a->relid, a->formula, a->filter, &rows, &sup);
}

static char *
local_lm(void *arg)
{
	LocalArgs  *a = arg;
	int64		rows;
	const char *sup;

	return node_lm_json(a->relid, a->formula, a->filter, a->levels, a->contrast, &rows, &sup);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Centre, round 1 of a model over nodes (only when any_factor): the union
 * of the factors' levels over the nodes (dv[v].factor set by the caller;
 * dv[v].levels and n_levels set here).  Returns the levels as the nodes'
 * next rounds take them (JSON), NULL when no node can contribute.
 */
char *
aml_fed_model_levels(AmlFedCall *c, Oid relid, const char *formula_text, Jsonb *filter,
					 AmlFormula *f, AmlDesignVar *dv, bool any_factor, const char *what)
{
	const char *params[3];
	LocalArgs	la;
	StringInfoData lv;

	params[0] = aml_fed_relation_name(relid);
	params[1] = formula_text;
	params[2] = aml_fed_filter_text(filter);
	la.relid = relid;
	la.formula = formula_text;
	la.filter = filter;
	/* round 1: the union of the factors' levels */
	if (any_factor)
	{
		List	  **levels = palloc0(sizeof(List *) * f->n_vars);

		aml_fed_round(c, "SELECT automl.node_lm_levels($1::pg_catalog.regclass, $2, $3::pg_catalog.jsonb)",
					  3, params, local_levels, &la);
		for (int i = 0; i < c->n; i++)
		{
			AmlFedNode *node = &c->nodes[i];
			json_object *doc;
			json_object *arr;

			if (!aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
				continue;
			arr = aml_fed_get(doc, "levels");
			if (!aml_fed_is_array(arr, f->n_vars))
			{
				json_object_put(doc);
				aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH,
								 "its relation's columns differ from this server's");
				continue;
			}
			for (int v = 0; v < f->n_vars; v++)
			{
				json_object *l = json_object_array_get_idx(arr, v);

				if (l != NULL && !aml_fed_is_string_array(l))
				{
					aml_fed_feedback(c, node, true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
					break;
				}
				if ((l != NULL) != dv[v].factor)
				{
					aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH,
									 "variable \"%s\" has another kind there than here", f->vars[v]);
					break;
				}
				for (int k = 0; l && k < json_object_array_length(l); k++)
					levels[v] = lappend(levels[v], pstrdup(json_object_get_string(json_object_array_get_idx(l, k))));
			}
			json_object_put(doc);
		}
		for (int v = 0; v < f->n_vars; v++)
		{
			int			n = list_length(levels[v]);
			char	  **arr;
			int			k = 0;

			if (!dv[v].factor)
				continue;
			arr = palloc(sizeof(char *) * Max(n, 1));
			for (int i = 0; i < n; i++)
				arr[i] = list_nth(levels[v], i);
			qsort(arr, n, sizeof(char *), cmp_str);
			for (int i = 0; i < n; i++)
				if (k == 0 || strcmp(arr[k - 1], arr[i]) != 0)
					arr[k++] = arr[i];
			if (k < 2 && n > 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: factor \"%s\" has only one level", what, f->vars[v]),
						 errdetail("Contrasts can be applied only to factors with 2 or more levels; \"%s\" is \"%s\" in every complete row of the nodes.",
								   f->vars[v], arr[0])));
			dv[v].n_levels = k;
			dv[v].levels = (const char *const *) arr;
		}
	}
	{
		bool		any = false;

		for (int i = 0; i < c->n; i++)
			any |= c->nodes[i].state != AML_FED_FAILED;
		if (!any)
			return NULL;
	}
	for (int v = 0; v < f->n_vars; v++)
		if (dv[v].factor && dv[v].n_levels == 0)
			return NULL;			/* no node reported a level: every node suppressed */

	/* round 2: the factors of [X y] */
	initStringInfo(&lv);
	appendStringInfoChar(&lv, '[');
	for (int v = 0; v < f->n_vars; v++)
	{
		if (v > 0)
			appendStringInfoString(&lv, ", ");
		if (!dv[v].factor)
		{
			appendStringInfoString(&lv, "null");
			continue;
		}
		appendStringInfoChar(&lv, '[');
		for (int l = 0; l < dv[v].n_levels; l++)
		{
			if (l > 0)
				appendStringInfoString(&lv, ", ");
			aml_fed_json_string(&lv, dv[v].levels[l]);
		}
		appendStringInfoChar(&lv, ']');
	}
	appendStringInfoChar(&lv, ']');
	return lv.data;
}

typedef struct FedLm
{
	AmlFormula *formula;
	AmlDesign  *design;
	AmlLm	   *lm;
} FedLm;

static void
fed_fit(AmlFedCall *c, Oid relid, const char *formula_text, Jsonb *filter, AmlContrast contrast,
		const char *what, FedLm *out)
{
	AmlFormula *f = aml_stats_parse_formula(relid, formula_text, true);
	List	   *list = NIL;
	AmlSource  *src;
	AmlDesignVar *dv = palloc0(sizeof(AmlDesignVar) * (f->n_vars + 1));
	bool		any_factor = false;
	const char *params[5];
	LocalArgs	la;
	char	   *lvtext;
	AmlDesign  *design;
	AmlLmCombine *comb;
	AmlError	err;
	int			contributed = 0;
	long		dropped = 0;

	/* the kinds of the variables, from this server's relation of that name */
	list = lappend(list, f->response);
	for (int v = 0; v < f->n_vars; v++)
		list = lappend(list, f->vars[v]);
	src = aml_source_describe_list(relid, list, true);
	if (src->cols[0].kind == AML_KIND_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: the response \"%s\" is categorical", what, f->response),
				 errdetail("A linear model needs a numeric response.")));
	for (int v = 0; v < f->n_vars; v++)
		any_factor |= dv[v].factor = src->cols[v + 1].kind != AML_KIND_NUMERIC;

	params[0] = aml_fed_relation_name(relid);
	params[1] = formula_text;
	params[2] = aml_fed_filter_text(filter);
	la.relid = relid;
	la.formula = formula_text;
	la.filter = filter;

	lvtext = aml_fed_model_levels(c, relid, formula_text, filter, f, dv, any_factor, what);
	if (lvtext == NULL)
		goto none;
	if (aml_design_build(f, dv, contrast, &design, &err) != AML_OK)
		aml_stats_raise(&err);
	params[3] = lvtext;
	params[4] = contrast == AML_CONTRAST_SUM ? "sum" : "treatment";
	la.levels = params[3];
	la.contrast = params[4];
	aml_fed_round(c, "SELECT automl.node_lm($1::pg_catalog.regclass, $2, $3::pg_catalog.jsonb, "
				  "$4::pg_catalog.jsonb, $5)", 5, params, local_lm, &la);
	if (aml_lm_combine_begin(design->n_cols + 1, &comb, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		json_object *r,
				   *y,
				   *nm;
		int			m = design->n_cols + 1;
		bool		same = true;

		if (!aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		r = aml_fed_get(doc, "r");
		y = aml_fed_get(doc, "y");
		nm = aml_fed_get(doc, "names");
		same = aml_fed_is_array(r, (size_t) m * m) && aml_fed_is_array(y, 3) && aml_fed_is_string_array(nm) &&
			json_object_array_length(nm) == design->n_cols;
		for (int j = 0; same && j < design->n_cols; j++)
			same = strcmp(json_object_get_string(json_object_array_get_idx(nm, j)), design->names[j]) == 0;
		if (!same)
		{
			json_object_put(doc);
			aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH,
							 "its model matrix differs from this server's");
			continue;
		}
		{
			double	   *rv = palloc(sizeof(double) * m * m);
			AmlMoments	ym;

			for (int k = 0; k < m * m; k++)
				rv[k] = json_object_get_double(json_object_array_get_idx(r, k));
			ym.n = json_object_get_double(json_object_array_get_idx(y, 0));
			ym.sum = json_object_get_double(json_object_array_get_idx(y, 1));
			ym.sxx = json_object_get_double(json_object_array_get_idx(y, 2));
			aml_lm_combine_add(comb, json_object_get_int64(aml_fed_get(doc, "n")), rv,
							   &ym, json_object_get_double(aml_fed_get(doc, "yss")));
			dropped += aml_fed_get(doc, "dropped") ? json_object_get_int64(aml_fed_get(doc, "dropped")) : 0;
			contributed++;
		}
		json_object_put(doc);
	}
	if (contributed == 0)
		goto none;
	if (dropped > 0)
		ereport(NOTICE,
				(errmsg("%s: %ld row%s with NULL values left out", what, dropped, dropped == 1 ? "" : "s")));
	if (aml_lm_combine_finish(comb, design, &out->lm, &err) != AML_OK)
		aml_pg_raise(&err);
	if (out->lm->fit->rank < design->n_cols)
		ereport(NOTICE,
				(errmsg("%s: %d coefficient%s not defined because of singularities",
						what, design->n_cols - out->lm->fit->rank,
						design->n_cols - out->lm->fit->rank == 1 ? "" : "s")));
	out->formula = f;
	out->design = design;
	return;

none:
	aml_fed_no_contribution(c, what);
}

static void
check_args(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and formula must not be NULL")));
}


Datum
automl_fed_lm(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlFedCall *c;
	AmlCoreSession *session;
	FedLm		fl;

	if (nodes == NULL)
		return automl_lm(fcinfo);
	check_args(fcinfo);
	InitMaterializedSRF(fcinfo, 0);
	c = aml_fed_begin(nodes, STRICT_ARG(4), "automl_lm");
	session = aml_core_session_begin("automl_lm");
	fed_fit(c, PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), AML_FILTER_ARG(fcinfo, 2),
			AML_CONTRAST_TREATMENT, "automl_lm", &fl);
	aml_stats_put_lm_tidy(rsinfo, fl.design, fl.lm);
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}

Datum
automl_fed_lm_glance(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmlFedCall *c;
	AmlCoreSession *session;
	FedLm		fl;

	if (nodes == NULL)
		return automl_lm_glance(fcinfo);
	check_args(fcinfo);
	InitMaterializedSRF(fcinfo, 0);
	c = aml_fed_begin(nodes, STRICT_ARG(4), "automl_lm_glance");
	session = aml_core_session_begin("automl_lm_glance");
	fed_fit(c, PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), AML_FILTER_ARG(fcinfo, 2),
			AML_CONTRAST_TREATMENT, "automl_lm_glance", &fl);
	aml_stats_put_lm_glance(rsinfo, fl.lm);
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}

Datum
automl_fed_anova(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		type;
	AmlFedCall *c;
	AmlCoreSession *session;
	FedLm		fl;

	if (nodes == NULL)
		return automl_anova(fcinfo);
	check_args(fcinfo);
	type = PG_ARGISNULL(2) ? 1 : PG_GETARG_INT32(2);
	if (type < 1 || type > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_anova: type must be 1, 2 or 3, not %d", type)));
	InitMaterializedSRF(fcinfo, 0);
	c = aml_fed_begin(nodes, STRICT_ARG(5), "automl_anova");
	session = aml_core_session_begin("automl_anova");
	fed_fit(c, PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), AML_FILTER_ARG(fcinfo, 3),
			type == 3 ? AML_CONTRAST_SUM : AML_CONTRAST_TREATMENT, "automl_anova", &fl);
	aml_stats_put_anova(rsinfo, fl.formula, fl.lm, type);
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}
