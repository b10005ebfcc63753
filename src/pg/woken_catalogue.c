/*
 * woken_catalogue.c — the algorithm catalogue (Woken's /mining/algorithms)
 * and the automl.node setting.
 *
 * automl.woken_algorithms() (read by the view automl.algorithms) and
 * automl_mining_algorithms() list the Woken codes automl runs, with their
 * constraints and parameters.  Parameters of the predictive codes come from
 * the estimators' parameter tables, so they cannot drift from what
 * automl_fit accepts.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "pg/woken.h"

PG_FUNCTION_INFO_V1(automl_woken_algorithms);
PG_FUNCTION_INFO_V1(automl_mining_algorithms);

static char *aml_guc_node = NULL;

#define W_ALL AML_WOKEN_ALL_TYPES
#define W_NUM (AML_WOKEN_REAL | AML_WOKEN_INTEGER)

static const AmlWokenAlgorithm algorithms[] = {
	{"statisticsSummary", "Statistics Summary",
		"Count, nulls, distinct values, mean, standard deviation, quartiles and most frequent value of each variable (automl_summary)",
		"statistics", AML_WOKEN_SUMMARY, false, true, true, W_ALL, 0, -1, -1, NULL, NULL, NULL},
	{"histograms", "Histograms", "Histograms of the variable, by each grouping (automl_histogram)",
		"statistics", AML_WOKEN_FUNCTION, false, true, true, W_NUM, 0, -1, -1, NULL, NULL,
		"automl_histogram"},
	{"linearRegression", "Linear Regression",
		"Ordinary least squares with R's inference: estimates, standard errors, t and p values (automl_lm)",
		"statistics", AML_WOKEN_FUNCTION, false, false, false, W_ALL, 1, -1, 1, NULL, NULL, "automl_lm"},
	{"anova", "Anova", "Analysis of variance of a linear model, factorial or additive design (automl_anova)",
		"statistics", AML_WOKEN_FUNCTION, false, false, false, W_NUM, 0, -1, -1, NULL, NULL, "automl_anova"},
	{"knn", "K-nearest neighbors", "k nearest neighbours on standardised covariables (automl_fit knn)",
		"predictive_model", AML_WOKEN_ESTIMATOR, true, false, false, W_ALL, 1, -1, 0, "knn", "knn", NULL},
	{"naiveBayes", "Naive Bayes", "Gaussian naive Bayes (automl_fit gaussian_nb)",
		"predictive_model", AML_WOKEN_ESTIMATOR, true, false, false,
		AML_WOKEN_BINOMINAL | AML_WOKEN_POLYNOMINAL, 1, -1, 0, NULL, "gaussian_nb", NULL},
	{"gradientBoosting", "Gradient Boosting", "Histogram gradient boosting of trees (automl_fit gradient_boosting)",
		"predictive_model", AML_WOKEN_ESTIMATOR, true, false, false, W_ALL, 1, -1, 0,
		"gradient_boosting", "gradient_boosting", NULL},
	{"sgdLinearModel", "Linear model",
		"Elastic-net linear regression for a numeric target, logistic regression for a nominal one (automl_fit)",
		"predictive_model", AML_WOKEN_ESTIMATOR, true, false, false, W_ALL, 1, -1, 0,
		"elastic_net", "logistic_regression", NULL},
	{"kmeans", "K-means",
		"k-means clustering of the variables and covariables (automl_fit kmeans; parameter k, default 3)",
		"features_extraction", AML_WOKEN_FUNCTION, false, false, false, W_NUM, 1, -1, 0, NULL, NULL,
		"automl_kmeans_centers"},
	{"pca", "PCA", "Principal components of the variables (automl_pca)",
		"features_extraction", AML_WOKEN_FUNCTION, false, false, false, W_NUM, 1, -1, 0, NULL, NULL,
		"automl_pca"},
	{"correlationHeatmap", "Correlation heatmap", "Pearson correlations of the variables (automl_correlation)",
		"statistics", AML_WOKEN_FUNCTION, false, false, false, W_NUM, 1, -1, 0, NULL, NULL,
		"automl_correlation"},
	{"tpot", "AutoML (TPOT)",
		"Search of whole pipelines (imputation, encoding, scaling, selection, model, hyperparameters) scored by cross-validation (automl_train)",
		"predictive_model", AML_WOKEN_SEARCH, true, false, true, W_ALL, 1, -1, 0, NULL, NULL, NULL},
};

#define N_ALGORITHMS ((int) lengthof(algorithms))

/* Parameters Woken's containers named otherwise than automl's estimators. */
static const struct
{
	const char *code;
	const char *woken;
	const char *automl;
}			aliases[] = {
	{"knn", "k", "n_neighbors"},
	{"gradientBoosting", "n_estimators", "max_iter"},
};

/* The AutoML search's settings (automl_train's arguments, not a parameter table). */
static const struct
{
	const char *code;
	const char *type;
	const char *default_value;
	const char *description;
}			search_params[] = {
	{"time_budget", "string", "10 seconds", "time the search may take (an interval)"},
	{"cv_folds", "int", "5", "folds of the cross-validation that scores each pipeline"},
	{"metric", "string", "auto", "metric to optimise (auto: R-squared or accuracy)"},
	{"search_space", "string", "default", "named search space"},
	{"seed", "int", "42", "seed of the search"},
	{"max_evaluations", "int", "", "stop after this many pipelines (reproducible searches); empty: no limit"},
};

const AmlWokenAlgorithm *
aml_woken_algorithm_find(const char *code)
{
	for (int i = 0; i < N_ALGORITHMS; i++)
		if (strcmp(algorithms[i].code, code) == 0)
			return &algorithms[i];
	return NULL;
}

char *
aml_woken_algorithm_codes(void)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < N_ALGORITHMS; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", algorithms[i].code);
	return s.data;
}

const char *
aml_woken_param_name(const AmlWokenAlgorithm *alg, const char *woken_name)
{
	for (int i = 0; i < (int) lengthof(aliases); i++)
		if (strcmp(aliases[i].code, alg->code) == 0 && strcmp(aliases[i].woken, woken_name) == 0)
			return aliases[i].automl;
	return woken_name;
}

static const char *
woken_name_of(const AmlWokenAlgorithm *alg, const char *automl_name)
{
	for (int i = 0; i < (int) lengthof(aliases); i++)
		if (strcmp(aliases[i].code, alg->code) == 0 && strcmp(aliases[i].automl, automl_name) == 0)
			return aliases[i].woken;
	return automl_name;
}

const char *
aml_woken_node(void)
{
	const char *node = aml_guc_node;

	if (node == NULL || node[0] == '\0')
		node = GetConfigOption("cluster_name", true, false);
	if (node == NULL || node[0] == '\0')
		node = "local";
	if (strlen(node) > 32)
		node = pnstrdup(node, 32);
	return node;
}

void
aml_woken_init(void)
{
	DefineCustomStringVariable("automl.node",
							   "Node name written into woken.job_result and QueryResults.",
							   "Empty means the server's cluster_name, or \"local\" when that is empty "
							   "(Woken's jobs.node).",
							   &aml_guc_node,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- parameters */

static const char *
spec_type_name(const AmlParamSpec *s)
{
	switch (s->type)
	{
		case AML_PARAM_INT:
			return "int";
		case AML_PARAM_DOUBLE:
			return "number";
		case AML_PARAM_BOOL:
			return "boolean";
		case AML_PARAM_CHOICE:
			return "enumeration";
	}
	return "string";
}

/* One parameter as Woken describes it: {code, label, description, type, default_value, values?, constraints?} */
static json_object *
spec_to_json(const AmlWokenAlgorithm *alg, const AmlParamSpec *s, const char *estimator, AmlTask task)
{
	json_object *o = json_object_new_object();
	json_object *c;

	json_object_object_add(o, "code", json_object_new_string(woken_name_of(alg, s->name)));
	json_object_object_add(o, "label", json_object_new_string(s->name));
	json_object_object_add(o, "description", json_object_new_string(s->description ? s->description : ""));
	json_object_object_add(o, "type", json_object_new_string(spec_type_name(s)));
	switch (s->type)
	{
		case AML_PARAM_INT:
			if (s->nullable && (int) s->default_value == AML_PARAM_NONE_INT)
				json_object_object_add(o, "default_value", NULL);
			else
				json_object_object_add(o, "default_value", json_object_new_int64((int64) s->default_value));
			break;
		case AML_PARAM_DOUBLE:
			json_object_object_add(o, "default_value", aml_json_new_number(s->default_value));
			break;
		case AML_PARAM_BOOL:
			json_object_object_add(o, "default_value", json_object_new_boolean(s->default_value != 0));
			break;
		case AML_PARAM_CHOICE:
			{
				json_object *values = json_object_new_array();

				json_object_object_add(o, "default_value",
									   json_object_new_string(s->choices[(int) s->default_value]));
				for (int i = 0; s->choices[i] != NULL; i++)
					json_object_array_add(values, json_object_new_string(s->choices[i]));
				json_object_object_add(o, "values", values);
			}
			break;
	}
	if (s->type == AML_PARAM_INT || s->type == AML_PARAM_DOUBLE)
	{
		c = json_object_new_object();
		if (isfinite(s->min))
			json_object_object_add(c, "min", aml_json_new_number(s->min));
		if (isfinite(s->max))
			json_object_object_add(c, "max", aml_json_new_number(s->max));
		if (s->min_exclusive)
			json_object_object_add(c, "min_exclusive", json_object_new_boolean(true));
		if (s->max_exclusive)
			json_object_object_add(c, "max_exclusive", json_object_new_boolean(true));
		json_object_object_add(o, "constraints", c);
	}
	if (s->nullable)
		json_object_object_add(o, "nullable", json_object_new_boolean(true));
	json_object_object_add(o, "estimator", json_object_new_string(estimator));
	if (task != 0)
		json_object_object_add(o, "task", json_object_new_string(aml_task_name(task)));
	return o;
}

static void
add_estimator_params(json_object *arr, const AmlWokenAlgorithm *alg, const char *estimator, AmlTask task)
{
	const AmlEstimatorType *type = aml_estimator_type_find(estimator);

	if (type == NULL)
		return;
	for (int i = 0; i < type->params.count; i++)
		json_object_array_add(arr, spec_to_json(alg, &type->params.specs[i], estimator, task));
}

static json_object *
algorithm_parameters(const AmlWokenAlgorithm *alg)
{
	json_object *arr = json_object_new_array();

	if (alg->kind == AML_WOKEN_ESTIMATOR)
	{
		bool		same = alg->regression && alg->classification &&
			strcmp(alg->regression, alg->classification) == 0;

		if (alg->regression)
			add_estimator_params(arr, alg, alg->regression, same ? 0 : AML_TASK_REGRESSION);
		if (alg->classification && !same)
			add_estimator_params(arr, alg, alg->classification, AML_TASK_CLASSIFICATION);
	}
	else if (strcmp(alg->code, "anova") == 0)
	{
		/* an argument of the formula automl_mining writes, not a parameter table */
		json_object *o = json_object_new_object();
		json_object *values = json_object_new_array();

		json_object_object_add(o, "code", json_object_new_string("design"));
		json_object_object_add(o, "label", json_object_new_string("design"));
		json_object_object_add(o, "description",
							   json_object_new_string("factorial: y ~ a * b (all interactions); additive: y ~ a + b"));
		json_object_object_add(o, "type", json_object_new_string("enumeration"));
		json_object_object_add(o, "default_value", json_object_new_string("factorial"));
		json_object_array_add(values, json_object_new_string("factorial"));
		json_object_array_add(values, json_object_new_string("additive"));
		json_object_object_add(o, "values", values);
		json_object_array_add(arr, o);
	}
	else if (strcmp(alg->code, "histograms") == 0)
	{
		json_object *o = json_object_new_object();
		json_object *c = json_object_new_object();

		json_object_object_add(o, "code", json_object_new_string("bins"));
		json_object_object_add(o, "label", json_object_new_string("bins"));
		json_object_object_add(o, "description",
							   json_object_new_string("equal-width bins of a numeric variable (categories for a nominal one)"));
		json_object_object_add(o, "type", json_object_new_string("int"));
		json_object_object_add(o, "default_value", json_object_new_int(20));
		json_object_object_add(c, "min", json_object_new_int(1));
		json_object_object_add(c, "max", json_object_new_int(10000));
		json_object_object_add(o, "constraints", c);
		json_object_array_add(arr, o);
	}
	else if (alg->kind == AML_WOKEN_SEARCH)
	{
		for (int i = 0; i < (int) lengthof(search_params); i++)
		{
			json_object *o = json_object_new_object();

			json_object_object_add(o, "code", json_object_new_string(search_params[i].code));
			json_object_object_add(o, "label", json_object_new_string(search_params[i].code));
			json_object_object_add(o, "description", json_object_new_string(search_params[i].description));
			json_object_object_add(o, "type", json_object_new_string(search_params[i].type));
			json_object_object_add(o, "default_value", json_object_new_string(search_params[i].default_value));
			json_object_array_add(arr, o);
		}
	}
	return arr;
}

static json_object *
count_limits(int min, int max)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "min_count", json_object_new_int(min));
	json_object_object_add(o, "max_count", max < 0 ? NULL : json_object_new_int(max));
	return o;
}

static json_object *
algorithm_constraints(const AmlWokenAlgorithm *alg)
{
	json_object *o = json_object_new_object();
	json_object *v = json_object_new_object();

	json_object_object_add(v, "real", json_object_new_boolean(alg->target_types & AML_WOKEN_REAL));
	json_object_object_add(v, "integer", json_object_new_boolean(alg->target_types & AML_WOKEN_INTEGER));
	json_object_object_add(v, "binominal", json_object_new_boolean(alg->target_types & AML_WOKEN_BINOMINAL));
	json_object_object_add(v, "polynominal", json_object_new_boolean(alg->target_types & AML_WOKEN_POLYNOMINAL));
	json_object_object_add(o, "variable", v);
	json_object_object_add(o, "covariables", count_limits(alg->covariables_min, alg->covariables_max));
	json_object_object_add(o, "groupings", count_limits(0, alg->groupings_max));
	json_object_object_add(o, "mixed", json_object_new_boolean(true));
	json_object_object_add(o, "variables_can_be_null", json_object_new_boolean(alg->variables_can_be_null));
	json_object_object_add(o, "covariables_can_be_null", json_object_new_boolean(alg->covariables_can_be_null));
	return o;
}

static const char *
implementation_of(const AmlWokenAlgorithm *alg)
{
	switch (alg->kind)
	{
		case AML_WOKEN_ESTIMATOR:
			if (alg->regression && alg->classification && strcmp(alg->regression, alg->classification) != 0)
				return psprintf("automl_fit: %s (regression), %s (classification)",
								alg->regression, alg->classification);
			return psprintf("automl_fit: %s", alg->regression ? alg->regression : alg->classification);
		case AML_WOKEN_SEARCH:
			return "automl_train";
		case AML_WOKEN_SUMMARY:
			return "automl_summary";
		case AML_WOKEN_FUNCTION:
			return alg->requires;
	}
	return "";
}

static Datum
json_to_jsonb(json_object *o)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(o)));
}

Datum
automl_woken_algorithms(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < N_ALGORITHMS; i++)
	{
		const AmlWokenAlgorithm *alg = &algorithms[i];
		Datum		values[11];
		bool		nulls[11] = {0};
		json_object *constraints = aml_pg_json_own(algorithm_constraints(alg));
		json_object *params = aml_pg_json_own(algorithm_parameters(alg));
		Datum		type = CStringGetTextDatum(alg->type);

		values[0] = CStringGetTextDatum(alg->code);
		values[1] = CStringGetTextDatum(alg->label);
		values[2] = CStringGetTextDatum(alg->description);
		values[3] = PointerGetDatum(construct_array(&type, 1, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = BoolGetDatum(alg->predictive);
		values[5] = BoolGetDatum(alg->variables_can_be_null);
		values[6] = BoolGetDatum(alg->covariables_can_be_null);
		values[7] = json_to_jsonb(constraints);
		values[8] = json_to_jsonb(params);
		values[9] = CStringGetTextDatum(implementation_of(alg));
		if (alg->requires)
			values[10] = CStringGetTextDatum(alg->requires);
		else
			nulls[10] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Woken's metrics per kind of target (algorithms.json "metrics"), typos fixed. */
static json_object *
metrics_document(void)
{
	static const char *const regression[][2] = {
		{"MSE", "Mean square error"}, {"RMSE", "Root mean square error"},
		{"R-squared", "Coefficient of determination (R²)"}, {"MAE", "Mean absolute error"},
		{"Explained variance", "Explained variance"}};
	static const char *const classification[][2] = {
		{"Accuracy", "Accuracy"}, {"Weighted precision", "Weighted precision"},
		{"Weighted recall", "Weighted recall"}, {"Weighted F1-score", "Weighted F1-score"},
		{"Weighted false positive rate", "Weighted false positive rate"}};
	static const char *const binary[][2] = {
		{"Accuracy", "Accuracy"}, {"Precision", "Precision"}, {"Recall", "Recall"},
		{"F1-score", "F1-score"}, {"False positive rate", "False positive rate"}};
	json_object *o = json_object_new_object();
	json_object *a;

#define METRIC_LIST(arr, key) \
	a = json_object_new_array(); \
	for (int i = 0; i < (int) lengthof(arr); i++) \
	{ \
		json_object *m = json_object_new_object(); \
		json_object_object_add(m, "code", json_object_new_string(arr[i][0])); \
		json_object_object_add(m, "label", json_object_new_string(arr[i][1])); \
		json_object_object_add(m, "type", json_object_new_string("numeric")); \
		json_object_array_add(a, m); \
	} \
	json_object_object_add(o, key, a)

	METRIC_LIST(regression, "regression");
	METRIC_LIST(classification, "classification");
	METRIC_LIST(binary, "binominal_classification");
#undef METRIC_LIST
	return o;
}

Datum
automl_mining_algorithms(PG_FUNCTION_ARGS)
{
	json_object *doc = aml_pg_json_own(json_object_new_object());
	json_object *list = json_object_new_array();
	json_object *validations = json_object_new_array();
	json_object *kfold = json_object_new_object();
	json_object *kparams = json_object_new_array();
	json_object *k = json_object_new_object();
	json_object *kc = json_object_new_object();

	for (int i = 0; i < N_ALGORITHMS; i++)
	{
		const AmlWokenAlgorithm *alg = &algorithms[i];
		json_object *o = json_object_new_object();
		json_object *types = json_object_new_array();

		json_object_object_add(o, "code", json_object_new_string(alg->code));
		json_object_object_add(o, "label", json_object_new_string(alg->label));
		json_object_object_add(o, "description", json_object_new_string(alg->description));
		json_object_array_add(types, json_object_new_string(alg->type));
		json_object_object_add(o, "type", types);
		json_object_object_add(o, "environment", json_object_new_string("automl"));
		json_object_object_add(o, "implementation", json_object_new_string(implementation_of(alg)));
		json_object_object_add(o, "constraints", algorithm_constraints(alg));
		json_object_object_add(o, "parameters", algorithm_parameters(alg));
		json_object_array_add(list, o);
	}
	json_object_object_add(doc, "algorithms", list);
	/* what a query sends: {"code": "kfold", "parameters": [{"code": "k", "value": "5"}]} */
	json_object_object_add(kfold, "code", json_object_new_string("kfold"));
	json_object_object_add(kfold, "label", json_object_new_string("Random k-fold Cross Validation"));
	json_object_object_add(k, "code", json_object_new_string("k"));
	json_object_object_add(k, "label", json_object_new_string("Number of folds"));
	json_object_object_add(k, "type", json_object_new_string("int"));
	json_object_object_add(k, "default_value", json_object_new_int(5));
	json_object_object_add(kc, "min", json_object_new_int(2));
	json_object_object_add(kc, "max", json_object_new_int(20));
	json_object_object_add(k, "constraints", kc);
	json_object_array_add(kparams, k);
	json_object_object_add(kfold, "parameters", kparams);
	json_object_array_add(validations, kfold);
	json_object_object_add(doc, "validations", validations);
	json_object_object_add(doc, "metrics", metrics_document());
	PG_RETURN_DATUM(json_to_jsonb(doc));
}

/* ---------------------------------------------------------------- query parameters */

static void
bad_parameter(const AmlWokenAlgorithm *alg, const char *name, const char *value, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("parameter \"%s\" of algorithm %s must be %s", name, alg->code, expected),
			 errdetail("The value given is \"%s\".", value)));
}

json_object *
aml_woken_params_to_json(const AmlWokenAlgorithm *alg, const AmlEstimatorType *type,
						 json_object *parameters)
{
	json_object *out = aml_pg_json_own(json_object_new_object());
	size_t		n;

	if (parameters == NULL || json_object_is_type(parameters, json_type_null))
		return out;
	if (!json_object_is_type(parameters, json_type_array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameters of algorithm %s must be an array of {\"code\", \"value\"}", alg->code)));
	n = json_object_array_length(parameters);
	for (size_t i = 0; i < n; i++)
	{
		json_object *p = json_object_array_get_idx(parameters, i);
		json_object *c;
		json_object *v;
		const char *code;
		const char *value;
		const AmlParamSpec *spec;
		char	   *end;

		if (!json_object_is_type(p, json_type_object) ||
			!json_object_object_get_ex(p, "code", &c) || !json_object_is_type(c, json_type_string))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameters of algorithm %s must be an array of {\"code\", \"value\"}", alg->code)));
		code = json_object_get_string(c);
		if (!json_object_object_get_ex(p, "value", &v) || json_object_is_type(v, json_type_null))
			continue;			/* Woken: no value, the default */
		value = json_object_get_string(v);	/* strings, as Woken sends them; numbers accepted too */
		spec = aml_params_find(&type->params, aml_woken_param_name(alg, code));
		if (spec == NULL)
		{
			StringInfoData names;

			initStringInfo(&names);
			for (int j = 0; j < type->params.count; j++)
				appendStringInfo(&names, "%s%s", j ? ", " : "",
								 woken_name_of(alg, type->params.specs[j].name));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown parameter \"%s\" of algorithm %s", code, alg->code),
					 errdetail("Its parameters are: %s.", names.data)));
		}
		if (value[0] == '\0' || (spec->nullable && pg_strcasecmp(value, "none") == 0))
		{
			if (spec->nullable)
				json_object_object_add(out, spec->name, NULL);
			continue;
		}
		switch (spec->type)
		{
			case AML_PARAM_INT:
				{
					long		l;

					errno = 0;
					l = strtol(value, &end, 10);
					if (*end != '\0' || errno != 0 || l < INT_MIN || l > INT_MAX)
						bad_parameter(alg, code, value, "an integer");
					json_object_object_add(out, spec->name, json_object_new_int((int) l));
				}
				break;
			case AML_PARAM_DOUBLE:
				{
					double		d;

					errno = 0;
					d = strtod(value, &end);
					if (*end != '\0' || errno != 0 || !isfinite(d))
						bad_parameter(alg, code, value, "a number");
					json_object_object_add(out, spec->name, aml_json_new_number(d));
				}
				break;
			case AML_PARAM_BOOL:
				{
					bool		b;

					if (!parse_bool(value, &b))
						bad_parameter(alg, code, value, "true or false");
					json_object_object_add(out, spec->name, json_object_new_boolean(b));
				}
				break;
			case AML_PARAM_CHOICE:
				json_object_object_add(out, spec->name, json_object_new_string(value));
				break;
		}
	}
	return out;
}
