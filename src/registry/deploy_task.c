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
 * request's deadline (automl.deploy_timeout after this worker took it up);
 * 400, 401, 403, 422 (and other 4xx) fail at once with Marathon's message.
 * A failed call that may have reached Marathon (anything but "could not
 * connect") is followed by RECHECK before any new write, so a request is
 * never applied twice.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "common/pg_prng.h"
#include "utils/memutils.h"

#include "registry/deploy_task.h"
#include "registry/registry.h"

/* First retry delay; doubles with every failure up to automl.deploy_max_backoff. */
#define BASE_BACKOFF_MS 100

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
task_error(AmlTask *t, AmlHttpCall *call)
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

/* A retryable failure: try again after a backoff, unless the deadline is near. */
static void
task_retry(AmlTask *t, AmlHttpCall *call, AmlTaskPhase phase)
{
	int64		delay;

	task_error(t, call);
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
	t->deadline = TimestampTzPlusMilliseconds(now, aml_deploy_timeout_ms);
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

static char *
app_path(AmlTask *t, const char *suffix)
{
	return psprintf("/v2/apps%s%s", t->marathon_app_id, suffix);
}

void
aml_task_start_call(AmlTask *t, AmlMarathonClient *client)
{
	AmlHttpCall *call = NULL;

	switch (t->phase)
	{
		case AML_PHASE_RECHECK:
		case AML_PHASE_VERIFY:
			call = aml_marathon_call_new(client, AML_HTTP_GET, app_path(t, ""), NULL, t->id);
			break;
		case AML_PHASE_SEND:
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
		case AML_PHASE_CANCEL:
			call = aml_marathon_call_new(client, AML_HTTP_DELETE,
										 psprintf("/v2/deployments/%s%s", t->deployment_id,
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

/* The app a GET /v2/apps/{id} returned, or NULL (body released with *doc). */
static json_object *
app_of(AmlHttpCall *call, json_object **doc)
{
	*doc = aml_marathon_response_json(call);
	return json_get(*doc, "app");
}

static bool
label_is_ours(AmlTask *t, json_object *app)
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
evaluate_app(AmlTask *t, json_object *app)
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
		task_next(t, AML_PHASE_FOLLOW, 0);
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
		aml_task_fail(t, psprintf("app %s did not become %s within automl.deploy_timeout (%d s): "
							  "%d of %d tasks running, %d healthy",
							  t->marathon_app_id, has_checks ? "running and healthy" : "running",
							  aml_deploy_timeout_ms / 1000, t->tasks_running, instances, t->tasks_healthy));
		return;
	}
	t->dirty = true;			/* show the task counts while waiting */
	task_next(t, AML_PHASE_VERIFY, aml_deploy_poll_interval_ms);
}

static void
on_send(AmlTask *t, AmlHttpCall *call)
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
					task_next(t, AML_PHASE_FOLLOW, 0);
				}
				else
				{
					/* maybe applied, but the answer is unreadable: ask Marathon */
					task_set(t, &t->last_error,
							 psprintf("%s %s: Marathon answered %ld with an unreadable body",
									  aml_http_method_name(call->method), call->path, call->status));
					t->dirty = true;
					task_next(t, AML_PHASE_RECHECK, 0);
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
				task_next(t, AML_PHASE_RECHECK, 0);
			}
			else
				task_retry(t, call, AML_PHASE_RECHECK);
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
				task_error(t, call);
				aml_task_fail(t, t->last_error);
			}
			break;
		case AML_HTTP_RETRY:
			task_retry(t, call, aml_marathon_may_have_applied(call) ? AML_PHASE_RECHECK : AML_PHASE_SEND);
			break;
		case AML_HTTP_PERMANENT:
			task_error(t, call);
			aml_task_fail(t, t->last_error);
			break;
	}
}

static void
on_recheck(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
	{
		json_object *doc;
		json_object *app = app_of(call, &doc);

		if (app == NULL)
			task_retry(t, call, AML_PHASE_RECHECK);
		else if (!t->is_deploy)
			task_next(t, AML_PHASE_SEND, 0);	/* still there: delete it */
		else if (label_is_ours(t, app))
			evaluate_app(t, app);	/* already applied */
		else
		{
			t->use_put = true;	/* exists, but not with our definition */
			task_next(t, AML_PHASE_SEND, 0);
		}
		if (doc != NULL)
			json_object_put(doc);
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
		task_error(t, call);
		aml_task_fail(t, t->last_error);
	}
	else
		task_retry(t, call, AML_PHASE_RECHECK);
}

static void
on_verify(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
	{
		json_object *doc;
		json_object *app = app_of(call, &doc);

		if (app == NULL)
			task_retry(t, call, AML_PHASE_VERIFY);
		else if (!t->is_deploy)
			aml_task_fail(t, psprintf("app %s still exists on Marathon after it was deleted (version %s)",
								  t->marathon_app_id, json_str(app, "version") ? json_str(app, "version") : "?"));
		else if (!label_is_ours(t, app))
			aml_task_fail(t, psprintf("app %s was changed on Marathon by someone else: it now carries %s label %s",
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
			aml_task_fail(t, psprintf("app %s disappeared from Marathon before it was running "
								  "(deleted or rolled back by someone else)", t->marathon_app_id));
		else
			task_succeed(t, AML_DEP_DELETED);
	}
	else if (outcome == AML_HTTP_PERMANENT)
	{
		task_error(t, call);
		aml_task_fail(t, t->last_error);
	}
	else
		task_retry(t, call, AML_PHASE_VERIFY);
}

static void
on_cancel(AmlTask *t, AmlHttpCall *call)
{
	AmlHttpOutcome outcome = aml_marathon_outcome(call);

	if (outcome == AML_HTTP_OK)
		aml_task_fail(t, psprintf("%s; it was cancelled%s", t->cancel_reason,
							  t->is_deploy ? " and rolled back" : ""));
	else if (outcome == AML_HTTP_NOT_FOUND)
		task_next(t, AML_PHASE_VERIFY, 0); /* it finished meanwhile */
	else
	{
		char	   *text = aml_marathon_error_text(call);

		task_error(t, call);
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
aml_task_on_deployments(AmlTask *t, json_object *deployments, TimestampTz now)
{
	const char *found = NULL;
	size_t		n = json_object_array_length(deployments);

	for (size_t i = 0; i < n && found == NULL; i++)
	{
		json_object *dep = json_object_array_get_idx(deployments, i);
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
		task_next(t, AML_PHASE_VERIFY, 0);
	else if (now >= t->deadline)
	{
		task_set(t, &t->deployment_id, found);
		task_set(t, &t->cancel_reason,
				 psprintf("Marathon deployment %s of %s did not finish within automl.deploy_timeout (%d s)",
						  found, t->marathon_app_id, aml_deploy_timeout_ms / 1000));
		task_next(t, AML_PHASE_CANCEL, 0);
	}
}

void
aml_task_on_poll_failure(AmlTask *t, AmlHttpCall *poll, const char *text, TimestampTz now)
{
	if (now >= t->deadline)
	{
		task_error(t, poll);
		aml_task_fail(t, psprintf("could not follow Marathon deployment %s within automl.deploy_timeout (%d s): %s",
								  t->deployment_id ? t->deployment_id : t->marathon_app_id,
								  aml_deploy_timeout_ms / 1000, text));
	}
}
