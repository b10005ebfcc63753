/*
 * logistic_regression_blocks.c — the passes of logistic regression over X by
 * blocks of rows that stay in cache: scores, X' A, and the loss with its
 * probabilities, residuals and curvatures (logistic_regression_internal.h).
 */
#include "ml/logistic_regression_internal.h"

#include "core/blas.h"

#include <math.h>

/* ---------------------------------------------------------------- the problem */


/* Rows per block: the block of X (and a scratch copy) stay in the L2 cache. */
int
aml_logreg_block_rows(int n, int p)
{
	int			bs = 16384 / (p + 1);

	if (bs < 64)
		bs = 64;
	if (bs > 2048)
		bs = 2048;
	return bs < n ? bs : n;
}

/*
 * Zb (m x R, leading dimension m) := scores of rows i0 .. i0 + m - 1 for the
 * parameters theta: X W + 1 b'.
 */
void
aml_logreg_block_scores(const LogProblem *pb, int i0, int m, const double *theta, double *Zb)
{
	const int	n = pb->n;
	const int	p = pb->p;

	for (int r = 0; r < pb->R; r++)
	{
		double	   *z = Zb + (size_t) r * m;
		double		b = pb->intercept ? theta[(size_t) p * pb->R + r] : 0.0;

		if (p > 0)
		{
			aml_dgemv('N', m, p, 1.0, pb->X->data + i0, n, theta + (size_t) r * p, 1, 0.0, z, 1);
			if (b != 0)
				for (int i = 0; i < m; i++)
					z[i] += b;
		}
		else
			for (int i = 0; i < m; i++)
				z[i] = b;
	}
}

/* g += X_b' A (A m x R), and the column sums of A into the intercept part */
void
aml_logreg_block_xt_add(const LogProblem *pb, int i0, int m, const double *A, double *g)
{
	const int	p = pb->p;

	for (int r = 0; r < pb->R; r++)
	{
		const double *a = A + (size_t) r * m;

		if (p > 0)
			aml_dgemv('T', m, p, 1.0, pb->X->data + i0, pb->n, a, 1, 1.0, g + (size_t) r * p, 1);
		if (pb->intercept)
		{
			double		s0 = 0,
						s1 = 0;
			int			i = 0;

			for (; i + 2 <= m; i += 2)
			{
				s0 += a[i];
				s1 += a[i + 1];
			}
			if (i < m)
				s0 += a[i];
			g[(size_t) p * pb->R + r] += s0 + s1;
		}
	}
}

/*
 * Loss, probabilities, residuals s_i (P - Y) and curvatures s_i P (1 - P) of
 * one block from its scores Zb (all m x R).  Returns sum_i s_i loss_i.
 */
double
aml_logreg_block_loss(const LogProblem *pb, int i0, int m, const double *Zb, double *P, double *res,
					  double *h)
{
	const int	n = pb->n;
	const int	R = pb->R;
	double		loss = 0;

	if (R == 1)
	{
		for (int i = 0; i < m; i++)
		{
			const double z = Zb[i];
			const double s = SW(pb, i0 + i);
			const int	y = pb->label[i0 + i];
			const double e = exp(-fabs(z));
			const double pr = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

			/*
			 * log(1 + exp(z)) - y z, stably.  log(1 + e) rather than
			 * log1p(e) (twice as fast) errs by ~1e-16 absolutely at most, far
			 * below the rounding of the sum.
			 */
			loss += s * ((z > 0 ? z : 0.0) + log(1.0 + e) - (y ? z : 0.0));
			P[i0 + i] = pr;
			if (res)
				res[i] = s * (pr - y);
			if (h)
				h[i] = s * pr * (1.0 - pr);
		}
		return loss;
	}
	for (int i = 0; i < m; i++)
	{
		const double s = SW(pb, i0 + i);
		const int	y = pb->label[i0 + i];
		double		mx = Zb[i];
		double		sum = 0;

		for (int r = 1; r < R; r++)
			if (Zb[i + (size_t) r * m] > mx)
				mx = Zb[i + (size_t) r * m];
		for (int r = 0; r < R; r++)
		{
			double		e = exp(Zb[i + (size_t) r * m] - mx);

			P[i0 + i + (size_t) r * n] = e;
			sum += e;
		}
		loss += s * (mx + log(sum) - Zb[i + (size_t) y * m]);
		for (int r = 0; r < R; r++)
		{
			double		pr = P[i0 + i + (size_t) r * n] / sum;

			P[i0 + i + (size_t) r * n] = pr;
			if (res)
				res[i + (size_t) r * m] = s * (pr - (y == r ? 1.0 : 0.0));
			if (h)
				h[i + (size_t) r * m] = s * pr * (1.0 - pr);
		}
	}
	return loss;
}
