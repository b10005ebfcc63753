/*
 * loader.h — reading science-db relations into core datasets.
 *
 * aml_source_describe() resolves which columns of a relation are read and
 * how each SQL type becomes a column kind:
 *   smallint, integer, bigint, real, double precision, numeric   numeric
 *   date, timestamp[tz], time[tz], interval    numeric (seconds; epoch for dates)
 *   boolean                                    binary
 *   text, varchar, char(n), name, "char", enums, other string types   categorical
 * A row of automl.variables with the column's name overrides this (MIP
 * metadata: integer/real/date numeric, binominal/polynominal/text
 * categorical).  Other types are refused with the column named.
 *
 * aml_source_load() reads the rows with SPI, as the calling role, in batches,
 * inside a core session (core_bridge.h) so the memory budget applies; NULL
 * and NaN become missing values.  aml_source_convert() converts one datum the
 * same way, for prediction on a row value.
 */
#ifndef AML_PG_LOADER_H
#define AML_PG_LOADER_H

#include "postgres.h"

#include "access/attnum.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/array.h"

#include "core/dataset.h"

typedef enum AmlConversion
{
	AML_CONV_INT2,
	AML_CONV_INT4,
	AML_CONV_INT8,
	AML_CONV_FLOAT4,
	AML_CONV_FLOAT8,
	AML_CONV_NUMERIC,
	AML_CONV_BOOL,
	AML_CONV_DATE,
	AML_CONV_TIMESTAMP,			/* timestamp and timestamptz */
	AML_CONV_TIME,
	AML_CONV_TIMETZ,
	AML_CONV_INTERVAL,
	AML_CONV_TEXT,				/* text, varchar and other varlena strings */
	AML_CONV_BPCHAR,			/* char(n): trailing blanks are not significant */
	AML_CONV_NAME,
	AML_CONV_OUTPUT,			/* anything else categorical: the type's output function */
	AML_CONV_PARSE_NUMBER		/* a string column that metadata says is numeric */
} AmlConversion;

typedef struct AmlSourceColumn
{
	char	   *name;
	AttrNumber	attnum;			/* in the relation */
	Oid			typid;			/* declared type (maybe a domain) */
	AmlColumnKind kind;
	AmlConversion conversion;
	FmgrInfo	output;			/* AML_CONV_OUTPUT / PARSE_NUMBER of non-text types */
	bool		from_metadata;	/* kind decided by automl.variables */
} AmlSourceColumn;

typedef struct AmlSource
{
	Oid			relid;
	char	   *qualified_name; /* quoted schema.relation */
	int			ncols;
	AmlSourceColumn *cols;
	double		estimated_rows; /* from pg_class, -1 when unknown */
} AmlSource;

typedef struct AmlLoadStats
{
	int64		rows;
	int64	   *nan_counts;		/* per column: NaN values treated as missing */
} AmlLoadStats;

/*
 * Resolve `columns` (a name[] or NULL for every column) of relation relid.
 * Errors: missing or duplicate column, unsupported type, no SELECT privilege,
 * a relation kind that has no rows (index, sequence ...).
 */
AmlSource  *aml_source_describe(Oid relid, ArrayType *columns, bool use_metadata);
/* Same with an explicit list of column names (char *), NIL for all. */
AmlSource  *aml_source_describe_list(Oid relid, List *names, bool use_metadata);
/* Same, leaving out columns of unsupported types with a NOTICE when asked. */
AmlSource  *aml_source_describe_ext(Oid relid, List *names, bool use_metadata,
									bool skip_unsupported);
/* Index of a column in source, or -1. */
int			aml_source_find(const AmlSource *source, const char *name);

/*
 * Read the rows (optionally WHERE filter, an SQL boolean expression the
 * caller wrote) into a new dataset allocated in the current core session.
 * Emits a NOTICE per column where NaN values were treated as missing.
 */
AmlDataset *aml_source_load(const AmlSource *source, const char *filter, AmlLoadStats *stats);
/*
 * Same with a compiled query-builder filter (pg/filter.h; NULL or a NULL
 * clause = every row); its values are bound as parameters.
 */
struct AmlWhere;
AmlDataset *aml_source_load_where(const AmlSource *source, const struct AmlWhere *where,
								  AmlLoadStats *stats);

/*
 * Convert one non-NULL datum of column col.  Numeric kinds set *number (NaN
 * for NaN); categorical kinds set *str and *len (valid until the current memory
 * context is reset).  Returns false when the value is NaN (treat as missing).
 */
bool		aml_source_convert(const AmlSourceColumn *col, Datum value,
							   double *number, const char **str, int *len);

/*
 * Set up col to read a column of SQL type typid as kind `wanted` the way
 * training did (a model input that was categorical stays categorical even if
 * the row's column is an integer).  False when the type is unsupported.
 */
bool		aml_source_column_as(AmlSourceColumn *col, Oid typid, AmlColumnKind wanted);

/* Names of the elements of a name[] (errors on NULL elements and duplicates). */
List	   *aml_name_array_to_list(ArrayType *names, const char *argname);

#endif
