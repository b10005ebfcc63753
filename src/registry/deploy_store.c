/*
 * deploy_store.c — the deploy worker's short transactions.
 *
 * Each function is one transaction in the worker_spi shape
 * (StartTransactionCommand, SPI_connect, PushActiveSnapshot ... SPI_finish,
 * PopActiveSnapshot, CommitTransactionCommand, pgstat_report_stat); no HTTP
 * ever happens inside one.
 *
 *   claim    requested -> deploying/deleting (first attempt), oldest first, FOR UPDATE SKIP
 *            LOCKED, and never two requests of one Marathon app at a time
 *            (a later request waits until the earlier one is final).
 *   recover  the requests a previous worker had claimed; the worker asks
 *            Marathon before doing anything for them (idempotency).
 *   record   progress and outcomes, all rows of a round in one statement;
 *            Marathon's error bodies become jsonb here, one at a time in a
 *            subtransaction, so that a body jsonb refuses (\u0000, a number
 *            out of range, bytes that are not text) is kept as a JSON string
 *            instead of aborting the round (and every request in it).
 *
 * The worker runs as a superuser with search_path pinned to pg_catalog,
 * pg_temp; its statements name pg_catalog's functions, operators and types
 * anyway (OPERATOR(pg_catalog.=), pg_catalog.clock_timestamp() ...), so
 * nothing they run can come from a schema someone else can write to.
 * Recording and claiming share one transaction per round of the worker, which
 * commits without waiting for the WAL flush (see deploy_worker.c for why
 * that is safe, and when the worker flushes before a write).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "mb/pg_wchar.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "pg/worker.h"
#include "registry/deploy_store.h"
#include "registry/marathon_doc.h"
#include "registry/registry.h"

/* Longest body kept as a JSON string when jsonb refuses it as it is. */
#define MAX_WRAPPED_BODY_BYTES 65536

#define EQ " OPERATOR(pg_catalog.=) "
#define LT " OPERATOR(pg_catalog.<) "

#define CLAIM_SQL \
	"WITH candidates AS (" \
	"  SELECT d.id FROM automl.deployments d" \
	"   WHERE d.state" EQ "'requested'" \
	"     AND NOT EXISTS (SELECT 1 FROM automl.deployments o" \
	"                      WHERE o.marathon_app_id" EQ "d.marathon_app_id AND o.id" LT "d.id" \
	"                        AND o.state" EQ "ANY ('{requested,deploying,deleting}'::pg_catalog.text[]))" \
	"   ORDER BY d.id LIMIT $1" \
	"   FOR UPDATE SKIP LOCKED) " \
	"UPDATE automl.deployments d" \
	"   SET state = CASE WHEN d.action" EQ "'deploy' THEN 'deploying' ELSE 'deleting' END," \
	"       attempts = d.attempts OPERATOR(pg_catalog.+) 1," \
	"       started_at = pg_catalog.clock_timestamp(), updated_at = pg_catalog.clock_timestamp()," \
	"       deadline = $2" \
	"  FROM candidates c" \
	" WHERE d.id" EQ "c.id " \
	"RETURNING " REQUEST_COLUMNS

#define RECOVER_SQL \
	"SELECT " REQUEST_COLUMNS " FROM automl.deployments d" \
	" WHERE d.state" EQ "ANY ('{deploying,deleting}'::pg_catalog.text[]) ORDER BY d.id"

#define REQUEST_COLUMNS \
	"d.id, d.action, d.marathon_app_id, d.definition::pg_catalog.text, d.app, d.config, d.attempts," \
	" d.marathon_deployment_id, d.marathon_version," \
	" EXISTS (SELECT 1 FROM automl.deployments p WHERE p.marathon_app_id" EQ "d.marathon_app_id" \
	"          AND p.id" LT "d.id AND p.action" EQ "'deploy' AND p.state" EQ "'running')," \
	" d.deadline"

/* every update of a round in one statement (the parameters are typed arrays) */
#define RECORD_SQL \
	"UPDATE automl.deployments d SET state = u.state, attempts = u.attempts, last_error = u.last_error," \
	"       last_http_status = u.http_status, error_details = u.error_details," \
	"       marathon_deployment_id = COALESCE(u.deployment_id, d.marathon_deployment_id)," \
	"       marathon_version = COALESCE(u.version, d.marathon_version)," \
	"       tasks_running = COALESCE(u.tasks_running, d.tasks_running)," \
	"       tasks_healthy = COALESCE(u.tasks_healthy, d.tasks_healthy)," \
	"       next_attempt_at = u.next_attempt_at," \
	"       finished_at = CASE WHEN u.state" EQ "ANY ('{running,failed,deleted}'::pg_catalog.text[])" \
	"                          THEN pg_catalog.clock_timestamp() END," \
	"       updated_at = pg_catalog.clock_timestamp()" \
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)," \
	"                  pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)," \
	"                  pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9)," \
	"                  pg_catalog.unnest($10), pg_catalog.unnest($11))" \
	"       AS u(id, state, attempts, last_error, http_status, error_details, deployment_id, version," \
	"            tasks_running, tasks_healthy, next_attempt_at)" \
	" WHERE d.id" EQ "u.id"

/* a success replaces (or removes) what ran before on the same Marathon app */
#define SUPERSEDE_SQL \
	"UPDATE automl.deployments d SET state = 'deleted', superseded_by = s.id," \
	"       finished_at = pg_catalog.clock_timestamp(), updated_at = pg_catalog.clock_timestamp()" \
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS s(id, marathon_app_id)" \
	" WHERE d.marathon_app_id" EQ "s.marathon_app_id AND d.id" LT "s.id AND d.state" EQ "'running'"

static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr record_plan = NULL;
static SPIPlanPtr supersede_plan = NULL;

void
aml_store_reset(void)
{
	/* after an error the plans may point at a dropped table; leaking them is harmless */
	claim_plan = record_plan = supersede_plan = NULL;
}

bool
aml_store_extension_ready(char **version, MemoryContext into)
{
	bool		ready;

	aml_worker_begin_xact("automl: looking for the extension");
	ready = aml_worker_extension_ready("deployments", version, into);
	aml_worker_end_xact();
	return ready;
}

static char *
copy_text(HeapTuple tuple, TupleDesc desc, int col, MemoryContext into)
{
	char	   *v = SPI_getvalue(tuple, desc, col);

	return v ? MemoryContextStrdup(into, v) : NULL;
}

static List *
requests_from_result(MemoryContext into)
{
	List	   *out = NIL;
	MemoryContext old;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		AmlDeployRequest *r = MemoryContextAllocZero(into, sizeof(AmlDeployRequest));
		bool		isnull;
		char	   *action;

		r->id = DatumGetInt64(SPI_getbinval(t, desc, 1, &isnull));
		action = SPI_getvalue(t, desc, 2);
		r->is_deploy = strcmp(action, "deploy") == 0;
		r->marathon_app_id = copy_text(t, desc, 3, into);
		r->definition = copy_text(t, desc, 4, into);
		r->app = copy_text(t, desc, 5, into);
		r->config = copy_text(t, desc, 6, into);
		r->attempts = DatumGetInt32(SPI_getbinval(t, desc, 7, &isnull));
		r->deployment_id = copy_text(t, desc, 8, into);
		r->version = copy_text(t, desc, 9, into);
		r->app_exists = DatumGetBool(SPI_getbinval(t, desc, 10, &isnull));
		r->deadline = DatumGetTimestampTz(SPI_getbinval(t, desc, 11, &isnull));
		if (isnull)
			r->deadline = 0;
		old = MemoryContextSwitchTo(into);
		out = lappend(out, r);
		MemoryContextSwitchTo(old);
	}
	return out;
}

static int
request_cmp(const ListCell *a, const ListCell *b)
{
	int64		x = ((AmlDeployRequest *) lfirst(a))->id;
	int64		y = ((AmlDeployRequest *) lfirst(b))->id;

	return x < y ? -1 : (x > y ? 1 : 0);
}

List *
aml_store_recover(MemoryContext into)
{
	List	   *out;
	int			rc;

	aml_worker_begin_xact("automl: resuming deployments");
	rc = SPI_execute(RECOVER_SQL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	out = requests_from_result(into);
	aml_worker_end_xact();
	return out;
}

/* A one-dimensional array of n Datums of a type (entries with nulls[i] are NULL). */
static Datum
array_of(Datum *values, bool *nulls, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type, typlen, typbyval, typalign));
}

/* Could jsonb take this text as it is (valid in the database encoding, and not mistaken for it)? */
static bool
plausible_text(const char *text, size_t len)
{
	int			enc = GetDatabaseEncoding();

	if (!pg_verifymbstr(text, (int) len, true))
		return false;
	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return true;
	/* Marathon speaks UTF-8: in another encoding only ASCII means the same */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) text[i] >= 0x80)
			return false;
	return true;
}

/*
 * Marathon's body as jsonb: as it is when jsonb takes it (tried in a
 * subtransaction, whose failure affects nothing else), otherwise a JSON
 * string holding the body's text, cleaned.
 */
static Datum
body_as_jsonb(const char *body)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	size_t		len = strlen(body);
	Datum		volatile result = (Datum) 0;

	if (plausible_text(body, len))
	{
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			result = DirectFunctionCall1(jsonb_in, CStringGetDatum(body));
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		PG_CATCH();
		{
			/* e.g. "unsupported Unicode escape sequence", "value overflows numeric format" */
			MemoryContextSwitchTo(cxt);
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			result = (Datum) 0;
		}
		PG_END_TRY();
	}
	if (result == (Datum) 0)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		escape_json(&buf, aml_marathon_clean_text(body, len, MAX_WRAPPED_BODY_BYTES));
		result = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	}
	return result;
}

static void
record_updates(AmlDeployUpdate *updates, int n)
{
	static const Oid types[11] = {INT8ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID,
	JSONBARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID};
	static const Oid elem[11] = {INT8OID, TEXTOID, INT4OID, TEXTOID, INT4OID, JSONBOID, TEXTOID, TEXTOID,
	INT4OID, INT4OID, TIMESTAMPTZOID};
	Datum	   *cols[11];
	bool	   *nulls[11];
	Datum		args[11];
	Datum	   *sup_ids = palloc(sizeof(Datum) * n);
	Datum	   *sup_apps = palloc(sizeof(Datum) * n);
	int			nsup = 0;
	int			rc;

	for (int c = 0; c < 11; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	for (int i = 0; i < n; i++)
	{
		AmlDeployUpdate *u = &updates[i];

#define TEXT_COL(c, v) do { if ((v) == NULL) nulls[c][i] = true; else cols[c][i] = CStringGetTextDatum(v); } while (0)
		cols[0][i] = Int64GetDatum(u->id);
		cols[1][i] = CStringGetTextDatum(u->state);
		cols[2][i] = Int32GetDatum(u->attempts);
		TEXT_COL(3, u->last_error);
		cols[4][i] = Int32GetDatum(u->http_status);
		nulls[4][i] = u->http_status <= 0;
		if (u->error_details == NULL)
			nulls[5][i] = true;
		else
			cols[5][i] = body_as_jsonb(u->error_details);
		TEXT_COL(6, u->deployment_id);
		TEXT_COL(7, u->version);
		cols[8][i] = Int32GetDatum(u->tasks_running);
		nulls[8][i] = u->tasks_running < 0;
		cols[9][i] = Int32GetDatum(u->tasks_healthy);
		nulls[9][i] = u->tasks_healthy < 0;
		cols[10][i] = TimestampTzGetDatum(u->next_attempt_at);
		nulls[10][i] = u->next_attempt_at == 0;
#undef TEXT_COL
		if (u->supersede)
		{
			sup_ids[nsup] = Int64GetDatum(u->id);
			sup_apps[nsup] = CStringGetTextDatum(u->marathon_app_id);
			nsup++;
		}
	}
	for (int c = 0; c < 11; c++)
		args[c] = array_of(cols[c], nulls[c], n, elem[c]);
	rc = SPI_execute_plan(aml_worker_prepare(&record_plan, RECORD_SQL, 11, (Oid *) types), args, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (nsup > 0)
	{
		Oid			stypes[2] = {INT8ARRAYOID, TEXTARRAYOID};
		Datum		sargs[2] = {array_of(sup_ids, NULL, nsup, INT8OID), array_of(sup_apps, NULL, nsup, TEXTOID)};

		rc = SPI_execute_plan(aml_worker_prepare(&supersede_plan, SUPERSEDE_SQL, 2, stypes), sargs, NULL, false, 0);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	}
}

List *
aml_store_sync(AmlDeployUpdate *updates, int n, int claim_limit, MemoryContext into, bool *gone,
			   XLogRecPtr *commit_lsn)
{
	List	   *claimed = NIL;
	Oid			nsp;

	*gone = false;
	*commit_lsn = InvalidXLogRecPtr;
	aml_worker_begin_xact(claim_limit > 0 ? "automl: recording and claiming deployments" : "automl: recording deployments");
	nsp = get_namespace_oid("automl", true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("deployments", nsp)))
	{
		/* DROP EXTENSION: nothing to record into, nothing to claim */
		*gone = true;
		aml_worker_end_xact();
		return NIL;
	}
	if (n > 0)
		record_updates(updates, n);
	if (claim_limit > 0)
	{
		Oid			types[2] = {INT4OID, TIMESTAMPTZOID};
		Datum		values[2] = {Int32GetDatum(claim_limit),
			TimestampTzGetDatum(TimestampTzPlusMilliseconds(GetCurrentTimestamp(), aml_deploy_timeout_ms))};
		int			rc;

		rc = SPI_execute_plan(aml_worker_prepare(&claim_plan, CLAIM_SQL, 2, types), values, NULL, false, 0);
		if (rc != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
		claimed = requests_from_result(into);
	}
	/*
	 * No waiting for the WAL flush: a record lost in a crash is re-derived
	 * from Marathon when the request is recovered, and the worker flushes the
	 * WAL itself before a write that needs earlier records on disk
	 * (deploy_worker.c, "durability").
	 */
	(void) set_config_option("synchronous_commit", "off", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	aml_worker_end_xact();
	*commit_lsn = XactLastCommitEnd;
	list_sort(claimed, request_cmp);
	return claimed;
}
