/*
 * status.c — error reporting of the pure-C layers (see status.h).
 */
#include "core/status.h"
#include "core/memory.h"

#include <stdio.h>
#include <string.h>

void
aml_error_clear(AmlError *err)
{
	err->status = AML_OK;
	err->message[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
}

AmlStatus
aml_error(AmlError *err, AmlStatus status, const char *fmt,...)
{
	va_list		ap;

	err->status = status;
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return status;
}

AmlStatus
aml_error_detail(AmlError *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return err->status;
}

AmlStatus
aml_error_hint(AmlError *err, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
	return err->status;
}

AmlStatus
aml_error_nomem(AmlError *err, const char *what)
{
	if (aml_memory_limit_hit())
	{
		aml_error(err, AML_ERR_OUT_OF_MEMORY, "memory budget exceeded while allocating %s", what);
		aml_error_detail(err, "The operation needed more than the %zu kB allowed (%zu kB were in use).",
						 aml_memory_budget() / 1024, aml_memory_used() / 1024);
		aml_error_hint(err, "Raise automl.max_memory, or use fewer rows or columns.");
		return err->status;
	}
	return aml_error(err, AML_ERR_OUT_OF_MEMORY, "out of memory while allocating %s", what);
}

const char *
aml_status_name(AmlStatus status)
{
	switch (status)
	{
		case AML_OK:
			return "ok";
		case AML_ERR_INVALID_PARAMETER:
			return "invalid parameter";
		case AML_ERR_INVALID_DATA:
			return "invalid data";
		case AML_ERR_OUT_OF_MEMORY:
			return "out of memory";
		case AML_ERR_INTERRUPTED:
			return "interrupted";
		case AML_ERR_BAD_FORMAT:
			return "bad format";
		case AML_ERR_NUMERICAL:
			return "numerical failure";
		case AML_ERR_TIMEOUT:
			return "timeout";
		case AML_ERR_UNAVAILABLE:
			return "unavailable";
		case AML_ERR_INTERNAL:
			return "internal error";
	}
	return "unknown";
}
