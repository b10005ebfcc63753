/*
 * encoder.c — typed input columns to numbers (see encoder.h), and the schema
 * of a pipeline's inputs.
 */
#include "ml/encoder.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSTHROUGH (-3)
#define INFREQUENT (-1)
#define MISSING (-2)

static const char *const encodings[] = {"onehot", "ordinal", NULL};

static const AmlParamSpec encoder_specs[] = {
	{"categorical", AML_PARAM_CHOICE, offsetof(AmlEncoderParams, categorical), AML_ENCODE_ONEHOT,
	0, 0, false, false, false, encodings, "how categorical columns become numbers: onehot or ordinal"},
	{"min_frequency", AML_PARAM_DOUBLE, offsetof(AmlEncoderParams, min_frequency), 0.0,
	0, 1, false, true, false, NULL, "categories rarer than this fraction of rows share one column"},
	{"max_categories", AML_PARAM_INT, offsetof(AmlEncoderParams, max_categories), 100,
	1, 100000, false, false, false, NULL, "one-hot columns per categorical input at most"},
};

const AmlParamTable aml_encoder_params = {
	encoder_specs, AML_PARAM_COUNT(encoder_specs), sizeof(AmlEncoderParams)
};

/* ------------------------------------------------------------------ schema */

void
aml_schema_free(AmlSchema *schema)
{
	if (schema == NULL)
		return;
	for (int j = 0; j < schema->n_inputs; j++)
	{
		aml_free(schema->inputs[j].name);
		aml_dict_free(schema->inputs[j].dict);
	}
	aml_free(schema->inputs);
	aml_free(schema->target);
	aml_dict_free(schema->classes);
	memset(schema, 0, sizeof(*schema));
}

AmlStatus
aml_schema_copy(const AmlSchema *src, AmlSchema *dst, AmlError *err)
{
	memset(dst, 0, sizeof(*dst));
	dst->task = src->task;
	dst->n_inputs = src->n_inputs;
	dst->inputs = AML_NEW_ARRAY(AmlInputColumn, src->n_inputs > 0 ? src->n_inputs : 1);
	dst->target = src->target ? aml_strdup(src->target) : NULL;
	if (dst->inputs == NULL || (src->target && dst->target == NULL))
		goto nomem;
	for (int j = 0; j < src->n_inputs; j++)
	{
		dst->inputs[j].kind = src->inputs[j].kind;
		dst->inputs[j].name = aml_strdup(src->inputs[j].name);
		if (dst->inputs[j].name == NULL)
			goto nomem;
		if (src->inputs[j].dict != NULL &&
			(dst->inputs[j].dict = aml_dict_copy(src->inputs[j].dict)) == NULL)
			goto nomem;
	}
	if (src->classes != NULL && (dst->classes = aml_dict_copy(src->classes)) == NULL)
		goto nomem;
	return AML_OK;
nomem:
	aml_schema_free(dst);
	return aml_error_nomem(err, "a pipeline schema");
}

json_object *
aml_schema_to_json(const AmlSchema *schema)
{
	json_object *o = json_object_new_object();
	json_object *inputs = json_object_new_array_ext(schema->n_inputs);

	for (int j = 0; j < schema->n_inputs; j++)
	{
		json_object *c = json_object_new_object();

		json_object_object_add(c, "name", json_object_new_string(schema->inputs[j].name));
		json_object_object_add(c, "kind", json_object_new_string(aml_kind_name(schema->inputs[j].kind)));
		if (schema->inputs[j].kind == AML_KIND_CATEGORICAL)
			json_object_object_add(c, "categories", aml_json_new_dict(schema->inputs[j].dict));
		json_object_array_add(inputs, c);
	}
	json_object_object_add(o, "inputs", inputs);
	json_object_object_add(o, "target", schema->target ? json_object_new_string(schema->target) : NULL);
	json_object_object_add(o, "task", json_object_new_string(aml_task_name(schema->task)));
	if (schema->task == AML_TASK_CLASSIFICATION && schema->classes != NULL)
		json_object_object_add(o, "classes", aml_json_new_dict(schema->classes));
	return o;
}

AmlStatus
aml_schema_from_json(json_object *obj, AmlSchema *schema, AmlError *err)
{
	json_object *inputs;
	json_object *v;
	const char *task;
	int			n;

	memset(schema, 0, sizeof(*schema));
	AML_TRY(aml_json_get(obj, "inputs", json_type_array, &inputs, "pipeline schema", err));
	AML_TRY(aml_json_get_string(obj, "task", &task, "pipeline schema", err));
	if (!aml_task_parse(task, &schema->task))
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown task \"%s\"", task);
	n = (int) json_object_array_length(inputs);
	schema->inputs = AML_NEW_ARRAY(AmlInputColumn, n > 0 ? n : 1);
	if (schema->inputs == NULL)
		return aml_error_nomem(err, "a pipeline schema");
	schema->n_inputs = n;
	for (int j = 0; j < n; j++)
	{
		json_object *c = json_object_array_get_idx(inputs, j);
		const char *name;
		const char *kind;

		if (aml_json_get_string(c, "name", &name, "pipeline input", err) != AML_OK ||
			aml_json_get_string(c, "kind", &kind, "pipeline input", err) != AML_OK)
			goto fail;
		if (!aml_kind_parse(kind, &schema->inputs[j].kind))
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "unknown column kind \"%s\"", kind);
			goto fail;
		}
		if ((schema->inputs[j].name = aml_strdup(name)) == NULL)
		{
			aml_error_nomem(err, "a pipeline schema");
			goto fail;
		}
		if (schema->inputs[j].kind == AML_KIND_CATEGORICAL &&
			aml_json_get_dict(c, "categories", &schema->inputs[j].dict, "pipeline input", err) != AML_OK)
			goto fail;
	}
	if (json_object_object_get_ex(obj, "target", &v) && v != NULL &&
		(schema->target = aml_strdup(json_object_get_string(v))) == NULL)
	{
		aml_error_nomem(err, "a pipeline schema");
		goto fail;
	}
	if (schema->task == AML_TASK_CLASSIFICATION &&
		aml_json_get_dict(obj, "classes", &schema->classes, "pipeline schema", err) != AML_OK)
		goto fail;
	return AML_OK;
fail:
	aml_schema_free(schema);
	return err->status;
}

/* ------------------------------------------------------------------ encoder */

AmlStatus
aml_encoder_create(json_object *params, AmlEncoder **out, AmlError *err)
{
	AmlEncoder *enc = AML_NEW(AmlEncoder);

	*out = NULL;
	if (enc == NULL)
		return aml_error_nomem(err, "an encoder");
	aml_params_set_defaults(&aml_encoder_params, &enc->params);
	if (aml_params_from_json(&aml_encoder_params, &enc->params, params, "encoder", err) != AML_OK)
	{
		aml_free(enc);
		return err->status;
	}
	*out = enc;
	return AML_OK;
}

static void
free_fitted(AmlEncoder *enc)
{
	aml_free(enc->out);
	aml_free(enc->first_out);
	aml_free(enc->slot);
	aml_free(enc->category_out);
	aml_free(enc->infrequent_out);
	aml_free(enc->missing_out);
	aml_free(enc->kinds);
	enc->out = NULL;
	enc->first_out = enc->slot = enc->category_out = enc->infrequent_out = enc->missing_out = NULL;
	enc->kinds = NULL;
	enc->n_in = enc->n_out = 0;
}

void
aml_encoder_free(AmlEncoder *enc)
{
	if (enc == NULL)
		return;
	free_fitted(enc);
	aml_free(enc);
}

static bool
is_onehot(const AmlEncoder *enc, int j)
{
	return enc->kinds[j] == AML_KIND_CATEGORICAL && enc->params.categorical == AML_ENCODE_ONEHOT;
}

static AmlStatus
allocate_fitted(AmlEncoder *enc, int n_in, int n_slots, int n_out, AmlError *err)
{
	enc->n_in = n_in;
	enc->n_out = n_out;
	enc->first_out = AML_NEW_ARRAY(int, n_in + 1);
	enc->slot = AML_NEW_ARRAY(int, n_in + 1);
	enc->category_out = AML_NEW_ARRAY(int, n_slots > 0 ? n_slots : 1);
	enc->infrequent_out = AML_NEW_ARRAY(int, n_in > 0 ? n_in : 1);
	enc->missing_out = AML_NEW_ARRAY(int, n_in > 0 ? n_in : 1);
	enc->kinds = AML_NEW_ARRAY(AmlColumnKind, n_in > 0 ? n_in : 1);
	enc->out = AML_NEW_ARRAY(AmlEncodedColumn, n_out > 0 ? n_out : 1);
	if (!enc->first_out || !enc->slot || !enc->category_out || !enc->infrequent_out ||
		!enc->missing_out || !enc->kinds || !enc->out)
	{
		free_fitted(enc);
		return aml_error_nomem(err, "an encoder");
	}
	return AML_OK;
}

typedef struct CategoryCount
{
	int			code;
	long		count;
} CategoryCount;

static int
by_count_desc(const void *a, const void *b)
{
	const CategoryCount *x = a;
	const CategoryCount *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->code > y->code) - (x->code < y->code);
}

AmlStatus
aml_encoder_fit(AmlEncoder *enc, const AmlSchema *schema, const AmlMatrix *raw, AmlError *err)
{
	int			n_in = schema->n_inputs;
	int			n_slots = 0;
	int			n_out = 0;
	long	   *counts;
	CategoryCount *order;
	int			max_cat = 1;
	long		threshold;

	if (raw->cols != n_in)
		return aml_error(err, AML_ERR_INTERNAL, "encoder input has %d columns, schema %d",
						 raw->cols, n_in);
	free_fitted(enc);
	for (int j = 0; j < n_in; j++)
		if (schema->inputs[j].kind == AML_KIND_CATEGORICAL)
		{
			int			c = schema->inputs[j].dict->count;

			n_slots += c;
			if (c > max_cat)
				max_cat = c;
		}
	/* upper bound on outputs: every category + infrequent + missing per input */
	counts = AML_NEW_ARRAY(long, max_cat);
	order = AML_NEW_ARRAY(CategoryCount, max_cat);
	if (counts == NULL || order == NULL)
	{
		aml_free(counts);
		aml_free(order);
		return aml_error_nomem(err, "an encoder");
	}
	for (int j = 0; j < n_in; j++)
		n_out += (schema->inputs[j].kind == AML_KIND_CATEGORICAL &&
				  enc->params.categorical == AML_ENCODE_ONEHOT)
			? (schema->inputs[j].dict->count < enc->params.max_categories
			   ? schema->inputs[j].dict->count : enc->params.max_categories) + 2
			: 1;
	if (allocate_fitted(enc, n_in, n_slots, n_out, err) != AML_OK)
	{
		aml_free(counts);
		aml_free(order);
		return err->status;
	}
	threshold = (long) ceil(enc->params.min_frequency * raw->rows);
	if (threshold < 1)
		threshold = 1;

	n_out = 0;
	n_slots = 0;
	for (int j = 0; j < n_in; j++)
	{
		const double *col = AML_COL(raw, j);

		enc->kinds[j] = schema->inputs[j].kind;
		enc->first_out[j] = n_out;
		enc->slot[j] = n_slots;
		enc->infrequent_out[j] = -1;
		enc->missing_out[j] = -1;
		if (!is_onehot(enc, j))
		{
			enc->out[n_out].input = j;
			enc->out[n_out].category = PASSTHROUGH;
			n_out++;
			continue;
		}
		{
			int			ncat = schema->inputs[j].dict->count;
			bool		has_missing = false;
			bool		has_infrequent = false;
			int			kept = 0;

			memset(counts, 0, sizeof(long) * (size_t) ncat);
			for (int i = 0; i < raw->rows; i++)
			{
				double		v = col[i];

				if (isnan(v))
					has_missing = true;
				else if (v >= 0 && v < ncat)
					counts[(int) v]++;
			}
			for (int c = 0; c < ncat; c++)
			{
				order[c].code = c;
				order[c].count = counts[c];
				enc->category_out[n_slots + c] = -1;
			}
			qsort(order, (size_t) ncat, sizeof(CategoryCount), by_count_desc);
			/* mark the kept categories, then number them in code order */
			for (int r = 0; r < ncat; r++)
			{
				if (order[r].count == 0)
					break;
				if (order[r].count >= threshold && kept < enc->params.max_categories)
				{
					enc->category_out[n_slots + order[r].code] = 0;
					kept++;
				}
				else
					has_infrequent = true;
			}
			for (int c = 0; c < ncat; c++)
				if (enc->category_out[n_slots + c] == 0)
				{
					enc->category_out[n_slots + c] = n_out;
					enc->out[n_out].input = j;
					enc->out[n_out].category = c;
					n_out++;
				}
			if (has_infrequent)
			{
				enc->infrequent_out[j] = n_out;
				enc->out[n_out].input = j;
				enc->out[n_out].category = INFREQUENT;
				n_out++;
			}
			if (has_missing)
			{
				enc->missing_out[j] = n_out;
				enc->out[n_out].input = j;
				enc->out[n_out].category = MISSING;
				n_out++;
			}
			n_slots += ncat;
		}
	}
	enc->first_out[n_in] = n_out;
	enc->slot[n_in] = n_slots;
	enc->n_out = n_out;
	aml_free(counts);
	aml_free(order);
	return AML_OK;
}

void
aml_encoder_transform_row(const AmlEncoder *enc, const double *raw, double *out)
{
	for (int j = 0; j < enc->n_in; j++)
	{
		int			o = enc->first_out[j];
		double		v = raw[j];

		if (enc->kinds[j] != AML_KIND_CATEGORICAL)
			out[o] = v;
		else if (enc->params.categorical == AML_ENCODE_ORDINAL)
			out[o] = (v >= 0) ? v : NAN;	/* unseen (-1) and NaN are missing */
		else
		{
			int			end = enc->first_out[j + 1];
			int			ncat = enc->slot[j + 1] - enc->slot[j];

			for (int k = o; k < end; k++)
				out[k] = 0.0;
			if (isnan(v))
			{
				if (enc->missing_out[j] >= 0)
					out[enc->missing_out[j]] = 1.0;
			}
			else
			{
				int			code = (int) v;
				int			target = (v >= 0 && code < ncat) ? enc->category_out[enc->slot[j] + code] : -1;

				if (target < 0)
					target = enc->infrequent_out[j];
				if (target >= 0)
					out[target] = 1.0;
			}
		}
	}
}

AmlStatus
aml_encoder_transform(const AmlEncoder *enc, const AmlMatrix *raw, AmlMatrix **out, AmlError *err)
{
	AmlMatrix  *m;

	*out = NULL;
	if (raw->cols != enc->n_in)
		return aml_error(err, AML_ERR_INTERNAL, "encoder input has %d columns, expected %d",
						 raw->cols, enc->n_in);
	AML_TRY(aml_matrix_create(raw->rows, enc->n_out, &m, err));	/* zero-filled */
	for (int j = 0; j < enc->n_in; j++)
	{
		const double *src = AML_COL(raw, j);
		int			o = enc->first_out[j];

		if (enc->kinds[j] != AML_KIND_CATEGORICAL)
			memcpy(AML_COL(m, o), src, sizeof(double) * (size_t) raw->rows);
		else if (enc->params.categorical == AML_ENCODE_ORDINAL)
		{
			double	   *dst = AML_COL(m, o);

			for (int i = 0; i < raw->rows; i++)
				dst[i] = src[i] >= 0 ? src[i] : NAN;
		}
		else
		{
			int			ncat = enc->slot[j + 1] - enc->slot[j];

			for (int i = 0; i < raw->rows; i++)
			{
				double		v = src[i];
				int			target;

				if (isnan(v))
					target = enc->missing_out[j];
				else
				{
					int			code = (int) v;

					target = (v >= 0 && code < ncat) ? enc->category_out[enc->slot[j] + code] : -1;
					if (target < 0)
						target = enc->infrequent_out[j];
				}
				if (target >= 0)
					AML_AT(m, i, target) = 1.0;
			}
		}
	}
	*out = m;
	return AML_OK;
}

void
aml_encoder_column_name(const AmlEncoder *enc, const AmlSchema *schema, int j,
						char *buf, size_t buflen)
{
	const AmlEncodedColumn *c = &enc->out[j];
	const char *name = schema->inputs[c->input].name;

	if (c->category == PASSTHROUGH)
		snprintf(buf, buflen, "%s", name);
	else if (c->category == INFREQUENT)
		snprintf(buf, buflen, "%s=(infrequent)", name);
	else if (c->category == MISSING)
		snprintf(buf, buflen, "%s=(missing)", name);
	else
		snprintf(buf, buflen, "%s=%s", name, aml_dict_string(schema->inputs[c->input].dict, c->category));
}

json_object *
aml_encoder_to_json(const AmlEncoder *enc)
{
	json_object *o = json_object_new_object();
	int		   *inputs = aml_alloc_array(enc->n_out > 0 ? enc->n_out : 1, sizeof(int));
	int		   *cats = aml_alloc_array(enc->n_out > 0 ? enc->n_out : 1, sizeof(int));
	int		   *kinds = aml_alloc_array(enc->n_in > 0 ? enc->n_in : 1, sizeof(int));

	json_object_object_add(o, "params", aml_params_to_json(&aml_encoder_params, &enc->params));
	json_object_object_add(o, "n_in", json_object_new_int(enc->n_in));
	json_object_object_add(o, "n_out", json_object_new_int(enc->n_out));
	if (inputs && cats && kinds)
	{
		for (int k = 0; k < enc->n_out; k++)
		{
			inputs[k] = enc->out[k].input;
			cats[k] = enc->out[k].category;
		}
		for (int j = 0; j < enc->n_in; j++)
			kinds[j] = (int) enc->kinds[j];
		json_object_object_add(o, "kinds", aml_json_new_int_array(kinds, enc->n_in));
		json_object_object_add(o, "out_input", aml_json_new_int_array(inputs, enc->n_out));
		json_object_object_add(o, "out_category", aml_json_new_int_array(cats, enc->n_out));
		json_object_object_add(o, "slot", aml_json_new_int_array(enc->slot, enc->n_in + 1));
	}
	aml_free(inputs);
	aml_free(cats);
	aml_free(kinds);
	return o;
}

AmlStatus
aml_encoder_from_json(json_object *obj, AmlEncoder **out, AmlError *err)
{
	json_object *params;
	AmlEncoder *enc;
	int			n_in;
	int			n_out;
	int		   *kinds = NULL;
	int		   *inputs = NULL;
	int		   *cats = NULL;
	int		   *slot = NULL;
	int			nk,
				ni,
				nc,
				ns;

	*out = NULL;
	AML_TRY(aml_json_get(obj, "params", json_type_object, &params, "encoder", err));
	AML_TRY(aml_encoder_create(params, &enc, err));
	if (aml_json_get_int(obj, "n_in", &n_in, "encoder", err) != AML_OK ||
		aml_json_get_int(obj, "n_out", &n_out, "encoder", err) != AML_OK ||
		aml_json_get_int_vector(obj, "kinds", &kinds, &nk, "encoder", err) != AML_OK ||
		aml_json_get_int_vector(obj, "out_input", &inputs, &ni, "encoder", err) != AML_OK ||
		aml_json_get_int_vector(obj, "out_category", &cats, &nc, "encoder", err) != AML_OK ||
		aml_json_get_int_vector(obj, "slot", &slot, &ns, "encoder", err) != AML_OK)
		goto fail;
	if (n_in < 0 || n_out < 0 || nk != n_in || ni != n_out || nc != n_out || ns != n_in + 1 ||
		slot[0] != 0)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "encoder state is inconsistent");
		goto fail;
	}
	for (int j = 0; j < n_in; j++)
		if (slot[j + 1] < slot[j] || kinds[j] < AML_KIND_NUMERIC || kinds[j] > AML_KIND_CATEGORICAL)
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "encoder state is inconsistent");
			goto fail;
		}
	if (allocate_fitted(enc, n_in, slot[n_in], n_out, err) != AML_OK)
		goto fail;
	memcpy(enc->slot, slot, sizeof(int) * (size_t) (n_in + 1));
	for (int j = 0; j < n_in; j++)
	{
		enc->kinds[j] = (AmlColumnKind) kinds[j];
		enc->first_out[j] = -1;
		enc->infrequent_out[j] = -1;
		enc->missing_out[j] = -1;
	}
	for (int s = 0; s < slot[n_in]; s++)
		enc->category_out[s] = -1;
	for (int k = 0; k < n_out; k++)
	{
		int			j = inputs[k];
		int			c = cats[k];

		/* outputs of one input are contiguous and inputs appear in order */
		if (j < 0 || j >= n_in || (k > 0 && j < inputs[k - 1]) ||
			(c >= 0 && (c >= slot[j + 1] - slot[j] || !is_onehot(enc, j))) || c < PASSTHROUGH)
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "encoder state is inconsistent");
			goto fail;
		}
		enc->out[k].input = j;
		enc->out[k].category = c;
		if (enc->first_out[j] < 0)
			enc->first_out[j] = k;
		if (c >= 0)
			enc->category_out[slot[j] + c] = k;
		else if (c == INFREQUENT)
			enc->infrequent_out[j] = k;
		else if (c == MISSING)
			enc->missing_out[j] = k;
	}
	enc->first_out[n_in] = n_out;
	for (int j = 0; j < n_in; j++)
		if (enc->first_out[j] < 0)
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "encoder state is inconsistent");
			goto fail;
		}
	aml_free(kinds);
	aml_free(inputs);
	aml_free(cats);
	aml_free(slot);
	*out = enc;
	return AML_OK;
fail:
	aml_free(kinds);
	aml_free(inputs);
	aml_free(cats);
	aml_free(slot);
	aml_encoder_free(enc);
	if (err->status != AML_ERR_OUT_OF_MEMORY)
		err->status = AML_ERR_BAD_FORMAT;
	return err->status;
}

void
aml_encoder_describe(const AmlEncoder *enc, char *buf, size_t buflen)
{
	char		params[256];
	AmlEncoderParams shown = enc->params;

	shown.categorical = AML_ENCODE_ONEHOT;	/* named in the label instead */
	aml_params_describe(&aml_encoder_params, &shown, params, sizeof(params));
	snprintf(buf, buflen, "%s encoding%s%s%s",
			 enc->params.categorical == AML_ENCODE_ONEHOT ? "one-hot" : "ordinal",
			 params[0] ? " (" : "", params, params[0] ? ")" : "");
}

long
aml_encoder_max_width(const AmlSchema *schema, int max_categories, bool onehot)
{
	long		width = 0;

	for (int j = 0; j < schema->n_inputs; j++)
	{
		if (onehot && schema->inputs[j].kind == AML_KIND_CATEGORICAL)
		{
			int			c = schema->inputs[j].dict->count;

			width += (c < max_categories ? c : max_categories) + 2;
		}
		else
			width += 1;
	}
	return width;
}
