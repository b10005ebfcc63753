/*
 * transformer.h — the interface of preprocessing steps (imputers, scalers,
 * selectors, PCA, polynomial features ...).
 *
 * A transformer maps a numeric matrix with n_in columns to one with n_out
 * columns (NaN = missing).  Supervised ones (feature selectors) also see the
 * target y, with the same conventions as estimators (estimator.h).  Each has
 * a per-row path (transform_row: the predict hot path, no allocation) and an
 * optional batch path (transform) that must give the same numbers; without
 * it, aml_transformer_transform() runs transform_row over the rows.
 *
 * Categorical inputs are encoded before any transformer runs (encoder.h), so
 * transformers only see numbers.
 *
 * Adding one: write its file, define a const AmlTransformerType, declare it
 * below and list it in registry.c.
 */
#ifndef AML_TRANSFORMER_H
#define AML_TRANSFORMER_H

#include <stdbool.h>
#include <json.h>

#include "core/matrix.h"
#include "core/random.h"
#include "core/status.h"
#include "ml/estimator.h"
#include "ml/params.h"

typedef struct AmlTransformer AmlTransformer;

typedef enum AmlTransformerRole
{
	AML_ROLE_IMPUTER,			/* fills missing values */
	AML_ROLE_SCALER,			/* rescales columns or rows */
	AML_ROLE_SELECTOR,			/* keeps a subset of columns */
	AML_ROLE_FEATURES			/* builds new features (PCA, polynomial, binarizer) */
} AmlTransformerRole;

typedef struct AmlTransformerType
{
	const char *name;			/* e.g. "standard_scaler" */
	const char *label;			/* in words, e.g. "standard scaling" */
	AmlTransformerRole role;
	AmlParamTable params;
	bool		supervised;		/* fit uses y */
	bool		accepts_missing;	/* may be given NaN (imputers); others get imputed input */

	/* Learn from X (and y); set t->state and t->n_out. */
	AmlStatus	(*fit) (AmlTransformer *t, const AmlMatrix *X, const double *y,
						AmlRng *rng, AmlError *err);
	/* One row in[0..n_in-1] -> out[0..n_out-1].  No allocation. */
	void		(*transform_row) (const AmlTransformer *t, const double *in, double *out);
	/* Optional: whole matrix -> new matrix (X->rows x n_out). */
	AmlStatus	(*transform) (const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out,
							  AmlError *err);
	json_object *(*state_to_json) (const AmlTransformer *t);
	AmlStatus	(*state_from_json) (AmlTransformer *t, json_object *state, AmlError *err);
	void		(*free_state) (AmlTransformer *t);
	/* Optional: for output column j, the input column it comes from, or -1 (a mix). */
	int			(*source_column) (const AmlTransformer *t, int j);
	/*
	 * Optional: true when, for finite inputs, the fitted map is affine
	 * (out = A in + c): scalers, imputers, selectors, PCA.  NULL = not affine.
	 */
	bool		(*affine) (const AmlTransformer *t);
	/*
	 * Optional: the columns fit makes from n_in columns and `rows` rows
	 * (NULL: n_in); the search's memory estimates read it.
	 */
	double		(*out_width) (const AmlTransformer *t, double n_in, double rows);
} AmlTransformerType;

/* An `affine` callback for transformers that always are. */
bool		aml_transformer_always_affine(const AmlTransformer *t);

struct AmlTransformer
{
	const AmlTransformerType *type;
	AmlTask		task;			/* for supervised selectors */
	int			n_classes;
	int			n_in;
	int			n_out;			/* set by fit */
	void	   *params;
	void	   *state;
};

AmlStatus	aml_transformer_create(const AmlTransformerType *type, AmlTask task, int n_classes,
								   json_object *params, AmlTransformer **out, AmlError *err);
void		aml_transformer_free(AmlTransformer *t);
AmlStatus	aml_transformer_fit(AmlTransformer *t, const AmlMatrix *X, const double *y,
								AmlRng *rng, AmlError *err);
AmlStatus	aml_transformer_transform(const AmlTransformer *t, const AmlMatrix *X,
									  AmlMatrix **out, AmlError *err);
/* fit, then transform the same X */
AmlStatus	aml_transformer_fit_transform(AmlTransformer *t, const AmlMatrix *X, const double *y,
										  AmlRng *rng, AmlMatrix **out, AmlError *err);
json_object *aml_transformer_to_json(const AmlTransformer *t);
AmlStatus	aml_transformer_from_json(json_object *obj, AmlTransformer **out, AmlError *err);

const AmlTransformerType *aml_transformer_type_find(const char *name);
int			aml_transformer_type_count(void);
const AmlTransformerType *aml_transformer_type_at(int i);

/* imputer.c */
extern const AmlTransformerType aml_simple_imputer_type;	/* mean/median/most_frequent (+indicators) */
/* scalers.c */
extern const AmlTransformerType aml_standard_scaler_type;
extern const AmlTransformerType aml_minmax_scaler_type;
extern const AmlTransformerType aml_maxabs_scaler_type;
extern const AmlTransformerType aml_robust_scaler_type;
extern const AmlTransformerType aml_normalizer_type;
extern const AmlTransformerType aml_binarizer_type;
/* pca.c */
extern const AmlTransformerType aml_pca_type;
/* nystroem.c */
extern const AmlTransformerType aml_nystroem_type;
/* polynomial.c */
extern const AmlTransformerType aml_polynomial_features_type;
/* feature_selection.c */
extern const AmlTransformerType aml_variance_threshold_type;
extern const AmlTransformerType aml_select_k_best_type;
extern const AmlTransformerType aml_select_percentile_type;
extern const AmlTransformerType aml_select_fwe_type;

#endif
