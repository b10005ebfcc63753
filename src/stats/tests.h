/*
 * tests.h — classical tests as R computes them: t.test (one sample, two
 * samples Welch or pooled, paired), chisq.test on a contingency table
 * (Yates' correction on 2 x 2 tables, as R's default), cor.test (Pearson
 * with the Fisher-z interval; Spearman's p-value by AS 89 — exact below 10
 * pairs, Edgeworth series up to 1290 — without ties, else the t
 * approximation, as R's default; Kendall's tau-b, exact p-value for fewer
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

/*
 * Pearson's cor.test from the correlation cr of n pairs (what
 * aml_cor_test does after computing cr; the federation computes cr from
 * combined co-moments).
 */
AmlStatus	aml_cor_test_pearson(double cr, long n, double level, AmlTestResult *r, AmlError *err);

/* R's pRho(is, n, lower): P(S >= is), or P(S < is) when lower (AS 89) */
double		aml_spearman_tail(double is, long n, bool lower);

#endif
