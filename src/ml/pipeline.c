/*
 * pipeline.c — encoder + transformers + estimator (see pipeline.h).
 */
#include "ml/pipeline.h"
#include "ml/explain.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STEP_STREAM(k) (1000 + (uint64_t) (k))
#define ESTIMATOR_STREAM 1

static void
list_estimators(char *buf, size_t buflen, AmlTask task)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; i < aml_estimator_type_count() && used < buflen; i++)
	{
		const AmlEstimatorType *t = aml_estimator_type_at(i);

		if (t != NULL && (task == 0 || (t->tasks & (unsigned) task)))
			used += (size_t) snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", t->name);
	}
}

static void
list_transformers(char *buf, size_t buflen)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; i < aml_transformer_type_count() && used < buflen; i++)
	{
		const AmlTransformerType *t = aml_transformer_type_at(i);

		if (t != NULL)
			used += (size_t) snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "", t->name);
	}
}

static json_object *
field(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj != NULL && json_object_is_type(obj, json_type_object))
		json_object_object_get_ex(obj, key, &v);
	return v;
}

static AmlStatus
type_name_of(json_object *item, const char *what, const char **name, AmlError *err)
{
	json_object *t = field(item, "type");

	if (item == NULL || !json_object_is_type(item, json_type_object))
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "%s must be a JSON object", what);
	if (t == NULL || !json_object_is_type(t, json_type_string))
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "%s has no \"type\"", what);
	*name = json_object_get_string(t);
	return AML_OK;
}

void
aml_pipeline_free(AmlPipeline *p)
{
	if (p == NULL)
		return;
	aml_free(p->fold_W);
	aml_free(p->fold_b);
	aml_explain_info_free(p->explain);
	aml_schema_free(&p->schema);
	aml_encoder_free(p->encoder);
	for (int k = 0; k < p->n_steps; k++)
		aml_transformer_free(p->steps[k]);
	aml_free(p->steps);
	aml_estimator_free(p->estimator);
	aml_free(p);
}

static int
n_classes_of(const AmlSchema *schema)
{
	return schema->task == AML_TASK_CLASSIFICATION && schema->classes ? schema->classes->count : 0;
}

AmlStatus
aml_pipeline_create(const AmlSchema *schema, json_object *spec, AmlPipeline **out, AmlError *err)
{
	AmlPipeline *p;
	json_object *steps;
	json_object *est;
	const char *name;
	int			n_classes = n_classes_of(schema);

	*out = NULL;
	if (spec == NULL || !json_object_is_type(spec, json_type_object))
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "a pipeline specification must be a JSON object");
	p = AML_NEW(AmlPipeline);
	if (p == NULL)
		return aml_error_nomem(err, "a pipeline");
	if (aml_schema_copy(schema, &p->schema, err) != AML_OK)
	{
		aml_free(p);
		return err->status;
	}
	if (aml_encoder_create(field(field(spec, "encoder"), "params") ? field(field(spec, "encoder"), "params")
						   : field(spec, "encoder"), &p->encoder, err) != AML_OK)
		goto fail;
	steps = field(spec, "steps");
	if (steps != NULL && !json_object_is_type(steps, json_type_array))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "\"steps\" of a pipeline must be an array");
		goto fail;
	}
	p->n_steps = steps ? (int) json_object_array_length(steps) : 0;
	p->steps = AML_NEW_ARRAY(AmlTransformer *, p->n_steps > 0 ? p->n_steps : 1);
	if (p->steps == NULL)
	{
		aml_error_nomem(err, "a pipeline");
		goto fail;
	}
	for (int k = 0; k < p->n_steps; k++)
	{
		json_object *item = json_object_array_get_idx(steps, k);
		const AmlTransformerType *type;

		if (type_name_of(item, "a pipeline step", &name, err) != AML_OK)
			goto fail;
		type = aml_transformer_type_find(name);
		if (type == NULL)
		{
			char		names[1024];

			list_transformers(names, sizeof(names));
			aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown preprocessing step \"%s\"", name);
			aml_error_detail(err, "Valid steps are: %s.", names);
			goto fail;
		}
		if (aml_transformer_create(type, schema->task, n_classes, field(item, "params"),
								   &p->steps[k], err) != AML_OK)
			goto fail;
	}
	est = field(spec, "estimator");
	if (type_name_of(est, "the estimator of a pipeline", &name, err) != AML_OK)
		goto fail;
	{
		const AmlEstimatorType *type = aml_estimator_type_find(name);

		if (type == NULL)
		{
			char		names[1024];

			list_estimators(names, sizeof(names), schema->task);
			aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown algorithm \"%s\"", name);
			aml_error_detail(err, "Algorithms for %s are: %s.", aml_task_name(schema->task), names);
			goto fail;
		}
		if ((type->tasks & (unsigned) schema->task) == 0)
		{
			char		names[1024];

			list_estimators(names, sizeof(names), schema->task);
			aml_error(err, AML_ERR_INVALID_PARAMETER, "algorithm \"%s\" does not do %s", name,
					  aml_task_name(schema->task));
			aml_error_detail(err, "Algorithms for %s are: %s.", aml_task_name(schema->task), names);
			goto fail;
		}
		if (aml_estimator_create(type, schema->task, n_classes, field(est, "params"),
								 &p->estimator, err) != AML_OK)
			goto fail;
	}
	*out = p;
	return AML_OK;
fail:
	aml_pipeline_free(p);
	return err->status;
}

/* The full row path, without the fold. */
static void
predict_row_steps(const AmlPipeline *p, const double *raw, double *out, double *scratch)
{
	double	   *a = scratch;
	double	   *b = scratch + p->max_width;

	aml_encoder_transform_row(p->encoder, raw, a);
	for (int k = 0; k < p->n_steps; k++)
	{
		double	   *t;

		p->steps[k]->type->transform_row(p->steps[k], a, b);
		t = a;
		a = b;
		b = t;
	}
	p->estimator->type->predict_row(p->estimator, a, out);
}

/* Outputs of the affine part at x: the outputs themselves, or log-ratios to class 0. */
static bool
affine_outputs(const AmlPipeline *p, const double *x, double *out, double *scratch, int k)
{
	predict_row_steps(p, x, out, scratch);
	if (p->fold_link == AML_FOLD_SOFTMAX)
	{
		double		base = log(out[0]);

		for (int c = 0; c < k; c++)
			out[c] = log(out[c]) - base;
	}
	for (int c = 0; c < k; c++)
		if (!isfinite(out[c]))
			return false;
	return true;
}

static void
folded_outputs(const AmlPipeline *p, const double *x, double *out)
{
	int			n = p->schema.n_inputs;
	int			k = aml_pipeline_outputs(p);

	for (int c = 0; c < k; c++)
	{
		const double *w = p->fold_W + (size_t) c * n;
		double		s = p->fold_b[c];

		for (int j = 0; j < n; j++)
			s += w[j] * x[j];
		out[c] = s;
	}
	if (p->fold_link == AML_FOLD_SOFTMAX)
	{
		double		max = out[0];
		double		sum = 0;

		for (int c = 1; c < k; c++)
			if (out[c] > max)
				max = out[c];
		for (int c = 0; c < k; c++)
			sum += (out[c] = exp(out[c] - max));
		for (int c = 0; c < k; c++)
			out[c] /= sum;
	}
}

/*
 * Fold an affine pipeline into W x + b by probing its row path at 0 and at
 * each unit vector, then check the fold on other points; leave the pipeline
 * unfolded when anything does not hold.
 */
static void
pipeline_fold(AmlPipeline *p)
{
	int			n = p->schema.n_inputs;
	int			k;
	double	   *scratch = NULL;
	double	   *x = NULL;
	double	   *base = NULL;
	double	   *probe = NULL;
	double	   *check = NULL;
	bool		ok = true;

	p->folded = false;
	aml_free(p->fold_W);
	aml_free(p->fold_b);
	p->fold_W = p->fold_b = NULL;
	if (!p->fitted || p->estimator->type->fold_link == AML_FOLD_NONE || n == 0)
		return;
	for (int j = 0; j < n; j++)
		if (p->schema.inputs[j].kind == AML_KIND_CATEGORICAL)
			return;
	for (int s = 0; s < p->n_steps; s++)
		if (p->steps[s]->type->affine == NULL || !p->steps[s]->type->affine(p->steps[s]))
			return;
	p->fold_link = p->estimator->type->fold_link;
	k = aml_pipeline_outputs(p);
	scratch = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(p));
	x = AML_NEW_ARRAY(double, n);
	base = AML_NEW_ARRAY(double, k);
	probe = AML_NEW_ARRAY(double, k);
	check = AML_NEW_ARRAY(double, k);
	p->fold_W = AML_NEW_ARRAY(double, (size_t) k * n);
	p->fold_b = AML_NEW_ARRAY(double, k);
	if (!scratch || !x || !base || !probe || !check || !p->fold_W || !p->fold_b)
		ok = false;
	ok = ok && affine_outputs(p, x, base, scratch, k);
	for (int j = 0; j < n && ok; j++)
	{
		x[j] = 1.0;
		ok = affine_outputs(p, x, probe, scratch, k);
		x[j] = 0.0;
		for (int c = 0; c < k && ok; c++)
			p->fold_W[(size_t) c * n + j] = probe[c] - base[c];
	}
	if (ok)
	{
		for (int c = 0; c < k; c++)
			p->fold_b[c] = base[c];
		/* the fold must agree with the steps elsewhere too */
		for (int trial = 0; trial < 3 && ok; trial++)
		{
			for (int j = 0; j < n; j++)
				x[j] = trial == 0 ? 0.5 : trial == 1 ? (j % 2 ? -1.5 : 2.5) : 3.0 * (j + 1) / n;
			predict_row_steps(p, x, probe, scratch);
			folded_outputs(p, x, check);
			for (int c = 0; c < k && ok; c++)
				ok = fabs(check[c] - probe[c]) <= 1e-9 * fmax(1.0, fabs(probe[c]));
		}
	}
	aml_free(scratch);
	aml_free(x);
	aml_free(base);
	aml_free(probe);
	aml_free(check);
	if (ok)
		p->folded = true;
	else
	{
		aml_free(p->fold_W);
		aml_free(p->fold_b);
		p->fold_W = p->fold_b = NULL;
	}
}

static void
track_width(AmlPipeline *p, int width)
{
	if (width > p->max_width)
		p->max_width = width;
}

AmlStatus
aml_pipeline_fit(AmlPipeline *p, const AmlMatrix *raw, const double *y, AmlRng *rng, AmlError *err)
{
	AmlMatrix  *x;
	AmlRng		child;

	p->fitted = false;
	p->max_width = 1;
	track_width(p, raw->cols);
	AML_TRY(aml_encoder_fit(p->encoder, &p->schema, raw, err));
	AML_TRY(aml_encoder_transform(p->encoder, raw, &x, err));
	track_width(p, x->cols);
	for (int k = 0; k < p->n_steps; k++)
	{
		AmlMatrix  *next;
		AmlStatus	st;

		if (aml_interrupted())
		{
			aml_matrix_free(x);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		aml_rng_derive(rng, STEP_STREAM(k), &child);
		st = aml_transformer_fit_transform(p->steps[k], x, y, &child, &next, err);
		aml_matrix_free(x);
		if (st != AML_OK)
			return st;
		x = next;
		track_width(p, x->cols);
		if (x->cols == 0)
		{
			aml_matrix_free(x);
			return aml_error(err, AML_ERR_INVALID_DATA, "no feature is left after %s",
							 p->steps[k]->type->label);
		}
	}
	aml_rng_derive(rng, ESTIMATOR_STREAM, &child);
	{
		AmlStatus	st = aml_estimator_fit(p->estimator, x, y, &child, err);

		/* what explanations need from the training data (explain.h) */
		aml_explain_info_free(p->explain);
		p->explain = NULL;
		if (st == AML_OK && !p->skip_explain_info)
			st = aml_explain_info_fit(p, raw, x, &p->explain, err);
		aml_matrix_free(x);
		if (st != AML_OK)
			return st;
	}
	track_width(p, aml_estimator_outputs(p->estimator));
	p->fitted = true;
	pipeline_fold(p);
	return AML_OK;
}

int
aml_pipeline_outputs(const AmlPipeline *p)
{
	return aml_estimator_outputs(p->estimator);
}

AmlStatus
aml_pipeline_transform(const AmlPipeline *p, const AmlMatrix *raw, AmlMatrix **out, AmlError *err)
{
	AmlMatrix  *x;

	*out = NULL;
	if (!p->fitted)
		return aml_error(err, AML_ERR_INTERNAL, "pipeline is not fitted");
	if (raw->cols != p->schema.n_inputs)
		return aml_error(err, AML_ERR_INVALID_DATA, "the pipeline needs %d input columns, got %d",
						 p->schema.n_inputs, raw->cols);
	AML_TRY(aml_encoder_transform(p->encoder, raw, &x, err));
	for (int k = 0; k < p->n_steps; k++)
	{
		AmlMatrix  *next;
		AmlStatus	st = aml_transformer_transform(p->steps[k], x, &next, err);

		aml_matrix_free(x);
		if (st != AML_OK)
			return st;
		x = next;
	}
	*out = x;
	return AML_OK;
}

/*
 * Predictions of many rows go through the pipeline in blocks of
 * PREDICT_BLOCK_ROWS: every step's output is a fresh matrix, and for wide
 * encodings of many rows (one-hot of 1 000 columns over a 25 000-row
 * holdout: 200 MB a step) allocating and faulting in those matrices cost as
 * much as the arithmetic; a block's matrices stay small enough to be reused.
 * Every step predicts row by row, so the blocks change nothing but memory
 * (and the last bits of BLAS sums: test_pipeline.c requires 1e-12).
 */
#define PREDICT_BLOCK_ROWS 2048

static AmlStatus
predict_block(const AmlPipeline *p, const AmlMatrix *raw, AmlMatrix *out, AmlError *err)
{
	AmlMatrix  *x;
	AmlStatus	st;

	AML_TRY(aml_pipeline_transform(p, raw, &x, err));
	st = aml_estimator_predict(p->estimator, x, out, err);
	aml_matrix_free(x);
	return st;
}

AmlStatus
aml_pipeline_predict(const AmlPipeline *p, const AmlMatrix *raw, AmlMatrix *out, AmlError *err)
{
	AmlMatrix  *in;
	AmlMatrix  *o;
	AmlStatus	st = AML_OK;

	if (raw->rows <= 2 * PREDICT_BLOCK_ROWS)
		return predict_block(p, raw, out, err);
	AML_TRY(aml_matrix_create(PREDICT_BLOCK_ROWS, raw->cols, &in, err));
	st = aml_matrix_create(PREDICT_BLOCK_ROWS, out->cols, &o, err);
	if (st != AML_OK)
	{
		aml_matrix_free(in);
		return st;
	}
	for (int r0 = 0; r0 < raw->rows && st == AML_OK; r0 += PREDICT_BLOCK_ROWS)
	{
		int			b = raw->rows - r0 < PREDICT_BLOCK_ROWS ? raw->rows - r0 : PREDICT_BLOCK_ROWS;

		/* column-major: a block of b rows uses the first b x cols values */
		in->rows = o->rows = b;
		for (int j = 0; j < raw->cols; j++)
			memcpy(AML_COL(in, j), AML_COL(raw, j) + r0, sizeof(double) * (size_t) b);
		st = predict_block(p, in, o, err);
		if (st == AML_OK)
			for (int j = 0; j < out->cols; j++)
				memcpy(AML_COL(out, j) + r0, AML_COL(o, j), sizeof(double) * (size_t) b);
	}
	aml_matrix_free(in);
	aml_matrix_free(o);
	return st;
}

int
aml_pipeline_scratch_size(const AmlPipeline *p)
{
	return 2 * (p->max_width > 0 ? p->max_width : 1);
}

void
aml_pipeline_predict_row(const AmlPipeline *p, const double *raw, double *out, double *scratch)
{
	if (p->folded)
	{
		bool		finite = true;

		for (int j = 0; j < p->schema.n_inputs && finite; j++)
			finite = isfinite(raw[j]);
		if (finite)
		{
			folded_outputs(p, raw, out);
			return;
		}
	}
	predict_row_steps(p, raw, out, scratch);
}

json_object *
aml_pipeline_to_json(const AmlPipeline *p)
{
	json_object *o = json_object_new_object();
	json_object *steps = json_object_new_array_ext(p->n_steps);

	json_object_object_add(o, "format", json_object_new_string("automl-pipeline"));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "schema", aml_schema_to_json(&p->schema));
	json_object_object_add(o, "encoder", aml_encoder_to_json(p->encoder));
	for (int k = 0; k < p->n_steps; k++)
		json_object_array_add(steps, aml_transformer_to_json(p->steps[k]));
	json_object_object_add(o, "steps", steps);
	json_object_object_add(o, "estimator", aml_estimator_to_json(p->estimator));
	if (p->explain != NULL)
		json_object_object_add(o, "explain", aml_explain_info_to_json(p->explain));
	return o;
}

AmlStatus
aml_pipeline_from_json(json_object *obj, AmlPipeline **out, AmlError *err)
{
	AmlPipeline *p;
	json_object *v;
	json_object *steps;
	const char *format;
	int			width;

	*out = NULL;
	AML_TRY(aml_json_get_string(obj, "format", &format, "pipeline", err));
	if (strcmp(format, "automl-pipeline") != 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "not an automl pipeline (format \"%s\")", format);
	p = AML_NEW(AmlPipeline);
	if (p == NULL)
		return aml_error_nomem(err, "a pipeline");
	if (aml_json_get(obj, "schema", json_type_object, &v, "pipeline", err) != AML_OK ||
		aml_schema_from_json(v, &p->schema, err) != AML_OK)
		goto fail;
	if (aml_json_get(obj, "encoder", json_type_object, &v, "pipeline", err) != AML_OK ||
		aml_encoder_from_json(v, &p->encoder, err) != AML_OK)
		goto fail;
	if (aml_json_get(obj, "steps", json_type_array, &steps, "pipeline", err) != AML_OK)
		goto fail;
	p->n_steps = (int) json_object_array_length(steps);
	p->steps = AML_NEW_ARRAY(AmlTransformer *, p->n_steps > 0 ? p->n_steps : 1);
	if (p->steps == NULL)
	{
		aml_error_nomem(err, "a pipeline");
		goto fail;
	}
	for (int k = 0; k < p->n_steps; k++)
		if (aml_transformer_from_json(json_object_array_get_idx(steps, k), &p->steps[k], err) != AML_OK)
			goto fail;
	if (aml_json_get(obj, "estimator", json_type_object, &v, "pipeline", err) != AML_OK ||
		aml_estimator_from_json(v, &p->estimator, err) != AML_OK)
		goto fail;
	/* the widths must chain: schema -> encoder -> steps -> estimator */
	if (p->encoder->n_in != p->schema.n_inputs)
		goto inconsistent;
	p->max_width = 1;
	track_width(p, p->schema.n_inputs);
	width = p->encoder->n_out;
	track_width(p, width);
	for (int k = 0; k < p->n_steps; k++)
	{
		if (p->steps[k]->n_in != width || p->steps[k]->n_out < 1 || p->steps[k]->state == NULL)
			goto inconsistent;
		width = p->steps[k]->n_out;
		track_width(p, width);
	}
	if (p->estimator->n_features != width || p->estimator->state == NULL ||
		p->estimator->task != p->schema.task ||
		(p->schema.task == AML_TASK_CLASSIFICATION &&
		 p->estimator->n_classes != n_classes_of(&p->schema)))
		goto inconsistent;
	track_width(p, aml_estimator_outputs(p->estimator));
	/* optional: models stored before explanations existed have none */
	if (json_object_object_get_ex(obj, "explain", &v) && v != NULL)
	{
		if (aml_explain_info_from_json(v, &p->explain, err) != AML_OK)
			goto fail;
		if (p->explain->n_inputs != width || p->explain->n_raw != p->schema.n_inputs)
			goto inconsistent;
	}
	p->fitted = true;
	pipeline_fold(p);
	*out = p;
	return AML_OK;
inconsistent:
	aml_error(err, AML_ERR_BAD_FORMAT, "pipeline steps do not fit together");
fail:
	aml_pipeline_free(p);
	if (err->status != AML_ERR_OUT_OF_MEMORY)
		err->status = AML_ERR_BAD_FORMAT;
	return err->status;
}

json_object *
aml_pipeline_spec(const AmlPipeline *p)
{
	json_object *o = json_object_new_object();
	json_object *steps = json_object_new_array_ext(p->n_steps);
	json_object *est = json_object_new_object();

	json_object_object_add(o, "encoder", aml_params_to_json(&aml_encoder_params, &p->encoder->params));
	for (int k = 0; k < p->n_steps; k++)
	{
		json_object *s = json_object_new_object();

		json_object_object_add(s, "type", json_object_new_string(p->steps[k]->type->name));
		json_object_object_add(s, "params", aml_params_to_json(&p->steps[k]->type->params,
															   p->steps[k]->params));
		json_object_array_add(steps, s);
	}
	json_object_object_add(o, "steps", steps);
	json_object_object_add(est, "type", json_object_new_string(p->estimator->type->name));
	json_object_object_add(est, "params", aml_params_to_json(&p->estimator->type->params,
															 p->estimator->params));
	json_object_object_add(o, "estimator", est);
	return o;
}

static size_t
append(char *buf, size_t buflen, size_t used, const char *label, const AmlParamTable *table,
	   const void *params)
{
	char		described[512];

	if (used >= buflen)
		return used;
	described[0] = '\0';
	if (table != NULL)
		aml_params_describe(table, params, described, sizeof(described));
	used += (size_t) snprintf(buf + used, buflen - used, "%s%s%s%s%s", used ? " → " : "", label,
							  described[0] ? " (" : "", described, described[0] ? ")" : "");
	return used;
}

void
aml_pipeline_describe(const AmlPipeline *p, char *buf, size_t buflen)
{
	size_t		used = 0;
	bool		has_categorical = false;

	buf[0] = '\0';
	for (int j = 0; j < p->schema.n_inputs; j++)
		if (p->schema.inputs[j].kind == AML_KIND_CATEGORICAL)
			has_categorical = true;
	/* the encoder only matters to the reader when there are categories */
	if (has_categorical)
	{
		char		enc[300];

		aml_encoder_describe(p->encoder, enc, sizeof(enc));
		used = append(buf, buflen, used, enc, NULL, NULL);
	}
	for (int k = 0; k < p->n_steps; k++)
		used = append(buf, buflen, used, p->steps[k]->type->label, &p->steps[k]->type->params,
					  p->steps[k]->params);
	append(buf, buflen, used, p->estimator->type->label, &p->estimator->type->params,
		   p->estimator->params);
}

AmlStatus
aml_pipeline_describe_spec(json_object *spec, char *buf, size_t buflen, AmlError *err)
{
	AmlSchema	empty;
	AmlPipeline *p;
	json_object *est = field(spec, "estimator");
	const char *name;
	const AmlEstimatorType *type;

	memset(&empty, 0, sizeof(empty));
	/* build it against an empty schema of the estimator's first task */
	AML_TRY(type_name_of(est, "the estimator of a pipeline", &name, err));
	type = aml_estimator_type_find(name);
	if (type == NULL)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown algorithm \"%s\"", name);
	empty.task = (type->tasks & AML_TASK_CLASSIFICATION) ? AML_TASK_CLASSIFICATION
		: (type->tasks & AML_TASK_REGRESSION) ? AML_TASK_REGRESSION : AML_TASK_CLUSTERING;
	if (empty.task == AML_TASK_CLASSIFICATION)
	{
		int			code;

		empty.classes = aml_dict_new();
		if (empty.classes == NULL ||
			aml_dict_intern(empty.classes, "a", 1, &code, err) != AML_OK ||
			aml_dict_intern(empty.classes, "b", 1, &code, err) != AML_OK)
		{
			aml_dict_free(empty.classes);
			return aml_error_nomem(err, "a pipeline");
		}
	}
	if (aml_pipeline_create(&empty, spec, &p, err) != AML_OK)
	{
		aml_dict_free(empty.classes);
		return err->status;
	}
	aml_dict_free(empty.classes);
	aml_pipeline_describe(p, buf, buflen);
	aml_pipeline_free(p);
	return AML_OK;
}

json_object *
aml_pipeline_default_spec(const AmlEstimatorType *estimator, json_object *params)
{
	json_object *spec = json_object_new_object();
	json_object *encoder = json_object_new_object();
	json_object *steps = json_object_new_array();
	json_object *est = json_object_new_object();

	json_object_object_add(encoder, "categorical",
						   json_object_new_string(estimator->handles_missing ? "ordinal" : "onehot"));
	json_object_object_add(spec, "encoder", encoder);
	if (!estimator->handles_missing)
	{
		json_object *imputer = json_object_new_object();
		json_object *ip = json_object_new_object();

		json_object_object_add(ip, "strategy", json_object_new_string("median"));
		/* clustering: indicator columns would pull rows with NULLs into their own clusters */
		json_object_object_add(ip, "add_indicator",
							   json_object_new_boolean(estimator->tasks != AML_TASK_CLUSTERING));
		json_object_object_add(imputer, "type", json_object_new_string("simple_imputer"));
		json_object_object_add(imputer, "params", ip);
		json_object_array_add(steps, imputer);
	}
	if (estimator->needs_nonnegative || estimator->needs_scaling)
	{
		json_object *scaler = json_object_new_object();

		json_object_object_add(scaler, "type",
							   json_object_new_string(estimator->needs_nonnegative ? "minmax_scaler"
													  : "standard_scaler"));
		json_object_array_add(steps, scaler);
	}
	json_object_object_add(spec, "steps", steps);
	json_object_object_add(est, "type", json_object_new_string(estimator->name));
	if (params != NULL)
	{
		json_object *copy = NULL;

		json_object_deep_copy(params, &copy, NULL);
		json_object_object_add(est, "params", copy);
	}
	json_object_object_add(spec, "estimator", est);
	return spec;
}
