/*
 * leakage.h — finding input columns that carry the target (target leakage).
 *
 * A column leaks when it is, on the rows where it is known (at least 20),
 *  - classification, few distinct values (categorical, or a number with at
 *    most 2 x classes + 2 values, 5 rows per value on average): a mapping
 *    onto the classes that is right for at least 99.5 % of the rows while
 *    the most common class alone is right for less than 95 % (a recoding of
 *    the target: AD -> AD, CN -> CN, Other -> MCI);
 *  - classification, a continuous number: sorted by it, the rows' classes
 *    change no more often than the classes need plus 0.5 % of the rows (one
 *    threshold per class boundary separates them), and rows of equal values
 *    have the same class for 99.5 % of the rows;
 *  - regression, a number: correlation with the target of 0.999 or more in
 *    absolute value (a copy or an affine transform).
 * Tables of more than 20 000 rows are judged on a regular sample of them.
 * The thresholds are strict so that a strong real predictor (a mushroom's
 * odour predicts edibility for 98.5 % of them) is not taken for a leak.
 */
#ifndef AML_SEARCH_LEAKAGE_H
#define AML_SEARCH_LEAKAGE_H

#include "core/matrix.h"
#include "ml/encoder.h"

typedef struct AmlLeak
{
	int			input;			/* index into schema->inputs */
	char		reason[160];
} AmlLeak;

/* Writes at most max leaks to out; returns how many columns leak. */
int			aml_find_leaks(const AmlSchema *schema, const AmlMatrix *raw, const double *y,
						   int n_classes, AmlLeak *out, int max);

#endif
