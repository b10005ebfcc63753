/*
 * gradient_boosting.c — histogram gradient boosting ("gradient_boosting"),
 * classification and regression, after scikit-learn 1.2's
 * HistGradientBoostingClassifier / HistGradientBoostingRegressor.
 *
 * Training:
 *   - features are binned once (binning.c: at most max_bins quantile bins per
 *     feature plus one bin for missing values), uint8 columns;
 *   - each boosting round computes gradients and hessians (float, as
 *     scikit-learn) of the loss at the current raw predictions and grows one
 *     tree per output (one on the logit for binary log loss, one per class for
 *     multiclass softmax, one for regression);
 *   - trees grow leaf-wise: the splittable leaf with the largest gain is split
 *     next, until max_leaf_nodes leaves, max_depth, min_samples_leaf or no
 *     positive gain.  Histograms (sum of gradients, hessians and count per bin
 *     and feature) are built for the smaller child only and the sibling's is
 *     the parent's minus it.  Split gains, node values -G/(H + l2) and the
 *     treatment of missing values (for each split, the missing bin goes to
 *     whichever side gives the larger gain; when the feature had no missing
 *     value in training they follow the child with more samples) are
 *     scikit-learn's;
 *   - leaf values are multiplied by learning_rate; absolute_error re-fits each
 *     leaf to the median of its residuals, huber as described below;
 *   - early stopping (on, or auto = more than 10000 rows) holds out
 *     ceil(validation_fraction * n) rows drawn with the rng (stratified by
 *     class for classification, shares rounded by largest remainders) and
 *     stops when none of the last n_iter_no_change validation losses improves
 *     on the one before them by more than tol, like scikit-learn's
 *     scoring="loss" (the half losses: log loss, squared error / 2, absolute
 *     error, huber).  With fewer than two rows the training loss is scored;
 *   - importances: for each feature, the total over all splits of the
 *     decrease of the loss sum_g^2 / (sum_h + l2) the split brings, as a
 *     fraction of the total (scikit-learn's HistGradientBoosting has none).
 *
 * Without early stopping and subsampling the model is the one scikit-learn
 * 1.2 fits (same binning, split and tie rules, float gradients, summation
 * order): the unit test finds its predictions equal to the last bit.
 * Hyperparameters have scikit-learn's names and defaults; early_stopping
 * takes "auto", "on", "off" (scikit-learn: "auto", True, False) and
 * validation_fraction is a fraction only.  No categorical features, monotonic
 * or interaction constraints, sample weights or scoring other than the loss.
 *
 * Extensions beyond scikit-learn 1.2's HistGradientBoosting*:
 *   - subsample < 1: each round grows its trees on a random subset of
 *     floor(subsample * n) training rows drawn without replacement
 *     (stochastic gradient boosting, Friedman 2002); the raw predictions of
 *     all rows are updated;
 *   - loss "huber": as scikit-learn's GradientBoostingRegressor(loss="huber"):
 *     the baseline is the median, each round the threshold delta is the
 *     alpha-quantile of the absolute residuals (scikit-learn's lower weighted
 *     percentile), trees are grown on the Huber gradient (hessian 1), and
 *     each leaf gets the one-step estimate median(r) + mean(sign(r - median) *
 *     min(|r - median|, delta)) of its residuals r, times learning_rate.
 *
 * Prediction walks compact node arrays comparing raw feature values with the
 * thresholds of the bins (x <= threshold goes left, NaN follows the learnt
 * direction); no binning is needed.
 *
 * This file holds the hyperparameters, the fitted state, prediction, JSON,
 * the estimator type and tree access; growing a tree, the losses and the
 * fit are in gradient_boosting_grow.c, gradient_boosting_loss.c and
 * gradient_boosting_fit.c (gradient_boosting_internal.h).
 */
#include "ml/gradient_boosting_internal.h"
#include "ml/binning.h"
#include "ml/tree_access.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/stats.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ hyperparameters */


const char *const aml_gb_loss_choices[] = {
	"auto", "log_loss", "squared_error", "absolute_error", "huber", NULL
};


static const char *const early_stopping_choices[] = {"auto", "on", "off", NULL};


static const AmlParamSpec gb_param_specs[] = {
	{"loss", AML_PARAM_CHOICE, offsetof(GbParams, loss), GB_LOSS_AUTO, 0, 0, false, false, false,
		aml_gb_loss_choices,
	"loss to minimise: auto (log_loss for classification, squared_error for regression), "
	"log_loss, squared_error, absolute_error or huber"},
	{"learning_rate", AML_PARAM_DOUBLE, offsetof(GbParams, learning_rate), 0.1, 0, INFINITY,
		true, false, false, NULL, "shrinkage applied to the leaf values of every tree"},
	{"max_iter", AML_PARAM_INT, offsetof(GbParams, max_iter), 100, 1, 1000000, false, false,
		false, NULL, "maximum number of boosting rounds (one tree per class per round)"},
	{"max_leaf_nodes", AML_PARAM_INT, offsetof(GbParams, max_leaf_nodes), 31, 2, 1000000,
		false, false, true, NULL, "maximum number of leaves of each tree (null: unlimited)"},
	{"max_depth", AML_PARAM_INT, offsetof(GbParams, max_depth), AML_PARAM_NONE_INT, 1, 1000,
		false, false, true, NULL, "maximum depth of each tree, root at depth 0 (null: unlimited)"},
	{"min_samples_leaf", AML_PARAM_INT, offsetof(GbParams, min_samples_leaf), 20, 1, 1000000000,
		false, false, false, NULL, "minimum number of training rows in a leaf"},
	{"l2_regularization", AML_PARAM_DOUBLE, offsetof(GbParams, l2_regularization), 0, 0,
		INFINITY, false, false, false, NULL, "L2 penalty on the leaf values (added to the hessian sums)"},
	{"max_bins", AML_PARAM_INT, offsetof(GbParams, max_bins), 255, 2, 255, false, false, false,
		NULL, "maximum number of bins per feature for non-missing values"},
	{"subsample", AML_PARAM_DOUBLE, offsetof(GbParams, subsample), 1.0, 0, 1, true, false, false,
		NULL, "fraction of the training rows drawn (without replacement) for each round; 1 uses all rows"},
	{"early_stopping", AML_PARAM_CHOICE, offsetof(GbParams, early_stopping), GB_ES_AUTO, 0, 0,
		false, false, false, early_stopping_choices,
	"stop when the validation loss stops improving: on, off, or auto (on above 10000 rows)"},
	{"validation_fraction", AML_PARAM_DOUBLE, offsetof(GbParams, validation_fraction), 0.1, 0, 1,
		true, true, false, NULL, "fraction of the rows held out to score early stopping"},
	{"n_iter_no_change", AML_PARAM_INT, offsetof(GbParams, n_iter_no_change), 10, 1, 1000000,
		false, false, false, NULL, "rounds without improvement before early stopping"},
	{"tol", AML_PARAM_DOUBLE, offsetof(GbParams, tol), 1e-7, 0, INFINITY, false, false, false,
		NULL, "minimum improvement of the validation loss that counts for early stopping"},
	{"alpha", AML_PARAM_DOUBLE, offsetof(GbParams, alpha), 0.9, 0, 1, true, true, false, NULL,
		"huber loss: quantile of the absolute residuals used as the huber threshold"},
};

/* ------------------------------------------------------------------ fitted state */


static const char *const resolved_loss_names[] = {
	"binary_log_loss", "multinomial_log_loss", "squared_error", "absolute_error", "huber", NULL
};


static inline bool
node_is_leaf(const GbState *s, int i)
{
	return s->nodes[i].child == -i;
}

void
aml_gb_state_free(GbState *s)
{
	if (s == NULL)
		return;
	aml_free(s->baseline);
	aml_free(s->tree_start);
	aml_free(s->tree_depth);
	aml_free(s->nodes);
	aml_free(s->leaf_value);
	aml_free(s->importances);
	aml_free(s);
}

static void
gb_free_state(AmlEstimator *est)
{
	aml_gb_state_free((GbState *) est->state);
	est->state = NULL;
}

/* ------------------------------------------------------------------ prediction */

/* one step down from node i (a leaf stays where it is), branch-free */
static inline int
step(const GbNode *nodes, int i, const double *x)
{
	const GbNode *nd = &nodes[i];
	double		v = x[nd->feature];
	int			c = nd->child;
	int			l = c < 0 ? -c : c;

	/* right when v > threshold, or v is NaN and missing values go right */
	return l + ((v > nd->thr) | ((v != v) & (c > 0)));
}

/*
 * Add the outputs of all trees for row x to raw[0..K-1] (which holds the
 * baseline), tree after tree in order.  Four trees are walked in lockstep so
 * that their independent chains of loads overlap.
 */
static void
raw_predict(const GbState *s, const double *x, double *raw)
{
	const GbNode *nodes = s->nodes;
	const int  *start = s->tree_start;
	const int  *depth = s->tree_depth;
	const double *val = s->leaf_value;
	int			K = s->K;
	int			t = 0;
	int			k = 0;			/* output of tree t: t % K */

	for (; t + 4 <= s->n_trees; t += 4)
	{
		int			a = start[t];
		int			b = start[t + 1];
		int			c = start[t + 2];
		int			d = start[t + 3];
		int			D = depth[t];

		D = depth[t + 1] > D ? depth[t + 1] : D;
		D = depth[t + 2] > D ? depth[t + 2] : D;
		D = depth[t + 3] > D ? depth[t + 3] : D;
		for (int j = 0; j < D; j++)
		{
			a = step(nodes, a, x);
			b = step(nodes, b, x);
			c = step(nodes, c, x);
			d = step(nodes, d, x);
		}
		if (K == 1)
		{
			raw[0] += val[a];
			raw[0] += val[b];
			raw[0] += val[c];
			raw[0] += val[d];
		}
		else
		{
			raw[k] += val[a];
			k = k + 1 == K ? 0 : k + 1;
			raw[k] += val[b];
			k = k + 1 == K ? 0 : k + 1;
			raw[k] += val[c];
			k = k + 1 == K ? 0 : k + 1;
			raw[k] += val[d];
			k = k + 1 == K ? 0 : k + 1;
		}
	}
	for (; t < s->n_trees; t++)
	{
		int			a = start[t];

		for (int j = 0; j < depth[t]; j++)
			a = step(nodes, a, x);
		raw[k] += val[a];
		k = k + 1 == K ? 0 : k + 1;
	}
}

/* expit as scipy.special.expit, then [1 - p, p] (scikit-learn's predict_proba) */
static inline void
binary_proba(double raw, double *out)
{
	double		p1 = 1.0 / (1.0 + exp(-raw));

	out[1] = p1;
	out[0] = 1.0 - p1;
}

/* softmax in place with the max subtracted (scipy.special.softmax) */
static inline void
softmax(double *v, int K)
{
	double		mx = v[0];
	double		sum = 0;

	for (int k = 1; k < K; k++)
		if (v[k] > mx)
			mx = v[k];
	for (int k = 0; k < K; k++)
	{
		v[k] = exp(v[k] - mx);
		sum += v[k];
	}
	for (int k = 0; k < K; k++)
		v[k] /= sum;
}

static void
gb_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const GbState *s = (const GbState *) est->state;

	if (s->K == 1)
	{
		double		raw = s->baseline[0];

		raw_predict(s, x, &raw);
		if (est->task == AML_TASK_CLASSIFICATION)
			binary_proba(raw, out);
		else
			out[0] = raw;
		return;
	}
	memcpy(out, s->baseline, sizeof(double) * (size_t) s->K);
	raw_predict(s, x, out);
	softmax(out, s->K);
}

static AmlStatus
gb_predict_batch(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out, AmlError *err)
{
	int			n = X->rows;
	int			p = X->cols;
	int			K = aml_estimator_outputs(est);
	double	   *row = AML_NEW_ARRAY(double, (size_t) p + (size_t) K);
	double	   *o;

	if (row == NULL)
		return aml_error_nomem(err, "a prediction buffer");
	o = row + p;
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < p; j++)
			row[j] = X->data[(size_t) j * (size_t) n + i];
		gb_predict_row(est, row, o);
		for (int k = 0; k < K; k++)
			out->data[(size_t) k * (size_t) n + i] = o[k];
	}
	aml_free(row);
	return AML_OK;
}

static AmlStatus
gb_importances(const AmlEstimator *est, double *out, AmlError *err)
{
	const GbState *s = (const GbState *) est->state;

	memcpy(out, s->importances, sizeof(double) * (size_t) est->n_features);
	return AML_OK;
}

/* ------------------------------------------------------------------ JSON */

/*
 * Nodes in JSON, per tree in breadth-first order: "feature" (-1 for a leaf),
 * "child" (index of the left child within the tree, negative when missing
 * values go left; 0 for a leaf) and "value" (threshold, or leaf output).
 */
static json_object *
gb_state_to_json(const AmlEstimator *est)
{
	const GbState *s = (const GbState *) est->state;
	json_object *o = json_object_new_object();
	json_object *feature = json_object_new_array_ext(s->n_nodes);
	json_object *child = json_object_new_array_ext(s->n_nodes);
	json_object *value = json_object_new_array_ext(s->n_nodes);

	for (int t = 0; t < s->n_trees; t++)
		for (int i = s->tree_start[t]; i < s->tree_start[t + 1]; i++)
		{
			const GbNode *nd = &s->nodes[i];
			bool		leaf = node_is_leaf(s, i);
			int			c = nd->child;
			int			rel = (c < 0 ? -c : c) - s->tree_start[t];

			json_object_array_add(feature, json_object_new_int(leaf ? -1 : nd->feature));
			json_object_array_add(child, json_object_new_int(leaf ? 0 : (c < 0 ? -rel : rel)));
			json_object_array_add(value, aml_json_new_double(leaf ? s->leaf_value[i] : nd->thr));
		}
	json_object_object_add(o, "loss", json_object_new_string(resolved_loss_names[s->loss]));
	json_object_object_add(o, "trees_per_iteration", json_object_new_int(s->K));
	json_object_object_add(o, "n_iter", json_object_new_int(s->n_iter));
	json_object_object_add(o, "baseline", aml_json_new_double_array(s->baseline, s->K));
	json_object_object_add(o, "tree_start", aml_json_new_int_array(s->tree_start, s->n_trees + 1));
	json_object_object_add(o, "feature", feature);
	json_object_object_add(o, "child", child);
	json_object_object_add(o, "value", value);
	json_object_object_add(o, "importances",
						   aml_json_new_double_array(s->importances, est->n_features));
	return o;
}

static AmlStatus
gb_state_from_json(AmlEstimator *est, json_object *obj, AmlError *err)
{
	const char *what = "gradient boosting state";
	GbState    *s = AML_NEW(GbState);
	const char *loss_name;
	int		   *feature = NULL;
	int		   *child = NULL;
	double	   *value = NULL;
	int		   *depth = NULL;
	int			n_start = 0;
	int			nf = 0;
	int			nc = 0;
	int			nvals = 0;
	int			expected_k;

	if (s == NULL)
		return aml_error_nomem(err, what);
	if (aml_json_get_string(obj, "loss", &loss_name, what, err) != AML_OK)
		goto fail;
	s->loss = -1;
	for (int i = 0; resolved_loss_names[i] != NULL; i++)
		if (strcmp(resolved_loss_names[i], loss_name) == 0)
			s->loss = i;
	if (s->loss < 0)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "unknown loss \"%s\" in %s", loss_name, what);
		goto fail;
	}
	if (aml_json_get_int(obj, "trees_per_iteration", &s->K, what, err) != AML_OK ||
		aml_json_get_int(obj, "n_iter", &s->n_iter, what, err) != AML_OK)
		goto fail;
	expected_k = est->task == AML_TASK_CLASSIFICATION ? (est->n_classes == 2 ? 1 : est->n_classes) : 1;
	if (s->K != expected_k || s->n_iter < 0 || s->n_iter > INT32_MAX / s->K ||
		est->n_features < 1 ||
		(est->task == AML_TASK_CLASSIFICATION) != (s->loss == LOSS_BINARY || s->loss == LOSS_MULTINOMIAL))
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "%s does not match the task", what);
		goto fail;
	}
	s->n_trees = s->n_iter * s->K;
	s->baseline = AML_NEW_ARRAY(double, s->K);
	s->importances = AML_NEW_ARRAY(double, est->n_features);
	if (s->baseline == NULL || s->importances == NULL)
	{
		aml_error_nomem(err, what);
		goto fail;
	}
	if (aml_json_get_double_array(obj, "baseline", s->baseline, s->K, what, err) != AML_OK ||
		aml_json_get_double_array(obj, "importances", s->importances, est->n_features, what,
								  err) != AML_OK ||
		aml_json_get_int_vector(obj, "tree_start", &s->tree_start, &n_start, what, err) != AML_OK ||
		aml_json_get_int_vector(obj, "feature", &feature, &nf, what, err) != AML_OK ||
		aml_json_get_int_vector(obj, "child", &child, &nc, what, err) != AML_OK ||
		aml_json_get_double_vector(obj, "value", &value, &nvals, what, err) != AML_OK)
		goto fail;
	if (n_start != s->n_trees + 1 || nf != nc || nf != nvals || s->tree_start[0] != 0 ||
		s->tree_start[s->n_trees] != nf)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "%s has inconsistent tree sizes", what);
		goto fail;
	}
	s->n_nodes = nf;
	s->nodes = AML_NEW_ARRAY(GbNode, nf > 0 ? nf : 1);
	s->leaf_value = AML_NEW_ARRAY(double, nf > 0 ? nf : 1);
	s->tree_depth = AML_NEW_ARRAY(int, s->n_trees > 0 ? s->n_trees : 1);
	depth = AML_NEW_ARRAY(int, nf > 0 ? nf : 1);
	if (s->nodes == NULL || s->leaf_value == NULL || s->tree_depth == NULL || depth == NULL)
	{
		aml_error_nomem(err, what);
		goto fail;
	}
	for (int t = 0; t < s->n_trees; t++)
	{
		int			a = s->tree_start[t];
		int			b = s->tree_start[t + 1];
		int			max_depth = 0;

		if (b <= a)
		{
			aml_error(err, AML_ERR_BAD_FORMAT, "%s has an empty tree", what);
			goto fail;
		}
		for (int i = a; i < b; i++)
			depth[i] = -1;		/* not reached from the root */
		depth[a] = 0;
		for (int i = a; i < b; i++)
		{
			int			l = child[i] < 0 ? -child[i] : child[i];

			/* children after their parent and inside the tree: no cycles, no overrun */
			if (feature[i] < -1 || feature[i] >= est->n_features ||
				(feature[i] >= 0 && (l <= i - a || a + l + 1 >= b)))
			{
				aml_error(err, AML_ERR_BAD_FORMAT, "%s has an invalid node %d", what, i);
				goto fail;
			}
			if (feature[i] < 0)
			{
				s->nodes[i].thr = INFINITY;
				s->nodes[i].feature = 0;
				s->nodes[i].child = -i;
				s->leaf_value[i] = value[i];
			}
			else
			{
				s->nodes[i].thr = value[i];
				s->nodes[i].feature = feature[i];
				s->nodes[i].child = child[i] < 0 ? -(a + l) : a + l;
				s->leaf_value[i] = 0;
				if (depth[i] >= 0)
				{
					/* the longest path from the root bounds the steps of prediction */
					if (depth[a + l] < depth[i] + 1)
						depth[a + l] = depth[i] + 1;
					if (depth[a + l + 1] < depth[i] + 1)
						depth[a + l + 1] = depth[i] + 1;
				}
			}
			if (depth[i] > max_depth)
				max_depth = depth[i];
		}
		s->tree_depth[t] = max_depth;
	}
	aml_free(feature);
	aml_free(child);
	aml_free(value);
	aml_free(depth);
	est->state = s;
	return AML_OK;

fail:
	aml_free(feature);
	aml_free(child);
	aml_free(value);
	aml_free(depth);
	aml_gb_state_free(s);
	return err->status;
}

/* ------------------------------------------------------------------ type */

/* Memory: the trees (max_iter x outputs of max_leaf_nodes leaves), binned X, gradients. */
static double
gb_fit_bytes(const AmlEstimator *est, int rows, int cols)
{
	const GbParams *p = est->params;
	int			outputs = est->n_classes > 2 ? est->n_classes : 1;

	return (double) p->max_iter * outputs * p->max_leaf_nodes * 2 * 48 + (double) rows * cols +
		(double) rows * outputs * 32;
}

/* JSON size: about 25 characters a node. */
static double
gb_state_bytes(const AmlEstimator *est)
{
	const GbState *s = est->state;

	return s ? 25.0 * s->n_nodes : 0;
}

const AmlEstimatorType aml_gradient_boosting_type = {
	.name = "gradient_boosting",
	.label = "histogram gradient boosting",
	.tasks = AML_TASK_REGRESSION | AML_TASK_CLASSIFICATION,
	.trees = AML_TREES_BOOSTED,
	.params = {gb_param_specs, AML_PARAM_COUNT(gb_param_specs), sizeof(GbParams)},
	.handles_missing = true,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = aml_gb_fit,
	.predict_row = gb_predict_row,
	.predict_batch = gb_predict_batch,
	.state_to_json = gb_state_to_json,
	.state_from_json = gb_state_from_json,
	.free_state = gb_free_state,
	.importances = gb_importances,
	.fit_bytes = gb_fit_bytes,
	.state_bytes = gb_state_bytes,
};

/* ------------------------------------------------------------------ access (tree_access.h) */

bool
aml_boosting_access(const AmlEstimator *est, AmlBoostingView *view)
{
	const GbState *s = est->state;

	if (est->type != &aml_gradient_boosting_type || s == NULL)
		return false;
	view->K = s->K;
	view->n_trees = s->n_trees;
	view->n_nodes = s->n_nodes;
	view->baseline = s->baseline;
	view->tree_start = s->tree_start;
	return true;
}

void
aml_boosting_node(const AmlEstimator *est, int i, bool *leaf, int *feature, double *threshold,
				  int *left, bool *missing_left, double *value)
{
	const GbState *s = est->state;
	const GbNode *nd = &s->nodes[i];

	*leaf = node_is_leaf(s, i);
	*feature = nd->feature;
	*threshold = nd->thr;
	*left = nd->child < 0 ? -nd->child : nd->child;
	*missing_left = nd->child < 0;
	*value = s->leaf_value[i];
}
