/*
 * fed_quantile.c — exact quartiles and median of numeric columns over
 * federation nodes (automl_summary's second part), with counts only.
 *
 * The centre knows from automl_summary's first round each column's pooled
 * count n and its pooled minimum and maximum.  The quantile is R's type 7
 * (percentile_cont, the local automl_summary): pos = p (n - 1), the order
 * statistics x(floor(pos)) and x(floor(pos) + 1), interpolated.  Each
 * order statistic x(k) (0-based) is found by bisection on the doubles
 * themselves: a double maps to a 64-bit key in the same order
 * (double_key), and x(k) lies in a key interval [a, b] (at first: the
 * minimum's and the maximum's keys).  Every round the centre sends 512
 * thresholds t in each open interval, 256 spread evenly over its keys and
 * 256 evenly over its values (the keys of [0, 4] are mostly tiny numbers:
 * only the values' thresholds fall where the data are); every node answers
 * how many of its values are <= t, the centre sums them: the largest
 * threshold with a sum <= k and the smallest with a sum > k become the new
 * interval.  An interval of one key is the value itself: x(k) is exact, a
 * value the nodes never sent.  Each round divides the interval's keys by
 * at least 256, so at most 8 rounds (64-bit keys); short decimals near the
 * interval's middle are also tried (add_decimal_candidates), which ends
 * most bisections after 2 to 4 rounds.
 *
 * What leaves a node: for each threshold, the number of its values <= t.
 * automl.min_group_size: a count c is sent only when both groups it
 * describes, the c values <= t and the m - c values above, are empty or at
 * least automl.min_group_size rows (else null).  The bisection goes on
 * with the thresholds every node answered; when an interval cannot be
 * narrowed any more (a quartile in the rare tail of a node), that quartile
 * stays NULL with a feedback entry.  Differences of two thresholds' counts
 * are not suppressed: near the end they say that a node holds the order
 * statistic (the published value itself).
 *
 * Node side: automl.node_quantile(relation, columns, filter, thresholds),
 * members only, each round logged in automl.federation_log with its
 * columns and number of thresholds.
 */
#include "federation/fed_quantile.h"

#include "pg/jsonc.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/fmgroids.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/dataset.h"
#include "core/stats.h"
#include "federation/fed_json.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"

PG_FUNCTION_INFO_V1(automl_node_quantile);

#define SPLITS 512				/* thresholds per open interval and round */
#define DECIMALS 17				/* significant digits of the decimal candidates */
#define MAX_ROUNDS 10			/* 64-bit keys / 8 bits per round, plus two */
#define MAX_THRESHOLDS 1000000	/* per node call */

/* A double's key: the same order as the doubles (NaN excepted). */
static uint64
double_key(double v)
{
	uint64		u;

	memcpy(&u, &v, sizeof(u));
	return (u & UINT64CONST(0x8000000000000000)) ? ~u : (u | UINT64CONST(0x8000000000000000));
}

static double
key_double(uint64 k)
{
	uint64		u = (k & UINT64CONST(0x8000000000000000)) ? (k & ~UINT64CONST(0x8000000000000000)) : ~k;
	double		v;

	memcpy(&v, &u, sizeof(v));
	return v == 0 ? 0.0 : v;	/* -0 as the local summary prints it */
}

/* number of values <= t in sorted[0 .. n-1] */
static long
count_le(const double *sorted, long n, double t)
{
	long		lo = 0,
				hi = n;

	while (lo < hi)
	{
		long		mid = lo + (hi - lo) / 2;

		if (sorted[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---------------------------------------------------------------- node side */

/*
 * {"n": rows, "counts": [[count or null, ...] per column]}, counts of the
 * values <= each threshold; thresholds: a JSON array (one array of numbers
 * per column, in the order of columns).
 */
static char *
node_quantile_json(Oid relid, ArrayType *columns, Jsonb *filter, const char *thresholds,
				   int64 *rows, int *n_thresholds, const char **suppressed)
{
	json_object *th = json_tokener_parse(thresholds);
	AmlSource  *source;
	AmlLoadStats stats;
	AmlDataset *ds;
	StringInfoData s;
	int			hidden = 0;
	long		total = 0;

	*n_thresholds = 0;
	if (th == NULL || !json_object_is_type(th, json_type_array))
	{
		if (th)
			json_object_put(th);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl.node_quantile: thresholds must be a JSON array of arrays of numbers, one per column")));
	}
	source = aml_source_describe(relid, columns, true);
	if (json_object_array_length(th) != (size_t) source->ncols)
	{
		int			len = (int) json_object_array_length(th);

		json_object_put(th);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl.node_quantile: thresholds has %d arrays for %d columns", len, source->ncols)));
	}
	for (int j = 0; j < source->ncols; j++)
	{
		json_object *a = json_object_array_get_idx(th, j);

		if (source->cols[j].kind == AML_KIND_CATEGORICAL || !aml_fed_is_number_array(a, -1))
		{
			json_object_put(th);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("automl.node_quantile: column \"%s\" must be numeric or boolean, its thresholds an array of numbers",
							source->cols[j].name)));
		}
		total += (long) json_object_array_length(a);
	}
	if (total > MAX_THRESHOLDS)
	{
		json_object_put(th);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("automl.node_quantile: more than %d thresholds", MAX_THRESHOLDS)));
	}
	*n_thresholds = (int) total;
	ds = aml_source_load_where(source, aml_filter_compile(filter, relid, 1), &stats);
	*rows = ds->n_rows;
	*suppressed = aml_fed_group_check(ds->n_rows, "the set of rows");
	if (*suppressed)
	{
		json_object_put(th);
		return aml_fed_suppressed_json(*suppressed);
	}
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %d, \"counts\": [", ds->n_rows);
	for (int j = 0; j < ds->n_cols; j++)
	{
		AmlColumn  *col = &ds->columns[j];
		json_object *a = json_object_array_get_idx(th, j);
		double	   *sorted = palloc(sizeof(double) * Max(ds->n_rows, 1));
		long		m = aml_sorted_finite(col->values, ds->n_rows, sorted);

		/* the first round's rule (node_summary): such a node sent nothing */
		if (aml_fed_group_check(ds->n_rows - col->n_missing, "values") ||
			aml_fed_group_check(col->n_missing, "NULLs"))
		{
			json_object_put(th);
			*suppressed = psprintf("column \"%s\" has fewer than automl.min_group_size (%d) values or NULLs",
								   col->name, aml_fed_min_group_size);
			return aml_fed_suppressed_json(*suppressed);
		}
		appendStringInfoString(&s, j ? ", [" : "[");
		for (size_t i = 0; i < json_object_array_length(a); i++)
		{
			long		le = count_le(sorted, m, json_object_get_double(json_object_array_get_idx(a, i)));

			CHECK_FOR_INTERRUPTS();
			if (i > 0)
				appendStringInfoString(&s, ", ");
			if (aml_fed_group_check(le, "values below") || aml_fed_group_check(m - le, "values above"))
			{
				hidden++;
				appendStringInfoString(&s, "null");
			}
			else
				appendStringInfo(&s, "%ld", le);
		}
		appendStringInfoChar(&s, ']');
		pfree(sorted);
	}
	appendStringInfoString(&s, "]}");
	json_object_put(th);
	if (hidden > 0)
		*suppressed = psprintf("%d counts of fewer than automl.min_group_size (%d) values below or above a threshold not sent",
							   hidden, aml_fed_min_group_size);
	return s.data;
}

Datum
automl_node_quantile(PG_FUNCTION_ARGS)
{
	Oid			relid;
	ArrayType  *columns;
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	int			n_thresholds;
	const char *suppressed;

	aml_fed_check_member("automl.node_quantile");
	aml_fed_node_args(fcinfo, 2);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("automl.node_quantile: thresholds must not be NULL")));
	relid = PG_GETARG_OID(0);
	columns = PG_GETARG_ARRAYTYPE_P(1);
	session = aml_core_session_begin("automl.node_quantile");
	out = node_quantile_json(relid, columns, filter, text_to_cstring(PG_GETARG_TEXT_PP(3)),
							 &rows, &n_thresholds, &suppressed);
	aml_core_session_end(session);
	aml_fed_log("automl.node_quantile",
				aml_fed_log_arguments(relid, OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(columns)), filter, psprintf(", \"thresholds\": %d", n_thresholds)),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct Target
{
	int			col;
	int64		k;				/* 0-based rank */
	uint64		a;				/* x(k) has a key in [a, b] */
	uint64		b;
	bool		failed;
} Target;

typedef struct LocalQuantile
{
	Oid			relid;
	ArrayType  *columns;
	Jsonb	   *filter;
	const char *thresholds;
} LocalQuantile;

static char *
local_quantile(void *arg)
{
	LocalQuantile *a = arg;
	int64		rows;
	int			nt;
	const char *sup;

	return node_quantile_json(a->relid, a->columns, a->filter, a->thresholds, &rows, &nt, &sup);
}

static int
cmp_key(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x;
	uint64		b = *(const uint64 *) y;

	return (a > b) - (a < b);
}

static int
add_target(Target *t, int nt, int col, int64 k, const AmlFedQuantileColumn *qc)
{
	for (int i = 0; i < nt; i++)
		if (t[i].col == col && t[i].k == k)
			return nt;
	t[nt].col = col;
	t[nt].k = k;
	t[nt].failed = false;
	/* x(k) lies between the minimum and the maximum; they are x(0), x(n-1) */
	t[nt].a = k == qc->n - 1 ? double_key(qc->max) : double_key(qc->min);
	t[nt].b = k == 0 ? double_key(qc->min) : double_key(qc->max);
	return nt + 1;
}

static double
target_value(const Target *t, int nt, int col, int64 k, bool *isnull)
{
	for (int i = 0; i < nt; i++)
		if (t[i].col == col && t[i].k == k)
		{
			*isnull = t[i].failed || t[i].a != t[i].b;
			return key_double(t[i].a);
		}
	*isnull = true;
	return 0;
}

static const double probs[3] = {0.25, 0.5, 0.75};

/*
 * Data are mostly short decimals: the interval's middle rounded to 1 .. 17
 * significant digits, v, with the key just below it.  When x(k) is v, the
 * counts at those two thresholds close the interval on v at once (not
 * after the keys' bisection has reached one key): about 4 rounds instead
 * of 7 for data of 4-5 digits, 2 for integers.  Still counts only.
 */
static void
add_decimal_candidates(uint64 *keys, int *n, uint64 a, uint64 b)
{
	double		va = key_double(a);
	double		vb = key_double(b);
	double		mid = va / 2 + vb / 2;
	char		buf[64];

	if (!isfinite(mid))
		return;
	for (int p = 1; p <= DECIMALS; p++)
	{
		double		v;
		uint64		k;

		snprintf(buf, sizeof(buf), "%.*g", p, mid);
		v = strtod(buf, NULL);
		if (!(v >= va && v <= vb))
			continue;
		k = double_key(v);
		keys[(*n)++] = k;
		if (k > a)
			keys[(*n)++] = k - 1;
	}
}

void
aml_fed_quantiles(AmlFedCall *c, Oid relid, Jsonb *filter, AmlFedQuantileColumn *cols, int ncols)
{
	Target	   *t = palloc(sizeof(Target) * Max(ncols, 1) * 6);
	int			nt = 0;
	int		   *qcol = palloc(sizeof(int) * Max(ncols, 1));	/* columns asked */
	int			nq = 0;
	Datum	   *names;
	StringInfoData arr;
	LocalQuantile la;
	const char *params[4];
	bool		lost = false;
	bool	   *in_call;

	for (int j = 0; j < ncols; j++)
	{
		AmlFedQuantileColumn *qc = &cols[j];

		qc->q_null[0] = qc->q_null[1] = qc->q_null[2] = true;
		if (!qc->known || qc->n <= 0)
			continue;
		qcol[nq++] = j;
		for (int p = 0; p < 3; p++)
		{
			double		pos = probs[p] * (qc->n - 1);
			int64		lo = (int64) floor(pos);

			nt = add_target(t, nt, j, Min(lo, qc->n - 1), qc);
			if (lo < qc->n - 1 && pos - lo != 0)
				nt = add_target(t, nt, j, lo + 1, qc);
		}
	}
	if (nq == 0)
		return;
	/* the nodes whose counts the first round summed: each must answer every round */
	in_call = palloc(sizeof(bool) * Max(c->n, 1));
	for (int n = 0; n < c->n; n++)
		in_call[n] = c->nodes[n].state != AML_FED_FAILED;

	names = palloc(sizeof(Datum) * nq);
	initStringInfo(&arr);
	appendStringInfoChar(&arr, '{');
	for (int i = 0; i < nq; i++)
	{
		const char *nm = cols[qcol[i]].name;

		names[i] = CStringGetDatum(nm);
		if (i)
			appendStringInfoChar(&arr, ',');
		appendStringInfoChar(&arr, '"');
		for (const char *p = nm; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&arr, '\\');
			appendStringInfoChar(&arr, *p);
		}
		appendStringInfoChar(&arr, '"');
	}
	appendStringInfoChar(&arr, '}');
	la.relid = relid;
	la.filter = filter;
	la.columns = construct_array(names, nq, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR);
	params[0] = aml_fed_relation_name(relid);
	params[1] = arr.data;
	params[2] = aml_fed_filter_text(filter);

	for (int round = 0; round < MAX_ROUNDS && !lost; round++)
	{
		uint64	  **keys = palloc0(sizeof(uint64 *) * nq);
		int		   *nkeys = palloc0(sizeof(int) * nq);
		int64	  **sum = palloc0(sizeof(int64 *) * nq);
		bool	  **unknown = palloc0(sizeof(bool *) * nq);
		StringInfoData th;
		int			open = 0;

		/* thresholds: SPLITS keys spread over each open interval, merged per column */
		for (int i = 0; i < nq; i++)
		{
			int			cap = 0;

			for (int x = 0; x < nt; x++)
				if (t[x].col == qcol[i] && !t[x].failed && t[x].a != t[x].b)
					cap += SPLITS + 2 * DECIMALS;
			keys[i] = palloc(sizeof(uint64) * Max(cap, 1));
			for (int x = 0; x < nt; x++)
			{
				if (t[x].col != qcol[i] || t[x].failed || t[x].a == t[x].b)
					continue;
				open++;
				for (int s = 0; s < SPLITS / 2; s++)
				{
					unsigned __int128 span = (unsigned __int128) (t[x].b - t[x].a);
					double		va = key_double(t[x].a);
					double		vb = key_double(t[x].b);
					double		v = va + s * (vb / (SPLITS / 2) - va / (SPLITS / 2));
					uint64		kv = isfinite(v) ? double_key(v) : t[x].a;

					/* spread over the keys (at most 8 rounds in all)... */
					keys[i][nkeys[i]++] = t[x].a + (uint64) (span * s / (SPLITS / 2));
					/* ...and over the values (dense where the data are) */
					keys[i][nkeys[i]++] = Min(Max(kv, t[x].a), t[x].b - 1);
				}
				add_decimal_candidates(keys[i], &nkeys[i], t[x].a, t[x].b);
			}
			if (nkeys[i] > 1)
			{
				int			u = 1;

				qsort(keys[i], nkeys[i], sizeof(uint64), cmp_key);
				for (int s = 1; s < nkeys[i]; s++)
					if (keys[i][s] != keys[i][u - 1])
						keys[i][u++] = keys[i][s];
				nkeys[i] = u;
			}
			sum[i] = palloc0(sizeof(int64) * Max(nkeys[i], 1));
			unknown[i] = palloc0(sizeof(bool) * Max(nkeys[i], 1));
		}
		if (open == 0)
			break;
		initStringInfo(&th);
		appendStringInfoChar(&th, '[');
		for (int i = 0; i < nq; i++)
		{
			appendStringInfoString(&th, i ? ", [" : "[");
			for (int s = 0; s < nkeys[i]; s++)
				appendStringInfo(&th, s ? ", %.17g" : "%.17g", key_double(keys[i][s]));
			appendStringInfoChar(&th, ']');
		}
		appendStringInfoChar(&th, ']');
		params[3] = th.data;
		la.thresholds = th.data;
		aml_fed_round(c, "SELECT automl.node_quantile($1::pg_catalog.regclass, $2::pg_catalog.name[], "
					  "$3::pg_catalog.jsonb, $4::pg_catalog.text)", 4, params, local_quantile, &la);

		/* every node still in the call contributed to the counts: all must answer */
		for (int n = 0; n < c->n && !lost; n++)
		{
			AmlFedNode *node = &c->nodes[n];
			json_object *doc;
			json_object *cs;
			bool		ok;

			if (!in_call[n])
				continue;
			if (node->state == AML_FED_FAILED)
			{
				lost = true;
				break;
			}
			if (!aml_fed_answered(node))
				continue;
			doc = aml_fed_contribution(c, node);
			if (doc == NULL)
			{
				lost = true;
				break;
			}
			cs = aml_fed_get(doc, "counts");
			ok = aml_fed_is_array(cs, nq);
			for (int i = 0; ok && i < nq; i++)
			{
				json_object *a = json_object_array_get_idx(cs, i);

				if (!aml_fed_is_array(a, nkeys[i]))
				{
					ok = false;
					break;
				}
				for (int s = 0; s < nkeys[i]; s++)
				{
					json_object *v = json_object_array_get_idx(a, s);

					if (v == NULL || json_object_is_type(v, json_type_null))
						unknown[i][s] = true;
					else if (json_object_is_type(v, json_type_int))
						sum[i][s] += json_object_get_int64(v);
					else
						ok = false;
				}
			}
			json_object_put(doc);
			if (!ok)
			{
				aml_fed_feedback(c, node, true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
				lost = true;
			}
		}
		if (lost)
			break;

		/* narrow each open interval with the thresholds every node counted */
		for (int x = 0; x < nt; x++)
		{
			int			i;
			uint64		a,
						b;

			if (t[x].failed || t[x].a == t[x].b)
				continue;
			for (i = 0; qcol[i] != t[x].col; i++)
				;
			a = t[x].a;
			b = t[x].b;
			for (int s = 0; s < nkeys[i]; s++)
			{
				uint64		key = keys[i][s];

				if (unknown[i][s] || key < t[x].a || key > t[x].b)
					continue;
				if (sum[i][s] <= t[x].k)
					a = Max(a, key + 1);
				else
					b = Min(b, key);
			}
			if (a > b)
			{
				/* inconsistent counts (rows changed between rounds) */
				t[x].failed = true;
				continue;
			}
			if (a == t[x].a && b == t[x].b)
				t[x].failed = true; /* cannot be narrowed without a suppressed count */
			t[x].a = a;
			t[x].b = b;
		}
	}

	for (int i = 0; i < nq; i++)
	{
		AmlFedQuantileColumn *qc = &cols[qcol[i]];
		bool		missing = false;

		for (int p = 0; p < 3; p++)
		{
			double		pos = probs[p] * (qc->n - 1);
			int64		lo = (int64) floor(pos);
			double		frac = pos - lo;
			bool		null_lo,
						null_hi = false;
			double		vlo,
						vhi = 0;

			if (lost)
			{
				missing = true;
				continue;
			}
			vlo = target_value(t, nt, qcol[i], Min(lo, qc->n - 1), &null_lo);
			if (lo < qc->n - 1 && frac != 0)
				vhi = target_value(t, nt, qcol[i], lo + 1, &null_hi);
			if (null_lo || null_hi)
			{
				missing = true;
				continue;
			}
			/* aml_quantile_sorted's formula */
			qc->q[p] = (lo >= qc->n - 1 || frac == 0) ? vlo : vlo + frac * (vhi - vlo);
			qc->q_null[p] = false;
		}
		if (missing && !lost)
			aml_fed_feedback(c, NULL, false, 0,
							 "quartiles of column \"%s\" not computed: they lie where a node has fewer than automl.min_group_size (%d) values",
							 qc->name, aml_fed_min_group_size);
	}
	if (lost)
		aml_fed_feedback(c, NULL, false, 0, "quartiles not computed: a node left the call during their rounds");
}
