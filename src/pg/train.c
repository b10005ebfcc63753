/*
 * train.c — automl_train: the AutoML search inside PostgreSQL.
 *
 * Loads the relation (training_data.c; only the rows that pass filter, a
 * query-builder JSON compiled by filter.c), leaves out columns that leak the
 * target (src/search/leakage.c), chooses the holdout and the folds from the
 * data unless given (src/search/validation.c; a table large for its budget
 * is searched on a sample of its training rows), records the run as running
 * (train_run.c), runs the search (src/search) within the time budget with
 * progress NOTICEs, fits the winner on the training rows and scores it on
 * the holdout, then on every row (refit => 'all'), each on as many rows as
 * the budget allows (train_fit.c), and stores the model, the run's outcome
 * and every candidate (automl.models, automl.runs, automl.pipelines).  A call
 * that ends in an error after its run started is recorded as failed or
 * cancelled although the caller's transaction aborts (automl_train, at the
 * end of this file; train_run.h).
 *
 * The budget: the call returns within time_budget + max(10 %, 1 s).  The
 * search keeps time for the refits (measured fit times scaled by rows) and
 * for the importance stored with the model (estimated from the model's size
 * and family, src/search/search_estimates.c); train_fit.c falls back to the
 * best single pipeline and to fewer rows when the refits would still
 * overrun; the importance is not stored when it would (a NOTICE says which).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <limits.h>
#include <math.h>
#include <sys/resource.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/cross_validation.h"
#include "ml/calibration.h"
#include "ml/evaluation.h"
#include "ml/metrics.h"
#include "search/search.h"
#include "pg/core_bridge.h"
#include "pg/eval_hook.h"
#include "pg/explain_importance.h"
#include "pg/filter.h"
#include "pg/fit.h"
#include "pg/model_store.h"
#include "pg/progress.h"
#include "pg/subxact.h"
#include "pg/train_fit.h"
#include "pg/train_run.h"
#include "pg/training_data.h"
#include "search/leakage.h"
#include "search/validation.h"

PG_FUNCTION_INFO_V1(automl_train);

#define MAX_TIME_BUDGET (7 * 24 * 3600.0)
/*
 * Seconds to turn a model into JSON and store it, per byte of its JSON, on
 * a core of its own (a 53 MB forest took 2.9 s on the 2-core build machine
 * when idle; forests of 3 to 4.4 MB took 1 to 2.7 s on it at load average
 * 15).  Multiplied by the slowdown measured while loading the rows
 * (machine_slowdown), since storing is not measured before it happens.
 */
#define STORE_SECONDS_PER_BYTE 0.08e-6
#define MAX_SLOWDOWN 10.0
/* Wall seconds and CPU seconds of this process so far. */
static void
clocks(double *wall, double *cpu)
{
	struct rusage ru;

	*wall = aml_clock();
	*cpu = 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/*
 * How much slower than alone on a core this process ran between the two
 * readings: wall time over CPU time (other work on the machine, or waits
 * for the disk), between 1 and MAX_SLOWDOWN; 1 when too short to tell.
 */
static double
machine_slowdown(double wall0, double cpu0)
{
	double		wall;
	double		cpu;

	clocks(&wall, &cpu);
	if (wall - wall0 < 0.05 || cpu - cpu0 <= 0)
		return 1.0;
	return fmin(fmax((wall - wall0) / (cpu - cpu0), 1.0), MAX_SLOWDOWN);
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

	if (state->max_evaluations > 0 && p->evaluated > state->max_evaluations)
		snprintf(left, sizeof(left), "%d evaluations: max_evaluations and the rescue", p->evaluated);
	else if (state->max_evaluations > 0)
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
	else if (strcmp(p->event, "rescue") == 0)
		ereport(NOTICE,
				(errmsg("automl: no candidate of the search succeeded; the rescue pipeline scores %s %.4f ± %.4f: %s (%s)",
						state->metric, p->best_mean, p->best_std, p->best_description, left),
				 errhint("The rescue is the search's fastest model. Raise time_budget, max_evaluations or automl.max_memory for a better one.")));
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

/*
 * The holdout: test_size of the rows (stratified for classification), the
 * rows of classes with fewer than AML_HOLDOUT_MIN_CLASS rows all in
 * training.  Row lists in increasing order.
 */
static void
split_rows(const AmlTrainingData *data, double *test_size_io, bool automatic, int seed, int **train,
		   int *n_train, int **test, int *n_test, int *kept_out)
{
	double		test_size = *test_size_io;
	bool		classification = data->schema.task == AML_TASK_CLASSIFICATION;
	int		   *count = classification ? palloc0(sizeof(int) * (data->n_classes + 1)) : NULL;
	int		   *holdable = palloc(sizeof(int) * (data->n_rows + 1));
	double	   *ysub = palloc(sizeof(double) * (data->n_rows + 1));
	bool	   *in_test = palloc0(sizeof(bool) * (data->n_rows + 1));
	int			n_hold = 0;
	AmlSplit	split;
	AmlRng		rng;
	AmlError	err;

	*kept_out = 0;
	*n_test = 0;
	*train = palloc(sizeof(int) * (data->n_rows + 1));
	*test = palloc(sizeof(int) * (data->n_rows + 1));
	if (test_size > 0)
	{
		if (classification)
		{
			for (int i = 0; i < data->n_rows; i++)
				count[(int) data->y[i]]++;
			for (int c = 0; c < data->n_classes; c++)
				if (count[c] > 0 && count[c] < AML_HOLDOUT_MIN_CLASS)
					(*kept_out)++;
		}
		for (int i = 0; i < data->n_rows; i++)
			if (!classification || count[(int) data->y[i]] >= AML_HOLDOUT_MIN_CLASS)
			{
				ysub[n_hold] = data->y[i];
				holdable[n_hold++] = i;
			}
		/* an automatic holdout that cannot be cut (every class rare) is none */
		if (automatic && (ceil(test_size * n_hold) < 1 || ceil(test_size * n_hold) >= n_hold - 1))
		{
			test_size = *test_size_io = 0;
			*kept_out = 0;
		}
	}
	if (test_size > 0 && n_hold < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no rows of %s can be held out: every class of target \"%s\" has fewer than %d rows",
						data->relation, data->schema.target, AML_HOLDOUT_MIN_CLASS),
				 errhint("Use test_size => 0 (no holdout), or leave test_size out.")));
	if (test_size > 0)
	{
		aml_rng_seed(&rng, (uint64) (uint32) seed);
		if (aml_train_test_split(n_hold, test_size, classification ? ysub : NULL, data->n_classes,
								 &rng, &split, &err) != AML_OK)
			aml_pg_raise_code(&err, ERRCODE_DATA_EXCEPTION);
		for (int i = 0; i < split.n_test; i++)
			in_test[holdable[split.test[i]]] = true;
		aml_split_free(&split);
	}
	*n_train = 0;
	for (int i = 0; i < data->n_rows; i++)
	{
		if (in_test[i])
			(*test)[(*n_test)++] = i;
		else
			(*train)[(*n_train)++] = i;
	}
}

/* "class "a" (1 row), "b" (2 rows)": classes with fewer than `below` of count rows. */
static void
append_classes(StringInfo buf, const AmlTrainingData *data, const int *count, int below)
{
	int			shown = 0;

	for (int c = 0; c < data->n_classes; c++)
		if (count[c] > 0 && count[c] < below)
		{
			if (shown == 6)
			{
				appendStringInfoString(buf, ", ...");
				break;
			}
			appendStringInfo(buf, "%s\"%s\" (%d row%s)", shown ? ", " : "",
							 aml_dict_string(data->schema.classes, c), count[c],
							 count[c] == 1 ? "" : "s");
			shown++;
		}
}

/*
 * The threshold argument: 'auto' (true: chosen on the calibrated
 * out-of-fold predictions), 'none' (0.5) or a number in (0, 1).
 */
static bool
parse_threshold(const char *text, double *out)
{
	char	   *end;
	double		t;

	*out = 0.5;
	if (pg_strcasecmp(text, "auto") == 0)
		return true;
	if (pg_strcasecmp(text, "none") == 0)
		return false;
	errno = 0;
	t = strtod(text, &end);
	while (*end == ' ')
		end++;
	if (end == text || *end != '\0' || errno != 0 || !(t > 0 && t < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must be 'auto', 'none' or a number between 0 and 1, not \"%s\"", text),
				 errhint("'auto' chooses the decision threshold of two classes on the out-of-fold predictions by the metric; 'none' is 0.5; '0.3' predicts the second class when its probability is above 0.3.")));
	*out = t;
	return false;
}

static Datum
train(FunctionCallInfo fcinfo, AmlRunStarted *run)
{
	double		start = aml_clock();
	TimestampTz started = GetCurrentTimestamp();
	Oid			relid;
	char	   *target;
	ArrayType  *features = PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2);
	char	   *task = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *metric_name = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	double		budget = PG_ARGISNULL(5) ? 60 : interval_seconds(PG_GETARG_INTERVAL_P(5));
	int32		cv_folds = PG_ARGISNULL(6) ? 0 : PG_GETARG_INT32(6);	/* 0 = automatic */
	double		test_size = PG_ARGISNULL(7) ? NAN : PG_GETARG_FLOAT8(7);	/* NaN = automatic */
	int32		seed = PG_ARGISNULL(8) ? 42 : PG_GETARG_INT32(8);
	char	   *space_text = PG_ARGISNULL(9) ? pstrdup("default") : text_to_cstring(PG_GETARG_TEXT_PP(9));
	char	   *name = PG_ARGISNULL(10) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(10));
	int32		max_evaluations = PG_ARGISNULL(11) ? 0 : PG_GETARG_INT32(11);
	char	   *refit = PG_NARGS() > 12 && !PG_ARGISNULL(12) ? text_to_cstring(PG_GETARG_TEXT_PP(12)) : pstrdup("all");
	char	   *leakage = PG_NARGS() > 13 && !PG_ARGISNULL(13) ? text_to_cstring(PG_GETARG_TEXT_PP(13)) : pstrdup("drop");
	char	   *threshold_text = PG_NARGS() > 14 && !PG_ARGISNULL(14) ? text_to_cstring(PG_GETARG_TEXT_PP(14)) : pstrdup("auto");
	Jsonb	   *filter = AML_FILTER_ARG(fcinfo, 15);	/* NULL: every row */
	bool		threshold_auto = false;
	double		threshold = 0.5;
	bool		refit_all;
	TupleDesc	result_desc;
	AmlCoreSession *session;
	AmlTrainingData *data;
	const AmlMetric *metric;
	AmlSearchSpace *space;
	AmlSearchOptions opt;
	void	   *parallel;
	AmlSearchResult *result;
	AmlModel   *model = NULL;
	AmlWinnerFit fit;
	int		   *train_order = NULL;	/* nested sample order of the training rows */
	int			n_search;		/* rows the search validates on */
	AmlMatrix  *search_x;
	double	   *search_y;
	AmlError	err;
	AmlMatrix  *train_x;
	double	   *train_y;
	int		   *train_rows;
	int		   *test_rows;
	int			n_train;
	int			n_test;
	int			kept_out;
	AmlFoldPlan plan;
	double		holdout_score = NAN;
	json_object *holdout_report = NULL;
	json_object *importance = NULL;
	ProgressState pstate;
	AmlModelRecord rec;
	AmlRunStart rs;
	AmlRunEnd	re;
	char		description[4096];
	int64		model_id;
	int64		run_id;
	int			final_rows;
	Datum		values[8];
	bool		nulls[8];
	double		elapsed;
	double		hard_deadline;
	double		store_seconds;
	double		store_per_byte;
	double		wall0;
	double		cpu0;
	json_object *leaked;
	int			n_leaked = 0;

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
	if (!PG_ARGISNULL(6) && (cv_folds < 2 || cv_folds > AML_MAX_FOLDS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cv_folds must be between 2 and %d, not %d", AML_MAX_FOLDS, cv_folds),
				 errhint("Leave cv_folds out (NULL): it is then chosen from the data.")));
	if (!PG_ARGISNULL(7) && !(test_size >= 0 && test_size < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_size must be at least 0 and less than 1, not %g", test_size),
				 errhint("test_size => 0 means no holdout; leave it out (NULL) to have it chosen from the data.")));
	if (max_evaluations < 0 || (!PG_ARGISNULL(11) && max_evaluations == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_evaluations must be positive")));
	if (name != NULL && (name[0] == '\0' || strlen(name) > 200))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model name must have between 1 and 200 characters")));
	if (strcmp(refit, "all") != 0 && strcmp(refit, "train") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("refit must be 'all' or 'train', not \"%s\"", refit),
				 errhint("'all' fits the final model on every row (after scoring the holdout), 'train' on the training rows only.")));
	if (strcmp(leakage, "drop") != 0 && strcmp(leakage, "warn") != 0 && strcmp(leakage, "keep") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("leakage must be 'drop', 'warn' or 'keep', not \"%s\"", leakage)));
	refit_all = strcmp(refit, "all") == 0;
	threshold_auto = parse_threshold(threshold_text, &threshold);
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl_train must return a composite type");
	result_desc = BlessTupleDesc(result_desc);
	hard_deadline = start + budget + fmax(0.1 * budget, 1.0);

	session = aml_core_session_begin("automl_train");
	aml_progress_begin(0, relid);	/* the automl.progress view; a job opened it already */
	clocks(&wall0, &cpu0);
	data = aml_training_data_load_where(relid, target, features, task, filter,
										AML_TASK_REGRESSION | AML_TASK_CLASSIFICATION);
	elog(DEBUG1, "automl: %d rows of %d columns loaded after %.2f s", data->n_rows, data->schema.n_inputs,
		 aml_clock() - start);
	store_per_byte = STORE_SECONDS_PER_BYTE * machine_slowdown(wall0, cpu0);
	metric = resolve_metric(metric_name, data->schema.task);
	if (!threshold_auto && threshold != 0.5 &&
		!(data->schema.task == AML_TASK_CLASSIFICATION && data->n_classes == 2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a decision threshold applies to two classes, not to %s",
						data->schema.task == AML_TASK_CLASSIFICATION ? "more classes" : "regression"),
				 errhint("Leave threshold out ('auto'), or use 'none'.")));
	store_seconds = 0.05 + 0.002 * data->n_rows / 1000.0;

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

	/* the leakage guard: columns that carry the target */
	leaked = aml_pg_json_own(json_object_new_array());
	if (strcmp(leakage, "keep") != 0)
	{
		int			n_inputs = data->schema.n_inputs;
		AmlLeak    *leaks = palloc(sizeof(AmlLeak) * (n_inputs + 1));
		bool	   *drop = palloc0(sizeof(bool) * (n_inputs + 1));
		bool		dropping = strcmp(leakage, "drop") == 0;

		n_leaked = aml_find_leaks(&data->schema, data->raw, data->y, data->n_classes, leaks, n_inputs);
		for (int i = 0; i < n_leaked; i++)
		{
			const char *col = data->schema.inputs[leaks[i].input].name;

			{
				json_object *o = json_object_new_object();

				json_object_object_add(o, "column", json_object_new_string(col));
				json_object_object_add(o, "reason", json_object_new_string(leaks[i].reason));
				json_object_object_add(o, "action", json_object_new_string(dropping ? "dropped" : "kept"));
				json_object_array_add(leaked, o);
			}
			ereport(dropping ? NOTICE : WARNING,
					(errmsg("automl: column \"%s\" %s: it leaks the target \"%s\"", col,
							dropping ? "left out" : "kept", target),
					 errdetail("%s.", leaks[i].reason),
					 dropping ? errhint("A model that reads it would not work where the target is unknown; leakage => 'keep' uses it anyway.")
					 : errhint("leakage => 'drop' leaves it out.")));
			drop[leaks[i].input] = dropping;
		}
		if (dropping && n_leaked > 0)
		{
			if (n_leaked == n_inputs)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("every feature of %s leaks the target \"%s\"", data->relation, target),
						 errhint("Name other features, or use leakage => 'keep'.")));
			aml_training_data_drop_inputs(data, drop);
		}
	}
	/* validation: the holdout, then the folds of the search's rows */
	{
		bool		auto_test = isnan(test_size);
		int		   *count = NULL;
		int		   *all_count = NULL;
		StringInfoData why;
		bool		say = false;
		int			memory_rows;
		bool		memory_sample = false;

		test_size = aml_validation_test_size(data->n_rows, test_size);
		split_rows(data, &test_size, auto_test, seed, &train_rows, &n_train, &test_rows, &n_test, &kept_out);
		train_x = aml_pg_take_rows(data->raw, train_rows, n_train);
		train_y = aml_pg_take_values(data->y, train_rows, n_train);
		/* a table large for its budget: the search validates on a sample (validation.h) */
		n_search = aml_validation_search_rows(n_train, data->schema.n_inputs, budget, max_evaluations);
		/* and one whose folds fit the memory budget */
		memory_rows = aml_validation_memory_rows(n_search, data->schema.n_inputs, cv_folds > 0 ? cv_folds : 5,
												 aml_memory_available());
		if (memory_rows < n_search)
		{
			n_search = memory_rows;
			memory_sample = true;
		}
		search_x = train_x;
		search_y = train_y;
		if (n_search < n_train)
		{
			bool		classification = data->schema.task == AML_TASK_CLASSIFICATION;
			int		   *pick;

			train_order = aml_train_sample_order(classification ? train_y : NULL, n_train,
												 classification ? data->n_classes : 0,
												 (uint64) (uint32) seed);
			pick = aml_train_sample_rows(train_order, n_train, n_search);
			search_x = aml_pg_take_rows(train_x, pick, n_search);
			search_y = aml_pg_take_values(train_y, pick, n_search);
			pfree(pick);
		}
		if (data->schema.task == AML_TASK_CLASSIFICATION)
		{
			count = palloc0(sizeof(int) * (data->n_classes + 1));
			all_count = palloc0(sizeof(int) * (data->n_classes + 1));
			for (int i = 0; i < n_search; i++)
				count[(int) search_y[i]]++;
			for (int i = 0; i < data->n_rows; i++)
				all_count[(int) data->y[i]]++;
		}
		if (aml_validation_folds(n_search, count, data->n_classes, cv_folds, &plan, &err) != AML_OK)
			aml_pg_raise_code(&err, ERRCODE_DATA_EXCEPTION);

		/* every automatic choice, and rare classes, in one NOTICE */
		initStringInfo(&why);
		appendStringInfo(&why, "%d-fold cross-validation", plan.cv_folds);
		if (plan.repeats > 1)
			appendStringInfo(&why, " repeated %d times", plan.repeats);
		if (n_search < n_train)
		{
			say = true;
			appendStringInfo(&why, " on a sample of %d of the %d training rows (%s: the model is then fitted on as many rows as the budget allows)",
							 n_search, n_train, memory_sample
							 ? "the folds of more rows would not fit in the memory budget, automl.max_memory"
							 : "the time budget is short for this table");
		}
		else
			appendStringInfo(&why, " on %d rows", n_train);
		if (plan.folds_automatic && (plan.cv_folds != 5 || plan.repeats > 1))
		{
			say = true;
			if (plan.cv_folds != 5 && n_train >= 50)
				appendStringInfo(&why, " (%d folds so that rare classes can be stratified", plan.cv_folds);
			else if (plan.cv_folds != 5)
				appendStringInfo(&why, " (%d folds: few rows", plan.cv_folds);
			else
				appendStringInfoString(&why, " (");
			if (plan.repeats > 1)
				appendStringInfo(&why, "%srepeated: fewer than %d rows give noisy scores",
								 plan.cv_folds != 5 ? "; " : "", plan.repeats == 3 ? 200 : 500);
			appendStringInfoChar(&why, ')');
		}
		if (n_test > 0)
			appendStringInfo(&why, ", a holdout of %d rows (%g)", n_test, test_size);
		else if (auto_test)
		{
			say = true;
			if (data->n_rows < AML_HOLDOUT_MIN_ROWS)
				appendStringInfo(&why, ", no holdout (fewer than %d rows: the cross-validation score is the estimate)",
								 AML_HOLDOUT_MIN_ROWS);
			else
				appendStringInfo(&why, ", no holdout (the classes are too rare to hold rows out: the cross-validation score is the estimate)");
		}
		else
			appendStringInfoString(&why, ", no holdout (test_size => 0)");
		if (kept_out > 0)
		{
			say = true;
			appendStringInfoString(&why, "; kept out of the holdout, too rare: ");
			append_classes(&why, data, all_count, AML_HOLDOUT_MIN_CLASS);
		}
		if (plan.n_pinned_classes > 0)
		{
			say = true;
			appendStringInfo(&why, "; too rare to test on, in the training rows of every split: ");
			append_classes(&why, data, count, plan.cv_folds);
		}
		if (say)
			ereport(NOTICE, (errmsg("automl: validation: %s", why.data),
							 errhint("cv_folds and test_size set explicitly are used as given.")));
	}
	/* the run, recorded as running */
	memset(&rs, 0, sizeof(rs));
	rs.data = data;
	rs.metric = metric;
	rs.features = features;
	rs.budget = budget;
	rs.max_evaluations = max_evaluations;
	rs.cv_folds = plan.cv_folds;
	rs.cv_repeats = plan.repeats;
	rs.test_size = test_size;
	rs.seed = seed;
	rs.space_text = space_text;
	rs.name = name;
	rs.refit = refit;
	rs.leaked_json = pstrdup(aml_json_text(leaked));
	rs.filter = filter;
	rs.train_rows = n_train;
	rs.holdout_rows = n_test;
	rs.started = started;
	run_id = aml_train_run_begin(&rs, run);

	/* the search */
	memset(&opt, 0, sizeof(opt));
	opt.metric = metric;
	opt.space = space;
	opt.cv_folds = plan.cv_folds;
	opt.cv_repeats = plan.repeats;
	opt.seed = (uint64) (uint32) seed;
	opt.start = start;
	opt.time_budget = budget;
	opt.max_evaluations = max_evaluations;
	opt.ensemble = true;
	opt.threshold_auto = threshold_auto;
	opt.threshold = threshold;
	opt.reserve_seconds = store_seconds;
	/*
	 * What the search keeps time for, in fits on its own rows: the refit on
	 * the training rows (holdout), the refit on all rows; storing the final
	 * model (its JSON grows with its rows); its importance on the holdout
	 */
	{
		/* in rows of the search's (a sample, or the training rows) */
		double		holdout_scale = (double) n_train / n_search;
		double		final_scale = (double) (refit_all || n_test == 0 ? data->n_rows : n_train) / n_search;

		opt.refit_scale = (n_test > 0 ? holdout_scale : 0.0) + (refit_all || n_test == 0 ? final_scale : 0.0);
		opt.store_seconds_per_byte = store_per_byte;
		opt.store_scale = final_scale;
		/* the least: the search's rows (train_fit.c fits on fewer rows than planned when time is short) */
		opt.min_refit_scale = 1.0;
		opt.min_store_scale = 1.0;
		opt.max_model_bytes = AML_MAX_MODEL_BYTES;
		/* and the importance stored with the model (explain_importance.h), at this machine's pace */
		/*
		 * kept for the fewest rows it is stored on: more are explained
		 * when time is left (explain_importance.h)
		 */
		opt.importance_rows = Min(n_test > 0 ? n_test : data->n_rows, AML_IMPORTANCE_MIN_ROWS);
		opt.importance_samples = AML_IMPORTANCE_SAMPLES;
		opt.importance_scale = store_per_byte / STORE_SECONDS_PER_BYTE;
	}
	pstate.metric = metric->name;
	pstate.max_evaluations = max_evaluations;
	opt.progress = progress;
	opt.progress_arg = &pstate;
	opt.cancelled = aml_pg_cancel_pending;
	opt.stop_requested = aml_progress_stopping;
	aml_progress_phase("searching");
	/* helper processes evaluate candidates too, when there are (pg/eval_hook.h) */
	parallel = aml_parallel_begin_hook
		? aml_parallel_begin_hook(&data->schema, search_x, search_y, data->n_classes, &opt) : NULL;
	if (aml_search_run(&data->schema, search_x, search_y, data->n_classes, &opt, &result, &err) != AML_OK)
	{
		if (err.status == AML_ERR_INVALID_PARAMETER)
			aml_pg_raise_code(&err, ERRCODE_INVALID_PARAMETER_VALUE);
		aml_pg_raise(&err);
	}
	if (parallel != NULL)
		aml_parallel_end_hook(parallel);
	CHECK_FOR_INTERRUPTS();
	elog(DEBUG1, "automl: search done after %.2f s (%s)", aml_clock() - start, result->stop_reason);

	aml_progress_phase("refit");
	memset(&fit, 0, sizeof(fit));
	fit.data = data;
	fit.metric = metric;
	fit.result = result;
	fit.train_x = train_x;
	fit.train_y = train_y;
	fit.n_train = n_train;
	fit.test_rows = test_rows;
	fit.n_test = n_test;
	fit.train_order = train_order;
	fit.n_search = n_search;
	fit.refit_all = refit_all;
	fit.seed = opt.seed;
	fit.budget_end = start + budget;
	fit.hard_deadline = hard_deadline;
	fit.store_seconds = store_seconds;
	fit.store_per_byte = store_per_byte;
	aml_train_fit_winner(&fit);
	model = fit.model;
	final_rows = fit.final_rows;
	holdout_score = fit.holdout_score;
	holdout_report = fit.holdout_report;
	elog(DEBUG1, "automl: final model fitted after %.2f s (estimated %.2f s for %d rows)",
		 aml_clock() - start, aml_train_refit_estimate(result, &result->final, final_rows), final_rows);
	aml_model_describe(model, description, sizeof(description));
	/*
	 * global importance on the holdout rows (on the training rows when none
	 * were held out), stored with the model (pg/explain_importance.h)
	 */
	{
		/*
		 * within the budget (not its margin, which is for estimates that
		 * were short), and at most half the search's time (at least 2 s): a
		 * long explanation of an ensemble must not double the call
		 */
		double		until = Min(start + budget - store_seconds -
								aml_train_store_estimate(result, &result->final, final_rows, store_per_byte),
								aml_clock() + Max(2.0, 0.5 * result->seconds));

		importance = aml_importance_at_training(model, data->raw, n_test > 0 ? test_rows : NULL,
												n_test > 0 ? n_test : data->n_rows, n_test > 0,
												opt.seed, until);
	}

	/* store model, run, candidates */
	memset(&rec, 0, sizeof(rec));
	rec.name = name;
	rec.task = aml_task_name(data->schema.task);
	rec.algorithm = aml_model_algorithm(model);
	rec.relation = data->relation;
	rec.target = target;
	rec.features = aml_training_features_json(data);
	rec.run_id = run_id;
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
		json_object_object_add(metrics, "holdout", holdout_report ? json_object_get(holdout_report) : NULL);
		json_object_object_add(metrics, "final_rows", json_object_new_int(final_rows));
		/* the rows the search validated on, and those of the model scored on the holdout */
		json_object_object_add(metrics, "search_rows", json_object_new_int(n_search));
		if (n_test > 0)
			json_object_object_add(metrics, "holdout_fit_rows", json_object_new_int(fit.holdout_fit_rows));
		if (!isnan(aml_train_model_threshold(model)))
			json_object_object_add(metrics, "threshold", aml_json_new_number(aml_train_model_threshold(model)));
		if (model->calibration != NULL && model->calibration->class_weights != NULL)
			json_object_object_add(metrics, "class_weights",
								   aml_json_new_double_array(model->calibration->class_weights, model->outputs));
		if (importance != NULL)
			json_object_object_add(metrics, "importance", json_object_get(importance));
		rec.metrics = pstrdup(aml_json_text(metrics));
		MemoryContextDelete(json_context);
	}
	elog(DEBUG1, "automl: model as JSON after %.2f s (%zu bytes, estimated %.0f)", aml_clock() - start,
		 strlen(rec.pipeline), aml_train_store_estimate(result, &result->final, final_rows, 1.0));
	rec.params = "{}";
	rec.description = description;
	model_id = aml_model_store(&rec, NULL);
	elog(DEBUG1, "automl: model stored after %.2f s", aml_clock() - start);

	memset(&re, 0, sizeof(re));
	re.result = result;
	re.model_id = model_id;
	re.holdout_score = holdout_score;
	re.holdout_json = holdout_report ? aml_json_text(holdout_report) : NULL;
	re.final_rows = final_rows;
	aml_train_run_succeed(run_id, &re);
	elapsed = aml_clock() - start;
	elog(DEBUG1, "automl: run stored after %.2f s", elapsed);

	/* ids and times are in the result row; the NOTICE says what was found */
	if (n_test > 0)
		ereport(NOTICE,
				(errmsg("automl: the model is %s", description),
				 errdetail("%s: %.4f in %d-fold cross-validation, %.4f on the %d holdout rows; fitted on %d rows; %d pipelines evaluated (%s).",
						   metric->name, result->cv_score, plan.cv_folds, holdout_score, n_test,
						   final_rows, result->evaluated, result->stop_reason)));
	else
		ereport(NOTICE,
				(errmsg("automl: the model is %s", description),
				 errdetail("%s: %.4f in %d-fold cross-validation (no holdout); fitted on %d rows; %d pipelines evaluated (%s).",
						   metric->name, result->cv_score, plan.cv_folds, final_rows,
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

typedef struct TrainCall
{
	FunctionCallInfo fcinfo;
	AmlRunStarted *run;
	Datum		result;
} TrainCall;

static void
train_call(void *arg)
{
	TrainCall  *call = arg;

	call->result = train(call->fcinfo, call->run);
}

/*
 * automl_train: train() in an internal subtransaction, so that a call that
 * fails after its run started still leaves the run's end in automl.runs.
 *
 * PostgreSQL has no autonomous transaction: whatever this call writes in
 * the caller's transaction goes when it aborts.  So on an error the
 * subtransaction is rolled back first (the running row, the model and any
 * lock on automl.runs taken for them go: the row's id, from the sequence,
 * is free to be written again without waiting on this backend), then a
 * background worker writes the row, ended, in a transaction of its own and
 * commits it (train_run.h: aml_train_run_record_error, bounded wait), and
 * the original error is re-thrown unchanged (SQLSTATE, message, detail,
 * hint, context).  The alternatives: committing the running row at start
 * from a worker would leave it 'running' when the caller rolls back a
 * successful call; dblink is not a dependency, and would connect through
 * the network with credentials.  A success releases the subtransaction
 * into the caller's: the run stays in the caller's transaction, as before.
 * FATAL (termination) is not an error that can be caught: nothing is
 * recorded then (README).
 *
 * In a background worker (a job's, src/jobs/job_worker.c) the caller owns
 * its transactions and records the outcome itself: the job's row has the
 * state, the error and its SQLSTATE; the run of a failed job, rolled back
 * with the job's transaction, is written again, ended, in the transaction
 * that records the failure (aml_train_run_take_started).
 */
Datum
automl_train(PG_FUNCTION_ARGS)
{
	TrainCall	call;
	ErrorData  *edata;

	call.fcinfo = fcinfo;
	call.run = palloc0(sizeof(AmlRunStarted));
	call.result = (Datum) 0;
	if (IsBackgroundWorker)
		return train(fcinfo, call.run);
	/* a cancel is recorded too (as 'cancelled'): nothing is re-thrown before the recording */
	edata = aml_subxact_try(train_call, &call, false);
	if (edata != NULL)
	{
		aml_train_run_record_error(call.run, edata);
		ReThrowError(edata);
	}
	return call.result;
}
