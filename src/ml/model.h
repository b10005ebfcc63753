/*
 * model.h — what automl.models stores and predict serves: one pipeline, or a
 * weighted ensemble of pipelines over the same inputs (the AutoML search's
 * greedy ensemble selection).  Outputs are the weighted mean of the members'
 * outputs: class probabilities (every member probabilistic) or values.
 *
 * A classifier may carry a calibrator (calibration.h): predict then
 * returns calibrated probabilities, and aml_model_decide() applies its
 * binary decision threshold.  Explanations (explain.h) explain the outputs
 * before calibration.
 *
 * JSON: a single pipeline is stored as the pipeline itself
 * ({"format": "automl-pipeline", ...}); an ensemble as
 * {"format": "automl-ensemble", "version": 1,
 *  "members": [{"weight": w, "pipeline": {...}}, ...]}; a calibrator as
 * "calibration": {...} in either object.
 */
#ifndef AML_MODEL_H
#define AML_MODEL_H

#include <json.h>

#include "ml/pipeline.h"

typedef struct AmlModel
{
	int			n_members;
	AmlPipeline **members;		/* owned */
	double	   *weights;		/* sum to 1 */
	const AmlSchema *schema;	/* of the first member */
	int			outputs;
	bool		probabilistic;	/* classification outputs are probabilities */
	struct AmlCalibrator *calibration;	/* owned; NULL: none */
} AmlModel;

/* A model of one pipeline (takes ownership). */
AmlStatus	aml_model_single(AmlPipeline *p, AmlModel **out, AmlError *err);
/* An ensemble (takes ownership of the pipelines; weights are normalised). */
AmlStatus	aml_model_ensemble(AmlPipeline **members, const double *weights, int n,
							   AmlModel **out, AmlError *err);
void		aml_model_free(AmlModel *m);
int			aml_model_scratch_size(const AmlModel *m);
/* One raw row -> out[outputs]; scratch of aml_model_scratch_size() doubles. */
void		aml_model_predict_row(const AmlModel *m, const double *raw, double *out, double *scratch);
AmlStatus	aml_model_predict(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, AmlError *err);
json_object *aml_model_to_json(const AmlModel *m);
AmlStatus	aml_model_from_json(json_object *obj, AmlModel **out, AmlError *err);
void		aml_model_describe(const AmlModel *m, char *buf, size_t buflen);
/* The predicted class of a row of outputs: argmax, or p1 > threshold with a calibrator. */
int			aml_model_decide(const AmlModel *m, const double *outputs);
/* The algorithm name: the estimator's, or "ensemble". */
const char *aml_model_algorithm(const AmlModel *m);

#endif
