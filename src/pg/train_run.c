/*
 * train_run.c — the run rows of automl_train (see train_run.h).  Only
 * automl writes runs: as the owner of automl.runs, for the caller (whose
 * role is the row's owner; callers have no INSERT or UPDATE on the table).
 * The ended row of a failed call is written the same way, by the recorder.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/clock.h"
#include "pg/fit.h"
#include "pg/security.h"
#include "pg/train_run.h"

static void
connect_as_owner(AmlActAs *as_owner)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as_owner_of(as_owner, "runs");
}

static void
disconnect(AmlActAs *as_owner)
{
	aml_act_end(as_owner);
	SPI_finish();
}

AmlRunRecorderHook aml_run_recorder_hook = NULL;

/* In a background worker: the run its automl_train last started (aml_train_run_take_started). */
static AmlRunStarted bgw_started = {0, NULL};

int64
aml_train_run_begin(const AmlRunStart *st, AmlRunStarted *started)
{
	Oid			types[21] = {TEXTOID, TEXTOID, NAMEARRAYOID, TEXTOID, TEXTOID, BOOLOID,
		FLOAT8OID, INT4OID, INT4OID, INT4OID, FLOAT8OID, INT4OID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID, INT4OID, INT4OID, REGROLEOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		values[21];
	char		nulls[21];
	Oid			caller = GetUserId();
	AmlActAs	as_owner;
	int64		run_id;
	bool		isnull;
	int			ret;
	MemoryContext caller_cxt = CurrentMemoryContext;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(st->data->relation);
	values[1] = CStringGetTextDatum(st->data->schema.target);
	if (st->features != NULL)
		values[2] = PointerGetDatum(st->features);
	else
		nulls[2] = 'n';
	values[3] = CStringGetTextDatum(aml_task_name(st->data->schema.task));
	values[4] = CStringGetTextDatum(st->metric->name);
	values[5] = BoolGetDatum(aml_metric_higher_is_better(st->metric));
	values[6] = Float8GetDatum(st->budget);
	values[7] = Int32GetDatum(st->max_evaluations);
	nulls[7] = st->max_evaluations > 0 ? ' ' : 'n';
	values[8] = Int32GetDatum(st->cv_folds);
	values[9] = Int32GetDatum(st->cv_repeats);
	values[10] = Float8GetDatum(st->test_size);
	values[11] = Int32GetDatum(st->seed);
	values[12] = CStringGetTextDatum(st->space_text);
	if (st->name != NULL)
		values[13] = CStringGetTextDatum(st->name);
	else
		nulls[13] = 'n';
	values[14] = TimestampTzGetDatum(st->started);
	values[15] = Int32GetDatum(st->train_rows);
	values[16] = Int32GetDatum(st->holdout_rows);
	values[17] = ObjectIdGetDatum(caller);
	values[18] = CStringGetTextDatum(st->refit);
	values[19] = CStringGetTextDatum(st->leaked_json);
	if (st->filter != NULL)
		values[20] = JsonbPGetDatum(st->filter);
	else
		nulls[20] = 'n';

	connect_as_owner(&as_owner);
	/* RETURNING the row as written, for aml_train_run_record_error (its owner as a number) */
	ret = SPI_execute_with_args(
		"INSERT INTO automl.runs AS r (relation, target, features, task, metric, greater_is_better, "
		"time_budget, max_evaluations, cv_folds, cv_repeats, test_size, seed, search_space, name, "
		"started_at, train_rows, holdout_rows, status, owner, refit, leaked_columns, filter) "
		"VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.make_interval(secs => $7), $8, $9, $10, $11, "
		"$12, $13, $14, $15, $16, $17, 'running', $18, $19, $20::pg_catalog.jsonb, $21) "
		"RETURNING r.id, (pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.||) "
		"pg_catalog.jsonb_build_object('owner', r.owner::pg_catalog.oid))::pg_catalog.text",
		21, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "storing the run failed: %s", SPI_result_code_string(ret));
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	started->row = MemoryContextStrdup(caller_cxt, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	started->id = run_id;
	disconnect(&as_owner);
	if (IsBackgroundWorker)
	{
		/* for the job worker: this transaction's memory goes with an error */
		if (bgw_started.row != NULL)
			pfree(bgw_started.row);
		bgw_started.row = MemoryContextStrdup(TopMemoryContext, started->row);
		bgw_started.id = run_id;
	}
	return run_id;
}

bool
aml_train_run_take_started(AmlRunStarted *run)
{
	if (bgw_started.id == 0)
		return false;
	*run = bgw_started;
	bgw_started.id = 0;
	bgw_started.row = NULL;
	return true;
}

static void
store_pipelines(int64 run_id, const AmlSearchResult *r)
{
	Oid			ptypes[14] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8ARRAYOID,
		FLOAT8OID, FLOAT8OID, INT4OID, FLOAT8OID, TEXTOID, TEXTOID, FLOAT8OID};
	SPIPlanPtr	plan;
	int			ret;

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
}

void
aml_train_run_succeed(int64 run_id, const AmlRunEnd *end)
{
	const AmlSearchResult *r = end->result;
	Oid			types[10] = {INT8OID, INT4OID, INT4OID, TEXTOID, INT8OID, FLOAT8OID, FLOAT8OID,
		FLOAT8OID, TEXTOID, INT4OID};
	Datum		values[10];
	char		nulls[10];
	AmlActAs	as_owner;
	int			ret;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(r->evaluated);
	values[2] = Int32GetDatum(r->generations);
	values[3] = CStringGetTextDatum(r->stop_reason);
	values[4] = Int64GetDatum(end->model_id);
	values[5] = Float8GetDatum(r->cv_score);
	values[6] = Float8GetDatum(r->cv_std);
	nulls[6] = isnan(r->cv_std) ? 'n' : ' ';
	values[7] = Float8GetDatum(end->holdout_score);
	nulls[7] = isnan(end->holdout_score) ? 'n' : ' ';
	values[8] = end->holdout_json ? CStringGetTextDatum(end->holdout_json) : (Datum) 0;
	nulls[8] = end->holdout_json ? ' ' : 'n';
	values[9] = Int32GetDatum(end->final_rows);

	connect_as_owner(&as_owner);
	ret = SPI_execute_with_args(
		"UPDATE automl.runs SET status = 'succeeded', evaluated = $2, generations = $3, "
		"stop_reason = $4, model_id = $5, cv_score = $6, cv_std = $7, holdout_score = $8, "
		"holdout_metrics = $9::pg_catalog.jsonb, final_rows = $10, "
		"finished_at = pg_catalog.clock_timestamp(), "
		"elapsed = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started_at "
		"WHERE id OPERATOR(pg_catalog.=) $1",
		10, types, values, nulls, false, 0);
	if (ret != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "updating the run failed: %s", SPI_result_code_string(ret));
	store_pipelines(run_id, r);
	disconnect(&as_owner);
}

void
aml_train_run_insert_ended(const AmlRunEnded *ended)
{
	Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[5];
	AmlActAs	as_owner;
	int			ret;

	values[0] = CStringGetTextDatum(ended->row);
	values[1] = CStringGetTextDatum(ended->status);
	values[2] = CStringGetTextDatum(ended->error);
	values[3] = CStringGetTextDatum(ended->sqlstate);
	values[4] = TimestampTzGetDatum(ended->finished);
	connect_as_owner(&as_owner);
	/* every column as written at start (id, owner, job_id ... included), then its end */
	ret = SPI_execute_with_args(
		"INSERT INTO automl.runs SELECT r.* FROM pg_catalog.jsonb_populate_record(NULL::automl.runs, "
		"$1::pg_catalog.jsonb OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
		"'status', $2, 'error', $3, 'sqlstate', $4, 'finished_at', $5, 'elapsed', "
		"$5 OPERATOR(pg_catalog.-) ($1::pg_catalog.jsonb OPERATOR(pg_catalog.->>) 'started_at')::pg_catalog.timestamptz)) r",
		5, types, values, NULL, false, 0);
	if (ret != SPI_OK_INSERT || SPI_processed != 1)
		elog(ERROR, "recording the run failed: %s", SPI_result_code_string(ret));
	disconnect(&as_owner);
}

void
aml_train_run_record_error(const AmlRunStarted *run, const ErrorData *edata)
{
	AmlRunEnded ended;
	char		why[256];
	volatile bool recorded = false;
	MemoryContext cxt = CurrentMemoryContext;
	uint32		holdoff;
	double		t0;

	if (run == NULL || run->id == 0 || run->row == NULL)
		return;					/* the error came before the run started */
	ended.row = run->row;
	ended.status = edata->sqlerrcode == ERRCODE_QUERY_CANCELED ? "cancelled" : "failed";
	ended.error = edata->message ? edata->message : "unknown error";
	strlcpy(ended.sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(ended.sqlstate));
	ended.finished = GetCurrentTimestamp();
	strlcpy(why, "no recorder is installed", sizeof(why));
	t0 = aml_clock();

	/*
	 * Bounded, so not interruptible: a second cancel must not replace the
	 * error being recorded (the caller re-throws it right after).
	 */
	HOLD_INTERRUPTS();
	holdoff = InterruptHoldoffCount;
	PG_TRY();
	{
		if (aml_run_recorder_hook != NULL)
			recorded = aml_run_recorder_hook(&ended, AML_RUN_RECORD_WAIT_MS, why, sizeof(why));
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		InterruptHoldoffCount = holdoff;
		strlcpy(why, e->message ? e->message : "unknown error", sizeof(why));
		recorded = false;
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
	elog(DEBUG1, "automl: recording the end of run %lld took %.1f ms", (long long) run->id,
		 (aml_clock() - t0) * 1000.0);
	if (recorded)
		ereport(NOTICE,
				(errmsg("automl: run %lld recorded as %s in automl.runs", (long long) run->id, ended.status)));
	else
		ereport(WARNING,
				(errmsg("automl: run %lld ended with an error that could not be recorded in automl.runs: %s",
						(long long) run->id, why),
				 errhint("Failed runs are written by a short-lived background worker: it needs a free slot of max_worker_processes.")));
}
