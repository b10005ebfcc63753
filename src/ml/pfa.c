/*
 * pfa.c — a stored pipeline as a PFA 0.8.1 document (pfa.h): the
 * expression constructors (pfa_internal.h), the linear models, trees and
 * forests, and the entry that assembles the document.
 *
 * The action is a list of let-bindings: the input record and the stages up
 * to x, the estimator's input (array<double>), are pfa_steps.c's; then the
 * estimator's part (here, or pfa_models.c for the other families).  Numbers
 * are written exactly (core/json.h).
 */
#include <float.h>
#include <math.h>
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

AmlStatus
get_doubles(json_object *obj, const char *key, double **out, int *n, AmlError *err)
{
	return aml_json_get_double_vector(obj, key, out, n, "PFA export", err);
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

	if ((st = aml_pfa_input_stages(&b, schema, encoder, steps, p, err)) != AML_OK)
		goto fail;
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
