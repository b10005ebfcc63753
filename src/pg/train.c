/*
 * train.c — automl_train: the AutoML search inside PostgreSQL.
 *
 * Loads the relation (training_data.c), keeps test_size of the rows as a
 * stratified holdout, runs the search (src/search) on the rest within the
 * time budget with progress NOTICEs, refits the winner on the training rows,
 * scores it on the holdout, and stores the run, every candidate and the model
 * (automl.runs, automl.pipelines, automl.models).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <limits.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "core/memory.h"
#include "ml/cross_validation.h"
#include "ml/evaluation.h"
#include "ml/metrics.h"
#include "search/search.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"
#include "pg/model_store.h"
#include "pg/progress.h"
#include "pg/security.h"
#include "pg/training_data.h"

PG_FUNCTION_INFO_V1(automl_train);

#define MAX_TIME_BUDGET (7 * 24 * 3600.0)

static bool
query_cancelled(void)
{
	return QueryCancelPending || ProcDiePending || aml_progress_stopping();
}

typedef struct ProgressState
{
	const char *metric;
	int			max_evaluations;
} ProgressState;

static void
progress(void *arg, const AmlSearchProgress *p)
{
	ProgressState *state = arg;
	char		left[64];

	if (strcmp(p->event, "ensemble") == 0)
		aml_progress_phase("ensemble");
	aml_progress_report(p->evaluated, p->best_mean, p->best_std, p->best_description, p->time_left);

	if (state->max_evaluations > 0)
		snprintf(left, sizeof(left), "%d of %d evaluations", p->evaluated, state->max_evaluations);
	else
		snprintf(left, sizeof(left), "%.0f s left", fmax(p->time_left, 0));
	if (p->best_description == NULL)
	{
		ereport(NOTICE,
				(errmsg("automl: %s: %d pipelines evaluated, none succeeded yet (%s)",
						p->event, p->evaluated, left)));
		return;
	}
	if (strcmp(p->event, "generation") == 0)
		ereport(NOTICE,
				(errmsg("automl: generation %d: %d pipelines evaluated, best %s %.4f ± %.4f: %s (%s)",
						p->generation, p->evaluated, state->metric, p->best_mean, p->best_std,
						p->best_description, left)));
	else if (strcmp(p->event, "portfolio") == 0)
		ereport(NOTICE,
				(errmsg("automl: portfolio of strong defaults done: %d pipelines evaluated, best %s %.4f ± %.4f: %s (%s)",
						p->evaluated, state->metric, p->best_mean, p->best_std,
						p->best_description, left)));
	else if (strcmp(p->event, "new best") == 0)
		ereport(NOTICE,
				(errmsg("automl: new best %s %.4f ± %.4f after %d pipelines: %s (%s)",
						state->metric, p->best_mean, p->best_std, p->evaluated,
						p->best_description, left)));
	else
		ereport(NOTICE, (errmsg("automl: %s (%s)", p->event, left)));
}

static double
interval_seconds(Interval *iv)
{
	return (double) iv->time / USECS_PER_SEC + (double) iv->day * SECS_PER_DAY +
		(double) iv->month * DAYS_PER_MONTH * SECS_PER_DAY;
}

static const AmlMetric *
resolve_metric(const char *name, AmlTask task)
{
	const AmlMetric *m;
	AmlError	err;

	if (name == NULL || strcmp(name, "auto") == 0)
		name = task == AML_TASK_CLASSIFICATION ? "balanced_accuracy" : "r2";
	if (aml_metric_lookup(name, task, &m, &err) != AML_OK)
		aml_pg_raise_code(&err, ERRCODE_INVALID_PARAMETER_VALUE);
	return m;
}

/* Store the run and its candidates (as the table owner); returns the run id. */
static int64
store_run(const AmlTrainingData *data, const AmlSearchResult *r, const AmlMetric *metric,
		  ArrayType *features, double budget, int max_evaluations, int cv_folds,
		  double test_size, int seed, const char *space_text, const char *name,
		  int64 model_id, double holdout_score, const char *holdout_json, int train_rows,
		  int holdout_rows, TimestampTz started, Oid owner)
{
	Oid			types[25] = {TEXTOID, TEXTOID, NAMEARRAYOID, TEXTOID, TEXTOID, BOOLOID,
		FLOAT8OID, INT4OID, INT4OID, FLOAT8OID, INT4OID, TEXTOID, TEXTOID, INT4OID,
		INT4OID, TEXTOID, INT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, TEXTOID, TIMESTAMPTZOID,
		INT4OID, INT4OID, REGROLEOID};
	Datum		values[25];
	char		nulls[25];
	Oid			ptypes[14] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8ARRAYOID,
		FLOAT8OID, FLOAT8OID, INT4OID, FLOAT8OID, TEXTOID, TEXTOID, FLOAT8OID};
	SPIPlanPtr	plan;
	int64		run_id;
	bool		isnull;
	int			ret;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(data->relation);
	values[1] = CStringGetTextDatum(data->schema.target);
	if (features != NULL)
		values[2] = PointerGetDatum(features);
	else
		nulls[2] = 'n';
	values[3] = CStringGetTextDatum(aml_task_name(data->schema.task));
	values[4] = CStringGetTextDatum(metric->name);
	values[5] = BoolGetDatum(aml_metric_higher_is_better(metric));
	values[6] = Float8GetDatum(budget);
	values[7] = Int32GetDatum(max_evaluations);
	nulls[7] = max_evaluations > 0 ? ' ' : 'n';
	values[8] = Int32GetDatum(cv_folds);
	values[9] = Float8GetDatum(test_size);
	values[10] = Int32GetDatum(seed);
	values[11] = CStringGetTextDatum(space_text);
	if (name != NULL)
		values[12] = CStringGetTextDatum(name);
	else
		nulls[12] = 'n';
	values[13] = Int32GetDatum(r->evaluated);
	values[14] = Int32GetDatum(r->generations);
	values[15] = CStringGetTextDatum(r->stop_reason);
	values[16] = Int64GetDatum(model_id);
	values[17] = Float8GetDatum(r->cv_score);
	values[18] = Float8GetDatum(r->cv_std);
	nulls[18] = isnan(r->cv_std) ? 'n' : ' ';
	values[19] = Float8GetDatum(holdout_score);
	nulls[19] = isnan(holdout_score) ? 'n' : ' ';
	values[20] = CStringGetTextDatum(holdout_json);
	values[21] = TimestampTzGetDatum(started);
	values[22] = Int32GetDatum(train_rows);
	values[23] = Int32GetDatum(holdout_rows);
	values[24] = ObjectIdGetDatum(owner);

	ret = SPI_execute_with_args(
		"INSERT INTO automl.runs (relation, target, features, task, metric, greater_is_better, "
		"time_budget, max_evaluations, cv_folds, test_size, seed, search_space, name, evaluated, "
		"generations, stop_reason, model_id, cv_score, cv_std, holdout_score, holdout_metrics, "
		"started_at, finished_at, elapsed, train_rows, holdout_rows, status, owner) "
		"VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.make_interval(secs => $7), $8, $9, $10, $11, "
		"$12, $13, $14, $15, $16, $17, $18, $19, $20, $21::pg_catalog.jsonb, $22, "
		"pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) $22, "
		"$23, $24, 'succeeded', $25) RETURNING id",
		25, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "storing the run failed: %s", SPI_result_code_string(ret));
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	{
		Oid			t2[2] = {INT8OID, INT8OID};
		Datum		v2[2] = {Int64GetDatum(run_id), Int64GetDatum(model_id)};

		ret = SPI_execute_with_args("UPDATE automl.models SET run_id = $1 WHERE id OPERATOR(pg_catalog.=) $2",
									2, t2, v2, NULL, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "linking the model to its run failed: %s", SPI_result_code_string(ret));
	}

	plan = SPI_prepare(
		"INSERT INTO automl.pipelines (run_id, number, phase, description, estimator, spec, "
		"fold_scores, mean_score, std_score, complexity, fit_seconds, status, reason, weight) "
		"VALUES ($1, $2, $3, $4, $5, $6::pg_catalog.jsonb, $7, $8, $9, $10, $11, $12, $13, $14)",
		14, ptypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	for (int i = 0; i < r->n_candidates; i++)
	{
		const AmlCandidate *c = &r->candidates[i];
		Datum		pv[14];
		char		pn[14];
		double		weight = 0;

		memset(pn, ' ', sizeof(pn));
		for (int k = 0; k < r->final.n_members; k++)
			if (r->final.members[k] == i)
				weight = r->final.weights[k];
		pv[0] = Int64GetDatum(run_id);
		pv[1] = Int32GetDatum(c->number);
		pv[2] = CStringGetTextDatum(c->phase);
		pv[3] = c->description ? CStringGetTextDatum(c->description) : (Datum) 0;
		pn[3] = c->description ? ' ' : 'n';
		pv[4] = CStringGetTextDatum(c->estimator);
		pv[5] = CStringGetTextDatum(c->spec);
		if (c->folds_done > 0)
		{
			Datum	   *elems = palloc(sizeof(Datum) * c->folds_done);

			for (int f = 0; f < c->folds_done; f++)
				elems[f] = Float8GetDatum(c->fold_scores[f]);
			pv[6] = PointerGetDatum(construct_array(elems, c->folds_done, FLOAT8OID, 8,
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		}
		else
			pn[6] = 'n';
		pv[7] = Float8GetDatum(c->mean);
		pn[7] = isnan(c->mean) ? 'n' : ' ';
		pv[8] = Float8GetDatum(c->std);
		pn[8] = isnan(c->std) ? 'n' : ' ';
		pv[9] = Int32GetDatum(c->complexity);
		pv[10] = Float8GetDatum(c->fit_seconds);
		pv[11] = CStringGetTextDatum(aml_candidate_status_name(c->status));
		pv[12] = c->reason[0] ? CStringGetTextDatum(c->reason) : (Datum) 0;
		pn[12] = c->reason[0] ? ' ' : 'n';
		pv[13] = Float8GetDatum(weight);
		pn[13] = weight > 0 ? ' ' : 'n';
		ret = SPI_execute_plan(plan, pv, pn, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "storing a pipeline failed: %s", SPI_result_code_string(ret));
	}
	return run_id;
}

Datum
automl_train(PG_FUNCTION_ARGS)
{
	double		start = aml_now_seconds();
	TimestampTz started = GetCurrentTimestamp();
	Oid			relid;
	char	   *target;
	ArrayType  *features = PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2);
	char	   *task = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *metric_name = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	double		budget = PG_ARGISNULL(5) ? 60 : interval_seconds(PG_GETARG_INTERVAL_P(5));
	int32		cv_folds = PG_ARGISNULL(6) ? 5 : PG_GETARG_INT32(6);
	double		test_size = PG_ARGISNULL(7) ? 0.25 : PG_GETARG_FLOAT8(7);
	int32		seed = PG_ARGISNULL(8) ? 42 : PG_GETARG_INT32(8);
	char	   *space_text = PG_ARGISNULL(9) ? pstrdup("default") : text_to_cstring(PG_GETARG_TEXT_PP(9));
	char	   *name = PG_ARGISNULL(10) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(10));
	int32		max_evaluations = PG_ARGISNULL(11) ? 0 : PG_GETARG_INT32(11);
	TupleDesc	result_desc;
	AmlCoreSession *session;
	AmlTrainingData *data;
	const AmlMetric *metric;
	AmlSearchSpace *space;
	AmlSearchOptions opt;
	AmlSearchResult *result;
	AmlModel   *model;
	AmlSplit	split;
	AmlRng		rng;
	AmlError	err;
	AmlMatrix  *train_x;
	AmlMatrix  *hold_x;
	AmlMatrix  *pred;
	double	   *train_y;
	double	   *hold_y;
	double		holdout_score;
	json_object *holdout_report;
	ProgressState pstate;
	AmlModelRecord rec;
	char		description[4096];
	int64		model_id;
	int64		run_id;
	Datum		values[8];
	bool		nulls[8];
	double		elapsed;

	/* arguments, checked before any work */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and target must not be NULL")));
	relid = PG_GETARG_OID(0);
	target = NameStr(*PG_GETARG_NAME(1));
	if (!(budget > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_budget must be positive"),
				 errhint("For example time_budget => '30 seconds'.")));
	if (budget > MAX_TIME_BUDGET)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_budget must be at most 7 days")));
	if (cv_folds < 2 || cv_folds > AML_MAX_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cv_folds must be between 2 and %d, not %d", AML_MAX_FOLDS, cv_folds)));
	if (!(test_size > 0 && test_size < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be between 0 and 1 (exclusive), not %g", test_size)));
	if (max_evaluations < 0 || (!PG_ARGISNULL(11) && max_evaluations == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_evaluations must be positive")));
	if (name != NULL && (name[0] == '\0' || strlen(name) > 200))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model name must have between 1 and 200 characters")));
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_train must return a composite type");
	result_desc = BlessTupleDesc(result_desc);

	session = aml_core_session_begin("automl_train");
	aml_progress_begin(0, relid);	/* the automl.progress view; a job opened it already */
	data = aml_training_data_load(relid, target, features, task);
	metric = resolve_metric(metric_name, data->schema.task);

	/* the search space: a name, or a JSON document */
	if (space_text[strspn(space_text, " \t\r\n")] != '{' &&
		space_text[strspn(space_text, " \t\r\n")] != '"')
	{
		if (aml_space_builtin(space_text, data->schema.task, &space, &err) != AML_OK)
			aml_pg_raise_code(&err, ERRCODE_INVALID_PARAMETER_VALUE);
	}
	else
	{
		json_object *doc;

		if (aml_json_parse(space_text, strlen(space_text), &doc, &err) != AML_OK)
		{
			aml_error_hint(&err, "search_space is 'default', 'light' or a JSON document.");
			aml_pg_raise_code(&err, ERRCODE_INVALID_PARAMETER_VALUE);
		}
		aml_pg_json_release_with_context(doc);
		if (json_object_is_type(doc, json_type_string))
			AML_PG_CHECK(aml_space_builtin(json_object_get_string(doc), data->schema.task, &space, &err), &err);
		else
			AML_PG_CHECK(aml_space_from_json(doc, data->schema.task, &space, &err), &err);
	}

	/* holdout and folds need every class in several rows */
	if (data->schema.task == AML_TASK_CLASSIFICATION)
	{
		int		   *count = palloc0(sizeof(int) * data->n_classes);
		int			rarest = 0;
		/* (a test_size near 1 asks for more rows than any table has) */
		int			needed = (int) Min(ceil(cv_folds / (1 - test_size)) + 1, (double) INT_MAX);

		for (int i = 0; i < data->n_rows; i++)
			count[(int) data->y[i]]++;
		for (int c = 1; c < data->n_classes; c++)
			if (count[c] < count[rarest])
				rarest = c;
		if (count[rarest] < needed)
		{
			int			possible = (int) floor((count[rarest] - 1) * (1 - test_size));

			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("class \"%s\" of target \"%s\" has only %d row%s, too few for %d-fold cross-validation and a holdout",
							aml_dict_string(data->schema.classes, rarest), target, count[rarest],
							count[rarest] == 1 ? "" : "s", cv_folds),
					 errdetail("Every class needs at least %d rows: %d folds of the training rows, and the holdout.",
							   needed, cv_folds),
					 possible >= 2
					 ? errhint("Use cv_folds => %d, or leave the rarest classes out (a view with WHERE).", possible)
					 : errhint("Leave the rarest classes out (a view with WHERE), or add rows.")));
		}
	}
	else if (data->n_rows < 2 * cv_folds + 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s has %d usable row%s, too few for %d-fold cross-validation and a holdout",
						data->relation, data->n_rows, data->n_rows == 1 ? "" : "s", cv_folds),
				 errhint("Use more rows, or fewer cv_folds.")));
	aml_rng_seed(&rng, (uint64) (uint32) seed);
	if (aml_train_test_split(data->n_rows, test_size,
							 data->schema.task == AML_TASK_CLASSIFICATION ? data->y : NULL,
							 data->n_classes, &rng, &split, &err) != AML_OK)
		aml_pg_raise_code(&err, ERRCODE_DATA_EXCEPTION);
	train_x = aml_pg_take_rows(data->raw, split.train, split.n_train);
	hold_x = aml_pg_take_rows(data->raw, split.test, split.n_test);
	train_y = aml_pg_take_values(data->y, split.train, split.n_train);
	hold_y = aml_pg_take_values(data->y, split.test, split.n_test);

	/* the search */
	memset(&opt, 0, sizeof(opt));
	opt.metric = metric;
	opt.space = space;
	opt.cv_folds = cv_folds;
	opt.seed = (uint64) (uint32) seed;
	opt.start = start;
	opt.time_budget = budget;
	opt.max_evaluations = max_evaluations;
	opt.ensemble = true;
	opt.reserve_seconds = 0.05 + 0.002 * data->n_rows / 1000.0;
	pstate.metric = metric->name;
	pstate.max_evaluations = max_evaluations;
	opt.progress = progress;
	opt.progress_arg = &pstate;
	opt.cancelled = query_cancelled;
	opt.stop_requested = aml_progress_stopping;
	aml_progress_phase("searching");
	if (aml_search_run(&data->schema, train_x, train_y, data->n_classes, &opt, &result, &err) != AML_OK)
	{
		if (err.status == AML_ERR_INVALID_PARAMETER)
			aml_pg_raise_code(&err, ERRCODE_INVALID_PARAMETER_VALUE);
		aml_pg_raise(&err);
	}
	CHECK_FOR_INTERRUPTS();

	/* refit the winner on the training rows, score it on the holdout */
	aml_progress_phase("refit");
	AML_PG_CHECK(aml_search_refit(&data->schema, result, train_x, train_y, opt.seed, &model, &err), &err);
	AML_PG_CHECK(aml_matrix_create(hold_x->rows, model->outputs, &pred, &err), &err);
	AML_PG_CHECK(aml_model_predict(model, hold_x, pred, &err), &err);
	if (aml_metric_score(metric, hold_y, pred, data->n_classes, &holdout_score, &err) != AML_OK)
		holdout_score = NAN;
	holdout_report = aml_evaluation_report(data->schema.task, hold_y, pred, data->n_classes,
										   model->probabilistic);
	aml_pg_json_release_with_context(holdout_report);
	aml_model_describe(model, description, sizeof(description));

	/* store model, run, candidates */
	memset(&rec, 0, sizeof(rec));
	rec.name = name;
	rec.task = aml_task_name(data->schema.task);
	rec.algorithm = aml_model_algorithm(model);
	rec.relation = data->relation;
	rec.target = target;
	rec.features = aml_training_features_json(data);
	{
		/* the trees can be large: released as soon as their text is copied */
		MemoryContext json_context = AllocSetContextCreate(CurrentMemoryContext, "automl_train JSON",
														   ALLOCSET_SMALL_SIZES);
		MemoryContext old = MemoryContextSwitchTo(json_context);
		json_object *classes = data->schema.classes
			? aml_pg_json_own(aml_json_new_dict(data->schema.classes)) : NULL;
		json_object *mj = aml_pg_json_own(aml_model_to_json(model));
		json_object *metrics = aml_pg_json_own(json_object_new_object());

		MemoryContextSwitchTo(old);
		rec.classes = classes ? pstrdup(aml_json_text(classes)) : NULL;
		rec.pipeline = pstrdup(aml_json_text(mj));
		json_object_object_add(metrics, "metric", json_object_new_string(metric->name));
		/* scores for people: null, not "NaN", when not finite */
		json_object_object_add(metrics, "cv_score", aml_json_new_number(result->cv_score));
		json_object_object_add(metrics, "cv_std", aml_json_new_number(result->cv_std));
		json_object_object_add(metrics, "holdout", json_object_get(holdout_report));
		rec.metrics = pstrdup(aml_json_text(metrics));
		MemoryContextDelete(json_context);
	}
	rec.params = "{}";
	rec.description = description;
	model_id = aml_model_store(&rec, NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		AmlActAs	as_owner;
		Oid			caller = GetUserId();

		/* only automl writes runs: as the owner of automl.runs, for the caller */
		aml_act_as_owner_of(&as_owner, "runs");
		run_id = store_run(data, result, metric, features, budget, max_evaluations, cv_folds,
						   test_size, seed, space_text, name, model_id, holdout_score,
						   aml_json_text(holdout_report), split.n_train, split.n_test, started,
						   caller);
		aml_act_end(&as_owner);
	}
	SPI_finish();
	elapsed = aml_now_seconds() - start;

	/* ids and times are in the result row; the NOTICE says what was found */
	ereport(NOTICE,
			(errmsg("automl: the model is %s", description),
			 errdetail("%s: %.4f in %d-fold cross-validation, %.4f on the %d holdout rows; %d pipelines evaluated (%s).",
					   metric->name, result->cv_score, cv_folds, holdout_score, split.n_test,
					   result->evaluated, result->stop_reason)));

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(model_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = CStringGetTextDatum(description);
	values[3] = CStringGetTextDatum(metric->name);
	values[4] = Float8GetDatum(result->cv_score);
	values[5] = Float8GetDatum(holdout_score);
	nulls[5] = isnan(holdout_score);
	values[6] = Int32GetDatum(result->evaluated);
	{
		Interval   *iv = palloc0(sizeof(Interval));

		iv->time = (int64) (elapsed * USECS_PER_SEC);
		values[7] = IntervalPGetDatum(iv);
	}
	aml_model_free(model);
	aml_search_result_free(result);
	aml_core_session_end(session);
	aml_progress_end();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_desc, values, nulls)));
}
