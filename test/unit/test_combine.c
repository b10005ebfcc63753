/*
 * test_combine.c — src/stats/combine: statistics of parts of a set of rows
 * combined into those of the whole equal the whole's, computed directly
 * (co-moments and Pearson's r; PCA from stacked centred factors against
 * aml_pca on all rows, loadings with the same signs; linear-model factors
 * in each part's own one-column-per-level coding mapped into the whole's
 * treatment and sum contrasts against aml_lm_fit on all rows).
 */
#include <math.h>

#include "unit.h"

#include "stats/combine.h"
#include "stats/describe.h"
#include "stats/formula.h"
#include "stats/qr.h"

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

/*
 * y ~ x * a over 3 levels; part 1 holds levels 1, 2 (not the reference),
 * part 2 levels 0, 1: each codes its rows as [1, x, its levels' indicators,
 * x times them, y] and its factor is mapped into the whole's columns.
 */
static void
mapped_parts(AmlContrast contrast)
{
	static const char *const columns[] = {"y", "x", "a"};
	static const char *const levels[] = {"l0", "l1", "l2"};
	AmlFormula *f;
	AmlDesignVar dv[2] = {{false, 0, NULL}, {true, 3, levels}};
	AmlDesign  *d;
	AmlLm	   *whole,
			   *parts;
	AmlLmCombine *c;
	AmlError	err;
	int			pos;
	double		a[N],
				y[N];
	const double *xs[2] = {x[0], a};
	AmlLmData	data = {N, xs, y, NULL};

	fill();
	for (int i = 0; i < N; i++)
	{
		a[i] = i < N / 2 ? 1 + i % 2 : i % 2;
		y[i] = 1 + 0.5 * x[0][i] + a[i] * (0.3 + 0.2 * x[0][i]) + sin(i * 2.1);
	}
	CHECK_OK(aml_formula_parse("y ~ x * a", columns, 3, &f, &pos, &err), &err);
	CHECK_OK(aml_design_build(f, dv, contrast, &d, &err), &err);
	CHECK_OK(aml_lm_fit(d, &data, &whole, &err), &err);
	CHECK_OK(aml_lm_combine_begin(d->n_cols + 1, &c, &err), &err);
	for (int part = 0; part < 2; part++)
	{
		int			first = part == 0 ? 1 : 0;	/* its two levels: first, first + 1 */
		int			ml = 1 + 1 + 2 + 2 + 1;
		AmlQRAccum *acc;
		AmlMoments	ym;
		double		yss = 0;
		double		map[6 * 6] = {0};

		CHECK_OK(aml_qr_accum_create(ml, &acc, &err), &err);
		aml_moments_init(&ym);
		for (int i = part * N / 2; i < (part + 1) * N / 2; i++)
		{
			int			l = (int) a[i] - first;
			double		row[7] = {1, x[0][i], l == 0, l == 1, l == 0 ? x[0][i] : 0, l == 1 ? x[0][i] : 0, y[i]};

			aml_qr_accum_add(acc, row, 1.0);
			aml_moments_add(&ym, y[i]);
			yss += y[i] * y[i];
		}
		aml_qr_accum_flush(acc);
		/* whole: 1, x, a-col 0, a-col 1, x:a-col 0, x:a-col 1 */
		map[0 + 0 * 6] = 1;
		map[1 + 1 * 6] = 1;
		for (int k = 0; k < 2; k++)
		{
			int			g = first + k;

			for (int j = 0; j < 2; j++)
			{
				double		v = contrast == AML_CONTRAST_TREATMENT ? (g == j + 1) : (g == j ? 1 : g == 2 ? -1 : 0);

				map[(2 + k) + (2 + j) * 6] = v;
				map[(4 + k) + (4 + j) * 6] = v;
			}
		}
		aml_lm_combine_add_mapped(c, N / 2, ml, acc->r, map, &ym, yss);
		aml_qr_accum_free(acc);
	}
	CHECK_OK(aml_lm_combine_finish(c, d, &parts, &err), &err);
	CHECK(parts->fit->rank == whole->fit->rank);
	for (int j = 0; j < d->n_cols; j++)
		CHECK_NEAR(parts->fit->coef[j], whole->fit->coef[j], 1e-12 * fmax(1, fabs(whole->fit->coef[j])));
	CHECK_NEAR(parts->fit->rss, whole->fit->rss, 1e-11 * whole->fit->rss);
	aml_lm_free(whole);
	aml_lm_free(parts);
	aml_design_free(d);
	aml_formula_free(f);
}

static void
test_lm_mapped(void)
{
	mapped_parts(AML_CONTRAST_TREATMENT);
	mapped_parts(AML_CONTRAST_SUM);
}

int
main(void)
{
	unit_begin();
	RUN(test_comoments);
	RUN(test_pca_combine);
	RUN(test_lm_mapped);
	return unit_end();
}
