/*
 * test_kmeans.c — k-means (src/ml/kmeans.c) against scikit-learn's KMeans
 * (reference/kmeans.json from test/reference/kmeans.py) on the numeric
 * columns of iris, for k = 2, 3, 4.
 *
 * Tolerances: the inertia within 1e-6 relative of scikit-learn's best
 * inertia (n_init=10, best over ten seeds), the partition equal up to a
 * permutation of the labels, the centres within 1e-9 once matched.  Also:
 * predict_row gives the training labels, a JSON round trip predicts the
 * same, bad hyperparameters and n_clusters > rows fail with
 * AML_ERR_INVALID_PARAMETER, and k = n puts every row in its own cluster.
 */
#include "unit.h"
#include "csv.h"

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/estimator.h"
#include "ml/kmeans.h"

#include <stdlib.h>

static json_object *reference;

static AmlEstimator *
fit_kmeans(const char *params, const AmlMatrix *X, AmlError *err, AmlStatus *status)
{
	AmlEstimator *est = NULL;
	json_object *p = json_tokener_parse(params);
	double	   *y = AML_NEW_ARRAY(double, X->rows);
	AmlRng		rng;

	aml_rng_seed(&rng, 42);
	*status = aml_estimator_create(&aml_kmeans_type, AML_TASK_CLUSTERING, 0, p, &est, err);
	if (*status == AML_OK)
		*status = aml_estimator_fit(est, X, y, &rng, err);
	if (*status != AML_OK)
	{
		aml_estimator_free(est);
		est = NULL;
	}
	json_object_put(p);
	aml_free(y);
	return est;
}

static void
test_kmeans_reference(void)
{
	AmlDataset *ds = csv_load(unit_data_path("iris.csv"));
	AmlMatrix  *X = NULL;
	double	   *y = NULL;
	int			n_classes = 0;
	json_object *cases = unit_json_get(reference, "cases");

	CHECK(ds != NULL);
	CHECK(csv_split_xy(ds, "name", true, &X, &y, &n_classes) == 0);
	CHECK(X->cols == 4);
	for (size_t c = 0; c < json_object_array_length(cases); c++)
	{
		json_object *ref = json_object_array_get_idx(cases, c);
		int			k = json_object_get_int(unit_json_get(ref, "n_clusters"));
		double		inertia = json_object_get_double(unit_json_get(ref, "inertia"));
		json_object *labels = unit_json_get(ref, "labels");
		json_object *centers = unit_json_get(ref, "centers");
		char		params[64];
		AmlError	err;
		AmlStatus	st;
		AmlEstimator *est;
		AmlKmeansInfo info;
		int			map[16];
		int			back[16];
		double		out[1];
		double		sum = 0;

		snprintf(params, sizeof(params), "{\"n_clusters\": %d}", k);
		est = fit_kmeans(params, X, &err, &st);
		CHECK_OK(st, &err);
		if (est == NULL)
			continue;
		CHECK(aml_kmeans_get(est, &info));
		CHECK(info.n_clusters == k && info.n_features == 4);
		CHECK_MSG(fabs(info.inertia - inertia) <= 1e-6 * inertia,
				  "k=%d inertia %.12f, scikit-learn %.12f", k, info.inertia, inertia);
		/* partition up to a permutation: a one-to-one label map */
		for (int q = 0; q < k; q++)
			map[q] = back[q] = -1;
		for (int i = 0; i < X->rows; i++)
		{
			double		row[4];
			int			ours;
			int			theirs = json_object_get_int(json_object_array_get_idx(labels, i));

			for (int j = 0; j < 4; j++)
				row[j] = AML_AT(X, i, j);
			est->type->predict_row(est, row, out);
			ours = (int) out[0];
			CHECK(ours >= 0 && ours < k);
			if (map[ours] < 0 && back[theirs] < 0)
			{
				map[ours] = theirs;
				back[theirs] = ours;
			}
			CHECK_MSG(map[ours] == theirs && back[theirs] == ours,
					  "k=%d row %d: cluster %d, scikit-learn %d", k, i, ours, theirs);
		}
		for (int q = 0; q < k; q++)
		{
			json_object *rc = json_object_array_get_idx(centers, map[q] < 0 ? 0 : map[q]);

			for (int j = 0; j < 4; j++)
				CHECK_NEAR(info.centers[q * 4 + j],
						   json_object_get_double(json_object_array_get_idx(rc, j)), 1e-9);
			sum += info.sizes[q];
		}
		CHECK(sum == X->rows);

		/* JSON round trip */
		{
			json_object *j = aml_estimator_to_json(est);
			AmlEstimator *back_est = NULL;
			AmlKmeansInfo info2;

			CHECK_OK(aml_estimator_from_json(j, &back_est, &err), &err);
			if (back_est != NULL)
			{
				CHECK(aml_kmeans_get(back_est, &info2));
				CHECK(info2.inertia == info.inertia);
				for (int q = 0; q < k * 4; q++)
					CHECK(info2.centers[q] == info.centers[q]);
				for (int i = 0; i < X->rows; i += 7)
				{
					double		row[4];
					double		o1[1],
								o2[1];

					for (int jj = 0; jj < 4; jj++)
						row[jj] = AML_AT(X, i, jj);
					est->type->predict_row(est, row, o1);
					back_est->type->predict_row(back_est, row, o2);
					CHECK(o1[0] == o2[0]);
				}
				aml_estimator_free(back_est);
			}
			json_object_put(j);
		}
		printf("  k=%d inertia %.12f (scikit-learn %.12f)\n", k, info.inertia, inertia);
		aml_estimator_free(est);
	}
	aml_matrix_free(X);
	aml_free(y);
	aml_dataset_free(ds);
}

static void
test_kmeans_errors(void)
{
	AmlMatrix  *X = aml_matrix_new(5, 2);
	AmlError	err;
	AmlStatus	st;
	AmlEstimator *est;
	static const char *const bad[] = {
		"{\"n_clusters\": 0}", "{\"n_init\": 0}", "{\"max_iter\": 0}", "{\"tol\": -1}",
		"{\"n_clusters\": 6}",
	};

	for (int i = 0; i < 5; i++)
	{
		AML_AT(X, i, 0) = i;
		AML_AT(X, i, 1) = i * i;
	}
	for (int b = 0; b < 5; b++)
	{
		aml_error_clear(&err);
		est = fit_kmeans(bad[b], X, &err, &st);
		CHECK_MSG(st == AML_ERR_INVALID_PARAMETER && est == NULL, "%s: %s", bad[b], err.message);
	}
	/* k = n: every row its own cluster, inertia 0 */
	est = fit_kmeans("{\"n_clusters\": 5}", X, &err, &st);
	CHECK_OK(st, &err);
	if (est != NULL)
	{
		AmlKmeansInfo info;

		CHECK(aml_kmeans_get(est, &info));
		CHECK(info.inertia == 0);
		for (int q = 0; q < 5; q++)
			CHECK(info.sizes[q] == 1);
		aml_estimator_free(est);
	}
	/* a one-row fit with k = 1 */
	{
		AmlMatrix  *one = aml_matrix_new(1, 2);

		AML_AT(one, 0, 0) = 3;
		AML_AT(one, 0, 1) = 4;
		est = fit_kmeans("{\"n_clusters\": 1}", one, &err, &st);
		CHECK_OK(st, &err);
		aml_estimator_free(est);
		aml_matrix_free(one);
	}
	/* clustering only */
	CHECK_STATUS(aml_estimator_create(&aml_kmeans_type, AML_TASK_REGRESSION, 0, NULL, &est, &err),
				 AML_ERR_INVALID_PARAMETER, &err);
	CHECK(aml_estimator_type_find("kmeans") == &aml_kmeans_type);
	aml_matrix_free(X);
}

int
main(void)
{
	unit_begin();
	reference = unit_load_json("reference/kmeans.json");
	RUN(test_kmeans_reference);
	RUN(test_kmeans_errors);
	json_object_put(reference);
	return unit_end();
}
