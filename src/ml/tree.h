/*
 * tree.h — CART decision trees shared by decision_tree.c and forest.c.
 *
 * Representation: a fitted tree is a flat array of 16-byte nodes.  Children of
 * a node are allocated as a pair, so an internal node stores only the index
 * of its left child (right = left + 1, left > own index).  Rows go left when
 * x[feature] <= threshold; a NaN goes left when the node's missing-left bit is
 * set (learned at fit time: the side that gave the better impurity, or the
 * child with more samples when the node saw no missing value).
 *
 * A leaf points to itself (left == own index), its feature is n_features and
 * its threshold holds the regression value or, for classification, the leaf
 * number (class probabilities at values[leaf * n_outputs], leaves numbered in
 * node order).  So a traversal that appends x[n_features] = -inf to the row
 * stays on a leaf once it reaches one: several trees can be walked in
 * lockstep without a per-tree branch (forest.c).  The JSON form marks leaves
 * with left = 0 and their number in feature instead.
 *
 * Fitting: aml_tree_data_create() ranks every feature once (each distinct
 * value gets an integer code, NaN a reserved code), so the "best" splitter
 * works on integer codes: per node and feature the codes of the node's rows
 * are either accumulated in a histogram (when the codes span a range small
 * compared with the node size) or radix/quick-sorted; no re-sorting of
 * doubles per node.  Both give exact CART: thresholds are midpoints between
 * consecutive distinct values, as in scikit-learn.  The prepared data and a
 * builder workspace are shared by all trees of a forest; a tree is grown from
 * per-row integer weights (bootstrap counts).
 *
 * Criteria: gini, entropy (classification) and squared_error (regression),
 * with scikit-learn's stopping rules (max_depth, min_samples_split,
 * min_samples_leaf, min_impurity_decrease) and feature sampling
 * (max_features, constant features do not count).  Splitter "best" scans all
 * thresholds; "random" (extra trees) draws one uniform threshold per feature.
 * Ties between splits of equal quality go to the lowest feature index, then
 * the lowest threshold, so results do not depend on the feature draw order.
 */
#ifndef AML_TREE_H
#define AML_TREE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <json.h>

#include "core/matrix.h"
#include "core/random.h"
#include "core/status.h"

typedef enum AmlTreeCriterion
{
	AML_TREE_GINI = 0,
	AML_TREE_ENTROPY,
	AML_TREE_SQUARED_ERROR
} AmlTreeCriterion;

typedef enum AmlTreeSplitter
{
	AML_TREE_BEST = 0,
	AML_TREE_RANDOM
} AmlTreeSplitter;

/* Bit 31 of AmlTreeNode.feature: a missing value goes left. */
#define AML_TREE_MISSING_LEFT 0x80000000u
#define AML_TREE_FEATURE_MASK 0x7fffffffu

typedef struct AmlTreeNode
{
	double		threshold;		/* internal: split value; leaf: value or leaf number */
	uint32_t	feature;		/* internal: feature | missing-left bit; leaf: n_features */
	int32_t		left;			/* internal: index of the left child; leaf: own index */
} AmlTreeNode;

typedef struct AmlTree
{
	int			n_nodes;
	int			n_leaves;
	int			n_outputs;		/* classification: n_classes; regression: 1 */
	int			n_features;
	int			depth;			/* longest root-to-leaf path (edges) */
	AmlTreeNode *nodes;			/* n_nodes */
	double	   *values;			/* n_leaves * n_outputs, leaf k at values[k * n_outputs] */
	double	   *importances;	/* n_features: weighted impurity decrease / root weight */
} AmlTree;

typedef struct AmlTreeConfig
{
	AmlTreeCriterion criterion;
	AmlTreeSplitter splitter;
	int			max_depth;		/* <= 0: unlimited */
	int			min_samples_split;	/* >= 2 */
	int			min_samples_leaf;	/* >= 1 */
	double		min_impurity_decrease;	/* >= 0 */
	int			max_features;	/* features drawn per node, 1 .. n_features */
} AmlTreeConfig;

/* Training data prepared once (feature ranks); y is referenced, not copied. */
typedef struct AmlTreeData AmlTreeData;
/* Reusable workspace for growing trees on one AmlTreeData. */
typedef struct AmlTreeBuilder AmlTreeBuilder;

/*
 * n_classes: classification with classes 0..n_classes-1; 0 means regression.
 * ranks: rank the features (needed by the "best" splitter; the "random"
 * splitter reads the values directly).  X and y are referenced, not copied:
 * keep them alive while trees are grown.
 */
AmlStatus	aml_tree_data_create(const AmlMatrix *X, const double *y, int n_classes, bool ranks,
								 AmlTreeData **out, AmlError *err);
void		aml_tree_data_free(AmlTreeData *data);

AmlStatus	aml_tree_builder_create(const AmlTreeData *data, const AmlTreeConfig *config,
									AmlTreeBuilder **out, AmlError *err);
void		aml_tree_builder_free(AmlTreeBuilder *builder);

/*
 * Grow one tree.  counts[i] is how many times row i is drawn (bootstrap;
 * 0 leaves the row out), or NULL for every row once.  rng drives the feature
 * draws and random thresholds.  out is filled (free with aml_tree_free).
 */
AmlStatus	aml_tree_build(AmlTreeBuilder *builder, const int *counts, AmlRng *rng,
						   AmlTree *out, AmlError *err);

/* Release the arrays of a tree (not the struct itself); safe on a zeroed tree. */
void		aml_tree_free(AmlTree *tree);

/* Serialise / restore.  from_json validates the structure against n_features/n_outputs. */
json_object *aml_tree_to_json(const AmlTree *tree);
/* Characters of aml_tree_to_json's form of the tree (nearly exact: its model-size estimate). */
double		aml_tree_json_bytes(const AmlTree *tree);
AmlStatus	aml_tree_from_json(json_object *obj, int n_features, int n_outputs,
							   AmlTree *out, AmlError *err);

/*
 * Hyperparameter choices shared by decision_tree.c and forest.c, and their
 * resolution into an AmlTreeConfig.
 *   criterion     "auto" (gini for classification, squared_error for
 *                 regression), "gini", "entropy", "log_loss" (= entropy),
 *                 "squared_error"
 *   max_features  "auto" (sqrt for classification, all for regression, as in
 *                 scikit-learn's forests), "all" (scikit-learn's None),
 *                 "sqrt", "log2"; a fraction (0, 1] overrides the choice
 */
extern const char *const aml_tree_criterion_choices[];
extern const char *const aml_tree_max_features_choices[];
#define AML_TREE_CHOICE_AUTO 0
#define AML_TREE_MAX_FEATURES_ALL 1

AmlStatus	aml_tree_resolve_config(AmlTreeConfig *config, int criterion_choice,
									int max_features_choice, double max_features_fraction,
									bool classification, int n_features, const char *owner,
									AmlError *err);

/* Normalised importances of one tree (sum 1; all 0 for a single-leaf tree). */
void		aml_tree_normalized_importances(const AmlTree *tree, double *out);

/* Does x[0..n-1] contain a NaN? (choose the traversal once per row) */
static inline bool
aml_tree_row_has_nan(const double *x, int n)
{
	for (int j = 0; j < n; j++)
		if (isnan(x[j]))
			return true;
	return false;
}

/* Index of the leaf reached by row x[0..n_features-1] (NaN allowed). */
static inline uint32_t
aml_tree_leaf_index(const AmlTreeNode *nodes, const double *x)
{
	uint32_t	i = 0;

	for (;;)
	{
		const AmlTreeNode *n = nodes + i;
		double		v;
		bool		go_left;

		if ((uint32_t) n->left == i)
			return i;
		v = x[n->feature & AML_TREE_FEATURE_MASK];
		go_left = v <= n->threshold || (isnan(v) && (n->feature & AML_TREE_MISSING_LEFT) != 0);
		i = (uint32_t) n->left + !go_left;
	}
}

/* The n_outputs values of leaf `leaf` (regression: the node's own threshold field). */
static inline const double *
aml_tree_leaf_output(const AmlTree *tree, uint32_t leaf)
{
	const AmlTreeNode *n = tree->nodes + leaf;

	return tree->n_outputs == 1 ? &n->threshold
		: tree->values + (size_t) n->threshold * (size_t) tree->n_outputs;
}

#endif
