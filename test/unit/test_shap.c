/*
 * test_shap.c — explanations (src/ml/shap_tree.c, src/ml/explain.c):
 *   - TreeSHAP (the product's leaf-wise algorithm, shap_fast.c, and the
 *     recursive reference) equals the brute-force Shapley values (all 2^M
 *     coalitions of the same path-dependent value function) on small trees
 *     of every tree family, M <= 8, to 1e-12;
 *   - the same on random trees built by hand: features repeated along a
 *     path, NaN routed either way, vector leaves, zero covers (whole
 *     subtrees no training row reached), depth up to 12;
 *   - additivity: base + contributions = the explained output to 1e-9 for
 *     every family with its default pipeline, both tasks, and an ensemble;
 *   - linear models: contributions equal coef x (x - training mean) in the
 *     original units, with the slope taken from the pipeline itself;
 *   - the sampling estimator: exact for <= 10 inputs; with 12 inputs its
 *     error against the exact enumeration is bounded (documented in README);
 *   - every estimator type's tree form (type->trees) agrees with the trees
 *     its fitted model gives TreeSHAP.
 */
#include "unit.h"

#include "core/json.h"
#include "core/random.h"
#include "ml/explain.h"
#include "ml/shap.h"
#include "ml/shap_internal.h"

static json_object *
parse(const char *text)
{
	json_object *o;
	AmlError	err;

	if (aml_json_parse(text, strlen(text), &o, &err) != AML_OK)
		unit_fail(__FILE__, __LINE__, "bad JSON in test: %s", err.message);
	return o;
}

/* n x M numbers with a few ties (so splits repeat features), some NaN when missing. */
static AmlMatrix *
make_X(int n, int M, bool missing, AmlRng *rng)
{
	AmlMatrix  *X = aml_matrix_new(n, M);

	for (int i = 0; i < n; i++)
		for (int j = 0; j < M; j++)
		{
			double		v = floor(aml_rng_uniform(rng) * 10) / 2.0;

			if (missing && aml_rng_uniform(rng) < 0.05)
				v = NAN;
			AML_AT(X, i, j) = v;
		}
	return X;
}

static double
signal(const AmlMatrix *X, int i)
{
	double		a = isnan(AML_AT(X, i, 0)) ? 1 : AML_AT(X, i, 0);
	double		b = isnan(AML_AT(X, i, 1)) ? 0 : AML_AT(X, i, 1);
	double		c = isnan(AML_AT(X, i, 2)) ? 2 : AML_AT(X, i, 2);

	return a * b - 2 * c + (AML_AT(X, i, X->cols - 1) > 2);
}

/* Whether the last fast_tree() used pattern tables (shap_table.c). */
static bool used_patterns;

/* phi (n_outputs x M) of tree t alone, by the product's algorithm. */
static void
fast_tree(const AmlShapTree *t, int M, const double *x, double *phi, double *base)
{
	AmlShapForest one;
	int			out = -1;
	double		offset[8] = {0};
	double	   *work;
	AmlError	err;

	memset(&one, 0, sizeof(one));
	one.n_features = M;
	one.n_outputs = t->n_outputs;
	one.n_trees = 1;
	one.trees = (AmlShapTree *) t;
	one.tree_output = &out;
	one.offset = offset;
	one.scale = 1;
	CHECK_OK(aml_shap_forest_prepare(&one, &err), &err);
	used_patterns = one.fast->trees[0].pattern != NULL;
	work = AML_NEW_ARRAY(double, aml_shap_forest_workspace(&one));
	aml_shap_forest_explain(&one, x, phi, base, work);
	aml_free(work);
	aml_shap_fast_free(one.fast);
}


/*
 * Covers against a row-by-row count (each row down each tree, NaN to the
 * missing side): the root has every row, a node its children's sum.
 */
static void
check_covers(const AmlShapForest *f, const AmlMatrix *X, const char *type_name)
{
	double	   *row = AML_NEW_ARRAY(double, X->cols);

	for (int t = 0; t < f->n_trees; t++)
	{
		const AmlShapTree *tr = &f->trees[t];
		double	   *count = AML_NEW_ARRAY(double, tr->n_nodes);
		int			bad = 0;

		for (int i = 0; i < X->rows; i++)
		{
			int			n = 0;

			for (int j = 0; j < X->cols; j++)
				row[j] = AML_AT(X, i, j);
			for (;;)
			{
				count[n] += 1;
				if (tr->feature[n] < 0)
					break;
				n = aml_shap_hot_child(tr, n, row);
			}
		}
		for (int n = 0; n < tr->n_nodes; n++)
			bad += tr->cover[n] != count[n] ||
				(tr->feature[n] >= 0 && tr->cover[n] != tr->cover[tr->left[n]] + tr->cover[tr->right[n]]);
		CHECK_MSG(bad == 0 && tr->cover[0] == X->rows, "%s tree %d: %d node covers differ from the row count",
				  type_name, t, bad);
		aml_free(count);
	}
	aml_free(row);
}

static void
check_trees(const char *type_name, AmlTask task, int M, const char *params, bool missing)
{
	AmlRng		rng;
	AmlMatrix  *X;
	double	   *y;
	AmlEstimator *est;
	AmlShapForest *f;
	AmlError	err;
	json_object *p = parse(params);
	int			n = 300;
	int			nc = task == AML_TASK_CLASSIFICATION ? 3 : 0;
	double	   *phi,
			   *ref,
			   *work,
				x[8],
				fbase[3];
	int			checked = 0;

	aml_rng_seed(&rng, 11);
	X = make_X(n, M, missing, &rng);
	y = AML_NEW_ARRAY(double, n);
	for (int i = 0; i < n; i++)
	{
		double		s = signal(X, i);

		y[i] = nc ? (s < -4 ? 0 : s < 4 ? 1 : 2) : s + aml_rng_normal(&rng);
	}
	CHECK_OK(aml_estimator_create(aml_estimator_type_find(type_name), task, nc, p, &est, &err), &err);
	CHECK_OK(aml_estimator_fit(est, X, y, &rng, &err), &err);
	CHECK_OK(aml_shap_forest_from_estimator(est, &f, &err), &err);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	aml_shap_forest_covers_from_data(f, X);
	check_covers(f, X, type_name);
	/* the same covers straight from the estimator (no explanation trees built) */
	{
		double	   *direct = NULL;
		double	   *via = AML_NEW_ARRAY(double, aml_shap_forest_total_nodes(f));
		long		n_direct = 0;
		long		differ = 0;

		CHECK_OK(aml_shap_covers_of_estimator(est, X, &direct, &n_direct, &err), &err);
		aml_shap_forest_get_covers(f, via);
		CHECK_MSG(direct != NULL && n_direct == aml_shap_forest_total_nodes(f),
				  "%s: %ld covers from the estimator, %ld nodes", type_name, n_direct,
				  aml_shap_forest_total_nodes(f));
		for (long k = 0; direct != NULL && k < n_direct; k++)
			differ += direct[k] != via[k];
		CHECK_MSG(differ == 0, "%s: %ld covers from the estimator differ", type_name, differ);
		aml_free(direct);
		aml_free(via);
	}
	CHECK_OK(aml_shap_forest_prepare(f, &err), &err);
	work = AML_NEW_ARRAY(double, aml_shap_forest_workspace(f));
	phi = AML_NEW_ARRAY(double, (size_t) M * f->n_outputs);
	ref = AML_NEW_ARRAY(double, (size_t) M * f->n_outputs);
	for (int t = 0; t < f->n_trees && t < 6; t++)
	{
		const AmlShapTree *tr = &f->trees[t];

		for (int i = 0; i < 20; i++)
		{
			for (int j = 0; j < M; j++)
				x[j] = AML_AT(X, i * 7 % n, j);
			if (i == 3)
				x[1] = 100;		/* beyond every threshold */
			memset(phi, 0, sizeof(double) * (size_t) M * tr->n_outputs);
			aml_shap_tree_explain(tr, M, x, 1.0, phi, work);
			CHECK_OK(aml_shap_tree_brute_force(tr, M, x, ref, &err), &err);
			for (int k = 0; k < M * tr->n_outputs; k++)
				CHECK_MSG(fabs(phi[k] - ref[k]) <= 1e-12 * fmax(1, fabs(ref[k])),
						  "%s tree %d row %d: TreeSHAP %.17g, brute force %.17g", type_name, t, i,
						  phi[k], ref[k]);
			for (int b = 0; b < 6; b++)
			{
				static const char *const way[6] = {
					"pattern tables per leaf", "pattern tables, subtrees of height 1",
					"pattern tables, subtrees of height 2", "pattern tables, subtrees of height 3",
				"H tables", "quadrature"};

				aml_shap_pattern_budget = b < 4 ? AML_SHAP_PATTERN_BUDGET_DEFAULT : 0;
				aml_shap_block_height = b < 4 ? b : AML_SHAP_BLOCK_HEIGHT_DEFAULT;
				aml_shap_table_budget = b <= 4 ? 4L << 20 : 0;
				fast_tree(tr, M, x, phi, fbase);
				CHECK_MSG(used_patterns == (b < 4), "%s tree %d: pattern tables %s", type_name, t,
						  used_patterns ? "used" : "not used");
				for (int k = 0; k < M * tr->n_outputs; k++)
					CHECK_MSG(fabs(phi[k] - ref[k]) <= 1e-12 * fmax(1, fabs(ref[k])),
							  "%s tree %d row %d: leaf-wise TreeSHAP (%s) %.17g, brute force %.17g",
							  type_name, t, i, way[b], phi[k], ref[k]);
			}
			aml_shap_pattern_budget = AML_SHAP_PATTERN_BUDGET_DEFAULT;
			aml_shap_block_height = AML_SHAP_BLOCK_HEIGHT_DEFAULT;
			aml_shap_table_budget = 4L << 20;
			checked++;
		}
	}
	/*
	 * whole model with pattern tables for some trees only (about half the
	 * forest's tables), the others by H tables or quadrature: the same
	 * contributions as with pattern tables everywhere (1e-12)
	 */
	{
		long		all_size = 0;
		int			with = 0;
		double		full[8 * 3],
					mixed[8 * 3],
					b1[3];

		for (int t = 0; t < f->n_trees; t++)
			for (int l = 0; l < f->fast->trees[t].n_leaves; l++)
			{
				const FastTree *ft = &f->fast->trees[t];
				int			q = ft->feat_start[l + 1] - ft->feat_start[l];

				all_size += ((long) q << q) *
					(f->tree_output[t] < 0 ? f->trees[t].n_outputs : 1);
			}
		for (int mode = 0; mode < 2; mode++)
		{
			/* leaves' tables (the subtrees' do not fit), for about half the trees */
			aml_shap_pattern_budget = all_size / 2;
			aml_shap_table_budget = mode == 0 ? 4L << 20 : 0;
			CHECK_OK(aml_shap_forest_prepare(f, &err), &err);
			aml_shap_pattern_budget = AML_SHAP_PATTERN_BUDGET_DEFAULT;
			aml_shap_table_budget = 4L << 20;
			with = 0;
			for (int t = 0; t < f->n_trees; t++)
				with += f->fast->trees[t].pattern != NULL;
			CHECK_MSG(f->n_trees == 1 ? with == 0 : with > 0 && with < f->n_trees,
					  "%s: %d of %d trees with pattern tables", type_name, with, f->n_trees);
			for (int i = 0; i < n; i += 3)
			{
				struct AmlShapFast *mine = f->fast;

				for (int j = 0; j < M; j++)
					x[j] = AML_AT(X, i, j);
				aml_shap_forest_explain(f, x, mixed, b1, work);
				f->fast = NULL;
				CHECK_OK(aml_shap_forest_prepare(f, &err), &err);
				aml_shap_forest_explain(f, x, full, fbase, work);
				aml_shap_fast_free(f->fast);
				f->fast = mine;
				for (int k = 0; k < M * f->n_outputs; k++)
					CHECK_MSG(fabs(mixed[k] - full[k]) <= 1e-12 * fmax(1, fabs(full[k])),
							  "%s row %d: some pattern tables %.17g, all %.17g", type_name, i,
							  mixed[k], full[k]);
				for (int k = 0; k < f->n_outputs; k++)
					CHECK(b1[k] == fbase[k]);
			}
		}
		CHECK_OK(aml_shap_forest_prepare(f, &err), &err);
	}
	/* whole model: base + sum phi = output */
	{
		double		base[3],
					out[3],
					all[8 * 3];

		for (int i = 0; i < n; i++)
		{
			for (int j = 0; j < M; j++)
				x[j] = AML_AT(X, i, j);
			aml_shap_forest_explain(f, x, all, base, work);
			aml_shap_forest_output(f, x, out);
			for (int k = 0; k < f->n_outputs; k++)
			{
				double		s = base[k];

				for (int j = 0; j < M; j++)
					s += all[k * M + j];
				CHECK_MSG(fabs(s - out[k]) <= 1e-9 * fmax(1, fabs(out[k])),
						  "%s row %d: base + contributions %.17g, output %.17g", type_name, i, s, out[k]);
			}
		}
	}
	CHECK(checked > 0);
	aml_free(work);
	aml_free(phi);
	aml_free(ref);
	aml_shap_forest_free(f);
	aml_estimator_free(est);
	aml_matrix_free(X);
	aml_free(y);
	json_object_put(p);
}

static void
test_treeshap_brute_force(void)
{
	check_trees("decision_tree", AML_TASK_REGRESSION, 6, "{\"max_depth\": 7}", false);
	check_trees("decision_tree", AML_TASK_CLASSIFICATION, 8, "{\"max_depth\": 6}", false);
	check_trees("random_forest", AML_TASK_REGRESSION, 5, "{\"n_estimators\": 6, \"max_depth\": 6}", false);
	check_trees("extra_trees", AML_TASK_CLASSIFICATION, 7, "{\"n_estimators\": 4, \"max_depth\": 8}", false);
	/* with NaN routed by each node's missing side (covers counted straight from the forest too) */
	check_trees("random_forest", AML_TASK_CLASSIFICATION, 6, "{\"n_estimators\": 5, \"max_depth\": 6}", true);
	check_trees("gradient_boosting", AML_TASK_REGRESSION, 6, "{\"max_iter\": 5, \"max_leaf_nodes\": 12}", true);
	check_trees("gradient_boosting", AML_TASK_CLASSIFICATION, 8, "{\"max_iter\": 3}", true);
}

/* ------------------------------------------------------------------ random trees */

typedef struct RandomTree
{
	AmlShapTree t;
	AmlRng	   *rng;
	int			M;
	int			max_depth;
	int			n_features_used;	/* features drawn from 0..n_features_used-1: repeats */
	double		zero_cover;		/* probability that a leaf has cover 0 */
} RandomTree;

/* Grows node `node` (already allocated); returns its cover. */
static double
grow(RandomTree *r, int node, int depth)
{
	AmlShapTree *t = &r->t;

	if (depth >= r->max_depth || (depth > 1 && aml_rng_uniform(r->rng) < 0.2))
	{
		t->feature[node] = -1;
		t->left[node] = t->right[node] = node;
		for (int k = 0; k < t->n_outputs; k++)
			t->value[(size_t) node * t->n_outputs + k] = aml_rng_normal(r->rng);
		t->cover[node] = aml_rng_uniform(r->rng) < r->zero_cover ? 0
			: 1 + floor(aml_rng_uniform(r->rng) * 20);
	}
	else
	{
		int			left = t->n_nodes;

		t->n_nodes += 2;
		t->feature[node] = (int) floor(aml_rng_uniform(r->rng) * r->n_features_used);
		t->threshold[node] = floor(aml_rng_uniform(r->rng) * 5) - 0.5;
		t->missing_left[node] = aml_rng_uniform(r->rng) < 0.5;
		t->left[node] = left;
		t->right[node] = left + 1;
		t->cover[node] = grow(r, left, depth + 1) + grow(r, left + 1, depth + 1);
	}
	if (depth > t->depth)
		t->depth = depth;
	return t->cover[node];
}

static void
random_tree(RandomTree *r, AmlRng *rng, int M, int used, int max_depth, int n_outputs,
			double zero_cover)
{
	int			cap = (1 << (max_depth + 1)) + 1;
	AmlShapTree *t = &r->t;

	memset(r, 0, sizeof(*r));
	r->rng = rng;
	r->M = M;
	r->max_depth = max_depth;
	r->n_features_used = used;
	r->zero_cover = zero_cover;
	t->n_outputs = n_outputs;
	t->feature = AML_NEW_ARRAY(int, cap);
	t->threshold = AML_NEW_ARRAY(double, cap);
	t->left = AML_NEW_ARRAY(int, cap);
	t->right = AML_NEW_ARRAY(int, cap);
	t->missing_left = AML_NEW_ARRAY(bool, cap);
	t->value = AML_NEW_ARRAY(double, (size_t) cap * n_outputs);
	t->cover = AML_NEW_ARRAY(double, cap);
	t->n_nodes = 1;
	grow(r, 0, 0);
	/* depth counts edges: the deepest leaf's depth */
}

static void
random_tree_free(RandomTree *r)
{
	aml_free(r->t.feature);
	aml_free(r->t.threshold);
	aml_free(r->t.left);
	aml_free(r->t.right);
	aml_free(r->t.missing_left);
	aml_free(r->t.value);
	aml_free(r->t.cover);
}

/*
 * Random trees: the leaf-wise algorithm against the brute force and the
 * recursive reference (1e-12, with H tables for every leaf, none or some;
 * without zero covers, where the reference
 * divides by zero), and base + contributions = the tree's output
 * (1e-9).  Few features per tree (repeats along paths), NaN in x, zero
 * covers, vector leaves; depth up to 12 (brute force over M <= 8 features).
 */
static void
test_random_trees(void)
{
	AmlRng		rng;
	int			trees = 0,
				rows = 0,
				repeated = 0,
				with_patterns = 0,
				pattern_rows = 0;

	aml_rng_seed(&rng, 2026);
	for (int it = 0; it < 300; it++)
	{
		/*
		 * pattern tables; H tables for every leaf, then none (quadrature),
		 * then a budget between
		 */
		long		budgets[4] = {4L << 20, 4L << 20, 0, 40};
		int			M = 1 + it % 8;
		int			used = 1 + (int) floor(aml_rng_uniform(&rng) * M);
		int			depth = 1 + it % 12;
		int			K = it % 3 == 0 ? 3 : 1;
		double		zero_cover = it % 4 == 0 ? 0.3 : 0;
		RandomTree	r;
		double		phi[8 * 3],
					ref[8 * 3],
					old[8 * 3],
					base[3],
					out[3],
					x[8];
		double	   *work;
		AmlError	err;

		random_tree(&r, &rng, M, used, depth, K, zero_cover);
		repeated += r.t.depth > used;
		work = AML_NEW_ARRAY(double, aml_shap_path_workspace(r.t.depth) + 16);
		for (int i = 0; i < 8; i++)
		{
			AmlShapForest one;
			int			to = -1;
			double		offset[3] = {0};

			for (int j = 0; j < M; j++)
				x[j] = aml_rng_uniform(&rng) < 0.15 ? NAN : floor(aml_rng_uniform(&rng) * 5) - 1;
			aml_shap_table_budget = budgets[(it / 12) % 4];
			aml_shap_pattern_budget = (it / 12) % 4 == 0 ? AML_SHAP_PATTERN_BUDGET_DEFAULT : 0;
			aml_shap_block_height = (it / 48) % 4;	/* subtrees of height 0..3 share a table */
			fast_tree(&r.t, M, x, phi, base);
			with_patterns += used_patterns;
			pattern_rows += (it / 12) % 4 == 0;
			aml_shap_table_budget = 4L << 20;
			aml_shap_pattern_budget = AML_SHAP_PATTERN_BUDGET_DEFAULT;
			aml_shap_block_height = AML_SHAP_BLOCK_HEIGHT_DEFAULT;
			CHECK_OK(aml_shap_tree_brute_force(&r.t, M, x, ref, &err), &err);
			memset(old, 0, sizeof(old));
			aml_shap_tree_explain(&r.t, M, x, 1.0, old, work);
			for (int k = 0; k < M * K; k++)
			{
				CHECK_MSG(fabs(phi[k] - ref[k]) <= 1e-12 * fmax(1, fabs(ref[k])),
						  "random tree %d row %d [%d]: leaf-wise %.17g, brute force %.17g",
						  it, i, k, phi[k], ref[k]);
				/*
				 * the recursive reference divides by a path element's zero
				 * fraction when its one fraction is 0: NaN under zero covers
				 * (the leaf-wise algorithm has no division)
				 */
				if (zero_cover == 0)
					CHECK_MSG(fabs(phi[k] - old[k]) <= 1e-12 * fmax(1, fabs(old[k])),
						  "random tree %d row %d [%d]: leaf-wise %.17g, recursive %.17g",
						  it, i, k, phi[k], old[k]);
			}
			memset(&one, 0, sizeof(one));
			one.n_features = M;
			one.n_outputs = K;
			one.n_trees = 1;
			one.trees = &r.t;
			one.tree_output = &to;
			one.offset = offset;
			one.scale = 1;
			aml_shap_forest_output(&one, x, out);
			for (int k = 0; k < K; k++)
			{
				double		sum = base[k];

				for (int j = 0; j < M; j++)
					sum += phi[k * M + j];
				CHECK_MSG(fabs(sum - out[k]) <= 1e-9 * fmax(1, fabs(out[k])),
						  "random tree %d row %d: base + contributions %.17g, output %.17g",
						  it, i, sum, out[k]);
			}
			rows++;
		}
		aml_free(work);
		random_tree_free(&r);
		trees++;
	}
	CHECK(trees == 300 && rows == 2400);
	CHECK_MSG(with_patterns == pattern_rows && pattern_rows > 500,
			  "%d of %d rows by pattern tables", with_patterns, pattern_rows);
	CHECK_MSG(repeated > 100, "only %d trees repeat a feature along a path", repeated);
}

/* ------------------------------------------------------------------ pipelines */

/* age (numeric), sex (categorical F/M/X), smoker (binary), bmi (numeric) */
static void
make_schema(AmlSchema *s, AmlTask task, int n_classes)
{
	AmlError	err;
	int			code;
	const char *cats[] = {"F", "M", "X"};
	const char *labels[] = {"a", "b", "c"};

	memset(s, 0, sizeof(*s));
	s->n_inputs = 4;
	s->inputs = AML_NEW_ARRAY(AmlInputColumn, 4);
	s->inputs[0].name = aml_strdup("age");
	s->inputs[0].kind = AML_KIND_NUMERIC;
	s->inputs[1].name = aml_strdup("sex");
	s->inputs[1].kind = AML_KIND_CATEGORICAL;
	s->inputs[1].dict = aml_dict_new();
	for (int c = 0; c < 3; c++)
		aml_dict_intern(s->inputs[1].dict, cats[c], 1, &code, &err);
	s->inputs[2].name = aml_strdup("smoker");
	s->inputs[2].kind = AML_KIND_BINARY;
	s->inputs[3].name = aml_strdup("bmi");
	s->inputs[3].kind = AML_KIND_NUMERIC;
	s->target = aml_strdup("y");
	s->task = task;
	if (task == AML_TASK_CLASSIFICATION)
	{
		s->classes = aml_dict_new();
		for (int c = 0; c < n_classes; c++)
			aml_dict_intern(s->classes, labels[c], 1, &code, &err);
	}
}

static AmlMatrix *
make_raw(int n, AmlTask task, int n_classes, bool missing, double **y)
{
	AmlMatrix  *m = aml_matrix_new(n, 4);
	AmlRng		rng;

	aml_rng_seed(&rng, 5);
	*y = AML_NEW_ARRAY(double, n);
	for (int i = 0; i < n; i++)
	{
		double		s;

		AML_AT(m, i, 0) = 20 + aml_rng_below(&rng, 60);
		AML_AT(m, i, 1) = (double) aml_rng_below(&rng, 3);
		AML_AT(m, i, 2) = (double) aml_rng_below(&rng, 2);
		AML_AT(m, i, 3) = 18 + 15 * aml_rng_uniform(&rng);
		s = 0.05 * AML_AT(m, i, 0) + (AML_AT(m, i, 1) == 1) - 1.5 * AML_AT(m, i, 2) +
			0.1 * AML_AT(m, i, 3) + aml_rng_normal(&rng);
		if (missing && i % 17 == 3)
			AML_AT(m, i, 3) = NAN;
		if (missing && i % 23 == 5)
			AML_AT(m, i, 1) = NAN;
		(*y)[i] = task == AML_TASK_REGRESSION ? s
			: n_classes == 2 ? (s > 5.2) : (s < 4.6 ? 0 : s < 6 ? 1 : 2);
	}
	return m;
}

static AmlPipeline *
fit_default(const AmlEstimatorType *type, const AmlSchema *s, const AmlMatrix *raw, const double *y,
			const char *params)
{
	json_object *p = params ? parse(params) : NULL;
	json_object *spec = aml_pipeline_default_spec(type, p);
	AmlPipeline *pl;
	AmlError	err;
	AmlRng		rng;

	aml_rng_seed(&rng, 3);
	CHECK_OK(aml_pipeline_create(s, spec, &pl, &err), &err);
	CHECK_OK(aml_pipeline_fit(pl, raw, y, &rng, &err), &err);
	json_object_put(spec);
	if (p)
		json_object_put(p);
	return pl;
}

/* Round trip through JSON, so that explanations of stored models are tested. */
static AmlPipeline *
reload(AmlPipeline *p)
{
	json_object *j = aml_pipeline_to_json(p);
	const char *text = aml_json_text(j);
	json_object *parsed;
	AmlPipeline *back = NULL;
	AmlError	err;

	CHECK_OK(aml_json_parse(text, strlen(text), &parsed, &err), &err);
	CHECK_OK(aml_pipeline_from_json(parsed, &back, &err), &err);
	CHECK(back->explain != NULL);
	json_object_put(parsed);
	json_object_put(j);
	aml_pipeline_free(p);
	return back;
}

/* additivity on every row; the explained output matches predict where it is on its scale */
static void
check_additive(AmlModel *m, const AmlMatrix *raw, const char *what, AmlExplainMethod expect)
{
	AmlExplainer *e;
	AmlError	err;
	double		x[4],
				phi[4 * 3],
				base[3],
				out[3],
				pred[3];
	double	   *scratch = AML_NEW_ARRAY(double, aml_model_scratch_size(m));

	CHECK_OK(aml_explainer_create(m, 64, 42, &e, &err), &err);
	CHECK_MSG(aml_explainer_method(e) == expect, "%s: method %s", what,
			  aml_explain_method_name(aml_explainer_method(e)));
	for (int i = 0; i < raw->rows; i++)
	{
		aml_matrix_get_row(raw, i, x);
		CHECK_OK(aml_explainer_explain(e, x, phi, base, out, &err), &err);
		aml_model_predict_row(m, x, pred, scratch);
		for (int k = 0; k < aml_explainer_outputs(e); k++)
		{
			double		s = base[k];
			int			c = aml_explainer_output_class(e, k);

			for (int j = 0; j < 4; j++)
				s += phi[k * 4 + j];
			CHECK_MSG(fabs(s - out[k]) <= 1e-9 * fmax(1, fabs(out[k])),
					  "%s row %d output %d: base + contributions %.17g, output %.17g", what, i, k, s, out[k]);
			if (strcmp(aml_explainer_scale(e), "probability") == 0 ||
				strcmp(aml_explainer_scale(e), "value") == 0)
				CHECK_MSG(fabs(out[k] - pred[c < 0 ? 0 : c]) <= 1e-9,
						  "%s row %d: explained output %.17g, prediction %.17g", what, i, out[k],
						  pred[c < 0 ? 0 : c]);
			else if (strcmp(aml_explainer_scale(e), "log-odds") == 0)
				CHECK_MSG(fabs(1 / (1 + exp(-out[k])) - pred[c]) <= 1e-9,
						  "%s row %d: expit(log-odds) %.17g, probability %.17g", what, i,
						  1 / (1 + exp(-out[k])), pred[c]);
		}
	}
	aml_explainer_free(e);
	aml_free(scratch);
}

static void
test_additivity_every_family(void)
{
	int			tested = 0;

	for (int nc = 0; nc <= 3; nc++)
	{
		AmlTask		task = nc == 0 ? AML_TASK_REGRESSION : AML_TASK_CLASSIFICATION;
		AmlSchema	s;
		AmlMatrix  *raw;
		double	   *y;

		if (nc == 1)
			continue;
		make_schema(&s, task, nc);
		raw = make_raw(120, task, nc, true, &y);
		for (int t = 0; t < aml_estimator_type_count(); t++)
		{
			const AmlEstimatorType *type = aml_estimator_type_at(t);
			AmlPipeline *p;
			AmlModel   *m;
			AmlError	err;
			char		what[128];
			AmlExplainMethod expect = AML_EXPLAIN_SAMPLING;

			if (type == NULL || !(type->tasks & (unsigned) task))
				continue;
			snprintf(what, sizeof(what), "%s (%d classes)", type->name, nc);
			p = reload(fit_default(type, &s, raw, y, NULL));
			if (strstr(type->name, "tree") || strstr(type->name, "forest") ||
				strcmp(type->name, "gradient_boosting") == 0)
				expect = AML_EXPLAIN_TREE;
			else if (strstr(type->name, "linear") || strcmp(type->name, "ridge") == 0 ||
					 strcmp(type->name, "lasso") == 0 || strcmp(type->name, "elastic_net") == 0 ||
					 strcmp(type->name, "logistic_regression") == 0)
				expect = AML_EXPLAIN_LINEAR;
			CHECK_OK(aml_model_single(p, &m, &err), &err);
			check_additive(m, raw, what, expect);
			aml_model_free(m);
			tested++;
		}
		/* an ensemble of a forest, a linear model and naive Bayes / kNN */
		{
			AmlPipeline *members[3];
			double		w[3] = {0.5, 0.3, 0.2};
			AmlModel   *m;
			AmlError	err;

			members[0] = fit_default(aml_estimator_type_find("random_forest"), &s, raw, y,
									 "{\"n_estimators\": 10}");
			members[1] = fit_default(aml_estimator_type_find(nc ? "logistic_regression" : "ridge"),
									 &s, raw, y, NULL);
			members[2] = fit_default(aml_estimator_type_find(nc ? "gaussian_nb" : "knn"), &s, raw, y, NULL);
			CHECK_OK(aml_model_ensemble(members, w, 3, &m, &err), &err);
			check_additive(m, raw, nc ? "classification ensemble" : "regression ensemble",
						   AML_EXPLAIN_ENSEMBLE);
			aml_model_free(m);
		}
		aml_matrix_free(raw);
		aml_free(y);
		aml_schema_free(&s);
	}
	CHECK(tested >= 20);
}

/* Linear: contribution = slope x (x - training mean), slope and mean in original units. */
static void
test_linear_closed_form(void)
{
	AmlSchema	s;
	AmlMatrix  *raw;
	double	   *y;
	AmlPipeline *p;
	AmlModel   *m;
	AmlExplainer *e;
	AmlError	err;
	double		mean[4] = {0, 0, 0, 0};
	double		x[4],
				x1[4],
				f0,
				f1,
				phi[4],
				base,
				out;
	double	   *scratch;

	make_schema(&s, AML_TASK_REGRESSION, 0);
	raw = make_raw(200, AML_TASK_REGRESSION, 0, false, &y);
	for (int i = 0; i < 200; i++)
		for (int j = 0; j < 4; j++)
			mean[j] += AML_AT(raw, i, j) / 200;
	p = reload(fit_default(aml_estimator_type_find("linear_regression"), &s, raw, y, NULL));
	CHECK_OK(aml_model_single(p, &m, &err), &err);
	CHECK_OK(aml_explainer_create(m, 16, 1, &e, &err), &err);
	CHECK(aml_explainer_method(e) == AML_EXPLAIN_LINEAR);
	scratch = AML_NEW_ARRAY(double, aml_model_scratch_size(m));
	for (int i = 0; i < 10; i++)
	{
		aml_matrix_get_row(raw, i, x);
		CHECK_OK(aml_explainer_explain(e, x, phi, &base, &out, &err), &err);
		for (int j = 0; j < 4; j++)
		{
			double		slope;

			if (j == 1)
				continue;		/* categorical: checked by additivity */
			memcpy(x1, x, sizeof(x));
			x1[j] = x[j] + 1;
			aml_model_predict_row(m, x, &f0, scratch);
			aml_model_predict_row(m, x1, &f1, scratch);
			slope = f1 - f0;
			CHECK_MSG(fabs(phi[j] - slope * (x[j] - mean[j])) <= 1e-9 * fmax(1, fabs(phi[j])),
					  "row %d column %d: contribution %.17g, coef x (x - mean) %.17g", i, j, phi[j],
					  slope * (x[j] - mean[j]));
		}
		/* the categorical: its one-hot columns summed, coef_c (1[x = c] - frequency of c) */
		{
			double		expect = 0;
			double		fc[3];
			double		freq[3] = {0, 0, 0};

			for (int r = 0; r < 200; r++)
				freq[(int) AML_AT(raw, r, 1)] += 1.0 / 200;
			memcpy(x1, x, sizeof(x));
			for (int c = 0; c < 3; c++)
			{
				x1[1] = c;
				aml_model_predict_row(m, x1, &fc[c], scratch);
			}
			for (int c = 0; c < 3; c++)
				expect -= freq[c] * (fc[c] - fc[(int) x[1]]);
			CHECK_MSG(fabs(phi[1] - expect) <= 1e-9 * fmax(1, fabs(expect)),
					  "row %d sex: contribution %.17g, expected %.17g", i, phi[1], expect);
		}
	}
	aml_free(scratch);
	aml_explainer_free(e);
	aml_model_free(m);
	aml_matrix_free(raw);
	aml_free(y);
	aml_schema_free(&s);
}

/*
 * The sampling estimator with 12 inputs (more than AML_EXPLAIN_EXACT_MAX):
 * its error against the exact Shapley values (all 4096 coalitions, the same
 * reference row) falls as 1/sqrt(samples).  Prints the measured errors
 * (README, explanations).
 */
static void
test_sampling_error(void)
{
	AmlSchema	s;
	AmlMatrix  *raw = aml_matrix_new(300, 12);
	double	   *y = AML_NEW_ARRAY(double, 300);
	AmlRng		rng;
	AmlError	err;
	AmlPipeline *p;
	AmlModel   *m;
	int			M = 12;
	double		err_at[3];
	const int	samples[3] = {64, 256, 1024};
	double		x[12],
				xa[12],
				exact[12 * 2],
				scale = 0;
	double	   *scratch;
	double	   *v;

	memset(&s, 0, sizeof(s));
	s.n_inputs = M;
	s.inputs = AML_NEW_ARRAY(AmlInputColumn, M);
	for (int j = 0; j < M; j++)
	{
		char		name[8];

		snprintf(name, sizeof(name), "x%d", j);
		s.inputs[j].name = aml_strdup(name);
		s.inputs[j].kind = AML_KIND_NUMERIC;
	}
	s.target = aml_strdup("y");
	s.task = AML_TASK_REGRESSION;
	aml_rng_seed(&rng, 21);
	for (int i = 0; i < 300; i++)
	{
		double		t = 0;

		for (int j = 0; j < M; j++)
			t += (j % 3 + 1) * (AML_AT(raw, i, j) = aml_rng_normal(&rng));
		y[i] = t + AML_AT(raw, i, 0) * AML_AT(raw, i, 1);
	}
	p = reload(fit_default(aml_estimator_type_find("knn"), &s, raw, y, "{\"n_neighbors\": 7}"));
	CHECK_OK(aml_model_single(p, &m, &err), &err);
	scratch = AML_NEW_ARRAY(double, aml_model_scratch_size(m));
	v = AML_NEW_ARRAY(double, 4096);
	aml_matrix_get_row(raw, 3, x);
	/* exact Shapley values relative to the reference row */
	for (unsigned set = 0; set < 4096; set++)
	{
		for (int j = 0; j < M; j++)
			xa[j] = (set & (1u << j)) ? x[j] : p->explain->reference[j];
		aml_model_predict_row(m, xa, &v[set], scratch);
	}
	memset(exact, 0, sizeof(exact));
	for (int j = 0; j < M; j++)
		for (unsigned set = 0; set < 4096; set++)
		{
			int			k = __builtin_popcount(set);
			double		w = 1;

			if (set & (1u << j))
				continue;
			/* k! (M - k - 1)! / M! */
			for (int a = 1; a <= k; a++)
				w *= a;
			for (int a = 1; a <= M - k - 1; a++)
				w *= a;
			for (int a = 1; a <= M; a++)
				w /= a;
			exact[j] += w * (v[set | (1u << j)] - v[set]);
		}
	for (int j = 0; j < M; j++)
		scale = fmax(scale, fabs(exact[j]));
	for (int r = 0; r < 3; r++)
	{
		AmlExplainer *e;
		double		phi[12],
					base,
					out,
					worst = 0;

		CHECK_OK(aml_explainer_create(m, samples[r], 42, &e, &err), &err);
		CHECK(aml_explainer_method(e) == AML_EXPLAIN_SAMPLING);
		CHECK_OK(aml_explainer_explain(e, x, phi, &base, &out, &err), &err);
		for (int j = 0; j < M; j++)
			worst = fmax(worst, fabs(phi[j] - exact[j]));
		err_at[r] = worst / scale;
		aml_explainer_free(e);
	}
	printf("  sampling estimator, 12 inputs (kNN): largest error / largest contribution "
		   "%.4f (64 permutations), %.4f (256), %.4f (1024)\n", err_at[0], err_at[1], err_at[2]);
	CHECK_MSG(err_at[1] < 0.25, "256 permutations: relative error %g", err_at[1]);
	CHECK_MSG(err_at[2] < err_at[0] / 2, "error does not fall with more permutations: %g, %g",
			  err_at[0], err_at[2]);
	aml_free(v);
	aml_free(scratch);
	aml_model_free(m);
	aml_matrix_free(raw);
	aml_free(y);
	aml_schema_free(&s);
}

/*
 * Every estimator type says before fitting whether it is made of trees
 * (type->trees, read by the search's estimate of an explanation's cost):
 * a fitted model gives TreeSHAP its trees exactly when the type says so,
 * summed on the margin (boosting) exactly when it says boosted.
 */
static void
test_type_tree_forms(void)
{
	AmlRng		rng;
	AmlMatrix  *X = aml_matrix_new(60, 3);
	double		y[60];
	int			checked = 0;

	aml_rng_seed(&rng, 5);
	for (int i = 0; i < 60; i++)
	{
		for (int j = 0; j < 3; j++)
			AML_AT(X, i, j) = aml_rng_uniform(&rng);
		y[i] = AML_AT(X, i, 0) + AML_AT(X, i, 1);
	}
	for (int k = 0; k < aml_estimator_type_count(); k++)
	{
		const AmlEstimatorType *type = aml_estimator_type_at(k);

		if (type == NULL)
			continue;
		for (int task = AML_TASK_REGRESSION; task <= AML_TASK_CLASSIFICATION; task <<= 1)
		{
			AmlEstimator *est = NULL;
			AmlShapForest *f = NULL;
			AmlError	err;
			double		labels[60];
			int			nc = task == AML_TASK_CLASSIFICATION ? 3 : 0;

			if (!(type->tasks & (unsigned) task))
				continue;
			for (int i = 0; i < 60; i++)
				labels[i] = nc ? (y[i] < 0.7 ? 0 : y[i] < 1.3 ? 1 : 2) : y[i];
			CHECK_OK(aml_estimator_create(type, (AmlTask) task, nc, NULL, &est, &err), &err);
			if (est == NULL)
				continue;
			CHECK_OK(aml_estimator_fit(est, X, labels, &rng, &err), &err);
			CHECK_OK(aml_shap_forest_from_estimator(est, &f, &err), &err);
			CHECK_MSG((f != NULL) == (type->trees != AML_TREES_NONE), "%s: trees %d, forest %s",
					  type->name, (int) type->trees, f ? "given" : "none");
			if (f != NULL)
				CHECK_MSG((f->tree_output[0] >= 0) == (type->trees == AML_TREES_BOOSTED),
						  "%s: trees %d, boosted forest %d", type->name, (int) type->trees,
						  f->tree_output[0] >= 0);
			aml_shap_forest_free(f);
			aml_estimator_free(est);
			checked++;
		}
	}
	CHECK_MSG(checked >= 19, "%d types and tasks checked", checked);
	aml_matrix_free(X);
}

int
main(void)
{
	unit_begin();
	RUN(test_treeshap_brute_force);
	RUN(test_random_trees);
	RUN(test_additivity_every_family);
	RUN(test_linear_closed_form);
	RUN(test_sampling_error);
	RUN(test_type_tree_forms);
	return unit_end();
}
