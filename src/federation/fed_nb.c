/*
 * fed_nb.c — automl_fit(..., 'gaussian_nb', ..., nodes => ARRAY[...]):
 * Gaussian naive Bayes over federation nodes, the model automl_fit builds
 * on the union of the nodes' complete rows, stored as a normal model that
 * automl_predict serves.
 *
 * One round.  Each node reads the target and the named features of its
 * relation of that name (filter applied, rows with a NULL in any of them
 * left out, as the statistics functions do) and sends, per class of the
 * target: its row count, per numeric (or boolean) feature the mean and the
 * sum of squared deviations of the class's rows, per categorical feature the
 * class's row count of each level; per numeric feature also whether it is
 * constant on the node (and then its value, the mean).
 *
 * The centre unions the classes (byte order of labels; numbers and
 * booleans by value, as automl_fit) and the levels (byte order, as the
 * loader's dictionaries), leaves out features constant over the union (as
 * automl_fit does, with the same NOTICE), merges the moments (Chan et al.:
 * exact up to rounding), and builds what gaussian_nb's fit computes on the
 * one-hot encoded rows: class counts and priors, per class and encoded
 * column the mean (theta) and population variance plus epsilon =
 * var_smoothing x the largest variance of an encoded column over all rows.
 * The pipeline is the default one of gaussian_nb (one-hot, imputation,
 * gaussian_nb) with the imputer's strategy "mean" — a pooled median would
 * need row values — so a NULL in a later prediction gets the pooled mean
 * (training saw no NULL: there are no missing-indicator columns).  The
 * encoder and imputer are fitted on a skeleton of the schema (every level
 * once: the one-hot columns are then the levels in code order, as on the
 * pooled rows) and their fitted numbers replaced; the result is loaded back
 * with aml_pipeline_from_json, which checks it, before it is stored.
 *
 * Privacy: a node sends nothing but the fact ("suppressed") when its rows,
 * a class's rows, a level's rows or a class-and-level cell's rows number
 * 1..automl.min_group_size-1.
 *
 * The node side (automl.node_nb) is fed_nb_node.c.  The combination
 * (aml_fed_nb_combine) is shared: multinomial_nb and
 * bernoulli_nb set their scaler and counts through its discrete hook
 * (fed_nb_discrete.c), and automl_experiment's k-fold validation over
 * nodes builds each fold's model with it (fed_nb_cv.c).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "nodes/pg_list.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/stats.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_model.h"
#include "federation/fed_nb.h"
#include "ml/pipeline.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/fit.h"
#include "pg/loader.h"
#include "pg/model_store.h"
#include "pg/stats_frame.h"
#include "pg/training_data.h"
#include "stats/combine.h"

/* one-hot columns per categorical feature at most (the encoder's default max_categories) */
#define NB_MAX_LEVELS 100


typedef struct NbLocal
{
	Oid			relid;
	char	  **names;
	int			n;
	Jsonb	   *filter;
} NbLocal;

static char *
local_nb(void *arg)
{
	NbLocal    *a = arg;
	int64		rows;
	const char *sup;

	return aml_fed_nb_node_json(a->relid, a->names, a->n, a->filter, &rows, &sup);
}

/* A class of the union: its key and merged statistics. */
typedef struct NbClass
{
	char	   *label;			/* categorical target */
	double		value;			/* numeric / boolean target */
	long		n;
	AmlMoments *num;			/* per feature (numeric ones used) */
	List	  **levels;			/* per categorical feature: (label, count) pairs */
} NbClass;

typedef struct LevelCount
{
	char	   *label;
	long		count;
} LevelCount;

static int
cmp_class(const void *a, const void *b, bool categorical)
{
	const NbClass *x = a;
	const NbClass *y = b;

	if (categorical)
		return strcmp(x->label, y->label);
	return x->value < y->value ? -1 : x->value > y->value;
}

static int
cmp_class_cat(const void *a, const void *b)
{
	return cmp_class(a, b, true);
}

static int
cmp_class_num(const void *a, const void *b)
{
	return cmp_class(a, b, false);
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
add_level(List **list, const char *label, long count)
{
	ListCell   *lc;
	LevelCount *lv;

	foreach(lc, *list)
	{
		lv = lfirst(lc);
		if (strcmp(lv->label, label) == 0)
		{
			lv->count += count;
			return;
		}
	}
	lv = palloc(sizeof(LevelCount));
	lv->label = pstrdup(label);
	lv->count = count;
	*list = lappend(*list, lv);
}

static long
level_count(List *list, const char *label)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		LevelCount *lv = lfirst(lc);

		if (strcmp(lv->label, label) == 0)
			return lv->count;
	}
	return 0;
}

/* automl_fit's label of a numeric or boolean class (training_data.c) */
char *
aml_fed_nb_class_label(double v, AmlColumnKind kind)
{
	char		buf[64];

	if (kind == AML_KIND_BINARY)
		return pstrdup(v != 0 ? "true" : "false");
	if (v == rint(v) && fabs(v) < 1e15)
		snprintf(buf, sizeof(buf), "%lld", (long long) v);
	else
		aml_format_double(v, buf, sizeof(buf));
	return pstrdup(buf);
}

static bool
is_integer_type(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == INT2OID || base == INT4OID || base == INT8OID;
}

/* a malformed answer: the node is left out */
static bool
bad_answer(AmlFedCall *c, AmlFedNode *node, json_object *doc)
{
	json_object_put(doc);
	aml_fed_feedback(c, node, true, ERRCODE_DATATYPE_MISMATCH,
					 "its answer does not match this server's columns");
	return false;
}

/* Merge one node's answer into the classes; false (node left out) if malformed. */
static bool
merge_node(AmlFedCall *c, AmlFedNode *node, json_object *doc, const AmlSource *src, int nf,
		   List **classes, bool *constant, double *const_value, bool *const_seen, long *rows,
		   long *dropped)
{
	json_object *feat = aml_fed_get(doc, "features");
	json_object *cls = aml_fed_get(doc, "classes");
	bool		categorical = src->cols[0].kind == AML_KIND_CATEGORICAL;
	List	   *added = NIL;

	if (!aml_fed_is_array(feat, nf) || !aml_fed_is_array(cls, -1) || !aml_fed_get(doc, "n"))
		return bad_answer(c, node, doc);
	/* check everything before merging anything */
	for (size_t i = 0; i < json_object_array_length(cls); i++)
	{
		json_object *o = json_object_array_get_idx(cls, i);
		json_object *v = aml_fed_get(o, "value");
		json_object *st = aml_fed_get(o, "stats");

		if (v == NULL || !aml_fed_get(o, "n") || !aml_fed_is_array(st, nf) ||
			json_object_is_type(v, json_type_string) != categorical ||
			json_object_get_int64(aml_fed_get(o, "n")) <= 0)
			return bad_answer(c, node, doc);
		for (int j = 0; j < nf; j++)
		{
			json_object *x = json_object_array_get_idx(st, j);

			if (src->cols[j + 1].kind == AML_KIND_CATEGORICAL
				? !json_object_is_type(x, json_type_object) : !aml_fed_is_number_array(x, 2))
				return bad_answer(c, node, doc);
		}
	}
	for (int j = 0; j < nf; j++)
	{
		json_object *f = json_object_array_get_idx(feat, j);

		if (!json_object_is_type(f, json_type_object) ||
			(src->cols[j + 1].kind != AML_KIND_CATEGORICAL && aml_fed_get(f, "constant") == NULL))
			return bad_answer(c, node, doc);
	}
	for (int j = 0; j < nf; j++)
	{
		json_object *f = json_object_array_get_idx(feat, j);

		if (src->cols[j + 1].kind == AML_KIND_CATEGORICAL)
			continue;
		if (!json_object_get_boolean(aml_fed_get(f, "constant")))
			constant[j] = false;
		else if (constant[j])
		{
			double		v = json_object_get_double(aml_fed_get(f, "value"));

			if (const_seen[j] && v != const_value[j])
				constant[j] = false;
			const_value[j] = v;
			const_seen[j] = true;
		}
	}
	for (size_t i = 0; i < json_object_array_length(cls); i++)
	{
		json_object *o = json_object_array_get_idx(cls, i);
		json_object *v = aml_fed_get(o, "value");
		json_object *st = aml_fed_get(o, "stats");
		NbClass    *k = NULL;
		ListCell   *lc;

		foreach(lc, *classes)
		{
			NbClass    *e = lfirst(lc);

			if (categorical ? strcmp(e->label, json_object_get_string(v)) == 0
				: e->value == json_object_get_double(v))
			{
				k = e;
				break;
			}
		}
		if (k == NULL)
		{
			k = palloc0(sizeof(NbClass));
			if (categorical)
				k->label = pstrdup(json_object_get_string(v));
			else
				k->value = json_object_get_double(v);
			k->num = palloc0(sizeof(AmlMoments) * Max(nf, 1));
			k->levels = palloc0(sizeof(List *) * Max(nf, 1));
			*classes = lappend(*classes, k);
		}
		added = lappend(added, k);
		k->n += json_object_get_int64(aml_fed_get(o, "n"));
		for (int j = 0; j < nf; j++)
		{
			json_object *x = json_object_array_get_idx(st, j);

			if (src->cols[j + 1].kind == AML_KIND_CATEGORICAL)
			{
				json_object_object_foreach(x, key, val)
					add_level(&k->levels[j], key, json_object_get_int64(val));
			}
			else
			{
				AmlMoments	m;
				long		nc = json_object_get_int64(aml_fed_get(o, "n"));

				m.n = nc;
				m.sum = json_object_get_double(json_object_array_get_idx(x, 0)) * nc;
				m.sxx = json_object_get_double(json_object_array_get_idx(x, 1));
				aml_moments_merge(&k->num[j], &m);
			}
		}
	}
	*rows += json_object_get_int64(aml_fed_get(doc, "n"));
	if (aml_fed_get(doc, "dropped"))
		*dropped += json_object_get_int64(aml_fed_get(doc, "dropped"));
	list_free(added);
	json_object_put(doc);
	return true;
}

/*
 * automl_fit's checks before any node works (task, target kind,
 * hyperparameters); the column list and kinds for the combination.
 */
void
aml_fed_nb_prepare(const AmlFedFitArgs *a, AmlFedNbPrep *prep)
{
	int			n;
	char	  **names = aml_fed_target_features(a->target, a->features, &n);
	List	   *list = NIL;
	AmlSource  *src;
	AmlTask		task;
	bool		task_given;
	AmlEstimator *check;
	AmlError	err;

	prep->names = names;
	prep->n = n;
	for (int i = 0; i < n; i++)
		list = lappend(list, names[i]);
	/* kinds and types from this server's relation of that name */
	prep->src = src = aml_source_describe_list(a->relid, list, true);
	aml_parse_task_argument(a->task, &task, &task_given);
	if (task_given && task != AML_TASK_CLASSIFICATION)
	{
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" does not do %s", a->type->name, a->task),
				 errhint("Leave task as 'auto' or set it to 'classification'.")));
	}
	if (src->cols[0].kind == AML_KIND_NUMERIC && !is_integer_type(src->cols[0].typid) &&
		(a->task == NULL || strcmp(a->task, "classification") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" does not do regression", a->type->name),
				 errdetail("Target \"%s\" makes this a regression task.", a->target),
				 errhint("Choose an algorithm for regression, or set task explicitly.")));

	/* hyperparameters are checked before any node works */
	AML_PG_CHECK(aml_estimator_create(a->type, AML_TASK_CLASSIFICATION, 2, a->params, &check, &err), &err);
	{
		json_object *pp = aml_pg_json_own(aml_params_to_json(&a->type->params, check->params));

		prep->var_smoothing = json_object_get_double(aml_fed_get(pp, "var_smoothing"));
	}
	aml_estimator_free(check);

}

/*
 * The pipeline gaussian_nb fits on the union of the rows the nodes' answers
 * describe (docs[i]: node i's answer, NULL when it has none; each is
 * released).  quiet: no NOTICE (the folds of a cross-validation).
 * discrete (multinomial_nb, bernoulli_nb: fed_nb_discrete.c): sets the
 * scaler's and the estimator's state from the pooled statistics instead.
 */
AmlPipeline *
aml_fed_nb_combine(const AmlFedFitArgs *a, const AmlFedNbPrep *prep, AmlFedCall *c,
				   json_object **docs, bool quiet, bool *contributed, long *rows_out,
				   char **features_json, AmlFedNbDiscrete discrete, void *discrete_arg)
{
	const char *what = "automl_fit";
	int			n = prep->n;
	char	  **names = prep->names;
	int			nf = n - 1;
	const AmlSource *src = prep->src;
	double		var_smoothing = prep->var_smoothing;
	List	   *classes = NIL;
	bool	   *constant = palloc(sizeof(bool) * Max(nf, 1));
	double	   *const_value = palloc0(sizeof(double) * Max(nf, 1));
	bool	   *const_seen = palloc0(sizeof(bool) * Max(nf, 1));
	bool	   *use = palloc0(sizeof(bool) * Max(nf, 1));
	char	 ***levels = palloc0(sizeof(char **) * Max(nf, 1));
	int		   *n_levels = palloc0(sizeof(int) * Max(nf, 1));
	long		rows = 0,
				dropped = 0;
	int			k,
				n_use = 0,
				p = 0;
	NbClass    *cls;
	StringInfoData constant_names;
	int			n_constant = 0;
	AmlSchema	schema;
	Oid		   *types;
	AmlError	err;
	AmlPipeline *result;
	double	   *fmin = palloc0(sizeof(double) * Max(nf, 1));
	double	   *fmax = palloc0(sizeof(double) * Max(nf, 1));
	bool	   *min_seen = palloc0(sizeof(bool) * Max(nf, 1));

	for (int j = 0; j < nf; j++)
		constant[j] = true;
	for (int i = 0; i < c->n; i++)
		if (docs[i] != NULL)
		{
			json_object *keep = json_object_get(docs[i]);

			contributed[i] = merge_node(c, &c->nodes[i], docs[i], src, nf, &classes, constant, const_value,
										const_seen, &rows, &dropped);
			if (contributed[i])
				for (int j = 0; j < nf; j++)
				{
					json_object *f = json_object_array_get_idx(aml_fed_get(keep, "features"), j);
					json_object *lo = aml_fed_get(f, "min");
					json_object *hi = aml_fed_get(f, "max");

					if (lo == NULL || hi == NULL)
						continue;
					if (!min_seen[j] || json_object_get_double(lo) < fmin[j])
						fmin[j] = json_object_get_double(lo);
					if (!min_seen[j] || json_object_get_double(hi) > fmax[j])
						fmax[j] = json_object_get_double(hi);
					min_seen[j] = true;
				}
			json_object_put(keep);
		}
	if (rows == 0)
		aml_fed_no_contribution(c, what);
	*rows_out = rows;
	if (dropped > 0 && !quiet)
		ereport(NOTICE,
				(errmsg("%ld rows with a NULL in the target or a feature are left out on the nodes", dropped)));

	/* classes in automl_fit's order */
	k = list_length(classes);
	cls = palloc(sizeof(NbClass) * Max(k, 1));
	for (int i = 0; i < k; i++)
		cls[i] = *(NbClass *) list_nth(classes, i);
	qsort(cls, k, sizeof(NbClass), src->cols[0].kind == AML_KIND_CATEGORICAL ? cmp_class_cat : cmp_class_num);
	if (src->cols[0].kind == AML_KIND_NUMERIC && k > 10 &&
		(a->task == NULL || strcmp(a->task, "classification") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"%s\" does not do regression", a->type->name),
				 errdetail("Target \"%s\" has %d distinct values on the nodes, which makes this a regression task.",
						   a->target, k),
				 errhint("Set task => 'classification' to treat its values as classes.")));
	if (k < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("target \"%s\" has only one class on the nodes", a->target),
				 errdetail("Classification needs at least two different values in the target.")));

	/* features: levels of categorical ones; constant ones left out */
	initStringInfo(&constant_names);
	for (int j = 0; j < nf; j++)
	{
		if (src->cols[j + 1].kind == AML_KIND_CATEGORICAL)
		{
			List	   *all = NIL;
			ListCell   *lc;

			for (int ci = 0; ci < k; ci++)
				foreach(lc, cls[ci].levels[j])
					add_level(&all, ((LevelCount *) lfirst(lc))->label, 1);
			n_levels[j] = list_length(all);
			levels[j] = palloc(sizeof(char *) * Max(n_levels[j], 1));
			for (int l = 0; l < n_levels[j]; l++)
				levels[j][l] = ((LevelCount *) list_nth(all, l))->label;
			qsort(levels[j], n_levels[j], sizeof(char *), cmp_cstring);
			if (n_levels[j] > NB_MAX_LEVELS)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("feature \"%s\" has %d levels on the nodes; over federation nodes at most %d are supported",
								names[j + 1], n_levels[j], NB_MAX_LEVELS),
						 errdetail("The one-hot encoder keeps the most frequent %d levels, which needs every level's count.",
								   NB_MAX_LEVELS)));
			use[j] = n_levels[j] > 1;
		}
		else
			use[j] = !constant[j];
		if (!use[j])
		{
			appendStringInfo(&constant_names, "%s%s", n_constant ? ", " : "", quote_identifier(names[j + 1]));
			n_constant++;
		}
	}
	if (n_constant > 0 && !quiet)
		ereport(NOTICE,
				(errmsg("%d column%s left out because %s the same value in every row: %s", n_constant,
						n_constant == 1 ? " is" : "s are", n_constant == 1 ? "it has" : "they have",
						constant_names.data)));

	/* the schema automl_fit would build from the pooled rows */
	memset(&schema, 0, sizeof(schema));
	for (int j = 0; j < nf; j++)
		n_use += use[j];
	if (n_use == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no usable feature column to predict \"%s\"", a->target),
				 errdetail("Every feature is constant over the nodes' rows.")));
	schema.task = AML_TASK_CLASSIFICATION;
	schema.n_inputs = n_use;
	schema.inputs = AML_NEW_ARRAY(AmlInputColumn, n_use);
	schema.target = aml_strdup(a->target);
	schema.classes = aml_dict_new();
	types = palloc(sizeof(Oid) * n_use);
	if (schema.inputs == NULL || schema.target == NULL || schema.classes == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int j = 0, q = 0; j < nf; j++)
	{
		if (!use[j])
			continue;
		schema.inputs[q].name = aml_strdup(names[j + 1]);
		schema.inputs[q].kind = src->cols[j + 1].kind;
		types[q] = src->cols[j + 1].typid;
		if (schema.inputs[q].kind == AML_KIND_CATEGORICAL)
		{
			schema.inputs[q].dict = aml_dict_new();
			for (int l = 0; l < n_levels[j]; l++)
			{
				int			code;

				AML_PG_CHECK(aml_dict_intern(schema.inputs[q].dict, levels[j][l], strlen(levels[j][l]),
											 &code, &err), &err);
			}
			p += n_levels[j];
		}
		else
			p++;
		q++;
	}
	for (int ci = 0; ci < k; ci++)
	{
		const char *label = src->cols[0].kind == AML_KIND_CATEGORICAL ? cls[ci].label
			: aml_fed_nb_class_label(cls[ci].value, src->cols[0].kind);
		int			code;

		AML_PG_CHECK(aml_dict_intern(schema.classes, label, strlen(label), &code, &err), &err);
	}

	{
		/* per class and encoded column: count, mean, sum of squared deviations */
		AmlMoments *cm = palloc0(sizeof(AmlMoments) * (size_t) k * p);
		AmlMoments *all = palloc0(sizeof(AmlMoments) * Max(p, 1));
		double	   *theta = AML_NEW_ARRAY(double, (size_t) k * p);
		double	   *var = AML_NEW_ARRAY(double, (size_t) k * p);
		double	   *count = AML_NEW_ARRAY(double, k);
		double	   *prior = AML_NEW_ARRAY(double, k);
		double	   *means = AML_NEW_ARRAY(double, Max(p, 1));
		double		max_var = 0,
					epsilon,
					total = 0;
		int			rows_sk = k;
		json_object *spec,
				   *pj,
				   *est,
				   *st;
		AmlPipeline *pl;
		AmlMatrix  *raw;
		double	   *y;
		AmlRng		rng;
		AmlMatrix	tm,
					vm;

		if (theta == NULL || var == NULL || count == NULL || prior == NULL || means == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		for (int ci = 0; ci < k; ci++)
		{
			int			e = 0;

			count[ci] = cls[ci].n;
			total += cls[ci].n;
			for (int j = 0; j < nf; j++)
			{
				if (!use[j])
					continue;
				if (src->cols[j + 1].kind == AML_KIND_CATEGORICAL)
					for (int l = 0; l < n_levels[j]; l++, e++)
					{
						double		nc = cls[ci].n;
						double		m = level_count(cls[ci].levels[j], levels[j][l]);
						double		mean = m / nc;
						AmlMoments *o = &cm[(size_t) ci * p + e];

						o->n = nc;
						o->sum = m;
						o->sxx = m * (1 - mean) * (1 - mean) + (nc - m) * mean * mean;
					}
				else
					cm[(size_t) ci * p + e++] = cls[ci].num[j];
			}
		}
		for (int e = 0; e < p; e++)
		{
			for (int ci = 0; ci < k; ci++)
				aml_moments_merge(&all[e], &cm[(size_t) ci * p + e]);
			if (all[e].sxx / all[e].n > max_var)
				max_var = all[e].sxx / all[e].n;
			means[e] = all[e].sum / all[e].n;
		}
		epsilon = var_smoothing * max_var;
		for (int ci = 0; ci < k; ci++)
		{
			prior[ci] = count[ci] / total;
			for (int e = 0; e < p; e++)
			{
				const AmlMoments *o = &cm[(size_t) ci * p + e];
				double		vv = o->sxx / o->n + epsilon;

				theta[(size_t) ci * p + e] = o->sum / o->n;
				var[(size_t) ci * p + e] = vv > 0 ? vv : DBL_MIN;
			}
		}

		/* the default pipeline with mean imputation, fitted on a skeleton of the schema */
		spec = aml_pg_json_own(aml_pipeline_default_spec(a->type, a->params));
		json_object_object_add(aml_fed_get(json_object_array_get_idx(aml_fed_get(spec, "steps"), 0), "params"),
							   "strategy", json_object_new_string("mean"));
		AML_PG_CHECK(aml_pipeline_create(&schema, spec, &pl, &err), &err);
		for (int j = 0; j < schema.n_inputs; j++)
			if (schema.inputs[j].kind == AML_KIND_CATEGORICAL && schema.inputs[j].dict->count > rows_sk)
				rows_sk = schema.inputs[j].dict->count;
		AML_PG_CHECK(aml_matrix_create(rows_sk, schema.n_inputs, &raw, &err), &err);
		y = AML_NEW_ARRAY(double, rows_sk);
		for (int i = 0; i < rows_sk; i++)
		{
			y[i] = i % k;
			for (int j = 0; j < schema.n_inputs; j++)
				AML_AT(raw, i, j) = schema.inputs[j].kind == AML_KIND_CATEGORICAL
					? i % schema.inputs[j].dict->count : i % 2;
		}
		aml_rng_seed(&rng, (uint64) (uint32) a->seed);
		AML_PG_CHECK(aml_pipeline_fit(pl, raw, y, &rng, &err), &err);
		if (aml_pipeline_outputs(pl) != k)
			elog(ERROR, "federated naive Bayes: unexpected pipeline outputs");
		pj = aml_pg_json_own(aml_pipeline_to_json(pl));
		aml_pipeline_free(pl);
		json_object_object_del(pj, "explain");
		/* the imputer's fill values: the pooled means of the encoded columns */
		st = aml_fed_get(json_object_array_get_idx(aml_fed_get(pj, "steps"), 0), "state");
		json_object_object_add(st, "statistics", aml_json_new_double_array(means, p));
		if (discrete != NULL)
		{
			/* multinomial_nb / bernoulli_nb: the scaler and the estimator from the pooled numbers */
			AmlFedNbPool pool;
			int		   *enc_feature = palloc(sizeof(int) * Max(p, 1));
			int		   *enc_level = palloc(sizeof(int) * Max(p, 1));
			char	  **labels = palloc(sizeof(char *) * k);
			double	   *values = palloc(sizeof(double) * k);

			for (int j = 0, e = 0; j < nf; j++)
			{
				if (!use[j])
					continue;
				if (src->cols[j + 1].kind == AML_KIND_CATEGORICAL)
					for (int l = 0; l < n_levels[j]; l++, e++)
					{
						enc_feature[e] = j;
						enc_level[e] = l;
					}
				else
				{
					enc_feature[e] = j;
					enc_level[e++] = -1;
				}
			}
			for (int ci = 0; ci < k; ci++)
			{
				labels[ci] = cls[ci].label;
				values[ci] = cls[ci].value;
			}
			pool.k = k;
			pool.p = p;
			pool.nf = nf;
			pool.cm = cm;
			pool.all = all;
			pool.count = count;
			pool.enc_feature = enc_feature;
			pool.enc_level = enc_level;
			pool.min = fmin;
			pool.max = fmax;
			pool.categorical_target = src->cols[0].kind == AML_KIND_CATEGORICAL;
			pool.class_labels = labels;
			pool.class_values = values;
			pool.contributed = contributed;
			discrete(a, prep, c, &pool, pj, discrete_arg);
		}
		else
		{
			/* the model */
			est = json_object_new_object();
			tm = aml_matrix_view(p, k, theta);
			vm = aml_matrix_view(p, k, var);
			json_object_object_add(est, "epsilon", aml_json_new_double(epsilon));
			json_object_object_add(est, "class_count", aml_json_new_double_array(count, k));
			json_object_object_add(est, "class_prior", aml_json_new_double_array(prior, k));
			json_object_object_add(est, "theta", aml_json_new_matrix(&tm));
			json_object_object_add(est, "var", aml_json_new_matrix(&vm));
			json_object_object_add(aml_fed_get(pj, "estimator"), "state", est);
		}
		AML_PG_CHECK(aml_pipeline_from_json(pj, &pl, &err), &err);
		*features_json = aml_fed_features_json(&schema, types);
		result = pl;
		aml_matrix_free(raw);
		aml_free(y);
		aml_free(theta);
		aml_free(var);
		aml_free(count);
		aml_free(prior);
		aml_free(means);
	}
	aml_schema_free(&schema);
	return result;
}

int64
aml_fed_gaussian_nb(const AmlFedFitArgs *a)
{
	AmlFedNbPrep prep;
	AmlFedCall *c;
	NbLocal		la;
	const char *params[4];
	json_object **docs;
	bool	   *contributed;
	double		start = aml_clock();
	long		rows;
	char	   *features_json;
	AmlPipeline *pl;
	int64		id;

	aml_fed_nb_prepare(a, &prep);
	c = aml_fed_begin(a->nodes, a->strict, "automl_fit");
	contributed = palloc0(sizeof(bool) * c->n);
	docs = palloc0(sizeof(json_object *) * c->n);
	params[0] = aml_fed_relation_name(a->relid);
	params[1] = prep.names[0];
	params[2] = aml_fed_name_array_literal(prep.names + 1, prep.n - 1);
	params[3] = aml_fed_filter_text(a->filter);
	la.relid = a->relid;
	la.names = prep.names;
	la.n = prep.n;
	la.filter = a->filter;
	aml_fed_round(c, "SELECT automl.node_nb($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.name[], $4::pg_catalog.jsonb)", 4, params, local_nb, &la);
	for (int i = 0; i < c->n; i++)
		if (aml_fed_answered(&c->nodes[i]))
			docs[i] = aml_fed_contribution(c, &c->nodes[i]);
	pl = aml_fed_nb_combine(a, &prep, c, docs, false, contributed, &rows, &features_json, NULL, NULL);
	aml_fed_end(c);
	id = aml_fed_store_model(a, pl, "classification", prep.src->qualified_name, features_json,
							 aml_fed_metrics(c, contributed, rows, a->seed, aml_clock() - start));
	aml_pipeline_free(pl);
	return id;
}
