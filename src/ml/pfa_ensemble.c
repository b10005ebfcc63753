/*
 * pfa_ensemble.c — the AutoML search's weighted ensembles of regressors as
 * one PFA document (pfa_internal.h).
 *
 * Each member pipeline is exported on its own (aml_pfa_from_pipeline), then
 * merged: its cells, functions and record types get the prefix m<i>_ (the
 * generated names are fixed, so they would clash), and its action becomes
 * a "do" block (its own scope) bound to m<i>.  The output is
 * 0 + w_0 * m0 + w_1 * m1 + ..., in the order and with the operations of
 * aml_model_predict_row, the weights normalised as aml_model_ensemble does.
 * Ensembles of classifiers: every member's action ends with its class
 * probabilities (proba mode), averaged the same way with la.scale / la.add;
 * then the ensemble's calibrator and decision (pfa_calibrate.c).
 */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "ml/pfa.h"
#include "ml/pfa_internal.h"

/* the record types the exporter defines (pfa.c, pfa_models.c) */
static const char *const record_names[] = {
	"TreeNode", "LinearModel", "BoostedOutput", "GaussianClass", "Gaussian", "Point", "Cluster", NULL
};

static bool
is_record_name(const char *s)
{
	for (int i = 0; record_names[i]; i++)
		if (strcmp(record_names[i], s) == 0)
			return true;
	return false;
}

static json_object *
prefixed(const char *prefix, const char *s)
{
	char		buf[256];

	snprintf(buf, sizeof(buf), "%s%s", prefix, s);
	return json_object_new_string(buf);
}

/*
 * A copy of v with record type names, cell references, u.* function names
 * prefixed (u.f -> u.<prefix>f).  String literals ({"string": ...}) are kept.
 */
static json_object *
rename_tree(json_object *v, const char *prefix)
{
	switch (json_object_get_type(v))
	{
		case json_type_string:
			{
				const char *s = json_object_get_string(v);

				if (is_record_name(s))
					return prefixed(prefix, s);
				return json_object_get(v);
			}
		case json_type_array:
			{
				json_object *a = json_object_new_array();
				int			n = (int) json_object_array_length(v);

				for (int i = 0; i < n; i++)
					json_object_array_add(a, rename_tree(json_object_array_get_idx(v, i), prefix));
				return a;
			}
		case json_type_object:
			{
				json_object *o = json_object_new_object();

				json_object_object_foreach(v, key, val)
				{
					char		k[256];

					if (strcmp(key, "string") == 0)
						json_object_object_add(o, key, json_object_get(val));
					else if (strcmp(key, "cell") == 0 && json_object_is_type(val, json_type_string))
						json_object_object_add(o, key, prefixed(prefix, json_object_get_string(val)));
					else if (strcmp(key, "fcn") == 0 && json_object_is_type(val, json_type_string) &&
							 strncmp(json_object_get_string(val), "u.", 2) == 0)
					{
						snprintf(k, sizeof(k), "u.%s%s", prefix, json_object_get_string(val) + 2);
						json_object_object_add(o, key, json_object_new_string(k));
					}
					else
					{
						if (strncmp(key, "u.", 2) == 0)
							snprintf(k, sizeof(k), "u.%s%s", prefix, key + 2);
						else if (is_record_name(key))
							snprintf(k, sizeof(k), "%s%s", prefix, key);
						else
							snprintf(k, sizeof(k), "%s", key);
						json_object_object_add(o, k, rename_tree(val, prefix));
					}
				}
				return o;
			}
		default:
			return json_object_get(v);
	}
}

/* cells: the record types renamed; the initial values as they are, but union branch keys */
static void
merge_named(json_object *into, json_object *from, const char *prefix, bool cells)
{
	if (from == NULL)
		return;
	json_object_object_foreach(from, key, val)
	{
		char		k[256];
		json_object *copy;

		snprintf(k, sizeof(k), "%s%s", prefix, key);
		if (cells)
		{
			json_object *type = NULL;
			json_object *init = NULL;

			json_object_object_get_ex(val, "type", &type);
			json_object_object_get_ex(val, "init", &init);
			copy = json_object_new_object();
			json_object_object_add(copy, "type", rename_tree(type, prefix));
			/* string arrays (categories, classes) keep their values */
			json_object_object_add(copy, "init",
								   json_object_is_type(type, json_type_object) &&
								   json_object_get_string(type) != NULL &&
								   strstr(json_object_get_string(type), "\"string\"") != NULL
								   ? json_object_get(init) : rename_tree(init, prefix));
		}
		else
			copy = rename_tree(val, prefix);
		json_object_object_add(into, k, copy);
	}
}

AmlStatus
aml_pfa_from_ensemble(json_object *model, const char *name, json_object *metadata,
					  json_object **out, AmlError *err)
{
	json_object *members;
	json_object *doc = NULL;
	json_object *cells;
	json_object *fcns;
	json_object *action;
	json_object *sum = NULL;
	json_object *calibration = NULL;
	json_object *classes = NULL;
	double		total = 0;
	bool		classifier = false;
	int			n;

	*out = NULL;
	if (json_object_object_get_ex(model, "schema", &members))
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "an ensemble whose members have different inputs (cross-site AutoML) has no PFA export");
	AML_TRY(aml_json_get(model, "members", json_type_array, &members, "ensemble", err));
	n = (int) json_object_array_length(members);
	if (n < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "an ensemble without members");
	/* aml_model_ensemble: weights divided by their sum (in member order) */
	for (int i = 0; i < n; i++)
	{
		double		w;

		AML_TRY(aml_json_get_double(json_object_array_get_idx(members, i), "weight", &w, "ensemble member", err));
		if (!(w > 0))
			return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble weights must be positive");
		total += w;
	}
	if (json_object_object_get_ex(model, "calibration", &calibration) && json_object_is_type(calibration, json_type_null))
		calibration = NULL;
	cells = json_object_new_object();
	fcns = json_object_new_object();
	action = json_object_new_array();
	for (int i = 0; i < n; i++)
	{
		json_object *e = json_object_array_get_idx(members, i);
		json_object *pipeline;
		json_object *schema;
		json_object *d;
		json_object *part;
		json_object *v;
		const char *task;
		double		w;
		char		prefix[16];
		char		var[16];
		AmlStatus	st;

		if ((st = aml_json_get_double(e, "weight", &w, "ensemble member", err)) != AML_OK ||
			(st = aml_json_get(e, "pipeline", json_type_object, &pipeline, "ensemble member", err)) != AML_OK ||
			(st = aml_json_get(pipeline, "schema", json_type_object, &schema, "ensemble member", err)) != AML_OK ||
			(st = aml_json_get_string(schema, "task", &task, "ensemble member", err)) != AML_OK)
			goto fail;
		w /= total;
		if (i == 0)
			classifier = strcmp(task, "classification") == 0;
		if (classifier != (strcmp(task, "classification") == 0) ||
			(!classifier && strcmp(task, "regression") != 0))
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members do not fit together");
			goto fail;
		}
		if (classifier && !aml_pfa_probabilistic(pipeline))
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "an ensemble of classifiers needs probabilistic members");
			goto fail;
		}
		if (json_object_object_get_ex(pipeline, "calibration", NULL))
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "an ensemble member carries a calibrator");
			goto fail;
		}
		if (calibration != NULL && !classifier)
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "only classifiers are calibrated");
			goto fail;
		}
		if ((st = aml_pfa_pipeline_document(pipeline, name, NULL, classifier, &d, err)) != AML_OK)
			goto fail;
		if (classifier)
		{
			json_object *mc = NULL;
			json_object *cl = NULL;
			json_object *out_type = NULL;

			json_object_object_get_ex(d, "output", &out_type);
			if (json_object_object_get_ex(d, "cells", &mc) && json_object_object_get_ex(mc, "classes", &cl))
				json_object_object_get_ex(cl, "init", &cl);
			if (cl == NULL || (classes != NULL && !json_object_equal(classes, cl)) ||
				!json_object_is_type(out_type, json_type_object))
			{
				json_object_put(d);
				aml_error(err, AML_ERR_BAD_FORMAT, "the members of the ensemble have different classes");
				aml_error_detail(err, "An ensemble of classifiers averages class probabilities: every member must be probabilistic and have the same classes.");
				goto fail;
			}
			if (classes == NULL)
				classes = json_object_get(cl);
		}
		if (doc == NULL)
		{
			doc = json_object_new_object();
			json_object_object_add(doc, "name", json_object_new_string(name));
			json_object_object_get_ex(d, "input", &v);
			json_object_object_add(doc, "input", json_object_get(v));
			json_object_object_add(doc, "output", json_object_new_string(classifier ? "string" : "double"));
			json_object_object_add(doc, "method", json_object_new_string("map"));
		}
		else
		{
			json_object *first;

			json_object_object_get_ex(doc, "input", &first);
			json_object_object_get_ex(d, "input", &v);
			if (!json_object_equal(first, v))
			{
				json_object_put(d);
				aml_error(err, AML_ERR_BAD_FORMAT, "the members of the ensemble have different inputs");
				goto fail;
			}
		}
		snprintf(prefix, sizeof(prefix), "m%d_", i);
		json_object_object_get_ex(d, "cells", &v);
		merge_named(cells, v, prefix, true);
		v = NULL;
		json_object_object_get_ex(d, "fcns", &v);
		merge_named(fcns, v, prefix, false);
		json_object_object_get_ex(d, "action", &v);
		part = call1("do", rename_tree(v, prefix));
		json_object_put(d);
		snprintf(var, sizeof(var), "m%d", i);
		{
			json_object *st1 = json_object_new_object();
			json_object *l = json_object_new_object();

			json_object_object_add(l, var, part);
			json_object_object_add(st1, "let", l);
			json_object_array_add(action, st1);
		}
		/* out = 0; out += w_i * member_i, in member order (0 + x is x for the first) */
		if (!classifier)
			sum = call2("+", sum != NULL ? sum : dbl(0), call2("*", dbl(w), sym(var)));
		else if (sum == NULL)
			sum = call2("la.scale", sym(var), dbl(w));
		else
			sum = call2("la.add", sum, call2("la.scale", sym(var), dbl(w)));
	}
	json_object_array_add(action, sum);
	sum = NULL;
	json_object_object_add(doc, "cells", cells);
	cells = NULL;
	if (classifier)
	{
		json_object *cc = json_object_new_object();

		json_object_object_add(cc, "type", array_type(json_object_new_string("string")));
		json_object_object_add(cc, "init", json_object_get(classes));
		json_object_object_get_ex(doc, "cells", &cells);
		json_object_object_add(cells, "classes", cc);
		cells = NULL;
	}
	if (json_object_object_length(fcns) > 0)
		json_object_object_add(doc, "fcns", fcns);
	else
		json_object_put(fcns);
	fcns = NULL;
	json_object_object_add(doc, "action", action);
	action = NULL;
	if (classifier &&
		aml_pfa_decide(doc, calibration, (int) json_object_array_length(classes), err) != AML_OK)
		goto fail;
	if (metadata != NULL)
		json_object_object_add(doc, "metadata", json_object_get(metadata));
	json_object_put(classes);
	*out = doc;
	return AML_OK;

fail:
	json_object_put(doc);
	json_object_put(cells);
	json_object_put(fcns);
	json_object_put(action);
	json_object_put(sum);
	json_object_put(classes);
	return err->status;
}
