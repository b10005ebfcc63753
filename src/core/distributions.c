/*
 * distributions.c — incomplete beta/gamma functions and distribution tails
 * (see distributions.h).
 *
 * Methods: the continued fractions of the incomplete beta and gamma
 * functions evaluated with the modified Lentz algorithm (the beta fraction
 * on the side of the mode where it converges fast, the complement on the
 * other), the gamma series below a + 1.  The prefactors x^a (1-x)^b / B(a,b)
 * and x^a e^-x / Gamma(a) are evaluated in logarithms, with the Stirling
 * series for large arguments written so that nothing large cancels
 * (log1pmx below), which keeps ~1e-14 relative accuracy for degrees of
 * freedom in the millions where lgamma(a) + lgamma(b) - lgamma(a + b) would
 * lose half the digits.
 */
#include "core/distributions.h"

#include <float.h>
#include <math.h>

#define LOG_SQRT_2PI 0.91893853320467274178032973640562	/* log(sqrt(2 pi)) */
#define STIRLING_MIN 10.0		/* use the asymptotic series from here */
#define TINY 1e-300				/* Lentz's guard against division by zero */
#define MAX_ITERATIONS 1000000

/*
 * delta(z) = lgamma(z) - ((z - 1/2) log z - z + log sqrt(2 pi)), the
 * remainder of Stirling's formula.  For z >= 10 the asymptotic series (seven
 * Bernoulli terms) is accurate to ~1e-17 absolute.
 */
static double
stirling_delta(double z)
{
	if (z >= STIRLING_MIN)
	{
		double		r = 1.0 / z;
		double		r2 = r * r;

		return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 +
				r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156)))))));
	}
	return lgamma(z) - ((z - 0.5) * log(z) - z + LOG_SQRT_2PI);
}

/* log(1 + t) - t without cancellation for small t (t > -1). */
static double
log1pmx(double t)
{
	if (fabs(t) < 0.25)
	{
		double		term = t;
		double		sum = 0;

		/* -t^2/2 + t^3/3 - t^4/4 ... */
		for (int k = 2; k < 200; k++)
		{
			double		add;

			term *= -t;
			add = term / k;
			sum += add;
			if (fabs(add) <= fabs(sum) * 1e-17)
				break;
		}
		return sum;
	}
	return log1p(t) - t;
}

/* log of x given x and y = 1 - x, choosing the accurate form */
static double
log_of(double x, double y)
{
	return x <= 0.5 ? log(x) : log1p(-y);
}

/*
 * log( x^a y^b / B(a, b) ) with y = 1 - x given separately (both exact as
 * the caller computed them).
 */
static double
log_beta_prefactor(double a, double b, double x, double y)
{
	if (a >= STIRLING_MIN && b >= STIRLING_MIN)
	{
		/*
		 * x^a y^b Gamma(a+b)/(Gamma(a) Gamma(b)) =
		 *   sqrt(ab / (2 pi (a+b))) (x(a+b)/a)^a (y(a+b)/b)^b
		 *   * exp(delta(a+b) - delta(a) - delta(b)),
		 * and with d = x b - y a: x(a+b)/a = 1 + d/a, y(a+b)/b = 1 - d/b, so
		 * a log(1 + d/a) + b log(1 - d/b) = a log1pmx(d/a) + b log1pmx(-d/b)
		 * exactly (the linear terms cancel), with no large intermediate.
		 */
		double		d = x * b - y * a;
		double		u = d / a;
		double		v = -d / b;
		double		e;

		if (fabs(u) < 0.5 && fabs(v) < 0.5)
			e = a * log1pmx(u) + b * log1pmx(v);
		else
		{
			/*
			 * Far from the mode: the terms are large and of one sign, so
			 * each is computed on its own; 1 + u may be tiny (x << a/(a+b))
			 * and is then taken as x (a+b)/a in logarithms.
			 */
			double		lu = fabs(u) < 0.5 ? log1p(u) : log_of(x, y) + log1p(b / a);
			double		lv = fabs(v) < 0.5 ? log1p(v) : log_of(y, x) + log1p(a / b);

			e = a * lu + b * lv;
		}

		return e + 0.5 * (log(a / (a + b)) + log(b)) - LOG_SQRT_2PI +
			stirling_delta(a + b) - stirling_delta(a) - stirling_delta(b);
	}
	if (a >= STIRLING_MIN || b >= STIRLING_MIN)
	{
		/* one large (big, its x xb), one small (s) */
		double		big = a >= b ? a : b;
		double		s = a >= b ? b : a;
		double		ratio;

		/* lgamma(big + s) - lgamma(big) */
		ratio = (big - 0.5) * log1p(s / big) + s * log(big + s) - s +
			stirling_delta(big + s) - stirling_delta(big);
		return a * log_of(x, y) + b * log_of(y, x) + ratio - lgamma(s);
	}
	return a * log_of(x, y) + b * log_of(y, x) - lgamma(a) - lgamma(b) + lgamma(a + b);
}

/*
 * Continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified
 * Lentz): I_x(a, b) = prefactor * cf / a.  Converges fast for
 * x < (a + 1) / (a + b + 2).  For large a and small b with x near 1 the
 * denominators 1 + aa d cancel by several orders of magnitude, so the
 * fraction is evaluated in long double (x86-64: 64-bit mantissa), which
 * keeps the double result accurate to ~1e-15 there.
 */
typedef long double ldouble;

#define CF_EPS (LDBL_MANT_DIG > DBL_MANT_DIG ? 1e-17L : (ldouble) DBL_EPSILON)
#define LTINY 1e-300L

static double
beta_cf(double a_, double b_, double x_, double y_)
{
	ldouble		a = a_;
	ldouble		b = b_;
	ldouble		x = x_;
	ldouble		qab = a + b;
	ldouble		qap = a + 1.0L;
	ldouble		qam = a - 1.0L;
	ldouble		c = 1.0L;
	ldouble		d;
	ldouble		h;

	/*
	 * First denominator 1 - (a+b) x / (a+1): with x near 1 it is computed
	 * from y as (1 - b + (a+b) y) / (a+1), without cancellation.
	 */
	if (x_ > 0.5)
		d = (1.0L - b + qab * (ldouble) y_) / qap;
	else
		d = 1.0L - qab * x / qap;
	if (fabsl(d) < LTINY)
		d = LTINY;
	d = 1.0L / d;
	h = d;
	for (int m = 1; m <= MAX_ITERATIONS; m++)
	{
		ldouble		m2 = 2.0L * m;
		ldouble		aa;
		ldouble		del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0L + aa * d;
		if (fabsl(d) < LTINY)
			d = LTINY;
		c = 1.0L + aa / c;
		if (fabsl(c) < LTINY)
			c = LTINY;
		d = 1.0L / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0L + aa * d;
		if (fabsl(d) < LTINY)
			d = LTINY;
		c = 1.0L + aa / c;
		if (fabsl(c) < LTINY)
			c = LTINY;
		d = 1.0L / d;
		del = d * c;
		h *= del;
		if (fabsl(del - 1.0L) <= CF_EPS)
			break;
	}
	return (double) h;
}

/* I_x(a, b) into *ix and 1 - I_x(a, b) into *ic, with y = 1 - x given. */
static void
incomplete_beta(double a, double b, double x, double y, double *ix, double *ic)
{
	double		v;

	if (isnan(a) || isnan(b) || isnan(x) || isnan(y) || a <= 0 || b <= 0 ||
		x < 0 || y < 0 || isinf(a) || isinf(b))
	{
		*ix = *ic = NAN;
		return;
	}
	if (x == 0)
	{
		*ix = 0;
		*ic = 1;
		return;
	}
	if (y == 0)
	{
		*ix = 1;
		*ic = 0;
		return;
	}
	if (x * (a + b + 2.0) < a + 1.0)
	{
		v = exp(log_beta_prefactor(a, b, x, y)) * beta_cf(a, b, x, y) / a;
		*ix = v;
		*ic = 1.0 - v;
	}
	else
	{
		v = exp(log_beta_prefactor(b, a, y, x)) * beta_cf(b, a, y, x) / b;
		*ic = v;
		*ix = 1.0 - v;
	}
}

double
aml_betainc(double a, double b, double x)
{
	double		ix;
	double		ic;

	if (x > 1)
		return NAN;
	incomplete_beta(a, b, x, 1.0 - x, &ix, &ic);
	return ix;
}

double
aml_betaincc(double a, double b, double x)
{
	double		ix;
	double		ic;

	if (x > 1)
		return NAN;
	incomplete_beta(a, b, x, 1.0 - x, &ix, &ic);
	return ic;
}

/* ---------------------------------------------------------------- gamma */

/* log( x^a e^-x / Gamma(a) ) */
static double
log_gamma_prefactor(double a, double x)
{
	if (a >= STIRLING_MIN)
	{
		/* a log x - x - lgamma(a) = a (log(x/a) - (x-a)/a) + log(a)/2 - log sqrt(2 pi) - delta(a) */
		double		t = (x - a) / a;
		double		main = fabs(t) < 0.5 ? a * log1pmx(t) : a * log(x / a) - (x - a);

		return main + 0.5 * log(a) - LOG_SQRT_2PI - stirling_delta(a);
	}
	return a * log(x) - x - lgamma(a);
}

static void
incomplete_gamma(double a, double x, double *p, double *q)
{
	double		v;

	if (isnan(a) || isnan(x) || a <= 0 || x < 0 || isinf(a))
	{
		*p = *q = NAN;
		return;
	}
	if (x == 0)
	{
		*p = 0;
		*q = 1;
		return;
	}
	if (isinf(x))
	{
		*p = 1;
		*q = 0;
		return;
	}
	if (x < a + 1.0)
	{
		/* series: P = prefactor * sum_n x^n / (a (a+1) ... (a+n)) */
		double		ap = a;
		double		del = 1.0 / a;
		double		sum = del;

		for (int n = 0; n < MAX_ITERATIONS; n++)
		{
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) <= fabs(sum) * DBL_EPSILON * 0.5)
				break;
		}
		v = exp(log_gamma_prefactor(a, x)) * sum;
		*p = v;
		*q = 1.0 - v;
	}
	else
	{
		/* Legendre's continued fraction for Q (modified Lentz) */
		double		b = x + 1.0 - a;
		double		c = 1.0 / TINY;
		double		d = 1.0 / b;
		double		h = d;

		for (int i = 1; i <= MAX_ITERATIONS; i++)
		{
			double		an = -i * (i - a);
			double		del;

			b += 2.0;
			d = an * d + b;
			if (fabs(d) < TINY)
				d = TINY;
			c = b + an / c;
			if (fabs(c) < TINY)
				c = TINY;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) <= DBL_EPSILON)
				break;
		}
		v = exp(log_gamma_prefactor(a, x)) * h;
		*q = v;
		*p = 1.0 - v;
	}
}

double
aml_gammainc_p(double a, double x)
{
	double		p;
	double		q;

	incomplete_gamma(a, x, &p, &q);
	return p;
}

double
aml_gammainc_q(double a, double x)
{
	double		p;
	double		q;

	incomplete_gamma(a, x, &p, &q);
	return q;
}

/* ---------------------------------------------------------------- F */

/* P(F <= f) into *cdf and P(F > f) into *sf */
static void
f_tails(double f, double d1, double d2, double *cdf, double *sf)
{
	double		q;
	double		x;
	double		y;

	if (isnan(f) || isnan(d1) || isnan(d2) || d1 <= 0 || d2 <= 0)
	{
		*cdf = *sf = NAN;
		return;
	}
	if (f <= 0)
	{
		*cdf = 0;
		*sf = 1;
		return;
	}
	if (isinf(f))
	{
		*cdf = 1;
		*sf = 0;
		return;
	}
	/* x = d2 / (d2 + d1 f), y = d1 f / (d2 + d1 f), without overflow */
	if (d1 * f > d2)
	{
		q = d2 / (d1 * f);
		x = q / (1.0 + q);
		y = 1.0 / (1.0 + q);
	}
	else
	{
		q = d1 * f / d2;
		x = 1.0 / (1.0 + q);
		y = q / (1.0 + q);
	}
	/* P(F > f) = I_x(d2/2, d1/2) */
	incomplete_beta(0.5 * d2, 0.5 * d1, x, y, sf, cdf);
}

double
aml_f_sf(double f, double d1, double d2)
{
	double		cdf;
	double		sf;

	f_tails(f, d1, d2, &cdf, &sf);
	return sf;
}

double
aml_f_cdf(double f, double d1, double d2)
{
	double		cdf;
	double		sf;

	f_tails(f, d1, d2, &cdf, &sf);
	return cdf;
}

/* ---------------------------------------------------------------- t */

double
aml_t_sf(double t, double df)
{
	double		x;
	double		y;
	double		tail;
	double		rest;

	if (isnan(t) || isnan(df) || df <= 0)
		return NAN;
	if (t == 0)
		return 0.5;
	if (isinf(t))
		return t > 0 ? 0.0 : 1.0;
	if (df > 1e20)				/* the normal limit, to double precision */
		return aml_norm_sf(t);
	/* x = df / (df + t^2), y = t^2 / (df + t^2) */
	if (fabs(t) < 1e150)
	{
		double		tt = t * t;

		x = df / (df + tt);
		y = tt / (df + tt);
	}
	else
	{
		double		r = sqrt(df) / fabs(t);

		x = r * r / (1.0 + r * r);
		y = 1.0 / (1.0 + r * r);
	}
	/* P(|T| > |t|) = I_x(df/2, 1/2) */
	incomplete_beta(0.5 * df, 0.5, x, y, &tail, &rest);
	tail *= 0.5;
	return t > 0 ? tail : 1.0 - tail;
}

double
aml_t_cdf(double t, double df)
{
	return aml_t_sf(-t, df);
}

/* density of Student's t */
static double
t_pdf(double t, double df)
{
	double		logc = lgamma(0.5 * (df + 1.0)) - lgamma(0.5 * df) - 0.5 * log(df * M_PI);

	return exp(logc - 0.5 * (df + 1.0) * log1p(t * t / df));
}

double
aml_t_isf(double p, double df)
{
	double		lo;
	double		hi;
	double		t;

	if (isnan(p) || isnan(df) || df <= 0 || p <= 0 || p >= 1)
		return (p == 0) ? INFINITY : (p == 1) ? -INFINITY : NAN;
	if (p == 0.5)
		return 0;
	if (p > 0.5)
		return -aml_t_isf(1.0 - p, df);
	if (df > 1e20)
		return -aml_norm_ppf(p);
	/* closed forms for 1 and 2 degrees of freedom */
	if (df == 1)
		return 1.0 / tan(M_PI * p);
	if (df == 2)
		return (1.0 - 2.0 * p) / sqrt(2.0 * p * (1.0 - p));

	/* bracket the root (sf is decreasing), then safeguarded Newton */
	lo = 0;
	hi = fmax(1.0, -aml_norm_ppf(p));
	while (aml_t_sf(hi, df) > p)
	{
		lo = hi;
		hi *= 2.0;
		if (isinf(hi))
			return INFINITY;
	}
	t = 0.5 * (lo + hi);
	for (int it = 0; it < 300; it++)
	{
		double		f = aml_t_sf(t, df) - p;
		double		next;

		if (f == 0)
			break;
		if (f > 0)
			lo = t;
		else
			hi = t;
		/* d sf / dt = -pdf */
		next = t + f / t_pdf(t, df);
		if (!(next > lo && next < hi))
			next = 0.5 * (lo + hi);
		if (fabs(next - t) <= 4 * DBL_EPSILON * fabs(t) || hi - lo <= 4 * DBL_EPSILON * hi)
		{
			t = next;
			break;
		}
		t = next;
	}
	return t;
}

/* ---------------------------------------------------------------- chi-square */

double
aml_chi2_sf(double x, double k)
{
	if (isnan(x) || isnan(k) || k <= 0)
		return NAN;
	if (x <= 0)
		return 1.0;
	return aml_gammainc_q(0.5 * k, 0.5 * x);
}

double
aml_chi2_cdf(double x, double k)
{
	if (isnan(x) || isnan(k) || k <= 0)
		return NAN;
	if (x <= 0)
		return 0.0;
	return aml_gammainc_p(0.5 * k, 0.5 * x);
}

/* ---------------------------------------------------------------- normal */

double
aml_norm_cdf(double z)
{
	return 0.5 * erfc(-z * M_SQRT1_2);
}

double
aml_norm_sf(double z)
{
	return 0.5 * erfc(z * M_SQRT1_2);
}

/* ppf for p < 0.5: rational start (Abramowitz & Stegun 26.2.23), then Halley steps */
static double
norm_ppf_lower(double p)
{
	double		t = sqrt(-2.0 * log(p));
	double		z = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
					  (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));

	for (int it = 0; it < 20; it++)
	{
		double		pdf = exp(-0.5 * z * z) / 2.5066282746310005024;	/* sqrt(2 pi) */
		double		u = (aml_norm_cdf(z) - p) / pdf;
		double		step;

		if (pdf == 0)
			break;
		step = u / (1.0 + 0.5 * z * u);
		z -= step;
		if (fabs(step) <= 2 * DBL_EPSILON * fabs(z))
			break;
	}
	return z;
}

double
aml_norm_ppf(double p)
{
	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (p == 0.5)
		return 0;
	if (p < 0.5)
		return norm_ppf_lower(p);
	return -norm_ppf_lower(1.0 - p);
}
