/*
 * marathon_client.h — a client of Marathon's REST API v2 on a libcurl multi
 * handle, for the deploy worker.
 *
 * Many calls run at once on one multi handle.  The caller owns the event
 * loop: it waits on aml_marathon_client_socket() (an epoll descriptor that
 * is readable when any transfer has something to do) together with its
 * latch, for at most aml_marathon_client_timeout_ms(), then calls
 * aml_marathon_client_perform() and collects finished calls with
 * aml_marathon_client_next_done().  Nothing here raises an ERROR from inside
 * libcurl's callbacks (buffers are malloc'd): transfer problems end up in the
 * call's curl_code and status, classified by aml_marathon_outcome().
 */
#ifndef AML_REGISTRY_MARATHON_CLIENT_H
#define AML_REGISTRY_MARATHON_CLIENT_H

#include "postgres.h"

#include <curl/curl.h>

#include "pg/jsonc.h"

#include "lib/ilist.h"

typedef enum AmlHttpMethod
{
	AML_HTTP_GET,
	AML_HTTP_POST,
	AML_HTTP_PUT,
	AML_HTTP_DELETE
} AmlHttpMethod;

/* What a finished call means for the caller. */
typedef enum AmlHttpOutcome
{
	AML_HTTP_OK,				/* 2xx */
	AML_HTTP_NOT_FOUND,			/* 404 */
	AML_HTTP_EXISTS,			/* 409 without "deployments": the app already exists */
	AML_HTTP_RETRY,				/* transport error, 5xx, 409 locked, 403 too many deployments, 408, 429 */
	AML_HTTP_PERMANENT			/* 400, 401, 403, 422 and other 4xx; configuration errors */
} AmlHttpOutcome;

typedef struct AmlMarathonClient AmlMarathonClient;

typedef struct AmlHttpCall
{
	/* the request (set by aml_marathon_call_new) */
	AmlHttpMethod method;
	char	   *path;			/* below the base URL, with query: "/v2/apps/x?force=true" */
	char	   *body;			/* JSON text or NULL */
	int64		request_id;		/* sent as X-Automl-Request-Id when > 0 */
	void	   *owner;			/* the caller's */
	int			purpose;		/* the caller's */

	/* the result, valid once the call is done */
	CURLcode	curl_code;
	long		status;			/* HTTP status, 0 when there was no answer */
	char		errbuf[CURL_ERROR_SIZE];
	char	   *response;		/* malloc'd, NUL-terminated, may be NULL */
	size_t		response_len;
	char		content_type[64];
	char		deployment_id[128]; /* Marathon-Deployment-Id header, or "" */
	bool		deployment_id_cut;	/* ... which was longer than that */
	bool		request_sent;	/* did any byte of the request leave? */
	double		elapsed_ms;
	json_object *json;			/* the body parsed strictly (the call owns it), or NULL */
	char		body_problem[128];	/* why a non-empty body is not JSON, or "" */

	/* private */
	CURL	   *easy;
	struct curl_slist *headers;
	AmlMarathonClient *client;
	dlist_node	node;
	bool		in_flight;
	bool		too_large;
} AmlHttpCall;

/* A client with its own memory context under `parent`; curl is initialised once per process. */
AmlMarathonClient *aml_marathon_client_create(MemoryContext parent);
void		aml_marathon_client_destroy(AmlMarathonClient *client);

/*
 * (Re)configure: base URL (may carry a path prefix such as /service/marathon),
 * credentials ("", "basic:USER:PASSWORD" or "token:TOKEN"), the total timeout
 * of one call, the most calls at once, and the User-Agent.
 */
void		aml_marathon_client_configure(AmlMarathonClient *client, const char *base_url,
										  const char *credentials, int timeout_ms, int max_connections,
										  const char *user_agent);
bool		aml_marathon_client_configured(const AmlMarathonClient *client);

AmlHttpCall *aml_marathon_call_new(AmlMarathonClient *client, AmlHttpMethod method,
								   const char *path, const char *body, int64 request_id);
void		aml_marathon_call_start(AmlHttpCall *call);
void		aml_marathon_call_free(AmlHttpCall *call);

int			aml_marathon_client_socket(const AmlMarathonClient *client);
long		aml_marathon_client_timeout_ms(const AmlMarathonClient *client);
void		aml_marathon_client_perform(AmlMarathonClient *client);
AmlHttpCall *aml_marathon_client_next_done(AmlMarathonClient *client);
int			aml_marathon_client_in_flight(const AmlMarathonClient *client);
/* Stop and free every call that has not been collected. */
void		aml_marathon_client_abort_all(AmlMarathonClient *client);

/*
 * Everything Marathon (or whatever answers at its URL) sends is untrusted:
 * bodies are parsed strictly once, when the call finishes; text that ends up
 * in the database goes through aml_marathon_clean_text(); ids that go into
 * URLs are checked or percent-encoded (marathon_doc.h).
 */

/* Classifying a finished call */
AmlHttpOutcome aml_marathon_outcome(const AmlHttpCall *call);
/* Could a failed state-changing call have been applied by Marathon? */
bool		aml_marathon_may_have_applied(const AmlHttpCall *call);
/* One line for automl.deployments.last_error (palloc'd, short, valid in the database encoding). */
char	   *aml_marathon_error_text(const AmlHttpCall *call);
/* "METHOD PATH: Marathon answered STATUS with <what> ..." for an answer that is not what was asked for. */
char	   *aml_marathon_unexpected_text(const AmlHttpCall *call, const char *what, const char *problem);
/* The body as a json-c object (owned by the call: do not release), or NULL when it is not JSON. */
json_object *aml_marathon_response_json(const AmlHttpCall *call);
const char *aml_http_method_name(AmlHttpMethod method);

/* Parse automl.marathon_credentials; false (with *problem set) when malformed. */
bool		aml_marathon_parse_credentials(const char *spec, char **mode, char **user,
										   char **secret, const char **problem);
/* Is this a usable base URL (http or https, a host, no user info, no query)? */
bool		aml_marathon_check_url(const char *url, const char **problem);

#endif
