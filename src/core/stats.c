/*
 * stats.c — moments and quantiles (see stats.h).
 */
#include "core/stats.h"

#include <math.h>
#include <stdlib.h>

void
aml_moments_init(AmlMoments *m)
{
	m->n = 0;
	m->sum = 0;
	m->sxx = 0;
}

void
aml_moments_add(AmlMoments *m, double x)
{
	double		n = m->n + 1.0;
	double		sum = m->sum + x;

	/* Youngs & Cramer: update Sxx from the change in the running sum */
	if (m->n > 0)
	{
		double		tmp = x * n - sum;

		m->sxx += tmp * tmp / (n * m->n);
		if (isinf(sum) || isinf(m->sxx))
			m->sxx = NAN;
	}
	else if (isnan(x) || isinf(x))
		m->sxx = NAN;
	m->n = n;
	m->sum = sum;
}

double
aml_moments_mean(const AmlMoments *m)
{
	return m->n > 0 ? m->sum / m->n : NAN;
}

double
aml_moments_var_samp(const AmlMoments *m)
{
	return m->n > 1 ? m->sxx / (m->n - 1.0) : NAN;
}

double
aml_moments_var_pop(const AmlMoments *m)
{
	return m->n > 0 ? m->sxx / m->n : NAN;
}

static int
compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

void
aml_sort_doubles(double *v, int n)
{
	qsort(v, (size_t) n, sizeof(double), compare_doubles);
}

double
aml_quantile_sorted(const double *sorted, int n, double p)
{
	double		pos;
	int			lo;
	double		frac;

	if (n <= 0)
		return NAN;
	pos = p * (n - 1);
	lo = (int) floor(pos);
	if (lo >= n - 1)
		return sorted[n - 1];
	frac = pos - lo;
	if (frac == 0)
		return sorted[lo];
	/* same interpolation formula as PostgreSQL's percentile_cont */
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

int
aml_sorted_finite(const double *v, int n, double *out)
{
	int			k = 0;

	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
			out[k++] = v[i];
	aml_sort_doubles(out, k);
	return k;
}

double
aml_select_kth(double *v, int n, int k)
{
	int			lo = 0;
	int			hi = n - 1;

	while (hi > lo)
	{
		int			mid = lo + (hi - lo) / 2;
		double		pivot;
		double		t;
		int			i;
		int			j;

		/* order v[lo], v[mid], v[hi]; the middle one is the pivot */
		if (v[mid] < v[lo])
		{
			t = v[mid];
			v[mid] = v[lo];
			v[lo] = t;
		}
		if (v[hi] < v[lo])
		{
			t = v[hi];
			v[hi] = v[lo];
			v[lo] = t;
		}
		if (v[hi] < v[mid])
		{
			t = v[hi];
			v[hi] = v[mid];
			v[mid] = t;
		}
		pivot = v[mid];
		i = lo;
		j = hi;
		while (i <= j)
		{
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
			{
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

double
aml_median_inplace(double *v, int n)
{
	int			h = n / 2;
	double		hi;
	double		lo;

	if (n <= 0)
		return 0;
	hi = aml_select_kth(v, n, h);
	if (n % 2 == 1)
		return hi;
	/* the lower middle value is the largest of those before v[h] */
	lo = v[0];
	for (int i = 1; i < h; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2.0;
}
