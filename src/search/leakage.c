/*
 * leakage.c — columns that carry the target (see leakage.h).
 */
#include "search/leakage.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_KNOWN 20
#define MAX_ROWS 20000

typedef struct Pair
{
	double		x;
	double		y;
} Pair;

static int
cmp_pair(const void *a, const void *b)
{
	const Pair *p = a;
	const Pair *q = b;

	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	if (p->y != q->y)
		return p->y < q->y ? -1 : 1;
	return 0;
}

/* Discrete column: share of rows its best value -> class mapping gets right. */
static double
mapping_purity(const Pair *p, int n, int n_classes, int *n_values, int *counts)
{
	int			right = 0;

	*n_values = 0;
	for (int i = 0; i < n;)
	{
		int			j = i;
		int			best = 0;

		memset(counts, 0, sizeof(int) * (size_t) n_classes);
		while (j < n && p[j].x == p[i].x)
		{
			int			c = (int) p[j].y;

			if (c >= 0 && c < n_classes && ++counts[c] > best)
				best = counts[c];
			j++;
		}
		right += best;
		(*n_values)++;
		i = j;
	}
	return (double) right / n;
}

static int
leak_of_column(const AmlSchema *schema, const AmlMatrix *raw, const double *y, int n_classes,
			   int j, Pair *p, int *counts, char *reason, size_t len)
{
	int			n = 0;
	bool		categorical = schema->inputs[j].kind == AML_KIND_CATEGORICAL;
	int			step = raw->rows > MAX_ROWS ? (raw->rows + MAX_ROWS - 1) / MAX_ROWS : 1;

	/* a regular sample of large tables is enough (and keeps it fast) */
	for (int i = 0; i < raw->rows; i += step)
	{
		double		x = AML_AT(raw, i, j);

		if (!isnan(x) && !isnan(y[i]))
		{
			p[n].x = x;
			p[n].y = y[i];
			n++;
		}
	}
	if (n < MIN_KNOWN)
		return 0;
	if (schema->task == AML_TASK_CLASSIFICATION)
	{
		int			n_values;
		int			majority = 0;
		double		purity;

		memset(counts, 0, sizeof(int) * (size_t) n_classes);
		for (int i = 0; i < n; i++)
			if (++counts[(int) p[i].y] > majority)
				majority = counts[(int) p[i].y];
		if ((double) majority / n >= 0.95)
			return 0;
		qsort(p, (size_t) n, sizeof(Pair), cmp_pair);
		purity = mapping_purity(p, n, n_classes, &n_values, counts);
		if (categorical || n_values <= 2 * n_classes + 2)
		{
			if (n_values * 5 <= n && purity >= 0.995)
			{
				snprintf(reason, len, "its %d values map onto the classes of the target for %.1f %% of the %d rows where it is known",
						 n_values, 100 * purity, n);
				return 1;
			}
			return 0;
		}
		else
		{
			int			changes = 0;

			for (int i = 1; i < n; i++)
				if (p[i].y != p[i - 1].y)
					changes++;
			/* rows of equal values must agree too (purity), or a column that is
			 * mostly zero would pass */
			if (purity >= 0.995 && changes <= (n_classes - 1) + (int) floor(0.005 * n))
			{
				snprintf(reason, len, "sorted by it, the %d rows where it is known fall into classes with only %d change%s: thresholds on it alone give the target",
						 n, changes, changes == 1 ? "" : "s");
				return 1;
			}
			return 0;
		}
	}
	if (!categorical)
	{
		double		mx = 0;
		double		my = 0;
		double		sxx = 0;
		double		syy = 0;
		double		sxy = 0;
		double		r;

		for (int i = 0; i < n; i++)
		{
			mx += p[i].x;
			my += p[i].y;
		}
		mx /= n;
		my /= n;
		for (int i = 0; i < n; i++)
		{
			sxx += (p[i].x - mx) * (p[i].x - mx);
			syy += (p[i].y - my) * (p[i].y - my);
			sxy += (p[i].x - mx) * (p[i].y - my);
		}
		if (sxx <= 0 || syy <= 0)
			return 0;
		r = sxy / sqrt(sxx * syy);
		if (fabs(r) >= 0.999)
		{
			snprintf(reason, len, "its correlation with the target is %.4f: a copy or an affine transform of it", r);
			return 1;
		}
	}
	return 0;
}

int
aml_find_leaks(const AmlSchema *schema, const AmlMatrix *raw, const double *y, int n_classes,
			   AmlLeak *out, int max)
{
	Pair	   *p = AML_NEW_ARRAY(Pair, raw->rows + 1);
	int		   *counts = AML_NEW_ARRAY(int, n_classes + 1);
	int			found = 0;

	if (p == NULL || counts == NULL)
	{
		aml_free(p);
		aml_free(counts);
		return 0;
	}
	for (int j = 0; j < schema->n_inputs; j++)
	{
		char		reason[160];

		if (leak_of_column(schema, raw, y, n_classes, j, p, counts, reason, sizeof(reason)))
		{
			if (found < max)
			{
				out[found].input = j;
				snprintf(out[found].reason, sizeof(out[found].reason), "%s", reason);
			}
			found++;
		}
	}
	aml_free(p);
	aml_free(counts);
	return found;
}
