/*
 * qr.c — streaming Householder QR of [X y] and R's pivoted solve (qr.h).
 */
#include <math.h>
#include <string.h>

#include "core/memory.h"
#include "stats/qr.h"

#define BLOCK_ROWS 256

AmlStatus
aml_qr_accum_create(int m, AmlQRAccum **out, AmlError *err)
{
	AmlQRAccum *a = aml_alloc0(sizeof(AmlQRAccum));

	*out = NULL;
	if (a == NULL)
		return aml_error_nomem(err, "least squares");
	a->m = m;
	a->block_rows = BLOCK_ROWS;
	a->r = aml_alloc_array((size_t) m * m, sizeof(double));
	a->block = aml_alloc_array((size_t) m * BLOCK_ROWS, sizeof(double));
	if (a->r == NULL || a->block == NULL)
	{
		aml_qr_accum_free(a);
		return aml_error_nomem(err, "least squares");
	}
	*out = a;
	return AML_OK;
}

void
aml_qr_accum_free(AmlQRAccum *a)
{
	if (a == NULL)
		return;
	aml_free(a->r);
	aml_free(a->block);
	aml_free(a);
}

void
aml_qr_accum_reset(AmlQRAccum *a)
{
	memset(a->r, 0, sizeof(double) * a->m * a->m);
	a->filled = 0;
	a->n_rows = 0;
}

/*
 * Fold the block B (b x m) under R: for each column l, the reflection that
 * zeroes B[:, l] against R[l, l], applied to the columns to its right.
 */
void
aml_qr_accum_flush(AmlQRAccum *a)
{
	int			m = a->m;
	int			b = a->filled;
	double	   *R = a->r;
	double	   *B = a->block;
	int			ld = a->block_rows;

	if (b == 0)
		return;
	for (int l = 0; l < m; l++)
	{
		double	   *bl = B + (size_t) l * ld;
		double		alpha = R[l + l * m];
		double		xnorm2 = 0;
		double		norm;
		double		beta;
		double		tau;
		double		scale;

		for (int i = 0; i < b; i++)
			xnorm2 += bl[i] * bl[i];
		if (xnorm2 == 0)
			continue;
		norm = sqrt(alpha * alpha + xnorm2);
		beta = alpha >= 0 ? -norm : norm;
		tau = (beta - alpha) / beta;
		scale = 1.0 / (alpha - beta);
		for (int i = 0; i < b; i++)
			bl[i] *= scale;		/* v = [1; bl] */
		for (int j = l + 1; j < m; j++)
		{
			double	   *bj = B + (size_t) j * ld;
			double		w = R[l + j * m];

			for (int i = 0; i < b; i++)
				w += bl[i] * bj[i];
			w *= tau;
			R[l + j * m] -= w;
			for (int i = 0; i < b; i++)
				bj[i] -= w * bl[i];
		}
		R[l + l * m] = beta;
	}
	a->filled = 0;
}

void
aml_qr_accum_add(AmlQRAccum *a, const double *row, double w)
{
	int			i = a->filled;

	for (int j = 0; j < a->m; j++)
		a->block[i + (size_t) j * a->block_rows] = row[j] * w;
	a->n_rows++;
	if (++a->filled == a->block_rows)
		aml_qr_accum_flush(a);
}

void
aml_ls_free(AmlLsFit *fit)
{
	if (fit == NULL)
		return;
	aml_free(fit->pivot);
	aml_free(fit->coef);
	aml_free(fit->rinv);
	aml_free(fit->effects);
	aml_free(fit);
}

/*
 * In-place Householder QR of A (rows x cols, column-major, leading dimension
 * lda) with R's limited pivoting; the last column (the response) is never
 * pivoted and only transformed.  Returns the rank; pivot receives the order.
 */
static int
pivoted_qr(double *A, int rows, int lda, int ncols, double tol, int *pivot)
{
	int			p = ncols - 1;
	int			rank = 0;
	int			last = p;		/* columns [last, p) are aliased */
	double	   *orig = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *tmp = aml_alloc_array((size_t) rows + 1, sizeof(double));

	if (orig == NULL || tmp == NULL)
	{
		aml_free(orig);
		aml_free(tmp);
		return -1;
	}
	for (int j = 0; j < p; j++)
	{
		double		s = 0;

		pivot[j] = j;
		for (int i = 0; i < rows; i++)
			s += A[i + (size_t) j * lda] * A[i + (size_t) j * lda];
		orig[j] = sqrt(s) > 0 ? sqrt(s) : 1.0;	/* dqrdc2: a zero column is compared with 1 */
	}
	for (int l = 0; l < last;)
	{
		double	   *al = A + (size_t) l * lda;
		double		s = 0;
		double		norm;

		for (int i = l; i < rows; i++)
			s += al[i] * al[i];
		norm = sqrt(s);
		if (l >= rows || norm < orig[l] * tol)
		{
			/* aliased: rotate column l to the end of the candidates */
			int			pv = pivot[l];
			double		ov = orig[l];

			memcpy(tmp, al, sizeof(double) * rows);
			for (int j = l; j < p - 1; j++)
			{
				memcpy(A + (size_t) j * lda, A + (size_t) (j + 1) * lda, sizeof(double) * rows);
				pivot[j] = pivot[j + 1];
				orig[j] = orig[j + 1];
			}
			memcpy(A + (size_t) (p - 1) * lda, tmp, sizeof(double) * rows);
			pivot[p - 1] = pv;
			orig[p - 1] = ov;
			last--;
			continue;
		}
		{
			/* reflection zeroing al[l+1..] */
			double		alpha = al[l];
			double		beta = alpha >= 0 ? -norm : norm;
			double		tau = (beta - alpha) / beta;
			double		scale = 1.0 / (alpha - beta);

			for (int i = l + 1; i < rows; i++)
				al[i] *= scale;
			for (int j = l + 1; j <= p; j++)
			{
				double	   *aj = A + (size_t) j * lda;
				double		w = aj[l];

				for (int i = l + 1; i < rows; i++)
					w += al[i] * aj[i];
				w *= tau;
				aj[l] -= w;
				for (int i = l + 1; i < rows; i++)
					aj[i] -= w * al[i];
			}
			al[l] = beta;
			for (int i = l + 1; i < rows; i++)
				al[i] = 0;
		}
		rank++;
		l++;
	}
	aml_free(orig);
	aml_free(tmp);
	return rank;
}

AmlStatus
aml_ls_solve(const double *raug, int m, double tol, AmlLsFit **out, AmlError *err)
{
	int			p = m - 1;
	AmlLsFit   *fit = aml_alloc0(sizeof(AmlLsFit));
	double	   *A = aml_alloc_array((size_t) m * m, sizeof(double));
	int			rank;

	*out = NULL;
	if (fit == NULL || A == NULL)
		goto nomem;
	fit->p = p;
	fit->pivot = aml_alloc_array((size_t) p + 1, sizeof(int));
	fit->coef = aml_alloc_array((size_t) p + 1, sizeof(double));
	fit->effects = aml_alloc_array((size_t) m, sizeof(double));
	if (fit->pivot == NULL || fit->coef == NULL || fit->effects == NULL)
		goto nomem;
	memcpy(A, raug, sizeof(double) * m * m);
	rank = pivoted_qr(A, m, m, m, tol, fit->pivot);
	if (rank < 0)
		goto nomem;
	fit->rank = rank;
	memcpy(fit->effects, A + (size_t) p * m, sizeof(double) * m);
	fit->rss = 0;
	for (int i = rank; i < m; i++)
		fit->rss += fit->effects[i] * fit->effects[i];

	/* inverse of the leading rank x rank triangle, column by column */
	fit->rinv = aml_alloc_array((size_t) rank * rank + 1, sizeof(double));
	if (fit->rinv == NULL)
		goto nomem;
	for (int j = 0; j < rank; j++)
	{
		double	   *x = fit->rinv + (size_t) j * rank;

		for (int i = j; i >= 0; i--)
		{
			double		s = i == j ? 1.0 : 0.0;

			for (int k = i + 1; k <= j; k++)
				s -= A[i + (size_t) k * m] * x[k];
			x[i] = s / A[i + (size_t) i * m];
		}
	}
	/* coefficients: back-substitution of R b = effects */
	for (int j = 0; j < p; j++)
		fit->coef[j] = NAN;
	for (int i = rank - 1; i >= 0; i--)
	{
		double		s = fit->effects[i];

		for (int k = i + 1; k < rank; k++)
			s -= A[i + (size_t) k * m] * fit->coef[fit->pivot[k]];
		fit->coef[fit->pivot[i]] = s / A[i + (size_t) i * m];
	}
	aml_free(A);
	*out = fit;
	return AML_OK;

nomem:
	aml_free(A);
	aml_ls_free(fit);
	return aml_error_nomem(err, "least squares");
}

AmlStatus
aml_ls_rss_subset(const double *raug, int m, const int *cols, int k, double *rss, int *rank_out,
				  AmlError *err)
{
	double	   *A = aml_alloc_array((size_t) m * (k + 1), sizeof(double));
	int		   *pivot = aml_alloc_array((size_t) k + 1, sizeof(int));
	int			rank;

	if (A == NULL || pivot == NULL)
	{
		aml_free(A);
		aml_free(pivot);
		return aml_error_nomem(err, "least squares");
	}
	for (int j = 0; j < k; j++)
		memcpy(A + (size_t) j * m, raug + (size_t) cols[j] * m, sizeof(double) * m);
	memcpy(A + (size_t) k * m, raug + (size_t) (m - 1) * m, sizeof(double) * m);
	rank = pivoted_qr(A, m, m, k + 1, 1e-7, pivot);
	if (rank < 0)
	{
		aml_free(A);
		aml_free(pivot);
		return aml_error_nomem(err, "least squares");
	}
	*rank_out = rank;
	*rss = 0;
	for (int i = rank; i < m; i++)
		*rss += A[i + (size_t) k * m] * A[i + (size_t) k * m];
	aml_free(A);
	aml_free(pivot);
	return AML_OK;
}
