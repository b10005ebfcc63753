/*
 * web_request.c — what the HTTP routes read from a request (limit/offset,
 * ids, the columns a JSON body sets) and how they write a response (JSON
 * bodies, errors) (web_routes.h).  The columns a body may set are fixed
 * lists, so request keys never reach SQL text.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "utils/json.h"

#include "web/web_routes.h"

/* ------------------------------------------------------------ responses */

static void
json_str(StringInfo out, const char *s)
{
	if (s == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, s);
}

void
aml_web_error(AmlWebResponse *res, int status, const char *error, const char *detail, const char *hint)
{
	res->status = status;
	resetStringInfo(&res->body);
	appendStringInfoString(&res->body, "{\"error\": ");
	json_str(&res->body, error);
	if (detail)
	{
		appendStringInfoString(&res->body, ", \"detail\": ");
		json_str(&res->body, detail);
	}
	if (hint)
	{
		appendStringInfoString(&res->body, ", \"hint\": ");
		json_str(&res->body, hint);
	}
	appendStringInfoString(&res->body, "}");
}

void
aml_web_respond(AmlWebResponse *res, int status, const char *json)
{
	res->status = status;
	resetStringInfo(&res->body);
	appendStringInfoString(&res->body, json);
}

/* ------------------------------------------------------------ arguments */

static bool
parse_count(const char *s, long dflt, long max, long *out)
{
	char	   *end;
	long		v;

	if (s == NULL)
	{
		*out = dflt;
		return true;
	}
	if (*s == '\0' || strlen(s) > 9)
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

bool
aml_web_paging(AmlWebRequest *req, AmlWebResponse *res, char *limit, char *offset)
{
	long		l,
				o;

	if (!parse_count(req->limit, AML_WEB_DEFAULT_LIMIT, AML_WEB_MAX_LIMIT, &l) || !parse_count(req->offset, 0, 100000000, &o))
	{
		aml_web_error(res, 400, "invalid limit or offset", "limit is 0 to 1000, offset 0 to 100000000.", NULL);
		return false;
	}
	snprintf(limit, 16, "%ld", l);
	snprintf(offset, 16, "%ld", o);
	return true;
}

bool
aml_web_parse_id(const char *s, AmlWebResponse *res)
{
	if (*s == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
	{
		aml_web_error(res, 404, "not found", psprintf("\"%s\" is not an id.", s), NULL);
		return false;
	}
	return true;
}

/*
 * The body must be a JSON object whose keys are all in `allowed`; returns
 * the keys (NULL-terminated, in `allowed`'s spelling) or NULL after filling res.
 */
const char **
aml_web_body_columns(AmlWebRequest *req, AmlWebResponse *res, const char *const *allowed, int *n)
{
	json_tokener *tok;
	struct json_object *doc;
	const char **cols;
	int			count = 0;
	int			na = 0;

	while (allowed[na])
		na++;
	cols = palloc0(sizeof(char *) * (na + 1));
	*n = 0;
	if (req->body == NULL || req->body_len == 0)
	{
		aml_web_error(res, 400, "a JSON object is required as the request body", NULL, NULL);
		return NULL;
	}
	if (strlen(req->body) != req->body_len)
	{
		aml_web_error(res, 400, "the request body contains a NUL byte", NULL, NULL);
		return NULL;
	}
	tok = json_tokener_new_ex(64);
	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, req->body, (int) req->body_len);
	if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success)
	{
		const char *why = json_tokener_error_desc(json_tokener_get_error(tok));

		json_tokener_free(tok);
		if (doc)
			json_object_put(doc);
		aml_web_error(res, 400, "the request body is not valid JSON", pstrdup(why), NULL);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(doc, json_type_object))
	{
		json_object_put(doc);
		aml_web_error(res, 400, "the request body must be a JSON object", NULL, NULL);
		return NULL;
	}
	{
		json_object_iter it;

		json_object_object_foreachC(doc, it)
		{
			int			k;

			for (k = 0; allowed[k]; k++)
				if (strcmp(allowed[k], it.key) == 0)
					break;
			if (allowed[k] == NULL)
			{
				char	   *key = pstrdup(it.key);
				StringInfoData list;

				json_object_put(doc);
				initStringInfo(&list);
				for (k = 0; allowed[k]; k++)
					appendStringInfo(&list, "%s%s", k ? ", " : "", allowed[k]);
				res->status = 422;
				aml_web_error(res, 422, "unknown field in the request body",
							  psprintf("Field \"%s\" is not one of: %s.", key, list.data), NULL);
				return NULL;
			}
			if (count < na)
				cols[count++] = allowed[k];
		}
	}
	json_object_put(doc);
	*n = count;
	return cols;
}

bool
aml_web_column_in(const char *const *cols, int n, const char *c)
{
	for (int i = 0; i < n; i++)
		if (strcmp(cols[i], c) == 0)
			return true;
	return false;
}
