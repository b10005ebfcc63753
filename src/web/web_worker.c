/*
 * web_worker.c — the HTTP worker: libmicrohttpd driven from a PostgreSQL
 * background worker's main loop.
 *
 * libmicrohttpd runs with no thread of its own (external epoll mode): the
 * loop waits on one WaitEventSet holding the worker's latch, postmaster
 * death and libmicrohttpd's epoll descriptor, then lets libmicrohttpd
 * process what is ready (MHD_run); its callbacks run in this thread and may
 * use the backend.  No ERROR may unwind through libmicrohttpd's frames, so
 * each callback catches its own.
 *
 * A request: its body is buffered up to automl.http_max_body (a larger
 * Content-Length gets 413 before the body is read, a larger chunked body
 * 413 at its end); the path is split on '/' before percent-decoding, so
 * %2F stays inside a segment; static files and /openapi.json need no
 * credentials; every other route authenticates (web_auth.c) and runs in
 * its own transaction as the role (web_routes.c).
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "pg/automl.h"
#include "pg/worker.h"
#include "web/web.h"

#define MAX_SEGMENTS 8
/* Bytes of a too large body read (and dropped) before answering 413 anyway. */
#define DISCARD_MAX (64 * 1024 * 1024)

typedef struct StaticFile
{
	const char *name;			/* URL path */
	const char *file;			/* under <sharedir>/automl/web */
	const char *type;
	char	   *data;
	size_t		len;
} StaticFile;

static StaticFile static_files[] = {
	{"/", "index.html", "text/html; charset=utf-8"},
	{"/index.html", "index.html", "text/html; charset=utf-8"},
	{"/app.js", "app.js", "text/javascript; charset=utf-8"},
	{"/app.css", "app.css", "text/css; charset=utf-8"},
};

typedef struct ConnState
{
	char	   *body;
	size_t		len;
	size_t		cap;
	bool		too_large;
	size_t		discarded;		/* bytes of a too large body read and dropped */
	bool		answered;
} ConnState;

static MemoryContext request_cxt;
static bool scan_needed = false;
static char *openapi_doc = NULL;

/* ------------------------------------------------------------ helpers */

static void
load_static_files(void)
{
	char		share[MAXPGPATH];

	get_share_path(my_exec_path, share);
	for (int i = 0; i < lengthof(static_files); i++)
	{
		char	   *path = psprintf("%s/automl/web/%s", share, static_files[i].file);
		FILE	   *f = fopen(path, "rb");
		StringInfoData buf;
		char		chunk[8192];
		size_t		n;

		if (f == NULL)
		{
			ereport(LOG, (errmsg("automl http: dashboard file \"%s\" is missing: %m", path)));
			continue;
		}
		initStringInfo(&buf);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			appendBinaryStringInfo(&buf, chunk, n);
		fclose(f);
		static_files[i].data = buf.data;
		static_files[i].len = buf.len;
	}
}

static char *
read_pem(const char *path, const char *what)
{
	FILE	   *f = fopen(path, "rb");
	StringInfoData buf;
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
		ereport(FATAL, (errcode_for_file_access(), errmsg("could not open %s \"%s\": %m", what, path)));
	initStringInfo(&buf);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		appendBinaryStringInfo(&buf, chunk, n);
	fclose(f);
	return buf.data;
}

/* %XX decoding of one path segment or query value; false on bad escapes, NUL or bad encoding. */
static bool
percent_decode(const char *in, size_t len, bool plus_is_space, char **out)
{
	char	   *o = palloc(len + 1);
	size_t		j = 0;

	for (size_t i = 0; i < len; i++)
	{
		char		c = in[i];

		if (c == '%')
		{
			int			v = 0;

			if (i + 2 >= len)
				return false;
			for (int k = 1; k <= 2; k++)
			{
				char		h = in[i + k];

				v <<= 4;
				if (h >= '0' && h <= '9')
					v |= h - '0';
				else if (h >= 'a' && h <= 'f')
					v |= h - 'a' + 10;
				else if (h >= 'A' && h <= 'F')
					v |= h - 'A' + 10;
				else
					return false;
			}
			if (v == 0)
				return false;
			o[j++] = (char) v;
			i += 2;
		}
		else if (c == '+' && plus_is_space)
			o[j++] = ' ';
		else
			o[j++] = c;
	}
	o[j] = '\0';
	if (!pg_verifymbstr(o, j, true))
		return false;
	*out = o;
	return true;
}

static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	/* keep %2F apart from '/': the handler decodes each segment itself */
	return strlen(s);
}

static void
client_address(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	strlcpy(buf, "unknown", len);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *) ci->client_addr)->sin_addr, buf, len);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *) ci->client_addr)->sin6_addr, buf, len);
}

static enum MHD_Result
send_buffer(struct MHD_Connection *c, int status, const char *type, const char *data, size_t len,
			AmlWebResponse *res)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *) data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
							"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	if (res)
	{
		if (res->location)
			MHD_add_response_header(r, "Location", res->location);
		if (res->challenge)
		{
			const char *client = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Requested-With");

			/* the dashboard signs in with its own form: no browser dialog for it */
			MHD_add_response_header(r, "WWW-Authenticate",
									client && strcmp(client, "automl-dashboard") == 0
									? "AutomlBasic realm=\"automl\""
									: "Basic realm=\"automl\", charset=\"UTF-8\"");
		}
		if (res->retry_after > 0)
		{
			char		s[16];

			snprintf(s, sizeof(s), "%d", res->retry_after);
			MHD_add_response_header(r, "Retry-After", s);
		}
	}
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, AmlWebResponse *res)
{
	return send_buffer(c, res->status, "application/json; charset=utf-8", res->body.data, res->body.len, res);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *error, const char *detail)
{
	AmlWebResponse res;

	memset(&res, 0, sizeof(res));
	initStringInfo(&res.body);
	aml_web_error(&res, status, error, detail, NULL);
	return send_json(c, &res);
}

/* ------------------------------------------------------------ a request */

static const char *
query_arg(struct MHD_Connection *c, const char *name, bool *bad)
{
	const char *raw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char	   *v;

	if (raw == NULL)
		return NULL;
	if (!percent_decode(raw, strlen(raw), true, &v))
	{
		*bad = true;
		return NULL;
	}
	return v[0] ? v : NULL;
}

static enum MHD_Result
handle(struct MHD_Connection *c, const char *url, const char *method, ConnState *st)
{
	AmlWebRequest req;
	AmlWebResponse res;
	char	   *segments[MAX_SEGMENTS];
	int			n = 0;
	const char *s;
	bool		method_ok;
	bool		bad = false;
	char		addr[64];
	char	   *user;
	char	   *password = NULL;
	AmlAuthOutcome outcome;
	Oid			role = InvalidOid;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";

	/* static files and the API description: no credentials */
	if (strcmp(method, "GET") == 0)
	{
		for (int i = 0; i < lengthof(static_files); i++)
			if (strcmp(url, static_files[i].name) == 0)
			{
				if (static_files[i].data == NULL)
					return send_error(c, 404, "the dashboard is not installed", NULL);
				return send_buffer(c, 200, static_files[i].type, static_files[i].data, static_files[i].len, NULL);
			}
		if (strcmp(url, "/openapi.json") == 0)
			return send_buffer(c, 200, "application/json; charset=utf-8", openapi_doc, strlen(openapi_doc), NULL);
	}

	/* split, then decode each segment */
	if (url[0] != '/')
		return send_error(c, 400, "the request target must be an absolute path", NULL);
	s = url + 1;
	while (true)
	{
		const char *e = strchr(s, '/');
		size_t		len = e ? (size_t) (e - s) : strlen(s);

		if (n == MAX_SEGMENTS)
			return send_error(c, 404, "not found", NULL);
		if (!percent_decode(s, len, false, &segments[n]))
			return send_error(c, 400, "malformed path",
							  "A path segment has a bad %-escape, a NUL byte or is not valid in the server encoding.");
		if (segments[n][0] == '\0')
			return send_error(c, 404, "not found", "The path has an empty segment.");
		n++;
		if (e == NULL)
			break;
		s = e + 1;
	}
	if (!aml_web_route_exists(segments, n, &method_ok, method))
		return send_error(c, 404, "not found", psprintf("No route matches %s.", url));
	if (!method_ok)
		return send_error(c, 405, "method not allowed", psprintf("%s is not a method of %s.", method, url));
	if (st->too_large)
		return send_error(c, 413, "request body too large",
						  psprintf("The largest body accepted is %d bytes (automl.http_max_body).", aml_http_max_body));

	/* who is asking */
	memset(&res, 0, sizeof(res));
	initStringInfo(&res.body);
	client_address(c, addr, sizeof(addr));
	user = MHD_basic_auth_get_username_password(c, &password);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	outcome = aml_web_authenticate(user, password, addr, &role);
	CommitTransactionCommand();
	if (password)
	{
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	switch (outcome)
	{
		case AML_AUTH_OK:
			break;
		case AML_AUTH_MISSING:
		case AML_AUTH_FAILED:
			if (user)
				MHD_free(user);
			res.challenge = true;
			aml_web_error(&res, 401, outcome == AML_AUTH_MISSING ? "authentication required" : "authentication failed",
						  outcome == AML_AUTH_MISSING ? "Send HTTP Basic credentials of a PostgreSQL role." : NULL, NULL);
			return send_json(c, &res);
		case AML_AUTH_FORBIDDEN:
			if (user)
				MHD_free(user);
			aml_web_error(&res, 403, "superusers may not sign in over HTTP", NULL,
						  "Use a role without SUPERUSER, or set automl.http_allow_superuser.");
			return send_json(c, &res);
		case AML_AUTH_THROTTLED:
			if (user)
				MHD_free(user);
			res.retry_after = aml_web_auth_retry_after(addr);
			aml_web_error(&res, 429, "too many failed sign-ins from this address", NULL, "Wait and try again.");
			return send_json(c, &res);
	}

	if (n == 1 && strcmp(segments[0], "openapi.json") == 0)
	{
		MHD_free(user);
		return send_buffer(c, 200, "application/json; charset=utf-8", openapi_doc, strlen(openapi_doc), NULL);
	}
	if (n == 1 && strcmp(segments[0], "events") == 0)
	{
		struct MHD_Response *r = aml_web_events_open(c, role);
		enum MHD_Result ok;

		MHD_free(user);
		if (r == NULL)
			return send_error(c, 503, "too many event streams", NULL);
		MHD_add_response_header(r, "Content-Type", "text/event-stream");
		MHD_add_response_header(r, "Cache-Control", "no-store");
		MHD_add_response_header(r, "X-Accel-Buffering", "no");
		ok = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		scan_needed = true;		/* primes the list of known states */
		return ok;
	}

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.segments = segments;
	req.n_segments = n;
	req.limit = query_arg(c, "limit", &bad);
	req.offset = query_arg(c, "offset", &bad);
	req.state = query_arg(c, "state", &bad);
	req.q = query_arg(c, "q", &bad);
	req.body = st->body;
	req.body_len = st->len;
	req.role = role;
	req.role_name = pstrdup(user);
	MHD_free(user);
	if (bad)
		return send_error(c, 400, "malformed query string", NULL);
	pgstat_report_activity(STATE_RUNNING, psprintf("%s %s", method, url));
	aml_web_dispatch(&req, &res);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (aml_web_changed_deployments)
		scan_needed = true;
	return send_json(c, &res);
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	ConnState  *volatile st = *con_cls;
	enum MHD_Result result = MHD_NO;
	MemoryContext old;

	if (st == NULL)
	{
		/* the headers are in: decide about the body */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");

		st = calloc(1, sizeof(ConnState));
		if (st == NULL)
			return MHD_NO;
		*con_cls = st;
		if (cl == NULL || strtoull(cl, NULL, 10) <= (unsigned long long) aml_http_max_body)
			return MHD_YES;
		st->too_large = true;

		/*
		 * A client that asked "100-continue" gets 413 before it sends the
		 * body; others are answered once their body (discarded) is read, so
		 * that they see the answer instead of a reset connection.
		 */
		if (expect == NULL || pg_strcasecmp(expect, "100-continue") != 0)
			return MHD_YES;
	}
	else if (*upload_data_size > 0)
	{
		size_t		n = *upload_data_size;

		*upload_data_size = 0;
		if (!st->too_large && st->len + n > (size_t) aml_http_max_body)
		{
			st->too_large = true;
			free(st->body);
			st->body = NULL;
			st->len = st->cap = 0;
		}
		if (st->too_large)
		{
			/* discard, but not forever: past this much, answer (and close) */
			st->discarded += n;
			if (st->discarded <= (size_t) aml_http_max_body + DISCARD_MAX)
				return MHD_YES;
		}
		else
		{
			if (st->len + n + 1 > st->cap)
			{
				size_t		cap = Max(st->cap * 2, st->len + n + 1);
				char	   *b = realloc(st->body, cap);

				if (b == NULL)
					return MHD_NO;
				st->body = b;
				st->cap = cap;
			}
			memcpy(st->body + st->len, upload_data, n);
			st->len += n;
			st->body[st->len] = '\0';
			return MHD_YES;
		}
	}
	if (st->answered)
		return MHD_YES;
	st->answered = true;

	old = MemoryContextSwitchTo(request_cxt);
	PG_TRY();
	{
		result = handle(c, url, method, st);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(request_cxt);
		e = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();	/* nothing to do when none is open */
		ereport(LOG, (errmsg("automl http: %s %s failed: %s", method, url, e->message)));
		result = send_error(c, 500, "internal error", NULL);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextReset(request_cxt);
	return result;
}

static void
request_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	ConnState  *st = *con_cls;

	if (st)
	{
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	ereport(LOG, (errmsg("automl http: libmicrohttpd: %s", buf)));
}

/* ------------------------------------------------------------ main */

static struct MHD_Daemon *
start_daemon(void)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	char	   *host = pstrdup(aml_http_listen);
	char	   *colon = strrchr(host, ':');
	char	   *end;
	long		port;
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[12];
	int			k = 0;
	struct MHD_Daemon *d;
	bool		tls = aml_http_ssl_cert_file[0] != '\0' || aml_http_ssl_key_file[0] != '\0';

	if (colon == NULL)
		ereport(FATAL, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("automl.http_listen must be host:port, not \"%s\"", aml_http_listen)));
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		ereport(FATAL, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("automl.http_listen has an invalid port: \"%s\"", aml_http_listen)));
	if (host[0] == '[' && host[strlen(host) - 1] == ']')
	{
		host[strlen(host) - 1] = '\0';
		host++;
	}
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a4.sin_addr) == 1)
	{
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16) port);
		sa = (struct sockaddr *) &a4;
	}
	else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1)
	{
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16) port);
		sa = (struct sockaddr *) &a6;
		flags |= MHD_USE_IPv6;
	}
	else
		ereport(FATAL, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("automl.http_listen needs a numeric IPv4 or IPv6 address, not \"%s\"", host)));

	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_SOCK_ADDR, 0, sa};
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_CONNECTION_LIMIT, aml_http_max_connections, NULL};
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL};
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) request_completed, NULL};
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t) no_unescape, NULL};
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t) mhd_log, NULL};
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
	if (tls)
	{
		if (aml_http_ssl_cert_file[0] == '\0' || aml_http_ssl_key_file[0] == '\0')
			ereport(FATAL, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("automl.http_ssl_cert_file and automl.http_ssl_key_file must be set together")));
		flags |= MHD_USE_TLS;
		opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_CERT, 0, read_pem(aml_http_ssl_cert_file, "certificate")};
		opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_KEY, 0, read_pem(aml_http_ssl_key_file, "private key")};
	}
	opts[k++] = (struct MHD_OptionItem) {MHD_OPTION_END, 0, NULL};

	d = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (d == NULL)
		ereport(FATAL, (errmsg("automl http: could not listen on %s%s", aml_http_listen,
							   tls ? " with TLS" : ""),
						errhint("Is the address in use, or the certificate or key invalid?  The log has "
								"libmicrohttpd's message.")));
	ereport(LOG, (errmsg("automl http worker listening on %s%s", aml_http_listen, tls ? " (https)" : "")));
	return d;
}

/*
 * The main loop.  It is not src/pg/worker.h's AmlWorkerLoop, which hosts
 * the deploy worker and the job scheduler, for three reasons: the loop must
 * know WHICH events fired (libmicrohttpd's epoll descriptor readable: run
 * it; latch set by a committer's announcement: scan for events -- the
 * AmlWorkerLoop resets the latch and drops the events), it must never pause
 * after an error (each libmicrohttpd callback catches its own, and a pause
 * would leave every connection unanswered), and SIGTERM must stop the
 * daemon cleanly.  What is shared is reused: the registration
 * (aml_worker_register), connecting to automl.database and waiting while
 * it is missing (aml_worker_connect), the worker's memory contexts and its
 * wait set of latch + postmaster death (aml_worker_loop_init, with one
 * extra event: the epoll descriptor), and the announcement slot that wakes
 * this worker when deployments or jobs change (aml_events_listen).
 */
void
aml_web_worker_main(Datum main_arg)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	AmlWorkerLoop loop;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	/* waits quietly (one WARNING) while automl.database does not exist */
	aml_worker_connect(AML_WEB_WORKER_TYPE);
	pgstat_report_appname(AML_WEB_WORKER_TYPE);

	aml_worker_loop_init(&loop, AML_WEB_WORKER_TYPE, 1);
	request_cxt = AllocSetContextCreate(loop.worker_cxt, "automl http request", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loop.worker_cxt);
	{
		StringInfoData doc;

		initStringInfo(&doc);
		aml_web_openapi(&doc);
		openapi_doc = doc.data;
	}
	load_static_files();
	d = start_daemon();
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL)
		ereport(FATAL, (errmsg("automl http: libmicrohttpd has no epoll descriptor")));
	AddWaitEventToSet(loop.wait_set, WL_SOCKET_READABLE, info->epoll_fd, NULL, NULL);
	aml_web_events_listen();

	for (;;)
	{
		WaitEvent	events[3];
		MHD_UNSIGNED_LONG_LONG mhd_timeout;
		long		timeout = -1;
		long		hb;
		int			nev;

		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			aml_web_auth_reset();
		}
		if (aml_web_events_announced())
			scan_needed = true;
		if (scan_needed)
		{
			scan_needed = false;
			aml_web_events_scan();
		}
		MemoryContextReset(loop.loop_cxt);
		MemoryContextSwitchTo(loop.loop_cxt);
		MHD_run(d);
		MemoryContextSwitchTo(loop.worker_cxt);
		if (scan_needed)
			continue;			/* a request just committed a deployment or job change */
		if (MHD_get_timeout(d, &mhd_timeout) == MHD_YES)
			timeout = (long) Min(mhd_timeout, (MHD_UNSIGNED_LONG_LONG) 60000);
		hb = aml_web_events_heartbeat();
		if (hb >= 0 && (timeout < 0 || hb < timeout))
			timeout = hb;
		if (timeout < 0)
			timeout = 60000;
		nev = WaitEventSetWait(loop.wait_set, timeout, events, lengthof(events), PG_WAIT_EXTENSION);
		for (int i = 0; i < nev; i++)
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
	}
	MHD_stop_daemon(d);
	proc_exit(0);
}
