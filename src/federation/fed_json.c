/*
 * fed_json.c — reading the nodes' answers and writing suppressions, shared
 * by every federated function (fed_json.h).
 */
#include "federation/fed_json.h"

#include "utils/builtins.h"

char *
aml_fed_filter_text(Jsonb *filter)
{
	return filter ? JsonbToCString(NULL, &filter->root, VARSIZE(filter)) : NULL;
}

char *
aml_fed_suppressed_json(const char *reason)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"suppressed\": ");
	aml_fed_json_string(&s, reason);
	appendStringInfoChar(&s, '}');
	return s.data;
}

json_object *
aml_fed_parse_answer(AmlFedCall *c, AmlFedNode *node)
{
	json_object *doc = node->result ? json_tokener_parse(node->result) : NULL;

	if (doc == NULL || !json_object_is_type(doc, json_type_object))
	{
		if (doc)
			json_object_put(doc);
		aml_fed_feedback(c, node, true, ERRCODE_PROTOCOL_VIOLATION, "unreadable answer");
		return NULL;
	}
	return doc;
}

json_object *
aml_fed_contribution(AmlFedCall *c, AmlFedNode *node)
{
	json_object *doc = aml_fed_parse_answer(c, node);
	json_object *why;

	if (doc == NULL)
		return NULL;
	why = aml_fed_get(doc, "suppressed");
	if (why)
	{
		aml_fed_feedback(c, node, false, 0, "suppressed its part: %s", json_object_get_string(why));
		json_object_put(doc);
		aml_fed_leave(c, node);	/* nothing more to ask it in this call */
		return NULL;
	}
	return doc;
}

bool
aml_fed_is_array(json_object *o, size_t len)
{
	return o != NULL && json_object_is_type(o, json_type_array) &&
		(len == (size_t) -1 || json_object_array_length(o) == len);
}

bool
aml_fed_is_number_array(json_object *o, size_t len)
{
	if (!aml_fed_is_array(o, len))
		return false;
	for (size_t i = 0; i < json_object_array_length(o); i++)
	{
		json_object *x = json_object_array_get_idx(o, i);

		if (!json_object_is_type(x, json_type_double) && !json_object_is_type(x, json_type_int))
			return false;
	}
	return true;
}

bool
aml_fed_is_string_array(json_object *o)
{
	if (!aml_fed_is_array(o, (size_t) -1))
		return false;
	for (size_t i = 0; i < json_object_array_length(o); i++)
		if (!json_object_is_type(json_object_array_get_idx(o, i), json_type_string))
			return false;
	return true;
}

json_object *
aml_fed_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

void
aml_fed_no_contribution(AmlFedCall *c, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s: no node contributed rows", what),
			 errdetail("Feedback: %s", c->n_feedback ? c->feedback.data : "(none)"),
			 errhint("automl_federation_feedback() lists what each node reported.")));
}

void
aml_fed_node_args(FunctionCallInfo fcinfo, int nargs)
{
	for (int i = 0; i < nargs; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of a federation function must not be NULL", i + 1)));
}

char *
aml_fed_log_arguments(Oid relid, const char *names, Jsonb *filter, const char *extra)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "{\"relation\": ");
	aml_fed_json_string(&s, aml_fed_relation_name(relid));
	appendStringInfoString(&s, ", \"columns\": ");
	aml_fed_json_string(&s, names);
	appendStringInfo(&s, ", \"filter\": %s%s}", filter ? aml_fed_filter_text(filter) : "null",
					 extra ? extra : "");
	return s.data;
}
