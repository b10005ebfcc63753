/*
 * variables.c — the meta-db: automl_import_variables(hierarchy jsonb) loads
 * MIP's variable hierarchy (groups of variables with code, label, type,
 * enumerations, units ...) into automl.variables, which the loader consults
 * to decide column kinds.
 *
 * MIP's files were written to be pasted into SQL literals, so some labels
 * carry a doubled apostrophe (Alzheimer''s); it is imported as one.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_import_variables);

static const char *const variable_types[] = {
	"integer", "real", "boolean", "date", "polynominal", "binominal", "text", NULL
};

typedef struct ImportState
{
	SPIPlanPtr	plan;
	int			count;
	List	   *seen;			/* codes imported so far */
	List	   *path;			/* group codes from the root */
} ImportState;

static const char *
path_text(ImportState *st)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	foreach(lc, st->path)
		appendStringInfo(&s, "/%s", (char *) lfirst(lc));
	if (s.len == 0)
		appendStringInfoChar(&s, '/');
	return s.data;
}

static void malformed(ImportState *st, const char *msg, const char *detail) pg_attribute_noreturn();

static void
malformed(ImportState *st, const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed variable hierarchy: %s", msg),
			 errdetail("At group %s%s%s", path_text(st), detail ? ": " : ".", detail ? detail : ""),
			 errhint("The hierarchy is MIP's meta-db format: {\"code\", \"groups\": [...], \"variables\": [{\"code\", \"label\", \"type\", ...}]}.")));
}

/* A code or label: a string, or a number kept as its text (MIP writes both); else NULL. */
static char *
code_text(json_object *v)
{
	if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int) ||
		json_object_is_type(v, json_type_double))
		return pstrdup(json_object_get_string(v));
	return NULL;
}

static char *
optional_string(ImportState *st, json_object *obj, const char *key, const char *code)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string))
	{
		/* MIP writes some codes/labels as numbers: keep their text */
		if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
			return pstrdup(json_object_get_string(v));
		malformed(st, psprintf("field \"%s\" of variable \"%s\" must be a string", key, code), NULL);
	}
	return pstrdup(json_object_get_string(v));
}

/* Undo the SQL-literal escaping of MIP's files: '' -> ' */
static char *
unescape_quotes(char *s)
{
	char	   *r = s;
	char	   *w = s;

	if (s == NULL)
		return NULL;
	while (*r)
	{
		if (r[0] == '\'' && r[1] == '\'')
			r++;
		*w++ = *r++;
	}
	*w = '\0';
	return s;
}

static Datum
optional_number(ImportState *st, json_object *obj, const char *key, const char *code, bool *isnull)
{
	json_object *v;
	double		d;

	*isnull = true;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return (Datum) 0;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		d = json_object_get_double(v);
	else if (json_object_is_type(v, json_type_string))
	{
		/* numbers written as strings ("12.5") are accepted */
		const char *text = json_object_get_string(v);
		char	   *end;

		d = strtod(text, &end);
		if (*end != '\0' || end == text)
			malformed(st, psprintf("field \"%s\" of variable \"%s\" must be a number", key, code), NULL);
	}
	else
		malformed(st, psprintf("field \"%s\" of variable \"%s\" must be a number", key, code), NULL);
	/* "NaN", "Infinity", "inf" and numbers beyond a double are no bounds */
	if (!isfinite(d))
		malformed(st, psprintf("field \"%s\" of variable \"%s\" must be a finite number", key, code), NULL);
	*isnull = false;
	return Float8GetDatum(d);
}

static Datum
json_text_to_jsonb(json_object *v)
{
	const char *text = aml_json_text(v);

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

static void
import_variable(ImportState *st, json_object *var, int index)
{
	const char *code;
	const char *type;
	json_object *v;
	Datum		values[12];
	char		nulls[12];
	bool		isnull;
	ListCell   *lc;
	bool		known = false;
	int			ret;

	if (!json_object_is_type(var, json_type_object))
		malformed(st, psprintf("variable %d is not an object", index + 1), NULL);
	code = optional_string(st, var, "code", "?");
	if (code == NULL || code[0] == '\0')
		malformed(st, psprintf("variable %d has no \"code\"", index + 1), NULL);
	type = optional_string(st, var, "type", code);
	if (type == NULL)
		malformed(st, psprintf("variable \"%s\" has no \"type\"", code), NULL);
	for (int i = 0; variable_types[i]; i++)
		if (strcmp(variable_types[i], type) == 0)
			known = true;
	if (!known)
		malformed(st, psprintf("variable \"%s\" has unknown type \"%s\"", code, type),
				  "Valid types are integer, real, boolean, date, polynominal, binominal and text.");
	foreach(lc, st->seen)
		if (strcmp((char *) lfirst(lc), code) == 0)
			malformed(st, psprintf("variable \"%s\" appears more than once", code), NULL);
	st->seen = lappend(st->seen, pstrdup(code));

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(code);
	{
		char	   *label = unescape_quotes(optional_string(st, var, "label", code));

		values[1] = label ? CStringGetTextDatum(label) : (Datum) 0;
		nulls[1] = label ? ' ' : 'n';
	}
	values[2] = CStringGetTextDatum(type);
	{
		const char *keys[] = {"sql_type", "units", "description", "methodology"};

		for (int k = 0; k < 4; k++)
		{
			char	   *s = unescape_quotes(optional_string(st, var, keys[k], code));

			values[3 + k] = s ? CStringGetTextDatum(s) : (Datum) 0;
			nulls[3 + k] = s ? ' ' : 'n';
		}
	}
	if (json_object_object_get_ex(var, "enumerations", &v) && v != NULL)
	{
		int			n;

		if (!json_object_is_type(v, json_type_array))
			malformed(st, psprintf("\"enumerations\" of variable \"%s\" must be an array", code), NULL);
		n = (int) json_object_array_length(v);
		for (int i = 0; i < n; i++)
		{
			json_object *e = json_object_array_get_idx(v, i);
			json_object *ecode;
			json_object *elabel;

			if (!json_object_is_type(e, json_type_object))
				malformed(st, psprintf("enumeration %d of variable \"%s\" must be an object, not %s",
									   i + 1, code, aml_json_kind(e)), NULL);
			if (!json_object_object_get_ex(e, "code", &ecode) || ecode == NULL)
				malformed(st, psprintf("enumeration %d of variable \"%s\" has no \"code\"", i + 1, code),
						  NULL);
			if (code_text(ecode) == NULL)
				malformed(st, psprintf("the \"code\" of enumeration %d of variable \"%s\" must be a string or a number, not %s",
									   i + 1, code, aml_json_kind(ecode)), NULL);
			if (json_object_object_get_ex(e, "label", &elabel) && elabel != NULL &&
				code_text(elabel) == NULL)
				malformed(st, psprintf("the \"label\" of enumeration %d of variable \"%s\" must be a string or a number, not %s",
									   i + 1, code, aml_json_kind(elabel)), NULL);
		}
		values[7] = json_text_to_jsonb(v);
	}
	else
		nulls[7] = 'n';
	values[8] = optional_number(st, var, "minValue", code, &isnull);
	nulls[8] = isnull ? 'n' : ' ';
	values[9] = optional_number(st, var, "maxValue", code, &isnull);
	nulls[9] = isnull ? 'n' : ' ';
	{
		/* the group path, from the root's children down */
		Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(st->path), 1));
		int			n = 0;

		foreach(lc, st->path)
			elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
		values[10] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	}
	if (json_object_object_get_ex(var, "datasets", &v) && v != NULL)
	{
		int			n;
		Datum	   *elems;

		if (!json_object_is_type(v, json_type_array))
			malformed(st, psprintf("\"datasets\" of variable \"%s\" must be an array, not %s",
								   code, aml_json_kind(v)), NULL);
		n = (int) json_object_array_length(v);
		elems = palloc(sizeof(Datum) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			/* MIP writes datasets as {"code": "CHUV1"} objects or plain strings */
			json_object *e = json_object_array_get_idx(v, i);
			json_object *ecode = NULL;
			char	   *name;

			if (json_object_is_type(e, json_type_object))
			{
				if (!json_object_object_get_ex(e, "code", &ecode) || ecode == NULL)
					malformed(st, psprintf("dataset %d of variable \"%s\" has no \"code\"", i + 1, code),
							  NULL);
				name = code_text(ecode);
			}
			else
				name = code_text(e);
			if (name == NULL || name[0] == '\0')
				malformed(st, psprintf("dataset %d of variable \"%s\" must be a string or {\"code\": string}, not %s",
									   i + 1, code, name ? "an empty string" : aml_json_kind(ecode ? ecode : e)),
						  NULL);
			elems[i] = CStringGetTextDatum(name);
		}
		values[11] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	}
	else
		nulls[11] = 'n';

	ret = SPI_execute_plan(st->plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "inserting into automl.variables failed: %s", SPI_result_code_string(ret));
	st->count++;
}

static void
import_group(ImportState *st, json_object *group, int depth)
{
	json_object *v;

	check_stack_depth();
	if (!json_object_is_type(group, json_type_object))
		malformed(st, "a group is not an object", NULL);
	if (json_object_object_get_ex(group, "variables", &v) && v != NULL)
	{
		int			n;

		if (!json_object_is_type(v, json_type_array))
			malformed(st, "\"variables\" must be an array", NULL);
		n = (int) json_object_array_length(v);
		for (int i = 0; i < n; i++)
			import_variable(st, json_object_array_get_idx(v, i), i);
	}
	if (json_object_object_get_ex(group, "groups", &v) && v != NULL)
	{
		int			n;

		if (!json_object_is_type(v, json_type_array))
			malformed(st, "\"groups\" must be an array", NULL);
		n = (int) json_object_array_length(v);
		for (int i = 0; i < n; i++)
		{
			json_object *child = json_object_array_get_idx(v, i);
			json_object *code;
			char	   *name;

			if (!json_object_is_type(child, json_type_object))
				malformed(st, psprintf("group %d is not an object", i + 1), NULL);
			if (json_object_object_get_ex(child, "code", &code) && code != NULL)
			{
				name = code_text(code);
				if (name == NULL || name[0] == '\0')
					malformed(st, psprintf("the \"code\" of group %d must be a string, not %s",
										   i + 1, name ? "an empty string" : aml_json_kind(code)), NULL);
			}
			else
				name = psprintf("#%d", i + 1);
			st->path = lappend(st->path, name);
			import_group(st, child, depth + 1);
			st->path = list_delete_last(st->path);
		}
	}
}

Datum
automl_import_variables(PG_FUNCTION_ARGS)
{
	Jsonb	   *hierarchy = PG_GETARG_JSONB_P(0);
	char	   *text = JsonbToCString(NULL, &hierarchy->root, VARSIZE(hierarchy));
	json_object *root = aml_pg_parse_json(text, strlen(text));
	ImportState st;
	AmlActAs	safe;
	Oid			argtypes[12] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	JSONBOID, FLOAT8OID, FLOAT8OID, TEXTARRAYOID, TEXTARRAYOID};

	memset(&st, 0, sizeof(st));
	{
		/* refuse cleanly, before any work, when the caller may not write the table */
		Oid			relid = RangeVarGetRelid(makeRangeVar("automl", "variables", -1), NoLock, false);
		AclResult	res = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT | ACL_UPDATE);

		if (res != ACLCHECK_OK)
			aclcheck_error(res, OBJECT_TABLE, "automl.variables");
	}
	if (!json_object_is_type(root, json_type_object))
		malformed(&st, "the hierarchy must be a JSON object", NULL);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the caller (it needs INSERT and UPDATE on automl.variables), search_path pinned */
	aml_act_as(&safe, InvalidOid);
	st.plan = SPI_prepare(
		"INSERT INTO automl.variables AS v (code, label, type, sql_type, units, description, "
		"methodology, enumerations, min_value, max_value, group_path, datasets) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
		"ON CONFLICT (code) DO UPDATE SET label = EXCLUDED.label, type = EXCLUDED.type, "
		"sql_type = EXCLUDED.sql_type, units = EXCLUDED.units, "
		"description = EXCLUDED.description, methodology = EXCLUDED.methodology, "
		"enumerations = EXCLUDED.enumerations, min_value = EXCLUDED.min_value, "
		"max_value = EXCLUDED.max_value, group_path = EXCLUDED.group_path, "
		"datasets = EXCLUDED.datasets, imported_at = pg_catalog.now()",
		12, argtypes);
	if (st.plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	import_group(&st, root, 0);
	aml_act_end(&safe);
	SPI_finish();
	PG_RETURN_INT32(st.count);
}
