/*
 * dataset.c — typed columns with missing masks (see dataset.h).
 */
#include "core/dataset.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

const char *
aml_kind_name(AmlColumnKind kind)
{
	switch (kind)
	{
		case AML_KIND_NUMERIC:
			return "numeric";
		case AML_KIND_BINARY:
			return "binary";
		case AML_KIND_CATEGORICAL:
			return "categorical";
	}
	return "unknown";
}

bool
aml_kind_parse(const char *name, AmlColumnKind *kind)
{
	if (strcmp(name, "numeric") == 0)
		*kind = AML_KIND_NUMERIC;
	else if (strcmp(name, "binary") == 0)
		*kind = AML_KIND_BINARY;
	else if (strcmp(name, "categorical") == 0)
		*kind = AML_KIND_CATEGORICAL;
	else
		return false;
	return true;
}

AmlStatus
aml_dataset_create(int n_cols, AmlDataset **out, AmlError *err)
{
	AmlDataset *ds;

	*out = NULL;
	if (n_cols < 0)
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "negative column count");
	ds = AML_NEW(AmlDataset);
	if (ds == NULL)
		return aml_error_nomem(err, "a dataset");
	ds->n_cols = n_cols;
	ds->columns = AML_NEW_ARRAY(AmlColumn, n_cols > 0 ? n_cols : 1);
	if (ds->columns == NULL)
	{
		aml_free(ds);
		return aml_error_nomem(err, "a dataset");
	}
	*out = ds;
	return AML_OK;
}

AmlStatus
aml_dataset_define_column(AmlDataset *ds, int col, const char *name,
						  AmlColumnKind kind, AmlError *err)
{
	AmlColumn  *c = &ds->columns[col];

	c->name = aml_strdup(name);
	if (c->name == NULL)
		return aml_error_nomem(err, "a column name");
	c->kind = kind;
	if (kind == AML_KIND_CATEGORICAL)
	{
		c->dict = aml_dict_new();
		if (c->dict == NULL)
			return aml_error_nomem(err, "a category dictionary");
	}
	return AML_OK;
}

void
aml_dataset_free(AmlDataset *ds)
{
	if (ds == NULL)
		return;
	for (int j = 0; j < ds->n_cols; j++)
	{
		aml_free(ds->columns[j].name);
		aml_free(ds->columns[j].values);
		aml_free(ds->columns[j].missing);
		aml_dict_free(ds->columns[j].dict);
	}
	aml_free(ds->columns);
	aml_free(ds);
}

size_t
aml_dataset_row_bytes(int n_cols)
{
	return (size_t) n_cols * (sizeof(double) + sizeof(uint8_t));
}

AmlStatus
aml_dataset_reserve(AmlDataset *ds, int rows, AmlError *err)
{
	if (rows <= ds->capacity)
		return AML_OK;
	for (int j = 0; j < ds->n_cols; j++)
	{
		AmlColumn  *c = &ds->columns[j];
		double	   *values = aml_realloc(c->values, sizeof(double) * (size_t) rows);
		uint8_t    *missing;

		if (values == NULL)
			return aml_error_nomem(err, "the rows of a dataset");
		c->values = values;
		missing = aml_realloc(c->missing, (size_t) rows);
		if (missing == NULL)
			return aml_error_nomem(err, "the rows of a dataset");
		c->missing = missing;
	}
	ds->capacity = rows;
	return AML_OK;
}

AmlStatus
aml_dataset_append_row(AmlDataset *ds, int *row, AmlError *err)
{
	if (ds->n_rows == ds->capacity)
	{
		int			grow = ds->capacity < 1024 ? 1024 : ds->capacity;

		if (ds->capacity > INT32_MAX - grow)
			return aml_error(err, AML_ERR_INVALID_DATA, "too many rows");
		AML_TRY(aml_dataset_reserve(ds, ds->capacity + grow, err));
	}
	*row = ds->n_rows++;
	for (int j = 0; j < ds->n_cols; j++)
	{
		ds->columns[j].values[*row] = NAN;
		ds->columns[j].missing[*row] = 1;
	}
	return AML_OK;
}

void
aml_dataset_set_number(AmlDataset *ds, int row, int col, double value)
{
	AmlColumn  *c = &ds->columns[col];

	if (isnan(value))
	{
		c->values[row] = NAN;
		c->missing[row] = 1;
	}
	else
	{
		c->values[row] = value;
		c->missing[row] = 0;
	}
}

void
aml_dataset_set_missing(AmlDataset *ds, int row, int col)
{
	ds->columns[col].values[row] = NAN;
	ds->columns[col].missing[row] = 1;
}

AmlStatus
aml_dataset_set_category(AmlDataset *ds, int row, int col,
						 const char *s, size_t len, AmlError *err)
{
	AmlColumn  *c = &ds->columns[col];
	int			code;

	AML_TRY(aml_dict_intern(c->dict, s, len, &code, err));
	c->values[row] = (double) code;
	c->missing[row] = 0;
	return AML_OK;
}

AmlStatus
aml_dataset_finish(AmlDataset *ds, AmlError *err)
{
	for (int j = 0; j < ds->n_cols; j++)
	{
		AmlColumn  *c = &ds->columns[j];
		int			n_missing = 0;

		for (int i = 0; i < ds->n_rows; i++)
			n_missing += c->missing[i];
		c->n_missing = n_missing;
		if (c->kind == AML_KIND_CATEGORICAL && c->dict->count > 1)
		{
			int		   *remap = AML_NEW_ARRAY(int, c->dict->count);

			if (remap == NULL)
				return aml_error_nomem(err, "a category dictionary");
			if (aml_dict_sort(c->dict, remap, err) != AML_OK)
			{
				aml_free(remap);
				return err->status;
			}
			for (int i = 0; i < ds->n_rows; i++)
				if (!c->missing[i])
					c->values[i] = (double) remap[(int) c->values[i]];
			aml_free(remap);
		}
	}
	return AML_OK;
}

int
aml_dataset_find_column(const AmlDataset *ds, const char *name)
{
	for (int j = 0; j < ds->n_cols; j++)
		if (strcmp(ds->columns[j].name, name) == 0)
			return j;
	return -1;
}

AmlStatus
aml_dataset_to_matrix(const AmlDataset *ds, const int *cols, int n,
					  AmlMatrix **out, AmlError *err)
{
	AmlMatrix  *m;

	AML_TRY(aml_matrix_create(ds->n_rows, n, &m, err));
	for (int k = 0; k < n; k++)
		memcpy(AML_COL(m, k), ds->columns[cols[k]].values, sizeof(double) * (size_t) ds->n_rows);
	*out = m;
	return AML_OK;
}
