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
/* z statistics, normal p-values, Wald intervals (level 0.95) */
void		aml_glm_tidy(const AmlGlm *g, double level, AmlCoef *coefs);

#endif
