/*
 * fed_histogram_groups.c — automl_histogram(..., group_by, nodes): one
 * histogram per group of group_by values over federation nodes, equal to
 * the same call on the union of the nodes' rows.
 *
 * fed_histogram.c's first round gives the global range of the column (or
 * its categories, unioned); then every node counts its rows per group in
 * those global bins (automl.node_histogram_groups, the local function's
 * bin rule aml_hist_bin), sending each group's values and counts; the
 * centre unions the groups of all nodes, sums their counts and writes one
 * histogram per group, groups ordered as automl_histogram orders them (per
 * group column: NULL first, then categories in byte order, numbers and
 * booleans ascending).
 *
 * automl.min_group_size: a node with fewer values sends nothing; a group
 * holding 1 .. min-1 of a node's rows is not sent (its values stay on the
 * node; its rows are not counted, with a feedback entry); a bin holding
 * 1 .. min-1 of a group's rows on a node is sent as null (the centre's
 * count of that bin is NULL, with a feedback entry).
 */
#include "federation/fed_histogram.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/tuplestore.h"

#include "core/dataset.h"
#include "federation/fed_json.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/describe.h"

PG_FUNCTION_INFO_V1(automl_node_histogram_groups);

#define MAX_BINS 10000			/* as automl_histogram */
#define MAX_GROUP_CELLS 1000000
#define MAX_CELLS_BINS 1e8

char	  **
aml_fed_histogram_group_names(const char *column, ArrayType *group_by, int *ng)
{
	List	   *l = aml_name_array_to_list(group_by, "group_by");
	char	  **names = palloc(sizeof(char *) * (list_length(l) + 1));
	ListCell   *lc;

	*ng = 0;
	names[0] = pstrdup(column);
	foreach(lc, l)
	{
		if (strcmp(lfirst(lc), column) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("automl_histogram: column \"%s\" cannot also group", column)));
		names[++(*ng)] = lfirst(lc);
	}
	return names;
}

static int
cmp_string(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* ---------------------------------------------------------------- node side */

typedef struct GroupsArgs
{
	Oid			relid;
	char	  **names;			/* column, then the group_by columns */
	int			ng;
	Jsonb	   *filter;
	int			bins;
	double		lower;
	double		upper;
	char	  **cats;			/* categorical column: the centre's categories (NULL: numeric) */
	int			ncats;
} GroupsArgs;

/*
 * {"n": values, "groups": [{"g": [value per group column], "c": [count or
 * null per bin]}, ...], "hidden": groups not sent}
 */
static char *
node_groups_json(const GroupsArgs *a, int64 *rows, const char **suppressed)
{
	AmlStatsFrame *fr = aml_stats_frame_load(a->relid, a->names, a->ng + 1, a->filter, false,
											 "automl.node_histogram_groups");
	AmlStatsColumn *x = &fr->cols[0];
	int		  **codes = palloc(sizeof(int *) * Max(a->ng, 1));
	int		   *nlev = palloc(sizeof(int) * Max(a->ng, 1));
	double	  **numlev = palloc(sizeof(double *) * Max(a->ng, 1));
	long		cells = 1;
	int			nb;
	double	   *breaks = NULL;
	int		   *catmap = NULL;
	int64	   *counts;
	int64	   *total;
	long		n = 0;
	int			hidden_groups = 0;
	int			hidden_bins = 0;
	StringInfoData s;
	bool		first = true;

	if ((x->kind == AML_KIND_CATEGORICAL) != (a->cats != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl.node_histogram_groups: column \"%s\" is %s: give %s", x->name,
						x->kind == AML_KIND_CATEGORICAL ? "categorical" : "not categorical",
						x->kind == AML_KIND_CATEGORICAL ? "categories" : "lower and upper, not categories")));
	for (long i = 0; i < fr->n; i++)
		if (!isnan(x->values[i]))
			n++;
	*rows = n;
	*suppressed = aml_fed_group_check(n, "the set of values");
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);
	for (int k = 0; k < a->ng; k++)
	{
		codes[k] = aml_stats_factor_codes(&fr->cols[k + 1], fr->n, &nlev[k], &numlev[k]);
		cells *= nlev[k] + 1;
		if (cells > MAX_GROUP_CELLS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("automl_histogram: too many groups"),
					 errdetail("The group_by columns have more than %d combinations of values.", MAX_GROUP_CELLS)));
	}
	if (a->cats)
	{
		nb = a->ncats;
		catmap = palloc(sizeof(int) * Max(x->n_levels, 1));
		for (int l = 0; l < x->n_levels; l++)
		{
			char	  **hit = bsearch(&x->levels[l], a->cats, a->ncats, sizeof(char *), cmp_string);

			catmap[l] = hit ? (int) (hit - a->cats) : -1;
		}
	}
	else
	{
		breaks = palloc(sizeof(double) * (a->bins + 1));
		nb = aml_hist_breaks(a->lower, a->upper, a->bins, breaks);
	}
	if ((double) cells * Max(nb, 1) > MAX_CELLS_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("automl_histogram: too many groups times bins")));
	counts = palloc0(sizeof(int64) * cells * Max(nb, 1));
	total = palloc0(sizeof(int64) * cells);
	for (long i = 0; i < fr->n; i++)
	{
		long		key = 0;
		int			bin;

		if (isnan(x->values[i]))
			continue;
		for (int k = 0; k < a->ng; k++)
			key = key * (nlev[k] + 1) + (codes[k][i] + 1);
		bin = a->cats ? catmap[(int) x->values[i]] : aml_hist_bin(breaks, nb, x->values[i]);
		if (bin < 0)
			continue;
		counts[key * nb + bin]++;
		total[key]++;
	}
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"groups\": [", n);
	for (long key = 0; key < cells; key++)
	{
		long		rest = key;
		int		   *code = palloc(sizeof(int) * Max(a->ng, 1));

		CHECK_FOR_INTERRUPTS();
		if (total[key] == 0)
			continue;
		if (aml_fed_group_check(total[key], "a group"))
		{
			hidden_groups++;
			continue;
		}
		for (int k = a->ng - 1; k >= 0; k--)
		{
			code[k] = (int) (rest % (nlev[k] + 1)) - 1;
			rest /= nlev[k] + 1;
		}
		appendStringInfoString(&s, first ? "{\"g\": [" : ", {\"g\": [");
		first = false;
		for (int k = 0; k < a->ng; k++)
		{
			const AmlStatsColumn *gc = &fr->cols[k + 1];

			if (k)
				appendStringInfoString(&s, ", ");
			if (code[k] < 0)
				appendStringInfoString(&s, "null");
			else if (gc->kind == AML_KIND_CATEGORICAL)
				aml_fed_json_string(&s, gc->levels[code[k]]);
			else if (gc->kind == AML_KIND_BINARY)
				appendStringInfoString(&s, numlev[k][code[k]] != 0 ? "true" : "false");
			else
				aml_fed_json_double(&s, numlev[k][code[k]]);
		}
		appendStringInfoString(&s, "], \"c\": [");
		for (int b = 0; b < nb; b++)
		{
			int64		v = counts[key * nb + b];

			if (b)
				appendStringInfoString(&s, ", ");
			if (aml_fed_group_check(v, "a bin"))
			{
				hidden_bins++;
				appendStringInfoString(&s, "null");
			}
			else
				appendStringInfo(&s, INT64_FORMAT, v);
		}
		appendStringInfoString(&s, "]}");
		pfree(code);
	}
	appendStringInfo(&s, "], \"hidden\": %d}", hidden_groups);
	if (hidden_groups > 0 || hidden_bins > 0)
		*suppressed = psprintf("%d groups and %d bins with fewer than automl.min_group_size (%d) rows not sent",
							   hidden_groups, hidden_bins, aml_fed_min_group_size);
	return s.data;
}

/* the categories argument: a JSON array of distinct strings in byte order */
static char **
parse_categories(const char *text, int *n)
{
	json_object *o = json_tokener_parse(text);
	char	  **cats;
	size_t		len;

	if (o == NULL || !aml_fed_is_string_array(o))
	{
		if (o)
			json_object_put(o);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl.node_histogram_groups: categories must be a JSON array of strings")));
	}
	len = json_object_array_length(o);
	cats = palloc(sizeof(char *) * Max(len, 1));
	for (size_t i = 0; i < len; i++)
	{
		cats[i] = pstrdup(json_object_get_string(json_object_array_get_idx(o, i)));
		if (i > 0 && strcmp(cats[i - 1], cats[i]) >= 0)
		{
			json_object_put(o);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("automl.node_histogram_groups: categories must be distinct and in byte order")));
		}
	}
	json_object_put(o);
	*n = (int) len;
	return cats;
}

Datum
automl_node_histogram_groups(PG_FUNCTION_ARGS)
{
	GroupsArgs	a;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;
	char	   *group_text;

	aml_fed_check_member("automl.node_histogram_groups");
	aml_fed_node_args(fcinfo, 3);
	a.relid = PG_GETARG_OID(0);
	a.names = aml_fed_histogram_group_names(NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), &a.ng);
	group_text = OidOutputFunctionCall(F_ARRAY_OUT, PG_GETARG_DATUM(2));
	a.filter = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	a.bins = PG_ARGISNULL(4) ? 20 : PG_GETARG_INT32(4);
	if (a.bins < 1 || a.bins > MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_histogram: bins must be between 1 and %d, not %d", MAX_BINS, a.bins)));
	a.cats = NULL;
	a.ncats = 0;
	a.lower = a.upper = 0;
	if (!PG_ARGISNULL(7))
		a.cats = parse_categories(text_to_cstring(PG_GETARG_TEXT_PP(7)), &a.ncats);
	else if (PG_ARGISNULL(5) || PG_ARGISNULL(6) ||
			 !(isfinite(PG_GETARG_FLOAT8(5)) && isfinite(PG_GETARG_FLOAT8(6)) &&
			   PG_GETARG_FLOAT8(5) <= PG_GETARG_FLOAT8(6)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl.node_histogram_groups: lower and upper must be finite, lower <= upper (or categories given)")));
	else
	{
		a.lower = PG_GETARG_FLOAT8(5);
		a.upper = PG_GETARG_FLOAT8(6);
	}
	session = aml_core_session_begin("automl.node_histogram_groups");
	out = node_groups_json(&a, &rows, &suppressed);
	aml_core_session_end(session);
	{
		StringInfoData extra;

		initStringInfo(&extra);
		appendStringInfoString(&extra, ", \"group_by\": ");
		aml_fed_json_string(&extra, group_text);
		appendStringInfo(&extra, ", \"bins\": %d", a.cats ? a.ncats : a.bins);
		aml_fed_log("automl.node_histogram_groups", aml_fed_log_arguments(a.relid, a.names[0], a.filter, extra.data),
					rows, suppressed);
	}
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct HistGroup
{
	json_object *g;				/* the group's values (an array, kinds checked) */
	int64	   *counts;
	bool	   *unknown;
} HistGroup;

static int	sort_ng;

static int
cmp_group(const void *pa, const void *pb)
{
	const HistGroup *a = pa;
	const HistGroup *b = pb;

	for (int k = 0; k < sort_ng; k++)
	{
		json_object *x = json_object_array_get_idx(a->g, k);
		json_object *y = json_object_array_get_idx(b->g, k);
		bool		xn = x == NULL || json_object_is_type(x, json_type_null);
		bool		yn = y == NULL || json_object_is_type(y, json_type_null);
		int			r;

		if (xn || yn)
		{
			if (xn != yn)
				return xn ? -1 : 1;
			continue;
		}
		if (json_object_is_type(x, json_type_string))
			r = strcmp(json_object_get_string(x), json_object_get_string(y));
		else
		{
			double		u = json_object_is_type(x, json_type_boolean) ? json_object_get_boolean(x) : json_object_get_double(x);
			double		v = json_object_is_type(y, json_type_boolean) ? json_object_get_boolean(y) : json_object_get_double(y);

			r = (u > v) - (u < v);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

/* the node's group values have the kinds of this server's columns */
static bool
group_values_ok(json_object *g, AmlSource *src, int ng)
{
	if (!aml_fed_is_array(g, ng))
		return false;
	for (int k = 0; k < ng; k++)
	{
		json_object *v = json_object_array_get_idx(g, k);
		AmlColumnKind kind = src->cols[k + 1].kind;

		if (v == NULL || json_object_is_type(v, json_type_null))
			continue;
		if (kind == AML_KIND_CATEGORICAL ? !json_object_is_type(v, json_type_string)
			: kind == AML_KIND_BINARY ? !json_object_is_type(v, json_type_boolean)
			: !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
			return false;
	}
	return true;
}

typedef struct LocalGroups
{
	GroupsArgs	a;
} LocalGroups;

static char *
local_groups(void *arg)
{
	int64		rows;
	const char *sup;

	return node_groups_json(&((LocalGroups *) arg)->a, &rows, &sup);
}

void
aml_fed_histogram_groups(AmlFedCall *c, ReturnSetInfo *rsinfo, Oid relid, const char *column,
						 ArrayType *group_by, Jsonb *filter, int bins, double lower, double upper,
						 char **cats, int ncats)
{
	LocalGroups la;
	AmlSource  *src;
	List	   *names = NIL;
	const char *params[8];
	StringInfoData ct;
	int			nb;
	double	   *breaks = NULL;
	HistGroup	   *groups = NULL;
	int			ngroups = 0;
	int			cap = 0;
	json_object **docs = palloc0(sizeof(json_object *) * c->n);
	int			contributed = 0;

	la.a.relid = relid;
	la.a.names = aml_fed_histogram_group_names(column, group_by, &la.a.ng);
	la.a.filter = filter;
	la.a.bins = bins;
	la.a.lower = lower;
	la.a.upper = upper;
	la.a.cats = cats;
	la.a.ncats = ncats;
	for (int k = 0; k <= la.a.ng; k++)
		names = lappend(names, la.a.names[k]);
	src = aml_source_describe_ext(relid, names, true, true);
	if (cats)
		nb = ncats;
	else
	{
		breaks = palloc(sizeof(double) * (bins + 1));
		nb = aml_hist_breaks(lower, upper, bins, breaks);
	}
	params[0] = aml_fed_relation_name(relid);
	params[1] = column;
	params[2] = OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(group_by));
	params[3] = aml_fed_filter_text(filter);
	params[4] = psprintf("%d", bins);
	params[5] = cats ? NULL : psprintf("%.17g", lower);
	params[6] = cats ? NULL : psprintf("%.17g", upper);
	params[7] = NULL;
	if (cats)
	{
		initStringInfo(&ct);
		appendStringInfoChar(&ct, '[');
		for (int i = 0; i < ncats; i++)
		{
			if (i)
				appendStringInfoString(&ct, ", ");
			aml_fed_json_string(&ct, cats[i]);
		}
		appendStringInfoChar(&ct, ']');
		params[7] = ct.data;
	}
	aml_fed_round(c, "SELECT automl.node_histogram_groups($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.name[], $4::pg_catalog.jsonb, $5::pg_catalog.int4, $6::pg_catalog.float8, "
				  "$7::pg_catalog.float8, $8::pg_catalog.text)", 8, params, local_groups, &la);
	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *gs;
		json_object *h;
		bool		ok = true;
		int			hidden_bins = 0;

		if (!aml_fed_answered(node))
			continue;
		docs[i] = aml_fed_contribution(c, node);
		if (docs[i] == NULL)
			continue;
		gs = aml_fed_get(docs[i], "groups");
		ok = aml_fed_is_array(gs, -1);
		for (size_t j = 0; ok && j < json_object_array_length(gs); j++)
		{
			json_object *e = json_object_array_get_idx(gs, j);
			json_object *cs;

			ok = e != NULL && json_object_is_type(e, json_type_object) &&
				group_values_ok(aml_fed_get(e, "g"), src, la.a.ng) &&
				aml_fed_is_array(cs = aml_fed_get(e, "c"), nb);
			for (int b = 0; ok && b < nb; b++)
			{
				json_object *v = json_object_array_get_idx(cs, b);

				ok = v == NULL || json_object_is_type(v, json_type_null) || json_object_is_type(v, json_type_int);
			}
		}
		if (!ok)
		{
			aml_fed_feedback(c, node, true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
			json_object_put(docs[i]);
			docs[i] = NULL;
			continue;
		}
		contributed++;
		for (size_t j = 0; j < json_object_array_length(gs); j++)
		{
			json_object *e = json_object_array_get_idx(gs, j);
			json_object *cs = aml_fed_get(e, "c");

			if (ngroups == cap)
			{
				cap = Max(16, cap * 2);
				groups = groups ? repalloc(groups, sizeof(HistGroup) * cap) : palloc(sizeof(HistGroup) * cap);
			}
			groups[ngroups].g = aml_fed_get(e, "g");
			groups[ngroups].counts = palloc0(sizeof(int64) * Max(nb, 1));
			groups[ngroups].unknown = palloc0(sizeof(bool) * Max(nb, 1));
			for (int b = 0; b < nb; b++)
			{
				json_object *v = json_object_array_get_idx(cs, b);

				if (v == NULL || json_object_is_type(v, json_type_null))
				{
					groups[ngroups].unknown[b] = true;
					hidden_bins++;
				}
				else
					groups[ngroups].counts[b] = json_object_get_int64(v);
			}
			ngroups++;
		}
		h = aml_fed_get(docs[i], "hidden");
		if (h && json_object_get_int(h) > 0)
			aml_fed_feedback(c, node, false, 0,
							 "%d groups with fewer than automl.min_group_size rows not sent (their rows are not counted)",
							 json_object_get_int(h));
		if (hidden_bins > 0)
			aml_fed_feedback(c, node, false, 0,
							 "%d bins of groups with fewer than automl.min_group_size rows not sent (their counts are NULL)",
							 hidden_bins);
	}
	if (contributed == 0)
		aml_fed_no_contribution(c, "automl_histogram");
	if ((double) ngroups * Max(nb, 1) > MAX_CELLS_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("automl_histogram: too many groups times bins")));

	/* the groups of every node, in automl_histogram's order, merged */
	sort_ng = la.a.ng;
	if (ngroups > 1)
		qsort(groups, ngroups, sizeof(HistGroup), cmp_group);
	for (int i = 0; i < ngroups;)
	{
		int			j = i + 1;
		StringInfoData gj;
		Datum		gjson;

		CHECK_FOR_INTERRUPTS();
		for (; j < ngroups && cmp_group(&groups[i], &groups[j]) == 0; j++)
			for (int b = 0; b < nb; b++)
			{
				groups[i].counts[b] += groups[j].counts[b];
				groups[i].unknown[b] |= groups[j].unknown[b];
			}
		initStringInfo(&gj);
		appendStringInfoChar(&gj, '{');
		for (int k = 0; k < la.a.ng; k++)
		{
			json_object *v = json_object_array_get_idx(groups[i].g, k);

			if (k)
				appendStringInfoString(&gj, ", ");
			escape_json(&gj, la.a.names[k + 1]);
			appendStringInfoString(&gj, ": ");
			if (v == NULL || json_object_is_type(v, json_type_null))
				appendStringInfoString(&gj, "null");
			else if (json_object_is_type(v, json_type_string))
				escape_json(&gj, json_object_get_string(v));
			else if (json_object_is_type(v, json_type_boolean))
				appendStringInfoString(&gj, json_object_get_boolean(v) ? "true" : "false");
			else
				appendStringInfo(&gj, "%.17g", json_object_get_double(v));
		}
		appendStringInfoChar(&gj, '}');
		gjson = DirectFunctionCall1(jsonb_in, CStringGetDatum(gj.data));
		for (int b = 0; b < nb; b++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};

			values[0] = gjson;
			values[1] = Int32GetDatum(b + 1);
			if (cats)
			{
				nulls[2] = nulls[3] = true;
				values[5] = CStringGetTextDatum(cats[b]);
			}
			else
			{
				values[2] = Float8GetDatum(breaks[b]);
				values[3] = Float8GetDatum(breaks[b + 1]);
				nulls[5] = true;
			}
			values[4] = Int64GetDatum(groups[i].counts[b]);
			nulls[4] = groups[i].unknown[b];
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		i = j;
	}
	for (int i = 0; i < c->n; i++)
		if (docs[i])
			json_object_put(docs[i]);
}
