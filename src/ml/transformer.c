/*
 * transformer.c — what all transformers share (see transformer.h).
 */
#include "ml/transformer.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

AmlStatus
aml_transformer_create(const AmlTransformerType *type, AmlTask task, int n_classes,
					   json_object *params, AmlTransformer **out, AmlError *err)
{
	AmlTransformer *t;

	*out = NULL;
	t = AML_NEW(AmlTransformer);
	if (t == NULL)
		return aml_error_nomem(err, "a transformer");
	t->type = type;
	t->task = task;
	t->n_classes = task == AML_TASK_CLASSIFICATION ? n_classes : 0;
	t->params = aml_params_new(&type->params);
	if (t->params == NULL)
	{
		aml_free(t);
		return aml_error_nomem(err, "hyperparameters");
	}
	if (aml_params_from_json(&type->params, t->params, params, type->name, err) != AML_OK)
	{
		aml_transformer_free(t);
		return err->status;
	}
	*out = t;
	return AML_OK;
}

void
aml_transformer_free(AmlTransformer *t)
{
	if (t == NULL)
		return;
	if (t->state != NULL && t->type->free_state != NULL)
		t->type->free_state(t);
	aml_free(t->params);
	aml_free(t);
}

AmlStatus
aml_transformer_fit(AmlTransformer *t, const AmlMatrix *X, const double *y,
					AmlRng *rng, AmlError *err)
{
	if (X->rows < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "no rows to fit %s on", t->type->name);
	if (!t->type->accepts_missing && aml_matrix_has_nan(X))
		return aml_error(err, AML_ERR_INVALID_DATA, "%s cannot use missing values",
						 t->type->name);
	if (t->type->supervised && y == NULL)
		return aml_error(err, AML_ERR_INTERNAL, "%s needs a target", t->type->name);
	if (t->state != NULL && t->type->free_state != NULL)
		t->type->free_state(t);
	t->state = NULL;
	t->n_in = X->cols;
	t->n_out = 0;
	return t->type->fit(t, X, y, rng, err);
}

AmlStatus
aml_transformer_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out,
						  AmlError *err)
{
	AmlMatrix  *result;
	double	   *in;
	double	   *o;

	*out = NULL;
	if (X->cols != t->n_in)
		return aml_error(err, AML_ERR_INVALID_DATA, "%s was fitted on %d columns, got %d",
						 t->type->name, t->n_in, X->cols);
	if (t->type->transform != NULL)
		return t->type->transform(t, X, out, err);
	AML_TRY(aml_matrix_create(X->rows, t->n_out, &result, err));
	in = AML_NEW_ARRAY(double, (size_t) t->n_in + (size_t) t->n_out);
	if (in == NULL)
	{
		aml_matrix_free(result);
		return aml_error_nomem(err, "a transform buffer");
	}
	o = in + t->n_in;
	for (int i = 0; i < X->rows; i++)
	{
		aml_matrix_get_row(X, i, in);
		t->type->transform_row(t, in, o);
		for (int j = 0; j < t->n_out; j++)
			AML_AT(result, i, j) = o[j];
	}
	aml_free(in);
	*out = result;
	return AML_OK;
}

AmlStatus
aml_transformer_fit_transform(AmlTransformer *t, const AmlMatrix *X, const double *y,
							  AmlRng *rng, AmlMatrix **out, AmlError *err)
{
	AML_TRY(aml_transformer_fit(t, X, y, rng, err));
	return aml_transformer_transform(t, X, out, err);
}

json_object *
aml_transformer_to_json(const AmlTransformer *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(t->type->name));
	json_object_object_add(o, "task", json_object_new_string(aml_task_name(t->task)));
	json_object_object_add(o, "n_classes", json_object_new_int(t->n_classes));
	json_object_object_add(o, "n_in", json_object_new_int(t->n_in));
	json_object_object_add(o, "n_out", json_object_new_int(t->n_out));
	json_object_object_add(o, "params", aml_params_to_json(&t->type->params, t->params));
	json_object_object_add(o, "state", t->state ? t->type->state_to_json(t) : NULL);
	return o;
}

AmlStatus
aml_transformer_from_json(json_object *obj, AmlTransformer **out, AmlError *err)
{
	const char *name;
	const char *task_name;
	const AmlTransformerType *type;
	AmlTask		task;
	int			n_classes;
	json_object *params;
	json_object *state;
	AmlTransformer *t;

	*out = NULL;
	AML_TRY(aml_json_get_string(obj, "type", &name, "transformer", err));
	type = aml_transformer_type_find(name);
	if (type == NULL)
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown transformer type \"%s\"", name);
	AML_TRY(aml_json_get_string(obj, "task", &task_name, "transformer", err));
	if (!aml_task_parse(task_name, &task))
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown task \"%s\"", task_name);
	AML_TRY(aml_json_get_int(obj, "n_classes", &n_classes, "transformer", err));
	AML_TRY(aml_json_get(obj, "params", json_type_object, &params, "transformer", err));
	if (aml_transformer_create(type, task, n_classes, params, &t, err) != AML_OK)
	{
		err->status = AML_ERR_BAD_FORMAT;
		return err->status;
	}
	if (aml_json_get_int(obj, "n_in", &t->n_in, "transformer", err) != AML_OK ||
		aml_json_get_int(obj, "n_out", &t->n_out, "transformer", err) != AML_OK)
	{
		aml_transformer_free(t);
		return err->status;
	}
	if (json_object_object_get_ex(obj, "state", &state) && state != NULL)
	{
		if (type->state_from_json(t, state, err) != AML_OK)
		{
			aml_transformer_free(t);
			if (err->status != AML_ERR_OUT_OF_MEMORY)
				err->status = AML_ERR_BAD_FORMAT;
			return err->status;
		}
	}
	*out = t;
	return AML_OK;
}

bool
aml_transformer_always_affine(const AmlTransformer *t)
{
	(void) t;
	return true;
}
