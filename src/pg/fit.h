/*
 * fit.h — helpers shared by automl_fit and automl_train.
 */
#ifndef AML_PG_FIT_H
#define AML_PG_FIT_H

#include "postgres.h"

#include "core/matrix.h"
#include "ml/estimator.h"

/* The estimator type of an algorithm name; error listing the valid ones. */
const AmlEstimatorType *aml_pg_find_algorithm(const char *algorithm);
/* Row subsets, raising on out-of-memory (inside a core session). */
AmlMatrix  *aml_pg_take_rows(const AmlMatrix *m, const int *rows, int n);
double	   *aml_pg_take_values(const double *v, const int *rows, int n);

#endif
