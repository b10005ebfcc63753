/*
 * deploy_task.h — one deployment request as the deploy worker carries it:
 * its phase, its Marathon call, and what to record (deploy_task.c explains
 * the state machine).
 */
#ifndef AML_REGISTRY_DEPLOY_TASK_H
#define AML_REGISTRY_DEPLOY_TASK_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "lib/ilist.h"
#include "utils/timestamp.h"

#include "registry/deploy_store.h"
#include "registry/marathon_client.h"
#include "registry/marathon_doc.h"

typedef enum AmlTaskPhase
{
	AML_PHASE_SEND,
	AML_PHASE_RECHECK,
	AML_PHASE_FOLLOW,
	AML_PHASE_VERIFY,
	AML_PHASE_CANCEL
} AmlTaskPhase;

typedef struct AmlTask
{
	dlist_node	node;			/* in the worker's list */
	MemoryContext cxt;			/* everything of this request */
	int64		id;
	bool		is_deploy;
	char	   *marathon_app_id;
	char	   *definition;
	char	   *app;
	char	   *config;
	AmlTaskPhase phase;
	bool		use_put;
	int			attempts;		/* tries of the request (the claim is the first) */
	bool		tried;			/* has this request been sent (or may it have been)? */
	int			failures;		/* consecutive retryable failures (backoff) */
	TimestampTz next_at;
	TimestampTz deadline;		/* from the row: automl.deploy_timeout after the claim */
	TimestampTz follow_since;
	char	   *deployment_id;
	char	   *version;
	char	   *cancel_reason;
	XLogRecPtr	flush_before_write; /* WAL to flush before the first write (durability) */
	AmlHttpCall *call;			/* in flight */
	/* what to record */
	char	   *last_error;
	int			last_status;
	char	   *error_details;	/* Marathon's body (deploy_store.c keeps it only if jsonb takes it) */
	int			tasks_running;
	int			tasks_healthy;
	const char *final_state;	/* set when the request is over */
	bool		dirty;
} AmlTask;

/* A task for a claimed (SEND) or recovered (RECHECK) request, in its own context under parent. */
AmlTask    *aml_task_create(const AmlDeployRequest *r, AmlTaskPhase phase, MemoryContext parent);
void		aml_task_free(AmlTask *t);

/* Start the call of the task's phase (any phase but FOLLOW). */
void		aml_task_start_call(AmlTask *t, AmlMarathonClient *client);
/* The task's call finished: move on (the caller frees the call). */
void		aml_task_on_result(AmlTask *t, AmlHttpCall *call);

/* A followed task and the list of running deployments of a poll that started after it followed. */
void		aml_task_on_deployments(AmlTask *t, const AmlHttpCall *poll, const AmlMarathonDeployment *list,
									int n, TimestampTz now);
/* A followed task and a poll that failed (text says how). */
void		aml_task_on_poll_failure(AmlTask *t, const AmlHttpCall *poll, const char *text, TimestampTz now);

/* The request is over: failed with this message. */
void		aml_task_fail(AmlTask *t, const char *message);

#endif
