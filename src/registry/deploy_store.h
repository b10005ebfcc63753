/*
 * deploy_store.h — the deploy worker's short transactions on
 * automl.deployments: claim queued requests, resume the ones a previous
 * worker had started, record progress and outcomes.
 */
#ifndef AML_REGISTRY_DEPLOY_STORE_H
#define AML_REGISTRY_DEPLOY_STORE_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "nodes/pg_list.h"
#include "utils/timestamp.h"

/* A request as the worker takes it over. */
typedef struct AmlDeployRequest
{
	int64		id;
	bool		is_deploy;		/* deploy, or undeploy */
	char	   *marathon_app_id;
	char	   *definition;		/* JSON sent to Marathon (deploy only) */
	char	   *app;
	char	   *config;
	int			attempts;
	char	   *deployment_id;	/* Marathon deployment recorded earlier, or NULL */
	char	   *version;		/* Marathon version recorded earlier, or NULL */
	bool		app_exists;		/* an earlier deploy of this Marathon app is running: PUT */
	TimestampTz deadline;		/* set by the claim (automl.deploy_timeout later); 0 if NULL */
} AmlDeployRequest;

/* One row to write back. */
typedef struct AmlDeployUpdate
{
	int64		id;
	const char *state;
	int			attempts;
	const char *last_error;		/* NULL keeps NULL */
	int			http_status;	/* 0: NULL */
	const char *error_details;	/* Marathon's body (kept as jsonb, or as a JSON string), or NULL */
	const char *deployment_id;	/* NULL keeps the recorded one */
	const char *version;		/* NULL keeps the recorded one */
	int			tasks_running;	/* < 0: NULL */
	int			tasks_healthy;	/* < 0: NULL */
	TimestampTz next_attempt_at;	/* 0: NULL */
	const char *marathon_app_id;
	bool		supersede;		/* a success: older running rows of the app become deleted */
} AmlDeployUpdate;

/* Is automl installed in this database (and automl.deployments there)?  Sets *version. */
bool		aml_store_extension_ready(char **version, MemoryContext into);
/* Requests of a worker that stopped (state deploying or deleting). */
List	   *aml_store_recover(MemoryContext into);
/*
 * One short transaction: write every update, then claim up to claim_limit
 * queued requests (oldest first, one at a time per Marathon app), giving
 * each its deadline (automl.deploy_timeout from now).  *gone is
 * set when automl is no longer installed; *commit_lsn is where the commit
 * record ends (the transaction does not wait for it to be flushed).
 */
List	   *aml_store_sync(AmlDeployUpdate *updates, int n, int claim_limit, MemoryContext into, bool *gone,
						   XLogRecPtr *commit_lsn);
/* Forget prepared statements (after an error: the extension may have been dropped). */
void		aml_store_reset(void);

#endif
