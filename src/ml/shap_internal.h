/*
 * shap_internal.h — helpers shared by the TreeSHAP files (shap_tree.c,
 * shap_fast.c); not part of the ML layer's interface.
 */
#ifndef AML_SHAP_INTERNAL_H
#define AML_SHAP_INTERNAL_H

#include <math.h>

#include "ml/shap.h"

/* Fraction of the weight of `parent` that goes to `child` when its feature is not known. */
static inline double
aml_shap_cover_fraction(const AmlShapTree *t, int parent, int child)
{
	double		c = t->cover[parent];

	return c > 0 ? t->cover[child] / c : 0.5;
}

/* The child of internal node i that x goes to (NaN: the node's missing side). */
static inline int
aml_shap_hot_child(const AmlShapTree *t, int i, const double *x)
{
	double		v = x[t->feature[i]];

	if (isnan(v))
		return t->missing_left[i] ? t->left[i] : t->right[i];
	return v <= t->threshold[i] ? t->left[i] : t->right[i];
}

/* Doubles of workspace the recursive reference (shap_tree.c) needs for trees of this depth. */
long		aml_shap_path_workspace(int depth);

/* Frees the prepared form (shap_fast.c); NULL is fine. */
void		aml_shap_fast_free(struct AmlShapFast *fast);

#endif
