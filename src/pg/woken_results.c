/*
 * woken_results.c — a mining query's result from the function that
 * implements its code, in the shape Woken's container wrote: a model's PFA
 * (or its description), k-means clusters, linear regression and ANOVA
 * tables, Highcharts histograms and heatmaps, PCA components.  Each reads
 * the query's view with the caller's rights.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/security.h"
#include "pg/woken.h"
#include "pg/woken_job.h"

/* Tag a model or run with the job (rows of the caller, updated as the tables' owner). */
void
aml_woken_link_job(const char *table, int64 id, const char *job_id)
{
	AmlActAs	a;
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2] = {Int64GetDatum(id), CStringGetTextDatum(job_id)};
	int			ret;

	aml_act_as_owner_of(&a, table);
	ret = SPI_execute_with_args(psprintf("UPDATE automl.%s SET job_id = $2 WHERE id OPERATOR(pg_catalog.=) $1",
										 table), 2, types, values, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "linking the job failed: %s", SPI_result_code_string(ret));
	aml_act_end(&a);
}

/* The PFA of a model when its family has one, else a description of the model. */
void
aml_woken_model_result(AmlWokenJob *job, int64 model_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(model_id)};
	int			ret;
	bool		isnull;
	char	   *algorithm;
	char	   *why = NULL;

	ret = SPI_execute_with_args("SELECT algorithm, pipeline::pg_catalog.text, "
								"pg_catalog.jsonb_build_object('model_id', id, "
								"'algorithm', algorithm, 'task', task, 'target', target, 'features', features, "
								"'classes', classes, 'description', description, 'metrics', metrics)::pg_catalog.text "
								"FROM automl.models WHERE id OPERATOR(pg_catalog.=) $1",
								1, types, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading model " INT64_FORMAT " failed", model_id);
	algorithm = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (aml_woken_pfa_supported(algorithm))
	{
		AmlCoreSession *session = aml_core_session_begin("automl_mining PFA");
		char	   *pipeline = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																   SPI_tuptable->tupdesc, 2, &isnull));
		json_object *pfa = aml_woken_pipeline_pfa(model_id, algorithm, pipeline, &why);

		if (pfa != NULL)
		{
			job->data = MemoryContextStrdup(job->cxt, aml_json_text(pfa));
			job->shape = "application/pfa+json";
		}
		aml_core_session_end(session);
	}
	else
		why = psprintf("PFA export does not support the model family \"%s\"", algorithm);
	if (job->data == NULL)
	{
		job->data = MemoryContextStrdup(job->cxt, TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																				 SPI_tuptable->tupdesc, 3, &isnull)));
		job->shape = "application/json";
		aml_woken_feedback(job, psprintf("%s: the result describes stored model " INT64_FORMAT " instead of PFA",
							   why, model_id));
	}
}

/*
 * kmeans: automl_fit(view, NULL, 'kmeans') on the variables and covariables
 * with n_clusters = parameter k (default 3); the result is the model id, its
 * inertia and its clusters (automl_kmeans_centers) as JSON.
 */
void
aml_woken_kmeans_result(AmlWokenJob *job, json_object *parameters, Oid viewid, List *features)
{
	const char *k_text = aml_woken_param_value(parameters, "k");
	char	   *end = NULL;
	long		k = k_text ? strtol(k_text, &end, 10) : 3;
	Oid			types[6] = {OIDOID, JSONBOID, NAMEARRAYOID};
	Datum		values[6];
	char		nulls[6] = "      ";
	int			nargs = 3;
	char	   *fed;
	Oid			idtype[1] = {INT8OID};
	Datum		idval[1];
	int64		model_id;
	int			ret;
	bool		isnull;

	if (k_text != NULL && (end == k_text || *end != '\0' || k < 1 || k > 100000))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter k of algorithm kmeans must be a whole number of clusters, not \"%s\"", k_text)));
	/* over nodes: the target table, the query's rows as filter (fed_mining.c) */
	values[0] = ObjectIdGetDatum(aml_woken_fed_relation(job, viewid));
	values[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("{\"n_clusters\": %ld}", k)));
	values[2] = aml_woken_names_array(features);
	fed = aml_woken_fed_args(job, &nargs, types, values, nulls);
	model_id = aml_woken_spi_int8(psprintf("SELECT %s.automl_fit($1::pg_catalog.regclass, NULL, 'kmeans', $2, $3%s)",
								 aml_woken_ext_schema(), fed), nargs, types, values, nulls);
	aml_woken_fed_feedback(job);
	aml_woken_link_job("models", model_id, job->job_id);
	job->function = "automl_fit:kmeans";
	idval[0] = Int64GetDatum(model_id);
	ret = SPI_execute_with_args(psprintf(
		"SELECT pg_catalog.jsonb_build_object('model_id', m.id, 'features', m.features, "
		"'inertia', m.metrics OPERATOR(pg_catalog.->) 'inertia', 'clusters', "
		"(SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('cluster', c.cluster, 'size', c.size, "
		"'center', c.center) ORDER BY c.cluster) FROM %s.automl_kmeans_centers(m.id) c))::pg_catalog.text "
		"FROM automl.models m WHERE m.id OPERATOR(pg_catalog.=) $1", aml_woken_ext_schema()),
								1, idtype, idval, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading k-means model " INT64_FORMAT " failed", model_id);
	job->data = MemoryContextStrdup(job->cxt, TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																			 SPI_tuptable->tupdesc, 1, &isnull)));
	job->shape = "application/json";
}

/* Is there a function of that name in the extension's schema? */
bool
aml_woken_function_installed(const char *name)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(name), CStringGetTextDatum(aml_woken_ext_schema_name())};

	return aml_woken_spi_int8("SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p "
					"JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace "
					"WHERE p.proname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
					"AND n.nspname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
					2, types, values, NULL) > 0;
}

/* A variable name in an R formula: as is when syntactic, else `backquoted`. */
static char *
formula_name(const char *name)
{
	bool		plain = isalpha((unsigned char) name[0]) || name[0] == '.';

	for (const char *p = name; *p && plain; p++)
		plain = isalnum((unsigned char) *p) || *p == '_' || *p == '.';
	if (plain)
		return pstrdup(name);
	if (strchr(name, '`') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variable %s cannot be used in a formula", name)));
	return psprintf("`%s`", name);
}

/*
 * linearRegression (automl_lm) and anova (automl_anova) on the view, in the
 * shapes of Woken's python-linear-regression and python-anova:
 *   {"intercept" | <term>: {"coef", "std_err", "t_values", "p_values"}}
 *   {<term> | "Residual": {"df", "sum_sq", "mean_sq", "F", "PR(>F)"}}
 */
void
aml_woken_statistics_result(AmlWokenJob *job, const AmlWokenAlgorithm *alg, json_object *parameters, Oid viewid,
				  List *variables, List *terms)
{
	bool		anova = strcmp(alg->code, "anova") == 0;
	const char *sep = anova ? " * " : " + ";	/* anova: factorial design by default */
	StringInfoData formula;
	Oid			types[5] = {OIDOID, TEXTOID};
	Datum		values[5];
	char		nulls[5] = "  ";
	int			nargs = 2;
	char	   *fed;
	json_object *out = aml_pg_json_own(json_object_new_object());
	ListCell   *lc;
	int			ret;

	if (parameters != NULL && json_object_is_type(parameters, json_type_array))
		for (size_t i = 0; i < json_object_array_length(parameters); i++)
		{
			json_object *c;
			json_object *v;
			json_object *p = json_object_array_get_idx(parameters, i);

			if (!json_object_object_get_ex(p, "code", &c))
				continue;
			if (anova && strcmp(json_object_get_string(c), "design") == 0)
			{
				const char *d = json_object_object_get_ex(p, "value", &v) ? json_object_get_string(v) : "";

				if (strcmp(d, "additive") == 0)
					sep = " + ";
				else if (strcmp(d, "factorial") == 0 || d[0] == '\0')
					sep = " * ";
				else
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("parameter \"design\" of algorithm anova must be factorial or additive"),
							 errdetail("The value given is \"%s\".", d)));
				continue;
			}
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown parameter \"%s\" of algorithm %s", json_object_get_string(c), alg->code),
					 errdetail(anova ? "Its parameters are: design." : "It has no parameters.")));
		}

	initStringInfo(&formula);
	appendStringInfo(&formula, "%s ~ ", formula_name(linitial(variables)));
	if (terms == NIL)
		appendStringInfoChar(&formula, '1');
	foreach(lc, terms)
		appendStringInfo(&formula, "%s%s", foreach_current_index(lc) ? sep : "", formula_name(lfirst(lc)));
	json_object_object_add(job->parameters, "formula", json_object_new_string(formula.data));
	values[0] = ObjectIdGetDatum(aml_woken_fed_relation(job, viewid));
	values[1] = CStringGetTextDatum(formula.data);
	fed = aml_woken_fed_args(job, &nargs, types, values, nulls);
	ret = SPI_execute_with_args(anova
								? psprintf("SELECT term, df::pg_catalog.float8, sum_sq, mean_sq, statistic, p_value "
										   "FROM %s.automl_anova($1::pg_catalog.regclass, $2, 1%s)", aml_woken_ext_schema(), fed)
								: psprintf("SELECT term, estimate, std_error, statistic, p_value "
										   "FROM %s.automl_lm($1::pg_catalog.regclass, $2%s)", aml_woken_ext_schema(), fed),
								nargs, types, values, nulls, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "%s failed: %s", alg->requires, SPI_result_code_string(ret));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *term = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		json_object *o = json_object_new_object();
		static const char *const lm_keys[] = {"coef", "std_err", "t_values", "p_values"};
		static const char *const anova_keys[] = {"df", "sum_sq", "mean_sq", "F", "PR(>F)"};
		int			nk = anova ? 5 : 4;

		for (int k = 0; k < nk; k++)
		{
			Datum		d = SPI_getbinval(tup, desc, k + 2, &isnull);

			json_object_object_add(o, anova ? anova_keys[k] : lm_keys[k],
								   isnull ? NULL : aml_json_new_number(DatumGetFloat8(d)));
		}
		if (strcmp(term, "(Intercept)") == 0)
			term = "intercept";
		else if (strcmp(term, "Residuals") == 0)
			term = "Residual";
		json_object_object_add(out, term, o);
	}
	job->data = MemoryContextStrdup(job->cxt, aml_json_text(out));
	job->shape = "application/json";
	job->function = alg->requires;
	aml_woken_fed_feedback(job);
}

/* The first row's first column of a jsonb query, as text in the job's context. */
static char *
spi_jsonb_text(AmlWokenJob *job, const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	char	   *v;

	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the statistics query failed: %s", SPI_result_code_string(ret));
	v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return MemoryContextStrdup(job->cxt, v ? v : "null");
}

/*
 * histograms (automl_histogram: Highcharts column charts, the variable's
 * histogram and one per grouping variable with a series per group, as
 * python-histograms), correlationHeatmap (automl_correlation of the
 * variables and covariables: a Highcharts heatmap of Pearson's r) and pca
 * (automl_pca of the variables and covariables: the components).
 */
void
aml_woken_chart_result(AmlWokenJob *job, const AmlWokenAlgorithm *alg, json_object *parameters, Oid viewid,
			 List *variables, List *covariables, List *grouping)
{
	const char *schema = aml_woken_ext_schema();
	List	   *all = list_concat(list_copy(variables), covariables);
	ListCell   *lc;

	if (parameters != NULL && json_object_is_type(parameters, json_type_array))
		for (size_t i = 0; i < json_object_array_length(parameters); i++)
		{
			json_object *c;

			if (json_object_object_get_ex(json_object_array_get_idx(parameters, i), "code", &c) &&
				!(strcmp(alg->code, "histograms") == 0 && strcmp(json_object_get_string(c), "bins") == 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown parameter \"%s\" of algorithm %s", json_object_get_string(c), alg->code),
						 errdetail(strcmp(alg->code, "histograms") == 0 ? "Its parameters are: bins."
								   : "It has no parameters.")));
		}
	job->function = alg->requires;
	if (strcmp(alg->code, "histograms") == 0)
	{
		const char *bins_text = aml_woken_param_value(parameters, "bins");
		long		bins = 20;
		StringInfoData out;
		List	   *groups = list_make1(NIL);

		if (bins_text != NULL)
		{
			char	   *end;

			errno = 0;
			bins = strtol(bins_text, &end, 10);
			if (*bins_text == '\0' || *end != '\0' || errno != 0 || bins < 1 || bins > 10000)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("parameter \"bins\" of algorithm histograms must be an integer between 1 and 10000"),
						 errdetail("The value given is \"%s\".", bins_text)));
		}
		foreach(lc, grouping)
			groups = lappend(groups, list_make1(lfirst(lc)));
		initStringInfo(&out);
		appendStringInfoChar(&out, '[');
		foreach(lc, groups)
		{
			List	   *g = lfirst(lc);
			Oid			types[7] = {OIDOID, NAMEOID, INT4OID, NAMEARRAYOID};
			Datum		values[7];
			char		nulls[7] = "    ";
			int			nargs = 4;
			char	   *fed;

			values[0] = ObjectIdGetDatum(aml_woken_fed_relation(job, viewid));
			values[1] = DirectFunctionCall1(namein, CStringGetDatum(linitial(variables)));
			values[2] = Int32GetDatum((int32) bins);
			if (g == NIL)
				nulls[3] = 'n';
			else
				values[3] = aml_woken_names_array(g);
			fed = aml_woken_fed_args(job, &nargs, types, values, nulls);
			appendStringInfo(&out, "%s%s", foreach_current_index(lc) ? ", " : "", spi_jsonb_text(job, psprintf(
				"WITH h AS (SELECT * FROM %s.automl_histogram($1::pg_catalog.regclass, $2, $3, $4%s)), "
				"cats AS (SELECT h.bin, pg_catalog.min(COALESCE(h.category, pg_catalog.format('%%s - %%s', h.lower, h.upper))) AS label "
				"         FROM h GROUP BY h.bin), "
				"s AS (SELECT h.group_values, pg_catalog.jsonb_agg(h.count ORDER BY h.bin) AS data FROM h GROUP BY h.group_values) "
				"SELECT pg_catalog.jsonb_build_object('chart', pg_catalog.jsonb_build_object('type', 'column'), "
				"  'title', pg_catalog.jsonb_build_object('text', pg_catalog.concat('Histogram of ', $2::pg_catalog.text, "
				"           CASE WHEN $4 IS NULL THEN '' ELSE pg_catalog.concat(' by ', pg_catalog.array_to_string($4, ', ')) END)), "
				"  'xAxis', pg_catalog.jsonb_build_object('categories', (SELECT pg_catalog.jsonb_agg(cats.label ORDER BY cats.bin) FROM cats), "
				"                                 'title', pg_catalog.jsonb_build_object('text', $2::pg_catalog.text)), "
				"  'yAxis', pg_catalog.jsonb_build_object('title', pg_catalog.jsonb_build_object('text', 'Number of participants')), "
				"  'series', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', "
				"             COALESCE((SELECT pg_catalog.string_agg(e.value, ', ') FROM pg_catalog.jsonb_each_text(s.group_values) e), ''), "
				"             'data', s.data) ORDER BY s.group_values::pg_catalog.text) FROM s))::pg_catalog.text",
				schema, fed), nargs, types, values, nulls));
		}
		appendStringInfoChar(&out, ']');
		/* the overall histogram's series is named "all" */
		{
			json_object *charts = aml_pg_parse_json(out.data, out.len);
			json_object *series;

			if (json_object_object_get_ex(json_object_array_get_idx(charts, 0), "series", &series) &&
				json_object_is_type(series, json_type_array) && json_object_array_length(series) > 0)
				json_object_object_add(json_object_array_get_idx(series, 0), "name", json_object_new_string("all"));
			job->data = MemoryContextStrdup(job->cxt, aml_json_text(charts));
		}
		job->shape = "application/vnd.highcharts+json";
	}
	else if (strcmp(alg->code, "correlationHeatmap") == 0)
	{
		Oid			types[5] = {OIDOID, NAMEARRAYOID};
		Datum		values[5] = {ObjectIdGetDatum(aml_woken_fed_relation(job, viewid)), aml_woken_names_array(all)};
		char		nulls[5] = "  ";
		int			nargs = 2;
		char	   *fed = aml_woken_fed_args(job, &nargs, types, values, nulls);

		job->data = spi_jsonb_text(job, psprintf(
			"WITH c AS (SELECT * FROM %s.automl_correlation($1::pg_catalog.regclass, $2%s)), "
			"v AS (SELECT n.name::pg_catalog.text AS name, n.i FROM pg_catalog.unnest($2) WITH ORDINALITY n(name, i)), "
			"cells AS (SELECT vx.i OPERATOR(pg_catalog.-) 1 AS i, vy.i OPERATOR(pg_catalog.-) 1 AS j, c.estimate FROM c "
			"          JOIN v vx ON vx.name OPERATOR(pg_catalog.=) c.x JOIN v vy ON vy.name OPERATOR(pg_catalog.=) c.y "
			"          UNION ALL SELECT vy.i OPERATOR(pg_catalog.-) 1, vx.i OPERATOR(pg_catalog.-) 1, c.estimate FROM c "
			"          JOIN v vx ON vx.name OPERATOR(pg_catalog.=) c.x JOIN v vy ON vy.name OPERATOR(pg_catalog.=) c.y "
			"          UNION ALL SELECT v.i OPERATOR(pg_catalog.-) 1, v.i OPERATOR(pg_catalog.-) 1, 1.0::pg_catalog.float8 FROM v) "
			"SELECT pg_catalog.jsonb_build_object('chart', pg_catalog.jsonb_build_object('type', 'heatmap'), "
			"  'title', pg_catalog.jsonb_build_object('text', 'Correlation heatmap'), "
			"  'xAxis', pg_catalog.jsonb_build_object('categories', (SELECT pg_catalog.jsonb_agg(v.name ORDER BY v.i) FROM v)), "
			"  'yAxis', pg_catalog.jsonb_build_object('categories', (SELECT pg_catalog.jsonb_agg(v.name ORDER BY v.i) FROM v)), "
			"  'colorAxis', pg_catalog.jsonb_build_object('min', -1, 'max', 1), "
			"  'series', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('name', 'Pearson correlation', "
			"     'data', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(cells.i, cells.j, cells.estimate) "
			"                                          ORDER BY cells.i, cells.j) FROM cells))))::pg_catalog.text",
			schema, fed), nargs, types, values, nulls);
		job->shape = "application/vnd.highcharts+json";
	}
	else
	{
		Oid			types[5] = {OIDOID, NAMEARRAYOID};
		Datum		values[5] = {ObjectIdGetDatum(aml_woken_fed_relation(job, viewid)), aml_woken_names_array(all)};
		char		nulls[5] = "  ";
		int			nargs = 2;
		char	   *fed = aml_woken_fed_args(job, &nargs, types, values, nulls);

		job->data = spi_jsonb_text(job, psprintf(
			"SELECT pg_catalog.jsonb_build_object('variables', pg_catalog.to_jsonb($2::pg_catalog.text[]), 'components', "
			"  pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('component', p.component, 'std_dev', p.std_dev, "
			"    'proportion', p.proportion, 'cumulative', p.cumulative, 'loadings', p.loadings) ORDER BY p.component))"
			"::pg_catalog.text FROM %s.automl_pca($1::pg_catalog.regclass, $2%s) p", schema, fed),
								   nargs, types, values, nulls);
		job->shape = "application/json";
	}
	aml_woken_fed_feedback(job);
}
