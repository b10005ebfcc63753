/*
 * linear_regression.c — ordinary least squares ("linear_regression") and
 * ridge regression ("ridge"), plus the fitted-state code every linear family
 * shares (linear_common.h: prediction, JSON, importances, centring).
 *
 * OLS centres X and y (fit_intercept), then solves the least-squares problem
 * by QR with column pivoting (LAPACK dgelsy), as sklearn's LinearRegression
 * does with an SVD.  Linearly dependent columns are dropped the way R's lm()
 * and the MIP linear regression drop them: columns are taken in order, and a
 * column whose part orthogonal to the intercept and to the columns kept before
 * it is shorter than 1e-7 times its length gets coefficient 0 (sklearn instead
 * spreads the weight over the dependent columns: same predictions, different
 * coefficients).
 *
 * Ridge minimises ||y - Xw - b||^2 + alpha ||w||^2 like sklearn's Ridge with
 * its default "cholesky" solver: Cholesky of X'X + alpha I on centred data
 * (of XX' + alpha I when there are more features than rows), falling back to
 * an SVD when the matrix is singular (also when it is singular in floating
 * point only, where sklearn returns the noise of the Cholesky solve).
 */
#include "ml/linear_common.h"

#include "core/blas.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* R's lm() tolerance for linearly dependent columns (relative column length) */
#define OLS_DEPENDENCE_TOL 1e-7

/* ================================================================ shared state */

AmlStatus
aml_linear_need_blas(AmlError *err)
{
	if (aml_blas_loaded())
		return AML_OK;
	return aml_blas_init(1, err);
}

AmlStatus
aml_linear_model_new(const AmlEstimator *est, AmlLinearForm form, int n_rows,
					 AmlLinearModel **out, AmlError *err)
{
	AmlLinearModel *m = AML_NEW(AmlLinearModel);
	size_t		ncoef;

	*out = NULL;
	if (m == NULL)
		return aml_error_nomem(err, "a linear model");
	m->form = form;
	m->n_features = est->n_features;
	m->n_rows = n_rows;
	m->n_outputs = aml_estimator_outputs(est);
	m->pos_class = 1;
	m->neg_class = 0;
	m->fill = 0;
	m->rank = -1;
	m->converged = true;
	if (!aml_mul_size((size_t) n_rows, (size_t) (est->n_features > 0 ? est->n_features : 1),
					  &ncoef))
		ncoef = SIZE_MAX;
	m->coef = AML_NEW_ARRAY(double, ncoef);
	m->intercept = AML_NEW_ARRAY(double, n_rows);
	if (m->coef == NULL || m->intercept == NULL)
	{
		aml_linear_model_free(m);
		return aml_error_nomem(err, "linear model coefficients");
	}
	*out = m;
	return AML_OK;
}

void
aml_linear_model_free(AmlLinearModel *m)
{
	if (m == NULL)
		return;
	aml_free(m->coef);
	aml_free(m->intercept);
	aml_free(m);
}

void
aml_linear_free_state(AmlEstimator *est)
{
	aml_linear_model_free((AmlLinearModel *) est->state);
	est->state = NULL;
}

/* intercept + w . x, left to right (predict_batch repeats exactly these operations) */
static inline double
row_score(const double *restrict w, double b, const double *restrict x, int p)
{
	double		z = b;

	for (int j = 0; j < p; j++)
		z += w[j] * x[j];
	return z;
}

/* Outputs of the binary forms from z_0 stored at out[pos * stride]. */
static inline void
finish_binary(const AmlLinearModel *m, double *out, size_t stride)
{
	double		z = out[(size_t) m->pos_class * stride];
	double		hi;
	double		lo;

	if (m->form == AML_FORM_LOGISTIC)
	{
		hi = 1.0 / (1.0 + exp(-z));
		lo = 1.0 - hi;
	}
	else
	{
		hi = z;
		lo = -z;
	}
	for (int c = 0; c < m->n_outputs; c++)
		out[(size_t) c * stride] = m->fill;
	out[(size_t) m->pos_class * stride] = hi;
	out[(size_t) m->neg_class * stride] = lo;
}

/* Softmax in place over out[0], out[stride], ... (k values), as sklearn computes it. */
static inline void
finish_softmax(double *out, int k, size_t stride)
{
	double		mx = out[0];
	double		sum = 0;

	for (int c = 1; c < k; c++)
		if (out[(size_t) c * stride] > mx)
			mx = out[(size_t) c * stride];
	for (int c = 0; c < k; c++)
	{
		double		e = exp(out[(size_t) c * stride] - mx);

		out[(size_t) c * stride] = e;
		sum += e;
	}
	for (int c = 0; c < k; c++)
		out[(size_t) c * stride] /= sum;
}

void
aml_linear_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const AmlLinearModel *m = (const AmlLinearModel *) est->state;
	const int	p = m->n_features;

	switch (m->form)
	{
		case AML_FORM_IDENTITY:
			out[0] = row_score(m->coef, m->intercept[0], x, p);
			return;
		case AML_FORM_LOGISTIC:
		case AML_FORM_BINARY_SCORE:
			out[m->pos_class] = row_score(m->coef, m->intercept[0], x, p);
			finish_binary(m, out, 1);
			return;
		case AML_FORM_SOFTMAX:
		case AML_FORM_SCORES:
			for (int r = 0; r < m->n_rows; r++)
				out[r] = row_score(m->coef + (size_t) r * p, m->intercept[r], x, p);
			if (m->form == AML_FORM_SOFTMAX)
				finish_softmax(out, m->n_rows, 1);
			return;
	}
}

/* (aml_v2d, linear_common.h: each lane computes exactly what the scalar code does) */

/*
 * c[0 .. m-1] := b + X w for rows i0 .. i0 + m - 1, accumulated in
 * predict_row's order (b, then + w_0 x_0, + w_1 x_1 ...) for every row.
 */
static void
block_scores(const AmlMatrix *X, size_t i0, size_t m, const double *w, double b,
			 double *restrict c)
{
	const int	p = X->cols;
	int			j = 0;

	for (size_t i = 0; i < m; i++)
		c[i] = b;
	/* four columns at a time: c stays in registers between their terms */
	for (; j + 4 <= p; j += 4)
	{
		const double *restrict x0 = AML_COL(X, j) + i0;
		const double *restrict x1 = AML_COL(X, j + 1) + i0;
		const double *restrict x2 = AML_COL(X, j + 2) + i0;
		const double *restrict x3 = AML_COL(X, j + 3) + i0;
		const double w0 = w[j],
					w1 = w[j + 1],
					w2 = w[j + 2],
					w3 = w[j + 3];
		size_t		i = 0;

#ifdef AML_HAVE_V2D
		const aml_v2d	v0 = {w0, w0},
					v1 = {w1, w1},
					v2 = {w2, w2},
					v3 = {w3, w3};

		for (; i + 2 <= m; i += 2)
		{
			aml_v2d			acc = *(aml_v2d *) (c + i);

			acc = acc + v0 * *(const aml_v2d *) (x0 + i);
			acc = acc + v1 * *(const aml_v2d *) (x1 + i);
			acc = acc + v2 * *(const aml_v2d *) (x2 + i);
			acc = acc + v3 * *(const aml_v2d *) (x3 + i);
			*(aml_v2d *) (c + i) = acc;
		}
#endif
		for (; i < m; i++)
		{
			double		acc = c[i];

			acc += w0 * x0[i];
			acc += w1 * x1[i];
			acc += w2 * x2[i];
			acc += w3 * x3[i];
			c[i] = acc;
		}
	}
	for (; j < p; j++)
	{
		const double *restrict xj = AML_COL(X, j) + i0;
		const double wj = w[j];
		size_t		i = 0;

#ifdef AML_HAVE_V2D
		const aml_v2d	wv = {wj, wj};

		for (; i + 2 <= m; i += 2)
			*(aml_v2d *) (c + i) = *(aml_v2d *) (c + i) + wv * *(const aml_v2d *) (xj + i);
#endif
		for (; i < m; i++)
			c[i] += wj * xj[i];
	}
}

/*
 * By blocks of rows, so that a block of X is read from memory once for all
 * coefficient rows and the outputs being accumulated stay in the L1 cache.
 */
AmlStatus
aml_linear_predict_batch(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out,
						 AmlError *err)
{
	const AmlLinearModel *m = (const AmlLinearModel *) est->state;
	const size_t n = (size_t) X->rows;
	/* rows whose slice of X fits in 16 kB of L1 cache, for several outputs */
	size_t		block = m->n_rows > 1 ? 2048 / (size_t) (X->cols > 0 ? X->cols : 1) : 512;

	block = block < 16 ? 16 : block > 512 ? 512 : block & ~(size_t) 3;

	for (size_t i0 = 0; i0 < n; i0 += block)
	{
		const size_t rows = n - i0 < block ? n - i0 : block;

		switch (m->form)
		{
			case AML_FORM_IDENTITY:
				block_scores(X, i0, rows, m->coef, m->intercept[0], AML_COL(out, 0) + i0);
				break;
			case AML_FORM_LOGISTIC:
			case AML_FORM_BINARY_SCORE:
				block_scores(X, i0, rows, m->coef, m->intercept[0],
							 AML_COL(out, m->pos_class) + i0);
				for (size_t i = i0; i < i0 + rows; i++)
					finish_binary(m, out->data + i, n);
				break;
			case AML_FORM_SOFTMAX:
			case AML_FORM_SCORES:
				for (int r = 0; r < m->n_rows; r++)
					block_scores(X, i0, rows, m->coef + (size_t) r * m->n_features,
								 m->intercept[r], AML_COL(out, r) + i0);
				if (m->form == AML_FORM_SOFTMAX)
					for (size_t i = i0; i < i0 + rows; i++)
						finish_softmax(out->data + i, m->n_rows, n);
				break;
		}
	}
	return AML_OK;
}

static const char *const form_names[] = {
	"identity", "logistic", "softmax", "binary_score", "scores", NULL
};

json_object *
aml_linear_state_to_json(const AmlEstimator *est)
{
	const AmlLinearModel *m = (const AmlLinearModel *) est->state;
	json_object *o = json_object_new_object();
	AmlMatrix	coef = aml_matrix_view(m->n_features, m->n_rows, m->coef);

	json_object_object_add(o, "form", json_object_new_string(form_names[m->form]));
	/* column r of this n_features x n_rows matrix is coefficient row r */
	json_object_object_add(o, "coef", aml_json_new_matrix(&coef));
	json_object_object_add(o, "intercept", aml_json_new_double_array(m->intercept, m->n_rows));
	json_object_object_add(o, "pos_class", json_object_new_int(m->pos_class));
	json_object_object_add(o, "neg_class", json_object_new_int(m->neg_class));
	json_object_object_add(o, "fill", aml_json_new_double(m->fill));
	json_object_object_add(o, "n_iter", json_object_new_int(m->n_iter));
	json_object_object_add(o, "converged", json_object_new_boolean(m->converged));
	json_object_object_add(o, "rank", json_object_new_int(m->rank));
	return o;
}

AmlStatus
aml_linear_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	const char *what = est->type->name;
	const char *form_name;
	int			form = -1;
	AmlMatrix  *coef = NULL;
	AmlLinearModel *m = NULL;
	int			k = aml_estimator_outputs(est);

	AML_TRY(aml_json_get_string(state, "form", &form_name, what, err));
	for (int i = 0; form_names[i] != NULL; i++)
		if (strcmp(form_names[i], form_name) == 0)
			form = i;
	if (form < 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown form \"%s\" in %s state",
						 form_name, what);
	if ((form == AML_FORM_IDENTITY) != (est->task == AML_TASK_REGRESSION))
		return aml_error(err, AML_ERR_BAD_FORMAT, "form \"%s\" does not fit a %s model",
						 form_name, aml_task_name(est->task));
	AML_TRY(aml_json_get_matrix(state, "coef", &coef, what, err));
	if (coef->rows != est->n_features ||
		coef->cols != ((form == AML_FORM_SOFTMAX || form == AML_FORM_SCORES) ? k : 1))
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "coefficients of %s state have the wrong shape",
				  what);
		aml_error_detail(err, "Got %d x %d for %d features and %d outputs.",
						 coef->rows, coef->cols, est->n_features, k);
		aml_matrix_free(coef);
		return err->status;
	}
	if (aml_linear_model_new(est, (AmlLinearForm) form, coef->cols, &m, err) != AML_OK)
	{
		aml_matrix_free(coef);
		return err->status;
	}
	if (coef->cols > 0 && coef->rows > 0)
		memcpy(m->coef, coef->data, sizeof(double) * (size_t) coef->rows * coef->cols);
	aml_matrix_free(coef);
	if (aml_json_get_double_array(state, "intercept", m->intercept, m->n_rows, what,
								  err) != AML_OK ||
		aml_json_get_int(state, "pos_class", &m->pos_class, what, err) != AML_OK ||
		aml_json_get_int(state, "neg_class", &m->neg_class, what, err) != AML_OK ||
		aml_json_get_double(state, "fill", &m->fill, what, err) != AML_OK ||
		aml_json_get_int(state, "n_iter", &m->n_iter, what, err) != AML_OK ||
		aml_json_get_bool(state, "converged", &m->converged, what, err) != AML_OK ||
		aml_json_get_int(state, "rank", &m->rank, what, err) != AML_OK)
	{
		aml_linear_model_free(m);
		return err->status;
	}
	if ((form == AML_FORM_LOGISTIC || form == AML_FORM_BINARY_SCORE) &&
		(m->pos_class < 0 || m->pos_class >= k || m->neg_class < 0 || m->neg_class >= k ||
		 m->pos_class == m->neg_class))
	{
		aml_linear_model_free(m);
		return aml_error(err, AML_ERR_BAD_FORMAT, "invalid classes in %s state", what);
	}
	est->state = m;
	return AML_OK;
}

AmlStatus
aml_linear_importances(const AmlEstimator *est, double *out, AmlError *err)
{
	const AmlLinearModel *m = (const AmlLinearModel *) est->state;
	const int	p = m->n_features;
	int			active = 0;

	for (int j = 0; j < p; j++)
		out[j] = 0;
	for (int r = 0; r < m->n_rows; r++)
	{
		/* rows of classes absent from the training data have intercept -inf / -DBL_MAX */
		if (!(m->intercept[r] > -DBL_MAX))
			continue;
		active++;
		for (int j = 0; j < p; j++)
			out[j] += fabs(m->coef[(size_t) r * p + j]);
	}
	if (active > 1)
		for (int j = 0; j < p; j++)
			out[j] /= active;
	return AML_OK;
}

void
aml_linear_means(const AmlMatrix *X, const double *y, bool center, double *x_mean,
				 double *y_mean)
{
	const int	n = X->rows;

	for (int j = 0; j < X->cols; j++)
		x_mean[j] = center ? aml_linear_sum(AML_COL(X, j), n) / n : 0.0;
	*y_mean = center ? aml_linear_sum(y, n) / n : 0.0;
}

void
aml_linear_set_intercept(AmlLinearModel *model, bool fit_intercept, const double *x_mean,
						 double y_mean, int p)
{
	double		b = y_mean;

	if (!fit_intercept)
	{
		model->intercept[0] = 0;
		return;
	}
	for (int j = 0; j < p; j++)
		b -= x_mean[j] * model->coef[j];
	model->intercept[0] = b;
}

AmlStatus
aml_linear_centered_copy(const AmlMatrix *X, const double *y, bool center,
						 AmlMatrix **Xc, double **yc, double *x_mean, double *y_mean,
						 AmlError *err)
{
	const int	n = X->rows;
	const int	p = X->cols;
	AmlMatrix  *C;
	double	   *v;

	*Xc = NULL;
	*yc = NULL;
	C = aml_matrix_new(n, p);
	v = AML_NEW_ARRAY(double, n > p ? n : p);
	if (C == NULL || v == NULL)
	{
		aml_matrix_free(C);
		aml_free(v);
		return aml_error_nomem(err, "a copy of the training data");
	}
	aml_linear_means(X, y, center, x_mean, y_mean);
	for (int j = 0; j < p; j++)
		aml_linear_shift(n, AML_COL(X, j), x_mean[j], AML_COL(C, j));
	aml_linear_shift(n, y, *y_mean, v);
	*Xc = C;
	*yc = v;
	return AML_OK;
}

int
aml_linear_class_counts(const double *y, int n, int n_classes, int *counts, int *present)
{
	int			k = 0;

	for (int c = 0; c < n_classes; c++)
		counts[c] = 0;
	for (int i = 0; i < n; i++)
		counts[(int) y[i]]++;
	for (int c = 0; c < n_classes; c++)
		if (counts[c] > 0)
			present[k++] = c;
	return k;
}

/* ================================================================ OLS */

typedef struct LinRegParams
{
	bool		fit_intercept;
} LinRegParams;

static const AmlParamSpec linreg_specs[] = {
	{"fit_intercept", AML_PARAM_BOOL, offsetof(LinRegParams, fit_intercept), 1, 0, 1,
		.description = "fit an intercept (else the model goes through the origin)"},
};

/*
 * Decide which columns of the centred matrix to keep, in order: column j is
 * dropped when its part orthogonal to the columns kept before it (and to the
 * intercept, through the centring) is shorter than tol times its length.
 * Works on the Gram matrix G = Xc'Xc (upper triangle, p x p) with an
 * incremental Cholesky factor R of the kept columns (m x m, column-major in a
 * p x p buffer).  ref_norm2[j] is the squared length the test compares with.
 */
static int
select_independent(const double *G, int p, const double *ref_norm2, double *R, double *u,
				   int *kept)
{
	int			m = 0;

	for (int j = 0; j < p; j++)
	{
		double		d = G[j + (size_t) j * p];

		/* solve R' u = G[kept, j] */
		for (int a = 0; a < m; a++)
		{
			double		s = G[kept[a] + (size_t) j * p];

			for (int b = 0; b < a; b++)
				s -= R[b + (size_t) a * p] * u[b];
			u[a] = s / R[a + (size_t) a * p];
			d -= u[a] * u[a];
		}
		if (!(ref_norm2[j] > 0) || !(d > OLS_DEPENDENCE_TOL * OLS_DEPENDENCE_TOL * ref_norm2[j]))
			continue;
		for (int a = 0; a < m; a++)
			R[a + (size_t) m * p] = u[a];
		R[m + (size_t) m * p] = sqrt(d);
		kept[m++] = j;
	}
	return m;
}

static AmlStatus
linreg_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
		   AmlError *err)
{
	const LinRegParams *params = (const LinRegParams *) est->params;
	const int	n = X->rows;
	const int	p = X->cols;
	AmlMatrix  *Xc = NULL;
	double	   *yc = NULL;
	double	   *x_mean = NULL;
	double	   *G = NULL;
	double	   *R = NULL;
	double	   *ref = NULL;
	double	   *u = NULL;
	int		   *kept = NULL;
	int		   *jpvt = NULL;
	double		y_mean;
	int			m = 0;
	AmlLinearModel *model = NULL;
	AmlStatus	st;

	AML_TRY(aml_linear_need_blas(err));
	AML_TRY(aml_linear_model_new(est, AML_FORM_IDENTITY, 1, &model, err));
	x_mean = AML_NEW_ARRAY(double, p + 1);
	G = AML_NEW_ARRAY(double, (size_t) p * p + 1);
	R = AML_NEW_ARRAY(double, (size_t) p * p + 1);
	ref = AML_NEW_ARRAY(double, p + 1);
	u = AML_NEW_ARRAY(double, p + 1);
	kept = AML_NEW_ARRAY(int, p + 1);
	jpvt = AML_NEW_ARRAY(int, p + 1);
	if (x_mean == NULL || G == NULL || R == NULL || ref == NULL || u == NULL ||
		kept == NULL || jpvt == NULL)
	{
		st = aml_error_nomem(err, "least-squares workspace");
		goto done;
	}
	st = aml_linear_centered_copy(X, y, params->fit_intercept, &Xc, &yc, x_mean, &y_mean, err);
	if (st != AML_OK)
		goto done;

	if (p > 0)
	{
		aml_dsyrk('T', p, n, 1.0, Xc->data, n, 0.0, G, p);
		for (int j = 0; j < p; j++)
			ref[j] = G[j + (size_t) j * p] + (double) n * x_mean[j] * x_mean[j];
		m = select_independent(G, p, ref, R, u, kept);
	}
	if (m > 0)
	{
		int			rank = 0;
		int			info;

		/* move the kept columns to the front (in order) */
		for (int a = 0; a < m; a++)
			if (kept[a] != a)
				memcpy(AML_COL(Xc, a), AML_COL(Xc, kept[a]), sizeof(double) * n);
		info = aml_dgelsy(n, m, 1, Xc->data, n, yc, n > m ? n : m, jpvt, DBL_EPSILON, &rank);
		if (info == AML_LAPACK_NOMEM)
		{
			st = aml_error_nomem(err, "least-squares workspace");
			goto done;
		}
		if (info != 0)
		{
			st = aml_error(err, AML_ERR_NUMERICAL, "least-squares solver failed (info %d)", info);
			goto done;
		}
		for (int a = 0; a < m; a++)
			model->coef[kept[a]] = yc[a];
	}
	aml_linear_set_intercept(model, params->fit_intercept, x_mean, y_mean, p);
	model->rank = m;
	est->state = model;
	model = NULL;
	st = AML_OK;
done:
	aml_linear_model_free(model);
	aml_matrix_free(Xc);
	aml_free(yc);
	aml_free(x_mean);
	aml_free(G);
	aml_free(R);
	aml_free(ref);
	aml_free(u);
	aml_free(kept);
	aml_free(jpvt);
	return st;
}

const AmlEstimatorType aml_linear_regression_type = {
	.name = "linear_regression",
	.label = "linear regression",
	.tasks = AML_TASK_REGRESSION,
	.params = {linreg_specs, AML_PARAM_COUNT(linreg_specs), sizeof(LinRegParams)},
	.handles_missing = false,
	.needs_scaling = false,
	.probabilistic = false,
	.fit = linreg_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_IDENTITY,
};

/* ================================================================ ridge */

typedef struct RidgeParams
{
	double		alpha;
	bool		fit_intercept;
} RidgeParams;

static const AmlParamSpec ridge_specs[] = {
	{"alpha", AML_PARAM_DOUBLE, offsetof(RidgeParams, alpha), 1.0, 0, INFINITY,
		.description = "L2 penalty strength: the objective is ||y - Xw||^2 + alpha ||w||^2"},
	{"fit_intercept", AML_PARAM_BOOL, offsetof(RidgeParams, fit_intercept), 1, 0, 1,
		.description = "fit an unpenalised intercept (else the model goes through the origin)"},
};

/*
 * SVD solution w = V diag(s / (s^2 + alpha)) U'y (sklearn's _solve_svd),
 * used when the Cholesky factorisation fails.  Destroys A (n x p).
 */
static AmlStatus
ridge_svd(double *A, int n, int p, const double *y, double alpha, double *w, AmlError *err)
{
	int			k = n < p ? n : p;
	double	   *s = AML_NEW_ARRAY(double, k);
	double	   *U = AML_NEW_ARRAY(double, (size_t) n * k);
	double	   *Vt = AML_NEW_ARRAY(double, (size_t) k * p);
	double	   *t = AML_NEW_ARRAY(double, k);
	AmlStatus	st = AML_OK;
	int			info;

	if (s == NULL || U == NULL || Vt == NULL || t == NULL)
	{
		st = aml_error_nomem(err, "ridge SVD workspace");
		goto done;
	}
	info = aml_dgesdd('S', n, p, A, n, s, U, n, Vt, k);
	if (info != 0)
	{
		st = info == AML_LAPACK_NOMEM ? aml_error_nomem(err, "ridge SVD workspace")
			: aml_error(err, AML_ERR_NUMERICAL, "ridge SVD failed (info %d)", info);
		goto done;
	}
	/*
	 * t = diag(s / (s^2 + alpha)) U'y.  sklearn drops singular values <= 1e-15;
	 * we drop those below the rounding level of the largest one (relative
	 * eps max(n, p)), else with alpha = 0 the noise of a dependent column's
	 * singular value (~1e-13 s_max) would be inverted.
	 */
	aml_dgemv('T', n, k, 1.0, U, n, y, 1, 0.0, t, 1);
	{
		double		cut = fmax(1e-15, (k > 0 ? s[0] : 0) * DBL_EPSILON * (n > p ? n : p));

		for (int a = 0; a < k; a++)
			t[a] = s[a] > cut ? t[a] * s[a] / (s[a] * s[a] + alpha) : 0.0;
	}
	aml_dgemv('T', k, p, 1.0, Vt, k, t, 1, 0.0, w, 1);
done:
	aml_free(s);
	aml_free(U);
	aml_free(Vt);
	aml_free(t);
	return st;
}

static AmlStatus
ridge_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng,
		  AmlError *err)
{
	const RidgeParams *params = (const RidgeParams *) est->params;
	const int	n = X->rows;
	const int	p = X->cols;
	const bool	primal = p <= n;
	const int	q = primal ? p : n;		/* order of the system */
	AmlMatrix  *Xc = NULL;
	double	   *yc = NULL;
	double	   *x_mean = NULL;
	double	   *A = NULL;
	double	   *rhs = NULL;
	double		y_mean;
	AmlLinearModel *model = NULL;
	AmlStatus	st = AML_OK;
	int			info;

	AML_TRY(aml_linear_need_blas(err));
	AML_TRY(aml_linear_model_new(est, AML_FORM_IDENTITY, 1, &model, err));
	x_mean = AML_NEW_ARRAY(double, p + 1);
	A = AML_NEW_ARRAY(double, (size_t) q * q + 1);
	rhs = AML_NEW_ARRAY(double, q + 1);
	if (x_mean == NULL || A == NULL || rhs == NULL)
	{
		st = aml_error_nomem(err, "ridge workspace");
		goto done;
	}
	aml_linear_means(X, y, params->fit_intercept, x_mean, &y_mean);
	if (p == 0)
		goto finish;

	if (primal)
	{
		/*
		 * (Xc'Xc + alpha I) w = Xc'yc, accumulated over blocks of centred rows
		 * (no centred copy of X: one pass over it)
		 */
		const int	bs = n < 4096 ? n : 4096;
		double	   *S = AML_NEW_ARRAY(double, (size_t) bs * p + bs);
		double	   *ys = S + (size_t) bs * p;

		if (S == NULL)
		{
			st = aml_error_nomem(err, "ridge workspace");
			goto done;
		}
		for (int i0 = 0; i0 < n; i0 += bs)
		{
			const int	m = n - i0 < bs ? n - i0 : bs;

			for (int j = 0; j < p; j++)
				aml_linear_shift(m, AML_COL(X, j) + i0, x_mean[j], S + (size_t) j * m);
			aml_linear_shift(m, y + i0, y_mean, ys);
			aml_dsyrk('T', p, m, 1.0, S, m, i0 == 0 ? 0.0 : 1.0, A, p);
			aml_dgemv('T', m, p, 1.0, S, m, ys, 1, i0 == 0 ? 0.0 : 1.0, rhs, 1);
		}
		aml_free(S);
	}
	else
	{
		/* (Xc Xc' + alpha I) d = yc, w = Xc'd */
		st = aml_linear_centered_copy(X, y, params->fit_intercept, &Xc, &yc, x_mean, &y_mean,
									  err);
		if (st != AML_OK)
			goto done;
		aml_dsyrk('N', n, p, 1.0, Xc->data, n, 0.0, A, n);
		memcpy(rhs, yc, sizeof(double) * n);
	}
	for (int a = 0; a < q; a++)
		A[a + (size_t) a * q] += params->alpha;
	info = aml_dpotrf(q, A, q);
	if (info == 0)
	{
		/*
		 * cond(A) >= (max r_aa / min r_aa)^2 for the factor R.  Beyond 1e10
		 * the normal equations lose most digits (and near 1 / eps, as with
		 * alpha ~ 0 and dependent columns, sklearn returns noise): solve by
		 * the SVD of X instead, which squares no condition number.
		 */
		double		lo = INFINITY;
		double		hi = 0;

		for (int a = 0; a < q; a++)
		{
			lo = fmin(lo, fabs(A[a + (size_t) a * q]));
			hi = fmax(hi, fabs(A[a + (size_t) a * q]));
		}
		if (!(lo * lo > 1e-10 * hi * hi))
			info = q;
	}
	if (info == 0)
	{
		info = aml_dpotrs(q, 1, A, q, rhs, q);
		if (info != 0)
		{
			st = aml_error(err, AML_ERR_NUMERICAL, "ridge solve failed (info %d)", info);
			goto done;
		}
		if (primal)
			memcpy(model->coef, rhs, sizeof(double) * p);
		else
			aml_dgemv('T', n, p, 1.0, Xc->data, n, rhs, 1, 0.0, model->coef, 1);
	}
	else if (info > 0)
	{
		/* singular (alpha ~ 0 with dependent columns): the SVD, as sklearn falls back to */
		if (Xc == NULL)
		{
			st = aml_linear_centered_copy(X, y, params->fit_intercept, &Xc, &yc, x_mean,
										  &y_mean, err);
			if (st != AML_OK)
				goto done;
		}
		st = ridge_svd(Xc->data, n, p, yc, params->alpha, model->coef, err);
		if (st != AML_OK)
			goto done;
	}
	else
	{
		st = aml_error(err, AML_ERR_NUMERICAL, "ridge Cholesky factorisation failed (info %d)",
					   info);
		goto done;
	}
finish:
	aml_linear_set_intercept(model, params->fit_intercept, x_mean, y_mean, p);
	est->state = model;
	model = NULL;
done:
	aml_linear_model_free(model);
	aml_matrix_free(Xc);
	aml_free(yc);
	aml_free(x_mean);
	aml_free(A);
	aml_free(rhs);
	return st;
}

const AmlEstimatorType aml_ridge_type = {
	.name = "ridge",
	.label = "ridge regression",
	.tasks = AML_TASK_REGRESSION,
	.params = {ridge_specs, AML_PARAM_COUNT(ridge_specs), sizeof(RidgeParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.probabilistic = false,
	.fit = ridge_fit,
	.predict_row = aml_linear_predict_row,
	.predict_batch = aml_linear_predict_batch,
	.state_to_json = aml_linear_state_to_json,
	.state_from_json = aml_linear_state_from_json,
	.free_state = aml_linear_free_state,
	.importances = aml_linear_importances,
	.fold_link = AML_FOLD_IDENTITY,
};
