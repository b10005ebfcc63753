/*
 * stats.h — descriptive statistics shared by the summary, scalers, imputers
 * and selectors.
 *
 * Moments follow the Youngs–Cramer updates that PostgreSQL's float8
 * aggregates use, so mean and sample standard deviation of a float8 column
 * equal avg() and stddev_samp() over the same rows in the same order.
 * Quantiles interpolate linearly between order statistics, like
 * percentile_cont().
 */
#ifndef AML_STATS_H
#define AML_STATS_H

#include <stdbool.h>

typedef struct AmlMoments
{
	double		n;				/* count of values seen */
	double		sum;			/* Sx */
	double		sxx;			/* sum of squared deviations from the mean */
} AmlMoments;

void		aml_moments_init(AmlMoments *m);
void		aml_moments_add(AmlMoments *m, double x);
double		aml_moments_mean(const AmlMoments *m);	/* NaN when empty */
/* sample variance (n - 1), NaN when n < 2 */
double		aml_moments_var_samp(const AmlMoments *m);
/* population variance (n), NaN when empty */
double		aml_moments_var_pop(const AmlMoments *m);

/*
 * Quickselect (median-of-three pivots): reorders v[0..n-1] so that v[k] is
 * its k-th smallest (0-based), smaller values before it, larger after; returns v[k].
 * NaN must have been removed.
 */
double		aml_select_kth(double *v, int n, int k);
/* numpy's median of v[0..n-1] (the mean of the two middle values for even n), reordering v; 0 when n == 0 */
double		aml_median_inplace(double *v, int n);

/* Sort ascending (NaN must have been removed). */
void		aml_sort_doubles(double *v, int n);
/* percentile_cont(p) of sorted v[0..n-1]; NaN when n == 0. */
double		aml_quantile_sorted(const double *sorted, int n, double p);
/*
 * Copy the non-NaN values of v[0..n-1] into out (which has room for n) and
 * sort them; returns how many there are.
 */
int			aml_sorted_finite(const double *v, int n, double *out);

#endif
