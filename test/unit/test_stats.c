/*
 * test_stats.c — src/stats: formula expansion as R's terms(), model matrix
 * names and codings as R's model.matrix(), least squares (a textbook
 * example: Longley's data, NIST StRD certified values), aliasing as R.
 */
#include "unit.h"

#include "stats/design.h"
#include "stats/formula.h"
#include "stats/lm.h"
#include "stats/qr.h"
#include "stats/tests.h"

static const char *cols[] = {"y", "a", "b", "c", "x"};

static char *
labels(const char *text, char *buf, int len)
{
	AmlFormula *f;
	AmlError	err;
	int			pos;
	int			n = 0;

	buf[0] = '\0';
	if (aml_formula_parse(text, cols, 5, &f, &pos, &err) != AML_OK)
	{
		snprintf(buf, len, "error at %d", pos);
		return buf;
	}
	n += snprintf(buf + n, len - n, "%s|", f->intercept ? "1" : "0");
	for (int t = 0; t < f->n_terms; t++)
	{
		char		l[128];

		aml_term_label(f, f->terms[t], l, sizeof(l));
		n += snprintf(buf + n, len - n, "%s%s", t ? " " : "", l);
	}
	aml_formula_free(f);
	return buf;
}

static void
test_formula(void)
{
	char		b[512];

	CHECK_STR(labels("y ~ a + b", b, sizeof(b)), "1|a b");
	CHECK_STR(labels("y ~ a * b", b, sizeof(b)), "1|a b a:b");
	CHECK_STR(labels("y ~ a:b + a", b, sizeof(b)), "1|a a:b");
	CHECK_STR(labels("y ~ b:a", b, sizeof(b)), "1|b:a");
	CHECK_STR(labels("y ~ (a + b + c)^2", b, sizeof(b)), "1|a b c a:b a:c b:c");
	CHECK_STR(labels("y ~ a*b*c - a:b:c", b, sizeof(b)), "1|a b c a:b a:c b:c");
	CHECK_STR(labels("y ~ a / b", b, sizeof(b)), "1|a a:b");
	CHECK_STR(labels("y ~ . - c", b, sizeof(b)), "1|a b x");
	CHECK_STR(labels("y ~ a - 1", b, sizeof(b)), "0|a");
	CHECK_STR(labels("y ~ 0 + a", b, sizeof(b)), "0|a");
	CHECK_STR(labels("y ~ -1 + a", b, sizeof(b)), "0|a");
	CHECK_STR(labels("y ~ 1", b, sizeof(b)), "1|");
	CHECK_STR(labels("y ~ `a` + x", b, sizeof(b)), "1|a x");
	CHECK_STR(labels("y ~ a +", b, sizeof(b)), "error at 8");
	CHECK_STR(labels("y ~ a + (b", b, sizeof(b)), "error at 11");
	CHECK_STR(labels("y a", b, sizeof(b)), "error at 4");
	CHECK_STR(labels("y ~ log(a)", b, sizeof(b)), "error at 5");
	CHECK_STR(labels("y ~ y + a", b, sizeof(b)), "error at 5");
}

static void
test_design_names(void)
{
	AmlFormula *f;
	AmlDesign  *d;
	AmlError	err;
	const char *la[] = {"a1", "a2", "a3"};
	const char *lb[] = {"F", "M"};
	AmlDesignVar vars[3] = {{true, 3, la}, {true, 2, lb}, {false, 0, NULL}};
	const char *fc[] = {"y", "a", "b", "x"};
	double		x[3] = {2, 1, 0.5};
	double		row[16];

	/* y ~ a:b: R codes both factors in full (no margins) */
	CHECK_OK(aml_formula_parse("y ~ a * b + x", fc, 4, &f, NULL, &err), &err);
	CHECK_OK(aml_design_build(f, vars, AML_CONTRAST_TREATMENT, &d, &err), &err);
	CHECK(d->n_cols == 7);
	CHECK_STR(d->names[0], "(Intercept)");
	CHECK_STR(d->names[1], "aa2");
	CHECK_STR(d->names[3], "bM");
	CHECK_STR(d->names[4], "x");
	CHECK_STR(d->names[5], "aa2:bM");
	CHECK_STR(d->names[6], "aa3:bM");
	aml_design_row(d, x, row);
	CHECK(row[0] == 1 && row[1] == 0 && row[2] == 1 && row[3] == 1 && row[4] == 0.5 &&
		  row[5] == 0 && row[6] == 1);
	aml_design_free(d);
	aml_formula_free(f);

	CHECK_OK(aml_formula_parse("y ~ a:b", fc, 4, &f, NULL, &err), &err);
	CHECK_OK(aml_design_build(f, vars, AML_CONTRAST_TREATMENT, &d, &err), &err);
	CHECK(d->n_cols == 1 + 6);
	CHECK_STR(d->names[1], "aa1:bF");
	CHECK_STR(d->names[6], "aa3:bM");
	aml_design_free(d);
	aml_formula_free(f);

	/* variables in formula order: x, a */
	CHECK_OK(aml_formula_parse("y ~ x + a - 1", fc, 4, &f, NULL, &err), &err);
	{
		AmlDesignVar xa[2] = {{false, 0, NULL}, {true, 3, la}};

		CHECK_OK(aml_design_build(f, xa, AML_CONTRAST_TREATMENT, &d, &err), &err);
	}
	CHECK(d->n_cols == 4);
	CHECK_STR(d->names[1], "aa1");
	aml_design_free(d);
	aml_formula_free(f);
}

/* Longley (NIST StRD): y ~ x1 + ... + x6, certified to 15 digits */
static const double longley[16][7] = {
	{60323, 83, 234289, 2356, 1590, 107608, 1947},
	{61122, 88.5, 259426, 2325, 1456, 108632, 1948},
	{60171, 88.2, 258054, 3682, 1616, 109773, 1949},
	{61187, 89.5, 284599, 3351, 1650, 110929, 1950},
	{63221, 96.2, 328975, 2099, 3099, 112075, 1951},
	{63639, 98.1, 346999, 1932, 3594, 113270, 1952},
	{64989, 99, 365385, 1870, 3547, 115094, 1953},
	{63761, 100, 363112, 3578, 3350, 116219, 1954},
	{66019, 101.2, 397469, 2904, 3048, 117388, 1955},
	{67857, 104.6, 419180, 2822, 2857, 118734, 1956},
	{68169, 108.4, 442769, 2936, 2798, 120445, 1957},
	{66513, 110.8, 444546, 4681, 2637, 121950, 1958},
	{68655, 112.6, 482704, 3813, 2552, 123366, 1959},
	{69564, 114.2, 502601, 3931, 2514, 125368, 1960},
	{69331, 115.7, 518173, 4806, 2572, 127852, 1961},
	{70551, 116.9, 554894, 4007, 2827, 130081, 1962},
};

static void
test_longley(void)
{
	const char *names[] = {"y", "x1", "x2", "x3", "x4", "x5", "x6"};
	AmlFormula *f;
	AmlDesign  *d;
	AmlLm	   *lm;
	AmlError	err;
	AmlDesignVar vars[6] = {{0}};
	double		xs[6][16];
	double		ys[16];
	const double *xp[6];
	AmlLmData	data = {16, xp, ys, NULL};
	AmlCoef		c[7];
	AmlLmGlance g;
	static const double cert[7] = {-3482258.63459582, 15.0618722713733, -0.358191792925910E-01,
		-2.02022980381683, -1.03322686717359, -0.511041056535807E-01, 1829.15146461355};
	static const double cert_se[7] = {890420.383607373, 84.9149257747669, 0.334910077722432E-01,
		0.488399681651699, 0.214274163161675, 0.226073200069370, 455.478499142212};

	for (int i = 0; i < 16; i++)
	{
		ys[i] = longley[i][0];
		for (int v = 0; v < 6; v++)
			xs[v][i] = longley[i][v + 1];
	}
	for (int v = 0; v < 6; v++)
		xp[v] = xs[v];
	CHECK_OK(aml_formula_parse("y ~ .", names, 7, &f, NULL, &err), &err);
	CHECK_OK(aml_design_build(f, vars, AML_CONTRAST_TREATMENT, &d, &err), &err);
	CHECK_OK(aml_lm_fit(d, &data, &lm, &err), &err);
	aml_lm_tidy(lm, 0.95, c);
	for (int j = 0; j < 7; j++)
	{
		CHECK_NEAR(c[j].estimate, cert[j], 1e-9 * fabs(cert[j]) + 1e-12);
		CHECK_NEAR(c[j].std_error, cert_se[j], 1e-9 * fabs(cert_se[j]) + 1e-12);
	}
	aml_lm_glance(lm, &g);
	CHECK_NEAR(g.r_squared, 0.995479004577296, 1e-12);
	CHECK_NEAR(g.sigma, 304.854073561965, 1e-9);
	aml_lm_free(lm);
	aml_design_free(d);
	aml_formula_free(f);
}

/* x3 = x1 + x2: the third column is aliased, as R's lm says NA */
static void
test_aliasing(void)
{
	const char *names[] = {"y", "x1", "x2", "x3"};
	AmlFormula *f;
	AmlDesign  *d;
	AmlLm	   *lm;
	AmlError	err;
	AmlDesignVar vars[3] = {{0}};
	double		x1[6] = {1, 2, 3, 4, 5, 7}, x2[6] = {0, 1, 0, 2, 1, 1}, x3[6], y[6] = {1, 3, 2, 5, 4, 7};
	const double *xp[3] = {x1, x2, x3};
	AmlLmData	data = {6, xp, y, NULL};
	AmlCoef		c[4];

	for (int i = 0; i < 6; i++)
		x3[i] = x1[i] + x2[i];
	CHECK_OK(aml_formula_parse("y ~ x1 + x2 + x3", names, 4, &f, NULL, &err), &err);
	CHECK_OK(aml_design_build(f, vars, AML_CONTRAST_TREATMENT, &d, &err), &err);
	CHECK_OK(aml_lm_fit(d, &data, &lm, &err), &err);
	CHECK(lm->fit->rank == 3);
	aml_lm_tidy(lm, 0.95, c);
	CHECK(!c[0].aliased && !c[1].aliased && !c[2].aliased && c[3].aliased);
	aml_lm_free(lm);
	aml_design_free(d);
	aml_formula_free(f);
}

/* AS 89 against R 4.2's .Call(stats:::C_pRho, q, n, lower) */
static void
test_spearman_tail(void)
{
	CHECK_NEAR(aml_spearman_tail(4, 5, true), 0.041666666666666664, 1e-14);
	CHECK_NEAR(aml_spearman_tail(61, 9, false), 0.91116898148148151, 1e-14);
	CHECK_NEAR(aml_spearman_tail(85, 10, true), 0.074418869755457612, 1e-12);
	CHECK_NEAR(aml_spearman_tail(87, 10, true), 0.080091246957236503, 1e-12);
	CHECK_NEAR(aml_spearman_tail(2250, 30, false), 0.99728434021815382, 1e-12);
	CHECK_NEAR(aml_spearman_tail(166669, 100, true), 0.50042626951363944, 1e-12);
	CHECK_NEAR(aml_spearman_tail(250000, 100, false), 8.8351316447812823e-08, 1e-12);
	CHECK(aml_spearman_tail(330000 * 2, 100, true) == 1.0);
}

int
main(void)
{
	unit_begin();
	RUN(test_formula);
	RUN(test_design_names);
	RUN(test_longley);
	RUN(test_aliasing);
	RUN(test_spearman_tail);
	return unit_end();
}
