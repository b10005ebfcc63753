/*
 * space.c — search spaces, genomes and the portfolio (see space.h).
 */
#include "search/space.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/transformer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double min_frequencies[] = {0.0, 0.01, 0.05};

#define N_MIN_FREQ 3
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

static const AmlParamSpec *
param_spec_of(const AmlOperator *op, const char *param)
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
	const AmlParamSpec *spec = param_spec_of(op, param);
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

/* ------------------------------------------------------------ genomes */

static double
round_sig(double x, int digits)
{
	double		scale;

	if (x == 0 || !isfinite(x))
		return x;
	scale = pow(10, digits - 1 - (int) floor(log10(fabs(x))));
	return round(x * scale) / scale;
}

static double
sample_value(const AmlDomain *d, AmlRng *rng)
{
	switch (d->type)
	{
		case AML_DOMAIN_CHOICE:
			return (double) aml_rng_below(rng, (uint64_t) (d->n_choices > 0 ? d->n_choices : 1));
		case AML_DOMAIN_BOOL:
			return (double) aml_rng_below(rng, 2);
		case AML_DOMAIN_INT:
			{
				double		x;

				if (d->lo == d->hi)
					return d->lo;
				if (d->log && d->lo > 0)
					x = floor(exp(log(d->lo) + aml_rng_uniform(rng) * (log(d->hi + 1) - log(d->lo))));
				else
					x = d->lo + floor(aml_rng_uniform(rng) * (d->hi - d->lo + 1));
				return fmin(fmax(x, d->lo), d->hi);
			}
		case AML_DOMAIN_DOUBLE:
			if (d->lo == d->hi)
				return d->lo;
			if (d->log && d->lo > 0)
				return fmin(fmax(round_sig(exp(log(d->lo) + aml_rng_uniform(rng) *
												(log(d->hi) - log(d->lo))), 3), d->lo), d->hi);
			return fmin(fmax(round_sig(d->lo + aml_rng_uniform(rng) * (d->hi - d->lo), 3), d->lo), d->hi);
	}
	return 0;
}

/* A value near x: a step of about a sixth of the (log) range. */
static double
perturb_value(const AmlDomain *d, AmlRng *rng, double x)
{
	double		step = aml_rng_normal(rng) / 6.0;

	if (isnan(x))				/* unset: draw a value */
		return sample_value(d, rng);
	switch (d->type)
	{
		case AML_DOMAIN_CHOICE:
		case AML_DOMAIN_BOOL:
			return sample_value(d, rng);
		case AML_DOMAIN_INT:
		case AML_DOMAIN_DOUBLE:
			{
				double		y;

				if (d->lo == d->hi)
					return d->lo;
				if (d->log && d->lo > 0 && x > 0)
					y = exp(log(x) + step * (log(d->hi) - log(d->lo)));
				else
					y = x + step * (d->hi - d->lo);
				y = fmin(fmax(y, d->lo), d->hi);
				if (d->type == AML_DOMAIN_INT)
				{
					y = round(y);
					if (y == x)	/* move at least one step */
						y = fmin(fmax(x + (step >= 0 ? 1 : -1), d->lo), d->hi);
					return y;
				}
				return round_sig(y, 3);
			}
	}
	return x;
}

static void
random_gene(const AmlSearchSpace *space, int op, AmlRng *rng, AmlGene *g)
{
	memset(g, 0, sizeof(*g));
	g->op = op;
	if (op < 0)
		return;
	for (int i = 0; i < space->ops[op].n_domains; i++)
		g->v[i] = sample_value(&space->ops[op].domains[i], rng);
}

/*
 * The value of a domain that stands for the hyperparameter's own default;
 * NaN ("leave it unset") when that default lies outside the domain (e.g.
 * max_features=sqrt for a max_features_fraction range).
 */
static double
default_value(const AmlOperator *op, const AmlDomain *d)
{
	const AmlParamSpec *spec = param_spec_of(op, d->param);
	double		x;

	if (spec == NULL)
		return NAN;
	switch (d->type)
	{
		case AML_DOMAIN_CHOICE:
			if (spec->type == AML_PARAM_CHOICE)
			{
				const char *name = spec->choices[(int) spec->default_value];

				for (int c = 0; c < d->n_choices; c++)
					if (strcmp(d->choices[c], name) == 0)
						return c;
			}
			return NAN;
		case AML_DOMAIN_BOOL:
			return spec->default_value != 0;
		default:
			x = spec->default_value;
			if (isnan(x) || (spec->type == AML_PARAM_INT && (int) x == AML_PARAM_NONE_INT) ||
				x < d->lo || x > d->hi)
				return NAN;
			return x;
	}
}

static void
default_gene(const AmlSearchSpace *space, int op, AmlGene *g)
{
	memset(g, 0, sizeof(*g));
	g->op = op;
	if (op < 0)
		return;
	for (int i = 0; i < space->ops[op].n_domains; i++)
		g->v[i] = default_value(&space->ops[op], &space->ops[op].domains[i]);
}

static int
random_op_of_slot(const AmlSearchSpace *space, AmlSlot slot, AmlRng *rng)
{
	int			n = 0;
	int			pick;

	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == slot)
			n++;
	if (n == 0)
		return -1;
	pick = (int) aml_rng_below(rng, (uint64_t) n);
	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == slot && pick-- == 0)
			return i;
	return -1;
}

const AmlOperator *
aml_genome_estimator(const AmlSearchSpace *space, const AmlGenome *g)
{
	return g->slots[AML_SLOT_ESTIMATOR].op >= 0 ? &space->ops[g->slots[AML_SLOT_ESTIMATOR].op] : NULL;
}

void
aml_genome_repair(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng, AmlGenome *g)
{
	AmlGene    *est = &g->slots[AML_SLOT_ESTIMATOR];
	const AmlOperator *e;
	int			minmax = aml_space_find(space, "minmax_scaler");

	if (est->op < 0 || space->ops[est->op].slot != AML_SLOT_ESTIMATOR)
		random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng, est);
	e = &space->ops[est->op];
	/* multinomial naive Bayes: min-max scaling, nothing that makes negatives */
	if (e->needs_minmax)
	{
		if (minmax < 0 || space->ops[minmax].slot != AML_SLOT_SCALER)
		{
			/* cannot be satisfied: another estimator */
			for (int tries = 0; tries < 20 && e->needs_minmax; tries++)
			{
				random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng, est);
				e = &space->ops[est->op];
			}
		}
		else
		{
			default_gene(space, minmax, &g->slots[AML_SLOT_SCALER]);
			g->slots[AML_SLOT_TRANSFORM].op = -1;
		}
	}
	/* an imputer unless the estimator handles missing values itself */
	if (!e->handles_missing && g->slots[AML_SLOT_IMPUTER].op < 0)
	{
		int			imp = random_op_of_slot(space, AML_SLOT_IMPUTER, rng);

		if (imp >= 0)
			default_gene(space, imp, &g->slots[AML_SLOT_IMPUTER]);
	}
	/*
	 * Canonical forms, so that pipelines that must behave alike are one
	 * candidate: without missing values the imputer's settings do nothing;
	 * trees do not care about per-column scaling.
	 */
	if (!traits->has_missing && g->slots[AML_SLOT_IMPUTER].op >= 0)
		default_gene(space, g->slots[AML_SLOT_IMPUTER].op, &g->slots[AML_SLOT_IMPUTER]);
	if (e->handles_missing && g->slots[AML_SLOT_SCALER].op >= 0 &&
		strcmp(space->ops[g->slots[AML_SLOT_SCALER].op].name, "normalizer") != 0)
		g->slots[AML_SLOT_SCALER].op = -1;
	/* without an imputer, later steps must cope with missing values */
	if (g->slots[AML_SLOT_IMPUTER].op < 0 && traits->has_missing)
		for (int s = AML_SLOT_SCALER; s < AML_SLOT_ESTIMATOR; s++)
			if (g->slots[s].op >= 0 && !space->ops[g->slots[s].op].accepts_missing)
				g->slots[s].op = -1;
	for (int s = 0; s < AML_N_SLOTS; s++)
		if (g->slots[s].op < 0)
			memset(&g->slots[s], 0, sizeof(AmlGene)), g->slots[s].op = -1;
	/* the encoding matters only when there are categories */
	if (!traits->has_categorical)
	{
		g->ordinal = 0;
		g->min_frequency = 0;
	}
	else
	{
		if (g->ordinal && !space->allow_ordinal)
			g->ordinal = 0;
		if (!g->ordinal && !space->allow_onehot)
			g->ordinal = 1;
		if (g->ordinal)
			g->min_frequency = 0;
	}
}

void
aml_genome_random(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
				  AmlGenome *out)
{
	memset(out, 0, sizeof(*out));
	for (int s = 0; s < AML_N_SLOTS; s++)
		out->slots[s].op = -1;
	random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng,
				&out->slots[AML_SLOT_ESTIMATOR]);
	if (!space->ops[out->slots[AML_SLOT_ESTIMATOR].op].handles_missing || aml_rng_uniform(rng) < 0.3)
		random_gene(space, random_op_of_slot(space, AML_SLOT_IMPUTER, rng), rng, &out->slots[AML_SLOT_IMPUTER]);
	/* each optional step with probability 1/3: pipelines start small */
	for (int s = AML_SLOT_SCALER; s < AML_SLOT_ESTIMATOR; s++)
		if (aml_rng_uniform(rng) < 1.0 / 3)
			random_gene(space, random_op_of_slot(space, (AmlSlot) s, rng), rng, &out->slots[s]);
	out->ordinal = (int) aml_rng_below(rng, 2);
	out->min_frequency = (int) aml_rng_below(rng, N_MIN_FREQ);
	aml_genome_repair(space, traits, rng, out);
}

void
aml_genome_mutate(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
				  const AmlGenome *parent, AmlGenome *out)
{
	double		r = aml_rng_uniform(rng);

	*out = *parent;
	if (r < 0.5)
	{
		/* one hyperparameter, of the estimator twice as often as of a step */
		int			slot = AML_SLOT_ESTIMATOR;
		AmlGene    *g;
		const AmlOperator *op;

		if (aml_rng_uniform(rng) < 1.0 / 3)
		{
			int			candidates[AML_N_SLOTS];
			int			n = 0;

			for (int s = 0; s < AML_SLOT_ESTIMATOR; s++)
				if (out->slots[s].op >= 0 && space->ops[out->slots[s].op].n_domains > 0)
					candidates[n++] = s;
			if (n > 0)
				slot = candidates[aml_rng_below(rng, (uint64_t) n)];
		}
		g = &out->slots[slot];
		op = &space->ops[g->op];
		if (op->n_domains > 0)
		{
			int			d = (int) aml_rng_below(rng, (uint64_t) op->n_domains);

			g->v[d] = perturb_value(&op->domains[d], rng, g->v[d]);
		}
		else
			random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng,
						&out->slots[AML_SLOT_ESTIMATOR]);
	}
	else if (r < 0.65)
		random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng,
					&out->slots[AML_SLOT_ESTIMATOR]);
	else if (r < 0.9 || !traits->has_categorical)
	{
		/* add, replace or remove one preprocessing step */
		int			slot = (int) aml_rng_below(rng, AML_SLOT_ESTIMATOR);

		if (out->slots[slot].op >= 0 && aml_rng_uniform(rng) < 0.5)
			out->slots[slot].op = -1;
		else
			random_gene(space, random_op_of_slot(space, (AmlSlot) slot, rng), rng, &out->slots[slot]);
	}
	else
	{
		/* the encoding of categories */
		if (aml_rng_uniform(rng) < 0.5)
			out->ordinal = !out->ordinal;
		else
			out->min_frequency = (int) aml_rng_below(rng, N_MIN_FREQ);
	}
	aml_genome_repair(space, traits, rng, out);
}

void
aml_genome_crossover(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
					 const AmlGenome *a, const AmlGenome *b, AmlGenome *out)
{
	*out = *a;
	out->slots[AML_SLOT_ESTIMATOR] = b->slots[AML_SLOT_ESTIMATOR];
	if (aml_rng_uniform(rng) < 0.5)
	{
		out->ordinal = b->ordinal;
		out->min_frequency = b->min_frequency;
	}
	aml_genome_repair(space, traits, rng, out);
}

int
aml_genome_complexity(const AmlGenome *g)
{
	int			n = 0;

	for (int s = AML_SLOT_SCALER; s < AML_SLOT_ESTIMATOR; s++)
		if (g->slots[s].op >= 0)
			n++;
	return n;
}

static json_object *
gene_params(const AmlSearchSpace *space, const AmlGene *g)
{
	const AmlOperator *op = &space->ops[g->op];
	json_object *params = NULL;
	AmlError	err;

	if (op->fixed[0] == '\0' || aml_json_parse(op->fixed, strlen(op->fixed), &params, &err) != AML_OK)
		params = json_object_new_object();
	for (int i = 0; i < op->n_domains; i++)
	{
		const AmlDomain *d = &op->domains[i];
		json_object *v;

		if (isnan(g->v[i]))
			continue;			/* the hyperparameter's own default */
		switch (d->type)
		{
			case AML_DOMAIN_CHOICE:
				v = json_object_new_string(d->choices[(int) g->v[i] % (d->n_choices > 0 ? d->n_choices : 1)]);
				break;
			case AML_DOMAIN_BOOL:
				v = json_object_new_boolean(g->v[i] != 0);
				break;
			case AML_DOMAIN_INT:
				v = json_object_new_int((int) g->v[i]);
				break;
			default:
				{
					const AmlParamSpec *spec = param_spec_of(op, d->param);

					if (spec != NULL && spec->type == AML_PARAM_BOOL)
						v = json_object_new_boolean(g->v[i] != 0);
					else if (spec != NULL && spec->type == AML_PARAM_INT)
						v = json_object_new_int((int) g->v[i]);
					else
						v = aml_json_new_double(g->v[i]);
				}
				break;
		}
		json_object_object_add(params, d->param, v);
	}
	return params;
}

json_object *
aml_genome_spec(const AmlSearchSpace *space, const AmlDataTraits *traits, const AmlGenome *g)
{
	json_object *spec = json_object_new_object();
	json_object *encoder = json_object_new_object();
	json_object *steps = json_object_new_array();
	json_object *est = json_object_new_object();
	const AmlGene *eg = &g->slots[AML_SLOT_ESTIMATOR];

	json_object_object_add(encoder, "categorical", json_object_new_string(g->ordinal ? "ordinal" : "onehot"));
	if (!g->ordinal && g->min_frequency > 0)
		json_object_object_add(encoder, "min_frequency",
							   aml_json_new_double(min_frequencies[g->min_frequency % N_MIN_FREQ]));
	json_object_object_add(spec, "encoder", encoder);
	for (int s = 0; s < AML_SLOT_ESTIMATOR; s++)
	{
		const AmlGene *gs = &g->slots[s];
		json_object *step;

		if (gs->op < 0)
			continue;
		step = json_object_new_object();
		json_object_object_add(step, "type", json_object_new_string(space->ops[gs->op].name));
		json_object_object_add(step, "params", gene_params(space, gs));
		json_object_array_add(steps, step);
	}
	json_object_object_add(spec, "steps", steps);
	json_object_object_add(est, "type", json_object_new_string(space->ops[eg->op].name));
	json_object_object_add(est, "params", gene_params(space, eg));
	json_object_object_add(spec, "estimator", est);
	(void) traits;
	return spec;
}

/* ------------------------------------------------------------ the portfolio */

/*
 * Strong, robust configurations, cheapest first: each
 * {"e": estimator, "p": {params}, "i": imputer strategy, "s": scaler,
 *  "sel": selector, "t": transform, "enc": "ordinal"}.
 */
static const char *const classification_portfolio[] = {
	"{\"e\":\"logistic_regression\",\"p\":{\"C\":1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":100},\"enc\":\"ordinal\"}",
	"{\"e\":\"gaussian_nb\",\"p\":{},\"i\":\"median\"}",
	"{\"e\":\"extra_trees\",\"p\":{\"n_estimators\":100},\"i\":\"median\"}",
	"{\"e\":\"logistic_regression\",\"p\":{\"C\":0.1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"knn\",\"p\":{\"n_neighbors\":15,\"weights\":\"distance\"},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.05,\"max_iter\":300,\"max_leaf_nodes\":15,\"min_samples_leaf\":10,\"l2_regularization\":1},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":200,\"max_features_fraction\":0.5,\"min_samples_leaf\":2},\"enc\":\"ordinal\"}",
	"{\"e\":\"linear_svm\",\"p\":{\"C\":0.1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"logistic_regression\",\"p\":{\"C\":1},\"i\":\"median\",\"s\":\"standard_scaler\",\"sel\":\"select_percentile\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.1,\"max_iter\":200,\"max_leaf_nodes\":8,\"min_samples_leaf\":20,\"subsample\":0.8},\"enc\":\"ordinal\"}",
	"{\"e\":\"extra_trees\",\"p\":{\"n_estimators\":200,\"max_features_fraction\":0.7,\"min_samples_leaf\":2},\"i\":\"median\"}",
	"{\"e\":\"decision_tree\",\"p\":{\"max_depth\":6,\"min_samples_leaf\":5},\"enc\":\"ordinal\"}",
	"{\"e\":\"bernoulli_nb\",\"p\":{\"binarize\":0},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"multinomial_nb\",\"p\":{},\"i\":\"median\",\"s\":\"minmax_scaler\"}",
	NULL
};

static const char *const regression_portfolio[] = {
	"{\"e\":\"ridge\",\"p\":{\"alpha\":1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":100,\"max_features_fraction\":1.0},\"enc\":\"ordinal\"}",
	"{\"e\":\"extra_trees\",\"p\":{\"n_estimators\":100,\"max_features_fraction\":1.0},\"i\":\"median\"}",
	"{\"e\":\"lasso\",\"p\":{\"alpha\":0.01},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"elastic_net\",\"p\":{\"alpha\":0.01,\"l1_ratio\":0.5},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"knn\",\"p\":{\"n_neighbors\":10,\"weights\":\"distance\"},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.05,\"max_iter\":300,\"max_leaf_nodes\":15,\"min_samples_leaf\":10,\"l2_regularization\":1},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":200,\"max_features_fraction\":0.5,\"min_samples_leaf\":2},\"enc\":\"ordinal\"}",
	"{\"e\":\"ridge\",\"p\":{\"alpha\":10},\"i\":\"median\",\"s\":\"standard_scaler\",\"t\":\"polynomial_features\"}",
	"{\"e\":\"linear_regression\",\"p\":{},\"i\":\"median\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.1,\"max_iter\":200,\"max_leaf_nodes\":8,\"min_samples_leaf\":20,\"subsample\":0.8},\"enc\":\"ordinal\"}",
	"{\"e\":\"decision_tree\",\"p\":{\"max_depth\":6,\"min_samples_leaf\":5},\"enc\":\"ordinal\"}",
	NULL
};

/* Set the gene of slot to operator `name` with params (others at defaults). */
static bool
gene_from(const AmlSearchSpace *space, AmlSlot slot, const char *name, json_object *params,
		  AmlGene *g)
{
	int			op = -1;

	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == slot && strcmp(space->ops[i].name, name) == 0)
			op = i;
	if (op < 0)
		return false;
	default_gene(space, op, g);
	if (params == NULL)
		return true;
	for (int i = 0; i < space->ops[op].n_domains; i++)
	{
		const AmlDomain *d = &space->ops[op].domains[i];
		json_object *v;
		double		x;

		if (!json_object_object_get_ex(params, d->param, &v))
			continue;
		if (d->type == AML_DOMAIN_CHOICE)
		{
			for (int c = 0; c < d->n_choices; c++)
				if (strcmp(d->choices[c], json_object_get_string(v)) == 0)
					g->v[i] = c;
		}
		else if (d->type == AML_DOMAIN_BOOL)
			g->v[i] = json_object_get_boolean(v);
		else if (aml_json_as_double(v, &x))
			g->v[i] = fmin(fmax(x, d->lo), d->hi);
	}
	return true;
}

int
aml_space_portfolio(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
					AmlGenome *out, int max)
{
	const char *const *list = space->task == AML_TASK_CLASSIFICATION ? classification_portfolio
		: regression_portfolio;
	int			n = 0;

	for (int k = 0; list[k] != NULL && n < max; k++)
	{
		json_object *item;
		json_object *v;
		AmlGenome	g;
		AmlError	err;
		bool		ok = true;

		if (aml_json_parse(list[k], strlen(list[k]), &item, &err) != AML_OK)
			continue;
		memset(&g, 0, sizeof(g));
		for (int s = 0; s < AML_N_SLOTS; s++)
			g.slots[s].op = -1;
		ok = gene_from(space, AML_SLOT_ESTIMATOR, json_object_get_string(json_object_object_get(item, "e")),
					   json_object_object_get(item, "p"), &g.slots[AML_SLOT_ESTIMATOR]);
		if (ok && json_object_object_get_ex(item, "i", &v))
		{
			json_object *p = json_object_new_object();

			json_object_object_add(p, "strategy", json_object_get(v));
			json_object_object_add(p, "add_indicator", json_object_new_boolean(1));
			ok = gene_from(space, AML_SLOT_IMPUTER, "simple_imputer", p, &g.slots[AML_SLOT_IMPUTER]);
			json_object_put(p);
		}
		if (ok && json_object_object_get_ex(item, "s", &v))
			ok = gene_from(space, AML_SLOT_SCALER, json_object_get_string(v), NULL, &g.slots[AML_SLOT_SCALER]);
		if (ok && json_object_object_get_ex(item, "sel", &v))
			ok = gene_from(space, AML_SLOT_SELECTOR, json_object_get_string(v), NULL, &g.slots[AML_SLOT_SELECTOR]);
		if (ok && json_object_object_get_ex(item, "t", &v))
			ok = gene_from(space, AML_SLOT_TRANSFORM, json_object_get_string(v), NULL, &g.slots[AML_SLOT_TRANSFORM]);
		if (json_object_object_get_ex(item, "enc", &v) && strcmp(json_object_get_string(v), "ordinal") == 0)
			g.ordinal = 1;
		json_object_put(item);
		if (!ok)
			continue;			/* not allowed by this space */
		aml_genome_repair(space, traits, rng, &g);
		out[n++] = g;
	}
	/* spaces without any portfolio entry start from each estimator's defaults */
	if (n == 0)
		for (int i = 0; i < space->n_ops && n < max; i++)
			if (space->ops[i].slot == AML_SLOT_ESTIMATOR)
			{
				AmlGenome	g;

				memset(&g, 0, sizeof(g));
				for (int s = 0; s < AML_N_SLOTS; s++)
					g.slots[s].op = -1;
				default_gene(space, i, &g.slots[AML_SLOT_ESTIMATOR]);
				if (space->ops[i].handles_missing)
					g.ordinal = 1;
				else if (aml_space_find(space, "standard_scaler") >= 0)
					default_gene(space, aml_space_find(space, "standard_scaler"), &g.slots[AML_SLOT_SCALER]);
				aml_genome_repair(space, traits, rng, &g);
				out[n++] = g;
			}
	return n;
}
