/*
 * shap.h — exact Shapley values of tree models (TreeSHAP, path-dependent).
 *
 * A tree model is brought into one generic form, AmlShapForest: a sum of
 * trees whose leaves hold one value per output,
 *     out[k] = offset[k] + scale * sum over trees t adding to output k of t(x)
 * (decision tree: one tree, scale 1; random forest / extra trees: scale =
 * 1 / n_trees, leaves hold every output; gradient boosting: tree t adds to
 * output t % K of the raw margin, offset = the baseline).
 *
 * The explanation of out[k] at x is phi[k][0..n_features-1] with
 *     out[k](x) = base[k] + sum_j phi[k][j]
 * where base[k] = E[out[k]] under the trees' node covers and phi are the
 * Shapley values of the path-dependent value function of Lundberg et al.
 * (2020, "From local explanations to global understanding with explainable AI
 * for trees", algorithm 2): v(S) = the tree's output when features in S
 * follow x and every other split is averaged over its children, weighted by
 * the children's covers (training rows that reached them).  A node that no
 * training row reached splits its weight in halves (shap_tree.c, cover_fraction),
 * here and in the brute-force reference alike.
 *
 * Covers are not part of the fitted trees: they are computed once from the
 * training design matrix (aml_shap_covers_of_estimator, at fit time by
 * explain.c, not for cross-validation splits) and stored with the pipeline.
 */
#ifndef AML_SHAP_H
#define AML_SHAP_H

#include <stdbool.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/estimator.h"

typedef struct AmlShapTree
{
	int			n_nodes;
	int			n_outputs;
	int			depth;			/* longest root-to-leaf path (edges) */
	int		   *feature;		/* split feature, -1 for a leaf */
	double	   *threshold;		/* x <= threshold goes left */
	int		   *left;
	int		   *right;
	bool	   *missing_left;	/* NaN goes left */
	double	   *value;			/* n_nodes x n_outputs (leaves) */
	double	   *cover;			/* n_nodes */
} AmlShapTree;

/* The per-leaf paths and base values the explanation needs (shap_fast.c). */
struct AmlShapFast;

typedef struct AmlShapForest
{
	int			n_features;
	int			n_outputs;
	int			n_trees;
	AmlShapTree *trees;
	int		   *tree_output;	/* per tree: the output it adds to, -1: all (vector leaves) */
	double	   *offset;			/* n_outputs */
	double		scale;
	struct AmlShapFast *fast;	/* aml_shap_forest_prepare; NULL after covers change */
} AmlShapForest;

/*
 * The trees of a decision tree, forest, extra trees or gradient boosting
 * estimator (covers zero); *out = NULL (and AML_OK) for other families.
 */
AmlStatus	aml_shap_forest_from_estimator(const AmlEstimator *est, AmlShapForest **out,
										   AmlError *err);
void		aml_shap_forest_free(AmlShapForest *f);
/* Nodes of all trees (the length of the cover vector). */
long		aml_shap_forest_total_nodes(const AmlShapForest *f);
/* Covers = rows of X (n x n_features) reaching each node. */
void		aml_shap_forest_covers_from_data(AmlShapForest *f, const AmlMatrix *X);
void		aml_shap_forest_get_covers(const AmlShapForest *f, double *covers);
/*
 * The covers an estimator's trees get from X (what aml_shap_forest_from_estimator
 * then aml_shap_forest_covers_from_data and _get_covers give, in the same
 * node order), without building the explanation's trees (whose per-node
 * value vectors are n_nodes x classes doubles: 300 MB for a 26-class extra
 * trees model of 15 000 rows).  *covers = NULL, *n_cover = 0 for other
 * families.
 */
AmlStatus	aml_shap_covers_of_estimator(const AmlEstimator *est, const AmlMatrix *X, double **covers,
										 long *n_cover, AmlError *err);
void		aml_shap_forest_set_covers(AmlShapForest *f, const double *covers);

/*
 * Prepares the explanation once the covers are set (after
 * aml_shap_forest_covers_from_data or _set_covers, which drop it): per leaf,
 * its path's distinct features with their cover products, and the base
 * values.  Memory: O(sum of leaf depths) per tree.
 */
AmlStatus	aml_shap_forest_prepare(AmlShapForest *f, AmlError *err);
/*
 * Doubles of H tables (shap_fast.c) one prepared forest may hold for the
 * trees without pattern tables (default 4 Mi = 32 MB); leaves without one
 * compute the same numbers by quadrature.
 * Tests set it to 0 to exercise that path.
 */
extern long aml_shap_table_budget;
/*
 * Doubles of pattern tables (shap_table.c) one prepared forest may hold:
 * trees whose tables fit get them, smallest first; default 4 Mi doubles =
 * 32 MB (a 100-tree forest of depth 6 needs at most 2.5 Mi).  Tests set it
 * to 0 to exercise the other paths.
 */
#define AML_SHAP_PATTERN_BUDGET_DEFAULT (4L << 20)
extern long aml_shap_pattern_budget;
/*
 * Largest height of the subtrees whose leaves share one table (0: a table
 * per leaf); lowered while the tables do not fit.  Tests vary it.
 */
#define AML_SHAP_BLOCK_HEIGHT_DEFAULT 3
extern int	aml_shap_block_height;
/* Doubles of workspace aml_shap_forest_explain (and aml_shap_tree_explain) need. */
long		aml_shap_forest_workspace(const AmlShapForest *f);
/*
 * phi: n_outputs x n_features (output k at phi + k * n_features), base:
 * n_outputs; work: aml_shap_forest_workspace() doubles.  Needs
 * aml_shap_forest_prepare (unprepared: phi and base are NaN).  Cost per row
 * and tree: O(nodes + sum over leaves of depth x distinct features / 2).
 */
void		aml_shap_forest_explain(const AmlShapForest *f, const double *x, double *phi,
									double *base, double *work);
/* The forest's outputs at x (offset + scale * trees), for checks. */
void		aml_shap_forest_output(const AmlShapForest *f, const double *x, double *out);

/*
 * Reference (tests): the Shapley values of one tree by enumerating all 2^M
 * coalitions of its n_features features with the same value function;
 * phi: n_outputs x n_features.  M <= 20.
 */
AmlStatus	aml_shap_tree_brute_force(const AmlShapTree *t, int n_features, const double *x,
									  double *phi, AmlError *err);
/*
 * Reference (tests): recursive TreeSHAP of one tree (Lundberg et al.'s
 * algorithm 2, phi += scale * contributions); work: aml_shap_forest_workspace().
 */
void		aml_shap_tree_explain(const AmlShapTree *t, int n_features, const double *x,
								  double scale, double *phi, double *work);

#endif
