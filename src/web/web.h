/*
 * web.h — automl's HTTP API and dashboard (Maracker's face): a background
 * worker serving HTTP/1.1 with libmicrohttpd, every request authenticated as
 * a PostgreSQL role and run in its own short transaction as that role.
 *
 *   web_guc.c      GUCs (automl.http_*) and the registration of the worker
 *   web_worker.c   the worker: main loop, libmicrohttpd in external-epoll
 *                  mode, request bodies, static files, responses
 *   web_auth.c     HTTP Basic credentials checked against pg_authid the way
 *                  the server checks a password; failures rate-limited
 *   web_routes.c   the route table, dispatch, SQLSTATE -> HTTP status; the
 *                  routes' handlers, their SQL and /openapi.json are in the
 *                  files web_routes.h lists
 *   web_events.c   /events (Server-Sent Events): deployment and job state
 *                  changes, found when a worker's announcement wakes us
 *
 * Everything runs in the worker's one thread: libmicrohttpd is driven from
 * the main loop (no internal threads), so its callbacks may use the backend.
 */
#ifndef AML_WEB_WEB_H
#define AML_WEB_WEB_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* ---------------------------------------------------------------- GUCs */
extern char *aml_http_listen;			/* automl.http_listen: "host:port", '' = off */
extern char *aml_http_ssl_cert_file;	/* automl.http_ssl_cert_file */
extern char *aml_http_ssl_key_file;		/* automl.http_ssl_key_file */
extern int	aml_http_max_body;			/* automl.http_max_body (bytes) */
extern int	aml_http_auth_max_failures;	/* automl.http_auth_max_failures (per client, per minute) */
extern bool aml_http_allow_superuser;	/* automl.http_allow_superuser */
extern int	aml_http_max_connections;	/* automl.http_max_connections */

#define AML_WEB_WORKER_TYPE "automl http worker"

/* Called from _PG_init (once each). */
void		aml_web_define_gucs(void);
void		aml_web_register_worker(void);

PGDLLEXPORT void aml_web_worker_main(Datum main_arg);

/* ------------------------------------------------------------ responses */
typedef struct AmlWebResponse
{
	int			status;
	StringInfoData body;		/* JSON */
	char	   *location;		/* Location header (201), or NULL */
	bool		challenge;		/* add WWW-Authenticate (401) */
	int			retry_after;	/* seconds, for 429/503; 0 = none */
} AmlWebResponse;

void		aml_web_error(AmlWebResponse *res, int status, const char *error, const char *detail,
						  const char *hint);

/* --------------------------------------------------------------- auth */
typedef enum AmlAuthOutcome
{
	AML_AUTH_OK,
	AML_AUTH_MISSING,			/* no credentials: 401 */
	AML_AUTH_FAILED,			/* wrong user/password, no login, expired: 401 */
	AML_AUTH_FORBIDDEN,			/* right password, but superuser over HTTP refused: 403 */
	AML_AUTH_THROTTLED			/* too many failures from this address: 429 */
} AmlAuthOutcome;

/*
 * Check user/password (NULL user: none given) from client address `addr`;
 * sets *role.  Must be called inside a transaction.
 */
AmlAuthOutcome aml_web_authenticate(const char *user, const char *password, const char *addr, Oid *role);
/* Seconds until `addr` may try again (0 when it is not throttled). */
int			aml_web_auth_retry_after(const char *addr);
/* Forget the failure counts (configuration reload). */
void		aml_web_auth_reset(void);

/* -------------------------------------------------------------- routes */
typedef struct AmlWebRequest
{
	const char *method;
	char	  **segments;		/* percent-decoded path segments */
	int			n_segments;
	const char *limit;			/* query arguments (decoded), NULL when absent */
	const char *offset;
	const char *state;
	const char *q;
	const char *body;			/* NUL-terminated, NULL when empty */
	size_t		body_len;
	Oid			role;
	const char *role_name;
} AmlWebRequest;

/* Run the matching route as req->role (its own transaction); fills res. */
void		aml_web_dispatch(AmlWebRequest *req, AmlWebResponse *res);
/* True when the path names a route (any method). */
bool		aml_web_route_exists(char **segments, int n, bool *method_ok, const char *method);
/* The OpenAPI 3 document of the route table. */
void		aml_web_openapi(StringInfo out);
/* Did the last dispatched request commit something the events stream should look at? */
extern bool aml_web_changed_deployments;

/* -------------------------------------------------------------- events */
struct MHD_Connection;
struct MHD_Response;
/* A new /events stream for role; NULL when too many. */
struct MHD_Response *aml_web_events_open(struct MHD_Connection *conn, Oid role);
/* Listen for the workers' announcements of committed changes (once). */
void		aml_web_events_listen(void);
/* Was a change announced since the last call (and is any stream open)? */
bool		aml_web_events_announced(void);
/* Look for deployment and job changes and push them to the streams (when there are any). */
void		aml_web_events_scan(void);
/* A deployment or job the request changes: told right after its commit (web_events.c). */
void		aml_web_events_stage(const char *event, const char *id);
int			aml_web_events_staged(void);
void		aml_web_events_discard_staged(int from);
/* Keep-alive comments; returns ms until the next one is due. */
long		aml_web_events_heartbeat(void);
int			aml_web_events_count(void);

#endif
