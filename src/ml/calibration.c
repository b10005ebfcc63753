/*
 * calibration.c — Platt, isotonic and temperature calibration of class
 * probabilities, the choice among them on out-of-fold predictions, and the
 * calibrator's JSON (calibration.h; its decision: decision.c).
 */
#include "ml/calibration.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/random.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PROB_EPS 1e-15

static const char *const method_names[] = {"none", "platt", "isotonic", "temperature"};

const char *
aml_calibration_method_name(AmlCalibrationMethod m)
{
	return method_names[m];
}

bool
aml_calibration_method_parse(const char *name, AmlCalibrationMethod *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, method_names[i]) == 0)
		{
			*out = (AmlCalibrationMethod) i;
			return true;
		}
	return false;
}

void
aml_calibrator_free(AmlCalibrator *c)
{
	if (c == NULL)
		return;
	aml_free(c->x);
	aml_free(c->y);
	aml_free(c->class_weights);
	aml_free(c);
}

static inline double
clip_prob(double p)
{
	return p < PROB_EPS ? PROB_EPS : p > 1 - PROB_EPS ? 1 - PROB_EPS : p;
}

static inline double
logit(double p)
{
	p = clip_prob(p);
	return log(p / (1 - p));
}

static inline double
sigmoid(double z)
{
	return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

/* ------------------------------------------------------------------ Platt */

static double
platt_loss(const double *s, const double *t, int n, double a, double b)
{
	double		l = 0;

	for (int i = 0; i < n; i++)
	{
		double		z = a * s[i] + b;

		/* -(t log q + (1 - t) log(1 - q)) = log(1 + e^z) - t z */
		l += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - t[i] * z;
	}
	return l;
}

static AmlStatus
platt_fit(AmlCalibrator *c, const AmlMatrix *proba, const double *y, AmlError *err)
{
	int			n = proba->rows;
	double	   *s = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	double	   *t = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	double		npos = 0,
				nneg = 0;
	double		a = 1,
				b = 0;
	double		loss;

	if (s == NULL || t == NULL)
	{
		aml_free(s);
		aml_free(t);
		return aml_error_nomem(err, "Platt scaling");
	}
	for (int i = 0; i < n; i++)
	{
		s[i] = logit(AML_AT(proba, i, 1));
		if ((int) y[i] == 1)
			npos++;
		else
			nneg++;
	}
	for (int i = 0; i < n; i++)
		t[i] = (int) y[i] == 1 ? (npos + 1) / (npos + 2) : 1 / (nneg + 2);
	loss = platt_loss(s, t, n, a, b);
	for (int it = 0; it < 100; it++)
	{
		double		g0 = 0,
					g1 = 0,
					h00 = 1e-12,
					h01 = 0,
					h11 = 1e-12,
					det,
					da,
					db,
					step = 1;
		bool		moved = false;

		for (int i = 0; i < n; i++)
		{
			double		q = sigmoid(a * s[i] + b);
			double		w = q * (1 - q);

			g0 += (q - t[i]) * s[i];
			g1 += q - t[i];
			h00 += w * s[i] * s[i];
			h01 += w * s[i];
			h11 += w;
		}
		det = h00 * h11 - h01 * h01;
		if (!(det > 0))
			break;
		da = (h11 * g0 - h01 * g1) / det;
		db = (h00 * g1 - h01 * g0) / det;
		while (step > 1e-10)
		{
			double		na = a - step * da,
						nb = b - step * db;
			double		nl = platt_loss(s, t, n, na, nb);

			if (nl < loss)
			{
				moved = fabs(loss - nl) > 1e-14 * fmax(1, fabs(loss));
				a = na;
				b = nb;
				loss = nl;
				break;
			}
			step /= 2;
		}
		if (!moved)
			break;
	}
	c->a = a;
	c->b = b;
	aml_free(s);
	aml_free(t);
	return AML_OK;
}

/* ------------------------------------------------------------------ isotonic */

typedef struct XY
{
	double		x;
	double		y;
} XY;

static int
by_x(const void *a, const void *b)
{
	double		u = ((const XY *) a)->x,
				v = ((const XY *) b)->x;

	return u < v ? -1 : u > v;
}

/*
 * The isotonic fit's values v (m points) become (n v + 1) / (n + 2), n the
 * rows it was fitted on: its runs of 0 and 1 at the ends become Laplace's
 * estimates 1 / (n + 2) and (n + 1) / (n + 2), and the map keeps its order
 * (an affine map of it: the same steps, the same decisions by a threshold
 * moved with it).  The pool-adjacent-violators fit alone (scikit-learn's)
 * says 0 or 1 at its ends, and one row of a new relation there, of the
 * other class, then costs log(1e-15) = -34.5 in log loss (ionosphere's 88
 * test rows: 0.24 before calibration, 0.89 after).
 */
static void
laplace_shrink(double *v, int m, int n)
{
	for (int i = 0; i < m; i++)
		v[i] = ((double) n * v[i] + 1) / ((double) n + 2);
}

static AmlStatus
isotonic_fit(AmlCalibrator *c, const AmlMatrix *proba, const double *y, AmlError *err)
{
	int			n = proba->rows;
	XY		   *d = AML_NEW_ARRAY(XY, n > 0 ? n : 1);
	double	   *ux = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	double	   *uy = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	double	   *uw = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	int		   *start = AML_NEW_ARRAY(int, n > 0 ? n : 1);
	int			m = 0,
				blocks = 0;

	if (!d || !ux || !uy || !uw || !start)
	{
		aml_free(d);
		aml_free(ux);
		aml_free(uy);
		aml_free(uw);
		aml_free(start);
		return aml_error_nomem(err, "isotonic calibration");
	}
	for (int i = 0; i < n; i++)
	{
		d[i].x = AML_AT(proba, i, 1);
		d[i].y = (int) y[i] == 1;
	}
	qsort(d, n, sizeof(XY), by_x);
	/* equal x: one point with the mean y and the count as weight */
	for (int i = 0; i < n; i++)
	{
		if (m > 0 && ux[m - 1] == d[i].x)
		{
			uy[m - 1] += d[i].y;
			uw[m - 1] += 1;
		}
		else
		{
			ux[m] = d[i].x;
			uy[m] = d[i].y;
			uw[m] = 1;
			m++;
		}
	}
	for (int i = 0; i < m; i++)
		uy[i] /= uw[i];
	/* pool adjacent violators: blocks of points sharing their weighted mean */
	{
		double	   *bv = AML_NEW_ARRAY(double, m > 0 ? m : 1);
		double	   *bw = AML_NEW_ARRAY(double, m > 0 ? m : 1);

		if (!bv || !bw)
		{
			aml_free(bv);
			aml_free(bw);
			aml_free(d);
			aml_free(ux);
			aml_free(uy);
			aml_free(uw);
			aml_free(start);
			return aml_error_nomem(err, "isotonic calibration");
		}
		for (int i = 0; i < m; i++)
		{
			bv[blocks] = uy[i];
			bw[blocks] = uw[i];
			start[blocks] = i;
			blocks++;
			while (blocks > 1 && bv[blocks - 2] > bv[blocks - 1])
			{
				double		w = bw[blocks - 2] + bw[blocks - 1];

				bv[blocks - 2] = (bv[blocks - 2] * bw[blocks - 2] + bv[blocks - 1] * bw[blocks - 1]) / w;
				bw[blocks - 2] = w;
				blocks--;
			}
		}
		for (int k = 0; k < blocks; k++)
		{
			int			end = k + 1 < blocks ? start[k + 1] : m;

			for (int i = start[k]; i < end; i++)
				uy[i] = bv[k];
		}
		aml_free(bv);
		aml_free(bw);
	}
	laplace_shrink(uy, m, n);
	c->n_points = m;
	c->x = ux;
	c->y = uy;
	aml_free(d);
	aml_free(uw);
	aml_free(start);
	return AML_OK;
}

static double
isotonic_at(const AmlCalibrator *c, double x)
{
	int			lo = 0,
				hi = c->n_points - 1;

	if (c->n_points == 0)
		return 0.5;
	if (x <= c->x[0])
		return c->y[0];
	if (x >= c->x[hi])
		return c->y[hi];
	while (hi - lo > 1)
	{
		int			mid = (lo + hi) / 2;

		if (c->x[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return c->y[lo] + (c->y[hi] - c->y[lo]) * (x - c->x[lo]) / (c->x[hi] - c->x[lo]);
}

/* ------------------------------------------------------------------ temperature */

/* softmax(logp / T) of a row of log-probabilities */
static void
temperature_row_of_logs(const double *logp, double *out, int K, double T)
{
	double		mx = -INFINITY,
				sum = 0;

	for (int k = 0; k < K; k++)
	{
		out[k] = logp[k] / T;
		if (out[k] > mx)
			mx = out[k];
	}
	for (int k = 0; k < K; k++)
		sum += (out[k] = exp(out[k] - mx));
	for (int k = 0; k < K; k++)
		out[k] /= sum;
}

static void
temperature_row(const double *in, double *out, int K, double T)
{
	for (int k = 0; k < K; k++)
		out[k] = log(clip_prob(in[k]));
	temperature_row_of_logs(out, out, K, T);
}

/*
 * Temperature scaling minimises the log loss of softmax(beta l_i) over
 * beta = 1 / T in [e^-4, e^4], l_i the row's log-probabilities.  The loss is
 * convex in beta: its derivative is sum_i (E[l_i] - l_{i,y_i}) and its second
 * derivative sum_i Var[l_i], both under softmax(beta l_i).  One pass over the
 * cells gives both, so a safeguarded Newton method (a geometric bisection of
 * the bracket when a step leaves it) takes about 5 to 10 passes of exp where
 * a golden-section search of the loss took 62: temperature scaling of many
 * classes is most of a search's end (aml_search_post_seconds).
 */
#define TEMPERATURE_LOG_BOUND 4.0

static void
temperature_derivatives(const double *logp, int n, int K, const double *y, double beta,
						double *d1, double *d2)
{
	double		g = 0,
				h = 0;

	for (int i = 0; i < n; i++)
	{
		const double *l = logp + (size_t) i * K;
		double		mx = -INFINITY,
					sum = 0,
					m1 = 0,
					m2 = 0;

		for (int k = 0; k < K; k++)
			if (l[k] > mx)
				mx = l[k];
		/* moments of l - mx (the same variance, the same E[l] - l_y) */
		for (int k = 0; k < K; k++)
		{
			double		d = l[k] - mx;
			double		e = exp(beta * d);

			sum += e;
			m1 += e * d;
			m2 += e * d * d;
		}
		m1 /= sum;
		m2 /= sum;
		g += m1 - (l[(int) y[i]] - mx);
		h += fmax(m2 - m1 * m1, 0);
	}
	*d1 = g;
	*d2 = h;
}

static AmlStatus
temperature_fit(AmlCalibrator *c, const AmlMatrix *proba, const double *y, AmlError *err)
{
	int			n = proba->rows;
	int			K = proba->cols;
	double	   *row = aml_alloc_array((size_t) n * K, sizeof(double));	/* log-probabilities */
	double		lo = exp(-TEMPERATURE_LOG_BOUND),
				hi = exp(TEMPERATURE_LOG_BOUND);
	double		beta = 1;
	bool		tried_lo = false,
				tried_hi = false;

	if (!row)
		return aml_error_nomem(err, "temperature scaling");
	for (int i = 0; i < n; i++)
		for (int k = 0; k < K; k++)
			row[(size_t) i * K + k] = log(clip_prob(AML_AT(proba, i, k)));
	for (int it = 0; it < 200; it++)
	{
		double		g,
					h,
					next;

		temperature_derivatives(row, n, K, y, beta, &g, &h);
		if (g == 0)
			break;
		if (g > 0)
			hi = beta;
		else
			lo = beta;
		next = h > 0 ? beta - g / h : NAN;
		/* a step out of the bracket: the bound itself when the minimum is there */
		if (!(next < hi) && !tried_hi && hi == exp(TEMPERATURE_LOG_BOUND))
		{
			tried_hi = true;
			temperature_derivatives(row, n, K, y, hi, &g, &h);
			if (g <= 0)
			{
				beta = hi;
				break;
			}
		}
		else if (!(next > lo) && !tried_lo && lo == exp(-TEMPERATURE_LOG_BOUND))
		{
			tried_lo = true;
			temperature_derivatives(row, n, K, y, lo, &g, &h);
			if (g >= 0)
			{
				beta = lo;
				break;
			}
		}
		if (!(next > lo && next < hi))
			next = sqrt(lo * hi);
		if (fabs(next - beta) <= 1e-13 * beta || hi - lo <= 1e-13 * lo)
		{
			beta = next;
			break;
		}
		beta = next;
	}
	c->temperature = 1 / beta;
	c->rows = n;
	aml_free(row);
	return AML_OK;
}

/* ------------------------------------------------------------------ fit and apply */

AmlStatus
aml_calibrator_fit(AmlCalibrationMethod method, const AmlMatrix *proba, const double *y,
				   int n_classes, AmlCalibrator **out, AmlError *err)
{
	AmlCalibrator *c;
	AmlStatus	st = AML_OK;

	*out = NULL;
	if (proba->cols != n_classes || n_classes < 2)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "calibration needs one probability per class");
	if ((method == AML_CALIBRATION_PLATT || method == AML_CALIBRATION_ISOTONIC) && n_classes != 2)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "%s calibration needs two classes", method_names[method]);
	for (int i = 0; i < proba->rows; i++)
		if (!(y[i] >= 0 && y[i] < n_classes))
			return aml_error(err, AML_ERR_INVALID_DATA, "invalid class index %g", y[i]);
	c = AML_NEW(AmlCalibrator);
	if (c == NULL)
		return aml_error_nomem(err, "a calibrator");
	c->method = method;
	c->n_classes = n_classes;
	c->a = 1;
	c->temperature = 1;
	c->threshold = 0.5;
	if (method == AML_CALIBRATION_PLATT)
		st = platt_fit(c, proba, y, err);
	else if (method == AML_CALIBRATION_ISOTONIC)
		st = isotonic_fit(c, proba, y, err);
	else if (method == AML_CALIBRATION_TEMPERATURE)
		st = temperature_fit(c, proba, y, err);
	if (st != AML_OK)
	{
		aml_calibrator_free(c);
		return st;
	}
	*out = c;
	return AML_OK;
}

void
aml_calibrator_apply_row(const AmlCalibrator *c, const double *in, double *out)
{
	int			K = c->n_classes;

	switch (c->method)
	{
		case AML_CALIBRATION_NONE:
			if (out != in)
				memcpy(out, in, sizeof(double) * K);
			break;
		case AML_CALIBRATION_PLATT:
			{
				double		p = sigmoid(c->a * logit(in[1]) + c->b);

				out[1] = p;
				out[0] = 1 - p;
				break;
			}
		case AML_CALIBRATION_ISOTONIC:
			{
				double		p = isotonic_at(c, in[1]);

				out[1] = p;
				out[0] = 1 - p;
				break;
			}
		case AML_CALIBRATION_TEMPERATURE:
			{
				double		tmp[64];

				if (K <= 64)
				{
					memcpy(tmp, in, sizeof(double) * K);
					temperature_row(tmp, out, K, c->temperature);
				}
				else
					temperature_row(in, out, K, c->temperature);	/* in != out for wide rows */
				if (c->rows > 0)
					for (int k = 0; k < K; k++)
						out[k] = ((double) c->rows * out[k] + 1) / ((double) c->rows + K);
				break;
			}
	}
}

AmlStatus
aml_calibrator_apply(const AmlCalibrator *c, const AmlMatrix *proba, AmlMatrix *out,
					 AmlError *err)
{
	int			K = c->n_classes;
	double	   *row = AML_NEW_ARRAY(double, 2 * K);

	if (row == NULL)
		return aml_error_nomem(err, "calibrated probabilities");
	for (int i = 0; i < proba->rows; i++)
	{
		for (int k = 0; k < K; k++)
			row[k] = AML_AT(proba, i, k);
		aml_calibrator_apply_row(c, row, row + K);
		for (int k = 0; k < K; k++)
			AML_AT(out, i, k) = row[K + k];
	}
	aml_free(row);
	return AML_OK;
}

static double
log_loss_of(const AmlMatrix *p, const double *y)
{
	double		l = 0;

	for (int i = 0; i < p->rows; i++)
		l -= log(clip_prob(AML_AT(p, i, (int) y[i])));
	return p->rows > 0 ? l / p->rows : 0;
}

AmlStatus
aml_calibration_choose(const AmlMatrix *oof, const double *y, int n_classes, int folds,
					   uint64_t seed, AmlCalibrator **out, double *logloss_none,
					   double *logloss_best, AmlError *err)
{
	int			n = oof->rows;
	int			K = n_classes;
	int		   *fold = AML_NEW_ARRAY(int, n > 0 ? n : 1);
	int		   *perm = AML_NEW_ARRAY(int, n > 0 ? n : 1);
	AmlMatrix  *cal = aml_matrix_new(n, K);
	AmlCalibrationMethod candidates[3];
	int			n_cand = 0;
	AmlCalibrationMethod best = AML_CALIBRATION_NONE;
	double		best_loss;
	AmlRng		rng;
	AmlStatus	st = AML_OK;

	*out = NULL;
	if (!fold || !perm || !cal)
	{
		st = aml_error_nomem(err, "calibration");
		goto done;
	}
	if (folds < 2)
		folds = 2;
	if (n < 2 * folds)
		folds = n >= 4 ? 2 : 0;
	aml_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
		perm[i] = i;
	aml_rng_shuffle(&rng, perm, n);
	for (int i = 0; i < n; i++)
		fold[perm[i]] = folds > 0 ? i % folds : 0;
	if (K == 2)
	{
		candidates[n_cand++] = AML_CALIBRATION_PLATT;
		candidates[n_cand++] = AML_CALIBRATION_ISOTONIC;
	}
	candidates[n_cand++] = AML_CALIBRATION_TEMPERATURE;
	best_loss = *logloss_none = log_loss_of(oof, y);
	for (int m = 0; m < n_cand && folds > 0; m++)
	{
		for (int f = 0; f < folds && st == AML_OK; f++)
		{
			int			ntr = 0,
						nte = 0;
			AmlMatrix  *tr,
					   *te,
					   *tec;
			double	   *ytr;
			AmlCalibrator *c = NULL;

			for (int i = 0; i < n; i++)
				ntr += fold[i] != f;
			nte = n - ntr;
			tr = aml_matrix_new(ntr, K);
			te = aml_matrix_new(nte, K);
			tec = aml_matrix_new(nte, K);
			ytr = AML_NEW_ARRAY(double, ntr > 0 ? ntr : 1);
			if (!tr || !te || !tec || !ytr)
				st = aml_error_nomem(err, "calibration");
			else
			{
				int			a = 0,
							b = 0;

				for (int i = 0; i < n; i++)
				{
					if (fold[i] != f)
					{
						for (int k = 0; k < K; k++)
							AML_AT(tr, a, k) = AML_AT(oof, i, k);
						ytr[a++] = y[i];
					}
					else
					{
						for (int k = 0; k < K; k++)
							AML_AT(te, b, k) = AML_AT(oof, i, k);
						b++;
					}
				}
				st = aml_calibrator_fit(candidates[m], tr, ytr, K, &c, err);
				if (st == AML_OK)
					st = aml_calibrator_apply(c, te, tec, err);
				b = 0;
				for (int i = 0; i < n && st == AML_OK; i++)
					if (fold[i] == f)
					{
						for (int k = 0; k < K; k++)
							AML_AT(cal, i, k) = AML_AT(tec, b, k);
						b++;
					}
			}
			aml_calibrator_free(c);
			aml_matrix_free(tr);
			aml_matrix_free(te);
			aml_matrix_free(tec);
			aml_free(ytr);
		}
		if (st != AML_OK)
			goto done;
		{
			double		l = log_loss_of(cal, y);

			/* only a real improvement counts */
			if (l < best_loss - 1e-9)
			{
				best_loss = l;
				best = candidates[m];
			}
		}
	}
	*logloss_best = best_loss;
	st = aml_calibrator_fit(best, oof, y, K, out, err);
done:
	aml_free(fold);
	aml_free(perm);
	aml_matrix_free(cal);
	return st;
}

/* ------------------------------------------------------------------ JSON */

json_object *
aml_calibrator_to_json(const AmlCalibrator *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "method", json_object_new_string(method_names[c->method]));
	if (c->method == AML_CALIBRATION_PLATT)
	{
		json_object_object_add(o, "a", aml_json_new_double(c->a));
		json_object_object_add(o, "b", aml_json_new_double(c->b));
	}
	else if (c->method == AML_CALIBRATION_ISOTONIC)
	{
		json_object_object_add(o, "x", aml_json_new_double_array(c->x, c->n_points));
		json_object_object_add(o, "y", aml_json_new_double_array(c->y, c->n_points));
	}
	else if (c->method == AML_CALIBRATION_TEMPERATURE)
	{
		json_object_object_add(o, "temperature", aml_json_new_double(c->temperature));
		if (c->rows > 0)
			json_object_object_add(o, "rows", json_object_new_int(c->rows));
	}
	json_object_object_add(o, "threshold", aml_json_new_double(c->threshold));
	if (c->class_weights != NULL)
		json_object_object_add(o, "class_weights", aml_json_new_double_array(c->class_weights, c->n_classes));
	return o;
}

AmlStatus
aml_calibrator_from_json(json_object *obj, int n_classes, AmlCalibrator **out, AmlError *err)
{
	AmlCalibrator *c = AML_NEW(AmlCalibrator);
	const char *name;
	AmlStatus	st;

	*out = NULL;
	if (c == NULL)
		return aml_error_nomem(err, "a calibrator");
	c->n_classes = n_classes;
	c->a = 1;
	c->temperature = 1;
	c->threshold = 0.5;
	st = aml_json_get_string(obj, "method", &name, "calibration", err);
	if (st == AML_OK && !aml_calibration_method_parse(name, &c->method))
		st = aml_error(err, AML_ERR_BAD_FORMAT, "unknown calibration method \"%s\"", name);
	if (st == AML_OK && c->method == AML_CALIBRATION_PLATT)
	{
		st = aml_json_get_double(obj, "a", &c->a, "calibration", err);
		if (st == AML_OK)
			st = aml_json_get_double(obj, "b", &c->b, "calibration", err);
	}
	else if (st == AML_OK && c->method == AML_CALIBRATION_ISOTONIC)
	{
		int			nx,
					ny;

		st = aml_json_get_double_vector(obj, "x", &c->x, &nx, "calibration", err);
		if (st == AML_OK)
			st = aml_json_get_double_vector(obj, "y", &c->y, &ny, "calibration", err);
		if (st == AML_OK && nx != ny)
			st = aml_error(err, AML_ERR_BAD_FORMAT, "calibration x and y differ in length");
		c->n_points = nx;
		for (int i = 1; st == AML_OK && i < nx; i++)
			if (!(c->x[i] > c->x[i - 1]) || !(c->y[i] >= c->y[i - 1]))
				st = aml_error(err, AML_ERR_BAD_FORMAT, "isotonic calibration points are not increasing");
	}
	else if (st == AML_OK && c->method == AML_CALIBRATION_TEMPERATURE)
	{
		st = aml_json_get_double(obj, "temperature", &c->temperature, "calibration", err);
		if (st == AML_OK && !(c->temperature > 0 && isfinite(c->temperature)))
			st = aml_error(err, AML_ERR_BAD_FORMAT, "calibration temperature must be positive");
		/* stored since the smoothing; models stored before have none */
		if (st == AML_OK && json_object_object_get_ex(obj, "rows", NULL))
		{
			st = aml_json_get_int(obj, "rows", &c->rows, "calibration", err);
			if (st == AML_OK && c->rows < 0)
				st = aml_error(err, AML_ERR_BAD_FORMAT, "calibration rows must not be negative");
		}
	}
	if (st == AML_OK && (c->method == AML_CALIBRATION_PLATT || c->method == AML_CALIBRATION_ISOTONIC) &&
		n_classes != 2)
		st = aml_error(err, AML_ERR_BAD_FORMAT, "%s calibration needs two classes", name);
	if (st == AML_OK && json_object_object_get_ex(obj, "threshold", NULL))
	{
		st = aml_json_get_double(obj, "threshold", &c->threshold, "calibration", err);
		if (st == AML_OK && !(c->threshold >= 0 && c->threshold <= 1))
			st = aml_error(err, AML_ERR_BAD_FORMAT, "decision threshold must be in [0, 1]");
	}
	if (st == AML_OK && json_object_object_get_ex(obj, "class_weights", NULL))
	{
		int			nw;

		st = aml_json_get_double_vector(obj, "class_weights", &c->class_weights, &nw, "calibration", err);
		if (st == AML_OK && (nw != n_classes || n_classes <= 2))
			st = aml_error(err, AML_ERR_BAD_FORMAT, "class weights need one weight per class of more than two");
		for (int k = 0; st == AML_OK && k < nw; k++)
			if (!(c->class_weights[k] > 0 && isfinite(c->class_weights[k])))
				st = aml_error(err, AML_ERR_BAD_FORMAT, "class weights must be positive numbers");
	}
	if (st != AML_OK)
	{
		aml_calibrator_free(c);
		return st;
	}
	*out = c;
	return AML_OK;
}
