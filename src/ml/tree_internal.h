/*
 * tree_internal.h — what the files of the CART tree grower share (not a
 * public header: decision_tree.c, forest.c and the rest use tree.h).
 *
 *   tree_sort.c    integer key sorting (insertion, quick, LSD radix)
 *   tree_data.c    the prepared data (feature ranks) and the builder workspace
 *   tree_split.c   impurities, split proxies and the split search of a node
 *   tree_grow.c    growing a tree, its release, configuration, importances
 *   tree_json.c    the JSON form of a tree
 *
 * Data preparation (best splitter) ranks each feature once: codes[j][i] is
 * the rank of X[i,j] among the distinct values of feature j (values[j][code]
 * gives the value back), NaN gets CODE_MISSING.  A node's rows live in
 * rows[start:end], their weights and targets in the parallel arrays pw/pcls/py
 * (partitioned together with rows, so they are contiguous per node).  The
 * split search of a feature reads the codes of the node's rows and either
 * builds a per-code histogram of the target statistics (when the codes span a
 * range comparable to the node size) or sorts (code, position) keys with an
 * insertion, quick or LSD radix sort, then scans the distinct values in
 * order.  Both paths evaluate exactly the same candidate thresholds as
 * scikit-learn (consecutive distinct values more than 1e-7 apart, at their
 * midpoint); a bitset of "tight" neighbouring values spares the scan most
 * reads of the large values table.  The random splitter reads the values
 * themselves (min, max, one uniform threshold, one counting pass).
 *
 * Codes and the random splitter's copy of X are stored row-major: a node
 * reads several features of the same rows, which then share cache lines.
 *
 * Rows carry integer weights (bootstrap counts), so class counts are exact
 * integers: gini/entropy proxies of identical partitions are bit-identical
 * whichever path computed them, and entropy uses a table of c*log2(c).
 *
 * Missing values: for every candidate threshold both "missing left" and
 * "missing right" are evaluated, plus the split "non-missing left, missing
 * right" (threshold +inf), as scikit-learn >= 1.3 does.
 */
#ifndef AML_TREE_INTERNAL_H
#define AML_TREE_INTERNAL_H

#include "ml/tree.h"

#include <float.h>
#include <stdint.h>

#define CODE_MISSING UINT32_MAX
#define FEATURE_THRESHOLD 1e-7	/* values closer than this are not split apart */
#define IMPURITY_EPSILON DBL_EPSILON
/* memory cap (in doubles) of the per-code histogram */
#define HIST_MAX_DOUBLES ((size_t) 4 << 20)
/* nodes whose children are laid out breadth-first (the top 7 levels) */
#define TOP_NODES 63

struct AmlTreeData
{
	int			n_rows;
	int			n_features;
	int			n_classes;		/* 0: regression */
	uint32_t   *codes;			/* n_features columns of n_rows: a feature's gather
								 * over a node's rows stays within one column */
	double	   *values;			/* distinct values of every feature, concatenated */
	size_t	   *value_start;	/* n_features + 1 offsets into values */
	bool	   *has_missing;	/* n_features */
	/*
	 * Bit value_start[j] + c is set when distinct values c and c + 1 of
	 * feature j are at most FEATURE_THRESHOLD apart.  When it is clear, any
	 * value above c is far enough from c to split between them, so the split
	 * scan rarely has to read the (large, cache-unfriendly) values table.
	 */
	uint64_t   *tight;
	int			max_distinct;
	double	   *xr;				/* random splitter: the values, n_features columns of n_rows */
	const double *y;			/* regression target (referenced) */
	int32_t    *cls;			/* classification target */
};

typedef struct StackEntry
{
	int			start;
	int			end;
	int			depth;
	int			node;
	int			n_const;		/* known constant features (first of features[]) */
	double		impurity;
} StackEntry;

typedef struct Split
{
	double		proxy;
	int			feature;
	bool		mleft;			/* missing values go left */
	uint32_t	cthr;			/* best splitter: rows with code <= cthr go left */
	double		threshold;		/* rows with x <= threshold go left */
} Split;

struct AmlTreeBuilder
{
	const AmlTreeData *data;
	AmlTreeConfig cfg;
	bool		classification;
	int			n_classes;		/* 1 for regression (outputs) */
	int			n_rows;
	int			n_features;

	/* per row */
	int		   *weight;
	int		   *rows;
	int		   *rows_tmp;

	/*
	 * Per position in rows[]: weight and target of the row there, permuted
	 * together with rows[] so a node's targets are contiguous (no gather).
	 */
	double	   *pw;
	int32_t    *pcls;
	double	   *py;
	/* the current node's slices of pw / pcls / py */
	const int32_t *lcls;
	const double *ly;
	const double *lw;
	uint8_t    *lgo;
	double	   *lx;				/* random splitter: values of the feature under study */
	double	   *lx_best;		/* ... and of the best feature so far */
	uint32_t   *lcode;			/* best splitter: codes of the feature under study */
	uint32_t   *lcode_best;		/* ... and of the best feature so far */
	uint64_t   *keys;
	uint64_t   *keys_tmp;

	/* per-code histogram */
	int			hist_cap;
	int		   *hist_n;
	double	   *hist_s;

	int		   *features;
	int		   *constant_features;

	/* class statistics: node totals, missing, left, scratch */
	double	   *tot;
	double	   *mis;
	double	   *left;
	double	   *lanes;			/* 4 * n_classes scratch */
	bool		unit_weights;	/* every row of the tree has weight 1 */
	double	   *xlogx;			/* entropy: i * log2(i), i = 0 .. xlogx_len - 1 */
	size_t		xlogx_len;

	/* node context of the current split search */
	double		Tw;
	int			Tn;
	double		Ts;
	double		Mw;
	int			Mn;
	double		Ms;

	/* the tree being grown */
	AmlTreeNode *nodes;
	int			n_nodes;
	int			nodes_cap;
	double	   *leafvals;
	int			n_leaves;
	int			leaves_cap;
	double	   *imp;
	StackEntry *stack;
	int			stack_cap;
	AmlRng	   *rng;
};

/* tree_sort.c */
void		aml_tree_sort_pairs(uint64_t *key, uint32_t *idx, uint64_t *key_tmp, uint32_t *idx_tmp, int n);
uint64_t   *aml_tree_sort_keys(uint64_t *keys, uint64_t *tmp, int n, uint32_t cmin, uint32_t range);

/* tree_split.c */
double		aml_tree_class_impurity(const AmlTreeBuilder *b, const double *c, double w);
void		aml_tree_find_split(AmlTreeBuilder *b, const StackEntry *e, Split *best, int *n_const_out);

#endif							/* AML_TREE_INTERNAL_H */
