/*
 * forest.c — random forest ("random_forest") and extremely randomised trees
 * ("extra_trees"), for classification and regression, with scikit-learn's
 * RandomForest and ExtraTrees hyperparameters and defaults.
 *
 * Every tree is grown by the CART grower (tree.h) on the same prepared data
 * (features ranked once), from its own random stream aml_rng_derive(rng, t), so a forest is
 * deterministic for a seed whatever the evaluation order.  Bootstrap samples
 * are drawn as per-row counts (weights), as scikit-learn does.  A
 * classification forest outputs the mean of the trees' class probabilities, a
 * regression forest the mean of their values.  Missing values are handled
 * natively by the trees.
 */
#include "ml/estimator.h"
#include "ml/tree.h"
#include "ml/tree_access.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct ForestParams
{
	int			n_estimators;
	int			criterion;
	int			max_depth;
	int			min_samples_split;
	int			min_samples_leaf;
	double		min_impurity_decrease;
	int			max_features;
	double		max_features_fraction;
	bool		bootstrap;
	double		max_samples;
} ForestParams;

#define FOREST_SPECS(bootstrap_default) \
	{"n_estimators", AML_PARAM_INT, offsetof(ForestParams, n_estimators), 100, 1, 100000, \
		false, false, false, NULL, "number of trees"}, \
	{"criterion", AML_PARAM_CHOICE, offsetof(ForestParams, criterion), 0, 0, 0, \
		false, false, false, aml_tree_criterion_choices, \
	"split quality: auto (gini for classification, squared_error for regression), gini, entropy, log_loss, squared_error"}, \
	{"max_depth", AML_PARAM_INT, offsetof(ForestParams, max_depth), AML_PARAM_NONE_INT, \
		1, INFINITY, false, false, true, NULL, "maximum depth of each tree, null for unlimited"}, \
	{"min_samples_split", AML_PARAM_INT, offsetof(ForestParams, min_samples_split), 2, \
		2, INFINITY, false, false, false, NULL, "minimum number of rows a node needs to be split"}, \
	{"min_samples_leaf", AML_PARAM_INT, offsetof(ForestParams, min_samples_leaf), 1, \
		1, INFINITY, false, false, false, NULL, "minimum number of rows in each leaf"}, \
	{"min_impurity_decrease", AML_PARAM_DOUBLE, offsetof(ForestParams, min_impurity_decrease), \
		0, 0, INFINITY, false, false, false, NULL, \
	"a node is split only if the weighted impurity decreases by at least this much"}, \
	{"max_features", AML_PARAM_CHOICE, offsetof(ForestParams, max_features), \
		AML_TREE_CHOICE_AUTO, 0, 0, false, false, false, aml_tree_max_features_choices, \
	"features considered per split: auto (sqrt for classification, all for regression), all, sqrt, log2"}, \
	{"max_features_fraction", AML_PARAM_DOUBLE, offsetof(ForestParams, max_features_fraction), \
		NAN, 0, 1, true, false, true, NULL, \
	"fraction of the features considered per split; overrides max_features when set"}, \
	{"bootstrap", AML_PARAM_BOOL, offsetof(ForestParams, bootstrap), bootstrap_default, 0, 1, \
		false, false, false, NULL, "grow each tree on a bootstrap sample (else on all rows)"}, \
	{"max_samples", AML_PARAM_DOUBLE, offsetof(ForestParams, max_samples), NAN, 0, 1, \
		true, false, true, NULL, \
	"with bootstrap: fraction of the rows drawn for each tree, null for as many as there are rows"}

static const AmlParamSpec random_forest_specs[] = {FOREST_SPECS(1)};
static const AmlParamSpec extra_trees_specs[] = {FOREST_SPECS(0)};

typedef struct ForestState
{
	int			n_trees;
	int			n_outputs;
	AmlTree    *trees;
} ForestState;

static void
forest_free_state(AmlEstimator *est)
{
	ForestState *s = est->state;

	if (s == NULL)
		return;
	for (int t = 0; t < s->n_trees; t++)
		aml_tree_free(&s->trees[t]);
	aml_free(s->trees);
	aml_free(s);
	est->state = NULL;
}

static ForestState *
forest_state_new(int n_trees, int n_outputs)
{
	ForestState *s = AML_NEW(ForestState);

	if (s == NULL)
		return NULL;
	s->trees = AML_NEW_ARRAY(AmlTree, n_trees);
	if (s->trees == NULL)
	{
		aml_free(s);
		return NULL;
	}
	s->n_trees = n_trees;
	s->n_outputs = n_outputs;
	return s;
}

static AmlStatus
forest_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const ForestParams *p = est->params;
	bool		classification = est->task == AML_TASK_CLASSIFICATION;
	bool		extra = est->type == &aml_extra_trees_type;
	int			n = X->rows;
	AmlTreeConfig cfg;
	AmlTreeData *data = NULL;
	AmlTreeBuilder *builder = NULL;
	ForestState *s;
	int		   *counts = NULL;
	int			n_draw = n;
	AmlStatus	st;

	memset(&cfg, 0, sizeof(cfg));
	AML_TRY(aml_tree_resolve_config(&cfg, p->criterion, p->max_features,
									p->max_features_fraction, classification, X->cols,
									est->type->name, err));
	cfg.splitter = extra ? AML_TREE_RANDOM : AML_TREE_BEST;
	cfg.max_depth = p->max_depth == AML_PARAM_NONE_INT ? 0 : p->max_depth;
	cfg.min_samples_split = p->min_samples_split;
	cfg.min_samples_leaf = p->min_samples_leaf;
	cfg.min_impurity_decrease = p->min_impurity_decrease;
	if (p->bootstrap && !isnan(p->max_samples))
	{
		n_draw = (int) lround(p->max_samples * n);
		if (n_draw < 1)
			n_draw = 1;
	}
	else if (!p->bootstrap && !isnan(p->max_samples))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "hyperparameter \"max_samples\" of %s needs bootstrap", est->type->name);
		return aml_error_hint(err, "Set \"bootstrap\" to true or \"max_samples\" to null.");
	}

	s = forest_state_new(p->n_estimators, aml_estimator_outputs(est));
	if (s == NULL)
		return aml_error_nomem(err, "a forest");
	st = aml_tree_data_create(X, y, classification ? est->n_classes : 0,
							  !extra, &data, err);
	if (st == AML_OK)
		st = aml_tree_builder_create(data, &cfg, &builder, err);
	if (st == AML_OK && p->bootstrap && (counts = AML_NEW_ARRAY(int, n)) == NULL)
		st = aml_error_nomem(err, "bootstrap counts");
	for (int t = 0; st == AML_OK && t < p->n_estimators; t++)
	{
		AmlRng		trng;

		if (aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			break;
		}
		aml_rng_derive(rng, (uint64_t) t, &trng);
		if (p->bootstrap)
		{
			memset(counts, 0, sizeof(int) * (size_t) n);
			for (int i = 0; i < n_draw; i++)
				counts[aml_rng_below(&trng, (uint64_t) n)]++;
		}
		st = aml_tree_build(builder, counts, &trng, &s->trees[t], err);
	}
	aml_free(counts);
	aml_tree_builder_free(builder);
	aml_tree_data_free(data);
	est->state = s;
	if (st != AML_OK)
		forest_free_state(est);
	return st;
}

/*
 * Prediction walks up to LOCKSTEP trees at once: leaves point to themselves
 * and read the sentinel x[n_features] = -inf (see tree.h), so every tree of a
 * group advances each step without a branch of its own and the loads of the
 * different trees overlap.  A forest bigger than the cache is bound by memory
 * latency, so the more independent loads in flight the better: 32 trees per
 * group walk a 100-tree forest of 12-deep trees 1.6x faster than 8 (measured
 * on a 2-core EPYC).  Outputs are added in tree order, whatever the path, so
 * predict_row and predict_batch give the same bits.
 */
#define LOCKSTEP 32
#define ROW_STACK 512

static inline void
add_leaf(const AmlTree *tree, uint32_t leaf, int k, double *acc)
{
	const double *v = aml_tree_leaf_output(tree, leaf);

	for (int c = 0; c < k; c++)
		acc[c] += v[c];
}

/* Trees [t0, t0 + g), g <= LOCKSTEP, for row xb (with the sentinel); acc += their outputs. */
static inline void
walk_group(const AmlTree *trees, int t0, int g, const double *xb, bool has_nan, int k, double *acc)
{
	const AmlTreeNode *base[LOCKSTEP];
	uint32_t	idx[LOCKSTEP];

	for (int j = 0; j < g; j++)
	{
		base[j] = trees[t0 + j].nodes;
		idx[j] = 0;
	}
	if (!has_nan)
		for (;;)
		{
			uint32_t	moved = 0;

			for (int j = 0; j < g; j++)
			{
				const AmlTreeNode *n = base[j] + idx[j];
				uint32_t	next = (uint32_t) n->left +
					!(xb[n->feature & AML_TREE_FEATURE_MASK] <= n->threshold);

				moved |= next ^ idx[j];
				idx[j] = next;
			}
			if (!moved)
				break;
		}
	else
		for (;;)
		{
			uint32_t	moved = 0;

			for (int j = 0; j < g; j++)
			{
				const AmlTreeNode *n = base[j] + idx[j];
				double		v = xb[n->feature & AML_TREE_FEATURE_MASK];
				uint32_t	go_left = (v <= n->threshold) |
					((v != v) & ((n->feature & AML_TREE_MISSING_LEFT) != 0));
				uint32_t	next = (uint32_t) n->left + !go_left;

				moved |= next ^ idx[j];
				idx[j] = next;
			}
			if (!moved)
				break;
		}
	for (int j = 0; j < g; j++)
		add_leaf(&trees[t0 + j], idx[j], k, acc);
}

/* All trees for row xb (n_features + 1 values, sentinel set); acc (k values) += outputs. */
static void
forest_accumulate(const ForestState *s, const double *xb, bool has_nan, int k, double *acc)
{
	int			groups = (s->n_trees + LOCKSTEP - 1) / LOCKSTEP;
	int			t = 0;

	/* groups of equal size (a short last group would walk with little overlap) */
	for (int g = 0; g < groups; g++)
	{
		int			size = s->n_trees / groups + (g < s->n_trees % groups);

		walk_group(s->trees, t, size, xb, has_nan, k, acc);
		t += size;
	}
}

static void
forest_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const ForestState *s = est->state;
	int			k = s->n_outputs;
	int			p = est->n_features;

	for (int c = 0; c < k; c++)
		out[c] = 0;
	if (p < ROW_STACK)
	{
		double		xb[ROW_STACK];

		memcpy(xb, x, sizeof(double) * (size_t) p);
		xb[p] = -INFINITY;
		forest_accumulate(s, xb, aml_tree_row_has_nan(x, p), k, out);
	}
	else
		for (int t = 0; t < s->n_trees; t++)
			add_leaf(&s->trees[t], aml_tree_leaf_index(s->trees[t].nodes, x), k, out);
	for (int c = 0; c < k; c++)
		out[c] /= s->n_trees;
}

/*
 * Batches: blocks of rows, one tree at a time (its hot nodes stay in cache
 * for the whole block).  ROW_SLOTS slots walk rows through the tree side by
 * side; a slot whose row reached its leaf adds the leaf and takes the next
 * row, so no slot idles while others walk longer paths (deep trees have
 * paths of very different lengths).  Per row the outputs are still added in
 * tree order, as in predict_row.
 */
#define ROW_SLOTS 16
#define PREDICT_BLOCK 16384
#define PREDICT_BUFFER ((size_t) 1 << 20)	/* doubles in the row block (8 MB) */

static void
walk_tree_rows(const AmlTree *tree, const double *rowbuf, size_t stride, int nb, int k,
			   double *acc)
{
	const AmlTreeNode *base = tree->nodes;
	const double *xs[ROW_SLOTS];
	int			row[ROW_SLOTS];
	uint32_t	idx[ROW_SLOTS];
	int			next_row = 0;
	int			active = 0;

	for (int j = 0; j < ROW_SLOTS; j++)
	{
		idx[j] = 0;
		row[j] = next_row < nb ? next_row++ : -1;
		xs[j] = row[j] >= 0 ? rowbuf + (size_t) row[j] * stride : NULL;
		active += row[j] >= 0;
	}
	while (active > 0)
		for (int j = 0; j < ROW_SLOTS; j++)
		{
			const AmlTreeNode *n;
			double		v;
			uint32_t	go_left,
						next;

			if (row[j] < 0)
				continue;
			n = base + idx[j];
			v = xs[j][n->feature & AML_TREE_FEATURE_MASK];
			go_left = (v <= n->threshold) |
				((v != v) & ((n->feature & AML_TREE_MISSING_LEFT) != 0));
			next = (uint32_t) n->left + !go_left;
			if (next != idx[j])
			{
				idx[j] = next;
				continue;
			}
			/* at the leaf: take the next row */
			add_leaf(tree, idx[j], k, acc + (size_t) row[j] * k);
			idx[j] = 0;
			if (next_row < nb)
			{
				row[j] = next_row++;
				xs[j] = rowbuf + (size_t) row[j] * stride;
			}
			else
			{
				row[j] = -1;
				active--;
			}
		}
}

static AmlStatus
forest_predict_batch(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out, AmlError *err)
{
	const ForestState *s = est->state;
	int			k = s->n_outputs;
	int			p = X->cols;
	size_t		stride = (size_t) p + 1;
	size_t		fit = PREDICT_BUFFER / stride;
	int			block = fit < 256 ? 256 : (fit > PREDICT_BLOCK ? PREDICT_BLOCK : (int) fit);
	double	   *rowbuf;
	double	   *acc;

	if (block > X->rows)
		block = X->rows;
	rowbuf = AML_NEW_ARRAY(double, (size_t) block * stride);
	acc = AML_NEW_ARRAY(double, (size_t) block * (size_t) k);
	if (rowbuf == NULL || acc == NULL)
	{
		aml_free(rowbuf);
		aml_free(acc);
		return aml_error_nomem(err, "a prediction buffer");
	}
	for (int r0 = 0; r0 < X->rows; r0 += block)
	{
		int			nb = X->rows - r0 < block ? X->rows - r0 : block;

		for (int i = 0; i < nb; i++)
		{
			double	   *xb = rowbuf + (size_t) i * stride;

			aml_matrix_get_row(X, r0 + i, xb);
			xb[p] = -INFINITY;
		}
		memset(acc, 0, sizeof(double) * (size_t) nb * (size_t) k);
		for (int t = 0; t < s->n_trees; t++)
			walk_tree_rows(&s->trees[t], rowbuf, stride, nb, k, acc);
		for (int i = 0; i < nb; i++)
			for (int c = 0; c < k; c++)
				AML_AT(out, r0 + i, c) = acc[(size_t) i * k + c] / s->n_trees;
	}
	aml_free(rowbuf);
	aml_free(acc);
	return AML_OK;
}

static json_object *
forest_state_to_json(const AmlEstimator *est)
{
	const ForestState *s = est->state;
	json_object *o = json_object_new_object();
	json_object *trees = json_object_new_array_ext(s->n_trees);

	for (int t = 0; t < s->n_trees; t++)
		json_object_array_add(trees, aml_tree_to_json(&s->trees[t]));
	json_object_object_add(o, "trees", trees);
	return o;
}

static AmlStatus
forest_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	json_object *trees;
	int			n_trees;
	ForestState *s;

	AML_TRY(aml_json_get(state, "trees", json_type_array, &trees, "forest state", err));
	n_trees = (int) json_object_array_length(trees);
	if (n_trees < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "forest state has no trees");
	s = forest_state_new(n_trees, aml_estimator_outputs(est));
	if (s == NULL)
		return aml_error_nomem(err, "a forest");
	est->state = s;
	for (int t = 0; t < n_trees; t++)
	{
		json_object *tj = json_object_array_get_idx(trees, t);

		if (!json_object_is_type(tj, json_type_object))
		{
			forest_free_state(est);
			return aml_error(err, AML_ERR_BAD_FORMAT, "tree %d of the forest state is not an object", t);
		}
		if (aml_tree_from_json(tj, est->n_features, s->n_outputs, &s->trees[t], err) != AML_OK)
		{
			forest_free_state(est);
			return err->status;
		}
	}
	return AML_OK;
}

/* As scikit-learn: mean of the normalised importances of the trees that split, renormalised. */
static AmlStatus
forest_importances(const AmlEstimator *est, double *out, AmlError *err)
{
	const ForestState *s = est->state;
	int			p = est->n_features;
	double	   *tmp = AML_NEW_ARRAY(double, p);
	int			used = 0;
	double		sum = 0;

	if (tmp == NULL)
		return aml_error_nomem(err, "importances");
	for (int j = 0; j < p; j++)
		out[j] = 0;
	for (int t = 0; t < s->n_trees; t++)
	{
		if (s->trees[t].n_nodes <= 1)
			continue;
		aml_tree_normalized_importances(&s->trees[t], tmp);
		for (int j = 0; j < p; j++)
			out[j] += tmp[j];
		used++;
	}
	aml_free(tmp);
	if (used == 0)
		return AML_OK;
	for (int j = 0; j < p; j++)
	{
		out[j] /= used;
		sum += out[j];
	}
	if (sum > 0)
		for (int j = 0; j < p; j++)
			out[j] /= sum;
	return AML_OK;
}

/* Memory: nodes of every tree (about 2 rows / min_samples_leaf each) and sort buffers. */
static double
forest_fit_bytes(const AmlEstimator *est, int rows, int cols)
{
	const ForestParams *p = est->params;
	int			outputs = est->n_classes > 0 ? est->n_classes : 1;

	return (double) p->n_estimators * (2.0 * rows / (p->min_samples_leaf > 1 ? p->min_samples_leaf : 1)) *
		(40.0 + 8.0 * outputs) + (double) rows * cols * 4;
}

/* JSON size: its trees' (tree_json.c). */
static double
forest_state_bytes(const AmlEstimator *est)
{
	const ForestState *s = est->state;
	double		bytes = 0;

	if (s == NULL)
		return 0;
	for (int t = 0; t < s->n_trees; t++)
		bytes += aml_tree_json_bytes(&s->trees[t]);
	return bytes;
}

const AmlEstimatorType aml_random_forest_type = {
	.name = "random_forest",
	.label = "random forest",
	.tasks = AML_TASK_REGRESSION | AML_TASK_CLASSIFICATION,
	.trees = AML_TREES_AVERAGED,
	.params = {random_forest_specs, AML_PARAM_COUNT(random_forest_specs), sizeof(ForestParams)},
	.handles_missing = true,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = forest_fit,
	.predict_row = forest_predict_row,
	.predict_batch = forest_predict_batch,
	.state_to_json = forest_state_to_json,
	.state_from_json = forest_state_from_json,
	.free_state = forest_free_state,
	.importances = forest_importances,
	.fit_bytes = forest_fit_bytes,
	.state_bytes = forest_state_bytes,
};

const AmlEstimatorType aml_extra_trees_type = {
	.name = "extra_trees",
	.label = "extra trees",
	.tasks = AML_TASK_REGRESSION | AML_TASK_CLASSIFICATION,
	.trees = AML_TREES_AVERAGED,
	.params = {extra_trees_specs, AML_PARAM_COUNT(extra_trees_specs), sizeof(ForestParams)},
	.handles_missing = true,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = forest_fit,
	.predict_row = forest_predict_row,
	.predict_batch = forest_predict_batch,
	.state_to_json = forest_state_to_json,
	.state_from_json = forest_state_from_json,
	.free_state = forest_free_state,
	.importances = forest_importances,
	.fit_bytes = forest_fit_bytes,
	.state_bytes = forest_state_bytes,
};

bool
aml_forest_access(const AmlEstimator *est, const AmlTree **trees, int *n_trees)
{
	const ForestState *s = est->state;

	if ((est->type != &aml_random_forest_type && est->type != &aml_extra_trees_type) || s == NULL)
		return false;
	*trees = s->trees;
	*n_trees = s->n_trees;
	return true;
}
