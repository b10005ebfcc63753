/*
 * registry.h — the app registry (Maracker inside PostgreSQL): configuration,
 * the shared state between SQL callers and the deploy worker, and the entry
 * points of each file of src/registry.
 *
 *   registry.c        SQL functions (deploy, undeploy, wait, preview), GUCs,
 *                     shared memory, registration of the worker
 *   validate.c        what Marathon would refuse, checked in the database
 *   triggers.c        triggers on automl.apps, app_configs and deployments
 *   marathon_app.c    registry rows -> Marathon app definition (pure)
 *   marathon_client.c libcurl multi client of Marathon's REST API v2: calls,
 *                     their outcomes and error messages
 *   marathon_doc.c    Marathon's answers as untrusted input: documents, ids,
 *                     text; the URL paths that carry ids back
 *   deploy_store.c    the worker's short transactions: claim, record, recover
 *   deploy_task.c     the state machine of one request in the worker
 *   deploy_worker.c   the background worker: main loop, the shared poll of
 *                     Marathon's deployments, recording and claiming
 *
 * The worker plumbing (shared memory, waking at commit, connecting to
 * automl.database, the main loop, short transactions) is src/pg/worker.h's.
 */
#ifndef AML_REGISTRY_REGISTRY_H
#define AML_REGISTRY_REGISTRY_H

#include "postgres.h"

#include "storage/condition_variable.h"

#include "pg/worker.h"

/* ---------------------------------------------------------------- GUCs */
extern char *aml_marathon_url;			/* automl.marathon_url */
extern char *aml_marathon_credentials;	/* automl.marathon_credentials */
extern char *aml_marathon_group;		/* automl.marathon_group */
extern char *aml_traefik_domain;		/* automl.traefik_domain */
extern int	aml_http_timeout_ms;		/* automl.http_timeout */
extern int	aml_deploy_timeout_ms;		/* automl.deploy_timeout */
extern int	aml_deploy_poll_interval_ms;	/* automl.deploy_poll_interval */
extern int	aml_deploy_max_backoff_ms;	/* automl.deploy_max_backoff */
extern int	aml_deploy_concurrency;		/* automl.deploy_concurrency */

/* ------------------------------------------------------- shared memory */
/*
 * One struct in shared memory (only when automl is in
 * shared_preload_libraries): where the worker's latch is, a flag saying
 * "new requests were committed", and a condition variable the worker
 * broadcasts after every transaction that changed a deployment, which
 * automl_deployment_wait() sleeps on.
 */
typedef struct AmlRegistryShared
{
	AmlWorkerSlot worker;		/* the deploy worker (pg/worker.h) */
	ConditionVariable progress_cv;	/* broadcast after each worker commit */
} AmlRegistryShared;

/* NULL unless the library was preloaded (then set by the shmem startup hook). */
extern AmlRegistryShared *aml_registry_shared;

/* Name of the worker (bgw_type, pg_stat_activity.backend_type). */
#define AML_DEPLOY_WORKER_TYPE "automl deploy worker"

/* --------------------------------------------------------- states */
#define AML_DEP_REQUESTED	"requested"
#define AML_DEP_DEPLOYING	"deploying"
#define AML_DEP_RUNNING		"running"
#define AML_DEP_FAILED		"failed"
#define AML_DEP_DELETING	"deleting"
#define AML_DEP_DELETED		"deleted"

/* Labels the registry puts on every app it deploys (users may not set automl.*). */
#define AML_LABEL_MANAGED		"automl.managed"
#define AML_LABEL_APP			"automl.app"
#define AML_LABEL_CONFIG		"automl.config"
#define AML_LABEL_DEPLOYMENT	"automl.deployment"

/* Header naming the request on every call the worker makes (tracing). */
#define AML_REQUEST_HEADER "X-Automl-Request-Id"

/* ------------------------------------------------------ entry points */
/* registry.c */
void		aml_registry_init(void);	/* from _PG_init: GUCs, shared memory, the worker */
void		aml_registry_check_worker(const char *what);

/* deploy_worker.c */
PGDLLEXPORT void aml_deploy_worker_main(Datum main_arg);

#endif
