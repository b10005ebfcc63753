/*
 * web_guc.c — the automl.http_* settings and the registration of the HTTP
 * worker.  The worker is registered only when automl is preloaded and
 * automl.http_listen is set (it is off by default).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

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
	BackgroundWorker worker;

	if (!process_shared_preload_libraries_in_progress || aml_http_listen == NULL || aml_http_listen[0] == '\0')
		return;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* restarted after a crash or an error: requests are transactions, nothing is half-applied */
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "automl");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "aml_web_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, AML_WEB_WORKER_TYPE);
	snprintf(worker.bgw_type, BGW_MAXLEN, AML_WEB_WORKER_TYPE);
	RegisterBackgroundWorker(&worker);
}
