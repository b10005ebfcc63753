/*
 * status.h — how the pure-C layers report failure.
 *
 * Functions of src/core, src/ml and src/search never longjmp and never print:
 * they return an AmlStatus and, when it is not AML_OK, fill an AmlError with
 * a short message (lowercase, no period, in PostgreSQL's style), an optional
 * detail and hint.  The PostgreSQL glue maps the status to a SQLSTATE.
 */
#ifndef AML_STATUS_H
#define AML_STATUS_H

#include <stdarg.h>

typedef enum AmlStatus
{
	AML_OK = 0,
	AML_ERR_INVALID_PARAMETER,	/* a caller-supplied argument is wrong */
	AML_ERR_INVALID_DATA,		/* the data cannot be used as given */
	AML_ERR_OUT_OF_MEMORY,		/* allocation failed or memory budget hit */
	AML_ERR_INTERRUPTED,		/* the caller asked us to stop */
	AML_ERR_BAD_FORMAT,			/* malformed JSON or serialised model */
	AML_ERR_NUMERICAL,			/* singular system, LAPACK failure ... */
	AML_ERR_TIMEOUT,			/* a time cap was reached */
	AML_ERR_UNAVAILABLE,		/* a shared library could not be loaded */
	AML_ERR_INTERNAL			/* a bug: should not happen */
} AmlStatus;

#define AML_MSG_LEN 256
#define AML_DETAIL_LEN 1024

typedef struct AmlError
{
	AmlStatus	status;
	char		message[AML_MSG_LEN];
	char		detail[AML_DETAIL_LEN];
	char		hint[AML_MSG_LEN];
} AmlError;

/* Reset an error to AML_OK with empty texts. */
void		aml_error_clear(AmlError *err);

/* Set status and message (printf-style); returns status for "return aml_error(...)". */
AmlStatus	aml_error(AmlError *err, AmlStatus status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Add a detail or hint to an error already set; both return err->status. */
AmlStatus	aml_error_detail(AmlError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
AmlStatus	aml_error_hint(AmlError *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Out-of-memory shorthand that also reports the memory budget when it was the cause. */
AmlStatus	aml_error_nomem(AmlError *err, const char *what);

/* A stable name for a status ("invalid parameter" ...), for logs and tests. */
const char *aml_status_name(AmlStatus status);

/* Propagate a failing status from an expression. */
#define AML_TRY(expr) \
	do { AmlStatus aml_try_st_ = (expr); if (aml_try_st_ != AML_OK) return aml_try_st_; } while (0)

#endif
