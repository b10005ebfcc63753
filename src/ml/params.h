/*
 * params.h — hyperparameters described by tables, so that validation,
 * defaults, JSON (de)serialisation, error messages and the search space all
 * come from one description per estimator or transformer.
 *
 * Each estimator/transformer keeps its hyperparameters in a plain C struct and
 * describes every field with an AmlParamSpec (name, type, offset in the
 * struct, default, valid range).  Field types by AmlParamType:
 *   AML_PARAM_INT     int      (nullable: AML_PARAM_NONE_INT means "none")
 *   AML_PARAM_DOUBLE  double   (nullable: NaN means "none")
 *   AML_PARAM_BOOL    bool
 *   AML_PARAM_CHOICE  int      index into the NULL-terminated choices[]
 */
#ifndef AML_PARAMS_H
#define AML_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <json.h>

#include "core/status.h"

typedef enum AmlParamType
{
	AML_PARAM_INT,
	AML_PARAM_DOUBLE,
	AML_PARAM_BOOL,
	AML_PARAM_CHOICE
} AmlParamType;

#define AML_PARAM_NONE_INT (-2147483647 - 1)

typedef struct AmlParamSpec
{
	const char *name;
	AmlParamType type;
	size_t		offset;			/* offsetof(params struct, field) */
	double		default_value;	/* CHOICE: index; nullable: use AML_PARAM_NONE_INT / NAN */
	double		min;			/* valid range, inclusive unless *_exclusive */
	double		max;
	bool		min_exclusive;
	bool		max_exclusive;
	bool		nullable;		/* JSON null accepted ("none", e.g. unlimited depth) */
	const char *const *choices; /* CHOICE only, NULL-terminated */
	const char *description;	/* one short line, for error hints and docs */
} AmlParamSpec;

/* The table of an estimator/transformer: specs[0..count-1], struct of `size` bytes. */
typedef struct AmlParamTable
{
	const AmlParamSpec *specs;
	int			count;
	size_t		size;
} AmlParamTable;

/* Allocate a params struct filled with defaults (NULL when out of memory). */
void	   *aml_params_new(const AmlParamTable *table);
void		aml_params_set_defaults(const AmlParamTable *table, void *params);
void	   *aml_params_copy(const AmlParamTable *table, const void *params);
/*
 * Overwrite fields from a JSON object (NULL or {} keeps defaults).  Unknown
 * names, wrong JSON types and values out of range are AML_ERR_INVALID_PARAMETER
 * errors naming `owner` (e.g. "ridge") and listing the valid names/range.
 */
AmlStatus	aml_params_from_json(const AmlParamTable *table, void *params, json_object *obj,
								 const char *owner, AmlError *err);
/* All fields as a JSON object (choices by name, none as null). */
json_object *aml_params_to_json(const AmlParamTable *table, const void *params);
/*
 * Fields that differ from their default as "name=value, ..." into buf
 * (empty string when all are default).
 */
void		aml_params_describe(const AmlParamTable *table, const void *params,
								char *buf, size_t buflen);
const AmlParamSpec *aml_params_find(const AmlParamTable *table, const char *name);

/* Typed access to a field by spec. */
int			aml_param_get_int(const AmlParamSpec *spec, const void *params);
double		aml_param_get_double(const AmlParamSpec *spec, const void *params);
bool		aml_param_get_bool(const AmlParamSpec *spec, const void *params);
void		aml_param_set_int(const AmlParamSpec *spec, void *params, int value);
void		aml_param_set_double(const AmlParamSpec *spec, void *params, double value);
void		aml_param_set_bool(const AmlParamSpec *spec, void *params, bool value);
/* Check one spec's current value against its range (used after programmatic sets). */
AmlStatus	aml_param_check(const AmlParamSpec *spec, const void *params, const char *owner,
							AmlError *err);

/* Helpers for spec tables */
#define AML_PARAM_COUNT(array) ((int) (sizeof(array) / sizeof((array)[0])))

#endif
