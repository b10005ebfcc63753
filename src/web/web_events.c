/*
 * web_events.c — GET /events: Server-Sent Events for the changes of state
 * of deployment requests and jobs, pushed to each stream whose role may see
 * them.
 *
 * How changes are found without polling: the deploy worker, the job
 * scheduler and the job workers announce every transaction that changed a
 * deployment or a job, after its COMMIT (aml_events_announce, src/pg/worker.h:
 * a flag and this worker's latch, in the slot it listens on).  The main loop
 * then calls aml_web_events_scan(), which reads
 *   - the deployments updated since the previous scan (updated_at, with a
 *     10 s overlap for transactions that committed late: the worker stamps
 *     clock_timestamp()),
 *   - the jobs queued or running, and those that ended or were submitted
 *     since the previous scan (same overlap) -- a bounded set,
 * and emits the ones whose state (for a job: state, pipelines evaluated,
 * best score, run and model) differs from what was last emitted.  A change
 * the HTTP API itself made (deploy, submit, cancel) is read inside its
 * transaction and emitted first by the scan after its commit (Staged), so
 * a stream always hears "requested" or "queued" of such a request.  A scan
 * sees rows as they are when it runs: a state a worker left again before
 * the scan (deploying, when Marathon answers within milliseconds) is not
 * told, the state after it is.  (A "requested" deployment or a queued job
 * inserted from SQL is heard about when its worker takes it up.)
 *
 * Visibility: the scan runs as the worker's own role; each stream then
 * keeps only the ids its role can SELECT (row-level security decides, for
 * deployments as for jobs).
 *
 * Streams are libmicrohttpd callback responses: a stream with nothing to
 * send suspends its connection, and is resumed when an event or a
 * keep-alive comment (every HEARTBEAT_MS, which also finds closed clients)
 * is queued.
 */
#include "postgres.h"

#include <microhttpd.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg/security.h"
#include "pg/worker.h"
#include "web/web.h"

#define MAX_STREAMS 256
#define HEARTBEAT_MS 15000
#define OVERLAP_MS 10000
#define FORGET_MS 120000
#define MAX_PENDING (1024 * 1024)

typedef struct Stream
{
	dlist_node	node;
	struct MHD_Connection *conn;
	Oid			role;
	StringInfoData out;
	size_t		sent;
	bool		suspended;
	bool		failed;			/* end the stream at the next read */
} Stream;

typedef struct Known
{
	int64		id;				/* key */
	char		sig[128];		/* what was last emitted (state, progress) */
	TimestampTz seen;
} Known;

/* What is watched: deployments, jobs. */
typedef struct Kind
{
	const char *event;			/* SSE event name */
	const char *table;			/* relation name in schema automl */
	const char *select_sql;		/* id, signature, JSON, FROM the table */
	const char *changes_where;	/* $1: since */
	const char *one_where;		/* $1: an id, as text */
	const char *visible_sql;	/* $1: int8[] of ids; returns the visible ones */
	HTAB	   *known;
	bool		primed;
	TimestampTz last_scan;
} Kind;

static Kind kinds[] = {
	{"deployment", "deployments",
		"SELECT d.id, d.state, pg_catalog.json_build_object('id', d.id, 'action', d.action,"
		" 'state', d.state, 'app', d.app, 'config', d.config, 'updated_at', d.updated_at,"
		" 'last_error', d.last_error, 'tasks_running', d.tasks_running)::pg_catalog.text"
		" FROM automl.deployments d",
		" WHERE d.updated_at OPERATOR(pg_catalog.>=) $1 ORDER BY d.updated_at, d.id",
		" WHERE d.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
		"SELECT d.id FROM automl.deployments d"
		" WHERE d.id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.int8[])"},
	{"job", "jobs",
		"SELECT j.id, pg_catalog.concat_ws('/', j.state, j.evaluated, j.best_score, j.run_id, j.model_id),"
		" pg_catalog.json_build_object('id', j.id, 'state', j.state, 'evaluated', j.evaluated,"
		" 'best_score', j.best_score, 'best_std', j.best_std, 'seconds_left', j.seconds_left,"
		" 'run_id', j.run_id, 'model_id', j.model_id, 'error', j.error,"
		" 'submitted_at', j.submitted_at, 'finished_at', j.finished_at)::pg_catalog.text"
		" FROM automl.jobs j",
		" WHERE j.state OPERATOR(pg_catalog.=) ANY ('{queued,running}'::pg_catalog.text[])"
		" OR j.finished_at OPERATOR(pg_catalog.>=) $1 OR j.submitted_at OPERATOR(pg_catalog.>=) $1"
		" ORDER BY j.id",
		" WHERE j.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
		"SELECT j.id FROM automl.jobs j"
		" WHERE j.id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.int8[])"},
};

/*
 * Changes the HTTP API itself made, read inside the request's transaction
 * (aml_web_events_stage) and emitted by the scan after its commit, before
 * what the scan reads: a worker may already have moved the row on (the
 * deploy worker takes a request up within milliseconds, and a scan alone
 * then saw "deploying" but never "requested").
 */
#define MAX_STAGED 16

typedef struct Staged
{
	int			kind;
	int64		id;
	char	   *sig;
	char	   *json;
} Staged;

static Staged staged[MAX_STAGED];
static int	n_staged = 0;

static MemoryContext events_cxt = NULL;
static dlist_head streams = DLIST_STATIC_INIT(streams);
static int	n_streams = 0;
static TimestampTz next_heartbeat = 0;
static uint64 event_seq = 0;

int
aml_web_events_count(void)
{
	return n_streams;
}

/* Listen for the workers' announcements (src/pg/worker.h), once. */
void
aml_web_events_listen(void)
{
	aml_events_listen();
}

/* Did a worker announce a change since the last call?  (Only matters with streams open.) */
bool
aml_web_events_announced(void)
{
	return aml_events_take() && n_streams > 0;
}

static void
wake_stream(Stream *s)
{
	if (s->suspended)
	{
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	Stream	   *s = cls;
	size_t		avail;

	if (s->failed)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	avail = s->out.len - s->sent;
	if (avail == 0)
	{
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		return 0;
	}
	if (avail > max)
		avail = max;
	memcpy(buf, s->out.data + s->sent, avail);
	s->sent += avail;
	if (s->sent == (size_t) s->out.len)
	{
		resetStringInfo(&s->out);
		s->sent = 0;
	}
	return (ssize_t) avail;
}

static void
stream_free(void *cls)
{
	Stream	   *s = cls;

	dlist_delete(&s->node);
	n_streams--;
	pfree(s->out.data);
	pfree(s);
}

struct MHD_Response *
aml_web_events_open(struct MHD_Connection *conn, Oid role)
{
	Stream	   *s;
	struct MHD_Response *r;
	MemoryContext old;

	if (n_streams >= MAX_STREAMS)
		return NULL;
	if (events_cxt == NULL)
		events_cxt = AllocSetContextCreate(TopMemoryContext, "automl http events", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(events_cxt);
	s = palloc0(sizeof(Stream));
	initStringInfo(&s->out);
	MemoryContextSwitchTo(old);
	s->conn = conn;
	s->role = role;
	appendStringInfoString(&s->out, "retry: 2000\n: automl events\n\n");
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
	if (r == NULL)
	{
		pfree(s->out.data);
		pfree(s);
		return NULL;
	}
	dlist_push_tail(&streams, &s->node);
	n_streams++;
	if (next_heartbeat == 0)
		next_heartbeat = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), HEARTBEAT_MS);
	return r;
}

long
aml_web_events_heartbeat(void)
{
	TimestampTz now = GetCurrentTimestamp();
	dlist_iter	it;
	long		secs;
	int			usecs;

	if (n_streams == 0)
	{
		next_heartbeat = 0;
		return -1;
	}
	if (now >= next_heartbeat)
	{
		dlist_foreach(it, &streams)
		{
			Stream	   *s = dlist_container(Stream, node, it.cur);

			appendStringInfoString(&s->out, ": keep-alive\n\n");
			wake_stream(s);
		}
		next_heartbeat = TimestampTzPlusMilliseconds(now, HEARTBEAT_MS);
	}
	TimestampDifference(now, next_heartbeat, &secs, &usecs);
	return secs * 1000 + usecs / 1000 + 1;
}

typedef struct Change
{
	int64		id;
	char	   *json;
} Change;

static void
ensure_known(Kind *kind)
{
	HASHCTL		ctl;

	if (kind->known != NULL)
		return;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(Known);
	kind->known = hash_create("automl http known states", 256, &ctl, HASH_ELEM | HASH_BLOBS);
}

/* Queue the changes (ids: a SQL array literal of theirs) that s's role may see. */
static void
push_visible(Stream *s, Kind *kind, Change *changes, int n, const char *ids)
{
	AmlActAs	act;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int			rc;

	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(s->role)))
	{
		s->failed = true;
		wake_stream(s);
		return;
	}
	values[0] = CStringGetTextDatum(ids);
	aml_act_as(&act, s->role);
	rc = SPI_execute_with_args(kind->visible_sql, 1, types, values, NULL, true, 0);
	aml_act_end(&act);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	for (int i = 0; i < n; i++)
	{
		for (uint64 k = 0; k < SPI_processed; k++)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull));

			if (id == changes[i].id)
			{
				if (s->out.len > MAX_PENDING)
				{
					/* a client that does not read: end its stream */
					s->failed = true;
					break;
				}
				appendStringInfo(&s->out, "id: " UINT64_FORMAT "\nevent: %s\ndata: %s\n\n",
								 ++event_seq, kind->event, changes[i].json);
				break;
			}
		}
	}
	wake_stream(s);
}

/* Remember what a change of the request's transaction looks like (see Staged). */
void
aml_web_events_stage(const char *event, const char *id)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(id)};
	MemoryContext old;
	bool		isnull;
	int			k;

	if (n_streams == 0 || n_staged >= MAX_STAGED)
		return;					/* no one to tell; or the scan finds the row as it is then */
	for (k = 0; k < lengthof(kinds); k++)
		if (strcmp(kinds[k].event, event) == 0)
			break;
	if (k == lengthof(kinds))
		elog(ERROR, "unknown event kind \"%s\"", event);
	/* not read-only: a snapshot that sees what the request wrote */
	if (SPI_execute_with_args(psprintf("%s%s", kinds[k].select_sql, kinds[k].one_where), 1, types, values,
							  NULL, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		return;
	old = MemoryContextSwitchTo(events_cxt);
	staged[n_staged].kind = k;
	staged[n_staged].id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	staged[n_staged].sig = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	staged[n_staged].json = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	if (staged[n_staged].sig == NULL)
		staged[n_staged].sig = pstrdup("");
	MemoryContextSwitchTo(old);
	n_staged++;
}

/* How many changes are staged: a request's start, for aml_web_events_discard_staged. */
int
aml_web_events_staged(void)
{
	return n_staged;
}

/* Changes staged after the first `from` did not happen: their transaction did not commit. */
void
aml_web_events_discard_staged(int from)
{
	for (int i = from; i < n_staged; i++)
	{
		pfree(staged[i].sig);
		if (staged[i].json != NULL)
			pfree(staged[i].json);
	}
	if (from < n_staged)
		n_staged = from;
}

/* The staged changes of one kind, pushed (inside the scan's transaction) and forgotten. */
static void
emit_staged(Kind *kind, TimestampTz now)
{
	int			k = (int) (kind - kinds);
	Change	   *changes;
	StringInfoData ids;
	int			n = 0;
	int			kept = 0;

	if (n_staged == 0)
		return;
	changes = palloc(sizeof(Change) * n_staged);
	initStringInfo(&ids);
	appendStringInfoChar(&ids, '{');
	for (int i = 0; i < n_staged; i++)
	{
		Known	   *known;
		bool		found;

		if (staged[i].kind != k)
		{
			staged[kept++] = staged[i];
			continue;
		}
		known = hash_search(kind->known, &staged[i].id, HASH_ENTER, &found);
		known->seen = now;
		if (!(found && strncmp(known->sig, staged[i].sig, sizeof(known->sig) - 1) == 0) &&
			staged[i].json != NULL)
		{
			strlcpy(known->sig, staged[i].sig, sizeof(known->sig));
			changes[n].id = staged[i].id;
			changes[n].json = pstrdup(staged[i].json);
			appendStringInfo(&ids, "%s" INT64_FORMAT, n ? "," : "", staged[i].id);
			n++;
		}
		pfree(staged[i].sig);
		if (staged[i].json != NULL)
			pfree(staged[i].json);
	}
	n_staged = kept;
	appendStringInfoChar(&ids, '}');
	if (n > 0)
	{
		dlist_iter	it;

		dlist_foreach(it, &streams)
			push_visible(dlist_container(Stream, node, it.cur), kind, changes, n, ids.data);
	}
}

/* One kind: read its changes (inside the scan's transaction) and push them. */
static void
scan_kind(Kind *kind, TimestampTz now)
{
	AmlActAs	act;
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	int			rc;
	Change	   *changes;
	int			n = 0;
	StringInfoData ids;
	HASH_SEQ_STATUS hs;
	Known	   *k;
	TimestampTz since;

	if (aml_automl_relid(kind->table) == InvalidOid)
		return;
	ensure_known(kind);
	emit_staged(kind, now);
	since = kind->primed ? kind->last_scan : now;
	values[0] = TimestampTzGetDatum(TimestampTzPlusMilliseconds(since, -OVERLAP_MS));
	aml_act_as(&act, InvalidOid);
	rc = SPI_execute_with_args(psprintf("%s%s", kind->select_sql, kind->changes_where), 1, types, values,
							   NULL, true, 0);
	aml_act_end(&act);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	changes = palloc(sizeof(Change) * (SPI_processed + 1));
	initStringInfo(&ids);
	appendStringInfoChar(&ids, '{');
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		bool		isnull,
					found;
		int64		id = DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
		char	   *sig = SPI_getvalue(t, SPI_tuptable->tupdesc, 2);

		if (sig == NULL)
			sig = "";
		k = hash_search(kind->known, &id, HASH_ENTER, &found);
		k->seen = now;
		if (found && strncmp(k->sig, sig, sizeof(k->sig) - 1) == 0)
			continue;
		strlcpy(k->sig, sig, sizeof(k->sig));
		if (!kind->primed)
			continue;
		changes[n].id = id;
		changes[n].json = SPI_getvalue(t, SPI_tuptable->tupdesc, 3);
		appendStringInfo(&ids, "%s" INT64_FORMAT, n ? "," : "", id);
		n++;
	}
	appendStringInfoChar(&ids, '}');
	if (n > 0)
	{
		dlist_iter	it;

		dlist_foreach(it, &streams)
			push_visible(dlist_container(Stream, node, it.cur), kind, changes, n, ids.data);
	}
	/* rows not seen for a while will not come back through the overlap window */
	hash_seq_init(&hs, kind->known);
	while ((k = hash_seq_search(&hs)) != NULL)
		if (TimestampDifferenceExceeds(k->seen, now, FORGET_MS))
			(void) hash_search(kind->known, &k->id, HASH_REMOVE, NULL);
	kind->primed = true;
	kind->last_scan = now;
}

void
aml_web_events_scan(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	TimestampTz now = GetCurrentTimestamp();

	if (n_streams == 0)
	{
		for (int i = 0; i < lengthof(kinds); i++)
			kinds[i].primed = false;
		aml_web_events_discard_staged(0);
		return;
	}

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		for (int i = 0; i < lengthof(kinds); i++)
			scan_kind(&kinds[i], now);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(LOG, (errmsg("automl http: looking for events failed: %s", e->message)));
		FreeErrorData(e);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}
