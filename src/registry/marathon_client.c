/*
 * marathon_client.c — Marathon REST API v2 over a libcurl multi handle.
 *
 * libcurl hygiene (as pg_net and pgsql-http do): only http and https, no
 * redirects, a total and a connect timeout on every call, CURLOPT_NOSIGNAL
 * (PostgreSQL owns SIGALRM), a macro that checks every curl_easy_setopt and
 * names the option, the extension's version in the User-Agent, and
 * "Content-Type: application/json" on every body (Marathon answers 415
 * otherwise; libcurl's default for POSTFIELDS is a form).
 *
 * Untrusted answers: a body is parsed once, strictly
 * (aml_json_parse_strict), when its call finishes; every string taken from
 * it for a message is cleaned (aml_marathon_clean_text) and cut short.
 * Paths are sent as built (CURLOPT_PATH_AS_IS: libcurl does not resolve
 * "../"), their variable parts percent-encoded or checked by the caller.
 *
 * Sockets: libcurl tells us which sockets it wants watched
 * (CURLMOPT_SOCKETFUNCTION); we keep them in an epoll set whose own
 * descriptor the worker adds to its WaitEventSet next to its latch, so a
 * single wait covers the latch, postmaster death and every transfer.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <sys/epoll.h>
#include <unistd.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "registry/marathon_client.h"
#include "registry/marathon_doc.h"
#include "registry/registry.h"

/* Bodies larger than this are refused (a GET /v2/deployments of a huge cluster). */
#define MAX_RESPONSE_BYTES (64 * 1024 * 1024)
/* Longest piece of Marathon's text in a message, and longest message. */
#define MAX_MESSAGE_BYTES 400
#define MAX_DETAIL_BYTES 120
#define MAX_DETAILS 8
#define MAX_ERROR_TEXT_BYTES 1000
#define CONNECT_TIMEOUT_MS 5000

#define AML_CURL_SETOPT(handle, opt, value) \
	do { \
		CURLcode	rc_ = curl_easy_setopt((handle), (opt), (value)); \
		if (rc_ != CURLE_OK) \
			elog(ERROR, "curl_easy_setopt(%s) failed: %s", #opt, curl_easy_strerror(rc_)); \
	} while (0)

#define AML_CURLM_SETOPT(handle, opt, value) \
	do { \
		CURLMcode	rc_ = curl_multi_setopt((handle), (opt), (value)); \
		if (rc_ != CURLM_OK) \
			elog(ERROR, "curl_multi_setopt(%s) failed: %s", #opt, curl_multi_strerror(rc_)); \
	} while (0)

struct AmlMarathonClient
{
	MemoryContext cxt;
	MemoryContext config_cxt;	/* the configuration, replaced on reload */
	CURLM	   *multi;
	int			epfd;
	TimestampTz timer_due;		/* 0: no timer */
	dlist_head	in_flight;
	dlist_head	done;
	int			n_in_flight;
	/* configuration */
	char	   *base_url;		/* without trailing '/' ("" = not configured) */
	char	   *auth_mode;		/* "", "basic" or "token" */
	char	   *user;
	char	   *secret;
	char	   *token_header;
	int			timeout_ms;
	char	   *user_agent;
};

static bool curl_initialised = false;

/* ------------------------------------------------------------ configuration */

bool
aml_marathon_parse_credentials(const char *spec, char **mode, char **user, char **secret,
							   const char **problem)
{
	*mode = *user = *secret = NULL;
	if (spec == NULL || spec[0] == '\0')
	{
		*mode = "";
		return true;
	}
	if (strncmp(spec, "basic:", 6) == 0)
	{
		const char *colon = strchr(spec + 6, ':');

		if (colon == NULL || colon == spec + 6)
		{
			*problem = "Basic credentials are written basic:USER:PASSWORD.";
			return false;
		}
		*mode = "basic";
		*user = pnstrdup(spec + 6, colon - (spec + 6));
		*secret = pstrdup(colon + 1);
		return true;
	}
	if (strncmp(spec, "token:", 6) == 0)
	{
		if (spec[6] == '\0' || strpbrk(spec + 6, "\r\n") != NULL)
		{
			*problem = "A DC/OS token is written token:TOKEN, on one line.";
			return false;
		}
		*mode = "token";
		*secret = pstrdup(spec + 6);
		return true;
	}
	*problem = "Credentials are written basic:USER:PASSWORD or token:TOKEN, or are empty.";
	return false;
}

bool
aml_marathon_check_url(const char *url, const char **problem)
{
	const char *rest;
	size_t		authority;

	if (url == NULL || url[0] == '\0')
		return true;			/* not configured */
	if (pg_strncasecmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (pg_strncasecmp(url, "https://", 8) == 0)
		rest = url + 8;
	else
	{
		*problem = "The Marathon URL must start with http:// or https://.";
		return false;
	}
	authority = strcspn(rest, "/?#");
	if (authority == 0)
	{
		*problem = "The Marathon URL has no host.";
		return false;
	}
	if (memchr(rest, '@', authority) != NULL)
	{
		*problem = "Put credentials in automl.marathon_credentials, not in the URL.";
		return false;
	}
	if (strpbrk(rest, "?# \t\r\n") != NULL)
	{
		*problem = "The Marathon URL must not have a query, a fragment or spaces; "
			"a path prefix such as /service/marathon is fine.";
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ curl callbacks */

static int
socket_callback(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	AmlMarathonClient *client = (AmlMarathonClient *) userp;
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.data.fd = s;
	if (what == CURL_POLL_REMOVE)
	{
		/* the socket may already be closed: nothing to do then */
		(void) epoll_ctl(client->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(client->epfd, EPOLL_CTL_MOD, s, &ev) != 0)
	{
		if (errno != ENOENT || epoll_ctl(client->epfd, EPOLL_CTL_ADD, s, &ev) != 0)
			return -1;			/* libcurl fails the transfer */
	}
	return 0;
}

static int
timer_callback(CURLM *multi, long timeout_ms, void *userp)
{
	AmlMarathonClient *client = (AmlMarathonClient *) userp;

	if (timeout_ms < 0)
		client->timer_due = 0;
	else
		client->timer_due = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	return 0;
}

static size_t
write_callback(char *data, size_t size, size_t nmemb, void *userp)
{
	AmlHttpCall *call = (AmlHttpCall *) userp;
	size_t		n = size * nmemb;
	char	   *grown;

	if (call->response_len + n > MAX_RESPONSE_BYTES)
	{
		call->too_large = true;
		return 0;				/* CURLE_WRITE_ERROR */
	}
	grown = realloc(call->response, call->response_len + n + 1);
	if (grown == NULL)
		return 0;
	call->response = grown;
	memcpy(call->response + call->response_len, data, n);
	call->response_len += n;
	call->response[call->response_len] = '\0';
	return n;
}

static size_t
header_callback(char *data, size_t size, size_t nitems, void *userp)
{
	AmlHttpCall *call = (AmlHttpCall *) userp;
	size_t		n = size * nitems;
	static const char name[] = "marathon-deployment-id:";

	if (n > sizeof(name) - 1 && pg_strncasecmp(data, name, sizeof(name) - 1) == 0)
	{
		const char *v = data + sizeof(name) - 1;
		size_t		len = n - (sizeof(name) - 1);

		while (len > 0 && (*v == ' ' || *v == '\t'))
			v++, len--;
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		if (len >= sizeof(call->deployment_id))
		{
			len = sizeof(call->deployment_id) - 1;
			call->deployment_id_cut = true;
		}
		memcpy(call->deployment_id, v, len);
		call->deployment_id[len] = '\0';
	}
	return n;
}

/* ------------------------------------------------------------ the client */

AmlMarathonClient *
aml_marathon_client_create(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "automl marathon client", ALLOCSET_DEFAULT_SIZES);
	AmlMarathonClient *client = MemoryContextAllocZero(cxt, sizeof(AmlMarathonClient));

	client->cxt = cxt;
	if (!curl_initialised)
	{
		CURLcode	rc = curl_global_init(CURL_GLOBAL_DEFAULT);

		if (rc != CURLE_OK)
			elog(ERROR, "curl_global_init failed: %s", curl_easy_strerror(rc));
		curl_initialised = true;
	}
	client->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (client->epfd < 0)
		elog(ERROR, "epoll_create1 failed: %m");
	client->multi = curl_multi_init();
	if (client->multi == NULL)
		elog(ERROR, "curl_multi_init failed");
	AML_CURLM_SETOPT(client->multi, CURLMOPT_SOCKETFUNCTION, socket_callback);
	AML_CURLM_SETOPT(client->multi, CURLMOPT_SOCKETDATA, client);
	AML_CURLM_SETOPT(client->multi, CURLMOPT_TIMERFUNCTION, timer_callback);
	AML_CURLM_SETOPT(client->multi, CURLMOPT_TIMERDATA, client);
	dlist_init(&client->in_flight);
	dlist_init(&client->done);
	client->base_url = "";
	client->auth_mode = "";
	return client;
}

void
aml_marathon_client_destroy(AmlMarathonClient *client)
{
	aml_marathon_client_abort_all(client);
	curl_multi_cleanup(client->multi);
	close(client->epfd);
	MemoryContextDelete(client->cxt);
}

void
aml_marathon_client_configure(AmlMarathonClient *client, const char *base_url, const char *credentials,
							  int timeout_ms, int max_connections, const char *user_agent)
{
	MemoryContext old;
	const char *problem = NULL;
	char	   *mode,
			   *user,
			   *secret;
	size_t		len;

	if (client->config_cxt == NULL)
		client->config_cxt = AllocSetContextCreate(client->cxt, "automl marathon configuration",
												   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(client->config_cxt);
	old = MemoryContextSwitchTo(client->config_cxt);
	client->base_url = pstrdup(base_url ? base_url : "");
	len = strlen(client->base_url);
	while (len > 0 && client->base_url[len - 1] == '/')
		client->base_url[--len] = '\0';
	if (!aml_marathon_parse_credentials(credentials, &mode, &user, &secret, &problem))
		mode = "";				/* the GUC's check hook refused it already */
	client->auth_mode = pstrdup(mode);
	client->user = user;
	client->secret = secret;
	client->token_header = strcmp(mode, "token") == 0 ? psprintf("Authorization: token=%s", secret) : NULL;
	client->timeout_ms = timeout_ms;
	client->user_agent = pstrdup(user_agent);
	MemoryContextSwitchTo(old);

	/* idle connections are kept for reuse, in-flight ones are capped by the caller */
	AML_CURLM_SETOPT(client->multi, CURLMOPT_MAXCONNECTS, (long) max_connections);
	AML_CURLM_SETOPT(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) max_connections * 2);
}

bool
aml_marathon_client_configured(const AmlMarathonClient *client)
{
	return client->base_url[0] != '\0';
}

const char *
aml_http_method_name(AmlHttpMethod method)
{
	switch (method)
	{
		case AML_HTTP_GET:
			return "GET";
		case AML_HTTP_POST:
			return "POST";
		case AML_HTTP_PUT:
			return "PUT";
		case AML_HTTP_DELETE:
			return "DELETE";
	}
	return "?";
}

AmlHttpCall *
aml_marathon_call_new(AmlMarathonClient *client, AmlHttpMethod method, const char *path,
					  const char *body, int64 request_id)
{
	AmlHttpCall *call = MemoryContextAllocZero(client->cxt, sizeof(AmlHttpCall));

	call->client = client;
	call->method = method;
	call->path = MemoryContextStrdup(client->cxt, path);
	call->body = body ? MemoryContextStrdup(client->cxt, body) : NULL;
	call->request_id = request_id;
	return call;
}

static void
add_header(AmlHttpCall *call, const char *header)
{
	struct curl_slist *l = curl_slist_append(call->headers, header);

	if (l == NULL)
		elog(ERROR, "out of memory while building an HTTP request");
	call->headers = l;
}

void
aml_marathon_call_start(AmlHttpCall *call)
{
	AmlMarathonClient *client = call->client;
	char	   *url = psprintf("%s%s", client->base_url, call->path);
	CURL	   *easy;
	CURLMcode	mrc;

	Assert(!call->in_flight);
	easy = curl_easy_init();
	if (easy == NULL)
		elog(ERROR, "curl_easy_init failed");
	call->easy = easy;
	/* linked before anything can fail, so abort_all releases it */
	dlist_push_tail(&client->in_flight, &call->node);
	call->in_flight = true;
	client->n_in_flight++;

	AML_CURL_SETOPT(easy, CURLOPT_URL, url);
	AML_CURL_SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	AML_CURL_SETOPT(easy, CURLOPT_FOLLOWLOCATION, 0L);
	/* the path exactly as built: no "../" resolved away */
	AML_CURL_SETOPT(easy, CURLOPT_PATH_AS_IS, 1L);
	AML_CURL_SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
	AML_CURL_SETOPT(easy, CURLOPT_TIMEOUT_MS, (long) client->timeout_ms);
	AML_CURL_SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) Min(CONNECT_TIMEOUT_MS, client->timeout_ms));
	AML_CURL_SETOPT(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	AML_CURL_SETOPT(easy, CURLOPT_TCP_NODELAY, 1L);
	AML_CURL_SETOPT(easy, CURLOPT_USERAGENT, client->user_agent);
	AML_CURL_SETOPT(easy, CURLOPT_ERRORBUFFER, call->errbuf);
	AML_CURL_SETOPT(easy, CURLOPT_PRIVATE, call);
	AML_CURL_SETOPT(easy, CURLOPT_WRITEFUNCTION, write_callback);
	AML_CURL_SETOPT(easy, CURLOPT_WRITEDATA, call);
	AML_CURL_SETOPT(easy, CURLOPT_HEADERFUNCTION, header_callback);
	AML_CURL_SETOPT(easy, CURLOPT_HEADERDATA, call);
	/*
	 * libcurl silently sends a request again when a reused keep-alive
	 * connection dies before any answer.  For a POST or a DELETE that is
	 * harmless (a second POST gets 409 "already exists" and the worker finds
	 * its own label, a second DELETE gets 404), but a PUT would be applied
	 * twice: a PUT always takes a fresh connection, so a lost answer comes
	 * back to the worker, which asks Marathon before trying again.
	 */
	if (call->method == AML_HTTP_PUT)
		AML_CURL_SETOPT(easy, CURLOPT_FRESH_CONNECT, 1L);

	add_header(call, "Accept: application/json");
	/* no "Expect: 100-continue" round trip before a body */
	add_header(call, "Expect:");
	if (call->body != NULL)
		add_header(call, "Content-Type: application/json");
	if (call->request_id > 0)
		add_header(call, psprintf("%s: " INT64_FORMAT, AML_REQUEST_HEADER, call->request_id));
	if (strcmp(client->auth_mode, "basic") == 0)
	{
		AML_CURL_SETOPT(easy, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
		AML_CURL_SETOPT(easy, CURLOPT_USERNAME, client->user);
		AML_CURL_SETOPT(easy, CURLOPT_PASSWORD, client->secret);
	}
	else if (client->token_header != NULL)
		add_header(call, client->token_header);
	AML_CURL_SETOPT(easy, CURLOPT_HTTPHEADER, call->headers);

	switch (call->method)
	{
		case AML_HTTP_GET:
			AML_CURL_SETOPT(easy, CURLOPT_HTTPGET, 1L);
			break;
		case AML_HTTP_POST:
		case AML_HTTP_PUT:
			AML_CURL_SETOPT(easy, CURLOPT_POST, 1L);
			AML_CURL_SETOPT(easy, CURLOPT_POSTFIELDS, call->body ? call->body : "");
			AML_CURL_SETOPT(easy, CURLOPT_POSTFIELDSIZE, (long) (call->body ? strlen(call->body) : 0));
			if (call->method == AML_HTTP_PUT)
				AML_CURL_SETOPT(easy, CURLOPT_CUSTOMREQUEST, "PUT");
			break;
		case AML_HTTP_DELETE:
			AML_CURL_SETOPT(easy, CURLOPT_CUSTOMREQUEST, "DELETE");
			break;
	}
	pfree(url);

	mrc = curl_multi_add_handle(client->multi, easy);
	if (mrc != CURLM_OK)
		elog(ERROR, "curl_multi_add_handle failed: %s", curl_multi_strerror(mrc));
}

static void
release_transfer(AmlHttpCall *call)
{
	if (call->easy != NULL)
	{
		curl_multi_remove_handle(call->client->multi, call->easy);
		curl_easy_cleanup(call->easy);
		call->easy = NULL;
	}
	if (call->headers != NULL)
	{
		curl_slist_free_all(call->headers);
		call->headers = NULL;
	}
}

void
aml_marathon_call_free(AmlHttpCall *call)
{
	if (call->in_flight)
	{
		dlist_delete(&call->node);
		call->in_flight = false;
		call->client->n_in_flight--;
	}
	release_transfer(call);
	free(call->response);
	if (call->json != NULL)
		json_object_put(call->json);
	pfree(call->path);
	if (call->body)
		pfree(call->body);
	pfree(call);
}

int
aml_marathon_client_socket(const AmlMarathonClient *client)
{
	return client->epfd;
}

long
aml_marathon_client_timeout_ms(const AmlMarathonClient *client)
{
	long		secs;
	int			usecs;
	TimestampTz now;

	if (client->timer_due == 0)
		return -1;
	now = GetCurrentTimestamp();
	if (client->timer_due <= now)
		return 0;
	TimestampDifference(now, client->timer_due, &secs, &usecs);
	return secs * 1000 + (usecs + 999) / 1000;
}

int
aml_marathon_client_in_flight(const AmlMarathonClient *client)
{
	return client->n_in_flight;
}

/* Parse the body once, strictly; remember why when it is not JSON. */
static void
parse_body(AmlHttpCall *call)
{
	AmlError	err;

	call->json = NULL;
	call->body_problem[0] = '\0';
	if (call->response == NULL || call->response_len == 0)
		return;
	memset(&err, 0, sizeof(err));
	if (aml_json_parse_strict(call->response, call->response_len, &call->json, &err) != AML_OK)
	{
		const char *m = err.message;

		if (strncmp(m, "invalid JSON: ", 14) == 0)
			m += 14;
		strlcpy(call->body_problem, m[0] ? m : "not JSON", sizeof(call->body_problem));
		call->json = NULL;
	}
}

static void
collect_finished(AmlMarathonClient *client)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(client->multi, &left)) != NULL)
	{
		AmlHttpCall *call = NULL;
		long		sent = 0;
		double		total = 0;
		char	   *ctype = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &call);
		call->curl_code = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &call->status);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_REQUEST_SIZE, &sent);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME, &total);
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
			strlcpy(call->content_type, ctype, sizeof(call->content_type));
		call->request_sent = sent > 0;
		call->elapsed_ms = total * 1000.0;
		if (call->curl_code != CURLE_OK)
			call->status = 0;
		else
			parse_body(call);
		release_transfer(call);
		dlist_delete(&call->node);
		call->in_flight = false;
		client->n_in_flight--;
		dlist_push_tail(&client->done, &call->node);
	}
}

void
aml_marathon_client_perform(AmlMarathonClient *client)
{
	struct epoll_event events[64];
	int			running;
	int			n;

	do
	{
		n = epoll_wait(client->epfd, events, lengthof(events), 0);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			elog(ERROR, "epoll_wait failed: %m");
		}
		for (int i = 0; i < n; i++)
		{
			int			flags = 0;

			if (events[i].events & EPOLLIN)
				flags |= CURL_CSELECT_IN;
			if (events[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (events[i].events & (EPOLLERR | EPOLLHUP))
				flags |= CURL_CSELECT_ERR;
			curl_multi_socket_action(client->multi, events[i].data.fd, flags, &running);
		}
	} while (n == lengthof(events));

	if (client->timer_due != 0 && client->timer_due <= GetCurrentTimestamp())
	{
		client->timer_due = 0;
		curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	collect_finished(client);
}

AmlHttpCall *
aml_marathon_client_next_done(AmlMarathonClient *client)
{
	dlist_node *node;

	if (dlist_is_empty(&client->done))
		return NULL;
	node = dlist_pop_head_node(&client->done);
	return dlist_container(AmlHttpCall, node, node);
}

void
aml_marathon_client_abort_all(AmlMarathonClient *client)
{
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &client->in_flight)
	{
		AmlHttpCall *call = dlist_container(AmlHttpCall, node, iter.cur);

		aml_marathon_call_free(call);
	}
	dlist_foreach_modify(iter, &client->done)
	{
		AmlHttpCall *call = dlist_container(AmlHttpCall, node, iter.cur);

		dlist_delete(&call->node);
		aml_marathon_call_free(call);
	}
	client->n_in_flight = 0;
	client->timer_due = 0;
}

/* ------------------------------------------------------------ outcomes */

json_object *
aml_marathon_response_json(const AmlHttpCall *call)
{
	return call->json;
}

/* Does the JSON body carry this key (e.g. "deployments": the 409 "locked" shape)? */
static bool
body_has_key(const AmlHttpCall *call, const char *key)
{
	json_object *v;

	return call->json != NULL && json_object_is_type(call->json, json_type_object) &&
		json_object_object_get_ex(call->json, key, &v);
}

static bool
message_starts_with(const AmlHttpCall *call, const char *prefix)
{
	json_object *m;

	if (call->json == NULL || !json_object_is_type(call->json, json_type_object) ||
		!json_object_object_get_ex(call->json, "message", &m) || !json_object_is_type(m, json_type_string))
		return false;
	return strncmp(json_object_get_string(m), prefix, strlen(prefix)) == 0;
}

AmlHttpOutcome
aml_marathon_outcome(const AmlHttpCall *call)
{
	long		s = call->status;

	if (call->curl_code != CURLE_OK)
	{
		switch (call->curl_code)
		{
			case CURLE_UNSUPPORTED_PROTOCOL:
			case CURLE_URL_MALFORMAT:
			case CURLE_PEER_FAILED_VERIFICATION:
			case CURLE_SSL_CACERT_BADFILE:
			case CURLE_SSL_CERTPROBLEM:
			case CURLE_FUNCTION_NOT_FOUND:
			case CURLE_NOT_BUILT_IN:
				return AML_HTTP_PERMANENT;
			case CURLE_WRITE_ERROR:
				return call->too_large ? AML_HTTP_PERMANENT : AML_HTTP_RETRY;
			default:
				return AML_HTTP_RETRY;
		}
	}
	if (s >= 200 && s < 300)
		return AML_HTTP_OK;
	if (s == 404)
		return AML_HTTP_NOT_FOUND;
	if (s == 409)
		return body_has_key(call, "deployments") ? AML_HTTP_RETRY : AML_HTTP_EXISTS;
	if (s == 403)
		return message_starts_with(call, "Max number") ? AML_HTTP_RETRY : AML_HTTP_PERMANENT;
	if (s == 408 || s == 429 || s >= 500)
		return AML_HTTP_RETRY;
	return AML_HTTP_PERMANENT;
}

bool
aml_marathon_may_have_applied(const AmlHttpCall *call)
{
	if (call->curl_code != CURLE_OK)
	{
		if (call->curl_code == CURLE_COULDNT_CONNECT || call->curl_code == CURLE_COULDNT_RESOLVE_HOST ||
			call->curl_code == CURLE_COULDNT_RESOLVE_PROXY)
			return false;
		return call->request_sent;
	}
	/* a server error may come after the change was stored */
	return call->status >= 500 || (call->status >= 200 && call->status < 300);
}

static const char *
reason_phrase(long status)
{
	switch (status)
	{
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 408:
			return "Request Timeout";
		case 409:
			return "Conflict";
		case 415:
			return "Unsupported Media Type";
		case 422:
			return "Unprocessable Entity";
		case 429:
			return "Too Many Requests";
		case 500:
			return "Internal Server Error";
		case 502:
			return "Bad Gateway";
		case 503:
			return "Service Unavailable";
		case 504:
			return "Gateway Timeout";
	}
	return NULL;
}

/* Append a JSON string (or a scalar's text) from Marathon, cleaned and cut. */
static void
append_json_text(StringInfo buf, json_object *v, size_t max_bytes)
{
	const char *text;
	size_t		len;
	char	   *clean;

	if (v == NULL)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	if (json_object_is_type(v, json_type_string))
	{
		text = json_object_get_string(v);
		len = (size_t) json_object_get_string_len(v);
	}
	else
	{
		text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		len = strlen(text);
	}
	clean = aml_marathon_clean_text(text, len, max_bytes);
	appendStringInfoString(buf, clean);
	pfree(clean);
}

/* Marathon's error document: {"message": "...", "details": "..." or [{"path", "errors": [...]}]} */
static void
append_error_document(StringInfo buf, json_object *obj)
{
	json_object *message;
	json_object *details;

	if (json_object_object_get_ex(obj, "message", &message) && json_object_is_type(message, json_type_string))
	{
		appendStringInfoString(buf, ": ");
		append_json_text(buf, message, MAX_MESSAGE_BYTES);
	}
	if (!json_object_object_get_ex(obj, "details", &details) || details == NULL)
		return;
	if (json_object_is_type(details, json_type_string))
	{
		appendStringInfoString(buf, " (");
		append_json_text(buf, details, MAX_MESSAGE_BYTES / 2);
		appendStringInfoChar(buf, ')');
	}
	else if (json_object_is_type(details, json_type_array))
	{
		size_t		n = json_object_array_length(details);
		size_t		shown = 0;

		for (size_t i = 0; i < n && shown < MAX_DETAILS; i++)
		{
			json_object *d = json_object_array_get_idx(details, i);
			json_object *path;
			json_object *errors;

			if (d == NULL || !json_object_is_type(d, json_type_object))
				continue;
			appendStringInfoString(buf, shown++ == 0 ? " (" : "; ");
			if (json_object_object_get_ex(d, "path", &path) && json_object_is_type(path, json_type_string))
			{
				append_json_text(buf, path, MAX_DETAIL_BYTES);
				appendStringInfoString(buf, ": ");
			}
			if (json_object_object_get_ex(d, "errors", &errors) && errors != NULL &&
				json_object_is_type(errors, json_type_array))
			{
				size_t		m = json_object_array_length(errors);

				for (size_t j = 0; j < m && j < MAX_DETAILS; j++)
				{
					if (j > 0)
						appendStringInfoString(buf, ", ");
					append_json_text(buf, json_object_array_get_idx(errors, j), MAX_DETAIL_BYTES);
				}
				if (m > MAX_DETAILS)
					appendStringInfoString(buf, ", ...");
			}
		}
		if (shown > 0)
			appendStringInfoString(buf, shown < n ? "; ...)" : ")");
	}
}

/* Cut a message built from Marathon's pieces to MAX_ERROR_TEXT_BYTES (between characters). */
static char *
cut_message(StringInfo buf)
{
	if (buf->len > MAX_ERROR_TEXT_BYTES)
	{
		int			keep = pg_mbcliplen(buf->data, buf->len, MAX_ERROR_TEXT_BYTES - 3);

		buf->data[keep] = '\0';
		buf->len = keep;
		appendStringInfoString(buf, "...");
	}
	return buf->data;
}

char *
aml_marathon_error_text(const AmlHttpCall *call)
{
	StringInfoData buf;
	const char *reason;

	initStringInfo(&buf);
	if (call->curl_code != CURLE_OK)
	{
		const char *e = call->errbuf[0] ? call->errbuf : curl_easy_strerror(call->curl_code);
		char	   *clean = aml_marathon_clean_text(e, strlen(e), MAX_MESSAGE_BYTES);

		appendStringInfo(&buf, "%s %s: could not reach Marathon: %s", aml_http_method_name(call->method),
						 call->path, clean);
		if (call->too_large)
			appendStringInfo(&buf, " (response larger than %d MB)", MAX_RESPONSE_BYTES / (1024 * 1024));
		return cut_message(&buf);
	}
	reason = reason_phrase(call->status);
	appendStringInfo(&buf, "%s %s: Marathon answered %ld%s%s", aml_http_method_name(call->method), call->path,
					 call->status, reason ? " " : "", reason ? reason : "");
	if (call->json != NULL && json_object_is_type(call->json, json_type_object))
		append_error_document(&buf, call->json);
	else if (call->status == 401)
		appendStringInfoString(&buf, ": check automl.marathon_credentials");
	else if (call->response != NULL && pg_strncasecmp(call->content_type, "text/plain", 10) == 0)
	{
		char	   *clean = aml_marathon_clean_text(call->response, call->response_len, MAX_MESSAGE_BYTES / 2);

		appendStringInfo(&buf, ": %s", clean);
	}
	else if (call->body_problem[0] != '\0')
		appendStringInfo(&buf, ", with a body that is not valid JSON (%s)", call->body_problem);
	return cut_message(&buf);
}

char *
aml_marathon_unexpected_text(const AmlHttpCall *call, const char *what, const char *problem)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (call->json == NULL && call->body_problem[0] != '\0')
		appendStringInfo(&buf, "%s %s: Marathon answered %ld with a body that is not valid JSON (%s)",
						 aml_http_method_name(call->method), call->path, call->status, call->body_problem);
	else if (call->json == NULL)
		appendStringInfo(&buf, "%s %s: Marathon answered %ld with an empty body, not %s",
						 aml_http_method_name(call->method), call->path, call->status, what);
	else
		appendStringInfo(&buf, "%s %s: Marathon answered %ld with %s that is not valid: %s",
						 aml_http_method_name(call->method), call->path, call->status, what, problem);
	return cut_message(&buf);
}
