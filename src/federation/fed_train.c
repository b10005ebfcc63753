/*
 * fed_train.c — automl_train_federated(relation, target, nodes, ...):
 * cross-site AutoML.  No row leaves a node; models and scores do.
 *
 *   round 1  every node runs automl_train on its own rows (automl.node_train,
 *            fed_train_node.c) and sends its model; its deadline is
 *            automl.node_timeout plus the time budget;
 *   round 2  every node scores every model on its own rows
 *            (automl.node_score): the K x K cross-site table S, S[i][j] =
 *            model of node i on the rows of node j (the diagonal is a
 *            model on its own training rows: optimistic, shown, not used);
 *   centre   model i's weight comes from its mean score on the OTHER
 *            nodes' rows, m_i = mean_{j != i} S[i][j]:
 *              metric where higher is better (balanced_accuracy, r2, ...):
 *                  v_i = max(m_i, 0)
 *              error or loss (lower is better):  v_i = 1 / max(m_i, 1e-12)
 *            w_i = v_i / sum_k v_k; a model with v_i = 0 or no score on
 *            another node is left out (feedback).  The stored model is
 *            the ensemble sum_i w_i * model_i (a node's own ensemble is
 *            one group: its members weighted w_i * their weight, its
 *            calibrator applied to the group's output), whose members
 *            keep their own inputs, categories and classes
 *            (aml_model_ensemble_union_groups, ml/model.h); automl_predict,
 *            automl_predict_proba and automl_evaluate serve it.
 *
 * The score table, the nodes' rows and own CV scores, the means and the
 * weights are stored in the model's metrics ("cross_site") and read back
 * by automl_federated_scores(model_id).
 *
 * A node that fails, times out or is suppressed in round 1 has no model;
 * in round 2 it gives no column.  Fewer than 2 models after round 1, or no
 * model with a positive weight, is an error (22000) listing the feedback.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/memory.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_model.h"
#include "federation/fed_train.h"
#include "ml/calibration.h"
#include "ml/metrics.h"
#include "ml/model.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"
#include "pg/model_store.h"

PG_FUNCTION_INFO_V1(automl_train_federated);

typedef struct TrainLocal
{
	Oid			relid;
	const char *target;
	double		budget;
	const char *metric;
	int32		seed;
	json_object *models;		/* round 2 */
} TrainLocal;

static char *
local_train(void *arg)
{
	TrainLocal *a = arg;
	int64		rows;
	const char *sup;

	return aml_fed_node_train_json(a->relid, a->target, a->budget, a->metric, a->seed, &rows, &sup);
}

static char *
local_score(void *arg)
{
	TrainLocal *a = arg;
	int64		rows;
	const char *sup;

	return aml_fed_node_score_json(a->relid, a->target, a->models, a->metric, &rows, &sup);
}

/*
 * A node's model JSON as one group of the ensemble: its pipelines (weights
 * multiplied by w) and its calibrator, if any (*cal).
 */
static void
add_members(AmlFedCall *c, AmlFedNode *node, json_object *model, double w, AmlPipeline **members,
			double *weights, int *n, int max, AmlCalibrator **cal)
{
	json_object *list = aml_fed_get(model, "members");
	const char *format = json_object_get_string(aml_fed_get(model, "format"));
	int			k = format && strcmp(format, "automl-ensemble") == 0 && aml_fed_is_array(list, -1)
		? (int) json_object_array_length(list) : 1;
	AmlError	err;

	if (aml_fed_get(model, "schema") != NULL && k > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("node \"%s\" sent an ensemble with a schema of its own", node->name)));
	for (int i = 0; i < k; i++)
	{
		json_object *p = k > 1 || (format && strcmp(format, "automl-ensemble") == 0)
			? aml_fed_get(json_object_array_get_idx(list, i), "pipeline") : model;
		double		mw = k > 1 || (format && strcmp(format, "automl-ensemble") == 0)
			? json_object_get_double(aml_fed_get(json_object_array_get_idx(list, i), "weight")) : 1.0;

		if (*n >= max)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the nodes' models have more than %d pipelines together", max)));
		if (p == NULL || !json_object_is_type(p, json_type_object) ||
			aml_pipeline_from_json(p, &members[*n], &err) != AML_OK)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("node \"%s\" sent a model that cannot be loaded", node->name)));
		if (!(mw > 0) || !isfinite(mw))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("node \"%s\" sent an ensemble with a bad weight", node->name)));
		weights[*n] = w * mw;
		(*n)++;
	}
	/* the node model's calibrator applies to its group's output */
	*cal = NULL;
	if (aml_fed_get(model, "calibration") != NULL &&
		aml_calibrator_from_json(aml_fed_get(model, "calibration"), aml_pipeline_outputs(members[*n - 1]),
								 cal, &err) != AML_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("node \"%s\" sent a model whose calibrator cannot be loaded", node->name)));
	(void) c;
}

/* Round 1 with automl.node_timeout raised by the time budget. */
static void
train_round(AmlFedCall *c, const char *const *params, TrainLocal *la)
{
	int			saved_timeout = aml_fed_node_timeout_ms;

	PG_TRY();
	{
		double		ms = (double) aml_fed_node_timeout_ms + la->budget * 1000.0;

		aml_fed_node_timeout_ms = ms > INT_MAX ? INT_MAX : (int) ms;
		aml_fed_round(c, "SELECT automl.node_train($1::pg_catalog.regclass, $2::pg_catalog.name, "
					  "$3::pg_catalog.interval, $4::pg_catalog.text, $5::pg_catalog.int4)",
					  5, params, local_train, la);
	}
	PG_FINALLY();
	{
		aml_fed_node_timeout_ms = saved_timeout;
	}
	PG_END_TRY();
}

static double
interval_seconds(Interval *iv)
{
	return iv->time / 1e6 + iv->day * 86400.0 + iv->month * (30.0 * 86400.0);
}

/*
 * automl_train_federated(relation regclass, target name, nodes text[],
 * time_budget interval, metric text, seed int, name text, strict boolean)
 * RETURNS bigint (the stored model)
 */
Datum
automl_train_federated(PG_FUNCTION_ARGS)
{
	const char *what = "automl_train_federated";
	TrainLocal	la;
	AmlFedCall *c;
	const char *params[5];
	ArrayType  *nodes;
	char	   *name;
	bool		strict;
	json_object **model = NULL;
	json_object **answer;
	int		   *model_of;		/* node index -> model index or -1 */
	int			K = 0;
	int			n_nodes;
	const char *task = NULL;
	const char *metric_used = NULL;
	const AmlMetric *metric;
	double	  **S;
	int64	   *rows;
	double	   *mean_other;
	double	   *weight;
	double		total = 0;
	json_object *models_arr;
	AmlCoreSession *session;
	AmlPipeline *members[256];
	double		member_w[256];
	int			n_members = 0;
	int		   *group_size;
	AmlCalibrator **group_cal;
	int			n_groups = 0;
	AmlModel   *ens = NULL;
	AmlError	err;
	AmlModelRecord rec;
	json_object *metrics;
	json_object *cs;
	json_object *arr;
	Oid		   *types;
	char		description[2048];
	int32		version = 0;
	int64		id;
	double		start = aml_clock();
	int64		total_rows = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation, target and nodes must not be NULL")));
	la.relid = PG_GETARG_OID(0);
	la.target = pstrdup(NameStr(*PG_GETARG_NAME(1)));
	nodes = PG_GETARG_ARRAYTYPE_P(2);
	la.budget = PG_ARGISNULL(3) ? 60 : interval_seconds(PG_GETARG_INTERVAL_P(3));
	la.metric = PG_ARGISNULL(4) ? "auto" : text_to_cstring(PG_GETARG_TEXT_PP(4));
	la.seed = PG_ARGISNULL(5) ? 42 : PG_GETARG_INT32(5);
	name = PG_ARGISNULL(6) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(6));
	strict = !PG_ARGISNULL(7) && PG_GETARG_BOOL(7);
	la.models = NULL;
	if (!(la.budget >= 1 && la.budget <= 86400))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_budget must be between 1 second and 1 day")));
	if (name != NULL && (name[0] == '\0' || strlen(name) > 200))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model name must have between 1 and 200 characters")));
	if (get_attnum(la.relid, la.target) == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" does not exist in relation %s", la.target,
						aml_fed_relation_name(la.relid))));
	if (strcmp(la.metric, "auto") != 0 && aml_metric_find(la.metric) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown metric \"%s\"", la.metric)));

	session = aml_core_session_begin(what);
	c = aml_fed_begin(nodes, strict, what);
	n_nodes = c->n;
	params[0] = aml_fed_relation_name(la.relid);
	params[1] = la.target;
	params[2] = psprintf("%.3f seconds", la.budget);
	params[3] = la.metric;
	params[4] = psprintf("%d", la.seed);

	/* round 1: each node trains; its deadline includes the time budget */
	train_round(c, params, &la);

	answer = palloc0(sizeof(json_object *) * n_nodes);
	model_of = palloc(sizeof(int) * n_nodes);
	model = palloc0(sizeof(json_object *) * n_nodes);
	for (int i = 0; i < n_nodes; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		const char *t,
				   *m;

		model_of[i] = -1;
		if (!aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		t = json_object_get_string(aml_fed_get(doc, "task"));
		m = json_object_get_string(aml_fed_get(doc, "metric"));
		if (t == NULL || m == NULL || aml_fed_get(doc, "model") == NULL ||
			!json_object_is_type(aml_fed_get(doc, "model"), json_type_object))
		{
			aml_fed_feedback(c, node, true, ERRCODE_DATA_EXCEPTION, "node \"%s\" sent no model", node->name);
			continue;
		}
		if (task != NULL && (strcmp(task, t) != 0 || strcmp(metric_used, m) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the nodes disagree on the task or metric: node \"%s\" trained %s by %s, another %s by %s",
							node->name, t, m, task, metric_used),
					 errhint("Every node's target must give the same task; metric => '...' names one metric for all nodes.")));
		task = pstrdup(t);
		metric_used = pstrdup(m);
		answer[i] = doc;
		model[K] = aml_fed_get(doc, "model");
		model_of[i] = K++;
	}
	if (K < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: cross-site validation needs models from at least 2 nodes, %d node%s sent one",
						what, K, K == 1 ? "" : "s"),
				 errdetail("Feedback: %s", c->n_feedback ? c->feedback.data : "(none)"),
				 errhint("automl_federation_feedback() lists what each node reported.")));
	if (strcmp(task, "classification") != 0 && strcmp(task, "regression") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the nodes trained a %s task", task)));
	AML_PG_CHECK(aml_metric_lookup(metric_used,
								   strcmp(task, "classification") == 0 ? AML_TASK_CLASSIFICATION
								   : AML_TASK_REGRESSION, &metric, &err), &err);

	/* round 2: every node (that sent a model) scores every model on its rows */
	models_arr = aml_pg_json_own(json_object_new_array());
	for (int k = 0; k < K; k++)
		json_object_array_add(models_arr, json_object_get(model[k]));
	la.models = models_arr;
	la.metric = metric_used;
	params[2] = aml_json_text(models_arr);
	params[3] = metric_used;
	for (int i = 0; i < n_nodes; i++)
		if (model_of[i] < 0 && c->nodes[i].state != AML_FED_FAILED)
			aml_fed_leave(c, &c->nodes[i]);
	aml_fed_round(c, "SELECT automl.node_score($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.text, $4::pg_catalog.text)", 4, params, local_score, &la);
	S = palloc(sizeof(double *) * K);
	rows = palloc0(sizeof(int64) * K);
	for (int k = 0; k < K; k++)
	{
		S[k] = palloc(sizeof(double) * K);
		for (int j = 0; j < K; j++)
			S[k][j] = NAN;
	}
	for (int i = 0; i < n_nodes; i++)
	{
		AmlFedNode *node = &c->nodes[i];
		json_object *doc;
		json_object *scores;
		int			j = model_of[i];

		if (j < 0 || !aml_fed_answered(node) || (doc = aml_fed_contribution(c, node)) == NULL)
			continue;
		scores = aml_fed_get(doc, "scores");
		if (!aml_fed_is_array(scores, K) || aml_fed_get(doc, "rows") == NULL)
		{
			aml_fed_feedback(c, node, true, ERRCODE_DATA_EXCEPTION, "node \"%s\" sent no scores", node->name);
			continue;
		}
		rows[j] = json_object_get_int64(aml_fed_get(doc, "rows"));
		total_rows += rows[j];
		for (int k = 0; k < K; k++)
		{
			json_object *v = json_object_array_get_idx(scores, k);

			S[k][j] = v != NULL && (json_object_is_type(v, json_type_double) ||
									json_object_is_type(v, json_type_int))
				? json_object_get_double(v) : NAN;
		}
	}
	aml_fed_end(c);

	/* weights from the scores on the other nodes' rows */
	mean_other = palloc(sizeof(double) * K);
	weight = palloc0(sizeof(double) * K);
	for (int k = 0; k < K; k++)
	{
		double		sum = 0;
		int			cnt = 0;

		for (int j = 0; j < K; j++)
			if (j != k && !isnan(S[k][j]))
			{
				sum += S[k][j];
				cnt++;
			}
		mean_other[k] = cnt > 0 ? sum / cnt : NAN;
		if (isnan(mean_other[k]))
			weight[k] = 0;
		else if (metric->greater_is_better)
			weight[k] = fmax(mean_other[k], 0);
		else
			weight[k] = 1.0 / fmax(mean_other[k], 1e-12);
		total += weight[k];
	}
	if (!(total > 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: no node's model has a positive score on the other nodes' rows", what),
				 errdetail("Metric %s.", metric_used)));
	for (int k = 0; k < K; k++)
		weight[k] /= total;

	/* the ensemble: members keep their own inputs, categories and classes */
	group_size = palloc0(sizeof(int) * K);
	group_cal = palloc0(sizeof(AmlCalibrator *) * K);
	for (int i = 0; i < n_nodes; i++)
	{
		int			k = model_of[i];

		if (k < 0)
			continue;
		if (weight[k] > 0)
		{
			int			before = n_members;

			add_members(c, &c->nodes[i], model[k], weight[k], members, member_w, &n_members, 256,
						&group_cal[n_groups]);
			group_size[n_groups++] = n_members - before;
		}
		else
			ereport(NOTICE,
					(errmsg("the model of node \"%s\" is left out: %s", c->nodes[i].name,
							isnan(mean_other[k]) ? "no score on another node's rows"
							: "no positive score on the other nodes' rows")));
	}
	if (aml_model_ensemble_union_groups(members, member_w, n_members, group_size, n_groups, group_cal,
										&ens, &err) != AML_OK)
	{
		for (int i = 0; i < n_members; i++)
			aml_pipeline_free(members[i]);
		for (int g = 0; g < n_groups; g++)
			aml_calibrator_free(group_cal[g]);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the nodes' models cannot be combined: %s", err.message)));
	}

	/* metrics: the cross-site table */
	metrics = aml_pg_json_own(json_object_new_object());
	json_object_object_add(metrics, "holdout", NULL);
	json_object_object_add(metrics, "fit_seconds", aml_json_new_number(aml_clock() - start));
	json_object_object_add(metrics, "rows", json_object_new_int64(total_rows));
	json_object_object_add(metrics, "seed", json_object_new_int(la.seed));
	cs = json_object_new_object();
	json_object_object_add(metrics, "cross_site", cs);
	json_object_object_add(cs, "metric", json_object_new_string(metric_used));
	json_object_object_add(cs, "greater_is_better", json_object_new_boolean(metric->greater_is_better));
	json_object_object_add(cs, "weighting", json_object_new_string(
			metric->greater_is_better ? "w_i = max(mean_other_i, 0) / sum"
			: "w_i = (1 / max(mean_other_i, 1e-12)) / sum"));
	arr = json_object_new_array();
	json_object_object_add(cs, "nodes", arr);
	for (int i = 0; i < n_nodes; i++)
		if (model_of[i] >= 0)
			json_object_array_add(arr, json_object_new_string(c->nodes[i].name));
	arr = json_object_new_array();
	json_object_object_add(cs, "scores", arr);
	for (int k = 0; k < K; k++)
	{
		json_object *row = json_object_new_array();

		for (int j = 0; j < K; j++)
			json_object_array_add(row, isnan(S[k][j]) ? NULL : aml_json_new_double(S[k][j]));
		json_object_array_add(arr, row);
	}
	arr = json_object_new_array();
	json_object_object_add(cs, "rows", arr);
	for (int j = 0; j < K; j++)
		json_object_array_add(arr, json_object_new_int64(rows[j]));
	arr = json_object_new_array();
	json_object_object_add(cs, "cv_score", arr);
	for (int i = 0; i < n_nodes; i++)
		if (model_of[i] >= 0)
		{
			json_object *v = aml_fed_get(answer[i], "cv_score");

			json_object_array_add(arr, v != NULL && !json_object_is_type(v, json_type_null)
								  ? aml_json_new_double(json_object_get_double(v)) : NULL);
		}
	arr = json_object_new_array();
	json_object_object_add(cs, "node_model_id", arr);	/* the model each node kept */
	for (int i = 0; i < n_nodes; i++)
		if (model_of[i] >= 0)
			json_object_array_add(arr, json_object_new_int64(json_object_get_int64(aml_fed_get(answer[i], "model_id"))));
	arr = json_object_new_array();
	json_object_object_add(cs, "mean_other", arr);
	for (int k = 0; k < K; k++)
		json_object_array_add(arr, isnan(mean_other[k]) ? NULL : aml_json_new_double(mean_other[k]));
	arr = json_object_new_array();
	json_object_object_add(cs, "weights", arr);
	for (int k = 0; k < K; k++)
		json_object_array_add(arr, aml_json_new_double(weight[k]));
	{
		char	   *fb = psprintf("[%s]", c->n_feedback ? c->feedback.data : "");

		json_object_object_add(metrics, "feedback", json_object_get(aml_pg_parse_json(fb, strlen(fb))));
	}

	/* the record automl_predict serves */
	types = palloc(sizeof(Oid) * Max(ens->schema->n_inputs, 1));
	for (int j = 0; j < ens->schema->n_inputs; j++)
	{
		AttrNumber	att = get_attnum(la.relid, ens->schema->inputs[j].name);

		if (att == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of the nodes' models does not exist in relation %s",
							ens->schema->inputs[j].name, aml_fed_relation_name(la.relid)),
					 errhint("The relation at the centre must have the nodes' columns (it may be empty).")));
		types[j] = get_atttype(la.relid, att);
	}
	aml_model_describe(ens, description, sizeof(description));
	memset(&rec, 0, sizeof(rec));
	rec.name = name;
	rec.task = task;
	rec.algorithm = "ensemble";
	rec.relation = aml_fed_relation_name(la.relid);
	rec.target = la.target;
	rec.features = aml_fed_features_json(ens->schema, types);
	rec.classes = ens->schema->classes
		? pstrdup(aml_json_text(aml_pg_json_own(aml_json_new_dict(ens->schema->classes)))) : NULL;
	rec.pipeline = pstrdup(aml_json_text(aml_pg_json_own(aml_model_to_json(ens))));
	rec.params = "{}";
	rec.description = description;
	rec.metrics = pstrdup(aml_json_text(metrics));
	id = aml_model_store(&rec, &version);
	aml_model_free(ens);
	aml_core_session_end(session);
	if (name != NULL)
		ereport(NOTICE,
				(errmsg("model " INT64_FORMAT " (\"%s\" version %d): cross-site ensemble of %d node models",
						id, name, version, K)));
	else
		ereport(NOTICE, (errmsg("model " INT64_FORMAT ": cross-site ensemble of %d node models", id, K)));
	PG_RETURN_INT64(id);
}
