/*
 * woken_experiment.c — automl_experiment(query jsonb, strict): a Woken
 * ExperimentQuery, and the k-fold validation of its predictive algorithms.
 *
 * Each algorithm of the query runs as a mining job (woken_mining.c) on the
 * same rows (trainingDatasets as the datasets); a predictive one is trained
 * on all rows for the final model and validated the way Woken does it
 * (KFoldFeaturesSplitter): setseed(0.67), a random() per row, folds
 * ntile(k) over that order in a temporary table; per fold a model is fitted
 * on the other folds (automl_fit with a filter on the fold), its predictions
 * on the fold (in random() order) are scored with Woken's score documents
 * (src/ml/metrics.c), and "average" is the score of the pooled predictions,
 * not the mean of the fold scores.  The fold models are deleted afterwards.
 * The result is one QueryResult of type
 * application/vnd.hbp.mip.experiment.pfa+json whose data is an array of
 * per-algorithm results, and one woken.job_result row.  With nodes, every
 * algorithm runs as automl_mining(..., nodes) does, and a predictive one is
 * validated over the nodes (src/federation/fed_experiment.c).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "core/json.h"
#include "core/memory.h"
#include "ml/metrics.h"
#include "ml/woken_scores.h"
#include "pg/core_bridge.h"
#include "pg/woken.h"
#include "pg/woken_job.h"

PG_FUNCTION_INFO_V1(automl_experiment);

static bool experiment_strict;

/* The Avro type of the PFA's "validations" cell: Woken's entries, their JSON parts as text. */
static const char validation_type[] =
"{\"type\": \"array\", \"items\": {\"type\": \"record\", \"name\": \"Validation\", \"fields\": ["
"{\"name\": \"code\", \"type\": \"string\"}, {\"name\": \"node\", \"type\": \"string\"}, "
"{\"name\": \"validationSpec\", \"type\": \"string\"}, {\"name\": \"data\", \"type\": \"string\"}]}}";

/* ---------------------------------------------------------------- validation */

static int
label_index(json_object *classes, const char *label)
{
	for (size_t i = 0; i < json_object_array_length(classes); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(classes, i)), label) == 0)
			return (int) i;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("Cannot find label %s in map %s", label, json_object_to_json_string(classes))));
	return -1;
}

static json_object *
score_doc(AmlTask task, const double *y_true, const double *y_pred, int n, const char *const *labels,
		  int n_labels)
{
	json_object *doc;
	AmlError	err;

	AML_PG_CHECK(aml_woken_score(task, y_true, y_pred, n, labels, n_labels, &doc, &err), &err);
	return aml_pg_json_own(doc);
}

void
aml_woken_cross_validate(AmlWokenJob *job, Oid relid, const char *target, List *features,
						 const char *estimator, const char *params_json, AmlTask task, int64 final_model)
{
	const char *schema = aml_woken_ext_schema();
	int			k = job->kfold;
	char	   *table = psprintf("automl_woken_folds_%s", job->job_id);
	Oid			folds;
	json_object *classes = NULL;
	const char **labels = NULL;
	int			n_labels = 0;
	double	   *all_true;
	double	   *all_pred;
	int			n_all = 0;
	int			n_rows;
	json_object *fold_scores = aml_pg_json_own(json_object_new_object());
	json_object *kfold = aml_pg_json_own(json_object_new_object());
	AmlCoreSession *session;

	for (char *p = table; *p; p++)
		if (*p == '-')
			*p = '_';
	/* the folds, as Woken draws them */
	if (SPI_execute("SELECT pg_catalog.setseed(0.67)", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "setseed failed");
	if (SPI_execute(psprintf("CREATE TEMPORARY TABLE %s AS SELECT s.*, "
							 "pg_catalog.ntile(%d) OVER (ORDER BY s._rnd) AS _win_kfold "
							 "FROM (SELECT v.*, pg_catalog.random() AS _rnd FROM %s v) s",
							 quote_identifier(table), k,
							 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
														get_rel_name(relid))),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "creating the folds failed");
	folds = RangeVarGetRelid(makeRangeVar("pg_temp", table, -1), NoLock, false);
	n_rows = (int) aml_woken_spi_int8(psprintf("SELECT pg_catalog.count(*) FROM %s", quote_identifier(table)), 0, NULL, NULL, NULL);
	if (n_rows < k)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%d rows cannot be split into %d folds", n_rows, k)));

	if (task == AML_TASK_CLASSIFICATION)
	{
		Oid			t[1] = {INT8OID};
		Datum		v[1] = {Int64GetDatum(final_model)};
		bool		isnull;

		if (SPI_execute_with_args("SELECT classes::pg_catalog.text FROM automl.models "
								  "WHERE id OPERATOR(pg_catalog.=) $1", 1, t, v, NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "reading the classes of model " INT64_FORMAT " failed", final_model);
		char	   *ctext = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
															   &isnull));

		classes = aml_pg_parse_json(ctext, strlen(ctext));
		n_labels = (int) json_object_array_length(classes);
		labels = palloc(sizeof(char *) * Max(n_labels, 1));
		for (int i = 0; i < n_labels; i++)
			labels[i] = json_object_get_string(json_object_array_get_idx(classes, i));
	}
	all_true = palloc(sizeof(double) * n_rows);
	all_pred = palloc(sizeof(double) * n_rows);

	session = aml_core_session_begin("automl_experiment scores");
	for (int f = 1; f <= k; f++)
	{
		Oid			fit_types[6] = {OIDOID, NAMEOID, TEXTOID, JSONBOID, NAMEARRAYOID, JSONBOID};
		Datum		fit_values[6];
		Oid			pred_types[2] = {INT8OID, INT4OID};
		Datum		pred_values[2];
		int64		model;
		int			ret;
		int			start = n_all;
		char		key[16];

		CHECK_FOR_INTERRUPTS();
		fit_values[0] = ObjectIdGetDatum(folds);
		fit_values[1] = DirectFunctionCall1(namein, CStringGetDatum(target));
		fit_values[2] = CStringGetTextDatum(estimator);
		fit_values[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(params_json));
		fit_values[4] = aml_woken_names_array(features);
		fit_values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(
			psprintf("{\"field\": \"_win_kfold\", \"operator\": \"not_equal\", \"value\": %d}", f)));
		model = aml_woken_spi_int8(psprintf("SELECT %s.automl_fit($1::pg_catalog.regclass, $2, $3, $4, $5, '%s', "
										 "42, NULL, $6)", schema, aml_task_name(task)),
								6, fit_types, fit_values, NULL);
		pred_values[0] = Int64GetDatum(model);
		pred_values[1] = Int32GetDatum(f);
		ret = SPI_execute_with_args(
			task == AML_TASK_REGRESSION
			? psprintf("SELECT %s.automl_predict_value($1, t)::pg_catalog.text, t.%s::pg_catalog.float8::pg_catalog.text "
					   "FROM %s t WHERE t._win_kfold OPERATOR(pg_catalog.=) $2 ORDER BY t._rnd",
					   schema, quote_identifier(target), quote_identifier(table))
			: psprintf("SELECT %s.automl_predict($1, t), t.%s::pg_catalog.text "
					   "FROM %s t WHERE t._win_kfold OPERATOR(pg_catalog.=) $2 ORDER BY t._rnd",
					   schema, quote_identifier(target), quote_identifier(table)),
			2, pred_types, pred_values, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "predicting fold %d failed: %s", f, SPI_result_code_string(ret));
		for (uint64 r = 0; r < SPI_processed && n_all < n_rows; r++)
		{
			char	   *pred = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
			char	   *truth = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);

			if (pred == NULL || truth == NULL)
				elog(ERROR, "a NULL prediction or target in fold %d", f);
			if (task == AML_TASK_REGRESSION)
			{
				all_pred[n_all] = float8in_internal(pred, NULL, "double precision", pred);
				all_true[n_all] = float8in_internal(truth, NULL, "double precision", truth);
			}
			else
			{
				all_pred[n_all] = label_index(classes, pred);
				all_true[n_all] = label_index(classes, truth);
			}
			n_all++;
		}
		snprintf(key, sizeof(key), "%d", f);
		json_object_object_add(fold_scores, key,
							   json_object_get(score_doc(task, all_true + start, all_pred + start, n_all - start,
														 labels, n_labels)));
		/* the fold's model has served */
		if (SPI_execute_with_args("DELETE FROM automl.models WHERE id OPERATOR(pg_catalog.=) $1",
								  1, pred_types, pred_values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "deleting the model of fold %d failed", f);
	}
	json_object_object_add(kfold, "type", json_object_new_string("KFoldCrossValidationScore"));
	json_object_object_add(kfold, "average",
						   json_object_get(score_doc(task, all_true, all_pred, n_all, labels, n_labels)));
	json_object_object_add(kfold, "folds", json_object_get(fold_scores));
	aml_core_session_end(session);
	if (SPI_execute(psprintf("DROP TABLE %s", quote_identifier(table)), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "dropping the folds failed");
	aml_woken_add_validation(job, k, kfold);
}

void
aml_woken_add_validation(AmlWokenJob *job, int k, json_object *kfold)
{
	/* Woken's validations entry, in the PFA's "validations" cell (JSON text in an Avro record) */
	{
		json_object *spec = aml_pg_json_own(json_object_new_object());
		json_object *sparams = json_object_new_array();
		json_object *kp = json_object_new_object();
		json_object *entry = aml_pg_json_own(json_object_new_object());
		json_object *data = aml_pg_parse_json(job->data, strlen(job->data));

		json_object_object_add(kp, "code", json_object_new_string("k"));
		json_object_object_add(kp, "value", json_object_new_string(psprintf("%d", k)));
		json_object_array_add(sparams, kp);
		json_object_object_add(spec, "code", json_object_new_string("kfold"));
		json_object_object_add(spec, "parameters", sparams);
		json_object_object_add(entry, "code", json_object_new_string("kfold"));
		json_object_object_add(entry, "node", json_object_new_string(job->node));
		json_object_object_add(entry, "validationSpec", json_object_get(spec));
		json_object_object_add(entry, "data", json_object_get(kfold));
		if (strcmp(job->shape, "application/pfa+json") == 0)
		{
			json_object *cells;
			json_object *cell = json_object_new_object();
			json_object *init = json_object_new_array();
			json_object *rec = json_object_new_object();

			json_object_object_add(rec, "code", json_object_new_string("kfold"));
			json_object_object_add(rec, "node", json_object_new_string(job->node));
			json_object_object_add(rec, "validationSpec", json_object_new_string(aml_json_text(spec)));
			json_object_object_add(rec, "data", json_object_new_string(aml_json_text(kfold)));
			json_object_array_add(init, rec);
			json_object_object_add(cell, "type", aml_pg_parse_json(validation_type, strlen(validation_type)));
			json_object_get(json_object_object_get(cell, "type"));
			json_object_object_add(cell, "init", init);
			if (json_object_object_get_ex(data, "cells", &cells))
				json_object_object_add(cells, "validations", cell);
			else
				json_object_put(cell);
		}
		else
		{
			json_object *arr = json_object_new_array();

			json_object_array_add(arr, json_object_get(entry));
			json_object_object_add(data, "validations", arr);
		}
		job->data = MemoryContextStrdup(job->cxt, aml_json_text(data));
		/* the structured score, for readers of the QueryResult */
		json_object_object_add(job->parameters, "validations", json_object_get(entry));
	}
}

/* ---------------------------------------------------------------- the experiment */

/*
 * What Woken validates before an experiment runs (QueryToJobService): the
 * table, the variables (and the covariables when covariablesMustExist)
 * exist.  These errors are the experiment's, not one per algorithm.
 */
static void
check_header(AmlWokenJob *job, json_object *q)
{
	char	   *table;
	Oid			relid = aml_woken_target_table(q, &table);
	List	   *variables = aml_woken_codes_of(q, "variables");
	json_object *v;

	if (variables == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("No variable defined"),
				 errhint("Give \"variables\": [{\"code\": \"<target>\"}].")));
	aml_woken_check_exist(variables, relid, job->node, table, "Variables");
	aml_woken_check_exist(aml_woken_codes_of(q, "grouping"), relid, job->node, table, "Grouping variables");
	if (json_object_object_get_ex(q, "covariablesMustExist", &v) && json_object_get_boolean(v))
		aml_woken_check_exist(aml_woken_codes_of(q, "covariables"), relid, job->node, table,
							  "Covariables (covariablesMustExist is true)");
}

static void
run_experiment(AmlWokenJob *job, json_object *q)
{
	json_object *algorithms;
	json_object *validations;
	json_object *items = aml_pg_json_own(json_object_new_array());
	json_object *codes = json_object_new_array();
	int			k = 0;
	bool		predictive = false;

	if (!json_object_is_type(q, json_type_object))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an ExperimentQuery must be a JSON object")));
	if (!json_object_object_get_ex(q, "algorithms", &algorithms) ||
		!json_object_is_type(algorithms, json_type_array) || json_object_array_length(algorithms) == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("No algorithm defined")));
	for (size_t i = 0; i < json_object_array_length(algorithms); i++)
	{
		json_object *a = json_object_array_get_idx(algorithms, i);
		json_object *c;
		const AmlWokenAlgorithm *alg;

		if (!json_object_is_type(a, json_type_object) || !json_object_object_get_ex(a, "code", &c) ||
			!json_object_is_type(c, json_type_string))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithms must be an array of {\"code\": ..., \"parameters\": [...]}")));
		alg = aml_woken_algorithm_find(json_object_get_string(c));
		if (alg != NULL && alg->kind == AML_WOKEN_ESTIMATOR)
			predictive = true;
		json_object_array_add(codes, json_object_get(c));
	}
	json_object_object_add(job->parameters, "algorithms", codes);
	if (json_object_object_get_ex(q, "validations", &validations) &&
		!json_object_is_type(validations, json_type_null))
	{
		if (!json_object_is_type(validations, json_type_array))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("validations must be an array of {\"code\": \"kfold\", \"parameters\": [...]}")));
		for (size_t i = 0; i < json_object_array_length(validations); i++)
		{
			json_object *v = json_object_array_get_idx(validations, i);
			json_object *c;
			const char *kv;
			const char *ks;
			char	   *end;
			long		kl;

			if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, "code", &c))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("validations must be an array of {\"code\": \"kfold\", \"parameters\": [...]}")));
			if (strcmp(json_object_get_string(c), "kfold") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("Validation %s is not handled", json_object_get_string(c)),
						 errhint("Use {\"code\": \"kfold\", \"parameters\": [{\"code\": \"k\", \"value\": \"5\"}]}.")));
			kv = aml_woken_param_value(json_object_object_get(v, "parameters"), "k");
			ks = kv ? kv : "";
			errno = 0;
			kl = strtol(ks, &end, 10);
			if (kv == NULL || *ks == '\0' || *end != '\0' || errno != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("parameter k of validation kfold must be an integer"),
						 errdetail("The value given is \"%s\".", ks)));
			if (predictive && kl < 2)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("When a predictive algorithm is used with cross validation, parameter k must be 2 or more")));
			if (kl > 1000)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("parameter k of validation kfold must be at most 1000")));
			k = (int) kl;
		}
	}

	check_header(job, q);

	for (size_t i = 0; i < json_object_array_length(algorithms); i++)
	{
		json_object *alg = json_object_array_get_idx(algorithms, i);
		json_object *mq = aml_pg_json_own(json_object_new_object());
		json_object *item;
		json_object *training;
		AmlWokenJob sub;

		CHECK_FOR_INTERRUPTS();
		/* the MiningQuery of this algorithm: the experiment's header, trainingDatasets as datasets */
		json_object_object_foreach(q, key, val)
		{
			if (strcmp(key, "algorithms") == 0 || strcmp(key, "validations") == 0 ||
				strcmp(key, "datasets") == 0)
				continue;
			json_object_object_add(mq, key, json_object_get(val));
		}
		if (json_object_object_get_ex(q, "trainingDatasets", &training))
			json_object_object_add(mq, "datasets", json_object_get(training));
		else if (json_object_object_get_ex(q, "datasets", &training))
			json_object_object_add(mq, "datasets", json_object_get(training));
		json_object_object_add(mq, "algorithm", json_object_get(alg));

		aml_woken_job_init(&sub, NULL);
		sub.cxt = job->cxt;
		/* over nodes (src/federation/fed_experiment.c): each algorithm as automl_mining over them */
		sub.fed_nodes = job->fed_nodes;
		sub.fed_strict = job->fed_strict;
		sub.job_id = job->job_id;	/* the models it makes belong to the experiment's row */
		sub.kfold = k;
		aml_woken_run_guarded(&sub, aml_woken_run_mining, mq, experiment_strict);
		item = aml_woken_query_result(&sub, NULL);
		json_object_object_add(item, "algorithmSpec", json_object_get(alg));
		{
			json_object *v;

			if (json_object_object_get_ex(sub.parameters, "validations", &v))
			{
				json_object *arr = json_object_new_array();

				json_object_array_add(arr, json_object_get(v));
				json_object_object_add(item, "validations", arr);
			}
		}
		json_object_array_add(items, json_object_get(item));
	}
	job->data = MemoryContextStrdup(job->cxt, aml_json_text(items));
	job->shape = "application/vnd.hbp.mip.experiment.pfa+json";
	job->function = "automl_experiment";
}

Datum
automl_experiment(PG_FUNCTION_ARGS)
{
	bool		strict = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	AmlWokenJob job;
	json_object *q;
	char	   *text;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL")));
	aml_woken_set_schema(fcinfo->flinfo->fn_oid);
	text = JsonbToCString(NULL, &PG_GETARG_JSONB_P(0)->root, VARSIZE(PG_GETARG_JSONB_P(0)));
	q = aml_pg_parse_json(text, strlen(text));
	experiment_strict = strict;

	aml_woken_job_init(&job, "experiment");
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		job.fed_nodes = PG_GETARG_ARRAYTYPE_P_COPY(2);
		job.fed_strict = strict;
	}
	aml_woken_run_guarded(&job, run_experiment, q, strict);
	aml_woken_write_job_result(&job);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(aml_json_text(aml_woken_query_result(&job, q)))));
}

void
aml_woken_experiment_job(const char *job_id, const char *node, const char *query_text, bool strict,
						 Oid ext_namespace, ArrayType *nodes)
{
	AmlWokenJob job;
	json_object *q;

	aml_woken_set_schema_namespace(ext_namespace);
	q = aml_pg_parse_json(query_text, strlen(query_text));
	experiment_strict = strict;
	aml_woken_job_init(&job, "experiment");
	job.job_id = job_id;
	job.node = node;
	if (nodes != NULL)
	{
		/* over federation nodes, as automl_experiment(query, strict, nodes) */
		job.fed_nodes = nodes;
		job.fed_strict = strict;
	}
	/* the experiment's own errors are raised: they are the job's */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_experiment(&job, q);
	SPI_finish();
	aml_woken_write_job_result(&job);
}
