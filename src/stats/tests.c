/*
 * tests.c — t, chi-square and correlation tests as R's (tests.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/distributions.h"
#include "core/memory.h"
#include "stats/tests.h"

static void
mean_var(const double *x, const double *y, long n, double *mean, double *var)
{
	double		s = 0;
	double		ss = 0;

	for (long i = 0; i < n; i++)
		s += y ? x[i] - y[i] : x[i];
	*mean = s / n;
	for (long i = 0; i < n; i++)
	{
		double		d = (y ? x[i] - y[i] : x[i]) - *mean;

		ss += d * d;
	}
	*var = n > 1 ? ss / (n - 1) : NAN;
}

static void
clear(AmlTestResult *r)
{
	r->estimate = r->estimate1 = r->estimate2 = r->statistic = NAN;
	r->p_value = r->parameter = r->conf_low = r->conf_high = NAN;
	r->n = 0;
	r->method = "";
}

void
aml_t_test_one(const double *x, const double *y, long n, double mu, double level,
			   AmlTestResult *r)
{
	double		m;
	double		v;
	double		se;
	double		q;

	clear(r);
	mean_var(x, y, n, &m, &v);
	se = sqrt(v / n);
	r->n = n;
	r->estimate = m;
	r->parameter = n - 1;
	r->statistic = (m - mu) / se;
	r->p_value = 2 * aml_t_sf(fabs(r->statistic), n - 1);
	q = aml_t_isf((1 - level) / 2, n - 1);
	r->conf_low = m - q * se;
	r->conf_high = m + q * se;
	r->method = y ? "Paired t-test" : "One Sample t-test";
}

void
aml_t_test_two(const double *x, long nx, const double *y, long ny, bool var_equal,
			   double mu, double level, AmlTestResult *r)
{
	double		mx,
				vx,
				my,
				vy,
				se,
				df,
				q;

	clear(r);
	mean_var(x, NULL, nx, &mx, &vx);
	mean_var(y, NULL, ny, &my, &vy);
	if (var_equal)
	{
		double		v;

		df = nx + ny - 2;
		v = 0;
		if (nx > 1)
			v += (nx - 1) * vx;
		if (ny > 1)
			v += (ny - 1) * vy;
		v /= df;
		se = sqrt(v * (1.0 / nx + 1.0 / ny));
		r->method = "Two Sample t-test";	/* R: " Two Sample t-test" (a paste artefact) */
	}
	else
	{
		double		sx = vx / nx;
		double		sy = vy / ny;

		se = sqrt(sx + sy);
		df = (sx + sy) * (sx + sy) / (sx * sx / (nx - 1) + sy * sy / (ny - 1));
		r->method = "Welch Two Sample t-test";
	}
	r->n = nx + ny;
	r->estimate = mx - my;
	r->estimate1 = mx;
	r->estimate2 = my;
	r->parameter = df;
	r->statistic = (mx - my - mu) / se;
	r->p_value = 2 * aml_t_sf(fabs(r->statistic), df);
	q = aml_t_isf((1 - level) / 2, df);
	r->conf_low = (mx - my) - q * se;
	r->conf_high = (mx - my) + q * se;
}

void
aml_chisq_test(const double *counts, int rows, int cols, AmlTestResult *r)
{
	double		n = 0;
	double	   *rs = aml_alloc_array((size_t) rows, sizeof(double));
	double	   *cs = aml_alloc_array((size_t) cols, sizeof(double));
	double		stat = 0;
	bool		yates = rows == 2 && cols == 2;
	double		yc = 0;

	clear(r);
	if (rs == NULL || cs == NULL)
	{
		aml_free(rs);
		aml_free(cs);
		return;					/* NaN results: the caller checks the budget */
	}
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
		{
			rs[i] += counts[i * cols + j];
			cs[j] += counts[i * cols + j];
			n += counts[i * cols + j];
		}
	if (yates)
	{
		/* YATES <- min(0.5, abs(x - E)) over the whole table */
		yc = 0.5;
		for (int i = 0; i < rows; i++)
			for (int j = 0; j < cols; j++)
			{
				double		e = rs[i] * cs[j] / n;

				yc = fmin(yc, fabs(counts[i * cols + j] - e));
			}
	}
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
		{
			double		e = rs[i] * cs[j] / n;
			double		d = fabs(counts[i * cols + j] - e) - yc;

			stat += d * d / e;
		}
	aml_free(rs);
	aml_free(cs);
	r->n = (long) n;
	r->statistic = stat;
	r->parameter = (double) (rows - 1) * (cols - 1);
	r->p_value = aml_chi2_sf(stat, r->parameter);
	r->method = yates ? "Pearson's Chi-squared test with Yates' continuity correction"
		: "Pearson's Chi-squared test";
}


/* ---- Spearman's S: AS 89 (exact below 10 pairs, Edgeworth series above) ---- */

/* number of permutations of 1..n whose S = sum (i - pi_i)^2 is >= js */
static double
spearman_count_ge(int n, double js)
{
	int			perm[9];
	int			c[9];
	double		count = 0;
	int			i = 0;

	for (int k = 0; k < n; k++)
	{
		perm[k] = k;
		c[k] = 0;
	}
	/* Heap's algorithm over all n! orders */
	for (;;)
	{
		double		sum = 0;

		for (int k = 0; k < n; k++)
			sum += (double) (k - perm[k]) * (k - perm[k]);
		if (sum >= js)
			count++;
		while (i < n && c[i] >= i)
		{
			c[i] = 0;
			i++;
		}
		if (i >= n)
			break;
		{
			int			j = (i % 2 == 0) ? 0 : c[i];
			int			t = perm[j];

			perm[j] = perm[i];
			perm[i] = t;
		}
		c[i]++;
		i = 0;
	}
	return count;
}

/* R's pRho(is, n, lower): P(S >= is), or P(S < is) when lower */
double
aml_spearman_tail(double is, long n, bool lower)
{
	double		nn = (double) n;
	double		n3 = nn * (nn * nn - 1) / 3;
	double		js = is;
	double		pv;

	if (is <= 0)
		return lower ? 0.0 : 1.0;
	if (is > n3)
		return lower ? 1.0 : 0.0;
	if (n <= 9)
	{
		double		nfac = 1;
		double		ge;

		for (int k = 2; k <= n; k++)
			nfac *= k;
		ge = spearman_count_ge((int) n, js);
		return (lower ? nfac - ge : ge) / nfac;
	}
	else
	{
		/* Best & Roberts (1975): Edgeworth series for the upper tail */
		static const double c[12] = {0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932,
		0.0879, 0.0151, 0.0072, 0.0831, 0.0131, 4.6e-4};
		double		b = 1 / nn;
		double		x = (6 * (js - 1) * b / (nn * nn - 1) - 1) * sqrt(nn - 1);
		double		y = x * x;
		double		u = x * b * (c[0] + b * (c[1] + c[2] * b) +
								 y * (-c[3] + b * (c[4] + c[5] * b) -
									  y * b * (c[6] + c[7] * b -
											   y * (c[8] - c[9] * b + y * b * (c[10] - c[11] * y)))));

		pv = lower ? aml_norm_cdf(x) - u / exp(y / 2) : u / exp(y / 2) + aml_norm_sf(x);
		return pv < 0 ? 0 : pv > 1 ? 1 : pv;
	}
}

/* ---- correlation ---- */

typedef struct RankItem
{
	double		v;
	long		i;
} RankItem;

static int
cmp_item(const void *a, const void *b)
{
	double		x = ((const RankItem *) a)->v;
	double		y = ((const RankItem *) b)->v;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* average ranks; returns whether there were ties */
static bool
ranks(const double *x, long n, double *out, RankItem *items)
{
	bool		ties = false;

	for (long i = 0; i < n; i++)
	{
		items[i].v = x[i];
		items[i].i = i;
	}
	qsort(items, n, sizeof(RankItem), cmp_item);
	for (long i = 0; i < n;)
	{
		long		j = i;

		while (j + 1 < n && items[j + 1].v == items[i].v)
			j++;
		if (j > i)
			ties = true;
		for (long k = i; k <= j; k++)
			out[items[k].i] = (i + j) / 2.0 + 1;
		i = j + 1;
	}
	return ties;
}

static double
pearson(const double *x, const double *y, long n)
{
	double		mx = 0,
				my = 0,
				sxx = 0,
				syy = 0,
				sxy = 0;

	for (long i = 0; i < n; i++)
	{
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (long i = 0; i < n; i++)
	{
		double		dx = x[i] - mx;
		double		dy = y[i] - my;

		sxx += dx * dx;
		syy += dy * dy;
		sxy += dx * dy;
	}
	return sxy / sqrt(sxx * syy);
}

/* P(T <= q) for Kendall's T (concordant pairs) without ties: Mahonian counts */
static double
pkendall(double q, long n)
{
	long		maxk = n * (n - 1) / 2;
	double	   *c = aml_alloc_array((size_t) maxk + 1, sizeof(double));
	double	   *t = aml_alloc_array((size_t) maxk + 1, sizeof(double));
	double		total = 0;
	double		below = 0;

	if (c == NULL || t == NULL)
	{
		aml_free(c);
		aml_free(t);
		return NAN;
	}
	c[0] = 1;
	for (long m = 2; m <= n; m++)
	{
		long		top = m * (m - 1) / 2;
		double		run = 0;

		/* t[k] = sum_{j=0}^{m-1} c[k-j] */
		for (long k = 0; k <= top; k++)
		{
			run += c[k];
			if (k - m >= 0)
				run -= c[k - m];
			t[k] = run;
		}
		memcpy(c, t, sizeof(double) * (top + 1));
	}
	for (long k = 0; k <= maxk; k++)
	{
		total += c[k];
		if (k <= q)
			below += c[k];
	}
	aml_free(c);
	aml_free(t);
	return below / total;
}

AmlStatus
aml_cor_test_pearson(double cr, long n, double level, AmlTestResult *r, AmlError *err)
{
	double		df = n - 2;

	clear(r);
	r->n = n;
	if (n < 3)
		return aml_error(err, AML_ERR_INVALID_DATA, "not enough finite observations");
	r->estimate = cr;
	r->parameter = df;
	r->statistic = sqrt(df) * cr / sqrt(1 - cr * cr);
	r->p_value = 2 * aml_t_sf(fabs(r->statistic), df);
	if (n > 3)
	{
		double		z = atanh(cr);
		double		s = 1 / sqrt(n - 3.0);
		double		q = aml_norm_ppf(1 - (1 - level) / 2);

		r->conf_low = tanh(z - q * s);
		r->conf_high = tanh(z + q * s);
	}
	r->method = "Pearson's product-moment correlation";
	return AML_OK;
}

AmlStatus
aml_cor_test(const double *x, const double *y, long n, AmlCorMethod method, double level,
			 AmlTestResult *r, AmlError *err)
{
	if (method == AML_COR_PEARSON)
		return aml_cor_test_pearson(n >= 3 ? pearson(x, y, n) : NAN, n, level, r, err);
	clear(r);
	r->n = n;
	if (n < 2)
		return aml_error(err, AML_ERR_INVALID_DATA, "not enough finite observations");
	if (method == AML_COR_SPEARMAN)
	{
		double	   *rx = aml_alloc_array((size_t) n, sizeof(double));
		double	   *ry = aml_alloc_array((size_t) n, sizeof(double));
		RankItem   *items = aml_alloc_array((size_t) n, sizeof(RankItem));
		double		rho;
		double		nn = (double) n;
		bool		ties;

		if (rx == NULL || ry == NULL || items == NULL)
		{
			aml_free(rx);
			aml_free(ry);
			aml_free(items);
			return aml_error_nomem(err, "correlation");
		}
		ties = ranks(x, n, rx, items);
		ties = ranks(y, n, ry, items) || ties;
		rho = pearson(rx, ry, n);
		aml_free(rx);
		aml_free(ry);
		aml_free(items);
		r->estimate = rho;
		r->statistic = (nn * nn * nn - nn) * (1 - rho) / 6;
		if (!ties && n <= 1290)
		{
			/* R's default: AS 89 on S (exact below 10 pairs) */
			double		q = r->statistic;
			double		p = q > (nn * nn * nn - nn) / 6
				? aml_spearman_tail(round(q), n, false)
				: aml_spearman_tail(round(q) + 2, n, true);

			r->p_value = fmin(1.0, 2 * p);
		}
		else
		{
			/* ties or many pairs: t with n - 2 df, as R */
			double		t = rho / sqrt((1 - rho * rho) / (nn - 2));

			r->p_value = fmin(1.0, 2 * aml_t_sf(fabs(t), nn - 2));
		}
		r->method = "Spearman's rank correlation rho";
		return AML_OK;
	}
	else
	{
		/* Kendall's tau-b by counting pairs, O(n^2) */
		double		conc = 0,
					disc = 0,
					tx = 0,
					ty = 0;
		double		nn = (double) n;
		double		tau;
		bool		ties = false;
		RankItem   *items = aml_alloc_array((size_t) n, sizeof(RankItem));
		double		vt = 0,
					vu = 0,
					v1x = 0,
					v1y = 0,
					v2x = 0,
					v2y = 0,
					t1 = 0,
					t2 = 0;

		if (items == NULL)
			return aml_error_nomem(err, "correlation");
		for (long i = 0; i < n; i++)
		{
			if ((i & 255) == 0 && aml_interrupted())
			{
				aml_free(items);
				return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			}
			for (long j = i + 1; j < n; j++)
			{
				double		dx = x[i] - x[j];
				double		dy = y[i] - y[j];

				if (dx == 0)
					tx++;
				if (dy == 0)
					ty++;
				if (dx != 0 && dy != 0)
				{
					if ((dx > 0) == (dy > 0))
						conc++;
					else
						disc++;
				}
			}
		}
		tau = (conc - disc) / sqrt((nn * (nn - 1) / 2 - tx) * (nn * (nn - 1) / 2 - ty));
		r->estimate = tau;
		/* tie groups for the variance */
		for (int which = 0; which < 2; which++)
		{
			const double *v = which ? y : x;

			for (long i = 0; i < n; i++)
			{
				items[i].v = v[i];
				items[i].i = i;
			}
			qsort(items, n, sizeof(RankItem), cmp_item);
			for (long i = 0; i < n;)
			{
				long		j = i;
				double		t;

				while (j + 1 < n && items[j + 1].v == items[i].v)
					j++;
				t = (double) (j - i + 1);
				if (t > 1)
				{
					ties = true;
					if (which == 0)
					{
						vt += t * (t - 1) * (2 * t + 5);
						v1x += t * (t - 1);
						v2x += t * (t - 1) * (t - 2);
						t1 += t * (t - 1) / 2;
					}
					else
					{
						vu += t * (t - 1) * (2 * t + 5);
						v1y += t * (t - 1);
						v2y += t * (t - 1) * (t - 2);
						t2 += t * (t - 1) / 2;
					}
				}
				i = j + 1;
			}
		}
		aml_free(items);
		if (n < 50 && !ties)
		{
			/* exact: T = concordant pairs */
			double		q = round((tau + 1) * nn * (nn - 1) / 4);
			double		p;

			r->statistic = q;
			if (q > nn * (nn - 1) / 4)
				p = 1 - pkendall(q - 1, n);
			else
				p = pkendall(q, n);
			r->p_value = fmin(2 * p, 1.0);
		}
		else
		{
			double		t0 = nn * (nn - 1) / 2;
			double		s = tau * sqrt((t0 - t1) * (t0 - t2));
			double		v0 = nn * (nn - 1) * (2 * nn + 5);
			double		var_s = (v0 - vt - vu) / 18 + v1x * v1y / (2 * nn * (nn - 1)) +
				v2x * v2y / (9 * nn * (nn - 1) * (nn - 2));

			r->statistic = s / sqrt(var_s);
			r->p_value = 2 * aml_norm_sf(fabs(r->statistic));
		}
		r->method = "Kendall's rank correlation tau";
		return AML_OK;
	}
}
