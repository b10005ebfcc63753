/*
 * stats_frame.h — R's model frame from a relation: the variables a formula
 * (or a column list) uses, read with the loader (filter applied, as the
 * caller), rows with a NULL in any used column dropped (na.omit, with a
 * NOTICE counting them), categorical columns turned into factors whose
 * levels are the values present, sorted in byte order (R in the C locale),
 * booleans into the factor FALSE < TRUE.
 *
 * Shared by every automl statistics function (stats_*.c).  Must run inside
 * a core session; everything is allocated there.
 */
#ifndef AML_PG_STATS_FRAME_H
#define AML_PG_STATS_FRAME_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "core/dataset.h"
#include "stats/design.h"
#include "stats/formula.h"

typedef struct AmlStatsColumn
{
	char	   *name;
	AmlColumnKind kind;			/* as read */
	bool		factor;			/* categorical or binary */
	int			n_levels;
	char	  **levels;			/* factors: sorted labels */
	double	   *values;			/* complete rows: numbers or level indexes */
} AmlStatsColumn;

typedef struct AmlStatsFrame
{
	char	   *relation;		/* quoted qualified name */
	long		n;				/* complete rows */
	long		dropped;		/* rows left out for NULLs */
	int			ncols;
	AmlStatsColumn *cols;
} AmlStatsFrame;

/*
 * Read columns `names` (n) of relid through filter.  complete_rows: drop
 * rows with any NULL (else each column keeps NaN for NULL and no factor
 * levels are computed for NULLs).  what names the function for messages.
 */
AmlStatsFrame *aml_stats_frame_load(Oid relid, char **names, int n, Jsonb *filter,
									bool complete_rows, const char *what);

/*
 * Parse formula text against relid's columns (42601 with the position in
 * the DETAIL when it cannot be parsed).
 */
AmlFormula *aml_stats_parse_formula(Oid relid, const char *text, bool need_response);

/*
 * A formula's frame: the response (column 0 when the formula has one) then
 * its variables in formula order; design vars (one per formula variable)
 * filled.  Factors need at least two levels (22023 otherwise).
 */
AmlStatsFrame *aml_stats_formula_frame(Oid relid, AmlFormula *f, Jsonb *filter, const char *what,
									   AmlDesignVar **vars);

/*
 * Level codes of a column as R's factor() makes them (a numeric or boolean
 * column's levels are its sorted distinct values, returned in
 * *numeric_levels when asked); -1 for NULL.
 */
int		   *aml_stats_factor_codes(const AmlStatsColumn *c, long n, int *n_levels,
								   double **numeric_levels);

/* The relation's column names (every column the loader can read). */
char	  **aml_stats_relation_columns(Oid relid, int *n);

/* ereport a core error; formula syntax errors get 42601. */
void		aml_stats_raise(const AmlError *err) pg_attribute_noreturn();

#endif
