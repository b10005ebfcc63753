/*
 * csv.h — reads the CSV files of test/data into core datasets, for unit tests
 * and benchmarks of the pure layers (no server).
 *
 * A column is numeric when every non-empty field parses as a number, else
 * categorical; "true"/"false" columns are binary.  Empty fields are missing.
 * Quoted fields ("a,b") are supported; embedded newlines are not.
 */
#ifndef AML_TEST_CSV_H
#define AML_TEST_CSV_H

#include "core/dataset.h"
#include "core/matrix.h"

/* Load a whole CSV file; NULL (and a message on stderr) on failure. */
AmlDataset *csv_load(const char *path);

/*
 * Split a loaded dataset into X (all columns but `target`, categoricals as
 * codes) and y (class codes for a categorical target, values otherwise).
 * *n_classes is the number of target categories (0 when numeric).  When
 * `numeric_target_is_class` is set a numeric target is turned into classes
 * 0..k-1 in increasing order of its values.
 */
int			csv_split_xy(const AmlDataset *ds, const char *target, bool numeric_target_is_class,
						 AmlMatrix **X, double **y, int *n_classes);

#endif
