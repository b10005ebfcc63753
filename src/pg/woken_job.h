/*
 * woken_job.h — one Woken job inside automl: what it produced, running it
 * with Woken's error reporting, its woken.job_result row and its
 * QueryResult (woken_job.c); the request preparation shared by mining
 * queries and experiments (woken_request.c); the results of the codes
 * (woken_results.c); mining (woken_mining.c), experiments
 * (woken_experiment.c), the results cache (woken_cache.c).
 */
#ifndef AML_PG_WOKEN_JOB_H
#define AML_PG_WOKEN_JOB_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "utils/array.h"

#include "ml/estimator.h"
#include "pg/filter.h"
#include "pg/woken.h"

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
	bool		fill_cache;		/* automl_mining: woken.results_cache gets the result */
	const char *table_name;		/* targetTable's name (cache key) */
	char	   *contents_hash;	/* MD5 of the query's rows (cache key), when fill_cache */
	/* automl_mining(..., nodes): federated run (src/federation/fed_mining.c) */
	ArrayType  *fed_nodes;		/* NULL: this server only */
	bool		fed_strict;		/* a node failure is an error */
	Oid			fed_relid;		/* the target table (the nodes' table of that name) */
	char	   *fed_filter;		/* the query's rows as a filter (jsonb text) */
} AmlWokenJob;

/* A new job (fresh job id, automl.node) whose results live in CurrentMemoryContext. */
void		aml_woken_job_init(AmlWokenJob *job, const char *code);
/* Set the extension's schema from the calling function (call first). */
void		aml_woken_set_schema(Oid fn_oid);
/* The same from the extension's namespace (a job worker has no calling function). */
void		aml_woken_set_schema_namespace(Oid nsp);
/* The extension's schema, quoted, for SPI text. */
const char *aml_woken_ext_schema(void);
/*
 * run(job, q) inside SPI; unless strict, in a subtransaction whose error
 * becomes the job's (text/plain+error, message, parameters.sqlstate).
 */
void		aml_woken_run_guarded(AmlWokenJob *job, void (*run) (AmlWokenJob *job, json_object *q),
								  json_object *q, bool strict);
/*
 * The parts of a query's header that every algorithm reads (woken_request.c):
 * targetTable resolved (42P01 when missing; privileges are checked when it
 * is read), the codes of variables/covariables/grouping/datasets, and
 * Woken's "Variable(s) X do not exist in node N and table T" (42703).
 */
Oid			aml_woken_target_table(json_object *q, char **display);
List	   *aml_woken_codes_of(json_object *q, const char *key);
void		aml_woken_check_exist(List *codes, Oid relid, const char *node, const char *table,
								  const char *what);
/* woken_request.c: the extension's schema name (unquoted); shared helpers */
const char *aml_woken_ext_schema_name(void);
char	   *aml_woken_join_codes(List *codes, const char *sep);
json_object *aml_woken_codes_array(List *codes);
bool		aml_woken_has_column(Oid relid, const char *name);
/* regression or classification, as automl_fit's task => 'auto' would see the target (in SPI) */
AmlTask		aml_woken_target_task(Oid relid, const char *target);
/* The string value of a Woken parameter [{code, value}], NULL when absent or null. */
const char *aml_woken_param_value(json_object *parameters, const char *code);
/* {code: value, ...} of Woken's parameters (job_result.parameters.model_parameters) */
json_object *aml_woken_params_echo(json_object *parameters);
/* The first column of the one row of a query, as int8 (NULL: 0); errors otherwise. */
int64		aml_woken_spi_int8(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls);
/* name[] of the codes */
Datum		aml_woken_names_array(List *codes);
/* The query-builder rule {"field", "operator", "value"} */
json_object *aml_woken_rule_of(const char *field, const char *op, json_object *value);
/* A compiled filter with its parameters as typed literals, for a view's definition. */
char	   *aml_woken_inline_parameters(const AmlWhere *w);

/* woken_results.c: a code's result into the job, from the query's view (in SPI) */
void		aml_woken_link_job(const char *table, int64 id, const char *job_id);
void		aml_woken_model_result(AmlWokenJob *job, int64 model_id);
void		aml_woken_kmeans_result(AmlWokenJob *job, json_object *parameters, Oid viewid, List *features);
bool		aml_woken_function_installed(const char *name);
void		aml_woken_statistics_result(AmlWokenJob *job, const AmlWokenAlgorithm *alg,
										json_object *parameters, Oid viewid, List *variables, List *terms);
void		aml_woken_chart_result(AmlWokenJob *job, const AmlWokenAlgorithm *alg, json_object *parameters,
								   Oid viewid, List *variables, List *covariables, List *grouping);

/*
 * fed_mining.c: with job->fed_nodes set, the federated functions' extra
 * arguments appended to a call's $n parameters (nargs grows by 3; the arrays
 * need room) as SQL text ", filter => $k, nodes => $k+1, strict => $k+2";
 * the relation a code's function reads (the view, or the target table);
 * the call's node feedback moved into the job's feedback; the codes that
 * have a federated implementation (else 0A000 naming the code).
 */
char	   *aml_woken_fed_args(AmlWokenJob *job, int *nargs, Oid *types, Datum *values, char *nulls);
Oid			aml_woken_fed_relation(AmlWokenJob *job, Oid viewid);
void		aml_woken_fed_feedback(AmlWokenJob *job);
void		aml_woken_fed_check_code(AmlWokenJob *job, const char *code);

/* A MiningQuery (in SPI). */
void		aml_woken_run_mining(AmlWokenJob *job, json_object *q);
void		aml_woken_feedback(AmlWokenJob *job, const char *message);
/* Insert the job's woken.job_result row (as the table's owner). */
void		aml_woken_write_job_result(AmlWokenJob *job);
/* Its QueryResult (q echoed when not NULL). */
json_object *aml_woken_query_result(AmlWokenJob *job, json_object *q);

/* woken_cache.c: the MD5 of a query view's rows (in SPI, as the caller). */
char	   *aml_woken_contents_hash(AmlWokenJob *job, const char *view);
/*
 * Store a successful mining result (its QueryResult) in woken.results_cache
 * as Woken does; false when Woken would not cache it or the key is there.
 */
bool		aml_woken_cache_put(AmlWokenJob *job, json_object *q, json_object *result);

/*
 * Woken's k-fold validation of a predictive code on the rows of relid
 * (woken_experiment.c): folds as Woken draws them, each scored with
 * Woken's score documents, pooled "average"; the validations are added to
 * the job's result (the PFA's "validations" cell).
 */
void		aml_woken_cross_validate(AmlWokenJob *job, Oid relid, const char *target, List *features,
									 const char *estimator, const char *params_json, AmlTask task,
									 int64 final_model);

/* The validations entry of a k-fold score document {type, average, folds} (woken_experiment.c). */
void		aml_woken_add_validation(AmlWokenJob *job, int k, json_object *kfold);
/*
 * fed_experiment.c: the k-fold validation of a predictive code over the
 * job's nodes (folds assigned on every node, only aggregates gathered).
 */
void		aml_woken_fed_cross_validate(AmlWokenJob *job, const char *target, List *features,
										 const char *estimator, const char *params_json, AmlTask task,
										 int64 final_model);

/*
 * An ExperimentQuery run as an automl job (src/jobs/job_worker.c, as the
 * job's owner, inside its transaction): the woken.job_result row is job_id's
 * (the automl job id as text) on node.  An error of the experiment as a
 * whole is raised (the job fails with its SQLSTATE); with strict, an
 * algorithm's error too, else it is that algorithm's item, as in Woken.
 * nodes (NULL: this server only): over federation nodes, as
 * automl_experiment(query, strict, nodes).
 */
void		aml_woken_experiment_job(const char *job_id, const char *node, const char *query_text,
									 bool strict, Oid ext_namespace, ArrayType *nodes);

#endif
