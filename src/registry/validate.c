/*
 * validate.c — what Marathon (and Docker, and Traefik) would refuse, checked
 * when a registry row is written, so that bad data fails at INSERT/UPDATE
 * with a message naming the value, not minutes later at deploy time.
 *
 * Rules come from Marathon 1.5-1.10 (AppValidation, PathId, the RAML types):
 * id segments are [a-z0-9-] (no uppercase, no '_'), env and label values are
 * JSON strings, instances is an integer, health-check port indices must
 * address a port; from Docker's reference grammar for image names; and from
 * Label Schema for image metadata.
 */
#include "postgres.h"

#include <limits.h>

#include "pg/jsonc.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "registry/validate.h"

#define PROBLEM(p_, ...) \
	do { (p_)->message = psprintf(__VA_ARGS__); (p_)->detail = NULL; (p_)->hint = NULL; } while (0)

static const char *const reserved_last_segments[] = {"restart", "tasks", "versions"};

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* The segment rule of Marathon ids without dots: [a-z0-9]([a-z0-9-]*[a-z0-9])? */
static bool
is_segment(const char *s, size_t len)
{
	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Lowercase, '_' and other separators to '-': what the user probably meant. */
static char *
suggest_segment(const char *name)
{
	StringInfoData buf;
	const char *s = name;

	initStringInfo(&buf);
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (isalnum(c) && c < 128)
			appendStringInfoChar(&buf, (char) tolower(c));
		else if (buf.len > 0 && buf.data[buf.len - 1] != '-')
			appendStringInfoChar(&buf, '-');
	}
	while (buf.len > 0 && buf.data[buf.len - 1] == '-')
		buf.data[--buf.len] = '\0';
	if (buf.len > AML_MAX_NAME_LENGTH)
		buf.data[buf.len = AML_MAX_NAME_LENGTH] = '\0';
	while (buf.len > 0 && buf.data[buf.len - 1] == '-')
		buf.data[--buf.len] = '\0';
	return buf.data;
}

bool
aml_check_name(const char *name, bool is_config, AmlProblem *p)
{
	const char *what = is_config ? "configuration name" : "app name";
	size_t		len = strlen(name);

	if (len == 0)
	{
		PROBLEM(p, "%s must not be empty", what);
		return false;
	}
	if (len > AML_MAX_NAME_LENGTH)
	{
		PROBLEM(p, "%s \"%s\" is too long", what, name);
		p->detail = psprintf("A name has at most %d characters: it is a DNS label in the Traefik host name.",
							 AML_MAX_NAME_LENGTH);
		return false;
	}
	if (!is_segment(name, len))
	{
		char	   *suggestion = suggest_segment(name);

		PROBLEM(p, "invalid %s \"%s\"", what, name);
		p->detail = pstrdup("A name is a Marathon app id segment: lowercase letters, digits and hyphens, "
							"starting and ending with a letter or digit.");
		if (suggestion[0] != '\0' && is_segment(suggestion, strlen(suggestion)))
			p->hint = psprintf("Use \"%s\" instead.", suggestion);
		return false;
	}
	if (is_config)
	{
		for (int i = 0; i < lengthof(reserved_last_segments); i++)
			if (strcmp(name, reserved_last_segments[i]) == 0)
			{
				PROBLEM(p, "configuration name \"%s\" is reserved", name);
				p->detail = pstrdup("The configuration name ends the Marathon app id, and Marathon refuses "
									"ids ending in \"restart\", \"tasks\" or \"versions\".");
				return false;
			}
	}
	return true;
}

/* ------------------------------------------------------------ images */

/* Docker path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool
is_path_component(const char *s, size_t len)
{
	size_t		i = 0;

	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	while (i < len)
	{
		if (is_lower_alnum(s[i]))
		{
			i++;
			continue;
		}
		/* a separator: ".", "_", "__" or one or more "-" */
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < len && s[i] == '-')
				i++;
		else
			return false;
		if (i >= len || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

/* host[:port]: DNS labels of letters, digits and '-', separated by '.' */
static bool
is_registry_host(const char *s, size_t len)
{
	size_t		hostlen = len;
	const char *colon = memchr(s, ':', len);

	if (colon != NULL)
	{
		size_t		plen = len - (colon - s) - 1;

		hostlen = colon - s;
		if (plen == 0 || plen > 5)
			return false;
		for (size_t i = 0; i < plen; i++)
			if (!isdigit((unsigned char) colon[1 + i]))
				return false;
	}
	if (hostlen == 0)
		return false;
	for (size_t i = 0, start = 0; i <= hostlen; i++)
	{
		if (i == hostlen || s[i] == '.')
		{
			size_t		l = i - start;

			if (l == 0 || s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
			continue;
		}
		if (!isalnum((unsigned char) s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

static bool
is_tag(const char *s, size_t len)
{
	if (len == 0 || len > 128)
		return false;
	if (!isalnum((unsigned char) s[0]) && s[0] != '_')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char) s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* algorithm:hex with at least 32 hex digits, e.g. sha256:... */
static bool
is_digest(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t		hexlen;

	if (colon == NULL || colon == s)
		return false;
	for (const char *a = s; a < colon; a++)
		if (!isalnum((unsigned char) *a) && *a != '-' && *a != '_' && *a != '+' && *a != '.')
			return false;
	if (!isalpha((unsigned char) s[0]))
		return false;
	hexlen = strlen(colon + 1);
	if (hexlen < 32)
		return false;
	for (size_t i = 0; i < hexlen; i++)
		if (!isxdigit((unsigned char) colon[1 + i]))
			return false;
	return true;
}

bool
aml_check_image(const char *image, AmlProblem *p)
{
	const char *hint = "An image is written [registry/]namespace/name[:tag], "
		"for example \"hbpmip/portal-backend:2.1.0\" or \"registry.example.com:5000/viz/dash:1.2\".";
	char	   *name = pstrdup(image);
	char	   *at = strchr(name, '@');
	char	   *slash;
	char	   *colon;
	char	   *path;
	size_t		len;

	if (name[0] == '\0')
	{
		PROBLEM(p, "image must not be empty");
		p->hint = pstrdup("Use NULL and a command for an app that is not a container.");
		return false;
	}
	if (at != NULL)
	{
		*at = '\0';
		if (!is_digest(at + 1))
		{
			PROBLEM(p, "invalid docker image reference \"%s\"", image);
			p->detail = psprintf("The digest \"%s\" is not of the form algorithm:hex (at least 32 hex digits).",
								 at + 1);
			p->hint = pstrdup(hint);
			return false;
		}
	}
	/* a tag is the part after the last ':' that follows the last '/' */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon != NULL)
	{
		*colon = '\0';
		if (!is_tag(colon + 1, strlen(colon + 1)))
		{
			PROBLEM(p, "invalid docker image reference \"%s\"", image);
			p->detail = psprintf("The tag \"%s\" is not valid: a tag has 1 to 128 letters, digits, '_', '.' "
								 "or '-', and does not start with '.' or '-'.", colon + 1);
			p->hint = pstrdup(hint);
			return false;
		}
	}
	len = strlen(name);
	if (len == 0)
	{
		PROBLEM(p, "invalid docker image reference \"%s\"", image);
		p->detail = pstrdup("The repository name is empty.");
		p->hint = pstrdup(hint);
		return false;
	}
	if (len > 255)
	{
		PROBLEM(p, "invalid docker image reference \"%s\"", image);
		p->detail = pstrdup("The repository name is longer than 255 characters.");
		p->hint = pstrdup(hint);
		return false;
	}
	/* an optional registry: the first component if it looks like a host */
	path = name;
	slash = strchr(name, '/');
	if (slash != NULL)
	{
		size_t		first = slash - name;

		if (memchr(name, '.', first) || memchr(name, ':', first) ||
			(first == 9 && strncmp(name, "localhost", 9) == 0) ||
			!is_path_component(name, first))
		{
			if (!is_registry_host(name, first))
			{
				PROBLEM(p, "invalid docker image reference \"%s\"", image);
				p->detail = psprintf("The registry \"%.*s\" is not a valid host name[:port].", (int) first, name);
				p->hint = pstrdup(hint);
				return false;
			}
			path = slash + 1;
		}
	}
	for (;;)
	{
		char	   *next = strchr(path, '/');
		size_t		clen = next ? (size_t) (next - path) : strlen(path);

		if (!is_path_component(path, clen))
		{
			PROBLEM(p, "invalid docker image reference \"%s\"", image);
			if (clen == 0)
				p->detail = pstrdup("The repository name has an empty component.");
			else
				p->detail = psprintf("The repository name component \"%.*s\" is not valid: components contain "
									 "lowercase letters and digits, separated by '.', '_', '__' or '-'.",
									 (int) clen, path);
			p->hint = pstrdup(hint);
			return false;
		}
		if (next == NULL)
			break;
		path = next + 1;
	}
	return true;
}

/* ------------------------------------------------------------ arrays */

bool
aml_check_ports(ArrayType *ports, int *nports, AmlProblem *p)
{
	Datum	   *values;
	bool	   *nulls;
	int			n;

	*nports = 0;
	if (ARR_NDIM(ports) > 1)
	{
		PROBLEM(p, "ports must be a one-dimensional array");
		return false;
	}
	deconstruct_array(ports, INT4OID, 4, true, TYPALIGN_INT, &values, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		int			port;

		if (nulls[i])
		{
			PROBLEM(p, "ports must not contain NULL");
			return false;
		}
		port = DatumGetInt32(values[i]);
		if (port < 1 || port > 65535)
		{
			PROBLEM(p, "port %d is out of range", port);
			p->detail = pstrdup("Container ports are between 1 and 65535.");
			return false;
		}
		for (int j = 0; j < i; j++)
			if (DatumGetInt32(values[j]) == port)
			{
				PROBLEM(p, "port %d is listed twice", port);
				return false;
			}
	}
	*nports = n;
	return true;
}

bool
aml_check_args(ArrayType *args, AmlProblem *p)
{
	if (ARR_NDIM(args) > 1)
	{
		PROBLEM(p, "args must be a one-dimensional array");
		return false;
	}
	if (array_contains_nulls(args))
	{
		PROBLEM(p, "args must not contain NULL");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ JSON */

static json_object *
jsonb_to_jsonc(Jsonb *jb)
{
	char	   *text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

	return aml_pg_parse_json(text, (int) strlen(text));
}

static bool
json_is_integer(json_object *v, int64 *out)
{
	if (json_object_is_type(v, json_type_int))
	{
		*out = json_object_get_int64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_double))
	{
		double		d = json_object_get_double(v);

		if (isfinite(d) && d == floor(d) && fabs(d) < 9e15)
		{
			*out = (int64) d;
			return true;
		}
	}
	return false;
}

/* A hint that writes a scalar as the JSON string Marathon wants. */
static char *
as_string_hint(json_object *v)
{
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
		json_object_is_type(v, json_type_boolean))
		return psprintf("Write it as a JSON string: \"%s\".",
						json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return NULL;
}

bool
aml_check_string_map(Jsonb *map, bool is_labels, AmlProblem *p)
{
	const char *what = is_labels ? "labels" : "env";
	json_object *obj = jsonb_to_jsonc(map);

	if (!json_object_is_type(obj, json_type_object))
	{
		PROBLEM(p, "%s must be a JSON object", what);
		p->detail = psprintf("The value is %s.", aml_json_kind(obj));
		p->hint = is_labels ? pstrdup("Write labels as {\"name\": \"value\", ...}.")
			: pstrdup("Write environment variables as {\"NAME\": \"value\", ...}.");
		return false;
	}
	json_object_object_foreach(obj, key, val)
	{
		if (key[0] == '\0')
		{
			PROBLEM(p, is_labels ? "label names must not be empty" : "environment variable names must not be empty");
			return false;
		}
		if (!is_labels && strchr(key, '=') != NULL)
		{
			PROBLEM(p, "invalid environment variable name \"%s\"", key);
			p->detail = pstrdup("Environment variable names cannot contain \"=\".");
			return false;
		}
		if (is_labels && strncmp(key, "automl.", 7) == 0)
		{
			PROBLEM(p, "label \"%s\" is reserved", key);
			p->detail = pstrdup("Labels starting with \"automl.\" are set by the registry on every app it deploys.");
			return false;
		}
		if (!json_object_is_type(val, json_type_string))
		{
			if (is_labels)
			{
				PROBLEM(p, "invalid value for label \"%s\"", key);
				p->detail = psprintf("Marathon accepts only JSON strings as label values; this value is %s.",
									 aml_json_kind(val));
			}
			else
			{
				PROBLEM(p, "invalid value for environment variable \"%s\"", key);
				p->detail = psprintf("Marathon accepts only JSON strings as env values; this value is %s.",
									 aml_json_kind(val));
			}
			p->hint = as_string_hint(val);
			return false;
		}
	}
	return true;
}

bool
aml_label_routes_traffic(const char *key)
{
	static const char *const own[] = {
		"traefik.enable", "traefik.port", "traefik.portindex", "traefik.protocol", "traefik.weight"
	};
	static const char *const routing[] = {"traefik", "haproxy", "dcos_service"};
	char	   *lower = pstrdup(key);

	for (char *c = lower; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);

	for (int i = 0; i < lengthof(own); i++)
		if (strcmp(lower, own[i]) == 0)
			return false;
	for (int i = 0; i < lengthof(routing); i++)
		if (strncmp(lower, routing[i], strlen(routing[i])) == 0)
			return true;
	return false;
}

char *
aml_routing_label_change(Jsonb *old, Jsonb *labels)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *found = NULL;

	if (labels == NULL || !JB_ROOT_IS_OBJECT(labels))
		return NULL;
	it = JsonbIteratorInit(&labels->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		JsonbValue *before;
		JsonbValue	value;

		if (tok != WJB_KEY || found != NULL)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		tok = JsonbIteratorNext(&it, &value, true);
		if (!aml_label_routes_traffic(key))
			continue;
		before = (old != NULL && JB_ROOT_IS_OBJECT(old))
			? findJsonbValueFromContainer(&old->root, JB_FOBJECT, &v) : NULL;
		if (before == NULL || before->type != value.type ||
			(value.type == jbvString &&
			 (before->val.string.len != value.val.string.len ||
			  memcmp(before->val.string.val, value.val.string.val, value.val.string.len) != 0)))
			found = key;
		else if (value.type != jbvString)
			found = key;
	}
	return found;
}

static const char *const hc_protocols[] = {
	"HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"
};
static const char *const hc_int_fields[] = {
	"gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures", "delaySeconds"
};

bool
aml_check_health_check(Jsonb *hc, int nports, AmlProblem *p)
{
	const char *hint = "A health check looks like {\"protocol\": \"HTTP\", \"path\": \"/health\", "
		"\"portIndex\": 0, \"gracePeriodSeconds\": 120, \"intervalSeconds\": 20}.";
	json_object *obj = jsonb_to_jsonc(hc);
	json_object *v;
	const char *protocol = "HTTP";
	bool		has_port = false;

	if (!json_object_is_type(obj, json_type_object))
	{
		PROBLEM(p, "health_check must be a JSON object");
		p->detail = psprintf("The value is %s.", aml_json_kind(obj));
		p->hint = pstrdup(hint);
		return false;
	}
	json_object_object_foreach(obj, key, val)
	{
		bool		known = false;
		int64		n;

		if (strcmp(key, "protocol") == 0)
		{
			known = true;
			if (!json_object_is_type(val, json_type_string))
			{
				PROBLEM(p, "health check protocol must be a string");
				return false;
			}
			protocol = NULL;
			for (int i = 0; i < lengthof(hc_protocols); i++)
				if (pg_strcasecmp(json_object_get_string(val), hc_protocols[i]) == 0)
					protocol = hc_protocols[i];
			if (protocol == NULL)
			{
				PROBLEM(p, "unknown health check protocol \"%s\"", json_object_get_string(val));
				p->detail = pstrdup("Marathon knows HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, MESOS_HTTPS and MESOS_TCP.");
				return false;
			}
		}
		else if (strcmp(key, "path") == 0)
		{
			known = true;
			if (!json_object_is_type(val, json_type_string) || json_object_get_string(val)[0] != '/')
			{
				PROBLEM(p, "health check path must be a string starting with \"/\"");
				return false;
			}
		}
		else if (strcmp(key, "portIndex") == 0 || strcmp(key, "port") == 0)
		{
			bool		is_index = key[4] == 'I';

			known = true;
			if (!json_is_integer(val, &n) || n < 0 || (!is_index && n > 65535))
			{
				PROBLEM(p, "health check %s must be %s", key,
						is_index ? "a non-negative integer" : "an integer between 0 and 65535");
				return false;
			}
			if (is_index && n >= nports)
			{
				PROBLEM(p, "health check portIndex %lld does not address a port of the app",
						(long long) n);
				p->detail = nports == 0 ? pstrdup("The app has no ports.")
					: psprintf("The app has %d port%s: indexes 0 to %d.", nports, nports == 1 ? "" : "s",
							   nports - 1);
				return false;
			}
			has_port = true;
		}
		else if (strcmp(key, "command") == 0)
		{
			json_object *value;

			known = true;
			if (!json_object_is_type(val, json_type_object) ||
				!json_object_object_get_ex(val, "value", &value) ||
				!json_object_is_type(value, json_type_string) || json_object_get_string(value)[0] == '\0')
			{
				PROBLEM(p, "health check command must be an object {\"value\": \"shell command\"}");
				return false;
			}
		}
		else if (strcmp(key, "ignoreHttp1xx") == 0)
		{
			known = true;
			if (!json_object_is_type(val, json_type_boolean))
			{
				PROBLEM(p, "health check ignoreHttp1xx must be a boolean");
				return false;
			}
		}
		else if (strcmp(key, "ipProtocol") == 0)
		{
			known = true;
			if (!json_object_is_type(val, json_type_string) ||
				(strcmp(json_object_get_string(val), "IPv4") != 0 &&
				 strcmp(json_object_get_string(val), "IPv6") != 0))
			{
				PROBLEM(p, "health check ipProtocol must be \"IPv4\" or \"IPv6\"");
				return false;
			}
		}
		else
		{
			for (int i = 0; i < lengthof(hc_int_fields); i++)
				if (strcmp(key, hc_int_fields[i]) == 0)
				{
					known = true;
					if (!json_is_integer(val, &n) || n < 0 || n > INT_MAX)
					{
						PROBLEM(p, "health check %s must be a non-negative integer", key);
						p->detail = psprintf("The value is %s.",
											 json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
						return false;
					}
				}
		}
		if (!known)
		{
			PROBLEM(p, "unknown health check field \"%s\"", key);
			p->detail = pstrdup("Known fields are protocol, path, portIndex, port, command, gracePeriodSeconds, "
								"intervalSeconds, timeoutSeconds, maxConsecutiveFailures, delaySeconds, "
								"ignoreHttp1xx and ipProtocol.");
			return false;
		}
	}
	if (strcmp(protocol, "COMMAND") == 0 || json_object_object_get_ex(obj, "command", &v))
	{
		if (!json_object_object_get_ex(obj, "command", &v))
		{
			PROBLEM(p, "a COMMAND health check needs a command");
			p->hint = pstrdup("Add \"command\": {\"value\": \"curl -f http://localhost:$PORT0/\"}.");
			return false;
		}
	}
	else if (!has_port && nports != 1)
	{
		PROBLEM(p, "health check must say which port to check");
		p->detail = nports == 0 ? pstrdup("The app has no ports.")
			: psprintf("The app has %d ports, so Marathon needs a portIndex.", nports);
		p->hint = pstrdup(hint);
		return false;
	}
	return true;
}

static const char *const constraint_ops[] = {
	"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"
};

bool
aml_check_constraints(Jsonb *constraints, AmlProblem *p)
{
	const char *hint = "Constraints look like [[\"hostname\", \"UNIQUE\"], [\"rack\", \"GROUP_BY\", \"2\"]].";
	json_object *arr = jsonb_to_jsonc(constraints);
	size_t		n;

	if (!json_object_is_type(arr, json_type_array))
	{
		PROBLEM(p, "constraints must be a JSON array");
		p->detail = psprintf("The value is %s.", aml_json_kind(arr));
		p->hint = pstrdup(hint);
		return false;
	}
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++)
	{
		json_object *c = json_object_array_get_idx(arr, i);
		size_t		len;
		const char *op = NULL;

		if (!json_object_is_type(c, json_type_array) ||
			(len = json_object_array_length(c)) < 2 || len > 3)
		{
			PROBLEM(p, "constraint %zu must be an array of 2 or 3 strings", i + 1);
			p->hint = pstrdup(hint);
			return false;
		}
		for (size_t j = 0; j < len; j++)
			if (!json_object_is_type(json_object_array_get_idx(c, j), json_type_string))
			{
				PROBLEM(p, "constraint %zu must be an array of 2 or 3 strings", i + 1);
				p->detail = psprintf("Element %zu is %s.", j + 1, aml_json_kind(json_object_array_get_idx(c, j)));
				p->hint = pstrdup(hint);
				return false;
			}
		if (json_object_get_string(json_object_array_get_idx(c, 0))[0] == '\0')
		{
			PROBLEM(p, "constraint %zu has an empty field name", i + 1);
			return false;
		}
		for (int k = 0; k < lengthof(constraint_ops); k++)
			if (pg_strcasecmp(json_object_get_string(json_object_array_get_idx(c, 1)), constraint_ops[k]) == 0)
				op = constraint_ops[k];
		if (op == NULL)
		{
			PROBLEM(p, "unknown constraint operator \"%s\"",
					json_object_get_string(json_object_array_get_idx(c, 1)));
			p->detail = pstrdup("Marathon knows UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER and IS.");
			return false;
		}
		if (strcmp(op, "UNIQUE") == 0 && len == 3)
		{
			PROBLEM(p, "constraint %zu: UNIQUE takes no value", i + 1);
			return false;
		}
		if ((strcmp(op, "LIKE") == 0 || strcmp(op, "UNLIKE") == 0 || strcmp(op, "MAX_PER") == 0 ||
			 strcmp(op, "IS") == 0) && len != 3)
		{
			PROBLEM(p, "constraint %zu: %s needs a value", i + 1, op);
			p->hint = pstrdup(hint);
			return false;
		}
		if (strcmp(op, "MAX_PER") == 0)
		{
			const char *val = json_object_get_string(json_object_array_get_idx(c, 2));
			char	   *end;
			long		m = strtol(val, &end, 10);

			if (*val == '\0' || *end != '\0' || m < 1)
			{
				PROBLEM(p, "constraint %zu: MAX_PER needs a positive integer, not \"%s\"", i + 1, val);
				return false;
			}
		}
	}
	return true;
}

/* ------------------------------------------------------------ metadata */

/* Label Schema 1.0 labels (label-schema.org/rc1), plus MIP's hints. */
static const char *const label_schema_keys[] = {
	"schema-version", "build-date", "name", "description", "usage", "url", "vcs-url", "vcs-ref",
	"vcs-type", "vendor", "version", "license",
	"docker.cmd", "docker.cmd.devel", "docker.cmd.test", "docker.cmd.debug", "docker.cmd.help",
	"docker.params", "docker.dockerfile",
	"rkt.cmd", "rkt.cmd.devel", "rkt.cmd.test", "rkt.cmd.debug", "rkt.cmd.help", "rkt.params",
	"memory-hint", "cpu-hint"
};

/* RFC 3339 date-time: 2017-08-31T10:00:00Z, fractions and offsets allowed */
static bool
is_rfc3339(const char *s)
{
	const char *pattern = "dddd-dd-ddTdd:dd:dd";
	const char *c = s;

	for (const char *q = pattern; *q; q++, c++)
	{
		if (*q == 'd' ? !isdigit((unsigned char) *c) : *c != *q)
			return false;
	}
	if (*c == '.')
	{
		c++;
		if (!isdigit((unsigned char) *c))
			return false;
		while (isdigit((unsigned char) *c))
			c++;
	}
	if (*c == 'Z')
		return c[1] == '\0';
	if ((*c == '+' || *c == '-') && isdigit((unsigned char) c[1]) && isdigit((unsigned char) c[2]) &&
		c[3] == ':' && isdigit((unsigned char) c[4]) && isdigit((unsigned char) c[5]) && c[6] == '\0')
		return true;
	return false;
}

static bool
is_http_url(const char *s)
{
	const char *rest;

	if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else
		return false;
	if (*rest == '\0' || *rest == '/')
		return false;
	for (; *rest; rest++)
		if (isspace((unsigned char) *rest))
			return false;
	return true;
}

List *
aml_metadata_problems(Jsonb *metadata)
{
	json_object *obj = jsonb_to_jsonc(metadata);
	List	   *problems = NIL;

	if (!json_object_is_type(obj, json_type_object))
		return list_make1(psprintf("metadata must be a JSON object of labels, not %s", aml_json_kind(obj)));

	json_object_object_foreach(obj, key, val)
	{
		const char *s;
		bool		known = false;

		if (key[0] == '\0')
		{
			problems = lappend(problems, pstrdup("label names must not be empty"));
			continue;
		}
		if (!json_object_is_type(val, json_type_string))
		{
			problems = lappend(problems, psprintf("%s: value must be a string (image labels are strings), not %s",
												  key, aml_json_kind(val)));
			continue;
		}
		if (strncmp(key, "org.label-schema.", 17) != 0)
			continue;			/* other namespaces are the image author's business */
		s = json_object_get_string(val);
		for (int i = 0; i < lengthof(label_schema_keys); i++)
			if (strcmp(key + 17, label_schema_keys[i]) == 0)
				known = true;
		if (!known)
		{
			problems = lappend(problems, psprintf("%s: unknown Label Schema label", key));
			continue;
		}
		if (strcmp(key + 17, "schema-version") == 0)
		{
			if (strcmp(s, "1.0") != 0 && strcmp(s, "1.0.0-rc.1") != 0 && strcmp(s, "1.0.0-rc1") != 0)
				problems = lappend(problems, psprintf("%s: unsupported schema version \"%s\" (expected \"1.0\")",
													  key, s));
		}
		else if (strcmp(key + 17, "build-date") == 0)
		{
			if (!is_rfc3339(s))
				problems = lappend(problems, psprintf("%s: \"%s\" is not an RFC 3339 date-time such as "
													  "\"2017-08-31T10:00:00Z\"", key, s));
		}
		else if (strcmp(key + 17, "url") == 0)
		{
			if (!is_http_url(s))
				problems = lappend(problems, psprintf("%s: \"%s\" is not an http or https URL", key, s));
		}
		else if (strcmp(key + 17, "memory-hint") == 0)
		{
			char	   *end;
			long		mb;

			errno = 0;
			mb = strtol(s, &end, 10);
			if (*s == '\0' || *end != '\0' || !isdigit((unsigned char) *s) || errno != 0 || mb > INT_MAX)
				problems = lappend(problems, psprintf("%s: \"%s\" is not a whole number of megabytes", key, s));
			else if (mb < AML_MIN_MEM_MB)
				problems = lappend(problems, psprintf("%s: %ld MB is less than the minimum of %d MB",
													  key, mb, AML_MIN_MEM_MB));
		}
		else if (strcmp(key + 17, "cpu-hint") == 0)
		{
			char	   *end;
			double		cpus = strtod(s, &end);

			if (*s == '\0' || *end != '\0' || !isfinite(cpus) || !isdigit((unsigned char) *s))
				problems = lappend(problems, psprintf("%s: \"%s\" is not a number of CPUs", key, s));
			else if (cpus < 0.001)
				problems = lappend(problems, psprintf("%s: %s is less than Marathon's minimum of 0.001 CPUs",
													  key, s));
		}
		else if (s[0] == '\0' && strcmp(key + 17, "license") != 0)
			problems = lappend(problems, psprintf("%s: value must not be empty", key));
	}
	return problems;
}

/* ------------------------------------------------------------ GUC values */

bool
aml_check_dns_name(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0, start = 0; i <= len; i++)
	{
		if (i == len || name[i] == '.')
		{
			if (i == start || i - start > 63 || !is_segment(name + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

bool
aml_check_group_path(const char *path)
{
	size_t		len = strlen(path);

	if (len == 0 || strcmp(path, "/") == 0)
		return true;			/* apps at the root */
	if (path[0] != '/')
		return false;
	for (size_t i = 1, start = 1; i <= len; i++)
	{
		if (i == len || path[i] == '/')
		{
			if (i == start)
				return i == len && i > 1;	/* a trailing slash is fine */
			if (!is_segment(path + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}
