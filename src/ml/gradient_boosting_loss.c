/*
 * gradient_boosting_loss.c — the losses of histogram gradient boosting: mean
 * losses, gradients and hessians at the raw predictions, and the percentile
 * huber and absolute_error use (gradient_boosting_internal.h).
 */
#include "ml/gradient_boosting_internal.h"
#include "core/stats.h"

#include <math.h>

/* ------------------------------------------------------------------ order statistics */

/* scikit-learn's _weighted_percentile with unit weights: no interpolation */
double
aml_gb_lower_percentile(double *a, int n, double percentile)
{
	double		adjusted = percentile / 100.0 * (double) n;
	int			k;

	if (adjusted == 0)
		adjusted = nextafter(0.0, 1.0);
	k = (int) ceil(adjusted) - 1;
	if (k < 0)
		k = 0;
	if (k > n - 1)
		k = n - 1;
	return aml_select_kth(a, n, k);
}

/* ------------------------------------------------------------------ losses */

/* log(1 + exp(x)) without overflow */
static inline double
log1pexp(double x)
{
	if (x > 0)
		return x + log1p(exp(-x));
	return log1p(exp(x));
}

/*
 * Mean loss at raw predictions raw (K columns of n rows), scikit-learn's
 * half losses for log loss and squared error.
 */
double
aml_gb_mean_loss(int loss, int K, int n, const double *raw, const double *y, double delta)
{
	double		total = 0;

	if (n == 0)
		return 0;
	switch (loss)
	{
		case LOSS_BINARY:
			for (int i = 0; i < n; i++)
				total += log1pexp(raw[i]) - y[i] * raw[i];
			break;
		case LOSS_MULTINOMIAL:
			for (int i = 0; i < n; i++)
			{
				double		mx = raw[i];
				double		s = 0;

				for (int k = 1; k < K; k++)
					if (raw[i + (size_t) k * n] > mx)
						mx = raw[i + (size_t) k * n];
				for (int k = 0; k < K; k++)
					s += exp(raw[i + (size_t) k * n] - mx);
				total += mx + log(s) - raw[i + (size_t) y[i] * n];
			}
			break;
		case LOSS_SQUARED:
			for (int i = 0; i < n; i++)
			{
				double		d = y[i] - raw[i];

				total += 0.5 * d * d;
			}
			break;
		case LOSS_ABSOLUTE:
			for (int i = 0; i < n; i++)
				total += fabs(y[i] - raw[i]);
			break;
		case LOSS_HUBER:
			for (int i = 0; i < n; i++)
			{
				double		d = fabs(y[i] - raw[i]);

				total += d <= delta ? 0.5 * d * d : delta * (d - delta / 2);
			}
			break;
	}
	return total / n;
}

/*
 * Gradients (and hessians for log loss) at raw, into g/h (K columns of n).
 * For huber, *delta receives the threshold of this round.
 */
void
aml_gb_compute_gradients(int loss, int K, int n, const double *raw, const double *y, float *g,
						 float *h, double alpha, double *scratch, double *delta)
{
	switch (loss)
	{
		case LOSS_BINARY:
			for (int i = 0; i < n; i++)
			{
				double		r = raw[i];
				double		e = exp(-fabs(r));
				double		p = r >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

				g[i] = (float) (p - y[i]);
				h[i] = (float) (e / ((1.0 + e) * (1.0 + e)));
			}
			break;
		case LOSS_MULTINOMIAL:
			/* scratch holds the K exponentials of a row */
			for (int i = 0; i < n; i++)
			{
				double		mx = raw[i];
				double		s = 0;
				int			yi = (int) y[i];

				for (int k = 1; k < K; k++)
					if (raw[i + (size_t) k * n] > mx)
						mx = raw[i + (size_t) k * n];
				for (int k = 0; k < K; k++)
				{
					scratch[k] = exp(raw[i + (size_t) k * n] - mx);
					s += scratch[k];
				}
				for (int k = 0; k < K; k++)
				{
					double		p = scratch[k] / s;

					g[i + (size_t) k * n] = (float) (p - (k == yi ? 1.0 : 0.0));
					h[i + (size_t) k * n] = (float) (p * (1.0 - p));
				}
			}
			break;
		case LOSS_SQUARED:
			for (int i = 0; i < n; i++)
				g[i] = (float) (raw[i] - y[i]);
			break;
		case LOSS_ABSOLUTE:
			for (int i = 0; i < n; i++)
				g[i] = raw[i] > y[i] ? 1.0f : -1.0f;
			break;
		case LOSS_HUBER:
			{
				double		d;

				for (int i = 0; i < n; i++)
					scratch[i] = fabs(y[i] - raw[i]);
				d = aml_gb_lower_percentile(scratch, n, alpha * 100.0);
				*delta = d;
				for (int i = 0; i < n; i++)
				{
					double		r = y[i] - raw[i];
					double		c = fabs(r) <= d ? r : (r > 0 ? d : (r < 0 ? -d : 0));

					g[i] = (float) (-c);
				}
				break;
			}
	}
}
