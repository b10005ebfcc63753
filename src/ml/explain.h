/*
 * explain.h — additive explanations of a model's output for one row, on the
 * model's original input columns.
 *
 * For a row x, an explanation gives, per explained output k, a base value
 * and one contribution per input column with
 *     output_k(x) = base_k + sum_j phi_k[j]          (to rounding, ~1e-12)
 * The explained output ("scale") depends on the model:
 *   trees, forests, extra trees   exact TreeSHAP (shap.h) of the model's own
 *                                 output: regression value or class
 *                                 probabilities; base = expected output over
 *                                 the training rows (node covers)
 *   gradient boosting             exact TreeSHAP of the raw margin: value,
 *                                 log-odds of the second class (binary), or
 *                                 per-class margin (before the softmax)
 *   linear models                 exact closed form phi_j = coef_j (z_j -
 *                                 mean z_j) on the model's inputs z: value,
 *                                 log-odds (logistic binary), decision
 *                                 function (SVM), or per-class logit; base =
 *                                 the output at the training means
 *   other families, ensembles     permutation sampling of the Shapley values
 *                                 of the model's output (probabilities or
 *                                 value) relative to one reference row (the
 *                                 training means, most frequent categories);
 *                                 exact enumeration when there are at most
 *                                 AML_EXPLAIN_EXACT_MAX inputs; base = the
 *                                 output at the reference.  Each sampled
 *                                 permutation is additive, so additivity is
 *                                 exact; the Shapley values have a sampling
 *                                 error that falls as 1/sqrt(samples).
 *   ensembles                     each member explained as above on the
 *                                 ensemble's scale (probabilities or values:
 *                                 tree members exactly, others by sampling),
 *                                 combined with the ensemble's weights
 * Contributions of the model inputs that come from one original column (the
 * one-hot columns of a categorical, a missing indicator) are summed into it;
 * a pipeline whose steps mix columns (PCA, polynomial features, row
 * normalisation) is explained by sampling on the original columns.
 *
 * What the explanations need from the training data (the estimator inputs'
 * means, the trees' node covers, the reference row) is an AmlExplainInfo
 * computed when the pipeline is fitted and stored with it.
 */
#ifndef AML_EXPLAIN_H
#define AML_EXPLAIN_H

#include <json.h>

#include "core/matrix.h"
#include "core/status.h"
#include "ml/model.h"
#include "ml/pipeline.h"

#define AML_EXPLAIN_EXACT_MAX 10

typedef struct AmlExplainInfo
{
	int			n_inputs;		/* estimator inputs */
	double	   *input_mean;		/* their training means (NaN ignored) */
	long		n_cover;		/* tree families: node covers, 0 otherwise */
	double	   *cover;
	int			n_raw;			/* pipeline inputs */
	double	   *reference;		/* mean, or most frequent category code; NaN if all missing */
} AmlExplainInfo;

/* From the raw training matrix and the design matrix the estimator was fitted on. */
AmlStatus	aml_explain_info_fit(const AmlPipeline *p, const AmlMatrix *raw, const AmlMatrix *X,
								 AmlExplainInfo **out, AmlError *err);
void		aml_explain_info_free(AmlExplainInfo *info);
json_object *aml_explain_info_to_json(const AmlExplainInfo *info);
AmlStatus	aml_explain_info_from_json(json_object *obj, AmlExplainInfo **out, AmlError *err);

typedef enum AmlExplainMethod
{
	AML_EXPLAIN_TREE = 0,
	AML_EXPLAIN_LINEAR,
	AML_EXPLAIN_SAMPLING,
	AML_EXPLAIN_ENSEMBLE
} AmlExplainMethod;

typedef struct AmlExplainer AmlExplainer;

/*
 * samples: permutations (antithetic pairs count as two) for the sampling
 * estimator; seed: its random stream (the same row gives the same numbers).
 */
AmlStatus	aml_explainer_create(const AmlModel *m, int samples, uint64_t seed,
								 AmlExplainer **out, AmlError *err);
void		aml_explainer_free(AmlExplainer *e);
AmlExplainMethod aml_explainer_method(const AmlExplainer *e);
const char *aml_explain_method_name(AmlExplainMethod m);
/* "value", "probability", "log-odds", "margin" */
const char *aml_explainer_scale(const AmlExplainer *e);
/* Explained outputs, and the class index of each (-1 for regression). */
int			aml_explainer_outputs(const AmlExplainer *e);
int			aml_explainer_output_class(const AmlExplainer *e, int k);
int			aml_explainer_inputs(const AmlExplainer *e);

/*
 * Explain raw row x (the model's inputs): phi (outputs x inputs, output k at
 * phi + k * inputs), base (outputs) and the explained output itself
 * (outputs).  Thread-unsafe: uses buffers of the explainer.
 */
AmlStatus	aml_explainer_explain(AmlExplainer *e, const double *x, double *phi, double *base,
								  double *output, AmlError *err);

/*
 * Global importance: adds, for rows rows[from..to) of raw (rows NULL: row
 * indices from..to), sum[j] += a_j and sumsq[j] += a_j^2 per input j, where
 * a_j = sum over the explained outputs of |phi_k[j]|.  Cut the rows in
 * chunks to time the first one; aml_importance_finish() then turns the sums
 * over n_rows rows into the mean (sum) and the standard deviation over the
 * rows (sumsq).
 */
AmlStatus	aml_explainer_importance_add(AmlExplainer *e, const AmlMatrix *raw, const int *rows,
										 int from, int to, double *sum, double *sumsq,
										 AmlError *err);
void		aml_importance_finish(int n_rows, int n_inputs, double *sum, double *sumsq);

#endif
