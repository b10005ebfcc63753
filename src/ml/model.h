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
 *
 * Members over different inputs (cross-site AutoML, federation/fed_train.c:
 * each hospital's search keeps its own columns, categories and classes):
 * aml_model_ensemble_union() gives the model its own schema, the union of
 * the members' (inputs by name in first-seen order, categories and classes
 * sorted: numerically when every label is a number, else in byte order),
 * and per member a map: the member's raw row is read from the model's raw
 * row by input name with category codes translated (a category the member
 * never saw is unseen, AML_UNSEEN_CATEGORY), and the member's class k adds
 * to the model's class of the same label (a class a member does not know
 * gets nothing from it).  Members come in groups (one per node model: its
 * pipelines, which share their classes, and that model's calibrator if it
 * had one): a group's output is the mean of its members' outputs weighted
 * by their share of the group's weight, calibrated, and adds to the model's
 * output with the group's weight.  Stored as an ensemble with a "schema"
 * and "groups" of its own:
 * {"format": "automl-ensemble", "version": 1, "schema": {...},
 *  "groups": [{"size": n, "calibration": {...}}, ...], "members": [...]};
 * the maps are rebuilt from the names when loaded.  Such a model has no
 * calibrator of its own; explanations and PFA export refuse it.
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
	/* members over different inputs (aml_model_ensemble_union); NULL otherwise */
	AmlSchema  *own_schema;		/* owned: the union of the members' schemas */
	struct AmlMemberMap *maps;	/* per member */
	int			max_member_inputs;
	int			n_groups;
	int		   *group_end;		/* members of group g: group_end[g-1] (or 0) .. group_end[g]-1 */
	double	   *group_weight;	/* sum of its members' weights */
	struct AmlCalibrator **group_calibration;	/* owned; NULL entries: none */
} AmlModel;

/* A model of one pipeline (takes ownership). */
AmlStatus	aml_model_single(AmlPipeline *p, AmlModel **out, AmlError *err);
/* An ensemble (takes ownership of the pipelines; weights are normalised). */
AmlStatus	aml_model_ensemble(AmlPipeline **members, const double *weights, int n,
							   AmlModel **out, AmlError *err);
/*
 * An ensemble whose members may have different inputs, categories and
 * classes (same task; classification: every member probabilistic); see
 * above.  Takes ownership of the pipelines on success.
 */
AmlStatus	aml_model_ensemble_union(AmlPipeline **members, const double *weights, int n,
									 AmlModel **out, AmlError *err);
/*
 * The same with groups: group_sizes[g] consecutive members form group g,
 * calibrators[g] (NULL: none) calibrates its output; takes ownership of the
 * pipelines and calibrators on success.
 */
AmlStatus	aml_model_ensemble_union_groups(AmlPipeline **members, const double *weights, int n,
											const int *group_sizes, int n_groups,
											struct AmlCalibrator **calibrators, AmlModel **out,
											AmlError *err);
void		aml_model_free(AmlModel *m);
int			aml_model_scratch_size(const AmlModel *m);
/* One raw row -> out[outputs]; scratch of aml_model_scratch_size() doubles. */
void		aml_model_predict_row(const AmlModel *m, const double *raw, double *out, double *scratch);
AmlStatus	aml_model_predict(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, AmlError *err);
/* The outputs before any calibrator (automl_evaluate's comparison); the same when none. */
AmlStatus	aml_model_predict_uncalibrated(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out,
										   AmlError *err);
/* Whether a calibrator changes the probabilities (a method other than "none"). */
bool		aml_model_is_calibrated(const AmlModel *m);
json_object *aml_model_to_json(const AmlModel *m);
AmlStatus	aml_model_from_json(json_object *obj, AmlModel **out, AmlError *err);
void		aml_model_describe(const AmlModel *m, char *buf, size_t buflen);
/* The predicted class of a row of outputs: argmax, or p1 > threshold with a calibrator. */
int			aml_model_decide(const AmlModel *m, const double *outputs);
/* The algorithm name: the estimator's, or "ensemble". */
const char *aml_model_algorithm(const AmlModel *m);

#endif
