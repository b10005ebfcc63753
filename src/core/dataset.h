/*
 * dataset.h — a table of typed columns with missing masks.
 *
 * What the loader builds from a relation and what a pipeline is trained on.
 * Every column stores one double per row:
 *   numeric      the value
 *   binary       0 or 1
 *   categorical  the category code in the column's dictionary
 * A missing value (SQL NULL, or NaN) has missing[i] = 1 and values[i] = NaN,
 * so a column can be handed to numeric code as is.
 */
#ifndef AML_DATASET_H
#define AML_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/dictionary.h"
#include "core/matrix.h"
#include "core/status.h"

typedef enum AmlColumnKind
{
	AML_KIND_NUMERIC = 0,
	AML_KIND_BINARY,
	AML_KIND_CATEGORICAL
} AmlColumnKind;

typedef struct AmlColumn
{
	char	   *name;
	AmlColumnKind kind;
	double	   *values;
	uint8_t    *missing;
	int			n_missing;		/* counted by aml_dataset_finish() */
	AmlDictionary *dict;		/* categorical only */
} AmlColumn;

typedef struct AmlDataset
{
	int			n_rows;
	int			capacity;		/* rows allocated per column */
	int			n_cols;
	AmlColumn  *columns;
} AmlDataset;

const char *aml_kind_name(AmlColumnKind kind);
/* Parse "numeric" / "binary" / "categorical"; false when unknown. */
bool		aml_kind_parse(const char *name, AmlColumnKind *kind);

/* A dataset of n_cols columns and no rows; name each with aml_dataset_define_column(). */
AmlStatus	aml_dataset_create(int n_cols, AmlDataset **out, AmlError *err);
AmlStatus	aml_dataset_define_column(AmlDataset *ds, int col, const char *name,
									  AmlColumnKind kind, AmlError *err);
void		aml_dataset_free(AmlDataset *ds);
/* Bytes needed per row (values + mask), for budget checks before loading. */
size_t		aml_dataset_row_bytes(int n_cols);
/* Make room for at least `rows` rows. */
AmlStatus	aml_dataset_reserve(AmlDataset *ds, int rows, AmlError *err);
/* Append one row with every value missing; returns its index through *row. */
AmlStatus	aml_dataset_append_row(AmlDataset *ds, int *row, AmlError *err);
void		aml_dataset_set_number(AmlDataset *ds, int row, int col, double value);
void		aml_dataset_set_missing(AmlDataset *ds, int row, int col);
AmlStatus	aml_dataset_set_category(AmlDataset *ds, int row, int col,
									 const char *s, size_t len, AmlError *err);
/*
 * After the last row: renumber categories in byte order (so codes do not
 * depend on row order) and count missing values.
 */
AmlStatus	aml_dataset_finish(AmlDataset *ds, AmlError *err);
/* Index of the column named `name`, or -1. */
int			aml_dataset_find_column(const AmlDataset *ds, const char *name);
/* The columns cols[0..n-1] as a numeric matrix (codes for categoricals, NaN = missing). */
AmlStatus	aml_dataset_to_matrix(const AmlDataset *ds, const int *cols, int n,
								  AmlMatrix **out, AmlError *err);

#endif
