/*
 * model.c — a pipeline or a weighted ensemble of pipelines (see model.h).
 */
#include "ml/model.h"
#include "ml/calibration.h"
#include "ml/decision.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a member of a union ensemble reads the model's raw row (model.h). */
typedef struct AmlMemberMap
{
	int			n_inputs;		/* the member's inputs */
	int		   *input;			/* member input -> model input */
	int		  **codes;			/* categorical member input: model code -> member code (-1: unseen) */
	int		   *n_codes;		/* model categories of that input */
	int			n_outputs;		/* the member's outputs */
	int		   *output;			/* member output -> model output */
} AmlMemberMap;

static void
maps_free(AmlMemberMap *maps, int n)
{
	if (maps == NULL)
		return;
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < maps[i].n_inputs && maps[i].codes; j++)
			aml_free(maps[i].codes[j]);
		aml_free(maps[i].codes);
		aml_free(maps[i].n_codes);
		aml_free(maps[i].input);
		aml_free(maps[i].output);
	}
	aml_free(maps);
}

void
aml_model_free(AmlModel *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < m->n_members; i++)
		aml_pipeline_free(m->members[i]);
	aml_free(m->members);
	aml_free(m->weights);
	aml_calibrator_free(m->calibration);
	maps_free(m->maps, m->n_members);
	for (int g = 0; g < m->n_groups && m->group_calibration; g++)
		aml_calibrator_free(m->group_calibration[g]);
	aml_free(m->group_calibration);
	aml_free(m->group_end);
	aml_free(m->group_weight);
	if (m->own_schema != NULL)
	{
		aml_schema_free(m->own_schema);
		aml_free(m->own_schema);
	}
	aml_free(m);
}

static AmlStatus
finish(AmlModel *m, AmlError *err)
{
	const AmlPipeline *first = m->members[0];

	m->schema = &first->schema;
	m->outputs = aml_pipeline_outputs(first);
	m->probabilistic = first->estimator->type->probabilistic;
	for (int i = 1; i < m->n_members; i++)
	{
		const AmlPipeline *p = m->members[i];

		if (p->schema.task != first->schema.task || aml_pipeline_outputs(p) != m->outputs ||
			p->schema.n_inputs != first->schema.n_inputs)
			return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members do not fit together");
		for (int j = 0; j < p->schema.n_inputs; j++)
			if (strcmp(p->schema.inputs[j].name, first->schema.inputs[j].name) != 0 ||
				p->schema.inputs[j].kind != first->schema.inputs[j].kind)
				return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members have different inputs");
		if (first->schema.task == AML_TASK_CLASSIFICATION && !p->estimator->type->probabilistic)
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "an ensemble of classifiers needs probabilistic members");
	}
	return AML_OK;
}

AmlStatus
aml_model_single(AmlPipeline *p, AmlModel **out, AmlError *err)
{
	return aml_model_ensemble(&p, NULL, 1, out, err);
}

AmlStatus
aml_model_ensemble(AmlPipeline **members, const double *weights, int n, AmlModel **out,
				   AmlError *err)
{
	AmlModel   *m;
	double		total = 0;

	*out = NULL;
	if (n < 1)
		return aml_error(err, AML_ERR_INTERNAL, "an ensemble needs members");
	m = AML_NEW(AmlModel);
	if (m == NULL)
		return aml_error_nomem(err, "a model");
	m->members = AML_NEW_ARRAY(AmlPipeline *, n);
	m->weights = AML_NEW_ARRAY(double, n);
	if (m->members == NULL || m->weights == NULL)
	{
		aml_free(m->members);
		aml_free(m->weights);
		aml_free(m);
		return aml_error_nomem(err, "a model");
	}
	m->n_members = n;
	for (int i = 0; i < n; i++)
	{
		m->members[i] = members[i];
		m->weights[i] = weights ? weights[i] : 1.0;
		if (!(m->weights[i] > 0))
		{
			aml_model_free(m);
			return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble weights must be positive");
		}
		total += m->weights[i];
	}
	for (int i = 0; i < n; i++)
		m->weights[i] /= total;
	if (finish(m, err) != AML_OK)
	{
		/* the caller keeps ownership on failure */
		for (int i = 0; i < n; i++)
			m->members[i] = NULL;
		m->n_members = 0;
		aml_model_free(m);
		return err->status;
	}
	*out = m;
	return AML_OK;
}

/* ------------------------------------------------ members over different inputs */

/* A label that is a whole finite number (then labels sort by value). */
static bool
label_number(const char *s, double *v)
{
	char	   *end;

	if (*s == '\0')
		return false;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v);
}

/* labels that are all numbers: by value (ties, e.g. "1" and "1.0", in byte order) */
static int
cmp_label_numeric(const void *a, const void *b)
{
	const char *x = *(const char *const *) a;
	const char *y = *(const char *const *) b;
	double		u = 0,
				v = 0;

	label_number(x, &u);
	label_number(y, &v);
	if (u != v)
		return u < v ? -1 : 1;
	return strcmp(x, y);
}

static int
cmp_label_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The union of dictionaries, sorted (numerically when every label is a number). */
static AmlStatus
dict_union(AmlDictionary *const *dicts, int n, AmlDictionary **out, AmlError *err)
{
	AmlDictionary *all = aml_dict_new();
	AmlDictionary *sorted = NULL;
	const char **labels = NULL;
	AmlStatus	st = AML_OK;
	int			code;

	*out = NULL;
	if (all == NULL)
		return aml_error_nomem(err, "a dictionary");
	for (int i = 0; i < n && st == AML_OK; i++)
		for (int c = 0; dicts[i] != NULL && c < dicts[i]->count && st == AML_OK; c++)
			st = aml_dict_intern(all, dicts[i]->strings[c], dicts[i]->lengths[c], &code, err);
	if (st == AML_OK)
	{
		labels = AML_NEW_ARRAY(const char *, all->count > 0 ? all->count : 1);
		sorted = aml_dict_new();
		if (labels == NULL || sorted == NULL)
			st = aml_error_nomem(err, "a dictionary");
	}
	if (st == AML_OK)
	{
		double		v;
		bool		numeric = true;

		for (int c = 0; c < all->count; c++)
		{
			labels[c] = all->strings[c];
			numeric = numeric && label_number(labels[c], &v);
		}
		qsort(labels, all->count, sizeof(char *), numeric ? cmp_label_numeric : cmp_label_bytes);
		for (int c = 0; c < all->count && st == AML_OK; c++)
			st = aml_dict_intern(sorted, labels[c], strlen(labels[c]), &code, err);
	}
	aml_free(labels);
	aml_dict_free(all);
	if (st != AML_OK)
	{
		aml_dict_free(sorted);
		return st;
	}
	*out = sorted;
	return AML_OK;
}

static int
schema_find(const AmlSchema *s, const char *name)
{
	for (int j = 0; j < s->n_inputs; j++)
		if (strcmp(s->inputs[j].name, name) == 0)
			return j;
	return -1;
}

/* The union of the members' schemas (model.h). */
static AmlStatus
schema_union(AmlPipeline **members, int n, AmlSchema *u, AmlError *err)
{
	const AmlSchema *first = &members[0]->schema;
	int			cap = 0;
	AmlDictionary **dicts = AML_NEW_ARRAY(AmlDictionary *, n);
	AmlStatus	st = AML_OK;

	memset(u, 0, sizeof(*u));
	if (dicts == NULL)
		return aml_error_nomem(err, "a schema");
	u->task = first->task;
	u->target = first->target ? aml_strdup(first->target) : NULL;
	for (int i = 0; i < n; i++)
		cap += members[i]->schema.n_inputs;
	u->inputs = AML_NEW_ARRAY(AmlInputColumn, cap > 0 ? cap : 1);
	if (u->inputs == NULL || (first->target != NULL && u->target == NULL))
		st = aml_error_nomem(err, "a schema");
	for (int i = 0; i < n && st == AML_OK; i++)
	{
		const AmlSchema *s = &members[i]->schema;

		for (int j = 0; j < s->n_inputs && st == AML_OK; j++)
		{
			int			k = schema_find(u, s->inputs[j].name);

			if (k >= 0)
			{
				if (u->inputs[k].kind != s->inputs[j].kind)
					st = aml_error(err, AML_ERR_BAD_FORMAT,
								   "ensemble members disagree on the kind of input \"%s\"", s->inputs[j].name);
				continue;
			}
			k = u->n_inputs++;
			u->inputs[k].kind = s->inputs[j].kind;
			if ((u->inputs[k].name = aml_strdup(s->inputs[j].name)) == NULL)
				st = aml_error_nomem(err, "a schema");
		}
	}
	/* categories of each categorical input, classes */
	for (int k = 0; k < u->n_inputs && st == AML_OK; k++)
	{
		if (u->inputs[k].kind != AML_KIND_CATEGORICAL)
			continue;
		for (int i = 0; i < n; i++)
		{
			int			j = schema_find(&members[i]->schema, u->inputs[k].name);

			dicts[i] = j >= 0 ? members[i]->schema.inputs[j].dict : NULL;
		}
		st = dict_union(dicts, n, &u->inputs[k].dict, err);
	}
	if (st == AML_OK && u->task == AML_TASK_CLASSIFICATION)
	{
		for (int i = 0; i < n; i++)
			dicts[i] = members[i]->schema.classes;
		st = dict_union(dicts, n, &u->classes, err);
	}
	aml_free(dicts);
	if (st != AML_OK)
		aml_schema_free(u);
	return st;
}

/* Per member: where its inputs and outputs are in the model's (m->own_schema). */
static AmlStatus
build_maps(AmlModel *m, AmlError *err)
{
	const AmlSchema *u = m->own_schema;

	m->maps = AML_NEW_ARRAY(AmlMemberMap, m->n_members);
	if (m->maps == NULL)
		return aml_error_nomem(err, "an ensemble");
	memset(m->maps, 0, sizeof(AmlMemberMap) * m->n_members);
	m->max_member_inputs = 0;
	for (int i = 0; i < m->n_members; i++)
	{
		const AmlPipeline *p = m->members[i];
		AmlMemberMap *map = &m->maps[i];
		int			n_in = p->schema.n_inputs;

		if (p->schema.task != u->task)
			return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members do not fit together");
		if (u->task == AML_TASK_CLASSIFICATION && !p->estimator->type->probabilistic)
			return aml_error(err, AML_ERR_BAD_FORMAT,
							 "an ensemble of classifiers needs probabilistic members");
		map->n_inputs = n_in;
		map->input = AML_NEW_ARRAY(int, n_in > 0 ? n_in : 1);
		map->codes = AML_NEW_ARRAY(int *, n_in > 0 ? n_in : 1);
		map->n_codes = AML_NEW_ARRAY(int, n_in > 0 ? n_in : 1);
		map->n_outputs = aml_pipeline_outputs(p);
		map->output = AML_NEW_ARRAY(int, map->n_outputs > 0 ? map->n_outputs : 1);
		if (map->input == NULL || map->codes == NULL || map->n_codes == NULL || map->output == NULL)
			return aml_error_nomem(err, "an ensemble");
		memset(map->codes, 0, sizeof(int *) * (n_in > 0 ? n_in : 1));
		if (n_in > m->max_member_inputs)
			m->max_member_inputs = n_in;
		for (int j = 0; j < n_in; j++)
		{
			const AmlInputColumn *in = &p->schema.inputs[j];
			int			k = schema_find(u, in->name);

			if (k < 0 || u->inputs[k].kind != in->kind)
				return aml_error(err, AML_ERR_BAD_FORMAT,
								 "input \"%s\" of an ensemble member is not in the ensemble's schema", in->name);
			map->input[j] = k;
			if (in->kind != AML_KIND_CATEGORICAL)
				continue;
			if (u->inputs[k].dict == NULL || in->dict == NULL)
				return aml_error(err, AML_ERR_BAD_FORMAT, "categorical input \"%s\" has no categories", in->name);
			map->n_codes[j] = u->inputs[k].dict->count;
			map->codes[j] = AML_NEW_ARRAY(int, map->n_codes[j] > 0 ? map->n_codes[j] : 1);
			if (map->codes[j] == NULL)
				return aml_error_nomem(err, "an ensemble");
			for (int c = 0; c < map->n_codes[j]; c++)
				map->codes[j][c] = aml_dict_lookup(in->dict, u->inputs[k].dict->strings[c],
												   u->inputs[k].dict->lengths[c]);
		}
		if (u->task == AML_TASK_CLASSIFICATION)
		{
			if (p->schema.classes == NULL || p->schema.classes->count != map->n_outputs)
				return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members do not fit together");
			for (int c = 0; c < map->n_outputs; c++)
			{
				map->output[c] = aml_dict_lookup(u->classes, p->schema.classes->strings[c],
												 p->schema.classes->lengths[c]);
				if (map->output[c] < 0)
					return aml_error(err, AML_ERR_BAD_FORMAT,
									 "class \"%s\" of an ensemble member is not in the ensemble's classes",
									 p->schema.classes->strings[c]);
			}
		}
		else
		{
			if (map->n_outputs != aml_pipeline_outputs(m->members[0]))
				return aml_error(err, AML_ERR_BAD_FORMAT, "ensemble members do not fit together");
			for (int c = 0; c < map->n_outputs; c++)
				map->output[c] = c;
		}
	}
	m->schema = u;
	m->outputs = u->task == AML_TASK_CLASSIFICATION ? u->classes->count : aml_pipeline_outputs(m->members[0]);
	m->probabilistic = m->members[0]->estimator->type->probabilistic;
	return AML_OK;
}

/* Groups: consecutive members with the same classes, each with its calibrator. */
static AmlStatus
set_groups(AmlModel *m, const int *sizes, int n_groups, AmlCalibrator **calibrators, AmlError *err)
{
	int			end = 0;

	m->n_groups = sizes ? n_groups : m->n_members;
	m->group_end = AML_NEW_ARRAY(int, m->n_groups);
	m->group_weight = AML_NEW_ARRAY(double, m->n_groups);
	m->group_calibration = AML_NEW_ARRAY(AmlCalibrator *, m->n_groups);
	if (m->group_end == NULL || m->group_weight == NULL || m->group_calibration == NULL)
	{
		m->n_groups = 0;
		return aml_error_nomem(err, "an ensemble");
	}
	for (int g = 0; g < m->n_groups; g++)
	{
		int			start = end;
		const AmlPipeline *first;

		end += sizes ? sizes[g] : 1;
		if ((sizes && sizes[g] < 1) || end > m->n_members)
			return aml_error(err, AML_ERR_BAD_FORMAT, "the groups of an ensemble do not cover its members");
		m->group_end[g] = end;
		first = m->members[start];
		for (int i = start; i < end; i++)
		{
			const AmlPipeline *p = m->members[i];

			m->group_weight[g] += m->weights[i];
			if (p->schema.task == AML_TASK_CLASSIFICATION)
			{
				bool		same = p->schema.classes && first->schema.classes &&
					p->schema.classes->count == first->schema.classes->count;

				for (int c = 0; same && c < p->schema.classes->count; c++)
					same = strcmp(p->schema.classes->strings[c], first->schema.classes->strings[c]) == 0;
				if (!same)
					return aml_error(err, AML_ERR_BAD_FORMAT, "the members of a group have different classes");
			}
		}
		if (calibrators != NULL && calibrators[g] != NULL)
		{
			if (first->schema.task != AML_TASK_CLASSIFICATION ||
				calibrators[g]->n_classes != aml_pipeline_outputs(first))
				return aml_error(err, AML_ERR_BAD_FORMAT, "a group's calibrator does not fit its members");
			m->group_calibration[g] = calibrators[g];
		}
	}
	if (end != m->n_members)
		return aml_error(err, AML_ERR_BAD_FORMAT, "the groups of an ensemble do not cover its members");
	return AML_OK;
}

/*
 * An ensemble over the union schema `u` (taken over: freed on failure too);
 * takes ownership of the pipelines and calibrators on success.
 */
static AmlStatus
ensemble_with_schema(AmlPipeline **members, const double *weights, int n, AmlSchema *u,
					 const int *group_sizes, int n_groups, AmlCalibrator **calibrators,
					 AmlModel **out, AmlError *err)
{
	AmlModel   *m;
	double		total = 0;

	*out = NULL;
	m = AML_NEW(AmlModel);
	if (m != NULL)
	{
		memset(m, 0, sizeof(*m));
		m->own_schema = AML_NEW(AmlSchema);
		m->members = AML_NEW_ARRAY(AmlPipeline *, n);
		m->weights = AML_NEW_ARRAY(double, n);
	}
	if (m == NULL || m->own_schema == NULL || m->members == NULL || m->weights == NULL)
	{
		aml_schema_free(u);
		if (m != NULL)
		{
			aml_free(m->own_schema);
			m->own_schema = NULL;
			aml_model_free(m);
		}
		return aml_error_nomem(err, "a model");
	}
	*m->own_schema = *u;
	m->n_members = n;
	for (int i = 0; i < n; i++)
	{
		m->members[i] = members[i];
		m->weights[i] = weights ? weights[i] : 1.0;
		if (!(m->weights[i] > 0) || !isfinite(m->weights[i]))
			total = NAN;
		else
			total += m->weights[i];
	}
	if (!(total > 0) || !isfinite(total))
		aml_error(err, AML_ERR_BAD_FORMAT, "ensemble weights must be positive");
	else
	{
		for (int i = 0; i < n; i++)
			m->weights[i] /= total;
		if (build_maps(m, err) == AML_OK &&
			set_groups(m, group_sizes, n_groups, calibrators, err) == AML_OK)
		{
			*out = m;
			return AML_OK;
		}
	}
	/* the caller keeps ownership of the pipelines and calibrators on failure */
	maps_free(m->maps, n);
	m->maps = NULL;
	if (m->group_calibration != NULL)
		memset(m->group_calibration, 0, sizeof(AmlCalibrator *) * m->n_groups);
	m->n_members = 0;
	aml_model_free(m);
	return err->status;
}

AmlStatus
aml_model_ensemble_union(AmlPipeline **members, const double *weights, int n, AmlModel **out,
						 AmlError *err)
{
	AmlSchema	u;

	*out = NULL;
	if (n < 1)
		return aml_error(err, AML_ERR_INTERNAL, "an ensemble needs members");
	AML_TRY(schema_union(members, n, &u, err));
	return ensemble_with_schema(members, weights, n, &u, NULL, 0, NULL, out, err);
}

AmlStatus
aml_model_ensemble_union_groups(AmlPipeline **members, const double *weights, int n,
								const int *group_sizes, int n_groups, AmlCalibrator **calibrators,
								AmlModel **out, AmlError *err)
{
	AmlSchema	u;

	*out = NULL;
	if (n < 1 || n_groups < 1 || group_sizes == NULL)
		return aml_error(err, AML_ERR_INTERNAL, "an ensemble needs members and groups");
	AML_TRY(schema_union(members, n, &u, err));
	return ensemble_with_schema(members, weights, n, &u, group_sizes, n_groups, calibrators, out, err);
}

/* A member's raw row from the model's (categories translated). */
static void
member_raw_row(const AmlMemberMap *map, const double *raw, double *mraw)
{
	for (int j = 0; j < map->n_inputs; j++)
	{
		double		v = raw[map->input[j]];

		if (map->codes[j] != NULL && !isnan(v))
		{
			int			c = (int) v;

			v = c >= 0 && c < map->n_codes[j] && map->codes[j][c] >= 0
				? (double) map->codes[j][c] : AML_UNSEEN_CATEGORY;
		}
		mraw[j] = v;
	}
}

int
aml_model_scratch_size(const AmlModel *m)
{
	int			size = 0;

	for (int i = 0; i < m->n_members; i++)
	{
		int			s = aml_pipeline_scratch_size(m->members[i]);

		if (s > size)
			size = s;
	}
	/* plus one member's outputs when averaging, and its raw row when mapped */
	return size + (m->n_members > 1 || m->maps ? m->outputs : 0) +
		(m->maps ? m->outputs + m->max_member_inputs : 0);
}

void
aml_model_predict_row(const AmlModel *m, const double *raw, double *out, double *scratch)
{
	double	   *member_out;

	if (m->maps != NULL)
	{
		double	   *group_out = scratch + m->outputs;
		double	   *mraw = group_out + m->outputs;
		int			i = 0;

		member_out = scratch;
		for (int c = 0; c < m->outputs; c++)
			out[c] = 0;
		for (int g = 0; g < m->n_groups; g++)
		{
			const AmlMemberMap *gmap = &m->maps[i];

			for (int c = 0; c < gmap->n_outputs; c++)
				group_out[c] = 0;
			for (; i < m->group_end[g]; i++)
			{
				const AmlMemberMap *map = &m->maps[i];

				member_raw_row(map, raw, mraw);
				aml_pipeline_predict_row(m->members[i], mraw, member_out, mraw + m->max_member_inputs);
				for (int c = 0; c < map->n_outputs; c++)
					group_out[c] += m->weights[i] / m->group_weight[g] * member_out[c];
			}
			if (m->group_calibration[g] != NULL)
				aml_calibrator_apply_row(m->group_calibration[g], group_out, group_out);
			for (int c = 0; c < gmap->n_outputs; c++)
				out[gmap->output[c]] += m->group_weight[g] * group_out[c];
		}
		return;
	}
	if (m->n_members == 1)
	{
		aml_pipeline_predict_row(m->members[0], raw, out, scratch);
		if (m->calibration != NULL)
			aml_calibrator_apply_row(m->calibration, out, out);
		return;
	}
	member_out = scratch;
	scratch += m->outputs;
	for (int c = 0; c < m->outputs; c++)
		out[c] = 0;
	for (int i = 0; i < m->n_members; i++)
	{
		aml_pipeline_predict_row(m->members[i], raw, member_out, scratch);
		for (int c = 0; c < m->outputs; c++)
			out[c] += m->weights[i] * member_out[c];
	}
	if (m->calibration != NULL)
		aml_calibrator_apply_row(m->calibration, out, out);
}

/* A member's raw matrix from the model's (categories translated). */
static AmlStatus
member_raw(const AmlMemberMap *map, const AmlMatrix *raw, AmlMatrix **out, AmlError *err)
{
	int			rows = raw->rows;

	AML_TRY(aml_matrix_create(rows, map->n_inputs > 0 ? map->n_inputs : 1, out, err));
	(*out)->cols = map->n_inputs;
	for (int j = 0; j < map->n_inputs; j++)
	{
		const double *src = AML_COL(raw, map->input[j]);
		double	   *dst = AML_COL(*out, j);

		for (int r = 0; r < rows; r++)
		{
			double		v = src[r];

			if (map->codes[j] != NULL && !isnan(v))
			{
				int			c = (int) v;

				v = c >= 0 && c < map->n_codes[j] && map->codes[j][c] >= 0
					? (double) map->codes[j][c] : AML_UNSEEN_CATEGORY;
			}
			dst[r] = v;
		}
	}
	return AML_OK;
}

/* aml_model_predict of a union ensemble: each group, each member on its own columns. */
static AmlStatus
predict_mapped(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, bool calibrated, AmlError *err)
{
	int			rows = raw->rows;
	AmlStatus	st = AML_OK;
	int			i = 0;

	memset(out->data, 0, (size_t) out->rows * (size_t) out->cols * sizeof(double));
	for (int g = 0; g < m->n_groups && st == AML_OK; g++)
	{
		const AmlMemberMap *gmap = &m->maps[i];
		AmlMatrix  *group = NULL;

		st = aml_matrix_create(rows, gmap->n_outputs, &group, err);
		for (; st == AML_OK && i < m->group_end[g]; i++)
		{
			const AmlMemberMap *map = &m->maps[i];
			AmlMatrix  *mraw = NULL;
			AmlMatrix  *tmp = NULL;
			double		share = m->weights[i] / m->group_weight[g];

			st = member_raw(map, raw, &mraw, err);
			if (st == AML_OK)
				st = aml_matrix_create(rows, map->n_outputs, &tmp, err);
			if (st == AML_OK)
				st = aml_pipeline_predict(m->members[i], mraw, tmp, err);
			if (st == AML_OK)
				for (size_t k = 0; k < (size_t) rows * (size_t) map->n_outputs; k++)
					group->data[k] += share * tmp->data[k];
			aml_matrix_free(mraw);
			aml_matrix_free(tmp);
		}
		if (st == AML_OK && calibrated && m->group_calibration[g] != NULL)
			st = aml_calibrator_apply(m->group_calibration[g], group, group, err);
		if (st == AML_OK)
			for (int c = 0; c < gmap->n_outputs; c++)
			{
				const double *src = AML_COL(group, c);
				double	   *dst = AML_COL(out, gmap->output[c]);

				for (int r = 0; r < rows; r++)
					dst[r] += m->group_weight[g] * src[r];
			}
		aml_matrix_free(group);
	}
	return st;
}

/* The outputs, with the calibrators applied or not. */
static AmlStatus
predict_matrix(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, bool calibrated, AmlError *err)
{
	const AmlCalibrator *cal = calibrated ? m->calibration : NULL;
	AmlMatrix  *tmp;
	size_t		n = (size_t) out->rows * (size_t) out->cols;

	if (m->maps != NULL)
		return predict_mapped(m, raw, out, calibrated, err);
	if (m->n_members == 1)
	{
		AML_TRY(aml_pipeline_predict(m->members[0], raw, out, err));
		return cal ? aml_calibrator_apply(cal, out, out, err) : AML_OK;
	}
	AML_TRY(aml_matrix_create(out->rows, out->cols, &tmp, err));
	memset(out->data, 0, n * sizeof(double));
	for (int i = 0; i < m->n_members; i++)
	{
		if (aml_pipeline_predict(m->members[i], raw, tmp, err) != AML_OK)
		{
			aml_matrix_free(tmp);
			return err->status;
		}
		for (size_t k = 0; k < n; k++)
			out->data[k] += m->weights[i] * tmp->data[k];
	}
	aml_matrix_free(tmp);
	return cal ? aml_calibrator_apply(cal, out, out, err) : AML_OK;
}

AmlStatus
aml_model_predict(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, AmlError *err)
{
	return predict_matrix(m, raw, out, true, err);
}

AmlStatus
aml_model_predict_uncalibrated(const AmlModel *m, const AmlMatrix *raw, AmlMatrix *out, AmlError *err)
{
	return predict_matrix(m, raw, out, false, err);
}

bool
aml_model_is_calibrated(const AmlModel *m)
{
	if (m->calibration != NULL && m->calibration->method != AML_CALIBRATION_NONE)
		return true;
	for (int g = 0; m->maps != NULL && g < m->n_groups; g++)
		if (m->group_calibration[g] != NULL && m->group_calibration[g]->method != AML_CALIBRATION_NONE)
			return true;
	return false;
}

int
aml_model_decide(const AmlModel *m, const double *outputs)
{
	return aml_decide(m->calibration, outputs, m->outputs);
}

/* The calibrator of a stored model, if any (after the model is built). */
static AmlStatus
read_calibration(json_object *obj, AmlModel *m, AmlError *err)
{
	json_object *c;

	if (!json_object_object_get_ex(obj, "calibration", &c) || c == NULL)
		return AML_OK;
	if (m->schema->task != AML_TASK_CLASSIFICATION || !m->probabilistic)
		return aml_error(err, AML_ERR_BAD_FORMAT, "only probabilistic classifiers are calibrated");
	return aml_calibrator_from_json(c, m->outputs, &m->calibration, err);
}

json_object *
aml_model_to_json(const AmlModel *m)
{
	json_object *o;
	json_object *members;

	if (m->n_members == 1)
	{
		o = aml_pipeline_to_json(m->members[0]);
		if (m->calibration != NULL)
			json_object_object_add(o, "calibration", aml_calibrator_to_json(m->calibration));
		return o;
	}
	o = json_object_new_object();
	members = json_object_new_array_ext(m->n_members);
	json_object_object_add(o, "format", json_object_new_string("automl-ensemble"));
	json_object_object_add(o, "version", json_object_new_int(1));
	if (m->own_schema != NULL)
	{
		json_object *groups = json_object_new_array_ext(m->n_groups);

		json_object_object_add(o, "schema", aml_schema_to_json(m->own_schema));
		for (int g = 0; g < m->n_groups; g++)
		{
			json_object *e = json_object_new_object();

			json_object_object_add(e, "size", json_object_new_int(m->group_end[g] - (g ? m->group_end[g - 1] : 0)));
			if (m->group_calibration[g] != NULL)
				json_object_object_add(e, "calibration", aml_calibrator_to_json(m->group_calibration[g]));
			json_object_array_add(groups, e);
		}
		json_object_object_add(o, "groups", groups);
	}
	for (int i = 0; i < m->n_members; i++)
	{
		json_object *e = json_object_new_object();

		json_object_object_add(e, "weight", aml_json_new_double(m->weights[i]));
		json_object_object_add(e, "pipeline", aml_pipeline_to_json(m->members[i]));
		json_object_array_add(members, e);
	}
	json_object_object_add(o, "members", members);
	if (m->calibration != NULL)
		json_object_object_add(o, "calibration", aml_calibrator_to_json(m->calibration));
	return o;
}

AmlStatus
aml_model_from_json(json_object *obj, AmlModel **out, AmlError *err)
{
	const char *format;
	json_object *members;
	json_object *schema;
	AmlPipeline **pipelines;
	double	   *weights;
	int			n;
	AmlStatus	st = AML_OK;

	*out = NULL;
	AML_TRY(aml_json_get_string(obj, "format", &format, "model", err));
	if (strcmp(format, "automl-pipeline") == 0)
	{
		AmlPipeline *p;

		AML_TRY(aml_pipeline_from_json(obj, &p, err));
		if (aml_model_single(p, out, err) != AML_OK)
		{
			aml_pipeline_free(p);
			return err->status;
		}
		if (read_calibration(obj, *out, err) != AML_OK)
		{
			aml_model_free(*out);
			*out = NULL;
			return err->status;
		}
		return AML_OK;
	}
	if (strcmp(format, "automl-ensemble") != 0)
		return aml_error(err, AML_ERR_BAD_FORMAT, "unknown model format \"%s\"", format);
	AML_TRY(aml_json_get(obj, "members", json_type_array, &members, "ensemble", err));
	n = (int) json_object_array_length(members);
	if (n < 1 || n > 10000)
		return aml_error(err, AML_ERR_BAD_FORMAT, "an ensemble needs between 1 and 10000 members");
	pipelines = AML_NEW_ARRAY(AmlPipeline *, n);
	weights = AML_NEW_ARRAY(double, n);
	if (pipelines == NULL || weights == NULL)
	{
		aml_free(pipelines);
		aml_free(weights);
		return aml_error_nomem(err, "an ensemble");
	}
	for (int i = 0; i < n && st == AML_OK; i++)
	{
		json_object *e = json_object_array_get_idx(members, i);
		json_object *pj;

		st = aml_json_get_double(e, "weight", &weights[i], "ensemble member", err);
		if (st == AML_OK)
			st = aml_json_get(e, "pipeline", json_type_object, &pj, "ensemble member", err);
		if (st == AML_OK)
			st = aml_pipeline_from_json(pj, &pipelines[i], err);
	}
	if (st == AML_OK && json_object_object_get_ex(obj, "schema", &schema) && schema != NULL)
	{
		/* members over different inputs: the model's own schema */
		AmlSchema	u;

		json_object *groups = NULL;
		int			n_groups = 0;
		int		   *sizes = NULL;
		AmlCalibrator **cals = NULL;

		if (!json_object_is_type(schema, json_type_object))
			st = aml_error(err, AML_ERR_BAD_FORMAT, "the schema of an ensemble must be an object");
		else if (json_object_object_get_ex(obj, "groups", &groups) && groups != NULL)
		{
			/* groups: sizes and calibrators (of the group's first member's outputs) */
			n_groups = json_object_is_type(groups, json_type_array) ? (int) json_object_array_length(groups) : 0;
			if (n_groups < 1 || n_groups > n)
				st = aml_error(err, AML_ERR_BAD_FORMAT, "the groups of an ensemble do not cover its members");
			else
			{
				sizes = AML_NEW_ARRAY(int, n_groups);
				cals = AML_NEW_ARRAY(AmlCalibrator *, n_groups);
				if (sizes == NULL || cals == NULL)
					st = aml_error_nomem(err, "an ensemble");
			}
			for (int g = 0, start = 0; g < n_groups && st == AML_OK; g++)
			{
				json_object *e = json_object_array_get_idx(groups, g);
				json_object *cj;
				double		size;

				st = aml_json_get_double(e, "size", &size, "ensemble group", err);
				if (st == AML_OK && !(size >= 1 && size <= n - start && size == (int) size))
					st = aml_error(err, AML_ERR_BAD_FORMAT, "the groups of an ensemble do not cover its members");
				if (st != AML_OK)
					break;
				sizes[g] = (int) size;
				if (json_object_object_get_ex(e, "calibration", &cj) && cj != NULL)
					st = aml_calibrator_from_json(cj, aml_pipeline_outputs(pipelines[start]), &cals[g], err);
				start += sizes[g];
			}
		}
		if (st == AML_OK && (st = aml_schema_from_json(schema, &u, err)) == AML_OK)
			st = ensemble_with_schema(pipelines, weights, n, &u, sizes, n_groups, cals, out, err);
		if (st != AML_OK)
			for (int g = 0; cals != NULL && g < n_groups; g++)
				aml_calibrator_free(cals[g]);
		aml_free(sizes);
		aml_free(cals);
		if (st == AML_OK && json_object_object_get_ex(obj, "calibration", &schema) && schema != NULL)
		{
			aml_model_free(*out);
			*out = NULL;
			aml_free(pipelines);
			aml_free(weights);
			return aml_error(err, AML_ERR_BAD_FORMAT, "an ensemble with its own schema has no calibrator");
		}
	}
	else if (st == AML_OK)
		st = aml_model_ensemble(pipelines, weights, n, out, err);
	if (st != AML_OK)
		for (int i = 0; i < n; i++)
			aml_pipeline_free(pipelines[i]);
	else if (read_calibration(obj, *out, err) != AML_OK)
	{
		aml_model_free(*out);
		*out = NULL;
		st = err->status;
	}
	aml_free(pipelines);
	aml_free(weights);
	return st;
}

void
aml_model_describe(const AmlModel *m, char *buf, size_t buflen)
{
	size_t		used;

	if (m->n_members == 1)
	{
		aml_pipeline_describe(m->members[0], buf, buflen);
		return;
	}
	used = (size_t) snprintf(buf, buflen, "ensemble of %d pipelines:", m->n_members);
	for (int i = 0; i < m->n_members && used < buflen; i++)
	{
		char		member[1024];

		aml_pipeline_describe(m->members[i], member, sizeof(member));
		used += (size_t) snprintf(buf + used, buflen - used, "%s %.2f × [%s]", i ? ";" : "",
								  m->weights[i], member);
	}
}

const char *
aml_model_algorithm(const AmlModel *m)
{
	return m->n_members == 1 ? m->members[0]->estimator->type->name : "ensemble";
}
