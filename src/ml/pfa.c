/*
 * pfa.c — a stored pipeline as a PFA 0.8.1 document (pfa.h).
 *
 * The action is a list of let-bindings, one variable per column and stage:
 * e_j after the encoder, s<k>_j after step k; x is the estimator's input
 * (array<double>).  A missing value is NaN between stages, as in the
 * pipeline (imputers test impute.isnan); NaN is written 0.0/0.0 since JSON
 * has no literal for it.  Numbers are written exactly (core/json.h).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/memory.h"
#include "ml/pfa.h"
#include "ml/pfa_internal.h"
#include "ml/tree.h"

/* linear_common.h's forms, in the order their JSON names are written */
static const char *const linear_forms[] = {"identity", "logistic", "softmax", "binary_score", "scores", NULL};

/* ---------------------------------------------------------------- literals */

json_object *
dbl(double v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "double", aml_json_new_double(v));
	return o;
}

json_object *
str_lit(const char *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "string", json_object_new_string(s));
	return o;
}

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

json_object *
sym(const char *name)
{
	return json_object_new_string(name);
}

/* {op: [a, b]} */
json_object *
call2(const char *op, json_object *a, json_object *b)
{
	json_object *o = json_object_new_object();
	json_object *args = json_object_new_array();

	json_object_array_add(args, a);
	json_object_array_add(args, b);
	json_object_object_add(o, op, args);
	return o;
}

json_object *
call3(const char *op, json_object *a, json_object *b, json_object *c)
{
	json_object *o = call2(op, a, b);
	json_object *args;

	json_object_object_get_ex(o, op, &args);
	json_object_array_add(args, c);
	return o;
}

/* {op: a} */
json_object *
call1(const char *op, json_object *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, op, a);
	return o;
}

json_object *
if_expr(json_object *cond, json_object *then, json_object *els)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "if", cond);
	json_object_object_add(o, "then", then);
	json_object_object_add(o, "else", els);
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

json_object *
cell_ref(const char *name)
{
	return call1("cell", json_object_new_string(name));
}

json_object *
array_type(json_object *items)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "type", json_object_new_string("array"));
	json_object_object_add(t, "items", items);
	return t;
}

void
add_cell(Builder *b, const char *name, json_object *type, json_object *init)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "type", type);
	json_object_object_add(c, "init", init);
	json_object_object_add(b->cells, name, c);
}

/* A finite number for a cell (Avro JSON has no NaN/Infinity): ±DBL_MAX for infinities. */
json_object *
finite_number(double v)
{
	if (isinf(v))
		v = v > 0 ? DBL_MAX : -DBL_MAX;
	return aml_json_new_double(v);
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

AmlStatus
get_doubles(json_object *obj, const char *key, double **out, int *n, AmlError *err)
{
	return aml_json_get_double_vector(obj, key, out, n, "PFA export", err);
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

/* ---------------------------------------------------------------- estimators */

json_object *
label_of(json_object *index)
{
	json_object *o = cell_ref("classes");
	json_object *path = json_object_new_array();

	json_object_array_add(path, index);
	json_object_object_add(o, "path", path);
	return o;
}

void
set_output(Builder *b)
{
	if (b->classification && b->proba)
		json_object_object_add(b->doc, "output", array_type(json_object_new_string("double")));
	else
		json_object_object_add(b->doc, "output", json_object_new_string(b->classification ? "string" : "double"));
	if (b->classification)
		add_cell(b, "classes", array_type(json_object_new_string("string")), json_object_get(b->classes));
}

void
classify(Builder *b, json_object *proba, json_object *scores)
{
	if (b->proba)
	{
		json_object_array_add(b->action, proba);
		json_object_put(scores);
	}
	else if (scores != NULL)
	{
		json_object_array_add(b->action, label_of(call1("a.argmax", scores)));
		json_object_put(proba);
	}
	else
		json_object_array_add(b->action, label_of(call1("a.argmax", proba)));
}

static AmlStatus
linear_model(Builder *b, json_object *state, int p, AmlError *err)
{
	json_object *coef;
	json_object *data;
	json_object *cell;
	json_object *type;
	double	   *intercept = NULL;
	int			n_rows;
	int			rows,
				cols;
	const char *form_name;
	int			form = -1;
	int			pos,
				neg;
	double		fill = 0;
	AmlStatus	st;

	AML_TRY(aml_json_get_string(state, "form", &form_name, "linear model", err));
	for (int i = 0; linear_forms[i]; i++)
		if (strcmp(linear_forms[i], form_name) == 0)
			form = i;
	if (form < 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown linear form \"%s\"", form_name);
	AML_TRY(aml_json_get(state, "coef", json_type_object, &coef, "linear model", err));
	AML_TRY(aml_json_get_int(coef, "rows", &rows, "linear model", err));
	AML_TRY(aml_json_get_int(coef, "cols", &cols, "linear model", err));
	AML_TRY(aml_json_get(coef, "data", json_type_array, &data, "linear model", err));
	AML_TRY(get_doubles(state, "intercept", &intercept, &n_rows, err));
	if (rows != p || cols != n_rows || (int) json_object_array_length(data) != rows * cols)
	{
		aml_free(intercept);
		return aml_error(err, AML_ERR_BAD_FORMAT, "linear model has %d x %d coefficients for %d inputs",
						 rows, cols, p);
	}
	(void) aml_json_get_int(state, "pos_class", &pos, "linear model", err);
	(void) aml_json_get_int(state, "neg_class", &neg, "linear model", err);
	{
		json_object *f;

		if (json_object_object_get_ex(state, "fill", &f))
			aml_json_as_double(f, &fill);
	}

	/* cell "model": {coeff, const}, one row or one per class */
	cell = json_object_new_object();
	type = json_object_new_object();
	json_object_object_add(type, "type", json_object_new_string("record"));
	json_object_object_add(type, "name", json_object_new_string("LinearModel"));
	{
		json_object *fields = json_object_new_array();
		json_object *fc = json_object_new_object();
		json_object *fk = json_object_new_object();
		bool		one = (n_rows == 1);

		json_object_object_add(fc, "name", json_object_new_string("coeff"));
		json_object_object_add(fc, "type", one ? array_type(json_object_new_string("double"))
							   : array_type(array_type(json_object_new_string("double"))));
		json_object_object_add(fk, "name", json_object_new_string("const"));
		json_object_object_add(fk, "type", one ? json_object_new_string("double")
							   : array_type(json_object_new_string("double")));
		json_object_array_add(fields, fc);
		json_object_array_add(fields, fk);
		json_object_object_add(type, "fields", fields);
		if (one)
		{
			json_object *c = json_object_new_array();

			for (int j = 0; j < p; j++)
				json_object_array_add(c, json_object_get(json_object_array_get_idx(data, j)));
			json_object_object_add(cell, "coeff", c);
			json_object_object_add(cell, "const", finite_number(intercept[0]));
		}
		else
		{
			json_object *c = json_object_new_array();
			json_object *k = json_object_new_array();

			for (int r = 0; r < n_rows; r++)
			{
				json_object *row = json_object_new_array();

				for (int j = 0; j < p; j++)
					json_object_array_add(row, json_object_get(json_object_array_get_idx(data, r * p + j)));
				json_object_array_add(c, row);
				json_object_array_add(k, finite_number(intercept[r]));
			}
			json_object_object_add(cell, "coeff", c);
			json_object_object_add(cell, "const", k);
		}
	}
	add_cell(b, "model", type, cell);
	set_output(b);
	{
		json_object *z = call2("model.reg.linear", sym("x"), cell_ref("model"));

		if (!b->classification)
		{
			if (form != 0)
			{
				st = aml_error(err, AML_ERR_BAD_FORMAT, "a regression model with form \"%s\"", form_name);
				json_object_put(z);
				goto done;
			}
			json_object_array_add(b->action, z);
		}
		else if (form == 2 || form == 4)
		{
			/* softmax is increasing: the largest score is the most probable class */
			if (b->proba && form == 2)
				classify(b, call1("m.link.softmax", z), NULL);
			else
				classify(b, z, NULL);
		}
		else if (form == 1 || form == 3)
		{
			int			k = (int) json_object_array_length(b->classes);
			json_object *lz = json_object_new_object();
			json_object *st1 = json_object_new_object();
			json_object *lh = json_object_new_object();
			json_object *st2 = json_object_new_object();
			json_object *arr = json_object_new_array();
			json_object *nw = json_object_new_object();

			json_object_object_add(lz, "z", z);
			json_object_object_add(st1, "let", lz);
			json_object_array_add(b->action, st1);
			json_object_object_add(lh, "hi", form == 1 ? call1("m.link.logit", sym("z")) : sym("z"));
			json_object_object_add(lh, "lo", form == 1 ? call2("-", dbl(1), call1("m.link.logit", sym("z")))
								   : call1("u-", sym("z")));
			json_object_object_add(st2, "let", lh);
			json_object_array_add(b->action, st2);
			for (int c = 0; c < k; c++)
				json_object_array_add(arr, c == pos ? sym("hi") : c == neg ? sym("lo") : dbl(fill));
			json_object_object_add(nw, "new", arr);
			json_object_object_add(nw, "type", array_type(json_object_new_string("double")));
			classify(b, nw, NULL);
		}
		else
		{
			st = aml_error(err, AML_ERR_BAD_FORMAT, "a classifier with form \"%s\"", form_name);
			json_object_put(z);
			goto done;
		}
	}
	st = AML_OK;
done:
	aml_free(intercept);
	return st;
}

/* The TreeNode record type (full definition the first time, then its name). */
json_object *
tree_node_type(json_object *leaf_type)
{
	json_object *t = json_object_new_object();
	json_object *fields = json_object_new_array();
	const char *names[] = {"feature", "threshold", "missingLeft"};
	const char *types[] = {"int", "double", "boolean"};

	json_object_object_add(t, "type", json_object_new_string("record"));
	json_object_object_add(t, "name", json_object_new_string("TreeNode"));
	for (int i = 0; i < 3; i++)
	{
		json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(names[i]));
		json_object_object_add(f, "type", json_object_new_string(types[i]));
		json_object_array_add(fields, f);
	}
	for (int i = 0; i < 2; i++)
	{
		json_object *f = json_object_new_object();
		json_object *u = json_object_new_array();

		json_object_array_add(u, json_object_new_string("TreeNode"));
		json_object_array_add(u, json_object_get(leaf_type));
		json_object_object_add(f, "name", json_object_new_string(i == 0 ? "pass" : "fail"));
		json_object_object_add(f, "type", u);
		json_object_array_add(fields, f);
	}
	json_object_object_add(t, "fields", fields);
	json_object_put(leaf_type);
	return t;
}

/* Avro JSON of node i: a union value is {"branch": value}. */
json_object *
tree_value(const AmlTree *tree, uint32_t i, bool as_union, int depth)
{
	const AmlTreeNode *n = tree->nodes + i;
	json_object *v;

	if ((uint32_t) n->left == i)
	{
		const double *out = aml_tree_leaf_output(tree, i);

		if (tree->n_outputs == 1)
			v = aml_json_new_double(out[0]);
		else
			v = aml_json_new_double_array(out, tree->n_outputs);
		return as_union ? call1(tree->n_outputs == 1 ? "double" : "array", v) : v;
	}
	v = json_object_new_object();
	json_object_object_add(v, "feature", json_object_new_int((int) (n->feature & AML_TREE_FEATURE_MASK)));
	/* a split of non-missing from missing values has threshold +inf: Avro JSON has no such number */
	json_object_object_add(v, "threshold", finite_number(n->threshold));
	json_object_object_add(v, "missingLeft",
						   json_object_new_boolean((n->feature & AML_TREE_MISSING_LEFT) != 0));
	json_object_object_add(v, "pass", tree_value(tree, (uint32_t) n->left, true, depth + 1));
	json_object_object_add(v, "fail", tree_value(tree, (uint32_t) n->left + 1, true, depth + 1));
	return as_union ? call1("TreeNode", v) : v;
}

/* u.goesLeft(d, t): the row's value <= threshold, or missing and missing values go left */
void
add_test_function(Builder *b)
{
	json_object *f = json_object_new_object();
	json_object *params = json_object_new_array();
	json_object *pd = json_object_new_object();
	json_object *pt = json_object_new_object();
	json_object *body = json_object_new_array();
	json_object *lv = json_object_new_object();
	json_object *let = json_object_new_object();
	json_object *attr = json_object_new_object();
	json_object *path = json_object_new_array();

	json_object_object_add(pd, "d", array_type(json_object_new_string("double")));
	json_object_object_add(pt, "t", json_object_new_string("TreeNode"));
	json_object_array_add(params, pd);
	json_object_array_add(params, pt);
	json_object_object_add(f, "params", params);
	json_object_object_add(f, "ret", json_object_new_string("boolean"));
	json_object_object_add(attr, "attr", sym("d"));
	json_object_array_add(path, sym("t.feature"));
	json_object_object_add(attr, "path", path);
	json_object_object_add(lv, "v", attr);
	json_object_object_add(let, "let", lv);
	json_object_array_add(body, let);
	json_object_array_add(body, if_expr(call1("impute.isnan", sym("v")), sym("t.missingLeft"),
										call2("<=", sym("v"), sym("t.threshold"))));
	json_object_object_add(f, "do", body);
	json_object_object_add(b->fcns, "goesLeft", f);
}

json_object *
leaf_type(const Builder *b)
{
	return b->classification ? array_type(json_object_new_string("double")) : json_object_new_string("double");
}

json_object *
fcn_ref(const char *name)
{
	return call1("fcn", json_object_new_string(name));
}

AmlStatus
read_tree(json_object *obj, int p, int n_outputs, AmlTree *tree, AmlError *err)
{
	memset(tree, 0, sizeof(*tree));
	return aml_tree_from_json(obj, p, n_outputs, tree, err);
}

static AmlStatus
tree_model(Builder *b, json_object *state, int p, int n_outputs, AmlError *err)
{
	json_object *tj;
	AmlTree		tree;
	json_object *walk;

	AML_TRY(aml_json_get(state, "tree", json_type_object, &tj, "decision tree", err));
	AML_TRY(read_tree(tj, p, n_outputs, &tree, err));
	if ((uint32_t) tree.nodes[0].left == 0)
	{
		aml_tree_free(&tree);
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "PFA export does not support a tree that is a single leaf");
	}
	add_cell(b, "tree", tree_node_type(leaf_type(b)), tree_value(&tree, 0, false, 0));
	aml_tree_free(&tree);
	add_test_function(b);
	set_output(b);
	walk = call3("model.tree.simpleWalk", sym("x"), cell_ref("tree"), fcn_ref("u.goesLeft"));
	if (b->classification)
		classify(b, walk, NULL);
	else
		json_object_array_add(b->action, walk);
	return AML_OK;
}

static AmlStatus
forest_model(Builder *b, json_object *state, int p, int n_outputs, AmlError *err)
{
	json_object *trees;
	json_object *init;
	json_object *map_fn;
	json_object *walks;
	int			n;

	AML_TRY(aml_json_get(state, "trees", json_type_array, &trees, "forest", err));
	n = (int) json_object_array_length(trees);
	if (n < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "a forest without trees");
	init = json_object_new_array();
	add_cell(b, "forest", array_type(tree_node_type(leaf_type(b))), init);
	for (int t = 0; t < n; t++)
	{
		AmlTree		tree;

		AML_TRY(read_tree(json_object_array_get_idx(trees, t), p, n_outputs, &tree, err));
		if ((uint32_t) tree.nodes[0].left == 0)
		{
			aml_tree_free(&tree);
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "PFA export does not support a forest with a tree that is a single leaf");
		}
		json_object_array_add(init, tree_value(&tree, 0, false, 0));
		aml_tree_free(&tree);
	}
	add_test_function(b);
	set_output(b);
	/* a.map(forest, fcn(t) simpleWalk(x, t, u.goesLeft)) */
	{
		json_object *params = json_object_new_array();
		json_object *pt = json_object_new_object();
		json_object *body = json_object_new_array();

		map_fn = json_object_new_object();
		json_object_object_add(pt, "t", json_object_new_string("TreeNode"));
		json_object_array_add(params, pt);
		json_object_object_add(map_fn, "params", params);
		json_object_object_add(map_fn, "ret", leaf_type(b));
		json_object_array_add(body, call3("model.tree.simpleWalk", sym("x"), sym("t"), fcn_ref("u.goesLeft")));
		json_object_object_add(map_fn, "do", body);
	}
	walks = call2("a.map", cell_ref("forest"), map_fn);
	if (!b->classification)
		json_object_array_add(b->action, call1("a.mean", walks));
	else
	{
		/* the class with the largest summed probability (= mean, same order) */
		json_object *add = json_object_new_object();
		json_object *params = json_object_new_array();
		json_object *pa = json_object_new_object();
		json_object *pb = json_object_new_object();
		json_object *body = json_object_new_array();

		json_object_object_add(pa, "a", array_type(json_object_new_string("double")));
		json_object_object_add(pb, "b", array_type(json_object_new_string("double")));
		json_object_array_add(params, pa);
		json_object_array_add(params, pb);
		json_object_object_add(add, "params", params);
		json_object_object_add(add, "ret", array_type(json_object_new_string("double")));
		json_object_array_add(body, call2("la.add", sym("a"), sym("b")));
		json_object_object_add(add, "do", body);
		json_object *sum = call2("a.reduce", walks, add);

		if (b->proba)
		{
			/* predict_proba: the sum divided by the number of trees, as forest_predict_row */
			json_object *div = json_object_new_object();
			json_object *dparams = json_object_new_array();
			json_object *pv = json_object_new_object();
			json_object *dbody = json_object_new_array();

			json_object_object_add(pv, "v", json_object_new_string("double"));
			json_object_array_add(dparams, pv);
			json_object_object_add(div, "params", dparams);
			json_object_object_add(div, "ret", json_object_new_string("double"));
			json_object_array_add(dbody, call2("/", sym("v"), dbl((double) n)));
			json_object_object_add(div, "do", dbody);
			classify(b, call2("a.map", sum, div), NULL);
		}
		else
			classify(b, sum, NULL);
	}
	return AML_OK;
}

/* ---------------------------------------------------------------- entry */

AmlStatus
aml_pfa_from_pipeline(json_object *pipeline, const char *name, json_object *metadata,
					  json_object **out, AmlError *err)
{
	const char *format = NULL;
	json_object *calibration = NULL;
	json_object *schema;
	const char *task;
	AmlStatus	st;

	*out = NULL;
	/* the search's ensembles: pfa_ensemble.c (their calibrator too) */
	if (aml_json_get_string(pipeline, "format", &format, "model", err) == AML_OK &&
		strcmp(format, "automl-ensemble") == 0)
		return aml_pfa_from_ensemble(pipeline, name, metadata, out, err);
	if (!json_object_object_get_ex(pipeline, "calibration", &calibration) || calibration == NULL)
		return aml_pfa_pipeline_document(pipeline, name, metadata, false, out, err);
	/* a calibrated classifier: its probabilities, the calibrator, the decision */
	AML_TRY(aml_json_get(pipeline, "schema", json_type_object, &schema, "pipeline", err));
	AML_TRY(aml_json_get_string(schema, "task", &task, "pipeline", err));
	if (strcmp(task, "classification") != 0 || !aml_pfa_probabilistic(pipeline))
		return aml_error(err, AML_ERR_BAD_FORMAT, "only probabilistic classifiers are calibrated");
	AML_TRY(aml_pfa_pipeline_document(pipeline, name, metadata, true, out, err));
	{
		json_object *classes = NULL;
		json_object *cells;

		json_object_object_get_ex(*out, "cells", &cells);
		if (cells != NULL && json_object_object_get_ex(cells, "classes", &classes))
			json_object_object_get_ex(classes, "init", &classes);
		st = aml_pfa_decide(*out, calibration,
							classes != NULL ? (int) json_object_array_length(classes) : 0, err);
	}
	if (st != AML_OK)
	{
		json_object_put(*out);
		*out = NULL;
	}
	return st;
}

AmlStatus
aml_pfa_pipeline_document(json_object *pipeline, const char *name, json_object *metadata,
						  bool proba, json_object **out, AmlError *err)
{
	Builder		b;
	json_object *schema;
	json_object *encoder;
	json_object *steps;
	json_object *est;
	json_object *state;
	const char *type;
	int			p;
	int			n_classes = 0;
	AmlStatus	st;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.proba = proba;
	AML_TRY(aml_json_get(pipeline, "schema", json_type_object, &schema, "pipeline", err));
	AML_TRY(aml_json_get(pipeline, "encoder", json_type_object, &encoder, "pipeline", err));
	AML_TRY(aml_json_get(pipeline, "steps", json_type_array, &steps, "pipeline", err));
	AML_TRY(aml_json_get(pipeline, "estimator", json_type_object, &est, "pipeline", err));
	AML_TRY(aml_json_get_string(est, "type", &type, "estimator", err));
	AML_TRY(aml_json_get(est, "state", json_type_object, &state, "estimator", err));
	AML_TRY(aml_json_get_int(est, "n_features", &p, "estimator", err));
	(void) aml_json_get_int(est, "n_classes", &n_classes, "estimator", err);

	b.doc = json_object_new_object();
	if (b.doc == NULL)
		return aml_error_nomem(err, "a PFA document");
	json_object_object_add(b.doc, "name", json_object_new_string(name));
	b.cells = json_object_new_object();
	b.fcns = json_object_new_object();
	b.action = json_object_new_array();
	json_object_object_add(b.doc, "method", json_object_new_string("map"));

	if ((st = read_schema(&b, schema, err)) != AML_OK ||
		(st = encoder_stage(&b, encoder, err)) != AML_OK ||
		(st = steps_stages(&b, steps, err)) != AML_OK)
		goto fail;
	if (b.width != p)
	{
		st = aml_error(err, AML_ERR_BAD_FORMAT, "the estimator has %d inputs, the steps give %d", p, b.width);
		goto fail;
	}
	feature_vector(&b);
	if (strcmp(type, "linear_regression") == 0 || strcmp(type, "ridge") == 0 ||
		strcmp(type, "lasso") == 0 || strcmp(type, "elastic_net") == 0 ||
		strcmp(type, "logistic_regression") == 0 || strcmp(type, "linear_svm") == 0)
		st = linear_model(&b, state, p, err);
	else if (strcmp(type, "decision_tree") == 0)
		st = tree_model(&b, state, p, b.classification ? n_classes : 1, err);
	else if (strcmp(type, "random_forest") == 0 || strcmp(type, "extra_trees") == 0)
		st = forest_model(&b, state, p, b.classification ? n_classes : 1, err);
	else if (strcmp(type, "gradient_boosting") == 0)
		st = aml_pfa_boosting_model(&b, state, p, err);
	else if (strcmp(type, "gaussian_nb") == 0 || strcmp(type, "bernoulli_nb") == 0 ||
			 strcmp(type, "multinomial_nb") == 0)
		st = aml_pfa_naive_bayes_model(&b, type, state, p, err);
	else if (strcmp(type, "knn") == 0)
	{
		json_object *params = NULL;

		json_object_object_get_ex(est, "params", &params);
		st = aml_pfa_knn_model(&b, params, state, p, err);
	}
	else if (strcmp(type, "kmeans") == 0)
		st = aml_pfa_kmeans_model(&b, state, p, err);
	else
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "PFA export does not support the model family \"%s\"", type);
		st = aml_error_detail(err, "Families exported: " AML_PFA_FAMILIES ".");
	}
	if (st != AML_OK)
		goto fail;
	json_object_object_add(b.doc, "cells", b.cells);
	b.cells = NULL;
	if (json_object_object_length(b.fcns) > 0)
		json_object_object_add(b.doc, "fcns", b.fcns);
	else
		json_object_put(b.fcns);
	b.fcns = NULL;
	json_object_object_add(b.doc, "action", b.action);
	b.action = NULL;
	if (metadata != NULL)
		json_object_object_add(b.doc, "metadata", json_object_get(metadata));
	aml_free(b.inputs);
	*out = b.doc;
	return AML_OK;

fail:
	json_object_put(b.doc);
	json_object_put(b.cells);
	json_object_put(b.fcns);
	json_object_put(b.action);
	aml_free(b.inputs);
	return st;
}
