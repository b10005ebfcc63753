/*
 * fed_model.c — automl_fit(..., nodes => ARRAY[...]): the models automl_fit
 * fits over federation nodes (gaussian_nb: fed_nb.c, kmeans: fed_kmeans.c),
 * and what they share: the column list, the model record automl_fit
 * writes (automl.models, served by automl_predict as any model).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "federation/fed_json.h"
#include "federation/fed_model.h"
#include "federation/fed_nb.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/fit.h"
#include "pg/loader.h"
#include "pg/model_store.h"

PG_FUNCTION_INFO_V1(automl_fed_fit);

/* the local automl_fit (src/pg/fit.c) */
extern Datum automl_fit(PG_FUNCTION_ARGS);

char *
aml_fed_name_array_literal(char **names, int n)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (int i = 0; i < n; i++)
	{
		/* an array element: quoted, with " and \ escaped */
		appendStringInfoString(&s, i ? ",\"" : "\"");
		for (const char *ch = names[i]; *ch; ch++)
		{
			if (*ch == '"' || *ch == '\\')
				appendStringInfoChar(&s, '\\');
			appendStringInfoChar(&s, *ch);
		}
		appendStringInfoChar(&s, '"');
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}

char *
aml_fed_names_text(char **names, int n)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < n; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", names[i]);
	return s.data;
}

char	  **
aml_fed_target_features(const char *target, ArrayType *features, int *n)
{
	List	   *list = aml_name_array_to_list(features, "features");
	char	  **names = palloc(sizeof(char *) * (list_length(list) + 1));
	ListCell   *lc;
	int			k = 0;

	if (target != NULL)
		names[k++] = pstrdup(target);
	foreach(lc, list)
	{
		char	   *f = lfirst(lc);

		if (target != NULL && strcmp(f, target) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the target \"%s\" cannot also be a feature", target)));
		names[k++] = f;
	}
	if (k == (target != NULL ? 1 : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must name at least one column")));
	if (k > 1600)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many features (%d)", k)));
	*n = k;
	return names;
}

/* Store a pipeline built at the centre as automl_fit stores its models; returns the id. */
int64
aml_fed_store_model(const AmlFedFitArgs *a, AmlPipeline *p, const char *task, const char *relation,
					const char *features_json, json_object *metrics)
{
	AmlModelRecord rec;
	char		description[2048];
	int32		version = 0;
	int64		id;
	json_object *pj = aml_pg_json_own(aml_pipeline_to_json(p));
	json_object *pp = aml_pg_json_own(aml_params_to_json(&a->type->params, p->estimator->params));

	aml_pipeline_describe(p, description, sizeof(description));
	memset(&rec, 0, sizeof(rec));
	rec.name = a->name;
	rec.task = task;
	rec.algorithm = a->type->name;
	rec.relation = relation;
	rec.target = a->target;
	rec.features = features_json;
	rec.classes = p->schema.classes
		? pstrdup(aml_json_text(aml_pg_json_own(aml_json_new_dict(p->schema.classes)))) : NULL;
	rec.pipeline = pstrdup(aml_json_text(pj));
	rec.params = pstrdup(aml_json_text(pp));
	rec.description = description;
	rec.metrics = pstrdup(aml_json_text(metrics));
	id = aml_model_store(&rec, &version);
	if (a->name != NULL)
		ereport(NOTICE,
				(errmsg("model " INT64_FORMAT " (\"%s\" version %d): %s", id, a->name, version, description)));
	else
		ereport(NOTICE, (errmsg("model " INT64_FORMAT ": %s", id, description)));
	return id;
}

/* features jsonb text as automl_fit writes it: [{"name", "kind", "type", "categories"}...] */
char *
aml_fed_features_json(const AmlSchema *schema, const Oid *types)
{
	json_object *arr = aml_pg_json_own(json_object_new_array());

	for (int k = 0; k < schema->n_inputs; k++)
	{
		const AmlInputColumn *in = &schema->inputs[k];
		json_object *c = json_object_new_object();

		json_object_array_add(arr, c);
		json_object_object_add(c, "name", json_object_new_string(in->name));
		json_object_object_add(c, "kind", json_object_new_string(aml_kind_name(in->kind)));
		json_object_object_add(c, "type", json_object_new_string(format_type_be(types[k])));
		if (in->kind == AML_KIND_CATEGORICAL)
			json_object_object_add(c, "categories", aml_json_new_dict(in->dict));
	}
	return pstrdup(aml_json_text(arr));
}

/* metrics of a federated model: rows, seed, the nodes that contributed */
json_object *
aml_fed_metrics(AmlFedCall *c, const bool *contributed, long rows, int32 seed, double seconds)
{
	json_object *m = aml_pg_json_own(json_object_new_object());
	json_object *nodes = json_object_new_array();

	json_object_object_add(m, "holdout", NULL);
	json_object_object_add(m, "fit_seconds", aml_json_new_number(seconds));
	json_object_object_add(m, "rows", json_object_new_int64(rows));
	json_object_object_add(m, "seed", json_object_new_int(seed));
	for (int i = 0; i < c->n; i++)
		if (contributed[i])
			json_object_array_add(nodes, json_object_new_string(c->nodes[i].name));
	json_object_object_add(m, "nodes", nodes);
	return m;
}

/*
 * automl_fit(relation, target, algorithm, params, features, task, seed,
 * name, filter, nodes, strict): the local automl_fit without nodes.
 */
Datum
automl_fed_fit(PG_FUNCTION_ARGS)
{
	ArrayType  *nodes = NODES_ARG(9);
	AmlFedFitArgs	a;
	AmlCoreSession *session;
	int64		id;

	if (nodes == NULL)
		return automl_fit(fcinfo);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation, target and algorithm must not be NULL")));
	memset(&a, 0, sizeof(a));
	a.relid = PG_GETARG_OID(0);
	a.target = PG_ARGISNULL(1) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(1)));
	a.type = aml_pg_find_algorithm(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	a.features = PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4);
	a.task = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	a.seed = PG_ARGISNULL(6) ? 42 : PG_GETARG_INT32(6);
	a.name = PG_ARGISNULL(7) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(7));
	a.filter = AML_FILTER_ARG(fcinfo, 8);
	a.nodes = nodes;
	a.strict = STRICT_ARG(10);
	if (a.name != NULL && (a.name[0] == '\0' || strlen(a.name) > 200))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a model name must have between 1 and 200 characters")));
	if (strcmp(a.type->name, "gaussian_nb") != 0 && strcmp(a.type->name, "kmeans") != 0 &&
		strcmp(a.type->name, "multinomial_nb") != 0 && strcmp(a.type->name, "bernoulli_nb") != 0 &&
		strcmp(a.type->name, "knn") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm \"%s\" is not supported over federation nodes", a.type->name),
				 errhint("Over nodes, automl_fit fits gaussian_nb, multinomial_nb, bernoulli_nb, kmeans and (where the nodes allow row values) knn.")));
	if (a.features == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("automl_fit over federation nodes needs the features named"),
				 errhint("Pass features => ARRAY[...] with the columns to learn from.")));
	session = aml_core_session_begin("automl_fit");
	if (!PG_ARGISNULL(3))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(3);
		char	   *text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

		a.params = aml_pg_parse_json(text, strlen(text));
	}
	if (strcmp(a.type->name, "kmeans") == 0)
		id = aml_fed_kmeans(&a);
	else
	{
		if (a.target == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("relation, target and algorithm must not be NULL")));
		if (strcmp(a.type->name, "knn") == 0)
			id = aml_fed_knn(&a);	/* s21-fedml: fed_knn.c */
		else if (strcmp(a.type->name, "gaussian_nb") == 0)
			id = aml_fed_gaussian_nb(&a);
		else
			id = aml_fed_discrete_nb(&a);	/* s21-fedml: fed_nb_discrete.c */
	}
	aml_core_session_end(session);
	PG_RETURN_INT64(id);
}
