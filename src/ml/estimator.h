/*
 * estimator.h — the interface every model family implements.
 *
 * An estimator learns from a numeric design matrix X (n x p, column-major,
 * see core/matrix.h) and a target y (n doubles):
 *   regression      y[i] is the value
 *   clustering      y is not used (callers pass zeros);
 *   classification  y[i] is the class index 0 .. n_classes-1 (as a double);
 *                   a class may have no rows in a training subset (a CV fold)
 *                   and the estimator must still work (e.g. probability 0).
 * X contains NaN only if the type says handles_missing; the pipeline imputes
 * for the others.
 *
 * Prediction writes, per row, `aml_estimator_outputs(est)` doubles:
 *   regression      1 value
 *   clustering      1 value: the cluster index 0 .. n_clusters-1
 *   classification  n_classes scores whose argmax is the predicted class;
 *                   probabilities summing to 1 when type->probabilistic.
 * predict_row is the hot path of SQL automl_predict (one row at a time, no
 * allocation); predict_batch, when provided, is used for many rows (CV, batch
 * scoring) and must give the same numbers.
 *
 * The fitted state is (de)serialised to JSON with every fitted parameter
 * written exactly (core/json.h), so a reloaded model predicts identically.
 *
 * Adding a family: write src/ml/<family>.c defining a const AmlEstimatorType,
 * declare it below, and list it in registry.c.
 */
#ifndef AML_ESTIMATOR_H
#define AML_ESTIMATOR_H

#include <stdbool.h>
#include <json.h>

#include "core/matrix.h"
#include "core/random.h"
#include "core/status.h"
#include "ml/params.h"

typedef enum AmlTask
{
	AML_TASK_REGRESSION = 1,
	AML_TASK_CLASSIFICATION = 2,
	AML_TASK_CLUSTERING = 4		/* no target: y is ignored (zeros) */
} AmlTask;

const char *aml_task_name(AmlTask task);
bool		aml_task_parse(const char *name, AmlTask *task);

typedef struct AmlEstimator AmlEstimator;

/*
 * How a linear model's outputs depend on its inputs, so that a pipeline of
 * affine steps and a linear model folds into one affine map for the per-row
 * hot path (pipeline.c): outputs = W x + b (identity), or softmax(W x + b).
 */
typedef enum AmlFoldLink
{
	AML_FOLD_NONE = 0,			/* not linear */
	AML_FOLD_IDENTITY,
	AML_FOLD_SOFTMAX
} AmlFoldLink;

/*
 * How a type's fitted model is made of trees, known before it is fitted
 * (explanations are exact TreeSHAP for these; the search estimates their
 * cost from it).
 */
typedef enum AmlTreeForm
{
	AML_TREES_NONE = 0,			/* no trees */
	AML_TREES_AVERAGED,			/* one tree, or a forest averaging its trees' outputs */
	AML_TREES_BOOSTED			/* gradient boosting: a sum of trees on the raw margin */
} AmlTreeForm;

typedef struct AmlEstimatorType
{
	const char *name;			/* SQL name, e.g. "random_forest" */
	const char *label;			/* in words, e.g. "random forest" */
	unsigned	tasks;			/* bitmask of AmlTask values supported */
	AmlParamTable params;
	bool		handles_missing;	/* accepts NaN in X */
	bool		needs_scaling;	/* default preprocessing standardises X */
	bool		needs_nonnegative;	/* X must be >= 0 (multinomial NB) */
	bool		probabilistic;	/* classification outputs are probabilities */

	/* Learn from X, y.  est->task, n_classes, params are set; set est->state. */
	AmlStatus	(*fit) (AmlEstimator *est, const AmlMatrix *X, const double *y,
						AmlRng *rng, AmlError *err);
	/* One row x[0..n_features-1] -> out[0..outputs-1].  No allocation. */
	void		(*predict_row) (const AmlEstimator *est, const double *x, double *out);
	/* Optional: all rows of X -> out (X->rows x outputs, preallocated). */
	AmlStatus	(*predict_batch) (const AmlEstimator *est, const AmlMatrix *X,
								  AmlMatrix *out, AmlError *err);
	json_object *(*state_to_json) (const AmlEstimator *est);
	AmlStatus	(*state_from_json) (AmlEstimator *est, json_object *state, AmlError *err);
	void		(*free_state) (AmlEstimator *est);
	/* Optional: importance of each input feature (>= 0), n_features values. */
	AmlStatus	(*importances) (const AmlEstimator *est, double *out, AmlError *err);
	/* Linear models: how outputs depend on inputs (AML_FOLD_NONE otherwise). */
	AmlFoldLink fold_link;
	/* Tree models: which kind (AML_TREES_NONE otherwise). */
	AmlTreeForm trees;
	/*
	 * Optional: rough peak bytes that fitting est (params set, not fitted) on
	 * rows x cols needs beyond its input, model included (the search skips
	 * candidates that cannot fit in the memory budget).  NULL: negligible.
	 */
	double		(*fit_bytes) (const AmlEstimator *est, int rows, int cols);
	/*
	 * Optional: rough size of the fitted state as JSON text (storing a model
	 * costs time in proportion; trees are large).  NULL: negligible.
	 */
	double		(*state_bytes) (const AmlEstimator *est);
} AmlEstimatorType;

struct AmlEstimator
{
	const AmlEstimatorType *type;
	AmlTask		task;
	int			n_features;		/* columns of X at fit time */
	int			n_classes;		/* classification: number of classes; regression: 0 */
	void	   *params;			/* type->params.size bytes */
	void	   *state;			/* fitted state, NULL before fit */
};

/* Create an unfitted estimator with default hyperparameters, then set them from JSON. */
AmlStatus	aml_estimator_create(const AmlEstimatorType *type, AmlTask task, int n_classes,
								 json_object *params, AmlEstimator **out, AmlError *err);
void		aml_estimator_free(AmlEstimator *est);
/* Checks shapes, finiteness (unless handles_missing) and targets, then calls type->fit. */
AmlStatus	aml_estimator_fit(AmlEstimator *est, const AmlMatrix *X, const double *y,
							  AmlRng *rng, AmlError *err);
int			aml_estimator_outputs(const AmlEstimator *est);
/* out: X->rows x outputs; uses predict_batch when present, else predict_row per row. */
AmlStatus	aml_estimator_predict(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out,
								  AmlError *err);
/* {"type": name, "task": ..., "n_features", "n_classes", "params": {...}, "state": {...}} */
json_object *aml_estimator_to_json(const AmlEstimator *est);
AmlStatus	aml_estimator_from_json(json_object *obj, AmlEstimator **out, AmlError *err);
/* Index of the largest of scores[0..k-1] (first on ties). */
int			aml_argmax(const double *scores, int k);

/* The registry: every estimator type, and lookup by SQL name. */
const AmlEstimatorType *aml_estimator_type_find(const char *name);
/* Iterate: for (i = 0; i < aml_estimator_type_count(); i++) aml_estimator_type_at(i) (may be NULL). */
int			aml_estimator_type_count(void);
const AmlEstimatorType *aml_estimator_type_at(int i);

/* Families (each defined in its own file). */
extern const AmlEstimatorType aml_linear_regression_type;	/* linear_regression.c */
extern const AmlEstimatorType aml_ridge_type;	/* linear_regression.c */
extern const AmlEstimatorType aml_lasso_type;	/* coordinate_descent.c */
extern const AmlEstimatorType aml_elastic_net_type;	/* coordinate_descent.c */
extern const AmlEstimatorType aml_logistic_regression_type;	/* logistic_regression.c */
extern const AmlEstimatorType aml_linear_svm_type;	/* linear_svm.c */
extern const AmlEstimatorType aml_gaussian_nb_type; /* naive_bayes.c */
extern const AmlEstimatorType aml_bernoulli_nb_type;	/* naive_bayes.c */
extern const AmlEstimatorType aml_multinomial_nb_type;	/* naive_bayes.c */
extern const AmlEstimatorType aml_knn_type; /* knn.c */
extern const AmlEstimatorType aml_decision_tree_type;	/* decision_tree.c */
extern const AmlEstimatorType aml_random_forest_type;	/* forest.c */
extern const AmlEstimatorType aml_extra_trees_type; /* forest.c */
extern const AmlEstimatorType aml_gradient_boosting_type;	/* gradient_boosting.c */
extern const AmlEstimatorType aml_kmeans_type;	/* kmeans.c */

#endif
