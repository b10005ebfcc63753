/*
 * shap_tree.c — the generic tree form of shap.h, the trees of the tree
 * families brought into it, node covers, the forest's output, and two
 * references for the tests: the recursive TreeSHAP below and a brute-force
 * Shapley enumeration.  The product explains with shap_fast.c.
 *
 * The recursive TreeSHAP is algorithm 2 of Lundberg, Erion et al. (2020): one
 * depth-first walk per tree carrying the "unique path" of the features split
 * on so far, each with the fraction of coalitions without it that follow the
 * path (zero fraction: the cover ratio) and with it (one fraction: 1 when x
 * goes this way, else 0), and the path weights of every coalition size; at a
 * leaf, unwinding each feature from the path gives its contribution.  A
 * feature split on twice along a path is merged into one element.  Cost:
 * O(leaves x depth^2) per tree and output-independent except at the leaves.
 */
#include "ml/shap.h"
#include "ml/shap_internal.h"
#include "ml/tree_access.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

typedef struct PathElement
{
	double		feature;		/* as a double so the workspace is one array of doubles */
	double		zero;
	double		one;
	double		weight;
} PathElement;

/* ------------------------------------------------------------------ the generic form */

static void
tree_free(AmlShapTree *t)
{
	aml_free(t->feature);
	aml_free(t->threshold);
	aml_free(t->left);
	aml_free(t->right);
	aml_free(t->missing_left);
	aml_free(t->value);
	aml_free(t->cover);
}

static bool
tree_alloc(AmlShapTree *t, int n_nodes, int n_outputs)
{
	t->n_nodes = n_nodes;
	t->n_outputs = n_outputs;
	t->feature = AML_NEW_ARRAY(int, n_nodes);
	t->threshold = AML_NEW_ARRAY(double, n_nodes);
	t->left = AML_NEW_ARRAY(int, n_nodes);
	t->right = AML_NEW_ARRAY(int, n_nodes);
	t->missing_left = AML_NEW_ARRAY(bool, n_nodes);
	t->value = AML_NEW_ARRAY(double, (size_t) n_nodes * (size_t) n_outputs);
	t->cover = AML_NEW_ARRAY(double, n_nodes);
	return t->feature && t->threshold && t->left && t->right && t->missing_left && t->value &&
		t->cover;
}

static int
depth_of(const AmlShapTree *t, int i)
{
	int			l,
				r;

	if (t->feature[i] < 0)
		return 0;
	l = depth_of(t, t->left[i]);
	r = depth_of(t, t->right[i]);
	return 1 + (l > r ? l : r);
}

static bool
from_cart(const AmlTree *src, AmlShapTree *t)
{
	if (!tree_alloc(t, src->n_nodes, src->n_outputs))
		return false;
	for (int i = 0; i < src->n_nodes; i++)
	{
		const AmlTreeNode *n = &src->nodes[i];

		if ((uint32_t) n->left == (uint32_t) i)
		{
			const double *v = aml_tree_leaf_output(src, (uint32_t) i);

			t->feature[i] = -1;
			t->left[i] = t->right[i] = i;
			memcpy(t->value + (size_t) i * src->n_outputs, v, sizeof(double) * src->n_outputs);
		}
		else
		{
			t->feature[i] = (int) (n->feature & AML_TREE_FEATURE_MASK);
			t->threshold[i] = n->threshold;
			t->left[i] = n->left;
			t->right[i] = n->left + 1;
			t->missing_left[i] = (n->feature & AML_TREE_MISSING_LEFT) != 0;
		}
	}
	t->depth = depth_of(t, 0);
	return true;
}

/* Boosting tree t: nodes [start, end) of the global array, renumbered from 0. */
static bool
from_boosting(const AmlEstimator *est, int start, int end, AmlShapTree *t)
{
	if (!tree_alloc(t, end - start, 1))
		return false;
	for (int i = start; i < end; i++)
	{
		bool		leaf,
					ml;
		int			feature,
					left;
		double		thr,
					value;

		aml_boosting_node(est, i, &leaf, &feature, &thr, &left, &ml, &value);
		if (leaf)
		{
			t->feature[i - start] = -1;
			t->left[i - start] = t->right[i - start] = i - start;
			t->value[i - start] = value;
		}
		else
		{
			t->feature[i - start] = feature;
			t->threshold[i - start] = thr;
			t->left[i - start] = left - start;
			t->right[i - start] = left + 1 - start;
			t->missing_left[i - start] = ml;
		}
	}
	t->depth = depth_of(t, 0);
	return true;
}

void
aml_shap_forest_free(AmlShapForest *f)
{
	if (f == NULL)
		return;
	aml_shap_fast_free(f->fast);
	for (int t = 0; t < f->n_trees && f->trees; t++)
		tree_free(&f->trees[t]);
	aml_free(f->trees);
	aml_free(f->tree_output);
	aml_free(f->offset);
	aml_free(f);
}

static AmlStatus
forest_alloc(AmlShapForest *f, int n_trees, int n_outputs, AmlError *err)
{
	f->n_trees = n_trees;
	f->n_outputs = n_outputs;
	f->trees = AML_NEW_ARRAY(AmlShapTree, n_trees > 0 ? n_trees : 1);
	f->tree_output = AML_NEW_ARRAY(int, n_trees > 0 ? n_trees : 1);
	f->offset = AML_NEW_ARRAY(double, n_outputs);
	if (!f->trees || !f->tree_output || !f->offset)
		return aml_error_nomem(err, "the trees of an explanation");
	return AML_OK;
}

AmlStatus
aml_shap_forest_from_estimator(const AmlEstimator *est, AmlShapForest **out, AmlError *err)
{
	AmlShapForest *f;
	const AmlTree *trees;
	int			n_trees;
	AmlBoostingView view;
	AmlStatus	st = AML_OK;

	*out = NULL;
	if (aml_decision_tree_access(est, &trees))
		n_trees = 1;
	else if (!aml_forest_access(est, &trees, &n_trees))
		trees = NULL;
	if (trees == NULL && !aml_boosting_access(est, &view))
		return AML_OK;
	f = AML_NEW(AmlShapForest);
	if (f == NULL)
		return aml_error_nomem(err, "the trees of an explanation");
	f->n_features = est->n_features;
	if (trees != NULL)
	{
		st = forest_alloc(f, n_trees, trees[0].n_outputs, err);
		f->scale = 1.0 / n_trees;
		for (int t = 0; t < n_trees && st == AML_OK; t++)
		{
			f->tree_output[t] = -1;
			if (!from_cart(&trees[t], &f->trees[t]))
				st = aml_error_nomem(err, "the trees of an explanation");
		}
	}
	else
	{
		st = forest_alloc(f, view.n_trees, view.K, err);
		f->scale = 1.0;
		if (st == AML_OK)
			memcpy(f->offset, view.baseline, sizeof(double) * view.K);
		for (int t = 0; t < view.n_trees && st == AML_OK; t++)
		{
			f->tree_output[t] = t % view.K;
			if (!from_boosting(est, view.tree_start[t], view.tree_start[t + 1], &f->trees[t]))
				st = aml_error_nomem(err, "the trees of an explanation");
		}
	}
	if (st != AML_OK)
	{
		aml_shap_forest_free(f);
		return st;
	}
	*out = f;
	return AML_OK;
}

long
aml_shap_forest_total_nodes(const AmlShapForest *f)
{
	long		n = 0;

	for (int t = 0; t < f->n_trees; t++)
		n += f->trees[t].n_nodes;
	return n;
}

void
aml_shap_forest_covers_from_data(AmlShapForest *f, const AmlMatrix *X)
{
	size_t		rows = (size_t) X->rows;

	aml_shap_fast_free(f->fast);
	f->fast = NULL;
	/*
	 * tree by tree, every row through it: the tree stays in the caches while
	 * the columns of X (column-major) are read in order; the counts are
	 * whole numbers, so the order of the additions does not matter
	 */
	for (int t = 0; t < f->n_trees; t++)
	{
		const AmlShapTree *tr = &f->trees[t];
		double	   *cover = tr->cover;

		memset(cover, 0, sizeof(double) * tr->n_nodes);
		for (size_t i = 0; i < rows; i++)
		{
			int			n = 0;

			for (;;)
			{
				int			j = tr->feature[n];
				double		v;

				cover[n] += 1;
				if (j < 0)
					break;
				v = X->data[i + (size_t) j * rows];
				if (isnan(v))
					n = tr->missing_left[n] ? tr->left[n] : tr->right[n];
				else
					n = v <= tr->threshold[n] ? tr->left[n] : tr->right[n];
			}
		}
	}
}

/* Rows of X (column-major) reaching each node of a CART tree (tree.h's node order). */
static void
cart_covers(const AmlTree *tr, const AmlMatrix *X, double *cover)
{
	size_t		rows = (size_t) X->rows;

	memset(cover, 0, sizeof(double) * tr->n_nodes);
	for (size_t i = 0; i < rows; i++)
	{
		uint32_t	n = 0;

		for (;;)
		{
			const AmlTreeNode *nd = &tr->nodes[n];
			double		v;
			bool		left;

			cover[n] += 1;
			if ((uint32_t) nd->left == n)
				break;
			v = X->data[i + (size_t) (nd->feature & AML_TREE_FEATURE_MASK) * rows];
			left = isnan(v) ? (nd->feature & AML_TREE_MISSING_LEFT) != 0 : v <= nd->threshold;
			n = left ? (uint32_t) nd->left : (uint32_t) nd->left + 1;
		}
	}
}

AmlStatus
aml_shap_covers_of_estimator(const AmlEstimator *est, const AmlMatrix *X, double **covers,
							 long *n_cover, AmlError *err)
{
	const AmlTree *trees;
	int			n_trees;
	AmlShapForest *f;
	long		total = 0;

	*covers = NULL;
	*n_cover = 0;
	if (aml_decision_tree_access(est, &trees))
		n_trees = 1;
	else if (!aml_forest_access(est, &trees, &n_trees))
		trees = NULL;
	if (trees != NULL)
	{
		long		off = 0;

		for (int t = 0; t < n_trees; t++)
			total += trees[t].n_nodes;
		*covers = AML_NEW_ARRAY(double, total > 0 ? total : 1);
		if (*covers == NULL)
			return aml_error_nomem(err, "node covers");
		for (int t = 0; t < n_trees; t++)
		{
			cart_covers(&trees[t], X, *covers + off);
			off += trees[t].n_nodes;
		}
		*n_cover = total;
		return AML_OK;
	}
	/* boosting (one value a node): through the explanation's trees */
	AML_TRY(aml_shap_forest_from_estimator(est, &f, err));
	if (f == NULL)
		return AML_OK;
	total = aml_shap_forest_total_nodes(f);
	*covers = AML_NEW_ARRAY(double, total > 0 ? total : 1);
	if (*covers == NULL)
	{
		aml_shap_forest_free(f);
		return aml_error_nomem(err, "node covers");
	}
	aml_shap_forest_covers_from_data(f, X);
	aml_shap_forest_get_covers(f, *covers);
	aml_shap_forest_free(f);
	*n_cover = total;
	return AML_OK;
}

void
aml_shap_forest_get_covers(const AmlShapForest *f, double *covers)
{
	for (int t = 0; t < f->n_trees; t++)
	{
		memcpy(covers, f->trees[t].cover, sizeof(double) * f->trees[t].n_nodes);
		covers += f->trees[t].n_nodes;
	}
}

void
aml_shap_forest_set_covers(AmlShapForest *f, const double *covers)
{
	aml_shap_fast_free(f->fast);
	f->fast = NULL;
	for (int t = 0; t < f->n_trees; t++)
	{
		memcpy(f->trees[t].cover, covers, sizeof(double) * f->trees[t].n_nodes);
		covers += f->trees[t].n_nodes;
	}
}

/* ------------------------------------------------------------------ TreeSHAP */

static void
extend_path(PathElement *path, int depth, double zero, double one, int feature)
{
	path[depth].feature = feature;
	path[depth].zero = zero;
	path[depth].one = one;
	path[depth].weight = depth == 0 ? 1.0 : 0.0;
	for (int i = depth - 1; i >= 0; i--)
	{
		path[i + 1].weight += one * path[i].weight * (i + 1) / (double) (depth + 1);
		path[i].weight = zero * path[i].weight * (depth - i) / (double) (depth + 1);
	}
}

static void
unwind_path(PathElement *path, int depth, int index)
{
	double		one = path[index].one;
	double		zero = path[index].zero;
	double		next = path[depth].weight;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double		tmp = path[i].weight;

			path[i].weight = next * (depth + 1) / ((i + 1) * one);
			next = tmp - path[i].weight * zero * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].weight = path[i].weight * (depth + 1) / (zero * (depth - i));
	}
	for (int i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero = path[i + 1].zero;
		path[i].one = path[i + 1].one;
	}
}

/* Total weight of the path with element `index` unwound (the path is not changed). */
static double
unwound_sum(const PathElement *path, int depth, int index)
{
	double		one = path[index].one;
	double		zero = path[index].zero;
	double		next = path[depth].weight;
	double		total = 0;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double		tmp = next * (depth + 1) / ((i + 1) * one);

			total += tmp;
			next = path[i].weight - tmp * zero * (depth - i) / (double) (depth + 1);
		}
		else if (zero != 0)
			total += path[i].weight / zero * (depth + 1) / (double) (depth - i);
	}
	return total;
}

typedef struct ShapWalk
{
	const AmlShapTree *t;
	const double *x;
	int			n_features;
	double		scale;
	double	   *phi;
} ShapWalk;

static void
recurse(const ShapWalk *w, int node, PathElement *parent_path, int depth, double zero,
		double one, int feature)
{
	const AmlShapTree *t = w->t;
	PathElement *path = parent_path + depth + 1;

	/* each level works on its own copy of the path, after its parent's */
	memcpy(path, parent_path, sizeof(PathElement) * (depth + 1));
	extend_path(path, depth, zero, one, feature);
	if (t->feature[node] < 0)
	{
		const double *v = t->value + (size_t) node * t->n_outputs;

		for (int i = 1; i <= depth; i++)
		{
			double		s = unwound_sum(path, depth, i) * (path[i].one - path[i].zero) * w->scale;
			int			f = (int) path[i].feature;

			for (int k = 0; k < t->n_outputs; k++)
				w->phi[(size_t) k * w->n_features + f] += s * v[k];
		}
		return;
	}
	{
		int			hot = aml_shap_hot_child(t, node, w->x);
		int			cold = hot == t->left[node] ? t->right[node] : t->left[node];
		double		hot_zero = aml_shap_cover_fraction(t, node, hot);
		double		cold_zero = aml_shap_cover_fraction(t, node, cold);
		double		in_zero = 1,
					in_one = 1;
		int			split = t->feature[node];
		int			k;

		for (k = 1; k <= depth; k++)
			if ((int) path[k].feature == split)
				break;
		if (k <= depth)
		{
			in_zero = path[k].zero;
			in_one = path[k].one;
			unwind_path(path, depth, k);
			depth--;
		}
		recurse(w, hot, path, depth + 1, hot_zero * in_zero, in_one, split);
		recurse(w, cold, path, depth + 1, cold_zero * in_zero, 0, split);
	}
}

long
aml_shap_path_workspace(int depth)
{
	/* one copy of the path per level, each up to depth + 2 elements */
	return (long) (depth + 2) * (depth + 3) / 2 * (long) (sizeof(PathElement) / sizeof(double));
}

void
aml_shap_tree_explain(const AmlShapTree *t, int n_features, const double *x, double scale,
					  double *phi, double *work)
{
	ShapWalk	w = {t, x, n_features, scale, phi};
	PathElement *path = (PathElement *) work;

	memset(path, 0, sizeof(PathElement));
	/* the root's "parent path" is the empty path at path[0]; recurse copies from it */
	recurse(&w, 0, path, 0, 1, 1, -1);
}

void
aml_shap_forest_output(const AmlShapForest *f, const double *x, double *out)
{
	for (int k = 0; k < f->n_outputs; k++)
		out[k] = f->offset[k];
	for (int t = 0; t < f->n_trees; t++)
	{
		const AmlShapTree *tr = &f->trees[t];
		int			n = 0;
		const double *v;

		while (tr->feature[n] >= 0)
			n = aml_shap_hot_child(tr, n, x);
		v = tr->value + (size_t) n * tr->n_outputs;
		if (f->tree_output[t] < 0)
			for (int k = 0; k < tr->n_outputs; k++)
				out[k] += f->scale * v[k];
		else
			out[f->tree_output[t]] += f->scale * v[0];
	}
}

/* ------------------------------------------------------------------ brute force */

/* v(S): features in mask follow x, the others average over children by cover. */
static void
coalition_value(const AmlShapTree *t, int node, const double *x, unsigned long mask,
				double weight, double *out)
{
	if (t->feature[node] < 0)
	{
		for (int k = 0; k < t->n_outputs; k++)
			out[k] += weight * t->value[(size_t) node * t->n_outputs + k];
		return;
	}
	if (mask & (1UL << t->feature[node]))
	{
		coalition_value(t, aml_shap_hot_child(t, node, x), x, mask, weight, out);
		return;
	}
	coalition_value(t, t->left[node], x, mask, weight * aml_shap_cover_fraction(t, node, t->left[node]), out);
	coalition_value(t, t->right[node], x, mask, weight * aml_shap_cover_fraction(t, node, t->right[node]),
					out);
}

AmlStatus
aml_shap_tree_brute_force(const AmlShapTree *t, int n_features, const double *x, double *phi,
						  AmlError *err)
{
	int			M = n_features;
	int			K = t->n_outputs;
	unsigned long n_sets;
	double	   *v;
	double	   *fact;

	if (M > 20)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "brute force Shapley needs at most 20 features");
	n_sets = 1UL << M;
	v = AML_NEW_ARRAY(double, (size_t) n_sets * K);
	fact = AML_NEW_ARRAY(double, M + 1);
	if (v == NULL || fact == NULL)
	{
		aml_free(v);
		aml_free(fact);
		return aml_error_nomem(err, "brute force Shapley values");
	}
	fact[0] = 1;
	for (int i = 1; i <= M; i++)
		fact[i] = fact[i - 1] * i;
	for (unsigned long s = 0; s < n_sets; s++)
		coalition_value(t, 0, x, s, 1.0, v + s * K);
	memset(phi, 0, sizeof(double) * (size_t) M * K);
	for (int j = 0; j < M; j++)
		for (unsigned long s = 0; s < n_sets; s++)
		{
			int			size = __builtin_popcountl(s);
			double		w;

			if (s & (1UL << j))
				continue;
			w = fact[size] * fact[M - size - 1] / fact[M];
			for (int k = 0; k < K; k++)
				phi[(size_t) k * M + j] += w * (v[(s | (1UL << j)) * K + k] - v[s * K + k]);
		}
	aml_free(v);
	aml_free(fact);
	return AML_OK;
}
