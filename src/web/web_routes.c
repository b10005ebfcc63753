/*
 * web_routes.c — the HTTP API's routes: one table, each route a few SQL
 * statements run through SPI as the authenticated role, in one short
 * transaction (grants and row-level security decide what it sees and may
 * change); /openapi.json is generated from the same table (web_openapi.c).
 * The handlers live in web_registry_routes.c and web_list_routes.c
 * (web_routes.h lists the files).
 *
 * Errors map from the SQLSTATE: 22xxx, 23502 and 23514 -> 422 with
 * PostgreSQL's message, detail and hint; 42501 -> 403; 23505, 23503 and
 * 55xxx -> 409; 40001/40P01/57014 -> 503; anything else -> 500 saying only
 * "internal error" (the server log has the message).
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "pg/security.h"
#include "web/web_routes.h"

bool		aml_web_changed_deployments = false;

/* ------------------------------------------------------------ the table */

const Route aml_web_routes[] = {
	{"GET", "/apps", aml_web_route_apps_list, "List apps (by name)", NULL, true, "q"},
	{"POST", "/apps", aml_web_route_apps_create, "Register an app", "App", false, NULL},
	{"GET", "/apps/{name}", aml_web_route_app_get, "One app, with its configuration names", NULL, false, NULL},
	{"PUT", "/apps/{name}", aml_web_route_app_change, "Replace an app (omitted fields get their default)", "App", false, NULL},
	{"PATCH", "/apps/{name}", aml_web_route_app_change, "Change some fields of an app", "App", false, NULL},
	{"DELETE", "/apps/{name}", aml_web_route_app_delete, "Delete an app that is not deployed", NULL, false, NULL},
	{"GET", "/apps/{name}/configs", aml_web_route_configs_list, "An app's configurations", NULL, false, NULL},
	{"POST", "/apps/{name}/configs", aml_web_route_configs_create, "Add a configuration", "Config", false, NULL},
	{"GET", "/apps/{name}/configs/{config}", aml_web_route_config_get, "One configuration", NULL, false, NULL},
	{"PUT", "/apps/{name}/configs/{config}", aml_web_route_config_change, "Replace a configuration", "Config", false, NULL},
	{"PATCH", "/apps/{name}/configs/{config}", aml_web_route_config_change, "Change some fields of a configuration", "Config", false, NULL},
	{"DELETE", "/apps/{name}/configs/{config}", aml_web_route_config_delete, "Delete a configuration that is not deployed", NULL, false, NULL},
	{"POST", "/apps/{name}/configs/{config}/deploy", aml_web_route_deploy, "Deploy a configuration on Marathon (202)", NULL, false, NULL},
	{"DELETE", "/apps/{name}/configs/{config}/deploy", aml_web_route_deploy, "Undeploy a configuration (202)", NULL, false, NULL},
	{"GET", "/deployments", aml_web_route_list, "Deployment requests, newest first", NULL, true, "state", &aml_web_deployments},
	{"GET", "/deployments/{id}", aml_web_route_row, "One deployment request", NULL, false, NULL, &aml_web_deployments},
	{"GET", "/runs", aml_web_route_list, "Training runs, newest first", NULL, true, "state", &aml_web_runs},
	{"GET", "/runs/{id}", aml_web_route_row, "One run with its leaderboard and pipelines", NULL, false, NULL, &aml_web_runs},
	{"GET", "/models", aml_web_route_list, "Fitted models, newest first", NULL, true, "q", &aml_web_models},
	{"GET", "/models/{id}", aml_web_route_row, "One model (without its fitted pipeline)", NULL, false, NULL, &aml_web_models},
	{"GET", "/jobs", aml_web_route_list, "Training jobs you may see, newest first (501 without the job queue)", NULL, true, "state", &aml_web_jobs},
	{"POST", "/jobs", aml_web_route_jobs_submit, "Submit a training job: automl_submit's arguments by name (relation, target ...)", "JobSubmit", false, NULL},
	{"GET", "/jobs/{id}", aml_web_route_row, "One job: state, progress, run and model ids", NULL, false, NULL, &aml_web_jobs},
	{"POST", "/jobs/{id}/cancel", aml_web_route_job_cancel, "Cancel a job (optional body {\"keep_best\": bool}, default true; 409 when it has ended)", NULL, false, NULL},
	{"GET", "/events", NULL, "Server-Sent Events: deployment state changes", NULL, false, NULL},
	{"GET", "/openapi.json", NULL, "This document (no authentication)", NULL, false, NULL},
};

const int	aml_web_n_routes = lengthof(aml_web_routes);

/* Match segments against a route's path; fills params (at most 4). */
static bool
match(const Route *r, char **segments, int n, char **params)
{
	const char *s = r->path + 1;
	int			i = 0;
	int			np = 0;

	while (*s)
	{
		const char *e = strchr(s, '/');
		size_t		len = e ? (size_t) (e - s) : strlen(s);

		if (i >= n)
			return false;
		if (s[0] == '{')
			params[np++] = segments[i];
		else if (strlen(segments[i]) != len || strncmp(segments[i], s, len) != 0)
			return false;
		i++;
		s += len;
		if (*s == '/')
			s++;
	}
	return i == n;
}

bool
aml_web_route_exists(char **segments, int n, bool *method_ok, const char *method)
{
	char	   *params[4];
	bool		any = false;

	*method_ok = false;
	for (int k = 0; k < aml_web_n_routes; k++)
		if (match(&aml_web_routes[k], segments, n, params))
		{
			any = true;
			if (strcmp(aml_web_routes[k].method, method) == 0)
				*method_ok = true;
		}
	return any;
}

static int
status_of(ErrorData *e, const char **error)
{
	int			code = e->sqlerrcode;

	*error = e->message;
	switch (code)
	{
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			return 403;
		case ERRCODE_UNIQUE_VIOLATION:
		case ERRCODE_FOREIGN_KEY_VIOLATION:
		case ERRCODE_EXCLUSION_VIOLATION:
			return 409;
		case ERRCODE_CHECK_VIOLATION:
		case ERRCODE_NOT_NULL_VIOLATION:
		case ERRCODE_UNDEFINED_OBJECT:	/* e.g. an owner that is no role */
		case ERRCODE_UNDEFINED_TABLE:	/* a job's relation */
		case ERRCODE_UNDEFINED_COLUMN:	/* a job's target */
		case ERRCODE_INVALID_TEXT_REPRESENTATION:
			return 422;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
		case ERRCODE_QUERY_CANCELED:
		case ERRCODE_LOCK_NOT_AVAILABLE:
			return 503;
	}
	if (ERRCODE_TO_CATEGORY(code) == ERRCODE_DATA_EXCEPTION)
		return 422;
	if (ERRCODE_TO_CATEGORY(code) == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
		return 409;
	if (ERRCODE_TO_CATEGORY(code) == ERRCODE_INSUFFICIENT_RESOURCES ||
		ERRCODE_TO_CATEGORY(code) == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		return 503;
	*error = "internal error";
	return 500;
}

void
aml_web_dispatch(AmlWebRequest *req, AmlWebResponse *res)
{
	const Route *volatile route = NULL;
	char	   *params[4] = {NULL, NULL, NULL, NULL};
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool in_xact = false;
	int			staged_before;	/* events staged by earlier requests, not yet emitted */

	for (int k = 0; k < aml_web_n_routes; k++)
		if (strcmp(aml_web_routes[k].method, req->method) == 0 && match(&aml_web_routes[k], req->segments, req->n_segments, params))
		{
			route = &aml_web_routes[k];
			break;
		}
	if (route == NULL || route->fn == NULL)
	{
		/* the worker serves /events and /openapi.json itself */
		aml_web_error(res, 404, "not found", NULL, NULL);
		return;
	}
	aml_web_changed_deployments = false;
	staged_before = aml_web_events_staged();
	res->status = 0;

	PG_TRY();
	{
		AmlActAs	act;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		in_xact = true;
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		if (aml_automl_relid("apps") == InvalidOid)
			aml_web_error(res, 503, "automl is not installed in this database",
						  NULL, "CREATE EXTENSION automl in the database named by automl.database.");
		else
		{
			aml_act_as(&act, req->role);
			route->fn(req, res, params, route);
			aml_act_end(&act);
		}
		SPI_finish();
		PopActiveSnapshot();
		if (res->status >= 400)
		{
			AbortCurrentTransaction();
			aml_web_changed_deployments = false;
			aml_web_events_discard_staged(staged_before);
		}
		else
			CommitTransactionCommand();
		in_xact = false;
	}
	PG_CATCH();
	{
		ErrorData  *e;
		const char *error;
		int			status;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		if (in_xact)
			AbortCurrentTransaction();
		aml_web_changed_deployments = false;
		aml_web_events_discard_staged(staged_before);
		status = status_of(e, &error);
		if (status == 500)
		{
			ereport(LOG, (errmsg("automl http: %s %s failed: %s", req->method, route->path, e->message)));
			aml_web_error(res, 500, "internal error", NULL, NULL);
		}
		else
		{
			aml_web_error(res, status, error, e->detail, e->hint);
			if (status == 503)
				res->retry_after = 1;
		}
		FreeErrorData(e);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	if (res->status == 0)
		aml_web_error(res, 500, "internal error", NULL, NULL);
}
