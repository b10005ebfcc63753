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
 * when strict is true.
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

typedef AmlWokenJob MiningJob;

/* ---------------------------------------------------------------- helpers */

/* The extension's schema (where automl_mining itself lives), quoted. */
static const char *mining_schema;
static const char *mining_schema_name;

const char *
aml_woken_ext_schema(void)
{
	return mining_schema;
}

#define ext_schema() aml_woken_ext_schema()

void
aml_woken_set_schema(Oid fn_oid)
{
	aml_woken_set_schema_namespace(get_func_namespace(fn_oid));
}

void
aml_woken_set_schema_namespace(Oid nsp)
{
	mining_schema_name = get_namespace_name(nsp);
	if (mining_schema_name == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	mining_schema = quote_identifier(mining_schema_name);
}

void
aml_woken_feedback(MiningJob *job, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "severity", json_object_new_string("warning"));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_array_add(job->feedback, o);
}

/* The codes of [{code}, ...] (NULL or null: none). */
List *
aml_woken_codes_of(json_object *q, const char *key)
{
	json_object *arr;
	List	   *out = NIL;

	if (!json_object_object_get_ex(q, key, &arr) || json_object_is_type(arr, json_type_null))
		return NIL;
	if (!json_object_is_type(arr, json_type_array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an array of {\"code\": ...}", key)));
	for (size_t i = 0; i < json_object_array_length(arr); i++)
	{
		json_object *e = json_object_array_get_idx(arr, i);
		json_object *c;

		if (json_object_is_type(e, json_type_string))
			c = e;
		else if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "code", &c) ||
				 !json_object_is_type(c, json_type_string))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be an array of {\"code\": ...}", key)));
		if (json_object_get_string_len(c) == 0 || json_object_get_string_len(c) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a variable code in %s must have between 1 and %d characters", key,
							NAMEDATALEN - 1)));
		out = lappend(out, pstrdup(json_object_get_string(c)));
	}
	return out;
}

static char *
join_codes(List *codes, const char *sep)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	foreach(lc, codes)
		appendStringInfo(&s, "%s%s", s.len ? sep : "", (char *) lfirst(lc));
	return s.data;
}

static json_object *
codes_array(List *codes)
{
	json_object *a = json_object_new_array();
	ListCell   *lc;

	foreach(lc, codes)
		json_object_array_add(a, json_object_new_string((char *) lfirst(lc)));
	return a;
}

static bool
has_column(Oid relid, const char *name)
{
	AttrNumber	att = get_attnum(relid, name);

	return att != InvalidAttrNumber && att > 0;
}

/* The table of targetTable {name, dbSchema} (privileges are checked when it is read). */
Oid
aml_woken_target_table(json_object *q, char **display)
{
	json_object *t;
	json_object *v;
	const char *name = NULL;
	const char *schema = NULL;
	List	   *names;
	Oid			relid;

	if (!json_object_object_get_ex(q, "targetTable", &t) || json_object_is_type(t, json_type_null))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("No target table defined"),
				 errhint("Give \"targetTable\": {\"name\": \"...\", \"dbSchema\": \"...\"}.")));
	if (json_object_is_type(t, json_type_string))
		name = json_object_get_string(t);
	else if (json_object_is_type(t, json_type_object))
	{
		if (json_object_object_get_ex(t, "name", &v) && json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(t, "dbSchema", &v) && json_object_is_type(v, json_type_string))
			schema = json_object_get_string(v);
	}
	if (name == NULL || name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("targetTable must have a name")));
	names = schema ? list_make2(makeString(pstrdup(schema)), makeString(pstrdup(name)))
		: list_make1(makeString(pstrdup(name)));
	relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("Table %s does not exist", schema ? psprintf("%s.%s", schema, name) : name)));
	*display = pstrdup(name);
	return relid;
}

void
aml_woken_check_exist(List *codes, Oid relid, const char *node, const char *table, const char *what)
{
	List	   *missing = NIL;
	ListCell   *lc;

	foreach(lc, codes)
		if (!has_column(relid, lfirst(lc)))
			missing = lappend(missing, lfirst(lc));
	if (missing != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("Variable(s) %s do not exist in node %s and table %s", join_codes(missing, ","),
						node, table),
				 errdetail("%s must name columns of the table.", what)));
}

/* regression or classification, as automl_fit's task => 'auto' would see it */
static AmlTask
target_task(Oid relid, const char *target)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), CStringGetTextDatum(target)};
	int			ret;
	bool		isnull;
	char	   *task;

	ret = SPI_execute_with_args(
		"SELECT CASE WHEN v.type OPERATOR(pg_catalog.=) ANY ('{polynominal,binominal,boolean}') "
		"  THEN 'classification' WHEN v.type OPERATOR(pg_catalog.=) ANY ('{real,integer}') THEN 'regression' "
		"  WHEN t.typcategory OPERATOR(pg_catalog.=) ANY ('{S,B,E}') THEN 'classification' "
		"  ELSE 'regression' END "
		"FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid "
		"LEFT JOIN automl.variables v ON v.code OPERATOR(pg_catalog.=) a.attname::pg_catalog.text "
		"WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
		2, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the type of the target failed");
	task = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return strcmp(task, "classification") == 0 ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION;
}

/* the string value of a Woken parameter, or NULL */
static const char *
param_value(json_object *parameters, const char *code)
{
	if (parameters == NULL || !json_object_is_type(parameters, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(parameters); i++)
	{
		json_object *p = json_object_array_get_idx(parameters, i);
		json_object *c;
		json_object *v;

		if (json_object_object_get_ex(p, "code", &c) && strcmp(json_object_get_string(c), code) == 0 &&
			json_object_object_get_ex(p, "value", &v) && !json_object_is_type(v, json_type_null))
			return json_object_get_string(v);
	}
	return NULL;
}

static json_object *
params_echo(json_object *parameters)
{
	json_object *o = json_object_new_object();

	if (parameters == NULL || !json_object_is_type(parameters, json_type_array))
		return o;
	for (size_t i = 0; i < json_object_array_length(parameters); i++)
	{
		json_object *p = json_object_array_get_idx(parameters, i);
		json_object *c;
		json_object *v;

		if (json_object_is_type(p, json_type_object) && json_object_object_get_ex(p, "code", &c) &&
			json_object_object_get_ex(p, "value", &v))
			json_object_object_add(o, json_object_get_string(c), json_object_get(v));
	}
	return o;
}

static int64
spi_int8(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	bool		isnull;
	Datum		d;

	if (ret < 0 || SPI_processed != 1)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(ret));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

static Datum
names_array(List *codes)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(list_length(codes), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, codes)
		d[i++] = DirectFunctionCall1(namein, CStringGetDatum(lfirst(lc)));
	return PointerGetDatum(construct_array(d, i, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR));
}

/* Tag a model or run with the job (rows of the caller, updated as the tables' owner). */
static void
link_job(const char *table, int64 id, const char *job_id)
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
static void
model_result(MiningJob *job, int64 model_id)
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
static void
kmeans_result(MiningJob *job, json_object *parameters, Oid viewid, List *features)
{
	const char *k_text = param_value(parameters, "k");
	char	   *end = NULL;
	long		k = k_text ? strtol(k_text, &end, 10) : 3;
	Oid			types[3] = {OIDOID, JSONBOID, NAMEARRAYOID};
	Datum		values[3];
	Oid			idtype[1] = {INT8OID};
	Datum		idval[1];
	int64		model_id;
	int			ret;
	bool		isnull;

	if (k_text != NULL && (end == k_text || *end != '\0' || k < 1 || k > 100000))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter k of algorithm kmeans must be a whole number of clusters, not \"%s\"", k_text)));
	values[0] = ObjectIdGetDatum(viewid);
	values[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("{\"n_clusters\": %ld}", k)));
	values[2] = names_array(features);
	model_id = spi_int8(psprintf("SELECT %s.automl_fit($1::pg_catalog.regclass, NULL, 'kmeans', $2, $3)",
								 ext_schema()), 3, types, values, NULL);
	link_job("models", model_id, job->job_id);
	job->function = "automl_fit:kmeans";
	idval[0] = Int64GetDatum(model_id);
	ret = SPI_execute_with_args(psprintf(
		"SELECT pg_catalog.jsonb_build_object('model_id', m.id, 'features', m.features, "
		"'inertia', m.metrics OPERATOR(pg_catalog.->) 'inertia', 'clusters', "
		"(SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('cluster', c.cluster, 'size', c.size, "
		"'center', c.center) ORDER BY c.cluster) FROM %s.automl_kmeans_centers(m.id) c))::pg_catalog.text "
		"FROM automl.models m WHERE m.id OPERATOR(pg_catalog.=) $1", ext_schema()),
								1, idtype, idval, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading k-means model " INT64_FORMAT " failed", model_id);
	job->data = MemoryContextStrdup(job->cxt, TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																			 SPI_tuptable->tupdesc, 1, &isnull)));
	job->shape = "application/json";
}

/* Is there a function of that name in the extension's schema? */
static bool
function_installed(const char *name)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(name), CStringGetTextDatum(mining_schema_name)};

	return spi_int8("SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p "
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
static void
statistics_result(MiningJob *job, const AmlWokenAlgorithm *alg, json_object *parameters, Oid viewid,
				  List *variables, List *terms)
{
	bool		anova = strcmp(alg->code, "anova") == 0;
	const char *sep = anova ? " * " : " + ";	/* anova: factorial design by default */
	StringInfoData formula;
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
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
	values[0] = ObjectIdGetDatum(viewid);
	values[1] = CStringGetTextDatum(formula.data);
	ret = SPI_execute_with_args(anova
								? psprintf("SELECT term, df::pg_catalog.float8, sum_sq, mean_sq, statistic, p_value "
										   "FROM %s.automl_anova($1::pg_catalog.regclass, $2, 1)", ext_schema())
								: psprintf("SELECT term, estimate, std_error, statistic, p_value "
										   "FROM %s.automl_lm($1::pg_catalog.regclass, $2)", ext_schema()),
								2, types, values, NULL, false, 0);
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
}

/* The first row's first column of a jsonb query, as text in the job's context. */
static char *
spi_jsonb_text(MiningJob *job, const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
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
static void
chart_result(MiningJob *job, const AmlWokenAlgorithm *alg, json_object *parameters, Oid viewid,
			 List *variables, List *covariables, List *grouping)
{
	const char *schema = ext_schema();
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
		const char *bins_text = param_value(parameters, "bins");
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
			Oid			types[4] = {OIDOID, NAMEOID, INT4OID, NAMEARRAYOID};
			Datum		values[4];
			char		nulls[4] = "    ";

			values[0] = ObjectIdGetDatum(viewid);
			values[1] = DirectFunctionCall1(namein, CStringGetDatum(linitial(variables)));
			values[2] = Int32GetDatum((int32) bins);
			if (g == NIL)
				nulls[3] = 'n';
			else
				values[3] = names_array(g);
			appendStringInfo(&out, "%s%s", foreach_current_index(lc) ? ", " : "", spi_jsonb_text(job, psprintf(
				"WITH h AS (SELECT * FROM %s.automl_histogram($1::pg_catalog.regclass, $2, $3, $4)), "
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
				schema), 4, types, values, nulls));
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
		Oid			types[2] = {OIDOID, NAMEARRAYOID};
		Datum		values[2] = {ObjectIdGetDatum(viewid), names_array(all)};

		job->data = spi_jsonb_text(job, psprintf(
			"WITH c AS (SELECT * FROM %s.automl_correlation($1::pg_catalog.regclass, $2)), "
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
			schema), 2, types, values, NULL);
		job->shape = "application/vnd.highcharts+json";
	}
	else
	{
		Oid			types[2] = {OIDOID, NAMEARRAYOID};
		Datum		values[2] = {ObjectIdGetDatum(viewid), names_array(all)};

		job->data = spi_jsonb_text(job, psprintf(
			"SELECT pg_catalog.jsonb_build_object('variables', pg_catalog.to_jsonb($2::pg_catalog.text[]), 'components', "
			"  pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('component', p.component, 'std_dev', p.std_dev, "
			"    'proportion', p.proportion, 'cumulative', p.cumulative, 'loadings', p.loadings) ORDER BY p.component))"
			"::pg_catalog.text FROM %s.automl_pca($1::pg_catalog.regclass, $2) p", schema),
								   2, types, values, NULL);
		job->shape = "application/json";
	}
}

/* {"field": field, "operator": op, "value": value} */
static json_object *
rule_of(const char *field, const char *op, json_object *value)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "field", json_object_new_string(field));
	json_object_object_add(r, "operator", json_object_new_string(op));
	if (value != NULL)
		json_object_object_add(r, "value", value);
	return r;
}

/*
 * The compiled filter with its parameters written as typed literals
 * ('value'::schema.type), for the view's definition.  $n placeholders are
 * replaced outside quoted identifiers and literals only.
 */
static char *
inline_parameters(const AmlWhere *w)
{
	StringInfoData out;
	const char *p = w->clause;

	initStringInfo(&out);
	while (*p)
	{
		if (*p == '"' || *p == '\'')
		{
			char		q = *p;

			appendStringInfoChar(&out, *p++);
			while (*p)
			{
				if (*p == q && p[1] == q)
				{
					appendStringInfoChar(&out, *p++);
					appendStringInfoChar(&out, *p++);
					continue;
				}
				if (*p == q)
					break;
				appendStringInfoChar(&out, *p++);
			}
			if (*p)
				appendStringInfoChar(&out, *p++);
		}
		else if (*p == '$' && isdigit((unsigned char) p[1]))
		{
			int			n = 0;
			int			i;
			Oid			out_fn;
			bool		varlena;

			p++;
			while (isdigit((unsigned char) *p))
				n = n * 10 + (*p++ - '0');
			i = n - w->first_param;
			if (i < 0 || i >= w->nparams)
				elog(ERROR, "filter parameter $%d out of range", n);
			if (w->nulls && w->nulls[i] == 'n')
				appendStringInfo(&out, "NULL::%s", format_type_be_qualified(w->types[i]));
			else
			{
				getTypeOutputInfo(w->types[i], &out_fn, &varlena);
				appendStringInfo(&out, "%s::%s",
								 quote_literal_cstr(OidOutputFunctionCall(out_fn, w->values[i])),
								 format_type_be_qualified(w->types[i]));
			}
		}
		else
			appendStringInfoChar(&out, *p++);
	}
	return out.data;
}

/* ---------------------------------------------------------------- the job */

void
aml_woken_run_mining(MiningJob *job, json_object *q)
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
	Oid			oidtype[1] = {OIDOID};
	Datum		oidval[1];

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
	json_object_object_get_ex(algorithm, "parameters", &parameters);
	json_object_object_add(job->parameters, "model_parameters", params_echo(parameters));

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
		if (has_column(relid, lfirst(lc)))
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
	if (alg->kind == AML_WOKEN_FUNCTION && !function_installed(alg->requires))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Algorithm %s is not available in this build", alg->code),
				 errdetail("It runs SQL function %s, which is not installed or not wired to automl_mining yet.",
						   alg->requires)));

	json_object_object_add(job->parameters, "variables", json_object_new_string(join_codes(variables, ",")));
	json_object_object_add(job->parameters, "covariables", codes_array(covariables));
	json_object_object_add(job->parameters, "grouping", codes_array(grouping));

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
				json_object_array_add(rules, rule_of(lfirst(lc), "is_not_null", NULL));
		foreach(lc, list_concat(list_copy(covariables), grouping))
			if (!alg->covariables_can_be_null)
				json_object_array_add(rules, rule_of(lfirst(lc), "is_not_null", NULL));
		if (datasets != NIL)
		{
			if (has_column(relid, "dataset"))
				json_object_array_add(rules, rule_of("dataset", "in", codes_array(datasets)));
			else
				aml_woken_feedback(job, psprintf("Table %s has no dataset column: datasets are ignored", table));
		}
		w = aml_filter_compile(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																  CStringGetDatum(aml_json_text(group)))),
							   relid, 1);
		if (w->clause != NULL)
			appendStringInfo(&sql, " WHERE %s", inline_parameters(w));
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
	oidval[0] = ObjectIdGetDatum(viewid);
	if (spi_int8(psprintf("SELECT pg_catalog.count(*) FROM %s", quote_identifier(view)), 0, NULL, NULL, NULL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("No data in table %s matching filters", table)));

	if (alg->kind == AML_WOKEN_SUMMARY)
	{
		int			ret;
		bool		isnull;
		Datum		d;

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
			"::pg_catalog.text FROM %s.automl_summary($1::pg_catalog.regclass) s", ext_schema()),
									1, oidtype, oidval, NULL, false, 0);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "the summary failed: %s", SPI_result_code_string(ret));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		job->data = MemoryContextStrdup(job->cxt, TextDatumGetCString(d));
		job->shape = "application/vnd.dataresource+json";
		job->function = "automl_summary";
	}
	else if (alg->kind == AML_WOKEN_ESTIMATOR)
	{
		AmlTask		task = target_task(relid, linitial(variables));
		const char *estimator = task == AML_TASK_REGRESSION ? alg->regression : alg->classification;
		const AmlEstimatorType *type;
		json_object *params;
		Oid			types[5] = {OIDOID, NAMEOID, TEXTOID, JSONBOID, NAMEARRAYOID};
		Datum		values[5];
		int64		model_id;

		if (estimator == NULL || (type = aml_estimator_type_find(estimator)) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("Algorithm %s does not do %s", alg->code, aml_task_name(task)),
					 errdetail("Target %s makes this a %s task.", (char *) linitial(variables),
							   aml_task_name(task))));
		params = aml_woken_params_to_json(alg, type, parameters);
		values[0] = ObjectIdGetDatum(viewid);
		values[1] = DirectFunctionCall1(namein, CStringGetDatum(linitial(variables)));
		values[2] = CStringGetTextDatum(estimator);
		values[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(params)));
		values[4] = names_array(covariables);
		model_id = spi_int8(psprintf("SELECT %s.automl_fit($1::pg_catalog.regclass, $2, $3, $4, $5, '%s')",
									 ext_schema(), aml_task_name(task)),
							5, types, values, NULL);
		link_job("models", model_id, job->job_id);
		job->function = MemoryContextStrdup(job->cxt, psprintf("automl_fit:%s", estimator));
		model_result(job, model_id);
		if (job->kfold >= 2)
			aml_woken_cross_validate(job, viewid, linitial(variables), covariables, estimator,
									 aml_json_text(params), task, model_id);
	}
	else if (alg->kind == AML_WOKEN_SEARCH)
	{
		const char *budget = param_value(parameters, "time_budget");
		const char *folds = param_value(parameters, "cv_folds");
		const char *metric = param_value(parameters, "metric");
		const char *space = param_value(parameters, "search_space");
		const char *seed = param_value(parameters, "seed");
		const char *max_evals = param_value(parameters, "max_evaluations");
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
		values[2] = names_array(covariables);
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
			"seed => $7::pg_catalog.int4, search_space => $8, max_evaluations => $9::pg_catalog.int4)", ext_schema()),
									9, types, values, nulls, false, 0);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "automl_train failed: %s", SPI_result_code_string(ret));
		model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		link_job("runs", run_id, job->job_id);
		link_job("models", model_id, job->job_id);
		job->function = "automl_train";
		model_result(job, model_id);
	}
	else if (strcmp(alg->code, "kmeans") == 0)
		kmeans_result(job, parameters, viewid, list_concat(list_copy(variables), covariables));
	else if (alg->kind == AML_WOKEN_FUNCTION && (strcmp(alg->code, "histograms") == 0 ||
												  strcmp(alg->code, "pca") == 0 ||
												  strcmp(alg->code, "correlationHeatmap") == 0))
		chart_result(job, alg, parameters, viewid, variables, covariables, grouping);
	else if (alg->kind == AML_WOKEN_FUNCTION)
		statistics_result(job, alg, parameters, viewid, variables, list_concat(list_copy(covariables), grouping));
	if (job->fill_cache)
	{
		job->table_name = MemoryContextStrdup(job->cxt, table);
		job->contents_hash = aml_woken_contents_hash(job, view);
	}
	if (SPI_execute(psprintf("DROP VIEW pg_temp.%s", quote_identifier(view)), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "dropping the view of the query failed");
}

/* ---------------------------------------------------------------- results */

void
aml_woken_write_job_result(MiningJob *job)
{
	AmlActAs	a;
	Oid			owner;
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		values[7];
	char		nulls[7] = "       ";
	int			ret;
	Oid			relid;

	relid = RangeVarGetRelid(makeRangeVar("woken", "job_result", -1), NoLock, false);
	{
		HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

		if (!HeapTupleIsValid(tp))
			elog(ERROR, "cache lookup failed for relation %u", relid);
		owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
		ReleaseSysCache(tp);
	}
	values[0] = CStringGetTextDatum(job->job_id);
	values[1] = CStringGetTextDatum(job->node);
	if (job->data)
		values[2] = CStringGetTextDatum(job->data);
	else
		nulls[2] = 'n';
	if (job->error)
		values[3] = CStringGetTextDatum(job->error);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(job->shape);
	if (job->function)
		values[5] = CStringGetTextDatum(pnstrdup(job->function, 255));
	else
		nulls[5] = 'n';
	values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(job->parameters)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&a, owner);
	ret = SPI_execute_with_args("INSERT INTO woken.job_result "
								"(job_id, node, data, error, shape, function, parameters) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7)",
								7, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "writing woken.job_result failed: %s", SPI_result_code_string(ret));
	aml_act_end(&a);
	SPI_finish();
}

static char *
new_job_id(void)
{
	Datum		uuid = DirectFunctionCall1(gen_random_uuid, (Datum) 0);

	return DatumGetCString(DirectFunctionCall1(uuid_out, uuid));
}

void
aml_woken_job_init(AmlWokenJob *job, const char *code)
{
	memset(job, 0, sizeof(*job));
	job->cxt = CurrentMemoryContext;
	job->job_id = new_job_id();
	job->node = aml_woken_node();
	job->code = code;
	job->parameters = aml_pg_json_own(json_object_new_object());
	job->feedback = aml_pg_json_own(json_object_new_array());
}

void
aml_woken_run_guarded(AmlWokenJob *job, void (*run) (AmlWokenJob *job, json_object *q), json_object *q,
					  bool strict)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	if (strict)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		run(job, q);
		SPI_finish();
		return;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		run(job, q);
		SPI_finish();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		job->error = edata->message;
		job->data = NULL;
		job->shape = "text/plain+error";
		json_object_object_add(job->parameters, "sqlstate",
							   json_object_new_string(unpack_sql_state(edata->sqlerrcode)));
	}
	PG_END_TRY();
}

json_object *
aml_woken_query_result(AmlWokenJob *job, json_object *q)
{
	json_object *result = aml_pg_json_own(json_object_new_object());
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	json_object_object_add(result, "jobId", json_object_new_string(job->job_id));
	json_object_object_add(result, "node", json_object_new_string(job->node));
	json_object_object_add(result, "dataProvenance", json_object_new_array());
	json_object_object_add(result, "feedback", json_object_get(job->feedback));
	json_object_object_add(result, "timestamp",
						   aml_json_new_number((double) now / USECS_PER_SEC +
											   (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY));
	json_object_object_add(result, "type", json_object_new_string(job->shape));
	json_object_object_add(result, "algorithm", job->code ? json_object_new_string(job->code) : NULL);
	json_object_object_add(result, "function", job->function ? json_object_new_string(job->function) : NULL);
	if (job->data)
	{
		json_object *data = aml_pg_parse_json(job->data, strlen(job->data));

		json_object_object_add(result, "data", json_object_get(data));
	}
	else
		json_object_object_add(result, "data", NULL);
	json_object_object_add(result, "error", job->error ? json_object_new_string(job->error) : NULL);
	if (q != NULL)
		json_object_object_add(result, "query", json_object_get(q));
	return result;
}

Datum
automl_mining(PG_FUNCTION_ARGS)
{
	bool		strict = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	MiningJob	job;
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
	aml_woken_run_guarded(&job, aml_woken_run_mining, q, strict);
	aml_woken_write_job_result(&job);
	result = aml_woken_query_result(&job, q);
	(void) aml_woken_cache_put(&job, q, result);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(result))));
}
