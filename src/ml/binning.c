/*
 * binning.c — quantile binning of features for histogram gradient boosting
 * (see binning.h).  The arithmetic of the thresholds repeats numpy's
 * (np.unique midpoints, np.percentile(method="midpoint")) so that the
 * thresholds equal scikit-learn's when no subsampling happens.
 */
#include "ml/binning.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ sorting */

static inline uint64_t
double_key(double x)
{
	uint64_t	u;

	memcpy(&u, &x, sizeof(u));
	return (u & 0x8000000000000000ULL) ? ~u : (u | 0x8000000000000000ULL);
}

static inline double
key_double(uint64_t k)
{
	uint64_t	u = (k & 0x8000000000000000ULL) ? (k & ~0x8000000000000000ULL) : ~k;
	double		x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

static void
insertion_sort(double *v, int n)
{
	for (int i = 1; i < n; i++)
	{
		double		x = v[i];
		int			j = i - 1;

		while (j >= 0 && v[j] > x)
		{
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
}

/*
 * LSD radix sort on the order-preserving 64-bit image of the doubles, one
 * byte per pass, skipping the bytes every key shares.  scratch has room for
 * n doubles.  -0.0 must have been turned into +0.0 by the caller (the keys of
 * the two zeros differ).
 */
void
aml_bin_sort_doubles(double *v, int n, double *scratch)
{
	uint64_t   *a = (uint64_t *) v;
	uint64_t   *b = (uint64_t *) scratch;
	uint32_t	count[8][256];
	int			pass;

	if (n < 64)
	{
		insertion_sort(v, n);
		return;
	}
	memset(count, 0, sizeof(count));
	for (int i = 0; i < n; i++)
	{
		uint64_t	k = double_key(v[i]);

		a[i] = k;
		for (pass = 0; pass < 8; pass++)
			count[pass][(k >> (8 * pass)) & 0xff]++;
	}
	for (pass = 0; pass < 8; pass++)
	{
		uint32_t   *c = count[pass];
		uint32_t	sum = 0;
		int			shift = 8 * pass;
		uint64_t   *t;

		if (c[(a[0] >> shift) & 0xff] == (uint32_t) n)
			continue;			/* every key has the same byte here */
		for (int d = 0; d < 256; d++)
		{
			uint32_t	x = c[d];

			c[d] = sum;
			sum += x;
		}
		for (int i = 0; i < n; i++)
			b[c[(a[i] >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	if (a != (uint64_t *) v)
		memcpy(v, a, sizeof(double) * (size_t) n);
	for (int i = 0; i < n; i++)
		v[i] = key_double(((uint64_t *) v)[i]);
}

/* ------------------------------------------------------------------ thresholds */

/*
 * numpy.percentile(sorted[0..n-1], 100 * q, method="midpoint") for n >= 1:
 * the virtual index is the mean of floor and ceil of (n - 1) q, and the
 * interpolation is numpy's _lerp with weight 0 or 0.5.
 */
static double
percentile_midpoint(const double *sorted, int n, double q)
{
	double		pos = (double) (n - 1) * q;
	double		vi = 0.5 * (floor(pos) + ceil(pos));
	double		a;
	double		b;
	double		diff;
	int			prev;

	if (vi >= (double) (n - 1))
		return sorted[n - 1];
	if (vi < 0)
		return sorted[0];
	prev = (int) floor(vi);
	a = sorted[prev];
	b = sorted[prev + 1];
	if (vi == floor(vi))
		return a + (b - a) * 0.0;	/* gamma 0 */
	diff = b - a;
	return b - diff * (1 - 0.5);	/* gamma 0.5: numpy's lerp for t >= 0.5 */
}

/* Thresholds of one feature from its sorted non-missing values; returns how many. */
static int
feature_thresholds(const double *sorted, int n, int max_bins, double *out)
{
	int			n_distinct = 0;
	int			k = 0;

	for (int i = 0; i < n; i++)
		if (i == 0 || sorted[i] != sorted[i - 1])
			n_distinct++;
	if (n_distinct <= max_bins)
	{
		double		prev = 0;

		for (int i = 0; i < n; i++)
		{
			if (i > 0 && sorted[i] == sorted[i - 1])
				continue;
			if (i > 0)
			{
				double		m = prev + sorted[i];

				m *= 0.5;
				out[k++] = m;
			}
			prev = sorted[i];
		}
	}
	else
	{
		/* np.linspace(0, 100, max_bins + 1)[1:-1] / 100 */
		double		step = 100.0 / (double) max_bins;

		for (int j = 1; j < max_bins; j++)
		{
			double		pct = (double) j * step + 0.0;

			out[k++] = percentile_midpoint(sorted, n, pct / 100.0);
		}
	}
	for (int i = 0; i < k; i++)
		if (out[i] > AML_BIN_ALMOST_INF)
			out[i] = AML_BIN_ALMOST_INF;
	return k;
}

void
aml_bin_mapper_free(AmlBinMapper *bm)
{
	if (bm == NULL)
		return;
	aml_free(bm->n_bins);
	aml_free(bm->offsets);
	aml_free(bm->thresholds);
	aml_free(bm);
}

AmlStatus
aml_bin_mapper_fit(const AmlMatrix *X, const int *rows, int n_rows, int max_bins,
				   AmlRng *rng, AmlBinMapper **out, AmlError *err)
{
	AmlBinMapper *bm;
	int			p = X->cols;
	int			n_use = n_rows;
	int		   *use = NULL;
	double	   *values = NULL;
	double	   *scratch = NULL;
	double	   *thr = NULL;
	int			total = 0;

	*out = NULL;
	if (max_bins < 2 || max_bins > AML_BIN_MAX_BINS)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "max_bins must be between 2 and %d, got %d", AML_BIN_MAX_BINS, max_bins);
	bm = AML_NEW(AmlBinMapper);
	if (bm == NULL)
		return aml_error_nomem(err, "a bin mapper");
	bm->n_features = p;
	bm->max_bins = max_bins;
	bm->n_bins = AML_NEW_ARRAY(int, p > 0 ? p : 1);
	bm->offsets = AML_NEW_ARRAY(int, p + 1);
	bm->thresholds = AML_NEW_ARRAY(double, (size_t) p * (size_t) (max_bins - 1) + 1);
	if (bm->n_bins == NULL || bm->offsets == NULL || bm->thresholds == NULL)
		goto nomem;

	/* subsample the rows the thresholds are computed on, like _BinMapper */
	if (n_rows > AML_BIN_SUBSAMPLE && rng != NULL)
	{
		use = AML_NEW_ARRAY(int, n_rows);
		if (use == NULL)
			goto nomem;
		for (int i = 0; i < n_rows; i++)
			use[i] = rows ? rows[i] : i;
		/* partial Fisher-Yates: the first AML_BIN_SUBSAMPLE entries are the sample */
		for (int i = 0; i < AML_BIN_SUBSAMPLE; i++)
		{
			int			j = i + (int) aml_rng_below(rng, (uint64_t) (n_rows - i));
			int			t = use[i];

			use[i] = use[j];
			use[j] = t;
		}
		n_use = AML_BIN_SUBSAMPLE;
	}
	values = AML_NEW_ARRAY(double, n_use > 0 ? n_use : 1);
	scratch = AML_NEW_ARRAY(double, n_use > 0 ? n_use : 1);
	thr = AML_NEW_ARRAY(double, max_bins);
	if (values == NULL || scratch == NULL || thr == NULL)
		goto nomem;

	for (int j = 0; j < p; j++)
	{
		const double *col = AML_COL(X, j);
		int			n = 0;
		int			k;

		for (int i = 0; i < n_use; i++)
		{
			double		x = col[use ? use[i] : (rows ? rows[i] : i)];

			if (!isnan(x))
				values[n++] = x + 0.0;	/* -0.0 -> +0.0 */
		}
		aml_bin_sort_doubles(values, n, scratch);
		k = feature_thresholds(values, n, max_bins, thr);
		bm->offsets[j] = total;
		memcpy(bm->thresholds + total, thr, sizeof(double) * (size_t) k);
		total += k;
		bm->n_bins[j] = k + 1;
	}
	bm->offsets[p] = total;
	aml_free(use);
	aml_free(values);
	aml_free(scratch);
	aml_free(thr);
	*out = bm;
	return AML_OK;

nomem:
	aml_free(use);
	aml_free(values);
	aml_free(scratch);
	aml_free(thr);
	aml_bin_mapper_free(bm);
	return aml_error_nomem(err, "feature binning");
}

/* index of the first threshold >= x (scikit-learn's _map_to_bins) */
static inline int
lower_bound(const double *t, int n, double x)
{
	const double *base = t;

	if (n == 0)
		return 0;
	/* branch-free halving: base[0 .. n-1] always holds the answer's neighbourhood */
	while (n > 1)
	{
		int			half = n >> 1;

		base = (base[half - 1] < x) ? base + half : base;
		n -= half;
	}
	return (int) (base - t) + (base[0] < x);
}

uint8_t
aml_bin_value(const AmlBinMapper *bm, int j, double x)
{
	if (isnan(x))
		return (uint8_t) bm->max_bins;
	return (uint8_t) lower_bound(bm->thresholds + bm->offsets[j], bm->n_bins[j] - 1, x);
}

/*
 * Bins of n values of one feature.  A grid of cells over [t[0], t[nt-1]]
 * gives for each value the range of thresholds to search (binary search in a
 * few thresholds instead of all); a final walk makes the result exact
 * whatever the rounding of the cell index.
 */
#define BIN_GRID 1024
static void
bin_column(const double *col, const int *rows, int n, const double *t, int nt, uint8_t missing,
		   uint8_t *out, uint8_t *has_missing, int *grid)
{
	double		lo = nt > 0 ? t[0] : 0;
	double		hi = nt > 0 ? t[nt - 1] : 0;
	double		scale = hi > lo ? BIN_GRID / (hi - lo) : 0;
	uint8_t		miss = 0;
	bool		use_grid = nt >= 16 && scale > 0 && isfinite(scale);

	if (use_grid)
	{
		/* grid[k]: first threshold >= the start of cell k (grid[BIN_GRID] = nt) */
		int			b = 0;

		for (int k = 0; k <= BIN_GRID; k++)
		{
			double		start = lo + k / scale;

			while (b < nt && t[b] < start)
				b++;
			grid[k] = b;
		}
		grid[BIN_GRID + 1] = nt;
	}
	for (int i = 0; i < n; i++)
	{
		double		x = col[rows ? rows[i] : i];
		int			b;

		if (isnan(x))
		{
			out[i] = missing;
			miss = 1;
			continue;
		}
		if (use_grid)
		{
			double		pos = (x - lo) * scale;
			int			k = pos <= 0 ? 0 : (pos >= BIN_GRID ? BIN_GRID : (int) pos);
			int			a = grid[k] > 0 ? grid[k] - 1 : 0;
			int			z = grid[k + 1] < nt ? grid[k + 1] + 1 : nt;

			b = a + lower_bound(t + a, z - a, x);
			/* exact whatever the rounding above */
			while (b < nt && t[b] < x)
				b++;
			while (b > 0 && t[b - 1] >= x)
				b--;
		}
		else
			b = lower_bound(t, nt, x);
		out[i] = (uint8_t) b;
	}
	if (has_missing != NULL)
		*has_missing = miss;
}

void
aml_bin_mapper_transform(const AmlBinMapper *bm, const AmlMatrix *X, const int *rows,
						 int n_rows, uint8_t *out, uint8_t *has_missing)
{
	int			grid[BIN_GRID + 2];

	for (int j = 0; j < bm->n_features; j++)
		bin_column(AML_COL(X, j), rows, n_rows, bm->thresholds + bm->offsets[j],
				   bm->n_bins[j] - 1, (uint8_t) bm->max_bins,
				   out + (size_t) j * (size_t) n_rows, has_missing ? &has_missing[j] : NULL,
				   grid);
}

double
aml_bin_threshold(const AmlBinMapper *bm, int j, int b)
{
	if (b >= bm->n_bins[j] - 1)
		return INFINITY;
	return bm->thresholds[bm->offsets[j] + b];
}
