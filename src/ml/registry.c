/*
 * registry.c — the list of every estimator and transformer type, and lookup
 * by name (used by JSON deserialisation, automl_fit and the search).
 */
#include "ml/estimator.h"
#include "ml/transformer.h"

#include <string.h>

/* every type, in the order listed to users */
static const AmlEstimatorType *const estimator_slots[] = {
	&aml_linear_regression_type,
	&aml_ridge_type,
	&aml_lasso_type,
	&aml_elastic_net_type,
	&aml_logistic_regression_type,
	&aml_linear_svm_type,
	&aml_gaussian_nb_type,
	&aml_bernoulli_nb_type,
	&aml_multinomial_nb_type,
	&aml_knn_type,
	&aml_decision_tree_type,
	&aml_random_forest_type,
	&aml_extra_trees_type,
	&aml_gradient_boosting_type,
	&aml_kmeans_type,
};

static const AmlTransformerType *const transformer_slots[] = {
	&aml_simple_imputer_type,
	&aml_standard_scaler_type,
	&aml_minmax_scaler_type,
	&aml_maxabs_scaler_type,
	&aml_robust_scaler_type,
	&aml_normalizer_type,
	&aml_binarizer_type,
	&aml_pca_type,
	&aml_polynomial_features_type,
	&aml_nystroem_type,
	&aml_variance_threshold_type,
	&aml_select_k_best_type,
	&aml_select_percentile_type,
	&aml_select_fwe_type,
};

#define N_EST ((int) (sizeof(estimator_slots) / sizeof(estimator_slots[0])))
#define N_TRA ((int) (sizeof(transformer_slots) / sizeof(transformer_slots[0])))

const AmlEstimatorType *
aml_estimator_type_find(const char *name)
{
	for (int i = 0; i < N_EST; i++)
		if (estimator_slots[i] != NULL && strcmp(estimator_slots[i]->name, name) == 0)
			return estimator_slots[i];
	return NULL;
}

const AmlTransformerType *
aml_transformer_type_find(const char *name)
{
	for (int i = 0; i < N_TRA; i++)
		if (transformer_slots[i] != NULL && strcmp(transformer_slots[i]->name, name) == 0)
			return transformer_slots[i];
	return NULL;
}

int
aml_estimator_type_count(void)
{
	return N_EST;
}

const AmlEstimatorType *
aml_estimator_type_at(int i)
{
	return (i >= 0 && i < N_EST) ? estimator_slots[i] : NULL;
}

int
aml_transformer_type_count(void)
{
	return N_TRA;
}

const AmlTransformerType *
aml_transformer_type_at(int i)
{
	return (i >= 0 && i < N_TRA) ? transformer_slots[i] : NULL;
}
