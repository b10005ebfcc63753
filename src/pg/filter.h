/*
 * filter.h — the platform's query-builder JSON compiled to a parameterised
 * WHERE clause.
 *
 * The Medical Informatics Platform's front end filters patients with jQuery
 * QueryBuilder and sends its JSON:
 *
 *   {"condition": "AND", "not": false,
 *    "rules": [{"field": "age", "operator": "greater", "value": 60},
 *              {"condition": "OR", "rules": [...]}]}
 *
 * aml_filter_compile() turns it into a boolean SQL expression over relation
 * relid in which every field is a column of the relation (checked in the
 * catalog, then quoted with quote_identifier) and every value is a $n
 * parameter converted to the column's (base) type by the type's input
 * function.  Comparisons use the operators of the column type's default
 * B-tree operator class, written OPERATOR(schema.op); string operators cast
 * the column to pg_catalog.text.  Nothing of the JSON is ever pasted into the
 * SQL text.
 *
 * Operators and what they compile to (c is the quoted column, v the values):
 *   equal, not_equal               c = $1, c <> $1
 *   less, less_or_equal            c < $1, c <= $1
 *   greater, greater_or_equal      c > $1, c >= $1
 *   in, not_in (value an array)    (c = $1 OR c = $2 ...), NOT (...)
 *   between, not_between ([a, b])  (c >= $1 AND c <= $2), NOT (...)
 *   begins_with, not_begins_with   starts_with(c::text, $1), NOT ...
 *   contains, not_contains         strpos(c::text, $1) > 0, NOT ...
 *   ends_with, not_ends_with       starts_with(reverse(c::text), reverse($1)), NOT ...
 *   is_empty, is_not_empty         c::text = '', c::text <> ''
 *   is_null, is_not_null           c IS NULL, c IS NOT NULL
 * A group is its rules joined by its condition ("AND" by default, "OR"),
 * negated when "not" is true; a group without rules is true.  As in SQL, a
 * rule on a NULL value is not true (so not_equal and not_in leave out NULLs).
 *
 * Errors (all ereport ERROR):
 *   22023 invalid_parameter_value  not an object, unknown operator or
 *                                  condition, a missing or ill-typed value
 *   42703 undefined_column         a field that is not a column of relid
 *   42883 undefined_function       a column type with no B-tree ordering
 *                                  (json, point ...) under a comparison
 *   22P02 etc.                     a value the column's type does not accept
 */
#ifndef AML_PG_FILTER_H
#define AML_PG_FILTER_H

#include "postgres.h"

#include "utils/jsonb.h"

typedef struct AmlWhere
{
	char	   *clause;			/* boolean SQL expression; NULL = no filter */
	int			nparams;
	Oid		   *types;			/* parameter types, for SPI_*_with_args */
	Datum	   *values;
	char	   *nulls;			/* SPI convention: ' ' (no value is NULL) */
	int			first_param;	/* the first parameter is $first_param */
} AmlWhere;

/*
 * Compile filter (NULL or JSON null = no filter) against relid; parameters
 * are numbered from first_param (1 unless the caller binds its own first).
 * Allocated in the current memory context.
 */
AmlWhere   *aml_filter_compile(Jsonb *filter, Oid relid, int first_param);

/* The filter argument argno of a SQL function (NULL when SQL NULL). */
#define AML_FILTER_ARG(fcinfo, argno) \
	(PG_NARGS() > (argno) && !PG_ARGISNULL(argno) ? PG_GETARG_JSONB_P(argno) : NULL)

#endif
