/*
 * logistic_regression_l2.c — the l2 solver of logistic regression:
 * trust-region Newton with preconditioned conjugate gradients, matrix-free
 * (logistic_regression.c describes it).
 */
#include "ml/logistic_regression_internal.h"

#include "core/blas.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <string.h>

static double
max_abs(const double *v, int n)
{
	double		m = 0;

	for (int k = 0; k < n; k++)
		if (fabs(v[k]) > m)
			m = fabs(v[k]);
	return m;
}

/* ================================================================ L2: TRON */

/*
 * One pass over X at theta: returns f = sum s_i loss_i + lambda/2 ||W||^2;
 * probabilities into P, the gradient into g and the Hessian diagonal (the
 * preconditioner) into M.
 */
static double
l2_evaluate(const LogProblem *pb, const double *theta, double *P, double *g, double *M)
{
	const int	n = pb->n;
	const int	p = pb->p;
	const int	R = pb->R;
	const int	pw = p * R;
	const int	bs = pb->bs;
	double	   *Zb = pb->blk;
	double	   *res = Zb + (size_t) bs * R;
	double	   *h = res + (size_t) bs * R;
	double		f = 0;

	memset(g, 0, sizeof(double) * pb->nparam);
	memset(M, 0, sizeof(double) * pb->nparam);
	for (int i0 = 0; i0 < n; i0 += bs)
	{
		const int	m = n - i0 < bs ? n - i0 : bs;

		aml_logreg_block_scores(pb, i0, m, theta, Zb);
		f += aml_logreg_block_loss(pb, i0, m, Zb, P, res, h);
		aml_logreg_block_xt_add(pb, i0, m, res, g);
		/* diag: sum_i h_ir x_ij^2 */
		for (int r = 0; r < R; r++)
		{
			for (int j = 0; j < p; j++)
			{
				const double *x = AML_COL(pb->X, j) + i0;

				M[j + (size_t) r * p] += aml_linear_dot3(h + (size_t) r * m, x, x, m);
			}
			if (pb->intercept)
			{
				double		s = 0;

				for (int i = 0; i < m; i++)
					s += h[i + (size_t) r * m];
				M[pw + r] += s;
			}
		}
	}
	for (int k = 0; k < pw; k++)
	{
		f += 0.5 * pb->lambda * theta[k] * theta[k];
		g[k] += pb->lambda * theta[k];
		M[k] += pb->lambda;
	}
	for (int k = 0; k < pb->nparam; k++)
		if (!(M[k] > 1e-12))
			M[k] = 1e-12;
	return f;
}

/* Hv := (Hessian at the point whose probabilities are P) v, one pass over X */
static void
l2_hessvec(const LogProblem *pb, const double *P, const double *v, double *Hv)
{
	const int	n = pb->n;
	const int	R = pb->R;
	const int	pw = pb->p * R;
	const int	bs = pb->bs;
	double	   *U = pb->blk;

	memset(Hv, 0, sizeof(double) * pb->nparam);
	for (int i0 = 0; i0 < n; i0 += bs)
	{
		const int	m = n - i0 < bs ? n - i0 : bs;

		aml_logreg_block_scores(pb, i0, m, v, U);	/* U = X V + 1 c' */
		if (R == 1)
		{
			for (int i = 0; i < m; i++)
				U[i] *= SW(pb, i0 + i) * P[i0 + i] * (1.0 - P[i0 + i]);
		}
		else
		{
			for (int i = 0; i < m; i++)
			{
				const double s = SW(pb, i0 + i);
				double		pu = 0;

				for (int r = 0; r < R; r++)
					pu += P[i0 + i + (size_t) r * n] * U[i + (size_t) r * m];
				for (int r = 0; r < R; r++)
					U[i + (size_t) r * m] = s * P[i0 + i + (size_t) r * n] *
						(U[i + (size_t) r * m] - pu);
			}
		}
		aml_logreg_block_xt_add(pb, i0, m, U, Hv);
	}
	for (int k = 0; k < pw; k++)
		Hv[k] += pb->lambda * v[k];
}

static double
mnorm2(const double *a, const double *M, const double *b, int n)
{
	double		s = 0;

	for (int k = 0; k < n; k++)
		s += a[k] * M[k] * b[k];
	return s;
}

/*
 * Steihaug's truncated preconditioned CG for H s = -g inside the trust
 * region ||s||_M <= delta.  On return r = -g - H s.
 */
static void
trpcg(const LogProblem *pb, const double *P, const double *g, const double *M, double delta,
	  double cgtol, int max_cg, double *s, double *r, double *d, double *Hd, double *z)
{
	const int	N = pb->nparam;
	double		rz;

	for (int k = 0; k < N; k++)
	{
		s[k] = 0;
		r[k] = -g[k];
		z[k] = r[k] / M[k];
		d[k] = z[k];
	}
	rz = aml_linear_dot(r, z, N);
	for (int it = 0; it < max_cg; it++)
	{
		double		dHd;
		double		alpha;
		double		sMs;
		double		sMd;
		double		dMd;
		double		rz_new;
		double		beta;

		if (sqrt(rz) <= cgtol)
			break;
		l2_hessvec(pb, P, d, Hd);
		dHd = aml_linear_dot(d, Hd, N);
		alpha = dHd > 0 ? rz / dHd : INFINITY;
		sMs = mnorm2(s, M, s, N);
		sMd = mnorm2(s, M, d, N);
		dMd = mnorm2(d, M, d, N);
		if (!(sMs + 2 * alpha * sMd + alpha * alpha * dMd <= delta * delta))
		{
			/* step to the boundary: ||s + tau d||_M = delta */
			double		rad = sqrt(sMd * sMd + dMd * (delta * delta - sMs));
			double		tau = sMd >= 0 ? (delta * delta - sMs) / (sMd + rad)
				: (rad - sMd) / dMd;

			for (int k = 0; k < N; k++)
			{
				s[k] += tau * d[k];
				r[k] -= tau * Hd[k];
			}
			return;
		}
		for (int k = 0; k < N; k++)
		{
			s[k] += alpha * d[k];
			r[k] -= alpha * Hd[k];
			z[k] = r[k] / M[k];
		}
		rz_new = aml_linear_dot(r, z, N);
		beta = rz_new / rz;
		for (int k = 0; k < N; k++)
			d[k] = z[k] + beta * d[k];
		rz = rz_new;
	}
}

#define SWAP_PTR(a, b) do { double *swap_tmp_ = (a); (a) = (b); (b) = swap_tmp_; } while (0)

AmlStatus
aml_logreg_solve_l2(LogProblem *pb, double *theta, int max_iter, double tol, int *n_iter,
					bool *converged, AmlError *err)
{
	/* trust-region constants of Lin and More (LIBLINEAR's TRON) */
	const double eta0 = 1e-4,
				eta1 = 0.25,
				eta2 = 0.75;
	const double sigma1 = 0.25,
				sigma2 = 0.5,
				sigma3 = 4.0;
	const int	N = pb->nparam;
	const size_t nr = (size_t) pb->n * pb->R;
	double	   *buf = AML_NEW_ARRAY(double, (size_t) N * 10 + nr);
	double	   *g,
			   *M,
			   *gt,
			   *Mt,
			   *s,
			   *r,
			   *d,
			   *Hd,
			   *z,
			   *theta_new,
			   *P,
			   *Pt;
	double		f,
				gnorm0,
				delta;
	int			iter = 0;
	const int	max_cg = N + 10 < 1000 ? N + 10 : 1000;
	/* scipy's L-BFGS-B default relative-decrease test at tol 1e-4, scaled with tol */
	const double ftol = 2.220446049250313e-09 * (tol / 1e-4);
	bool		ftol_stop = false;

	*converged = false;
	*n_iter = 0;
	if (buf == NULL)
		return aml_error_nomem(err, "logistic regression workspace");
	g = buf;
	M = g + N;
	gt = M + N;
	Mt = gt + N;
	s = Mt + N;
	r = s + N;
	d = r + N;
	Hd = d + N;
	z = Hd + N;
	theta_new = z + N;
	P = pb->P;
	Pt = theta_new + N;

	f = l2_evaluate(pb, theta, P, g, M);
	gnorm0 = sqrt(aml_linear_dot(g, g, N));
	{
		double		gMg = 0;

		for (int k = 0; k < N; k++)
			gMg += g[k] * g[k] / M[k];
		delta = sqrt(gMg);
	}
	while (max_abs(g, N) > tol && iter < max_iter)
	{
		double		gnorm = sqrt(aml_linear_dot(g, g, N));
		double		forcing = fmin(0.1, sqrt(gnorm / gnorm0));
		double		gMg = 0;
		double		fnew,
					gs,
					prered,
					actred,
					snorm,
					alpha;

		if (aml_interrupted())
		{
			aml_free(buf);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		for (int k = 0; k < N; k++)
			gMg += g[k] * g[k] / M[k];
		trpcg(pb, P, g, M, delta, forcing * sqrt(gMg), max_cg, s, r, d, Hd, z);
		for (int k = 0; k < N; k++)
			theta_new[k] = theta[k] + s[k];
		gs = aml_linear_dot(g, s, N);
		prered = -0.5 * (gs - aml_linear_dot(s, r, N));
		/* trial point: value, gradient and preconditioner in one pass */
		fnew = l2_evaluate(pb, theta_new, Pt, gt, Mt);
		actred = f - fnew;
		snorm = sqrt(mnorm2(s, M, s, N));
		if (iter == 0)
			delta = fmin(delta, snorm);
		iter++;
		if (!(prered > 0))
			break;				/* no descent direction left (g is 0 to rounding) */
		if (prered <= 1e-12 * fabs(f))
		{
			/*
			 * The predicted decrease is below what f resolves in floating
			 * point, so the ratio test would only see rounding noise: accept
			 * the Newton step when it shrinks the gradient, else stop.
			 */
			if (!(max_abs(gt, N) < max_abs(g, N)))
				break;
			actred = prered;	/* accept below, keep the radius */
		}
		else
		{
			if (fnew - f - gs <= 0)
				alpha = sigma3;
			else
				alpha = fmax(sigma1, -0.5 * (gs / (fnew - f - gs)));
			if (actred < eta0 * prered)
				delta = fmin(fmax(alpha, sigma1) * snorm, sigma2 * delta);
			else if (actred < eta1 * prered)
				delta = fmax(sigma1 * delta, fmin(alpha * snorm, sigma2 * delta));
			else if (actred < eta2 * prered)
				delta = fmax(sigma1 * delta, fmin(alpha * snorm, sigma3 * delta));
			else
				delta = fmax(delta, fmin(alpha * snorm, sigma3 * delta));
		}
		if (actred > eta0 * prered)
		{
			bool		small = f - fnew <= ftol * fmax(fmax(fabs(f), fabs(fnew)), 1.0);

			memcpy(theta, theta_new, sizeof(double) * N);
			f = fnew;
			SWAP_PTR(P, Pt);
			SWAP_PTR(g, gt);
			SWAP_PTR(M, Mt);
			if (small)
			{
				ftol_stop = true;
				break;
			}
		}
	}
	*converged = ftol_stop || max_abs(g, N) <= tol;
	*n_iter = iter;
	aml_free(buf);
	return AML_OK;
}
