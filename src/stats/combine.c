/*
 * combine.c — sufficient statistics of nodes combined into those of the
 * union of their rows (combine.h).
 */
#include <math.h>
#include <string.h>

#include "core/memory.h"
#include "stats/combine.h"
#include "stats/describe.h"
#include "stats/qr.h"

struct AmlLmCombine
{
	int			m;
	AmlQRAccum *acc;
	long		n;
	AmlMoments	y;
	double		yss;
	double	   *row;
};

void
aml_moments_merge(AmlMoments *into, const AmlMoments *other)
{
	double		n1 = into->n;
	double		n2 = other->n;
	double		tmp;

	if (n2 == 0)
		return;
	if (n1 == 0)
	{
		*into = *other;
		return;
	}
	tmp = into->sum / n1 - other->sum / n2;
	into->n = n1 + n2;
	into->sum += other->sum;
	into->sxx += other->sxx + n1 * n2 * tmp * tmp / into->n;
}

bool
aml_design_col_is_group(const AmlDesign *d, int col)
{
	int			t = d->assign[col] - 1;
	AmlTermSet	set;

	if (t < 0)
		return false;
	set = d->formula->terms[t];
	for (int v = 0; v < d->formula->n_vars; v++)
		if ((set >> v) & 1u)
			if (!d->vars[v].factor)
				return false;
	return true;
}

AmlStatus
aml_lm_suff_create(int m, AmlLmSuff **out, AmlError *err)
{
	AmlLmSuff  *s = aml_alloc0(sizeof(AmlLmSuff));

	*out = NULL;
	if (s == NULL)
		return aml_error_nomem(err, "sufficient statistics");
	s->m = m;
	s->r = aml_alloc_array((size_t) m * m, sizeof(double));
	s->nonzero = aml_alloc_array((size_t) m, sizeof(long));
	if (s->r == NULL || s->nonzero == NULL)
	{
		aml_lm_suff_free(s);
		return aml_error_nomem(err, "sufficient statistics");
	}
	memset(s->r, 0, sizeof(double) * m * m);
	memset(s->nonzero, 0, sizeof(long) * m);
	aml_moments_init(&s->y);
	*out = s;
	return AML_OK;
}

void
aml_lm_suff_free(AmlLmSuff *s)
{
	if (s == NULL)
		return;
	aml_free(s->r);
	aml_free(s->nonzero);
	aml_free(s);
}

AmlStatus
aml_lm_suff_compute(const AmlDesign *design, const AmlLmData *data, AmlLmSuff **out, AmlError *err)
{
	int			p = design->n_cols;
	int			m = p + 1;
	AmlQRAccum *acc;
	AmlLmSuff  *s;

	*out = NULL;
	AML_TRY(aml_lm_suff_create(m, &s, err));
	if (aml_qr_accum_create(m, &acc, err) != AML_OK ||
		aml_lm_accumulate(design, data, acc, &s->y, &s->yss, s->nonzero, err) != AML_OK)
	{
		aml_qr_accum_free(acc);
		aml_lm_suff_free(s);
		return err->status;
	}
	s->nonzero[p] = data->n;
	aml_qr_accum_flush(acc);
	memcpy(s->r, acc->r, sizeof(double) * m * m);
	aml_qr_accum_free(acc);
	s->n = data->n;
	*out = s;
	return AML_OK;
}

AmlStatus
aml_lm_combine_begin(int m, AmlLmCombine **out, AmlError *err)
{
	AmlLmCombine *c = aml_alloc0(sizeof(AmlLmCombine));

	*out = NULL;
	if (c == NULL)
		return aml_error_nomem(err, "combining statistics");
	c->m = m;
	c->row = aml_alloc_array((size_t) m, sizeof(double));
	if (c->row == NULL || aml_qr_accum_create(m, &c->acc, err) != AML_OK)
	{
		aml_free(c->row);
		aml_free(c);
		return aml_error_nomem(err, "combining statistics");
	}
	aml_moments_init(&c->y);
	*out = c;
	return AML_OK;
}

void
aml_lm_combine_add(AmlLmCombine *c, long n, const double *r, const AmlMoments *y, double yss)
{
	int			m = c->m;

	/* the rows of the node's factor, as if they were m rows of data */
	for (int i = 0; i < m; i++)
	{
		for (int j = 0; j < m; j++)
			c->row[j] = j >= i ? r[i + (size_t) j * m] : 0.0;
		aml_qr_accum_add(c->acc, c->row, 1.0);
	}
	c->n += n;
	aml_moments_merge(&c->y, y);
	c->yss += yss;
}

void
aml_lm_combine_add_mapped(AmlLmCombine *c, long n, int ml, const double *r, const double *map,
						  const AmlMoments *y, double yss)
{
	int			m = c->m;
	int			pl = ml - 1;
	int			pg = m - 1;

	for (int i = 0; i < ml; i++)
	{
		for (int j = 0; j < pg; j++)
		{
			const double *mj = map + (size_t) j * pl;
			double		s = 0.0;

			/* row i of the upper-triangular factor is zero left of i */
			for (int k = i; k < pl; k++)
				if (mj[k] != 0.0)
					s += r[i + (size_t) k * ml] * mj[k];
			c->row[j] = s;
		}
		c->row[pg] = r[i + (size_t) pl * ml];
		aml_qr_accum_add(c->acc, c->row, 1.0);
	}
	c->n += n;
	aml_moments_merge(&c->y, y);
	c->yss += yss;
}

AmlStatus
aml_lm_combine_finish(AmlLmCombine *c, const AmlDesign *design, AmlLm **out, AmlError *err)
{
	double	   *raug = NULL;
	long		n = c->n;
	AmlMoments	y = c->y;
	double		yss = c->yss;

	if (n > 0 && n >= design->n_cols)
	{
		aml_qr_accum_flush(c->acc);
		raug = c->acc->r;
		c->acc->r = NULL;
	}
	aml_qr_accum_free(c->acc);
	aml_free(c->row);
	aml_free(c);
	return aml_lm_solve(design, raug, n, &y, yss, out, err);
}

void
aml_comoments_compute(const double *x, const double *y, long n, AmlCoMoments *out)
{
	double		sx = 0,
				sy = 0;
	long		k = 0;

	memset(out, 0, sizeof(*out));
	for (long i = 0; i < n; i++)
		if (!isnan(x[i]) && !isnan(y[i]))
		{
			sx += x[i];
			sy += y[i];
			k++;
		}
	if (k == 0)
		return;
	out->n = (double) k;
	out->mx = sx / k;
	out->my = sy / k;
	for (long i = 0; i < n; i++)
		if (!isnan(x[i]) && !isnan(y[i]))
		{
			double		dx = x[i] - out->mx;
			double		dy = y[i] - out->my;

			out->cxx += dx * dx;
			out->cyy += dy * dy;
			out->cxy += dx * dy;
		}
}

void
aml_comoments_merge(AmlCoMoments *into, const AmlCoMoments *other)
{
	double		n1 = into->n;
	double		n2 = other->n;
	double		n,
				dx,
				dy;

	if (n2 == 0)
		return;
	if (n1 == 0)
	{
		*into = *other;
		return;
	}
	n = n1 + n2;
	dx = other->mx - into->mx;
	dy = other->my - into->my;
	into->cxx += other->cxx + dx * dx * n1 * n2 / n;
	into->cyy += other->cyy + dy * dy * n1 * n2 / n;
	into->cxy += other->cxy + dx * dy * n1 * n2 / n;
	into->mx = (n1 * into->mx + n2 * other->mx) / n;
	into->my = (n1 * into->my + n2 * other->my) / n;
	into->n = n;
}

AmlStatus
aml_cov_factor(const double *const *cols, long n, int p, double *mean, double *r, AmlError *err)
{
	AmlQRAccum *acc = NULL;
	double	   *row = aml_alloc_array((size_t) p + 1, sizeof(double));
	AmlStatus	st;

	if (row == NULL)
		return aml_error_nomem(err, "PCA");
	for (int j = 0; j < p; j++)
	{
		double		m = 0;

		for (long i = 0; i < n; i++)
			m += cols[j][i];
		mean[j] = n > 0 ? m / n : 0;
	}
	if ((st = aml_qr_accum_create(p, &acc, err)) != AML_OK)
		goto done;
	for (long i = 0; i < n; i++)
	{
		if ((i & 255) == 0 && aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			goto done;
		}
		for (int j = 0; j < p; j++)
			row[j] = cols[j][i] - mean[j];
		aml_qr_accum_add(acc, row, 1.0);
	}
	aml_qr_accum_flush(acc);
	for (int j = 0; j < p; j++)
		for (int i = 0; i < p; i++)
			r[i + (size_t) j * p] = i <= j ? acc->r[i + (size_t) j * p] : 0;

done:
	aml_qr_accum_free(acc);
	aml_free(row);
	return st;
}

AmlStatus
aml_pca_combine(int nodes, const long *n, const double *const *mean, const double *const *r,
				int p, bool scale, double *sdev, double *loadings, int *n_components, AmlError *err)
{
	double	   *m = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *w = aml_alloc_array((size_t) p + 1, sizeof(double));
	double	   *row = aml_alloc_array((size_t) p + 1, sizeof(double));
	AmlQRAccum *acc = NULL;
	AmlStatus	st = AML_OK;
	long		total = 0;

	if (m == NULL || w == NULL || row == NULL)
	{
		st = aml_error_nomem(err, "PCA");
		goto done;
	}
	for (int k = 0; k < nodes; k++)
		total += n[k];
	if (total < 2)
	{
		st = aml_error(err, AML_ERR_INVALID_DATA, "PCA needs at least 2 complete rows");
		goto done;
	}
	for (int j = 0; j < p; j++)
	{
		double		s = 0;

		for (int k = 0; k < nodes; k++)
			s += n[k] * mean[k][j];
		m[j] = s / total;
	}
	/* pooled centred sums of squares: within (column norms of R_k) + between */
	for (int j = 0; j < p; j++)
	{
		double		s = 0;

		for (int k = 0; k < nodes; k++)
		{
			double		d = mean[k][j] - m[j];

			for (int i = 0; i <= j; i++)
				s += r[k][i + (size_t) j * p] * r[k][i + (size_t) j * p];
			s += n[k] * d * d;
		}
		w[j] = 1;
		if (scale)
		{
			double		sd = sqrt(s / (total - 1));

			if (sd == 0)
			{
				st = aml_error(err, AML_ERR_INVALID_DATA,
							   "cannot rescale a constant column to unit variance");
				aml_error_detail(err, "Column %d of the PCA is constant.", j + 1);
				aml_error_hint(err, "Leave it out, or use scale => false.");
				goto done;
			}
			w[j] = 1 / sd;
		}
	}
	if ((st = aml_qr_accum_create(p, &acc, err)) != AML_OK)
		goto done;
	for (int k = 0; k < nodes; k++)
	{
		for (int i = 0; i < p; i++)
		{
			for (int j = 0; j < p; j++)
				row[j] = j >= i ? r[k][i + (size_t) j * p] * w[j] : 0;
			aml_qr_accum_add(acc, row, 1.0);
		}
		for (int j = 0; j < p; j++)
			row[j] = sqrt((double) n[k]) * (mean[k][j] - m[j]) * w[j];
		aml_qr_accum_add(acc, row, 1.0);
	}
	aml_qr_accum_flush(acc);
	st = aml_pca_from_r(acc->r, p, total, p, sdev, loadings, n_components, err);

done:
	aml_qr_accum_free(acc);
	aml_free(m);
	aml_free(w);
	aml_free(row);
	return st;
}
