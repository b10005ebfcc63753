/*
 * knn.c — k-nearest neighbours for classification and regression
 * (scikit-learn's KNeighborsClassifier / KNeighborsRegressor with the brute
 * force algorithm).
 *
 * A lazy learner: the fitted state is the training matrix itself (a
 * row-major copy, so one training row is contiguous) and its targets; the
 * JSON state holds them too.
 *
 * Neighbours are the k training rows with the smallest distance (Euclidean or
 * Manhattan); equal distances are broken by the lower training row index,
 * like scikit-learn's brute force.  Votes: uniform, or weighted by
 * 1/distance where a query at distance 0 from some neighbours gives those
 * neighbours all the weight (scikit-learn's rule).
 *
 * predict_row scans the training rows with a tight loop and keeps the k best
 * in a bounded max-heap (a partial selection, no full sort).  predict_batch
 * with the Euclidean metric computes blocks of -2 q.t with aml_dgemm plus the
 * squared norms, keeps the k + m best of those approximate distances per
 * query, and then recomputes the exact distances of the candidates with the
 * same code as predict_row; a rounding bound on the BLAS expansion proves
 * that the candidates contain the true k nearest (otherwise that query falls
 * back to the exact scan), so both paths return bit-identical predictions.
 */
#include "ml/estimator.h"
#include "core/blas.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* queries per block and training rows per tile in predict_batch */
#define KNN_QBLOCK 64
#define KNN_TTILE 1024
/* distances computed per call of the exact kernel in the scans */
#define KNN_CHUNK 256

enum
{
	KNN_WEIGHTS_UNIFORM = 0,
	KNN_WEIGHTS_DISTANCE = 1
};

enum
{
	KNN_METRIC_MINKOWSKI = 0,
	KNN_METRIC_EUCLIDEAN = 1,
	KNN_METRIC_MANHATTAN = 2
};

typedef struct KnnParams
{
	int			n_neighbors;
	int			weights;
	int			metric;
	int			p;
} KnnParams;

static const char *const knn_weights_choices[] = {"uniform", "distance", NULL};
static const char *const knn_metric_choices[] = {"minkowski", "euclidean", "manhattan", NULL};

static const AmlParamSpec knn_specs[] = {
	{"n_neighbors", AML_PARAM_INT, offsetof(KnnParams, n_neighbors), 5, 1, 1000000,
		false, false, false, NULL,
	"number of neighbours that vote (at most the number of training rows is used)"},
	{"weights", AML_PARAM_CHOICE, offsetof(KnnParams, weights), KNN_WEIGHTS_UNIFORM, 0, 0,
		false, false, false, knn_weights_choices,
	"how neighbours vote: equally, or weighted by the inverse of their distance"},
	{"metric", AML_PARAM_CHOICE, offsetof(KnnParams, metric), KNN_METRIC_MINKOWSKI, 0, 0,
		false, false, false, knn_metric_choices,
	"distance between rows (minkowski uses the power p)"},
	{"p", AML_PARAM_INT, offsetof(KnnParams, p), 2, 1, 2,
		false, false, false, NULL,
	"power of the minkowski metric: 1 is Manhattan, 2 is Euclidean"},
};

/* effective metric */
typedef enum KnnMetric
{
	KNN_EUCLID = 0,
	KNN_MANHATTAN = 1
} KnnMetric;

static const char *const knn_metric_names[] = {"euclidean", "manhattan"};

typedef struct KnnState
{
	int			n;				/* training rows */
	int			p;				/* features */
	int			k;				/* neighbours used: min(n_neighbors, n) */
	KnnMetric	metric;
	bool		distance_weights;
	int			n_classes;		/* 0 for regression */
	double	   *X;				/* n x p row-major (row t at X + t * p) */
	double	   *y;				/* n targets (class indices or values) */
	double	   *sqnorm;			/* n squared Euclidean norms of the rows */
	double		max_sqnorm;
	/* predict_row scratch (the pure layer is single-threaded) */
	double	   *heap_d;			/* k */
	int		   *heap_i;			/* k */
} KnnState;

static KnnMetric
knn_effective_metric(const KnnParams *par)
{
	if (par->metric == KNN_METRIC_EUCLIDEAN)
		return KNN_EUCLID;
	if (par->metric == KNN_METRIC_MANHATTAN)
		return KNN_MANHATTAN;
	return par->p == 1 ? KNN_MANHATTAN : KNN_EUCLID;
}

static void
knn_free_state(AmlEstimator *est)
{
	KnnState   *s = est->state;

	if (s == NULL)
		return;
	aml_free(s->X);
	aml_free(s->y);
	aml_free(s->sqnorm);
	aml_free(s->heap_d);
	aml_free(s->heap_i);
	aml_free(s);
	est->state = NULL;
}

/* A state with n x p room; X, y to be filled by the caller.  NULL when out of memory. */
static KnnState *
knn_alloc(const AmlEstimator *est, int n, int p)
{
	const KnnParams *par = est->params;
	KnnState   *s = AML_NEW(KnnState);
	size_t		np = (size_t) n * (size_t) p;

	if (s == NULL)
		return NULL;
	s->n = n;
	s->p = p;
	s->k = par->n_neighbors < n ? par->n_neighbors : n;
	s->metric = knn_effective_metric(par);
	s->distance_weights = par->weights == KNN_WEIGHTS_DISTANCE;
	s->n_classes = est->task == AML_TASK_CLASSIFICATION ? est->n_classes : 0;
	/* not zeroed: filled by the caller (the largest block, worth skipping a pass) */
	s->X = aml_mul_size(np > 0 ? np : 1, sizeof(double), &np) ? aml_alloc(np) : NULL;
	s->y = AML_NEW_ARRAY(double, n);
	s->sqnorm = AML_NEW_ARRAY(double, n);
	s->heap_d = AML_NEW_ARRAY(double, s->k);
	s->heap_i = AML_NEW_ARRAY(int, s->k);
	if (s->X == NULL || s->y == NULL || s->sqnorm == NULL || s->heap_d == NULL ||
		s->heap_i == NULL)
	{
		aml_free(s->X);
		aml_free(s->y);
		aml_free(s->sqnorm);
		aml_free(s->heap_d);
		aml_free(s->heap_i);
		aml_free(s);
		return NULL;
	}
	return s;
}

/* Squared norms of training rows t0 .. t1-1 (max_sqnorm updated). */
static void
knn_norms_range(KnnState *s, int t0, int t1)
{
	for (int t = t0; t < t1; t++)
	{
		const double *r = s->X + (size_t) t * s->p;
		double		acc = 0.0;

		for (int j = 0; j < s->p; j++)
			acc += r[j] * r[j];
		s->sqnorm[t] = acc;
		if (acc > s->max_sqnorm)
			s->max_sqnorm = acc;
	}
}

static AmlStatus
knn_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	int			n = X->rows;
	int			p = X->cols;
	KnnState   *s = knn_alloc(est, n, p);

	if (s == NULL)
		return aml_error_nomem(err, "the k-nearest neighbours training rows");
	/*
	 * Transpose 8 rows at a time (one cache line of each column in, a few
	 * contiguous lines out) and take their norms while they are in cache.
	 */
	s->max_sqnorm = 0.0;
	for (int i0 = 0; i0 < n; i0 += 8)
	{
		int			i1 = i0 + 8 < n ? i0 + 8 : n;

		for (int j = 0; j < p; j++)
		{
			const double *col = AML_COL(X, j);
			double	   *dst = s->X + j;

			for (int i = i0; i < i1; i++)
				dst[(size_t) i * p] = col[i];
		}
		knn_norms_range(s, i0, i1);
	}
	memcpy(s->y, y, sizeof(double) * n);
	est->state = s;
	return AML_OK;
}

/* ------------------------------------------------------------ selection */

/* (d, i) pairs ordered by distance, then by training row index */
static inline bool
pair_less(double da, int ia, double db, int ib)
{
	return da < db || (da == db && ia < ib);
}

/* max-heap on (d, i): restore from position pos downwards */
static inline void
heap_sift_down(double *hd, int *hi, int size, int pos)
{
	double		d = hd[pos];
	int			id = hi[pos];

	for (;;)
	{
		int			child = 2 * pos + 1;

		if (child >= size)
			break;
		if (child + 1 < size && pair_less(hd[child], hi[child], hd[child + 1], hi[child + 1]))
			child++;
		if (!pair_less(d, id, hd[child], hi[child]))
			break;
		hd[pos] = hd[child];
		hi[pos] = hi[child];
		pos = child;
	}
	hd[pos] = d;
	hi[pos] = id;
}

static inline void
heap_sift_up(double *hd, int *hi, int pos)
{
	double		d = hd[pos];
	int			id = hi[pos];

	while (pos > 0)
	{
		int			parent = (pos - 1) / 2;

		if (!pair_less(hd[parent], hi[parent], d, id))
			break;
		hd[pos] = hd[parent];
		hi[pos] = hi[parent];
		pos = parent;
	}
	hd[pos] = d;
	hi[pos] = id;
}

/*
 * Offer candidate (d, idx) to a max-heap of capacity cap holding *size pairs.
 * Candidates arrive in increasing idx, so (d, idx) beats the root exactly
 * when d < root distance: the heap always holds the cap smallest pairs.
 */
static inline void
heap_offer(double *hd, int *hi, int *size, int cap, double d, int idx)
{
	if (*size < cap)
	{
		hd[*size] = d;
		hi[*size] = idx;
		heap_sift_up(hd, hi, (*size)++);
	}
	else if (d < hd[0])
	{
		hd[0] = d;
		hi[0] = idx;
		heap_sift_down(hd, hi, cap, 0);
	}
}

/*
 * The approximate stage of predict_batch orders by distance alone (which of
 * two equal approximate distances is kept does not matter: knn_refine only
 * relies on the largest kept value).
 */
static inline void
aheap_sift_down(double *hd, int *hi, int size, int pos)
{
	double		d = hd[pos];
	int			id = hi[pos];

	for (;;)
	{
		int			child = 2 * pos + 1;

		if (child >= size)
			break;
		if (child + 1 < size && hd[child] < hd[child + 1])
			child++;
		if (!(d < hd[child]))
			break;
		hd[pos] = hd[child];
		hi[pos] = hi[child];
		pos = child;
	}
	hd[pos] = d;
	hi[pos] = id;
}

static inline void
aheap_push(double *hd, int *hi, int *size, double d, int idx)
{
	int			pos = (*size)++;

	while (pos > 0)
	{
		int			parent = (pos - 1) / 2;

		if (!(hd[parent] < d))
			break;
		hd[pos] = hd[parent];
		hi[pos] = hi[parent];
		pos = parent;
	}
	hd[pos] = d;
	hi[pos] = idx;
}

/* Sort n pairs ascending by (d, i) (heapsort: in place, no allocation). */
static void
sort_pairs(double *hd, int *hi, int n)
{
	for (int pos = n / 2 - 1; pos >= 0; pos--)
		heap_sift_down(hd, hi, n, pos);
	for (int end = n - 1; end > 0; end--)
	{
		double		d = hd[0];
		int			id = hi[0];

		hd[0] = hd[end];
		hi[0] = hi[end];
		hd[end] = d;
		hi[end] = id;
		heap_sift_down(hd, hi, end, 0);
	}
}

/*
 * The exact distance kernel: distances of x to training rows t0 .. t1-1
 * into out (squared for Euclidean).  Not inlined, so every caller runs the
 * very same machine code and gets the very same bits.
 */
static __attribute__((noinline)) void
knn_dist_range(const KnnState *s, const double *x, int t0, int t1, double *out)
{
	int			p = s->p;
	const double *r = s->X + (size_t) t0 * p;
	int			t = t0;

	/*
	 * Four training rows at a time with independent accumulators (no
	 * dependency chain between rows); every row still sums its features in
	 * order j = 0 .. p-1, so the result does not depend on the grouping.
	 */
	if (s->metric == KNN_EUCLID)
	{
		for (; t + 4 <= t1; t += 4, r += 4 * (size_t) p)
		{
			const double *r1 = r + p;
			const double *r2 = r1 + p;
			const double *r3 = r2 + p;
			double		a0 = 0.0;
			double		a1 = 0.0;
			double		a2 = 0.0;
			double		a3 = 0.0;

			for (int j = 0; j < p; j++)
			{
				double		d0 = x[j] - r[j];
				double		d1 = x[j] - r1[j];
				double		d2 = x[j] - r2[j];
				double		d3 = x[j] - r3[j];

				a0 += d0 * d0;
				a1 += d1 * d1;
				a2 += d2 * d2;
				a3 += d3 * d3;
			}
			out[t - t0] = a0;
			out[t - t0 + 1] = a1;
			out[t - t0 + 2] = a2;
			out[t - t0 + 3] = a3;
		}
		for (; t < t1; t++, r += p)
		{
			double		acc = 0.0;

			for (int j = 0; j < p; j++)
			{
				double		d = x[j] - r[j];

				acc += d * d;
			}
			out[t - t0] = acc;
		}
	}
	else
	{
		for (; t + 4 <= t1; t += 4, r += 4 * (size_t) p)
		{
			const double *r1 = r + p;
			const double *r2 = r1 + p;
			const double *r3 = r2 + p;
			double		a0 = 0.0;
			double		a1 = 0.0;
			double		a2 = 0.0;
			double		a3 = 0.0;

			for (int j = 0; j < p; j++)
			{
				a0 += fabs(x[j] - r[j]);
				a1 += fabs(x[j] - r1[j]);
				a2 += fabs(x[j] - r2[j]);
				a3 += fabs(x[j] - r3[j]);
			}
			out[t - t0] = a0;
			out[t - t0 + 1] = a1;
			out[t - t0 + 2] = a2;
			out[t - t0 + 3] = a3;
		}
		for (; t < t1; t++, r += p)
		{
			double		acc = 0.0;

			for (int j = 0; j < p; j++)
				acc += fabs(x[j] - r[j]);
			out[t - t0] = acc;
		}
	}
}

/* Exact k nearest of x over all training rows into hd/hi (capacity >= k), sorted. */
static void
knn_exact_select(const KnnState *s, const double *x, double *hd, int *hi)
{
	double		buf[KNN_CHUNK];
	int			size = 0;

	for (int t0 = 0; t0 < s->n; t0 += KNN_CHUNK)
	{
		int			t1 = t0 + KNN_CHUNK < s->n ? t0 + KNN_CHUNK : s->n;

		knn_dist_range(s, x, t0, t1, buf);
		for (int t = t0; t < t1; t++)
			heap_offer(hd, hi, &size, s->k, buf[t - t0], t);
	}
	sort_pairs(hd, hi, size);
}

/* Prediction from the k nearest (sorted, exact distances; squared for Euclidean). */
static void
knn_vote(const KnnState *s, const double *hd, const int *hi, double *out)
{
	int			k = s->k;
	bool		exact_match = false;

	if (s->distance_weights)
		for (int m = 0; m < k; m++)
			if (hd[m] == 0.0)
				exact_match = true;

	if (s->n_classes > 0)
	{
		double		norm = 0.0;

		for (int c = 0; c < s->n_classes; c++)
			out[c] = 0.0;
		for (int m = 0; m < k; m++)
		{
			double		w = 1.0;

			if (s->distance_weights)
			{
				if (exact_match)
					w = hd[m] == 0.0 ? 1.0 : 0.0;
				else
					w = 1.0 / (s->metric == KNN_EUCLID ? sqrt(hd[m]) : hd[m]);
			}
			out[(int) s->y[hi[m]]] += w;
		}
		for (int c = 0; c < s->n_classes; c++)
			norm += out[c];
		if (norm == 0.0)
			norm = 1.0;
		for (int c = 0; c < s->n_classes; c++)
			out[c] /= norm;
	}
	else if (!s->distance_weights)
	{
		double		sum = 0.0;

		for (int m = 0; m < k; m++)
			sum += s->y[hi[m]];
		out[0] = sum / k;
	}
	else
	{
		double		num = 0.0;
		double		den = 0.0;

		for (int m = 0; m < k; m++)
		{
			double		w;

			if (exact_match)
				w = hd[m] == 0.0 ? 1.0 : 0.0;
			else
				w = 1.0 / (s->metric == KNN_EUCLID ? sqrt(hd[m]) : hd[m]);
			num += s->y[hi[m]] * w;
			den += w;
		}
		out[0] = num / den;
	}
}

static void
knn_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	KnnState   *s = est->state;

	knn_exact_select(s, x, s->heap_d, s->heap_i);
	knn_vote(s, s->heap_d, s->heap_i, out);
}

/* ------------------------------------------------------------ batch */

typedef struct KnnBatch
{
	int			cap;			/* heap capacity per query */
	double	   *q;				/* KNN_QBLOCK x p gathered query rows */
	double	   *qn;				/* KNN_QBLOCK squared norms */
	double	   *dt;				/* KNN_TTILE x KNN_QBLOCK products */
	double	   *hd;				/* KNN_QBLOCK x cap */
	int		   *hi;
	int		   *hsize;			/* KNN_QBLOCK */
	double	   *buf;			/* KNN_TTILE exact distances / output row */
	double	   *cd;				/* cap candidates */
	int		   *ci;
} KnnBatch;

static void
knn_batch_free(KnnBatch *b)
{
	aml_free(b->q);
	aml_free(b->qn);
	aml_free(b->dt);
	aml_free(b->hd);
	aml_free(b->hi);
	aml_free(b->hsize);
	aml_free(b->buf);
	aml_free(b->cd);
	aml_free(b->ci);
}

static bool
knn_batch_alloc(const KnnState *s, int outputs, KnnBatch *b)
{
	/*
	 * Candidates kept beyond k by the approximate stage: room for distances
	 * that tie with the k-th within rounding.  Few, because heap updates
	 * dominate on small training sets; more ties fall back to the exact scan.
	 */
	int			extra = s->k / 4 > 3 ? s->k / 4 : 3;
	size_t		qp = (size_t) KNN_QBLOCK * (s->p > 0 ? s->p : 1);

	memset(b, 0, sizeof(*b));
	b->cap = s->metric == KNN_EUCLID ? s->k + extra : s->k;
	if (b->cap > s->n)
		b->cap = s->n;
	b->q = AML_NEW_ARRAY(double, qp);
	b->qn = AML_NEW_ARRAY(double, KNN_QBLOCK);
	b->dt = AML_NEW_ARRAY(double, s->metric == KNN_EUCLID ? (size_t) KNN_TTILE * KNN_QBLOCK : 1);
	b->hd = AML_NEW_ARRAY(double, (size_t) KNN_QBLOCK * b->cap);
	b->hi = AML_NEW_ARRAY(int, (size_t) KNN_QBLOCK * b->cap);
	b->hsize = AML_NEW_ARRAY(int, KNN_QBLOCK);
	b->buf = AML_NEW_ARRAY(double, KNN_TTILE > outputs ? KNN_TTILE : outputs);
	b->cd = AML_NEW_ARRAY(double, b->cap);
	b->ci = AML_NEW_ARRAY(int, b->cap);
	return b->q && b->qn && b->dt && b->hd && b->hi && b->hsize && b->buf && b->cd && b->ci;
}

/*
 * Exact k nearest of query x from the approximate candidates of its heap
 * (hd/hi, size entries, keys = |t|^2 - 2 q.t).  Returns false when the
 * candidates cannot be proven to contain the true k nearest.
 */
static bool
knn_refine(const KnnState *s, const double *x, double qn, double *hd, int *hi, int size,
		   double *cd, int *ci)
{
	int			nc;

	sort_pairs(hd, hi, size);
	if (size < s->n)
	{
		/* bound on |approx + |q|^2 - exact| for this query, twice over */
		double		delta = (8.0 * s->p + 16.0) * DBL_EPSILON * (qn + s->max_sqnorm);
		double		limit = hd[s->k - 1] + 2.0 * delta;

		if (!(hd[size - 1] > limit))
			return false;
		for (nc = s->k; nc < size && hd[nc] <= limit; nc++)
			;
	}
	else
		nc = size;
	for (int c = 0; c < nc; c++)
	{
		knn_dist_range(s, x, hi[c], hi[c] + 1, &cd[c]);
		ci[c] = hi[c];
	}
	sort_pairs(cd, ci, nc);
	return true;
}

static AmlStatus
knn_predict_batch(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out, AmlError *err)
{
	const KnnState *s = est->state;
	int			nq = X->rows;
	int			p = s->p;
	int			outputs = aml_estimator_outputs(est);
	KnnBatch	b;

	if (!knn_batch_alloc(s, outputs, &b))
	{
		knn_batch_free(&b);
		return aml_error_nomem(err, "k-nearest neighbours prediction buffers");
	}
	for (int i0 = 0; i0 < nq; i0 += KNN_QBLOCK)
	{
		int			bq = nq - i0 < KNN_QBLOCK ? nq - i0 : KNN_QBLOCK;

		if (aml_interrupted())
		{
			knn_batch_free(&b);
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		/* gather the block's rows, row-major */
		for (int j = 0; j < p; j++)
		{
			const double *col = AML_COL(X, j) + i0;

			for (int i = 0; i < bq; i++)
				b.q[(size_t) i * p + j] = col[i];
		}
		for (int i = 0; i < bq; i++)
		{
			const double *x = b.q + (size_t) i * p;
			double		acc = 0.0;

			for (int j = 0; j < p; j++)
				acc += x[j] * x[j];
			b.qn[i] = acc;
			b.hsize[i] = 0;
		}
		for (int t0 = 0; t0 < s->n; t0 += KNN_TTILE)
		{
			int			tt = s->n - t0 < KNN_TTILE ? s->n - t0 : KNN_TTILE;

			if (s->metric == KNN_EUCLID && p > 0)
				/* dt (tt x bq) = -2 * Xtrain[t0:t0+tt] * Q' */
				aml_dgemm('T', 'T', tt, bq, p, -2.0, s->X + (size_t) t0 * p, p,
						  X->data + i0, X->rows, 0.0, b.dt, tt);
			for (int i = 0; i < bq; i++)
			{
				double	   *hd = b.hd + (size_t) i * b.cap;
				int		   *hi = b.hi + (size_t) i * b.cap;
				int			size = b.hsize[i];
				int			t = 0;

				if (s->metric == KNN_EUCLID)
				{
					/* approximate keys |t|^2 - 2 q.t, kept by value alone */
					double	   *key = p > 0 ? b.dt + (size_t) i * tt : b.buf;
					const double *sq = s->sqnorm + t0;

					if (p == 0)
						memset(key, 0, sizeof(double) * tt);
					for (int u = 0; u < tt; u++)
						key[u] += sq[u];
					for (; t < tt && size < b.cap; t++)
						aheap_push(hd, hi, &size, key[t], t0 + t);
					if (t < tt)
					{
						double		top = hd[0];

						for (; t < tt; t++)
							if (key[t] < top)
							{
								hd[0] = key[t];
								hi[0] = t0 + t;
								aheap_sift_down(hd, hi, b.cap, 0);
								top = hd[0];
							}
					}
				}
				else
				{
					/* exact distances, exact (d, index) order like predict_row */
					const double *key = b.buf;

					knn_dist_range(s, b.q + (size_t) i * p, t0, t0 + tt, b.buf);
					for (; t < tt && size < b.cap; t++)
						heap_offer(hd, hi, &size, b.cap, key[t], t0 + t);
					if (t < tt)
					{
						double		top = hd[0];

						for (; t < tt; t++)
							if (key[t] < top)
							{
								hd[0] = key[t];
								hi[0] = t0 + t;
								heap_sift_down(hd, hi, b.cap, 0);
								top = hd[0];
							}
					}
				}
				b.hsize[i] = size;
			}
		}
		for (int i = 0; i < bq; i++)
		{
			const double *x = b.q + (size_t) i * p;
			double	   *hd = b.hd + (size_t) i * b.cap;
			int		   *hi = b.hi + (size_t) i * b.cap;
			const double *nd = hd;
			const int  *ni = hi;

			if (s->metric == KNN_EUCLID)
			{
				if (knn_refine(s, x, b.qn[i], hd, hi, b.hsize[i], b.cd, b.ci))
				{
					nd = b.cd;
					ni = b.ci;
				}
				else
					knn_exact_select(s, x, hd, hi);
			}
			else
				sort_pairs(hd, hi, b.hsize[i]);
			knn_vote(s, nd, ni, b.buf);
			for (int c = 0; c < outputs; c++)
				AML_AT(out, i0 + i, c) = b.buf[c];
		}
	}
	knn_batch_free(&b);
	return AML_OK;
}

/* ------------------------------------------------------------ JSON */

static json_object *
knn_state_to_json(const AmlEstimator *est)
{
	const KnnState *s = est->state;
	json_object *o = json_object_new_object();
	/* row-major n x p is column-major p x n: one column per training row */
	AmlMatrix	xt = aml_matrix_view(s->p, s->n, s->X);

	json_object_object_add(o, "n_train", json_object_new_int(s->n));
	json_object_object_add(o, "k", json_object_new_int(s->k));
	json_object_object_add(o, "metric", json_object_new_string(knn_metric_names[s->metric]));
	json_object_object_add(o, "X_rows", aml_json_new_matrix(&xt));
	json_object_object_add(o, "y", aml_json_new_double_array(s->y, s->n));
	return o;
}

static AmlStatus
knn_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	const char *what = "knn state";
	const char *metric;
	int			n;
	int			k;
	AmlMatrix  *xt = NULL;
	KnnState   *s;

	AML_TRY(aml_json_get_int(state, "n_train", &n, what, err));
	AML_TRY(aml_json_get_int(state, "k", &k, what, err));
	AML_TRY(aml_json_get_string(state, "metric", &metric, what, err));
	if (n < 1)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s has no training rows", what);
	s = knn_alloc(est, n, est->n_features);
	if (s == NULL)
		return aml_error_nomem(err, what);
	est->state = s;
	if (k != s->k || strcmp(metric, knn_metric_names[s->metric]) != 0)
	{
		knn_free_state(est);
		return aml_error(err, AML_ERR_BAD_FORMAT,
						 "%s does not match its hyperparameters (k %d, metric %s)", what, k, metric);
	}
	if (aml_json_get_matrix(state, "X_rows", &xt, what, err) != AML_OK ||
		aml_json_get_double_array(state, "y", s->y, n, what, err) != AML_OK)
	{
		aml_matrix_free(xt);
		knn_free_state(est);
		return err->status;
	}
	if (xt->rows != s->p || xt->cols != n)
	{
		aml_matrix_free(xt);
		knn_free_state(est);
		return aml_error(err, AML_ERR_BAD_FORMAT, "training rows of %s have the wrong shape", what);
	}
	if ((size_t) n * s->p > 0)
		memcpy(s->X, xt->data, sizeof(double) * (size_t) n * s->p);
	aml_matrix_free(xt);
	for (int t = 0; t < n; t++)
		if (s->n_classes > 0 &&
			!(s->y[t] >= 0 && s->y[t] < s->n_classes && s->y[t] == floor(s->y[t])))
		{
			knn_free_state(est);
			return aml_error(err, AML_ERR_BAD_FORMAT, "%s has an invalid class index", what);
		}
	s->max_sqnorm = 0.0;
	knn_norms_range(s, 0, n);
	return AML_OK;
}

/* Memory: a copy of the training rows and the distance blocks of prediction. */
static double
knn_fit_bytes(const AmlEstimator *est, int rows, int cols)
{
	(void) est;
	return (double) rows * cols * sizeof(double) + 4096.0 * rows * sizeof(double);
}

/* JSON size: the training rows, about 12 characters a number. */
static double
knn_state_bytes(const AmlEstimator *est)
{
	const KnnState *s = est->state;

	return s ? 12.0 * s->n * (s->p + 1) : 0;
}

const AmlEstimatorType aml_knn_type = {
	.name = "knn",
	.label = "k-nearest neighbours",
	.tasks = AML_TASK_CLASSIFICATION | AML_TASK_REGRESSION,
	.params = {knn_specs, AML_PARAM_COUNT(knn_specs), sizeof(KnnParams)},
	.handles_missing = false,
	.needs_scaling = true,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = knn_fit,
	.predict_row = knn_predict_row,
	.predict_batch = knn_predict_batch,
	.state_to_json = knn_state_to_json,
	.state_from_json = knn_state_from_json,
	.free_state = knn_free_state,
	.fit_bytes = knn_fit_bytes,
	.state_bytes = knn_state_bytes,
};
