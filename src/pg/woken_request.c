/*
 * woken_request.c — what every Woken request is prepared with, for mining
 * queries (woken_mining.c) and experiments (woken_experiment.c): the
 * extension's schema for SPI text, the query's codes, targetTable resolved,
 * Woken's existence checks ("Variable(s) X do not exist in node N and
 * table T"), the target's task, the algorithm's parameters, the
 * query-builder rules Woken adds and the compiled filter inlined into the
 * query's view, and small SPI helpers.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "pg/filter.h"
#include "pg/security.h"
#include "pg/woken.h"
#include "pg/woken_job.h"

/* The extension's schema (where automl_mining itself lives), quoted. */
static const char *ext_schema;

static const char *ext_schema_name;

const char *
aml_woken_ext_schema_name(void)
{
	return ext_schema_name;
}

const char *
aml_woken_ext_schema(void)
{
	return ext_schema;
}

void
aml_woken_set_schema(Oid fn_oid)
{
	aml_woken_set_schema_namespace(get_func_namespace(fn_oid));
}

void
aml_woken_set_schema_namespace(Oid nsp)
{
	ext_schema_name = get_namespace_name(nsp);
	if (ext_schema_name == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	ext_schema = quote_identifier(ext_schema_name);
}

/* The codes of [{code}, ...] (NULL or null: none). */
List *
aml_woken_codes_of(json_object *q, const char *key)
{
	json_object *arr;
	List	   *out = NIL;

	if (!json_object_object_get_ex(q, key, &arr) || json_object_is_type(arr, json_type_null))
		return NIL;
	if (!json_object_is_type(arr, json_type_array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be an array of {\"code\": ...}", key)));
	for (size_t i = 0; i < json_object_array_length(arr); i++)
	{
		json_object *e = json_object_array_get_idx(arr, i);
		json_object *c;

		if (json_object_is_type(e, json_type_string))
			c = e;
		else if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "code", &c) ||
				 !json_object_is_type(c, json_type_string))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be an array of {\"code\": ...}", key)));
		if (json_object_get_string_len(c) == 0 || json_object_get_string_len(c) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a variable code in %s must have between 1 and %d characters", key,
							NAMEDATALEN - 1)));
		out = lappend(out, pstrdup(json_object_get_string(c)));
	}
	return out;
}

char *
aml_woken_join_codes(List *codes, const char *sep)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	foreach(lc, codes)
		appendStringInfo(&s, "%s%s", s.len ? sep : "", (char *) lfirst(lc));
	return s.data;
}

json_object *
aml_woken_codes_array(List *codes)
{
	json_object *a = json_object_new_array();
	ListCell   *lc;

	foreach(lc, codes)
		json_object_array_add(a, json_object_new_string((char *) lfirst(lc)));
	return a;
}

bool
aml_woken_has_column(Oid relid, const char *name)
{
	AttrNumber	att = get_attnum(relid, name);

	return att != InvalidAttrNumber && att > 0;
}

/* The table of targetTable {name, dbSchema} (privileges are checked when it is read). */
Oid
aml_woken_target_table(json_object *q, char **display)
{
	json_object *t;
	json_object *v;
	const char *name = NULL;
	const char *schema = NULL;
	List	   *names;
	Oid			relid;

	if (!json_object_object_get_ex(q, "targetTable", &t) || json_object_is_type(t, json_type_null))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("No target table defined"),
				 errhint("Give \"targetTable\": {\"name\": \"...\", \"dbSchema\": \"...\"}.")));
	if (json_object_is_type(t, json_type_string))
		name = json_object_get_string(t);
	else if (json_object_is_type(t, json_type_object))
	{
		if (json_object_object_get_ex(t, "name", &v) && json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(t, "dbSchema", &v) && json_object_is_type(v, json_type_string))
			schema = json_object_get_string(v);
	}
	if (name == NULL || name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("targetTable must have a name")));
	names = schema ? list_make2(makeString(pstrdup(schema)), makeString(pstrdup(name)))
		: list_make1(makeString(pstrdup(name)));
	relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("Table %s does not exist", schema ? psprintf("%s.%s", schema, name) : name)));
	*display = pstrdup(name);
	return relid;
}

void
aml_woken_check_exist(List *codes, Oid relid, const char *node, const char *table, const char *what)
{
	List	   *missing = NIL;
	ListCell   *lc;

	foreach(lc, codes)
		if (!aml_woken_has_column(relid, lfirst(lc)))
			missing = lappend(missing, lfirst(lc));
	if (missing != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("Variable(s) %s do not exist in node %s and table %s", aml_woken_join_codes(missing, ","),
						node, table),
				 errdetail("%s must name columns of the table.", what)));
}

/* regression or classification, as automl_fit's task => 'auto' would see it */
AmlTask
aml_woken_target_task(Oid relid, const char *target)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), CStringGetTextDatum(target)};
	int			ret;
	bool		isnull;
	char	   *task;

	ret = SPI_execute_with_args(
		"SELECT CASE WHEN v.type OPERATOR(pg_catalog.=) ANY ('{polynominal,binominal,boolean}') "
		"  THEN 'classification' WHEN v.type OPERATOR(pg_catalog.=) ANY ('{real,integer}') THEN 'regression' "
		"  WHEN t.typcategory OPERATOR(pg_catalog.=) ANY ('{S,B,E}') THEN 'classification' "
		"  ELSE 'regression' END "
		"FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid "
		"LEFT JOIN automl.variables v ON v.code OPERATOR(pg_catalog.=) a.attname::pg_catalog.text "
		"WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
		2, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the type of the target failed");
	task = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return strcmp(task, "classification") == 0 ? AML_TASK_CLASSIFICATION : AML_TASK_REGRESSION;
}

/* the string value of a Woken parameter, or NULL */
const char *
aml_woken_param_value(json_object *parameters, const char *code)
{
	if (parameters == NULL || !json_object_is_type(parameters, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(parameters); i++)
	{
		json_object *p = json_object_array_get_idx(parameters, i);
		json_object *c;
		json_object *v;

		if (json_object_object_get_ex(p, "code", &c) && strcmp(json_object_get_string(c), code) == 0 &&
			json_object_object_get_ex(p, "value", &v) && !json_object_is_type(v, json_type_null))
			return json_object_get_string(v);
	}
	return NULL;
}

json_object *
aml_woken_params_echo(json_object *parameters)
{
	json_object *o = json_object_new_object();

	if (parameters == NULL || !json_object_is_type(parameters, json_type_array))
		return o;
	for (size_t i = 0; i < json_object_array_length(parameters); i++)
	{
		json_object *p = json_object_array_get_idx(parameters, i);
		json_object *c;
		json_object *v;

		if (json_object_is_type(p, json_type_object) && json_object_object_get_ex(p, "code", &c) &&
			json_object_object_get_ex(p, "value", &v))
			json_object_object_add(o, json_object_get_string(c), json_object_get(v));
	}
	return o;
}

int64
aml_woken_spi_int8(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	bool		isnull;
	Datum		d;

	if (ret < 0 || SPI_processed != 1)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(ret));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

Datum
aml_woken_names_array(List *codes)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(list_length(codes), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, codes)
		d[i++] = DirectFunctionCall1(namein, CStringGetDatum(lfirst(lc)));
	return PointerGetDatum(construct_array(d, i, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR));
}

/* {"field": field, "operator": op, "value": value} */
json_object *
aml_woken_rule_of(const char *field, const char *op, json_object *value)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "field", json_object_new_string(field));
	json_object_object_add(r, "operator", json_object_new_string(op));
	if (value != NULL)
		json_object_object_add(r, "value", value);
	return r;
}

/*
 * The compiled filter with its parameters written as typed literals
 * ('value'::schema.type), for the view's definition.  $n placeholders are
 * replaced outside quoted identifiers and literals only.
 */
char *
aml_woken_inline_parameters(const AmlWhere *w)
{
	StringInfoData out;
	const char *p = w->clause;

	initStringInfo(&out);
	while (*p)
	{
		if (*p == '"' || *p == '\'')
		{
			char		q = *p;

			appendStringInfoChar(&out, *p++);
			while (*p)
			{
				if (*p == q && p[1] == q)
				{
					appendStringInfoChar(&out, *p++);
					appendStringInfoChar(&out, *p++);
					continue;
				}
				if (*p == q)
					break;
				appendStringInfoChar(&out, *p++);
			}
			if (*p)
				appendStringInfoChar(&out, *p++);
		}
		else if (*p == '$' && isdigit((unsigned char) p[1]))
		{
			int			n = 0;
			int			i;
			Oid			out_fn;
			bool		varlena;

			p++;
			while (isdigit((unsigned char) *p))
				n = n * 10 + (*p++ - '0');
			i = n - w->first_param;
			if (i < 0 || i >= w->nparams)
				elog(ERROR, "filter parameter $%d out of range", n);
			if (w->nulls && w->nulls[i] == 'n')
				appendStringInfo(&out, "NULL::%s", format_type_be_qualified(w->types[i]));
			else
			{
				getTypeOutputInfo(w->types[i], &out_fn, &varlena);
				appendStringInfo(&out, "%s::%s",
								 quote_literal_cstr(OidOutputFunctionCall(out_fn, w->values[i])),
								 format_type_be_qualified(w->types[i]));
			}
		}
		else
			appendStringInfoChar(&out, *p++);
	}
	return out.data;
}
