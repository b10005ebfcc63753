/*
 * pfa_internal.h — what the PFA exporter's files share: pfa.c (expression
 * constructors, linear models, trees, the entry), pfa_steps.c (input record,
 * encoder and steps), pfa_models.c (gradient boosting, naive Bayes, k-NN,
 * k-means), pfa_calibrate.c and pfa_ensemble.c: the document builder and the
 * expression constructors.  Only these files include it.  The short names
 * are macros for prefixed symbols, so nothing else in the library can clash
 * with them.
 */
#ifndef AML_PFA_INTERNAL_H
#define AML_PFA_INTERNAL_H

#include <stdbool.h>
#include <json.h>

#include "core/status.h"
#include "ml/tree.h"

#define KIND_NUMERIC 0
#define KIND_BINARY 1
#define KIND_CATEGORICAL 2

typedef struct Column
{
	const char *name;
	int			kind;
	json_object *categories;	/* array of strings or NULL */
} Column;

typedef struct Builder
{
	json_object *doc;
	json_object *cells;
	json_object *fcns;
	json_object *action;
	int			n_inputs;
	Column	   *inputs;
	bool		classification;
	json_object *classes;
	int			width;			/* columns of the current stage */
	char		prefix[16];		/* variable prefix of the current stage */
	bool		proba;			/* a classifier's action ends with its class probabilities */
} Builder;

#define dbl aml_pfa_dbl
#define str_lit aml_pfa_str_lit
#define sym aml_pfa_sym
#define call1 aml_pfa_call1
#define call2 aml_pfa_call2
#define call3 aml_pfa_call3
#define if_expr aml_pfa_if_expr
#define cell_ref aml_pfa_cell_ref
#define array_type aml_pfa_array_type
#define add_cell aml_pfa_add_cell
#define finite_number aml_pfa_finite_number
#define fcn_ref aml_pfa_fcn_ref
#define label_of aml_pfa_label_of
#define set_output aml_pfa_set_output
#define tree_node_type aml_pfa_tree_node_type
#define tree_value aml_pfa_tree_value
#define add_test_function aml_pfa_add_test_function
#define leaf_type aml_pfa_leaf_type
#define read_tree aml_pfa_read_tree
#define get_doubles aml_pfa_get_doubles
#define classify aml_pfa_classify

/* {"double": v} */
json_object *dbl(double v);
/* {"string": s} */
json_object *str_lit(const char *s);
/* a symbol reference (a variable, or a dotted path into a record) */
json_object *sym(const char *name);
/* {op: a}, {op: [a, b]}, {op: [a, b, c]} */
json_object *call1(const char *op, json_object *a);
json_object *call2(const char *op, json_object *a, json_object *b);
json_object *call3(const char *op, json_object *a, json_object *b, json_object *c);
json_object *if_expr(json_object *cond, json_object *then, json_object *els);
json_object *cell_ref(const char *name);
/* {"type": "array", "items": items} */
json_object *array_type(json_object *items);
void		add_cell(Builder *b, const char *name, json_object *type, json_object *init);
/* a number for a cell: ±DBL_MAX for infinities (Avro JSON has none) */
json_object *finite_number(double v);
/* {"fcn": name} */
json_object *fcn_ref(const char *name);
/* classes[index] */
json_object *label_of(json_object *index);
/* output string (array<double> when b->proba) + cell classes for classification, else double */
void		set_output(Builder *b);
/*
 * The classifier's last expression: with b->proba its class probabilities
 * (proba, what the estimator's predict_row outputs), else the label of the
 * largest of scores (NULL: of proba).  Consumes both.
 */
void		classify(Builder *b, json_object *proba, json_object *scores);
/* the TreeNode record type with leaves of leaf_type (consumed) */
json_object *tree_node_type(json_object *leaf_type);
/* Avro JSON of the subtree at node i */
json_object *tree_value(const AmlTree *tree, uint32_t i, bool as_union, int depth);
/* fcns u.goesLeft(d: array<double>, t: TreeNode) -> boolean */
void		add_test_function(Builder *b);
json_object *leaf_type(const Builder *b);
AmlStatus	read_tree(json_object *obj, int p, int n_outputs, AmlTree *tree, AmlError *err);
AmlStatus	get_doubles(json_object *obj, const char *key, double **out, int *n, AmlError *err);

/*
 * pfa_steps.c: the input record (from the pipeline's schema) and the
 * let-bindings of the encoder and the steps, checked to give p columns, then
 * "let x = new array<double>" of them.  Sets b->classification, b->classes.
 */
AmlStatus	aml_pfa_input_stages(Builder *b, json_object *schema, json_object *encoder,
								 json_object *steps, int p, AmlError *err);

/* pfa_models.c: the estimator's part of the action, x being its input (array<double>). */
AmlStatus	aml_pfa_boosting_model(Builder *b, json_object *state, int p, AmlError *err);
AmlStatus	aml_pfa_naive_bayes_model(Builder *b, const char *type, json_object *state, int p,
									  AmlError *err);
AmlStatus	aml_pfa_knn_model(Builder *b, json_object *params, json_object *state, int p,
							  AmlError *err);
AmlStatus	aml_pfa_kmeans_model(Builder *b, json_object *state, int p, AmlError *err);

/*
 * pfa.c: one pipeline's document without its calibrator; with proba a
 * classifier's action ends with its class probabilities (output
 * array<double>, cell "classes" kept).
 */
AmlStatus	aml_pfa_pipeline_document(json_object *pipeline, const char *name, json_object *metadata,
									  bool proba, json_object **out, AmlError *err);

/*
 * pfa_calibrate.c: a classifier document whose action ends with its class
 * probabilities (proba mode) becomes the model's decision: the calibrator
 * (NULL: none) applied as calibration.c applies it, bound to "proba", then
 * the label (argmax, or the calibrator's threshold on two classes) as
 * aml_model_decide.  Output string.
 */
AmlStatus	aml_pfa_decide(json_object *doc, json_object *calibration, int n_classes, AmlError *err);
/* the pipeline's estimator outputs class probabilities (model.c's "probabilistic") */
bool		aml_pfa_probabilistic(json_object *pipeline);

/* pfa_ensemble.c: a model {"format": "automl-ensemble", "members": [...]}. */
AmlStatus	aml_pfa_from_ensemble(json_object *model, const char *name, json_object *metadata,
								  json_object **out, AmlError *err);

#endif
