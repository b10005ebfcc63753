/*
 * decision_tree.c — a single CART tree ("decision_tree"), for classification
 * (class probabilities = class shares of the leaf) and regression (leaf mean),
 * with scikit-learn's DecisionTreeClassifier/Regressor hyperparameters.
 * Missing values are handled natively (see tree.h).  Growing and
 * serialisation live in the tree_*.c files (tree_internal.h lists them).
 */
#include "ml/estimator.h"
#include "ml/tree.h"
#include "ml/tree_access.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct DecisionTreeParams
{
	int			criterion;
	int			splitter;
	int			max_depth;
	int			min_samples_split;
	int			min_samples_leaf;
	double		min_impurity_decrease;
	int			max_features;
	double		max_features_fraction;
} DecisionTreeParams;

static const char *const splitter_choices[] = {"best", "random", NULL};

static const AmlParamSpec decision_tree_specs[] = {
	{"criterion", AML_PARAM_CHOICE, offsetof(DecisionTreeParams, criterion), 0, 0, 0,
		false, false, false, aml_tree_criterion_choices,
	"split quality: auto (gini for classification, squared_error for regression), gini, entropy, log_loss, squared_error"},
	{"splitter", AML_PARAM_CHOICE, offsetof(DecisionTreeParams, splitter), 0, 0, 0,
		false, false, false, splitter_choices,
	"best: best threshold of each feature; random: one random threshold per feature"},
	{"max_depth", AML_PARAM_INT, offsetof(DecisionTreeParams, max_depth), AML_PARAM_NONE_INT,
		1, INFINITY, false, false, true, NULL,
	"maximum depth of the tree, null for unlimited"},
	{"min_samples_split", AML_PARAM_INT, offsetof(DecisionTreeParams, min_samples_split), 2,
		2, INFINITY, false, false, false, NULL,
	"minimum number of rows a node needs to be split"},
	{"min_samples_leaf", AML_PARAM_INT, offsetof(DecisionTreeParams, min_samples_leaf), 1,
		1, INFINITY, false, false, false, NULL,
	"minimum number of rows in each leaf"},
	{"min_impurity_decrease", AML_PARAM_DOUBLE,
		offsetof(DecisionTreeParams, min_impurity_decrease), 0, 0, INFINITY,
		false, false, false, NULL,
	"a node is split only if the weighted impurity decreases by at least this much"},
	{"max_features", AML_PARAM_CHOICE, offsetof(DecisionTreeParams, max_features),
		AML_TREE_MAX_FEATURES_ALL, 0, 0, false, false, false, aml_tree_max_features_choices,
	"features considered per split: all, sqrt, log2, or auto (sqrt for classification, all for regression)"},
	{"max_features_fraction", AML_PARAM_DOUBLE,
		offsetof(DecisionTreeParams, max_features_fraction), NAN, 0, 1, true, false, true, NULL,
	"fraction of the features considered per split; overrides max_features when set"},
};

typedef struct DecisionTreeState
{
	AmlTree		tree;
} DecisionTreeState;

static void
decision_tree_free_state(AmlEstimator *est)
{
	DecisionTreeState *s = est->state;

	if (s == NULL)
		return;
	aml_tree_free(&s->tree);
	aml_free(s);
	est->state = NULL;
}

static AmlStatus
decision_tree_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
				  AmlError *err)
{
	const DecisionTreeParams *p = est->params;
	bool		classification = est->task == AML_TASK_CLASSIFICATION;
	AmlTreeConfig cfg;
	AmlTreeData *data = NULL;
	AmlTreeBuilder *builder = NULL;
	DecisionTreeState *s;
	AmlStatus	st;

	memset(&cfg, 0, sizeof(cfg));
	AML_TRY(aml_tree_resolve_config(&cfg, p->criterion, p->max_features,
									p->max_features_fraction, classification, X->cols,
									est->type->name, err));
	cfg.splitter = p->splitter == 1 ? AML_TREE_RANDOM : AML_TREE_BEST;
	cfg.max_depth = p->max_depth == AML_PARAM_NONE_INT ? 0 : p->max_depth;
	cfg.min_samples_split = p->min_samples_split;
	cfg.min_samples_leaf = p->min_samples_leaf;
	cfg.min_impurity_decrease = p->min_impurity_decrease;

	s = AML_NEW(DecisionTreeState);
	if (s == NULL)
		return aml_error_nomem(err, "a decision tree");
	st = aml_tree_data_create(X, y, classification ? est->n_classes : 0,
							  cfg.splitter == AML_TREE_BEST, &data, err);
	if (st == AML_OK)
		st = aml_tree_builder_create(data, &cfg, &builder, err);
	if (st == AML_OK)
		st = aml_tree_build(builder, NULL, rng, &s->tree, err);
	aml_tree_builder_free(builder);
	aml_tree_data_free(data);
	if (st != AML_OK)
	{
		aml_free(s);
		return st;
	}
	est->state = s;
	return AML_OK;
}

static void
decision_tree_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const DecisionTreeState *s = est->state;
	uint32_t	leaf = aml_tree_leaf_index(s->tree.nodes, x);

	memcpy(out, aml_tree_leaf_output(&s->tree, leaf), sizeof(double) * (size_t) s->tree.n_outputs);
}

static json_object *
decision_tree_state_to_json(const AmlEstimator *est)
{
	const DecisionTreeState *s = est->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tree", aml_tree_to_json(&s->tree));
	return o;
}

static AmlStatus
decision_tree_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	DecisionTreeState *s;
	json_object *t;

	AML_TRY(aml_json_get(state, "tree", json_type_object, &t, "decision tree state", err));
	s = AML_NEW(DecisionTreeState);
	if (s == NULL)
		return aml_error_nomem(err, "a decision tree");
	if (aml_tree_from_json(t, est->n_features, aml_estimator_outputs(est), &s->tree, err) != AML_OK)
	{
		aml_free(s);
		return err->status;
	}
	est->state = s;
	return AML_OK;
}

static AmlStatus
decision_tree_importances(const AmlEstimator *est, double *out, AmlError *err)
{
	const DecisionTreeState *s = est->state;

	aml_tree_normalized_importances(&s->tree, out);
	return AML_OK;
}

/* Memory: its nodes (about 2 rows / min_samples_leaf) and sort buffers. */
static double
decision_tree_fit_bytes(const AmlEstimator *est, int rows, int cols)
{
	const DecisionTreeParams *p = est->params;
	int			outputs = est->n_classes > 0 ? est->n_classes : 1;

	return (2.0 * rows / (p->min_samples_leaf > 1 ? p->min_samples_leaf : 1)) * (40.0 + 8.0 * outputs) +
		(double) rows * cols * 4;
}

/* JSON size: its tree's (tree_json.c). */
static double
decision_tree_state_bytes(const AmlEstimator *est)
{
	const DecisionTreeState *s = est->state;

	return s ? aml_tree_json_bytes(&s->tree) : 0;
}

const AmlEstimatorType aml_decision_tree_type = {
	.name = "decision_tree",
	.label = "decision tree",
	.tasks = AML_TASK_REGRESSION | AML_TASK_CLASSIFICATION,
	.trees = AML_TREES_AVERAGED,
	.params = {decision_tree_specs, AML_PARAM_COUNT(decision_tree_specs), sizeof(DecisionTreeParams)},
	.handles_missing = true,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = decision_tree_fit,
	.predict_row = decision_tree_predict_row,
	.predict_batch = NULL,
	.state_to_json = decision_tree_state_to_json,
	.state_from_json = decision_tree_state_from_json,
	.free_state = decision_tree_free_state,
	.importances = decision_tree_importances,
	.fit_bytes = decision_tree_fit_bytes,
	.state_bytes = decision_tree_state_bytes,
};

bool
aml_decision_tree_access(const AmlEstimator *est, const AmlTree **tree)
{
	if (est->type != &aml_decision_tree_type || est->state == NULL)
		return false;
	*tree = &((const DecisionTreeState *) est->state)->tree;
	return true;
}
