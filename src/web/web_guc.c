/*
 * web_guc.c — the automl.http_* settings and the registration of the HTTP
 * worker.  The worker is registered only when automl is preloaded and
 * automl.http_listen is set (it is off by default).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "pg/worker.h"
#include "web/web.h"

char	   *aml_http_listen = NULL;
char	   *aml_http_ssl_cert_file = NULL;
char	   *aml_http_ssl_key_file = NULL;
int			aml_http_max_body = 1024 * 1024;
int			aml_http_auth_max_failures = 10;
bool		aml_http_allow_superuser = false;
int			aml_http_max_connections = 512;

void
aml_web_define_gucs(void)
{
	DefineCustomIntVariable("automl.http_max_body",
							"Largest request body the HTTP API accepts; larger ones get 413.",
							NULL, &aml_http_max_body, 1024 * 1024, 1024, 256 * 1024 * 1024, PGC_SIGHUP,
							GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("automl.http_auth_max_failures",
							"Failed HTTP logins per client address and minute before it gets 429.",
							NULL, &aml_http_auth_max_failures, 10, 1, 100000, PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("automl.http_allow_superuser",
							 "Whether superusers may sign in to the HTTP API.",
							 NULL, &aml_http_allow_superuser, false, PGC_SIGHUP, 0, NULL, NULL, NULL);

	/*
	 * Postmaster-level settings can only be defined while preloading (a
	 * backend that loads the library later has no HTTP worker anyway).
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomStringVariable("automl.http_listen",
							   "Address and port the HTTP API and dashboard listen on, e.g. 127.0.0.1:8088.",
							   "Empty (the default): no HTTP worker.  Requires automl in shared_preload_libraries.",
							   &aml_http_listen, "", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("automl.http_ssl_cert_file",
							   "PEM certificate of the HTTP API; with automl.http_ssl_key_file, HTTPS only.",
							   NULL, &aml_http_ssl_cert_file, "", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("automl.http_ssl_key_file",
							   "PEM private key of the HTTP API (with automl.http_ssl_cert_file).",
							   NULL, &aml_http_ssl_key_file, "", PGC_POSTMASTER, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("automl.http_max_connections",
							"Most HTTP connections the worker keeps open at once.",
							NULL, &aml_http_max_connections, 512, 16, 10000, PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
}

void
aml_web_register_worker(void)
{
	if (!process_shared_preload_libraries_in_progress || aml_http_listen == NULL || aml_http_listen[0] == '\0')
		return;
	/*
	 * The shared registration (src/pg/worker.c): same flags as the other
	 * static workers, restarted 1 s after it exits -- requests are
	 * transactions, nothing is half-applied.
	 */
	aml_worker_register("aml_web_worker_main", AML_WEB_WORKER_TYPE);
}
