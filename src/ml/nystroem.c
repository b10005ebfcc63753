/*
 * nystroem.c — the Nystroem map of the RBF kernel (scikit-learn 1.2's
 * Nystroem(kernel="rbf")): features whose inner products approximate
 * k(x, y) = exp(-gamma ||x - y||^2), so that a linear model after it is a
 * kernel machine (an RBF support vector machine's decision function, at a
 * linear model's cost).
 *
 * fit: m = min(n_components, rows) landmark rows drawn without replacement
 * (seeded); K the m x m kernel matrix of the landmarks and K = U diag(l) U'
 * its eigen decomposition (LAPACK dsyevd; scikit-learn takes the SVD, the
 * same for a positive semi-definite K); the normalization
 * N = U diag(1 / sqrt(max(l, 1e-12))) U'.
 * transform: out = N k(x), k(x)_j = exp(-gamma ||x - landmark_j||^2).
 * gamma: null is 1 / columns (scikit-learn's default for rbf).
 *
 * Only the row path: the batch transform runs it row by row, so that the
 * numbers of a prediction in SQL and of cross-validation are the same.
 * Not affine: explanations of a pipeline with it are sampled (explain.h).
 */
#include "ml/transformer.h"
#include "core/blas.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define MAX_COMPONENTS 2000		/* the row path keeps k(x) on the stack */
#define EIGEN_FLOOR 1e-12

typedef struct NystroemParams
{
	double		gamma;
	int			n_components;
} NystroemParams;

static const AmlParamSpec nystroem_specs[] = {
	{"gamma", AML_PARAM_DOUBLE, offsetof(NystroemParams, gamma), NAN, 0, 1e6, true, false, true, NULL,
	"the RBF kernel's width: k(x, y) = exp(-gamma ||x - y||^2); null: 1 / columns"},
	{"n_components", AML_PARAM_INT, offsetof(NystroemParams, n_components), 100, 1, MAX_COMPONENTS,
	false, false, false, NULL,
	"landmark rows (features made), at most the training rows"},
};

typedef struct NystroemState
{
	int			p;				/* input columns */
	int			m;				/* landmarks = outputs */
	double		gamma;
	double	   *landmarks;		/* m x p, row r at landmarks + r * p */
	double	   *normalization;	/* m x m, row r at normalization + r * m */
} NystroemState;

static void
nystroem_free(AmlTransformer *t)
{
	NystroemState *s = t->state;

	if (s == NULL)
		return;
	aml_free(s->landmarks);
	aml_free(s->normalization);
	aml_free(s);
	t->state = NULL;
}

static bool
nystroem_alloc(NystroemState *s, int p, int m)
{
	s->p = p;
	s->m = m;
	s->landmarks = AML_NEW_ARRAY(double, (size_t) (m > 0 ? m : 1) * (size_t) (p > 0 ? p : 1));
	s->normalization = AML_NEW_ARRAY(double, (size_t) (m > 0 ? m : 1) * (size_t) (m > 0 ? m : 1));
	return s->landmarks != NULL && s->normalization != NULL;
}

/* k(a, b) of two rows of p values */
static inline double
rbf(const double *a, const double *b, int p, double gamma)
{
	double		d2 = 0;

	for (int j = 0; j < p; j++)
	{
		double		d = a[j] - b[j];

		d2 += d * d;
	}
	return exp(-gamma * d2);
}

static double
nystroem_out_width(const AmlTransformer *t, double n_in, double rows)
{
	const NystroemParams *prm = t->params;

	(void) n_in;
	return prm->n_components < rows ? prm->n_components : rows;
}

static AmlStatus
nystroem_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const NystroemParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	int			m = prm->n_components < n ? prm->n_components : n;
	int		   *pick = NULL;
	double	   *K = NULL;
	double	   *w = NULL;
	double	   *scaled = NULL;
	NystroemState *s;
	AmlStatus	st = AML_OK;
	int			info;

	(void) y;
	if (p < 1 || n < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "nystroem needs at least one row and one column");
	s = AML_NEW(NystroemState);
	if (s == NULL || !nystroem_alloc(s, p, m))
	{
		t->state = s;
		nystroem_free(t);
		return aml_error_nomem(err, "the Nystroem map");
	}
	t->state = s;
	s->gamma = isnan(prm->gamma) ? 1.0 / p : prm->gamma;
	pick = AML_NEW_ARRAY(int, n);
	K = AML_NEW_ARRAY(double, (size_t) m * (size_t) m);
	w = AML_NEW_ARRAY(double, m);
	scaled = AML_NEW_ARRAY(double, (size_t) m * (size_t) m);
	if (pick == NULL || K == NULL || w == NULL || scaled == NULL)
	{
		st = aml_error_nomem(err, "the Nystroem map");
		goto done;
	}
	/* m distinct rows: the first m of a partial Fisher-Yates shuffle */
	for (int i = 0; i < n; i++)
		pick[i] = i;
	for (int i = 0; i < m; i++)
	{
		int			j = i + (int) aml_rng_below(rng, (uint64_t) (n - i));
		int			tmp = pick[i];

		pick[i] = pick[j];
		pick[j] = tmp;
	}
	for (int r = 0; r < m; r++)
		for (int j = 0; j < p; j++)
			s->landmarks[(size_t) r * p + j] = AML_AT(X, pick[r], j);
	for (int a = 0; a < m; a++)
	{
		K[(size_t) a * m + a] = 1.0;
		for (int b = a + 1; b < m; b++)
			K[(size_t) a * m + b] = K[(size_t) b * m + a] =
				rbf(s->landmarks + (size_t) a * p, s->landmarks + (size_t) b * p, p, s->gamma);
	}
	info = aml_dsyevd('V', m, K, m, w);
	if (info == AML_LAPACK_NOMEM)
	{
		st = aml_error_nomem(err, "the Nystroem map");
		goto done;
	}
	if (info != 0)
	{
		st = aml_error(err, AML_ERR_NUMERICAL,
					   "eigen decomposition for the Nystroem map failed (LAPACK info %d)", info);
		goto done;
	}
	/* N = U diag(1 / sqrt(l)) U' (columns of K are the eigenvectors; N is symmetric) */
	for (int c = 0; c < m; c++)
	{
		double		f = 1 / sqrt(w[c] > EIGEN_FLOOR ? w[c] : EIGEN_FLOOR);

		for (int r = 0; r < m; r++)
			scaled[(size_t) c * m + r] = K[(size_t) c * m + r] * f;
	}
	aml_dgemm('N', 'T', m, m, m, 1.0, scaled, m, K, m, 0.0, s->normalization, m);
	t->n_out = m;

done:
	aml_free(pick);
	aml_free(K);
	aml_free(w);
	aml_free(scaled);
	if (st != AML_OK)
		nystroem_free(t);
	return st;
}

static void
nystroem_row(const AmlTransformer *t, const double *in, double *out)
{
	const NystroemState *s = t->state;
	int			m = s->m;
	double		k[MAX_COMPONENTS];

	for (int j = 0; j < m; j++)
		k[j] = rbf(in, s->landmarks + (size_t) j * s->p, s->p, s->gamma);
	for (int r = 0; r < m; r++)
	{
		const double *nr = s->normalization + (size_t) r * m;
		double		acc = 0;

		for (int j = 0; j < m; j++)
			acc += nr[j] * k[j];
		out[r] = acc;
	}
}

static json_object *
nystroem_to_json(const AmlTransformer *t)
{
	const NystroemState *s = t->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n_components", json_object_new_int(s->m));
	json_object_object_add(o, "gamma", aml_json_new_double(s->gamma));
	json_object_object_add(o, "landmarks", aml_json_new_double_array(s->landmarks, s->m * s->p));
	json_object_object_add(o, "normalization", aml_json_new_double_array(s->normalization, s->m * s->m));
	return o;
}

static AmlStatus
nystroem_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	const char *what = "nystroem state";
	NystroemState *s = AML_NEW(NystroemState);
	int			m;

	if (s == NULL)
		return aml_error_nomem(err, "the Nystroem map");
	t->state = s;
	AML_TRY(aml_json_get_int(obj, "n_components", &m, what, err));
	if (m != t->n_out || m < 1 || m > MAX_COMPONENTS || t->n_in < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has %d components for %d outputs", what, m, t->n_out);
	if (!nystroem_alloc(s, t->n_in, m))
		return aml_error_nomem(err, "the Nystroem map");
	AML_TRY(aml_json_get_double(obj, "gamma", &s->gamma, what, err));
	if (!(s->gamma > 0 && isfinite(s->gamma)))
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has gamma %g: it must be positive", what, s->gamma);
	AML_TRY(aml_json_get_double_array(obj, "landmarks", s->landmarks, m * s->p, what, err));
	AML_TRY(aml_json_get_double_array(obj, "normalization", s->normalization, m * m, what, err));
	return AML_OK;
}

const AmlTransformerType aml_nystroem_type = {
	.name = "nystroem",
	.label = "RBF kernel map (Nystroem)",
	.role = AML_ROLE_FEATURES,
	.params = {nystroem_specs, AML_PARAM_COUNT(nystroem_specs), sizeof(NystroemParams)},
	.supervised = false,
	.accepts_missing = false,
	.fit = nystroem_fit,
	.transform_row = nystroem_row,
	.transform = NULL,
	.state_to_json = nystroem_to_json,
	.state_from_json = nystroem_from_json,
	.free_state = nystroem_free,
	.source_column = NULL,
	.affine = NULL,
	.out_width = nystroem_out_width,
};
