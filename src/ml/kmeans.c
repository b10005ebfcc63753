/*
 * kmeans.c — k-means clustering (task "clustering": no target).
 *
 * Lloyd's algorithm from k-means++ starts, as scikit-learn's KMeans
 * (algorithm="lloyd"):
 *   - initialisation: greedy k-means++ (first centre a uniformly drawn row;
 *     each next centre the best, by total potential, of 2 + floor(ln k)
 *     candidates drawn with probability proportional to the squared distance
 *     to the nearest chosen centre);
 *   - iterations: assign every row to its nearest centre, move each centre
 *     to the mean of its rows; an empty cluster takes the row farthest from
 *     its centre; stop when the labels no longer change or the squared
 *     centre shift summed over clusters is at most tol times the mean
 *     variance of the features, or after max_iter iterations; the labels
 *     and inertia are then recomputed from the final centres;
 *   - n_init independent starts (default 10, scikit-learn's value before 1.4;
 *     1.4 made it "auto" = 1 for k-means++): the one of lowest inertia (sum
 *     of squared distances of rows to their centre) is kept.
 * Prediction writes the index (0-based, as scikit-learn) of the nearest
 * centre, first on ties.  The state keeps the centres (in the feature space
 * the estimator saw), the training size of each cluster and the inertia.
 */
#include "ml/kmeans.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct KmeansParams
{
	int			n_clusters;
	int			n_init;
	int			max_iter;
	double		tol;
} KmeansParams;

static const AmlParamSpec kmeans_specs[] = {
	{"n_clusters", AML_PARAM_INT, offsetof(KmeansParams, n_clusters), 8, 1, 100000,
		false, false, false, NULL,
	"number of clusters, at most the number of training rows"},
	{"n_init", AML_PARAM_INT, offsetof(KmeansParams, n_init), 10, 1, 1000,
		false, false, false, NULL,
	"number of k-means++ starts; the one of lowest inertia is kept"},
	{"max_iter", AML_PARAM_INT, offsetof(KmeansParams, max_iter), 300, 1, 100000,
		false, false, false, NULL,
	"maximum Lloyd iterations per start"},
	{"tol", AML_PARAM_DOUBLE, offsetof(KmeansParams, tol), 1e-4, 0, 1e6,
		false, false, false, NULL,
	"convergence: squared centre shift at most tol times the mean feature variance"},
};

typedef struct KmeansState
{
	int			k;
	int			p;
	double	   *centers;		/* k x p, row-major */
	double	   *sizes;			/* k: training rows per cluster */
	double		inertia;
	int			n_iter;
} KmeansState;

static void
kmeans_free_state(AmlEstimator *est)
{
	KmeansState *s = est->state;

	if (s == NULL)
		return;
	aml_free(s->centers);
	aml_free(s->sizes);
	aml_free(s);
	est->state = NULL;
}

static KmeansState *
kmeans_alloc(int k, int p)
{
	KmeansState *s = AML_NEW(KmeansState);

	if (s == NULL)
		return NULL;
	s->k = k;
	s->p = p;
	s->centers = AML_NEW_ARRAY(double, (size_t) k * p + 1);
	s->sizes = AML_NEW_ARRAY(double, k);
	if (s->centers == NULL || s->sizes == NULL)
	{
		aml_free(s->centers);
		aml_free(s->sizes);
		aml_free(s);
		return NULL;
	}
	return s;
}

/* squared distance of row i of X (column-major) to centre c (row-major, p values) */
static inline double
sqdist(const AmlMatrix *X, int i, const double *c)
{
	double		d = 0;

	for (int j = 0; j < X->cols; j++)
	{
		double		t = AML_AT(X, i, j) - c[j];

		d += t * t;
	}
	return d;
}

/* greedy k-means++: centres (k x p) from X */
static void
kmeanspp(const AmlMatrix *X, int k, AmlRng *rng, double *centers, double *closest,
		 double *cand_closest, double *best_closest)
{
	int			n = X->rows;
	int			p = X->cols;
	int			trials = 2 + (int) log((double) k);
	double		potential = 0;
	int			first = (int) aml_rng_below(rng, (uint64_t) n);

	for (int j = 0; j < p; j++)
		centers[j] = AML_AT(X, first, j);
	for (int i = 0; i < n; i++)
	{
		closest[i] = sqdist(X, i, centers);
		potential += closest[i];
	}
	for (int c = 1; c < k; c++)
	{
		double		best_potential = DBL_MAX;
		int			best = -1;

		for (int t = 0; t < trials; t++)
		{
			double		r = aml_rng_uniform(rng) * potential;
			double		acc = 0;
			int			cand = n - 1;
			double		pot = 0;

			for (int i = 0; i < n; i++)
			{
				acc += closest[i];
				if (acc > r)
				{
					cand = i;
					break;
				}
			}
			/* rows already chosen have weight 0: never drawn unless all are 0 */
			for (int i = 0; i < n; i++)
			{
				double		d = 0;

				for (int j = 0; j < p; j++)
				{
					double		v = AML_AT(X, i, j) - AML_AT(X, cand, j);

					d += v * v;
				}
				cand_closest[i] = d < closest[i] ? d : closest[i];
				pot += cand_closest[i];
			}
			if (best < 0 || pot < best_potential)
			{
				best_potential = pot;
				best = cand;
				memcpy(best_closest, cand_closest, sizeof(double) * n);
			}
		}
		for (int j = 0; j < p; j++)
			centers[(size_t) c * p + j] = AML_AT(X, best, j);
		memcpy(closest, best_closest, sizeof(double) * n);
		potential = best_potential;
	}
}

/* labels and distances to the nearest centre; returns the inertia */
static double
assign(const AmlMatrix *X, const double *centers, int k, int *labels, double *dist)
{
	double		inertia = 0;

	for (int i = 0; i < X->rows; i++)
	{
		int			best = 0;
		double		bd = sqdist(X, i, centers);

		for (int c = 1; c < k; c++)
		{
			double		d = sqdist(X, i, centers + (size_t) c * X->cols);

			if (d < bd)
			{
				bd = d;
				best = c;
			}
		}
		labels[i] = best;
		dist[i] = bd;
		inertia += bd;
	}
	return inertia;
}

/* one start: k-means++ then Lloyd; centres, labels, inertia, iterations */
static double
lloyd(const AmlMatrix *X, int k, const KmeansParams *prm, double tol_abs, AmlRng *rng,
	  double *centers, double *next, int *labels, int *prev, double *dist, double *counts,
	  double *w1, double *w2, int *n_iter)
{
	int			n = X->rows;
	int			p = X->cols;
	int			it;

	kmeanspp(X, k, rng, centers, dist, w1, w2);
	for (int i = 0; i < n; i++)
		prev[i] = -1;
	for (it = 0; it < prm->max_iter; it++)
	{
		double		shift = 0;
		bool		same = true;

		assign(X, centers, k, labels, dist);
		memset(next, 0, sizeof(double) * (size_t) k * p);
		memset(counts, 0, sizeof(double) * k);
		for (int i = 0; i < n; i++)
		{
			double	   *c = next + (size_t) labels[i] * p;

			counts[labels[i]] += 1;
			for (int j = 0; j < p; j++)
				c[j] += AML_AT(X, i, j);
		}
		for (int c = 0; c < k; c++)
		{
			if (counts[c] == 0)
			{
				/* empty: the row farthest from its centre (taken once) */
				int			far = 0;

				for (int i = 1; i < n; i++)
					if (dist[i] > dist[far])
						far = i;
				dist[far] = -1;
				for (int j = 0; j < p; j++)
					next[(size_t) c * p + j] = AML_AT(X, far, j);
				continue;
			}
			for (int j = 0; j < p; j++)
				next[(size_t) c * p + j] /= counts[c];
		}
		for (size_t q = 0; q < (size_t) k * p; q++)
		{
			double		t = next[q] - centers[q];

			shift += t * t;
		}
		memcpy(centers, next, sizeof(double) * (size_t) k * p);
		for (int i = 0; i < n; i++)
		{
			if (labels[i] != prev[i])
				same = false;
			prev[i] = labels[i];
		}
		if (same)
		{
			it++;
			break;
		}
		if (shift <= tol_abs)
		{
			it++;
			break;
		}
	}
	*n_iter = it;
	return assign(X, centers, k, labels, dist);
}

static AmlStatus
kmeans_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const KmeansParams *prm = est->params;
	int			n = X->rows;
	int			p = X->cols;
	int			k = prm->n_clusters;
	double		tol_abs = 0;
	KmeansState *s;
	double	   *centers,
			   *next,
			   *dist,
			   *counts,
			   *w1,
			   *w2;
	int		   *labels,
			   *prev,
			   *best_labels;
	double		best = DBL_MAX;
	AmlStatus	status = AML_OK;

	(void) y;
	if (k > n)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "n_clusters (%d) is larger than the number of rows (%d)", k, n);
		return aml_error_hint(err, "Choose n_clusters between 1 and the number of rows.");
	}
	/* tol relative to the mean variance of the features (scikit-learn's _tolerance) */
	for (int j = 0; j < p; j++)
	{
		const double *col = AML_COL(X, j);
		double		mean = 0,
					var = 0;

		for (int i = 0; i < n; i++)
			mean += col[i];
		mean /= n;
		for (int i = 0; i < n; i++)
			var += (col[i] - mean) * (col[i] - mean);
		tol_abs += var / n;
	}
	tol_abs = p > 0 ? tol_abs / p * prm->tol : 0;

	s = kmeans_alloc(k, p);
	centers = AML_NEW_ARRAY(double, (size_t) k * p + 1);
	next = AML_NEW_ARRAY(double, (size_t) k * p + 1);
	dist = AML_NEW_ARRAY(double, n);
	w1 = AML_NEW_ARRAY(double, n);
	w2 = AML_NEW_ARRAY(double, n);
	counts = AML_NEW_ARRAY(double, k);
	labels = AML_NEW_ARRAY(int, n);
	prev = AML_NEW_ARRAY(int, n);
	best_labels = AML_NEW_ARRAY(int, n);
	if (s == NULL || centers == NULL || next == NULL || dist == NULL || w1 == NULL ||
		w2 == NULL || counts == NULL || labels == NULL || prev == NULL || best_labels == NULL)
	{
		status = aml_error_nomem(err, "k-means");
		goto done;
	}
	for (int r = 0; r < prm->n_init; r++)
	{
		AmlRng		start;
		int			n_iter;
		double		inertia;

		aml_rng_derive(rng, (uint64_t) r, &start);
		inertia = lloyd(X, k, prm, tol_abs, &start, centers, next, labels, prev, dist, counts,
						w1, w2, &n_iter);
		if (inertia < best)
		{
			best = inertia;
			memcpy(s->centers, centers, sizeof(double) * (size_t) k * p);
			memcpy(best_labels, labels, sizeof(int) * n);
			s->inertia = inertia;
			s->n_iter = n_iter;
		}
	}
	for (int c = 0; c < k; c++)
		s->sizes[c] = 0;
	for (int i = 0; i < n; i++)
		s->sizes[best_labels[i]] += 1;
	est->state = s;
	s = NULL;
done:
	if (s != NULL)
	{
		aml_free(s->centers);
		aml_free(s->sizes);
		aml_free(s);
	}
	aml_free(centers);
	aml_free(next);
	aml_free(dist);
	aml_free(w1);
	aml_free(w2);
	aml_free(counts);
	aml_free(labels);
	aml_free(prev);
	aml_free(best_labels);
	return status;
}

static void
kmeans_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const KmeansState *s = est->state;
	int			best = 0;
	double		bd = DBL_MAX;

	for (int c = 0; c < s->k; c++)
	{
		const double *ctr = s->centers + (size_t) c * s->p;
		double		d = 0;

		for (int j = 0; j < s->p; j++)
			d += (x[j] - ctr[j]) * (x[j] - ctr[j]);
		if (c == 0 || d < bd)
		{
			bd = d;
			best = c;
		}
	}
	out[0] = best;
}

static json_object *
kmeans_state_to_json(const AmlEstimator *est)
{
	const KmeansState *s = est->state;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n_clusters", json_object_new_int(s->k));
	json_object_object_add(o, "centers", aml_json_new_double_array(s->centers, s->k * s->p));
	json_object_object_add(o, "sizes", aml_json_new_double_array(s->sizes, s->k));
	json_object_object_add(o, "inertia", aml_json_new_double(s->inertia));
	json_object_object_add(o, "n_iter", json_object_new_int(s->n_iter));
	return o;
}

static AmlStatus
kmeans_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	const KmeansParams *prm = est->params;
	const char *what = "k-means state";
	KmeansState *s;
	int			k;

	AML_TRY(aml_json_get_int(state, "n_clusters", &k, what, err));
	if (k != prm->n_clusters || k < 1 || est->n_features < 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "%s does not match n_clusters", what);
	s = kmeans_alloc(k, est->n_features);
	if (s == NULL)
		return aml_error_nomem(err, what);
	est->state = s;
	if (aml_json_get_double_array(state, "centers", s->centers, k * est->n_features, what, err) != AML_OK ||
		aml_json_get_double_array(state, "sizes", s->sizes, k, what, err) != AML_OK ||
		aml_json_get_double(state, "inertia", &s->inertia, what, err) != AML_OK ||
		aml_json_get_int(state, "n_iter", &s->n_iter, what, err) != AML_OK)
	{
		kmeans_free_state(est);
		return err->status;
	}
	for (int q = 0; q < k * est->n_features; q++)
		if (!isfinite(s->centers[q]))
		{
			kmeans_free_state(est);
			return aml_error(err, AML_ERR_BAD_FORMAT, "%s has a centre that is not finite", what);
		}
	return AML_OK;
}

static double
kmeans_fit_bytes(const AmlEstimator *est, int rows, int cols)
{
	(void) est;
	return (double) rows * 5 * sizeof(double) + 3.0 * cols * 8 * sizeof(double);
}

bool
aml_kmeans_get(const AmlEstimator *est, AmlKmeansInfo *info)
{
	const KmeansState *s;

	if (est == NULL || est->type != &aml_kmeans_type || est->state == NULL)
		return false;
	s = est->state;
	info->n_clusters = s->k;
	info->n_features = s->p;
	info->centers = s->centers;
	info->sizes = s->sizes;
	info->inertia = s->inertia;
	info->n_iter = s->n_iter;
	return true;
}

const AmlEstimatorType aml_kmeans_type = {
	.name = "kmeans",
	.label = "k-means",
	.tasks = AML_TASK_CLUSTERING,
	.params = {kmeans_specs, AML_PARAM_COUNT(kmeans_specs), sizeof(KmeansParams)},
	.handles_missing = false,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = false,
	.fit = kmeans_fit,
	.predict_row = kmeans_predict_row,
	.state_to_json = kmeans_state_to_json,
	.state_from_json = kmeans_state_from_json,
	.free_state = kmeans_free_state,
	.fit_bytes = kmeans_fit_bytes,
};
