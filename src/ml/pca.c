/*
 * pca.c — principal component analysis (scikit-learn 1.2's PCA with its
 * "full" solver): centre the columns, project on the leading right singular
 * vectors, optionally whiten.
 *
 * Solvers:
 *   full             LAPACK SVD (dgesdd) of the centred n x p matrix.
 *   covariance_eigh  eigen decomposition (dsyevd) of the p x p scatter matrix
 *                    X'X of the centred data, built block by block with dsyrk;
 *                    much faster when n >> p, but an eigenvalue carries an
 *                    absolute error of ~eps * largest eigenvalue.
 *   auto             covariance_eigh when n >= 10 p, falling back to full when
 *                    a kept component is too close to another (relative gap
 *                    below 1e-5 of the largest eigenvalue) for the eigen route
 *                    to match the SVD to ~1e-10; otherwise full.
 * Either way the signs follow scikit-learn's svd_flip (u_based_decision): each
 * component is oriented so that the entry of largest absolute value of its
 * left singular vector (the projected training data) is positive; among
 * entries equal to within 1e-12 relative the first row wins, which keeps the
 * choice stable between solvers where scikit-learn's own choice is decided
 * by rounding noise.
 *
 * n_components: null keeps min(n, p) components; 0 < x < 1 keeps the fewest
 * components whose cumulated explained variance ratio exceeds x; a whole
 * number >= 1 keeps that many.  Deviations from scikit-learn (which raises
 * errors instead): a count above min(n, p) is reduced to min(n, p), so the
 * same setting works on every fold; the explained variance uses n - 1 with
 * n = 1 replaced by 1; whitening leaves a component of zero variance unscaled
 * instead of dividing by zero.
 *
 * transform: out_k = sum_j (x_j - mean_j) * component_kj (then / sqrt(var_k)
 * when whitening), summed in j order by both the row and the batch path so
 * they agree to the bit.
 */
#include "ml/transformer.h"
#include "core/blas.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/*
 * The row and the batch path must round identically: no contraction of
 * a * b + c into fused multiply-adds (which -march builds with FMA would
 * otherwise do differently in the scalar and the vector code).
 */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

enum
{
	SOLVER_AUTO, SOLVER_FULL, SOLVER_COVARIANCE
};

static const char *const solver_choices[] = {"auto", "full", "covariance_eigh", NULL};

typedef struct PcaParams
{
	double		n_components;
	bool		whiten;
	int			svd_solver;
} PcaParams;

static const AmlParamSpec pca_specs[] = {
	{"n_components", AML_PARAM_DOUBLE, offsetof(PcaParams, n_components), NAN, 0, 1e9, true,
	false, true, NULL,
	"components to keep: a count >= 1, a fraction of explained variance in (0, 1), or null for all"},
	{"whiten", AML_PARAM_BOOL, offsetof(PcaParams, whiten), 0, 0, 1, false, false, false, NULL,
	"divide each component by its standard deviation"},
	{"svd_solver", AML_PARAM_CHOICE, offsetof(PcaParams, svd_solver), SOLVER_AUTO, 0, 0, false,
	false, false, solver_choices,
	"full (SVD), covariance_eigh (eigen decomposition of X'X, fast when rows >> columns) or auto"},
};

typedef struct PcaState
{
	int			p;				/* input columns */
	int			k;				/* components kept */
	int			n_samples;
	int			solver;			/* SOLVER_FULL or SOLVER_COVARIANCE: what was used */
	bool		whiten;
	double		noise_variance;
	double	   *mean;			/* p */
	double	   *components;		/* k x p, row r at components + r * p */
	double	   *explained_variance; /* k */
	double	   *explained_variance_ratio;	/* k */
	double	   *singular_values;	/* k */
	double	   *wscale;			/* k: sqrt(explained variance), 1 when zero */
} PcaState;

#define FIT_BLOCK_ROWS 2048		/* rows per block in dsyrk / sign passes */
#define TIE_TOLERANCE 1e-12

static void
pca_free(AmlTransformer *t)
{
	PcaState   *s = t->state;

	if (s == NULL)
		return;
	aml_free(s->mean);
	aml_free(s->components);
	aml_free(s->explained_variance);
	aml_free(s);
	t->state = NULL;
}

/* allocate the arrays of a state with p inputs and k components */
static bool
pca_alloc(PcaState *s, int p, int k)
{
	s->p = p;
	s->k = k;
	s->mean = AML_NEW_ARRAY(double, p > 0 ? p : 1);
	s->components = AML_NEW_ARRAY(double, (size_t) (k > 0 ? k : 1) * (size_t) (p > 0 ? p : 1));
	s->explained_variance = AML_NEW_ARRAY(double, 4 * (size_t) (k > 0 ? k : 1));
	if (s->mean == NULL || s->components == NULL || s->explained_variance == NULL)
		return false;
	s->explained_variance_ratio = s->explained_variance + k;
	s->singular_values = s->explained_variance_ratio + k;
	s->wscale = s->singular_values + k;
	return true;
}

static void
set_wscale(PcaState *s)
{
	for (int r = 0; r < s->k; r++)
		s->wscale[r] = s->explained_variance[r] > 0 ? sqrt(s->explained_variance[r]) : 1.0;
}

/*
 * Track svd_flip's choice over a stream of values of one left singular
 * vector: the sign of the entry of largest magnitude, the first among
 * near-ties.
 */
typedef struct SignTracker
{
	double		best;
	double		sign;
} SignTracker;

static inline void
sign_track(SignTracker *st, double v)
{
	double		a = fabs(v);

	if (a > st->best * (1.0 + TIE_TOLERANCE) || st->best < 0)
	{
		st->best = a;
		st->sign = v < 0 ? -1.0 : 1.0;
	}
}

/* copy rows [i0, i0 + bn) of X, centred, into blk (bn x p, leading dimension bn) */
static void
center_block(const AmlMatrix *X, const double *mean, int i0, int bn, double *blk)
{
	for (int j = 0; j < X->cols; j++)
	{
		const double *x = AML_COL(X, j) + i0;
		double	   *b = blk + (size_t) j * bn;
		double		m = mean[j];

		for (int i = 0; i < bn; i++)
			b[i] = x[i] - m;
	}
}

/*
 * Number of components from the request and the explained variance ratios
 * ratio[0..kmax-1] (scikit-learn: searchsorted(cumsum, x, side="right") + 1).
 */
static int
choose_k(double request, const double *ratio, int kmax)
{
	int			k;

	if (isnan(request))
		return kmax;
	if (request >= 1)
		return (int) request < kmax ? (int) request : kmax;
	{
		double		cum = 0;

		k = 0;
		for (int r = 0; r < kmax; r++)
		{
			cum += ratio[r];
			if (cum <= request)
				k++;
		}
		k++;
	}
	return k < kmax ? k : kmax;
}

/* Fit by eigen decomposition of the scatter matrix.  On success ev[0..p-1], V (p x p, columns). */
static AmlStatus
scatter_eigen(const AmlMatrix *X, const double *mean, double *V, double *w, AmlError *err)
{
	int			n = X->rows;
	int			p = X->cols;
	int			bmax = n < FIT_BLOCK_ROWS ? n : FIT_BLOCK_ROWS;
	double	   *blk = AML_NEW_ARRAY(double, (size_t) bmax * (size_t) p);
	int			info;

	if (blk == NULL)
		return aml_error_nomem(err, "PCA");
	memset(V, 0, sizeof(double) * (size_t) p * (size_t) p);
	for (int i0 = 0; i0 < n; i0 += bmax)
	{
		int			bn = n - i0 < bmax ? n - i0 : bmax;

		center_block(X, mean, i0, bn, blk);
		aml_dsyrk('T', p, bn, 1.0, blk, bn, 1.0, V, p);
	}
	aml_free(blk);
	info = aml_dsyevd('V', p, V, p, w);
	if (info == AML_LAPACK_NOMEM)
		return aml_error_nomem(err, "PCA");
	if (info != 0)
		return aml_error(err, AML_ERR_NUMERICAL,
						 "eigen decomposition for PCA failed (LAPACK info %d)", info);
	return AML_OK;
}

/*
 * Is the eigen route accurate enough for the kept components: each of them
 * separated from its neighbours (and from zero) by 1e-5 of the largest
 * eigenvalue?
 */
static bool
eigen_well_separated(const double *lam, int k, int kmax)
{
	double		floor_gap = 1e-5 * lam[0];

	if (lam[0] <= 0)
		return true;
	for (int r = 0; r < k; r++)
	{
		if (r > 0 && lam[r - 1] - lam[r] < floor_gap)
			return false;
		if (lam[r] < floor_gap)
			return false;
		if (r + 1 < kmax && lam[r] - lam[r + 1] < floor_gap)
			return false;
	}
	return true;
}

static AmlStatus
pca_fit(AmlTransformer *t, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const PcaParams *prm = t->params;
	int			n = X->rows;
	int			p = X->cols;
	int			kmax = n < p ? n : p;
	double		denom = n > 1 ? (double) (n - 1) : 1.0;
	double		request = prm->n_components;
	double	   *mean;
	double	   *ev = NULL;		/* kmax explained variances, descending */
	double	   *ratio = NULL;
	double	   *sv = NULL;
	double	   *signs = NULL;
	double		total = 0;
	int			k;
	int			solver = SOLVER_FULL;
	bool		use_eigen;
	PcaState   *s;
	AmlStatus	st = AML_OK;

	/* for the eigen route */
	double	   *V = NULL;
	double	   *w = NULL;

	/* for the SVD route */
	double	   *A = NULL;
	double	   *U = NULL;
	double	   *Vt = NULL;

	if (!isnan(request) && request >= 1 && request != floor(request))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "n_components of pca must be a whole number when it is 1 or more");
		return aml_error_detail(err, "Got %g; use a fraction below 1 for a share of the variance.",
								request);
	}
	if (p < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "pca needs at least one column");
	mean = AML_NEW_ARRAY(double, p);
	ev = AML_NEW_ARRAY(double, 3 * (size_t) (p > kmax ? p : kmax));
	signs = AML_NEW_ARRAY(double, p);
	if (mean == NULL || ev == NULL || signs == NULL)
	{
		st = aml_error_nomem(err, "PCA");
		goto done;
	}
	ratio = ev + p;
	sv = ratio + p;
	for (int j = 0; j < p; j++)
	{
		const double *x = AML_COL(X, j);
		double		sum = 0;

		for (int i = 0; i < n; i++)
			sum += x[i];
		mean[j] = sum / n;
	}

	use_eigen = prm->svd_solver == SOLVER_COVARIANCE ||
		(prm->svd_solver == SOLVER_AUTO && (double) n >= 10.0 * p);
	if (use_eigen)
	{
		V = AML_NEW_ARRAY(double, (size_t) p * (size_t) p);
		w = AML_NEW_ARRAY(double, p);
		if (V == NULL || w == NULL)
		{
			st = aml_error_nomem(err, "PCA");
			goto done;
		}
		st = scatter_eigen(X, mean, V, w, err);
		if (st != AML_OK)
			goto done;
		/* descending; eigenvalues of X'X are squared singular values */
		for (int r = 0; r < kmax; r++)
		{
			double		lam = w[p - 1 - r] > 0 ? w[p - 1 - r] : 0.0;

			sv[r] = sqrt(lam);
			ev[r] = lam / denom;
		}
		solver = SOLVER_COVARIANCE;
		for (int r = 0; r < kmax; r++)
			total += ev[r];
		for (int r = 0; r < kmax; r++)
			ratio[r] = total > 0 ? ev[r] / total : 0.0;
		k = choose_k(request, ratio, kmax);
		if (prm->svd_solver == SOLVER_AUTO && !eigen_well_separated(ev, k, kmax))
		{
			use_eigen = false;
			total = 0;
		}
	}
	if (!use_eigen)
	{
		int			info;

		/*
		 * Not cleared: every element is written (center_block, dgesdd).
		 * With n >= p, jobz 'O' writes U over A (no n x p copy more).
		 */
		A = aml_alloc(sizeof(double) * (size_t) n * (size_t) p);
		if (n < p)
			U = aml_alloc(sizeof(double) * (size_t) n * (size_t) kmax);
		Vt = aml_alloc(sizeof(double) * (size_t) kmax * (size_t) p);
		if (A == NULL || (n < p && U == NULL) || Vt == NULL)
		{
			st = aml_error_nomem(err, "PCA");
			goto done;
		}
		center_block(X, mean, 0, n, A);
		if (n >= p)
			info = aml_dgesdd('O', n, p, A, n, sv, NULL, 1, Vt, kmax);
		else
			info = aml_dgesdd('S', n, p, A, n, sv, U, n, Vt, kmax);
		if (info == AML_LAPACK_NOMEM)
		{
			st = aml_error_nomem(err, "PCA");
			goto done;
		}
		if (info != 0)
		{
			st = aml_error(err, AML_ERR_NUMERICAL, "SVD for PCA failed (LAPACK info %d)", info);
			goto done;
		}
		solver = SOLVER_FULL;
		for (int r = 0; r < kmax; r++)
			ev[r] = sv[r] * sv[r] / denom;
		for (int r = 0; r < kmax; r++)
			total += ev[r];
		for (int r = 0; r < kmax; r++)
			ratio[r] = total > 0 ? ev[r] / total : 0.0;
		k = choose_k(request, ratio, kmax);
	}

	/* signs (svd_flip on the left singular vectors) of the kept components */
	if (solver == SOLVER_FULL)
	{
		for (int r = 0; r < k; r++)
		{
			SignTracker tr = {-1.0, 1.0};
			const double *u = (n >= p ? A : U) + (size_t) r * n;

			for (int i = 0; i < n; i++)
				sign_track(&tr, u[i]);
			signs[r] = tr.sign;
		}
	}
	else
	{
		/* left vectors are X_c v_r / s_r: stream X_c V_k block by block */
		int			bmax = n < FIT_BLOCK_ROWS ? n : FIT_BLOCK_ROWS;
		double	   *blk = AML_NEW_ARRAY(double, (size_t) bmax * (size_t) p);
		double	   *proj = AML_NEW_ARRAY(double, (size_t) bmax * (size_t) k);
		double	   *Vk = AML_NEW_ARRAY(double, (size_t) p * (size_t) k);
		SignTracker *tr = AML_NEW_ARRAY(SignTracker, k);

		if (blk == NULL || proj == NULL || Vk == NULL || tr == NULL)
		{
			aml_free(blk);
			aml_free(proj);
			aml_free(Vk);
			aml_free(tr);
			st = aml_error_nomem(err, "PCA");
			goto done;
		}
		for (int r = 0; r < k; r++)
		{
			memcpy(Vk + (size_t) r * p, V + (size_t) (p - 1 - r) * p, sizeof(double) * p);
			tr[r].best = -1.0;
			tr[r].sign = 1.0;
		}
		for (int i0 = 0; i0 < n; i0 += bmax)
		{
			int			bn = n - i0 < bmax ? n - i0 : bmax;

			center_block(X, mean, i0, bn, blk);
			aml_dgemm('N', 'N', bn, k, p, 1.0, blk, bn, Vk, p, 0.0, proj, bn);
			for (int r = 0; r < k; r++)
				for (int i = 0; i < bn; i++)
					sign_track(&tr[r], proj[i + (size_t) r * bn]);
		}
		for (int r = 0; r < k; r++)
			signs[r] = tr[r].sign;
		aml_free(blk);
		aml_free(proj);
		aml_free(Vk);
		aml_free(tr);
	}

	s = AML_NEW(PcaState);
	if (s == NULL || !pca_alloc(s, p, k))
	{
		t->state = s;
		pca_free(t);
		st = aml_error_nomem(err, "PCA");
		goto done;
	}
	memcpy(s->mean, mean, sizeof(double) * p);
	for (int r = 0; r < k; r++)
	{
		double	   *c = s->components + (size_t) r * p;

		if (solver == SOLVER_FULL)
			for (int j = 0; j < p; j++)
				c[j] = signs[r] * Vt[r + (size_t) j * kmax];
		else
			for (int j = 0; j < p; j++)
				c[j] = signs[r] * V[j + (size_t) (p - 1 - r) * p];
		s->explained_variance[r] = ev[r];
		s->explained_variance_ratio[r] = ratio[r];
		s->singular_values[r] = sv[r];
	}
	s->noise_variance = 0;
	if (k < kmax)
	{
		double		sum = 0;

		for (int r = k; r < kmax; r++)
			sum += ev[r];
		s->noise_variance = sum / (kmax - k);
	}
	s->n_samples = n;
	s->solver = solver;
	s->whiten = prm->whiten;
	set_wscale(s);
	t->state = s;
	t->n_out = k;

done:
	aml_free(mean);
	aml_free(ev);
	aml_free(signs);
	aml_free(V);
	aml_free(w);
	aml_free(A);
	aml_free(U);
	aml_free(Vt);
	return st;
}

static void
pca_row(const AmlTransformer *t, const double *in, double *out)
{
	const PcaState *s = t->state;
	int			p = s->p;

	for (int r = 0; r < s->k; r++)
	{
		const double *c = s->components + (size_t) r * p;
		double		acc = 0;

		for (int j = 0; j < p; j++)
			acc += (in[j] - s->mean[j]) * c[j];
		out[r] = s->whiten ? acc / s->wscale[r] : acc;
	}
}

/* one output: sum over j ascending from 0, as pca_row */
static inline double
pca_one(const PcaState *s, const double *blk, int ldb, int i, int q)
{
	const double *c = s->components + (size_t) q * s->p;
	double		acc = 0;

	for (int j = 0; j < s->p; j++)
		acc += blk[(size_t) j * ldb + i] * c[j];
	return s->whiten ? acc / s->wscale[q] : acc;
}

/*
 * Outputs of rows [0, bn) of a centred block (leading dimension ldb) into
 * rows i0.. of r.  Register-tiled, 8 rows x 2 components at a time, in
 * four-lane vectors (GCC/clang vector extension: each lane is an ordinary
 * IEEE double multiply or add, no fused multiply-add).  On x86-64 with GCC
 * the function is also compiled for AVX2 and picked at load time (ifunc);
 * elsewhere the vectors are split into SSE2 pairs.  Every output is summed
 * over j ascending from 0 like pca_row, so the numbers are the same to the
 * bit on either path.
 */
#define TILE_ROWS 8

typedef double v4d __attribute__((vector_size(32)));

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERNEL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL_CLONES
#endif

KERNEL_CLONES
static void
pca_block(const PcaState *s, const double *blk, int bn, int ldb, AmlMatrix *r, int i0)
{
	int			p = s->p;
	int			k = s->k;
	int			i = 0;

	for (; i + TILE_ROWS <= bn; i += TILE_ROWS)
	{
		int			q = 0;

		for (; q + 2 <= k; q += 2)
		{
			const double *c0 = s->components + (size_t) q * p;
			const double *c1 = c0 + p;
			v4d			a0 = {0, 0, 0, 0},
						a1 = {0, 0, 0, 0};
			v4d			b0 = {0, 0, 0, 0},
						b1 = {0, 0, 0, 0};
			double	   *o0 = AML_COL(r, q) + i0 + i;
			double	   *o1 = AML_COL(r, q + 1) + i0 + i;

			for (int j = 0; j < p; j++)
			{
				const double *x = blk + (size_t) j * ldb + i;
				v4d			x0;
				v4d			x1;
				v4d			w = {c0[j], c0[j], c0[j], c0[j]};
				v4d			z = {c1[j], c1[j], c1[j], c1[j]};

				memcpy(&x0, x, sizeof(x0));
				memcpy(&x1, x + 4, sizeof(x1));
				a0 += x0 * w;
				a1 += x1 * w;
				b0 += x0 * z;
				b1 += x1 * z;
			}
			if (s->whiten)
			{
				v4d			w = {s->wscale[q], s->wscale[q], s->wscale[q], s->wscale[q]};
				v4d			z = {s->wscale[q + 1], s->wscale[q + 1], s->wscale[q + 1],
				s->wscale[q + 1]};

				a0 /= w;
				a1 /= w;
				b0 /= z;
				b1 /= z;
			}
			memcpy(o0, &a0, sizeof(a0));
			memcpy(o0 + 4, &a1, sizeof(a1));
			memcpy(o1, &b0, sizeof(b0));
			memcpy(o1 + 4, &b1, sizeof(b1));
		}
		for (; q < k; q++)
			for (int u = i; u < i + TILE_ROWS; u++)
				AML_AT(r, i0 + u, q) = pca_one(s, blk, ldb, u, q);
	}
	for (; i < bn; i++)
		for (int q = 0; q < k; q++)
			AML_AT(r, i0 + i, q) = pca_one(s, blk, ldb, i, q);
}

static AmlStatus
pca_transform(const AmlTransformer *t, const AmlMatrix *X, AmlMatrix **out, AmlError *err)
{
	const PcaState *s = t->state;
	int			n = X->rows;
	int			p = s->p;
	AmlMatrix  *r;
	double	   *blk;

	/* blocks of rows of ~512 KB of centred values (a multiple of the tile) */
	int			rows = (65536 / (p > 0 ? p : 1)) & ~(TILE_ROWS - 1);

	if (rows < 64)
		rows = 64;
	if (rows > 1024)
		rows = 1024;
	AML_TRY(aml_matrix_create_unset(n, s->k, &r, err));
	blk = AML_NEW_ARRAY(double, (size_t) rows * (size_t) p);
	if (blk == NULL)
	{
		aml_matrix_free(r);
		return aml_error_nomem(err, "a PCA transform buffer");
	}
	for (int i0 = 0; i0 < n; i0 += rows)
	{
		int			bn = n - i0 < rows ? n - i0 : rows;

		center_block(X, s->mean, i0, bn, blk);
		pca_block(s, blk, bn, bn, r, i0);
	}
	aml_free(blk);
	*out = r;
	return AML_OK;
}

static json_object *
pca_to_json(const AmlTransformer *t)
{
	const PcaState *s = t->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n_components", json_object_new_int(s->k));
	json_object_object_add(o, "n_samples", json_object_new_int(s->n_samples));
	json_object_object_add(o, "solver", json_object_new_string(solver_choices[s->solver]));
	json_object_object_add(o, "whiten", json_object_new_boolean(s->whiten));
	json_object_object_add(o, "mean", aml_json_new_double_array(s->mean, s->p));
	json_object_object_add(o, "components",
						   aml_json_new_double_array(s->components, s->k * s->p));
	json_object_object_add(o, "explained_variance",
						   aml_json_new_double_array(s->explained_variance, s->k));
	json_object_object_add(o, "explained_variance_ratio",
						   aml_json_new_double_array(s->explained_variance_ratio, s->k));
	json_object_object_add(o, "singular_values",
						   aml_json_new_double_array(s->singular_values, s->k));
	json_object_object_add(o, "noise_variance", aml_json_new_double(s->noise_variance));
	return o;
}

static AmlStatus
pca_from_json(AmlTransformer *t, json_object *obj, AmlError *err)
{
	const char *what = "pca state";
	PcaState   *s = AML_NEW(PcaState);
	const char *solver;
	int			k;

	if (s == NULL)
		return aml_error_nomem(err, "PCA");
	t->state = s;
	AML_TRY(aml_json_get_int(obj, "n_components", &k, what, err));
	if (k != t->n_out || k < 0 || k > t->n_in)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has %d components for %d outputs", what,
						 k, t->n_out);
	if (!pca_alloc(s, t->n_in, k))
		return aml_error_nomem(err, "PCA");
	AML_TRY(aml_json_get_int(obj, "n_samples", &s->n_samples, what, err));
	AML_TRY(aml_json_get_string(obj, "solver", &solver, what, err));
	s->solver = strcmp(solver, "covariance_eigh") == 0 ? SOLVER_COVARIANCE : SOLVER_FULL;
	AML_TRY(aml_json_get_bool(obj, "whiten", &s->whiten, what, err));
	AML_TRY(aml_json_get_double_array(obj, "mean", s->mean, s->p, what, err));
	AML_TRY(aml_json_get_double_array(obj, "components", s->components, k * s->p, what, err));
	AML_TRY(aml_json_get_double_array(obj, "explained_variance", s->explained_variance, k,
									  what, err));
	AML_TRY(aml_json_get_double_array(obj, "explained_variance_ratio",
									  s->explained_variance_ratio, k, what, err));
	AML_TRY(aml_json_get_double_array(obj, "singular_values", s->singular_values, k, what, err));
	AML_TRY(aml_json_get_double(obj, "noise_variance", &s->noise_variance, what, err));
	set_wscale(s);
	return AML_OK;
}

const AmlTransformerType aml_pca_type = {
	.name = "pca",
	.label = "PCA",
	.role = AML_ROLE_FEATURES,
	.params = {pca_specs, AML_PARAM_COUNT(pca_specs), sizeof(PcaParams)},
	.supervised = false,
	.accepts_missing = false,
	.fit = pca_fit,
	.transform_row = pca_row,
	.transform = pca_transform,
	.state_to_json = pca_to_json,
	.state_from_json = pca_from_json,
	.free_state = pca_free,
	.source_column = NULL,
	.affine = aml_transformer_always_affine,
};
