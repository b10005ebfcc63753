/*
 * fed_nb_node.c — the node side of naive Bayes over federation nodes
 * (fed_nb.c is the centre): automl.node_nb() reads the target and features
 * of the node's relation and answers, per class, the row count, per numeric
 * feature the mean and sum of squared deviations, per categorical feature
 * the level counts — or only "suppressed" when a group has 1..min-1 rows.
 * Members of automl_federation_member only; every answer is logged.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "nodes/pg_list.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "core/json.h"
#include "core/memory.h"
#include "core/stats.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_model.h"
#include "federation/fed_nb.h"
#include "ml/pipeline.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/fit.h"
#include "pg/loader.h"
#include "pg/model_store.h"
#include "pg/stats_frame.h"
#include "pg/training_data.h"
#include "stats/combine.h"

PG_FUNCTION_INFO_V1(automl_node_nb);

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static const char *
node_nb_check(const AmlStatsFrame *fr, int k, const long *class_n, long **cell)
{
	const char *why;

	if ((why = aml_fed_group_check(fr->n, "the set of complete rows")) != NULL)
		return why;
	for (int c = 0; c < k; c++)
		if ((why = aml_fed_group_check(class_n[c], "a class of the target")) != NULL)
			return why;
	for (int j = 1; j < fr->ncols; j++)
	{
		const AmlStatsColumn *col = &fr->cols[j];

		if (col->kind != AML_KIND_CATEGORICAL)
			continue;
		for (int l = 0; l < col->n_levels; l++)
		{
			long		total = 0;

			for (int c = 0; c < k; c++)
			{
				total += cell[j][(size_t) c * col->n_levels + l];
				if ((why = aml_fed_group_check(cell[j][(size_t) c * col->n_levels + l],
											   "a class-and-level cell")) != NULL)
					return why;
			}
			if ((why = aml_fed_group_check(total, "a level of a categorical feature")) != NULL)
				return why;
		}
	}
	return NULL;
}

/*
 * The node's answer for target + features (names[0] the target).
 * Categorical targets: classes are labels; numbers and booleans: values.
 */
char *
aml_fed_nb_frame_answer(const AmlStatsFrame *fr, bool minmax, const char **suppressed)
{
	int			n = fr->ncols;
	AmlStatsColumn *t = &fr->cols[0];
	int			k;
	double	   *values = NULL;
	int		   *cls = palloc(sizeof(int) * Max(fr->n, 1));
	long	   *class_n;
	long	  **cell = palloc0(sizeof(long *) * n);
	StringInfoData s;

	/* class index of every row */
	if (t->kind == AML_KIND_CATEGORICAL)
	{
		k = t->n_levels;
		for (long i = 0; i < fr->n; i++)
			cls[i] = (int) t->values[i];
	}
	else
	{
		values = palloc(sizeof(double) * Max(fr->n, 1));
		memcpy(values, t->values, sizeof(double) * fr->n);
		qsort(values, fr->n, sizeof(double), cmp_double);
		k = 0;
		for (long i = 0; i < fr->n; i++)
			if (i == 0 || values[i] != values[k - 1])
				values[k++] = values[i];
		for (long i = 0; i < fr->n; i++)
		{
			double	   *hit = bsearch(&t->values[i], values, k, sizeof(double), cmp_double);

			cls[i] = (int) (hit - values);
		}
	}
	class_n = palloc0(sizeof(long) * Max(k, 1));
	for (long i = 0; i < fr->n; i++)
		class_n[cls[i]]++;
	for (int j = 1; j < n; j++)
	{
		AmlStatsColumn *col = &fr->cols[j];

		if (col->kind != AML_KIND_CATEGORICAL)
			continue;
		cell[j] = palloc0(sizeof(long) * Max((size_t) k * col->n_levels, 1));
		for (long i = 0; i < fr->n; i++)
			cell[j][(size_t) cls[i] * col->n_levels + (int) col->values[i]]++;
	}
	*suppressed = node_nb_check(fr, k, class_n, cell);
	if (*suppressed)
		return aml_fed_suppressed_json(*suppressed);

	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"dropped\": %ld, \"features\": [", fr->n, fr->dropped);
	for (int j = 1; j < n; j++)
	{
		AmlStatsColumn *col = &fr->cols[j];
		bool		constant = true;

		if (j > 1)
			appendStringInfoString(&s, ", ");
		if (col->kind == AML_KIND_CATEGORICAL)
		{
			appendStringInfoString(&s, "{\"kind\": \"categorical\"}");
			continue;
		}
		for (long i = 1; i < fr->n && constant; i++)
			constant = col->values[i] == col->values[0];
		appendStringInfo(&s, "{\"kind\": \"%s\", \"constant\": %s",
						 col->kind == AML_KIND_BINARY ? "binary" : "numeric", constant ? "true" : "false");
		if (constant && fr->n > 0)
		{
			appendStringInfoString(&s, ", \"value\": ");
			aml_fed_json_double(&s, col->values[0]);
		}
		if (minmax && fr->n > 0)
		{
			/* multinomial_nb's min-max scaling: the node's extremes (single rows' values) */
			double		lo = col->values[0],
						hi = col->values[0];

			for (long i = 1; i < fr->n; i++)
			{
				lo = Min(lo, col->values[i]);
				hi = Max(hi, col->values[i]);
			}
			appendStringInfoString(&s, ", \"min\": ");
			aml_fed_json_double(&s, lo);
			appendStringInfoString(&s, ", \"max\": ");
			aml_fed_json_double(&s, hi);
		}
		appendStringInfoChar(&s, '}');
	}
	appendStringInfoString(&s, "], \"classes\": [");
	for (int c = 0; c < k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		appendStringInfoString(&s, c ? ", {\"value\": " : "{\"value\": ");
		if (t->kind == AML_KIND_CATEGORICAL)
			aml_fed_json_string(&s, t->levels[c]);
		else
			aml_fed_json_double(&s, values[c]);
		appendStringInfo(&s, ", \"n\": %ld, \"stats\": [", class_n[c]);
		for (int j = 1; j < n; j++)
		{
			AmlStatsColumn *col = &fr->cols[j];

			if (j > 1)
				appendStringInfoString(&s, ", ");
			if (col->kind == AML_KIND_CATEGORICAL)
			{
				bool		first = true;

				appendStringInfoChar(&s, '{');
				for (int l = 0; l < col->n_levels; l++)
				{
					long		m = cell[j][(size_t) c * col->n_levels + l];

					if (m == 0)
						continue;
					if (!first)
						appendStringInfoString(&s, ", ");
					first = false;
					aml_fed_json_string(&s, col->levels[l]);
					appendStringInfo(&s, ": %ld", m);
				}
				appendStringInfoChar(&s, '}');
			}
			else
			{
				/* two passes over the class's rows: mean, then squared deviations */
				double		sum = 0,
							ss = 0,
							mean;

				for (long i = 0; i < fr->n; i++)
					if (cls[i] == c)
						sum += col->values[i];
				mean = sum / class_n[c];
				for (long i = 0; i < fr->n; i++)
					if (cls[i] == c)
						ss += (col->values[i] - mean) * (col->values[i] - mean);
				appendStringInfoChar(&s, '[');
				aml_fed_json_double(&s, mean);
				appendStringInfoString(&s, ", ");
				aml_fed_json_double(&s, ss);
				appendStringInfoChar(&s, ']');
			}
		}
		appendStringInfoString(&s, "]}");
	}
	appendStringInfoString(&s, "]}");
	return s.data;
}

char *
aml_fed_nb_node_json(Oid relid, char **names, int n, Jsonb *filter, int64 *rows,
						 const char **suppressed)
{
	AmlStatsFrame *fr = aml_stats_frame_load(relid, names, n, filter, true, "automl.node_nb");

	*rows = fr->n;
	return aml_fed_nb_frame_answer(fr, false, suppressed);
}

Datum
automl_node_nb(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_nb";
	Jsonb	   *filter;
	Oid			relid;
	char	  **names;
	int			n;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;
	StringInfoData extra;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 3);
	relid = PG_GETARG_OID(0);
	filter = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	names = aml_fed_target_features(NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), &n);
	session = aml_core_session_begin(what);
	out = aml_fed_nb_node_json(relid, names, n, filter, &rows, &suppressed);
	aml_core_session_end(session);
	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"target\": ");
	aml_fed_json_string(&extra, names[0]);
	aml_fed_log(what, aml_fed_log_arguments(relid, aml_fed_names_text(names + 1, n - 1), filter, extra.data),
				rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

