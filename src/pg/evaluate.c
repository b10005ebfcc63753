/*
 * evaluate.c — automl_evaluate(model, relation, filter): a stored model
 * scored on any labelled relation the caller can read (columns matched by
 * name; only the rows that pass filter, a query-builder JSON compiled by
 * pg/filter.c, when given), as
 * one jsonb document with every metric of the task, the confusion matrix,
 * per-class report, ROC / precision-recall / reliability curves and the
 * Brier score, or the residual summary (src/ml/evaluation_curves.h).
 *
 * Rows whose target is NULL are left out; rows whose label the model never
 * saw cannot be scored by the curves and are left out too, and reported:
 * "unseen_labels": {"rows": n, "labels": [...]}.
 *
 * A model whose probabilities are calibrated (automl_train's calibrator, of
 * a method other than "none") is also scored before its calibration, so that
 * what the calibration gives on these rows shows:
 * "calibration": {"method", "log_loss_before", "brier_before"} next to the
 * report's own (calibrated) "log_loss" and "brier".
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "core/json.h"
#include "ml/calibration.h"
#include "ml/evaluation.h"
#include "ml/evaluation_curves.h"
#include "pg/core_bridge.h"
#include "pg/explain_support.h"
#include "pg/model_cache.h"

PG_FUNCTION_INFO_V1(automl_evaluate);

/* A rows x outputs matrix of predictions, or out of memory raised. */
static AmlMatrix *
new_predictions(int rows, int outputs)
{
	AmlMatrix  *pred = aml_matrix_new(rows, outputs);

	if (pred == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("the predictions do not fit in the memory budget"),
				 errhint("Raise automl.max_memory.")));
	return pred;
}

/* The scores of the probabilities before calibration (NULL: not calibrated). */
static json_object *
before_calibration(const AmlModel *m, const AmlMatrix *raw, const double *y, int n_classes)
{
	const AmlMetric *log_loss = aml_metric_find("log_loss");
	AmlMatrix  *pred;
	json_object *obj;
	double		score;
	AmlError	err;

	if (!m->probabilistic || !aml_model_is_calibrated(m) || log_loss == NULL)
		return NULL;
	pred = new_predictions(raw->rows, m->outputs);
	if (aml_model_predict_uncalibrated(m, raw, pred, &err) != AML_OK)
		aml_pg_raise(&err);
	obj = aml_pg_json_own(json_object_new_object());
	json_object_object_add(obj, "method",
						   json_object_new_string(m->calibration != NULL && m->calibration->method != AML_CALIBRATION_NONE
												  ? aml_calibration_method_name(m->calibration->method)
												  : "per group of the ensemble"));
	if (aml_metric_score(log_loss, y, pred, n_classes, &score, &err) == AML_OK && isfinite(score))
		json_object_object_add(obj, "log_loss_before", aml_json_new_double(score));
	json_object_object_add(obj, "brier_before", aml_json_new_double(aml_brier_score(y, pred, n_classes)));
	aml_matrix_free(pred);
	return obj;
}

Datum
automl_evaluate(PG_FUNCTION_ARGS)
{
	int64		model_id;
	Oid			relid;
	ModelEntry *entry;
	const AmlModel *m;
	const AmlSchema *schema;
	bool		classification;
	AmlCoreSession *session;
	AmlWhere   *where;
	AmlModelRows *rows;
	int			K;
	const char **labels;
	AmlMatrix  *raw;
	double	   *y;
	int			n;
	AmlMatrix  *pred;
	json_object *report;
	json_object *unseen = NULL;
	AmlError	err;
	char	   *text;
	Datum		result;

	/* strict in model and relation; the filter may be NULL (every row) */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	model_id = PG_GETARG_INT64(0);
	relid = PG_GETARG_OID(1);
	entry = aml_model_cache_lookup(model_id);
	m = entry->model;
	schema = m->schema;
	classification = schema->task == AML_TASK_CLASSIFICATION;
	where = aml_filter_compile(AML_FILTER_ARG(fcinfo, 2), relid, 1);
	session = aml_core_session_begin("automl_evaluate");
	rows = aml_model_rows_load(entry, model_id, relid, true, where, 0);
	K = classification ? schema->classes->count : 0;
	labels = palloc(sizeof(char *) * Max(K, 1));
	raw = rows->raw;
	y = rows->y;
	n = rows->n;
	for (int c = 0; c < K; c++)
		labels[c] = aml_dict_string(schema->classes, c);
	if (classification && rows->unseen > 0)
	{
		/* left out of the scores, reported */
		int			kept = 0;
		json_object *names = json_object_new_array();

		for (int i = 0; i < n; i++)
		{
			if (y[i] < 0)
			{
				bool		dup = false;

				for (size_t j = 0; j < json_object_array_length(names) && !dup; j++)
					dup = strcmp(json_object_get_string(json_object_array_get_idx(names, j)),
								 rows->y_label[i]) == 0;
				if (!dup && json_object_array_length(names) < 100)
					json_object_array_add(names, json_object_new_string(rows->y_label[i]));
				continue;
			}
			for (int k = 0; k < raw->cols; k++)
				raw->data[(size_t) k * n + kept] = raw->data[(size_t) k * n + i];
			y[kept++] = y[i];
		}
		/* repack the column-major matrix to `kept` rows */
		for (int k = 1; k < raw->cols; k++)
			memmove(raw->data + (size_t) k * kept, raw->data + (size_t) k * n, sizeof(double) * kept);
		raw->rows = kept;
		n = kept;
		unseen = json_object_new_object();
		json_object_object_add(unseen, "rows", json_object_new_int64(rows->unseen));
		json_object_object_add(unseen, "labels", names);
		aml_pg_json_release_with_context(unseen);
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("relation %s has no rows to evaluate model " INT64_FORMAT " on",
						get_rel_name(relid), model_id),
				 rows->unseen > 0 ? errdetail("Every row has a label the model never saw.") : 0));
	pred = new_predictions(n, m->outputs);
	if (aml_model_predict(m, raw, pred, &err) != AML_OK)
		aml_pg_raise(&err);
	CHECK_FOR_INTERRUPTS();
	/* labels as automl_predict decides them (a calibrator's threshold or class weights) */
	if (aml_evaluation_full_report_decided(schema->task, y, pred, K, m->probabilistic, m->calibration,
										   labels, &report, &err) != AML_OK)
		aml_pg_raise(&err);
	aml_pg_json_release_with_context(report);
	json_object_object_add(report, "model_id", json_object_new_int64(model_id));
	json_object_object_add(report, "relation", json_object_new_string(get_rel_name(relid)));
	if (rows->null_target > 0)
		json_object_object_add(report, "null_target_rows", json_object_new_int64(rows->null_target));
	if (unseen != NULL)
		json_object_object_add(report, "unseen_labels", json_object_get(unseen));
	if (classification)
	{
		json_object *before = before_calibration(m, raw, y, K);

		if (before != NULL)
			json_object_object_add(report, "calibration", json_object_get(before));
	}
	text = pstrdup(aml_json_text(report));
	aml_core_session_end(session);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
	PG_RETURN_DATUM(result);
}
