/*
 * pfa.h — a fitted pipeline as a PFA document (Portable Format for
 * Analytics 0.8.1), the format Woken stores predictive models in.
 *
 * The document takes one record with a field per input column (numeric as
 * ["null","double"], categorical as ["null","string"], binary as
 * ["null","boolean"]; null = missing) and returns the prediction: a double
 * for regression, the class label (string) for classification, the cluster
 * number (int) for clustering.  The encoder, imputers and affine scalers
 * become let-bindings of doubles, the model one of PFA's library functions
 * with its fitted numbers in cells:
 *   linear models        model.reg.linear (+ m.link.logit / argmax of scores)
 *   decision trees       model.tree.simpleWalk over a TreeNode cell
 *   random/extra forests a.map of simpleWalk over the trees, mean / argmax of sums
 *   gradient boosting    a.fold of simpleWalk over each output's trees from its
 *                        baseline, then m.link.logit / m.link.softmax, argmax
 *   naive Bayes          model.naive.gaussian (Gaussian); model.reg.linear with
 *                        the log-probability weights (Bernoulli, multinomial)
 *   k-NN                 model.neighbor.nearestK over the training rows, vote / mean
 *   k-means              model.cluster.closest; the output is the cluster number (int)
 *   ensembles (search)   each regressor member in its own namespace, weighted sum
 * (pfa_models.c holds gradient boosting to k-means, pfa_ensemble.c ensembles.)
 * What PFA cannot express with these (other steps, other families,
 * ensembles of classifiers, calibrated classifiers) is an
 * AML_ERR_INVALID_PARAMETER error naming it.  pipeline may also be a model
 * {"format": "automl-ensemble"} (model.h).
 */
#ifndef AML_PFA_H
#define AML_PFA_H

#include <json.h>

#include "core/status.h"

/* the estimator types (automl.models.algorithm) a document can express */
#define AML_PFA_FAMILIES "linear_regression, ridge, lasso, elastic_net, logistic_regression, linear_svm, " \
	"decision_tree, random_forest, extra_trees, gradient_boosting, gaussian_nb, bernoulli_nb, multinomial_nb, " \
	"knn, kmeans"

/*
 * pipeline: a stored pipeline (aml_pipeline_to_json); name: the document's
 * name; metadata: optional object of strings copied into "metadata".
 */
AmlStatus	aml_pfa_from_pipeline(json_object *pipeline, const char *name, json_object *metadata,
								  json_object **out, AmlError *err);

#endif
