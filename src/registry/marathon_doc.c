/*
 * marathon_doc.c — Marathon's answers as untrusted input (see
 * marathon_doc.h).
 *
 * json-c's accessors turn anything into something: json_object_get_string()
 * of a JSON null is a NULL pointer, json_object_get_int() of "3" is 3 and of
 * 1e300 is INT32_MAX.  Nothing here calls an accessor before it has checked
 * the type, and a JSON null (which json-c hands back as a NULL object) is
 * never mistaken for an object.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "registry/marathon_doc.h"
#include "registry/registry.h"

/* ------------------------------------------------------------ text, ids and paths */

char *
aml_marathon_clean_text(const char *text, size_t len, size_t max_bytes)
{
	StringInfoData buf;
	int			enc = GetDatabaseEncoding();
	bool		keep_utf8 = enc == PG_UTF8 || enc == PG_SQL_ASCII;
	size_t		i = 0;

	initStringInfo(&buf);
	while (i < len)
	{
		const unsigned char *p = (const unsigned char *) text + i;
		int			l;

		if ((size_t) buf.len >= max_bytes)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		if (*p < 0x80)
		{
			appendStringInfoChar(&buf, (*p < 0x20 || *p == 0x7f) ? ' ' : (char) *p);
			i++;
			continue;
		}
		l = pg_utf_mblen(p);
		if (l < 2 || i + l > len || !pg_utf8_islegal(p, l))
		{
			appendStringInfoChar(&buf, '?');
			i++;
			continue;
		}
		if (!keep_utf8)
			appendStringInfoChar(&buf, '?');
		else if ((size_t) buf.len + l <= max_bytes)
			appendBinaryStringInfo(&buf, (const char *) p, l);
		else
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		i += l;
	}
	return buf.data;
}

bool
aml_marathon_deployment_id_ok(const char *id)
{
	size_t		n = 0;

	if (id == NULL)
		return false;
	for (const char *c = id; *c; c++, n++)
	{
		if (n >= AML_DEPLOYMENT_ID_MAX)
			return false;
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	}
	return n > 0;
}

char *
aml_marathon_bad_deployment_id_text(const AmlHttpCall *call, const char *id)
{
	char	   *clean = aml_marathon_clean_text(id ? id : "", id ? strlen(id) : 0, 80);

	return psprintf("%s %s: Marathon returned \"%s\" as a deployment id, which is not one "
					"(a deployment id has 1 to %d letters, digits and \"-\")",
					aml_http_method_name(call->method), call->path, clean, AML_DEPLOYMENT_ID_MAX);
}

/* One path segment, percent-encoded: only RFC 3986's unreserved characters stay, and not "." or "..". */
static void
append_segment(StringInfo buf, const char *seg, size_t len)
{
	bool		only_dots = len > 0 && strspn(seg, ".") >= len;

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) seg[i];

		if (!only_dots && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
						   c == '-' || c == '.' || c == '_' || c == '~'))
			appendStringInfoChar(buf, (char) c);
		else
			appendStringInfo(buf, "%%%02X", c);
	}
}

char *
aml_marathon_app_path(const char *app_id, const char *suffix)
{
	StringInfoData buf;
	const char *p = app_id;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "/v2/apps");
	while (*p == '/')
		p++;
	while (*p)
	{
		size_t		len = strcspn(p, "/");

		appendStringInfoChar(&buf, '/');
		append_segment(&buf, p, len);
		p += len;
		while (*p == '/')
			p++;
	}
	appendStringInfoString(&buf, suffix);
	return buf.data;
}

char *
aml_marathon_deployment_path(const char *deployment_id, const char *suffix)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "/v2/deployments/");
	append_segment(&buf, deployment_id, strlen(deployment_id));
	appendStringInfoString(&buf, suffix);
	return buf.data;
}

/* ------------------------------------------------------------ documents */

/* The member key of obj, or NULL when it is absent or JSON null. */
static json_object *
member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static bool
has_member(json_object *obj, const char *key)
{
	json_object *v;

	return obj != NULL && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v);
}

static const char *
type_name(json_object *v)
{
	return v == NULL ? "null" : json_type_to_name(json_object_get_type(v));
}

/* A count (instances, tasksRunning ...): absent -> dflt; else an integer in [0, INT_MAX]. */
static bool
read_count(json_object *obj, const char *key, int dflt, int *out, char **problem)
{
	json_object *v;

	if (!has_member(obj, key))
	{
		*out = dflt;
		return true;
	}
	v = member(obj, key);
	if (v != NULL && json_object_is_type(v, json_type_int))
	{
		int64		x = json_object_get_int64(v);

		/* json-c keeps integers beyond int64 as uint64: get_int64 saturates them */
		if (x >= 0 && x <= INT_MAX)
		{
			*out = (int) x;
			return true;
		}
	}
	else if (v != NULL && json_object_is_type(v, json_type_double))
	{
		double		x = json_object_get_double(v);

		if (isfinite(x) && x == floor(x) && x >= 0 && x <= INT_MAX)
		{
			*out = (int) x;
			return true;
		}
	}
	*problem = psprintf("\"%s\" is not a count (a %s)", key,
						v != NULL && (json_object_is_type(v, json_type_int) ||
									  json_object_is_type(v, json_type_double)) ? "number out of range" : type_name(v));
	return false;
}

bool
aml_marathon_version_ok(const char *version)
{
	size_t		n = 0;

	for (const char *c = version; *c; c++, n++)
		if (n >= 64 || *c <= ' ' || *c > '~')
			return false;
	return n > 0;
}

/* An optional string member: absent -> NULL; present -> a string (else a problem). */
static bool
read_string(json_object *obj, const char *key, const char **out, const char *where, char **problem)
{
	json_object *v;

	*out = NULL;
	if (!has_member(obj, key))
		return true;
	v = member(obj, key);
	if (v == NULL || !json_object_is_type(v, json_type_string))
	{
		*problem = psprintf("\"%s%s\" is not a string (a %s)", where, key, type_name(v));
		return false;
	}
	/* a string with a NUL byte inside (\u0000) is not one we can use */
	if (strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
	{
		*problem = psprintf("\"%s%s\" holds a NUL character", where, key);
		return false;
	}
	*out = json_object_get_string(v);
	return true;
}

static bool
read_version(json_object *obj, const char **out, char **problem)
{
	if (!read_string(obj, "version", out, "", problem))
		return false;
	if (*out != NULL && !aml_marathon_version_ok(*out))
	{
		*problem = pstrdup("\"version\" is not a version (at most 64 printable ASCII characters)");
		return false;
	}
	return true;
}

/* "deployments": [{"id": ...}, ...] -> the first id; absent or [] -> NULL. */
static AmlDocStatus
read_deployment_list(json_object *obj, const char **first, char **problem, const char **bad_id)
{
	json_object *deps;
	size_t		n;

	*first = NULL;
	if (!has_member(obj, "deployments"))
		return AML_DOC_OK;
	deps = member(obj, "deployments");
	if (deps == NULL || !json_object_is_type(deps, json_type_array))
	{
		*problem = psprintf("\"deployments\" is not an array (a %s)", type_name(deps));
		return AML_DOC_MALFORMED;
	}
	n = json_object_array_length(deps);
	for (size_t i = 0; i < n; i++)
	{
		json_object *d = json_object_array_get_idx(deps, i);
		const char *id;

		if (d == NULL || !json_object_is_type(d, json_type_object))
		{
			*problem = psprintf("\"deployments\"[%zu] is not an object (a %s)", i, type_name(d));
			return AML_DOC_MALFORMED;
		}
		if (!read_string(d, "id", &id, "deployments[].", problem))
			return AML_DOC_MALFORMED;
		if (id == NULL)
		{
			*problem = psprintf("\"deployments\"[%zu] has no \"id\"", i);
			return AML_DOC_MALFORMED;
		}
		if (!aml_marathon_deployment_id_ok(id))
		{
			*bad_id = id;
			return AML_DOC_BAD_ID;
		}
		if (i == 0)
			*first = id;
	}
	return AML_DOC_OK;
}

AmlDocStatus
aml_marathon_read_app(const AmlHttpCall *call, AmlMarathonApp *app, char **problem, const char **bad_id)
{
	json_object *doc = aml_marathon_response_json(call);
	json_object *a = member(doc, "app");
	json_object *labels;
	json_object *checks;
	AmlDocStatus st;

	memset(app, 0, sizeof(*app));
	*problem = NULL;
	*bad_id = NULL;
	if (a == NULL || !json_object_is_type(a, json_type_object))
	{
		*problem = psprintf("\"app\" is not an object (a %s)", has_member(doc, "app") ? type_name(a) : "missing");
		return AML_DOC_MALFORMED;
	}
	if (!read_version(a, &app->version, problem))
		return AML_DOC_MALFORMED;
	if (has_member(a, "labels"))
	{
		labels = member(a, "labels");
		if (labels == NULL || !json_object_is_type(labels, json_type_object))
		{
			*problem = psprintf("\"labels\" is not an object (a %s)", type_name(labels));
			return AML_DOC_MALFORMED;
		}
		if (!read_string(labels, AML_LABEL_DEPLOYMENT, &app->deployment_label, "labels.", problem))
			return AML_DOC_MALFORMED;
	}
	st = read_deployment_list(a, &app->deployment_id, problem, bad_id);
	if (st != AML_DOC_OK)
		return st;
	if (!read_count(a, "instances", 1, &app->instances, problem) ||
		!read_count(a, "tasksRunning", 0, &app->tasks_running, problem) ||
		!read_count(a, "tasksHealthy", 0, &app->tasks_healthy, problem))
		return AML_DOC_MALFORMED;
	if (has_member(a, "healthChecks"))
	{
		checks = member(a, "healthChecks");
		if (checks == NULL || !json_object_is_type(checks, json_type_array))
		{
			*problem = psprintf("\"healthChecks\" is not an array (a %s)", type_name(checks));
			return AML_DOC_MALFORMED;
		}
		app->has_health_checks = json_object_array_length(checks) > 0;
	}
	return AML_DOC_OK;
}

AmlDocStatus
aml_marathon_read_write_result(const AmlHttpCall *call, const char **deployment_id, const char **version,
							   char **problem, const char **bad_id)
{
	json_object *body = aml_marathon_response_json(call);
	const char *from_body = NULL;
	AmlDocStatus st;

	*deployment_id = NULL;
	*version = NULL;
	*problem = NULL;
	*bad_id = NULL;
	if (call->deployment_id[0] != '\0')
	{
		if (call->deployment_id_cut || !aml_marathon_deployment_id_ok(call->deployment_id))
		{
			*bad_id = call->deployment_id;
			return AML_DOC_BAD_ID;
		}
		*deployment_id = call->deployment_id;
	}
	if (body == NULL)
	{
		if (call->body_problem[0] != '\0')
		{
			*problem = pstrdup(call->body_problem);
			return AML_DOC_MALFORMED;
		}
		return AML_DOC_OK;		/* no body: the header is all there is */
	}
	if (!json_object_is_type(body, json_type_object))
	{
		*problem = psprintf("the body is not an object (a %s)", type_name(body));
		return AML_DOC_MALFORMED;
	}
	if (!read_version(body, version, problem) || !read_string(body, "deploymentId", &from_body, "", problem))
		return AML_DOC_MALFORMED;
	if (from_body != NULL && !aml_marathon_deployment_id_ok(from_body))
	{
		*bad_id = from_body;
		return AML_DOC_BAD_ID;
	}
	if (from_body == NULL)
	{
		/* POST /v2/apps answers with the app, which lists its deployment */
		st = read_deployment_list(body, &from_body, problem, bad_id);
		if (st != AML_DOC_OK)
			return st;
	}
	if (*deployment_id == NULL)
		*deployment_id = from_body;
	return AML_DOC_OK;
}

AmlDocStatus
aml_marathon_read_deployments(const AmlHttpCall *call, AmlMarathonDeployment **list, int *n, char **problem)
{
	json_object *doc = aml_marathon_response_json(call);
	size_t		len;

	*list = NULL;
	*n = 0;
	*problem = NULL;
	if (doc == NULL || !json_object_is_type(doc, json_type_array))
	{
		*problem = psprintf("the body is not an array (a %s)", doc == NULL ? "missing body" : type_name(doc));
		return AML_DOC_MALFORMED;
	}
	len = json_object_array_length(doc);
	*list = palloc0(sizeof(AmlMarathonDeployment) * Max(len, 1));
	for (size_t i = 0; i < len; i++)
	{
		json_object *d = json_object_array_get_idx(doc, i);
		json_object *id;
		json_object *apps;
		AmlMarathonDeployment *out;

		if (d == NULL || !json_object_is_type(d, json_type_object))
			continue;
		out = &(*list)[(*n)++];
		id = member(d, "id");
		if (id != NULL && json_object_is_type(id, json_type_string))
		{
			out->id = json_object_get_string(id);
			out->id_ok = strlen(out->id) == (size_t) json_object_get_string_len(id) &&
				aml_marathon_deployment_id_ok(out->id);
		}
		apps = member(d, "affectedApps");
		if (apps != NULL && json_object_is_type(apps, json_type_array))
			out->affected_apps = apps;
	}
	return AML_DOC_OK;
}

bool
aml_marathon_deployment_affects(const AmlMarathonDeployment *d, const char *marathon_app_id)
{
	size_t		n;

	if (d->affected_apps == NULL)
		return false;
	n = json_object_array_length(d->affected_apps);
	for (size_t i = 0; i < n; i++)
	{
		json_object *a = json_object_array_get_idx(d->affected_apps, i);

		/* null, numbers, objects: not an app id */
		if (a != NULL && json_object_is_type(a, json_type_string) &&
			strcmp(json_object_get_string(a), marathon_app_id) == 0)
			return true;
	}
	return false;
}
