/*
 * space.c — search spaces: the built-in ones and those from a jsonb document
 * (see space.h; genomes are in genome.c, the portfolio in portfolio.c).
 */
#include "search/space.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/transformer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BOTH (AML_TASK_CLASSIFICATION | AML_TASK_REGRESSION)
#define CLS AML_TASK_CLASSIFICATION
#define REG AML_TASK_REGRESSION

/* ------------------------------------------------------------ building spaces */

static AmlOperator *
add_op(AmlSearchSpace *s, const char *name, AmlSlot slot, unsigned tasks, const char *fixed)
{
	AmlOperator *op;

	if (s->n_ops >= AML_MAX_OPERATORS)
		return NULL;
	op = &s->ops[s->n_ops++];
	memset(op, 0, sizeof(*op));
	snprintf(op->name, sizeof(op->name), "%s", name);
	op->slot = slot;
	op->tasks = tasks;
	snprintf(op->fixed, sizeof(op->fixed), "%s", fixed ? fixed : "");
	return op;
}

static AmlDomain *
add_domain(AmlOperator *op, const char *param, AmlDomainType type)
{
	AmlDomain  *d;

	if (op == NULL || op->n_domains >= AML_MAX_DOMAINS)
		return NULL;
	d = &op->domains[op->n_domains++];
	memset(d, 0, sizeof(*d));
	snprintf(d->param, sizeof(d->param), "%s", param);
	d->type = type;
	return d;
}

static void
dom_range(AmlOperator *op, const char *param, AmlDomainType type, double lo, double hi, bool log)
{
	AmlDomain  *d = add_domain(op, param, type);

	if (d == NULL)
		return;
	d->lo = lo;
	d->hi = hi;
	d->log = log;
}

static void
dom_choice(AmlOperator *op, const char *param, const char *a, const char *b, const char *c)
{
	AmlDomain  *d = add_domain(op, param, AML_DOMAIN_CHOICE);
	const char *list[3] = {a, b, c};

	if (d == NULL)
		return;
	for (int i = 0; i < 3; i++)
		if (list[i] != NULL)
			snprintf(d->choices[d->n_choices++], sizeof(d->choices[0]), "%s", list[i]);
}

static void
dom_bool(AmlOperator *op, const char *param)
{
	add_domain(op, param, AML_DOMAIN_BOOL);
}

static void
add_preprocessing(AmlSearchSpace *s, bool light)
{
	AmlOperator *op;

	op = add_op(s, "simple_imputer", AML_SLOT_IMPUTER, BOTH, NULL);
	dom_choice(op, "strategy", "median", "mean", "most_frequent");
	dom_bool(op, "add_indicator");
	add_op(s, "standard_scaler", AML_SLOT_SCALER, BOTH, NULL);
	add_op(s, "minmax_scaler", AML_SLOT_SCALER, BOTH, NULL);
	add_op(s, "maxabs_scaler", AML_SLOT_SCALER, BOTH, NULL);
	add_op(s, "robust_scaler", AML_SLOT_SCALER, BOTH, NULL);
	op = add_op(s, "normalizer", AML_SLOT_SCALER, BOTH, NULL);
	dom_choice(op, "norm", "l2", "l1", "max");
	op = add_op(s, "variance_threshold", AML_SLOT_SELECTOR, BOTH, NULL);
	dom_range(op, "threshold", AML_DOMAIN_DOUBLE, 1e-4, 0.05, true);
	op = add_op(s, "select_percentile", AML_SLOT_SELECTOR, BOTH, NULL);
	dom_range(op, "percentile", AML_DOMAIN_DOUBLE, 10, 90, false);
	op = add_op(s, "select_fwe", AML_SLOT_SELECTOR, BOTH, NULL);
	dom_range(op, "alpha", AML_DOMAIN_DOUBLE, 0.001, 0.05, true);
	op = add_op(s, "pca", AML_SLOT_TRANSFORM, BOTH, NULL);
	dom_range(op, "n_components", AML_DOMAIN_DOUBLE, 0.5, 0.99, false);
	dom_bool(op, "whiten");
	op = add_op(s, "binarizer", AML_SLOT_TRANSFORM, BOTH, NULL);
	dom_range(op, "threshold", AML_DOMAIN_DOUBLE, -1, 1, false);
	if (!light)
	{
		op = add_op(s, "polynomial_features", AML_SLOT_TRANSFORM, BOTH, "{\"max_output_features\": 2000}");
		dom_bool(op, "interaction_only");
	}
}

static void
add_estimators(AmlSearchSpace *s, bool light)
{
	AmlOperator *op;

	/* classification */
	op = add_op(s, "logistic_regression", AML_SLOT_ESTIMATOR, CLS, "{\"max_iter\": 300}");
	dom_range(op, "C", AML_DOMAIN_DOUBLE, 1e-3, 100, true);
	dom_choice(op, "penalty", "l2", "l1", NULL);
	dom_choice(op, "class_weight", "none", "balanced", NULL);
	op = add_op(s, "gaussian_nb", AML_SLOT_ESTIMATOR, CLS, NULL);
	dom_range(op, "var_smoothing", AML_DOMAIN_DOUBLE, 1e-12, 1e-3, true);
	op = add_op(s, "bernoulli_nb", AML_SLOT_ESTIMATOR, CLS, NULL);
	dom_range(op, "alpha", AML_DOMAIN_DOUBLE, 1e-3, 10, true);
	dom_range(op, "binarize", AML_DOMAIN_DOUBLE, -1, 1, false);
	dom_bool(op, "fit_prior");
	op = add_op(s, "multinomial_nb", AML_SLOT_ESTIMATOR, CLS, NULL);
	dom_range(op, "alpha", AML_DOMAIN_DOUBLE, 1e-3, 10, true);
	dom_bool(op, "fit_prior");
	op = add_op(s, "decision_tree", AML_SLOT_ESTIMATOR, CLS, NULL);
	dom_range(op, "max_depth", AML_DOMAIN_INT, 2, 20, false);
	dom_range(op, "min_samples_leaf", AML_DOMAIN_INT, 1, 50, true);
	dom_choice(op, "criterion", "gini", "entropy", NULL);
	op = add_op(s, "knn", AML_SLOT_ESTIMATOR, BOTH, NULL);
	dom_range(op, "n_neighbors", AML_DOMAIN_INT, 1, 50, true);
	dom_choice(op, "weights", "uniform", "distance", NULL);
	dom_choice(op, "metric", "euclidean", "manhattan", NULL);
	/* regression */
	add_op(s, "linear_regression", AML_SLOT_ESTIMATOR, REG, NULL);
	op = add_op(s, "ridge", AML_SLOT_ESTIMATOR, REG, NULL);
	dom_range(op, "alpha", AML_DOMAIN_DOUBLE, 1e-3, 1e3, true);
	op = add_op(s, "lasso", AML_SLOT_ESTIMATOR, REG, "{\"max_iter\": 2000}");
	dom_range(op, "alpha", AML_DOMAIN_DOUBLE, 1e-4, 10, true);
	op = add_op(s, "elastic_net", AML_SLOT_ESTIMATOR, REG, "{\"max_iter\": 2000}");
	dom_range(op, "alpha", AML_DOMAIN_DOUBLE, 1e-4, 10, true);
	dom_range(op, "l1_ratio", AML_DOMAIN_DOUBLE, 0.05, 0.95, false);
	op = add_op(s, "decision_tree", AML_SLOT_ESTIMATOR, REG, NULL);
	dom_range(op, "max_depth", AML_DOMAIN_INT, 2, 20, false);
	dom_range(op, "min_samples_leaf", AML_DOMAIN_INT, 1, 50, true);
	if (light)
		return;
	op = add_op(s, "linear_svm", AML_SLOT_ESTIMATOR, CLS, NULL);
	dom_range(op, "C", AML_DOMAIN_DOUBLE, 1e-3, 10, true);
	dom_choice(op, "loss", "squared_hinge", "hinge", NULL);
	for (int kind = 0; kind < 2; kind++)
	{
		const char *name = kind == 0 ? "random_forest" : "extra_trees";

		op = add_op(s, name, AML_SLOT_ESTIMATOR, CLS, NULL);
		dom_range(op, "n_estimators", AML_DOMAIN_INT, 50, 300, true);
		dom_range(op, "max_features_fraction", AML_DOMAIN_DOUBLE, 0.05, 1.0, false);
		dom_range(op, "min_samples_leaf", AML_DOMAIN_INT, 1, 20, true);
		dom_choice(op, "criterion", "gini", "entropy", NULL);
		dom_bool(op, "bootstrap");
		op = add_op(s, name, AML_SLOT_ESTIMATOR, REG, NULL);
		dom_range(op, "n_estimators", AML_DOMAIN_INT, 50, 300, true);
		dom_range(op, "max_features_fraction", AML_DOMAIN_DOUBLE, 0.05, 1.0, false);
		dom_range(op, "min_samples_leaf", AML_DOMAIN_INT, 1, 20, true);
		dom_bool(op, "bootstrap");
	}
	op = add_op(s, "gradient_boosting", AML_SLOT_ESTIMATOR, CLS, NULL);
	dom_range(op, "learning_rate", AML_DOMAIN_DOUBLE, 0.01, 0.3, true);
	dom_range(op, "max_iter", AML_DOMAIN_INT, 50, 500, true);
	dom_range(op, "max_leaf_nodes", AML_DOMAIN_INT, 4, 64, true);
	dom_range(op, "min_samples_leaf", AML_DOMAIN_INT, 2, 100, true);
	dom_range(op, "l2_regularization", AML_DOMAIN_DOUBLE, 1e-3, 10, true);
	dom_range(op, "subsample", AML_DOMAIN_DOUBLE, 0.5, 1.0, false);
	op = add_op(s, "gradient_boosting", AML_SLOT_ESTIMATOR, REG, NULL);
	dom_range(op, "learning_rate", AML_DOMAIN_DOUBLE, 0.01, 0.3, true);
	dom_range(op, "max_iter", AML_DOMAIN_INT, 50, 500, true);
	dom_range(op, "max_leaf_nodes", AML_DOMAIN_INT, 4, 64, true);
	dom_range(op, "min_samples_leaf", AML_DOMAIN_INT, 2, 100, true);
	dom_range(op, "l2_regularization", AML_DOMAIN_DOUBLE, 1e-3, 10, true);
	dom_range(op, "subsample", AML_DOMAIN_DOUBLE, 0.5, 1.0, false);
	dom_choice(op, "loss", "squared_error", "huber", NULL);
}

/* Drop operators of the other task or not linked in; fill flags from the registry. */
static AmlStatus
finish_space(AmlSearchSpace *s, AmlError *err)
{
	int			kept = 0;

	for (int i = 0; i < s->n_ops; i++)
	{
		AmlOperator *op = &s->ops[i];

		if ((op->tasks & (unsigned) s->task) == 0)
			continue;
		if (op->slot == AML_SLOT_ESTIMATOR)
		{
			const AmlEstimatorType *t = aml_estimator_type_find(op->name);

			if (t == NULL || (t->tasks & (unsigned) s->task) == 0)
				continue;
			op->handles_missing = t->handles_missing;
			op->accepts_missing = t->handles_missing;
			op->needs_minmax = t->needs_nonnegative;
			op->probabilistic = t->probabilistic;
		}
		else
		{
			const AmlTransformerType *t = aml_transformer_type_find(op->name);

			if (t == NULL)
				continue;
			op->accepts_missing = t->accepts_missing;
		}
		if (kept != i)
			s->ops[kept] = *op;
		kept++;
	}
	s->n_ops = kept;
	if (aml_space_estimator_count(s) == 0)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "the search space allows no estimator for %s",
				  aml_task_name(s->task));
		return aml_error_hint(err, "List at least one %s algorithm under \"estimators\".",
							  aml_task_name(s->task));
	}
	return AML_OK;
}

AmlStatus
aml_space_builtin(const char *name, AmlTask task, AmlSearchSpace **out, AmlError *err)
{
	AmlSearchSpace *s;
	bool		light;

	*out = NULL;
	if (strcmp(name, "default") == 0)
		light = false;
	else if (strcmp(name, "light") == 0)
		light = true;
	else
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown search space \"%s\"", name);
		return aml_error_hint(err, "Use 'default', 'light', or a jsonb document listing operators.");
	}
	s = AML_NEW(AmlSearchSpace);
	if (s == NULL)
		return aml_error_nomem(err, "a search space");
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->task = task;
	s->allow_onehot = true;
	s->allow_ordinal = true;
	add_estimators(s, light);
	add_preprocessing(s, light);
	if (finish_space(s, err) != AML_OK)
	{
		aml_free(s);
		return err->status;
	}
	*out = s;
	return AML_OK;
}

void
aml_space_free(AmlSearchSpace *space)
{
	aml_free(space);
}

int
aml_space_find(const AmlSearchSpace *space, const char *name)
{
	for (int i = 0; i < space->n_ops; i++)
		if (strcmp(space->ops[i].name, name) == 0)
			return i;
	return -1;
}

int
aml_space_estimator_count(const AmlSearchSpace *space)
{
	int			n = 0;

	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == AML_SLOT_ESTIMATOR)
			n++;
	return n;
}

/* ------------------------------------------------------------ jsonb spaces */

const AmlParamSpec *
aml_operator_param_spec(const AmlOperator *op, const char *param)
{
	if (op->slot == AML_SLOT_ESTIMATOR)
	{
		const AmlEstimatorType *t = aml_estimator_type_find(op->name);

		return t ? aml_params_find(&t->params, param) : NULL;
	}
	else
	{
		const AmlTransformerType *t = aml_transformer_type_find(op->name);

		return t ? aml_params_find(&t->params, param) : NULL;
	}
}

static AmlStatus
parse_domain(AmlOperator *op, const char *param, json_object *v, AmlError *err)
{
	const AmlParamSpec *spec = aml_operator_param_spec(op, param);
	AmlDomain	d;
	json_type	t = json_object_get_type(v);

	if (spec == NULL)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "unknown hyperparameter \"%s\" for %s in the search space", param, op->name);
	memset(&d, 0, sizeof(d));
	snprintf(d.param, sizeof(d.param), "%s", param);
	if (spec->type == AML_PARAM_CHOICE)
	{
		d.type = AML_DOMAIN_CHOICE;
		if (t == json_type_string)
			snprintf(d.choices[d.n_choices++], sizeof(d.choices[0]), "%s", json_object_get_string(v));
		else if (t == json_type_array)
		{
			int			n = (int) json_object_array_length(v);

			for (int i = 0; i < n && d.n_choices < AML_MAX_CHOICES; i++)
			{
				json_object *e = json_object_array_get_idx(v, i);

				if (!json_object_is_type(e, json_type_string))
					return aml_error(err, AML_ERR_INVALID_PARAMETER,
									 "choices of \"%s\" for %s must be strings", param, op->name);
				snprintf(d.choices[d.n_choices++], sizeof(d.choices[0]), "%s", json_object_get_string(e));
			}
		}
		else
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "\"%s\" for %s must be a string or a list of strings", param, op->name);
		for (int i = 0; i < d.n_choices; i++)
		{
			bool		ok = false;

			for (int c = 0; spec->choices[c] != NULL; c++)
				if (strcmp(spec->choices[c], d.choices[i]) == 0)
					ok = true;
			if (!ok)
				return aml_error(err, AML_ERR_INVALID_PARAMETER,
								 "invalid value \"%s\" for hyperparameter \"%s\" of %s in the search space",
								 d.choices[i], param, op->name);
		}
	}
	else if (spec->type == AML_PARAM_BOOL)
	{
		d.type = AML_DOMAIN_BOOL;
		if (t == json_type_boolean)
		{
			d.type = AML_DOMAIN_DOUBLE;	/* fixed */
			d.lo = d.hi = json_object_get_boolean(v);
		}
		else if (t != json_type_array)
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "\"%s\" for %s must be true, false or [true, false]", param, op->name);
	}
	else
	{
		d.type = spec->type == AML_PARAM_INT ? AML_DOMAIN_INT : AML_DOMAIN_DOUBLE;
		if (t == json_type_int || t == json_type_double)
			d.lo = d.hi = json_object_get_double(v);
		else if (t == json_type_array && json_object_array_length(v) == 2 &&
				 aml_json_as_double(json_object_array_get_idx(v, 0), &d.lo) &&
				 aml_json_as_double(json_object_array_get_idx(v, 1), &d.hi))
			;
		else if (t == json_type_object &&
				 aml_json_get_double(v, "min", &d.lo, "range", err) == AML_OK &&
				 aml_json_get_double(v, "max", &d.hi, "range", err) == AML_OK)
		{
			json_object *lg;

			if (json_object_object_get_ex(v, "log", &lg))
				d.log = json_object_get_boolean(lg);
		}
		else
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "\"%s\" for %s must be a number, [min, max] or {\"min\", \"max\", \"log\"}",
							 param, op->name);
		if (!(d.lo <= d.hi))
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "range of \"%s\" for %s is empty", param, op->name);
		if (d.log && d.lo <= 0)
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "a log range of \"%s\" for %s must be positive", param, op->name);
		/* both ends must be valid values of the hyperparameter */
		{
			char		buf[64];
			void	   *params;
			const AmlParamTable *table;

			if (op->slot == AML_SLOT_ESTIMATOR)
				table = &aml_estimator_type_find(op->name)->params;
			else
				table = &aml_transformer_type_find(op->name)->params;
			params = aml_params_new(table);
			if (params == NULL)
				return aml_error_nomem(err, "a search space");
			for (int end = 0; end < 2; end++)
			{
				double		x = end ? d.hi : d.lo;

				if (spec->type == AML_PARAM_INT)
					aml_param_set_int(spec, params, (int) x);
				else
					aml_param_set_double(spec, params, x);
				if (aml_param_check(spec, params, op->name, err) != AML_OK)
				{
					aml_free(params);
					snprintf(buf, sizeof(buf), "%g", x);
					return err->status;
				}
			}
			aml_free(params);
		}
	}
	/* replace a built-in domain of the same name, or add */
	for (int i = 0; i < op->n_domains; i++)
		if (strcmp(op->domains[i].param, param) == 0)
		{
			op->domains[i] = d;
			return AML_OK;
		}
	if (op->n_domains >= AML_MAX_DOMAINS)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "too many hyperparameters for %s", op->name);
	op->domains[op->n_domains++] = d;
	return AML_OK;
}

static AmlStatus
add_listed(AmlSearchSpace *s, const AmlSearchSpace *builtin, json_object *list, bool estimators,
		   AmlError *err)
{
	if (list == NULL)
		return AML_OK;
	if (!json_object_is_type(list, json_type_object))
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "\"%s\" of a search space must be an object of operator: {hyperparameter ranges}",
						 estimators ? "estimators" : "preprocessing");
	json_object_object_foreach(list, name, ranges)
	{
		int			b = aml_space_find(builtin, name);
		AmlOperator *op;

		if (estimators)
		{
			const AmlEstimatorType *t = aml_estimator_type_find(name);

			if (t == NULL)
				return aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown algorithm \"%s\" in the search space", name);
			if ((t->tasks & (unsigned) s->task) == 0)
				continue;		/* an estimator of the other task: ignored */
		}
		else
		{
			const AmlTransformerType *t = aml_transformer_type_find(name);
			AmlSlot		slot;

			if (t == NULL)
				return aml_error(err, AML_ERR_INVALID_PARAMETER,
								 "unknown preprocessing step \"%s\" in the search space", name);
			slot = t->role == AML_ROLE_IMPUTER ? AML_SLOT_IMPUTER :
				t->role == AML_ROLE_SCALER ? AML_SLOT_SCALER :
				t->role == AML_ROLE_SELECTOR ? AML_SLOT_SELECTOR : AML_SLOT_TRANSFORM;
			if (b >= 0 && builtin->ops[b].slot != slot)
				b = -1;
			if (b < 0)
			{
				if (add_op(s, name, slot, BOTH, NULL) == NULL)
					return aml_error(err, AML_ERR_INVALID_PARAMETER, "too many operators in the search space");
			}
		}
		if (b >= 0 && (estimators ? builtin->ops[b].slot == AML_SLOT_ESTIMATOR : true))
		{
			if (s->n_ops >= AML_MAX_OPERATORS)
				return aml_error(err, AML_ERR_INVALID_PARAMETER, "too many operators in the search space");
			s->ops[s->n_ops++] = builtin->ops[b];
		}
		else if (estimators && add_op(s, name, AML_SLOT_ESTIMATOR, (unsigned) s->task, NULL) == NULL)
			return aml_error(err, AML_ERR_INVALID_PARAMETER, "too many operators in the search space");
		op = &s->ops[s->n_ops - 1];
		if (ranges != NULL && json_object_is_type(ranges, json_type_object))
		{
			json_object_object_foreach(ranges, param, v)
				AML_TRY(parse_domain(op, param, v, err));
		}
		else if (ranges != NULL && !json_object_is_type(ranges, json_type_null))
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "hyperparameter ranges of %s must be an object", name);
	}
	return AML_OK;
}

AmlStatus
aml_space_from_json(json_object *doc, AmlTask task, AmlSearchSpace **out, AmlError *err)
{
	AmlSearchSpace *builtin;
	AmlSearchSpace *s;
	json_object *v;

	*out = NULL;
	if (doc == NULL || !json_object_is_type(doc, json_type_object))
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "a search space must be a JSON object");
	json_object_object_foreach(doc, key, val)
	{
		(void) val;
		if (strcmp(key, "estimators") != 0 && strcmp(key, "preprocessing") != 0 &&
			strcmp(key, "encodings") != 0)
		{
			aml_error(err, AML_ERR_INVALID_PARAMETER, "unknown key \"%s\" in the search space", key);
			return aml_error_detail(err, "A search space has \"estimators\", \"preprocessing\" and \"encodings\".");
		}
	}
	AML_TRY(aml_space_builtin("default", task, &builtin, err));
	s = AML_NEW(AmlSearchSpace);
	if (s == NULL)
	{
		aml_space_free(builtin);
		return aml_error_nomem(err, "a search space");
	}
	snprintf(s->name, sizeof(s->name), "custom");
	s->task = task;
	s->allow_onehot = true;
	s->allow_ordinal = true;
	if (!json_object_object_get_ex(doc, "estimators", &v) || v == NULL)
	{
		aml_space_free(builtin);
		aml_space_free(s);
		aml_error(err, AML_ERR_INVALID_PARAMETER, "the search space lists no estimators");
		return aml_error_hint(err, "Add \"estimators\": {\"random_forest\": {}, ...}.");
	}
	if (add_listed(s, builtin, v, true, err) != AML_OK ||
		(json_object_object_get_ex(doc, "preprocessing", &v) &&
		 add_listed(s, builtin, v, false, err) != AML_OK))
	{
		aml_space_free(builtin);
		aml_space_free(s);
		return err->status;
	}
	if (json_object_object_get_ex(doc, "encodings", &v) && v != NULL)
	{
		int			n = json_object_is_type(v, json_type_array) ? (int) json_object_array_length(v) : -1;

		s->allow_onehot = s->allow_ordinal = false;
		for (int i = 0; i < n; i++)
		{
			const char *e = json_object_get_string(json_object_array_get_idx(v, i));

			if (e && strcmp(e, "onehot") == 0)
				s->allow_onehot = true;
			else if (e && strcmp(e, "ordinal") == 0)
				s->allow_ordinal = true;
			else
				n = -1;
		}
		if (n <= 0)
		{
			aml_space_free(builtin);
			aml_space_free(s);
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "\"encodings\" must be a non-empty list of \"onehot\" and \"ordinal\"");
		}
	}
	aml_space_free(builtin);
	if (finish_space(s, err) != AML_OK)
	{
		aml_space_free(s);
		return err->status;
	}
	*out = s;
	return AML_OK;
}

