/*
 * test_model_union.c — unit tests of ensembles whose members have different
 * inputs, categories and classes (aml_model_ensemble_union, model.h: the
 * stored model of cross-site AutoML).  The ensemble's output must equal the
 * weighted sum of each member's own prediction on the same row written in
 * the member's own coding (computed here by hand), on the row path and the
 * batch path, before and after a JSON round trip; bad combinations are
 * refused.
 */
#include "unit.h"

#include "core/json.h"
#include "ml/calibration.h"
#include "ml/model.h"
#include "ml/pipeline.h"

static void
add_input(AmlSchema *s, const char *name, AmlColumnKind kind, const char *const *cats, int n_cats)
{
	AmlError	err;
	int			code;
	AmlInputColumn *in = &s->inputs[s->n_inputs++];

	in->name = aml_strdup(name);
	in->kind = kind;
	if (kind == AML_KIND_CATEGORICAL)
	{
		in->dict = aml_dict_new();
		for (int c = 0; c < n_cats; c++)
			aml_dict_intern(in->dict, cats[c], strlen(cats[c]), &code, &err);
	}
}

static void
set_classes(AmlSchema *s, const char *const *labels, int k)
{
	AmlError	err;
	int			code;

	s->target = aml_strdup("y");
	s->task = AML_TASK_CLASSIFICATION;
	s->classes = aml_dict_new();
	for (int c = 0; c < k; c++)
		aml_dict_intern(s->classes, labels[c], strlen(labels[c]), &code, &err);
}

static json_object *
parse(const char *text)
{
	json_object *o = NULL;
	AmlError	err;

	if (aml_json_parse(text, strlen(text), &o, &err) != AML_OK)
		unit_fail(__FILE__, __LINE__, "bad JSON in test: %s", err.message);
	return o;
}

/* Fit `spec` on n rows of schema s: raw columns filled by fill(i, j), classes by label(i). */
static AmlPipeline *
fit(AmlSchema *s, const char *spec_text, int n, double (*fill) (int, int), double (*label) (int))
{
	AmlMatrix  *raw = aml_matrix_new(n, s->n_inputs);
	double	   *y = AML_NEW_ARRAY(double, n);
	json_object *spec = parse(spec_text);
	AmlPipeline *p = NULL;
	AmlRng		rng;
	AmlError	err;

	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < s->n_inputs; j++)
			AML_AT(raw, i, j) = fill(i, j);
		y[i] = label(i);
	}
	CHECK_OK(aml_pipeline_create(s, spec, &p, &err), &err);
	aml_rng_seed(&rng, 3);
	CHECK_OK(aml_pipeline_fit(p, raw, y, &rng, &err), &err);
	json_object_put(spec);
	aml_matrix_free(raw);
	aml_free(y);
	return p;
}

/* member A: age (numeric), sex {F, M}; classes {no, yes} */
static double
fill_a(int i, int j)
{
	return j == 0 ? 20 + (i * 7) % 50 : (double) (i % 2);
}

static double
label_a(int i)
{
	return (20 + (i * 7) % 50 > 40) ^ (i % 5 == 0);
}

/* member B: sex {M, X}, bmi (numeric), smoker (binary); classes {maybe, no, yes} */
static double
fill_b(int i, int j)
{
	return j == 0 ? (double) (i % 2) : j == 1 ? 18 + (i * 3) % 17 : (double) (i % 3 == 0);
}

static double
label_b(int i)
{
	return (double) (i % 3);
}

/* The union row (age, sex {F, M, X}, bmi, smoker) in a member's own coding. */
static void
row_a(const double *u, double *r)
{
	r[0] = u[0];
	/* sex: F=0, M=1 in A; X unseen */
	r[1] = isnan(u[1]) ? NAN : u[1] == 0 ? 0 : u[1] == 1 ? 1 : AML_UNSEEN_CATEGORY;
}

static void
row_b(const double *u, double *r)
{
	/* sex: M=0, X=1 in B; F unseen */
	r[0] = isnan(u[1]) ? NAN : u[1] == 1 ? 0 : u[1] == 2 ? 1 : AML_UNSEEN_CATEGORY;
	r[1] = u[2];
	r[2] = u[3];
}

static void
test_union_ensemble(void)
{
	const char *sex_a[] = {"F", "M"};
	const char *sex_b[] = {"M", "X"};
	const char *cls_a[] = {"no", "yes"};
	const char *cls_b[] = {"maybe", "no", "yes"};
	AmlSchema	sa,
				sb;
	AmlPipeline *pa,
			   *pb;
	AmlPipeline *members[2];
	double		weights[2] = {1, 3};
	AmlModel   *m = NULL;
	AmlModel   *back = NULL;
	AmlError	err;
	double		rows[6][4] = {
		{30, 0, 20, 1}, {55, 1, 25, 0}, {45, 2, 30, 1}, {NAN, 1, NAN, 0}, {35, NAN, 22, 1}, {62, 2, 33, 0}
	};
	AmlMatrix  *raw = aml_matrix_new(6, 4);
	AmlMatrix  *pred = aml_matrix_new(6, 3);
	AmlMatrix  *pred2 = aml_matrix_new(6, 3);
	double	   *scratch;
	json_object *j;
	json_object *parsed;
	const char *text;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.inputs = AML_NEW_ARRAY(AmlInputColumn, 2);
	add_input(&sa, "age", AML_KIND_NUMERIC, NULL, 0);
	add_input(&sa, "sex", AML_KIND_CATEGORICAL, sex_a, 2);
	set_classes(&sa, cls_a, 2);
	sb.inputs = AML_NEW_ARRAY(AmlInputColumn, 3);
	add_input(&sb, "sex", AML_KIND_CATEGORICAL, sex_b, 2);
	add_input(&sb, "bmi", AML_KIND_NUMERIC, NULL, 0);
	add_input(&sb, "smoker", AML_KIND_BINARY, NULL, 0);
	set_classes(&sb, cls_b, 3);
	pa = fit(&sa, "{\"encoder\": {\"categorical\": \"onehot\"}, \"steps\": [{\"type\": \"simple_imputer\"},"
			 " {\"type\": \"standard_scaler\"}], \"estimator\": {\"type\": \"logistic_regression\"}}",
			 80, fill_a, label_a);
	/* ordinal codes: a tree splits on the member's own codes */
	pb = fit(&sb, "{\"encoder\": {\"categorical\": \"ordinal\"}, \"steps\": [],"
			 " \"estimator\": {\"type\": \"decision_tree\", \"params\": {\"max_depth\": 3}}}",
			 90, fill_b, label_b);
	members[0] = pa;
	members[1] = pb;
	CHECK_OK(aml_model_ensemble_union(members, weights, 2, &m, &err), &err);
	if (m == NULL)
		return;
	/* the union schema: inputs in first-seen order, categories and classes sorted */
	CHECK(m->schema->n_inputs == 4);
	CHECK_STR(m->schema->inputs[0].name, "age");
	CHECK_STR(m->schema->inputs[1].name, "sex");
	CHECK_STR(m->schema->inputs[2].name, "bmi");
	CHECK_STR(m->schema->inputs[3].name, "smoker");
	CHECK(m->schema->inputs[1].dict->count == 3);
	CHECK_STR(aml_dict_string(m->schema->inputs[1].dict, 2), "X");
	CHECK(m->outputs == 3);
	CHECK_STR(aml_dict_string(m->schema->classes, 0), "maybe");
	CHECK_STR(aml_dict_string(m->schema->classes, 1), "no");
	CHECK_STR(aml_dict_string(m->schema->classes, 2), "yes");
	CHECK_NEAR(m->weights[0], 0.25, 1e-15);

	for (int i = 0; i < 6; i++)
		for (int c = 0; c < 4; c++)
			AML_AT(raw, i, c) = rows[i][c];
	CHECK_OK(aml_model_predict(m, raw, pred, &err), &err);
	scratch = AML_NEW_ARRAY(double, aml_model_scratch_size(m));
	for (int i = 0; i < 6; i++)
	{
		double		ra[2],
					rb[3],
					oa[2],
					ob[3],
					out[3],
					expect[3];
		double	   *sa_scratch = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(pa));
		double	   *sb_scratch = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(pb));
		double		total = 0;

		row_a(rows[i], ra);
		row_b(rows[i], rb);
		aml_pipeline_predict_row(pa, ra, oa, sa_scratch);
		aml_pipeline_predict_row(pb, rb, ob, sb_scratch);
		/* A's no/yes are the model's classes 1/2; B's maybe/no/yes are 0/1/2 */
		expect[0] = 0.75 * ob[0];
		expect[1] = 0.25 * oa[0] + 0.75 * ob[1];
		expect[2] = 0.25 * oa[1] + 0.75 * ob[2];
		aml_model_predict_row(m, rows[i], out, scratch);
		for (int c = 0; c < 3; c++)
		{
			CHECK_NEAR(out[c], expect[c], 1e-15);
			CHECK_NEAR(AML_AT(pred, i, c), expect[c], 1e-15);
			total += out[c];
		}
		CHECK_NEAR(total, 1.0, 1e-12);
		aml_free(sa_scratch);
		aml_free(sb_scratch);
	}
	aml_free(scratch);

	/* JSON: the ensemble keeps its schema; reloaded, identical predictions */
	j = aml_model_to_json(m);
	text = aml_json_text(j);
	CHECK(strstr(text, "\"automl-ensemble\"") != NULL);
	parsed = parse(text);
	CHECK_OK(aml_model_from_json(parsed, &back, &err), &err);
	if (back != NULL)
	{
		CHECK(back->maps != NULL && back->outputs == 3 && back->schema->n_inputs == 4);
		CHECK_OK(aml_model_predict(back, raw, pred2, &err), &err);
		CHECK(memcmp(pred->data, pred2->data, sizeof(double) * 18) == 0);
		aml_model_free(back);
	}
	json_object_put(parsed);
	json_object_put(j);
	aml_model_free(m);

	/* a member whose input kind differs is refused (the caller keeps its pipelines) */
	{
		AmlSchema	sc;
		AmlPipeline *pc;
		AmlPipeline *two[2];

		memset(&sc, 0, sizeof(sc));
		sc.inputs = AML_NEW_ARRAY(AmlInputColumn, 1);
		add_input(&sc, "age", AML_KIND_BINARY, NULL, 0);
		set_classes(&sc, cls_a, 2);
		pc = fit(&sc, "{\"estimator\": {\"type\": \"gaussian_nb\"}}", 40, fill_b, label_a);
		pa = fit(&sa, "{\"estimator\": {\"type\": \"gaussian_nb\"}, \"steps\": [{\"type\": \"simple_imputer\"}]}",
				 80, fill_a, label_a);
		two[0] = pa;
		two[1] = pc;
		CHECK_STATUS(aml_model_ensemble_union(two, NULL, 2, &m, &err), AML_ERR_BAD_FORMAT, &err);
		CHECK(m == NULL);
		/* a stored schema that lacks a member's input is refused when loaded */
		two[1] = pa;
		CHECK_OK(aml_model_ensemble_union(two, NULL, 1, &m, &err), &err);
		if (m != NULL)
		{
			json_object *bad = aml_model_to_json(m);
			json_object *schema;
			json_object *inputs;

			json_object_object_get_ex(bad, "schema", &schema);
			json_object_object_get_ex(schema, "inputs", &inputs);
			json_object_array_del_idx(inputs, 0, 1);	/* "age" */
			CHECK_STATUS(aml_model_from_json(bad, &back, &err), AML_ERR_BAD_FORMAT, &err);
			CHECK(back == NULL);
			json_object_put(bad);
			aml_model_free(m);
		}
		aml_pipeline_free(pc);
		aml_schema_free(&sc);
	}
	aml_schema_free(&sa);
	aml_schema_free(&sb);
	aml_matrix_free(raw);
	aml_matrix_free(pred);
	aml_matrix_free(pred2);
}

/*
 * Groups: A1 and A2 (one node's ensemble, weights 1 and 3, calibrated by
 * temperature 2) and B (weight 4): out = 0.5 * cal(0.25 A1 + 0.75 A2) + 0.5 B,
 * A's classes mapped into the union; JSON round trip identical.
 */
static void
test_union_groups(void)
{
	const char *sex_a[] = {"F", "M"};
	const char *sex_b[] = {"M", "X"};
	const char *cls_a[] = {"no", "yes"};
	const char *cls_b[] = {"maybe", "no", "yes"};
	AmlSchema	sa,
				sb;
	AmlPipeline *p[3];
	double		weights[3] = {1, 3, 4};
	int			sizes[2] = {2, 1};
	AmlCalibrator *cals[2] = {NULL, NULL};
	AmlCalibrator *check = NULL;
	AmlModel   *m = NULL;
	AmlModel   *back = NULL;
	AmlError	err;
	json_object *cj = parse("{\"method\": \"temperature\", \"temperature\": 2.0, \"threshold\": 0.5}");
	double		rows[3][4] = {{30, 0, 20, 1}, {55, 2, 25, 0}, {NAN, 1, 30, 1}};
	AmlMatrix  *raw = aml_matrix_new(3, 4);
	AmlMatrix  *pred = aml_matrix_new(3, 3);
	AmlMatrix  *pred2 = aml_matrix_new(3, 3);
	double	   *scratch;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.inputs = AML_NEW_ARRAY(AmlInputColumn, 2);
	add_input(&sa, "age", AML_KIND_NUMERIC, NULL, 0);
	add_input(&sa, "sex", AML_KIND_CATEGORICAL, sex_a, 2);
	set_classes(&sa, cls_a, 2);
	sb.inputs = AML_NEW_ARRAY(AmlInputColumn, 3);
	add_input(&sb, "sex", AML_KIND_CATEGORICAL, sex_b, 2);
	add_input(&sb, "bmi", AML_KIND_NUMERIC, NULL, 0);
	add_input(&sb, "smoker", AML_KIND_BINARY, NULL, 0);
	set_classes(&sb, cls_b, 3);
	p[0] = fit(&sa, "{\"steps\": [{\"type\": \"simple_imputer\"}], \"estimator\": {\"type\": \"gaussian_nb\"}}",
			   80, fill_a, label_a);
	p[1] = fit(&sa, "{\"steps\": [{\"type\": \"simple_imputer\"}, {\"type\": \"standard_scaler\"}],"
			   " \"estimator\": {\"type\": \"logistic_regression\"}}", 80, fill_a, label_a);
	p[2] = fit(&sb, "{\"encoder\": {\"categorical\": \"ordinal\"}, \"steps\": [],"
			   " \"estimator\": {\"type\": \"decision_tree\", \"params\": {\"max_depth\": 3}}}",
			   90, fill_b, label_b);
	CHECK_OK(aml_calibrator_from_json(cj, 2, &cals[0], &err), &err);
	CHECK_OK(aml_calibrator_from_json(cj, 2, &check, &err), &err);
	CHECK_OK(aml_model_ensemble_union_groups(p, weights, 3, sizes, 2, cals, &m, &err), &err);
	if (m == NULL)
		return;
	CHECK(m->n_groups == 2);
	CHECK_NEAR(m->group_weight[0], 0.5, 1e-15);
	for (int i = 0; i < 3; i++)
		for (int c = 0; c < 4; c++)
			AML_AT(raw, i, c) = rows[i][c];
	CHECK_OK(aml_model_predict(m, raw, pred, &err), &err);
	scratch = AML_NEW_ARRAY(double, aml_model_scratch_size(m));
	for (int i = 0; i < 3; i++)
	{
		double		ra[2],
					rb[3],
					o1[2],
					o2[2],
					ob[3],
					ga[2],
					out[3],
					expect[3];
		double	   *s1 = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(p[0]));
		double	   *s2 = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(p[1]));
		double	   *s3 = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(p[2]));

		row_a(rows[i], ra);
		row_b(rows[i], rb);
		aml_pipeline_predict_row(p[0], ra, o1, s1);
		aml_pipeline_predict_row(p[1], ra, o2, s2);
		aml_pipeline_predict_row(p[2], rb, ob, s3);
		for (int c = 0; c < 2; c++)
			ga[c] = 0.25 * o1[c] + 0.75 * o2[c];
		aml_calibrator_apply_row(check, ga, ga);
		expect[0] = 0.5 * ob[0];
		expect[1] = 0.5 * ga[0] + 0.5 * ob[1];
		expect[2] = 0.5 * ga[1] + 0.5 * ob[2];
		/* the calibration changes A's probabilities (the test can fail) */
		CHECK(fabs(ga[0] - (0.25 * o1[0] + 0.75 * o2[0])) > 1e-6);
		aml_model_predict_row(m, rows[i], out, scratch);
		for (int c = 0; c < 3; c++)
		{
			CHECK_NEAR(out[c], expect[c], 1e-14);
			CHECK_NEAR(AML_AT(pred, i, c), expect[c], 1e-14);
		}
		aml_free(s1);
		aml_free(s2);
		aml_free(s3);
	}
	aml_free(scratch);
	{
		json_object *j = aml_model_to_json(m);
		json_object *parsed = parse(aml_json_text(j));

		CHECK(strstr(aml_json_text(j), "\"groups\"") != NULL);
		CHECK_OK(aml_model_from_json(parsed, &back, &err), &err);
		if (back != NULL)
		{
			CHECK(back->n_groups == 2 && back->group_calibration[0] != NULL && back->group_calibration[1] == NULL);
			CHECK_OK(aml_model_predict(back, raw, pred2, &err), &err);
			CHECK(memcmp(pred->data, pred2->data, sizeof(double) * 9) == 0);
			aml_model_free(back);
		}
		json_object_put(parsed);
		json_object_put(j);
	}
	aml_model_free(m);
	aml_calibrator_free(check);
	json_object_put(cj);
	aml_schema_free(&sa);
	aml_schema_free(&sb);
	aml_matrix_free(raw);
	aml_matrix_free(pred);
	aml_matrix_free(pred2);
}

/* Numeric labels sort by value ("2" < "9" < "10"), others in byte order. */
static void
test_union_label_order(void)
{
	const char *c1[] = {"10", "9"};
	const char *c2[] = {"2", "9"};
	AmlSchema	s1,
				s2;
	AmlPipeline *p[2];
	AmlModel   *m = NULL;
	AmlError	err;

	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	s1.inputs = AML_NEW_ARRAY(AmlInputColumn, 1);
	add_input(&s1, "age", AML_KIND_NUMERIC, NULL, 0);
	set_classes(&s1, c1, 2);
	s2.inputs = AML_NEW_ARRAY(AmlInputColumn, 1);
	add_input(&s2, "age", AML_KIND_NUMERIC, NULL, 0);
	set_classes(&s2, c2, 2);
	p[0] = fit(&s1, "{\"estimator\": {\"type\": \"gaussian_nb\"}}", 60, fill_a, label_a);
	p[1] = fit(&s2, "{\"estimator\": {\"type\": \"gaussian_nb\"}}", 60, fill_a, label_a);
	CHECK_OK(aml_model_ensemble_union(p, NULL, 2, &m, &err), &err);
	if (m != NULL)
	{
		CHECK(m->outputs == 3);
		CHECK_STR(aml_dict_string(m->schema->classes, 0), "2");
		CHECK_STR(aml_dict_string(m->schema->classes, 1), "9");
		CHECK_STR(aml_dict_string(m->schema->classes, 2), "10");
		aml_model_free(m);
	}
	aml_schema_free(&s1);
	aml_schema_free(&s2);
}

/* A classifier without probabilities cannot be averaged. */
static void
test_union_needs_probabilities(void)
{
	const char *cls_a[] = {"no", "yes"};
	AmlSchema	s;
	AmlPipeline *p[2];
	AmlModel   *m = NULL;
	AmlError	err;

	memset(&s, 0, sizeof(s));
	s.inputs = AML_NEW_ARRAY(AmlInputColumn, 1);
	add_input(&s, "age", AML_KIND_NUMERIC, NULL, 0);
	set_classes(&s, cls_a, 2);
	p[0] = fit(&s, "{\"estimator\": {\"type\": \"gaussian_nb\"}}", 60, fill_a, label_a);
	p[1] = fit(&s, "{\"estimator\": {\"type\": \"linear_svm\"}}", 60, fill_a, label_a);
	CHECK_STATUS(aml_model_ensemble_union(p, NULL, 2, &m, &err), AML_ERR_BAD_FORMAT, &err);
	CHECK(m == NULL);
	aml_pipeline_free(p[0]);
	aml_pipeline_free(p[1]);
	aml_schema_free(&s);
}

int
main(void)
{
	unit_begin();
	RUN(test_union_ensemble);
	RUN(test_union_groups);
	RUN(test_union_label_order);
	RUN(test_union_needs_probabilities);
	return unit_end();
}
