/*
 * matrix.h — dense matrices of doubles, column-major (the layout of BLAS and
 * LAPACK, and the natural one for per-feature work: scaling, tree splits).
 *
 * Element (i, j) of an m x n matrix is data[i + j * m].  Missing values are
 * NaN.  A matrix owns its data unless it is a view (owns_data = false).
 */
#ifndef AML_MATRIX_H
#define AML_MATRIX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

typedef struct AmlMatrix
{
	int			rows;
	int			cols;
	double	   *data;
	bool		owns_data;
} AmlMatrix;

#define AML_AT(m, i, j) ((m)->data[(size_t) (i) + (size_t) (j) * (size_t) (m)->rows])
#define AML_COL(m, j) ((m)->data + (size_t) (j) * (size_t) (m)->rows)

/* A new zero-filled rows x cols matrix, or NULL when out of memory/budget. */
AmlMatrix  *aml_matrix_new(int rows, int cols);
/* Same, reporting failure through err. */
AmlStatus	aml_matrix_create(int rows, int cols, AmlMatrix **out, AmlError *err);
/*
 * A rows x cols matrix whose elements are not cleared, for outputs whose
 * every element the caller writes (saves a pass over large ones).
 */
AmlStatus	aml_matrix_create_unset(int rows, int cols, AmlMatrix **out, AmlError *err);
/* A matrix struct over existing data (not freed by aml_matrix_free). */
AmlMatrix	aml_matrix_view(int rows, int cols, double *data);
void		aml_matrix_free(AmlMatrix *m);
AmlMatrix  *aml_matrix_copy(const AmlMatrix *m);
/* Rows rows[0..n-1] of m, in that order (indices may repeat: bootstrap). */
AmlMatrix  *aml_matrix_take_rows(const AmlMatrix *m, const int *rows, int n);
/* Columns cols[0..n-1] of m, in that order. */
AmlMatrix  *aml_matrix_take_cols(const AmlMatrix *m, const int *cols, int n);
/* Copy row i into out[0..cols-1]. */
void		aml_matrix_get_row(const AmlMatrix *m, int i, double *out);
/* Bytes a rows x cols matrix needs (SIZE_MAX on overflow). */
size_t		aml_matrix_bytes(int rows, int cols);
/* true when every element is finite (no NaN, no infinity). */
bool		aml_matrix_all_finite(const AmlMatrix *m);
/* true when some element is NaN */
bool		aml_matrix_has_nan(const AmlMatrix *m);

#endif
