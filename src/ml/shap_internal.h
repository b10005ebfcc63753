/*
 * shap_internal.h — helpers shared by the TreeSHAP files (shap_tree.c,
 * shap_fast.c, shap_table.c); not part of the ML layer's interface.
 */
#ifndef AML_SHAP_INTERNAL_H
#define AML_SHAP_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "ml/shap.h"

/*
 * One tree prepared for explanation (shap_fast.c): its internal nodes in
 * preorder, per leaf its path steps and its path's distinct features P in
 * order of first appearance from the root (so the index of a node's feature
 * in P is the same for every leaf below the node), their cover products z,
 * and either pattern tables (shap_table.c) or H tables / quadrature.
 */
typedef struct FastTree
{
	int			n_internal;
	int			n_leaves;
	int		   *in_feature;		/* per internal node (preorder): split feature */
	double	   *in_threshold;
	unsigned char *in_missing_left;
	int		   *leaf;			/* node of each leaf */
	int		   *step_start;		/* n_leaves + 1: each leaf's path nodes */
	uint64_t   *step;			/* internal index << 32 | index of its feature in P << 1 | goes left */
	int		   *feat_start;		/* n_leaves + 1: each leaf's distinct features */
	int		   *feat;
	double	   *z;
	long	   *table_start;	/* per leaf: its H table in `table`, or -1 */
	double	   *table;
	/* pattern tables (shap_table.c); pattern == NULL: none for this tree */
	double	   *pattern;		/* per block: 2^bits rows of u x nv contributions */
	int			n_top;			/* internal nodes above the blocks (preorder) */
	int		   *top;			/* their internal indices */
	uint32_t   *top_bit;		/* 1 << (index of the node's feature in P) */
	int		   *top_child;		/* left, right slot (internal index, or n_internal + leaf) */
	int			root_slot;
	int			n_blocks;
	int		   *block_root;		/* slot of the block's root */
	int		   *block_first;	/* its first internal index (its internal nodes follow) */
	int		   *block_nint;		/* its internal nodes */
	int		   *block_p;		/* distinct features above it: pattern bits of the key */
	int		   *block_fstart;	/* n_blocks + 1: its features U in block_feat */
	int		   *block_feat;
	long	   *block_off;		/* its rows in `pattern` */
	int		   *block_leaf;		/* n_blocks + 1: its leaves (consecutive in preorder) */
	int			nv;				/* values per feature in a row: 1 (folded) or n_outputs */
	int			out_base;		/* the output a one-value row adds to */
} FastTree;

struct AmlShapFast
{
	int			n_trees;
	FastTree   *trees;
	int			max_q;
	double	   *gl_t;			/* row Q (1..max_q) at Q * max_q: the Q nodes on [0, 1] */
	double	   *gl_w;			/* their weights (summing to 1) */
	double	   *base;			/* n_outputs */
};

/* Fraction of the weight of `parent` that goes to `child` when its feature is not known. */
static inline double
aml_shap_cover_fraction(const AmlShapTree *t, int parent, int child)
{
	double		c = t->cover[parent];

	return c > 0 ? t->cover[child] / c : 0.5;
}

/* The child of internal node i that x goes to (NaN: the node's missing side). */
static inline int
aml_shap_hot_child(const AmlShapTree *t, int i, const double *x)
{
	double		v = x[t->feature[i]];

	if (isnan(v))
		return t->missing_left[i] ? t->left[i] : t->right[i];
	return v <= t->threshold[i] ? t->left[i] : t->right[i];
}

/*
 * The leaf integrals of shap_fast.c's header comment: for k in 0..p-1,
 * c[k] = integral_0^1 prod_{m != k} (t o_m + (1 - t) z_m) dt, by
 * Gauss-Legendre quadrature with ceil(p / 2) nodes (exact for this degree),
 * products leaving out one factor from prefix and suffix products (no
 * division).  F: p doubles, suf: p + 1 doubles of scratch.
 */
static inline void
aml_shap_leaf_integrals(const struct AmlShapFast *fast, const double *z, const double *o, int p,
						double *c, double *F, double *suf)
{
	int			Q = (p + 1) / 2;
	const double *gt = fast->gl_t + (size_t) Q * fast->max_q;
	const double *gw = fast->gl_w + (size_t) Q * fast->max_q;

	for (int k = 0; k < p; k++)
		c[k] = 0;
	for (int q = 0; q < Q; q++)
	{
		double		T = gt[q];
		double		U = 1 - T;
		double		pre = 1;

		for (int k = 0; k < p; k++)
			F[k] = U * z[k] + T * o[k];
		/* suf[k] = w * prod_{m >= k} F[m] */
		suf[p] = gw[q];
		for (int k = p - 1; k > 0; k--)
			suf[k] = suf[k + 1] * F[k];
		for (int k = 0; k < p; k++)
		{
			c[k] += pre * suf[k + 1];
			pre *= F[k];
		}
	}
}

/* Doubles of workspace the recursive reference (shap_tree.c) needs for trees of this depth. */
long		aml_shap_path_workspace(int depth);

/* Frees the prepared form (shap_fast.c); NULL is fine. */
void		aml_shap_fast_free(struct AmlShapFast *fast);

/*
 * Pattern tables (shap_table.c): builds them for the trees of f->fast whose
 * tables fit (see there) within aml_shap_pattern_budget doubles in all;
 * false: out of memory.
 */
bool		aml_shap_pattern_prepare(const AmlShapForest *f, struct AmlShapFast *fast);
/* Frees one tree's pattern tables. */
void		aml_shap_pattern_free(FastTree *ft);
/*
 * Copies of phi the pattern path adds to in turn: consecutive blocks add to
 * the same few features, and one copy would chain every addition to the
 * previous one through memory.
 */
#define AML_SHAP_ACCUMULATORS 4
/*
 * Adds tree ft's contributions at x by its pattern tables to acc:
 * AML_SHAP_ACCUMULATORS copies of phi (K outputs x n features) one after
 * the other, whose sum is the explanation; work: 3 (n_internal + n_leaves) +
 * 2 (n_internal / 64) + 8 uint32_t of scratch, 8-byte aligned.
 */
void		aml_shap_pattern_explain_tree(const FastTree *ft, int n, int K, const double *x,
										  double *acc, uint32_t *work);

#endif
