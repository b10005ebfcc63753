/*
 * woken.h — Woken inside the database (src/pg/woken_*.c): the algorithm
 * catalogue, mining queries, woken-db's job_result, PFA export.
 *
 * The catalogue maps each Woken algorithm code to what automl runs for it:
 * an estimator of automl_fit (per task), the AutoML search (tpot), or a SQL
 * function (statistics).  Its parameters are made from the estimators'
 * parameter tables (src/ml/params.c), renamed where Woken's containers used
 * another name (knn's k is n_neighbors).
 */
#ifndef AML_PG_WOKEN_H
#define AML_PG_WOKEN_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "ml/estimator.h"

typedef enum AmlWokenKind
{
	AML_WOKEN_ESTIMATOR,		/* automl_fit with an estimator per task */
	AML_WOKEN_SEARCH,			/* automl_train (tpot) */
	AML_WOKEN_SUMMARY,			/* automl_summary (statisticsSummary) */
	AML_WOKEN_FUNCTION			/* a statistics SQL function (requires) */
} AmlWokenKind;

/* Target types a code accepts (Woken's constraints.variable). */
#define AML_WOKEN_REAL 1
#define AML_WOKEN_INTEGER 2
#define AML_WOKEN_BINOMINAL 4
#define AML_WOKEN_POLYNOMINAL 8
#define AML_WOKEN_ALL_TYPES 15

typedef struct AmlWokenAlgorithm
{
	const char *code;
	const char *label;
	const char *description;
	const char *type;			/* statistics | predictive_model | features_extraction */
	AmlWokenKind kind;
	bool		predictive;
	bool		variables_can_be_null;
	bool		covariables_can_be_null;
	unsigned	target_types;
	int			covariables_min;
	int			covariables_max;	/* -1: no limit */
	int			groupings_max;	/* -1: no limit */
	const char *regression;		/* estimator for a numeric target */
	const char *classification; /* estimator for a nominal target */
	const char *requires;		/* SQL function it needs, NULL if built in */
} AmlWokenAlgorithm;

const AmlWokenAlgorithm *aml_woken_algorithm_find(const char *code);
/* "statisticsSummary, histograms, ..." (palloc'd) */
char	   *aml_woken_algorithm_codes(void);
/* automl's name of a parameter Woken spells otherwise (k -> n_neighbors), else name. */
const char *aml_woken_param_name(const AmlWokenAlgorithm *alg, const char *woken_name);
/*
 * Woken's parameters [{code, value: "string"}] -> automl_fit's params object
 * for the estimator, each value converted by its spec's type; wrong names and
 * values are 22023 errors naming the parameter.
 */
json_object *aml_woken_params_to_json(const AmlWokenAlgorithm *alg,
									  const AmlEstimatorType *type, json_object *parameters);

/* A visible model as a PFA document (jsonc, released with the context); 0A000 if inexpressible. */
json_object *aml_woken_model_pfa(int64 model_id);
/*
 * The same from a stored pipeline's JSON text; when PFA cannot express it
 * and why is not NULL, returns NULL and the reason in *why instead of raising.
 */
json_object *aml_woken_pipeline_pfa(int64 model_id, const char *algorithm, const char *pipeline_text,
									char **why);
/* Whether PFA export handles automl.models.algorithm (the pipeline's steps may still not). */
bool		aml_woken_pfa_supported(const char *algorithm);

/* automl.node, else cluster_name, else "local" (at most 32 characters). */
const char *aml_woken_node(void);

/* Called from _PG_init(): defines automl.node (woken_catalogue.c). */
void		aml_woken_init(void);

#endif
