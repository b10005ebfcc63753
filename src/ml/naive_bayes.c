/*
 * naive_bayes.c — Gaussian, Bernoulli and multinomial naive Bayes classifiers
 * (scikit-learn's GaussianNB, BernoulliNB and MultinomialNB).
 *
 * All three compute a joint log-likelihood per class, jll[c] = log P(c) +
 * log P(x | c), and turn it into probabilities with a log-sum-exp softmax,
 * exactly as scikit-learn's predict_proba does.  A class without training
 * rows (possible in a CV fold) gets prior 0, i.e. log prior -inf and
 * probability 0, and never produces NaN.
 *
 * predict_row accumulates features in order j = 0 .. p-1 for each class;
 * predict_batch runs the same operations column by column (vectorisable over
 * rows) in the same order, so both give bit-identical numbers.
 */
#include "ml/estimator.h"
#include "core/json.h"
#include "core/memory.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

/* Rows per block in predict_batch (the C x block accumulator stays in cache). */
#define NB_BLOCK 512

/* scikit-learn 1.2 (force_alpha=False) raises a smaller alpha to this. */
#define NB_ALPHA_MIN 1e-10

/* ------------------------------------------------------------------ shared */

/*
 * jll[0..k-1] -> probabilities out[0..k-1]: exp(jll - logsumexp(jll)) like
 * scikit-learn.  Classes with jll = -inf get 0.  When every class is -inf
 * (cannot happen with a fitted model, kept as a guard), the classes are
 * equally likely.
 */
static void
nb_softmax(const double *jll, int k, double *out)
{
	double		m = -INFINITY;
	double		s = 0.0;
	double		lse;

	for (int c = 0; c < k; c++)
		if (jll[c] > m)
			m = jll[c];
	if (!isfinite(m))
	{
		for (int c = 0; c < k; c++)
			out[c] = 1.0 / k;
		return;
	}
	for (int c = 0; c < k; c++)
		s += exp(jll[c] - m);
	lse = log(s) + m;
	for (int c = 0; c < k; c++)
		out[c] = exp(jll[c] - lse);
}

/* Rows per class of y (class indices stored as doubles, checked by the caller). */
static void
count_classes(const double *y, int n, int k, double *count)
{
	memset(count, 0, sizeof(double) * k);
	for (int i = 0; i < n; i++)
		count[(int) y[i]] += 1.0;
}

/*
 * Log prior of every class: log(count/total) when fit_prior, else uniform
 * over the classes that have rows.  Classes without rows get -inf.
 */
static void
log_priors(const double *count, int k, bool fit_prior, double *out)
{
	double		total = 0.0;
	int			present = 0;

	for (int c = 0; c < k; c++)
	{
		total += count[c];
		present += count[c] > 0;
	}
	for (int c = 0; c < k; c++)
	{
		if (count[c] <= 0)
			out[c] = -INFINITY;
		else if (fit_prior)
			out[c] = log(count[c]) - log(total);
		else
			out[c] = -log((double) present);
	}
}

/* =================================================================== Gaussian */

typedef struct GnbParams
{
	double		var_smoothing;
} GnbParams;

static const AmlParamSpec gnb_specs[] = {
	{"var_smoothing", AML_PARAM_DOUBLE, offsetof(GnbParams, var_smoothing), 1e-9, 0, INFINITY,
		false, false, false, NULL,
	"fraction of the largest feature variance added to every variance for stability"},
};

typedef struct GnbState
{
	int			k;				/* classes */
	int			p;				/* features */
	double		epsilon;		/* added to every variance */
	double	   *class_count;	/* k */
	double	   *class_prior;	/* k */
	double	   *theta;			/* k x p, class-major: theta[c * p + j] */
	double	   *var;			/* k x p, epsilon included (sklearn's var_) */
	/* derived, not serialised */
	double	   *log_prior;		/* k (-inf for an empty class) */
	double	   *log_norm;		/* k: -0.5 * sum_j log(2 pi var) */
	double	   *inv_var;		/* k x p: 1 / var */
} GnbState;

static void
gnb_free_state(AmlEstimator *est)
{
	GnbState   *s = est->state;

	if (s == NULL)
		return;
	aml_free(s->class_count);
	aml_free(s->class_prior);
	aml_free(s->theta);
	aml_free(s->var);
	aml_free(s->log_prior);
	aml_free(s->log_norm);
	aml_free(s->inv_var);
	aml_free(s);
	est->state = NULL;
}

static GnbState *
gnb_alloc(int k, int p)
{
	GnbState   *s = AML_NEW(GnbState);
	size_t		kp = (size_t) k * (size_t) p;

	if (s == NULL)
		return NULL;
	s->k = k;
	s->p = p;
	s->class_count = AML_NEW_ARRAY(double, k);
	s->class_prior = AML_NEW_ARRAY(double, k);
	s->log_prior = AML_NEW_ARRAY(double, k);
	s->log_norm = AML_NEW_ARRAY(double, k);
	s->theta = AML_NEW_ARRAY(double, kp > 0 ? kp : 1);
	s->var = AML_NEW_ARRAY(double, kp > 0 ? kp : 1);
	s->inv_var = AML_NEW_ARRAY(double, kp > 0 ? kp : 1);
	return s;
}

static bool
gnb_complete(const GnbState *s)
{
	return s->class_count && s->class_prior && s->log_prior && s->log_norm &&
		s->theta && s->var && s->inv_var;
}

/* Derived arrays from class_prior and var. */
static void
gnb_derive(GnbState *s)
{
	for (int c = 0; c < s->k; c++)
	{
		double		acc = 0.0;

		s->log_prior[c] = s->class_prior[c] > 0 ? log(s->class_prior[c]) : -INFINITY;
		for (int j = 0; j < s->p; j++)
		{
			double		v = s->var[(size_t) c * s->p + j];

			acc += log(2.0 * M_PI * v);
			s->inv_var[(size_t) c * s->p + j] = 1.0 / v;
		}
		s->log_norm[c] = -0.5 * acc;
	}
}

static AmlStatus
gnb_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const GnbParams *par = est->params;
	int			n = X->rows;
	int			p = X->cols;
	int			k = est->n_classes;
	GnbState   *s = gnb_alloc(k, p);
	double		max_var = 0.0;
	double		total = 0.0;

	if (s == NULL || !gnb_complete(s))
	{
		est->state = s;
		gnb_free_state(est);
		return aml_error_nomem(err, "a Gaussian naive Bayes model");
	}
	count_classes(y, n, k, s->class_count);
	for (int c = 0; c < k; c++)
		total += s->class_count[c];

	for (int j = 0; j < p; j++)
	{
		const double *col = AML_COL(X, j);
		double		sum = 0.0;
		double		mean;
		double		ssd = 0.0;

		/* overall population variance of the feature (for epsilon) */
		for (int i = 0; i < n; i++)
			sum += col[i];
		mean = sum / n;
		for (int i = 0; i < n; i++)
			ssd += (col[i] - mean) * (col[i] - mean);
		if (ssd / n > max_var)
			max_var = ssd / n;

		/* per-class mean, then per-class population variance */
		for (int i = 0; i < n; i++)
			s->theta[(size_t) y[i] * p + j] += col[i];
		for (int c = 0; c < k; c++)
			if (s->class_count[c] > 0)
				s->theta[(size_t) c * p + j] /= s->class_count[c];
		for (int i = 0; i < n; i++)
		{
			double		d = col[i] - s->theta[(size_t) y[i] * p + j];

			s->var[(size_t) y[i] * p + j] += d * d;
		}
		for (int c = 0; c < k; c++)
			if (s->class_count[c] > 0)
				s->var[(size_t) c * p + j] /= s->class_count[c];
	}
	s->epsilon = par->var_smoothing * max_var;
	for (size_t e = 0; e < (size_t) k * p; e++)
	{
		s->var[e] += s->epsilon;
		/* no smoothing at all and a constant feature: keep the variance positive */
		if (!(s->var[e] > 0))
			s->var[e] = DBL_MIN;
	}
	for (int c = 0; c < k; c++)
		s->class_prior[c] = s->class_count[c] / total;
	gnb_derive(s);
	est->state = s;
	return AML_OK;
}

/* jll of one row for class c (the exact sequence predict_batch repeats) */
static inline double
gnb_jll(const GnbState *s, int c, const double *x)
{
	const double *th = s->theta + (size_t) c * s->p;
	const double *iv = s->inv_var + (size_t) c * s->p;
	double		acc = 0.0;

	for (int j = 0; j < s->p; j++)
	{
		double		d = x[j] - th[j];

		acc += d * d * iv[j];
	}
	return s->log_prior[c] + (s->log_norm[c] - 0.5 * acc);
}

static void
gnb_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const GnbState *s = est->state;

	/* out doubles as the jll buffer: nb_softmax reads all before writing */
	for (int c = 0; c < s->k; c++)
		out[c] = isinf(s->log_prior[c]) ? -INFINITY : gnb_jll(s, c, x);
	nb_softmax(out, s->k, out);
}

static AmlStatus
gnb_predict_batch(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out, AmlError *err)
{
	const GnbState *s = est->state;
	int			n = X->rows;
	int			k = s->k;
	/* NB_BLOCK sums per class, then one row's k log-likelihoods and k probabilities */
	double	   *acc = AML_NEW_ARRAY(double, (size_t) NB_BLOCK * k + 2 * (size_t) k);
	double	   *jll;
	double	   *prob;

	if (acc == NULL)
		return aml_error_nomem(err, "a prediction buffer");
	jll = acc + (size_t) NB_BLOCK * k;
	prob = jll + k;
	for (int i0 = 0; i0 < n; i0 += NB_BLOCK)
	{
		int			b = n - i0 < NB_BLOCK ? n - i0 : NB_BLOCK;

		memset(acc, 0, sizeof(double) * (size_t) NB_BLOCK * k);
		for (int c = 0; c < k; c++)
		{
			double	   *a = acc + (size_t) c * NB_BLOCK;

			if (isinf(s->log_prior[c]))
				continue;
			for (int j = 0; j < s->p; j++)
			{
				const double *col = AML_COL(X, j) + i0;
				double		th = s->theta[(size_t) c * s->p + j];
				double		iv = s->inv_var[(size_t) c * s->p + j];

				for (int i = 0; i < b; i++)
				{
					double		d = col[i] - th;

					a[i] += d * d * iv;
				}
			}
		}
		for (int i = 0; i < b; i++)
		{
			for (int c = 0; c < k; c++)
				jll[c] = isinf(s->log_prior[c]) ? -INFINITY :
					s->log_prior[c] + (s->log_norm[c] - 0.5 * acc[(size_t) c * NB_BLOCK + i]);
			nb_softmax(jll, k, prob);
			for (int c = 0; c < k; c++)
				AML_AT(out, i0 + i, c) = prob[c];
		}
	}
	aml_free(acc);
	return AML_OK;
}

static json_object *
gnb_state_to_json(const AmlEstimator *est)
{
	const GnbState *s = est->state;
	json_object *o = json_object_new_object();
	AmlMatrix	theta = aml_matrix_view(s->p, s->k, s->theta);
	AmlMatrix	var = aml_matrix_view(s->p, s->k, s->var);

	json_object_object_add(o, "epsilon", aml_json_new_double(s->epsilon));
	json_object_object_add(o, "class_count", aml_json_new_double_array(s->class_count, s->k));
	json_object_object_add(o, "class_prior", aml_json_new_double_array(s->class_prior, s->k));
	/* p x k: column c holds class c (the class-major array as is) */
	json_object_object_add(o, "theta", aml_json_new_matrix(&theta));
	json_object_object_add(o, "var", aml_json_new_matrix(&var));
	return o;
}

/* Read a p x k matrix field into dst (k * p doubles). */
static AmlStatus
read_class_matrix(json_object *obj, const char *key, int p, int k, double *dst,
				  const char *what, AmlError *err)
{
	AmlMatrix  *m;

	AML_TRY(aml_json_get_matrix(obj, key, &m, what, err));
	if (m->rows != p || m->cols != k)
	{
		aml_error(err, AML_ERR_BAD_FORMAT, "field \"%s\" of %s is %d x %d, expected %d x %d",
				  key, what, m->rows, m->cols, p, k);
		aml_matrix_free(m);
		return err->status;
	}
	if ((size_t) p * k > 0)
		memcpy(dst, m->data, sizeof(double) * (size_t) p * k);
	aml_matrix_free(m);
	return AML_OK;
}

static AmlStatus
gnb_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	const char *what = "gaussian_nb state";
	GnbState   *s = gnb_alloc(est->n_classes, est->n_features);

	est->state = s;
	if (s == NULL || !gnb_complete(s))
	{
		gnb_free_state(est);
		return aml_error_nomem(err, what);
	}
	if (aml_json_get_double(state, "epsilon", &s->epsilon, what, err) != AML_OK ||
		aml_json_get_double_array(state, "class_count", s->class_count, s->k, what, err) != AML_OK ||
		aml_json_get_double_array(state, "class_prior", s->class_prior, s->k, what, err) != AML_OK ||
		read_class_matrix(state, "theta", s->p, s->k, s->theta, what, err) != AML_OK ||
		read_class_matrix(state, "var", s->p, s->k, s->var, what, err) != AML_OK)
	{
		gnb_free_state(est);
		return err->status;
	}
	gnb_derive(s);
	return AML_OK;
}

const AmlEstimatorType aml_gaussian_nb_type = {
	.name = "gaussian_nb",
	.label = "Gaussian naive Bayes",
	.tasks = AML_TASK_CLASSIFICATION,
	.params = {gnb_specs, AML_PARAM_COUNT(gnb_specs), sizeof(GnbParams)},
	.handles_missing = false,
	.needs_scaling = false,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = gnb_fit,
	.predict_row = gnb_predict_row,
	.predict_batch = gnb_predict_batch,
	.state_to_json = gnb_state_to_json,
	.state_from_json = gnb_state_from_json,
	.free_state = gnb_free_state,
};

/* ========================================================== discrete models */

/*
 * Bernoulli and multinomial NB share one state: per class a weight per
 * feature and a bias, jll[c] = sum_j f(x_j) * w[c][j] + bias[c], where f is
 * the binarisation (Bernoulli) or the identity (multinomial).
 */
typedef struct DnbParams
{
	double		alpha;
	double		binarize;		/* Bernoulli only; NaN = none (X already binary) */
	bool		fit_prior;
} DnbParams;

static const AmlParamSpec bnb_specs[] = {
	{"alpha", AML_PARAM_DOUBLE, offsetof(DnbParams, alpha), 1.0, 0, INFINITY,
		false, false, false, NULL,
	"additive (Laplace/Lidstone) smoothing of the feature counts"},
	{"binarize", AML_PARAM_DOUBLE, offsetof(DnbParams, binarize), 0.0, -INFINITY, INFINITY,
		false, false, true, NULL,
	"threshold above which a feature counts as 1 (null: features are already 0/1)"},
	{"fit_prior", AML_PARAM_BOOL, offsetof(DnbParams, fit_prior), 1, 0, 1,
		false, false, false, NULL,
	"learn class priors from the data (false: uniform priors)"},
};

static const AmlParamSpec mnb_specs[] = {
	{"alpha", AML_PARAM_DOUBLE, offsetof(DnbParams, alpha), 1.0, 0, INFINITY,
		false, false, false, NULL,
	"additive (Laplace/Lidstone) smoothing of the feature counts"},
	{"fit_prior", AML_PARAM_BOOL, offsetof(DnbParams, fit_prior), 1, 0, 1,
		false, false, false, NULL,
	"learn class priors from the data (false: uniform priors)"},
};

typedef struct DnbState
{
	int			k;
	int			p;
	bool		bernoulli;
	double		threshold;		/* Bernoulli: binarisation threshold, NaN = none */
	double	   *class_count;	/* k */
	double	   *feature_count;	/* k x p class-major */
	double	   *class_log_prior;	/* k */
	double	   *feature_log_prob;	/* k x p class-major */
	/* derived */
	double	   *w;				/* k x p class-major */
	double	   *bias;			/* k */
} DnbState;

static void
dnb_free_state(AmlEstimator *est)
{
	DnbState   *s = est->state;

	if (s == NULL)
		return;
	aml_free(s->class_count);
	aml_free(s->feature_count);
	aml_free(s->class_log_prior);
	aml_free(s->feature_log_prob);
	aml_free(s->w);
	aml_free(s->bias);
	aml_free(s);
	est->state = NULL;
}

static DnbState *
dnb_alloc(int k, int p, bool bernoulli)
{
	DnbState   *s = AML_NEW(DnbState);
	size_t		kp = (size_t) k * (size_t) p;

	if (s == NULL)
		return NULL;
	s->k = k;
	s->p = p;
	s->bernoulli = bernoulli;
	s->class_count = AML_NEW_ARRAY(double, k);
	s->class_log_prior = AML_NEW_ARRAY(double, k);
	s->bias = AML_NEW_ARRAY(double, k);
	s->feature_count = AML_NEW_ARRAY(double, kp > 0 ? kp : 1);
	s->feature_log_prob = AML_NEW_ARRAY(double, kp > 0 ? kp : 1);
	s->w = AML_NEW_ARRAY(double, kp > 0 ? kp : 1);
	return s;
}

static bool
dnb_complete(const DnbState *s)
{
	return s->class_count && s->class_log_prior && s->bias && s->feature_count &&
		s->feature_log_prob && s->w;
}

/* Weights and biases from feature_log_prob and class_log_prior (as sklearn). */
static void
dnb_derive(DnbState *s)
{
	for (int c = 0; c < s->k; c++)
	{
		const double *flp = s->feature_log_prob + (size_t) c * s->p;
		double	   *w = s->w + (size_t) c * s->p;

		if (s->bernoulli)
		{
			double		neg_sum = 0.0;

			for (int j = 0; j < s->p; j++)
			{
				double		neg = log(1.0 - exp(flp[j]));

				w[j] = flp[j] - neg;
				neg_sum += neg;
			}
			s->bias[c] = s->class_log_prior[c] + neg_sum;
		}
		else
		{
			memcpy(w, flp, sizeof(double) * s->p);
			s->bias[c] = s->class_log_prior[c];
		}
	}
}

static double
dnb_alpha(const DnbParams *par)
{
	return par->alpha < NB_ALPHA_MIN ? NB_ALPHA_MIN : par->alpha;
}

/* Binarised value of a feature (Bernoulli) or the value itself. */
static inline double
dnb_feature(const DnbState *s, double v)
{
	if (!s->bernoulli || isnan(s->threshold))
		return v;
	return v > s->threshold ? 1.0 : 0.0;
}

static AmlStatus
dnb_fit_common(AmlEstimator *est, const AmlMatrix *X, const double *y, bool bernoulli,
			   AmlError *err)
{
	const DnbParams *par = est->params;
	int			n = X->rows;
	int			p = X->cols;
	int			k = est->n_classes;
	double		alpha = dnb_alpha(par);
	DnbState   *s = dnb_alloc(k, p, bernoulli);

	if (s == NULL || !dnb_complete(s))
	{
		est->state = s;
		dnb_free_state(est);
		return aml_error_nomem(err, "a naive Bayes model");
	}
	s->threshold = bernoulli ? par->binarize : NAN;
	count_classes(y, n, k, s->class_count);
	for (int j = 0; j < p; j++)
	{
		const double *col = AML_COL(X, j);

		for (int i = 0; i < n; i++)
			s->feature_count[(size_t) y[i] * p + j] += dnb_feature(s, col[i]);
	}
	for (int c = 0; c < k; c++)
	{
		const double *fc = s->feature_count + (size_t) c * p;
		double	   *flp = s->feature_log_prob + (size_t) c * p;
		double		denom;

		if (bernoulli)
			denom = s->class_count[c] + alpha * 2;
		else
		{
			denom = 0.0;
			for (int j = 0; j < p; j++)
				denom += fc[j] + alpha;
		}
		denom = log(denom);
		for (int j = 0; j < p; j++)
			flp[j] = log(fc[j] + alpha) - denom;
	}
	log_priors(s->class_count, k, par->fit_prior, s->class_log_prior);
	dnb_derive(s);
	est->state = s;
	return AML_OK;
}

static AmlStatus
bnb_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	return dnb_fit_common(est, X, y, true, err);
}

static AmlStatus
mnb_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	return dnb_fit_common(est, X, y, false, err);
}

static void
dnb_predict_row(const AmlEstimator *est, const double *x, double *out)
{
	const DnbState *s = est->state;
	int			p = s->p;
	bool		binarize = s->bernoulli && !isnan(s->threshold);
	double		t = s->threshold;

	for (int c = 0; c < s->k; c++)
	{
		const double *w = s->w + (size_t) c * p;
		double		acc = 0.0;

		if (isinf(s->class_log_prior[c]))
		{
			out[c] = -INFINITY;
			continue;
		}
		/* sum_j f(x_j) w[c][j] in order j = 0 .. p-1, as predict_batch */
		if (binarize)
			for (int j = 0; j < p; j++)
				acc += (x[j] > t ? 1.0 : 0.0) * w[j];
		else
			for (int j = 0; j < p; j++)
				acc += x[j] * w[j];
		out[c] = acc + s->bias[c];
	}
	nb_softmax(out, s->k, out);
}

static AmlStatus
dnb_predict_batch(const AmlEstimator *est, const AmlMatrix *X, AmlMatrix *out, AmlError *err)
{
	const DnbState *s = est->state;
	int			n = X->rows;
	int			k = s->k;
	bool		binarize = s->bernoulli && !isnan(s->threshold);
	double	   *acc = AML_NEW_ARRAY(double, (size_t) NB_BLOCK * (k + 1) + 2 * (size_t) k);
	double	   *f;
	double	   *jll;
	double	   *prob;

	if (acc == NULL)
		return aml_error_nomem(err, "a prediction buffer");
	f = acc + (size_t) NB_BLOCK * k;
	jll = f + NB_BLOCK;
	prob = jll + k;
	for (int i0 = 0; i0 < n; i0 += NB_BLOCK)
	{
		int			b = n - i0 < NB_BLOCK ? n - i0 : NB_BLOCK;

		memset(acc, 0, sizeof(double) * (size_t) NB_BLOCK * k);
		for (int j = 0; j < s->p; j++)
		{
			const double *col = AML_COL(X, j) + i0;
			const double *src = col;

			if (binarize)
			{
				double		t = s->threshold;

				for (int i = 0; i < b; i++)
					f[i] = col[i] > t ? 1.0 : 0.0;
				src = f;
			}
			for (int c = 0; c < k; c++)
			{
				double	   *a = acc + (size_t) c * NB_BLOCK;
				double		w = s->w[(size_t) c * s->p + j];

				for (int i = 0; i < b; i++)
					a[i] += src[i] * w;
			}
		}
		for (int i = 0; i < b; i++)
		{
			for (int c = 0; c < k; c++)
				jll[c] = isinf(s->class_log_prior[c]) ? -INFINITY :
					acc[(size_t) c * NB_BLOCK + i] + s->bias[c];
			nb_softmax(jll, k, prob);
			for (int c = 0; c < k; c++)
				AML_AT(out, i0 + i, c) = prob[c];
		}
	}
	aml_free(acc);
	return AML_OK;
}

static json_object *
dnb_state_to_json(const AmlEstimator *est)
{
	const DnbState *s = est->state;
	json_object *o = json_object_new_object();
	AmlMatrix	fc = aml_matrix_view(s->p, s->k, s->feature_count);
	AmlMatrix	flp = aml_matrix_view(s->p, s->k, s->feature_log_prob);

	if (s->bernoulli)
		json_object_object_add(o, "threshold",
							   isnan(s->threshold) ? NULL : aml_json_new_double(s->threshold));
	json_object_object_add(o, "class_count", aml_json_new_double_array(s->class_count, s->k));
	json_object_object_add(o, "class_log_prior",
						   aml_json_new_double_array(s->class_log_prior, s->k));
	/* p x k: column c holds class c */
	json_object_object_add(o, "feature_count", aml_json_new_matrix(&fc));
	json_object_object_add(o, "feature_log_prob", aml_json_new_matrix(&flp));
	return o;
}

static AmlStatus
dnb_state_from_json(AmlEstimator *est, json_object *state, bool bernoulli, AmlError *err)
{
	const char *what = bernoulli ? "bernoulli_nb state" : "multinomial_nb state";
	DnbState   *s = dnb_alloc(est->n_classes, est->n_features, bernoulli);

	est->state = s;
	if (s == NULL || !dnb_complete(s))
	{
		dnb_free_state(est);
		return aml_error_nomem(err, what);
	}
	s->threshold = NAN;
	if (bernoulli)
	{
		json_object *t;

		if (!json_object_object_get_ex(state, "threshold", &t))
		{
			dnb_free_state(est);
			return aml_error(err, AML_ERR_BAD_FORMAT, "%s has no field \"threshold\"", what);
		}
		if (t != NULL && !aml_json_as_double(t, &s->threshold))
		{
			dnb_free_state(est);
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "field \"threshold\" of %s is not a number", what);
		}
	}
	if (aml_json_get_double_array(state, "class_count", s->class_count, s->k, what, err) != AML_OK ||
		aml_json_get_double_array(state, "class_log_prior", s->class_log_prior, s->k,
								  what, err) != AML_OK ||
		read_class_matrix(state, "feature_count", s->p, s->k, s->feature_count, what, err) != AML_OK ||
		read_class_matrix(state, "feature_log_prob", s->p, s->k, s->feature_log_prob,
						  what, err) != AML_OK)
	{
		dnb_free_state(est);
		return err->status;
	}
	dnb_derive(s);
	return AML_OK;
}

static AmlStatus
bnb_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	return dnb_state_from_json(est, state, true, err);
}

static AmlStatus
mnb_state_from_json(AmlEstimator *est, json_object *state, AmlError *err)
{
	return dnb_state_from_json(est, state, false, err);
}

const AmlEstimatorType aml_bernoulli_nb_type = {
	.name = "bernoulli_nb",
	.label = "Bernoulli naive Bayes",
	.tasks = AML_TASK_CLASSIFICATION,
	.params = {bnb_specs, AML_PARAM_COUNT(bnb_specs), sizeof(DnbParams)},
	.handles_missing = false,
	/* binarize=0 is meaningful on centred features: default preprocessing standardises */
	.needs_scaling = true,
	.needs_nonnegative = false,
	.probabilistic = true,
	.fit = bnb_fit,
	.predict_row = dnb_predict_row,
	.predict_batch = dnb_predict_batch,
	.state_to_json = dnb_state_to_json,
	.state_from_json = bnb_state_from_json,
	.free_state = dnb_free_state,
};

const AmlEstimatorType aml_multinomial_nb_type = {
	.name = "multinomial_nb",
	.label = "multinomial naive Bayes",
	.tasks = AML_TASK_CLASSIFICATION,
	.params = {mnb_specs, AML_PARAM_COUNT(mnb_specs), sizeof(DnbParams)},
	.handles_missing = false,
	.needs_scaling = false,
	.needs_nonnegative = true,
	.probabilistic = true,
	.fit = mnb_fit,
	.predict_row = dnb_predict_row,
	.predict_batch = dnb_predict_batch,
	.state_to_json = dnb_state_to_json,
	.state_from_json = mnb_state_from_json,
	.free_state = dnb_free_state,
};
