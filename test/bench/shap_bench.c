/*
 * shap_bench.c — the pure cost of explaining tree ensembles (no server):
 * 100-tree random forests of max_depth 6 and 12 fitted on 20 000 rows x 20
 * uniform columns (y = x1 + 2 x2 - x3 + 0.5 x4 x5 + noise, as
 * explain_bench.sh), then per row: the forest's output, the leaf-wise
 * TreeSHAP of the product (aml_shap_forest_explain) and the recursive
 * reference (aml_shap_tree_explain per tree).  Run by shap_bench.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/estimator.h"
#include "ml/shap.h"

/* Sum over the leaves below node of their distinct path features; counts: per feature on the path. */
static void
distinct(const AmlShapTree *t, int node, int *counts, int p, long *hist)
{
	int			f = t->feature[node];

	if (f < 0)
	{
		hist[p < 63 ? p : 63]++;
		return;
	}
	p += counts[f]++ == 0;
	distinct(t, t->left[node], counts, p, hist);
	distinct(t, t->right[node], counts, p, hist);
	counts[f]--;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(void)
{
	int			n = 20000,
				M = 20,
				depths[2] = {6, 12};
	AmlRng		rng;
	AmlMatrix  *X = aml_matrix_new(n, M);
	double	   *y = AML_NEW_ARRAY(double, n);
	AmlError	err;

	if (getenv("SHAP_TABLE_BUDGET"))
		aml_shap_table_budget = atol(getenv("SHAP_TABLE_BUDGET"));
	if (getenv("SHAP_PATTERN_BUDGET"))
		aml_shap_pattern_budget = atol(getenv("SHAP_PATTERN_BUDGET"));
	if (getenv("SHAP_BLOCK_HEIGHT"))
		aml_shap_block_height = atoi(getenv("SHAP_BLOCK_HEIGHT"));
	aml_rng_seed(&rng, 7);
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < M; j++)
			AML_AT(X, i, j) = aml_rng_uniform(&rng);
		y[i] = AML_AT(X, i, 0) + 2 * AML_AT(X, i, 1) - AML_AT(X, i, 2) +
			0.5 * AML_AT(X, i, 3) * AML_AT(X, i, 4) + 0.1 * aml_rng_uniform(&rng);
	}
	printf("| forest | leaves per tree | output µs/row | leaf-wise TreeSHAP µs/row | recursive TreeSHAP µs/row | leaf-wise / output |\n");
	printf("|---|---|---|---|---|---|\n");
	for (int d = 0; d < 2; d++)
	{
		char		params[100];
		json_object *p;
		AmlEstimator *est;
		AmlShapForest *f;
		double	   *work,
				   *phi,
					base[1],
					out[1],
					sink = 0,
					t0,
					t_out,
					t_fast,
					t_rec;
		long		leaves = 0;
		int			rows_out = 20000,
					rows_fast = d == 0 ? 2000 : 100,
					rows_rec = d == 0 ? 500 : 10;

		snprintf(params, sizeof(params), "{\"n_estimators\": 100, \"max_depth\": %d}", depths[d]);
		if (aml_json_parse(params, strlen(params), &p, &err) != AML_OK ||
			aml_estimator_create(aml_estimator_type_find("random_forest"), AML_TASK_REGRESSION, 0,
								 p, &est, &err) != AML_OK ||
			aml_estimator_fit(est, X, y, &rng, &err) != AML_OK ||
			aml_shap_forest_from_estimator(est, &f, &err) != AML_OK)
		{
			fprintf(stderr, "%s\n", err.message);
			return 1;
		}
		aml_shap_forest_covers_from_data(f, X);
		t0 = now();
		if (aml_shap_forest_prepare(f, &err) != AML_OK)
			return 1;
		fprintf(stderr, "max_depth %d: aml_shap_forest_prepare %.1f ms\n", depths[d], 1e3 * (now() - t0));
		{
			long		hist[64] = {0};
			int			counts[20] = {0};

			for (int t = 0; t < f->n_trees; t++)
				distinct(&f->trees[t], 0, counts, 0, hist);
			fprintf(stderr, "max_depth %d: leaves by distinct path features:", depths[d]);
			for (int q = 0; q < 64; q++)
				if (hist[q])
					fprintf(stderr, " %d: %ld", q, hist[q]);
			fprintf(stderr, "\n");
		}
		for (int t = 0; t < f->n_trees; t++)
			for (int i = 0; i < f->trees[t].n_nodes; i++)
				leaves += f->trees[t].feature[i] < 0;
		work = AML_NEW_ARRAY(double, aml_shap_forest_workspace(f));
		phi = AML_NEW_ARRAY(double, M);
		t0 = now();
		for (int i = 0; i < rows_out; i++)
		{
			aml_shap_forest_output(f, X->data + (size_t) (i % n) * M, out);
			sink += out[0];
		}
		t_out = (now() - t0) / rows_out;
		t0 = now();
		for (int i = 0; i < rows_fast; i++)
		{
			aml_shap_forest_explain(f, X->data + (size_t) (i % n) * M, phi, base, work);
			sink += phi[0];
		}
		t_fast = (now() - t0) / rows_fast;
		t0 = now();
		for (int i = 0; i < rows_rec; i++)
		{
			memset(phi, 0, sizeof(double) * M);
			for (int t = 0; t < f->n_trees; t++)
				aml_shap_tree_explain(&f->trees[t], M, X->data + (size_t) (i % n) * M, f->scale,
									  phi, work);
			sink += phi[0];
		}
		t_rec = (now() - t0) / rows_rec;
		printf("| 100 trees, max_depth %d | %.0f | %.2f | %.1f | %.1f | %.0f× |\n", depths[d],
			   (double) leaves / f->n_trees, 1e6 * t_out, 1e6 * t_fast, 1e6 * t_rec,
			   t_fast / t_out);
		fprintf(stderr, "(checksum %g)\n", sink);
		aml_free(work);
		aml_free(phi);
		aml_shap_forest_free(f);
		aml_estimator_free(est);
		json_object_put(p);
	}
	aml_matrix_free(X);
	aml_free(y);
	return 0;
}
