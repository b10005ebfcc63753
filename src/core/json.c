/*
 * json.c — json-c helpers (see json.h).
 */
#include "core/json.h"
#include "core/memory.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
aml_format_double(double v, char *buf, size_t buflen)
{
	if (isnan(v))
	{
		snprintf(buf, buflen, "NaN");
		return;
	}
	if (isinf(v))
	{
		snprintf(buf, buflen, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (int digits = 15; digits <= 17; digits++)
	{
		snprintf(buf, buflen, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* JSON forbids a bare "inf"-like token but "%g" can print "1e+300": fine */
}

json_object *
aml_json_new_double(double v)
{
	char		buf[40];

	aml_format_double(v, buf, sizeof(buf));
	if (!isfinite(v))
		return json_object_new_string(buf);
	if (v == 0 && signbit(v))
		return json_object_new_double_s(v, "-0.0");
	if (v == rint(v) && fabs(v) < 1e15 && !(v == 0 && signbit(v)))
		return json_object_new_int64((int64_t) v);
	return json_object_new_double_s(v, buf);
}

json_object *
aml_json_new_number(double v)
{
	return isfinite(v) ? aml_json_new_double(v) : NULL;
}

json_object *
aml_json_new_double_array(const double *v, int n)
{
	json_object *a = json_object_new_array_ext(n);

	for (int i = 0; i < n; i++)
		json_object_array_add(a, aml_json_new_double(v[i]));
	return a;
}

json_object *
aml_json_new_int_array(const int *v, int n)
{
	json_object *a = json_object_new_array_ext(n);

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int(v[i]));
	return a;
}

json_object *
aml_json_new_string_array(const char *const *v, int n)
{
	json_object *a = json_object_new_array_ext(n);

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

json_object *
aml_json_new_dict(const AmlDictionary *dict)
{
	return aml_json_new_string_array((const char *const *) dict->strings, dict->count);
}

json_object *
aml_json_new_matrix(const AmlMatrix *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rows", json_object_new_int(m->rows));
	json_object_object_add(o, "cols", json_object_new_int(m->cols));
	json_object_object_add(o, "data",
						   aml_json_new_double_array(m->data, m->rows * m->cols));
	return o;
}

/*
 * Parse exactly one JSON document of text[0..len) with json-c's parser
 * flags; only white space may follow it.  *out is NULL for the document
 * "null" (and on error).
 */
static AmlStatus
parse_document(const char *text, size_t len, int flags, json_object **out, AmlError *err)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t		end;

	*out = NULL;
	if (len == 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: empty document");
	if (len > INT_MAX)
		return aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: the document is too large");
	tok = json_tokener_new();
	if (tok == NULL)
		return aml_error_nomem(err, "a JSON parser");
	/* trailing text is refused below, with a clearer message than json-c's */
	json_tokener_set_flags(tok, flags | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/*
	 * A document that is a bare number or literal ("12", "null", "true") is
	 * complete only once the parser knows the text ends: tell it with a NUL.
	 */
	if (jerr == json_tokener_continue && end == len)
	{
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	if (jerr != json_tokener_success)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: %s", json_tokener_error_desc(jerr));
		aml_error_detail(err, "The error is near character %zu.", end < len ? end : len);
		json_object_put(obj);
		json_tokener_free(tok);
		return err->status;
	}
	json_tokener_free(tok);
	while (end < len && (text[end] == ' ' || text[end] == '\t' || text[end] == '\n' || text[end] == '\r'))
		end++;
	if (end < len)
	{
		json_object_put(obj);
		aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: text after the end of the document");
		return aml_error_detail(err, "The error is near character %zu.", end);
	}
	*out = obj;
	return AML_OK;
}

AmlStatus
aml_json_parse(const char *text, size_t len, json_object **out, AmlError *err)
{
	return parse_document(text, len, 0, out, err);
}

static bool
all_numbers_finite(json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_double:
			return isfinite(json_object_get_double(v));
		case json_type_array:
			for (size_t i = 0; i < json_object_array_length(v); i++)
				if (!all_numbers_finite(json_object_array_get_idx(v, i)))
					return false;
			return true;
		case json_type_object:
			{
				json_object_iter it;

				json_object_object_foreachC(v, it)
				{
					if (!all_numbers_finite(it.val))
						return false;
				}
				return true;
			}
		default:
			return true;
	}
}

AmlStatus
aml_json_parse_strict(const char *text, size_t len, json_object **out, AmlError *err)
{
	json_object *obj;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: a NUL byte");
		return aml_error_detail(err, "The NUL byte is at offset %zu.",
								(size_t) ((const char *) memchr(text, '\0', len) - text));
	}
	if (parse_document(text, len, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8, &obj, err) != AML_OK)
		return err->status;
	if (obj == NULL)
		return aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: the document is null");
	if (!all_numbers_finite(obj))
	{
		json_object_put(obj);
		return aml_error(err, AML_ERR_BAD_FORMAT, "invalid JSON: a number is out of range");
	}
	*out = obj;
	return AML_OK;
}

const char *
aml_json_text(json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

bool
aml_json_as_double(json_object *v, double *out)
{
	if (v == NULL)
		return false;
	switch (json_object_get_type(v))
	{
		case json_type_int:
			*out = (double) json_object_get_int64(v);
			return true;
		case json_type_double:
			*out = json_object_get_double(v);
			return true;
		case json_type_string:
			{
				const char *s = json_object_get_string(v);

				if (strcmp(s, "NaN") == 0)
					*out = NAN;
				else if (strcmp(s, "Infinity") == 0)
					*out = INFINITY;
				else if (strcmp(s, "-Infinity") == 0)
					*out = -INFINITY;
				else
					return false;
				return true;
			}
		default:
			return false;
	}
}

AmlStatus
aml_json_get(json_object *obj, const char *key, json_type type,
			 json_object **out, const char *what, AmlError *err)
{
	json_object *v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s is not a JSON object", what);
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has no field \"%s\"", what, key);
	if (!json_object_is_type(v, type))
		return aml_error(err, AML_ERR_BAD_FORMAT, "field \"%s\" of %s must be of type %s",
						 key, what, json_type_to_name(type));
	*out = v;
	return AML_OK;
}

AmlStatus
aml_json_get_double(json_object *obj, const char *key, double *out,
					const char *what, AmlError *err)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has no field \"%s\"", what, key);
	if (!aml_json_as_double(v, out))
		return aml_error(err, AML_ERR_BAD_FORMAT, "field \"%s\" of %s must be a number", key, what);
	return AML_OK;
}

AmlStatus
aml_json_get_int(json_object *obj, const char *key, int *out,
				 const char *what, AmlError *err)
{
	json_object *v;
	int64_t		x;

	AML_TRY(aml_json_get(obj, key, json_type_int, &v, what, err));
	x = json_object_get_int64(v);
	if (x < INT32_MIN || x > INT32_MAX)
		return aml_error(err, AML_ERR_BAD_FORMAT, "field \"%s\" of %s is out of range", key, what);
	*out = (int) x;
	return AML_OK;
}

AmlStatus
aml_json_get_bool(json_object *obj, const char *key, bool *out,
				  const char *what, AmlError *err)
{
	json_object *v;

	AML_TRY(aml_json_get(obj, key, json_type_boolean, &v, what, err));
	*out = json_object_get_boolean(v);
	return AML_OK;
}

AmlStatus
aml_json_get_string(json_object *obj, const char *key, const char **out,
					const char *what, AmlError *err)
{
	json_object *v;

	AML_TRY(aml_json_get(obj, key, json_type_string, &v, what, err));
	*out = json_object_get_string(v);
	return AML_OK;
}

static AmlStatus
read_doubles(json_object *a, const char *key, double *out, int n, const char *what, AmlError *err)
{
	for (int i = 0; i < n; i++)
		if (!aml_json_as_double(json_object_array_get_idx(a, i), &out[i]))
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "element %d of field \"%s\" of %s must be a number", i, key, what);
	return AML_OK;
}

AmlStatus
aml_json_get_double_array(json_object *obj, const char *key, double *out, int n,
						  const char *what, AmlError *err)
{
	json_object *a;
	int			len;

	AML_TRY(aml_json_get(obj, key, json_type_array, &a, what, err));
	len = (int) json_object_array_length(a);
	if (len != n)
		return aml_error(err, AML_ERR_BAD_FORMAT,
						 "field \"%s\" of %s has %d elements, expected %d", key, what, len, n);
	return read_doubles(a, key, out, n, what, err);
}

AmlStatus
aml_json_get_double_vector(json_object *obj, const char *key, double **out, int *n,
						   const char *what, AmlError *err)
{
	json_object *a;
	int			len;
	double	   *v;

	AML_TRY(aml_json_get(obj, key, json_type_array, &a, what, err));
	len = (int) json_object_array_length(a);
	v = AML_NEW_ARRAY(double, len);
	if (v == NULL)
		return aml_error_nomem(err, what);
	if (read_doubles(a, key, v, len, what, err) != AML_OK)
	{
		aml_free(v);
		return err->status;
	}
	*out = v;
	*n = len;
	return AML_OK;
}

AmlStatus
aml_json_get_int_vector(json_object *obj, const char *key, int **out, int *n,
						const char *what, AmlError *err)
{
	json_object *a;
	int			len;
	int		   *v;

	AML_TRY(aml_json_get(obj, key, json_type_array, &a, what, err));
	len = (int) json_object_array_length(a);
	v = AML_NEW_ARRAY(int, len);
	if (v == NULL)
		return aml_error_nomem(err, what);
	for (int i = 0; i < len; i++)
	{
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_int))
		{
			aml_free(v);
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "element %d of field \"%s\" of %s must be an integer", i, key, what);
		}
		v[i] = json_object_get_int(e);
	}
	*out = v;
	*n = len;
	return AML_OK;
}

AmlStatus
aml_json_get_matrix(json_object *obj, const char *key, AmlMatrix **out,
					const char *what, AmlError *err)
{
	json_object *m;
	int			rows;
	int			cols;
	AmlMatrix  *result;

	AML_TRY(aml_json_get(obj, key, json_type_object, &m, what, err));
	AML_TRY(aml_json_get_int(m, "rows", &rows, what, err));
	AML_TRY(aml_json_get_int(m, "cols", &cols, what, err));
	if (rows < 0 || cols < 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "matrix \"%s\" of %s has a negative size", key, what);
	AML_TRY(aml_matrix_create(rows, cols, &result, err));
	if (aml_json_get_double_array(m, "data", result->data, rows * cols, what, err) != AML_OK)
	{
		aml_matrix_free(result);
		return err->status;
	}
	*out = result;
	return AML_OK;
}

AmlStatus
aml_json_get_dict(json_object *obj, const char *key, AmlDictionary **out,
				  const char *what, AmlError *err)
{
	json_object *a;
	AmlDictionary *dict;
	int			len;

	AML_TRY(aml_json_get(obj, key, json_type_array, &a, what, err));
	dict = aml_dict_new();
	if (dict == NULL)
		return aml_error_nomem(err, what);
	len = (int) json_object_array_length(a);
	for (int i = 0; i < len; i++)
	{
		json_object *e = json_object_array_get_idx(a, i);
		int			code;

		if (!json_object_is_type(e, json_type_string))
		{
			aml_dict_free(dict);
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "element %d of field \"%s\" of %s must be a string", i, key, what);
		}
		if (aml_dict_intern(dict, json_object_get_string(e),
							(size_t) json_object_get_string_len(e), &code, err) != AML_OK)
		{
			aml_dict_free(dict);
			return err->status;
		}
		if (code != i)
		{
			aml_dict_free(dict);
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "field \"%s\" of %s repeats the string \"%s\"", key, what,
							 json_object_get_string(e));
		}
	}
	*out = dict;
	return AML_OK;
}

const char *
aml_json_kind(json_object *v)
{
	/* json-c represents JSON null as a NULL object */
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return "null";
		case json_type_boolean:
			return "a boolean";
		case json_type_double:
		case json_type_int:
			return "a number";
		case json_type_string:
			return "a string";
		case json_type_array:
			return "an array";
		case json_type_object:
			return "an object";
	}
	return "unknown";
}
