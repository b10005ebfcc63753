/*
 * tree_access.h — read-only access to the fitted trees of the tree families,
 * for explanations (shap_tree.c).  Each accessor is defined next to the
 * family's private state and returns false when est is not of that family
 * or not fitted.
 */
#ifndef AML_TREE_ACCESS_H
#define AML_TREE_ACCESS_H

#include <stdbool.h>

#include "ml/estimator.h"
#include "ml/tree.h"

/* decision_tree.c: the one tree. */
bool		aml_decision_tree_access(const AmlEstimator *est, const AmlTree **tree);

/* forest.c (random_forest, extra_trees): the trees, whose outputs are averaged. */
bool		aml_forest_access(const AmlEstimator *est, const AmlTree **trees, int *n_trees);

/*
 * gradient_boosting.c: raw output k = baseline[k] + sum of the trees t with
 * t % K == k.  Nodes of all trees in one array; tree t starts at
 * tree_start[t] (its root).  Node i: leaf when *leaf; else x[feature] <=
 * threshold goes to left, else to left + 1; NaN goes left when missing_left.
 */
typedef struct AmlBoostingView
{
	int			K;
	int			n_trees;
	int			n_nodes;
	const double *baseline;		/* K */
	const int  *tree_start;		/* n_trees + 1 */
} AmlBoostingView;

bool		aml_boosting_access(const AmlEstimator *est, AmlBoostingView *view);
void		aml_boosting_node(const AmlEstimator *est, int i, bool *leaf, int *feature,
							  double *threshold, int *left, bool *missing_left, double *value);

#endif
