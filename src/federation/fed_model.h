/*
 * fed_model.h — what the federated model fits of automl_fit share
 * (fed_nb.c: gaussian_nb, fed_kmeans.c: kmeans): automl_fit's arguments,
 * the checks of the column list, and storing the model built at the centre
 * as automl_fit stores its models (automl.models, served by automl_predict).
 */
#ifndef AML_FEDERATION_FED_MODEL_H
#define AML_FEDERATION_FED_MODEL_H

#include "federation/federation.h"

#include "pg/jsonc.h"
#include "utils/jsonb.h"

#include "ml/encoder.h"
#include "ml/estimator.h"
#include "ml/pipeline.h"

/* automl_fit's arguments as a federated fit uses them. */
typedef struct AmlFedFitArgs
{
	Oid			relid;
	char	   *target;			/* NULL for clustering */
	const AmlEstimatorType *type;
	json_object *params;		/* NULL: defaults */
	ArrayType  *features;
	char	   *task;
	int32		seed;
	char	   *name;
	Jsonb	   *filter;
	ArrayType  *nodes;
	bool		strict;
} AmlFedFitArgs;

/* target (unless NULL) + features as a C array; errors on NULL elements, duplicates, none. */
char	  **aml_fed_target_features(const char *target, ArrayType *features, int *n);
/* The names as a text[] literal (the nodes' $n parameter). */
char	   *aml_fed_name_array_literal(char **names, int n);
/* names joined with ", " (the nodes' log). */
char	   *aml_fed_names_text(char **names, int n);
/* features jsonb as automl_fit writes it (types: SQL type per input). */
char	   *aml_fed_features_json(const AmlSchema *schema, const Oid *types);
/* metrics: holdout null, fit seconds, rows, seed, the nodes that contributed. */
json_object *aml_fed_metrics(AmlFedCall *c, const bool *contributed, long rows, int32 seed,
							 double seconds);
/* Store the pipeline as automl_fit does (NOTICE with the id); returns the model id. */
int64		aml_fed_store_model(const AmlFedFitArgs *a, AmlPipeline *p, const char *task,
								const char *relation, const char *features_json,
								json_object *metrics);

/* fed_nb.c */
int64		aml_fed_gaussian_nb(const AmlFedFitArgs *a);
/* fed_kmeans.c */
int64		aml_fed_kmeans(const AmlFedFitArgs *a);
/* fed_knn.c (s21-fedml): rows gathered where the nodes allow it (automl.federation_allow_rows) */
int64		aml_fed_knn(const AmlFedFitArgs *a);

#endif
