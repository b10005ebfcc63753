/*
 * fed_lm_node.c — the node side of a federated linear model (fed_lm.c is
 * the centre).
 *
 * automl.node_lm(relation, formula, filter) — protocol 2, one round: the
 * node codes its complete rows with its own levels, one column per cell of
 * each term (full dummy coding: every combination of the term's factors'
 * levels present here, times the term's numeric variables), folds [X y]
 * into the triangular factor of stats/qr.h and sends it with its levels
 * and each column's term and cell.  It needs nothing from the centre, so
 * the centre maps it into the global coding afterwards (fed_lm.c).  Its
 * rows are read once (node_frame): the loader's column description, filter
 * and value conversion, straight into the frame's arrays, since reading
 * the rows is nearly all of a node's time.
 *
 * Kept for centres of the previous version (and, for the levels, for
 * fed_glm.c, whose every IRLS round needs the global coding on the node):
 * automl.node_lm_levels(relation, formula, filter) — the factors' levels —
 * and automl.node_lm(relation, formula, filter, levels, contrast) — the
 * factor of [X y] coded with the centre's levels (protocol 1).
 *
 * All of them: members of automl_federation_member only; a node whose
 * rows or any group of them (a level of a factor; a cell of a term of
 * factors only, which is a column of the coding) number 1 to
 * automl.min_group_size - 1 sends nothing but the fact that it suppressed
 * its part; so does a node with no more rows than its coding has columns.
 * Every answer is logged in automl.federation_log (as "automl.node_lm").
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/memory.h"
#include "core/stats.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_lm.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"
#include "stats/combine.h"
#include "stats/lm.h"
#include "stats/qr.h"

PG_FUNCTION_INFO_V1(automl_node_lm_levels);
PG_FUNCTION_INFO_V1(automl_node_lm);
PG_FUNCTION_INFO_V1(automl_node_lm_factor);

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
char *
aml_fed_node_levels_json(Oid relid, const char *formula, Jsonb *filter, int64 *rows, const char **suppressed)
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

/* The node's factor of [X y] with the union's levels (protocol 1). */
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

typedef char *(*NodeAnswer) (Oid relid, const char *formula, Jsonb *filter, int64 *rows,
							 const char **suppressed);

/*
 * A node function of (relation, formula, filter): membership, arguments,
 * the answer in a core session, the federation log.
 */
static Datum
node_answer(FunctionCallInfo fcinfo, const char *what, NodeAnswer answer)
{
	Oid			relid;
	char	   *formula;
	Jsonb	   *filter = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 2);
	relid = PG_GETARG_OID(0);
	formula = text_to_cstring(PG_GETARG_TEXT_PP(1));
	session = aml_core_session_begin(what);
	out = answer(relid, formula, filter, &rows, &suppressed);
	aml_core_session_end(session);
	aml_fed_log(what, arguments_json(relid, formula, filter), rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

Datum
automl_node_lm_levels(PG_FUNCTION_ARGS)
{
	return node_answer(fcinfo, "automl.node_lm_levels", aml_fed_node_levels_json);
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

/* ---------------------------------------------------------------- the node's rows, read once */

/* A categorical column's labels as read: an open-addressing table of label -> id. */
typedef struct NodeLabels
{
	char	  **label;
	int		   *len;
	int			n;
	int			cap;
	int		   *slot;			/* hash slots: id + 1, 0 empty */
	int			n_slots;		/* a power of 2, > 2 n */
} NodeLabels;

static int
label_id(NodeLabels *l, MemoryContext cxt, const char *str, int len)
{
	uint32		h = hash_bytes((const unsigned char *) str, len);
	int			i;

	if (2 * (l->n + 1) >= l->n_slots)
	{
		int			ns = Max(64, l->n_slots * 2);
		int		   *slot = MemoryContextAllocZero(cxt, sizeof(int) * ns);

		for (int k = 0; k < l->n; k++)
		{
			uint32		hk = hash_bytes((const unsigned char *) l->label[k], l->len[k]);

			for (i = hk & (ns - 1); slot[i] != 0; i = (i + 1) & (ns - 1))
				;
			slot[i] = k + 1;
		}
		l->slot = slot;
		l->n_slots = ns;
	}
	for (i = h & (l->n_slots - 1); l->slot[i] != 0; i = (i + 1) & (l->n_slots - 1))
	{
		int			k = l->slot[i] - 1;

		if (l->len[k] == len && memcmp(l->label[k], str, len) == 0)
			return k;
	}
	if (l->n == l->cap)
	{
		l->cap = Max(16, l->cap * 2);
		l->label = l->label ? repalloc(l->label, sizeof(char *) * l->cap) : MemoryContextAlloc(cxt, sizeof(char *) * l->cap);
		l->len = l->len ? repalloc(l->len, sizeof(int) * l->cap) : MemoryContextAlloc(cxt, sizeof(int) * l->cap);
	}
	l->label[l->n] = MemoryContextAlloc(cxt, len + 1);
	memcpy(l->label[l->n], str, len);
	l->label[l->n][len] = '\0';
	l->len[l->n] = len;
	l->slot[i] = l->n + 1;
	return l->n++;
}

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The complete rows of the formula's columns, as aml_stats_frame_load
 * gives them (same description of the columns, same filter, same
 * conversion of each value by aml_source_convert, levels in byte order),
 * read in one pass into the frame's columns: no dataset in between, no
 * copy.  Columns of other kinds than numeric and categorical (booleans)
 * go through aml_stats_frame_load.
 */
static AmlStatsFrame *
node_frame(Oid relid, char **names, int n, Jsonb *filter, const char *what)
{
	List	   *list = NIL;
	AmlSource  *source;
	AmlWhere   *where;
	StringInfoData query;
	AmlStatsFrame *fr;
	MemoryContext cxt = CurrentMemoryContext;
	MemoryContext batch;
	MemoryContext old;
	Portal		portal;
	NodeLabels *labels;
	double	   *tmp;
	Datum	   *values;
	bool	   *nulls;
	long		cap = 0;

	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return aml_stats_frame_load(relid, names, n, filter, true, what);
		list = lappend(list, names[i]);
	}
	source = aml_source_describe_list(relid, list, true);
	for (int c = 0; c < n; c++)
		if (source->cols[c].kind != AML_KIND_NUMERIC && source->cols[c].kind != AML_KIND_CATEGORICAL)
			return aml_stats_frame_load(relid, names, n, filter, true, what);
	/* refuse early when the statistics already say it cannot fit (as the loader) */
	if (source->estimated_rows > 0 &&
		!aml_memory_fits((size_t) (source->estimated_rows * (double) n * sizeof(double))))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("relation %s is too large for the memory budget", source->qualified_name),
				 errdetail("About %.0f rows of %d columns need about %zu kB; automl.max_memory allows %zu kB.",
						   source->estimated_rows, n,
						   (size_t) (source->estimated_rows * (double) n * sizeof(double)) / 1024,
						   aml_memory_budget() / 1024),
				 errhint("Raise automl.max_memory, or use fewer rows or columns.")));
	where = aml_filter_compile(filter, relid, 1);

	fr = palloc0(sizeof(AmlStatsFrame));
	fr->relation = source->qualified_name;
	fr->ncols = n;
	fr->cols = palloc0(sizeof(AmlStatsColumn) * Max(n, 1));
	labels = palloc0(sizeof(NodeLabels) * Max(n, 1));
	tmp = palloc(sizeof(double) * Max(n, 1));
	values = palloc(sizeof(Datum) * Max(n, 1));
	nulls = palloc(sizeof(bool) * Max(n, 1));
	for (int c = 0; c < n; c++)
	{
		fr->cols[c].name = pstrdup(source->cols[c].name);
		fr->cols[c].kind = source->cols[c].kind;
		fr->cols[c].factor = source->cols[c].kind != AML_KIND_NUMERIC;
	}

	initStringInfo(&query);
	appendStringInfoString(&query, "SELECT ");
	for (int c = 0; c < n; c++)
		appendStringInfo(&query, "%s%s", c ? ", " : "", quote_identifier(source->cols[c].name));
	appendStringInfo(&query, " FROM %s", source->qualified_name);
	if (where && where->clause)
		appendStringInfo(&query, " WHERE (%s)", where->clause);

	batch = AllocSetContextCreate(cxt, "automl node rows", ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (where && where->clause && where->nparams > 0)
		portal = SPI_cursor_open_with_args(NULL, query.data, where->nparams, where->types,
										   where->values, where->nulls, true, 0);
	else
		portal = SPI_cursor_open_with_args(NULL, query.data, 0, NULL, NULL, NULL, true, 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(batch);
		if (fr->n + (long) SPI_processed > cap)
		{
			long		ncap = Max(cap * 2, fr->n + (long) SPI_processed);

			for (int c = 0; c < n; c++)
				fr->cols[c].values = cap == 0
					? MemoryContextAllocHuge(cxt, sizeof(double) * ncap)
					: repalloc_huge(fr->cols[c].values, sizeof(double) * ncap);
			cap = ncap;
		}
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		complete = true;

			heap_deform_tuple(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, values, nulls);
			for (int c = 0; c < n && complete; c++)
			{
				double		number = 0;
				const char *str = NULL;
				int			len = 0;

				if (nulls[c] || !aml_source_convert(&source->cols[c], values[c], &number, &str, &len))
					complete = false;
				else if (source->cols[c].kind == AML_KIND_CATEGORICAL)
					tmp[c] = label_id(&labels[c], cxt, str, len);
				else
					tmp[c] = number;
			}
			if (!complete)
			{
				fr->dropped++;
				continue;
			}
			for (int c = 0; c < n; c++)
				fr->cols[c].values[fr->n] = tmp[c];
			fr->n++;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(batch);
	if (cap == 0)
		for (int c = 0; c < n; c++)
			fr->cols[c].values = palloc(sizeof(double));
	if (fr->dropped > 0)
		ereport(NOTICE,
				(errmsg("%s: %ld row%s with NULL values left out", what, fr->dropped,
						fr->dropped == 1 ? "" : "s")));

	/* levels in byte order, as aml_stats_frame_load sorts them */
	for (int c = 0; c < n; c++)
	{
		AmlStatsColumn *sc = &fr->cols[c];
		NodeLabels *l = &labels[c];
		int		   *code;

		if (!sc->factor)
			continue;
		sc->levels = palloc(sizeof(char *) * Max(l->n, 1));
		memcpy(sc->levels, l->label, sizeof(char *) * l->n);
		qsort(sc->levels, l->n, sizeof(char *), cmp_label);
		sc->n_levels = l->n;
		code = palloc(sizeof(int) * Max(l->n, 1));
		for (int k = 0; k < l->n; k++)
		{
			const char *s = l->label[k];
			char	  **hit = bsearch(&s, sc->levels, l->n, sizeof(char *), cmp_label);

			code[k] = (int) (hit - sc->levels);
		}
		for (long i = 0; i < fr->n; i++)
			sc->values[i] = code[(int) sc->values[i]];
	}
	return fr;
}

/* ---------------------------------------------------------------- one round (protocol 2) */

/* A term's factors on this node: the product of their present levels is its cells. */
typedef struct NodeTerm
{
	int			n_factors;
	int		   *factor;			/* formula variable index, in variable order */
	int			n_numeric;
	int		   *numeric;
	long		n_cells;		/* product of the factors' present levels */
	long	   *count;			/* per cell: rows */
	int		   *col;			/* per cell: design column, -1 when absent */
} NodeTerm;

/* More cells than this in one term is refused (the centre takes at most 8192 columns). */
#define NODE_MAX_CELLS 8192

static long
row_cell(const NodeTerm *t, AmlStatsFrame *fr, int *const *present, const int *n_present, long i)
{
	long		cell = 0;
	long		stride = 1;

	for (int k = 0; k < t->n_factors; k++)
	{
		int			v = t->factor[k];

		cell += present[v][(int) fr->cols[v + 1].values[i]] * stride;
		stride *= n_present[v];
	}
	return cell;
}

/*
 * The node's part of a model in one round: its complete rows coded with
 * its own levels, one column per cell of each term (every combination of
 * the term's factors' levels present here, times the product of the term's
 * numeric variables; the intercept first), the factor R of [X y] of that
 * coding, and what the centre needs to map it: the levels (present ones,
 * byte order) and each column's term and cell.
 */
char *
aml_fed_node_lm_factor_json(Oid relid, const char *formula, Jsonb *filter, int64 *rows,
							const char **suppressed)
{
	const char *what = "automl.node_lm";
	AmlFormula *f = aml_stats_parse_formula(relid, formula, true);
	int			nv = f->n_vars;
	char	  **names = palloc(sizeof(char *) * (nv + 1));
	AmlStatsFrame *fr;
	int		  **present = palloc0(sizeof(int *) * Max(nv, 1));
	int		   *n_present = palloc0(sizeof(int) * Max(nv, 1));
	NodeTerm   *terms = palloc0(sizeof(NodeTerm) * Max(f->n_terms, 1));
	int			p = f->intercept ? 1 : 0;
	int			m;
	AmlQRAccum *acc;
	AmlMoments	ym;
	double		yss = 0;
	double	   *row;
	AmlError	err;
	StringInfoData s;

	names[0] = f->response;
	for (int v = 0; v < nv; v++)
		names[v + 1] = f->vars[v];
	fr = node_frame(relid, names, nv + 1, filter, what);
	if (fr->cols[0].factor)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s: the response \"%s\" is categorical", what, fr->cols[0].name)));
	*rows = fr->n;
	*suppressed = aml_fed_group_check(fr->n, "the set of complete rows");

	/* the levels present in the complete rows, each a group */
	for (int v = 0; v < nv && !*suppressed; v++)
	{
		AmlStatsColumn *col = &fr->cols[v + 1];
		long	   *count;

		if (!col->factor)
			continue;
		count = palloc0(sizeof(long) * Max(col->n_levels, 1));
		for (long i = 0; i < fr->n; i++)
			count[(int) col->values[i]]++;
		present[v] = palloc(sizeof(int) * Max(col->n_levels, 1));
		for (int l = 0; l < col->n_levels; l++)
		{
			present[v][l] = count[l] > 0 ? n_present[v]++ : -1;
			if (!*suppressed && count[l] > 0)
				*suppressed = aml_fed_group_check(count[l], psprintf("a level of factor \"%s\"", col->name));
		}
	}

	/* the terms' cells present here; a cell of factors only is a group */
	for (int t = 0; t < f->n_terms && !*suppressed; t++)
	{
		NodeTerm   *nt = &terms[t];

		nt->factor = palloc(sizeof(int) * nv);
		nt->numeric = palloc(sizeof(int) * nv);
		nt->n_cells = 1;
		for (int v = 0; v < nv; v++)
		{
			if (!((f->terms[t] >> v) & 1u))
				continue;
			if (fr->cols[v + 1].factor)
			{
				nt->factor[nt->n_factors++] = v;
				nt->n_cells *= Max(n_present[v], 1);
				if (nt->n_cells > NODE_MAX_CELLS)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("%s: a term of the formula has more than %d combinations of levels",
									what, NODE_MAX_CELLS)));
			}
			else
				nt->numeric[nt->n_numeric++] = v;
		}
		nt->count = palloc0(sizeof(long) * nt->n_cells);
		nt->col = palloc(sizeof(int) * nt->n_cells);
		if (nt->n_factors > 0)
			for (long i = 0; i < fr->n; i++)
				nt->count[row_cell(nt, fr, present, n_present, i)]++;
		else
			nt->count[0] = fr->n;
		for (long cell = 0; cell < nt->n_cells; cell++)
		{
			nt->col[cell] = nt->count[cell] > 0 ? p++ : -1;
			if (nt->count[cell] > 0 && nt->n_numeric == 0 && nt->n_factors > 0 && !*suppressed)
			{
				StringInfoData nm;
				long		rem = cell;

				/* named as R names the cell's column in a one-per-level coding */
				initStringInfo(&nm);
				for (int k = 0; k < nt->n_factors; k++)
				{
					AmlStatsColumn *col = &fr->cols[nt->factor[k] + 1];
					int			lp = (int) (rem % n_present[nt->factor[k]]);

					rem /= n_present[nt->factor[k]];
					for (int l = 0; l < col->n_levels; l++)
						if (present[nt->factor[k]][l] == lp)
							appendStringInfo(&nm, "%s%s%s", k > 0 ? ":" : "", col->name, col->levels[l]);
				}
				*suppressed = aml_fed_group_check(nt->count[cell], psprintf("the group of column \"%s\"", nm.data));
			}
		}
	}
	m = p + 1;
	if (!*suppressed && fr->n > 0 && fr->n <= m)
		*suppressed = psprintf("%ld rows are not more than the %d columns of the model and response", fr->n, m);
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);

	/* fold the rows into R */
	if (aml_qr_accum_create(m, &acc, &err) != AML_OK)
		aml_pg_raise(&err);
	row = palloc0(sizeof(double) * m);
	aml_moments_init(&ym);
	for (long i = 0; i < fr->n; i++)
	{
		int			j = 0;
		double		y = fr->cols[0].values[i];

		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
		memset(row, 0, sizeof(double) * m);
		if (f->intercept)
			row[j++] = 1.0;
		for (int t = 0; t < f->n_terms; t++)
		{
			const NodeTerm *nt = &terms[t];
			double		value = 1.0;

			for (int k = 0; k < nt->n_numeric; k++)
				value *= fr->cols[nt->numeric[k] + 1].values[i];
			row[nt->col[nt->n_factors > 0 ? row_cell(nt, fr, present, n_present, i) : 0]] = value;
		}
		row[m - 1] = y;
		aml_qr_accum_add(acc, row, 1.0);
		aml_moments_add(&ym, y);
		yss += y * y;
	}
	aml_qr_accum_flush(acc);

	initStringInfo(&s);
	appendStringInfo(&s, "{\"protocol\": 2, \"n\": %ld, \"dropped\": %ld, \"m\": %d, \"levels\": [",
					 fr->n, fr->dropped, m);
	for (int v = 0; v < nv; v++)
	{
		AmlStatsColumn *col = &fr->cols[v + 1];

		if (v > 0)
			appendStringInfoString(&s, ", ");
		if (!col->factor)
		{
			appendStringInfoString(&s, "null");
			continue;
		}
		appendStringInfoChar(&s, '[');
		for (int l = 0, k = 0; l < col->n_levels; l++)
			if (present[v][l] >= 0)
			{
				if (k++ > 0)
					appendStringInfoString(&s, ", ");
				aml_fed_json_string(&s, col->levels[l]);
			}
		appendStringInfoChar(&s, ']');
	}
	/* each column: [term (-1: intercept), [present level index of each factor of the term]] */
	appendStringInfoString(&s, "], \"cols\": [");
	if (f->intercept)
		appendStringInfoString(&s, "[-1, []]");
	for (int t = 0; t < f->n_terms; t++)
	{
		const NodeTerm *nt = &terms[t];

		for (long cell = 0; cell < nt->n_cells; cell++)
		{
			long		rem = cell;

			if (nt->col[cell] < 0)
				continue;
			appendStringInfo(&s, "%s[%d, [", nt->col[cell] > 0 ? ", " : "", t);
			for (int k = 0; k < nt->n_factors; k++)
			{
				appendStringInfo(&s, "%s%ld", k > 0 ? ", " : "", rem % n_present[nt->factor[k]]);
				rem /= n_present[nt->factor[k]];
			}
			appendStringInfoString(&s, "]]");
		}
	}
	/* R's upper triangle, column by column */
	appendStringInfoString(&s, "], \"r\": [");
	for (int j = 0; j < m; j++)
		for (int i = 0; i <= j; i++)
		{
			if (i + j > 0)
				appendStringInfoString(&s, ", ");
			aml_fed_json_double(&s, acc->r[i + (size_t) j * m]);
		}
	appendStringInfoString(&s, "], \"y\": [");
	aml_fed_json_double(&s, ym.n);
	appendStringInfoString(&s, ", ");
	aml_fed_json_double(&s, ym.sum);
	appendStringInfoString(&s, ", ");
	aml_fed_json_double(&s, ym.sxx);
	appendStringInfoString(&s, "], \"yss\": ");
	aml_fed_json_double(&s, yss);
	appendStringInfoChar(&s, '}');
	aml_qr_accum_free(acc);
	return s.data;
}

Datum
automl_node_lm_factor(PG_FUNCTION_ARGS)
{
	return node_answer(fcinfo, "automl.node_lm", aml_fed_node_lm_factor_json);
}
