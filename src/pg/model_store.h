/*
 * model_store.h — automl.models: storing fitted pipelines, finding them again.
 *
 * Rows are written only through automl's functions (automl_fit,
 * automl_train, automl_deploy_model), which insert as the table's owner on
 * behalf of the caller (security.h), so a stored pipeline is always one
 * automl produced; callers read and delete their own models (row-level
 * security), superusers all.  Owners are role OIDs; names, versions and the
 * deployed version belong to their owner.  A statement trigger turns every change into a relcache invalidation
 * so that every backend's compiled-model cache (predict.c) forgets it.
 */
#ifndef AML_PG_MODEL_STORE_H
#define AML_PG_MODEL_STORE_H

#include "postgres.h"

typedef struct AmlModelRecord
{
	const char *name;			/* NULL for an unnamed model */
	const char *task;
	const char *algorithm;
	const char *relation;
	const char *target;
	const char *features;		/* jsonb text */
	const char *classes;		/* jsonb text or NULL */
	const char *params;			/* jsonb text */
	const char *pipeline;		/* jsonb text */
	const char *description;	/* pipeline in words */
	const char *metrics;		/* jsonb text */
	int64		run_id;			/* 0 = none */
} AmlModelRecord;

/* Insert a model for the calling role; returns its id (and version if named). */
int64		aml_model_store(const AmlModelRecord *rec, int32 *version);

/* The pipeline text and task of a model the caller can see; errors if none. */
typedef struct AmlStoredModel
{
	int64		id;
	char	   *pipeline;		/* jsonb text */
	char	   *algorithm;
} AmlStoredModel;

AmlStoredModel *aml_model_fetch(int64 id);
/* Whether the caller can see model id (no error when not). */
bool		aml_model_visible(int64 id);
/* Id of the deployed version of the current role's model of that name; errors if none. */
int64		aml_model_deployed_id(const char *name);

/* Oid of automl.models, InvalidOid if not installed. */
Oid			aml_models_relid(void);

#endif
