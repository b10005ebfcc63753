/*
 * test_calibration.c — src/ml/calibration.c: isotonic calibration equals
 * scikit-learn's IsotonicRegression with its values v shrunk to
 * (n v + 1) / (n + 2) (1e-12; the reference shrinks scikit-learn's fit) and
 * Platt scaling its
 * _sigmoid_calibration objective's optimum (1e-4: scikit-learn stops BFGS at
 * a gradient tolerance) on reference/calibration.json
 * (test/reference/calibration.py); temperature scaling recovers a known
 * temperature; the choice keeps "none" for calibrated probabilities and
 * improves overconfident ones; the decision threshold is the best of all
 * thresholds by brute force; JSON round trip and bad documents.
 */
#include "unit.h"

#include "core/json.h"
#include "core/random.h"
#include "ml/calibration.h"
#include "ml/decision.h"

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		unit_fail(__FILE__, __LINE__, "no key %s", key);
	return v;
}

static void
test_against_sklearn(void)
{
	json_object *ref = unit_load_json("reference/calibration.json");
	json_object *pj = get(ref, "p");
	json_object *yj = get(ref, "y");
	json_object *tj = get(ref, "test");
	int			n = (int) json_object_array_length(pj);
	AmlMatrix  *P = aml_matrix_new(n, 2);
	double	   *y = AML_NEW_ARRAY(double, n);
	AmlCalibrator *c;
	AmlError	err;

	for (int i = 0; i < n; i++)
	{
		AML_AT(P, i, 1) = json_object_get_double(json_object_array_get_idx(pj, i));
		AML_AT(P, i, 0) = 1 - AML_AT(P, i, 1);
		y[i] = json_object_get_int(json_object_array_get_idx(yj, i));
	}
	CHECK_OK(aml_calibrator_fit(AML_CALIBRATION_ISOTONIC, P, y, 2, &c, &err), &err);
	for (size_t i = 0; i < json_object_array_length(tj); i++)
	{
		double		in[2],
					out[2];
		double		expect = json_object_get_double(json_object_array_get_idx(get(ref, "isotonic"), i));

		in[1] = json_object_get_double(json_object_array_get_idx(tj, i));
		in[0] = 1 - in[1];
		aml_calibrator_apply_row(c, in, out);
		CHECK_MSG(fabs(out[1] - expect) <= 1e-12, "isotonic at %g: %.17g, scikit-learn %.17g", in[1],
				  out[1], expect);
		CHECK_NEAR(out[0] + out[1], 1.0, 1e-15);
	}
	aml_calibrator_free(c);
	CHECK_OK(aml_calibrator_fit(AML_CALIBRATION_PLATT, P, y, 2, &c, &err), &err);
	CHECK_MSG(fabs(c->a - json_object_get_double(get(ref, "platt_a"))) <= 1e-4,
			  "Platt a %.10g, scikit-learn %.10g", c->a, json_object_get_double(get(ref, "platt_a")));
	CHECK_MSG(fabs(c->b - json_object_get_double(get(ref, "platt_b"))) <= 1e-4,
			  "Platt b %.10g, scikit-learn %.10g", c->b, json_object_get_double(get(ref, "platt_b")));
	aml_calibrator_free(c);
	aml_matrix_free(P);
	aml_free(y);
	json_object_put(ref);
}

/* n rows of K classes drawn from softmax(z), reported as softmax(z * sharpen) */
static AmlMatrix *
draw(int n, int K, double sharpen, uint64_t seed, double **y)
{
	AmlMatrix  *P = aml_matrix_new(n, K);
	AmlRng		rng;

	aml_rng_seed(&rng, seed);
	*y = AML_NEW_ARRAY(double, n);
	for (int i = 0; i < n; i++)
	{
		double		z[8],
					p[8],
					s = 0,
					q = 0,
					u;
		int			c = 0;

		for (int k = 0; k < K; k++)
		{
			z[k] = aml_rng_normal(&rng);
			s += (p[k] = exp(z[k]));
		}
		u = aml_rng_uniform(&rng) * s;
		for (c = 0; c < K - 1; c++)
		{
			q += p[c];
			if (u < q)
				break;
		}
		(*y)[i] = c;
		s = 0;
		for (int k = 0; k < K; k++)
			s += (p[k] = exp(sharpen * z[k]));
		for (int k = 0; k < K; k++)
			AML_AT(P, i, k) = p[k] / s;
	}
	return P;
}

/* The log loss of temperature T on P (the reference the Newton fit is checked against). */
static double
loss_at(const AmlMatrix *P, const double *y, double T)
{
	double		l = 0;

	for (int i = 0; i < P->rows; i++)
	{
		double		mx = -INFINITY,
					s = 0;

		for (int k = 0; k < P->cols; k++)
			mx = fmax(mx, log(fmax(AML_AT(P, i, k), 1e-15)) / T);
		for (int k = 0; k < P->cols; k++)
			s += exp(log(fmax(AML_AT(P, i, k), 1e-15)) / T - mx);
		l -= log(fmax(AML_AT(P, i, (int) y[i]), 1e-15)) / T - mx - log(s);
	}
	return l;
}

/*
 * The temperature is the minimum of the log loss over log T in [-4, 4]:
 * checked against a golden-section search of the loss itself (200 steps),
 * on over- and under-confident probabilities, and at the bound when every
 * row is right (the loss falls as T does).  There the calibrated
 * probabilities are Laplace's (n p + 1) / (n + K) of the softmax, never 0
 * or 1: (300 + 1) / 303 for the right class, 1 / 303 for the others.
 */
static void
test_temperature_minimum(void)
{
	struct
	{
		int			n,
					K;
		double		drawn;
	}			cases[] = {{5000, 3, 3.0}, {3000, 8, 0.4}, {400, 2, 1.0}, {2000, 5, 8.0}};

	for (int t = 0; t < 5; t++)
	{
		double	   *y;
		AmlMatrix  *P;
		AmlCalibrator *c;
		AmlError	err;
		double		lo = -4,
					hi = 4,
					g = (sqrt(5.0) - 1) / 2,
					ref;

		if (t < 4)
			P = draw(cases[t].n, cases[t].K, cases[t].drawn, 10 + t, &y);
		else
		{
			/* every row right, with confidence: the minimum is at T = e^-4 */
			P = aml_matrix_new(300, 3);
			y = AML_NEW_ARRAY(double, 300);
			for (int i = 0; i < 300; i++)
			{
				y[i] = i % 3;
				for (int k = 0; k < 3; k++)
					AML_AT(P, i, k) = k == i % 3 ? 0.8 : 0.1;
			}
		}
		for (int it = 0; it < 200; it++)
		{
			double		x1 = hi - g * (hi - lo),
						x2 = lo + g * (hi - lo);

			if (loss_at(P, y, exp(x1)) <= loss_at(P, y, exp(x2)))
				hi = x2;
			else
				lo = x1;
		}
		ref = exp((lo + hi) / 2);
		CHECK_OK(aml_calibrator_fit(AML_CALIBRATION_TEMPERATURE, P, y, P->cols, &c, &err), &err);
		CHECK_MSG(fabs(c->temperature - ref) <= 1e-6 * ref, "case %d: temperature %.12g, minimum at %.12g",
				  t, c->temperature, ref);
		CHECK_MSG(loss_at(P, y, c->temperature) <= loss_at(P, y, ref) + 1e-9,
				  "case %d: loss %.12g at the fit, %.12g at the minimum", t,
				  loss_at(P, y, c->temperature), loss_at(P, y, ref));
		CHECK_MSG(c->rows == P->rows, "case %d: %d rows stored, %d fitted", t, c->rows, P->rows);
		if (t == 4)
		{
			double		in[3] = {0.8, 0.1, 0.1},
						out[3];
			double		soft = 0;

			CHECK_MSG(fabs(c->temperature - exp(-4)) < 1e-12, "temperature %g at the bound", c->temperature);
			aml_calibrator_apply_row(c, in, out);
			/* the softmax itself: 1 / (1 + 2 e^(-ln 8 e^4)) */
			soft = 1 / (1 + 2 * exp(-log(8.0) * exp(4)));
			CHECK_NEAR(out[0], (300 * soft + 1) / 303, 1e-15);
			CHECK_NEAR(out[1], (300 * (1 - soft) / 2 + 1) / 303, 1e-15);
			CHECK_NEAR(out[0] + out[1] + out[2], 1.0, 1e-15);
		}
		aml_calibrator_free(c);
		aml_matrix_free(P);
		aml_free(y);
	}
}

static void
test_temperature_and_choice(void)
{
	double	   *y;
	AmlMatrix  *P = draw(5000, 3, 3.0, 1, &y);
	AmlCalibrator *c;
	AmlError	err;
	double		none,
				best;

	CHECK_OK(aml_calibrator_fit(AML_CALIBRATION_TEMPERATURE, P, y, 3, &c, &err), &err);
	CHECK_MSG(fabs(c->temperature - 3.0) < 0.3, "temperature %g, drawn with 3", c->temperature);
	aml_calibrator_free(c);
	CHECK_OK(aml_calibration_choose(P, y, 3, 5, 9, &c, &none, &best, &err), &err);
	CHECK(c->method == AML_CALIBRATION_TEMPERATURE);
	CHECK_MSG(best < none - 0.05, "log loss %g after, %g before", best, none);
	aml_calibrator_free(c);
	aml_matrix_free(P);
	aml_free(y);

	/* calibrated already: nothing (or next to nothing) to gain */
	P = draw(5000, 2, 1.0, 2, &y);
	CHECK_OK(aml_calibration_choose(P, y, 2, 5, 9, &c, &none, &best, &err), &err);
	CHECK_MSG(best >= none - 0.002, "calibrated probabilities: %g after, %g before", best, none);
	aml_calibrator_free(c);
	aml_matrix_free(P);
	aml_free(y);

	/* overconfident binary */
	P = draw(3000, 2, 4.0, 3, &y);
	CHECK_OK(aml_calibration_choose(P, y, 2, 5, 9, &c, &none, &best, &err), &err);
	CHECK(c->method != AML_CALIBRATION_NONE);
	CHECK_MSG(best < none - 0.05, "log loss %g after, %g before", best, none);
	aml_calibrator_free(c);
	aml_matrix_free(P);
	aml_free(y);
}

static void
test_threshold(void)
{
	double	   *y;
	AmlMatrix  *P = draw(300, 2, 1.0, 4, &y);
	const AmlMetric *m = aml_metric_find("balanced_accuracy");
	AmlMatrix  *pred = aml_matrix_new(300, 2);
	double		t,
				s,
				brute = -1;
	AmlError	err;

	/* imbalance the classes so that 0.5 is not the best threshold */
	for (int i = 0; i < 300; i++)
	{
		AML_AT(P, i, 1) *= 0.5;
		AML_AT(P, i, 0) = 1 - AML_AT(P, i, 1);
	}
	CHECK_OK(aml_threshold_choose(P, y, m, &t, &s, &err), &err);
	for (int j = 0; j < 300; j++)
	{
		double		tj = AML_AT(P, j, 1) - 1e-12,
					sj;

		for (int i = 0; i < 300; i++)
		{
			AML_AT(pred, i, 0) = tj;
			AML_AT(pred, i, 1) = AML_AT(P, i, 1);
		}
		CHECK_OK(aml_metric_score(m, y, pred, 2, &sj, &err), &err);
		if (sj > brute)
			brute = sj;
	}
	CHECK_MSG(fabs(s - brute) <= 1e-12, "threshold %g scores %.17g, the best threshold %.17g", t, s, brute);
	CHECK(t < 0.5);
	/* metrics of probabilities: no threshold */
	CHECK_OK(aml_threshold_choose(P, y, aml_metric_find("log_loss"), &t, &s, &err), &err);
	CHECK(t == 0.5);
	/*
	 * a class with fewer than 10 rows: 0.5 (9 ones among 300 rows, whose
	 * p1, 0.3 to 0.308, are above the others', at most 0.16: the best
	 * threshold would be between)
	 */
	for (int i = 0; i < 300; i++)
	{
		y[i] = i < 9;
		AML_AT(P, i, 1) = i < 9 ? 0.3 + 0.001 * i : 0.01 + 0.0005 * i;
		AML_AT(P, i, 0) = 1 - AML_AT(P, i, 1);
	}
	CHECK_OK(aml_threshold_choose(P, y, m, &t, &s, &err), &err);
	CHECK(t == 0.5);
	/* with 10 of them the threshold is chosen */
	y[9] = 1;
	AML_AT(P, 9, 1) = 0.309;
	AML_AT(P, 9, 0) = 1 - AML_AT(P, 9, 1);
	CHECK_OK(aml_threshold_choose(P, y, m, &t, &s, &err), &err);
	CHECK_MSG(t > 0.16 && t < 0.3 && s == 1.0, "threshold %g scores %g", t, s);
	aml_matrix_free(pred);
	aml_matrix_free(P);
	aml_free(y);
}

/*
 * A calibration chosen on saturated out-of-fold probabilities (exact zeros
 * and denormal ones, as Gaussian naive Bayes gives over hundreds of one-hot
 * columns) decides new rows whose probabilities moved off zero all alike:
 * aml_threshold_transfers says so, reading only the decisions.
 */
static void
test_transfer(void)
{
	int			n = 400;
	AmlMatrix  *P = aml_matrix_new(n, 2);
	AmlMatrix  *Q = aml_matrix_new(n, 2);
	double	   *y = AML_NEW_ARRAY(double, n);
	const AmlMetric *m = aml_metric_find("balanced_accuracy");
	AmlCalibrator *c;
	AmlError	err;
	double		t,
				s;
	int			ones;

	/* out of fold: p1 == 0 on 100 rows (70 of class 1), 1e-300 .. on 300 (290 of class 1) */
	for (int i = 0; i < n; i++)
	{
		AML_AT(P, i, 1) = i < 100 ? 0 : 1e-300 * (1 + i);
		AML_AT(P, i, 0) = 1 - AML_AT(P, i, 1);
		y[i] = i < 100 ? (i < 70) : (i < 390);
	}
	CHECK_OK(aml_calibrator_fit(AML_CALIBRATION_ISOTONIC, P, y, 2, &c, &err), &err);
	CHECK_OK(aml_calibrator_apply(c, P, Q, &err), &err);
	CHECK_OK(aml_threshold_choose(Q, y, m, &t, &s, &err), &err);
	c->threshold = t;
	ones = aml_threshold_count_ones(c, Q);
	CHECK_MSG(ones == 300 && s > 0.6, "out of fold: %d rows decided as class 1 (threshold %g, score %g)", ones, t, s);
	CHECK(aml_threshold_transfers((double) ones / n, n, ones));
	/* new rows, no exact zero among them: every one decided as class 1 */
	for (int i = 0; i < n; i++)
	{
		AML_AT(P, i, 1) = 1e-290 * (1 + i);
		AML_AT(P, i, 0) = 1 - AML_AT(P, i, 1);
	}
	CHECK_OK(aml_calibrator_apply(c, P, Q, &err), &err);
	ones = aml_threshold_count_ones(c, Q);
	CHECK(ones == n);
	CHECK(!aml_threshold_transfers(0.75, n, ones));
	/* the bounds: a tenth of what is expected, at least 10 rows expected */
	CHECK(!aml_threshold_transfers(0.2, 100, 1));	/* 20 expected, 1 seen */
	CHECK(aml_threshold_transfers(0.2, 100, 2));
	CHECK(!aml_threshold_transfers(0.8, 100, 99));	/* class 0: 20 expected, 1 seen */
	CHECK(aml_threshold_transfers(0.8, 100, 98));
	CHECK(aml_threshold_transfers(0.05, 100, 0));	/* 5 expected: too few to tell */
	CHECK(aml_threshold_transfers(0.95, 100, 100));
	CHECK(!aml_threshold_transfers(0.05, 1000, 0));
	CHECK(aml_threshold_transfers(NAN, 100, 0));
	CHECK(aml_threshold_transfers(0.5, 0, 0));
	aml_calibrator_free(c);
	aml_matrix_free(P);
	aml_matrix_free(Q);
	aml_free(y);
}

/*
 * A model refitted on more rows whose share of class-1 decisions moved gets
 * the threshold that decides the same rows in the earlier proportion:
 * aml_threshold_share_moved tells when, aml_threshold_for_share where.
 */
static void
test_share(void)
{
	double		p1[10] = {0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0};
	double		tied[6] = {0.2, 0.5, 0.5, 0.5, 0.5, 0.9};
	double		t;
	int			ones;

	/* 30 % decided as class 1: the three highest, the cut between 0.6 and 0.7 */
	t = aml_threshold_for_share(p1, 10, 0.3);
	CHECK_MSG(fabs(t - 0.65) < 1e-15, "threshold %g", t);
	ones = 0;
	for (int i = 0; i < 10; i++)
		ones += p1[i] > t;
	CHECK(ones == 3);
	/*
	 * every share decides that many rows (all but p1 = 0, which no threshold
	 * in [0, 1] decides as class 1); p1 is left as it was
	 */
	for (int k = 0; k <= 10; k++)
	{
		t = aml_threshold_for_share(p1, 10, k / 10.0);
		ones = 0;
		for (int i = 0; i < 10; i++)
			ones += p1[i] > t;
		CHECK_MSG(ones == (k == 10 ? 9 : k) && t >= 0 && t <= 1, "share %d/10: %d ones at %g", k, ones, t);
	}
	CHECK(p1[0] == 0.9 && p1[9] == 0.0);
	/* ties decide alike: at most the share, never a tie split */
	t = aml_threshold_for_share(tied, 6, 0.5);
	ones = 0;
	for (int i = 0; i < 6; i++)
		ones += tied[i] > t;
	CHECK_MSG(ones == 1 && t == 0.5, "tied: %d ones at %g", ones, t);
	CHECK(isnan(aml_threshold_for_share(p1, 0, 0.5)));
	CHECK(isnan(aml_threshold_for_share(p1, 10, 1.5)));
	CHECK(isnan(aml_threshold_for_share(p1, 10, NAN)));

	/* moved: by more than a quarter of the rarer share, and more than 0.01 */
	CHECK(aml_threshold_share_moved(0.581, 0.062));	/* the loans table */
	CHECK(!aml_threshold_share_moved(0.394, 0.392));	/* a stable refit */
	CHECK(!aml_threshold_share_moved(0.5, 0.62));
	CHECK(aml_threshold_share_moved(0.5, 0.63));
	CHECK(!aml_threshold_share_moved(0.04, 0.049));	/* 0.009: under a point */
	CHECK(aml_threshold_share_moved(0.2, 0.26));
	CHECK(!aml_threshold_share_moved(0.2, 0.24));
	CHECK(aml_threshold_share_moved(0.9, 0.8));	/* class 0 is the rarer */
	CHECK(!aml_threshold_share_moved(NAN, 0.5));
	CHECK(!aml_threshold_share_moved(0.5, -1));
}

static void
test_json(void)
{
	double	   *y;
	AmlMatrix  *P = draw(500, 2, 3.0, 5, &y);
	AmlError	err;

	for (int m = AML_CALIBRATION_NONE; m <= AML_CALIBRATION_TEMPERATURE; m++)
	{
		AmlCalibrator *c,
				   *back;
		json_object *j,
				   *parsed;
		const char *text;
		double		in[2] = {0.3, 0.7},
					o1[2],
					o2[2];

		CHECK_OK(aml_calibrator_fit((AmlCalibrationMethod) m, P, y, 2, &c, &err), &err);
		c->threshold = 0.37;
		j = aml_calibrator_to_json(c);
		text = aml_json_text(j);
		CHECK_OK(aml_json_parse(text, strlen(text), &parsed, &err), &err);
		CHECK_OK(aml_calibrator_from_json(parsed, 2, &back, &err), &err);
		aml_calibrator_apply_row(c, in, o1);
		aml_calibrator_apply_row(back, in, o2);
		CHECK(o1[1] == o2[1] && back->threshold == 0.37 && back->method == c->method && back->rows == c->rows);
		aml_calibrator_free(c);
		aml_calibrator_free(back);
		json_object_put(j);
		json_object_put(parsed);
	}
	{
		const char *bad[] = {"{\"method\": \"magic\"}", "{\"method\": \"temperature\", \"temperature\": -1}",
			"{\"method\": \"isotonic\", \"x\": [0, 0.5, 0.2], \"y\": [0, 0.5, 0.6]}",
		"{\"method\": \"none\", \"threshold\": 2}",
		"{\"method\": \"temperature\", \"temperature\": 1, \"rows\": -3}"};

		for (int i = 0; i < 5; i++)
		{
			json_object *o;
			AmlCalibrator *c;

			CHECK_OK(aml_json_parse(bad[i], strlen(bad[i]), &o, &err), &err);
			CHECK_STATUS(aml_calibrator_from_json(o, 2, &c, &err), AML_ERR_BAD_FORMAT, &err);
			json_object_put(o);
		}
	}
	{
		AmlCalibrator *c;

		CHECK_STATUS(aml_calibrator_fit(AML_CALIBRATION_PLATT, P, y, 3, &c, &err), AML_ERR_INVALID_PARAMETER, &err);
	}
	aml_matrix_free(P);
	aml_free(y);
}

/*
 * More than two classes: class weights prior^-alpha chosen by a label
 * metric.  200 rows of priors 0.8 / 0.15 / 0.05 whose probabilities lean
 * to the common class: the plain argmax gets every rare row wrong
 * (balanced accuracy 1/3), alpha 1/4 the rarest (1/2), and alpha 1/2
 * (weights 1.12, 2.58, 4.47) none: the smallest alpha of the best score.
 */
static void
test_class_weights(void)
{
	int			n = 200;
	AmlMatrix  *P = aml_matrix_new(n, 3);
	AmlMatrix  *D;
	double	   *y = AML_NEW_ARRAY(double, n);
	double	   *w;
	double		alpha,
				score;
	const double rows[3][3] = {{0.9, 0.05, 0.05}, {0.6, 0.35, 0.05}, {0.5, 0.1, 0.4}};
	AmlCalibrator *c = AML_NEW(AmlCalibrator);
	AmlError	err;

	for (int i = 0; i < n; i++)
	{
		int			k = i < 160 ? 0 : i < 190 ? 1 : 2;

		y[i] = k;
		for (int j = 0; j < 3; j++)
			AML_AT(P, i, j) = rows[k][j];
	}
	CHECK_OK(aml_class_weights_choose(P, y, 3, aml_metric_find("balanced_accuracy"), &w, &alpha, &score, &err), &err);
	CHECK_MSG(w != NULL && alpha == 0.5 && score == 1, "alpha %g, score %g", alpha, score);
	if (w != NULL)
		CHECK_MSG(fabs(w[0] - 1 / sqrt(0.8)) < 1e-12 && fabs(w[1] - 1 / sqrt(0.15)) < 1e-12 &&
				  fabs(w[2] - 1 / sqrt(0.05)) < 1e-12, "weights %g %g %g", w[0], w[1], w[2]);
	/* the calibrator decides by them; the decision scores agree row by row */
	c->n_classes = 3;
	c->threshold = 0.5;
	c->class_weights = w;
	CHECK_OK(aml_decision_scores(c, P, &D, &err), &err);
	for (int i = 0; i < n; i++)
	{
		double		p[3],
					d[3];

		for (int j = 0; j < 3; j++)
		{
			p[j] = AML_AT(P, i, j);
			d[j] = AML_AT(D, i, j);
		}
		CHECK(aml_decide(c, p, 3) == (int) y[i]);
		CHECK(aml_argmax(d, 3) == (int) y[i]);
	}
	aml_matrix_free(D);
	/* kept through the JSON; wrong lengths and weights are refused */
	{
		json_object *j = aml_calibrator_to_json(c);
		AmlCalibrator *back;
		const char *bad[] = {"{\"method\": \"none\", \"class_weights\": [1, 2]}",
			"{\"method\": \"none\", \"class_weights\": [1, 0, 2]}",
		"{\"method\": \"none\", \"class_weights\": [1, \"x\", 2]}"};

		CHECK_OK(aml_calibrator_from_json(j, 3, &back, &err), &err);
		CHECK(back->class_weights != NULL && back->class_weights[2] == w[2]);
		aml_calibrator_free(back);
		CHECK_STATUS(aml_calibrator_from_json(j, 2, &back, &err), AML_ERR_BAD_FORMAT, &err);
		json_object_put(j);
		for (int i = 0; i < 3; i++)
		{
			json_object *o;

			CHECK_OK(aml_json_parse(bad[i], strlen(bad[i]), &o, &err), &err);
			CHECK_STATUS(aml_calibrator_from_json(o, 3, &back, &err), AML_ERR_BAD_FORMAT, &err);
			json_object_put(o);
		}
	}
	aml_calibrator_free(c);		/* frees w */
	/*
	 * accuracy is best with the plain argmax once 40 common rows look like
	 * the rarest class's: any weights give 10 rare rows and take 40 common
	 * ones, no weights then
	 */
	for (int i = 0; i < 40; i++)
		for (int j = 0; j < 3; j++)
			AML_AT(P, i, j) = rows[2][j];
	CHECK_OK(aml_class_weights_choose(P, y, 3, aml_metric_find("accuracy"), &w, &alpha, &score, &err), &err);
	CHECK_MSG(w == NULL && alpha == 0 && fabs(score - 0.8) < 1e-12, "accuracy: alpha %g, score %g", alpha, score);
	/* not a label metric, or two classes: nothing chosen */
	CHECK_OK(aml_class_weights_choose(P, y, 3, aml_metric_find("log_loss"), &w, &alpha, &score, &err), &err);
	CHECK(w == NULL && isnan(score));
	/* without a calibrator or weights, the largest probability */
	CHECK(aml_decide(NULL, rows[2], 3) == 0);
	/*
	 * the temperature's smoothing (rows 10: p'' = (10 p + 1) / 13) changes
	 * probabilities, not decisions: weights (1, 20, 1) on p = (0.6, 0, 0.4)
	 * decide class 0; on the smoothed (7, 1, 5) / 13 they would decide class 1
	 */
	{
		AmlCalibrator sm = {.method = AML_CALIBRATION_TEMPERATURE, .n_classes = 3, .temperature = 1, .rows = 10};
		double		cw[3] = {1, 20, 1};
		double		smoothed[3] = {7.0 / 13, 1.0 / 13, 5.0 / 13};
		AmlMatrix  *S = aml_matrix_new(1, 3);
		AmlMatrix  *D = NULL;

		sm.class_weights = cw;
		CHECK_NEAR(aml_decision_floor(&sm, 3), 1.0 / 13, 1e-15);
		CHECK(aml_decide(&sm, smoothed, 3) == 0);
		for (int k = 0; k < 3; k++)
			AML_AT(S, 0, k) = smoothed[k];
		CHECK_OK(aml_decision_scores(&sm, S, &D, &err), &err);
		CHECK(D != NULL && AML_AT(D, 0, 0) > AML_AT(D, 0, 1) && AML_AT(D, 0, 0) > AML_AT(D, 0, 2));
		sm.rows = 0;			/* stored before the smoothing: the weights on what it gets */
		CHECK(aml_decision_floor(&sm, 3) == 0 && aml_decide(&sm, smoothed, 3) == 1);
		aml_matrix_free(S);
		aml_matrix_free(D);
	}
	aml_matrix_free(P);
	aml_free(y);
}

int
main(void)
{
	unit_begin();
	RUN(test_against_sklearn);
	RUN(test_temperature_and_choice);
	RUN(test_temperature_minimum);
	RUN(test_threshold);
	RUN(test_transfer);
	RUN(test_share);
	RUN(test_class_weights);
	RUN(test_json);
	return unit_end();
}
