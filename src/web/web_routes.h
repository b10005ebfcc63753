/*
 * web_routes.h — what the files of the HTTP API's routes share (not used
 * outside src/web; the worker calls the entry points in web.h):
 *
 *   web_routes.c           the route table, dispatch in one transaction as the
 *                          authenticated role, SQLSTATE -> HTTP status
 *   web_sql.c              running a route's SQL (plans kept across requests)
 *   web_request.c          reading limit/offset, ids and JSON bodies; responses
 *   web_registry_routes.c  apps, their configurations, deploy and undeploy
 *   web_list_routes.c      the read-only resources (deployments, runs, models)
 *                          and jobs: one handler for a page, one for a row
 *   web_openapi.c          /openapi.json from the route table
 */
#ifndef AML_WEB_ROUTES_H
#define AML_WEB_ROUTES_H

#include "postgres.h"

#include "web/web.h"

#define AML_WEB_MAX_LIMIT 1000
#define AML_WEB_DEFAULT_LIMIT 50

typedef struct Route Route;

/* A route's handler: params are the path's {x} segments, in order. */
typedef void (*RouteFn) (AmlWebRequest *req, AmlWebResponse *res, char **params, const Route *route);

struct Route
{
	const char *method;
	const char *path;			/* /apps/{name}: {x} is one path segment */
	RouteFn		fn;				/* NULL: served by the worker itself */
	const char *summary;
	const char *body;			/* OpenAPI schema of the body, NULL when none */
	bool		list;			/* takes limit/offset */
	const char *filter;			/* name of an extra query argument ("q", "state"), or NULL */
	const void *arg;			/* what a shared handler serves (web_list_routes.c) */
};

extern const Route aml_web_routes[];
extern const int aml_web_n_routes;

/* web_sql.c: run sql with text parameters (NULL: SQL NULL); the first column of the first row, or NULL */
char	   *aml_web_sql(const char *sql, int nargs, const char **args, uint64 *processed);
/* the extension's schema, quoted */
char	   *aml_web_extension_schema(void);

/* web_request.c */
void		aml_web_respond(AmlWebResponse *res, int status, const char *json);
bool		aml_web_paging(AmlWebRequest *req, AmlWebResponse *res, char *limit, char *offset);
bool		aml_web_parse_id(const char *s, AmlWebResponse *res);
const char **aml_web_body_columns(AmlWebRequest *req, AmlWebResponse *res, const char *const *allowed,
								  int *n);
bool		aml_web_column_in(const char *const *cols, int n, const char *c);

/* web_registry_routes.c: the columns a body may set */
extern const char *const aml_web_app_columns[];
extern const char *const aml_web_config_columns[];

void		aml_web_route_apps_list(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_apps_create(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_app_get(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_app_change(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_app_delete(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_configs_list(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_configs_create(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_config_get(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_config_change(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_config_delete(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_deploy(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);

/* web_list_routes.c: route->arg is the resource (web_list_routes.c) */
typedef struct AmlWebResource AmlWebResource;
extern const AmlWebResource aml_web_deployments;
extern const AmlWebResource aml_web_runs;
extern const AmlWebResource aml_web_models;
extern const AmlWebResource aml_web_jobs;

void		aml_web_route_list(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_row(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_jobs_submit(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);
void		aml_web_route_job_cancel(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r);

#endif							/* AML_WEB_ROUTES_H */
