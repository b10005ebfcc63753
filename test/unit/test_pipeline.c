/*
 * test_pipeline.c — unit tests of the encoder and of pipelines: one-hot with
 * infrequent/missing/unseen categories, ordinal, the default preprocessing of
 * each estimator, JSON round trips (bit-identical predictions), row path ==
 * batch path, bad specifications.
 */
#include "unit.h"
#include "csv.h"

#include "core/json.h"
#include "ml/encoder.h"
#include "ml/pipeline.h"

/* A schema of: age (numeric), sex (categorical F/M/X), smoker (binary). */
static void
make_schema(AmlSchema *s, AmlTask task)
{
	AmlError	err;
	int			code;
	const char *cats[] = {"F", "M", "X"};

	memset(s, 0, sizeof(*s));
	s->n_inputs = 3;
	s->inputs = AML_NEW_ARRAY(AmlInputColumn, 3);
	s->inputs[0].name = aml_strdup("age");
	s->inputs[0].kind = AML_KIND_NUMERIC;
	s->inputs[1].name = aml_strdup("sex");
	s->inputs[1].kind = AML_KIND_CATEGORICAL;
	s->inputs[1].dict = aml_dict_new();
	for (int c = 0; c < 3; c++)
		aml_dict_intern(s->inputs[1].dict, cats[c], 1, &code, &err);
	s->inputs[2].name = aml_strdup("smoker");
	s->inputs[2].kind = AML_KIND_BINARY;
	s->target = aml_strdup("y");
	s->task = task;
	if (task == AML_TASK_CLASSIFICATION)
	{
		s->classes = aml_dict_new();
		aml_dict_intern(s->classes, "no", 2, &code, &err);
		aml_dict_intern(s->classes, "yes", 3, &code, &err);
	}
}

/* 100 rows: sex F 60, M 38, X 1, missing 1 */
static AmlMatrix *
make_raw(double **y)
{
	AmlMatrix  *m = aml_matrix_new(100, 3);

	*y = AML_NEW_ARRAY(double, 100);
	for (int i = 0; i < 100; i++)
	{
		AML_AT(m, i, 0) = 20 + i % 50;
		AML_AT(m, i, 1) = i < 60 ? 0 : i < 98 ? 1 : i == 98 ? 2 : NAN;
		AML_AT(m, i, 2) = i % 3 == 0;
		(*y)[i] = (AML_AT(m, i, 0) > 40) ^ (i % 7 == 0);
	}
	AML_AT(m, 5, 0) = NAN;
	return m;
}

static json_object *
parse(const char *text)
{
	json_object *o;
	AmlError	err;

	if (aml_json_parse(text, strlen(text), &o, &err) != AML_OK)
		unit_fail(__FILE__, __LINE__, "bad JSON in test: %s", err.message);
	return o;
}

static void
test_onehot_encoder(void)
{
	AmlSchema	s;
	AmlMatrix  *raw;
	AmlMatrix  *out;
	AmlEncoder *enc;
	AmlError	err;
	double	   *y;
	double		row[3];
	double		o[8];
	char		name[64];
	json_object *params = parse("{\"min_frequency\": 0.05}");

	make_schema(&s, AML_TASK_CLASSIFICATION);
	raw = make_raw(&y);
	CHECK_OK(aml_encoder_create(params, &enc, &err), &err);
	CHECK_OK(aml_encoder_fit(enc, &s, raw, &err), &err);
	/* age, sex=F, sex=M, sex=(infrequent) [X is 1%], sex=(missing), smoker */
	CHECK(enc->n_out == 6);
	aml_encoder_column_name(enc, &s, 3, name, sizeof(name));
	CHECK_STR(name, "sex=(infrequent)");
	aml_encoder_column_name(enc, &s, 4, name, sizeof(name));
	CHECK_STR(name, "sex=(missing)");
	CHECK_OK(aml_encoder_transform(enc, raw, &out, &err), &err);
	CHECK(AML_AT(out, 0, 1) == 1 && AML_AT(out, 0, 2) == 0);
	CHECK(AML_AT(out, 98, 3) == 1 && AML_AT(out, 98, 1) == 0);	/* X is infrequent */
	CHECK(AML_AT(out, 99, 4) == 1 && AML_AT(out, 99, 3) == 0);	/* missing */
	CHECK(isnan(AML_AT(out, 5, 0)));	/* numeric NaN passes through */
	/* row path equals batch path, and an unseen category goes to infrequent */
	for (int i = 0; i < 100; i++)
	{
		aml_matrix_get_row(raw, i, row);
		aml_encoder_transform_row(enc, row, o);
		for (int j = 0; j < 6; j++)
			CHECK(memcmp(&o[j], &AML_AT(out, i, j), sizeof(double)) == 0);
	}
	row[0] = 30;
	row[1] = AML_UNSEEN_CATEGORY;
	row[2] = 1;
	aml_encoder_transform_row(enc, row, o);
	CHECK(o[1] == 0 && o[2] == 0 && o[3] == 1 && o[4] == 0);
	aml_matrix_free(out);
	/* JSON round trip */
	{
		json_object *j = aml_encoder_to_json(enc);
		AmlEncoder *back;

		CHECK_OK(aml_encoder_from_json(j, &back, &err), &err);
		CHECK(back->n_out == 6);
		aml_encoder_transform_row(back, row, o);
		CHECK(o[3] == 1);
		aml_encoder_free(back);
		/* a tampered state is refused, not trusted */
		json_object_array_put_idx(json_object_object_get(j, "out_input"), 2, json_object_new_int(7));
		CHECK_STATUS(aml_encoder_from_json(j, &back, &err), AML_ERR_BAD_FORMAT, &err);
		json_object_put(j);
	}
	aml_encoder_free(enc);
	json_object_put(params);

	/* ordinal: codes, NaN for missing and unseen */
	params = parse("{\"categorical\": \"ordinal\"}");
	CHECK_OK(aml_encoder_create(params, &enc, &err), &err);
	CHECK_OK(aml_encoder_fit(enc, &s, raw, &err), &err);
	CHECK(enc->n_out == 3);
	row[1] = 2;
	aml_encoder_transform_row(enc, row, o);
	CHECK(o[1] == 2);
	row[1] = AML_UNSEEN_CATEGORY;
	aml_encoder_transform_row(enc, row, o);
	CHECK(isnan(o[1]));
	aml_encoder_free(enc);
	json_object_put(params);

	/* max_categories keeps the most frequent */
	params = parse("{\"max_categories\": 1}");
	CHECK_OK(aml_encoder_create(params, &enc, &err), &err);
	CHECK_OK(aml_encoder_fit(enc, &s, raw, &err), &err);
	aml_encoder_column_name(enc, &s, 1, name, sizeof(name));
	CHECK_STR(name, "sex=F");
	aml_encoder_column_name(enc, &s, 2, name, sizeof(name));
	CHECK_STR(name, "sex=(infrequent)");
	aml_encoder_free(enc);
	json_object_put(params);

	/* bad parameters */
	params = parse("{\"categorical\": \"binary\"}");
	CHECK_STATUS(aml_encoder_create(params, &enc, &err), AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.detail, "\"onehot\"") != NULL);
	json_object_put(params);

	aml_matrix_free(raw);
	aml_free(y);
	aml_schema_free(&s);
}

/* Every estimator with its default preprocessing: fit, round trip, row == batch. */
static void
test_default_pipelines(void)
{
	AmlSchema	cls;
	AmlSchema	reg;
	AmlMatrix  *raw;
	double	   *y;
	AmlRng		rng;
	AmlError	err;
	int			tested = 0;

	make_schema(&cls, AML_TASK_CLASSIFICATION);
	make_schema(&reg, AML_TASK_REGRESSION);
	raw = make_raw(&y);
	for (int t = 0; t < aml_estimator_type_count(); t++)
	{
		const AmlEstimatorType *type = aml_estimator_type_at(t);

		if (type == NULL)
			continue;
		for (int task = AML_TASK_REGRESSION; task <= AML_TASK_CLASSIFICATION; task++)
		{
			AmlPipeline *p;
			AmlPipeline *back;
			json_object *spec;
			json_object *j;
			json_object *parsed;
			AmlMatrix  *pred;
			AmlMatrix  *pred2;
			double	   *scratch;
			double		row[3];
			double		out[4];
			const char *text;

			if (!(type->tasks & (unsigned) task))
				continue;
			spec = aml_pipeline_default_spec(type, NULL);
			CHECK_OK(aml_pipeline_create(task == AML_TASK_CLASSIFICATION ? &cls : &reg, spec, &p, &err), &err);
			aml_rng_seed(&rng, 7);
			CHECK_OK(aml_pipeline_fit(p, raw, y, &rng, &err), &err);
			if (!p->fitted)
			{
				unit_fail(__FILE__, __LINE__, "%s did not fit: %s", type->name, err.message);
				aml_pipeline_free(p);
				json_object_put(spec);
				continue;
			}
			pred = aml_matrix_new(100, aml_pipeline_outputs(p));
			CHECK_OK(aml_pipeline_predict(p, raw, pred, &err), &err);
			j = aml_pipeline_to_json(p);
			text = aml_json_text(j);
			CHECK_OK(aml_json_parse(text, strlen(text), &parsed, &err), &err);
			CHECK_OK(aml_pipeline_from_json(parsed, &back, &err), &err);
			pred2 = aml_matrix_new(100, aml_pipeline_outputs(p));
			CHECK_OK(aml_pipeline_predict(back, raw, pred2, &err), &err);
			CHECK_MSG(memcmp(pred->data, pred2->data, sizeof(double) * 100 * pred->cols) == 0,
					  "%s: predictions differ after a JSON round trip", type->name);
			scratch = AML_NEW_ARRAY(double, aml_pipeline_scratch_size(back));
			for (int i = 0; i < 100; i++)
			{
				aml_matrix_get_row(raw, i, row);
				aml_pipeline_predict_row(back, row, out, scratch);
				for (int c = 0; c < pred->cols; c++)
					CHECK_MSG(unit_near(out[c], AML_AT(pred, i, c), 1e-12),
							  "%s: row path %g != batch path %g", type->name, out[c], AML_AT(pred, i, c));
			}
			/* many rows: predicted in blocks (pipeline.c), the same values row for row */
			{
				enum {TALL = 5003};
				AmlMatrix  *tall = aml_matrix_new(TALL, raw->cols);
				AmlMatrix  *tall_pred = aml_matrix_new(TALL, pred->cols);
				int			off = 0;

				for (int i = 0; i < TALL; i++)
					for (int c = 0; c < raw->cols; c++)
						AML_AT(tall, i, c) = AML_AT(raw, i % 100, c);
				CHECK_OK(aml_pipeline_predict(p, tall, tall_pred, &err), &err);
				for (int i = 0; i < TALL; i++)
					for (int c = 0; c < pred->cols; c++)
						off += !unit_near(AML_AT(tall_pred, i, c), AML_AT(pred, i % 100, c), 1e-12);
				CHECK_MSG(off == 0, "%s: %d values of %d rows predicted in blocks differ", type->name, off, TALL);
				aml_matrix_free(tall);
				aml_matrix_free(tall_pred);
			}
			tested++;
			aml_free(scratch);
			aml_matrix_free(pred);
			aml_matrix_free(pred2);
			aml_pipeline_free(p);
			aml_pipeline_free(back);
			json_object_put(parsed);
			json_object_put(j);
			json_object_put(spec);
		}
	}
	CHECK(tested > 0);
	aml_matrix_free(raw);
	aml_free(y);
	aml_schema_free(&cls);
	aml_schema_free(&reg);
}

static void
test_bad_specs(void)
{
	AmlSchema	s;
	AmlPipeline *p;
	AmlError	err;
	json_object *spec;
	char		words[512];

	make_schema(&s, AML_TASK_CLASSIFICATION);
	spec = parse("{\"estimator\": {\"type\": \"deep_learning\"}}");
	CHECK_STATUS(aml_pipeline_create(&s, spec, &p, &err), AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.message, "unknown algorithm \"deep_learning\"") != NULL);
	json_object_put(spec);
	spec = parse("{\"steps\": [{\"type\": \"magic\"}], \"estimator\": {\"type\": \"gaussian_nb\"}}");
	CHECK_STATUS(aml_pipeline_create(&s, spec, &p, &err), AML_ERR_INVALID_PARAMETER, &err);
	CHECK(strstr(err.message, "unknown preprocessing step \"magic\"") != NULL);
	json_object_put(spec);
	spec = parse("{\"steps\": {}, \"estimator\": {\"type\": \"gaussian_nb\"}}");
	CHECK_STATUS(aml_pipeline_create(&s, spec, &p, &err), AML_ERR_INVALID_PARAMETER, &err);
	json_object_put(spec);
	spec = parse("{\"estimator\": {\"type\": \"gaussian_nb\", \"params\": {\"var_smoothing\": -1}}}");
	CHECK_STATUS(aml_pipeline_create(&s, spec, &p, &err), AML_ERR_INVALID_PARAMETER, &err);
	json_object_put(spec);
	spec = parse("{\"estimator\": {}}");
	CHECK_STATUS(aml_pipeline_create(&s, spec, &p, &err), AML_ERR_INVALID_PARAMETER, &err);
	json_object_put(spec);
	/* a pipeline in words */
	spec = parse("{\"encoder\": {\"categorical\": \"ordinal\"}, \"estimator\": {\"type\": \"gaussian_nb\"}}");
	CHECK_OK(aml_pipeline_create(&s, spec, &p, &err), &err);
	aml_pipeline_describe(p, words, sizeof(words));
	CHECK(strstr(words, "ordinal encoding") != NULL);
	CHECK(strstr(words, "naive Bayes") != NULL);
	aml_pipeline_free(p);
	json_object_put(spec);
	aml_schema_free(&s);
}

int
main(void)
{
	unit_begin();
	RUN(test_onehot_encoder);
	RUN(test_default_pipelines);
	RUN(test_bad_specs);
	return unit_end();
}
