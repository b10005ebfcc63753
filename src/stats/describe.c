/*
 * describe.c — histogram breaks and PCA (describe.h).
 */
#include <math.h>
#include <string.h>

#include "core/blas.h"
#include "core/memory.h"
#include "stats/describe.h"
#include "stats/qr.h"

int
aml_hist_breaks(double min, double max, int bins, double *breaks)
{
	double		h;

	if (min == max || bins < 1)
	{
		breaks[0] = min;
		breaks[1] = max;
		return 1;
	}
	h = (max - min) / bins;
	for (int i = 0; i < bins; i++)
		breaks[i] = min + i * h;
	breaks[bins] = max;
	return bins;
}

int
aml_hist_bin(const double *breaks, int nb, double x)
{
	double		fuzz = 1e-7 * ((breaks[nb] - breaks[0]) / nb);
	int			lo = 0;
	int			hi = nb;

	if (nb == 1 && breaks[0] == breaks[1])
		return x == breaks[0] ? 0 : -1;
	/* R: fuzzy breaks b_0 - fuzz, b_i + fuzz; bins (fb_i, fb_i+1] */
	if (x < breaks[0] - fuzz || x > breaks[nb] + fuzz)
		return -1;
	/* the first i with x <= fb_(i+1) */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (x <= breaks[mid + 1] + fuzz)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < nb ? lo : nb - 1;
}

AmlStatus
aml_pca(const double *const *cols, long n, int p, bool scale, double *sdev,
		double *loadings, int *n_components, AmlError *err)
{
	double	   *mean = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *sd = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *row = aml_alloc_array((size_t) p + 1, sizeof(double));
	AmlQRAccum *acc = NULL;
	AmlStatus	st = AML_OK;

	if (mean == NULL || sd == NULL || row == NULL)
	{
		st = aml_error_nomem(err, "PCA");
		goto done;
	}
	if (n < 2)
	{
		st = aml_error(err, AML_ERR_INVALID_DATA, "PCA needs at least 2 complete rows");
		goto done;
	}
	for (int j = 0; j < p; j++)
	{
		double		m = 0,
					ss = 0;

		for (long i = 0; i < n; i++)
			m += cols[j][i];
		m /= n;
		for (long i = 0; i < n; i++)
			ss += (cols[j][i] - m) * (cols[j][i] - m);
		mean[j] = m;
		sd[j] = sqrt(ss / (n - 1));
		if (scale && sd[j] == 0)
		{
			st = aml_error(err, AML_ERR_INVALID_DATA,
						   "cannot rescale a constant column to unit variance");
			aml_error_detail(err, "Column %d of the PCA is constant.", j + 1);
			aml_error_hint(err, "Leave it out, or use scale => false.");
			goto done;
		}
	}
	if ((st = aml_qr_accum_create(p + 1, &acc, err)) != AML_OK)
		goto done;
	for (long i = 0; i < n; i++)
	{
		if ((i & 255) == 0 && aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			goto done;
		}
		for (int j = 0; j < p; j++)
			row[j] = scale ? (cols[j][i] - mean[j]) / sd[j] : cols[j][i] - mean[j];
		row[p] = 0;
		aml_qr_accum_add(acc, row, 1.0);
	}
	aml_qr_accum_flush(acc);
	st = aml_pca_from_r(acc->r, p + 1, n, p, sdev, loadings, n_components, err);

done:
	aml_qr_accum_free(acc);
	aml_free(mean);
	aml_free(sd);
	aml_free(row);
	return st;
}

AmlStatus
aml_pca_from_r(const double *r, int ld, long n, int p, double *sdev, double *loadings,
			   int *n_components, AmlError *err)
{
	double	   *a = aml_alloc_array((size_t) p * p + 1, sizeof(double));
	double	   *s = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *u = aml_alloc_array((size_t) p * p + 1, sizeof(double));
	double	   *vt = aml_alloc_array((size_t) p * p + 1, sizeof(double));
	AmlStatus	st = AML_OK;
	int			k = (int) (n < p ? n : p);
	int			info;

	if (a == NULL || s == NULL || u == NULL || vt == NULL)
	{
		st = aml_error_nomem(err, "PCA");
		goto done;
	}
	for (int j = 0; j < p; j++)
		for (int i = 0; i < p; i++)
			a[i + (size_t) j * p] = i <= j ? r[i + (size_t) j * ld] : 0;
	info = aml_dgesdd('S', p, p, a, p, s, u, p, vt, p);
	if (info != 0)
	{
		st = info == AML_LAPACK_NOMEM ? aml_error_nomem(err, "PCA")
			: aml_error(err, AML_ERR_NUMERICAL, "the singular value decomposition failed (LAPACK info %d)", info);
		goto done;
	}
	for (int c = 0; c < k; c++)
	{
		int			big = 0;
		double		sign;

		sdev[c] = s[c] / sqrt((double) (n - 1));
		for (int j = 0; j < p; j++)
			if (fabs(vt[c + (size_t) j * p]) > fabs(vt[c + (size_t) big * p]))
				big = j;
		sign = vt[c + (size_t) big * p] < 0 ? -1.0 : 1.0;
		for (int j = 0; j < p; j++)
			loadings[j + (size_t) c * p] = sign * vt[c + (size_t) j * p];
	}
	*n_components = k;

done:
	aml_free(a);
	aml_free(s);
	aml_free(u);
	aml_free(vt);
	return st;
}
