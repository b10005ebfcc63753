/*
 * deploy_task.c — the state machine of one deployment request in the deploy
 * worker (phases are in memory; the row says deploying or deleting until it
 * is final):
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
 *            GET /v2/deployments (one poll, made by deploy_worker.c, serves
 *            every request); past the deadline -> CANCEL.
 *   VERIFY   GET /v2/apps/{id}: our label, the version, tasksRunning (and
 *            tasksHealthy with health checks) >= instances -> running;
 *            undeploy: 404 -> deleted.
 *   CANCEL   DELETE /v2/deployments/{id} (a rollback; ?force=true for a
 *            stop) -> failed.
 *
 * Retries: transport errors, 5xx, 409 locked, 403 "too many deployments",
 * 408 and 429 are retried with exponential backoff and jitter until the
 * request's deadline; 400, 401, 403, 422 (and other 4xx) fail at once with
 * Marathon's message.  A failed call that may have reached Marathon
 * (anything but "could not connect") is followed by RECHECK before any new
 * write, so a request is never applied twice.
 *
 * The deadline is the row's (automl.deploy_timeout after the claim), so it
 * does not move when a worker restarts or starts over after an error.
 *
 * Marathon's answers are untrusted (marathon_doc.c reads them): an answer
 * that is not the expected shape is retried like a server error, with a
 * last_error that says what was wrong; a deployment id that is not one
 * fails the request, and is neither stored nor put into a URL.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "common/pg_prng.h"
#include "utils/memutils.h"

#include "registry/deploy_task.h"
#include "registry/registry.h"

/* First retry delay; doubles with every failure up to automl.deploy_max_backoff. */
#define BASE_BACKOFF_MS 100
/* Error bodies larger than this are not kept in error_details. */
#define MAX_ERROR_BODY_BYTES 65536

/* ------------------------------------------------------------ helpers */

/* Replace a string of the task (value may point into the old one). */
static void
task_set(AmlTask *t, char **field, const char *value)
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

/* Is the body an error document worth keeping (deploy_store.c checks that jsonb takes it)? */
static bool
keep_body(const AmlHttpCall *call)
{
	json_object *doc = aml_marathon_response_json(call);

	if (call->response == NULL || call->response_len == 0 || call->response_len > MAX_ERROR_BODY_BYTES)
		return false;
	if (doc != NULL)
		return json_object_is_type(doc, json_type_object) || json_object_is_type(doc, json_type_array);
	/* meant to be JSON, but is not: kept as a JSON string */
	return pg_strncasecmp(call->content_type, "application/json", 16) == 0;
}

/* ------------------------------------------------------------ outcomes */

/* Record a failed call: text (or Marathon's message), its status and its body. */
static void
task_error(AmlTask *t, AmlHttpCall *call, const char *text)
{
	char	   *own = text == NULL ? aml_marathon_error_text(call) : NULL;

	task_set(t, &t->last_error, text ? text : own);
	t->last_status = (int) call->status;
	task_set(t, &t->error_details, text == NULL && keep_body(call) ? call->response : NULL);
	if (own != NULL)
		pfree(own);
	t->dirty = true;
}

void
aml_task_fail(AmlTask *t, const char *message)
{
	task_set(t, &t->last_error, message);
	t->final_state = AML_DEP_FAILED;
	t->dirty = true;
}

static void
task_succeed(AmlTask *t, const char *state)
{
	t->final_state = state;
	t->dirty = true;
}

static void
task_next(AmlTask *t, AmlTaskPhase phase, int64 delay_ms)
{
	t->phase = phase;
	t->next_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay_ms);
	if (phase == AML_PHASE_FOLLOW)
		t->follow_since = GetCurrentTimestamp();
}

/*
 * A retryable failure (text, or Marathon's message when NULL): try again
 * after a backoff, unless that would pass the deadline.
 */
static void
task_retry(AmlTask *t, AmlHttpCall *call, AmlTaskPhase phase, const char *text)
{
	int64		delay;

	task_error(t, call, text);
	t->failures++;
	delay = backoff_ms(t->failures);
	if (TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay) > t->deadline)
	{
		aml_task_fail(t, psprintf("no success within automl.deploy_timeout (%d s): %s",
								  aml_deploy_timeout_ms / 1000, t->last_error));
		return;
	}
	task_next(t, phase, delay);
}

/* A call answered with a deployment id that is not one: the request fails. */
static void
task_bad_deployment_id(AmlTask *t, AmlHttpCall *call, const char *bad_id)
{
	char	   *text = aml_marathon_bad_deployment_id_text(call, bad_id);

	task_error(t, call, text);
	aml_task_fail(t, text);
}

/* ------------------------------------------------------------ tasks */

AmlTask *
aml_task_create(const AmlDeployRequest *r, AmlTaskPhase phase, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "automl deployment", ALLOCSET_SMALL_SIZES);
	AmlTask    *t = MemoryContextAllocZero(cxt, sizeof(AmlTask));
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
	t->tried = phase != AML_PHASE_SEND;
	t->next_at = now;
	/* rows claimed before the deadline was recorded get one from now */
	t->deadline = r->deadline != 0 ? r->deadline : TimestampTzPlusMilliseconds(now, aml_deploy_timeout_ms);
	t->tasks_running = t->tasks_healthy = -1;
	return t;
}

void
aml_task_free(AmlTask *t)
{
	if (t->call != NULL)
		aml_marathon_call_free(t->call);
	MemoryContextDelete(t->cxt);
}

/* ------------------------------------------------------------ HTTP calls */

void
aml_task_start_call(AmlTask *t, AmlMarathonClient *client)
{
	AmlHttpCall *call = NULL;

	switch (t->phase)
	{
		case AML_PHASE_RECHECK:
		case AML_PHASE_VERIFY:
			call = aml_marathon_call_new(client, AML_HTTP_GET, aml_marathon_app_path(t->marathon_app_id, ""),
										 NULL, t->id);
			break;
		case AML_PHASE_SEND:
			/* nothing new is sent past the deadline (RECHECK and SEND could otherwise alternate forever) */
			if (t->tried && GetCurrentTimestamp() >= t->deadline)
			{
				aml_task_fail(t, psprintf("no success within automl.deploy_timeout (%d s)%s%s",
										  aml_deploy_timeout_ms / 1000, t->last_error ? ": " : "",
										  t->last_error ? t->last_error : ""));
				return;
			}
			/* the claim counted the first try */
			if (t->tried)
				t->attempts++;
			t->tried = true;
			if (!t->is_deploy)
				call = aml_marathon_call_new(client, AML_HTTP_DELETE,
											 aml_marathon_app_path(t->marathon_app_id, "?force=true"), NULL, t->id);
			else if (t->use_put)
				call = aml_marathon_call_new(client, AML_HTTP_PUT,
											 aml_marathon_app_path(t->marathon_app_id, "?partialUpdate=false"),
											 t->definition, t->id);
			else
				call = aml_marathon_call_new(client, AML_HTTP_POST, "/v2/apps", t->definition, t->id);
			break;
		case AML_PHASE_CANCEL:
			/* ids are checked before they are kept; a row written by an older worker may not be */
			if (!aml_marathon_deployment_id_ok(t->deployment_id))
			{
				aml_task_fail(t, psprintf("%s; it cannot be cancelled: \"%s\" is not a Marathon deployment id",
										  t->cancel_reason,
										  aml_marathon_clean_text(t->deployment_id ? t->deployment_id : "",
																  t->deployment_id ? strlen(t->deployment_id) : 0,
																  80)));
				return;
			}
			call = aml_marathon_call_new(client, AML_HTTP_DELETE,
										 aml_marathon_deployment_path(t->deployment_id,
																	  t->is_deploy ? "" : "?force=true"),
										 NULL, t->id);
			break;
		case AML_PHASE_FOLLOW:
			elog(ERROR, "a followed deployment has no call of its own");
	}
	call->owner = t;
	t->call = call;
	aml_marathon_call_start(call);
}

/* The app carries our label: follow its deployment, or check its tasks. */
static void
evaluate_app(AmlTask *t, const AmlMarathonApp *app)
{
	if (app->version != NULL)
		task_set(t, &t->version, app->version);
	if (app->deployment_id != NULL)
	{
		task_set(t, &t->deployment_id, app->deployment_id);
		if (GetCurrentTimestamp() >= t->deadline)
		{
			/* (a deployment the app lists but /v2/deployments does not is not followed forever) */
			task_set(t, &t->cancel_reason,
					 psprintf("Marathon deployment %s of %s did not finish within automl.deploy_timeout (%d s)",
							  app->deployment_id, t->marathon_app_id, aml_deploy_timeout_ms / 1000));
			task_next(t, AML_PHASE_CANCEL, 0);
		}
		else
			task_next(t, AML_PHASE_FOLLOW, 0);
		return;
	}
	t->tasks_running = app->tasks_running;
	t->tasks_healthy = app->tasks_healthy;
	if (app->tasks_running >= app->instances && (!app->has_health_checks || app->tasks_healthy >= app->instances))
	{
		task_succeed(t, AML_DEP_RUNNING);
		return;
	}
	if (TimestampTzPlusMilliseconds(GetCurrentTimestamp(), aml_deploy_poll_interval_ms) > t->deadline)
	{
		aml_task_fail(t, psprintf("app %s did not become %s within automl.deploy_timeout (%d s): "
								  "%d of %d tasks running, %d healthy",
								  t->marathon_app_id, app->has_health_checks ? "running and healthy" : "running",
								  aml_deploy_timeout_ms / 1000, app->tasks_running, app->instances,
								  app->tasks_healthy));
		return;
	}
	t->dirty = true;			/* show the task counts while waiting */
	task_next(t, AML_PHASE_VERIFY, aml_deploy_poll_interval_ms);
}

/*
 * Read the app document of a GET /v2/apps/{id} that answered 2xx.  false
 * when it was not usable: then the task retries (malformed) or has failed
 * (a bad deployment id).
 */
static bool
read_app_or_retry(AmlTask *t, AmlHttpCall *call, AmlMarathonApp *app)
{
	char	   *problem;
	const char *bad_id;

	switch (aml_marathon_read_app(call, app, &problem, &bad_id))
	{
		case AML_DOC_OK:
			return true;
		case AML_DOC_MALFORMED:
			task_retry(t, call, t->phase, aml_marathon_unexpected_text(call, "an app document", problem));
			return false;
		case AML_DOC_BAD_ID:
			task_bad_deployment_id(t, call, bad_id);
			return false;
	}
	return false;
}

static void
on_send(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	switch (outcome)
	{
		case AML_HTTP_OK:
			{
				const char *dep;
				const char *version;
				char	   *problem;
				const char *bad_id;

				t->failures = 0;
				switch (aml_marathon_read_write_result(call, &dep, &version, &problem, &bad_id))
				{
					case AML_DOC_BAD_ID:
						task_bad_deployment_id(t, call, bad_id);
						return;
					case AML_DOC_MALFORMED:
						/* maybe applied, but the answer is unreadable: ask Marathon */
						task_set(t, &t->last_error, aml_marathon_unexpected_text(call, "a deployment result", problem));
						t->last_status = (int) call->status;
						t->dirty = true;
						task_next(t, AML_PHASE_RECHECK, 0);
						return;
					case AML_DOC_OK:
						break;
				}
				if (version != NULL)
					task_set(t, &t->version, version);
				if (dep != NULL)
				{
					task_set(t, &t->deployment_id, dep);
					t->dirty = true;
					task_next(t, AML_PHASE_FOLLOW, 0);
				}
				else
				{
					/* applied, but which deployment carries it? ask Marathon */
					task_set(t, &t->last_error,
							 psprintf("%s %s: Marathon answered %ld without a deployment id",
									  aml_http_method_name(call->method), call->path, call->status));
					t->dirty = true;
					task_next(t, AML_PHASE_RECHECK, 0);
				}
				break;
			}
		case AML_HTTP_EXISTS:
			if (t->is_deploy && call->method == AML_HTTP_POST)
			{
				/*
				 * 409 "already exists": ours from an earlier attempt, or an
				 * update.  Asked at once the first time; should Marathon keep
				 * saying so while GET says 404, with growing waits.
				 */
				t->use_put = true;
				t->failures++;
				task_next(t, AML_PHASE_RECHECK, t->failures > 1 ? backoff_ms(t->failures) : 0);
			}
			else
				task_retry(t, call, AML_PHASE_RECHECK, NULL);
			break;
		case AML_HTTP_NOT_FOUND:
			if (!t->is_deploy)
			{
				/* already gone; a stop may still be running */
				t->failures = 0;
				task_next(t, AML_PHASE_FOLLOW, 0);
			}
			else
			{
				task_error(t, call, NULL);
				aml_task_fail(t, t->last_error);
			}
			break;
		case AML_HTTP_RETRY:
			task_retry(t, call, aml_marathon_may_have_applied(call) ? AML_PHASE_RECHECK : AML_PHASE_SEND, NULL);
			break;
		case AML_HTTP_PERMANENT:
			task_error(t, call, NULL);
			aml_task_fail(t, t->last_error);
			break;
	}
}

static void
on_recheck(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);
	AmlMarathonApp app;
	char		id[32];

	if (outcome == AML_HTTP_OK)
	{
		if (!read_app_or_retry(t, call, &app))
			return;
		snprintf(id, sizeof(id), INT64_FORMAT, t->id);
		if (!t->is_deploy)
			task_next(t, AML_PHASE_SEND, 0);	/* still there: delete it */
		else if (app.deployment_label != NULL && strcmp(app.deployment_label, id) == 0)
			evaluate_app(t, &app);	/* already applied */
		else
		{
			t->use_put = true;	/* exists, but not with our definition */
			task_next(t, AML_PHASE_SEND, 0);
		}
	}
	else if (outcome == AML_HTTP_NOT_FOUND)
	{
		if (t->is_deploy)
		{
			t->use_put = false;
			task_next(t, AML_PHASE_SEND, 0);
		}
		else
			task_next(t, AML_PHASE_FOLLOW, 0);	/* gone: maybe by our own DELETE */
	}
	else if (outcome == AML_HTTP_PERMANENT)
	{
		task_error(t, call, NULL);
		aml_task_fail(t, t->last_error);
	}
	else
		task_retry(t, call, AML_PHASE_RECHECK, NULL);
}

static void
on_verify(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);
	AmlMarathonApp app;
	char		id[32];

	if (outcome == AML_HTTP_OK)
	{
		if (!read_app_or_retry(t, call, &app))
			return;
		snprintf(id, sizeof(id), INT64_FORMAT, t->id);
		if (!t->is_deploy)
			aml_task_fail(t, psprintf("app %s still exists on Marathon after it was deleted (version %s)",
									  t->marathon_app_id, app.version ? app.version : "?"));
		else if (app.deployment_label == NULL || strcmp(app.deployment_label, id) != 0)
			aml_task_fail(t, psprintf("app %s was changed on Marathon by someone else: it now carries %s label %s",
									  t->marathon_app_id, AML_LABEL_DEPLOYMENT,
									  app.deployment_label
									  ? aml_marathon_clean_text(app.deployment_label, strlen(app.deployment_label), 80)
									  : "(none)"));
		else
			evaluate_app(t, &app);
	}
	else if (outcome == AML_HTTP_NOT_FOUND)
	{
		if (t->is_deploy)
			aml_task_fail(t, psprintf("app %s disappeared from Marathon before it was running "
									  "(deleted or rolled back by someone else)", t->marathon_app_id));
		else
			task_succeed(t, AML_DEP_DELETED);
	}
	else if (outcome == AML_HTTP_PERMANENT)
	{
		task_error(t, call, NULL);
		aml_task_fail(t, t->last_error);
	}
	else
		task_retry(t, call, AML_PHASE_VERIFY, NULL);
}

static void
on_cancel(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
		aml_task_fail(t, psprintf("%s; it was cancelled%s", t->cancel_reason,
								  t->is_deploy ? " and rolled back" : ""));
	else if (outcome == AML_HTTP_NOT_FOUND)
		task_next(t, AML_PHASE_VERIFY, 0);	/* it finished meanwhile */
	else
	{
		char	   *text = aml_marathon_error_text(call);

		task_error(t, call, NULL);
		aml_task_fail(t, psprintf("%s; cancelling it failed: %s", t->cancel_reason, text));
	}
}

void
aml_task_on_result(AmlTask *t, AmlHttpCall *call)
{
	t->call = NULL;
	switch (t->phase)
	{
		case AML_PHASE_SEND:
			on_send(t, call);
			break;
		case AML_PHASE_RECHECK:
			on_recheck(t, call);
			break;
		case AML_PHASE_VERIFY:
			on_verify(t, call);
			break;
		case AML_PHASE_CANCEL:
			on_cancel(t, call);
			break;
		case AML_PHASE_FOLLOW:
			elog(ERROR, "unexpected call result for a followed deployment");
	}
}

/* ------------------------------------------------------------ following */

void
aml_task_on_deployments(AmlTask *t, const AmlHttpCall *poll, const AmlMarathonDeployment *list, int n,
						TimestampTz now)
{
	const AmlMarathonDeployment *found = NULL;

	for (int i = 0; i < n && found == NULL; i++)
	{
		if (t->deployment_id != NULL)
		{
			if (list[i].id != NULL && strcmp(list[i].id, t->deployment_id) == 0)
				found = &list[i];
		}
		else if (aml_marathon_deployment_affects(&list[i], t->marathon_app_id))
			found = &list[i];
	}
	if (found == NULL)
	{
		task_next(t, AML_PHASE_VERIFY, 0);
		return;
	}
	if (!found->id_ok)
	{
		/* a deployment of our app we could neither recognise later nor cancel */
		char	   *text = aml_marathon_bad_deployment_id_text(poll, found->id);

		task_set(t, &t->last_error, text);
		t->last_status = (int) poll->status;
		aml_task_fail(t, text);
		return;
	}
	if (now >= t->deadline)
	{
		task_set(t, &t->deployment_id, found->id);
		task_set(t, &t->cancel_reason,
				 psprintf("Marathon deployment %s of %s did not finish within automl.deploy_timeout (%d s)",
						  found->id, t->marathon_app_id, aml_deploy_timeout_ms / 1000));
		task_next(t, AML_PHASE_CANCEL, 0);
	}
}

void
aml_task_on_poll_failure(AmlTask *t, const AmlHttpCall *poll, const char *text, TimestampTz now)
{
	if (now >= t->deadline)
	{
		aml_task_fail(t, psprintf("could not follow Marathon deployment %s within automl.deploy_timeout (%d s): %s",
								  t->deployment_id ? t->deployment_id : t->marathon_app_id,
								  aml_deploy_timeout_ms / 1000, text));
		t->last_status = (int) poll->status;
		return;
	}
	/* show why the request is not moving (written once per new reason) */
	if (t->last_error == NULL || strcmp(t->last_error, text) != 0)
	{
		task_set(t, &t->last_error, text);
		t->last_status = (int) poll->status;
		t->dirty = true;
	}
}
