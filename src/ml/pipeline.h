/*
 * pipeline.h — a pipeline: encoder, transformers, one estimator.
 *
 * Created from a JSON specification (what automl_fit builds from an
 * algorithm and its hyperparameters, and what the AutoML search generates):
 *   {"encoder": {"categorical": "onehot"},
 *    "steps": [{"type": "simple_imputer", "params": {"strategy": "median"}},
 *              {"type": "standard_scaler"}],
 *    "estimator": {"type": "ridge", "params": {"alpha": 1.0}}}
 * fitted on a raw matrix following its schema (encoder.h), it predicts a raw
 * matrix or a single raw row (the SQL hot path, no allocation), and
 * serialises to JSON with every fitted number, so that a pipeline reloaded
 * from the model store predicts identically.
 */
#ifndef AML_PIPELINE_H
#define AML_PIPELINE_H

#include <json.h>

#include "core/matrix.h"
#include "core/random.h"
#include "core/status.h"
#include "ml/encoder.h"
#include "ml/estimator.h"
#include "ml/transformer.h"

typedef struct AmlPipeline
{
	AmlSchema	schema;
	AmlEncoder *encoder;
	int			n_steps;
	AmlTransformer **steps;
	AmlEstimator *estimator;
	int			max_width;		/* widest row between steps (for row buffers) */
	bool		fitted;

	/*
	 * Numeric inputs, affine steps and a linear model fold into one affine
	 * map for rows without missing values: outputs = W x + b, or
	 * softmax(W x + b).  Computed after fit and load, never stored.
	 */
	bool		folded;
	AmlFoldLink fold_link;
	double	   *fold_W;			/* outputs x n_inputs, row-major */
	double	   *fold_b;			/* outputs */

	/* What explanations need from the training data (explain.h); NULL if unknown. */
	struct AmlExplainInfo *explain;
	/*
	 * Set before aml_pipeline_fit for a model that is scored and thrown
	 * away (a cross-validation split, a holdout's scoring fit): explain stays
	 * NULL (for a forest, its node covers cost about a third of the fit).
	 */
	bool		skip_explain_info;
} AmlPipeline;

/* An unfitted pipeline for `schema` (copied) from a specification. */
AmlStatus	aml_pipeline_create(const AmlSchema *schema, json_object *spec,
								AmlPipeline **out, AmlError *err);
void		aml_pipeline_free(AmlPipeline *p);
/* Fit on raw (schema columns) and y (class indices or values). */
AmlStatus	aml_pipeline_fit(AmlPipeline *p, const AmlMatrix *raw, const double *y,
							 AmlRng *rng, AmlError *err);
/* Outputs per row: n_classes (probabilities or scores) or 1 (regression). */
int			aml_pipeline_outputs(const AmlPipeline *p);
/* raw (n x inputs) -> out (n x outputs, preallocated) */
AmlStatus	aml_pipeline_predict(const AmlPipeline *p, const AmlMatrix *raw, AmlMatrix *out,
								 AmlError *err);
/* Doubles of scratch space aml_pipeline_predict_row needs. */
int			aml_pipeline_scratch_size(const AmlPipeline *p);
/* One raw row -> out[outputs]; scratch has aml_pipeline_scratch_size() doubles. */
void		aml_pipeline_predict_row(const AmlPipeline *p, const double *raw, double *out,
									 double *scratch);
/* The transformed design matrix the estimator sees (for importances, debugging). */
AmlStatus	aml_pipeline_transform(const AmlPipeline *p, const AmlMatrix *raw, AmlMatrix **out,
								   AmlError *err);

/* {"format": "automl-pipeline", "version": 1, "schema", "encoder", "steps", "estimator"} */
json_object *aml_pipeline_to_json(const AmlPipeline *p);
AmlStatus	aml_pipeline_from_json(json_object *obj, AmlPipeline **out, AmlError *err);
/* The unfitted specification (types and hyperparameters) of a pipeline. */
json_object *aml_pipeline_spec(const AmlPipeline *p);
/* In words: "one-hot encoding → median imputation → standard scaling → ridge (alpha=0.1)" */
void		aml_pipeline_describe(const AmlPipeline *p, char *buf, size_t buflen);
/* Same from a specification, without building the pipeline. */
AmlStatus	aml_pipeline_describe_spec(json_object *spec, char *buf, size_t buflen, AmlError *err);

/*
 * The default preprocessing that makes any table trainable with `estimator`:
 * ordinal encoding for trees and boosting (they split on codes and handle
 * missing values), one-hot otherwise; median imputation with missing
 * indicators (no indicators for clustering) unless the estimator handles
 * missing values; standard scaling where the estimator needs it (min-max for
 * multinomial naive Bayes, which needs non-negative inputs; none for k-means,
 * which clusters in the columns' own units).  Returns a new spec; params is copied.
 */
json_object *aml_pipeline_default_spec(const AmlEstimatorType *estimator, json_object *params);

#endif
