/*
 * matrix.c — dense column-major matrices (see matrix.h).
 */
#include "core/matrix.h"
#include "core/memory.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

size_t
aml_matrix_bytes(int rows, int cols)
{
	size_t		n;
	size_t		bytes;

	if (rows < 0 || cols < 0)
		return SIZE_MAX;
	if (!aml_mul_size((size_t) rows, (size_t) cols, &n) ||
		!aml_mul_size(n, sizeof(double), &bytes))
		return SIZE_MAX;
	return bytes;
}

AmlMatrix *
aml_matrix_new(int rows, int cols)
{
	AmlMatrix  *m;
	size_t		bytes = aml_matrix_bytes(rows, cols);

	if (bytes == SIZE_MAX)
		return NULL;
	m = AML_NEW(AmlMatrix);
	if (m == NULL)
		return NULL;
	m->data = aml_alloc0(bytes == 0 ? sizeof(double) : bytes);
	if (m->data == NULL)
	{
		aml_free(m);
		return NULL;
	}
	m->rows = rows;
	m->cols = cols;
	m->owns_data = true;
	return m;
}

AmlStatus
aml_matrix_create(int rows, int cols, AmlMatrix **out, AmlError *err)
{
	*out = aml_matrix_new(rows, cols);
	if (*out == NULL)
		return aml_error_nomem(err, "a matrix");
	return AML_OK;
}

AmlStatus
aml_matrix_create_unset(int rows, int cols, AmlMatrix **out, AmlError *err)
{
	size_t		bytes = aml_matrix_bytes(rows, cols);
	AmlMatrix  *m;

	*out = NULL;
	if (bytes == SIZE_MAX || (m = AML_NEW(AmlMatrix)) == NULL)
		return aml_error_nomem(err, "a matrix");
	m->data = aml_alloc(bytes > 0 ? bytes : sizeof(double));
	if (m->data == NULL)
	{
		aml_free(m);
		return aml_error_nomem(err, "a matrix");
	}
	m->rows = rows;
	m->cols = cols;
	m->owns_data = true;
	*out = m;
	return AML_OK;
}

AmlMatrix
aml_matrix_view(int rows, int cols, double *data)
{
	AmlMatrix	m;

	m.rows = rows;
	m.cols = cols;
	m.data = data;
	m.owns_data = false;
	return m;
}

void
aml_matrix_free(AmlMatrix *m)
{
	if (m == NULL)
		return;
	if (m->owns_data)
		aml_free(m->data);
	aml_free(m);
}

AmlMatrix *
aml_matrix_copy(const AmlMatrix *m)
{
	AmlMatrix  *c = aml_matrix_new(m->rows, m->cols);

	if (c != NULL)
		memcpy(c->data, m->data, aml_matrix_bytes(m->rows, m->cols));
	return c;
}

AmlMatrix *
aml_matrix_take_rows(const AmlMatrix *m, const int *rows, int n)
{
	AmlMatrix  *c = aml_matrix_new(n, m->cols);

	if (c == NULL)
		return NULL;
	for (int j = 0; j < m->cols; j++)
	{
		const double *src = AML_COL(m, j);
		double	   *dst = AML_COL(c, j);

		for (int i = 0; i < n; i++)
			dst[i] = src[rows[i]];
	}
	return c;
}

AmlMatrix *
aml_matrix_take_cols(const AmlMatrix *m, const int *cols, int n)
{
	AmlMatrix  *c = aml_matrix_new(m->rows, n);

	if (c == NULL)
		return NULL;
	for (int j = 0; j < n; j++)
		memcpy(AML_COL(c, j), AML_COL(m, cols[j]), sizeof(double) * (size_t) m->rows);
	return c;
}

void
aml_matrix_get_row(const AmlMatrix *m, int i, double *out)
{
	for (int j = 0; j < m->cols; j++)
		out[j] = AML_AT(m, i, j);
}

bool
aml_matrix_all_finite(const AmlMatrix *m)
{
	size_t		n = (size_t) m->rows * (size_t) m->cols;

	for (size_t k = 0; k < n; k++)
		if (!isfinite(m->data[k]))
			return false;
	return true;
}

bool
aml_matrix_has_nan(const AmlMatrix *m)
{
	size_t		n = (size_t) m->rows * (size_t) m->cols;

	for (size_t k = 0; k < n; k++)
		if (isnan(m->data[k]))
			return true;
	return false;
}
