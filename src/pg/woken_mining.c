/*
 * woken_mining.c — automl_mining(query jsonb, strict): a Woken MiningQuery
 * run inside the database, its QueryResult returned and its woken.job_result
 * row written.
 *
 * The query is checked as Woken checks it (variables exist in the table,
 * covariables too when covariablesMustExist, else the missing ones are
 * dropped with a feedback; constraints of the algorithm; "No data in table T
 * matching filters"), then its rows become a temporary view
 *   SELECT <variables, covariables, grouping> FROM <table>
 *   WHERE <not null as the algorithm needs> AND "dataset" IN (<datasets>)
 * which the implementing function reads with the caller's rights: automl_fit
 * (predictive codes), automl_train (tpot), automl_summary
 * (statisticsSummary).  A failure is returned the way Woken reports it (the
 * QueryResult's error, a text/plain+error row), or raised with its SQLSTATE
 * when strict is true.  The preparation shared with experiments is
 * woken_request.c's, the results of the codes woken_results.c's, the job's
 * row and QueryResult woken_job.c's.  With nodes, the codes that have a
 * federated implementation run over the nodes (src/federation/fed_mining.c).
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

PG_FUNCTION_INFO_V1(automl_mining);

void
aml_woken_run_mining(AmlWokenJob *job, json_object *q)
{
	json_object *algorithm;
	json_object *code;
	json_object *parameters = NULL;
	json_object *v;
	const AmlWokenAlgorithm *alg;
	Oid			relid;
	char	   *table;
	List	   *variables;
	List	   *covariables;
	List	   *grouping;
	List	   *datasets;
	List	   *present = NIL;
	List	   *all;
	bool		must_exist = false;
	StringInfoData sql;
	json_object *user_filter = NULL;
	char	   *view;
	Oid			viewid;
	ListCell   *lc;

	if (!json_object_is_type(q, json_type_object))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a MiningQuery must be a JSON object")));
	if (!json_object_object_get_ex(q, "algorithm", &algorithm) || json_object_is_type(algorithm, json_type_null))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("No algorithm defined")));
	if (!json_object_is_type(algorithm, json_type_object) ||
		!json_object_object_get_ex(algorithm, "code", &code) || !json_object_is_type(code, json_type_string))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm must be {\"code\": ..., \"parameters\": [...]}")));
	job->code = MemoryContextStrdup(job->cxt, json_object_get_string(code));
	alg = aml_woken_algorithm_find(job->code);
	if (alg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Unknown algorithm %s", job->code),
				 errdetail("Algorithms are: %s.", aml_woken_algorithm_codes())));
	aml_woken_fed_check_code(job, job->code);
	json_object_object_get_ex(algorithm, "parameters", &parameters);
	json_object_object_add(job->parameters, "model_parameters", aml_woken_params_echo(parameters));

	relid = aml_woken_target_table(q, &table);
	variables = aml_woken_codes_of(q, "variables");
	covariables = aml_woken_codes_of(q, "covariables");
	grouping = aml_woken_codes_of(q, "grouping");
	datasets = aml_woken_codes_of(q, "datasets");
	if (json_object_object_get_ex(q, "covariablesMustExist", &v))
		must_exist = json_object_get_boolean(v);
	if (variables == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("No variable defined"),
				 errhint("Give \"variables\": [{\"code\": \"<target>\"}].")));
	aml_woken_check_exist(variables, relid, job->node, table, "Variables");
	aml_woken_check_exist(grouping, relid, job->node, table, "Grouping variables");
	if (must_exist)
		aml_woken_check_exist(covariables, relid, job->node, table, "Covariables (covariablesMustExist is true)");
	foreach(lc, covariables)
	{
		if (aml_woken_has_column(relid, lfirst(lc)))
			present = lappend(present, lfirst(lc));
		else
			aml_woken_feedback(job, psprintf("Covariable %s does not exist in node %s and table %s and is ignored",
								   (char *) lfirst(lc), job->node, table));
	}
	covariables = present;
	if (covariables == NIL && list_length(variables) > 0 && alg->covariables_min > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Algorithm %s needs at least %d covariable(s)", alg->code, alg->covariables_min)));
	if (alg->groupings_max == 0 && grouping != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Algorithm %s takes no grouping variable", alg->code)));
	/* filters: query-builder JSON, or that JSON as a string (2017 clients); [] or "" = none */
	if (json_object_object_get_ex(q, "filters", &v) && !json_object_is_type(v, json_type_null) &&
		!(json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0) &&
		!(json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0))
	{
		if (json_object_is_type(v, json_type_string))
			user_filter = aml_pg_parse_json(json_object_get_string(v), json_object_get_string_len(v));
		else
			user_filter = v;
		if (!json_object_is_type(user_filter, json_type_object))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("filters must be a query-builder rule or group (a JSON object)")));
	}
	if (alg->kind == AML_WOKEN_FUNCTION && !aml_woken_function_installed(alg->requires))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Algorithm %s is not available in this build", alg->code),
				 errdetail("It runs SQL function %s, which is not installed or not wired to automl_mining yet.",
						   alg->requires)));

	json_object_object_add(job->parameters, "variables", json_object_new_string(aml_woken_join_codes(variables, ",")));
	json_object_object_add(job->parameters, "covariables", aml_woken_codes_array(covariables));
	json_object_object_add(job->parameters, "grouping", aml_woken_codes_array(grouping));

	/* the rows: a temporary view the implementing function reads */
	all = list_concat(list_concat(list_copy(variables), covariables), grouping);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	foreach(lc, all)
		appendStringInfo(&sql, "%s%s", foreach_current_index(lc) ? ", " : "", quote_identifier(lfirst(lc)));
	appendStringInfo(&sql, " FROM %s", quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																  get_rel_name(relid)));
	/* Woken's rules: the user's filters AND not null as the algorithm needs AND the datasets */
	{
		json_object *rules = json_object_new_array();
		json_object *group = aml_pg_json_own(json_object_new_object());
		AmlWhere   *w;

		json_object_object_add(group, "condition", json_object_new_string("AND"));
		json_object_object_add(group, "rules", rules);
		if (user_filter != NULL)
			json_object_array_add(rules, json_object_get(user_filter));
		foreach(lc, variables)
			if (!alg->variables_can_be_null)
				json_object_array_add(rules, aml_woken_rule_of(lfirst(lc), "is_not_null", NULL));
		foreach(lc, list_concat(list_copy(covariables), grouping))
			if (!alg->covariables_can_be_null)
				json_object_array_add(rules, aml_woken_rule_of(lfirst(lc), "is_not_null", NULL));
		if (datasets != NIL)
		{
			if (aml_woken_has_column(relid, "dataset"))
				json_object_array_add(rules, aml_woken_rule_of("dataset", "in", aml_woken_codes_array(datasets)));
			else
				aml_woken_feedback(job, psprintf("Table %s has no dataset column: datasets are ignored", table));
		}
		w = aml_filter_compile(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																  CStringGetDatum(aml_json_text(group)))),
							   relid, 1);
		if (w->clause != NULL)
			appendStringInfo(&sql, " WHERE %s", aml_woken_inline_parameters(w));
		if (job->fed_nodes != NULL)
		{
			/* over nodes: the target table and these rules as the functions' filter */
			json_object *nodes = json_object_new_array();
			Datum	   *elems;
			bool	   *enulls;
			int			nelems;

			job->fed_relid = relid;
			job->fed_filter = w->clause != NULL ? MemoryContextStrdup(job->cxt, aml_json_text(group)) : NULL;
			deconstruct_array(job->fed_nodes, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &nelems);
			for (int i = 0; i < nelems; i++)
				json_object_array_add(nodes, enulls[i] ? NULL : json_object_new_string(TextDatumGetCString(elems[i])));
			json_object_object_add(job->parameters, "nodes", nodes);
			json_object_object_add(job->parameters, "executionPlan", json_object_new_string("map-reduce"));
		}
	}
	json_object_object_add(job->parameters, "query", json_object_new_string(sql.data));

	view = psprintf("automl_woken_%s", job->job_id);
	for (char *p = view; *p; p++)
		if (*p == '-')
			*p = '_';
	if (SPI_execute(psprintf("CREATE TEMPORARY VIEW %s AS %s", quote_identifier(view), sql.data), false, 0)
		!= SPI_OK_UTILITY)
		elog(ERROR, "creating the view of the query failed");
	viewid = RangeVarGetRelid(makeRangeVar("pg_temp", view, -1), NoLock, false);
	/* over nodes, the centre's rows are not the query's ("no node contributed rows" instead) */
	if (job->fed_nodes == NULL &&
		aml_woken_spi_int8(psprintf("SELECT pg_catalog.count(*) FROM %s", quote_identifier(view)), 0, NULL, NULL, NULL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("No data in table %s matching filters", table)));

	if (alg->kind == AML_WOKEN_SUMMARY)
	{
		int			ret;
		bool		isnull;
		Datum		d;
		Oid			types[5] = {OIDOID, NAMEARRAYOID};
		Datum		values[5];
		char		nulls[5] = "  ";
		int			nargs = 2;
		char	   *fed;

		values[0] = ObjectIdGetDatum(aml_woken_fed_relation(job, viewid));
		values[1] = aml_woken_names_array(all);
		fed = aml_woken_fed_args(job, &nargs, types, values, nulls);
		if (grouping != NIL)
			aml_woken_feedback(job, "statisticsSummary ignores the grouping: the summary is over all rows");
		ret = SPI_execute_with_args(psprintf(
			"SELECT pg_catalog.jsonb_build_object('profile', 'tabular-data-resource', 'name', 'statisticsSummary', "
			"'data', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('index', s.column_name, 'label', s.column_name, "
			"'type', s.kind, 'count', s.count, 'null_count', s.null_count, 'unique', s.distinct_count, "
			"'top', s.top, 'frequency', s.top_count, 'mean', s.mean, 'std', s.std, "
			"'EX^2', s.mean OPERATOR(pg_catalog.*) s.mean OPERATOR(pg_catalog.+) "
			"  s.std OPERATOR(pg_catalog.*) s.std OPERATOR(pg_catalog.*) (s.count OPERATOR(pg_catalog.-) 1) "
			"  OPERATOR(pg_catalog./) s.count, "
			"'min', s.min, 'max', s.max, '25%%', s.q1, '50%%', s.median, '75%%', s.q3)), "
			"'schema', pg_catalog.jsonb_build_object('fields', '["
			"{\"name\":\"index\",\"type\":\"string\"},{\"name\":\"label\",\"type\":\"string\"},"
			"{\"name\":\"type\",\"type\":\"string\"},{\"name\":\"count\",\"type\":\"integer\"},"
			"{\"name\":\"null_count\",\"type\":\"integer\"},{\"name\":\"unique\",\"type\":\"integer\"},"
			"{\"name\":\"top\",\"type\":\"string\"},{\"name\":\"frequency\",\"type\":\"integer\"},"
			"{\"name\":\"mean\",\"type\":\"number\"},{\"name\":\"std\",\"type\":\"number\"},"
			"{\"name\":\"EX^2\",\"type\":\"number\"},{\"name\":\"min\",\"type\":\"number\"},"
			"{\"name\":\"max\",\"type\":\"number\"},{\"name\":\"25%%\",\"type\":\"number\"},"
			"{\"name\":\"50%%\",\"type\":\"number\"},{\"name\":\"75%%\",\"type\":\"number\"}]'::pg_catalog.jsonb))"
			"::pg_catalog.text FROM %s.automl_summary($1::pg_catalog.regclass, $2%s) s", aml_woken_ext_schema(), fed),
									nargs, types, values, nulls, false, 0);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "the summary failed: %s", SPI_result_code_string(ret));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		job->data = MemoryContextStrdup(job->cxt, TextDatumGetCString(d));
		job->shape = "application/vnd.dataresource+json";
		job->function = "automl_summary";
		aml_woken_fed_feedback(job);
	}
	else if (alg->kind == AML_WOKEN_ESTIMATOR)
	{
		AmlTask		task = aml_woken_target_task(relid, linitial(variables));
		const char *estimator = task == AML_TASK_REGRESSION ? alg->regression : alg->classification;
		const AmlEstimatorType *type;
		json_object *params;
		Oid			types[8] = {OIDOID, NAMEOID, TEXTOID, JSONBOID, NAMEARRAYOID};
		Datum		values[8];
		char		nulls[8] = "        ";
		int			nargs = 5;
		char	   *fed;
		int64		model_id;

		if (estimator == NULL || (type = aml_estimator_type_find(estimator)) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("Algorithm %s does not do %s", alg->code, aml_task_name(task)),
					 errdetail("Target %s makes this a %s task.", (char *) linitial(variables),
							   aml_task_name(task))));
		params = aml_woken_params_to_json(alg, type, parameters);
		/* over nodes (naiveBayes): the target table, the query's rows as filter (fed_mining.c) */
		values[0] = ObjectIdGetDatum(aml_woken_fed_relation(job, viewid));
		values[1] = DirectFunctionCall1(namein, CStringGetDatum(linitial(variables)));
		values[2] = CStringGetTextDatum(estimator);
		values[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(params)));
		values[4] = aml_woken_names_array(covariables);
		fed = aml_woken_fed_args(job, &nargs, types, values, nulls);
		model_id = aml_woken_spi_int8(psprintf("SELECT %s.automl_fit($1::pg_catalog.regclass, $2, $3, $4, $5, '%s'%s)",
									 aml_woken_ext_schema(), aml_task_name(task), fed),
							nargs, types, values, nulls);
		aml_woken_fed_feedback(job);
		aml_woken_link_job("models", model_id, job->job_id);
		job->function = MemoryContextStrdup(job->cxt, psprintf("automl_fit:%s", estimator));
		aml_woken_model_result(job, model_id);
		if (job->kfold >= 2 && job->fed_nodes != NULL)
			aml_woken_fed_cross_validate(job, linitial(variables), covariables, estimator,
										 aml_json_text(params), task, model_id);
		else if (job->kfold >= 2)
			aml_woken_cross_validate(job, viewid, linitial(variables), covariables, estimator,
									 aml_json_text(params), task, model_id);
	}
	else if (alg->kind == AML_WOKEN_SEARCH)
	{
		const char *budget = aml_woken_param_value(parameters, "time_budget");
		const char *folds = aml_woken_param_value(parameters, "cv_folds");
		const char *metric = aml_woken_param_value(parameters, "metric");
		const char *space = aml_woken_param_value(parameters, "search_space");
		const char *seed = aml_woken_param_value(parameters, "seed");
		const char *max_evals = aml_woken_param_value(parameters, "max_evaluations");
		Oid			types[9] = {OIDOID, NAMEOID, NAMEARRAYOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		Datum		values[9];
		char		nulls[9] = "         ";
		int			ret;
		bool		isnull;
		int64		model_id;
		int64		run_id;
		static const char *const known[] = {"time_budget", "cv_folds", "metric", "search_space", "seed",
		"max_evaluations"};

		if (parameters != NULL && json_object_is_type(parameters, json_type_array))
			for (size_t i = 0; i < json_object_array_length(parameters); i++)
			{
				json_object *c;
				bool		ok = false;

				if (json_object_object_get_ex(json_object_array_get_idx(parameters, i), "code", &c))
					for (int k = 0; k < (int) lengthof(known); k++)
						ok |= strcmp(json_object_get_string(c), known[k]) == 0;
				if (!ok)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("unknown parameter \"%s\" of algorithm tpot", json_object_get_string(c)),
							 errdetail("Its parameters are: time_budget, cv_folds, metric, search_space, seed, max_evaluations.")));
			}
		values[0] = ObjectIdGetDatum(viewid);
		values[1] = DirectFunctionCall1(namein, CStringGetDatum(linitial(variables)));
		values[2] = aml_woken_names_array(covariables);
		values[3] = CStringGetTextDatum(metric ? metric : "auto");
		values[4] = CStringGetTextDatum(budget ? budget : "10 seconds");
		values[5] = CStringGetTextDatum(folds ? folds : "5");
		values[6] = CStringGetTextDatum(seed ? seed : "42");
		values[7] = CStringGetTextDatum(space ? space : "default");
		if (max_evals)
			values[8] = CStringGetTextDatum(max_evals);
		else
			nulls[8] = 'n';
		ret = SPI_execute_with_args(psprintf(
			"SELECT model_id, run_id FROM %s.automl_train(relation => $1::pg_catalog.regclass, target => $2, "
			"features => $3, metric => $4, time_budget => $5::pg_catalog.interval, cv_folds => $6::pg_catalog.int4, "
			"seed => $7::pg_catalog.int4, search_space => $8, max_evaluations => $9::pg_catalog.int4)", aml_woken_ext_schema()),
									9, types, values, nulls, false, 0);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl_train failed: %s", SPI_result_code_string(ret));
		model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		aml_woken_link_job("runs", run_id, job->job_id);
		aml_woken_link_job("models", model_id, job->job_id);
		job->function = "automl_train";
		aml_woken_model_result(job, model_id);
	}
	else if (strcmp(alg->code, "kmeans") == 0)
		aml_woken_kmeans_result(job, parameters, viewid, list_concat(list_copy(variables), covariables));
	else if (alg->kind == AML_WOKEN_FUNCTION && (strcmp(alg->code, "histograms") == 0 ||
												  strcmp(alg->code, "pca") == 0 ||
												  strcmp(alg->code, "correlationHeatmap") == 0))
		aml_woken_chart_result(job, alg, parameters, viewid, variables, covariables, grouping);
	else if (alg->kind == AML_WOKEN_FUNCTION)
		aml_woken_statistics_result(job, alg, parameters, viewid, variables, list_concat(list_copy(covariables), grouping));
	if (job->fill_cache && job->fed_nodes == NULL)
	{
		job->table_name = MemoryContextStrdup(job->cxt, table);
		job->contents_hash = aml_woken_contents_hash(job, view);
	}
	if (SPI_execute(psprintf("DROP VIEW pg_temp.%s", quote_identifier(view)), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "dropping the view of the query failed");
}

Datum
automl_mining(PG_FUNCTION_ARGS)
{
	bool		strict = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	AmlWokenJob	job;
	json_object *q;
	json_object *result;
	char	   *text;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL")));
	aml_woken_set_schema(fcinfo->flinfo->fn_oid);
	text = JsonbToCString(NULL, &PG_GETARG_JSONB_P(0)->root, VARSIZE(PG_GETARG_JSONB_P(0)));
	q = aml_pg_parse_json(text, strlen(text));

	aml_woken_job_init(&job, NULL);
	job.fill_cache = true;
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		job.fed_nodes = PG_GETARG_ARRAYTYPE_P_COPY(2);
		job.fed_strict = strict;
	}
	aml_woken_run_guarded(&job, aml_woken_run_mining, q, strict);
	aml_woken_write_job_result(&job);
	result = aml_woken_query_result(&job, q);
	(void) aml_woken_cache_put(&job, q, result);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(result))));
}
