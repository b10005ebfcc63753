/*
 * fed_nb_discrete.c — automl_fit(..., 'multinomial_nb' | 'bernoulli_nb',
 * nodes => ...): the discrete naive Bayes models over federation nodes,
 * equal to automl_fit on the union of the nodes' complete rows.
 *
 * Both go through fed_nb.c's path (classes and levels unioned, per class
 * and encoded column the pooled count, sum and squared deviations, the
 * default pipeline rebuilt on a skeleton of the schema with a mean
 * imputer); what differs is the default scaler and the counts:
 *
 * multinomial_nb — one-hot, imputer, min-max scaler to [0, 1], then per
 *   class and column feature_count = sum of the scaled values.  One round
 *   (automl.node_nb_counts with {"minmax": true}): fed_nb's answer plus,
 *   per numeric feature, the node's minimum and maximum — single rows'
 *   values, as the federated summary's min/max and histogram's range send
 *   them.  Pooled extremes give the scaler (scale 1/(max-min), offset
 *   -min*scale; a one-hot column is 0..1); the class sum of scaled values
 *   is scale*sum + n*offset.
 * bernoulli_nb — one-hot, imputer, standard scaler (pooled mean and
 *   population variance, scikit-learn's constant-column rule), then per
 *   class and column feature_count = the rows whose scaled value exceeds
 *   binarize.  Round 1 is automl.node_nb (moments); round 2
 *   (automl.node_nb_counts with {"above": [{offset, scale}...], "binarize"})
 *   has each node count, per class and numeric feature, the rows with
 *   (x - offset) / scale > binarize — the scaler's own arithmetic, so the
 *   same rows count as at the pooled fit.  A one-hot column's count follows
 *   from its level counts (which of 0 and 1 exceeds the threshold).  With
 *   binarize null the values themselves are summed: (sum - n*offset)/scale.
 *
 * Then alpha smoothing and priors as the local fit (naive_bayes.c):
 * feature_log_prob = log(count + alpha) - log(denominator), denominator
 * the class's sum over columns of (count + alpha) (multinomial) or its rows
 * + 2 alpha (Bernoulli); class_log_prior log(n_c/n), or uniform without
 * fit_prior.
 *
 * Privacy: round 1 as fed_nb.c; in round 2 a node sends only "suppressed"
 * when a class's count above or below a threshold is 1..min-1.  A node
 * that leaves or suppresses its part in round 2 has its moments in the
 * scaler already: both rounds run again without it (feedback names it).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/clock.h"
#include "core/json.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_nb.h"
#include "ml/estimator.h"
#include "ml/params.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"

PG_FUNCTION_INFO_V1(automl_node_nb_counts);

#define NB_ALPHA_MIN 1e-10		/* naive_bayes.c's floor */

/* ---------------------------------------------------------------- node side */

static void
bad_request(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("request must be {\"minmax\": true} or {\"above\": [{\"offset\": x, \"scale\": s} or null per feature], \"binarize\": b}")));
}

/* Per class (as automl.node_nb orders them) and numeric feature: rows with (x - offset)/scale > binarize. */
static char *
node_above_json(const AmlStatsFrame *fr, json_object *above, double binarize, const char **suppressed)
{
	AmlStatsColumn *t = &fr->cols[0];
	int			nf = fr->ncols - 1;
	double	   *off = palloc0(sizeof(double) * Max(nf, 1));
	double	   *sc = palloc0(sizeof(double) * Max(nf, 1));
	bool	   *want = palloc0(sizeof(bool) * Max(nf, 1));
	List	   *keys = NIL;
	StringInfoData s;

	if (!aml_fed_is_array(above, nf))
		bad_request();
	for (int j = 0; j < nf; j++)
	{
		json_object *o = json_object_array_get_idx(above, j);
		json_object *a = aml_fed_get(o, "offset");
		json_object *b = aml_fed_get(o, "scale");

		if (o == NULL)
			continue;
		if (!json_object_is_type(o, json_type_object) || a == NULL || b == NULL ||
			!(json_object_is_type(a, json_type_double) || json_object_is_type(a, json_type_int)) ||
			!(json_object_is_type(b, json_type_double) || json_object_is_type(b, json_type_int)) ||
			fr->cols[j + 1].kind == AML_KIND_CATEGORICAL)
			bad_request();
		off[j] = json_object_get_double(a);
		sc[j] = json_object_get_double(b);
		want[j] = true;
	}
	*suppressed = aml_fed_group_check(fr->n, "the set of complete rows");
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	/* classes: categorical levels in order; numbers and booleans by value */
	{
		int			k;
		double	   *vals = NULL;
		int		   *cls = palloc(sizeof(int) * Max(fr->n, 1));
		long	   *n_c;
		long	   *cnt;

		if (t->kind == AML_KIND_CATEGORICAL)
		{
			k = t->n_levels;
			for (long i = 0; i < fr->n; i++)
				cls[i] = (int) t->values[i];
		}
		else
		{
			vals = palloc(sizeof(double) * Max(fr->n, 1));
			k = 0;
			for (long i = 0; i < fr->n; i++)
			{
				int			c;

				for (c = 0; c < k; c++)
					if (vals[c] == t->values[i])
						break;
				if (c == k)
				{
					if (k >= 10000)
						ereport(ERROR,
								(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
								 errmsg("the target has more than 10000 classes")));
					vals[k++] = t->values[i];
				}
				cls[i] = c;
			}
		}
		n_c = palloc0(sizeof(long) * Max(k, 1));
		cnt = palloc0(sizeof(long) * Max((size_t) k * nf, 1));
		for (long i = 0; i < fr->n; i++)
		{
			n_c[cls[i]]++;
			for (int j = 0; j < nf; j++)
				if (want[j] && (fr->cols[j + 1].values[i] - off[j]) / sc[j] > binarize)
					cnt[(size_t) cls[i] * nf + j]++;
		}
		for (int c = 0; c < k; c++)
		{
			if ((*suppressed = aml_fed_group_check(n_c[c], "a class of the target")) != NULL)
				return aml_fed_suppressed_json(*suppressed);
			for (int j = 0; j < nf; j++)
				if (want[j] &&
					((*suppressed = aml_fed_group_check(cnt[(size_t) c * nf + j],
														"a class's rows above a threshold")) != NULL ||
					 (*suppressed = aml_fed_group_check(n_c[c] - cnt[(size_t) c * nf + j],
														"a class's rows below a threshold")) != NULL))
					return aml_fed_suppressed_json(*suppressed);
		}
		initStringInfo(&s);
		appendStringInfo(&s, "{\"n\": %ld, \"classes\": [", fr->n);
		for (int c = 0; c < k; c++)
		{
			if (n_c[c] == 0)
				continue;
			appendStringInfoString(&s, keys != NIL ? ", {\"value\": " : "{\"value\": ");
			keys = lappend(keys, NULL);
			if (t->kind == AML_KIND_CATEGORICAL)
				aml_fed_json_string(&s, t->levels[c]);
			else
				aml_fed_json_double(&s, vals[c]);
			appendStringInfo(&s, ", \"n\": %ld, \"above\": [", n_c[c]);
			for (int j = 0; j < nf; j++)
			{
				if (j > 0)
					appendStringInfoString(&s, ", ");
				if (want[j])
					appendStringInfo(&s, "%ld", cnt[(size_t) c * nf + j]);
				else
					appendStringInfoString(&s, "null");
			}
			appendStringInfoString(&s, "]}");
		}
		appendStringInfoString(&s, "]}");
	}
	return s.data;
}

static char *
node_counts_json(Oid relid, char **names, int n, Jsonb *filter, const char *request, int64 *rows,
				 const char **suppressed)
{
	json_object *req = aml_pg_parse_json(request, strlen(request));
	AmlStatsFrame *fr;

	if (!json_object_is_type(req, json_type_object))
		bad_request();
	fr = aml_stats_frame_load(relid, names, n, filter, true, "automl.node_nb_counts");
	*rows = fr->n;
	if (aml_fed_get(req, "minmax") != NULL)
	{
		if (!json_object_is_type(aml_fed_get(req, "minmax"), json_type_boolean) ||
			!json_object_get_boolean(aml_fed_get(req, "minmax")) || aml_fed_get(req, "above") != NULL)
			bad_request();
		return aml_fed_nb_frame_answer(fr, true, suppressed);
	}
	else
	{
		json_object *b = aml_fed_get(req, "binarize");

		if (b == NULL || !(json_object_is_type(b, json_type_double) || json_object_is_type(b, json_type_int)))
			bad_request();
		return node_above_json(fr, aml_fed_get(req, "above"), json_object_get_double(b), suppressed);
	}
}

Datum
automl_node_nb_counts(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_nb_counts";
	Jsonb	   *filter;
	Jsonb	   *request;
	char	  **names;
	char	   *req;
	int			n;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;
	StringInfoData extra;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 3);
	if (PG_ARGISNULL(4))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("request must not be NULL")));
	filter = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	request = PG_GETARG_JSONB_P(4);
	req = JsonbToCString(NULL, &request->root, VARSIZE(request));
	names = aml_fed_target_features(NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), &n);
	session = aml_core_session_begin(what);
	out = node_counts_json(PG_GETARG_OID(0), names, n, filter, req, &rows, &suppressed);
	aml_core_session_end(session);
	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"target\": ");
	aml_fed_json_string(&extra, names[0]);
	appendStringInfo(&extra, ", \"request\": %s", req);
	aml_fed_log(what, aml_fed_log_arguments(PG_GETARG_OID(0), aml_fed_names_text(names + 1, n - 1), filter,
											extra.data), rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct DnbArgs
{
	bool		bernoulli;
	double		alpha;
	bool		fit_prior;
	double		binarize;		/* NaN: null */
	/* round 2's local part */
	Oid			relid;
	char	  **names;
	int			n;
	Jsonb	   *filter;
	const char *request;
	bool		again;			/* a node left in round 2: fit again without it */
} DnbArgs;

static char *
local_counts(void *arg)
{
	DnbArgs    *d = arg;
	int64		rows;
	const char *sup;

	return node_counts_json(d->relid, d->names, d->n, d->filter, d->request, &rows, &sup);
}

/* Bernoulli's round 1 is automl.node_nb's */
static char *
local_counts_nb(void *arg)
{
	DnbArgs    *d = arg;
	const char *sup;

	return aml_fed_nb_frame_answer(aml_stats_frame_load(d->relid, d->names, d->n, d->filter, true,
														"automl.node_nb"), false, &sup);
}

static void
state_array(json_object *st, const char *key, const double *v, int n)
{
	json_object_object_add(st, key, aml_json_new_double_array(v, n));
}

/* Round 2 of Bernoulli: per class (in pool order) and feature, the rows above the thresholds. */
static double *
bernoulli_above(const AmlFedFitArgs *a, const AmlFedNbPrep *prep, AmlFedCall *c, const AmlFedNbPool *pool,
				DnbArgs *d, const double *off, const double *sc)
{
	json_object *req = aml_pg_json_own(json_object_new_object());
	json_object *above = json_object_new_array();
	double	   *cnt = palloc0(sizeof(double) * Max((size_t) pool->k * pool->nf, 1));
	const char *params[5];
	bool		any = false;

	for (int j = 0; j < pool->nf; j++)
	{
		int			e;

		for (e = 0; e < pool->p; e++)
			if (pool->enc_feature[e] == j)
				break;
		if (e == pool->p || pool->enc_level[e] >= 0)
			json_object_array_add(above, NULL);
		else
		{
			json_object *o = json_object_new_object();

			json_object_object_add(o, "offset", aml_json_new_double(off[e]));
			json_object_object_add(o, "scale", aml_json_new_double(sc[e]));
			json_object_array_add(above, o);
			any = true;
		}
	}
	if (!any)
		return cnt;
	json_object_object_add(req, "above", above);
	json_object_object_add(req, "binarize", aml_json_new_double(d->binarize));
	d->request = aml_json_text(req);
	d->relid = a->relid;
	d->names = prep->names;
	d->n = prep->n;
	d->filter = a->filter;
	params[0] = aml_fed_relation_name(a->relid);
	params[1] = prep->names[0];
	params[2] = aml_fed_name_array_literal(prep->names + 1, prep->n - 1);
	params[3] = aml_fed_filter_text(a->filter);
	params[4] = d->request;
	aml_fed_round(c, "SELECT automl.node_nb_counts($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.name[], $4::pg_catalog.jsonb, $5::pg_catalog.jsonb)", 5, params,
				  local_counts, d);
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc = NULL;
		json_object *classes;
		bool		ok;

		if (!pool->contributed[i])
			continue;
		if (aml_fed_answered(&c->nodes[i]))
			doc = aml_fed_contribution(c, &c->nodes[i]);
		classes = aml_fed_get(doc, "classes");
		ok = doc != NULL && aml_fed_is_array(classes, -1);
		for (size_t q = 0; ok && q < json_object_array_length(classes); q++)
		{
			json_object *o = json_object_array_get_idx(classes, q);
			json_object *v = aml_fed_get(o, "value");
			json_object *ab = aml_fed_get(o, "above");
			int			ci = -1;

			ok = v != NULL && aml_fed_is_array(ab, pool->nf) &&
				json_object_is_type(v, json_type_string) == pool->categorical_target;
			for (int k = 0; ok && k < pool->k; k++)
				if (pool->categorical_target ? strcmp(pool->class_labels[k], json_object_get_string(v)) == 0
					: pool->class_values[k] == json_object_get_double(v))
					ci = k;
			ok = ok && ci >= 0;
			for (int j = 0; ok && j < pool->nf; j++)
			{
				json_object *x = json_object_array_get_idx(ab, j);

				if (x != NULL)
					cnt[(size_t) ci * pool->nf + j] += json_object_get_double(x);
			}
		}
		if (!ok)
		{
			/* its moments are in the scaler: the fit starts again without it (it has left the call) */
			if (doc != NULL)
			{
				json_object_put(doc);
				aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_DATATYPE_MISMATCH,
								 "its answer does not match this server's columns");
			}
			d->again = true;
			continue;
		}
		json_object_put(doc);
	}
	return cnt;
}

static void
discrete_state(const AmlFedFitArgs *a, const AmlFedNbPrep *prep, AmlFedCall *c, const AmlFedNbPool *pool,
			   json_object *pj, void *arg)
{
	DnbArgs    *d = arg;
	int			k = pool->k;
	int			p = pool->p;
	double	   *off = palloc(sizeof(double) * Max(p, 1));
	double	   *sc = palloc(sizeof(double) * Max(p, 1));
	double	   *stat_a = palloc(sizeof(double) * Max(p, 1));
	double	   *stat_b = palloc(sizeof(double) * Max(p, 1));
	double	   *seen = palloc(sizeof(double) * Max(p, 1));
	double	   *fc = palloc0(sizeof(double) * Max((size_t) k * p, 1));
	double	   *flp = palloc0(sizeof(double) * Max((size_t) k * p, 1));
	double	   *prior = palloc(sizeof(double) * Max(k, 1));
	double	   *above = NULL;
	double		alpha = d->alpha < NB_ALPHA_MIN ? NB_ALPHA_MIN : d->alpha;
	double		total = 0;
	int			present = 0;
	json_object *steps = aml_fed_get(pj, "steps");
	json_object *scaler;
	json_object *est = json_object_new_object();
	AmlMatrix	fcm,
				flpm;

	if (!aml_fed_is_array(steps, 2))
		elog(ERROR, "federated %s: unexpected default pipeline", a->type->name);
	scaler = aml_fed_get(json_object_array_get_idx(steps, 1), "state");
	/* the scaler */
	for (int e = 0; e < p; e++)
	{
		const AmlMoments *m = &pool->all[e];

		seen[e] = m->n;
		if (!d->bernoulli)
		{
			double		lo = pool->enc_level[e] >= 0 ? 0 : pool->min[pool->enc_feature[e]];
			double		hi = pool->enc_level[e] >= 0 ? 1 : pool->max[pool->enc_feature[e]];
			double		range = hi - lo;

			stat_a[e] = lo;
			stat_b[e] = hi;
			sc[e] = 1.0 / (range < 10 * DBL_EPSILON ? 1.0 : range);
			off[e] = 0 - lo * sc[e];
		}
		else
		{
			double		mean = m->sum / m->n;
			double		var = m->sxx / m->n;
			double		bound = m->n * DBL_EPSILON * var + (m->n * mean * DBL_EPSILON) * (m->n * mean * DBL_EPSILON);

			stat_a[e] = mean;
			stat_b[e] = var;
			off[e] = mean;
			sc[e] = var <= bound ? 1.0 : sqrt(var);
		}
	}
	state_array(scaler, "offset", off, p);
	state_array(scaler, "scale", sc, p);
	state_array(scaler, d->bernoulli ? "mean" : "data_min", stat_a, p);
	state_array(scaler, d->bernoulli ? "var" : "data_max", stat_b, p);
	state_array(scaler, "n_samples_seen", seen, p);

	if (d->bernoulli && !isnan(d->binarize))
		above = bernoulli_above(a, prep, c, pool, d, off, sc);
	/* per class and column: the (binarised) scaled values summed */
	for (int ci = 0; ci < k; ci++)
		for (int e = 0; e < p; e++)
		{
			const AmlMoments *m = &pool->cm[(size_t) ci * p + e];
			double		nc = pool->count[ci];
			double		v;

			if (!d->bernoulli)
				v = pool->enc_level[e] >= 0 ? m->sum : sc[e] * m->sum + nc * off[e];
			else if (isnan(d->binarize))
				v = (m->sum - nc * off[e]) / sc[e];
			else if (pool->enc_level[e] >= 0)
				v = ((1 - off[e]) / sc[e] > d->binarize ? m->sum : 0) +
					((0 - off[e]) / sc[e] > d->binarize ? nc - m->sum : 0);
			else
				v = above[(size_t) ci * pool->nf + pool->enc_feature[e]];
			fc[(size_t) ci * p + e] = v;
		}
	for (int ci = 0; ci < k; ci++)
	{
		double		denom = 0;

		if (d->bernoulli)
			denom = pool->count[ci] + alpha * 2;
		else
			for (int e = 0; e < p; e++)
				denom += fc[(size_t) ci * p + e] + alpha;
		denom = log(denom);
		for (int e = 0; e < p; e++)
			flp[(size_t) ci * p + e] = log(fc[(size_t) ci * p + e] + alpha) - denom;
		total += pool->count[ci];
		present += pool->count[ci] > 0;
	}
	for (int ci = 0; ci < k; ci++)
		prior[ci] = pool->count[ci] <= 0 ? -INFINITY
			: d->fit_prior ? log(pool->count[ci]) - log(total) : -log((double) present);
	if (d->bernoulli)
		json_object_object_add(est, "threshold", isnan(d->binarize) ? NULL : aml_json_new_double(d->binarize));
	json_object_object_add(est, "class_count", aml_json_new_double_array(pool->count, k));
	json_object_object_add(est, "class_log_prior", aml_json_new_double_array(prior, k));
	fcm = aml_matrix_view(p, k, fc);
	flpm = aml_matrix_view(p, k, flp);
	json_object_object_add(est, "feature_count", aml_json_new_matrix(&fcm));
	json_object_object_add(est, "feature_log_prob", aml_json_new_matrix(&flpm));
	json_object_object_add(aml_fed_get(pj, "estimator"), "state", est);
}

int64
aml_fed_discrete_nb(const AmlFedFitArgs *a)
{
	AmlFedNbPrep prep;
	AmlFedCall *c;
	DnbArgs		d;
	const char *params[5];
	json_object **docs;
	bool	   *contributed;
	double		start = aml_clock();
	long		rows;
	char	   *features_json;
	AmlPipeline *pl;
	int64		id;
	AmlEstimator *check;
	AmlError	err;

	memset(&d, 0, sizeof(d));
	d.bernoulli = strcmp(a->type->name, "bernoulli_nb") == 0;
	aml_fed_nb_prepare(a, &prep);
	AML_PG_CHECK(aml_estimator_create(a->type, AML_TASK_CLASSIFICATION, 2, a->params, &check, &err), &err);
	{
		json_object *pp = aml_pg_json_own(aml_params_to_json(&a->type->params, check->params));
		json_object *b = aml_fed_get(pp, "binarize");

		d.alpha = json_object_get_double(aml_fed_get(pp, "alpha"));
		d.fit_prior = json_object_get_boolean(aml_fed_get(pp, "fit_prior"));
		d.binarize = b == NULL ? NAN : json_object_get_double(b);
	}
	aml_estimator_free(check);

	c = aml_fed_begin(a->nodes, a->strict, "automl_fit");
	contributed = palloc0(sizeof(bool) * c->n);
	docs = palloc0(sizeof(json_object *) * c->n);
	params[0] = aml_fed_relation_name(a->relid);
	params[1] = prep.names[0];
	params[2] = aml_fed_name_array_literal(prep.names + 1, prep.n - 1);
	params[3] = aml_fed_filter_text(a->filter);
	params[4] = d.bernoulli ? "{}" : "{\"minmax\": true}";
	d.relid = a->relid;
	d.names = prep.names;
	d.n = prep.n;
	d.filter = a->filter;
	d.request = params[4];
	if (d.bernoulli)
		aml_fed_round(c, "SELECT automl.node_nb($1::pg_catalog.regclass, $2::pg_catalog.name, "
					  "$3::pg_catalog.name[], $4::pg_catalog.jsonb)", 4, params, local_counts_nb, &d);
	else
		aml_fed_round(c, "SELECT automl.node_nb_counts($1::pg_catalog.regclass, $2::pg_catalog.name, "
					  "$3::pg_catalog.name[], $4::pg_catalog.jsonb, $5::pg_catalog.jsonb)", 5, params,
					  local_counts, &d);
	for (int i = 0; i < c->n; i++)
		if (aml_fed_answered(&c->nodes[i]))
			docs[i] = aml_fed_contribution(c, &c->nodes[i]);
	pl = aml_fed_nb_combine(a, &prep, c, docs, false, contributed, &rows, &features_json, discrete_state, &d);
	/*
	 * Bernoulli: a node that left or suppressed its part in round 2 has its
	 * moments in the scaler; both rounds again without it (it is out of the
	 * call now), so the model is of one set of rows.  At most once per node.
	 */
	for (int tries = 0; d.again && tries < c->n; tries++)
	{
		aml_pipeline_free(pl);
		d.again = false;
		memset(contributed, 0, sizeof(bool) * c->n);
		memset(docs, 0, sizeof(json_object *) * c->n);
		aml_fed_round(c, "SELECT automl.node_nb($1::pg_catalog.regclass, $2::pg_catalog.name, "
					  "$3::pg_catalog.name[], $4::pg_catalog.jsonb)", 4, params, local_counts_nb, &d);
		for (int i = 0; i < c->n; i++)
			if (aml_fed_answered(&c->nodes[i]))
				docs[i] = aml_fed_contribution(c, &c->nodes[i]);
		pl = aml_fed_nb_combine(a, &prep, c, docs, true, contributed, &rows, &features_json, discrete_state, &d);
	}
	if (d.again)
		elog(ERROR, "federated bernoulli_nb: nodes kept leaving");
	aml_fed_end(c);
	id = aml_fed_store_model(a, pl, "classification", prep.src->qualified_name, features_json,
							 aml_fed_metrics(c, contributed, rows, a->seed, aml_clock() - start));
	aml_pipeline_free(pl);
	return id;
}
