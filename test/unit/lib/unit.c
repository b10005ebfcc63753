/*
 * unit.c — the unit-test harness (see unit.h).
 */
#include "unit.h"
#include "core/blas.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdlib.h>

int			unit_checks = 0;
int			unit_failures = 0;
const char *unit_current = "";

void
unit_begin(void)
{
	AmlError	err;

	if (aml_blas_init(1, &err) != AML_OK)
	{
		fprintf(stderr, "cannot load OpenBLAS: %s (%s)\n", err.message, err.detail);
		exit(2);
	}
}

int
unit_end(void)
{
	printf("%d checks, %d failures\n", unit_checks, unit_failures);
	return unit_failures == 0 ? 0 : 1;
}

void
unit_fail(const char *file, int line, const char *fmt,...)
{
	va_list		ap;

	unit_failures++;
	fprintf(stderr, "FAIL %s:%d [%s]: ", file, line, unit_current);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool
unit_near(double a, double b, double tol)
{
	double		scale = 1.0;

	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (fabs(a) > scale)
		scale = fabs(a);
	if (fabs(b) > scale)
		scale = fabs(b);
	return fabs(a - b) <= tol * scale;
}

const char *
unit_data_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "../data/%s", name);
	return path;
}

struct json_object *
unit_load_json(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	long		len;
	char	   *text;
	json_object *obj = NULL;
	AmlError	err;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	text = malloc((size_t) len + 1);
	if (text == NULL || fread(text, 1, (size_t) len, f) != (size_t) len)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	text[len] = '\0';
	fclose(f);
	if (aml_json_parse(text, (size_t) len, &obj, &err) != AML_OK)
	{
		fprintf(stderr, "%s: %s\n", path, err.message);
		exit(2);
	}
	free(text);
	return obj;
}

struct json_object *
unit_json_get(struct json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
	{
		fprintf(stderr, "%s: the reference has no \"%s\"\n", unit_current ? unit_current : "", key);
		exit(2);
	}
	return v;
}
