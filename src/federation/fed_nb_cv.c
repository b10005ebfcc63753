/*
 * fed_nb_cv.c — k-fold cross-validation of naive Bayes over federation
 * nodes (automl_experiment(..., nodes => ...), fed_experiment.c): the
 * scores the k-fold validation of the local experiment computes, from
 * aggregates only.
 *
 * Folds.  The local experiment draws folds with random() over the pooled
 * rows; over nodes there is no pooled order, so every node assigns each of
 * its complete rows (filter applied, rows with a NULL in the target or a
 * feature left out) to a fold by the row's values alone:
 *   fold = 1 + FNV-1a-32(values) mod k
 * over the target then the features in the order given; a numeric or
 * boolean value as the 8 bytes (little-endian) of its double (a boolean is
 * 0 or 1), a categorical value as its bytes and a 0 byte.  A row is in the
 * same fold wherever it is stored: the same experiment over one node
 * holding the pooled rows has the same folds (and so the same scores).
 * Folds are not of equal size (hashing), and equal rows share a fold.
 *
 * Round 1 (automl.node_nb_folds): per fold f, the node's naive Bayes
 * answer (fed_nb.c) for its rows outside fold f.  The centre builds the k
 * fold models as the federated fit builds one (aml_fed_nb_combine): each
 * equals automl_fit on the union of the other folds' rows.
 * Round 2 (automl.node_nb_validate): the k fold models (their pipelines'
 * JSON, the aggregates a model publishes anyway) and the final model's
 * classes; every node predicts the rows of fold f with model f and sends
 * per fold the confusion matrix (true x predicted class).  The centre sums
 * them: every classification score of Woken (accuracy, confusion matrix,
 * weighted precision/recall/F1/false positive rate) is a function of the
 * confusion matrix, so the scores are those of the pooled predictions.
 *
 * Privacy: a node sends "suppressed" instead of its folds' answers when any
 * of them has a group under automl.min_group_size (fed_nb.c's rule, per
 * fold), and instead of its confusion matrices when any non-zero cell
 * counts 1..automl.min_group_size-1 (the cells are the patients of a class
 * predicted as a class).  All or nothing per node: with some folds sent
 * and the total, the missing fold would be their difference.  A node
 * suppressed in round 2 has its rows in the fold models but not in the
 * scores (feedback says so).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "core/memory.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_nb.h"
#include "ml/pipeline.h"
#include "pg/core_bridge.h"

PG_FUNCTION_INFO_V1(automl_node_nb_folds);
PG_FUNCTION_INFO_V1(automl_node_nb_validate);

#define MAX_FOLDS 1000

/* ---------------------------------------------------------------- folds */

static uint32
fnv1a(uint32 h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

int
aml_fed_fold_of_row(const AmlStatsFrame *fr, long row, int k)
{
	uint32		h = 2166136261u;

	for (int c = 0; c < fr->ncols; c++)
	{
		const AmlStatsColumn *col = &fr->cols[c];

		if (col->kind == AML_KIND_CATEGORICAL)
		{
			const char *s = col->levels[(int) col->values[row]];

			h = fnv1a(h, (const unsigned char *) s, strlen(s) + 1);
		}
		else
		{
			uint64		bits;
			unsigned char b[8];

			memcpy(&bits, &col->values[row], sizeof(bits));
			for (int i = 0; i < 8; i++)
				b[i] = (unsigned char) (bits >> (8 * i));
			h = fnv1a(h, b, 8);
		}
	}
	return (int) (h % (uint32) k) + 1;
}

/* The frame's rows whose fold is (in_fold) or is not (!in_fold) f: a copy sharing the levels. */
static AmlStatsFrame *
frame_subset(const AmlStatsFrame *fr, const int *fold, int f, bool in_fold)
{
	AmlStatsFrame *s = palloc(sizeof(AmlStatsFrame));
	long		m = 0;

	*s = *fr;
	s->cols = palloc(sizeof(AmlStatsColumn) * fr->ncols);
	for (int c = 0; c < fr->ncols; c++)
	{
		s->cols[c] = fr->cols[c];
		s->cols[c].values = palloc(sizeof(double) * Max(fr->n, 1));
	}
	for (long i = 0; i < fr->n; i++)
	{
		if ((fold[i] == f) != in_fold)
			continue;
		for (int c = 0; c < fr->ncols; c++)
			s->cols[c].values[m] = fr->cols[c].values[i];
		m++;
	}
	s->n = m;
	return s;
}

static int
check_k(int k)
{
	if (k < 2 || k > MAX_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 2 and %d", MAX_FOLDS)));
	return k;
}

static int *
frame_folds(const AmlStatsFrame *fr, int k)
{
	int		   *fold = palloc(sizeof(int) * Max(fr->n, 1));

	for (long i = 0; i < fr->n; i++)
		fold[i] = aml_fed_fold_of_row(fr, i, k);
	return fold;
}

/* ---------------------------------------------------------------- node side */

static char *
node_folds_json(Oid relid, char **names, int n, Jsonb *filter, int k, int64 *rows, const char **suppressed)
{
	AmlStatsFrame *fr = aml_stats_frame_load(relid, names, n, filter, true, "automl.node_nb_folds");
	int		   *fold = frame_folds(fr, k);
	StringInfoData s;

	*rows = fr->n;
	*suppressed = NULL;
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"folds\": [", fr->n);
	for (int f = 1; f <= k; f++)
	{
		const char *why;
		char	   *part;

		CHECK_FOR_INTERRUPTS();
		part = aml_fed_nb_frame_answer(frame_subset(fr, fold, f, false), false, &why);
		if (why != NULL)
		{
			*suppressed = psprintf("fold %d: %s", f, why);
			return aml_fed_suppressed_json(*suppressed);
		}
		appendStringInfo(&s, "%s%s", f > 1 ? ", " : "", part);
	}
	appendStringInfoString(&s, "]}");
	return s.data;
}

static void
bad_models(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("models must be {\"classes\": [label, ...], \"pipelines\": [k automl pipelines]}")));
}

/* Per fold the confusion matrix of its rows predicted by its model (models: k pipelines + classes). */
static char *
node_validate_json(Oid relid, char **names, int n, Jsonb *filter, int k, const char *models_text,
				   int64 *rows, const char **suppressed)
{
	json_object *models = aml_pg_parse_json(models_text, strlen(models_text));
	json_object *classes = aml_fed_get(models, "classes");
	json_object *pipelines = aml_fed_get(models, "pipelines");
	AmlStatsFrame *fr;
	int		   *fold;
	int			nc;
	int64	   *cm;
	StringInfoData s;
	AmlError	err;

	if (!json_object_is_type(models, json_type_object) || !aml_fed_is_string_array(classes) ||
		!aml_fed_is_array(pipelines, k) || json_object_array_length(classes) < 1 ||
		json_object_array_length(classes) > 10000)
		bad_models();
	nc = (int) json_object_array_length(classes);
	fr = aml_stats_frame_load(relid, names, n, filter, true, "automl.node_nb_validate");
	fold = frame_folds(fr, k);
	*rows = fr->n;
	*suppressed = NULL;
	cm = palloc0(sizeof(int64) * k * nc * nc);
	for (int f = 1; f <= k; f++)
	{
		AmlStatsFrame *sub = frame_subset(fr, fold, f, true);
		AmlPipeline *pl;
		AmlMatrix  *raw;
		AmlMatrix  *out;
		int		   *map;
		int		   *to_final;
		double	   *probs;

		CHECK_FOR_INTERRUPTS();
		if (sub->n == 0)
			continue;
		AML_PG_CHECK(aml_pipeline_from_json(json_object_array_get_idx(pipelines, f - 1), &pl, &err), &err);
		if (pl->schema.task != AML_TASK_CLASSIFICATION || pl->schema.classes == NULL)
			bad_models();
		/* input columns by name; fold model classes to the final model's */
		map = palloc(sizeof(int) * Max(pl->schema.n_inputs, 1));
		for (int j = 0; j < pl->schema.n_inputs; j++)
		{
			map[j] = -1;
			for (int c = 1; c < fr->ncols; c++)
				if (strcmp(fr->cols[c].name, pl->schema.inputs[j].name) == 0)
					map[j] = c;
			if (map[j] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("model input \"%s\" is not one of the features", pl->schema.inputs[j].name)));
		}
		to_final = palloc(sizeof(int) * Max(aml_pipeline_outputs(pl), 1));
		for (int o = 0; o < aml_pipeline_outputs(pl); o++)
		{
			const char *label = aml_dict_string(pl->schema.classes, o);

			to_final[o] = -1;
			for (int c = 0; c < nc; c++)
				if (strcmp(json_object_get_string(json_object_array_get_idx(classes, c)), label) == 0)
					to_final[o] = c;
			if (to_final[o] < 0)
				bad_models();
		}
		AML_PG_CHECK(aml_matrix_create(sub->n, pl->schema.n_inputs, &raw, &err), &err);
		AML_PG_CHECK(aml_matrix_create(sub->n, aml_pipeline_outputs(pl), &out, &err), &err);
		for (long i = 0; i < sub->n; i++)
			for (int j = 0; j < pl->schema.n_inputs; j++)
			{
				const AmlStatsColumn *col = &sub->cols[map[j]];

				if (pl->schema.inputs[j].kind == AML_KIND_CATEGORICAL)
				{
					const char *lv;
					int			code;

					if (col->kind != AML_KIND_CATEGORICAL)
						ereport(ERROR,
								(errcode(ERRCODE_DATATYPE_MISMATCH),
								 errmsg("feature \"%s\" is not categorical on this node", col->name)));
					lv = col->levels[(int) col->values[i]];
					code = aml_dict_lookup(pl->schema.inputs[j].dict, lv, strlen(lv));
					AML_AT(raw, i, j) = code < 0 ? AML_UNSEEN_CATEGORY : code;
				}
				else if (col->kind == AML_KIND_CATEGORICAL)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("feature \"%s\" is categorical on this node", col->name)));
				else
					AML_AT(raw, i, j) = col->values[i];
			}
		AML_PG_CHECK(aml_pipeline_predict(pl, raw, out, &err), &err);
		probs = palloc(sizeof(double) * Max(out->cols, 1));
		for (long i = 0; i < sub->n; i++)
		{
			const AmlStatsColumn *t = &sub->cols[0];
			const char *truth = t->kind == AML_KIND_CATEGORICAL ? t->levels[(int) t->values[i]]
				: aml_fed_nb_class_label(t->values[i], t->kind);
			int			yt = -1;
			int			yp;

			/* the label automl_predict gives: the first largest output (matrices are column-major) */
			for (int o = 0; o < out->cols; o++)
				probs[o] = AML_AT(out, i, o);
			yp = to_final[aml_argmax(probs, out->cols)];

			for (int c = 0; c < nc; c++)
				if (strcmp(json_object_get_string(json_object_array_get_idx(classes, c)), truth) == 0)
					yt = c;
			if (yt < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("class \"%s\" of a row is not one of the model's classes", truth)));
			cm[((size_t) (f - 1) * nc + yt) * nc + yp]++;
		}
		aml_matrix_free(raw);
		aml_matrix_free(out);
		aml_pipeline_free(pl);
	}
	for (size_t i = 0; i < (size_t) k * nc * nc; i++)
		if ((*suppressed = aml_fed_group_check(cm[i], "a cell of a fold's confusion matrix")) != NULL)
			return aml_fed_suppressed_json(*suppressed);
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"folds\": [", fr->n);
	for (int f = 0; f < k; f++)
	{
		appendStringInfoString(&s, f ? ", [" : "[");
		for (int a = 0; a < nc; a++)
		{
			appendStringInfoString(&s, a ? ", [" : "[");
			for (int b = 0; b < nc; b++)
				appendStringInfo(&s, "%s" INT64_FORMAT, b ? ", " : "", cm[((size_t) f * nc + a) * nc + b]);
			appendStringInfoChar(&s, ']');
		}
		appendStringInfoChar(&s, ']');
	}
	appendStringInfoString(&s, "]}");
	return s.data;
}

static void
node_log(const char *what, Oid relid, char **names, int n, Jsonb *filter, int k, int64 rows,
		 const char *suppressed)
{
	StringInfoData extra;

	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"target\": ");
	aml_fed_json_string(&extra, names[0]);
	appendStringInfo(&extra, ", \"k\": %d", k);
	aml_fed_log(what, aml_fed_log_arguments(relid, aml_fed_names_text(names + 1, n - 1), filter, extra.data),
				rows, suppressed);
}

Datum
automl_node_nb_folds(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_nb_folds";
	Jsonb	   *filter;
	char	  **names;
	int			n;
	int			k;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 3);
	if (PG_ARGISNULL(4))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("k must not be NULL")));
	k = check_k(PG_GETARG_INT32(4));
	filter = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	names = aml_fed_target_features(NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), &n);
	session = aml_core_session_begin(what);
	out = node_folds_json(PG_GETARG_OID(0), names, n, filter, k, &rows, &suppressed);
	aml_core_session_end(session);
	node_log(what, PG_GETARG_OID(0), names, n, filter, k, rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

Datum
automl_node_nb_validate(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_nb_validate";
	Jsonb	   *filter;
	char	  **names;
	int			n;
	int			k;
	AmlCoreSession *session;
	char	   *out;
	int64		rows;
	const char *suppressed;
	Jsonb	   *models;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 3);
	if (PG_ARGISNULL(4) || PG_ARGISNULL(5))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("k and models must not be NULL")));
	k = check_k(PG_GETARG_INT32(4));
	models = PG_GETARG_JSONB_P(5);
	filter = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	names = aml_fed_target_features(NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), &n);
	session = aml_core_session_begin(what);
	out = node_validate_json(PG_GETARG_OID(0), names, n, filter, k,
							 JsonbToCString(NULL, &models->root, VARSIZE(models)), &rows, &suppressed);
	aml_core_session_end(session);
	node_log(what, PG_GETARG_OID(0), names, n, filter, k, rows, suppressed);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

typedef struct CvLocal
{
	Oid			relid;
	char	  **names;
	int			n;
	Jsonb	   *filter;
	int			k;
	const char *models;			/* round 2 */
} CvLocal;

static char *
local_folds(void *arg)
{
	CvLocal    *a = arg;
	int64		rows;
	const char *sup;

	return node_folds_json(a->relid, a->names, a->n, a->filter, a->k, &rows, &sup);
}

static char *
local_validate(void *arg)
{
	CvLocal    *a = arg;
	int64		rows;
	const char *sup;

	return node_validate_json(a->relid, a->names, a->n, a->filter, a->k, a->models, &rows, &sup);
}

void
aml_fed_nb_cross_validate(const AmlFedFitArgs *a, int k, char **classes, int n_classes,
						  int64 **confusion, long *rows)
{
	const char *what = "automl_experiment validation";
	AmlFedNbPrep prep;
	AmlFedCall *c;
	CvLocal		la;
	const char *params[6];
	json_object **folds;
	bool	   *in = NULL;
	json_object *models = aml_pg_json_own(json_object_new_object());
	json_object *pipes = json_object_new_array();
	json_object *cls = json_object_new_array();

	check_k(k);
	aml_fed_nb_prepare(a, &prep);
	c = aml_fed_begin(a->nodes, a->strict, what);
	folds = palloc0(sizeof(json_object *) * c->n);
	params[0] = aml_fed_relation_name(a->relid);
	params[1] = prep.names[0];
	params[2] = aml_fed_name_array_literal(prep.names + 1, prep.n - 1);
	params[3] = aml_fed_filter_text(a->filter);
	params[4] = psprintf("%d", k);
	la.relid = a->relid;
	la.names = prep.names;
	la.n = prep.n;
	la.filter = a->filter;
	la.k = k;

	/* round 1: per fold the answers for the rows outside it; the fold models */
	aml_fed_round(c, "SELECT automl.node_nb_folds($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.name[], $4::pg_catalog.jsonb, $5::pg_catalog.int4)", 5, params,
				  local_folds, &la);
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc;

		if (!aml_fed_answered(&c->nodes[i]) || (doc = aml_fed_contribution(c, &c->nodes[i])) == NULL)
			continue;
		if (!aml_fed_is_array(aml_fed_get(doc, "folds"), k))
		{
			json_object_put(doc);
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_DATATYPE_MISMATCH,
							 "its answer does not match this server's columns");
			continue;
		}
		folds[i] = doc;
	}
	for (int f = 0; f < k; f++)
	{
		json_object **docs = palloc0(sizeof(json_object *) * c->n);
		bool	   *contributed = palloc0(sizeof(bool) * c->n);
		long		r;
		char	   *fj;
		AmlPipeline *pl;
		json_object *pj;

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < c->n; i++)
			if (folds[i] != NULL && c->nodes[i].state != AML_FED_FAILED)
				docs[i] = json_object_get(json_object_array_get_idx(aml_fed_get(folds[i], "folds"), f));
		pl = aml_fed_nb_combine(a, &prep, c, docs, true, contributed, &r, &fj, NULL, NULL);
		if (in == NULL)
		{
			in = contributed;
			for (int i = 0; i < c->n; i++)
				if (folds[i] != NULL && !in[i])
					aml_fed_leave(c, &c->nodes[i]);
		}
		else
			for (int i = 0; i < c->n; i++)
				if (in[i] && !contributed[i])
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("node \"%s\" sent a malformed answer for fold %d", c->nodes[i].name, f + 1)));
		pj = aml_pipeline_to_json(pl);
		json_object_object_del(pj, "explain");
		json_object_array_add(pipes, pj);
		aml_pipeline_free(pl);
	}
	for (int i = 0; i < c->n; i++)
		if (folds[i] != NULL)
			json_object_put(folds[i]);

	/* round 2: the nodes score the fold models on their folds */
	for (int i = 0; i < n_classes; i++)
		json_object_array_add(cls, json_object_new_string(classes[i]));
	json_object_object_add(models, "classes", cls);
	json_object_object_add(models, "pipelines", pipes);
	la.models = aml_json_text(models);
	params[5] = la.models;
	aml_fed_round(c, "SELECT automl.node_nb_validate($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.name[], $4::pg_catalog.jsonb, $5::pg_catalog.int4, $6::pg_catalog.jsonb)",
				  6, params, local_validate, &la);
	for (int f = 0; f < k; f++)
		confusion[f] = palloc0(sizeof(int64) * n_classes * n_classes);
	*rows = 0;
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc;
		json_object *fs;
		bool		ok;

		if (!aml_fed_answered(&c->nodes[i]) || (doc = aml_fed_contribution(c, &c->nodes[i])) == NULL)
			continue;
		fs = aml_fed_get(doc, "folds");
		ok = aml_fed_is_array(fs, k) && aml_fed_get(doc, "n") != NULL;
		for (int f = 0; ok && f < k; f++)
		{
			json_object *m = json_object_array_get_idx(fs, f);

			ok = aml_fed_is_array(m, n_classes);
			for (int a2 = 0; ok && a2 < n_classes; a2++)
				ok = aml_fed_is_number_array(json_object_array_get_idx(m, a2), n_classes);
		}
		if (!ok)
		{
			json_object_put(doc);
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_DATATYPE_MISMATCH,
							 "its answer does not match this server's columns");
			continue;
		}
		for (int f = 0; f < k; f++)
			for (int a2 = 0; a2 < n_classes; a2++)
				for (int b = 0; b < n_classes; b++)
				{
					int64		v = json_object_get_int64(json_object_array_get_idx(
						json_object_array_get_idx(json_object_array_get_idx(fs, f), a2), b));

					confusion[f][a2 * n_classes + b] += v;
					*rows += v;
				}
		json_object_put(doc);
	}
	if (*rows == 0)
		aml_fed_no_contribution(c, what);
	aml_fed_end(c);
}
