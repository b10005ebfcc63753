/*
 * pfa_steps.c — the first part of a pipeline's PFA document (pfa_internal.h):
 * the input record (one nullable field per column) and the action's
 * let-bindings up to the estimator's input.
 *
 * One variable per column and stage: e_j after the encoder, s<k>_j after
 * step k; x is the estimator's input (array<double>).  A missing value is
 * NaN between stages, as in the pipeline (imputers test impute.isnan); NaN
 * is written 0.0/0.0 since JSON has no literal for it.
 */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/memory.h"
#include "ml/pfa_internal.h"

/* ---------------------------------------------------------------- helpers */

static json_object *
nan_expr(void)
{
	json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();

	json_object_array_add(a, dbl(0));
	json_object_array_add(a, dbl(0));
	json_object_object_add(o, "/", a);
	return o;
}

/* {"ifnotnull": {"v": input.<name>}, "then": then, "else": els} */
static json_object *
ifnotnull(const char *field, json_object *then, json_object *els)
{
	json_object *o = json_object_new_object();
	json_object *b = json_object_new_object();
	char		ref[300];

	snprintf(ref, sizeof(ref), "input.%s", field);
	json_object_object_add(b, "v", sym(ref));
	json_object_object_add(o, "ifnotnull", b);
	json_object_object_add(o, "then", then);
	json_object_object_add(o, "else", els);
	return o;
}

static void
var_name(char *buf, size_t len, const char *prefix, int j)
{
	snprintf(buf, len, "%s%d", prefix, j);
}

/* ---------------------------------------------------------------- input */

static bool
valid_name(const char *s)
{
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static AmlStatus
read_schema(Builder *b, json_object *schema, AmlError *err)
{
	json_object *inputs;
	json_object *fields = json_object_new_array();
	json_object *rec = json_object_new_object();
	const char *task;

	json_object_object_add(rec, "type", json_object_new_string("record"));
	json_object_object_add(rec, "name", json_object_new_string("Input"));
	json_object_object_add(rec, "fields", fields);
	json_object_object_add(b->doc, "input", rec);

	AML_TRY(aml_json_get(schema, "inputs", json_type_array, &inputs, "pipeline schema", err));
	AML_TRY(aml_json_get_string(schema, "task", &task, "pipeline schema", err));
	b->classification = strcmp(task, "classification") == 0;
	if (b->classification)
		AML_TRY(aml_json_get(schema, "classes", json_type_array, &b->classes, "pipeline schema", err));
	b->n_inputs = (int) json_object_array_length(inputs);
	b->inputs = AML_NEW_ARRAY(Column, b->n_inputs > 0 ? b->n_inputs : 1);
	if (b->inputs == NULL)
		return aml_error_nomem(err, "the PFA input columns");
	for (int i = 0; i < b->n_inputs; i++)
	{
		json_object *in = json_object_array_get_idx(inputs, i);
		const char *kind;
		json_object *f = json_object_new_object();
		json_object *t = json_object_new_array();

		AML_TRY(aml_json_get_string(in, "name", &b->inputs[i].name, "pipeline input", err));
		AML_TRY(aml_json_get_string(in, "kind", &kind, "pipeline input", err));
		if (!valid_name(b->inputs[i].name))
		{
			json_object_put(f);
			json_object_put(t);
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "column \"%s\" is not a valid PFA field name", b->inputs[i].name);
			return aml_error_hint(err, "Avro names are letters, digits and underscores, not starting with a digit; rename the column or train on a view.");
		}
		b->inputs[i].kind = strcmp(kind, "categorical") == 0 ? KIND_CATEGORICAL
			: strcmp(kind, "binary") == 0 ? KIND_BINARY : KIND_NUMERIC;
		b->inputs[i].categories = NULL;
		if (b->inputs[i].kind == KIND_CATEGORICAL)
			json_object_object_get_ex(in, "categories", &b->inputs[i].categories);
		json_object_array_add(t, json_object_new_string("null"));
		json_object_array_add(t, json_object_new_string(b->inputs[i].kind == KIND_CATEGORICAL ? "string"
														: b->inputs[i].kind == KIND_BINARY ? "boolean" : "double"));
		json_object_object_add(f, "name", json_object_new_string(b->inputs[i].name));
		json_object_object_add(f, "type", t);
		json_object_array_add(fields, f);
	}
	return AML_OK;
}

/* ---------------------------------------------------------------- stages */

/* Start a stage: {"let": {...}} appended to the action; returns its object. */
static json_object *
begin_stage(Builder *b, const char *prefix)
{
	json_object *let = json_object_new_object();
	json_object *st = json_object_new_object();

	json_object_object_add(st, "let", let);
	json_object_array_add(b->action, st);
	snprintf(b->prefix, sizeof(b->prefix), "%s", prefix);
	return let;
}

static json_object *
prev_var(const char *prefix, int j)
{
	char		name[32];

	var_name(name, sizeof(name), prefix, j);
	return sym(name);
}

static AmlStatus
encoder_stage(Builder *b, json_object *encoder, AmlError *err)
{
	json_object *params;
	json_object *out_input;
	json_object *out_category;
	const char *encoding = "onehot";
	json_object *let;
	int			n_out;

	AML_TRY(aml_json_get(encoder, "out_input", json_type_array, &out_input, "encoder", err));
	AML_TRY(aml_json_get(encoder, "out_category", json_type_array, &out_category, "encoder", err));
	if (json_object_object_get_ex(encoder, "params", &params))
		(void) aml_json_get_string(params, "categorical", &encoding, "encoder", err);
	n_out = (int) json_object_array_length(out_input);
	if ((int) json_object_array_length(out_category) != n_out)
		return aml_error(err, AML_ERR_BAD_FORMAT, "encoder columns do not match");
	let = begin_stage(b, "e");
	for (int j = 0; j < n_out; j++)
	{
		int			i = json_object_get_int(json_object_array_get_idx(out_input, j));
		int			cat = json_object_get_int(json_object_array_get_idx(out_category, j));
		const Column *c;
		json_object *e;
		char		name[32];

		if (i < 0 || i >= b->n_inputs)
			return aml_error(err, AML_ERR_BAD_FORMAT, "encoder column %d names input %d", j, i);
		c = &b->inputs[i];
		if (c->kind == KIND_NUMERIC)
			e = ifnotnull(c->name, sym("v"), nan_expr());
		else if (c->kind == KIND_BINARY)
			e = ifnotnull(c->name, if_expr(sym("v"), dbl(1), dbl(0)), nan_expr());
		else if (strcmp(encoding, "ordinal") == 0)
		{
			/* the category's code (its index among the training categories); NaN if unseen */
			char		cell[40];
			json_object *body = json_object_new_array();
			json_object *let_k = json_object_new_object();
			json_object *lk = json_object_new_object();

			if (c->categories == NULL)
				return aml_error(err, AML_ERR_BAD_FORMAT, "input \"%s\" has no categories", c->name);
			snprintf(cell, sizeof(cell), "categories_%d", i);
			if (!json_object_object_get_ex(b->cells, cell, NULL))
				add_cell(b, cell, array_type(json_object_new_string("string")),
						 json_object_get(c->categories));
			json_object_object_add(lk, "k", call2("a.index", cell_ref(cell), sym("v")));
			json_object_object_add(let_k, "let", lk);
			json_object_array_add(body, let_k);
			json_object_array_add(body, if_expr(call2("<", sym("k"), json_object_new_int(0)),
												nan_expr(), call2("+", dbl(0), sym("k"))));
			e = ifnotnull(c->name, call1("do", body), nan_expr());
		}
		else if (cat >= 0)
		{
			if (c->categories == NULL || cat >= (int) json_object_array_length(c->categories))
				return aml_error(err, AML_ERR_BAD_FORMAT, "input \"%s\" has no category %d", c->name, cat);
			e = ifnotnull(c->name,
						  if_expr(call2("==", sym("v"),
										str_lit(json_object_get_string(json_object_array_get_idx(c->categories, cat)))),
								  dbl(1), dbl(0)),
						  dbl(0));
		}
		else if (cat == -1)
		{
			/* "infrequent": a category that has no column of its own, or one unseen in training */
			json_object *own = json_object_new_array();
			char		cell[40];

			for (int k = 0; k < n_out; k++)
			{
				int			ck = json_object_get_int(json_object_array_get_idx(out_category, k));

				if (json_object_get_int(json_object_array_get_idx(out_input, k)) == i && ck >= 0)
					json_object_array_add(own, json_object_get(json_object_array_get_idx(c->categories, ck)));
			}
			snprintf(cell, sizeof(cell), "frequent_%d", i);
			add_cell(b, cell, array_type(json_object_new_string("string")), own);
			e = ifnotnull(c->name, if_expr(call2("a.contains", cell_ref(cell), sym("v")), dbl(0), dbl(1)),
						  dbl(0));
		}
		else if (cat == -2)
			e = ifnotnull(c->name, dbl(0), dbl(1));
		else
			return aml_error(err, AML_ERR_BAD_FORMAT, "encoder column %d has category %d", j, cat);
		var_name(name, sizeof(name), "e", j);
		json_object_object_add(let, name, e);
	}
	b->width = n_out;
	return AML_OK;
}

static AmlStatus
imputer_stage(Builder *b, json_object *state, int k, AmlError *err)
{
	int		   *kept = NULL;
	int		   *ind = NULL;
	double	   *stats = NULL;
	int			nk,
				ni,
				ns;
	char		prev[16];
	char		prefix[16];
	json_object *let;
	AmlStatus	st;

	snprintf(prev, sizeof(prev), "%s", b->prefix);
	if ((st = aml_json_get_int_vector(state, "kept", &kept, &nk, "imputer", err)) != AML_OK ||
		(st = aml_json_get_int_vector(state, "indicator_features", &ind, &ni, "imputer", err)) != AML_OK ||
		(st = get_doubles(state, "statistics", &stats, &ns, err)) != AML_OK)
		goto done;
	snprintf(prefix, sizeof(prefix), "s%d_", k);
	let = begin_stage(b, prefix);
	for (int j = 0; j < nk; j++)
	{
		char		name[32];

		if (kept[j] < 0 || kept[j] >= ns || kept[j] >= b->width)
		{
			st = aml_error(err, AML_ERR_BAD_FORMAT, "imputer keeps column %d of %d", kept[j], b->width);
			goto done;
		}
		var_name(name, sizeof(name), prefix, j);
		json_object_object_add(let, name,
							   if_expr(call1("impute.isnan", prev_var(prev, kept[j])),
									   dbl(stats[kept[j]]), prev_var(prev, kept[j])));
	}
	for (int m = 0; m < ni; m++)
	{
		char		name[32];

		if (ind[m] < 0 || ind[m] >= b->width)
		{
			st = aml_error(err, AML_ERR_BAD_FORMAT, "imputer indicator of column %d of %d", ind[m], b->width);
			goto done;
		}
		var_name(name, sizeof(name), prefix, nk + m);
		json_object_object_add(let, name,
							   if_expr(call1("impute.isnan", prev_var(prev, ind[m])), dbl(1), dbl(0)));
	}
	b->width = nk + ni;
	st = AML_OK;
done:
	aml_free(kept);
	aml_free(ind);
	aml_free(stats);
	return st;
}

/* standard, robust, maxabs: (x - offset) / scale; minmax (unclipped): x * scale + offset */
static AmlStatus
affine_stage(Builder *b, const char *type, json_object *params, json_object *state, int k, AmlError *err)
{
	double	   *off = NULL;
	double	   *sc = NULL;
	int			no,
				ns;
	bool		multiply = strcmp(type, "minmax_scaler") == 0;
	char		prev[16];
	char		prefix[16];
	json_object *let;
	AmlStatus	st;

	snprintf(prev, sizeof(prev), "%s", b->prefix);
	if ((st = get_doubles(state, "offset", &off, &no, err)) != AML_OK ||
		(st = get_doubles(state, "scale", &sc, &ns, err)) != AML_OK)
		goto done;
	if (no != b->width || ns != b->width)
	{
		st = aml_error(err, AML_ERR_BAD_FORMAT, "%s has %d columns, expected %d", type, no, b->width);
		goto done;
	}
	snprintf(prefix, sizeof(prefix), "s%d_", k);
	let = begin_stage(b, prefix);
	for (int j = 0; j < b->width; j++)
	{
		char		name[32];
		json_object *e;

		if (!multiply)
			e = call2("/", call2("-", prev_var(prev, j), dbl(off[j])), dbl(sc[j]));
		else
		{
			e = call2("+", call2("*", prev_var(prev, j), dbl(sc[j])), dbl(off[j]));
		}
		var_name(name, sizeof(name), prefix, j);
		json_object_object_add(let, name, e);
	}
	st = AML_OK;
done:
	aml_free(off);
	aml_free(sc);
	return st;
}

static AmlStatus
steps_stages(Builder *b, json_object *steps, AmlError *err)
{
	int			n = (int) json_object_array_length(steps);

	for (int k = 0; k < n; k++)
	{
		json_object *step = json_object_array_get_idx(steps, k);
		json_object *state;
		json_object *params = NULL;
		const char *type;

		AML_TRY(aml_json_get_string(step, "type", &type, "pipeline step", err));
		AML_TRY(aml_json_get(step, "state", json_type_object, &state, "pipeline step", err));
		json_object_object_get_ex(step, "params", &params);
		if (strcmp(type, "simple_imputer") == 0)
			AML_TRY(imputer_stage(b, state, k, err));
		else if (strcmp(type, "standard_scaler") == 0 || strcmp(type, "robust_scaler") == 0 ||
				 strcmp(type, "maxabs_scaler") == 0)
			AML_TRY(affine_stage(b, type, params, state, k, err));
		else if (strcmp(type, "minmax_scaler") == 0)
		{
			json_object *clip;

			if (params && json_object_object_get_ex(params, "clip", &clip) && json_object_get_boolean(clip))
				goto unsupported;
			AML_TRY(affine_stage(b, type, params, state, k, err));
		}
		else
			goto unsupported;
		continue;
unsupported:
		aml_error(err, AML_ERR_INVALID_PARAMETER, "PFA export does not support the pipeline step \"%s\"", type);
		return aml_error_detail(err, "Steps exported: simple_imputer, standard_scaler, robust_scaler, maxabs_scaler, minmax_scaler without clip.");
	}
	return AML_OK;
}

/* let x = new array<double> of the current stage's variables */
static void
feature_vector(Builder *b)
{
	json_object *arr = json_object_new_array();
	json_object *nw = json_object_new_object();
	json_object *lx = json_object_new_object();
	json_object *st = json_object_new_object();

	for (int j = 0; j < b->width; j++)
		json_object_array_add(arr, prev_var(b->prefix, j));
	json_object_object_add(nw, "new", arr);
	json_object_object_add(nw, "type", array_type(json_object_new_string("double")));
	json_object_object_add(lx, "x", nw);
	json_object_object_add(st, "let", lx);
	json_object_array_add(b->action, st);
}

/* ---------------------------------------------------------------- entry */

AmlStatus
aml_pfa_input_stages(Builder *b, json_object *schema, json_object *encoder, json_object *steps,
					 int p, AmlError *err)
{
	AML_TRY(read_schema(b, schema, err));
	AML_TRY(encoder_stage(b, encoder, err));
	AML_TRY(steps_stages(b, steps, err));
	if (b->width != p)
		return aml_error(err, AML_ERR_BAD_FORMAT, "the estimator has %d inputs, the steps give %d", p, b->width);
	feature_vector(b);
	return AML_OK;
}
