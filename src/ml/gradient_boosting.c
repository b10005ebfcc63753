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
 */
#include "ml/estimator.h"
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

enum
{
	GB_LOSS_AUTO = 0,
	GB_LOSS_LOG_LOSS,
	GB_LOSS_SQUARED_ERROR,
	GB_LOSS_ABSOLUTE_ERROR,
	GB_LOSS_HUBER
};

static const char *const loss_choices[] = {
	"auto", "log_loss", "squared_error", "absolute_error", "huber", NULL
};

enum
{
	GB_ES_AUTO = 0,
	GB_ES_ON,
	GB_ES_OFF
};

static const char *const early_stopping_choices[] = {"auto", "on", "off", NULL};

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

static const AmlParamSpec gb_param_specs[] = {
	{"loss", AML_PARAM_CHOICE, offsetof(GbParams, loss), GB_LOSS_AUTO, 0, 0, false, false, false,
		loss_choices,
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

/* resolved losses */
enum
{
	LOSS_BINARY = 0,
	LOSS_MULTINOMIAL,
	LOSS_SQUARED,
	LOSS_ABSOLUTE,
	LOSS_HUBER
};

static const char *const resolved_loss_names[] = {
	"binary_log_loss", "multinomial_log_loss", "squared_error", "absolute_error", "huber", NULL
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

static inline bool
node_is_leaf(const GbState *s, int i)
{
	return s->nodes[i].child == -i;
}

static void
state_free(GbState *s)
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
	state_free((GbState *) est->state);
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

/* ------------------------------------------------------------------ order statistics */

/* scikit-learn's _weighted_percentile with unit weights: no interpolation */
static double
lower_percentile(double *a, int n, double percentile)
{
	double		adjusted = percentile / 100.0 * (double) n;
	int			k;

	if (adjusted == 0)
		adjusted = nextafter(0.0, 1.0);
	k = (int) ceil(adjusted) - 1;
	if (k < 0)
		k = 0;
	if (k > n - 1)
		k = n - 1;
	return aml_select_kth(a, n, k);
}

/* ------------------------------------------------------------------ tree growing */

#define MIN_HESSIAN_TO_SPLIT 1e-3

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

static void
grower_free(Grower *gr)
{
	for (int i = 0; i < gr->n_all; i++)
		aml_free(gr->all_hists[i]);
	aml_free(gr->all_hists);
	aml_free(gr->free_hists);
	aml_free(gr->part);
	aml_free(gr->buf);
	aml_free(gr->og);
	aml_free(gr->oh);
	aml_free(gr->nodes);
	aml_free(gr->open);
}

static HistBin *
hist_get(Grower *gr)
{
	HistBin    *h;

	if (gr->n_free > 0)
		return gr->free_hists[--gr->n_free];
	if (gr->n_all == gr->cap_hists)
	{
		int			cap = gr->cap_hists ? 2 * gr->cap_hists : 16;
		HistBin   **a = aml_realloc(gr->all_hists, sizeof(HistBin *) * (size_t) cap);
		HistBin   **f;

		if (a == NULL)
			return NULL;
		gr->all_hists = a;
		f = aml_realloc(gr->free_hists, sizeof(HistBin *) * (size_t) cap);
		if (f == NULL)
			return NULL;
		gr->free_hists = f;
		gr->cap_hists = cap;
	}
	h = aml_alloc(sizeof(HistBin) * gr->hoff[gr->p]);
	if (h == NULL)
		return NULL;
	gr->all_hists[gr->n_all++] = h;
	return h;
}

static void
hist_release(Grower *gr, GNode *nd)
{
	if (nd->hist != NULL)
	{
		gr->free_hists[gr->n_free++] = nd->hist;
		nd->hist = NULL;
	}
}

/* room for two more nodes; returns false when out of memory */
static bool
nodes_reserve(Grower *gr, int extra)
{
	if (gr->n_nodes + extra > gr->cap_nodes)
	{
		int			cap = gr->cap_nodes * 2 > gr->n_nodes + extra ? gr->cap_nodes * 2
			: gr->n_nodes + extra + 16;
		GNode	   *a = aml_realloc(gr->nodes, sizeof(GNode) * (size_t) cap);
		int		   *o;

		if (a == NULL)
			return false;
		gr->nodes = a;
		o = aml_realloc(gr->open, sizeof(int) * (size_t) cap);
		if (o == NULL)
			return false;
		gr->open = o;
		gr->cap_nodes = cap;
	}
	return true;
}

/*
 * Histograms of features f0 .. f0 + nf - 1 (nf <= 4) over m rows: row i is
 * rows[i] (or i when rows is NULL) and has gradient g[i] and hessian h[i].
 * Four features per pass share the loads of the row index and gradient and
 * interleave independent updates; each bin still sums its rows in order.
 */
static void
hist_features(const Grower *gr, HistBin *hist, int f0, int nf, const uint32_t *rows, int m,
			  const float *g, const float *h)
{
	const uint8_t *c[4];
	HistBin    *hb[4];
	size_t		nt = (size_t) gr->nt;

	for (int k = 0; k < 4; k++)
	{
		int			f = f0 + (k < nf ? k : 0);

		c[k] = gr->Xb + (size_t) f * nt;
		hb[k] = hist + gr->hoff[f];
	}
#define UPDATE(k) do { HistBin *b_ = &hb[k][c[k][s]]; b_->g += gi; b_->n++; } while (0)
#define UPDATE_H(k) do { HistBin *b_ = &hb[k][c[k][s]]; b_->g += gi; b_->h += hi; b_->n++; } while (0)
	/* the loops, for rows given or all rows (ROW is the row of position i) */
#define LOOPS(ROW) \
	if (nf == 4 && gr->hess_const) \
		for (int i = 0; i < m; i++) \
		{ \
			size_t		s = ROW; \
			double		gi = g[i]; \
			UPDATE(0); UPDATE(1); UPDATE(2); UPDATE(3); \
		} \
	else if (nf == 4) \
		for (int i = 0; i < m; i++) \
		{ \
			size_t		s = ROW; \
			double		gi = g[i]; \
			double		hi = h[i]; \
			UPDATE_H(0); UPDATE_H(1); UPDATE_H(2); UPDATE_H(3); \
		} \
	else \
		for (int k = 0; k < nf; k++) \
		{ \
			if (gr->hess_const) \
				for (int i = 0; i < m; i++) \
				{ \
					size_t		s = ROW; \
					double		gi = g[i]; \
					UPDATE(k); \
				} \
			else \
				for (int i = 0; i < m; i++) \
				{ \
					size_t		s = ROW; \
					double		gi = g[i]; \
					double		hi = h[i]; \
					UPDATE_H(k); \
				} \
		}

	if (rows != NULL)
	{
		LOOPS(rows[i])
	}
	else
	{
		LOOPS((size_t) i)
	}
#undef LOOPS
#undef UPDATE
#undef UPDATE_H
}

/* Histograms of a node from its rows (the "brute" build). */
static void
build_hist(Grower *gr, GNode *nd)
{
	HistBin    *hist = nd->hist;
	int			m = nd->count;
	const uint32_t *idx = gr->part + nd->start;
	const uint32_t *rows = idx;
	const float *g = gr->g;
	const float *h = gr->h;

	memset(hist, 0, sizeof(HistBin) * gr->hoff[gr->p]);
	if (m == gr->nt)
		rows = NULL;			/* the root on all rows: no gather (sklearn's _build_histogram_root) */
	else
	{
		/* gradients in partition order, read sequentially below */
		for (int i = 0; i < m; i++)
			gr->og[i] = gr->g[idx[i]];
		if (!gr->hess_const)
			for (int i = 0; i < m; i++)
				gr->oh[i] = gr->h[idx[i]];
		g = gr->og;
		h = gr->oh;
	}
	for (int f = 0; f < gr->p; f += 4)
		hist_features(gr, hist, f, gr->p - f < 4 ? gr->p - f : 4, rows, m, g, h);
}

/* parent's histogram minus the sibling's, in place in the parent's buffer */
static void
subtract_hist(Grower *gr, HistBin *parent, const HistBin *sibling)
{
	size_t		n = gr->hoff[gr->p];

	for (size_t b = 0; b < n; b++)
	{
		parent[b].g -= sibling[b].g;
		parent[b].h -= sibling[b].h;
		parent[b].n -= sibling[b].n;
	}
}

static inline double
node_value(double g, double h, double l2)
{
	return -g / (h + l2 + 1e-15);
}

static inline double
split_gain(double gl, double hl, double gr_, double hr, double loss_current, double l2)
{
	double		vl = node_value(gl, hl, l2);
	double		vr = node_value(gr_, hr, l2);
	double		gain = loss_current;

	gain -= gl * vl;
	gain -= gr_ * vr;
	return gain;
}

/* Best split of one feature, scikit-learn's two scans (missing right, then missing left). */
static void
find_split_feature(const Grower *gr, const GNode *nd, int f, Split *best)
{
	const HistBin *hb = nd->hist + gr->hoff[f];
	int			n = nd->count;
	double		sum_g = nd->sum_g;
	double		sum_h = nd->sum_h;
	double		loss_current = sum_g * nd->value;
	double		l2 = gr->l2;
	int			msl = gr->min_samples_leaf;
	int			end = gr->n_bins[f] - 1 + gr->has_missing[f];
	double		gl = 0;
	double		hl = 0;
	int			nl = 0;

	/* left to right: missing values (the last bin) go right */
	for (int b = 0; b < end; b++)
	{
		double		hr;
		double		grr;
		double		gain;
		int			nr;

		nl += (int) hb[b].n;
		nr = n - nl;
		hl += gr->hess_const ? (double) hb[b].n : hb[b].h;
		hr = sum_h - hl;
		gl += hb[b].g;
		grr = sum_g - gl;
		if (nl < msl)
			continue;
		if (nr < msl)
			break;
		if (hl < MIN_HESSIAN_TO_SPLIT)
			continue;
		if (hr < MIN_HESSIAN_TO_SPLIT)
			break;
		gain = split_gain(gl, hl, grr, hr, loss_current, l2);
		if (gain > best->gain && gain > 0)
		{
			best->gain = gain;
			best->feature = f;
			best->bin = b;
			best->missing_left = 0;
			best->n_left = nl;
			best->g_left = gl;
			best->h_left = hl;
		}
	}
	if (!gr->has_missing[f] || gr->n_bins[f] < 2)
		return;
	/* right to left: missing values go left */
	{
		double		grr = 0;
		double		hr = 0;
		int			nr = 0;

		for (int b = gr->n_bins[f] - 2; b >= 0; b--)
		{
			double		gain;

			nr += (int) hb[b + 1].n;
			nl = n - nr;
			hr += gr->hess_const ? (double) hb[b + 1].n : hb[b + 1].h;
			hl = sum_h - hr;
			grr += hb[b + 1].g;
			gl = sum_g - grr;
			if (nr < msl)
				continue;
			if (nl < msl)
				break;
			if (hr < MIN_HESSIAN_TO_SPLIT)
				continue;
			if (hl < MIN_HESSIAN_TO_SPLIT)
				break;
			gain = split_gain(gl, hl, grr, hr, loss_current, l2);
			if (gain > best->gain && gain > 0)
			{
				best->gain = gain;
				best->feature = f;
				best->bin = b;
				best->missing_left = 1;
				best->n_left = nl;
				best->g_left = gl;
				best->h_left = hl;
			}
		}
	}
}

/* Best split of a node over all features (the first feature wins ties). */
static void
find_split(Grower *gr, GNode *nd)
{
	Split		best;

	memset(&best, 0, sizeof(best));
	best.gain = -1;
	best.feature = -1;
	for (int f = 0; f < gr->p; f++)
	{
		Split		s;

		memset(&s, 0, sizeof(s));
		s.gain = -1;
		find_split_feature(gr, nd, f, &s);
		if (s.gain > best.gain)
			best = s;
	}
	nd->split = best;
}

static void
make_leaf(Grower *gr, GNode *nd)
{
	nd->left = -1;
	nd->out = nd->value;
	gr->n_final++;
	hist_release(gr, nd);
}

/*
 * The splittable nodes are a binary heap: largest gain first, the earliest
 * queued first among equal gains.
 */
static inline bool
heap_before(const Grower *gr, int a, int b)
{
	const GNode *na = &gr->nodes[a];
	const GNode *nb = &gr->nodes[b];

	return na->split.gain > nb->split.gain ||
		(na->split.gain == nb->split.gain && na->seq < nb->seq);
}

static void
heap_push(Grower *gr, int ni)
{
	int			i = gr->n_open++;

	gr->nodes[ni].seq = gr->seq++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!heap_before(gr, ni, gr->open[parent]))
			break;
		gr->open[i] = gr->open[parent];
		i = parent;
	}
	gr->open[i] = ni;
}

static int
heap_pop(Grower *gr)
{
	int			top = gr->open[0];
	int			last = gr->open[--gr->n_open];
	int			n = gr->n_open;
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap_before(gr, gr->open[c + 1], gr->open[c]))
			c++;
		if (!heap_before(gr, gr->open[c], last))
			break;
		gr->open[i] = gr->open[c];
		i = c;
	}
	if (n > 0)
		gr->open[i] = last;
	return top;
}

/* After find_split: queue the node, or make it a leaf when no split has a positive gain. */
static void
push_or_leaf(Grower *gr, int ni)
{
	GNode	   *nd = &gr->nodes[ni];

	if (nd->split.gain > 0)
		heap_push(gr, ni);
	else
		make_leaf(gr, nd);
}

/* Stable partition of the node's rows into left then right; returns the left count. */
static int
partition_rows(Grower *gr, const GNode *nd)
{
	uint32_t   *idx = gr->part + nd->start;
	uint32_t   *buf = gr->buf;
	const uint8_t *col = gr->Xb + (size_t) nd->split.feature * (size_t) gr->nt;
	int			bin = nd->split.bin;
	int			mleft = nd->split.missing_left;
	int			missing = gr->n_bins[nd->split.feature];
	int			nl = 0;
	int			nr = 0;

	/* branch-free: write to both sides, advance one (nl <= i, so idx[nl] was read) */
	for (int i = 0; i < nd->count; i++)
	{
		uint32_t	s = idx[i];
		int			b = col[s];
		int			left = (b == missing) ? mleft : (b <= bin);

		idx[nl] = s;
		buf[nr] = s;
		nl += left;
		nr += 1 - left;
	}
	memcpy(idx + nl, buf, sizeof(uint32_t) * (size_t) nr);
	return nl;
}

static AmlStatus
split_node(Grower *gr, int ni, AmlError *err)
{
	GNode	   *nd;
	GNode	   *L;
	GNode	   *R;
	int			li;
	int			nl;
	int			f;
	int			n_leaf_nodes;
	bool		l_leaf;
	bool		r_leaf;

	if (!nodes_reserve(gr, 2))
		return aml_error_nomem(err, "tree nodes");
	nd = &gr->nodes[ni];
	nl = partition_rows(gr, nd);
	if (nl != nd->split.n_left)
		return aml_error(err, AML_ERR_INTERNAL, "histogram and partition disagree (%d vs %d rows)",
						 nl, nd->split.n_left);
	li = gr->n_nodes;
	gr->n_nodes += 2;
	L = &gr->nodes[li];
	R = &gr->nodes[li + 1];
	memset(L, 0, sizeof(GNode) * 2);
	f = nd->split.feature;
	L->start = nd->start;
	L->count = nl;
	R->start = nd->start + nl;
	R->count = nd->count - nl;
	L->depth = R->depth = nd->depth + 1;
	L->sum_g = nd->split.g_left;
	L->sum_h = nd->split.h_left;
	R->sum_g = nd->sum_g - nd->split.g_left;
	R->sum_h = nd->sum_h - nd->split.h_left;
	L->value = node_value(L->sum_g, L->sum_h, gr->l2);
	R->value = node_value(R->sum_g, R->sum_h, gr->l2);
	L->left = R->left = -1;
	nd->left = li;
	if (!gr->has_missing[f])
		nd->split.missing_left = L->count > R->count;

	/* importance: the decrease of the loss G^2 / (H + l2) of the node */
	{
		double		before = nd->sum_g * nd->sum_g / (nd->sum_h + gr->l2 + 1e-15);
		double		after = L->sum_g * L->sum_g / (L->sum_h + gr->l2 + 1e-15) +
			R->sum_g * R->sum_g / (R->sum_h + gr->l2 + 1e-15);

		if (after > before)
			gr->importances[f] += after - before;
	}

	n_leaf_nodes = gr->n_final + gr->n_open + 2;
	if (gr->max_leaf_nodes > 0 && n_leaf_nodes >= gr->max_leaf_nodes)
	{
		make_leaf(gr, L);
		make_leaf(gr, R);
		while (gr->n_open > 0)
			make_leaf(gr, &gr->nodes[gr->open[--gr->n_open]]);
		hist_release(gr, nd);
		return AML_OK;
	}
	if (gr->max_depth > 0 && L->depth >= gr->max_depth)
	{
		make_leaf(gr, L);
		make_leaf(gr, R);
		hist_release(gr, nd);
		return AML_OK;
	}
	l_leaf = L->count < 2 * gr->min_samples_leaf;
	r_leaf = R->count < 2 * gr->min_samples_leaf;
	if (l_leaf && r_leaf)
	{
		make_leaf(gr, L);
		make_leaf(gr, R);
		hist_release(gr, nd);
		return AML_OK;
	}
	{
		GNode	   *small = L->count < R->count ? L : R;
		GNode	   *large = small == L ? R : L;

		small->hist = hist_get(gr);
		if (small->hist == NULL)
			return aml_error_nomem(err, "histograms");
		build_hist(gr, small);
		large->hist = nd->hist;
		nd->hist = NULL;
		subtract_hist(gr, large->hist, small->hist);
	}
	if (l_leaf)
		make_leaf(gr, L);
	else
	{
		find_split(gr, L);
		push_or_leaf(gr, li);
	}
	if (r_leaf)
		make_leaf(gr, R);
	else
	{
		find_split(gr, R);
		push_or_leaf(gr, li + 1);
	}
	return AML_OK;
}

/*
 * Grow one tree on the rows part[0..m-1] (ascending) with gradients gr->g
 * and hessians gr->h.  Leaves get out = value (before shrinkage).
 */
static AmlStatus
grow_tree(Grower *gr, int m, AmlError *err)
{
	GNode	   *root;
	double		sum_g = 0;
	double		sum_h = 0;

	gr->n_nodes = 0;
	gr->n_open = 0;
	gr->seq = 0;
	gr->n_final = 0;
	if (!nodes_reserve(gr, 1))
		return aml_error_nomem(err, "tree nodes");
	root = &gr->nodes[0];
	memset(root, 0, sizeof(GNode));
	gr->n_nodes = 1;
	root->count = m;
	root->left = -1;
	for (int i = 0; i < m; i++)
		sum_g += gr->g[gr->part[i]];
	if (gr->hess_const)
		sum_h = (double) m;
	else
		for (int i = 0; i < m; i++)
			sum_h += gr->h[gr->part[i]];
	root->sum_g = sum_g;
	root->sum_h = sum_h;
	root->value = 0;			/* as scikit-learn: the root's gain is measured from 0 */
	if (m < 2 * gr->min_samples_leaf || sum_h < MIN_HESSIAN_TO_SPLIT)
	{
		make_leaf(gr, root);
		return AML_OK;
	}
	root->hist = hist_get(gr);
	if (root->hist == NULL)
		return aml_error_nomem(err, "histograms");
	build_hist(gr, root);
	find_split(gr, root);
	push_or_leaf(gr, 0);
	while (gr->n_open > 0)
		AML_TRY(split_node(gr, heap_pop(gr), err));
	return AML_OK;
}

/* Leaf of binned row i of a column-major n-row binned matrix, walking the grower's nodes. */
static inline const GNode *
grower_leaf(const Grower *gr, const uint8_t *Xb, size_t n, size_t i)
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

/* ------------------------------------------------------------------ losses */

/* log(1 + exp(x)) without overflow */
static inline double
log1pexp(double x)
{
	if (x > 0)
		return x + log1p(exp(-x));
	return log1p(exp(x));
}

/*
 * Mean loss at raw predictions raw (K columns of n rows), scikit-learn's
 * half losses for log loss and squared error.
 */
static double
mean_loss(int loss, int K, int n, const double *raw, const double *y, double delta)
{
	double		total = 0;

	if (n == 0)
		return 0;
	switch (loss)
	{
		case LOSS_BINARY:
			for (int i = 0; i < n; i++)
				total += log1pexp(raw[i]) - y[i] * raw[i];
			break;
		case LOSS_MULTINOMIAL:
			for (int i = 0; i < n; i++)
			{
				double		mx = raw[i];
				double		s = 0;

				for (int k = 1; k < K; k++)
					if (raw[i + (size_t) k * n] > mx)
						mx = raw[i + (size_t) k * n];
				for (int k = 0; k < K; k++)
					s += exp(raw[i + (size_t) k * n] - mx);
				total += mx + log(s) - raw[i + (size_t) y[i] * n];
			}
			break;
		case LOSS_SQUARED:
			for (int i = 0; i < n; i++)
			{
				double		d = y[i] - raw[i];

				total += 0.5 * d * d;
			}
			break;
		case LOSS_ABSOLUTE:
			for (int i = 0; i < n; i++)
				total += fabs(y[i] - raw[i]);
			break;
		case LOSS_HUBER:
			for (int i = 0; i < n; i++)
			{
				double		d = fabs(y[i] - raw[i]);

				total += d <= delta ? 0.5 * d * d : delta * (d - delta / 2);
			}
			break;
	}
	return total / n;
}

/*
 * Gradients (and hessians for log loss) at raw, into g/h (K columns of n).
 * For huber, *delta receives the threshold of this round.
 */
static void
compute_gradients(int loss, int K, int n, const double *raw, const double *y, float *g,
				  float *h, double alpha, double *scratch, double *delta)
{
	switch (loss)
	{
		case LOSS_BINARY:
			for (int i = 0; i < n; i++)
			{
				double		r = raw[i];
				double		e = exp(-fabs(r));
				double		p = r >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

				g[i] = (float) (p - y[i]);
				h[i] = (float) (e / ((1.0 + e) * (1.0 + e)));
			}
			break;
		case LOSS_MULTINOMIAL:
			/* scratch holds the K exponentials of a row */
			for (int i = 0; i < n; i++)
			{
				double		mx = raw[i];
				double		s = 0;
				int			yi = (int) y[i];

				for (int k = 1; k < K; k++)
					if (raw[i + (size_t) k * n] > mx)
						mx = raw[i + (size_t) k * n];
				for (int k = 0; k < K; k++)
				{
					scratch[k] = exp(raw[i + (size_t) k * n] - mx);
					s += scratch[k];
				}
				for (int k = 0; k < K; k++)
				{
					double		p = scratch[k] / s;

					g[i + (size_t) k * n] = (float) (p - (k == yi ? 1.0 : 0.0));
					h[i + (size_t) k * n] = (float) (p * (1.0 - p));
				}
			}
			break;
		case LOSS_SQUARED:
			for (int i = 0; i < n; i++)
				g[i] = (float) (raw[i] - y[i]);
			break;
		case LOSS_ABSOLUTE:
			for (int i = 0; i < n; i++)
				g[i] = raw[i] > y[i] ? 1.0f : -1.0f;
			break;
		case LOSS_HUBER:
			{
				double		d;

				for (int i = 0; i < n; i++)
					scratch[i] = fabs(y[i] - raw[i]);
				d = lower_percentile(scratch, n, alpha * 100.0);
				*delta = d;
				for (int i = 0; i < n; i++)
				{
					double		r = y[i] - raw[i];
					double		c = fabs(r) <= d ? r : (r > 0 ? d : (r < 0 ? -d : 0));

					g[i] = (float) (-c);
				}
				break;
			}
	}
}

/* ------------------------------------------------------------------ fit */

typedef struct FitContext
{
	int		   *train_rows;
	int		   *val_rows;
	double	   *y_train;
	double	   *y_val;
	AmlBinMapper *bm;
	uint8_t    *Xb;
	uint8_t    *Xb_val;
	uint8_t    *has_missing;
	size_t	   *hoff;
	double	   *raw;
	double	   *raw_val;
	float	   *g;
	float	   *h;
	double	   *scratch;
	double	   *scores;
	int		   *perm;
	uint8_t    *inbag;
	int		   *queue;
	Grower		gr;
	GbState    *state;
	int			cap_nodes;		/* allocated state->nodes */
	int			cap_trees;
} FitContext;

static void
fit_context_free(FitContext *c)
{
	aml_free(c->train_rows);
	aml_free(c->val_rows);
	aml_free(c->y_train);
	aml_free(c->y_val);
	aml_bin_mapper_free(c->bm);
	aml_free(c->Xb);
	aml_free(c->Xb_val);
	aml_free(c->has_missing);
	aml_free(c->hoff);
	aml_free(c->raw);
	aml_free(c->raw_val);
	aml_free(c->g);
	aml_free(c->h);
	aml_free(c->scratch);
	aml_free(c->scores);
	aml_free(c->perm);
	aml_free(c->inbag);
	aml_free(c->queue);
	grower_free(&c->gr);
	state_free(c->state);
}

/*
 * Hold out n_val rows: stratified by class for classification (each class
 * gives its share, rounded by largest remainders), at random otherwise.
 * Both lists come back in increasing row order.
 */
static AmlStatus
validation_split(const double *y, int n, int n_classes, int n_val, AmlRng *rng,
				 int *train_rows, int *val_rows, AmlError *err)
{
	uint8_t    *is_val = AML_NEW_ARRAY(uint8_t, n);
	int		   *rows = AML_NEW_ARRAY(int, n);
	int			nt = 0;
	int			nv = 0;

	if (is_val == NULL || rows == NULL)
	{
		aml_free(is_val);
		aml_free(rows);
		return aml_error_nomem(err, "the validation split");
	}
	if (n_classes > 0)
	{
		int		   *count = AML_NEW_ARRAY(int, n_classes);
		int		   *take = AML_NEW_ARRAY(int, n_classes);
		double	   *rem = AML_NEW_ARRAY(double, n_classes);
		int			assigned = 0;

		if (count == NULL || take == NULL || rem == NULL)
		{
			aml_free(count);
			aml_free(take);
			aml_free(rem);
			aml_free(is_val);
			aml_free(rows);
			return aml_error_nomem(err, "the validation split");
		}
		for (int i = 0; i < n; i++)
			count[(int) y[i]]++;
		for (int c = 0; c < n_classes; c++)
		{
			double		share = (double) count[c] * n_val / n;

			take[c] = (int) floor(share);
			rem[c] = share - take[c];
			assigned += take[c];
		}
		while (assigned < n_val)
		{
			int			best = -1;

			for (int c = 0; c < n_classes; c++)
				if (take[c] < count[c] && (best < 0 || rem[c] > rem[best]))
					best = c;
			if (best < 0)
				break;
			take[best]++;
			rem[best] = -1;
			assigned++;
		}
		/* rows grouped by class (counting sort), each group shuffled */
		{
			int			pos = 0;

			for (int c = 0; c < n_classes; c++)
			{
				int			m = count[c];

				count[c] = pos;
				pos += m;
			}
			for (int i = 0; i < n; i++)
				rows[count[(int) y[i]]++] = i;
			pos = 0;
			for (int c = 0; c < n_classes; c++)
			{
				int			m = count[c] - pos;

				aml_rng_shuffle(rng, rows + pos, m);
				for (int i = 0; i < take[c]; i++)
					is_val[rows[pos + i]] = 1;
				pos = count[c];
			}
		}
		aml_free(count);
		aml_free(take);
		aml_free(rem);
	}
	else
	{
		for (int i = 0; i < n; i++)
			rows[i] = i;
		aml_rng_shuffle(rng, rows, n);
		for (int i = 0; i < n_val; i++)
			is_val[rows[i]] = 1;
	}
	for (int i = 0; i < n; i++)
	{
		if (is_val[i])
			val_rows[nv++] = i;
		else
			train_rows[nt++] = i;
	}
	aml_free(is_val);
	aml_free(rows);
	return AML_OK;
}

/* scikit-learn's _should_stop on the scores (negative losses) so far */
static bool
should_stop(const double *scores, int n_scores, int n_iter_no_change, double tol)
{
	int			ref = n_iter_no_change + 1;
	double		reference;

	if (n_scores < ref)
		return false;
	reference = scores[n_scores - ref] + tol;
	for (int i = n_scores - ref + 1; i < n_scores; i++)
		if (scores[i] > reference)
			return false;
	return true;
}

/* Append the grown tree to the state in compact form (breadth-first, children adjacent). */
static AmlStatus
emit_tree(FitContext *c, const AmlBinMapper *bm, AmlError *err)
{
	Grower	   *gr = &c->gr;
	GbState    *s = c->state;
	int			qlen = 1;
	int			base = s->n_nodes;
	int			depth = 0;

	if (s->n_trees + 2 > c->cap_trees)
	{
		int			cap = c->cap_trees * 2 + 16;
		int		   *a = aml_realloc(s->tree_start, sizeof(int) * (size_t) cap);
		int		   *d;

		if (a == NULL)
			return aml_error_nomem(err, "trees");
		s->tree_start = a;
		d = aml_realloc(s->tree_depth, sizeof(int) * (size_t) cap);
		if (d == NULL)
			return aml_error_nomem(err, "trees");
		s->tree_depth = d;
		c->cap_trees = cap;
	}
	if (base + gr->n_nodes > c->cap_nodes)
	{
		int			cap = c->cap_nodes * 2 > base + gr->n_nodes ? c->cap_nodes * 2
			: base + gr->n_nodes + 1024;
		GbNode	   *a = aml_realloc(s->nodes, sizeof(GbNode) * (size_t) cap);
		double	   *v;

		if (a == NULL)
			return aml_error_nomem(err, "tree nodes");
		s->nodes = a;
		v = aml_realloc(s->leaf_value, sizeof(double) * (size_t) cap);
		if (v == NULL)
			return aml_error_nomem(err, "tree nodes");
		s->leaf_value = v;
		c->cap_nodes = cap;
	}
	c->queue[0] = 0;
	for (int q = 0; q < qlen; q++)
	{
		const GNode *nd = &gr->nodes[c->queue[q]];
		int			i = base + q;
		GbNode	   *out = &s->nodes[i];

		if (nd->left < 0)
		{
			out->thr = INFINITY;
			out->feature = 0;
			out->child = -i;
			s->leaf_value[i] = nd->out;
			depth = nd->depth > depth ? nd->depth : depth;
		}
		else
		{
			out->feature = nd->split.feature;
			out->thr = aml_bin_threshold(bm, nd->split.feature, nd->split.bin);
			out->child = nd->split.missing_left ? -(base + qlen) : base + qlen;
			s->leaf_value[i] = 0;
			c->queue[qlen++] = nd->left;
			c->queue[qlen++] = nd->left + 1;
		}
	}
	s->tree_start[s->n_trees] = base;
	s->tree_depth[s->n_trees] = depth;
	s->n_nodes = base + qlen;
	s->n_trees++;
	s->tree_start[s->n_trees] = s->n_nodes;
	return AML_OK;
}

/* leaf values of absolute_error / huber from the residuals of the leaf's rows */
static void
refit_leaves(Grower *gr, int loss, const double *y, const double *raw, double delta,
			 double *scratch)
{
	for (int li = 0; li < gr->n_nodes; li++)
	{
		GNode	   *nd = &gr->nodes[li];
		const uint32_t *idx = gr->part + nd->start;
		int			m = nd->count;

		if (nd->left >= 0)
			continue;
		if (m == 0)
		{
			nd->out = 0;
			continue;
		}
		for (int i = 0; i < m; i++)
			scratch[i] = y[idx[i]] - raw[idx[i]];
		if (loss == LOSS_ABSOLUTE)
			nd->out = aml_median_inplace(scratch, m);
		else
		{
			double		med = lower_percentile(scratch, m, 50.0);
			double		sum = 0;

			for (int i = 0; i < m; i++)
			{
				double		d = y[idx[i]] - raw[idx[i]] - med;
				double		a = fabs(d) < delta ? fabs(d) : delta;

				sum += d > 0 ? a : (d < 0 ? -a : 0);
			}
			nd->out = med + sum / m;
		}
	}
}

static AmlStatus
gb_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const GbParams *P = (const GbParams *) est->params;
	FitContext	c;
	Grower	   *gr = &c.gr;
	GbState    *s;
	int			n = X->rows;
	int			p = X->cols;
	int			loss;
	int			K;
	int			nt;
	int			nv = 0;
	bool		early;
	bool		use_val = false;
	int			n_scores = 0;
	double		delta = 0;
	double		lr = P->learning_rate;
	AmlRng		stream;
	AmlStatus	st = AML_OK;

	memset(&c, 0, sizeof(c));
	if (p < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "gradient_boosting needs at least one feature");

	/* loss and trees per round */
	if (est->task == AML_TASK_CLASSIFICATION)
	{
		if (P->loss != GB_LOSS_AUTO && P->loss != GB_LOSS_LOG_LOSS)
		{
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "loss \"%s\" of gradient_boosting is for regression",
					  loss_choices[P->loss]);
			return aml_error_hint(err, "Use \"log_loss\" (or \"auto\") for classification.");
		}
		loss = est->n_classes == 2 ? LOSS_BINARY : LOSS_MULTINOMIAL;
		K = est->n_classes == 2 ? 1 : est->n_classes;
	}
	else
	{
		if (P->loss == GB_LOSS_LOG_LOSS)
		{
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "loss \"log_loss\" of gradient_boosting is for classification");
			return aml_error_hint(err, "Use \"squared_error\", \"absolute_error\" or \"huber\" "
								  "for regression.");
		}
		loss = P->loss == GB_LOSS_ABSOLUTE_ERROR ? LOSS_ABSOLUTE
			: P->loss == GB_LOSS_HUBER ? LOSS_HUBER : LOSS_SQUARED;
		K = 1;
	}

	/* training / validation rows */
	early = P->early_stopping == GB_ES_ON || (P->early_stopping == GB_ES_AUTO && n > 10000);
	nt = n;
	if (early)
	{
		nv = (int) ceil(P->validation_fraction * n);
		if (nv >= 1 && n - nv >= 1)
		{
			use_val = true;
			c.train_rows = AML_NEW_ARRAY(int, n);
			c.val_rows = AML_NEW_ARRAY(int, nv);
			if (c.train_rows == NULL || c.val_rows == NULL)
			{
				st = aml_error_nomem(err, "the validation split");
				goto done;
			}
			aml_rng_derive(rng, 1, &stream);
			if ((st = validation_split(y, n, est->task == AML_TASK_CLASSIFICATION ? est->n_classes : 0,
									   nv, &stream, c.train_rows, c.val_rows, err)) != AML_OK)
				goto done;
			nt = n - nv;
		}
		else
			nv = 0;				/* too few rows: score the training loss instead */
	}
	c.y_train = AML_NEW_ARRAY(double, nt);
	c.y_val = AML_NEW_ARRAY(double, nv > 0 ? nv : 1);
	if (c.y_train == NULL || c.y_val == NULL)
		goto nomem;
	for (int i = 0; i < nt; i++)
		c.y_train[i] = y[use_val ? c.train_rows[i] : i];
	for (int i = 0; i < nv; i++)
		c.y_val[i] = y[c.val_rows[i]];

	/* binning */
	aml_rng_derive(rng, 2, &stream);
	if ((st = aml_bin_mapper_fit(X, use_val ? c.train_rows : NULL, nt, P->max_bins, &stream,
								 &c.bm, err)) != AML_OK)
		goto done;
	c.Xb = aml_alloc((size_t) nt * (size_t) (p > 0 ? p : 1));
	c.Xb_val = aml_alloc((size_t) (nv > 0 ? nv : 1) * (size_t) (p > 0 ? p : 1));
	c.has_missing = AML_NEW_ARRAY(uint8_t, p > 0 ? p : 1);
	c.hoff = AML_NEW_ARRAY(size_t, p + 1);
	if (c.Xb == NULL || c.Xb_val == NULL || c.has_missing == NULL || c.hoff == NULL)
		goto nomem;
	aml_bin_mapper_transform(c.bm, X, use_val ? c.train_rows : NULL, nt, c.Xb, c.has_missing);
	if (nv > 0)
		aml_bin_mapper_transform(c.bm, X, c.val_rows, nv, c.Xb_val, NULL);
	/* missing values to the bin just after the feature's last one (compact histograms) */
	for (int j = 0; j < p; j++)
	{
		uint8_t		from = (uint8_t) P->max_bins;
		uint8_t		to = (uint8_t) c.bm->n_bins[j];
		uint8_t    *col = c.Xb + (size_t) j * (size_t) nt;

		if (from == to)
			continue;
		if (c.has_missing[j])
			for (int i = 0; i < nt; i++)
				col[i] = col[i] == from ? to : col[i];
		col = c.Xb_val + (size_t) j * (size_t) nv;
		for (int i = 0; i < nv; i++)
			col[i] = col[i] == from ? to : col[i];
	}

	/* state */
	c.state = s = AML_NEW(GbState);
	if (s == NULL)
		goto nomem;
	s->loss = loss;
	s->K = K;
	s->baseline = AML_NEW_ARRAY(double, K);
	s->importances = AML_NEW_ARRAY(double, p > 0 ? p : 1);
	c.cap_trees = 16;
	s->tree_start = AML_NEW_ARRAY(int, c.cap_trees);
	s->tree_depth = AML_NEW_ARRAY(int, c.cap_trees);
	if (s->baseline == NULL || s->importances == NULL || s->tree_start == NULL ||
		s->tree_depth == NULL)
		goto nomem;

	/* working arrays */
	c.raw = AML_NEW_ARRAY(double, (size_t) K * (size_t) nt);
	c.raw_val = AML_NEW_ARRAY(double, (size_t) K * (size_t) (nv > 0 ? nv : 1));
	c.g = AML_NEW_ARRAY(float, (size_t) K * (size_t) nt);
	c.h = AML_NEW_ARRAY(float, (size_t) K * (size_t) nt);
	c.scratch = AML_NEW_ARRAY(double, nt > K ? nt : K);
	c.scores = AML_NEW_ARRAY(double, (size_t) P->max_iter + 1);
	c.queue = AML_NEW_ARRAY(int, 2 * (size_t) nt + 1);
	if (c.raw == NULL || c.raw_val == NULL || c.g == NULL || c.h == NULL || c.scratch == NULL ||
		c.scores == NULL || c.queue == NULL)
		goto nomem;

	/* baseline: the intercept-only model of the loss */
	switch (loss)
	{
		case LOSS_BINARY:
			{
				double		mean = 0;
				double		eps = 10 * DBL_EPSILON;

				for (int i = 0; i < nt; i++)
					mean += c.y_train[i];
				mean /= nt;
				if (mean < eps)
					mean = eps;
				if (mean > 1 - eps)
					mean = 1 - eps;
				s->baseline[0] = log(mean / (1 - mean));
				break;
			}
		case LOSS_MULTINOMIAL:
			{
				double		mean_log = 0;

				for (int k = 0; k < K; k++)
					s->baseline[k] = 0;
				for (int i = 0; i < nt; i++)
					s->baseline[(int) c.y_train[i]] += 1;
				for (int k = 0; k < K; k++)
				{
					double		pk = s->baseline[k] / nt;

					if (pk < DBL_EPSILON)
						pk = DBL_EPSILON;
					if (pk > 1 - DBL_EPSILON)
						pk = 1 - DBL_EPSILON;
					s->baseline[k] = log(pk);
					mean_log += s->baseline[k];
				}
				mean_log /= K;
				for (int k = 0; k < K; k++)
					s->baseline[k] -= mean_log;
				break;
			}
		case LOSS_SQUARED:
			{
				double		mean = 0;

				for (int i = 0; i < nt; i++)
					mean += c.y_train[i];
				s->baseline[0] = mean / nt;
				break;
			}
		default:
			memcpy(c.scratch, c.y_train, sizeof(double) * (size_t) nt);
			s->baseline[0] = aml_median_inplace(c.scratch, nt);
			break;
	}
	for (int k = 0; k < K; k++)
	{
		for (int i = 0; i < nt; i++)
			c.raw[(size_t) k * nt + i] = s->baseline[k];
		for (int i = 0; i < nv; i++)
			c.raw_val[(size_t) k * nv + i] = s->baseline[k];
	}

	/* grower */
	gr->nt = nt;
	gr->p = p;
	/* one histogram slot per bin and one for missing values, per feature */
	for (int j = 0; j < p; j++)
		c.hoff[j + 1] = c.hoff[j] + (size_t) c.bm->n_bins[j] + 1;
	gr->hoff = c.hoff;
	gr->Xb = c.Xb;
	gr->n_bins = c.bm->n_bins;
	gr->has_missing = c.has_missing;
	gr->max_leaf_nodes = P->max_leaf_nodes == AML_PARAM_NONE_INT ? 0 : P->max_leaf_nodes;
	gr->max_depth = P->max_depth == AML_PARAM_NONE_INT ? 0 : P->max_depth;
	gr->min_samples_leaf = P->min_samples_leaf;
	gr->l2 = P->l2_regularization;
	gr->hess_const = loss != LOSS_BINARY && loss != LOSS_MULTINOMIAL;
	gr->importances = s->importances;
	gr->part = AML_NEW_ARRAY(uint32_t, nt);
	gr->buf = AML_NEW_ARRAY(uint32_t, nt);
	gr->og = AML_NEW_ARRAY(float, nt);
	gr->oh = AML_NEW_ARRAY(float, nt);
	if (gr->part == NULL || gr->buf == NULL || gr->og == NULL || gr->oh == NULL)
		goto nomem;
	if (P->subsample < 1.0)
	{
		c.perm = AML_NEW_ARRAY(int, nt);
		c.inbag = AML_NEW_ARRAY(uint8_t, nt);
		if (c.perm == NULL || c.inbag == NULL)
			goto nomem;
		for (int i = 0; i < nt; i++)
			c.perm[i] = i;
	}

	if (early)
	{
		/* the score of the baseline comes first, as in scikit-learn */
		if (nv > 0)
			c.scores[n_scores++] = -mean_loss(loss, K, nv, c.raw_val, c.y_val, delta);
		else
			c.scores[n_scores++] = -mean_loss(loss, K, nt, c.raw, c.y_train, delta);
	}

	for (int it = 0; it < P->max_iter; it++)
	{
		int			m = nt;

		if (aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			goto done;
		}
		compute_gradients(loss, K, nt, c.raw, c.y_train, c.g, c.h, P->alpha, c.scratch, &delta);

		/* rows of this round */
		if (c.perm != NULL)
		{
			int			taken = 0;

			m = (int) (P->subsample * nt);
			if (m < 1)
				m = 1;
			aml_rng_derive(rng, 1000 + (uint64_t) it, &stream);
			for (int i = 0; i < m; i++)
			{
				int			j = i + (int) aml_rng_below(&stream, (uint64_t) (nt - i));
				int			t = c.perm[i];

				c.perm[i] = c.perm[j];
				c.perm[j] = t;
			}
			memset(c.inbag, 0, (size_t) nt);
			for (int i = 0; i < m; i++)
				c.inbag[c.perm[i]] = 1;
			for (int i = 0; i < nt; i++)
				if (c.inbag[i])
					gr->part[taken++] = (uint32_t) i;
		}

		for (int k = 0; k < K; k++)
		{
			double	   *raw_k = c.raw + (size_t) k * nt;

			if (c.perm == NULL)
				for (int i = 0; i < nt; i++)
					gr->part[i] = (uint32_t) i;
			else if (k > 0)
			{
				int			taken = 0;

				for (int i = 0; i < nt; i++)
					if (c.inbag[i])
						gr->part[taken++] = (uint32_t) i;
			}
			gr->g = c.g + (size_t) k * nt;
			gr->h = c.h + (size_t) k * nt;
			if ((st = grow_tree(gr, m, err)) != AML_OK)
				goto done;
			if (loss == LOSS_ABSOLUTE || loss == LOSS_HUBER)
				refit_leaves(gr, loss, c.y_train, raw_k, delta, c.scratch);
			for (int li = 0; li < gr->n_nodes; li++)
				if (gr->nodes[li].left < 0)
					gr->nodes[li].out *= lr;

			/* raw predictions: rows of the tree by leaf, the others by walking it */
			for (int li = 0; li < gr->n_nodes; li++)
			{
				const GNode *nd = &gr->nodes[li];
				const uint32_t *idx = gr->part + nd->start;

				if (nd->left >= 0)
					continue;
				for (int i = 0; i < nd->count; i++)
					raw_k[idx[i]] += nd->out;
			}
			if (c.perm != NULL)
				for (int i = 0; i < nt; i++)
					if (!c.inbag[i])
						raw_k[i] += grower_leaf(gr, c.Xb, (size_t) nt, (size_t) i)->out;
			for (int i = 0; i < nv; i++)
				c.raw_val[(size_t) k * nv + i] +=
					grower_leaf(gr, c.Xb_val, (size_t) nv, (size_t) i)->out;
			if ((st = emit_tree(&c, c.bm, err)) != AML_OK)
				goto done;
		}
		s->n_iter++;

		if (early)
		{
			double		score;

			if (nv > 0)
				score = -mean_loss(loss, K, nv, c.raw_val, c.y_val, delta);
			else
				score = -mean_loss(loss, K, nt, c.raw, c.y_train, delta);
			c.scores[n_scores++] = score;
			if (should_stop(c.scores, n_scores, P->n_iter_no_change, P->tol))
				break;
		}
	}

	/* importances as fractions of the total gain */
	{
		double		total = 0;

		for (int j = 0; j < p; j++)
			total += s->importances[j];
		if (total > 0)
			for (int j = 0; j < p; j++)
				s->importances[j] /= total;
	}
	/* give back the spare capacity */
	if (s->n_nodes > 0)
	{
		GbNode	   *a = aml_realloc(s->nodes, sizeof(GbNode) * (size_t) s->n_nodes);
		double	   *v = aml_realloc(s->leaf_value, sizeof(double) * (size_t) s->n_nodes);

		if (a != NULL)
			s->nodes = a;
		if (v != NULL)
			s->leaf_value = v;
	}
	est->state = s;
	c.state = NULL;
	goto done;

nomem:
	st = aml_error_nomem(err, "gradient boosting");
done:
	fit_context_free(&c);
	return st;
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
	state_free(s);
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
	.params = {gb_param_specs, AML_PARAM_COUNT(gb_param_specs), sizeof(GbParams)},
	.handles_missing = true,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = gb_fit,
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
