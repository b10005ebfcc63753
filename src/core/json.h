/*
 * json.h — json-c helpers for the pure-C layers: exact doubles, arrays,
 * matrices, dictionaries, and typed field access with clear errors.
 *
 * Doubles are written with the fewest digits that read back to the same
 * double, so a serialised model predicts identically after reload.  JSON has
 * no NaN or infinity; in models (aml_json_new_double) they are written as the
 * strings "NaN", "Infinity" and "-Infinity" and read back as such.  Metrics
 * and scores meant for people and other programs use aml_json_new_number,
 * which writes them as null: a number where there is one, nothing else.
 *
 * json-c allocates with malloc, outside the memory budget: callers own what
 * the builders return and release it with json_object_put().
 */
#ifndef AML_JSON_H
#define AML_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <json.h>

#include "core/dictionary.h"
#include "core/matrix.h"
#include "core/status.h"

/* Shortest decimal text that reads back as exactly v (buf >= 32 bytes). */
void		aml_format_double(double v, char *buf, size_t buflen);

json_object *aml_json_new_double(double v);
/* A metric or score: as aml_json_new_double when finite, else NULL (JSON null). */
json_object *aml_json_new_number(double v);
json_object *aml_json_new_double_array(const double *v, int n);
json_object *aml_json_new_int_array(const int *v, int n);
json_object *aml_json_new_string_array(const char *const *v, int n);
json_object *aml_json_new_dict(const AmlDictionary *dict);	/* array of strings */
/* {"rows": r, "cols": c, "data": [column-major values]} */
json_object *aml_json_new_matrix(const AmlMatrix *m);

/* Parse text; on error explain where. */
AmlStatus	aml_json_parse(const char *text, size_t len, json_object **out, AmlError *err);
/* The JSON type of v in words, for messages: "null", "a number", "an object" ... */
const char *aml_json_kind(json_object *v);
/*
 * Parse untrusted text as exactly one JSON document: json-c's strict mode
 * with UTF-8 checked, nothing but white space after the document, no NUL
 * byte, no NaN, Infinity or number out of a double's range, not the bare
 * literal null.  *out is NULL on error.
 */
AmlStatus	aml_json_parse_strict(const char *text, size_t len, json_object **out, AmlError *err);
/* Compact text owned by obj (valid until obj is released). */
const char *aml_json_text(json_object *obj);

/* Reading: `what` names the document in error messages (e.g. "ridge state"). */
bool		aml_json_as_double(json_object *v, double *out);
AmlStatus	aml_json_get(json_object *obj, const char *key, json_type type,
						 json_object **out, const char *what, AmlError *err);
AmlStatus	aml_json_get_double(json_object *obj, const char *key, double *out,
								const char *what, AmlError *err);
AmlStatus	aml_json_get_int(json_object *obj, const char *key, int *out,
							 const char *what, AmlError *err);
AmlStatus	aml_json_get_bool(json_object *obj, const char *key, bool *out,
							  const char *what, AmlError *err);
/* String owned by obj. */
AmlStatus	aml_json_get_string(json_object *obj, const char *key, const char **out,
								const char *what, AmlError *err);
/* Read exactly n doubles from array field key into out[] (n < 0: any length, *out allocated). */
AmlStatus	aml_json_get_double_array(json_object *obj, const char *key, double *out, int n,
									  const char *what, AmlError *err);
/* Read an array field of any length into a new aml_alloc'ed array. */
AmlStatus	aml_json_get_double_vector(json_object *obj, const char *key, double **out, int *n,
									   const char *what, AmlError *err);
AmlStatus	aml_json_get_int_vector(json_object *obj, const char *key, int **out, int *n,
									const char *what, AmlError *err);
AmlStatus	aml_json_get_matrix(json_object *obj, const char *key, AmlMatrix **out,
								const char *what, AmlError *err);
AmlStatus	aml_json_get_dict(json_object *obj, const char *key, AmlDictionary **out,
							  const char *what, AmlError *err);

#endif
