/*
 * design.h — R's model matrix for a formula (model.matrix()).
 *
 * Variables are numeric or factors.  A factor's levels are given sorted the
 * way R sorts them (the SQL glue sorts strings in byte order, i.e. R in the
 * C locale; a boolean is the factor FALSE < TRUE).  Columns, in order:
 * "(Intercept)" when the formula has one, then each term's columns, the
 * product of its variables' codings with the first variable varying
 * fastest, named as R names them ("genderM", "x", "a2:b3", "x:genderM").
 *
 * A factor in a term is coded by contrasts when the term without that
 * factor is empty or contained in an earlier term, otherwise by one column
 * per level (R's TermCode); in a model without intercept the first factor
 * of the first term that has one gets one column per level.  Contrasts are
 * treatment (first level the baseline, R's default) or sum-to-zero
 * (contr.sum, for type III ANOVA).
 */
#ifndef AML_STATS_DESIGN_H
#define AML_STATS_DESIGN_H

#include <stdbool.h>

#include "core/status.h"
#include "stats/formula.h"

typedef enum AmlContrast
{
	AML_CONTRAST_TREATMENT,
	AML_CONTRAST_SUM
} AmlContrast;

typedef struct AmlDesignVar
{
	bool		factor;
	int			n_levels;		/* factors: >= 2 */
	const char *const *levels;	/* factors: level labels, in order */
} AmlDesignVar;

typedef struct AmlDesign
{
	const AmlFormula *formula;
	const AmlDesignVar *vars;	/* formula->n_vars entries */
	AmlContrast contrast;
	int			n_cols;
	char	  **names;			/* column names */
	int		   *assign;			/* column -> term index + 1 (0: intercept), as R's assign */
	int		   *term_cols;		/* per term: number of columns */
	unsigned char *coding;		/* n_terms x n_vars: 0 absent, 1 contrasts, 2 one per level */
} AmlDesign;

AmlStatus	aml_design_build(const AmlFormula *f, const AmlDesignVar *vars, AmlContrast contrast,
							 AmlDesign **out, AmlError *err);
void		aml_design_free(AmlDesign *d);
/*
 * One row of the model matrix: x[v] is variable v's value (numbers) or level
 * index 0 .. n_levels-1 (factors); row receives n_cols values.
 */
void		aml_design_row(const AmlDesign *d, const double *x, double *row);

#endif
