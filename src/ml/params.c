/*
 * params.c — table-driven hyperparameters (see params.h).
 */
#include "ml/params.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FIELD(params, spec, type) ((type *) ((char *) (params) + (spec)->offset))
#define CFIELD(params, spec, type) ((const type *) ((const char *) (params) + (spec)->offset))

int
aml_param_get_int(const AmlParamSpec *spec, const void *params)
{
	return *CFIELD(params, spec, int);
}

double
aml_param_get_double(const AmlParamSpec *spec, const void *params)
{
	return *CFIELD(params, spec, double);
}

bool
aml_param_get_bool(const AmlParamSpec *spec, const void *params)
{
	return *CFIELD(params, spec, bool);
}

void
aml_param_set_int(const AmlParamSpec *spec, void *params, int value)
{
	*FIELD(params, spec, int) = value;
}

void
aml_param_set_double(const AmlParamSpec *spec, void *params, double value)
{
	*FIELD(params, spec, double) = value;
}

void
aml_param_set_bool(const AmlParamSpec *spec, void *params, bool value)
{
	*FIELD(params, spec, bool) = value;
}

void
aml_params_set_defaults(const AmlParamTable *table, void *params)
{
	memset(params, 0, table->size);
	for (int i = 0; i < table->count; i++)
	{
		const AmlParamSpec *s = &table->specs[i];

		switch (s->type)
		{
			case AML_PARAM_INT:
			case AML_PARAM_CHOICE:
				aml_param_set_int(s, params, (int) s->default_value);
				break;
			case AML_PARAM_DOUBLE:
				aml_param_set_double(s, params, s->default_value);
				break;
			case AML_PARAM_BOOL:
				aml_param_set_bool(s, params, s->default_value != 0);
				break;
		}
	}
}

void *
aml_params_new(const AmlParamTable *table)
{
	void	   *p = aml_alloc0(table->size > 0 ? table->size : 1);

	if (p != NULL)
		aml_params_set_defaults(table, p);
	return p;
}

void *
aml_params_copy(const AmlParamTable *table, const void *params)
{
	void	   *p = aml_alloc(table->size > 0 ? table->size : 1);

	if (p != NULL)
		memcpy(p, params, table->size);
	return p;
}

const AmlParamSpec *
aml_params_find(const AmlParamTable *table, const char *name)
{
	for (int i = 0; i < table->count; i++)
		if (strcmp(table->specs[i].name, name) == 0)
			return &table->specs[i];
	return NULL;
}

static void
list_names(const AmlParamTable *table, char *buf, size_t buflen)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; i < table->count && used < buflen; i++)
		used += (size_t) snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "",
								  table->specs[i].name);
	if (table->count == 0)
		snprintf(buf, buflen, "(none)");
}

static void
list_choices(const AmlParamSpec *s, char *buf, size_t buflen)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; s->choices[i] != NULL && used < buflen; i++)
		used += (size_t) snprintf(buf + used, buflen - used, "%s\"%s\"", i ? ", " : "",
								  s->choices[i]);
}

static void
describe_range(const AmlParamSpec *s, char *buf, size_t buflen)
{
	char		lo[40];
	char		hi[40];

	aml_format_double(s->min, lo, sizeof(lo));
	aml_format_double(s->max, hi, sizeof(hi));
	if (isinf(s->max))
		snprintf(buf, buflen, "%s %s", s->min_exclusive ? ">" : ">=", lo);
	else
		snprintf(buf, buflen, "between %s and %s%s", lo, hi,
				 (s->min_exclusive || s->max_exclusive) ? " (exclusive)" : "");
}

AmlStatus
aml_param_check(const AmlParamSpec *s, const void *params, const char *owner, AmlError *err)
{
	double		v;
	char		range[128];

	if (s->type == AML_PARAM_BOOL)
		return AML_OK;
	if (s->type == AML_PARAM_CHOICE)
	{
		int			idx = aml_param_get_int(s, params);
		int			n = 0;

		while (s->choices[n] != NULL)
			n++;
		if (idx < 0 || idx >= n)
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "invalid choice for hyperparameter \"%s\" of %s", s->name, owner);
		return AML_OK;
	}
	if (s->type == AML_PARAM_INT)
	{
		int			iv = aml_param_get_int(s, params);

		if (iv == AML_PARAM_NONE_INT && s->nullable)
			return AML_OK;
		v = iv;
	}
	else
	{
		v = aml_param_get_double(s, params);
		if (isnan(v) && s->nullable)
			return AML_OK;
	}
	if (!(v >= s->min && v <= s->max) ||
		(s->min_exclusive && v == s->min) || (s->max_exclusive && v == s->max))
	{
		char		val[40];

		aml_format_double(v, val, sizeof(val));
		describe_range(s, range, sizeof(range));
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "hyperparameter \"%s\" of %s is out of range: %s", s->name, owner, val);
		aml_error_detail(err, "\"%s\" (%s) must be %s%s.", s->name, s->description, range,
						 s->nullable ? ", or null" : "");
		return err->status;
	}
	return AML_OK;
}

static AmlStatus
set_from_json(const AmlParamSpec *s, void *params, json_object *v, const char *owner,
			  AmlError *err)
{
	json_type	t = json_object_get_type(v);

	if (t == json_type_null)
	{
		if (!s->nullable)
		{
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "hyperparameter \"%s\" of %s cannot be null", s->name, owner);
			return aml_error_detail(err, "\"%s\": %s.", s->name, s->description);
		}
		if (s->type == AML_PARAM_INT)
			aml_param_set_int(s, params, AML_PARAM_NONE_INT);
		else if (s->type == AML_PARAM_DOUBLE)
			aml_param_set_double(s, params, NAN);
		else
			return aml_error(err, AML_ERR_INVALID_PARAMETER,
							 "hyperparameter \"%s\" of %s cannot be null", s->name, owner);
		return AML_OK;
	}
	switch (s->type)
	{
		case AML_PARAM_INT:
			{
				double		d = 0;

				/* accept 5 and 5.0, not 5.5 or "5" */
				if (t == json_type_int)
					d = (double) json_object_get_int64(v);
				else if (t == json_type_double)
					d = json_object_get_double(v);
				if ((t != json_type_int && t != json_type_double) || d != floor(d))
				{
					aml_error(err, AML_ERR_INVALID_PARAMETER,
							  "hyperparameter \"%s\" of %s must be an integer", s->name, owner);
					return aml_error_detail(err, "Got %s.", aml_json_text(v));
				}
				if (d < -2147483647.0 || d > 2147483647.0)
				{
					aml_error(err, AML_ERR_INVALID_PARAMETER,
							  "hyperparameter \"%s\" of %s is out of range: %s", s->name, owner,
							  aml_json_text(v));
					return err->status;
				}
				aml_param_set_int(s, params, (int) d);
				break;
			}
		case AML_PARAM_DOUBLE:
			if (t != json_type_int && t != json_type_double)
			{
				aml_error(err, AML_ERR_INVALID_PARAMETER,
						  "hyperparameter \"%s\" of %s must be a number", s->name, owner);
				return aml_error_detail(err, "Got %s.", aml_json_text(v));
			}
			aml_param_set_double(s, params, json_object_get_double(v));
			if (!isfinite(aml_param_get_double(s, params)))
				return aml_error(err, AML_ERR_INVALID_PARAMETER,
								 "hyperparameter \"%s\" of %s must be finite", s->name, owner);
			break;
		case AML_PARAM_BOOL:
			if (t != json_type_boolean)
			{
				aml_error(err, AML_ERR_INVALID_PARAMETER,
						  "hyperparameter \"%s\" of %s must be true or false", s->name, owner);
				return aml_error_detail(err, "Got %s.", aml_json_text(v));
			}
			aml_param_set_bool(s, params, json_object_get_boolean(v));
			break;
		case AML_PARAM_CHOICE:
			{
				const char *name = t == json_type_string ? json_object_get_string(v) : NULL;
				int			idx = -1;
				char		choices[512];

				for (int i = 0; name != NULL && s->choices[i] != NULL; i++)
					if (strcmp(s->choices[i], name) == 0)
						idx = i;
				if (idx < 0)
				{
					list_choices(s, choices, sizeof(choices));
					aml_error(err, AML_ERR_INVALID_PARAMETER,
							  "invalid value for hyperparameter \"%s\" of %s: %s", s->name, owner,
							  aml_json_text(v));
					aml_error_detail(err, "Valid values are %s.", choices);
					return err->status;
				}
				aml_param_set_int(s, params, idx);
				break;
			}
	}
	return aml_param_check(s, params, owner, err);
}

AmlStatus
aml_params_from_json(const AmlParamTable *table, void *params, json_object *obj,
					 const char *owner, AmlError *err)
{
	if (obj == NULL || json_object_get_type(obj) == json_type_null)
		return AML_OK;
	if (!json_object_is_type(obj, json_type_object))
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "hyperparameters of %s must be a JSON object", owner);
	json_object_object_foreach(obj, key, val)
	{
		const AmlParamSpec *s = aml_params_find(table, key);

		if (s == NULL)
		{
			char		names[1024];

			list_names(table, names, sizeof(names));
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "unknown hyperparameter \"%s\" for %s", key, owner);
			aml_error_detail(err, "Valid hyperparameters of %s are: %s.", owner, names);
			return err->status;
		}
		AML_TRY(set_from_json(s, params, val, owner, err));
	}
	return AML_OK;
}

static json_object *
value_to_json(const AmlParamSpec *s, const void *params)
{
	switch (s->type)
	{
		case AML_PARAM_INT:
			{
				int			v = aml_param_get_int(s, params);

				return (v == AML_PARAM_NONE_INT && s->nullable) ? NULL : json_object_new_int(v);
			}
		case AML_PARAM_DOUBLE:
			{
				double		v = aml_param_get_double(s, params);

				return (isnan(v) && s->nullable) ? NULL : aml_json_new_double(v);
			}
		case AML_PARAM_BOOL:
			return json_object_new_boolean(aml_param_get_bool(s, params));
		case AML_PARAM_CHOICE:
			return json_object_new_string(s->choices[aml_param_get_int(s, params)]);
	}
	return NULL;
}

json_object *
aml_params_to_json(const AmlParamTable *table, const void *params)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < table->count; i++)
		json_object_object_add(o, table->specs[i].name, value_to_json(&table->specs[i], params));
	return o;
}

void
aml_params_describe(const AmlParamTable *table, const void *params, char *buf, size_t buflen)
{
	size_t		used = 0;
	void	   *defaults = aml_alloc(table->size > 0 ? table->size : 1);

	buf[0] = '\0';
	if (defaults == NULL)
		return;
	aml_params_set_defaults(table, defaults);
	for (int i = 0; i < table->count && used < buflen; i++)
	{
		const AmlParamSpec *s = &table->specs[i];
		json_object *v;
		json_object *d;
		const char *text;

		v = value_to_json(s, params);
		d = value_to_json(s, defaults);
		text = v ? aml_json_text(v) : "null";
		if (strcmp(text, d ? aml_json_text(d) : "null") != 0)
		{
			/* strings without their quotes read better: criterion=entropy */
			if (v && json_object_is_type(v, json_type_string))
				text = json_object_get_string(v);
			used += (size_t) snprintf(buf + used, buflen - used, "%s%s=%s",
									  used ? ", " : "", s->name, text);
		}
		json_object_put(v);
		json_object_put(d);
	}
	aml_free(defaults);
}
