/*
 * formula.h — R's model formula language: `y ~ a + b`, `y ~ a * b`,
 * `y ~ a:b`, `y ~ (a + b + c)^2`, `y ~ a / b`, `y ~ . - c`, `y ~ a - 1`,
 * `y ~ 0 + a`, `y ~ 1`.
 *
 * The right-hand side is expanded as R's terms.formula() does: a*b is
 * a + b + a:b, a/b is a + a:b, (..)^n all interactions up to order n, `-`
 * removes terms (and `- 1` the intercept, as does `+ 0`), `.` stands for
 * every column of the relation but the response.  Terms are then ordered by
 * their order (main effects, two-way interactions, ...), keeping the order of
 * appearance within an order; a term's variables are kept in the order they
 * first appear in the formula, which is how R names it (`b:a` when b came
 * first).  Variables are plain names, backquoted when they are not
 * syntactic (`odd name`); function calls (log(x), I(x^2)) are not supported.
 *
 * Errors: AML_ERR_INVALID_PARAMETER with *error_pos the 1-based character
 * position of the problem (0 when none applies), e.g. "syntax error in
 * formula" / "unexpected ')'".
 */
#ifndef AML_STATS_FORMULA_H
#define AML_STATS_FORMULA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

#define AML_FORMULA_MAX_VARS 64

typedef uint64_t AmlTermSet;	/* bit i: variable i */

typedef struct AmlFormula
{
	char	   *response;		/* NULL for a one-sided formula (~ a + b) */
	int			n_vars;
	char	  **vars;			/* right-hand-side variables, first appearance order */
	int			n_terms;
	AmlTermSet *terms;			/* ordered as R orders them */
	bool		intercept;
} AmlFormula;

/*
 * Parse text.  columns (n_columns names) are the relation's columns, used to
 * expand `.`; they may be NULL when the formula has no dot.
 */
AmlStatus	aml_formula_parse(const char *text, const char *const *columns, int n_columns,
							  AmlFormula **out, int *error_pos, AmlError *err);
void		aml_formula_free(AmlFormula *f);
/* Number of variables in a term. */
int			aml_term_order(AmlTermSet t);
/* R's label of term t ("a", "a:b"), written into buf. */
void		aml_term_label(const AmlFormula *f, AmlTermSet t, char *buf, int buflen);
/* Index of a right-hand-side variable, or -1. */
int			aml_formula_find_var(const AmlFormula *f, const char *name);

#endif
