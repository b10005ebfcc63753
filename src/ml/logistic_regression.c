/*
 * logistic_regression.c — logistic regression ("logistic_regression"):
 * binary, and multinomial (softmax) for more than two classes, with an L2 or
 * an L1 penalty on the coefficients (the intercept is never penalised).
 *
 * The objective is sklearn's:
 *     penalty l2:  sum_i s_i loss_i + 1 / (2 C) ||W||^2
 *     penalty l1:  sum_i s_i loss_i + 1 / C ||W||_1
 * with loss_i the log loss of row i and s_i its weight (1, or
 * n / (k * rows of its class) with class_weight "balanced").
 *
 * Solvers:
 *   l2  trust-region Newton with preconditioned conjugate gradients (the
 *       TRON method of LIBLINEAR), matrix-free: each Hessian-vector product
 *       is one pass over X by blocks of rows that stay in cache (X v and
 *       X' (D X v) per block), and one such pass also gives the value,
 *       gradient and Jacobi preconditioner at a trial point.  It converges
 *       in a few Newton steps, also on unscaled data where lbfgs struggles.
 *   l1  proximal Newton (newGLMNET): a quadratic model of the log loss per
 *       block of coefficients (the binary model, or one class of the
 *       multinomial model at a time), minimised by coordinate descent with
 *       soft thresholding on the explicit block Hessian [X 1]' D [X 1] (up to
 *       512 features; beyond, column by column), then a backtracking line
 *       search on the penalised objective.
 * Both stop when the largest component of the gradient (for l1 the
 * minimum-norm subgradient) is at most tol: the "gtol" test sklearn's
 * default lbfgs applies to the same objective.  l2 also stops, like lbfgs,
 * when an accepted step decreases the objective by less than a relative
 * 2.2e-9 (scipy's default "ftol", scaled here by tol / 1e-4 so that a
 * smaller tol asks for more).  Newton steps converge fast, so at the same
 * tol the coefficients are closer to the exact optimum than sklearn's.
 *
 * Classes without training rows (a CV fold) get probability 0: the model is
 * fitted on the classes present (binary when two are), as sklearn would fit
 * the fold, and cross_val_predict fills absent classes with 0.
 */
#include "ml/linear_common.h"

#include "core/blas.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct LogRegParams
{
	int			penalty;		/* 0 l2, 1 l1 */
	double		C;
	bool		fit_intercept;
	int			max_iter;
	double		tol;
	int			class_weight;	/* 0 none, 1 balanced */
} LogRegParams;

static const char *const penalty_choices[] = {"l2", "l1", NULL};
static const char *const class_weight_choices[] = {"none", "balanced", NULL};

static const AmlParamSpec logreg_specs[] = {
	{"penalty", AML_PARAM_CHOICE, offsetof(LogRegParams, penalty), 0, 0, 1,
		.choices = penalty_choices,
		.description = "penalty on the coefficients: \"l2\" (squared norm) or \"l1\" (sparse)"},
	{"C", AML_PARAM_DOUBLE, offsetof(LogRegParams, C), 1.0, 0, INFINITY, true, false,
		.description = "inverse of the penalty strength (smaller C = stronger penalty)"},
	{"fit_intercept", AML_PARAM_BOOL, offsetof(LogRegParams, fit_intercept), 1, 0, 1,
		.description = "fit an unpenalised intercept per class"},
	{"max_iter", AML_PARAM_INT, offsetof(LogRegParams, max_iter), 100, 1, 100000000,
		.description = "maximum number of Newton iterations"},
	{"tol", AML_PARAM_DOUBLE, offsetof(LogRegParams, tol), 1e-4, 0, INFINITY,
		.description = "stop when no gradient component of the objective exceeds tol"},
	{"class_weight", AML_PARAM_CHOICE, offsetof(LogRegParams, class_weight), 0, 0, 1,
		.choices = class_weight_choices,
		.description = "\"balanced\" weighs rows inversely to their class frequency"},
};

/* ---------------------------------------------------------------- the problem */

typedef struct LogProblem
{
	const AmlMatrix *X;			/* n x p, column-major */
	int			n;
	int			p;
	int			R;				/* 1: binary (sigmoid); >= 3: softmax over R classes */
	bool		intercept;
	double		lambda;			/* 1 / C */
	const int  *label;			/* binary: 0/1; softmax: 0..R-1 */
	const double *sw;			/* row weights, NULL = all 1 */
	int			nparam;			/* p R (+ R intercepts); W column r at theta + r p */
	int			bs;				/* rows per block of the fused passes */
	double	   *P;				/* n x R probabilities at the current point */
	double	   *Z;				/* n x R scores at the current point (l1) */
	double	   *blk;			/* 3 bs R + bs (p + 1) scratch for one block */
} LogProblem;

#define SW(pb, i) ((pb)->sw ? (pb)->sw[i] : 1.0)

/* Rows per block: the block of X (and a scratch copy) stay in the L2 cache. */
static int
block_rows(int n, int p)
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
static void
block_scores(const LogProblem *pb, int i0, int m, const double *theta, double *Zb)
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
static void
block_xt_add(const LogProblem *pb, int i0, int m, const double *A, double *g)
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
static double
block_loss(const LogProblem *pb, int i0, int m, const double *Zb, double *P, double *res,
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

		block_scores(pb, i0, m, theta, Zb);
		f += block_loss(pb, i0, m, Zb, P, res, h);
		block_xt_add(pb, i0, m, res, g);
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

		block_scores(pb, i0, m, v, U);	/* U = X V + 1 c' */
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
		block_xt_add(pb, i0, m, U, Hv);
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

static AmlStatus
solve_l2(LogProblem *pb, double *theta, int max_iter, double tol, int *n_iter,
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
		loss += block_loss(pb, i0, m, pb->blk, pb->P, NULL, NULL);
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

static AmlStatus
solve_l1(LogProblem *pb, double *theta, int max_iter, double tol, int *n_iter,
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
			block_xt_add(pb, i0, m, A, g);
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

/* ================================================================ fit */

static AmlStatus
logreg_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
		   AmlError *err)
{
	const LogRegParams *params = (const LogRegParams *) est->params;
	const int	n = X->rows;
	const int	p = X->cols;
	const int	K = est->n_classes;
	int		   *counts = AML_NEW_ARRAY(int, K);
	int		   *present = AML_NEW_ARRAY(int, K);
	int		   *index_of = AML_NEW_ARRAY(int, K);
	int		   *label = AML_NEW_ARRAY(int, n);
	double	   *sw = NULL;
	double	   *theta = NULL;
	double	   *arrays = NULL;
	AmlLinearModel *model = NULL;
	LogProblem	pb;
	int			k;
	AmlStatus	st = AML_OK;

	memset(&pb, 0, sizeof(pb));
	if (counts == NULL || present == NULL || index_of == NULL || label == NULL)
	{
		st = aml_error_nomem(err, "logistic regression workspace");
		goto done;
	}
	st = aml_linear_need_blas(err);
	if (st != AML_OK)
		goto done;
	k = aml_linear_class_counts(y, n, K, counts, present);
	for (int c = 0; c < K; c++)
		index_of[c] = -1;
	for (int a = 0; a < k; a++)
		index_of[present[a]] = a;

	if (k < 2)
	{
		/* one class: it gets probability 1 */
		st = aml_linear_model_new(est, AML_FORM_SOFTMAX, K, &model, err);
		if (st != AML_OK)
			goto done;
		for (int c = 0; c < K; c++)
			model->intercept[c] = c == present[0] ? 0.0 : -INFINITY;
		goto finish;
	}

	if (params->class_weight == 1)
	{
		sw = AML_NEW_ARRAY(double, n);
		if (sw == NULL)
		{
			st = aml_error_nomem(err, "logistic regression weights");
			goto done;
		}
		for (int i = 0; i < n; i++)
			sw[i] = (double) n / ((double) k * counts[(int) y[i]]);
	}
	pb.X = X;
	pb.n = n;
	pb.p = p;
	pb.R = k == 2 ? 1 : k;
	pb.intercept = params->fit_intercept;
	pb.lambda = 1.0 / params->C;
	pb.label = label;
	pb.sw = sw;
	pb.nparam = p * pb.R + (pb.intercept ? pb.R : 0);
	for (int i = 0; i < n; i++)
		label[i] = k == 2 ? ((int) y[i] == present[1]) : index_of[(int) y[i]];

	pb.bs = block_rows(n, p);
	theta = AML_NEW_ARRAY(double, pb.nparam + 1);
	/* P, Z (l1 only) and one block's scratch */
	arrays = AML_NEW_ARRAY(double, (size_t) n * pb.R * (params->penalty == 1 ? 2 : 1) +
						   (size_t) pb.bs * (3 * (size_t) pb.R + p + 1));
	if (theta == NULL || arrays == NULL)
	{
		st = aml_error_nomem(err, "logistic regression workspace");
		goto done;
	}
	pb.P = arrays;
	pb.blk = pb.P + (size_t) n * pb.R;
	if (params->penalty == 1)
	{
		pb.Z = pb.blk;
		pb.blk = pb.Z + (size_t) n * pb.R;
	}

	st = aml_linear_model_new(est, pb.R == 1 ? AML_FORM_LOGISTIC : AML_FORM_SOFTMAX,
							  pb.R == 1 ? 1 : K, &model, err);
	if (st != AML_OK)
		goto done;
	if (params->penalty == 0)
		st = solve_l2(&pb, theta, params->max_iter, params->tol, &model->n_iter,
					  &model->converged, err);
	else
		st = solve_l1(&pb, theta, params->max_iter, params->tol, &model->n_iter,
					  &model->converged, err);
	if (st != AML_OK)
		goto done;

	if (pb.R == 1)
	{
		memcpy(model->coef, theta, sizeof(double) * p);
		model->intercept[0] = pb.intercept ? theta[p] : 0.0;
		model->pos_class = present[1];
		model->neg_class = present[0];
		model->fill = 0;
	}
	else
	{
		double		mean_b = 0;

		/* intercepts are defined up to a common shift: centre them like sklearn */
		if (pb.intercept)
		{
			for (int r = 0; r < pb.R; r++)
				mean_b += theta[(size_t) p * pb.R + r];
			mean_b /= pb.R;
		}
		for (int c = 0; c < K; c++)
		{
			int			r = index_of[c];

			if (r < 0)
			{
				model->intercept[c] = -INFINITY;
				continue;
			}
			memcpy(model->coef + (size_t) c * p, theta + (size_t) r * p, sizeof(double) * p);
			model->intercept[c] = pb.intercept ? theta[(size_t) p * pb.R + r] - mean_b : 0.0;
		}
	}
finish:
	est->state = model;
	model = NULL;
done:
	aml_linear_model_free(model);
	aml_free(counts);
	aml_free(present);
	aml_free(index_of);
	aml_free(label);
	aml_free(sw);
	aml_free(theta);
	aml_free(arrays);
	return st;
}

const AmlEstimatorType aml_logistic_regression_type = {
	.name = "logistic_regression",
	.label = "logistic regression",
	.tasks = AML_TASK_CLASSIFICATION,
	.params = {logreg_specs, AML_PARAM_COUNT(logreg_specs), sizeof(LogRegParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.probabilistic = true,
	.fit = logreg_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_SOFTMAX,
};
