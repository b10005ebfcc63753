/*
 * model.c — a pipeline or a weighted ensemble of pipelines (see model.h).
 */
#include "ml/model.h"
#include "ml/calibration.h"
#include "core/json.h"
#include "core/memory.h"

#include <stdio.h>
#include <string.h>

void
aml_model_free(AmlModel *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->n_members; i++)
		aml_pipeline_free(m->members[i]);
	aml_free(m->members);
	aml_free(m->weights);
	aml_calibrator_free(m->calibration);
	aml_free(m);
}

static AmlStatus
finish(AmlModel *m, AmlError *err)
{
	const AmlPipeline *first = m->members[0];

	m->schema = &first->schema;
	m->outputs = aml_pipeline_outputs(first);
	m->probabilistic = first->estimator->type->probabilistic;
	for (int i = 1; i < m->n_members; i++)
	{
		const AmlPipeline *p = m->members[i];

		if (p->schema.task != first->schema.task || aml_pipeline_outputs(p) != m->outputs ||
			p->schema.n_inputs != first->schema.n_inputs)
			return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members do not fit together");
		for (int j = 0; j < p->schema.n_inputs; j++)
			if (strcmp(p->schema.inputs[j].name, first->schema.inputs[j].name) != 0 ||
				p->schema.inputs[j].kind != first->schema.inputs[j].kind)
				return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members have different inputs");
		if (first->schema.task == AML_TASK_CLASSIFICATION && !p->estimator->type->probabilistic)
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "an ensemble of classifiers needs probabilistic members");
	}
	return AML_OK;
}

AmlStatus
aml_model_single(AmlPipeline *p, AmlModel **out, AmlError *err)
{
	return aml_model_ensemble(&p, NULL, 1, out, err);
}

AmlStatus
aml_model_ensemble(AmlPipeline **members, const double *weights, int n, AmlModel **out,
				   AmlError *err)
{
	AmlModel   *m;
	double		total = 0;

	*out = NULL;
	if (n < 1)
		return aml_error(err, AML_ERR_INTERNAL, "an ensemble needs members");
	m = AML_NEW(AmlModel);
	if (m == NULL)
		return aml_error_nomem(err, "a model");
	m->members = AML_NEW_ARRAY(AmlPipeline *, n);
	m->weights = AML_NEW_ARRAY(double, n);
	if (m->members == NULL || m->weights == NULL)
	{
		aml_free(m->members);
		aml_free(m->weights);
		aml_free(m);
		return aml_error_nomem(err, "a model");
	}
	m->n_members = n;
	for (int i = 0; i < n; i++)
	{
		m->members[i] = members[i];
		m->weights[i] = weights ? weights[i] : 1.0;
		if (!(m->weights[i] > 0))
		{
			aml_model_free(m);
			return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble weights must be positive");
		}
		total += m->weights[i];
	}
	for (int i = 0; i < n; i++)
		m->weights[i] /= total;
	if (finish(m, err) != AML_OK)
	{
		/* the caller keeps ownership on failure */
		for (int i = 0; i < n; i++)
			m->members[i] = NULL;
		m->n_members = 0;
		aml_model_free(m);
		return err->status;
	}
	*out = m;
	return AML_OK;
}

int
aml_model_scratch_size(const AmlModel *m)
{
	int			size = 0;

	for (int i = 0; i < m->n_members; i++)
	{
		int			s = aml_pipeline_scratch_size(m->members[i]);

		if (s > size)
			size = s;
	}
	/* plus one member's outputs when averaging */
	return size + (m->n_members > 1 ? m->outputs : 0);
}

void
aml_model_predict_row(const AmlModel *m, const double *raw, double *out, double *scratch)
{
	double	   *member_out;

	if (m->n_members == 1)
	{
		aml_pipeline_predict_row(m->members[0], raw, out, scratch);
		if (m->calibration != NULL)
			aml_calibrator_apply_row(m->calibration, out, out);
		return;
	}
	member_out = scratch;
	scratch += m->outputs;
	for (int c = 0; c < m->outputs; c++)
		out[c] = 0;
	for (int i = 0; i < m->n_members; i++)
	{
		aml_pipeline_predict_row(m->members[i], raw, member_out, scratch);
		for (int c = 0; c < m->outputs; c++)
			out[c] += m->weights[i] * member_out[c];
	}
	if (m->calibration != NULL)
		aml_calibrator_apply_row(m->calibration, out, out);
}

AmlStatus
aml_model_predict(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, AmlError *err)
{
	AmlMatrix  *tmp;
	size_t		n = (size_t) out->rows * (size_t) out->cols;

	if (m->n_members == 1)
	{
		AML_TRY(aml_pipeline_predict(m->members[0], raw, out, err));
		return m->calibration ? aml_calibrator_apply(m->calibration, out, out, err) : AML_OK;
	}
	AML_TRY(aml_matrix_create(out->rows, out->cols, &tmp, err));
	memset(out->data, 0, n * sizeof(double));
	for (int i = 0; i < m->n_members; i++)
	{
		if (aml_pipeline_predict(m->members[i], raw, tmp, err) != AML_OK)
		{
			aml_matrix_free(tmp);
			return err->status;
		}
		for (size_t k = 0; k < n; k++)
			out->data[k] += m->weights[i] * tmp->data[k];
	}
	aml_matrix_free(tmp);
	return m->calibration ? aml_calibrator_apply(m->calibration, out, out, err) : AML_OK;
}

int
aml_model_decide(const AmlModel *m, const double *outputs)
{
	if (m->calibration != NULL && m->outputs == 2)
		return outputs[1] > m->calibration->threshold ? 1 : 0;
	return aml_argmax(outputs, m->outputs);
}

/* The calibrator of a stored model, if any (after the model is built). */
static AmlStatus
read_calibration(json_object *obj, AmlModel *m, AmlError *err)
{
	json_object *c;

	if (!json_object_object_get_ex(obj, "calibration", &c) || c == NULL)
		return AML_OK;
	if (m->schema->task != AML_TASK_CLASSIFICATION || !m->probabilistic)
		return aml_error(err, AML_ERR_BAD_FORMAT, "only probabilistic classifiers are calibrated");
	return aml_calibrator_from_json(c, m->outputs, &m->calibration, err);
}

json_object *
aml_model_to_json(const AmlModel *m)
{
	json_object *o;
	json_object *members;

	if (m->n_members == 1)
	{
		o = aml_pipeline_to_json(m->members[0]);
		if (m->calibration != NULL)
			json_object_object_add(o, "calibration", aml_calibrator_to_json(m->calibration));
		return o;
	}
	o = json_object_new_object();
	members = json_object_new_array_ext(m->n_members);
	json_object_object_add(o, "format", json_object_new_string("automl-ensemble"));
	json_object_object_add(o, "version", json_object_new_int(1));
	for (int i = 0; i < m->n_members; i++)
	{
		json_object *e = json_object_new_object();

		json_object_object_add(e, "weight", aml_json_new_double(m->weights[i]));
		json_object_object_add(e, "pipeline", aml_pipeline_to_json(m->members[i]));
		json_object_array_add(members, e);
	}
	json_object_object_add(o, "members", members);
	if (m->calibration != NULL)
		json_object_object_add(o, "calibration", aml_calibrator_to_json(m->calibration));
	return o;
}

AmlStatus
aml_model_from_json(json_object *obj, AmlModel **out, AmlError *err)
{
	const char *format;
	json_object *members;
	AmlPipeline **pipelines;
	double	   *weights;
	int			n;
	AmlStatus	st = AML_OK;

	*out = NULL;
	AML_TRY(aml_json_get_string(obj, "format", &format, "model", err));
	if (strcmp(format, "automl-pipeline") == 0)
	{
		AmlPipeline *p;

		AML_TRY(aml_pipeline_from_json(obj, &p, err));
		if (aml_model_single(p, out, err) != AML_OK)
		{
			aml_pipeline_free(p);
			return err->status;
		}
		if (read_calibration(obj, *out, err) != AML_OK)
		{
			aml_model_free(*out);
			*out = NULL;
			return err->status;
		}
		return AML_OK;
	}
	if (strcmp(format, "automl-ensemble") != 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown model format \"%s\"", format);
	AML_TRY(aml_json_get(obj, "members", json_type_array, &members, "ensemble", err));
	n = (int) json_object_array_length(members);
	if (n < 1 || n > 10000)
		return aml_error(err, AML_ERR_BAD_FORMAT, "an ensemble needs between 1 and 10000 members");
	pipelines = AML_NEW_ARRAY(AmlPipeline *, n);
	weights = AML_NEW_ARRAY(double, n);
	if (pipelines == NULL || weights == NULL)
	{
		aml_free(pipelines);
		aml_free(weights);
		return aml_error_nomem(err, "an ensemble");
	}
	for (int i = 0; i < n && st == AML_OK; i++)
	{
		json_object *e = json_object_array_get_idx(members, i);
		json_object *pj;

		st = aml_json_get_double(e, "weight", &weights[i], "ensemble member", err);
		if (st == AML_OK)
			st = aml_json_get(e, "pipeline", json_type_object, &pj, "ensemble member", err);
		if (st == AML_OK)
			st = aml_pipeline_from_json(pj, &pipelines[i], err);
	}
	if (st == AML_OK)
		st = aml_model_ensemble(pipelines, weights, n, out, err);
	if (st != AML_OK)
		for (int i = 0; i < n; i++)
			aml_pipeline_free(pipelines[i]);
	else if (read_calibration(obj, *out, err) != AML_OK)
	{
		aml_model_free(*out);
		*out = NULL;
		st = err->status;
	}
	aml_free(pipelines);
	aml_free(weights);
	return st;
}

void
aml_model_describe(const AmlModel *m, char *buf, size_t buflen)
{
	size_t		used;

	if (m->n_members == 1)
	{
		aml_pipeline_describe(m->members[0], buf, buflen);
		return;
	}
	used = (size_t) snprintf(buf, buflen, "ensemble of %d pipelines:", m->n_members);
	for (int i = 0; i < m->n_members && used < buflen; i++)
	{
		char		member[1024];

		aml_pipeline_describe(m->members[i], member, sizeof(member));
		used += (size_t) snprintf(buf + used, buflen - used, "%s %.2f × [%s]", i ? ";" : "",
								  m->weights[i], member);
	}
}

const char *
aml_model_algorithm(const AmlModel *m)
{
	return m->n_members == 1 ? m->members[0]->estimator->type->name : "ensemble";
}
