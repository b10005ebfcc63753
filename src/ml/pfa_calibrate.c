/*
 * pfa_calibrate.c — the end of a classifier's PFA document: the class
 * probabilities (what the pipeline or the weighted ensemble outputs), the
 * calibrator of calibration.c applied exactly as aml_calibrator_apply_row
 * applies it, then the decision of aml_model_decide (pfa_internal.h).
 *
 *   Platt        q = clip(p1); z = a * ln(q / (1 - q)) + b; the stable
 *                sigmoid of z (two branches as calibration.c); [1 - p, p]
 *   isotonic     the breakpoints as two cells (calibration_x, _y); below the
 *                first / above the last: its y; else the same binary search
 *                ("var", "while", "set") and linear interpolation
 *   temperature  softmax(ln(clip(p_k)) / T) with the maximum subtracted and
 *                the sum in class order; then (rows p + 1) / (rows + K) when
 *                the calibrator has rows
 *
 * The calibrated probabilities are bound to the action's variable "proba"
 * (test/woken/pfa_eval.py compares them with automl_predict_proba); the
 * label is classes[p1 > threshold] for two classes with a calibrator,
 * classes[argmax((proba[k] - floor) * w_k)] with class weights (decision.h), else
 * classes[argmax(proba)].
 */
#include <string.h>

#include "core/json.h"
#include "ml/calibration.h"
#include "ml/decision.h"
#include "ml/pfa.h"
#include "ml/pfa_internal.h"

/* calibration.c's PROB_EPS: probabilities are clipped to [eps, 1 - eps] before a logarithm */
#define CLIP_EPS 1e-15

static void
let_stmt(json_object *action, const char *name, json_object *e)
{
	json_object *st = json_object_new_object();
	json_object *l = json_object_new_object();

	json_object_object_add(l, name, e);
	json_object_object_add(st, "let", l);
	json_object_array_add(action, st);
}

static json_object *
assign(const char *kw, const char *name, json_object *e)
{
	json_object *st = json_object_new_object();
	json_object *l = json_object_new_object();

	json_object_object_add(l, name, e);
	json_object_object_add(st, kw, l);
	return st;
}

/* v[index] of an array variable or cell reference */
static json_object *
at(json_object *array_expr, json_object *index)
{
	json_object *path = json_object_new_array();

	json_object_array_add(path, index);
	if (json_object_object_get_ex(array_expr, "cell", NULL))
		json_object_object_add(array_expr, "path", path);
	else
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "attr", array_expr);
		json_object_object_add(o, "path", path);
		return o;
	}
	return array_expr;
}

static json_object *
int_lit(int v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "int", json_object_new_int(v));
	return o;
}

/* clip_prob(v): eps below eps, 1 - eps above, else v (NaN stays NaN) */
static json_object *
clipped(const char *v)
{
	return if_expr(call2("<", sym(v), dbl(CLIP_EPS)), dbl(CLIP_EPS),
				   if_expr(call2(">", sym(v), dbl(1 - CLIP_EPS)), dbl(1 - CLIP_EPS), sym(v)));
}

/* fcn(v: double) -> double { body } */
static json_object *
fcn_v(json_object *body)
{
	json_object *f = json_object_new_object();
	json_object *params = json_object_new_array();
	json_object *pv = json_object_new_object();
	json_object *b = json_object_new_array();

	json_object_object_add(pv, "v", json_object_new_string("double"));
	json_object_array_add(params, pv);
	json_object_object_add(f, "params", params);
	json_object_object_add(f, "ret", json_object_new_string("double"));
	json_object_array_add(b, body);
	json_object_object_add(f, "do", b);
	return f;
}

static json_object *
do_block(json_object *stmts)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "do", stmts);
	return o;
}

static json_object *
doubles_cell(const double *v, int n)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "type", array_type(json_object_new_string("double")));
	json_object_object_add(c, "init", aml_json_new_double_array(v, n));
	return c;
}

static json_object *
pair_of(const char *p)
{
	json_object *nw = json_object_new_object();
	json_object *arr = json_object_new_array();

	json_object_array_add(arr, call2("-", dbl(1), sym(p)));
	json_object_array_add(arr, sym(p));
	json_object_object_add(nw, "new", arr);
	json_object_object_add(nw, "type", array_type(json_object_new_string("double")));
	return nw;
}

/* cal_p = isotonic_at(c, raw_proba[1]) as calibration.c computes it */
static json_object *
isotonic_expr(const AmlCalibrator *c, json_object *cells)
{
	int			n = c->n_points;
	json_object *outer;
	json_object *search = json_object_new_array();
	json_object *loop = json_object_new_object();
	json_object *body = json_object_new_array();

	if (n == 0)
		return dbl(0.5);
	json_object_object_add(cells, "calibration_x", doubles_cell(c->x, n));
	json_object_object_add(cells, "calibration_y", doubles_cell(c->y, n));
	/* var lo = 0, hi = n - 1; while (hi - lo > 1) { mid = (lo + hi) // 2; ... } */
	json_object_array_add(search, assign("var", "iso_lo", int_lit(0)));
	json_object_array_add(search, assign("var", "iso_hi", int_lit(n - 1)));
	json_object_object_add(loop, "while", call2(">", call2("-", sym("iso_hi"), sym("iso_lo")), int_lit(1)));
	{
		json_object *l = json_object_new_object();
		json_object *lv = json_object_new_object();

		json_object_object_add(lv, "iso_mid", call2("//", call2("+", sym("iso_lo"), sym("iso_hi")), int_lit(2)));
		json_object_object_add(l, "let", lv);
		json_object_array_add(body, l);
	}
	json_object_array_add(body, if_expr(call2("<=", at(cell_ref("calibration_x"), sym("iso_mid")), sym("iso_v")),
										assign("set", "iso_lo", sym("iso_mid")),
										assign("set", "iso_hi", sym("iso_mid"))));
	json_object_object_add(loop, "do", body);
	json_object_array_add(search, loop);
	/* y[lo] + (y[hi] - y[lo]) * (v - x[lo]) / (x[hi] - x[lo]) */
	json_object_array_add(search,
						  call2("+", at(cell_ref("calibration_y"), sym("iso_lo")),
								call2("/",
									  call2("*",
											call2("-", at(cell_ref("calibration_y"), sym("iso_hi")),
												  at(cell_ref("calibration_y"), sym("iso_lo"))),
											call2("-", sym("iso_v"), at(cell_ref("calibration_x"), sym("iso_lo")))),
									  call2("-", at(cell_ref("calibration_x"), sym("iso_hi")),
											at(cell_ref("calibration_x"), sym("iso_lo"))))));
	outer = if_expr(call2("<=", sym("iso_v"), at(cell_ref("calibration_x"), int_lit(0))),
					at(cell_ref("calibration_y"), int_lit(0)),
					if_expr(call2(">=", sym("iso_v"), at(cell_ref("calibration_x"), int_lit(n - 1))),
							at(cell_ref("calibration_y"), int_lit(n - 1)),
							do_block(search)));
	return outer;
}

AmlStatus
aml_pfa_decide(json_object *doc, json_object *calibration, int n_classes, AmlError *err)
{
	json_object *action;
	json_object *cells;
	json_object *last;
	AmlCalibrator *c = NULL;
	int			n;

	if (!json_object_object_get_ex(doc, "action", &action) ||
		!json_object_object_get_ex(doc, "cells", &cells) ||
		(n = (int) json_object_array_length(action)) < 1)
		return aml_error(err, AML_ERR_INTERNAL, "a PFA classifier document without its action");
	if (n_classes < 2)
		return aml_error(err, AML_ERR_BAD_FORMAT, "a classifier with %d classes", n_classes);
	if (calibration != NULL)
		AML_TRY(aml_calibrator_from_json(calibration, n_classes, &c, err));
	last = json_object_get(json_object_array_get_idx(action, n - 1));
	json_object_array_del_idx(action, n - 1, 1);
	if (c == NULL || c->method == AML_CALIBRATION_NONE)
		let_stmt(action, "proba", last);
	else
	{
		let_stmt(action, "raw_proba", last);
		switch (c->method)
		{
			case AML_CALIBRATION_PLATT:
				let_stmt(action, "cal_v", at(sym("raw_proba"), int_lit(1)));
				let_stmt(action, "cal_q", clipped("cal_v"));
				let_stmt(action, "cal_z", call2("+", call2("*", dbl(c->a),
														   call1("m.ln", call2("/", sym("cal_q"),
																			   call2("-", dbl(1), sym("cal_q"))))),
												dbl(c->b)));
				let_stmt(action, "cal_p",
						 if_expr(call2(">=", sym("cal_z"), dbl(0)),
								 call2("/", dbl(1), call2("+", dbl(1), call1("m.exp", call1("u-", sym("cal_z"))))),
								 call2("/", call1("m.exp", sym("cal_z")),
									   call2("+", dbl(1), call1("m.exp", sym("cal_z"))))));
				let_stmt(action, "proba", pair_of("cal_p"));
				break;
			case AML_CALIBRATION_ISOTONIC:
				let_stmt(action, "iso_v", at(sym("raw_proba"), int_lit(1)));
				let_stmt(action, "cal_p", isotonic_expr(c, cells));
				let_stmt(action, "proba", pair_of("cal_p"));
				break;
			case AML_CALIBRATION_TEMPERATURE:
				let_stmt(action, "cal_lg", call2("a.map", sym("raw_proba"),
												 fcn_v(call2("/", call1("m.ln", clipped("v")), dbl(c->temperature)))));
				let_stmt(action, "cal_mx", call1("a.max", sym("cal_lg")));
				let_stmt(action, "cal_e", call2("a.map", sym("cal_lg"),
												fcn_v(call1("m.exp", call2("-", sym("v"), sym("cal_mx"))))));
				let_stmt(action, "cal_s", call1("a.sum", sym("cal_e")));
				if (c->rows > 0)
				{
					let_stmt(action, "cal_p", call2("a.map", sym("cal_e"), fcn_v(call2("/", sym("v"), sym("cal_s")))));
					let_stmt(action, "proba",
							 call2("a.map", sym("cal_p"),
								   fcn_v(call2("/", call2("+", call2("*", dbl((double) c->rows), sym("v")), dbl(1)),
											   dbl((double) c->rows + n_classes)))));
				}
				else
					let_stmt(action, "proba", call2("a.map", sym("cal_e"), fcn_v(call2("/", sym("v"), sym("cal_s")))));
				break;
			case AML_CALIBRATION_NONE:
				break;
		}
	}
	/*
	 * aml_model_decide (aml_decide): the calibrator's threshold on two
	 * classes, the largest weighted probability with class weights, else the
	 * largest (a.argmax: the first of equal ones, as aml_decide)
	 */
	if (c != NULL && n_classes == 2)
		json_object_array_add(action, label_of(if_expr(call2(">", at(sym("proba"), int_lit(1)), dbl(c->threshold)),
													   int_lit(1), int_lit(0))));
	else if (c != NULL && c->class_weights != NULL)
	{
		json_object *items = json_object_new_array();
		json_object *weighted = json_object_new_object();

		double		lift = aml_decision_floor(c, n_classes);

		for (int k = 0; k < n_classes; k++)
			json_object_array_add(items, call2("*", lift > 0 ? call2("-", at(sym("proba"), int_lit(k)), dbl(lift))
											   : at(sym("proba"), int_lit(k)), dbl(c->class_weights[k])));
		json_object_object_add(weighted, "new", items);
		json_object_object_add(weighted, "type", array_type(json_object_new_string("double")));
		json_object_array_add(action, label_of(call1("a.argmax", weighted)));
	}
	else
		json_object_array_add(action, label_of(call1("a.argmax", sym("proba"))));
	json_object_object_add(doc, "output", json_object_new_string("string"));
	aml_calibrator_free(c);
	return AML_OK;
}

/* the classifier families whose outputs are class probabilities (estimator probabilistic) */
static const char *const probabilistic_types[] = {
	"logistic_regression", "decision_tree", "random_forest", "extra_trees", "gradient_boosting",
	"gaussian_nb", "bernoulli_nb", "multinomial_nb", "knn", NULL
};

bool
aml_pfa_probabilistic(json_object *pipeline)
{
	json_object *est;
	json_object *type;

	if (!json_object_object_get_ex(pipeline, "estimator", &est) ||
		!json_object_object_get_ex(est, "type", &type) || !json_object_is_type(type, json_type_string))
		return false;
	for (int i = 0; probabilistic_types[i]; i++)
		if (strcmp(probabilistic_types[i], json_object_get_string(type)) == 0)
			return true;
	return false;
}
