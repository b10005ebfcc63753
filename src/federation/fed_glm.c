/*
 * fed_glm.c — automl_glm over federation nodes (nodes => ARRAY[...]),
 * equal to automl_glm on the union of the nodes' rows.
 *
 * IRLS with one round per iteration, split as stats/glm.c's aml_glm_fit
 * runs it: round 1 (only when the formula has factors) unions the levels
 * (fed_lm.c's round, automl.node_lm_levels); then each round sends the
 * current coefficients (none in the first round: R's starting values), and
 * each node runs one pass over its rows with aml_glm_row — its deviance
 * and the triangular factor R_k of its weighted [X z] (R_k'R_k = the node's
 * X'WX, X'Wz, z'Wz) — and sends them.  The centre stacks the factors into
 * one more QR (as fed_lm.c: Q is orthogonal, so the stacked factor's R is
 * the pooled rows' R up to row signs), solves with the local code's
 * pivoting (aml_ls_solve, tolerance 1e-11), and applies the local
 * convergence test to the summed deviance.  The null deviance comes from
 * each node's n, sum of y and sum of y log y (aml_glm_null_deviance).
 *
 * A node that leaves the call after the first iteration (down, slow,
 * failed) would change the rows under the iterations: the centre reports it
 * and starts the iterations again without it.
 *
 * Node side: automl.node_glm(), members of automl_federation_member only;
 * suppressed (nothing but the fact) when its rows, a factor level's or
 * interaction cell's rows, or (binomial) its rows of either outcome number
 * 1..automl.min_group_size-1, or when it has no more rows than the model
 * has columns.  A categorical response is refused over nodes (0A000): use a
 * boolean or a 0/1 column.
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
#include "stats/combine.h"
#include "stats/glm.h"
#include "stats/qr.h"

PG_FUNCTION_INFO_V1(automl_fed_glm);
PG_FUNCTION_INFO_V1(automl_node_glm);

/* issue 11's local function (src/pg/stats_glm.c) */
extern Datum automl_glm(PG_FUNCTION_ARGS);

static AmlGlmFamily
parse_family(const char *name, const char *what)
{
	if (strcmp(name, "binomial") == 0)
		return AML_GLM_BINOMIAL;
	if (strcmp(name, "poisson") == 0)
		return AML_GLM_POISSON;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: unknown family \"%s\"", what, name),
			 errhint("The families are binomial (logit link) and poisson (log link).")));
	return AML_GLM_BINOMIAL;	/* not reached */
}

static char *
arguments_json(Oid relid, const char *formula, Jsonb *filter, const char *family, bool first)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"relation\": ");
	aml_fed_json_string(&s, aml_fed_relation_name(relid));
	appendStringInfoString(&s, ", \"formula\": ");
	aml_fed_json_string(&s, formula);
	appendStringInfoString(&s, ", \"family\": ");
	aml_fed_json_string(&s, family);
	appendStringInfo(&s, ", \"filter\": %s, \"first_pass\": %s}",
					 filter ? aml_fed_filter_text(filter) : "null", first ? "true" : "false");
	return s.data;
}

/* ---------------------------------------------------------------- node side */

/* One IRLS pass over the node's rows (beta_text NULL: the first pass). */
static char *
node_glm_json(Oid relid, const char *formula, Jsonb *filter, const char *family_name,
			  const char *levels_text, const char *beta_text, int64 *rows, const char **suppressed)
{
	const char *what = "automl.node_glm";
	AmlGlmFamily family = parse_family(family_name, what);
	AmlStatsFrame *fr;
	AmlDesign  *design;
	AmlStatsColumn *resp;
	AmlQRAccum *acc;
	AmlError	err;
	const double **x;
	double	   *beta = NULL;
	double	   *row;
	double	   *xv;
	long	   *nonzero;
	double		dev = 0,
				ysum = 0,
				ylogy = 0;
	long		n1 = 0;
	int			p,
				m,
				nv;
	StringInfoData s;

	design = aml_fed_node_design(relid, formula, filter, levels_text, "treatment", what, &fr, &x);
	p = design->n_cols;
	m = p + 1;
	nv = design->formula->n_vars;
	resp = &fr->cols[0];
	if (resp->factor && resp->kind != AML_KIND_BINARY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: the response \"%s\" is categorical", what, resp->name),
				 errhint("Over federation nodes, use a boolean or a 0/1 response.")));
	if (beta_text != NULL)
	{
		json_object *b = json_tokener_parse(beta_text);

		if (!aml_fed_is_number_array(b, p))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: beta must be a JSON array of %d numbers, one per model column", what, p)));
		beta = palloc(sizeof(double) * Max(p, 1));
		for (int j = 0; j < p; j++)
			beta[j] = json_object_get_double(json_object_array_get_idx(b, j));
		json_object_put(b);
	}
	row = palloc(sizeof(double) * m);
	xv = palloc(sizeof(double) * (nv + 1));
	nonzero = palloc0(sizeof(long) * Max(p, 1));
	if (aml_qr_accum_create(m, &acc, &err) != AML_OK)
		aml_pg_raise(&err);
	for (long i = 0; i < fr->n; i++)
	{
		double		y = resp->values[i];
		double		d,
					z,
					w;

		if (resp->kind == AML_KIND_BINARY)
			y = y != 0;
		else if (family == AML_GLM_BINOMIAL && y != 0 && y != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: a numeric binomial response must be 0 or 1", what),
					 errdetail("Column \"%s\" has a value other than 0 and 1.", resp->name)));
		else if (family == AML_GLM_POISSON && y < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: negative values are not allowed for the Poisson family", what),
					 errdetail("Column \"%s\" has a negative value.", resp->name)));
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int v = 0; v < nv; v++)
			xv[v] = x[v][i];
		aml_design_row(design, xv, row);
		for (int j = 0; j < p; j++)
			nonzero[j] += row[j] != 0;
		aml_glm_row(family, row, p, beta, y, &d, &z, &w);
		dev += d;
		ysum += y;
		ylogy += y > 0 ? y * log(y) : 0;
		n1 += y != 0;
		row[p] = z;
		aml_qr_accum_add(acc, row, w);
	}
	aml_qr_accum_flush(acc);
	*rows = fr->n;
	*suppressed = aml_fed_group_check(fr->n, "the set of complete rows");
	for (int j = 0; j < p && !*suppressed; j++)
		if (aml_design_col_is_group(design, j))
			*suppressed = aml_fed_group_check(nonzero[j], psprintf("the group of column \"%s\"", design->names[j]));
	if (!*suppressed && family == AML_GLM_BINOMIAL)
	{
		*suppressed = aml_fed_group_check(n1, "the rows of outcome 1");
		if (!*suppressed)
			*suppressed = aml_fed_group_check(fr->n - n1, "the rows of outcome 0");
	}
	if (!*suppressed && fr->n > 0 && fr->n <= m)
		*suppressed = psprintf("%ld rows are not more than the %d columns of the model and response", fr->n, m);
	if (*suppressed)
	{
		aml_qr_accum_free(acc);
		return aml_fed_suppressed_json(*suppressed);
	}
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"dropped\": %ld, \"m\": %d, \"names\": [", fr->n, fr->dropped, m);
	for (int j = 0; j < p; j++)
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
		aml_fed_json_double(&s, acc->r[k]);
	}
	appendStringInfoString(&s, "], \"dev\": ");
	aml_fed_json_double(&s, dev);
	appendStringInfoString(&s, ", \"ysum\": ");
	aml_fed_json_double(&s, ysum);
	appendStringInfoString(&s, ", \"ylogy\": ");
	aml_fed_json_double(&s, ylogy);
	appendStringInfoChar(&s, '}');
	aml_qr_accum_free(acc);
	return s.data;
}

Datum
automl_node_glm(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *formula;
	char	   *family;
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	char	   *levels;
	char	   *beta = NULL;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member("automl.node_glm");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("automl.node_glm: relation, formula, family and levels must not be NULL")));
	relid = PG_GETARG_OID(0);
	formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	family = text_to_cstring(PG_GETARG_TEXT_PP(3));
	levels = JsonbToCString(NULL, &PG_GETARG_JSONB_P(4)->root, VARSIZE(PG_GETARG_JSONB_P(4)));
	if (!PG_ARGISNULL(5))
		beta = JsonbToCString(NULL, &PG_GETARG_JSONB_P(5)->root, VARSIZE(PG_GETARG_JSONB_P(5)));
	session = aml_core_session_begin("automl.node_glm");
	out = node_glm_json(relid, formula, filter, family, levels, beta, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_glm", arguments_json(relid, formula, filter, family, beta == NULL),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct LocalArgs
{
	Oid			relid;
	const char *formula;
	Jsonb	   *filter;
	const char *family;
	const char *levels;
	const char *beta;
} LocalArgs;

static char *
local_glm(void *arg)
{
	LocalArgs  *a = arg;
	int64		rows;
	const char *sup;

	return node_glm_json(a->relid, a->formula, a->filter, a->family, a->levels, a->beta, &rows, &sup);
}

/* One pass on every node: the stacked factor in acc, the sums; false when no node contributed. */
static bool
glm_round(AmlFedCall *c, const char *const *params, LocalArgs *la, const AmlDesign *design,
		  AmlQRAccum *acc, bool *contributed, double *n, double *dev, double *ysum,
		  double *ylogy, long *dropped)
{
	int			p = design->n_cols;
	int			m = p + 1;
	double	   *row = palloc(sizeof(double) * m);
	bool		any = false;

	aml_fed_round(c, "SELECT automl.node_glm($1::pg_catalog.regclass, $2, $3::pg_catalog.jsonb, "
				  "$4, $5::pg_catalog.jsonb, $6::pg_catalog.jsonb)", 6, params, local_glm, la);
	aml_qr_accum_reset(acc);
	*n = *dev = *ysum = *ylogy = 0;
	*dropped = 0;
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		json_object *r,
				   *nm;
		bool		same;

		contributed[i] = false;
		if (!aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		r = aml_fed_get(doc, "r");
		nm = aml_fed_get(doc, "names");
		same = aml_fed_is_number_array(r, (size_t) m * m) && aml_fed_is_string_array(nm) &&
			json_object_array_length(nm) == p && aml_fed_get(doc, "n") && aml_fed_get(doc, "dev") &&
			aml_fed_get(doc, "ysum") && aml_fed_get(doc, "ylogy");
		for (int j = 0; same && j < p; j++)
			same = strcmp(json_object_get_string(json_object_array_get_idx(nm, j)), design->names[j]) == 0;
		if (!same)
		{
			json_object_put(doc);
			aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH,
							 "its model matrix differs from this server's");
			continue;
		}
		/* the rows of the node's factor, as if they were m rows of data */
		for (int k = 0; k < m; k++)
		{
			for (int j = 0; j < m; j++)
				row[j] = j >= k ? json_object_get_double(json_object_array_get_idx(r, k + (size_t) j * m)) : 0.0;
			aml_qr_accum_add(acc, row, 1.0);
		}
		*n += json_object_get_int64(aml_fed_get(doc, "n"));
		*dev += json_object_get_double(aml_fed_get(doc, "dev"));
		*ysum += json_object_get_double(aml_fed_get(doc, "ysum"));
		*ylogy += json_object_get_double(aml_fed_get(doc, "ylogy"));
		*dropped += aml_fed_get(doc, "dropped") ? json_object_get_int64(aml_fed_get(doc, "dropped")) : 0;
		contributed[i] = true;
		any = true;
		json_object_put(doc);
	}
	aml_qr_accum_flush(acc);
	pfree(row);
	return any;
}

static char *
beta_json(const double *beta, int p)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (int j = 0; j < p; j++)
	{
		if (j > 0)
			appendStringInfoString(&s, ", ");
		aml_fed_json_double(&s, beta[j]);
	}
	appendStringInfoChar(&s, ']');
	return s.data;
}

static void
put(Datum *values, bool *nulls, int i, double v)
{
	nulls[i] = isnan(v);
	values[i] = Float8GetDatum(v);
}


Datum
automl_fed_glm(PG_FUNCTION_ARGS)
{
	const char *what = "automl_glm";
	ArrayType  *nodes = NODES_ARG(4);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	char	   *formula_text;
	char	   *family_name;
	Jsonb	   *filter;
	AmlGlmFamily family;
	AmlFedCall *c;
	AmlCoreSession *session;
	AmlFormula *f;
	AmlSource  *src;
	List	   *list = NIL;
	AmlDesignVar *dv;
	AmlDesign  *design;
	bool		any_factor = false;
	char	   *levels;
	const char *params[6];
	LocalArgs	la;
	AmlQRAccum *acc;
	AmlError	err;
	AmlGlm		g;
	AmlCoef    *coefs;
	bool	   *first_set;
	bool	   *now_set;
	double	   *beta;
	double		devold = 0;
	int			p;
	int			restarts = 0;

	if (nodes == NULL)
		return automl_glm(fcinfo);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and formula must not be NULL")));
	relid = PG_GETARG_OID(0);
	formula_text = text_to_cstring(PG_GETARG_TEXT_PP(1));
	family_name = PG_ARGISNULL(2) ? "binomial" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	family = parse_family(family_name, what);
	filter = AML_FILTER_ARG(fcinfo, 3);
	InitMaterializedSRF(fcinfo, 0);
	c = aml_fed_begin(nodes, STRICT_ARG(5), what);
	session = aml_core_session_begin(what);

	/* the kinds of the variables, from this server's relation of that name */
	f = aml_stats_parse_formula(relid, formula_text, true);
	dv = palloc0(sizeof(AmlDesignVar) * (f->n_vars + 1));
	list = lappend(list, f->response);
	for (int v = 0; v < f->n_vars; v++)
		list = lappend(list, f->vars[v]);
	src = aml_source_describe_list(relid, list, true);
	if (src->cols[0].kind == AML_KIND_CATEGORICAL)
	{
		if (family == AML_GLM_POISSON)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: a Poisson response must be numeric, \"%s\" is categorical",
							what, f->response)));
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: a categorical response is not supported over federation nodes", what),
				 errdetail("The nodes would have to agree on the response's two levels first."),
				 errhint("Use a boolean or a 0/1 response, e.g. a column or view computed as (%s = 'level').",
						 f->response)));
	}
	for (int v = 0; v < f->n_vars; v++)
		any_factor |= dv[v].factor = src->cols[v + 1].kind != AML_KIND_NUMERIC;

	/* round 1: the union of the factors' levels */
	levels = aml_fed_model_levels(c, relid, formula_text, filter, f, dv, any_factor, what);
	if (levels == NULL)
		aml_fed_no_contribution(c, what);
	if (aml_design_build(f, dv, AML_CONTRAST_TREATMENT, &design, &err) != AML_OK)
		aml_stats_raise(&err);
	p = design->n_cols;
	if (aml_qr_accum_create(p + 1, &acc, &err) != AML_OK)
		aml_pg_raise(&err);
	params[0] = aml_fed_relation_name(relid);
	params[1] = formula_text;
	params[2] = aml_fed_filter_text(filter);
	params[3] = family_name;
	params[4] = levels;
	la.relid = relid;
	la.formula = formula_text;
	la.filter = filter;
	la.family = family_name;
	la.levels = levels;
	first_set = palloc0(sizeof(bool) * c->n);
	now_set = palloc0(sizeof(bool) * c->n);
	beta = palloc0(sizeof(double) * Max(p, 1));
	memset(&g, 0, sizeof(g));

	/* the iterations of aml_glm_fit, one round per pass */
restart:
	for (int iter = 0;; iter++)
	{
		double		n,
					dev,
					ysum,
					ylogy;
		long		dropped;
		AmlLsFit   *fit;

		params[5] = la.beta = iter == 0 ? NULL : beta_json(beta, p);
		if (!glm_round(c, params, &la, design, acc, iter == 0 ? first_set : now_set,
					   &n, &dev, &ysum, &ylogy, &dropped))
			aml_fed_no_contribution(c, what);
		if (iter > 0 && memcmp(first_set, now_set, sizeof(bool) * c->n) != 0)
		{
			/* a node left during the iterations: start again without it */
			if (++restarts > c->n)
				aml_fed_no_contribution(c, what);
			aml_fed_feedback(c, NULL, false, 0,
							 "a node left the call during the iterations; the iterations started again without it");
			goto restart;
		}
		if (iter == 0)
		{
			if (n < p)
			{
				aml_error(&err, AML_ERR_INVALID_DATA, "fewer complete rows than coefficients");
				aml_error_detail(&err, "The model has %d coefficients and %.0f complete rows.", p, n);
				aml_stats_raise(&err);
			}
			if (dropped > 0)
				ereport(NOTICE,
						(errmsg("%s: %ld row%s with NULL values left out", what, dropped, dropped == 1 ? "" : "s")));
			g.n = (long) n;
			g.null_deviance = aml_glm_null_deviance(family, n, ysum, ylogy);
		}
		else
		{
			if (!isfinite(dev))
			{
				aml_error(&err, AML_ERR_NUMERICAL, "the deviance is not finite");
				aml_stats_raise(&err);
			}
			g.iterations = iter;
			g.deviance = dev;
			if (aml_glm_converged(dev, devold))
			{
				g.converged = true;
				break;
			}
			if (iter >= AML_GLM_MAXIT)
				break;
		}
		devold = dev;
		if (aml_ls_solve(acc->r, p + 1, AML_GLM_TOL, &fit, &err) != AML_OK)
			aml_pg_raise(&err);
		if (g.fit)
			aml_ls_free(g.fit);
		g.fit = fit;
		for (int j = 0; j < p; j++)
			beta[j] = isnan(fit->coef[j]) ? 0 : fit->coef[j];
	}
	aml_qr_accum_free(acc);
	g.coef = g.fit->coef;
	if (!g.converged)
		ereport(NOTICE,
				(errmsg("%s: the algorithm did not converge in %d iterations", what, g.iterations)));
	if (g.fit->rank < p)
		ereport(NOTICE,
				(errmsg("%s: %d coefficient%s not defined because of singularities",
						what, p - g.fit->rank, p - g.fit->rank == 1 ? "" : "s")));
	coefs = palloc(sizeof(AmlCoef) * p);
	aml_glm_tidy(&g, 0.95, coefs);
	for (int j = 0; j < p; j++)
	{
		Datum		values[7];
		bool		nulls[7];

		values[0] = CStringGetTextDatum(design->names[j]);
		nulls[0] = false;
		put(values, nulls, 1, coefs[j].estimate);
		put(values, nulls, 2, coefs[j].std_error);
		put(values, nulls, 3, coefs[j].statistic);
		put(values, nulls, 4, coefs[j].p_value);
		put(values, nulls, 5, coefs[j].conf_low);
		put(values, nulls, 6, coefs[j].conf_high);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	aml_ls_free(g.fit);
	aml_core_session_end(session);
	aml_fed_end(c);
	return (Datum) 0;
}
