/*
 * glm.h — generalised linear models by iteratively reweighted least squares,
 * step for step as R's glm.fit: the same starting values (binomial
 * mu = (y + 1/2) / 2, Poisson mu = y + 1/10), the same weighted least
 * squares (the streaming QR of qr.h with R's pivoting at tol 1e-11), the
 * same convergence test (|dev - dev_old| / (|dev| + 0.1) < 1e-8, at most 25
 * iterations) and the same clamping of the logit link at |eta| > 30.
 * Coefficient covariance: (R'R)^-1 of the last weighted fit, dispersion 1
 * (binomial, Poisson).  Intervals are Wald intervals, estimate +- z * se
 * (R's confint.default); R's confint() on a glm profiles the likelihood
 * instead, which differs.
 */
#ifndef AML_STATS_GLM_H
#define AML_STATS_GLM_H

#include "stats/lm.h"

typedef enum AmlGlmFamily
{
	AML_GLM_BINOMIAL,			/* logit link */
	AML_GLM_POISSON				/* log link */
} AmlGlmFamily;

typedef struct AmlGlm
{
	AmlLsFit   *fit;			/* the last weighted least squares */
	double	   *coef;			/* p, NaN when aliased */
	int			iterations;
	bool		converged;
	double		deviance;
	double		null_deviance;
	long		n;
} AmlGlm;

/* data->y: 0/1 (binomial) or counts (Poisson); data->w ignored. */
AmlStatus	aml_glm_fit(const AmlDesign *design, const AmlLmData *data, AmlGlmFamily family,
						AmlGlm **out, AmlError *err);
void		aml_glm_free(AmlGlm *g);
/*
 * The pieces of aml_glm_fit that a federated fit (src/federation/fed_glm.c)
 * runs split between nodes and a centre, so both run one code.
 */
#define AML_GLM_TOL 1e-11		/* pivoting tolerance: min(1e-7, epsilon / 1000) */
#define AML_GLM_EPSILON 1e-8	/* convergence on the relative change of deviance */
#define AML_GLM_MAXIT 25
/*
 * One row of an IRLS pass: from the design row (p values) and beta (NULL:
 * the first pass, from R's mustart), the row's deviance contribution, the
 * working response z and the row's multiplier w (sqrt of the working weight).
 */
void		aml_glm_row(AmlGlmFamily family, const double *row, int p, const double *beta, double y,
						double *dev, double *z, double *w);
/* glm.fit's test: |dev - devold| / (|dev| + 0.1) < epsilon */
bool		aml_glm_converged(double dev, double devold);
/*
 * Null deviance (intercept-only mean ybar = ysum / n) from n, the sum of y
 * and the sum of y log y over y > 0 (Poisson; unused for binomial 0/1).
 */
double		aml_glm_null_deviance(AmlGlmFamily family, double n, double ysum, double ylogy_sum);

/* z statistics, normal p-values, Wald intervals (level 0.95) */
void		aml_glm_tidy(const AmlGlm *g, double level, AmlCoef *coefs);

#endif
