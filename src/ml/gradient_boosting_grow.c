/*
 * gradient_boosting_grow.c — growing one tree of histogram gradient boosting
 * leaf-wise (gradient_boosting.c explains the rules; gradient_boosting_internal.h).
 */
#include "ml/gradient_boosting_internal.h"
#include "ml/split_scan.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ tree growing */

#define MIN_HESSIAN_TO_SPLIT 1e-3



void
aml_gb_grower_free(Grower *gr)
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

/*
 * The same when the sibling (the smaller child, built from its rows) has few
 * rows: its histogram is zero except at the bins of its rows, so only those
 * bins of the parent change (each once: a bit set per bin, bins < 256).
 * Parent minus an exact zero is the parent, so the result is bit-identical
 * to subtract_hist's, for m x p work instead of every bin.
 */
static void
subtract_hist_rows(Grower *gr, HistBin *parent, const HistBin *sibling, const GNode *small)
{
	const uint32_t *rows = gr->part + small->start;
	int			m = small->count;
	size_t		nt = (size_t) gr->nt;

	for (int f = 0; f < gr->p; f++)
	{
		const uint8_t *c = gr->Xb + (size_t) f * nt;
		HistBin    *pb = parent + gr->hoff[f];
		const HistBin *sb = sibling + gr->hoff[f];
		uint64_t	seen[4] = {0, 0, 0, 0};

		for (int i = 0; i < m; i++)
		{
			unsigned	b = c[rows[i]];

			seen[b >> 6] |= UINT64_C(1) << (b & 63);
		}
		for (int w = 0; w < 4; w++)
			for (uint64_t bits = seen[w]; bits != 0; bits &= bits - 1)
			{
				int			b = w * 64 + __builtin_ctzll(bits);

				pb[b].g -= sb[b].g;
				pb[b].h -= sb[b].h;
				pb[b].n -= sb[b].n;
			}
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

/*
 * A candidate's gain is loss_current + gl^2 / HL + gr^2 / HR, with HL and HR
 * the sides' hessians plus l2 (positive); it must exceed the best gain and 0,
 * so gl^2 / HL + gr^2 / HR must reach this threshold (split_scan.h).
 */
static inline double
gain_threshold(const Split *best, double loss_current)
{
	return ((best->gain > 0 ? best->gain : 0) - loss_current) * AML_SPLIT_FILTER_SLACK;
}

static inline bool
may_beat(double gl, double hl, double grr, double hr, double l2, double threshold)
{
	return aml_split_may_beat(gl * gl, hl + l2 + 1e-15, grr * grr, hr + l2 + 1e-15, threshold);
}

/*
 * Best split of one feature, scikit-learn's two scans (missing right, then
 * missing left), into *best: a candidate replaces it only when strictly
 * better, so over the features the first best one wins ties.
 */
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
	double		threshold = gain_threshold(best, loss_current);
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
		if (!may_beat(gl, hl, grr, hr, l2, threshold))
			continue;
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
			threshold = gain_threshold(best, loss_current);
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
			if (!may_beat(gl, hl, grr, hr, l2, threshold))
				continue;
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
				threshold = gain_threshold(best, loss_current);
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
		find_split_feature(gr, nd, f, &best);
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
		/* few rows against the bins: at their bins only */
		if ((size_t) small->count * (size_t) aml_gb_rows_subtract_factor * (size_t) gr->p <= gr->hoff[gr->p])
			subtract_hist_rows(gr, large->hist, small->hist, small);
		else
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
AmlStatus
aml_gb_grow_tree(Grower *gr, int m, AmlError *err)
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
