/*
 * stats_frame.c — model frames for the statistics functions (stats_frame.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/htup_details.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"

#include "core/memory.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/loader.h"
#include "pg/stats_frame.h"

void
aml_stats_raise(const AmlError *err)
{
	if (err->status == AML_ERR_INVALID_PARAMETER && strncmp(err->message, "syntax error in formula", 23) == 0)
		aml_pg_raise_code(err, ERRCODE_SYNTAX_ERROR);
	aml_pg_raise(err);
}

char	  **
aml_stats_relation_columns(Oid relid, int *n)
{
	AmlSource  *all = aml_source_describe_ext(relid, NIL, false, true);
	char	  **names = palloc(sizeof(char *) * Max(all->ncols, 1));

	for (int i = 0; i < all->ncols; i++)
		names[i] = all->cols[i].name;
	*n = all->ncols;
	return names;
}

AmlFormula *
aml_stats_parse_formula(Oid relid, const char *text, bool need_response)
{
	int			n;
	char	  **columns = aml_stats_relation_columns(relid, &n);
	AmlFormula *f;
	AmlError	err;
	int			pos;

	if (aml_formula_parse(text, (const char *const *) columns, n, &f, &pos, &err) != AML_OK)
		aml_stats_raise(&err);
	if (need_response && f->response == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("formula \"%s\" has no response", text),
				 errhint("Write the response before '~', as in y ~ x.")));
	return f;
}

static int
cmp_level(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

AmlStatsFrame *
aml_stats_frame_load(Oid relid, char **names, int n, Jsonb *filter, bool complete_rows,
					 const char *what)
{
	List	   *list = NIL;
	AmlSource  *source;
	AmlDataset *ds;
	AmlLoadStats stats;
	AmlStatsFrame *fr = palloc0(sizeof(AmlStatsFrame));
	bool	   *keep;
	long		kept = 0;

	/* a relation has at most MaxHeapAttributeNumber columns: more names repeat one */
	if (n > MaxHeapAttributeNumber)
		ereport(ERROR,
				(errcode(ERRCODE_TOO_MANY_COLUMNS),
				 errmsg("%s: too many columns (%d)", what, n),
				 errdetail("A relation has at most %d columns.", MaxHeapAttributeNumber)));
	for (int i = 0; i < n; i++)
	{
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		foreach(lc, list)
			if (strcmp((char *) lfirst(lc), names[i]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" is named twice", names[i])));
		list = lappend(list, names[i]);
	}
	source = aml_source_describe_list(relid, list, true);
	ds = aml_source_load_where(source, aml_filter_compile(filter, relid, 1), &stats);
	fr->relation = source->qualified_name;
	fr->ncols = n;
	fr->cols = palloc0(sizeof(AmlStatsColumn) * Max(n, 1));

	keep = palloc(sizeof(bool) * Max(ds->n_rows, 1));
	for (int i = 0; i < ds->n_rows; i++)
	{
		keep[i] = true;
		if (complete_rows)
			for (int c = 0; c < n; c++)
				if (ds->columns[c].missing[i])
				{
					keep[i] = false;
					break;
				}
		kept += keep[i];
	}
	fr->n = kept;
	fr->dropped = ds->n_rows - kept;
	if (fr->dropped > 0)
		ereport(NOTICE,
				(errmsg("%s: %ld row%s with NULL values left out", what, fr->dropped,
						fr->dropped == 1 ? "" : "s")));

	for (int c = 0; c < n; c++)
	{
		AmlColumn  *col = &ds->columns[c];
		AmlStatsColumn *sc = &fr->cols[c];
		long		k = 0;

		sc->name = pstrdup(col->name);
		sc->kind = col->kind;
		sc->factor = col->kind != AML_KIND_NUMERIC;
		sc->values = aml_alloc_array((size_t) Max(kept, 1), sizeof(double));
		if (sc->values == NULL)
		{
			AmlError	err;

			aml_error_nomem(&err, what);
			aml_pg_raise(&err);
		}
		if (col->kind == AML_KIND_CATEGORICAL)
		{
			int			nd = col->dict->count;
			int		   *used = palloc0(sizeof(int) * Max(nd, 1));
			int		   *code = palloc(sizeof(int) * Max(nd, 1));
			int			nl = 0;

			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i] && !col->missing[i])
					used[(int) col->values[i]] = 1;
			sc->levels = palloc(sizeof(char *) * Max(nd, 1));
			for (int d = 0; d < nd; d++)
				if (used[d])
					sc->levels[nl++] = (char *) aml_dict_string(col->dict, d);
			qsort(sc->levels, nl, sizeof(char *), cmp_level);
			for (int d = 0; d < nd; d++)
			{
				code[d] = -1;
				if (used[d])
				{
					const char *s = aml_dict_string(col->dict, d);
					char	  **hit = bsearch(&s, sc->levels, nl, sizeof(char *), cmp_level);

					code[d] = (int) (hit - sc->levels);
				}
			}
			sc->n_levels = nl;
			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i])
					sc->values[k++] = col->missing[i] ? NAN : code[(int) col->values[i]];
		}
		else
		{
			if (col->kind == AML_KIND_BINARY)
			{
				static char *tf[] = {"FALSE", "TRUE"};

				sc->levels = tf;
				sc->n_levels = 2;
			}
			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i])
					sc->values[k++] = col->missing[i] ? NAN : col->values[i];
		}
	}
	return fr;
}

AmlStatsFrame *
aml_stats_formula_frame(Oid relid, AmlFormula *f, Jsonb *filter, const char *what,
						AmlDesignVar **vars)
{
	int			nr = f->response ? 1 : 0;
	char	  **names = palloc(sizeof(char *) * (f->n_vars + 1));
	AmlStatsFrame *fr;
	AmlDesignVar *dv = palloc0(sizeof(AmlDesignVar) * (f->n_vars + 1));

	if (f->response)
		names[0] = f->response;
	for (int v = 0; v < f->n_vars; v++)
		names[nr + v] = f->vars[v];
	fr = aml_stats_frame_load(relid, names, nr + f->n_vars, filter, true, what);
	if (fr->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: no complete rows", what),
				 errdetail("Every row of %s%s has a NULL in a column the formula uses.", fr->relation,
						   filter ? " that passes the filter" : ""),
				 errhint("Rows with NULL values are left out, as R's na.omit does.")));
	for (int v = 0; v < f->n_vars; v++)
	{
		AmlStatsColumn *c = &fr->cols[nr + v];

		dv[v].factor = c->factor;
		if (c->factor)
		{
			if (c->kind == AML_KIND_BINARY)
			{
				bool		seen[2] = {false, false};

				for (long i = 0; i < fr->n; i++)
					seen[c->values[i] != 0] = true;
				if (!seen[0] || !seen[1])
				{
					c->n_levels = 1;
					c->levels = seen[0] ? c->levels : c->levels + 1;
				}
			}
			if (c->n_levels < 2)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: factor \"%s\" has only one level", what, c->name),
						 errdetail("Contrasts can be applied only to factors with 2 or more levels; \"%s\" is \"%s\" in every complete row.",
								   c->name, c->n_levels ? c->levels[0] : ""),
						 errhint("Leave the column out of the formula, or filter fewer rows.")));
			dv[v].n_levels = c->n_levels;
			dv[v].levels = (const char *const *) c->levels;
		}
	}
	*vars = dv;
	return fr;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

int *
aml_stats_factor_codes(const AmlStatsColumn *c, long n, int *n_levels, double **numeric_levels)
{
	int		   *codes = palloc(sizeof(int) * Max(n, 1));

	if (numeric_levels)
		*numeric_levels = NULL;
	if (c->kind == AML_KIND_CATEGORICAL)
	{
		for (long i = 0; i < n; i++)
			codes[i] = isnan(c->values[i]) ? -1 : (int) c->values[i];
		*n_levels = c->n_levels;
	}
	else
	{
		double	   *s = palloc(sizeof(double) * Max(n, 1));
		long		k = 0;

		for (long i = 0; i < n; i++)
			if (!isnan(c->values[i]))
				s[k++] = c->values[i];
		qsort(s, k, sizeof(double), cmp_double);
		{
			long		d = 0;

			for (long i = 0; i < k; i++)
				if (i == 0 || s[i] != s[i - 1])
					s[d++] = s[i];
			k = d;
		}
		for (long i = 0; i < n; i++)
		{
			double	   *hit;

			if (isnan(c->values[i]))
			{
				codes[i] = -1;
				continue;
			}
			hit = bsearch(&c->values[i], s, k, sizeof(double), cmp_double);
			codes[i] = (int) (hit - s);
		}
		*n_levels = (int) k;
		if (numeric_levels)
			*numeric_levels = s;
	}
	return codes;
}
