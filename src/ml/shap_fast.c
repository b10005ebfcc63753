/*
 * shap_fast.c — exact path-dependent TreeSHAP by leaves: the explanation
 * the product computes (shap_tree.c keeps the recursive algorithm and a
 * brute force as test references).
 *
 * Each leaf l (value val, root-to-leaf path with distinct features P, p =
 * |P|) adds to the path-dependent value function of its tree the product game
 *     v_l(S) = val * prod_{k in P} (k in S ? o_k : z_k)
 * where z_k is the product of the cover fractions of k's nodes on the path
 * and o_k = 1 when x follows every one of k's conditions on the path, else 0
 * (features outside P are null players of v_l).  Shapley values are linear
 * in the game, and by the multilinear extension (Owen 1972) the Shapley value
 * of i in P for a product game is
 *     phi_i = val * (o_i - z_i) * integral_0^1 prod_{k in P, k != i}
 *                                   (t o_k + (1 - t) z_k) dt.
 * The integrand is a polynomial of degree p - 1 in t, so Gauss-Legendre
 * quadrature with Q = ceil(p / 2) nodes on [0, 1] is exact (up to rounding).
 * Writing s = {k in P : o_k = 1}, the factors of P \ s are (1 - t) z_k, so
 *     i not in s:  phi_i = -val * Z(P \ s) * H(s)
 *     i in s:      phi_i =  val * (1 - z_i) * Z(P \ s) * H(s \ {i})
 * with Z(B) = prod_{k in B} z_k and H(A) = integral_0^1 (1 - t)^(p - 1 - |A|)
 * prod_{k in A} (t + (1 - t) z_k) dt (= sum over S subset of A of
 * |S|! (p - |S| - 1)! / p! * Z(A \ S)).
 *
 * Trees whose pattern tables fit aml_shap_pattern_budget take the faster
 * route of shap_table.c (per leaf, the contributions for every pattern o).
 * For the others, two ways to the numbers, chosen per leaf when the forest
 * is prepared:
 *   - H table: H(A) for every subset A of P (2^p doubles), for leaves with
 *     p <= AML_SHAP_TABLE_MAX_P, smallest p first while the forest's tables
 *     stay within aml_shap_table_budget doubles; a row then costs O(p);
 *   - otherwise the integral above by quadrature at the row, the products
 *     leaving out one factor from prefix and suffix products (no division,
 *     so zero covers are fine): about 3 p Q multiplications.
 * Per row and tree: one comparison per internal node, then per leaf one
 * check per path node and the leaf's arithmetic, with no recursion.  Every
 * leaf is visited for every row (its value reaches the features on its path
 * unless the path's weight is zero), against one path for a prediction.
 *
 * Prepared once per explainer (aml_shap_forest_prepare; the backend keeps
 * the explainer in its model cache): the split nodes in preorder arrays,
 * per leaf its path steps (split index, index of the feature in P, side), P
 * with z, the pattern or H tables, and the forest's base values
 * E[out] = offset + scale * sum_l val_l * prod_k z_k.
 */
#include "ml/shap.h"
#include "ml/shap_internal.h"
#include "core/memory.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Leaves with at most this many distinct features may get an H table (2^p doubles). */
#define AML_SHAP_TABLE_MAX_P 12
/* At most this many doubles of H tables per forest: 4 Mi (32 MB); tests lower it. */
long		aml_shap_table_budget = 4L << 20;

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void
fast_tree_free(FastTree *t)
{
	aml_free(t->in_feature);
	aml_free(t->in_threshold);
	aml_free(t->in_missing_left);
	aml_free(t->leaf);
	aml_free(t->step_start);
	aml_free(t->step);
	aml_free(t->feat_start);
	aml_free(t->feat);
	aml_free(t->z);
	aml_free(t->table_start);
	aml_free(t->table);
	aml_shap_pattern_free(t);
}

void
aml_shap_fast_free(struct AmlShapFast *fast)
{
	if (fast == NULL)
		return;
	for (int t = 0; t < fast->n_trees && fast->trees; t++)
		fast_tree_free(&fast->trees[t]);
	aml_free(fast->trees);
	aml_free(fast->gl_t);
	aml_free(fast->gl_w);
	aml_free(fast->base);
	aml_free(fast);
}

/* Gauss-Legendre nodes and weights of order Q on [0, 1] (Newton on P_Q). */
static void
gauss_legendre(int Q, double *t, double *w)
{
	for (int i = 0; i < Q; i++)
	{
		double		x = cos(M_PI * (i + 0.75) / (Q + 0.5));
		double		dp = 1;

		for (int it = 0; it < 100; it++)
		{
			double		p0 = 1,
						p1 = x,
						dx;

			for (int j = 2; j <= Q; j++)
			{
				double		p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;

				p0 = p1;
				p1 = p2;
			}
			if (Q == 1)
				p0 = 1;
			dp = Q * (x * p1 - p0) / (x * x - 1);
			dx = p1 / dp;
			x -= dx;
			if (fabs(dx) <= 1e-17 * (1 + fabs(x)) && it > 1)
				break;
		}
		/* dp at the converged x (one more evaluation) */
		{
			double		p0 = 1,
						p1 = x;

			for (int j = 2; j <= Q; j++)
			{
				double		p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;

				p0 = p1;
				p1 = p2;
			}
			if (Q == 1)
				p0 = 1;
			dp = Q * (x * p1 - p0) / (x * x - 1);
		}
		t[i] = (1 + x) / 2;
		w[i] = 1 / ((1 - x * x) * dp * dp);
	}
}

typedef struct Collect
{
	const AmlShapTree *t;
	FastTree   *ft;
	int		   *path;			/* internal nodes root..leaf */
	int		   *path_index;		/* their preorder indices among internal nodes */
	unsigned char *side;		/* went left from path[d] */
	int		   *local;			/* per global feature: index in the current leaf's P, or -1 */
	int		   *order;			/* the current leaf's P */
	int			n_leaves;
	int			n_internal;
	long		n_steps;
	long		n_feats;
} Collect;

/* Pass 1 (ft->leaf == NULL): count; pass 2: fill. */
static void
collect(Collect *c, int node, int depth)
{
	const AmlShapTree *t = c->t;
	FastTree   *ft = c->ft;

	if (t->feature[node] >= 0)
	{
		if (ft->in_feature)
		{
			ft->in_feature[c->n_internal] = t->feature[node];
			ft->in_threshold[c->n_internal] = t->threshold[node];
			ft->in_missing_left[c->n_internal] = t->missing_left[node];
		}
		c->path_index[depth] = c->n_internal++;
		c->path[depth] = node;
		c->side[depth] = 1;
		collect(c, t->left[node], depth + 1);
		c->side[depth] = 0;
		collect(c, t->right[node], depth + 1);
		return;
	}
	{
		bool		fill = ft->leaf != NULL;	/* pass 2 */
		int			l = c->n_leaves;
		int			p = 0;
		long		fs = c->n_feats;

		if (fill)
		{
			ft->leaf[l] = node;
			ft->step_start[l] = (int) c->n_steps;
			ft->feat_start[l] = (int) fs;
		}
		for (int d = 0; d < depth; d++)
		{
			int			n = c->path[d];
			int			f = t->feature[n];
			int			k = c->local[f];

			if (k < 0)
			{
				k = c->local[f] = p++;
				c->order[k] = f;
				if (fill)
				{
					ft->feat[fs + k] = f;
					ft->z[fs + k] = 1;
				}
			}
			if (fill)
			{
				int			child = c->side[d] ? t->left[n] : t->right[n];

				ft->z[fs + k] *= aml_shap_cover_fraction(t, n, child);
				ft->step[c->n_steps + d] = (uint64_t) c->path_index[d] << 32 |
					(uint64_t) k << 1 | c->side[d];
			}
		}
		for (int k = 0; k < p; k++)
			c->local[c->order[k]] = -1;
		c->n_feats += p;
		c->n_steps += depth;
		if (fill)
		{
			ft->step_start[l + 1] = (int) c->n_steps;
			ft->feat_start[l + 1] = (int) c->n_feats;
		}
	}
	c->n_leaves++;
}

static bool
prepare_tree(const AmlShapTree *t, int n_features, FastTree *ft)
{
	Collect		c = {0};
	bool		ok;

	c.t = t;
	c.ft = ft;
	c.path = AML_NEW_ARRAY(int, t->depth + 1);
	c.path_index = AML_NEW_ARRAY(int, t->depth + 1);
	c.order = AML_NEW_ARRAY(int, t->depth + 1);
	c.side = AML_NEW_ARRAY(unsigned char, t->depth + 1);
	c.local = AML_NEW_ARRAY(int, n_features > 0 ? n_features : 1);
	if (!c.path || !c.path_index || !c.order || !c.side || !c.local)
		ok = false;
	else
	{
		for (int j = 0; j < n_features; j++)
			c.local[j] = -1;
		collect(&c, 0, 0);
		ft->n_leaves = c.n_leaves;
		ft->n_internal = c.n_internal;
		ft->in_feature = AML_NEW_ARRAY(int, c.n_internal + 1);
		ft->in_threshold = AML_NEW_ARRAY(double, c.n_internal + 1);
		ft->in_missing_left = AML_NEW_ARRAY(unsigned char, c.n_internal + 1);
		ft->leaf = AML_NEW_ARRAY(int, c.n_leaves);
		ft->step_start = AML_NEW_ARRAY(int, c.n_leaves + 1);
		ft->step = AML_NEW_ARRAY(uint64_t, c.n_steps + 1);
		ft->feat_start = AML_NEW_ARRAY(int, c.n_leaves + 1);
		ft->feat = AML_NEW_ARRAY(int, c.n_feats + 1);
		ft->z = AML_NEW_ARRAY(double, c.n_feats + 1);
		ok = ft->in_feature && ft->in_threshold && ft->in_missing_left && ft->leaf &&
			ft->step_start && ft->step && ft->feat_start && ft->feat && ft->z && c.n_steps < (1L << 30);
		if (ok)
		{
			c.n_leaves = c.n_internal = 0;
			c.n_steps = c.n_feats = 0;
			collect(&c, 0, 0);
		}
	}
	aml_free(c.path);
	aml_free(c.path_index);
	aml_free(c.order);
	aml_free(c.side);
	aml_free(c.local);
	return ok;
}

/*
 * H table of a leaf with p features: for every subset A of P (bit k: the
 * leaf's k-th feature), H(A) = integral_0^1 (1 - t)^(p - 1 - |A|) prod_{k in A}
 * (t + (1 - t) z_k) dt (|A| < p; H(P) is never read), by the same quadrature;
 * G: 2^p doubles of scratch.
 */
static void
fill_table(const double *z, int p, const struct AmlShapFast *fast, double *H, double *G)
{
	int			Q = (p + 1) / 2;
	const double *gt = fast->gl_t + (size_t) Q * fast->max_q;
	const double *gw = fast->gl_w + (size_t) Q * fast->max_q;
	unsigned	n = 1u << p;
	double		upow[AML_SHAP_TABLE_MAX_P + 1];

	for (unsigned s = 0; s < n; s++)
		H[s] = 0;
	for (int q = 0; q < Q; q++)
	{
		double		T = gt[q];

		upow[0] = gw[q];
		for (int m = 1; m <= p; m++)
			upow[m] = upow[m - 1] * (1 - T);
		G[0] = 1;
		for (unsigned s = 1; s < n; s++)
		{
			int			low = __builtin_ctz(s);

			G[s] = G[s & (s - 1)] * (T + (1 - T) * z[low]);
		}
		for (unsigned s = 0; s + 1 < n; s++)
			H[s] += upow[p - 1 - __builtin_popcount(s)] * G[s];
	}
}

/*
 * Which leaves get an H table: all with p <= cap, for the largest cap <=
 * AML_SHAP_TABLE_MAX_P whose tables together take at most
 * aml_shap_table_budget doubles (smaller tables first: the most leaves).
 */
static int
table_cap(const struct AmlShapFast *fast)
{
	long		per_p[AML_SHAP_TABLE_MAX_P + 1] = {0};
	long		total = 0;
	int			cap = 0;

	for (int t = 0; t < fast->n_trees; t++)
	{
		const FastTree *ft = &fast->trees[t];

		for (int l = 0; l < ft->n_leaves && ft->pattern == NULL; l++)
		{
			int			p = ft->feat_start[l + 1] - ft->feat_start[l];

			if (p <= AML_SHAP_TABLE_MAX_P)
				per_p[p]++;
		}
	}
	for (int p = 1; p <= AML_SHAP_TABLE_MAX_P; p++)
	{
		total += per_p[p] << p;
		if (total > aml_shap_table_budget)
			break;
		cap = p;
	}
	return cap;
}

static bool
prepare_tables(struct AmlShapFast *fast, int cap)
{
	double	   *G = AML_NEW_ARRAY(double, (size_t) 1 << cap);
	bool		ok = G != NULL;

	for (int t = 0; t < fast->n_trees && ok; t++)
	{
		FastTree   *ft = &fast->trees[t];
		long		size = 0;

		ft->table_start = AML_NEW_ARRAY(long, ft->n_leaves > 0 ? ft->n_leaves : 1);
		if (ft->table_start == NULL)
		{
			ok = false;
			break;
		}
		for (int l = 0; l < ft->n_leaves; l++)
		{
			int			p = ft->feat_start[l + 1] - ft->feat_start[l];

			ft->table_start[l] = p >= 1 && p <= cap && ft->pattern == NULL ? size : -1;
			if (ft->table_start[l] >= 0)
				size += 1L << p;
		}
		ft->table = AML_NEW_ARRAY(double, size > 0 ? size : 1);
		if (ft->table == NULL)
		{
			ok = false;
			break;
		}
		for (int l = 0; l < ft->n_leaves; l++)
			if (ft->table_start[l] >= 0)
				fill_table(ft->z + ft->feat_start[l], ft->feat_start[l + 1] - ft->feat_start[l],
						   fast, ft->table + ft->table_start[l], G);
	}
	aml_free(G);
	return ok;
}

AmlStatus
aml_shap_forest_prepare(AmlShapForest *f, AmlError *err)
{
	struct AmlShapFast *fast;
	int			max_depth = 1;
	bool		ok;

	aml_shap_fast_free(f->fast);
	f->fast = NULL;
	for (int t = 0; t < f->n_trees; t++)
		if (f->trees[t].depth > max_depth)
			max_depth = f->trees[t].depth;
	fast = AML_NEW(struct AmlShapFast);
	if (fast == NULL)
		return aml_error_nomem(err, "an explanation of trees");
	fast->n_trees = f->n_trees;
	fast->max_q = (max_depth + 1) / 2;
	fast->trees = AML_NEW_ARRAY(FastTree, f->n_trees > 0 ? f->n_trees : 1);
	fast->gl_t = AML_NEW_ARRAY(double, (size_t) (fast->max_q + 1) * fast->max_q);
	fast->gl_w = AML_NEW_ARRAY(double, (size_t) (fast->max_q + 1) * fast->max_q);
	fast->base = AML_NEW_ARRAY(double, f->n_outputs > 0 ? f->n_outputs : 1);
	ok = fast->trees && fast->gl_t && fast->gl_w && fast->base;
	for (int t = 0; t < f->n_trees && ok; t++)
		ok = prepare_tree(&f->trees[t], f->n_features, &fast->trees[t]);
	if (!ok)
	{
		aml_shap_fast_free(fast);
		return aml_error_nomem(err, "an explanation of trees");
	}
	for (int Q = 1; Q <= fast->max_q; Q++)
		gauss_legendre(Q, fast->gl_t + (size_t) Q * fast->max_q,
					   fast->gl_w + (size_t) Q * fast->max_q);
	if (!aml_shap_pattern_prepare(f, fast) || !prepare_tables(fast, table_cap(fast)))
	{
		aml_shap_fast_free(fast);
		return aml_error_nomem(err, "an explanation of trees");
	}
	/* base: offset + scale * E[tree] under the covers */
	for (int k = 0; k < f->n_outputs; k++)
		fast->base[k] = f->offset[k];
	for (int t = 0; t < f->n_trees; t++)
	{
		const AmlShapTree *tr = &f->trees[t];
		const FastTree *ft = &fast->trees[t];
		int			o = f->tree_output[t];

		for (int l = 0; l < ft->n_leaves; l++)
		{
			const double *v = tr->value + (size_t) ft->leaf[l] * tr->n_outputs;
			double		zall = f->scale;

			for (int k = ft->feat_start[l]; k < ft->feat_start[l + 1]; k++)
				zall *= ft->z[k];
			if (o < 0)
				for (int r = 0; r < tr->n_outputs; r++)
					fast->base[r] += zall * v[r];
			else
				fast->base[o] += zall * v[0];
		}
	}
	f->fast = fast;
	return AML_OK;
}

long
aml_shap_forest_workspace(const AmlShapForest *f)
{
	int			depth = 0;
	long		nodes = 1;

	for (int t = 0; t < f->n_trees; t++)
	{
		if (f->trees[t].depth > depth)
			depth = f->trees[t].depth;
		if (f->trees[t].n_nodes > nodes)
			nodes = f->trees[t].n_nodes;
	}
	/*
	 * directions (one byte per node) or patterns (four bytes per node) and
	 * leaf rows (eight bytes per node) of the pattern path, o, c,
	 * F, suffix, the pattern path's accumulators; or the recursive
	 * reference's paths
	 */
	{
		long		fast = 2 * nodes + 4 + 4 * (long) (depth + 2) +
			(long) AML_SHAP_ACCUMULATORS * f->n_outputs * f->n_features;
		long		recursive = aml_shap_path_workspace(depth);

		return fast > recursive ? fast : recursive;
	}
}

void
aml_shap_forest_explain(const AmlShapForest *f, const double *x, double *phi, double *base,
						double *work)
{
	const struct AmlShapFast *fast = f->fast;
	int			n = f->n_features;
	int			K = f->n_outputs;
	int			max_depth = 0;
	long		nodes = 1;
	unsigned char *dir;
	double	   *o,
			   *c,
			   *F,
			   *suf,
			   *acc;

	if (fast == NULL)
	{
		for (long i = 0; i < (long) n * K; i++)
			phi[i] = NAN;
		for (int k = 0; k < K; k++)
			base[k] = NAN;
		return;
	}
	for (int t = 0; t < f->n_trees; t++)
	{
		if (f->trees[t].depth > max_depth)
			max_depth = f->trees[t].depth;
		if (f->trees[t].n_nodes > nodes)
			nodes = f->trees[t].n_nodes;
	}
	dir = (unsigned char *) work;
	o = work + 2 * nodes + 4;
	c = o + max_depth + 2;
	F = c + max_depth + 2;
	suf = F + max_depth + 2;
	acc = suf + max_depth + 2;
	memset(phi, 0, sizeof(double) * (size_t) n * K);
	memset(acc, 0, sizeof(double) * AML_SHAP_ACCUMULATORS * (size_t) n * K);
	memcpy(base, fast->base, sizeof(double) * K);
	for (int t = 0; t < f->n_trees; t++)
	{
		const AmlShapTree *tr = &f->trees[t];
		const FastTree *ft = &fast->trees[t];
		int			out = f->tree_output[t];
		int			nout = tr->n_outputs;

		if (ft->pattern != NULL)
		{
			aml_shap_pattern_explain_tree(ft, n, K, x, acc, (uint32_t *) work);
			continue;
		}
		/* where x goes at every internal node */
		for (int i = 0; i < ft->n_internal; i++)
		{
			double		v = x[ft->in_feature[i]];

			dir[i] = isnan(v) ? ft->in_missing_left[i] : v <= ft->in_threshold[i];
		}
		for (int l = 0; l < ft->n_leaves; l++)
		{
			int			fs = ft->feat_start[l];
			int			p = ft->feat_start[l + 1] - fs;
			const double *z = ft->z + fs;
			const double *v;

			if (p == 0)
				continue;
			v = tr->value + (size_t) ft->leaf[l] * nout;
			if (ft->table_start[l] >= 0)
			{
				const double *H = ft->table + ft->table_start[l];
				unsigned	in = (1u << p) - 1;
				double		zc = f->scale;

				for (int s = ft->step_start[l]; s < ft->step_start[l + 1]; s++)
				{
					uint64_t	st = ft->step[s];

					if (dir[st >> 32] != (st & 1))
						in &= ~(1u << ((uint32_t) st >> 1));
				}
				for (unsigned m = ~in & ((1u << p) - 1); m; m &= m - 1)
					zc *= z[__builtin_ctz(m)];
				for (int k = 0; k < p; k++)
				{
					double		g = in & (1u << k) ? (1 - z[k]) * zc * H[in ^ (1u << k)]
						: -zc * H[in];
					int			j = ft->feat[fs + k];

					if (out < 0)
						for (int r = 0; r < nout; r++)
							phi[(size_t) r * n + j] += g * v[r];
					else
						phi[(size_t) out * n + j] += g * v[0];
				}
				continue;
			}
			for (int k = 0; k < p; k++)
				o[k] = 1;
			for (int s = ft->step_start[l]; s < ft->step_start[l + 1]; s++)
			{
				uint64_t	st = ft->step[s];

				if (dir[st >> 32] != (st & 1))
					o[(uint32_t) st >> 1] = 0;
			}
			aml_shap_leaf_integrals(fast, z, o, p, c, F, suf);
			for (int k = 0; k < p; k++)
			{
				double		g = f->scale * (o[k] - z[k]) * c[k];
				int			j = ft->feat[fs + k];

				if (g == 0)
					continue;
				if (out < 0)
					for (int r = 0; r < nout; r++)
						phi[(size_t) r * n + j] += g * v[r];
				else
					phi[(size_t) out * n + j] += g * v[0];
			}
		}
	}
	for (int a = 0; a < AML_SHAP_ACCUMULATORS; a++)
		for (size_t i = 0; i < (size_t) n * K; i++)
			phi[i] += acc[(size_t) a * n * K + i];
}
