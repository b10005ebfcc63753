/*
 * estimator.c — what all estimators share: creation from JSON hyperparameters,
 * input checks before fit, batch prediction, JSON envelope (see estimator.h).
 */
#include "ml/estimator.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

const char *
aml_task_name(AmlTask task)
{
	if (task == AML_TASK_CLUSTERING)
		return "clustering";
	return task == AML_TASK_CLASSIFICATION ? "classification" : "regression";
}

bool
aml_task_parse(const char *name, AmlTask *task)
{
	if (strcmp(name, "classification") == 0)
		*task = AML_TASK_CLASSIFICATION;
	else if (strcmp(name, "regression") == 0)
		*task = AML_TASK_REGRESSION;
	else if (strcmp(name, "clustering") == 0)
		*task = AML_TASK_CLUSTERING;
	else
		return false;
	return true;
}

int
aml_argmax(const double *scores, int k)
{
	int			best = 0;

	for (int c = 1; c < k; c++)
		if (scores[c] > scores[best])
			best = c;
	return best;
}

AmlStatus
aml_estimator_create(const AmlEstimatorType *type, AmlTask task, int n_classes,
					 json_object *params, AmlEstimator **out, AmlError *err)
{
	AmlEstimator *est;

	*out = NULL;
	if ((type->tasks & (unsigned) task) == 0)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "%s does not support %s",
						 type->name, aml_task_name(task));
	if (task == AML_TASK_CLASSIFICATION && n_classes < 2)
		return aml_error(err, AML_ERR_INVALID_DATA,
						 "classification needs at least two classes");
	est = AML_NEW(AmlEstimator);
	if (est == NULL)
		return aml_error_nomem(err, "an estimator");
	est->type = type;
	est->task = task;
	est->n_classes = task == AML_TASK_CLASSIFICATION ? n_classes : 0;
	est->params = aml_params_new(&type->params);
	if (est->params == NULL)
	{
		aml_free(est);
		return aml_error_nomem(err, "hyperparameters");
	}
	if (aml_params_from_json(&type->params, est->params, params, type->name, err) != AML_OK)
	{
		aml_estimator_free(est);
		return err->status;
	}
	*out = est;
	return AML_OK;
}

void
aml_estimator_free(AmlEstimator *est)
{
	if (est == NULL)
		return;
	if (est->state != NULL && est->type->free_state != NULL)
		est->type->free_state(est);
	aml_free(est->params);
	aml_free(est);
}

AmlStatus
aml_estimator_fit(AmlEstimator *est, const AmlMatrix *X, const double *y,
				  AmlRng *rng, AmlError *err)
{
	size_t		n = (size_t) X->rows * (size_t) X->cols;

	if (X->rows < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to train %s on", est->type->name);
	/*
	 * A fast scan first (x - x is NaN exactly for NaN and infinities, and
	 * the sum stays NaN); the slow scan below only names the culprit.
	 */
	{
		double		probe = 0;
		double		lowest = 0;

		for (size_t k = 0; k < n; k++)
		{
			probe += X->data[k] - X->data[k];
			lowest = X->data[k] < lowest ? X->data[k] : lowest;
		}
		if (isnan(probe) || (est->type->needs_nonnegative && lowest < 0))
			for (size_t k = 0; k < n; k++)
			{
				double		v = X->data[k];

				if (isinf(v) || (isnan(v) && !est->type->handles_missing))
					return aml_error(err, AML_ERR_INVALID_DATA,
									 "%s cannot use %s values (feature %zu)", est->type->name,
									 isnan(v) ? "missing" : "infinite", k / (size_t) X->rows);
				if (est->type->needs_nonnegative && v < 0)
				{
					aml_error(err, AML_ERR_INVALID_DATA, "%s needs non-negative features",
							  est->type->name);
					return aml_error_hint(err, "Scale features to [0, 1] first (min-max scaling).");
				}
			}
	}
	for (int i = 0; i < X->rows && est->task != AML_TASK_CLUSTERING; i++)
	{
		if (!isfinite(y[i]))
			return aml_error(err, AML_ERR_INVALID_DATA, "target value of row %d is not finite", i);
		if (est->task == AML_TASK_CLASSIFICATION &&
			(y[i] < 0 || y[i] >= est->n_classes || y[i] != floor(y[i])))
			return aml_error(err, AML_ERR_INTERNAL, "class index %g out of range", y[i]);
	}
	if (est->state != NULL && est->type->free_state != NULL)
		est->type->free_state(est);
	est->state = NULL;
	est->n_features = X->cols;
	return est->type->fit(est, X, y, rng, err);
}

int
aml_estimator_outputs(const AmlEstimator *est)
{
	return est->task == AML_TASK_CLASSIFICATION ? est->n_classes : 1;
}

AmlStatus
aml_estimator_predict(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out,
					  AmlError *err)
{
	int			k = aml_estimator_outputs(est);
	double	   *row;
	double	   *scores;

	if (X->cols != est->n_features)
		return aml_error(err, AML_ERR_INVALID_DATA, "%s was fitted on %d features, got %d",
						 est->type->name, est->n_features, X->cols);
	if (out->rows != X->rows || out->cols != k)
		return aml_error(err, AML_ERR_INTERNAL, "prediction output has the wrong shape");
	if (est->type->predict_batch != NULL)
		return est->type->predict_batch(est, X, out, err);
	row = AML_NEW_ARRAY(double, X->cols + k);
	if (row == NULL)
		return aml_error_nomem(err, "a prediction buffer");
	scores = row + X->cols;
	for (int i = 0; i < X->rows; i++)
	{
		aml_matrix_get_row(X, i, row);
		est->type->predict_row(est, row, scores);
		for (int c = 0; c < k; c++)
			AML_AT(out, i, c) = scores[c];
	}
	aml_free(row);
	return AML_OK;
}

json_object *
aml_estimator_to_json(const AmlEstimator *est)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(est->type->name));
	json_object_object_add(o, "task", json_object_new_string(aml_task_name(est->task)));
	json_object_object_add(o, "n_features", json_object_new_int(est->n_features));
	json_object_object_add(o, "n_classes", json_object_new_int(est->n_classes));
	json_object_object_add(o, "params", aml_params_to_json(&est->type->params, est->params));
	json_object_object_add(o, "state", est->state ? est->type->state_to_json(est) : NULL);
	return o;
}

AmlStatus
aml_estimator_from_json(json_object *obj, AmlEstimator **out, AmlError *err)
{
	const char *name;
	const char *task_name;
	const AmlEstimatorType *type;
	AmlTask		task;
	int			n_features;
	int			n_classes;
	json_object *params;
	json_object *state;
	AmlEstimator *est;

	*out = NULL;
	AML_TRY(aml_json_get_string(obj, "type", &name, "estimator", err));
	type = aml_estimator_type_find(name);
	if (type == NULL)
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown estimator type \"%s\"", name);
	AML_TRY(aml_json_get_string(obj, "task", &task_name, "estimator", err));
	if (!aml_task_parse(task_name, &task))
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown task \"%s\"", task_name);
	AML_TRY(aml_json_get_int(obj, "n_features", &n_features, "estimator", err));
	AML_TRY(aml_json_get_int(obj, "n_classes", &n_classes, "estimator", err));
	AML_TRY(aml_json_get(obj, "params", json_type_object, &params, "estimator", err));
	if (aml_estimator_create(type, task, n_classes, params, &est, err) != AML_OK)
	{
		if (err->status != AML_ERR_OUT_OF_MEMORY)
			err->status = AML_ERR_BAD_FORMAT;
		return err->status;
	}
	est->n_features = n_features;
	if (json_object_object_get_ex(obj, "state", &state) && state != NULL)
	{
		if (type->state_from_json(est, state, err) != AML_OK)
		{
			aml_estimator_free(est);
			if (err->status != AML_ERR_OUT_OF_MEMORY)
				err->status = AML_ERR_BAD_FORMAT;
			return err->status;
		}
	}
	*out = est;
	return AML_OK;
}
