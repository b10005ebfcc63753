/*
 * test_combine.c — src/stats/combine: statistics of parts of a set of rows
 * combined into those of the whole equal the whole's, computed directly
 * (co-moments and Pearson's r; PCA from stacked centred factors against
 * aml_pca on all rows, loadings with the same signs).
 */
#include <math.h>

#include "unit.h"

#include "stats/combine.h"
#include "stats/describe.h"

#define N 90
#define P 3

static double x[P][N];

static void
fill(void)
{
	for (int i = 0; i < N; i++)
	{
		x[0][i] = sin(i * 0.7) * 3 + i * 0.01;
		x[1][i] = cos(i * 1.3) + 0.5 * x[0][i];
		x[2][i] = (i % 7) * 0.25 - x[1][i] * 0.1 + 100;
	}
}

static void
test_comoments(void)
{
	AmlCoMoments all;
	AmlCoMoments parts = {0};
	double		y[N];

	fill();
	for (int i = 0; i < N; i++)
		y[i] = i % 5 == 0 ? NAN : x[1][i];	/* rows skipped in a pair */
	aml_comoments_compute(x[0], y, N, &all);
	for (int lo = 0; lo < N; lo += 30)
	{
		AmlCoMoments m;

		aml_comoments_compute(x[0] + lo, y + lo, 30, &m);
		aml_comoments_merge(&parts, &m);
	}
	CHECK(all.n == N - N / 5);
	CHECK(parts.n == all.n);
	CHECK_NEAR(parts.mx, all.mx, 1e-13);
	CHECK_NEAR(parts.cxx, all.cxx, 1e-12);
	CHECK_NEAR(parts.cyy, all.cyy, 1e-12);
	CHECK_NEAR(parts.cxy, all.cxy, 1e-12);
	CHECK_NEAR(parts.cxy / sqrt(parts.cxx * parts.cyy), all.cxy / sqrt(all.cxx * all.cyy), 1e-14);
}

static void
pca_parts(bool scale)
{
	const double *cols[P] = {x[0], x[1], x[2]};
	double		sdev[P],
				load[P * P],
				csdev[P],
				cload[P * P];
	double		mean[3][P],
				r[3][P * P];
	const double *means[3] = {mean[0], mean[1], mean[2]};
	const double *rs[3] = {r[0], r[1], r[2]};
	long		n[3] = {20, 30, 40};
	long		lo = 0;
	int			k,
				ck;
	AmlError	err;

	CHECK_OK(aml_pca(cols, N, P, scale, sdev, load, &k, &err), &err);
	for (int part = 0; part < 3; part++)
	{
		const double *pc[P] = {x[0] + lo, x[1] + lo, x[2] + lo};

		CHECK_OK(aml_cov_factor(pc, n[part], P, mean[part], r[part], &err), &err);
		lo += n[part];
	}
	CHECK_OK(aml_pca_combine(3, n, means, rs, P, scale, csdev, cload, &ck, &err), &err);
	CHECK(ck == k);
	for (int c = 0; c < k; c++)
	{
		CHECK_NEAR(csdev[c], sdev[c], 1e-12 * sdev[0]);
		for (int j = 0; j < P; j++)
			CHECK_NEAR(cload[j + c * P], load[j + c * P], 1e-10);
	}
}

static void
test_pca_combine(void)
{
	double		zero[P] = {0, 0, 0};
	double		rz[P * P] = {0};
	const double *m[1] = {zero};
	const double *r[1] = {rz};
	long		n1[1] = {5};
	double		sdev[P],
				load[P * P];
	int			k;
	AmlError	err;

	fill();
	pca_parts(true);
	pca_parts(false);
	/* constant columns cannot be scaled (as aml_pca) */
	CHECK_STATUS(aml_pca_combine(1, n1, m, r, P, true, sdev, load, &k, &err), AML_ERR_INVALID_DATA, &err);
	n1[0] = 1;
	CHECK_STATUS(aml_pca_combine(1, n1, m, r, P, false, sdev, load, &k, &err), AML_ERR_INVALID_DATA, &err);
}

int
main(void)
{
	unit_begin();
	RUN(test_comoments);
	RUN(test_pca_combine);
	return unit_end();
}
