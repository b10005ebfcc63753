/*
 * tests.h — classical tests as R computes them: t.test (one sample, two
 * samples Welch or pooled, paired), chisq.test on a contingency table
 * (Yates' correction on 2 x 2 tables, as R's default), cor.test (Pearson
 * with the Fisher-z interval; Spearman with the t approximation, i.e.
 * cor.test(..., exact = FALSE); Kendall's tau-b, exact p-value for fewer
 * than 50 pairs without ties, else the normal approximation with R's
 * tie-corrected variance and no continuity correction).
 */
#ifndef AML_STATS_TESTS_H
#define AML_STATS_TESTS_H

#include <stdbool.h>

#include "core/status.h"

typedef struct AmlTestResult
{
	double		estimate,
				estimate1,
				estimate2,
				statistic,
				p_value,
				parameter,
				conf_low,
				conf_high;
	long		n;
	const char *method;
} AmlTestResult;

/* one sample (y = NULL) or paired differences x[i] - y[i] */
void		aml_t_test_one(const double *x, const double *y, long n, double mu, double level,
						   AmlTestResult *r);
void		aml_t_test_two(const double *x, long nx, const double *y, long ny, bool var_equal,
						   double mu, double level, AmlTestResult *r);
/* counts: r x c table, row-major */
void		aml_chisq_test(const double *counts, int rows, int cols, AmlTestResult *r);

typedef enum AmlCorMethod
{
	AML_COR_PEARSON,
	AML_COR_SPEARMAN,
	AML_COR_KENDALL
} AmlCorMethod;

/* pairs (x[i], y[i]) with both finite; work: scratch of 4 n doubles */
AmlStatus	aml_cor_test(const double *x, const double *y, long n, AmlCorMethod method,
						 double level, AmlTestResult *r, AmlError *err);

#endif
