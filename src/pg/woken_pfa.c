/*
 * woken_pfa.c — automl_export_pfa(model_id): a stored model as a PFA
 * document (src/ml/pfa.c), the format of Woken's predictive results.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "ml/pfa.h"
#include "pg/core_bridge.h"
#include "pg/model_store.h"
#include "pg/woken.h"

PG_FUNCTION_INFO_V1(automl_export_pfa);

bool
aml_woken_pfa_supported(const char *algorithm)
{
	/* a name of the comma-separated list AML_PFA_FAMILIES */
	const char *list = AML_PFA_FAMILIES;
	size_t		len = strlen(algorithm);

	if (len == 0)
		return false;
	/* the search's ensembles: of regressors (aml_woken_pipeline_pfa says why otherwise) */
	if (strcmp(algorithm, "ensemble") == 0)
		return true;
	for (const char *p = list; (p = strstr(p, algorithm)) != NULL; p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

json_object *
aml_woken_model_pfa(int64 model_id)
{
	AmlStoredModel *m = aml_model_fetch(model_id);

	return aml_woken_pipeline_pfa(model_id, m->algorithm, m->pipeline, NULL);
}

json_object *
aml_woken_pipeline_pfa(int64 model_id, const char *algorithm, const char *pipeline_text, char **why)
{
	json_object *pipeline = aml_pg_parse_json(pipeline_text, strlen(pipeline_text));
	json_object *meta = aml_pg_json_own(json_object_new_object());
	json_object *doc;
	AmlError	err;
	AmlStatus	st;
	char		name[64];

	snprintf(name, sizeof(name), "automl_model_" INT64_FORMAT, model_id);
	json_object_object_add(meta, "automl.model_id", json_object_new_string(psprintf(INT64_FORMAT, model_id)));
	json_object_object_add(meta, "automl.algorithm", json_object_new_string(algorithm));
	json_object_object_add(meta, "pfa_version", json_object_new_string("0.8.1"));
	st = aml_pfa_from_pipeline(pipeline, name, meta, &doc, &err);
	if (st == AML_ERR_INVALID_PARAMETER && why != NULL)
	{
		*why = pstrdup(err.message);
		return NULL;
	}
	if (st == AML_ERR_INVALID_PARAMETER)
		aml_pg_raise_code(&err, ERRCODE_FEATURE_NOT_SUPPORTED);
	AML_PG_CHECK(st, &err);
	return aml_pg_json_own(doc);
}

Datum
automl_export_pfa(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	AmlCoreSession *session = aml_core_session_begin("automl_export_pfa");
	json_object *doc = aml_woken_model_pfa(id);
	Datum		result = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(doc)));

	aml_core_session_end(session);
	PG_RETURN_DATUM(result);
}
