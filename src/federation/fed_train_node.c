/*
 * fed_train_node.c — the node side of cross-site AutoML (fed_train.h).
 *
 * automl.node_train(relation, target, time_budget, metric, seed) runs
 * automl_train on this node's rows as the calling role (the centre's user
 * mapping), in the call itself: a job (automl_submit) is not an option here,
 * because the job worker only sees the job's row once the calling
 * transaction commits, and the centre's call is one transaction; the
 * node's automl.node_timeout-bound round waits for it instead.  The model
 * stays stored on the node too (automl.models / automl.runs, owned by the
 * caller), and its JSON is the answer.
 *
 * What leaves the node is a fitted model, an aggregate — but some
 * estimators and steps keep training rows or single row values: k-NN keeps
 * every row; min-max, max-abs and robust scaling keep minima, maxima and
 * quantiles; median and most-frequent imputation keep one row's value;
 * multinomial naive Bayes needs min-max scaling.  node_space() leaves them
 * out of the search, and trees get min_samples_leaf >= automl.min_group_size
 * (forests without bootstrap, so a leaf holds that many distinct rows).
 * Not covered (README): a tree threshold is the midpoint of two adjacent
 * training values of a feature, and a categorical input's categories and
 * the classes are listed in the model whatever their counts.
 *
 * automl.node_score(relation, target, models, metric) scores each model of
 * a JSON array on this node's rows (rows with a NULL target left out; for
 * classification, rows whose label a model does not know left out of that
 * model's score, as automl_evaluate does) and answers only the scores and
 * the number of rows, nothing when fewer than automl.min_group_size rows.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_train.h"
#include "ml/metrics.h"
#include "ml/model.h"
#include "pg/core_bridge.h"
#include "pg/explain_support.h"
#include "pg/model_cache.h"

PG_FUNCTION_INFO_V1(automl_node_train);
PG_FUNCTION_INFO_V1(automl_node_score);

#define EQ " OPERATOR(pg_catalog.=) "
#define MAX_SCORED_MODELS 64

char *
aml_fed_node_space(void)
{
	int			m = Max(aml_fed_min_group_size, 1);
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"estimators\": {\"logistic_regression\": {}, \"gaussian_nb\": {}, "
						   "\"bernoulli_nb\": {}, \"linear_regression\": {}, \"ridge\": {}, "
						   "\"lasso\": {}, \"elastic_net\": {}, ");
	appendStringInfo(&s, "\"decision_tree\": {\"min_samples_leaf\": [%d, %d]}, ", m, Max(m, 50));
	appendStringInfo(&s, "\"random_forest\": {\"min_samples_leaf\": [%d, %d], \"bootstrap\": false}, ",
					 m, Max(m, 20));
	appendStringInfo(&s, "\"extra_trees\": {\"min_samples_leaf\": [%d, %d], \"bootstrap\": false}, ",
					 m, Max(m, 20));
	appendStringInfo(&s, "\"gradient_boosting\": {\"min_samples_leaf\": [%d, %d]}}, ",
					 Max(m, 2), Max(m, 100));
	appendStringInfoString(&s, "\"preprocessing\": {\"simple_imputer\": {\"strategy\": \"mean\"}, "
						   "\"standard_scaler\": {}, \"normalizer\": {}, \"variance_threshold\": {}, "
						   "\"select_percentile\": {}, \"select_fwe\": {}, \"pca\": {}}}");
	return s.data;
}

/* The schema of the automl extension (where automl_train is). */
static const char *
extension_schema(void)
{
	bool		isnull;
	Datum		nsp;

	if (SPI_execute("SELECT e.extnamespace FROM pg_catalog.pg_extension e WHERE e.extname" EQ "'automl'",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the automl extension is not installed")));
	nsp = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return quote_identifier(get_namespace_name(DatumGetObjectId(nsp)));
}

char *
aml_fed_node_train_json(Oid relid, const char *target, double budget_seconds, const char *metric,
						int32 seed, int64 *rows, const char **suppressed)
{
	MemoryContext outer = CurrentMemoryContext;
	StringInfoData sql;
	Oid			types[6] = {REGCLASSOID, NAMEOID, TEXTOID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[6];
	bool		isnull;
	int64		model_id;
	double		cv_score;
	char	   *metric_used;
	char	   *task;
	char	   *model;
	StringInfoData out;
	char	   *budget_text;

	*suppressed = NULL;
	*rows = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the rows it would learn from (NULL targets are left out by automl_train too) */
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT pg_catalog.count(*) FROM %s WHERE %s IS NOT NULL",
					 aml_fed_relation_name(relid), quote_identifier(target));
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "counting the rows failed");
	*rows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if ((*suppressed = aml_fed_group_check(*rows, "the node's rows")) != NULL)
	{
		SPI_finish();
		return aml_fed_suppressed_json(*suppressed);
	}
	budget_text = psprintf("%.3f seconds", budget_seconds);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(target));
	values[2] = CStringGetTextDatum(budget_text);
	values[3] = CStringGetTextDatum(metric);
	values[4] = Int32GetDatum(seed);
	values[5] = CStringGetTextDatum(aml_fed_node_space());
	resetStringInfo(&sql);
	appendStringInfo(&sql, "SELECT r.model_id, r.cv_score, r.metric"
					 " FROM %s.automl_train(relation => $1, target => $2,"
					 " time_budget => $3::pg_catalog.interval, metric => $4, seed => $5,"
					 " search_space => $6, threshold => 'none') r",
					 extension_schema());
	if (SPI_execute_with_args(sql.data, 6, types, values, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("automl_train stored no model on this node")));
	model_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	cv_score = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull)
		cv_score = NAN;
	metric_used = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
	/* the stored model, in a new snapshot (the statement above could not see it) */
	values[0] = Int64GetDatum(model_id);
	types[0] = INT8OID;
	if (SPI_execute_with_args("SELECT m.task, m.pipeline::pg_catalog.text FROM automl.models m"
							  " WHERE m.id" EQ "$1", 1, types, values, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("automl_train stored no model on this node")));
	task = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	model = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	SPI_finish();

	initStringInfo(&out);
	appendStringInfo(&out, "{\"rows\": " INT64_FORMAT ", \"task\": ", *rows);
	aml_fed_json_string(&out, task);
	appendStringInfoString(&out, ", \"metric\": ");
	aml_fed_json_string(&out, metric_used);
	appendStringInfoString(&out, ", \"cv_score\": ");
	aml_fed_json_double(&out, cv_score);
	appendStringInfo(&out, ", \"model_id\": " INT64_FORMAT ", \"model\": %s}", model_id, model);
	return out.data;
}

/* One model's score on the loaded rows (rows with an unknown label left out). */
static double
score_model(const AmlModel *m, Oid relid, const char *metric_name, int64 *n_rows)
{
	ModelEntry	entry;
	AmlModelRows *rows;
	const AmlMetric *metric;
	AmlMatrix  *pred;
	AmlError	err;
	double		score;
	int			kept = 0;
	bool		classification = m->schema->task == AML_TASK_CLASSIFICATION;

	/* rows read as automl_evaluate reads them (columns by name, caller's rights) */
	memset(&entry, 0, sizeof(entry));
	entry.model = (AmlModel *) m;
	rows = aml_model_rows_load(&entry, 0, relid, true, NULL, 0);
	*n_rows = rows->n;
	if (classification)
	{
		AmlMatrix  *raw = rows->raw;
		int			n = rows->n;

		for (int i = 0; i < n; i++)
		{
			if (rows->y[i] < 0)
				continue;
			for (int k = 0; k < raw->cols; k++)
				raw->data[(size_t) k * n + kept] = raw->data[(size_t) k * n + i];
			rows->y[kept++] = rows->y[i];
		}
		for (int k = 1; k < raw->cols; k++)
			memmove(raw->data + (size_t) k * kept, raw->data + (size_t) k * n, sizeof(double) * kept);
		raw->rows = kept;
	}
	else
		kept = rows->n;
	if (kept == 0)
		return NAN;
	AML_PG_CHECK(aml_metric_lookup(metric_name, m->schema->task, &metric, &err), &err);
	pred = aml_matrix_new(kept, m->outputs);
	if (pred == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("the predictions do not fit in the memory budget")));
	AML_PG_CHECK(aml_model_predict(m, rows->raw, pred, &err), &err);
	if (aml_metric_score(metric, rows->y, pred, classification ? m->outputs : 0, &score, &err) != AML_OK)
		score = NAN;			/* e.g. one class only for ROC AUC: no score */
	aml_matrix_free(pred);
	return score;
}

char *
aml_fed_node_score_json(Oid relid, const char *target, json_object *models, const char *metric,
						int64 *rows, const char **suppressed)
{
	int			k = aml_fed_is_array(models, -1) ? (int) json_object_array_length(models) : -1;
	StringInfoData out;
	int64		n = -1;

	*suppressed = NULL;
	*rows = 0;
	if (k < 1 || k > MAX_SCORED_MODELS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("models must be a JSON array of 1 to %d models", MAX_SCORED_MODELS)));
	initStringInfo(&out);
	appendStringInfoString(&out, "\"scores\": [");
	for (int i = 0; i < k; i++)
	{
		json_object *mj = json_object_array_get_idx(models, i);
		AmlModel   *m = NULL;
		AmlError	err;
		int64		n_i;
		double		s;

		CHECK_FOR_INTERRUPTS();
		if (mj == NULL || !json_object_is_type(mj, json_type_object))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %d of models is not a JSON object", i + 1)));
		if (aml_model_from_json(mj, &m, &err) != AML_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %d of models cannot be loaded: %s", i + 1, err.message)));
		if (m->schema->target == NULL || strcmp(m->schema->target, target) != 0 ||
			m->schema->task == AML_TASK_CLUSTERING)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %d of models does not predict \"%s\"", i + 1, target)));
		s = score_model(m, relid, metric, &n_i);
		aml_model_free(m);
		if (n < 0)
			n = n_i;
		appendStringInfoString(&out, i ? ", " : "");
		aml_fed_json_double(&out, s);
	}
	appendStringInfoChar(&out, ']');
	*rows = n;
	if ((*suppressed = aml_fed_group_check(n, "the node's rows")) != NULL)
		return aml_fed_suppressed_json(*suppressed);
	return psprintf("{\"rows\": " INT64_FORMAT ", %s}", n, out.data);
}

static double
interval_seconds(Interval *iv)
{
	return iv->time / 1e6 + iv->day * 86400.0 + iv->month * (30.0 * 86400.0);
}

/* automl.node_train(relation regclass, target name, time_budget interval, metric text, seed int) */
Datum
automl_node_train(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_train";
	Oid			relid;
	char	   *target;
	double		budget;
	char	   *metric;
	int32		seed;
	int64		rows;
	const char *suppressed;
	char	   *out;
	StringInfoData extra;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 5);
	relid = PG_GETARG_OID(0);
	target = NameStr(*PG_GETARG_NAME(1));
	budget = interval_seconds(PG_GETARG_INTERVAL_P(2));
	metric = text_to_cstring(PG_GETARG_TEXT_PP(3));
	seed = PG_GETARG_INT32(4);
	if (!(budget >= 1 && budget <= 86400))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_budget must be between 1 second and 1 day")));
	out = aml_fed_node_train_json(relid, target, budget, metric, seed, &rows, &suppressed);
	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"target\": ");
	aml_fed_json_string(&extra, target);
	appendStringInfo(&extra, ", \"time_budget_seconds\": %.3f, \"metric\": ", budget);
	aml_fed_json_string(&extra, metric);
	/* what left: a fitted model of that many bytes (not its content) */
	appendStringInfo(&extra, ", \"sent\": \"%s\", \"bytes\": %zu",
					 suppressed ? "suppression" : "fitted model", strlen(out));
	aml_fed_log(what, aml_fed_log_arguments(relid, target, NULL, extra.data), rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* automl.node_score(relation regclass, target name, models text, metric text) */
Datum
automl_node_score(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_score";
	Oid			relid;
	char	   *target;
	char	   *models_text;
	char	   *metric;
	json_object *models;
	int64		rows;
	const char *suppressed;
	char	   *out;
	AmlCoreSession *session;
	StringInfoData extra;
	int			n_models;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 4);
	relid = PG_GETARG_OID(0);
	target = NameStr(*PG_GETARG_NAME(1));
	models_text = text_to_cstring(PG_GETARG_TEXT_PP(2));
	metric = text_to_cstring(PG_GETARG_TEXT_PP(3));
	session = aml_core_session_begin(what);
	models = aml_pg_parse_json(models_text, strlen(models_text));
	n_models = aml_fed_is_array(models, -1) ? (int) json_object_array_length(models) : 0;
	out = aml_fed_node_score_json(relid, target, models, metric, &rows, &suppressed);
	aml_core_session_end(session);
	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"target\": ");
	aml_fed_json_string(&extra, target);
	appendStringInfoString(&extra, ", \"metric\": ");
	aml_fed_json_string(&extra, metric);
	appendStringInfo(&extra, ", \"models\": %d, \"sent\": \"%s\"", n_models,
					 suppressed ? "suppression" : "scores");
	aml_fed_log(what, aml_fed_log_arguments(relid, target, NULL, extra.data), rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
