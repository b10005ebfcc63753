/*
 * lm.h — linear models with R's inference: summary.lm's coefficient table
 * (broom::tidy(lm, conf.int = TRUE)), broom::glance(lm), and ANOVA tables
 * of type I (anova.lm: sequential sums of squares from the QR effects),
 * type II and type III (car::Anova: each term's sum of squares as the
 * increase of the residual sum of squares when its columns are dropped —
 * from the model without its higher-order relatives for type II, from the
 * full model for type III, which the caller builds with sum-to-zero
 * contrasts).
 *
 * Data come in as per-variable arrays of complete rows (numbers, or factor
 * level indexes) and a response array; the rows are folded into the
 * streaming QR of qr.h, so the model matrix is never held.
 */
#ifndef AML_STATS_LM_H
#define AML_STATS_LM_H

#include <stdbool.h>

#include "core/stats.h"
#include "core/status.h"
#include "stats/design.h"
#include "stats/qr.h"

typedef struct AmlLmData
{
	long		n;
	const double *const *x;		/* x[v][i]: variable v of row i */
	const double *y;			/* response */
	const double *w;			/* prior weights or NULL */
} AmlLmData;

typedef struct AmlLm
{
	const AmlDesign *design;
	double	   *raug;			/* (p+1) x (p+1) factor of [X y] */
	AmlLsFit   *fit;
	long		n;
	int			df_residual;
	double		sigma;
	double		y_mean;
	double		tss;			/* sum (y - mean)^2 */
	double		yss;			/* sum y^2 */
} AmlLm;

typedef struct AmlCoef
{
	double		estimate,
				std_error,
				statistic,
				p_value,
				conf_low,
				conf_high;
	bool		aliased;
} AmlCoef;

typedef struct AmlLmGlance
{
	double		r_squared,
				adj_r_squared,
				sigma,
				statistic,
				p_value,
				df,
				df_residual,
				nobs,
				log_lik,
				aic,
				bic,
				deviance;
} AmlLmGlance;

typedef struct AmlAnovaRow
{
	int			term;			/* index in the formula's terms; -1 intercept, -2 residuals */
	double		df,
				sum_sq,
				mean_sq,
				statistic,
				p_value;		/* NaN where R shows nothing */
} AmlAnovaRow;

/* Fit; errors: fewer rows than columns, no rows. */
AmlStatus	aml_lm_fit(const AmlDesign *design, const AmlLmData *data, AmlLm **out, AmlError *err);

/*
 * The two halves of aml_lm_fit, which a federation also uses (combine.h).
 * aml_lm_accumulate folds the rows into acc (p + 1 columns) as [design row,
 * y], weighted sqrt(w) when data->w is set, the response into *y (its
 * unweighted moments, as PostgreSQL's float8_accum) and *yss (sum y^2); with
 * nonzero (NULL: not counted) it adds per design column the rows where that
 * column is not 0.  Errors: out of memory, interrupted.
 * aml_lm_solve makes the model from the flushed factor raug ((p+1) x (p+1),
 * which it takes, also on error), the number of rows and the response's
 * moments and y'y; errors as aml_lm_fit's (y may be NULL when n < p).
 */
AmlStatus	aml_lm_accumulate(const AmlDesign *design, const AmlLmData *data, AmlQRAccum *acc,
							  AmlMoments *y, double *yss, long *nonzero, AmlError *err);
AmlStatus	aml_lm_solve(const AmlDesign *design, double *raug, long n, const AmlMoments *y,
						 double yss, AmlLm **out, AmlError *err);
void		aml_lm_free(AmlLm *lm);
/* coefs receives design->n_cols rows (level: 0.95). */
void		aml_lm_tidy(const AmlLm *lm, double level, AmlCoef *coefs);
void		aml_lm_glance(const AmlLm *lm, AmlLmGlance *g);
/*
 * ANOVA of type 1, 2 or 3: rows receives at most n_terms + 2 rows, *n_rows
 * is set.  Type 3 refuses models with aliased coefficients, as car does;
 * type 2 then compares models (df = the rank each term adds), as car does.
 */
AmlStatus	aml_lm_anova(const AmlLm *lm, int type, AmlAnovaRow *rows, int *n_rows, AmlError *err);

#endif
