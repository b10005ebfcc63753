/*
 * shap_table.c — exact path-dependent TreeSHAP by pattern tables, for trees
 * shallow enough that the tables fit (the idea of Fast TreeSHAP v2, Yang
 * 2021, "Fast TreeSHAP: Accelerating SHAP Value Computation for Trees",
 * extended from leaves to small subtrees).
 *
 * A leaf's contribution to the features of its path (shap_fast.c's header:
 * phi_k = val * (o_k - z_k) * integral prod_{m != k} (t o_m + (1 - t) z_m))
 * depends on the row only through its pattern o: which of the path's p
 * distinct features the row follows (o_k = 1 when x satisfies every one of
 * feature k's conditions on the path).  P is ordered by first appearance
 * from the root, so a node's feature has the same index in P for every leaf
 * below it, and the pattern of the features above a node is one bit mask
 * handed down from the root.
 *
 * A tree is cut into blocks: the maximal subtrees of height <= H (H = 0:
 * the leaves).  The contributions of a block's leaves together depend on
 * the row only through the key
 *     (pattern of the p_b features above the block's root, which way x goes
 *      at each of the block's internal nodes)
 * of p_b + (internal nodes) bits, and reach the features U of the block
 * (P above it, then the features first split on inside it).  Once per model
 * a table holds, per block and key, the summed contributions to U (times
 * the forest's scale and the leaf values).  Per row and tree:
 *   - one comparison per internal node;
 *   - the patterns of the nodes above the blocks, handed down from the root
 *     (each child gets the parent's mask, with the node's feature bit cleared
 *     on the side x does not go);
 *   - per block, its key and |U| additions of one row of its table.
 * The tables are filled with shap_fast.c's quadrature, so the numbers are
 * those of the other paths up to rounding.
 *
 * Memory per block: 2^(p_b + internal nodes) rows of |U| doubles (times the
 * outputs for vector leaves).  H is the largest <= aml_shap_block_height
 * for which every tree's tables fit aml_shap_pattern_budget; if even the
 * leaves' tables (H = 0) do not, trees get them smallest first while they
 * fit, and the others keep shap_fast.c's H tables or quadrature.
 */
#include "ml/shap.h"
#include "ml/shap_internal.h"
#include "core/memory.h"

#include <stdlib.h>
#include <string.h>

/* A block's key has at most this many bits, and U at most AML_SHAP_BLOCK_MAX_U features. */
#define AML_SHAP_BLOCK_MAX_BITS 20
#define AML_SHAP_BLOCK_MAX_U 32

long		aml_shap_pattern_budget = AML_SHAP_PATTERN_BUDGET_DEFAULT;
int			aml_shap_block_height = AML_SHAP_BLOCK_HEIGHT_DEFAULT;

void
aml_shap_pattern_free(FastTree *ft)
{
	aml_free(ft->pattern);
	aml_free(ft->top);
	aml_free(ft->top_bit);
	aml_free(ft->top_child);
	aml_free(ft->block_root);
	aml_free(ft->block_first);
	aml_free(ft->block_nint);
	aml_free(ft->block_p);
	aml_free(ft->block_fstart);
	aml_free(ft->block_feat);
	aml_free(ft->block_off);
	aml_free(ft->block_leaf);
	ft->pattern = NULL;
	ft->block_leaf = NULL;
	ft->top = ft->top_child = NULL;
	ft->top_bit = NULL;
	ft->block_root = ft->block_first = ft->block_nint = ft->block_p = NULL;
	ft->block_fstart = ft->block_feat = NULL;
	ft->block_off = NULL;
	ft->n_top = ft->n_blocks = 0;
}

typedef struct Plan
{
	const AmlShapTree *tr;
	FastTree   *ft;
	int			H;
	int		   *height;			/* per node of tr */
	int		   *local;			/* per feature: its index in P on the current path, or -1 */
	int			distinct;		/* distinct features on the current path */
	int			n_internal;		/* preorder counters, as shap_fast.c's collect() */
	int			n_leaves;
	bool		ok;
} Plan;

static int
node_height(const AmlShapTree *t, int node, int *height)
{
	int			h = 0;

	if (t->feature[node] >= 0)
	{
		int			l = node_height(t, t->left[node], height);
		int			r = node_height(t, t->right[node], height);

		h = 1 + (l > r ? l : r);
	}
	height[node] = h;
	return h;
}

/* Skips the subtree at node (advancing the preorder counters). */
static void
skip(Plan *pl, int node)
{
	if (pl->tr->feature[node] < 0)
	{
		pl->n_leaves++;
		return;
	}
	pl->n_internal++;
	skip(pl, pl->tr->left[node]);
	skip(pl, pl->tr->right[node]);
}

/* The top nodes and blocks below node; returns node's slot. */
static int
walk(Plan *pl, int node)
{
	const AmlShapTree *t = pl->tr;
	FastTree   *ft = pl->ft;

	if (pl->height[node] <= pl->H)
	{
		int			b = ft->n_blocks++;
		int			slot = t->feature[node] < 0 ? ft->n_internal + pl->n_leaves : pl->n_internal;

		ft->block_root[b] = slot;
		ft->block_first[b] = pl->n_internal;
		ft->block_p[b] = pl->distinct;
		ft->block_leaf[b] = pl->n_leaves;
		skip(pl, node);
		ft->block_nint[b] = pl->n_internal - ft->block_first[b];
		ft->block_leaf[b + 1] = pl->n_leaves;
		return slot;
	}
	{
		int			i = pl->n_internal++;
		int			tn = ft->n_top++;
		int			f = t->feature[node];
		bool		first = pl->local[f] < 0;

		if (first)
			pl->local[f] = pl->distinct++;
		if (pl->local[f] >= 31)
			pl->ok = false;
		ft->top[tn] = i;
		ft->top_bit[tn] = 1u << (pl->local[f] & 31);
		ft->top_child[2 * tn] = walk(pl, t->left[node]);
		ft->top_child[2 * tn + 1] = walk(pl, t->right[node]);
		if (first)
		{
			pl->local[f] = -1;
			pl->distinct--;
		}
		return i;
	}
}

/* Index of global feature j in the block's U (the first p entries are P above it). */
static int
u_index(const int *U, int u, int j)
{
	for (int k = 0; k < u; k++)
		if (U[k] == j)
			return k;
	return -1;
}

/*
 * Plans tree t at height H into ft (blocks, U, offsets); returns the
 * doubles of its tables, or -1 when a block is too large (or out of
 * memory: *nomem).
 */
static long
plan_tree(const AmlShapForest *f, int t, FastTree *ft, int H, bool *nomem)
{
	const AmlShapTree *tr = &f->trees[t];
	Plan		pl = {0};
	int			cap_i = ft->n_internal + 1,
				cap_l = ft->n_leaves + 1;
	long		size = 0;
	int			nv;

	/* one value per feature (leaf value folded in) unless the leaves are vectors added to all outputs */
	ft->nv = nv = tr->n_outputs == 1 || f->tree_output[t] >= 0 ? 1 : tr->n_outputs;
	ft->out_base = f->tree_output[t] >= 0 ? f->tree_output[t] : 0;
	ft->n_top = ft->n_blocks = 0;
	ft->top = AML_NEW_ARRAY(int, cap_i);
	ft->top_bit = AML_NEW_ARRAY(uint32_t, cap_i);
	ft->top_child = AML_NEW_ARRAY(int, 2 * (size_t) cap_i);
	ft->block_root = AML_NEW_ARRAY(int, cap_l);
	ft->block_first = AML_NEW_ARRAY(int, cap_l);
	ft->block_nint = AML_NEW_ARRAY(int, cap_l);
	ft->block_p = AML_NEW_ARRAY(int, cap_l);
	ft->block_fstart = AML_NEW_ARRAY(int, cap_l + 1);
	ft->block_off = AML_NEW_ARRAY(long, cap_l);
	ft->block_leaf = AML_NEW_ARRAY(int, cap_l + 1);
	pl.height = AML_NEW_ARRAY(int, tr->n_nodes > 0 ? tr->n_nodes : 1);
	pl.local = AML_NEW_ARRAY(int, f->n_features > 0 ? f->n_features : 1);
	/* U of every block: at most the leaf's features, summed over its leaves */
	ft->block_feat = AML_NEW_ARRAY(int, ft->feat_start[ft->n_leaves] + 1);
	if (!ft->top || !ft->top_bit || !ft->top_child || !ft->block_root || !ft->block_first ||
		!ft->block_nint || !ft->block_p || !ft->block_fstart || !ft->block_off || !ft->block_leaf ||
		!pl.height || !pl.local || !ft->block_feat)
	{
		*nomem = true;
		size = -1;
		goto done;
	}
	for (int j = 0; j < f->n_features; j++)
		pl.local[j] = -1;
	pl.tr = tr;
	pl.ft = ft;
	pl.H = H;
	pl.ok = true;
	node_height(tr, 0, pl.height);
	ft->root_slot = walk(&pl, 0);
	ft->block_fstart[0] = 0;
	for (int b = 0; b < ft->n_blocks && pl.ok; b++)
	{
		int		   *U = ft->block_feat + ft->block_fstart[b];
		int			p = ft->block_p[b];
		int			u = p;
		int			bits = p + ft->block_nint[b];

		for (int l = ft->block_leaf[b]; l < ft->block_leaf[b + 1]; l++)
		{
			int			fs = ft->feat_start[l];

			for (int k = 0; k < ft->feat_start[l + 1] - fs; k++)
				if (k < p)
					U[k] = ft->feat[fs + k];
				else if (u_index(U + p, u - p, ft->feat[fs + k]) < 0)
					U[u++] = ft->feat[fs + k];
		}
		ft->block_fstart[b + 1] = ft->block_fstart[b] + u;
		if (bits > AML_SHAP_BLOCK_MAX_BITS || u > AML_SHAP_BLOCK_MAX_U)
		{
			pl.ok = false;
			break;
		}
		ft->block_off[b] = size;
		size += ((long) u * nv) << bits;
	}
	if (!pl.ok)
		size = -1;
done:
	aml_free(pl.height);
	aml_free(pl.local);
	if (size < 0)
		aml_shap_pattern_free(ft);
	return size;
}

/*
 * Fills the tables of a planned tree (size doubles); false: out of memory.
 * Per block: first each leaf's contributions for each of its 2^p patterns
 * (the integrals, by quadrature), then per key the sum over the leaves of
 * the row of the pattern the key gives each leaf.
 */
static bool
fill_tree(const AmlShapForest *f, int t, FastTree *ft, const struct AmlShapFast *fast, long size)
{
	const AmlShapTree *tr = &f->trees[t];
	int			nout = tr->n_outputs;
	int			nv = ft->nv;
	double		o[AML_SHAP_BLOCK_MAX_U],
				c[AML_SHAP_BLOCK_MAX_U],
				F[AML_SHAP_BLOCK_MAX_U],
				suf[AML_SHAP_BLOCK_MAX_U + 1];
	double	   *leaf_rows = NULL;
	int		   *leaf_u = AML_NEW_ARRAY(int, ft->feat_start[ft->n_leaves] + 1);	/* per leaf feature: its index in U */
	long		leaf_cap = 0;
	bool		ok = true;

	ft->pattern = AML_NEW_ARRAY(double, size > 0 ? size : 1);
	if (ft->pattern == NULL || leaf_u == NULL)
	{
		aml_free(leaf_u);
		return false;
	}
	memset(ft->pattern, 0, sizeof(double) * (size_t) (size > 0 ? size : 1));
	for (int b = 0; b < ft->n_blocks && ok; b++)
	{
		const int  *U = ft->block_feat + ft->block_fstart[b];
		int			u = ft->block_fstart[b + 1] - ft->block_fstart[b];
		int			pb = ft->block_p[b];
		int			first = ft->block_first[b];
		int			nint = ft->block_nint[b];
		long		need = 0,
					at = 0;

		for (int l = ft->block_leaf[b]; l < ft->block_leaf[b + 1]; l++)
		{
			int			p = ft->feat_start[l + 1] - ft->feat_start[l];

			need += ((long) p * nv) << p;
		}
		if (need > leaf_cap)
		{
			aml_free(leaf_rows);
			leaf_cap = need;
			leaf_rows = AML_NEW_ARRAY(double, leaf_cap);
			if (leaf_rows == NULL)
			{
				ok = false;
				break;
			}
		}
		/* each leaf's rows: 2^p patterns x (p x nv) values, in U's order */
		for (int l = ft->block_leaf[b]; l < ft->block_leaf[b + 1]; l++)
		{
			int			fs = ft->feat_start[l];
			int			p = ft->feat_start[l + 1] - fs;
			const double *z = ft->z + fs;
			const double *v = tr->value + (size_t) ft->leaf[l] * nout;

			for (int k = 0; k < p; k++)
				leaf_u[fs + k] = k < pb ? k : u_index(U, u, ft->feat[fs + k]);
			for (uint32_t m = 0; p > 0 && m < (1u << p); m++)
			{
				double	   *row = leaf_rows + at + (long) m * p * nv;

				for (int k = 0; k < p; k++)
					o[k] = (m >> k) & 1;
				aml_shap_leaf_integrals(fast, z, o, p, c, F, suf);
				for (int k = 0; k < p; k++)
				{
					double		g = f->scale * (o[k] - z[k]) * c[k];

					for (int r = 0; r < nv; r++)
						row[(size_t) r * p + k] = g * v[r];
				}
			}
			at += ((long) p * nv) << p;
		}
		/* per key: each leaf's pattern, and its row added to the block's */
		for (uint32_t key = 0; key < (1u << (pb + nint)); key++)
		{
			double	   *row = ft->pattern + ft->block_off[b] + (long) key * u * nv;

			at = 0;
			for (int l = ft->block_leaf[b]; l < ft->block_leaf[b + 1]; l++)
			{
				int			fs = ft->feat_start[l];
				int			p = ft->feat_start[l + 1] - fs;
				uint32_t	m = (key & ((1u << pb) - 1)) | (((1u << p) - 1) & ~((1u << pb) - 1));
				const int  *uj = leaf_u + fs;
				const double *lr;

				/* the leaf's pattern: the key's bits above the block, its conditions inside */
				for (int s = ft->step_start[l]; s < ft->step_start[l + 1]; s++)
				{
					uint64_t	st = ft->step[s];
					int			i = (int) (st >> 32);

					if (i >= first && i < first + nint &&
						((key >> (pb + i - first)) & 1) != (st & 1))
						m &= ~(1u << ((uint32_t) st >> 1));
				}
				lr = leaf_rows + at + (long) m * p * nv;
				for (int r = 0; r < nv; r++)
					for (int k = 0; k < p; k++)
						row[(size_t) r * u + uj[k]] += lr[(size_t) r * p + k];
				at += ((long) p * nv) << p;
			}
		}
	}
	aml_free(leaf_rows);
	aml_free(leaf_u);
	return ok;
}

static const long *sort_sizes;

static int
by_size(const void *a, const void *b)
{
	long		x = sort_sizes[*(const int *) a];
	long		y = sort_sizes[*(const int *) b];

	return x < y ? -1 : x > y ? 1 : *(const int *) a - *(const int *) b;
}

bool
aml_shap_pattern_prepare(const AmlShapForest *f, struct AmlShapFast *fast)
{
	long	   *sizes = AML_NEW_ARRAY(long, f->n_trees > 0 ? f->n_trees : 1);
	int		   *order = AML_NEW_ARRAY(int, f->n_trees > 0 ? f->n_trees : 1);
	bool		nomem = sizes == NULL || order == NULL;
	bool		ok = true;

	for (int H = aml_shap_block_height < 0 ? 0 : aml_shap_block_height; H >= 0 && !nomem; H--)
	{
		long		total = 0;
		bool		all = true;

		for (int t = 0; t < f->n_trees && !nomem; t++)
		{
			sizes[t] = plan_tree(f, t, &fast->trees[t], H, &nomem);
			aml_shap_pattern_free(&fast->trees[t]);
			order[t] = t;
			if (sizes[t] < 0)
				all = false;
			else
				total += sizes[t];
		}
		if (nomem)
			break;
		if ((all && total <= aml_shap_pattern_budget) || H == 0)
		{
			long		used = 0;

			/* all trees; or (H = 0) those that fit, smallest first */
			sort_sizes = sizes;
			qsort(order, f->n_trees, sizeof(int), by_size);
			for (int i = 0; i < f->n_trees && ok; i++)
			{
				int			t = order[i];

				if (sizes[t] < 0 || used + sizes[t] > aml_shap_pattern_budget)
					continue;
				if (plan_tree(f, t, &fast->trees[t], H, &nomem) != sizes[t] ||
					!fill_tree(f, t, &fast->trees[t], fast, sizes[t]))
				{
					aml_shap_pattern_free(&fast->trees[t]);
					ok = false;
				}
				used += sizes[t];
			}
			break;
		}
	}
	aml_free(sizes);
	aml_free(order);
	return ok && !nomem;
}

void
aml_shap_pattern_explain_tree(const FastTree *ft, int n, int K, const double *x, double *acc,
							  uint32_t *work)
{
	int			words = (ft->n_internal + 63) / 64;
	uint64_t   *dir = (uint64_t *) work;	/* bit i: x goes left at internal node i */
	uint32_t   *slot = work + 2 * (size_t) words + 2;
	long	   *row_at = (long *) (slot + 2 * ((ft->n_internal + ft->n_leaves + 1) / 2) + 2);
	int			nv = ft->nv;

	/* which way x goes at every internal node */
	for (int w = 0; w < words; w++)
	{
		uint64_t	bits = 0;
		int			end = ft->n_internal - 64 * w < 64 ? ft->n_internal - 64 * w : 64;

		for (int i = 0; i < end; i++)
		{
			int			node = 64 * w + i;
			double		v = x[ft->in_feature[node]];
			uint64_t	left = isnan(v) ? ft->in_missing_left[node] : v <= ft->in_threshold[node];

			bits |= left << i;
		}
		dir[w] = bits;
	}
	dir[words] = 0;
	/* the patterns above the blocks: the features whose conditions x follows down to each node */
	slot[ft->root_slot] = ~0u;
	for (int tn = 0; tn < ft->n_top; tn++)
	{
		int			i = ft->top[tn];
		uint32_t	m = slot[i];
		uint32_t	off = m & ~ft->top_bit[tn];
		bool		left = (dir[i >> 6] >> (i & 63)) & 1;

		slot[ft->top_child[2 * tn]] = left ? m : off;
		slot[ft->top_child[2 * tn + 1]] = left ? off : m;
	}
	/*
	 * every block's row first, fetched ahead of the additions (the tables
	 * rarely fit the caches: let the loads overlap); row_at reuses slot[]
	 * past the nodes
	 */
	for (int b = 0; b < ft->n_blocks; b++)
	{
		int			pb = ft->block_p[b];
		int			first = ft->block_first[b];
		int			nint = ft->block_nint[b];
		int			u = ft->block_fstart[b + 1] - ft->block_fstart[b];
		uint32_t	key = slot[ft->block_root[b]] & ((1u << pb) - 1);

		/* the block's internal nodes are consecutive in preorder: their bits, at most 20 */
		if (nint > 0)
		{
			uint64_t	d = dir[first >> 6] >> (first & 63);

			if ((first & 63) + nint > 64)
				d |= dir[(first >> 6) + 1] << (64 - (first & 63));
			key |= (uint32_t) (d & ((1ull << nint) - 1)) << pb;
		}
		row_at[b] = ft->block_off[b] + (long) key * u * nv;
		__builtin_prefetch(ft->pattern + row_at[b]);
	}
	for (int b = 0; b < ft->n_blocks; b++)
	{
		int			fs = ft->block_fstart[b];
		int			u = ft->block_fstart[b + 1] - fs;
		const int  *U = ft->block_feat + fs;
		const double *row = ft->pattern + row_at[b];
		/* blocks take turns at the AML_SHAP_ACCUMULATORS copies */
		double	   *ph = acc + (size_t) (b % AML_SHAP_ACCUMULATORS) * K * n;

		if (nv == 1)
		{
			ph += (size_t) ft->out_base * n;
			for (int j = 0; j < u; j++)
				ph[U[j]] += row[j];
		}
		else
			for (int r = 0; r < nv; r++)
				for (int j = 0; j < u; j++)
					ph[(size_t) r * n + U[j]] += row[(size_t) r * u + j];
	}
}
