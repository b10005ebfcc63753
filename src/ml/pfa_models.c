/*
 * pfa_models.c — the estimator part of a PFA document (pfa_internal.h) for
 * gradient boosting, naive Bayes, k-nearest neighbours and k-means.  x is
 * the estimator's input (array<double>); each function appends the rest of
 * the action and sets "output".
 *
 *   gradient_boosting  cell "boosting": per output its baseline and its trees
 *                      (TreeNode, as trees and forests); raw output = a.fold
 *                      of model.tree.simpleWalk over the trees from the
 *                      baseline, in training order, as the model adds them;
 *                      then m.link.logit ([1 - p, p]) or m.link.softmax and
 *                      argmax, as its predict_proba
 *   gaussian_nb        cell "nb": per class log prior + [{mean, variance}];
 *                      log prior + model.naive.gaussian, argmax
 *   bernoulli_nb,      the joint log-likelihood is linear in the (binarised)
 *   multinomial_nb     features: model.reg.linear with the weights and biases
 *                      the model derives (w = log p - log(1 - p) and
 *                      bias = log prior + sum log(1 - p) for Bernoulli)
 *   knn                cell "codebook" of {x, y}: model.neighbor.nearestK
 *                      (squared Euclidean or taxicab via metric.*), then the
 *                      vote (uniform or 1/distance, exact matches taking all
 *                      the weight) or the (weighted) mean, as knn.c
 *   kmeans             cell "clusters" of {id, center}: model.cluster.closest
 *                      with the squared Euclidean distance; output the id (int)
 * A class without training rows has log prior -inf, written -DBL_MAX.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/matrix.h"
#include "core/memory.h"
#include "ml/pfa_internal.h"

/* ---------------------------------------------------------------- helpers */

/* {"name": name, "type": type} */
static json_object *
field_of(const char *name, json_object *type)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "name", json_object_new_string(name));
	json_object_object_add(f, "type", type);
	return f;
}

/* a record type with n fields given as name, type pairs (types consumed) */
static json_object *
record_type(const char *name, int n, const char *const *names, json_object **types)
{
	json_object *t = json_object_new_object();
	json_object *fields = json_object_new_array();

	json_object_object_add(t, "type", json_object_new_string("record"));
	json_object_object_add(t, "name", json_object_new_string(name));
	for (int i = 0; i < n; i++)
		json_object_array_add(fields, field_of(names[i], types[i]));
	json_object_object_add(t, "fields", fields);
	return t;
}

static json_object *
type_name(const char *name)
{
	return json_object_new_string(name);
}

static json_object *
doubles_type(void)
{
	return array_type(type_name("double"));
}

/* an inline function: params (name, type) pairs, its return type, one expression */
static json_object *
fcn_def(int n, const char *const *names, json_object **types, json_object *ret, json_object *body)
{
	json_object *f = json_object_new_object();
	json_object *params = json_object_new_array();
	json_object *b = json_object_new_array();

	for (int i = 0; i < n; i++)
	{
		json_object *p = json_object_new_object();

		json_object_object_add(p, names[i], types[i]);
		json_object_array_add(params, p);
	}
	json_object_object_add(f, "params", params);
	json_object_object_add(f, "ret", ret);
	json_object_array_add(b, body);
	json_object_object_add(f, "do", b);
	return f;
}

static json_object *
fcn1(const char *a, json_object *ta, json_object *ret, json_object *body)
{
	const char *names[1] = {a};
	json_object *types[1] = {ta};

	return fcn_def(1, names, types, ret, body);
}

static json_object *
fcn2(const char *a, json_object *ta, const char *b, json_object *tb, json_object *ret, json_object *body)
{
	const char *names[2] = {a, b};
	json_object *types[2] = {ta, tb};

	return fcn_def(2, names, types, ret, body);
}

/* {"let": {name: e}} appended to the action */
static void
let1(Builder *b, const char *name, json_object *e)
{
	json_object *st = json_object_new_object();
	json_object *l = json_object_new_object();

	json_object_object_add(l, name, e);
	json_object_object_add(st, "let", l);
	json_object_array_add(b->action, st);
}

/* {"new": items, "type": array<double>} */
static json_object *
new_doubles(json_object *items)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "new", items);
	json_object_object_add(o, "type", doubles_type());
	return o;
}

/* {"attr": expr, "path": [index]} */
static json_object *
index_of(json_object *expr, int index)
{
	json_object *o = json_object_new_object();
	json_object *path = json_object_new_array();

	json_object_object_add(o, "attr", expr);
	json_object_array_add(path, json_object_new_int(index));
	json_object_object_add(o, "path", path);
	return o;
}

/* fcns u.add(a: double, b: double) -> double, the step of the sums (a.fold from 0.0) */
static void
add_sum_function(Builder *b)
{
	const char *names[2] = {"a", "b"};
	json_object *types[2] = {type_name("double"), type_name("double")};
	json_object *f = fcn_def(2, names, types, type_name("double"), call2("+", sym("a"), sym("b")));

	json_object_object_add(b->fcns, "add", f);
}

/* a.fold(arr, 0.0, u.add): the left-to-right sum, as the C loops add */
static json_object *
sum_of(json_object *arr)
{
	return call3("a.fold", arr, dbl(0), fcn_ref("u.add"));
}

/* ---------------------------------------------------------------- gradient boosting */

/* Avro JSON of boosting node i of the tree starting at a (flat arrays of the state). */
static json_object *
boost_node(const int *feature, const int *child, const double *value, int a, int i, bool as_union)
{
	json_object *v;
	int			l;

	if (feature[i] < 0)
	{
		v = aml_json_new_double(value[i]);
		return as_union ? call1("double", v) : v;
	}
	l = a + (child[i] < 0 ? -child[i] : child[i]);
	v = json_object_new_object();
	json_object_object_add(v, "feature", json_object_new_int(feature[i]));
	json_object_object_add(v, "threshold", finite_number(value[i]));
	json_object_object_add(v, "missingLeft", json_object_new_boolean(child[i] < 0));
	json_object_object_add(v, "pass", boost_node(feature, child, value, a, l, true));
	json_object_object_add(v, "fail", boost_node(feature, child, value, a, l + 1, true));
	return as_union ? call1("TreeNode", v) : v;
}

AmlStatus
aml_pfa_boosting_model(Builder *b, json_object *state, int p, AmlError *err)
{
	const char *what = "gradient boosting state";
	int			K,
				n_iter,
				n_start,
				nf,
				nc,
				nv,
				nb;
	int		   *start = NULL;
	int		   *feature = NULL;
	int		   *child = NULL;
	double	   *value = NULL;
	double	   *baseline = NULL;
	json_object *init;
	json_object *raw;
	AmlStatus	st;

	AML_TRY(aml_json_get_int(state, "trees_per_iteration", &K, what, err));
	AML_TRY(aml_json_get_int(state, "n_iter", &n_iter, what, err));
	if ((st = aml_json_get_int_vector(state, "tree_start", &start, &n_start, what, err)) != AML_OK ||
		(st = aml_json_get_int_vector(state, "feature", &feature, &nf, what, err)) != AML_OK ||
		(st = aml_json_get_int_vector(state, "child", &child, &nc, what, err)) != AML_OK ||
		(st = get_doubles(state, "value", &value, &nv, err)) != AML_OK ||
		(st = get_doubles(state, "baseline", &baseline, &nb, err)) != AML_OK)
		goto done;
	if (K < 1 || n_iter < 0 || nb != K || n_start != n_iter * K + 1 || nf != nc || nf != nv ||
		start[0] != 0 || start[n_start - 1] != nf ||
		(b->classification && K != (json_object_array_length(b->classes) == 2 ? 1 : (int) json_object_array_length(b->classes))))
	{
		st = aml_error(err, AML_ERR_BAD_FORMAT, "%s has inconsistent sizes", what);
		goto done;
	}
	/* the same checks as the model's reader: children after their parent, inside the tree */
	for (int t = 0; t + 1 < n_start; t++)
	{
		if (start[t + 1] <= start[t])
		{
			st = aml_error(err, AML_ERR_BAD_FORMAT, "%s has an empty tree", what);
			goto done;
		}
		for (int i = start[t]; i < start[t + 1]; i++)
		{
			int			l = child[i] < 0 ? -child[i] : child[i];

			if (feature[i] < -1 || feature[i] >= p ||
				(feature[i] >= 0 && (l <= i - start[t] || start[t] + l + 1 >= start[t + 1])))
			{
				st = aml_error(err, AML_ERR_BAD_FORMAT, "%s has an invalid node %d", what, i);
				goto done;
			}
		}
	}

	/* cell boosting: array<BoostedOutput {baseline: double, trees: array<TreeNode>}> */
	{
		const char *names[2] = {"baseline", "trees"};
		json_object *types[2] = {type_name("double"), array_type(tree_node_type(type_name("double")))};

		init = json_object_new_array();
		add_cell(b, "boosting", array_type(record_type("BoostedOutput", 2, names, types)), init);
	}
	for (int k = 0; k < K; k++)
	{
		json_object *out = json_object_new_object();
		json_object *trees = json_object_new_array();

		json_object_object_add(out, "baseline", finite_number(baseline[k]));
		/* output k adds trees k, k + K, k + 2K, ... in this order */
		for (int t = k; t + 1 < n_start; t += K)
		{
			int			a = start[t];

			if (feature[a] < 0)
			{
				/* a tree that is one leaf: a split whose both sides are that leaf */
				json_object *v = json_object_new_object();

				json_object_object_add(v, "feature", json_object_new_int(0));
				json_object_object_add(v, "threshold", aml_json_new_double(0));
				json_object_object_add(v, "missingLeft", json_object_new_boolean(true));
				json_object_object_add(v, "pass", call1("double", aml_json_new_double(value[a])));
				json_object_object_add(v, "fail", call1("double", aml_json_new_double(value[a])));
				json_object_array_add(trees, v);
			}
			else
				json_object_array_add(trees, boost_node(feature, child, value, a, a, false));
		}
		json_object_object_add(out, "trees", trees);
		json_object_array_add(init, out);
	}
	add_test_function(b);

	/*
	 * raw = a.map(boosting, fcn(o) a.fold(o.trees, o.baseline,
	 *                                     fcn(acc, t) acc + simpleWalk(x, t, u.goesLeft)))
	 */
	{
		json_object *step = fcn2("acc", type_name("double"), "t", type_name("TreeNode"), type_name("double"),
								 call2("+", sym("acc"),
									   call3("model.tree.simpleWalk", sym("x"), sym("t"), fcn_ref("u.goesLeft"))));
		json_object *per_output = fcn1("o", type_name("BoostedOutput"), type_name("double"),
									   call3("a.fold", sym("o.trees"), sym("o.baseline"), step));

		raw = call2("a.map", cell_ref("boosting"), per_output);
	}
	let1(b, "raw", raw);
	set_output(b);
	if (!b->classification)
		json_object_array_add(b->action, index_of(sym("raw"), 0));
	else if (K == 1)
	{
		json_object *pair = json_object_new_array();

		/* predict_proba: [1 - p, p] with p = expit(raw) */
		let1(b, "p1", call1("m.link.logit", index_of(sym("raw"), 0)));
		json_object_array_add(pair, call2("-", dbl(1), sym("p1")));
		json_object_array_add(pair, sym("p1"));
		classify(b, new_doubles(pair), NULL);
	}
	else
		classify(b, call1("m.link.softmax", sym("raw")), NULL);
	st = AML_OK;
done:
	aml_free(start);
	aml_free(feature);
	aml_free(child);
	aml_free(value);
	aml_free(baseline);
	return st;
}

/* ---------------------------------------------------------------- naive Bayes */

/* Read a p x k class-major matrix field (column c = class c). */
static AmlStatus
class_matrix(json_object *state, const char *key, int p, int k, AmlMatrix **m, AmlError *err)
{
	AML_TRY(aml_json_get_matrix(state, key, m, "naive Bayes state", err));
	if ((*m)->rows != p || (*m)->cols != k)
	{
		aml_matrix_free(*m);
		*m = NULL;
		return aml_error(err, AML_ERR_BAD_FORMAT, "field \"%s\" of the naive Bayes state has the wrong shape", key);
	}
	return AML_OK;
}

static AmlStatus
gaussian_nb(Builder *b, json_object *state, int p, int k, AmlError *err)
{
	AmlMatrix  *theta = NULL;
	AmlMatrix  *var = NULL;
	double	   *prior = NULL;
	int			np;
	json_object *init;
	AmlStatus	st;

	if ((st = get_doubles(state, "class_prior", &prior, &np, err)) != AML_OK ||
		(st = class_matrix(state, "theta", p, k, &theta, err)) != AML_OK ||
		(st = class_matrix(state, "var", p, k, &var, err)) != AML_OK)
		goto done;
	if (np != k)
	{
		st = aml_error(err, AML_ERR_BAD_FORMAT, "the naive Bayes state has %d priors for %d classes", np, k);
		goto done;
	}
	{
		const char *gn[2] = {"mean", "variance"};
		json_object *gt[2] = {type_name("double"), type_name("double")};
		const char *cn[2] = {"logPrior", "stats"};
		json_object *ct[2];

		ct[0] = type_name("double");
		ct[1] = array_type(record_type("Gaussian", 2, gn, gt));
		init = json_object_new_array();
		add_cell(b, "nb", array_type(record_type("GaussianClass", 2, cn, ct)), init);
	}
	for (int c = 0; c < k; c++)
	{
		json_object *cls = json_object_new_object();
		json_object *stats = json_object_new_array();

		/* the model's log prior: log(prior), -inf (written -DBL_MAX) for a class without rows */
		json_object_object_add(cls, "logPrior", finite_number(prior[c] > 0 ? log(prior[c]) : -INFINITY));
		for (int j = 0; j < p; j++)
		{
			json_object *g = json_object_new_object();

			json_object_object_add(g, "mean", aml_json_new_double(theta->data[(size_t) c * p + j]));
			json_object_object_add(g, "variance", aml_json_new_double(var->data[(size_t) c * p + j]));
			json_object_array_add(stats, g);
		}
		json_object_object_add(cls, "stats", stats);
		json_object_array_add(init, cls);
	}
	set_output(b);
	/*
	 * the most probable class: softmax is increasing, the largest joint
	 * log-likelihood; the probabilities: its softmax (nb_softmax)
	 */
	let1(b, "jll", call2("a.map", cell_ref("nb"),
						 fcn1("c", type_name("GaussianClass"), type_name("double"),
							  call2("+", sym("c.logPrior"),
									call2("model.naive.gaussian", sym("x"), sym("c.stats"))))));
	classify(b, call1("m.link.softmax", sym("jll")), sym("jll"));
	st = AML_OK;
done:
	aml_free(prior);
	aml_matrix_free(theta);
	aml_matrix_free(var);
	return st;
}

static AmlStatus
discrete_nb(Builder *b, json_object *state, int p, int k, bool bernoulli, AmlError *err)
{
	AmlMatrix  *flp = NULL;
	double	   *log_prior = NULL;
	int			np;
	double		threshold = NAN;
	json_object *coeff;
	json_object *bias;
	json_object *model;
	json_object *input = sym("x");
	AmlStatus	st;

	if ((st = get_doubles(state, "class_log_prior", &log_prior, &np, err)) != AML_OK ||
		(st = class_matrix(state, "feature_log_prob", p, k, &flp, err)) != AML_OK)
		goto done;
	if (np != k)
	{
		st = aml_error(err, AML_ERR_BAD_FORMAT, "the naive Bayes state has %d priors for %d classes", np, k);
		goto done;
	}
	if (bernoulli)
	{
		json_object *t;

		if (json_object_object_get_ex(state, "threshold", &t) && t != NULL && !aml_json_as_double(t, &threshold))
		{
			st = aml_error(err, AML_ERR_BAD_FORMAT, "the Bernoulli threshold is not a number");
			goto done;
		}
	}
	/* the model's weights and biases (naive_bayes.c's derivation, the same operations) */
	coeff = json_object_new_array();
	bias = json_object_new_array();
	for (int c = 0; c < k; c++)
	{
		const double *f = flp->data + (size_t) c * p;
		json_object *row = json_object_new_array();
		double		b0 = log_prior[c];

		if (bernoulli)
		{
			double		neg_sum = 0.0;

			for (int j = 0; j < p; j++)
			{
				double		neg = log(1.0 - exp(f[j]));

				json_object_array_add(row, finite_number(f[j] - neg));
				neg_sum += neg;
			}
			b0 = log_prior[c] + neg_sum;
		}
		else
			for (int j = 0; j < p; j++)
				json_object_array_add(row, finite_number(f[j]));
		json_object_array_add(coeff, row);
		json_object_array_add(bias, finite_number(b0));
	}
	{
		const char *names[2] = {"coeff", "const"};
		json_object *types[2] = {array_type(doubles_type()), doubles_type()};

		model = json_object_new_object();
		json_object_object_add(model, "coeff", coeff);
		json_object_object_add(model, "const", bias);
		add_cell(b, "model", record_type("LinearModel", 2, names, types), model);
	}
	set_output(b);
	if (bernoulli && !isnan(threshold))
	{
		/* features above the threshold count as 1 */
		let1(b, "xb", call2("a.map", sym("x"),
							fcn1("v", type_name("double"), type_name("double"),
								 if_expr(call2(">", sym("v"), dbl(threshold)), dbl(1), dbl(0)))));
		json_object_put(input);
		input = sym("xb");
	}
	let1(b, "jll", call2("model.reg.linear", input, cell_ref("model")));
	classify(b, call1("m.link.softmax", sym("jll")), sym("jll"));
	st = AML_OK;
done:
	aml_free(log_prior);
	aml_matrix_free(flp);
	return st;
}

AmlStatus
aml_pfa_naive_bayes_model(Builder *b, const char *type, json_object *state, int p, AmlError *err)
{
	int			k = b->classes ? (int) json_object_array_length(b->classes) : 0;

	if (!b->classification || k < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "naive Bayes without classes");
	if (strcmp(type, "gaussian_nb") == 0)
		return gaussian_nb(b, state, p, k, err);
	return discrete_nb(b, state, p, k, strcmp(type, "bernoulli_nb") == 0, err);
}

/* ---------------------------------------------------------------- k-NN */

/* fcns u.dist(a, b): squared Euclidean or taxicab distance, the model's sums */
static void
add_distance_function(Builder *b, bool euclid)
{
	json_object *body = call3(euclid ? "metric.squaredEuclidean" : "metric.taxicab",
							  fcn_ref("metric.absDiff"), sym("a"), sym("b"));

	json_object_object_add(b->fcns, "dist",
						   fcn2("a", doubles_type(), "b", doubles_type(), type_name("double"), body));
}

AmlStatus
aml_pfa_knn_model(Builder *b, json_object *params, json_object *state, int p, AmlError *err)
{
	const char *what = "knn state";
	const char *metric;
	const char *weights = "uniform";
	int			n,
				k;
	bool		euclid;
	bool		distance;
	AmlMatrix  *X = NULL;
	double	   *y = NULL;
	int			ny;
	int			n_classes = b->classification ? (int) json_object_array_length(b->classes) : 0;
	json_object *init;
	AmlStatus	st;

	AML_TRY(aml_json_get_int(state, "n_train", &n, what, err));
	AML_TRY(aml_json_get_int(state, "k", &k, what, err));
	AML_TRY(aml_json_get_string(state, "metric", &metric, what, err));
	if (params != NULL)
		(void) aml_json_get_string(params, "weights", &weights, "knn parameters", err);
	euclid = strcmp(metric, "euclidean") == 0;
	distance = strcmp(weights, "distance") == 0;
	if ((!euclid && strcmp(metric, "manhattan") != 0) || (!distance && strcmp(weights, "uniform") != 0))
		return aml_error(err, AML_ERR_BAD_FORMAT, "knn with metric \"%s\" and weights \"%s\"", metric, weights);
	if ((st = aml_json_get_matrix(state, "X_rows", &X, what, err)) != AML_OK ||
		(st = get_doubles(state, "y", &y, &ny, err)) != AML_OK)
		goto done;
	if (n < 1 || k < 1 || k > n || X->rows != p || X->cols != n || ny != n)
	{
		st = aml_error(err, AML_ERR_BAD_FORMAT, "%s has inconsistent sizes", what);
		goto done;
	}
	/* cell codebook: array<Point {x: array<double>, y: double}>, the training rows in order */
	{
		const char *names[2] = {"x", "y"};
		json_object *types[2] = {doubles_type(), type_name("double")};

		init = json_object_new_array();
		add_cell(b, "codebook", array_type(record_type("Point", 2, names, types)), init);
	}
	for (int t = 0; t < n; t++)
	{
		json_object *pt = json_object_new_object();

		json_object_object_add(pt, "x", aml_json_new_double_array(X->data + (size_t) t * p, p));
		json_object_object_add(pt, "y", aml_json_new_double(y[t]));
		json_object_array_add(init, pt);
	}
	add_distance_function(b, euclid);
	add_sum_function(b);
	set_output(b);

	/* the k nearest training rows, nearest first (ties: the earlier row) */
	{
		json_object *args = json_object_new_array();
		json_object *call = json_object_new_object();

		json_object_array_add(args, json_object_new_int(k));
		json_object_array_add(args, sym("x"));
		json_object_array_add(args, cell_ref("codebook"));
		json_object_array_add(args, fcn2("q", doubles_type(), "pt", type_name("Point"), type_name("double"),
										 call2("u.dist", sym("q"), sym("pt.x"))));
		json_object_object_add(call, "model.neighbor.nearestK", args);
		let1(b, "nb", call);
	}
	let1(b, "ys", call2("a.map", sym("nb"), fcn1("pt", type_name("Point"), type_name("double"), sym("pt.y"))));
	if (distance)
	{
		/* 1/distance; neighbours at distance 0 take all the weight */
		let1(b, "d", call2("a.map", sym("nb"), fcn1("pt", type_name("Point"), type_name("double"),
													 call2("u.dist", sym("x"), sym("pt.x")))));
		let1(b, "exact", call2("a.contains", sym("d"), dbl(0)));
		let1(b, "w", call2("a.map", sym("d"),
						   fcn1("v", type_name("double"), type_name("double"),
								if_expr(sym("exact"),
										if_expr(call2("==", sym("v"), dbl(0)), dbl(1), dbl(0)),
										call2("/", dbl(1), euclid ? call1("m.sqrt", sym("v")) : sym("v"))))));
	}
	else
		let1(b, "w", call2("a.map", sym("nb"), fcn1("pt", type_name("Point"), type_name("double"), dbl(1))));

	if (n_classes > 0)
	{
		json_object *votes = json_object_new_array();

		/* votes[c] = sum of the weights of the neighbours of class c, in neighbour order */
		for (int c = 0; c < n_classes; c++)
			json_object_array_add(votes,
								  sum_of(call3("a.zipmap", sym("ys"), sym("w"),
											   fcn2("yi", type_name("double"), "wi", type_name("double"),
													type_name("double"),
													if_expr(call2("==", sym("yi"), dbl(c)), sym("wi"), dbl(0))))));
		let1(b, "votes", new_doubles(votes));
		let1(b, "norm", sum_of(sym("votes")));
		let1(b, "den", if_expr(call2("==", sym("norm"), dbl(0)), dbl(1), sym("norm")));
		classify(b, call2("a.map", sym("votes"),
						  fcn1("v", type_name("double"), type_name("double"),
							   call2("/", sym("v"), sym("den")))), NULL);
	}
	else if (!distance)
		json_object_array_add(b->action, call2("/", sum_of(sym("ys")), dbl(k)));
	else
		json_object_array_add(b->action,
							  call2("/",
									sum_of(call3("a.zipmap", sym("ys"), sym("w"),
												 fcn2("yi", type_name("double"), "wi", type_name("double"),
													  type_name("double"), call2("*", sym("yi"), sym("wi"))))),
									sum_of(sym("w"))));
	st = AML_OK;
done:
	aml_matrix_free(X);
	aml_free(y);
	return st;
}

/* ---------------------------------------------------------------- k-means */

AmlStatus
aml_pfa_kmeans_model(Builder *b, json_object *state, int p, AmlError *err)
{
	int			k;
	double	   *centers = NULL;
	int			nc;
	json_object *init;
	json_object *args;
	json_object *closest;

	AML_TRY(aml_json_get_int(state, "n_clusters", &k, "kmeans state", err));
	AML_TRY(get_doubles(state, "centers", &centers, &nc, err));
	if (k < 1 || nc != k * p)
	{
		aml_free(centers);
		return aml_error(err, AML_ERR_BAD_FORMAT, "kmeans state has %d centre values for %d x %d", nc, k, p);
	}
	{
		const char *names[2] = {"id", "center"};
		json_object *types[2] = {type_name("int"), doubles_type()};

		init = json_object_new_array();
		add_cell(b, "clusters", array_type(record_type("Cluster", 2, names, types)), init);
	}
	for (int c = 0; c < k; c++)
	{
		json_object *cl = json_object_new_object();

		json_object_object_add(cl, "id", json_object_new_int(c));
		json_object_object_add(cl, "center", aml_json_new_double_array(centers + (size_t) c * p, p));
		json_object_array_add(init, cl);
	}
	aml_free(centers);
	add_distance_function(b, true);
	json_object_object_add(b->doc, "output", type_name("int"));
	/* the nearest centre, the first on ties (automl_predict's cluster number) */
	args = json_object_new_array();
	json_object_array_add(args, sym("x"));
	json_object_array_add(args, cell_ref("clusters"));
	json_object_array_add(args, fcn2("q", doubles_type(), "c", doubles_type(), type_name("double"),
									 call2("u.dist", sym("q"), sym("c"))));
	closest = json_object_new_object();
	json_object_object_add(closest, "model.cluster.closest", args);
	let1(b, "best", closest);
	json_object_array_add(b->action, sym("best.id"));
	return AML_OK;
}
