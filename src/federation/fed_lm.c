/*
 * fed_lm.c — automl_lm, automl_lm_glance and automl_anova over federation
 * nodes (nodes => ARRAY[...]), equal to the same function on the union of
 * the nodes' rows.  The node side is fed_lm_node.c.
 *
 * One round (protocol 2): each node codes its complete rows with its own
 * levels, one column per cell of each term (every combination of the
 * term's factors' levels present on it, times the term's numeric
 * variables), and sends the triangular factor R_l of [X_l y] (the
 * streaming QR of stats/qr.h) with its levels and each column's term and
 * cell.  The centre unions the levels (byte order, as stats_frame.c sorts),
 * builds the model matrix of the union as automl_lm would (treatment
 * contrasts, sum contrasts for type III ANOVA, R's one-per-level columns
 * where R uses them), and maps each node's columns into it.
 *
 * Why the map is exact.  A column of the centre's design for term t is the
 * product over t's variables of one column of each variable's coding (a
 * contrast column, a one-per-level column, or the numeric itself).  On a
 * node's row whose cell of t is (l_1 .. l_k) that column equals
 * prod_f C_f[l_f, c_f] times the numerics' product, i.e. a fixed multiple
 * (1, 0 or -1) of the node's column for that cell.  So on every row
 * X_g = X_l M, M a 0/±1 matrix (node_map), and
 * X_g' X_g = M' X_l' X_l M, X_g' y = M' X_l' y: the union's cross-products
 * are sum_k M_k' R_k' R_k M_k plus the y parts.  A level a node lacks
 * (the reference level included) only makes columns of M zero or moves a
 * ±1; levels present on one node only are columns that other nodes map to
 * zero.
 *
 * Numerically, the centre never forms X'X: it folds the rows of
 * [R_k M_k, R_k y-column] of every node into one more QR (as
 * aml_lm_combine_add does with unmapped factors), whose factor R satisfies
 * R' R = sum_k (R_k M_k)' (R_k M_k) = [X_g y]' [X_g y] of the union.
 * Householder QR is backward stable: the node's R_k is the exact factor of
 * [X_l y] + E_k with ||E_k|| <= c u ||[X_l y]||, so R_k M_k is the exact
 * factor of [X_g y] + E_k M_k.  Under treatment contrasts (and one-per-
 * level columns) each node column goes to at most one centre column and
 * each centre column comes from at most one node column: M_k is a partial
 * permutation, ||M_k||_2 <= 1, and the perturbation is no larger than the
 * pooled QR's own.  Under sum contrasts (type III ANOVA) a centre column
 * of a term of j factors sums at most 2^j node columns with signs, and a
 * node cell holding a factor's last level feeds every contrast column of
 * that factor: ||M_k||_2 <= sqrt(2^j prod_f (K_f - 1)) (a bound of the
 * formula's levels; the pooled fit's own sum-contrast columns carry the
 * same -1 entries).  The node's own coding has redundant columns (the intercept and
 * all levels of a factor); that costs nothing in stability (Householder on
 * a rank-deficient matrix is backward stable too) and R's pivoting runs on
 * the centre's R, as for local rows.  So the result equals the pooled fit
 * to rounding (TAP 400 and 415: within 1e-10 relative).
 *
 * A node of the previous version (which only has automl.node_lm with the
 * centre's levels) fails the call's SQL with 42883, reported in the
 * feedback as a node whose automl is older than this server's; an answer
 * without "protocol": 2 is reported as another version.  The two-round
 * node functions stay (fed_lm_node.c) for centres of the previous version
 * and for fed_glm.c (aml_fed_model_levels below).
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

/* issue 11's local functions (src/pg/stats_lm.c) */
extern Datum automl_lm(PG_FUNCTION_ARGS);
extern Datum automl_lm_glance(PG_FUNCTION_ARGS);
extern Datum automl_anova(PG_FUNCTION_ARGS);

/* ---------------------------------------------------------------- centre */

typedef struct LocalArgs
{
	Oid			relid;
	const char *formula;
	Jsonb	   *filter;
} LocalArgs;

static char *
local_levels(void *arg)
{
	LocalArgs  *a = arg;
	int64		rows;
	const char *sup;

	return aml_fed_node_levels_json(a->relid, a->formula, a->filter, &rows, &sup);
}

static char *
local_factor(void *arg)
{
	LocalArgs  *a = arg;
	int64		rows;
	const char *sup;

	return aml_fed_node_lm_factor_json(a->relid, a->formula, a->filter, &rows, &sup);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The nodes' levels of factor var, unioned: sorted in byte order (as
 * stats_frame.c sorts), each once; *n_levels of them.  A factor with one
 * level in every complete row of the nodes is 22023, as in R.
 */
static const char *const *
union_levels(List *levels, const char *what, const char *var, int *n_levels)
{
	int			n = list_length(levels);
	char	  **arr = palloc(sizeof(char *) * Max(n, 1));
	int			k = 0;

	for (int i = 0; i < n; i++)
		arr[i] = list_nth(levels, i);
	qsort(arr, n, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
		if (k == 0 || strcmp(arr[k - 1], arr[i]) != 0)
			arr[k++] = arr[i];
	if (k < 2 && n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: factor \"%s\" has only one level", what, var),
				 errdetail("Contrasts can be applied only to factors with 2 or more levels; \"%s\" is \"%s\" in every complete row of the nodes.",
						   var, arr[0])));
	*n_levels = k;
	return (const char *const *) arr;
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
			if (!dv[v].factor)
				continue;
			dv[v].levels = union_levels(levels[v], what, f->vars[v], &dv[v].n_levels);
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

/* a node's factor is m x m doubles: more columns than this would not fit in one allocation */
#define MAX_NODE_COLUMNS 8192

/* One node's answer of automl.node_lm (protocol 2), checked. */
typedef struct NodeFactor
{
	AmlFedNode *node;
	json_object *doc;
	long		n;
	int			m;				/* its columns + 1 */
	json_object *levels;		/* per variable: null or its present levels */
	json_object *cols;			/* per column: [term, [level index per factor of the term]] */
} NodeFactor;

/* Is a node's answer one the centre can map?  NULL when yes, else why not. */
static const char *
check_answer(json_object *doc, const AmlFormula *f, const AmlDesignVar *dv, NodeFactor *nf)
{
	json_object *prot = aml_fed_get(doc, "protocol");
	json_object *mo = aml_fed_get(doc, "m");
	int			m;

	if (prot == NULL || !json_object_is_type(prot, json_type_int) || json_object_get_int(prot) != 2)
		return "it answered with another version of the protocol";
	nf->levels = aml_fed_get(doc, "levels");
	nf->cols = aml_fed_get(doc, "cols");
	if (mo == NULL || !json_object_is_type(mo, json_type_int) || aml_fed_get(doc, "n") == NULL ||
		!aml_fed_is_array(nf->levels, f->n_vars))
		return "unreadable answer";
	m = json_object_get_int(mo);
	if (m > MAX_NODE_COLUMNS)
		return "its model matrix has too many columns";
	if (m < 1 || !aml_fed_is_array(nf->cols, m - 1) ||
		!aml_fed_is_number_array(aml_fed_get(doc, "r"), (size_t) m * (m + 1) / 2) ||
		!aml_fed_is_number_array(aml_fed_get(doc, "y"), 3))
		return "unreadable answer";
	nf->m = m;
	nf->n = json_object_get_int64(aml_fed_get(doc, "n"));
	for (int v = 0; v < f->n_vars; v++)
	{
		json_object *l = json_object_array_get_idx(nf->levels, v);

		if ((l != NULL) != dv[v].factor)
			return psprintf("variable \"%s\" has another kind there than here", f->vars[v]);
		if (l != NULL && !aml_fed_is_string_array(l))
			return "unreadable answer";
	}
	for (int k = 0; k < m - 1; k++)
	{
		json_object *col = json_object_array_get_idx(nf->cols, k);
		json_object *t,
				   *cell;
		int			term,
					nf_t = 0,
					i = 0;

		if (!aml_fed_is_array(col, 2))
			return "unreadable answer";
		t = json_object_array_get_idx(col, 0);
		cell = json_object_array_get_idx(col, 1);
		if (t == NULL || !json_object_is_type(t, json_type_int))
			return "unreadable answer";
		term = json_object_get_int(t);
		if (term < -1 || term >= f->n_terms || (term == -1) != (f->intercept && k == 0))
			return "its model matrix differs from this server's";
		for (int v = 0; term >= 0 && v < f->n_vars; v++)
			nf_t += ((f->terms[term] >> v) & 1u) && dv[v].factor;
		if (!aml_fed_is_number_array(cell, nf_t))
			return "its model matrix differs from this server's";
		for (int v = 0; term >= 0 && v < f->n_vars; v++)
			if (((f->terms[term] >> v) & 1u) && dv[v].factor)
			{
				json_object *e = json_object_array_get_idx(cell, i++);
				int64		li = json_object_get_int64(e);

				if (!json_object_is_type(e, json_type_int) || li < 0 ||
					li >= (int64) json_object_array_length(json_object_array_get_idx(nf->levels, v)))
					return "unreadable answer";
			}
	}
	return NULL;
}

static int
find_level(const AmlDesignVar *dv, const char *label)
{
	int			lo = 0,
				hi = dv->n_levels - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(dv->levels[mid], label);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* the coefficient of a factor level (global index g) in a column of a variable's coding */
static double
coding_value(const AmlDesign *d, const AmlDesignVar *v, int coding, int c, int g)
{
	if (coding == 2)
		return g == c ? 1.0 : 0.0;
	if (d->contrast == AML_CONTRAST_TREATMENT)
		return g == c + 1 ? 1.0 : 0.0;
	if (g == v->n_levels - 1)
		return -1.0;
	return g == c ? 1.0 : 0.0;
}

/*
 * The node's columns mapped into the centre's: map ((m - 1) x p,
 * column-major) with X_centre = X_node map on the node's rows.  A centre
 * column of term t is the product, over t's variables, of one column of
 * each variable's coding (contrasts or one per level; a numeric variable
 * itself), so on a node cell column of t (one level per factor, the
 * numerics' product) it takes the product of the cell levels' entries in
 * those codings: 1 or 0 for treatment contrasts and one-per-level
 * columns, 1, 0 or -1 for sum contrasts.  Columns of other terms do not
 * enter it: each term's node columns span that term's whole cell space.
 */
static double *
node_map(const AmlDesign *d, const AmlDesignVar *dv, const NodeFactor *nf)
{
	const AmlFormula *f = d->formula;
	int			nv = f->n_vars;
	int			pl = nf->m - 1;
	int			p = d->n_cols;
	double	   *map = palloc0(sizeof(double) * Max((size_t) pl * p, 1));
	int		  **gidx = palloc0(sizeof(int *) * Max(nv, 1));
	int		   *first = palloc(sizeof(int) * (f->n_terms + 1));
	int		   *cellv = palloc(sizeof(int) * Max(nv, 1));

	for (int v = 0; v < nv; v++)
	{
		json_object *l = json_object_array_get_idx(nf->levels, v);

		if (!dv[v].factor)
			continue;
		gidx[v] = palloc(sizeof(int) * Max(json_object_array_length(l), 1));
		for (size_t k = 0; k < json_object_array_length(l); k++)
			gidx[v][k] = find_level(&dv[v], json_object_get_string(json_object_array_get_idx(l, k)));
	}
	first[0] = f->intercept ? 1 : 0;
	for (int t = 0; t < f->n_terms; t++)
		first[t + 1] = first[t] + d->term_cols[t];
	for (int k = 0; k < pl; k++)
	{
		json_object *col = json_object_array_get_idx(nf->cols, k);
		int			t = json_object_get_int(json_object_array_get_idx(col, 0));
		json_object *cell = json_object_array_get_idx(col, 1);
		const unsigned char *coding;

		if (t < 0)
		{
			map[k] = 1.0;		/* the intercept: column 0 here and there */
			continue;
		}
		coding = d->coding + t * nv;
		for (int v = 0, i = 0; v < nv; v++)
			if (coding[v] && dv[v].factor)
				cellv[v] = gidx[v][json_object_get_int(json_object_array_get_idx(cell, i++))];
		for (int j = first[t]; j < first[t + 1]; j++)
		{
			double		value = 1.0;
			int			rem = j - first[t];

			for (int v = 0; v < nv && value != 0.0; v++)
			{
				int			n;

				if (!coding[v])
					continue;
				if (!dv[v].factor)
					continue;	/* the numerics' product is the node column's own */
				n = coding[v] == 2 ? dv[v].n_levels : dv[v].n_levels - 1;
				value *= coding_value(d, &dv[v], coding[v], rem % n, cellv[v]);
				rem /= n;
			}
			map[k + (size_t) j * pl] = value;
		}
	}
	return map;
}

static void
fed_fit(AmlFedCall *c, Oid relid, const char *formula_text, Jsonb *filter, AmlContrast contrast,
		const char *what, FedLm *out)
{
	AmlFormula *f = aml_stats_parse_formula(relid, formula_text, true);
	List	   *list = NIL;
	AmlSource  *src;
	AmlDesignVar *dv = palloc0(sizeof(AmlDesignVar) * (f->n_vars + 1));
	const char *params[3];
	LocalArgs	la;
	AmlDesign  *design;
	AmlLmCombine *comb;
	AmlError	err;
	NodeFactor *parts = palloc0(sizeof(NodeFactor) * c->n);
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
		dv[v].factor = src->cols[v + 1].kind != AML_KIND_NUMERIC;

	/* the one round: each node's factor in its own coding */
	params[0] = aml_fed_relation_name(relid);
	params[1] = formula_text;
	params[2] = aml_fed_filter_text(filter);
	la.relid = relid;
	la.formula = formula_text;
	la.filter = filter;
	aml_fed_round(c, "SELECT automl.node_lm($1::pg_catalog.regclass, $2::pg_catalog.text, $3::pg_catalog.jsonb)",
				  3, params, local_factor, &la);
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		const char *why;

		if (!aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		why = check_answer(doc, f, dv, &parts[contributed]);
		if (why)
		{
			json_object_put(doc);
			aml_fed_feedback(c, node, true,
							 strcmp(why, "unreadable answer") == 0 ? ERRCODE_PROTOCOL_VIOLATION : ERRCODE_DATATYPE_MISMATCH,
							 "%s", why);
			continue;
		}
		parts[contributed].node = node;
		parts[contributed++].doc = doc;
	}
	if (contributed == 0)
		goto none;

	/* the union of the contributing nodes' levels, byte order (as stats_frame.c sorts) */
	for (int v = 0; v < f->n_vars; v++)
	{
		List	   *levels = NIL;

		if (!dv[v].factor)
			continue;
		for (int i = 0; i < contributed; i++)
		{
			json_object *l = json_object_array_get_idx(parts[i].levels, v);

			for (size_t j = 0; j < json_object_array_length(l); j++)
				levels = lappend(levels, pstrdup(json_object_get_string(json_object_array_get_idx(l, j))));
		}
		dv[v].levels = union_levels(levels, what, f->vars[v], &dv[v].n_levels);
		if (dv[v].n_levels == 0)
			goto none;
	}
	if (aml_design_build(f, dv, contrast, &design, &err) != AML_OK)
		aml_stats_raise(&err);

	/* each node's factor mapped into the global coding, stacked, re-triangularised */
	if (aml_lm_combine_begin(design->n_cols + 1, &comb, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int i = 0; i < contributed; i++)
	{
		NodeFactor *nf = &parts[i];
		int			ml = nf->m;
		json_object *r = aml_fed_get(nf->doc, "r");
		json_object *y = aml_fed_get(nf->doc, "y");
		double	   *rv = palloc0(sizeof(double) * ml * ml);
		double	   *map = node_map(design, dv, nf);
		AmlMoments	ym;
		int			k = 0;

		for (int j = 0; j < ml; j++)
			for (int r_i = 0; r_i <= j; r_i++)
				rv[r_i + (size_t) j * ml] = json_object_get_double(json_object_array_get_idx(r, k++));
		ym.n = json_object_get_double(json_object_array_get_idx(y, 0));
		ym.sum = json_object_get_double(json_object_array_get_idx(y, 1));
		ym.sxx = json_object_get_double(json_object_array_get_idx(y, 2));
		aml_lm_combine_add_mapped(comb, nf->n, ml, rv, map, &ym, json_object_get_double(aml_fed_get(nf->doc, "yss")));
		dropped += aml_fed_get(nf->doc, "dropped") ? json_object_get_int64(aml_fed_get(nf->doc, "dropped")) : 0;
		json_object_put(nf->doc);
		pfree(rv);
		pfree(map);
	}
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
	for (int i = 0; i < contributed; i++)
		json_object_put(parts[i].doc);
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
