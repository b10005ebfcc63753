/*
 * deploy_worker.c — the background worker that carries deployment requests
 * to Marathon: its main loop, the shared poll of Marathon's deployments,
 * and the one short transaction per round that records and claims.
 *
 * One worker per cluster, connected to automl.database (pg/worker.h: when
 * that database does not exist, the worker waits for it).  The loop
 * skeleton, shared memory and waking are pg/worker.h's; a round:
 *
 *   wait on a WaitEventSet: its latch (set at commit, pg/worker.h), postmaster
 *   death, and the epoll descriptor of the curl multi handle, for at most
 *   the time until the next thing is due (a retry, a poll, curl's timer, the
 *   safety tick);
 *   claim queued requests (short transaction, SKIP LOCKED);
 *   run every request's state machine (deploy_task.c), many HTTP calls at
 *   once;
 *   record what changed in one short transaction and wake the waiters.
 *
 * A worker that dies leaves its requests in deploying/deleting; the next one
 * starts them with RECHECK.  Any ERROR in the loop makes the worker forget
 * its in-memory state and recover from the table the same way; what a
 * request must keep across that (its deadline) is in its row.
 *
 * Durability.  The worker's transactions do not wait for the WAL flush, so
 * a crash of the server may lose its latest records; what was lost is
 * re-derived from Marathon (RECHECK), and a claim that was lost is claimed
 * again: a second POST gets 409 "already exists" and finds our label, a
 * second DELETE gets 404.  Two cases need the WAL on disk before a write,
 * and get it (one XLogFlush for all writes of a round):
 *   - a PUT, which Marathon would apply a second time after a lost claim;
 *   - a request whose Marathon app had an outcome recorded that may not be
 *     on disk yet: were both lost, the earlier request would be resumed
 *     after this one's write had changed the app, and be applied again.
 * At start the worker flushes everything a previous worker may have left.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "common/hashfn.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "pg/automl.h"
#include "registry/deploy_store.h"
#include "registry/deploy_task.h"
#include "registry/marathon_client.h"
#include "registry/marathon_doc.h"
#include "registry/registry.h"

/* Safety tick: look for requests nobody woke us for (e.g. COMMIT PREPARED). */
#define TICK_MS 5000
/* Requests the worker works on at once (HTTP calls are capped by automl.deploy_concurrency). */
#define MAX_TASKS 4096
/* Pause after an unexpected error before recovering from the table. */
#define ERROR_PAUSE_MS 1000

static AmlWorkerLoop loop;
#define worker_cxt (loop.worker_cxt)
#define loop_cxt (loop.loop_cxt)
static AmlMarathonClient *client;
static dlist_head tasks = DLIST_STATIC_INIT(tasks);
static int	n_tasks = 0;
static bool extension_ready = false;
static bool recovered = false;
static bool need_claim = true;
static char *extension_version = NULL;
static TimestampTz next_tick = 0;
/* the shared poll of GET /v2/deployments */
static AmlHttpCall *poll_call = NULL;
static TimestampTz poll_started_at = 0;
static TimestampTz next_poll_at = 0;
static int	poll_failures = 0;
/* Marathon app (hashed) -> end of the commit that recorded its last outcome */
static HTAB *recent_outcomes = NULL;

typedef struct OutcomeEntry
{
	uint32		app_hash;		/* key */
	XLogRecPtr	lsn;
} OutcomeEntry;

#define task_of(iter_cur) dlist_container(AmlTask, node, (iter_cur))

/* ------------------------------------------------------------ helpers */

static void
configure_client(void)
{
	char	   *ua = psprintf("automl/%s libcurl/%s", extension_version ? extension_version : "unknown",
							  LIBCURL_VERSION);

	aml_marathon_client_configure(client, aml_marathon_url, aml_marathon_credentials, aml_http_timeout_ms,
								  aml_deploy_concurrency, ua);
	pfree(ua);
}

static AmlTask *
add_task(AmlDeployRequest *r, AmlTaskPhase phase)
{
	AmlTask    *t = aml_task_create(r, phase, worker_cxt);

	dlist_push_tail(&tasks, &t->node);
	n_tasks++;
	return t;
}

static void
remove_task(AmlTask *t)
{
	dlist_delete(&t->node);
	n_tasks--;
	aml_task_free(t);
}

static void
forget_everything(void)
{
	dlist_mutable_iter iter;

	if (poll_call != NULL)
	{
		aml_marathon_call_free(poll_call);
		poll_call = NULL;
	}
	/* the calls are freed with the others, below */
	dlist_foreach_modify(iter, &tasks)
	{
		AmlTask    *t = task_of(iter.cur);

		t->call = NULL;
		remove_task(t);
	}
	aml_marathon_client_abort_all(client);
	aml_store_reset();
	recovered = false;
	extension_ready = false;
	need_claim = true;
}

/* ------------------------------------------------------------ HTTP calls */

static void
on_poll(AmlHttpCall *call)
{
	TimestampTz now = GetCurrentTimestamp();
	AmlMarathonDeployment *list = NULL;
	int			n = 0;
	char	   *problem = NULL;
	char	   *text = NULL;
	dlist_iter	iter;

	if (aml_marathon_outcome(call) != AML_HTTP_OK)
		text = aml_marathon_error_text(call);
	else if (aml_marathon_read_deployments(call, &list, &n, &problem) != AML_DOC_OK)
		text = aml_marathon_unexpected_text(call, "a list of deployments", problem);

	if (text != NULL)
	{
		poll_failures++;
		next_poll_at = TimestampTzPlusMilliseconds(now, Min((int64) aml_deploy_max_backoff_ms,
															(int64) aml_deploy_poll_interval_ms << Min(poll_failures, 16)));
		dlist_foreach(iter, &tasks)
		{
			AmlTask    *t = task_of(iter.cur);

			if (t->phase == AML_PHASE_FOLLOW && !t->final_state)
				aml_task_on_poll_failure(t, call, text, now);
		}
		return;
	}

	poll_failures = 0;
	next_poll_at = TimestampTzPlusMilliseconds(poll_started_at, aml_deploy_poll_interval_ms);
	dlist_foreach(iter, &tasks)
	{
		AmlTask    *t = task_of(iter.cur);

		/* a list asked for before the task followed may not show its deployment yet */
		if (t->phase == AML_PHASE_FOLLOW && !t->final_state && t->follow_since <= poll_started_at)
			aml_task_on_deployments(t, call, list, n, now);
	}
}

static void
collect_results(void)
{
	AmlHttpCall *call;

	while ((call = aml_marathon_client_next_done(client)) != NULL)
	{
		if (call == poll_call)
		{
			poll_call = NULL;
			on_poll(call);
		}
		else
			aml_task_on_result((AmlTask *) call->owner, call);
		aml_marathon_call_free(call);
	}
}

static void
schedule_calls(void)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		following = false;
	dlist_iter	iter;

	dlist_foreach(iter, &tasks)
	{
		AmlTask    *t = task_of(iter.cur);

		if (t->final_state || t->call != NULL)
			continue;
		if (!aml_marathon_client_configured(client))
		{
			aml_task_fail(t, "automl.marathon_url is not set");
			continue;
		}
		if (t->phase == AML_PHASE_FOLLOW)
		{
			following = true;
			continue;
		}
		if (t->next_at > now || aml_marathon_client_in_flight(client) >= aml_deploy_concurrency)
			continue;
		if (t->flush_before_write != InvalidXLogRecPtr && t->phase == AML_PHASE_SEND)
		{
			/* durability: see the top of this file */
			if (t->flush_before_write > GetFlushRecPtr(NULL))
				XLogFlush(t->flush_before_write);
			t->flush_before_write = InvalidXLogRecPtr;
		}
		aml_task_start_call(t, client);
	}
	if (following && poll_call == NULL && now >= next_poll_at &&
		aml_marathon_client_in_flight(client) <= aml_deploy_concurrency)
	{
		poll_call = aml_marathon_call_new(client, AML_HTTP_GET, "/v2/deployments", NULL, 0);
		poll_started_at = now;
		aml_marathon_call_start(poll_call);
	}
}

/* ------------------------------------------------------------ the table */

static void
add_requests(List *requests, AmlTaskPhase phase)
{
	ListCell   *lc;

	foreach(lc, requests)
		(void) add_task((AmlDeployRequest *) lfirst(lc), phase);
}

static uint32
app_hash(const char *marathon_app_id)
{
	return hash_bytes((const unsigned char *) marathon_app_id, (int) strlen(marathon_app_id));
}

static void
remember_outcome(const char *marathon_app_id, XLogRecPtr lsn)
{
	uint32		key = app_hash(marathon_app_id);
	OutcomeEntry *e;

	if (hash_get_num_entries(recent_outcomes) > 4096)
	{
		/* forget what is on disk already */
		XLogRecPtr	flushed = GetFlushRecPtr(NULL);
		HASH_SEQ_STATUS seq;

		hash_seq_init(&seq, recent_outcomes);
		while ((e = hash_seq_search(&seq)) != NULL)
			if (e->lsn <= flushed)
				(void) hash_search(recent_outcomes, &e->app_hash, HASH_REMOVE, NULL);
	}
	e = hash_search(recent_outcomes, &key, HASH_ENTER, NULL);
	e->lsn = lsn;
}

/* Was an outcome of this Marathon app recorded in WAL not yet on disk? (hash collisions: flush) */
static bool
outcome_not_flushed(const char *marathon_app_id)
{
	uint32		key = app_hash(marathon_app_id);
	OutcomeEntry *e = hash_search(recent_outcomes, &key, HASH_FIND, NULL);

	return e != NULL && e->lsn > GetFlushRecPtr(NULL);
}

/*
 * One short transaction per round: record what changed, and claim new
 * requests when asked to (woken at commit, a request finished, the tick).
 */
static void
sync_with_table(void)
{
	AmlDeployUpdate *updates;
	int			n = 0;
	int			limit = (need_claim && n_tasks < MAX_TASKS) ? Min(MAX_TASKS - n_tasks, 1000) : 0;
	bool		finished = false;
	bool		gone;
	List	   *claimed;
	XLogRecPtr	commit_lsn;
	ListCell   *lc;
	dlist_mutable_iter iter;
	dlist_iter	it;

	dlist_foreach(it, &tasks)
		if (task_of(it.cur)->dirty)
			n++;
	if (n == 0 && limit == 0)
		return;
	updates = palloc0(sizeof(AmlDeployUpdate) * Max(n, 1));
	n = 0;
	dlist_foreach(it, &tasks)
	{
		AmlTask    *t = task_of(it.cur);
		AmlDeployUpdate *u;

		if (!t->dirty)
			continue;
		u = &updates[n++];
		u->id = t->id;
		u->state = t->final_state ? t->final_state : (t->is_deploy ? AML_DEP_DEPLOYING : AML_DEP_DELETING);
		u->attempts = t->attempts;
		u->last_error = t->last_error;
		u->http_status = t->last_status;
		u->error_details = t->error_details;
		u->deployment_id = t->deployment_id;
		u->version = t->version;
		u->tasks_running = t->tasks_running;
		u->tasks_healthy = t->tasks_healthy;
		u->next_attempt_at = t->final_state ? 0 : (t->next_at > GetCurrentTimestamp() ? t->next_at : 0);
		u->marathon_app_id = t->marathon_app_id;
		u->supersede = t->final_state != NULL && strcmp(t->final_state, AML_DEP_FAILED) != 0;
	}
	claimed = aml_store_sync(updates, n, limit, loop_cxt, &gone, &commit_lsn);
	if (gone)
	{
		/* the extension was dropped: forget everything, look for it again later */
		forget_everything();
		return;
	}
	dlist_foreach(it, &tasks)
	{
		AmlTask    *t = task_of(it.cur);

		if (t->dirty && t->final_state)
			remember_outcome(t->marathon_app_id, commit_lsn);
	}
	if (limit > 0)
	{
		need_claim = list_length(claimed) >= limit;
		next_tick = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), TICK_MS);
	}

	ConditionVariableBroadcast(&aml_registry_shared->progress_cv);
	aml_events_announce();	/* the HTTP worker's /events */

	dlist_foreach_modify(iter, &tasks)
	{
		AmlTask    *t = task_of(iter.cur);

		if (!t->dirty)
			continue;
		t->dirty = false;
		if (t->final_state)
		{
			remove_task(t);
			finished = true;
		}
	}
	/* a later request of the same app may go now (this claim already saw them) */
	if (finished && limit == 0)
		need_claim = true;
	foreach(lc, claimed)
	{
		AmlDeployRequest *r = (AmlDeployRequest *) lfirst(lc);
		AmlTask    *t = add_task(r, AML_PHASE_SEND);

		if (r->app_exists || outcome_not_flushed(r->marathon_app_id))
			t->flush_before_write = commit_lsn;
	}
}

/* ------------------------------------------------------------ the loop */

static void
worker_iteration(void)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		woken = aml_worker_take_wake(&aml_registry_shared->worker);
	bool		tick = now >= next_tick;

	if (!extension_ready)
	{
		if (!woken && !tick && next_tick != 0)
			return;
		next_tick = TimestampTzPlusMilliseconds(now, TICK_MS);
		extension_ready = aml_store_extension_ready(&extension_version, worker_cxt);
		if (!extension_ready)
			return;
		configure_client();
	}
	if (!recovered)
	{
		add_requests(aml_store_recover(loop_cxt), AML_PHASE_RECHECK);
		recovered = true;
		need_claim = true;
	}
	if (woken || tick)
		need_claim = true;

	aml_marathon_client_perform(client);
	collect_results();
	sync_with_table();
	schedule_calls();
	/* start what was just added without waiting for another round */
	aml_marathon_client_perform(client);
	collect_results();
}

static long
wait_timeout_ms(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz due = next_tick;
	long		curl_ms;
	long		secs;
	int			usecs;
	bool		room = aml_marathon_client_in_flight(client) < aml_deploy_concurrency;
	dlist_iter	iter;

	if (extension_ready)
	{
		if (need_claim && n_tasks < MAX_TASKS)
			return 0;
		dlist_foreach(iter, &tasks)
		{
			AmlTask    *t = task_of(iter.cur);

			if (t->dirty)
				return 0;		/* something to record */
			if (t->call != NULL || t->final_state)
				continue;
			if (t->phase == AML_PHASE_FOLLOW)
			{
				if (poll_call == NULL)
					due = Min(due, next_poll_at);
			}
			else if (room)
				due = Min(due, t->next_at);
		}
	}
	if (due <= now)
		return 0;
	TimestampDifference(now, due, &secs, &usecs);
	secs = Min(secs * 1000 + (usecs + 999) / 1000, (long) TICK_MS);
	curl_ms = aml_marathon_client_timeout_ms(client);
	if (curl_ms >= 0)
		secs = Min(secs, curl_ms);
	return secs;
}

static void
on_error(void)
{
	/* start over from the table, which is always right */
	forget_everything();
}

void
aml_deploy_worker_main(Datum main_arg)
{
	AmlRegistryShared *shared = aml_registry_shared;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (shared == NULL)
		elog(ERROR, "automl deploy worker started without shared memory");
	aml_worker_connect(AML_DEPLOY_WORKER_TYPE);
	pgstat_report_appname(AML_DEPLOY_WORKER_TYPE);
	/*
	 * The worker is a superuser: once and for all, only the catalog's own
	 * functions, operators and types, whatever the database's or a role's
	 * settings (its statements name pg_catalog's anyway: deploy_store.c).
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	aml_worker_attach(&shared->worker);

	aml_worker_loop_init(&loop, AML_DEPLOY_WORKER_TYPE, 1);
	loop.error_pause_ms = ERROR_PAUSE_MS;
	loop.iteration = worker_iteration;
	loop.timeout_ms = wait_timeout_ms;
	loop.on_error = on_error;
	loop.on_reload = configure_client;
	client = aml_marathon_client_create(worker_cxt);
	configure_client();
	AddWaitEventToSet(loop.wait_set, WL_SOCKET_READABLE, aml_marathon_client_socket(client), NULL, NULL);

	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(OutcomeEntry);
		ctl.hcxt = worker_cxt;
		recent_outcomes = hash_create("automl recent outcomes", 1024, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* whatever a previous worker recorded is on disk before we write to Marathon */
	XLogFlush(GetXLogInsertRecPtr());

	ereport(LOG, (errmsg("automl deploy worker started in database \"%s\"", aml_guc_database)));
	aml_worker_loop_run(&loop);
}
