/*
 * fed_kmeans.c — automl_fit(relation, NULL, 'kmeans', params, features,
 * nodes => ARRAY[...]): k-means over federation nodes, Lloyd's iterations
 * of the union of the nodes' complete rows, stored as a normal k-means
 * model (automl_predict, automl_kmeans_centers).
 *
 * Round 1 (initialisation, aggregates only): each node sends its count and
 * per feature the mean and sum of squared deviations (the pooled variances
 * give the local fit's tolerance, tol x mean feature variance, and the
 * imputer's fill values), and the centres of its own k-means (k-means++, 10
 * starts, seed 42) with their cluster sizes — only the centres of clusters
 * of at least automl.min_group_size rows.  The centre merges these weighted
 * candidates by weighted k-means (weighted k-means++ seeding from automl_fit's
 * seed, then weighted Lloyd) into the k initial centres.  params may give
 * the initial centres instead: {"init": [[...], ...]} (k arrays of p numbers).
 *
 * Then one round per Lloyd iteration, as kmeans.c runs them: the centre
 * sends the current centres (and the previous ones); each node assigns its
 * rows to the nearest centre (first on ties) and returns per cluster the
 * count and the sum of its rows, and how many rows changed cluster since
 * the previous centres.  The new centres are the pooled means; the loop
 * stops when no row changed cluster, when the squared centre shift is at
 * most the tolerance, or after max_iter iterations — the local fit's rules.
 * A last round gives the cluster sizes and the inertia at the final
 * centres.  Given the same initial centres the iterations are those of the
 * local Lloyd on the pooled rows, except for an empty cluster: locally it
 * takes the row farthest from its centre (a row value), here it keeps its
 * centre.
 *
 * Privacy: a node with 1..min-1 rows is suppressed; in an iteration, a
 * cluster with 1..min-1 of a node's rows is withheld by that node (count and
 * sum null, feedback once): the new centre is then the mean of the other
 * nodes' rows of that cluster.
 *
 * A node lost after round 1 (down, failed, late, or suppressing its part in
 * a later round): its rows are in the pooled moments, the candidates and
 * the sums so far, so the iterations cannot go on without it.  Without
 * strict the whole k-means starts again — round 1, the initial centres,
 * Lloyd — on the nodes still in the call, so the model is exactly the
 * federated k-means of the remaining nodes' rows (the same as a call
 * naming only them), with a feedback entry naming the lost node, the round
 * and the number of nodes it restarted on.  A lost node has left the call,
 * so every restart has at least one node fewer: at most n - 1 restarts.
 * With strict the loss is an error (the node's own SQLSTATE, or 08006).
 * Categorical features are refused (0A000).
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
#include "core/memory.h"
#include "core/random.h"
#include "core/stats.h"
#include "federation/fed_json.h"
#include "federation/fed_model.h"
#include "ml/kmeans.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/combine.h"

PG_FUNCTION_INFO_V1(automl_node_kmeans);

#define NODE_INIT_STARTS 10
#define NODE_INIT_SEED 42
/* n_clusters x features at most (centres travel as JSON in every round) */
#define MAX_CENTER_VALUES 1000000

static void
check_size(int k, int p, const char *what)
{
	if ((double) k * p > MAX_CENTER_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: n_clusters x features (%d x %d) is more than %d values", what, k, p,
						MAX_CENTER_VALUES)));
}

/* ---------------------------------------------------------------- node side */

static double
sqdist(const double *a, const double *b, int p)
{
	double		d = 0;

	for (int j = 0; j < p; j++)
		d += (a[j] - b[j]) * (a[j] - b[j]);
	return d;
}

static int
nearest(const double *x, const double *centers, int k, int p, double *dist)
{
	int			best = 0;
	double		bd = sqdist(x, centers, p);

	for (int c = 1; c < k; c++)
	{
		double		d = sqdist(x, centers + (size_t) c * p, p);

		if (d < bd)
		{
			bd = d;
			best = c;
		}
	}
	if (dist)
		*dist = bd;
	return best;
}

/* k x p numbers from a JSON array of k arrays of p numbers; NULL when malformed */
static double *
read_centers(json_object *a, int k, int p)
{
	double	   *c;

	if (!aml_fed_is_array(a, k))
		return NULL;
	c = palloc(sizeof(double) * Max((size_t) k * p, 1));
	for (int i = 0; i < k; i++)
	{
		json_object *row = json_object_array_get_idx(a, i);

		if (!aml_fed_is_number_array(row, p))
			return NULL;
		for (int j = 0; j < p; j++)
		{
			c[(size_t) i * p + j] = json_object_get_double(json_object_array_get_idx(row, j));
			if (!isfinite(c[(size_t) i * p + j]))
				return NULL;
		}
	}
	return c;
}

static void
append_vector(StringInfo s, const double *v, int p)
{
	appendStringInfoChar(s, '[');
	for (int j = 0; j < p; j++)
	{
		if (j)
			appendStringInfoString(s, ", ");
		aml_fed_json_double(s, v[j]);
	}
	appendStringInfoChar(s, ']');
}

static char *
node_kmeans_json(Oid relid, char **names, int p, Jsonb *filter, int k, const char *centers_text,
				 const char *previous_text, int64 *rows, const char **suppressed)
{
	const char *what = "automl.node_kmeans";
	AmlStatsFrame *fr = aml_stats_frame_load(relid, names, p, filter, true, what);
	long		n = fr->n;
	double	   *row = palloc(sizeof(double) * Max(p, 1));
	StringInfoData s;

	for (int j = 0; j < p; j++)
		if (fr->cols[j].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s: feature \"%s\" is categorical", what, names[j]),
					 errhint("Over federation nodes, k-means clusters numeric and boolean columns.")));
	*rows = n;
	*suppressed = aml_fed_group_check(n, "the set of complete rows");
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"dropped\": %ld", n, fr->dropped);
	if (centers_text == NULL)
	{
		/* round 1: moments, and the centres of this node's own k-means */
		appendStringInfoString(&s, ", \"moments\": [");
		for (int j = 0; j < p; j++)
		{
			double		sum = 0,
						ss = 0,
						mean;

			for (long i = 0; i < n; i++)
				sum += fr->cols[j].values[i];
			mean = n > 0 ? sum / n : 0;
			for (long i = 0; i < n; i++)
				ss += (fr->cols[j].values[i] - mean) * (fr->cols[j].values[i] - mean);
			appendStringInfoString(&s, j ? ", [" : "[");
			aml_fed_json_double(&s, mean);
			appendStringInfoString(&s, ", ");
			aml_fed_json_double(&s, ss);
			appendStringInfoChar(&s, ']');
		}
		appendStringInfoString(&s, "], \"centers\": [");
		if (n >= k && n > 0)
		{
			AmlEstimator *est;
			AmlMatrix  *X;
			AmlError	err;
			AmlRng		rng;
			AmlKmeansInfo info;
			json_object *prm = aml_pg_json_own(json_object_new_object());
			double	   *y = AML_NEW_ARRAY(double, n);
			bool		first = true;

			json_object_object_add(prm, "n_clusters", json_object_new_int(k));
			json_object_object_add(prm, "n_init", json_object_new_int(NODE_INIT_STARTS));
			AML_PG_CHECK(aml_estimator_create(&aml_kmeans_type, AML_TASK_CLUSTERING, 0, prm, &est, &err), &err);
			AML_PG_CHECK(aml_matrix_create((int) n, p, &X, &err), &err);
			for (int j = 0; j < p; j++)
				memcpy(AML_COL(X, j), fr->cols[j].values, sizeof(double) * n);
			aml_rng_seed(&rng, NODE_INIT_SEED);
			AML_PG_CHECK(aml_estimator_fit(est, X, y, &rng, &err), &err);
			aml_kmeans_get(est, &info);
			for (int c = 0; c < k; c++)
			{
				/* only clusters of at least min_group_size rows leave the node */
				if (info.sizes[c] < aml_fed_min_group_size || info.sizes[c] < 1)
					continue;
				appendStringInfoString(&s, first ? "{\"size\": " : ", {\"size\": ");
				first = false;
				appendStringInfo(&s, "%.0f, \"center\": ", info.sizes[c]);
				append_vector(&s, info.centers + (size_t) c * p, p);
				appendStringInfoChar(&s, '}');
			}
			aml_estimator_free(est);
			aml_matrix_free(X);
			aml_free(y);
		}
		appendStringInfoString(&s, "]}");
		return s.data;
	}
	else
	{
		/* a Lloyd iteration at the given centres */
		json_object *cj = aml_pg_json_own(json_tokener_parse(centers_text));
		json_object *pj = previous_text ? aml_pg_json_own(json_tokener_parse(previous_text)) : NULL;
		double	   *centers = read_centers(cj, k, p);
		double	   *previous = previous_text ? read_centers(pj, k, p) : NULL;
		long	   *counts = palloc0(sizeof(long) * k);
		double	   *sums = palloc0(sizeof(double) * (size_t) k * p);
		double		inertia = 0;
		long		changed = 0;

		if (centers == NULL || (previous_text != NULL && previous == NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: centers and previous must be JSON arrays of %d arrays of %d finite numbers",
							what, k, p)));
		for (long i = 0; i < n; i++)
		{
			double		d;
			int			c;

			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			for (int j = 0; j < p; j++)
				row[j] = fr->cols[j].values[i];
			c = nearest(row, centers, k, p, &d);
			counts[c]++;
			inertia += d;
			for (int j = 0; j < p; j++)
				sums[(size_t) c * p + j] += row[j];
			if (previous && nearest(row, previous, k, p, NULL) != c)
				changed++;
		}
		appendStringInfoString(&s, ", \"inertia\": ");
		aml_fed_json_double(&s, inertia);
		appendStringInfo(&s, ", \"changed\": %ld, \"clusters\": [", changed);
		for (int c = 0; c < k; c++)
		{
			if (c)
				appendStringInfoString(&s, ", ");
			if (aml_fed_group_check(counts[c], "a cluster") != NULL)
				appendStringInfoString(&s, "null");		/* withheld */
			else
			{
				appendStringInfo(&s, "{\"count\": %ld, \"sum\": ", counts[c]);
				append_vector(&s, sums + (size_t) c * p, p);
				appendStringInfoChar(&s, '}');
			}
		}
		appendStringInfoString(&s, "]}");
		return s.data;
	}
}

Datum
automl_node_kmeans(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_kmeans";
	Oid			relid;
	char	  **names;
	int			p;
	int			k;
	Jsonb	   *filter;
	char	   *centers = NULL;
	char	   *previous = NULL;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;
	StringInfoData extra;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 2);
	if (PG_ARGISNULL(3))
		aml_fed_node_args(fcinfo, 4);
	relid = PG_GETARG_OID(0);
	names = aml_fed_target_features(NULL, PG_GETARG_ARRAYTYPE_P(1), &p);
	filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	k = PG_GETARG_INT32(3);
	if (k < 1 || k > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: k must be between 1 and 100000", what)));
	check_size(k, p, what);
	if (!PG_ARGISNULL(4))
		centers = JsonbToCString(NULL, &PG_GETARG_JSONB_P(4)->root, VARSIZE(PG_GETARG_JSONB_P(4)));
	if (!PG_ARGISNULL(5))
		previous = JsonbToCString(NULL, &PG_GETARG_JSONB_P(5)->root, VARSIZE(PG_GETARG_JSONB_P(5)));
	session = aml_core_session_begin(what);
	out = node_kmeans_json(relid, names, p, filter, k, centers, previous, &rows, &suppressed);
	aml_core_session_end(session);
	initStringInfo(&extra);
	appendStringInfo(&extra, ", \"k\": %d, \"round\": \"%s\"", k, centers ? "lloyd" : "init");
	aml_fed_log(what, aml_fed_log_arguments(relid, aml_fed_names_text(names, p), filter, extra.data),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct KmLocal
{
	Oid			relid;
	char	  **names;
	int			p;
	Jsonb	   *filter;
	int			k;
	const char *centers;
	const char *previous;
} KmLocal;

static char *
local_kmeans(void *arg)
{
	KmLocal    *a = arg;
	int64		rows;
	const char *sup;

	return node_kmeans_json(a->relid, a->names, a->p, a->filter, a->k, a->centers, a->previous,
							&rows, &sup);
}

static char *
centers_json(const double *c, int k, int p)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '[');
	for (int i = 0; i < k; i++)
	{
		if (i)
			appendStringInfoString(&s, ", ");
		append_vector(&s, c + (size_t) i * p, p);
	}
	appendStringInfoChar(&s, ']');
	return s.data;
}

/*
 * k centres from m weighted candidates: weighted k-means++ (first draw
 * proportional to weight, then to weight x squared distance), then weighted
 * Lloyd until no candidate changes cluster (at most 300 iterations).
 */
static void
merge_candidates(const double *cand, const double *w, int m, int k, int p, AmlRng *rng,
				 double *centers)
{
	double	   *d2 = palloc(sizeof(double) * m);
	int		   *lab = palloc(sizeof(int) * m);
	double	   *acc = palloc(sizeof(double) * (size_t) k * p);
	double	   *wsum = palloc(sizeof(double) * k);

	for (int c = 0; c < k; c++)
	{
		double		total = 0,
					r,
					run = 0;
		int			pick = m - 1;

		for (int i = 0; i < m; i++)
		{
			d2[i] = c == 0 ? 1 : DBL_MAX;
			for (int q = 0; q < c; q++)
			{
				double		d = sqdist(cand + (size_t) i * p, centers + (size_t) q * p, p);

				if (d < d2[i])
					d2[i] = d;
			}
			total += w[i] * d2[i];
		}
		r = aml_rng_uniform(rng) * total;
		for (int i = 0; i < m; i++)
		{
			run += w[i] * d2[i];
			if (run > r)
			{
				pick = i;
				break;
			}
		}
		memcpy(centers + (size_t) c * p, cand + (size_t) pick * p, sizeof(double) * p);
	}
	for (int i = 0; i < m; i++)
		lab[i] = -1;
	for (int it = 0; it < 300; it++)
	{
		bool		same = true;

		memset(acc, 0, sizeof(double) * (size_t) k * p);
		memset(wsum, 0, sizeof(double) * k);
		for (int i = 0; i < m; i++)
		{
			int			c = nearest(cand + (size_t) i * p, centers, k, p, NULL);

			same &= c == lab[i];
			lab[i] = c;
			wsum[c] += w[i];
			for (int j = 0; j < p; j++)
				acc[(size_t) c * p + j] += w[i] * cand[(size_t) i * p + j];
		}
		if (same)
			break;
		for (int c = 0; c < k; c++)
			if (wsum[c] > 0)
				for (int j = 0; j < p; j++)
					centers[(size_t) c * p + j] = acc[(size_t) c * p + j] / wsum[c];
	}
}

/* The first node that contributed to round 1 but not to this round (-1: none). */
static int
first_lost(AmlFedCall *c, const bool *contributed, const bool *now)
{
	for (int i = 0; i < c->n; i++)
		if (contributed[i] && !now[i])
			return i;
	return -1;
}

/*
 * One Lloyd round; sums, counts, inertia, changed rows.  Returns the index
 * of a node of round 1 lost in this round (the sums are then incomplete),
 * -1 when every one answered.
 */
static int
lloyd_round(AmlFedCall *c, KmLocal *la, const char *const *params, int k, int p,
			const bool *contributed, double *sums, double *counts, double *inertia, long *changed,
			bool *withheld_reported)
{
	bool	   *now = palloc0(sizeof(bool) * c->n);

	aml_fed_round(c, "SELECT automl.node_kmeans($1::pg_catalog.regclass, $2::pg_catalog.name[], "
				  "$3::pg_catalog.jsonb, $4::pg_catalog.int4, $5::pg_catalog.jsonb, $6::pg_catalog.jsonb)",
				  6, params, local_kmeans, la);
	memset(sums, 0, sizeof(double) * (size_t) k * p);
	memset(counts, 0, sizeof(double) * k);
	*inertia = 0;
	*changed = 0;
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		json_object *cl;
		bool		ok;

		if (!contributed[i] || !aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		cl = aml_fed_get(doc, "clusters");
		ok = aml_fed_is_array(cl, k) && aml_fed_get(doc, "inertia") && aml_fed_get(doc, "changed");
		for (int q = 0; ok && q < k; q++)
		{
			json_object *o = json_object_array_get_idx(cl, q);

			ok = o == NULL || (aml_fed_get(o, "count") && aml_fed_is_number_array(aml_fed_get(o, "sum"), p));
		}
		if (!ok)
		{
			json_object_put(doc);
			aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH, "malformed k-means answer");
			continue;
		}
		for (int q = 0; q < k; q++)
		{
			json_object *o = json_object_array_get_idx(cl, q);

			if (o == NULL)
			{
				if (!withheld_reported[i])
					aml_fed_feedback(c, node, false, 0,
									 "withheld a cluster of fewer than automl.min_group_size rows in an iteration");
				withheld_reported[i] = true;
				continue;
			}
			counts[q] += json_object_get_int64(aml_fed_get(o, "count"));
			for (int j = 0; j < p; j++)
				sums[(size_t) q * p + j] += json_object_get_double(json_object_array_get_idx(aml_fed_get(o, "sum"), j));
		}
		*inertia += json_object_get_double(aml_fed_get(doc, "inertia"));
		*changed += json_object_get_int64(aml_fed_get(doc, "changed"));
		now[i] = true;
		json_object_put(doc);
	}
	return first_lost(c, contributed, now);
}

/*
 * Round 1: each node's count and moments and its candidate centres.  Fills
 * the pooled moments, the weighted candidates (m), rows, dropped, and which
 * nodes contributed (all reset first: a restart calls it again).
 */
static void
init_round(AmlFedCall *c, KmLocal *la, const char *const *rparams, int p, AmlMoments *mom,
		   double **cand_out, double **cw_out, int *m_out, long *rows_out, long *dropped_out,
		   bool *contributed)
{
	double	   *cand = NULL;
	double	   *cw = NULL;
	int			m = 0;
	long		rows = 0,
				dropped = 0;

	memset(mom, 0, sizeof(AmlMoments) * p);
	memset(contributed, 0, sizeof(bool) * c->n);
	aml_fed_round(c, "SELECT automl.node_kmeans($1::pg_catalog.regclass, $2::pg_catalog.name[], "
				  "$3::pg_catalog.jsonb, $4::pg_catalog.int4, $5::pg_catalog.jsonb, $6::pg_catalog.jsonb)",
				  6, rparams, local_kmeans, la);
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		json_object *mo;
		json_object *ce;
		long		nn;
		bool		ok;
		size_t		nc;

		if (!aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		mo = aml_fed_get(doc, "moments");
		ce = aml_fed_get(doc, "centers");
		ok = aml_fed_get(doc, "n") && aml_fed_is_array(mo, p) && aml_fed_is_array(ce, -1);
		for (int j = 0; ok && j < p; j++)
			ok = aml_fed_is_number_array(json_object_array_get_idx(mo, j), 2);
		for (size_t q = 0; ok && q < json_object_array_length(ce); q++)
		{
			json_object *o = json_object_array_get_idx(ce, q);

			ok = aml_fed_get(o, "size") && aml_fed_is_number_array(aml_fed_get(o, "center"), p);
		}
		if (!ok)
		{
			json_object_put(doc);
			aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH, "malformed k-means answer");
			continue;
		}
		nn = json_object_get_int64(aml_fed_get(doc, "n"));
		if (nn == 0)
		{
			json_object_put(doc);
			continue;
		}
		for (int j = 0; j < p; j++)
		{
			AmlMoments	one;
			json_object *x = json_object_array_get_idx(mo, j);

			one.n = nn;
			one.sum = json_object_get_double(json_object_array_get_idx(x, 0)) * nn;
			one.sxx = json_object_get_double(json_object_array_get_idx(x, 1));
			aml_moments_merge(&mom[j], &one);
		}
		nc = json_object_array_length(ce);
		cand = cand ? repalloc(cand, sizeof(double) * (size_t) (m + nc + 1) * p)
			: palloc(sizeof(double) * (size_t) (nc + 1) * p);
		cw = cw ? repalloc(cw, sizeof(double) * (m + nc + 1))
			: palloc(sizeof(double) * (nc + 1));
		for (size_t q = 0; q < nc; q++)
		{
			json_object *o = json_object_array_get_idx(ce, q);

			cw[m] = json_object_get_double(aml_fed_get(o, "size"));
			for (int j = 0; j < p; j++)
				cand[(size_t) m * p + j] = json_object_get_double(json_object_array_get_idx(aml_fed_get(o, "center"), j));
			m++;
		}
		rows += nn;
		if (aml_fed_get(doc, "dropped"))
			dropped += json_object_get_int64(aml_fed_get(doc, "dropped"));
		contributed[i] = true;
		json_object_put(doc);
	}
	*cand_out = cand;
	*cw_out = cw;
	*m_out = m;
	*rows_out = rows;
	*dropped_out = dropped;
}

/*
 * A node of round 1 was lost in a later round: with strict an error (a
 * suppression is not a failure of the node, so fanout.c has not raised
 * one); else a feedback entry, and the caller starts again on the nodes
 * still in the call.
 */
static void
restart_feedback(AmlFedCall *c, int lost, const char *round, const char *what)
{
	StringInfoData names;
	int			left = 0;

	if (c->strict)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("%s: node \"%s\" left during the k-means iterations, in %s",
						what, c->nodes[lost].name, round),
				 errdetail("Feedback: %s", c->n_feedback ? c->feedback.data : "(none)"),
				 errhint("Without strict => true, k-means starts again on the nodes still answering.")));
	initStringInfo(&names);
	for (int i = 0; i < c->n; i++)
		if (c->nodes[i].state != AML_FED_FAILED)
			appendStringInfo(&names, "%s%s", left++ ? ", " : "", c->nodes[i].name);
	if (left == 0)
	{
		aml_fed_feedback(c, &c->nodes[lost], false, 0, "lost in %s: no node left to restart the k-means analysis on", round);
		aml_fed_no_contribution(c, what);
	}
	aml_fed_feedback(c, &c->nodes[lost], false, 0,
					 "lost in %s: the k-means analysis restarted on %d node%s (%s)",
					 round, left, left == 1 ? "" : "s", names.data);
}

int64
aml_fed_kmeans(const AmlFedFitArgs *a)
{
	const char *what = "automl_fit";
	int			p;
	char	  **names = aml_fed_target_features(NULL, a->features, &p);
	List	   *list = NIL;
	AmlSource  *src;
	json_object *params = aml_pg_json_own(json_object_new_object());
	json_object *init = NULL;
	json_object *pp;
	AmlEstimator *check;
	AmlError	err;
	int			k,
				max_iter,
				m = 0,
				it = 0,
				restarts;
	double	   *given = NULL;
	double		tol;
	AmlFedCall *c;
	KmLocal		la;
	const char *rparams[6];
	bool	   *contributed;
	bool	   *withheld;
	AmlMoments *mom = palloc0(sizeof(AmlMoments) * p);
	double	   *cand = NULL;
	double	   *cw = NULL;
	double	   *centers,
			   *next,
			   *sums,
			   *counts;
	double		tol_abs = 0,
				inertia;
	long		rows = 0,
				dropped = 0,
				changed;
	double		start = aml_clock();
	AmlSchema	schema;
	Oid		   *types = palloc(sizeof(Oid) * p);
	int64		id;

	if (a->target != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"kmeans\" is clustering: it takes no target (\"%s\" given)", a->target),
				 errhint("Pass NULL as the target; name the columns to cluster on in features.")));
	for (int j = 0; j < p; j++)
		list = lappend(list, names[j]);
	src = aml_source_describe_list(a->relid, list, true);
	for (int j = 0; j < p; j++)
	{
		types[j] = src->cols[j].typid;
		if (src->cols[j].kind == AML_KIND_CATEGORICAL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s: feature \"%s\" is categorical", what, names[j]),
					 errhint("Over federation nodes, k-means clusters numeric and boolean columns.")));
	}
	/* hyperparameters (init apart) checked by the estimator */
	if (a->params != NULL && json_object_is_type(a->params, json_type_object))
	{
		json_object_object_foreach(a->params, key, val)
		{
			if (strcmp(key, "init") == 0)
				init = val;
			else
				json_object_object_add(params, key, json_object_get(val));
		}
	}
	AML_PG_CHECK(aml_estimator_create(a->type, AML_TASK_CLUSTERING, 0, params, &check, &err), &err);
	pp = aml_pg_json_own(aml_params_to_json(&a->type->params, check->params));
	aml_estimator_free(check);
	k = json_object_get_int(aml_fed_get(pp, "n_clusters"));
	max_iter = json_object_get_int(aml_fed_get(pp, "max_iter"));
	tol = json_object_get_double(aml_fed_get(pp, "tol"));
	check_size(k, p, what);
	centers = palloc(sizeof(double) * (size_t) k * p);
	next = palloc(sizeof(double) * (size_t) k * p);
	sums = palloc(sizeof(double) * (size_t) k * p);
	counts = palloc(sizeof(double) * k);
	if (init != NULL)
	{
		given = read_centers(init, k, p);
		if (given == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: init must be a JSON array of %d arrays of %d finite numbers (n_clusters x features)",
							what, k, p)));
	}

	c = aml_fed_begin(a->nodes, a->strict, what);
	contributed = palloc0(sizeof(bool) * c->n);
	withheld = palloc0(sizeof(bool) * c->n);
	rparams[0] = aml_fed_relation_name(a->relid);
	rparams[1] = aml_fed_name_array_literal(names, p);
	rparams[2] = aml_fed_filter_text(a->filter);
	rparams[3] = psprintf("%d", k);
	la.relid = a->relid;
	la.names = names;
	la.p = p;
	la.filter = a->filter;
	la.k = k;

	/* at most one start per node: a restart has lost at least one node for good */
	for (restarts = 0;; restarts++)
	{
		int			lost;
		const char *lost_round;

		if (restarts > c->n)
			elog(ERROR, "%s: k-means restarted more often than it has nodes", what);
		/* round 1: moments and candidate centres */
		rparams[4] = la.centers = NULL;
		rparams[5] = la.previous = NULL;
		init_round(c, &la, rparams, p, mom, &cand, &cw, &m, &rows, &dropped, contributed);
		if (rows == 0)
			aml_fed_no_contribution(c, what);
		if (rows < k)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n_clusters (%d) is larger than the number of rows (%ld)", k, rows)));
		/* the local fit's tolerance: tol x the mean population variance of the features */
		tol_abs = 0;
		for (int j = 0; j < p; j++)
			tol_abs += mom[j].sxx / mom[j].n;
		tol_abs = tol_abs / p * tol;
		if (init != NULL)
			memcpy(centers, given, sizeof(double) * (size_t) k * p);
		else
		{
			AmlRng		rng;

			if (m < k)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%s: the nodes sent %d candidate centres, fewer than n_clusters (%d)", what, m, k),
						 errdetail("A node sends the centres of its own clusters of at least automl.min_group_size rows."),
						 errhint("Choose fewer clusters, or give the initial centres in params: {\"init\": [[...], ...]}.")));
			aml_rng_seed(&rng, (uint64) (uint32) a->seed);
			merge_candidates(cand, cw, m, k, p, &rng, centers);
		}

		/* Lloyd: one round per iteration */
		lost = -1;
		lost_round = NULL;
		for (it = 0; it < max_iter; it++)
		{
			double		shift = 0;

			rparams[4] = la.centers = centers_json(centers, k, p);
			CHECK_FOR_INTERRUPTS();
			lost = lloyd_round(c, &la, rparams, k, p, contributed, sums, counts, &inertia, &changed, withheld);
			if (lost >= 0)
			{
				lost_round = psprintf("Lloyd iteration %d (round %d of the call)", it + 1, it + 2);
				break;
			}
			for (int q = 0; q < k; q++)
				for (int j = 0; j < p; j++)
				{
					/* an empty cluster keeps its centre */
					double		v = counts[q] > 0 ? sums[(size_t) q * p + j] / counts[q] : centers[(size_t) q * p + j];
					double		t = v - centers[(size_t) q * p + j];

					next[(size_t) q * p + j] = v;
					shift += t * t;
				}
			rparams[5] = la.previous = rparams[4];
			memcpy(centers, next, sizeof(double) * (size_t) k * p);
			if (it > 0 && changed == 0)
			{
				it++;
				break;
			}
			if (shift <= tol_abs)
			{
				it++;
				break;
			}
		}
		if (lost < 0)
		{
			/* sizes and inertia at the final centres */
			rparams[4] = la.centers = centers_json(centers, k, p);
			rparams[5] = la.previous = NULL;
			lost = lloyd_round(c, &la, rparams, k, p, contributed, sums, counts, &inertia, &changed, withheld);
			if (lost >= 0)
				lost_round = psprintf("the last round (cluster sizes and inertia, round %d of the call)", it + 2);
		}
		if (lost < 0)
			break;
		restart_feedback(c, lost, lost_round, what);
	}
	aml_fed_end(c);
	if (dropped > 0)
		ereport(NOTICE,
				(errmsg("%ld rows with a NULL in a feature are left out on the nodes", dropped)));

	/* the stored model: default kmeans pipeline with mean imputation, fitted on a skeleton, then replaced */
	memset(&schema, 0, sizeof(schema));
	schema.task = AML_TASK_CLUSTERING;
	schema.n_inputs = p;
	schema.inputs = AML_NEW_ARRAY(AmlInputColumn, p);
	if (schema.inputs == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int j = 0; j < p; j++)
	{
		schema.inputs[j].name = aml_strdup(names[j]);
		schema.inputs[j].kind = src->cols[j].kind;
	}
	{
		json_object *spec = aml_pg_json_own(aml_pipeline_default_spec(a->type, params));
		json_object *pj,
				   *st,
				   *est;
		AmlPipeline *pl;
		AmlMatrix  *raw;
		double	   *y;
		double	   *means = palloc(sizeof(double) * p);
		AmlRng		rng;
		int			rows_sk = Max(k, 2);
		json_object *metrics;

		json_object_object_add(aml_fed_get(json_object_array_get_idx(aml_fed_get(spec, "steps"), 0), "params"),
							   "strategy", json_object_new_string("mean"));
		AML_PG_CHECK(aml_pipeline_create(&schema, spec, &pl, &err), &err);
		AML_PG_CHECK(aml_matrix_create(rows_sk, p, &raw, &err), &err);
		y = AML_NEW_ARRAY(double, rows_sk);
		for (int i = 0; i < rows_sk; i++)
			for (int j = 0; j < p; j++)
				AML_AT(raw, i, j) = i;
		aml_rng_seed(&rng, (uint64) (uint32) a->seed);
		AML_PG_CHECK(aml_pipeline_fit(pl, raw, y, &rng, &err), &err);
		pj = aml_pg_json_own(aml_pipeline_to_json(pl));
		aml_pipeline_free(pl);
		json_object_object_del(pj, "explain");
		for (int j = 0; j < p; j++)
			means[j] = mom[j].sum / mom[j].n;
		st = aml_fed_get(json_object_array_get_idx(aml_fed_get(pj, "steps"), 0), "state");
		json_object_object_add(st, "statistics", aml_json_new_double_array(means, p));
		est = json_object_new_object();
		json_object_object_add(est, "n_clusters", json_object_new_int(k));
		json_object_object_add(est, "centers", aml_json_new_double_array(centers, k * p));
		json_object_object_add(est, "sizes", aml_json_new_double_array(counts, k));
		json_object_object_add(est, "inertia", aml_json_new_double(inertia));
		json_object_object_add(est, "n_iter", json_object_new_int(it));
		json_object_object_add(aml_fed_get(pj, "estimator"), "state", est);
		AML_PG_CHECK(aml_pipeline_from_json(pj, &pl, &err), &err);
		metrics = aml_fed_metrics(c, contributed, rows, a->seed, aml_clock() - start);
		if (restarts > 0)
			json_object_object_add(metrics, "restarts", json_object_new_int(restarts));
		json_object_object_add(metrics, "inertia", aml_json_new_number(inertia));
		json_object_object_add(metrics, "n_iter", json_object_new_int(it));
		json_object_object_add(metrics, "init", json_object_new_string(init ? "given" : "nodes"));
		id = aml_fed_store_model(a, pl, "clustering", src->qualified_name,
								 aml_fed_features_json(&schema, types), metrics);
		aml_pipeline_free(pl);
		aml_matrix_free(raw);
		aml_free(y);
	}
	aml_schema_free(&schema);
	return id;
}
