/*
 * woken_job.h — one Woken job inside automl (woken_mining.c,
 * woken_experiment.c): what it produced, running it with Woken's error
 * reporting, its woken.job_result row and its QueryResult.
 */
#ifndef AML_PG_WOKEN_JOB_H
#define AML_PG_WOKEN_JOB_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "ml/estimator.h"

typedef struct AmlWokenJob
{
	MemoryContext cxt;			/* where the results live (SPI's context goes at SPI_finish) */
	const char *job_id;
	const char *node;
	const char *code;			/* algorithm code as given */
	char	   *shape;
	const char *function;
	char	   *data;			/* JSON text (or NULL) */
	char	   *error;
	json_object *parameters;	/* job_result.parameters */
	json_object *feedback;		/* array */
	int			kfold;			/* >= 2: predictive codes are cross-validated (experiments) */
} AmlWokenJob;

/* A new job (fresh job id, automl.node) whose results live in CurrentMemoryContext. */
void		aml_woken_job_init(AmlWokenJob *job, const char *code);
/* Set the extension's schema from the calling function (call first). */
void		aml_woken_set_schema(Oid fn_oid);
/* The extension's schema, quoted, for SPI text. */
const char *aml_woken_ext_schema(void);
/*
 * run(job, q) inside SPI; unless strict, in a subtransaction whose error
 * becomes the job's (text/plain+error, message, parameters.sqlstate).
 */
void		aml_woken_run_guarded(AmlWokenJob *job, void (*run) (AmlWokenJob *job, json_object *q),
								  json_object *q, bool strict);
/* A MiningQuery (in SPI). */
void		aml_woken_run_mining(AmlWokenJob *job, json_object *q);
void		aml_woken_feedback(AmlWokenJob *job, const char *message);
/* Insert the job's woken.job_result row (as the table's owner). */
void		aml_woken_write_job_result(AmlWokenJob *job);
/* Its QueryResult (q echoed when not NULL). */
json_object *aml_woken_query_result(AmlWokenJob *job, json_object *q);

/*
 * Woken's k-fold validation of a predictive code on the rows of relid
 * (woken_experiment.c): folds as Woken draws them, each scored with
 * Woken's score documents, pooled "average"; the validations are added to
 * the job's result (the PFA's "validations" cell).
 */
void		aml_woken_cross_validate(AmlWokenJob *job, Oid relid, const char *target, List *features,
									 const char *estimator, const char *params_json, AmlTask task,
									 int64 final_model);

#endif
