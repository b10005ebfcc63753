/*
 * csv.c — CSV files of test/data into core datasets (see csv.h).
 */
#include "csv.h"
#include "core/memory.h"
#include "core/stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Row
{
	int			n;
	char	  **fields;
} Row;

static int
split_line(char *line, char ***fields_out)
{
	int			cap = 16;
	int			n = 0;
	char	  **fields = malloc(sizeof(char *) * cap);
	char	   *p = line;

	for (;;)
	{
		char	   *start;
		char	   *w;

		if (n == cap)
		{
			cap *= 2;
			fields = realloc(fields, sizeof(char *) * cap);
		}
		if (*p == '"')
		{
			p++;
			start = w = p;
			while (*p)
			{
				if (*p == '"' && p[1] == '"')
				{
					*w++ = '"';
					p += 2;
				}
				else if (*p == '"')
				{
					p++;
					break;
				}
				else
					*w++ = *p++;
			}
			while (*p && *p != ',')
				p++;
		}
		else
		{
			start = p;
			while (*p && *p != ',')
				p++;
			w = p;
		}
		fields[n++] = start;
		if (*p == ',')
		{
			*w = '\0';
			p++;
		}
		else
		{
			*w = '\0';
			break;
		}
	}
	*fields_out = fields;
	return n;
}

static bool
parse_number(const char *s, double *out)
{
	char	   *end;

	if (*s == '\0')
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0;
}

AmlDataset *
csv_load(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	char	  **header = NULL;
	char	   *header_line = NULL;
	int			ncols;
	Row		   *rows = NULL;
	int			nrows = 0;
	int			rowcap = 0;
	AmlDataset *ds = NULL;
	AmlError	err;

	if (f == NULL)
	{
		fprintf(stderr, "cannot open %s\n", path);
		return NULL;
	}
	if ((len = getline(&line, &cap, f)) <= 0)
	{
		fclose(f);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	header_line = strdup(line);
	ncols = split_line(header_line, &header);
	while ((len = getline(&line, &cap, f)) > 0)
	{
		char	   *copy;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (nrows == rowcap)
		{
			rowcap = rowcap ? rowcap * 2 : 256;
			rows = realloc(rows, sizeof(Row) * rowcap);
		}
		copy = strdup(line);
		rows[nrows].n = split_line(copy, &rows[nrows].fields);
		if (rows[nrows].n != ncols)
		{
			fprintf(stderr, "%s: row %d has %d fields, header has %d\n", path, nrows + 2,
					rows[nrows].n, ncols);
			exit(2);
		}
		nrows++;
	}
	free(line);
	fclose(f);

	if (aml_dataset_create(ncols, &ds, &err) != AML_OK)
		goto fail;
	for (int j = 0; j < ncols; j++)
	{
		bool		numeric = true;
		bool		boolean = true;
		AmlColumnKind kind;

		for (int i = 0; i < nrows; i++)
		{
			const char *s = rows[i].fields[j];
			double		v;

			if (*s == '\0')
				continue;
			if (!parse_number(s, &v))
				numeric = false;
			if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
				boolean = false;
		}
		kind = numeric ? AML_KIND_NUMERIC : boolean ? AML_KIND_BINARY : AML_KIND_CATEGORICAL;
		if (aml_dataset_define_column(ds, j, header[j], kind, &err) != AML_OK)
			goto fail;
	}
	if (aml_dataset_reserve(ds, nrows, &err) != AML_OK)
		goto fail;
	for (int i = 0; i < nrows; i++)
	{
		int			r;

		if (aml_dataset_append_row(ds, &r, &err) != AML_OK)
			goto fail;
		for (int j = 0; j < ncols; j++)
		{
			const char *s = rows[i].fields[j];
			double		v;

			if (*s == '\0')
				continue;
			switch (ds->columns[j].kind)
			{
				case AML_KIND_NUMERIC:
					parse_number(s, &v);
					aml_dataset_set_number(ds, r, j, v);
					break;
				case AML_KIND_BINARY:
					aml_dataset_set_number(ds, r, j, strcmp(s, "true") == 0 ? 1.0 : 0.0);
					break;
				case AML_KIND_CATEGORICAL:
					if (aml_dataset_set_category(ds, r, j, s, strlen(s), &err) != AML_OK)
						goto fail;
					break;
			}
		}
	}
	if (aml_dataset_finish(ds, &err) != AML_OK)
		goto fail;
	for (int i = 0; i < nrows; i++)
	{
		free(rows[i].fields[0]);
		free(rows[i].fields);
	}
	free(rows);
	free(header);
	free(header_line);
	return ds;

fail:
	fprintf(stderr, "%s: %s\n", path, err.message);
	exit(2);
}

int
csv_split_xy(const AmlDataset *ds, const char *target, bool numeric_target_is_class,
			 AmlMatrix **X, double **y, int *n_classes)
{
	int			t = aml_dataset_find_column(ds, target);
	int		   *cols;
	int			k = 0;
	AmlError	err;
	const AmlColumn *tc;

	if (t < 0)
	{
		fprintf(stderr, "no column %s\n", target);
		return -1;
	}
	cols = AML_NEW_ARRAY(int, ds->n_cols);
	for (int j = 0; j < ds->n_cols; j++)
		if (j != t)
			cols[k++] = j;
	if (aml_dataset_to_matrix(ds, cols, k, X, &err) != AML_OK)
	{
		fprintf(stderr, "%s\n", err.message);
		aml_free(cols);
		return -1;
	}
	aml_free(cols);
	tc = &ds->columns[t];
	*y = AML_NEW_ARRAY(double, ds->n_rows);
	memcpy(*y, tc->values, sizeof(double) * ds->n_rows);
	*n_classes = 0;
	if (tc->kind == AML_KIND_CATEGORICAL)
		*n_classes = tc->dict->count;
	else if (tc->kind == AML_KIND_BINARY)
		*n_classes = 2;
	else if (numeric_target_is_class)
	{
		double	   *sorted = AML_NEW_ARRAY(double, ds->n_rows);
		int			n = aml_sorted_finite(tc->values, ds->n_rows, sorted);
		int			distinct = 0;

		for (int i = 0; i < n; i++)
			if (i == 0 || sorted[i] != sorted[i - 1])
				sorted[distinct++] = sorted[i];
		for (int i = 0; i < ds->n_rows; i++)
			for (int c = 0; c < distinct; c++)
				if ((*y)[i] == sorted[c])
				{
					(*y)[i] = c;
					break;
				}
		*n_classes = distinct;
		aml_free(sorted);
	}
	return 0;
}
