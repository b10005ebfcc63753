/*
 * logistic_regression_l1.c — the l1 solver of logistic regression: proximal
 * Newton with coordinate descent on each block of coefficients
 * (logistic_regression.c describes it).
 */
#include "ml/logistic_regression_internal.h"

#include "core/blas.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ================================================================ L1: proximal Newton */

/*
 * Scores Z and probabilities P for theta (r >= 0: only column r of Z has
 * changed).  Returns the loss.
 */
static double
l1_scores(LogProblem *pb, const double *theta, int r)
{
	const int	n = pb->n;
	const int	p = pb->p;
	const int	R = pb->R;
	double		loss = 0;

	for (int c = 0; c < R; c++)
	{
		double	   *z = pb->Z + (size_t) c * n;
		double		b = pb->intercept ? theta[(size_t) p * R + c] : 0.0;

		if (r >= 0 && c != r)
			continue;
		if (p > 0)
			aml_dgemv('N', n, p, 1.0, pb->X->data, n, theta + (size_t) c * p, 1, 0.0, z, 1);
		else
			memset(z, 0, sizeof(double) * n);
		if (b != 0)
			for (int i = 0; i < n; i++)
				z[i] += b;
	}
	for (int i0 = 0; i0 < n; i0 += pb->bs)
	{
		const int	m = n - i0 < pb->bs ? n - i0 : pb->bs;

		for (int c = 0; c < R; c++)
			memcpy(pb->blk + (size_t) c * m, pb->Z + (size_t) c * n + i0, sizeof(double) * m);
		loss += aml_logreg_block_loss(pb, i0, m, pb->blk, pb->P, NULL, NULL);
	}
	return loss;
}

/* loss with column r of the scores replaced by zr (R == 1: zr is the score) */
static double
loss_with_column(const LogProblem *pb, int r, const double *zr)
{
	const int	n = pb->n;
	const int	R = pb->R;
	double		loss = 0;

	if (R == 1)
	{
		for (int i = 0; i < n; i++)
		{
			double		z = zr[i];

			loss += SW(pb, i) * ((z > 0 ? z : 0.0) + log(1.0 + exp(-fabs(z))) -
								 (pb->label[i] ? z : 0.0));
		}
		return loss;
	}
	for (int i = 0; i < n; i++)
	{
		double		mx = zr[i];
		double		sum = 0;
		double		zy;

		for (int c = 0; c < R; c++)
			if (c != r && pb->Z[i + (size_t) c * n] > mx)
				mx = pb->Z[i + (size_t) c * n];
		for (int c = 0; c < R; c++)
			sum += exp((c == r ? zr[i] : pb->Z[i + (size_t) c * n]) - mx);
		zy = pb->label[i] == r ? zr[i] : pb->Z[i + (size_t) pb->label[i] * n];
		loss += SW(pb, i) * (mx + log(sum) - zy);
	}
	return loss;
}

static double
l1_norm(const double *v, int n)
{
	double		s = 0;

	for (int k = 0; k < n; k++)
		s += fabs(v[k]);
	return s;
}

/* largest component of the minimum-norm subgradient (g: gradient of the loss) */
static double
l1_violation(const LogProblem *pb, const double *theta, const double *g)
{
	const int	pw = pb->p * pb->R;
	double		v = 0;

	for (int k = 0; k < pw; k++)
	{
		double		a;

		if (theta[k] > 0)
			a = fabs(g[k] + pb->lambda);
		else if (theta[k] < 0)
			a = fabs(g[k] - pb->lambda);
		else
			a = fmax(fabs(g[k]) - pb->lambda, 0.0);
		if (a > v)
			v = a;
	}
	for (int k = pw; k < pb->nparam; k++)
		if (fabs(g[k]) > v)
			v = fabs(g[k]);
	return v;
}

/* soft-thresholded Newton step for coordinate value wj with gradient G, curvature H */
static inline double
l1_step(double wj, double G, double H, double lam)
{
	if (G + lam <= H * wj)
		return -(G + lam) / H;
	if (G - lam >= H * wj)
		return -(G - lam) / H;
	return -wj;
}

/*
 * The largest block (features + intercept) whose Hessian is formed
 * explicitly: q^2 doubles, n q^2 flops per block and outer iteration.
 */
#define L1_GRAM_MAX 512

/*
 * Minimise the quadratic model g'd + d'Hd/2 + lam ||w + d||_1 of one block
 * (the intercept, when fitted, is coordinate q - 1 and unpenalised) by
 * coordinate descent on the explicit Hessian H (q x q, full), alternating
 * full passes with passes over the nonzero coefficients.
 */
static void
l1_inner_gram(const double *H, const double *g, const double *w, int q, int pw, double lam,
			  double inner_tol, int max_pass, double *d, double *Hd)
{
	bool		full = true;

	for (int j = 0; j < q; j++)
		d[j] = Hd[j] = 0;
	for (int pass = 0; pass < max_pass; pass++)
	{
		double		change = 0;

		for (int j = 0; j < q; j++)
		{
			const double Hjj = H[j + (size_t) j * q] + 1e-12;
			double		G = g[j] + Hd[j];
			double		step;

			if (j < pw)
			{
				double		wj = w[j] + d[j];

				if (!full && wj == 0)
					continue;
				step = l1_step(wj, G, Hjj, lam);
			}
			else
				step = -G / Hjj;
			if (step != 0)
			{
				d[j] += step;
				aml_linear_axpy(q, step, H + (size_t) j * q, Hd);
				if (fabs(step) * Hjj > change)
					change = fabs(step) * Hjj;
			}
		}
		if (change <= inner_tol)
		{
			if (full)
				break;
			full = true;
		}
		else
			full = false;
	}
}

/*
 * The same without the explicit Hessian (many features): each coordinate
 * costs a pass over its column, the model's X d is kept in Xd.
 */
static void
l1_inner_columns(const LogProblem *pb, const double *h, const double *g, double Hb,
				 const double *Hdiag, const double *w, double lam, double inner_tol,
				 int max_pass, double *d, double *Xd)
{
	const int	n = pb->n;
	const int	p = pb->p;
	bool		full = true;

	for (int j = 0; j <= p; j++)
		d[j] = 0;
	for (int i = 0; i < n; i++)
		Xd[i] = 0;
	for (int pass = 0; pass < max_pass; pass++)
	{
		double		change = 0;

		for (int j = 0; j < p; j++)
		{
			const double *x = AML_COL(pb->X, j);
			double		wj = w[j] + d[j];
			double		G = g[j];
			double		step;

			if (!full && wj == 0)
				continue;
			for (int i = 0; i < n; i++)
				G += x[i] * h[i] * Xd[i];
			step = l1_step(wj, G, Hdiag[j], lam);
			if (step != 0)
			{
				d[j] += step;
				aml_linear_axpy(n, step, x, Xd);
				if (fabs(step) * Hdiag[j] > change)
					change = fabs(step) * Hdiag[j];
			}
		}
		if (pb->intercept)
		{
			double		G = g[p];
			double		step;

			for (int i = 0; i < n; i++)
				G += h[i] * Xd[i];
			step = -G / Hb;
			d[p] += step;
			for (int i = 0; i < n; i++)
				Xd[i] += step;
			if (fabs(step) * Hb > change)
				change = fabs(step) * Hb;
		}
		if (change <= inner_tol)
		{
			if (full)
				break;
			full = true;
		}
		else
			full = false;
	}
}

AmlStatus
aml_logreg_solve_l1(LogProblem *pb, double *theta, int max_iter, double tol, int *n_iter,
					bool *converged, AmlError *err)
{
	const int	n = pb->n;
	const int	p = pb->p;
	const int	R = pb->R;
	const int	N = pb->nparam;
	const int	q = p + (pb->intercept ? 1 : 0);	/* coordinates of one block */
	const bool	gram = q <= L1_GRAM_MAX;
	const double lam = pb->lambda;
	const double sigma = 0.01;
	const int	bs = pb->bs;
	double	   *buf = AML_NEW_ARRAY(double, (size_t) N + 4 * (size_t) (q + 1) +
									(gram ? (size_t) q * q + (size_t) bs * q : 0) +
									4 * (size_t) n);
	double	   *g,
			   *gr,
			   *dr,
			   *Hdr,
			   *Hdiag,
			   *H = NULL,
			   *S = NULL,
			   *h,
			   *res,
			   *Xd,
			   *zt;
	double		f;
	int			iter;

	*converged = false;
	*n_iter = 0;
	if (buf == NULL)
		return aml_error_nomem(err, "logistic regression workspace");
	if (q == 0)
	{
		/* nothing to fit: no features and no intercept */
		aml_free(buf);
		*converged = true;
		return AML_OK;
	}
	g = buf;
	gr = g + N;
	dr = gr + q + 1;
	Hdr = dr + q + 1;
	Hdiag = Hdr + q + 1;
	h = Hdiag + q + 1;
	res = h + n;
	Xd = res + n;
	zt = Xd + n;
	if (gram)
	{
		H = zt + n;
		S = H + (size_t) q * q;
	}

	f = l1_scores(pb, theta, -1) + lam * l1_norm(theta, p * R);
	for (iter = 0; iter < max_iter; iter++)
	{
		double		viol;
		double		inner_tol;

		if (aml_interrupted())
		{
			aml_free(buf);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		/* full gradient of the loss at the current point */
		memset(g, 0, sizeof(double) * N);
		for (int i0 = 0; i0 < n; i0 += bs)
		{
			const int	m = n - i0 < bs ? n - i0 : bs;
			double	   *A = pb->blk;

			for (int r = 0; r < R; r++)
				for (int i = 0; i < m; i++)
				{
					const int	target = R == 1 ? 1 : r;

					A[i + (size_t) r * m] = SW(pb, i0 + i) *
						(pb->P[i0 + i + (size_t) r * n] - (pb->label[i0 + i] == target ? 1.0 : 0.0));
				}
			aml_logreg_block_xt_add(pb, i0, m, A, g);
		}
		viol = l1_violation(pb, theta, g);
		if (viol <= tol)
		{
			*converged = true;
			break;
		}
		/* inexact Newton: the model is solved more accurately as we converge */
		inner_tol = fmax(0.01 * viol, 0.1 * tol);

		for (int r = 0; r < R; r++)
		{
			double	   *w;
			double	   *b = pb->intercept ? theta + (size_t) p * R + r : NULL;
			const double *Pr = pb->P + (size_t) r * n;
			const int	target = R == 1 ? 1 : r;
			double		descent;
			double		old_l1;
			double		new_l1;
			double		t;
			double		fnew = f;
			double		loss_r;
			bool		accepted = false;

			if (r > 0 && aml_interrupted())
			{
				aml_free(buf);
				return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			}
			w = theta + (size_t) r * p;
			/* curvature and residual of this block at the current point */
			for (int i = 0; i < n; i++)
			{
				double		s = SW(pb, i);

				h[i] = s * Pr[i] * (1.0 - Pr[i]);
				res[i] = s * (Pr[i] - (pb->label[i] == target ? 1.0 : 0.0));
			}
			/* block gradient [X 1]' res */
			if (p > 0)
				aml_dgemv('T', n, p, 1.0, pb->X->data, n, res, 1, 0.0, gr, 1);
			if (pb->intercept)
			{
				double		sb = 0;

				for (int i = 0; i < n; i++)
					sb += res[i];
				gr[p] = sb;
			}
			if (gram)
			{
				/* H = [X 1]' diag(h) [X 1], accumulated by row blocks */
				memset(H, 0, sizeof(double) * (size_t) q * q);
				for (int i0 = 0; i0 < n; i0 += bs)
				{
					const int	m = n - i0 < bs ? n - i0 : bs;

					for (int i = 0; i < m; i++)
						Xd[i] = sqrt(h[i0 + i]);
					for (int j = 0; j < p; j++)
					{
						const double *x = AML_COL(pb->X, j) + i0;
						double	   *o = S + (size_t) j * m;

						for (int i = 0; i < m; i++)
							o[i] = Xd[i] * x[i];
					}
					if (pb->intercept)
						memcpy(S + (size_t) p * m, Xd, sizeof(double) * m);
					aml_dsyrk('T', q, m, 1.0, S, m, 1.0, H, q);
				}
				for (int j = 0; j < q; j++)
					for (int a = j + 1; a < q; a++)
						H[a + (size_t) j * q] = H[j + (size_t) a * q];
				l1_inner_gram(H, gr, w, q, p, lam, inner_tol, 1000, dr, Hdr);
				/* Xd = [X 1] d */
				if (p > 0)
					aml_dgemv('N', n, p, 1.0, pb->X->data, n, dr, 1, 0.0, Xd, 1);
				else
					memset(Xd, 0, sizeof(double) * n);
				if (pb->intercept)
					for (int i = 0; i < n; i++)
						Xd[i] += dr[p];
			}
			else
			{
				double		Hb = 1e-12;

				for (int j = 0; j < p; j++)
				{
					const double *x = AML_COL(pb->X, j);
					double		sh = 0;

					for (int i = 0; i < n; i++)
						sh += h[i] * x[i] * x[i];
					Hdiag[j] = sh + 1e-12;
				}
				for (int i = 0; i < n; i++)
					Hb += h[i];
				l1_inner_columns(pb, h, gr, Hb, Hdiag, w, lam, inner_tol, 100, dr, Xd);
			}

			/* backtracking line search on the composite objective */
			old_l1 = l1_norm(w, p);
			new_l1 = 0;
			descent = pb->intercept ? gr[p] * dr[p] : 0.0;
			for (int j = 0; j < p; j++)
			{
				descent += gr[j] * dr[j];
				new_l1 += fabs(w[j] + dr[j]);
			}
			descent += lam * (new_l1 - old_l1);
			if (!(descent < 0))
				continue;		/* this block is (numerically) optimal */
			t = 1.0;
			loss_r = loss_with_column(pb, r, pb->Z + (size_t) r * n);
			for (int ls = 0; ls < 40; ls++)
			{
				const double *Zr = pb->Z + (size_t) r * n;
				double		l1_t = 0;

				for (int i = 0; i < n; i++)
					zt[i] = Zr[i] + t * Xd[i];
				for (int j = 0; j < p; j++)
					l1_t += fabs(w[j] + t * dr[j]);
				fnew = f + loss_with_column(pb, r, zt) - loss_r + lam * (l1_t - old_l1);
				if (fnew - f <= sigma * t * descent)
				{
					accepted = true;
					break;
				}
				t *= 0.5;
			}
			if (!accepted)
				continue;
			for (int j = 0; j < p; j++)
				w[j] += t * dr[j];
			if (b != NULL)
				*b += t * dr[p];
			/* exact scores and probabilities at the new point */
			f = l1_scores(pb, theta, r) + lam * l1_norm(theta, p * R);
		}
	}
	*n_iter = iter;
	aml_free(buf);
	return AML_OK;
}
