/*
 * deploy_worker.c — the background worker that carries deployment requests
 * to Marathon.
 *
 * One worker per cluster, connected to automl.database (deploy_connect.c:
 * when that database does not exist, the worker waits for it).  Its loop:
 *
 *   wait on a WaitEventSet: its latch (set at commit by wake.c), postmaster
 *   death, and the epoll descriptor of the curl multi handle, for at most
 *   the time until the next thing is due (a retry, a poll, curl's timer, the
 *   safety tick);
 *   claim queued requests (short transaction, SKIP LOCKED);
 *   run every request's state machine, many HTTP calls at once;
 *   record what changed in one short transaction and wake the waiters.
 *
 * A request's state machine (phases are in memory; the row says deploying
 * or deleting until it is final):
 *
 *   SEND     deploy: POST /v2/apps (PUT /v2/apps/{id}?partialUpdate=false
 *            when the app is known to exist); undeploy: DELETE
 *            /v2/apps/{id}?force=true.  201/200 -> FOLLOW.  409 "already
 *            exists" -> RECHECK.  404 on DELETE -> FOLLOW (already gone).
 *   RECHECK  GET /v2/apps/{id}: did an earlier attempt (or a worker that
 *            died) already apply this request?  Every app the registry
 *            deploys carries the label automl.deployment = <request id>, so
 *            the answer is exact: ours -> FOLLOW/VERIFY; someone else's ->
 *            SEND as PUT; 404 -> SEND as POST (undeploy: FOLLOW).
 *   FOLLOW   wait until the Marathon deployment is gone from
 *            GET /v2/deployments (one poll serves every request);
 *            past automl.deploy_timeout -> CANCEL.
 *   VERIFY   GET /v2/apps/{id}: our label, the version, tasksRunning (and
 *            tasksHealthy with health checks) >= instances -> running;
 *            undeploy: 404 -> deleted.
 *   CANCEL   DELETE /v2/deployments/{id} (a rollback; ?force=true for a
 *            stop) -> failed.
 *
 * Retries: transport errors, 5xx, 409 locked, 403 "too many deployments",
 * 408 and 429 are retried with exponential backoff and jitter until
 * automl.deploy_timeout; 400, 401, 403, 422 (and other 4xx) fail at once
 * with Marathon's message.  A failed call that may have reached Marathon
 * (anything but "could not connect") is followed by RECHECK before any new
 * write, so a request is never applied twice.  A worker that dies leaves
 * its requests in deploying/deleting; the next one starts them with
 * RECHECK.  Any ERROR in the loop makes the worker forget its in-memory
 * state and recover from the table the same way.
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
#include "common/pg_prng.h"
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
#include "registry/marathon_client.h"
#include "registry/registry.h"

/* Safety tick: look for requests nobody woke us for (e.g. COMMIT PREPARED). */
#define TICK_MS 5000
/* First retry delay; doubles with every failure up to automl.deploy_max_backoff. */
#define BASE_BACKOFF_MS 100
/* Requests the worker works on at once (HTTP calls are capped by automl.deploy_concurrency). */
#define MAX_TASKS 4096
/* Pause after an unexpected error before recovering from the table. */
#define ERROR_PAUSE_MS 1000

typedef enum Phase
{
	PH_SEND,
	PH_RECHECK,
	PH_FOLLOW,
	PH_VERIFY,
	PH_CANCEL
} Phase;

typedef struct Task
{
	dlist_node	node;
	MemoryContext cxt;			/* everything of this request */
	int64		id;
	bool		is_deploy;
	char	   *marathon_app_id;
	char	   *definition;
	char	   *app;
	char	   *config;
	Phase		phase;
	bool		use_put;
	int			attempts;		/* tries of the request (the claim is the first) */
	bool		tried;			/* has this request been sent (or may it have been)? */
	int			failures;		/* consecutive retryable failures (backoff) */
	TimestampTz next_at;
	TimestampTz deadline;
	TimestampTz follow_since;
	char	   *deployment_id;
	char	   *version;
	char	   *cancel_reason;
	XLogRecPtr	flush_before_write;	/* WAL to flush before the first write (durability) */
	AmlHttpCall *call;			/* in flight */
	/* what to record */
	char	   *last_error;
	int			last_status;
	char	   *error_details;
	int			tasks_running;
	int			tasks_healthy;
	const char *final_state;	/* set when the request is over */
	bool		dirty;
} Task;

static MemoryContext worker_cxt;
static MemoryContext loop_cxt;
static AmlMarathonClient *client;
static WaitEventSet *wait_set;
static dlist_head tasks = DLIST_STATIC_INIT(tasks);
static int	n_tasks = 0;
static bool extension_ready = false;
static bool recovered = false;
static bool need_claim = true;
static char *extension_version = NULL;
static TimestampTz next_tick = 0;
static TimestampTz pause_until = 0;
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

/* ------------------------------------------------------------ helpers */

static void
worker_detach_shmem(int code, Datum arg)
{
	AmlRegistryShared *shared = aml_registry_shared;

	SpinLockAcquire(&shared->mutex);
	if (shared->worker_pid == MyProcPid)
	{
		shared->worker_latch = NULL;
		shared->worker_pid = 0;
	}
	SpinLockRelease(&shared->mutex);
}

static void
configure_client(void)
{
	char	   *ua = psprintf("automl/%s libcurl/%s", extension_version ? extension_version : "unknown",
							  LIBCURL_VERSION);

	aml_marathon_client_configure(client, aml_marathon_url, aml_marathon_credentials, aml_http_timeout_ms,
								  aml_deploy_concurrency, ua);
	pfree(ua);
}

/* Replace a string of the task (value may point into the old one). */
static void
task_set(Task *t, char **field, const char *value)
{
	char	   *copy;

	if (value == *field)
		return;
	copy = value ? MemoryContextStrdup(t->cxt, value) : NULL;
	if (*field != NULL)
		pfree(*field);
	*field = copy;
}

static int64
backoff_ms(int failures)
{
	double		d = BASE_BACKOFF_MS;

	for (int i = 1; i < failures && d < aml_deploy_max_backoff_ms; i++)
		d *= 2;
	d = Min(d, (double) aml_deploy_max_backoff_ms);
	/* "equal jitter": half fixed, half random */
	return (int64) (d / 2 + pg_prng_double(&pg_global_prng_state) * d / 2);
}

static json_object *
json_get(json_object *obj, const char *key)
{
	json_object *v;

	if (obj != NULL && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v))
		return v;
	return NULL;
}

static const char *
json_str(json_object *obj, const char *key)
{
	json_object *v = json_get(obj, key);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int
json_int(json_object *obj, const char *key, int dflt)
{
	json_object *v = json_get(obj, key);

	if (v != NULL && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return json_object_get_int(v);
	return dflt;
}

/* ------------------------------------------------------------ outcomes */

static void
task_error(Task *t, AmlHttpCall *call)
{
	char	   *text = aml_marathon_error_text(call);
	json_object *body = aml_marathon_response_json(call);

	task_set(t, &t->last_error, text);
	t->last_status = (int) call->status;
	task_set(t, &t->error_details,
			 body != NULL && call->response_len < 65536 &&
			 (json_object_is_type(body, json_type_object) || json_object_is_type(body, json_type_array))
			 ? call->response : NULL);
	if (body != NULL)
		json_object_put(body);
	pfree(text);
	t->dirty = true;
}

static void
task_fail(Task *t, const char *message)
{
	task_set(t, &t->last_error, message);
	t->final_state = AML_DEP_FAILED;
	t->dirty = true;
}

static void
task_succeed(Task *t, const char *state)
{
	t->final_state = state;
	t->dirty = true;
}

static void
task_next(Task *t, Phase phase, int64 delay_ms)
{
	t->phase = phase;
	t->next_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay_ms);
	if (phase == PH_FOLLOW)
		t->follow_since = GetCurrentTimestamp();
}

/* A retryable failure: try again after a backoff, unless the deadline is near. */
static void
task_retry(Task *t, AmlHttpCall *call, Phase phase)
{
	int64		delay;

	task_error(t, call);
	t->failures++;
	delay = backoff_ms(t->failures);
	if (TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay) > t->deadline)
	{
		task_fail(t, psprintf("no success within automl.deploy_timeout (%d s): %s",
							  aml_deploy_timeout_ms / 1000, t->last_error));
		return;
	}
	task_next(t, phase, delay);
}

/* ------------------------------------------------------------ tasks */

static Task *
task_from_request(AmlDeployRequest *r, Phase phase)
{
	MemoryContext cxt = AllocSetContextCreate(worker_cxt, "automl deployment", ALLOCSET_SMALL_SIZES);
	Task	   *t = MemoryContextAllocZero(cxt, sizeof(Task));
	TimestampTz now = GetCurrentTimestamp();

	t->cxt = cxt;
	t->id = r->id;
	t->is_deploy = r->is_deploy;
	task_set(t, &t->marathon_app_id, r->marathon_app_id);
	task_set(t, &t->definition, r->definition);
	task_set(t, &t->app, r->app);
	task_set(t, &t->config, r->config);
	task_set(t, &t->deployment_id, r->deployment_id);
	task_set(t, &t->version, r->version);
	t->attempts = r->attempts;
	t->use_put = r->app_exists;
	t->phase = phase;
	/* a recovered request may have been sent by the worker that died */
	t->tried = phase != PH_SEND;
	t->next_at = now;
	t->deadline = TimestampTzPlusMilliseconds(now, aml_deploy_timeout_ms);
	t->tasks_running = t->tasks_healthy = -1;
	dlist_push_tail(&tasks, &t->node);
	n_tasks++;
	return t;
}

static void
task_free(Task *t)
{
	if (t->call != NULL)
		aml_marathon_call_free(t->call);
	dlist_delete(&t->node);
	n_tasks--;
	MemoryContextDelete(t->cxt);
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
	dlist_foreach_modify(iter, &tasks)
	{
		Task	   *t = dlist_container(Task, node, iter.cur);

		t->call = NULL;			/* freed below with the others */
		dlist_delete(&t->node);
		MemoryContextDelete(t->cxt);
	}
	n_tasks = 0;
	aml_marathon_client_abort_all(client);
	aml_store_reset();
	recovered = false;
	extension_ready = false;
	need_claim = true;
}

/* ------------------------------------------------------------ HTTP calls */

static char *
app_path(Task *t, const char *suffix)
{
	return psprintf("/v2/apps%s%s", t->marathon_app_id, suffix);
}

static void
task_start_call(Task *t)
{
	AmlHttpCall *call = NULL;

	switch (t->phase)
	{
		case PH_RECHECK:
		case PH_VERIFY:
			call = aml_marathon_call_new(client, AML_HTTP_GET, app_path(t, ""), NULL, t->id);
			break;
		case PH_SEND:
			/* the claim counted the first try */
			if (t->tried)
				t->attempts++;
			t->tried = true;
			if (!t->is_deploy)
				call = aml_marathon_call_new(client, AML_HTTP_DELETE, app_path(t, "?force=true"), NULL, t->id);
			else if (t->use_put)
				call = aml_marathon_call_new(client, AML_HTTP_PUT, app_path(t, "?partialUpdate=false"),
											 t->definition, t->id);
			else
				call = aml_marathon_call_new(client, AML_HTTP_POST, "/v2/apps", t->definition, t->id);
			break;
		case PH_CANCEL:
			call = aml_marathon_call_new(client, AML_HTTP_DELETE,
										 psprintf("/v2/deployments/%s%s", t->deployment_id,
												  t->is_deploy ? "" : "?force=true"),
										 NULL, t->id);
			break;
		case PH_FOLLOW:
			elog(ERROR, "a followed deployment has no call of its own");
	}
	call->owner = t;
	t->call = call;
	aml_marathon_call_start(call);
}

/* The app a GET /v2/apps/{id} returned, or NULL (body released with *doc). */
static json_object *
app_of(AmlHttpCall *call, json_object **doc)
{
	*doc = aml_marathon_response_json(call);
	return json_get(*doc, "app");
}

static bool
label_is_ours(Task *t, json_object *app)
{
	const char *label = json_str(json_get(app, "labels"), AML_LABEL_DEPLOYMENT);
	char		id[32];

	snprintf(id, sizeof(id), INT64_FORMAT, t->id);
	return label != NULL && strcmp(label, id) == 0;
}

/* A Marathon deployment still touching the app, or NULL. */
static const char *
first_deployment(json_object *app)
{
	json_object *deps = json_get(app, "deployments");

	if (deps != NULL && json_object_is_type(deps, json_type_array) && json_object_array_length(deps) > 0)
		return json_str(json_object_array_get_idx(deps, 0), "id");
	return NULL;
}

/* The app carries our label: follow its deployment, or check its tasks. */
static void
evaluate_app(Task *t, json_object *app)
{
	const char *version = json_str(app, "version");
	const char *dep = first_deployment(app);
	int			instances = json_int(app, "instances", 1);
	json_object *checks = json_get(app, "healthChecks");
	bool		has_checks = checks != NULL && json_object_is_type(checks, json_type_array) &&
		json_object_array_length(checks) > 0;

	if (version != NULL)
		task_set(t, &t->version, version);
	if (dep != NULL)
	{
		task_set(t, &t->deployment_id, dep);
		task_next(t, PH_FOLLOW, 0);
		return;
	}
	t->tasks_running = json_int(app, "tasksRunning", 0);
	t->tasks_healthy = json_int(app, "tasksHealthy", 0);
	if (t->tasks_running >= instances && (!has_checks || t->tasks_healthy >= instances))
	{
		task_succeed(t, AML_DEP_RUNNING);
		return;
	}
	if (TimestampTzPlusMilliseconds(GetCurrentTimestamp(), aml_deploy_poll_interval_ms) > t->deadline)
	{
		task_fail(t, psprintf("app %s did not become %s within automl.deploy_timeout (%d s): "
							  "%d of %d tasks running, %d healthy",
							  t->marathon_app_id, has_checks ? "running and healthy" : "running",
							  aml_deploy_timeout_ms / 1000, t->tasks_running, instances, t->tasks_healthy));
		return;
	}
	t->dirty = true;			/* show the task counts while waiting */
	task_next(t, PH_VERIFY, aml_deploy_poll_interval_ms);
}

static void
on_send(Task *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	switch (outcome)
	{
		case AML_HTTP_OK:
			{
				json_object *body = aml_marathon_response_json(call);
				const char *dep = call->deployment_id[0] ? call->deployment_id : NULL;

				if (dep == NULL)
					dep = json_str(body, "deploymentId");
				if (dep == NULL)
				{
					json_object *deps = json_get(body, "deployments");

					if (deps != NULL && json_object_is_type(deps, json_type_array) &&
						json_object_array_length(deps) > 0)
						dep = json_str(json_object_array_get_idx(deps, 0), "id");
				}
				if (json_str(body, "version") != NULL)
					task_set(t, &t->version, json_str(body, "version"));
				t->failures = 0;
				if (dep != NULL)
				{
					task_set(t, &t->deployment_id, dep);
					t->dirty = true;
					task_next(t, PH_FOLLOW, 0);
				}
				else
				{
					/* maybe applied, but the answer is unreadable: ask Marathon */
					task_set(t, &t->last_error,
							 psprintf("%s %s: Marathon answered %ld with an unreadable body",
									  aml_http_method_name(call->method), call->path, call->status));
					t->dirty = true;
					task_next(t, PH_RECHECK, 0);
				}
				if (body != NULL)
					json_object_put(body);
				break;
			}
		case AML_HTTP_EXISTS:
			if (t->is_deploy)
			{
				/* 409 "already exists": ours from an earlier attempt, or an update */
				t->use_put = true;
				task_next(t, PH_RECHECK, 0);
			}
			else
				task_retry(t, call, PH_RECHECK);
			break;
		case AML_HTTP_NOT_FOUND:
			if (!t->is_deploy)
			{
				/* already gone; a stop may still be running */
				t->failures = 0;
				task_next(t, PH_FOLLOW, 0);
			}
			else
			{
				task_error(t, call);
				task_fail(t, t->last_error);
			}
			break;
		case AML_HTTP_RETRY:
			task_retry(t, call, aml_marathon_may_have_applied(call) ? PH_RECHECK : PH_SEND);
			break;
		case AML_HTTP_PERMANENT:
			task_error(t, call);
			task_fail(t, t->last_error);
			break;
	}
}

static void
on_recheck(Task *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
	{
		json_object *doc;
		json_object *app = app_of(call, &doc);

		if (app == NULL)
			task_retry(t, call, PH_RECHECK);
		else if (!t->is_deploy)
			task_next(t, PH_SEND, 0);	/* still there: delete it */
		else if (label_is_ours(t, app))
			evaluate_app(t, app);	/* already applied */
		else
		{
			t->use_put = true;	/* exists, but not with our definition */
			task_next(t, PH_SEND, 0);
		}
		if (doc != NULL)
			json_object_put(doc);
	}
	else if (outcome == AML_HTTP_NOT_FOUND)
	{
		if (t->is_deploy)
		{
			t->use_put = false;
			task_next(t, PH_SEND, 0);
		}
		else
			task_next(t, PH_FOLLOW, 0);	/* gone: maybe by our own DELETE */
	}
	else if (outcome == AML_HTTP_PERMANENT)
	{
		task_error(t, call);
		task_fail(t, t->last_error);
	}
	else
		task_retry(t, call, PH_RECHECK);
}

static void
on_verify(Task *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
	{
		json_object *doc;
		json_object *app = app_of(call, &doc);

		if (app == NULL)
			task_retry(t, call, PH_VERIFY);
		else if (!t->is_deploy)
			task_fail(t, psprintf("app %s still exists on Marathon after it was deleted (version %s)",
								  t->marathon_app_id, json_str(app, "version") ? json_str(app, "version") : "?"));
		else if (!label_is_ours(t, app))
			task_fail(t, psprintf("app %s was changed on Marathon by someone else: it now carries %s label %s",
								  t->marathon_app_id, AML_LABEL_DEPLOYMENT,
								  json_str(json_get(app, "labels"), AML_LABEL_DEPLOYMENT)
								  ? json_str(json_get(app, "labels"), AML_LABEL_DEPLOYMENT) : "(none)"));
		else
			evaluate_app(t, app);
		if (doc != NULL)
			json_object_put(doc);
	}
	else if (outcome == AML_HTTP_NOT_FOUND)
	{
		if (t->is_deploy)
			task_fail(t, psprintf("app %s disappeared from Marathon before it was running "
								  "(deleted or rolled back by someone else)", t->marathon_app_id));
		else
			task_succeed(t, AML_DEP_DELETED);
	}
	else if (outcome == AML_HTTP_PERMANENT)
	{
		task_error(t, call);
		task_fail(t, t->last_error);
	}
	else
		task_retry(t, call, PH_VERIFY);
}

static void
on_cancel(Task *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
		task_fail(t, psprintf("%s; it was cancelled%s", t->cancel_reason,
							  t->is_deploy ? " and rolled back" : ""));
	else if (outcome == AML_HTTP_NOT_FOUND)
		task_next(t, PH_VERIFY, 0); /* it finished meanwhile */
	else
	{
		char	   *text = aml_marathon_error_text(call);

		task_error(t, call);
		task_fail(t, psprintf("%s; cancelling it failed: %s", t->cancel_reason, text));
	}
}

static void
on_poll(AmlHttpCall *call)
{
	TimestampTz now = GetCurrentTimestamp();
	json_object *doc = NULL;
	dlist_iter	iter;

	if (aml_marathon_outcome(call) == AML_HTTP_OK)
		doc = aml_marathon_response_json(call);
	if (doc == NULL || !json_object_is_type(doc, json_type_array))
	{
		char	   *text = aml_marathon_error_text(call);

		poll_failures++;
		next_poll_at = TimestampTzPlusMilliseconds(now, Min((int64) aml_deploy_max_backoff_ms,
															(int64) aml_deploy_poll_interval_ms << Min(poll_failures, 16)));
		dlist_foreach(iter, &tasks)
		{
			Task	   *t = dlist_container(Task, node, iter.cur);

			if (t->phase == PH_FOLLOW && !t->final_state && now >= t->deadline)
			{
				task_error(t, call);
				task_fail(t, psprintf("could not follow Marathon deployment %s within automl.deploy_timeout (%d s): %s",
									  t->deployment_id ? t->deployment_id : t->marathon_app_id,
									  aml_deploy_timeout_ms / 1000, text));
			}
		}
		if (doc != NULL)
			json_object_put(doc);
		return;
	}

	poll_failures = 0;
	next_poll_at = TimestampTzPlusMilliseconds(poll_started_at, aml_deploy_poll_interval_ms);
	dlist_foreach(iter, &tasks)
	{
		Task	   *t = dlist_container(Task, node, iter.cur);
		const char *found = NULL;
		size_t		n = json_object_array_length(doc);

		if (t->phase != PH_FOLLOW || t->final_state || t->follow_since > poll_started_at)
			continue;
		for (size_t i = 0; i < n && found == NULL; i++)
		{
			json_object *dep = json_object_array_get_idx(doc, i);
			const char *id = json_str(dep, "id");

			if (id == NULL)
				continue;
			if (t->deployment_id != NULL)
			{
				if (strcmp(id, t->deployment_id) == 0)
					found = id;
			}
			else
			{
				json_object *apps = json_get(dep, "affectedApps");

				for (size_t j = 0; apps && json_object_is_type(apps, json_type_array) &&
					 j < json_object_array_length(apps); j++)
					if (strcmp(json_object_get_string(json_object_array_get_idx(apps, j)),
							   t->marathon_app_id) == 0)
						found = id;
			}
		}
		if (found == NULL)
			task_next(t, PH_VERIFY, 0);
		else if (now >= t->deadline)
		{
			task_set(t, &t->deployment_id, found);
			task_set(t, &t->cancel_reason,
					 psprintf("Marathon deployment %s of %s did not finish within automl.deploy_timeout (%d s)",
							  found, t->marathon_app_id, aml_deploy_timeout_ms / 1000));
			task_next(t, PH_CANCEL, 0);
		}
	}
	json_object_put(doc);
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
		{
			Task	   *t = (Task *) call->owner;

			t->call = NULL;
			switch (t->phase)
			{
				case PH_SEND:
					on_send(t, call);
					break;
				case PH_RECHECK:
					on_recheck(t, call);
					break;
				case PH_VERIFY:
					on_verify(t, call);
					break;
				case PH_CANCEL:
					on_cancel(t, call);
					break;
				case PH_FOLLOW:
					elog(ERROR, "unexpected call result for a followed deployment");
			}
		}
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
		Task	   *t = dlist_container(Task, node, iter.cur);

		if (t->final_state || t->call != NULL)
			continue;
		if (!aml_marathon_client_configured(client))
		{
			task_fail(t, "automl.marathon_url is not set");
			continue;
		}
		if (t->phase == PH_FOLLOW)
		{
			following = true;
			continue;
		}
		if (t->next_at > now || aml_marathon_client_in_flight(client) >= aml_deploy_concurrency)
			continue;
		if (t->flush_before_write != InvalidXLogRecPtr && t->phase == PH_SEND)
		{
			/* durability: see the top of this file */
			if (t->flush_before_write > GetFlushRecPtr(NULL))
				XLogFlush(t->flush_before_write);
			t->flush_before_write = InvalidXLogRecPtr;
		}
		task_start_call(t);
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
add_requests(List *requests, Phase phase)
{
	ListCell   *lc;

	foreach(lc, requests)
		(void) task_from_request((AmlDeployRequest *) lfirst(lc), phase);
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
		if (dlist_container(Task, node, it.cur)->dirty)
		n++;
	if (n == 0 && limit == 0)
		return;
	updates = palloc0(sizeof(AmlDeployUpdate) * Max(n, 1));
	n = 0;
	dlist_foreach(it, &tasks)
	{
		Task	   *t = dlist_container(Task, node, it.cur);
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
		Task	   *t = dlist_container(Task, node, it.cur);

		if (t->dirty && t->final_state)
			remember_outcome(t->marathon_app_id, commit_lsn);
	}
	if (limit > 0)
	{
		need_claim = list_length(claimed) >= limit;
		next_tick = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), TICK_MS);
	}

	ConditionVariableBroadcast(&aml_registry_shared->progress_cv);

	dlist_foreach_modify(iter, &tasks)
	{
		Task	   *t = dlist_container(Task, node, iter.cur);

		if (!t->dirty)
			continue;
		t->dirty = false;
		if (t->final_state)
		{
			task_free(t);
			finished = true;
		}
	}
	/* a later request of the same app may go now (this claim already saw them) */
	if (finished && limit == 0)
		need_claim = true;
	foreach(lc, claimed)
	{
		AmlDeployRequest *r = (AmlDeployRequest *) lfirst(lc);
		Task	   *t = task_from_request(r, PH_SEND);

		if (r->app_exists || outcome_not_flushed(r->marathon_app_id))
			t->flush_before_write = commit_lsn;
	}
}

/* ------------------------------------------------------------ the loop */

static void
worker_iteration(void)
{
	TimestampTz now = GetCurrentTimestamp();
	bool		woken = pg_atomic_exchange_u32(&aml_registry_shared->wake_requested, 0) != 0;
	bool		tick = now >= next_tick;

	if (now < pause_until)
		return;
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
		add_requests(aml_store_recover(loop_cxt), PH_RECHECK);
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

	if (now < pause_until)
		due = pause_until;
	else if (extension_ready)
	{
		if (need_claim && n_tasks < MAX_TASKS)
			return 0;
		dlist_foreach(iter, &tasks)
		{
			Task	   *t = dlist_container(Task, node, iter.cur);

			if (t->dirty)
				return 0;		/* something to record */
			if (t->call != NULL || t->final_state)
				continue;
			if (t->phase == PH_FOLLOW)
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

void
aml_deploy_worker_main(Datum main_arg)
{
	AmlRegistryShared *shared = aml_registry_shared;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (shared == NULL)
		elog(ERROR, "automl deploy worker started without shared memory");
	aml_deploy_worker_connect();
	pgstat_report_appname(AML_DEPLOY_WORKER_TYPE);
	/*
	 * The worker is a superuser: once and for all, only the catalog's own
	 * functions, operators and types, whatever the database's or a role's
	 * settings.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

	SpinLockAcquire(&shared->mutex);
	shared->worker_latch = MyLatch;
	shared->worker_pid = MyProcPid;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(worker_detach_shmem, (Datum) 0);

	worker_cxt = AllocSetContextCreate(TopMemoryContext, "automl deploy worker", ALLOCSET_DEFAULT_SIZES);
	loop_cxt = AllocSetContextCreate(worker_cxt, "automl deploy worker loop", ALLOCSET_DEFAULT_SIZES);
	client = aml_marathon_client_create(worker_cxt);
	configure_client();
	wait_set = CreateWaitEventSet(worker_cxt, 3);
	AddWaitEventToSet(wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	AddWaitEventToSet(wait_set, WL_SOCKET_READABLE, aml_marathon_client_socket(client), NULL, NULL);

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

	for (;;)
	{
		WaitEvent	events[3];
		int			n;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			configure_client();
		}

		MemoryContextReset(loop_cxt);
		MemoryContextSwitchTo(loop_cxt);
		PG_TRY();
		{
			worker_iteration();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(worker_cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
			pgstat_report_activity(STATE_IDLE, NULL);
			/* start over from the table, which is always right */
			forget_everything();
			pause_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ERROR_PAUSE_MS);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(worker_cxt);

		n = WaitEventSetWait(wait_set, wait_timeout_ms(), events, lengthof(events), PG_WAIT_EXTENSION);
		for (int i = 0; i < n; i++)
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
	}
}
