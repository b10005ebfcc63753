/*
 * fit.c — automl_fit(relation, target, algorithm, params, features, task,
 * seed, name): one explicit model, no search (the MIP algorithms,
 * PostgresML-style).  The default preprocessing of the algorithm makes any
 * table trainable; metrics come from a stratified 75/25 holdout, then the
 * model is refitted on every row and stored in automl.models.
 *
 * Clustering algorithms (kmeans) take no target (NULL): every row is used,
 * there is no holdout, and the metrics report the training inertia.
 */
#include "postgres.h"

#include "pg/jsonc.h"


#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/cross_validation.h"
#include "ml/evaluation.h"
#include "ml/kmeans.h"
#include "ml/pipeline.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"
#include "pg/filter.h"
#include "pg/model_store.h"
#include "pg/training_data.h"

PG_FUNCTION_INFO_V1(automl_fit);

const AmlEstimatorType *
aml_pg_find_algorithm(const char *algorithm)
{
	const AmlEstimatorType *type = aml_estimator_type_find(algorithm);

	if (type == NULL)
	{
		StringInfoData names;

		initStringInfo(&names);
		for (int i = 0; i < aml_estimator_type_count(); i++)
		{
			const AmlEstimatorType *t = aml_estimator_type_at(i);

			if (t != NULL)
				appendStringInfo(&names, "%s%s", names.len ? ", " : "", t->name);
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errdetail("Valid algorithms are: %s.", names.data)));
	}
	return type;
}

AmlMatrix *
aml_pg_take_rows(const AmlMatrix *m, const int *rows, int n)
{
	AmlMatrix  *r = aml_matrix_take_rows(m, rows, n);
	AmlError	err;

	if (r == NULL)
	{
		aml_error_nomem(&err, "a training subset");
		aml_pg_raise(&err);
	}
	return r;
}

double *
aml_pg_take_values(const double *v, const int *rows, int n)
{
	double	   *r = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	AmlError	err;

	if (r == NULL)
	{
		aml_error_nomem(&err, "a training subset");
		aml_pg_raise(&err);
	}
	for (int i = 0; i < n; i++)
		r[i] = v[rows[i]];
	return r;
}

/* Fit spec on the train rows and evaluate on the test rows: the metrics report. */
static json_object *
holdout_metrics(const AmlTrainingData *data, json_object *spec, AmlRng *rng, double *fit_seconds)
{
	AmlSplit	split;
	AmlError	err;
	AmlPipeline *p;
	AmlMatrix  *train;
	AmlMatrix  *test;
	AmlMatrix  *pred;
	double	   *y_train;
	double	   *y_test;
	json_object *report;
	double		start;

	/* stratified for classification (y given), plain for regression */
	if (aml_train_test_split(data->n_rows, 0.25,
							 data->schema.task == AML_TASK_CLASSIFICATION ? data->y : NULL,
							 data->n_classes, rng, &split, &err) != AML_OK)
	{
		ereport(NOTICE,
				(errmsg("holdout metrics are not computed: %s", err.message),
				 err.hint[0] ? errhint("%s", err.hint) : 0));
		return NULL;
	}
	train = aml_pg_take_rows(data->raw, split.train, split.n_train);
	test = aml_pg_take_rows(data->raw, split.test, split.n_test);
	y_train = aml_pg_take_values(data->y, split.train, split.n_train);
	y_test = aml_pg_take_values(data->y, split.test, split.n_test);
	AML_PG_CHECK(aml_pipeline_create(&data->schema, spec, &p, &err), &err);
	start = aml_clock();
	p->skip_explain_info = true;	/* scored on the holdout, then thrown away */
	AML_PG_CHECK(aml_pipeline_fit(p, train, y_train, rng, &err), &err);
	*fit_seconds = aml_clock() - start;
	AML_PG_CHECK(aml_matrix_create(test->rows, aml_pipeline_outputs(p), &pred, &err), &err);
	AML_PG_CHECK(aml_pipeline_predict(p, test, pred, &err), &err);
	report = aml_pg_json_own(aml_evaluation_report(data->schema.task, y_test, pred, data->n_classes,
												   p->estimator->type->probabilistic));
	json_object_object_add(report, "train_rows", json_object_new_int(split.n_train));
	aml_pipeline_free(p);
	aml_matrix_free(pred);
	aml_matrix_free(train);
	aml_matrix_free(test);
	aml_free(y_train);
	aml_free(y_test);
	aml_split_free(&split);
	return report;
}

/* Does the algorithm of this name cluster (no target)?  Unknown names: no. */
static bool
clustering_algorithm(const char *algorithm)
{
	const AmlEstimatorType *type = aml_estimator_type_find(algorithm);

	return type != NULL && type->tasks == AML_TASK_CLUSTERING;
}

Datum
automl_fit(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *target;
	char	   *algorithm;
	json_object *params = NULL;
	ArrayType  *features = PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4);
	char	   *task = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	int32		seed = PG_ARGISNULL(6) ? 42 : PG_GETARG_INT32(6);
	char	   *name = PG_ARGISNULL(7) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(7));
	const AmlEstimatorType *type;
	AmlCoreSession *session;
	AmlTrainingData *data;
	json_object *spec;
	json_object *metrics;
	AmlPipeline *p;
	AmlRng		rng;
	AmlError	err;
	AmlModelRecord rec;
	double		start;
	double		holdout_fit_seconds = 0;
	char		description[2048];
	int64		id;
	int32		version = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2) ||
		(PG_ARGISNULL(1) && !clustering_algorithm(text_to_cstring(PG_GETARG_TEXT_PP(2)))))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation, target and algorithm must not be NULL")));
	relid = PG_GETARG_OID(0);
	target = PG_ARGISNULL(1) ? NULL : NameStr(*PG_GETARG_NAME(1));
	algorithm = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (name != NULL && (name[0] == '\0' || strlen(name) > 200))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model name must have between 1 and 200 characters")));
	type = aml_pg_find_algorithm(algorithm);
	if (type->tasks == AML_TASK_CLUSTERING)
	{
		if (target != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" is clustering: it takes no target (\"%s\" given)",
							algorithm, target),
					 errhint("Pass NULL as the target; name the columns to cluster on in features.")));
		if (task != NULL && strcmp(task, "auto") != 0 && strcmp(task, "clustering") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithm \"%s\" does clustering, not \"%s\"", algorithm, task),
					 errhint("Leave task as 'auto'.")));
		task = "clustering";
	}
	if (!PG_ARGISNULL(3))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(3);
		char	   *text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

		params = aml_pg_parse_json(text, strlen(text));
	}

	session = aml_core_session_begin("automl_fit");
	data = aml_training_data_load_where(relid, target, features, task, AML_FILTER_ARG(fcinfo, 8), type->tasks);
	if ((type->tasks & (unsigned) data->schema.task) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" does not do %s", algorithm, aml_task_name(data->schema.task)),
				 errdetail("Target \"%s\" makes this a %s task.", target, aml_task_name(data->schema.task)),
				 errhint("Choose an algorithm for %s, or set task explicitly.",
						 aml_task_name(data->schema.task))));
	spec = aml_pg_json_own(aml_pipeline_default_spec(type, params));
	/* hyperparameters are checked here, before any work */
	AML_PG_CHECK(aml_pipeline_create(&data->schema, spec, &p, &err), &err);
	aml_pipeline_free(p);

	aml_rng_seed(&rng, (uint64) (uint32) seed);
	/* clustering has no target to hold out */
	metrics = data->schema.task == AML_TASK_CLUSTERING ? NULL
		: holdout_metrics(data, spec, &rng, &holdout_fit_seconds);
	CHECK_FOR_INTERRUPTS();

	/* the stored model learns from every row */
	AML_PG_CHECK(aml_pipeline_create(&data->schema, spec, &p, &err), &err);
	aml_rng_seed(&rng, (uint64) (uint32) seed);
	start = aml_clock();
	AML_PG_CHECK(aml_pipeline_fit(p, data->raw, data->y, &rng, &err), &err);
	if (metrics == NULL)
		metrics = aml_pg_json_own(json_object_new_object());
	{
		json_object *all = aml_pg_json_own(json_object_new_object());

		json_object_object_add(all, "holdout", json_object_get(metrics));
		json_object_object_add(all, "fit_seconds", aml_json_new_number(aml_clock() - start));
		json_object_object_add(all, "rows", json_object_new_int(data->n_rows));
		json_object_object_add(all, "seed", json_object_new_int(seed));
		{
			AmlKmeansInfo info;

			if (aml_kmeans_get(p->estimator, &info))
			{
				json_object_object_add(all, "inertia", aml_json_new_number(info.inertia));
				json_object_object_add(all, "n_iter", json_object_new_int(info.n_iter));
			}
		}
		metrics = all;
	}
	aml_pipeline_describe(p, description, sizeof(description));

	memset(&rec, 0, sizeof(rec));
	rec.name = name;
	rec.task = aml_task_name(data->schema.task);
	rec.algorithm = type->name;
	rec.relation = data->relation;
	rec.target = target;
	rec.features = aml_training_features_json(data);
	{
		/* the trees can be large: released as soon as their text is copied */
		MemoryContext json_context = AllocSetContextCreate(CurrentMemoryContext, "automl_fit JSON",
														   ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(json_context);
		json_object *classes = data->schema.classes
			? aml_pg_json_own(aml_json_new_dict(data->schema.classes)) : NULL;
		json_object *pj = aml_pg_json_own(aml_pipeline_to_json(p));
		json_object *pp = aml_pg_json_own(aml_params_to_json(&type->params, p->estimator->params));

		MemoryContextSwitchTo(old);
		rec.classes = classes ? pstrdup(aml_json_text(classes)) : NULL;
		rec.pipeline = pstrdup(aml_json_text(pj));
		rec.params = pstrdup(aml_json_text(pp));
		MemoryContextDelete(json_context);
	}
	rec.description = description;
	rec.metrics = pstrdup(aml_json_text(metrics));
	id = aml_model_store(&rec, &version);
	aml_pipeline_free(p);
	aml_core_session_end(session);

	if (name != NULL)
		ereport(NOTICE,
				(errmsg("model " INT64_FORMAT " (\"%s\" version %d): %s", id, name, version, description)));
	else
		ereport(NOTICE, (errmsg("model " INT64_FORMAT ": %s", id, description)));
	PG_RETURN_INT64(id);
}
