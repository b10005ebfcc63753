/*
 * gradient_boosting_internal.h — what the files of histogram gradient
 * boosting share (not a public header; the estimator is reached through
 * estimator.h and tree_access.h):
 *
 *   gradient_boosting.c        hyperparameters, fitted state, prediction,
 *                              JSON, the estimator type and tree access
 *   gradient_boosting_grow.c   growing one tree leaf-wise on histograms
 *   gradient_boosting_loss.c   losses, gradients and hessians, percentiles
 *   gradient_boosting_fit.c    the boosting rounds, early stopping, leaf refits
 */
#ifndef AML_GRADIENT_BOOSTING_INTERNAL_H
#define AML_GRADIENT_BOOSTING_INTERNAL_H

#include "ml/estimator.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ hyperparameters */

enum
{
	GB_LOSS_AUTO = 0,
	GB_LOSS_LOG_LOSS,
	GB_LOSS_SQUARED_ERROR,
	GB_LOSS_ABSOLUTE_ERROR,
	GB_LOSS_HUBER
};

extern const char *const aml_gb_loss_choices[];

enum
{
	GB_ES_AUTO = 0,
	GB_ES_ON,
	GB_ES_OFF
};

typedef struct GbParams
{
	int			loss;
	double		learning_rate;
	int			max_iter;
	int			max_leaf_nodes;
	int			max_depth;
	int			min_samples_leaf;
	double		l2_regularization;
	int			max_bins;
	double		subsample;
	int			early_stopping;
	double		validation_fraction;
	int			n_iter_no_change;
	double		tol;
	double		alpha;
} GbParams;

/* ------------------------------------------------------------------ fitted state */

/* resolved losses */
enum
{
	LOSS_BINARY = 0,
	LOSS_MULTINOMIAL,
	LOSS_SQUARED,
	LOSS_ABSOLUTE,
	LOSS_HUBER
};

/*
 * A node of a fitted tree, 16 bytes, all trees in one array.  Split:
 * x[feature] <= thr goes to the left child, |child| is the (global) index of
 * the left child and the right child follows it; child < 0 when missing
 * values go left.  Leaf i: thr = +inf, feature = 0, child = -i, so that a
 * step from a leaf stays on it (prediction walks several trees in lockstep
 * for a fixed number of steps); its output is leaf_value[i].
 */
typedef struct GbNode
{
	double		thr;
	int32_t		feature;
	int32_t		child;
} GbNode;

typedef struct GbState
{
	int			loss;			/* LOSS_* */
	int			K;				/* trees per round */
	int			n_iter;			/* rounds */
	int			n_trees;		/* n_iter * K */
	double	   *baseline;		/* K */
	int		   *tree_start;		/* n_trees + 1 offsets into nodes */
	int		   *tree_depth;		/* n_trees: steps from the root to the deepest leaf */
	GbNode	   *nodes;
	double	   *leaf_value;		/* n_nodes: output of leaves, 0 for splits */
	int			n_nodes;
	double	   *importances;	/* n_features, sum 1 (or all 0) */
} GbState;

void		aml_gb_state_free(GbState *s);

/* ------------------------------------------------------------------ tree growing (gradient_boosting_grow.c) */

typedef struct HistBin
{
	double		g;
	double		h;
	uint32_t	n;
	uint32_t	pad_;
} HistBin;

typedef struct Split
{
	double		gain;
	int			feature;
	int			bin;
	int			missing_left;
	int			n_left;
	double		g_left;
	double		h_left;
} Split;

typedef struct GNode
{
	int			start;			/* first position in the partition */
	int			count;			/* rows */
	int			depth;
	double		sum_g;
	double		sum_h;
	double		value;			/* -G / (H + l2), before shrinkage; 0 at the root */
	HistBin    *hist;
	Split		split;			/* best split, gain > 0 when splittable */
	int			left;			/* index of the left child (right = left + 1); -1 for a leaf */
	int			seq;			/* order in which it was queued for splitting */
	double		out;			/* leaf output after shrinkage */
} GNode;

typedef struct Grower
{
	/* for the whole fit */
	int			nt;				/* training rows */
	int			p;
	const uint8_t *Xb;			/* nt x p, column-major; missing = n_bins[feature] */
	const int  *n_bins;			/* non-missing bins per feature */
	const size_t *hoff;			/* p + 1: histogram slots of feature f start at hoff[f] */
	const uint8_t *has_missing;
	int			max_leaf_nodes; /* 0: unlimited */
	int			max_depth;		/* 0: unlimited */
	int			min_samples_leaf;
	double		l2;
	bool		hess_const;
	double	   *importances;	/* p, total gain */

	/* per tree */
	const float *g;
	const float *h;
	uint32_t   *part;			/* row partition of the nodes */
	uint32_t   *buf;
	float	   *og;				/* gradients in partition order */
	float	   *oh;
	GNode	   *nodes;
	int			n_nodes;
	int			cap_nodes;
	int		   *open;			/* splittable nodes */
	int			n_open;
	int			seq;			/* queue order, for ties */
	int			n_final;		/* leaves */

	/* histogram buffers */
	HistBin   **free_hists;
	int			n_free;
	HistBin   **all_hists;
	int			n_all;
	int			cap_hists;
} Grower;

void		aml_gb_grower_free(Grower *gr);
AmlStatus	aml_gb_grow_tree(Grower *gr, int m, AmlError *err);

/* Leaf of binned row i of a column-major n-row binned matrix, walking the grower's nodes. */
static inline const GNode *
aml_gb_grower_leaf(const Grower *gr, const uint8_t *Xb, size_t n, size_t i)
{
	const GNode *nd = &gr->nodes[0];

	while (nd->left >= 0)
	{
		int			b = Xb[(size_t) nd->split.feature * n + i];
		int			left = (b == gr->n_bins[nd->split.feature]) ? nd->split.missing_left
			: (b <= nd->split.bin);

		nd = &gr->nodes[nd->left + (left ? 0 : 1)];
	}
	return nd;
}

/* ------------------------------------------------------------------ losses (gradient_boosting_loss.c) */

double		aml_gb_lower_percentile(double *a, int n, double percentile);
double		aml_gb_mean_loss(int loss, int K, int n, const double *raw, const double *y, double delta);
void		aml_gb_compute_gradients(int loss, int K, int n, const double *raw, const double *y,
									 float *g, float *h, double alpha, double *scratch, double *delta);

/* ------------------------------------------------------------------ fit (gradient_boosting_fit.c) */

AmlStatus	aml_gb_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
					   AmlError *err);

#endif							/* AML_GRADIENT_BOOSTING_INTERNAL_H */
