/*
 * fed_train.h — cross-site AutoML (automl_train_federated): what the centre
 * (fed_train.c) and the node side (fed_train_node.c) share.
 *
 * Round 1, automl.node_train: each node runs automl_train on its own rows,
 * with the caller's rights, in a search space without estimators or steps
 * that store training rows or single row values (node_space), and answers
 * {"rows", "task", "metric", "cv_score", "model_id", "model": <the stored
 * model JSON>}.  Round 2, automl.node_score: each node scores every node's
 * model on its own rows and answers {"rows", "scores": [...]}.
 */
#ifndef AML_FEDERATION_FED_TRAIN_H
#define AML_FEDERATION_FED_TRAIN_H

#include "postgres.h"

#include "pg/jsonc.h"

/* The answer of automl.node_train for this server (JSON text). */
char	   *aml_fed_node_train_json(Oid relid, const char *target, double budget_seconds,
									const char *metric, int32 seed, int64 *rows,
									const char **suppressed);
/* The answer of automl.node_score for this server (JSON text); models: a JSON array. */
char	   *aml_fed_node_score_json(Oid relid, const char *target, json_object *models,
									const char *metric, int64 *rows, const char **suppressed);
/* The search space a node trains in (JSON text): row-free estimators and steps. */
char	   *aml_fed_node_space(void);

#endif
