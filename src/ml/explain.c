/*
 * explain.c — explanations of pipelines and ensembles on their original
 * columns (explain.h): the training summary they need, which method serves
 * which model, the linear closed form, the sampling estimator, and summing
 * contributions back to original columns.
 */
#include "ml/explain.h"
#include "ml/shap.h"
#include "ml/linear_common.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/random.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ training summary */

void
aml_explain_info_free(AmlExplainInfo *info)
{
	if (info == NULL)
		return;
	aml_free(info->input_mean);
	aml_free(info->cover);
	aml_free(info->reference);
	aml_free(info);
}

AmlStatus
aml_explain_info_fit(const AmlPipeline *p, const AmlMatrix *raw, const AmlMatrix *X,
					 AmlExplainInfo **out, AmlError *err)
{
	AmlExplainInfo *info = AML_NEW(AmlExplainInfo);
	AmlStatus	st;

	*out = NULL;
	if (info == NULL)
		return aml_error_nomem(err, "an explanation summary");
	info->n_inputs = X->cols;
	info->n_raw = raw->cols;
	info->input_mean = AML_NEW_ARRAY(double, X->cols > 0 ? X->cols : 1);
	info->reference = AML_NEW_ARRAY(double, raw->cols > 0 ? raw->cols : 1);
	if (info->input_mean == NULL || info->reference == NULL)
	{
		aml_explain_info_free(info);
		return aml_error_nomem(err, "an explanation summary");
	}
	for (int j = 0; j < X->cols; j++)
	{
		double		s = 0;
		long		n = 0;

		for (int i = 0; i < X->rows; i++)
			if (!isnan(AML_AT(X, i, j)))
			{
				s += AML_AT(X, i, j);
				n++;
			}
		info->input_mean[j] = n > 0 ? s / n : NAN;
	}
	for (int j = 0; j < raw->cols; j++)
	{
		const AmlInputColumn *in = &p->schema.inputs[j];

		if (in->kind == AML_KIND_CATEGORICAL)
		{
			int			nc = in->dict ? (int) in->dict->count : 0;
			long	   *counts = AML_NEW_ARRAY(long, nc > 0 ? nc : 1);
			int			best = -1;

			if (counts == NULL)
			{
				aml_explain_info_free(info);
				return aml_error_nomem(err, "an explanation summary");
			}
			for (int i = 0; i < raw->rows; i++)
			{
				double		v = AML_AT(raw, i, j);

				if (!isnan(v) && v >= 0 && v < nc)
					counts[(int) v]++;
			}
			for (int c = 0; c < nc; c++)
				if (counts[c] > 0 && (best < 0 || counts[c] > counts[best]))
					best = c;
			info->reference[j] = best >= 0 ? best : NAN;
			aml_free(counts);
		}
		else
		{
			double		s = 0;
			long		n = 0;

			for (int i = 0; i < raw->rows; i++)
				if (!isnan(AML_AT(raw, i, j)))
				{
					s += AML_AT(raw, i, j);
					n++;
				}
			info->reference[j] = n > 0 ? s / n : NAN;
		}
	}
	st = aml_shap_covers_of_estimator(p->estimator, X, &info->cover, &info->n_cover, err);
	if (st != AML_OK)
	{
		aml_explain_info_free(info);
		return st;
	}
	*out = info;
	return AML_OK;
}

/* JSON numbers; NaN as null (core/json writes doubles exactly) */
static json_object *
double_array(const double *v, long n)
{
	json_object *a = json_object_new_array_ext((int) n);

	for (long i = 0; i < n; i++)
		json_object_array_add(a, isnan(v[i]) ? NULL : aml_json_new_double(v[i]));
	return a;
}

static AmlStatus
read_array(json_object *obj, const char *key, double **out, long *n, AmlError *err)
{
	json_object *a;
	long		len;

	*out = NULL;
	*n = 0;
	if (!json_object_object_get_ex(obj, key, &a) || a == NULL)
		return AML_OK;
	if (!json_object_is_type(a, json_type_array))
		return aml_error(err, AML_ERR_BAD_FORMAT, "explain.%s must be an array", key);
	len = (long) json_object_array_length(a);
	*out = AML_NEW_ARRAY(double, len > 0 ? len : 1);
	if (*out == NULL)
		return aml_error_nomem(err, "an explanation summary");
	for (long i = 0; i < len; i++)
	{
		json_object *v = json_object_array_get_idx(a, i);

		if (v == NULL)
			(*out)[i] = NAN;
		else if (!aml_json_as_double(v, &(*out)[i]))
			return aml_error(err, AML_ERR_BAD_FORMAT, "explain.%s holds a non-number", key);
	}
	*n = len;
	return AML_OK;
}

json_object *
aml_explain_info_to_json(const AmlExplainInfo *info)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "input_mean", double_array(info->input_mean, info->n_inputs));
	json_object_object_add(o, "reference", double_array(info->reference, info->n_raw));
	if (info->n_cover > 0)
		json_object_object_add(o, "cover", double_array(info->cover, info->n_cover));
	return o;
}

AmlStatus
aml_explain_info_from_json(json_object *obj, AmlExplainInfo **out, AmlError *err)
{
	AmlExplainInfo *info = AML_NEW(AmlExplainInfo);
	long		n;
	AmlStatus	st;

	*out = NULL;
	if (info == NULL)
		return aml_error_nomem(err, "an explanation summary");
	if (!json_object_is_type(obj, json_type_object))
		st = aml_error(err, AML_ERR_BAD_FORMAT, "explain must be an object");
	else
		st = read_array(obj, "input_mean", &info->input_mean, &n, err);
	info->n_inputs = (int) n;
	if (st == AML_OK)
		st = read_array(obj, "reference", &info->reference, &n, err);
	info->n_raw = (int) n;
	if (st == AML_OK)
		st = read_array(obj, "cover", &info->cover, &info->n_cover, err);
	for (long i = 0; st == AML_OK && i < info->n_cover; i++)
		if (!(info->cover[i] >= 0))
			st = aml_error(err, AML_ERR_BAD_FORMAT, "explain.cover holds a negative number");
	if (st != AML_OK)
	{
		aml_explain_info_free(info);
		return st;
	}
	*out = info;
	return AML_OK;
}

/* ------------------------------------------------------------------ explainers */

typedef enum Scale
{
	SCALE_VALUE = 0,
	SCALE_PROBABILITY,
	SCALE_LOG_ODDS,
	SCALE_MARGIN
} Scale;

static const char *const scale_names[] = {"value", "probability", "log-odds", "margin"};

typedef struct Member
{
	const AmlPipeline *p;
	AmlExplainMethod method;
	double		weight;
	int			K;				/* outputs in the explained scale */
	int		   *origin;			/* estimator input -> pipeline input */
	AmlShapForest *forest;		/* TREE */
	const AmlLinearModel *lin;	/* LINEAR */
	double	   *z;				/* estimator inputs of the row */
	double	   *zphi;			/* K x estimator inputs */
} Member;

struct AmlExplainer
{
	const AmlModel *model;
	AmlExplainMethod method;
	Scale		scale;
	int			n_raw;
	int			K;				/* outputs of the explained scale */
	int			n_report;		/* outputs reported */
	int		   *report;			/* their index in 0..K-1 */
	int		   *report_class;
	int			samples;
	uint64_t	seed;
	int			n_members;
	Member	   *members;
	/* buffers */
	double	   *phi;			/* K x n_raw */
	double	   *base;
	double	   *out;
	double	   *mphi;			/* one member's K x n_raw */
	double	   *mbase;
	double	   *mout;
	double	   *scratch;
	double	   *work;
	double	   *xa;				/* sampling: rows between reference and x */
	double	   *fa;
	double	   *fb;
	int		   *perm;
};

const char *
aml_explain_method_name(AmlExplainMethod m)
{
	switch (m)
	{
		case AML_EXPLAIN_TREE:
			return "tree_shap";
		case AML_EXPLAIN_LINEAR:
			return "linear";
		case AML_EXPLAIN_SAMPLING:
			return "sampling";
		case AML_EXPLAIN_ENSEMBLE:
			return "ensemble";
	}
	return "?";
}

static bool
is_linear(const AmlEstimatorType *t)
{
	return t->fold_link != AML_FOLD_NONE;
}

/* Estimator input -> pipeline input, or false when a step mixes columns. */
static bool
pipeline_origins(const AmlPipeline *p, int *origin, AmlError *err, bool *nomem)
{
	const AmlEncoder *enc = p->encoder;
	int			width = enc->n_out;
	int		   *cur = AML_NEW_ARRAY(int, p->max_width > 0 ? p->max_width : 1);
	int		   *next = AML_NEW_ARRAY(int, p->max_width > 0 ? p->max_width : 1);
	bool		ok = true;

	*nomem = false;
	if (cur == NULL || next == NULL)
	{
		aml_free(cur);
		aml_free(next);
		*nomem = true;
		return false;
	}
	for (int j = 0; j < width; j++)
		cur[j] = enc->out[j].input;
	for (int s = 0; s < p->n_steps && ok; s++)
	{
		const AmlTransformer *t = p->steps[s];
		int		   *tmp;

		if (t->type->source_column == NULL || t->type == &aml_normalizer_type)
		{
			ok = false;
			break;
		}
		for (int j = 0; j < t->n_out && ok; j++)
		{
			int			src = t->type->source_column(t, j);

			if (src < 0 || src >= width)
				ok = false;
			else
				next[j] = cur[src];
		}
		width = t->n_out;
		tmp = cur;
		cur = next;
		next = tmp;
	}
	if (ok)
		memcpy(origin, cur, sizeof(int) * p->estimator->n_features);
	aml_free(cur);
	aml_free(next);
	return ok;
}

/* The estimator inputs of raw row x. */
static void
pipeline_inputs(const AmlPipeline *p, const double *x, double *z, double *scratch)
{
	double	   *a = scratch;
	double	   *b = scratch + p->max_width;

	aml_encoder_transform_row(p->encoder, x, a);
	for (int k = 0; k < p->n_steps; k++)
	{
		double	   *t;

		p->steps[k]->type->transform_row(p->steps[k], a, b);
		t = a;
		a = b;
		b = t;
	}
	memcpy(z, a, sizeof(double) * p->estimator->n_features);
}

static void
member_free(Member *m)
{
	aml_free(m->origin);
	aml_shap_forest_free(m->forest);
	aml_free(m->z);
	aml_free(m->zphi);
}

void
aml_explainer_free(AmlExplainer *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < e->n_members && e->members; i++)
		member_free(&e->members[i]);
	aml_free(e->members);
	aml_free(e->report);
	aml_free(e->report_class);
	aml_free(e->phi);
	aml_free(e->base);
	aml_free(e->out);
	aml_free(e->mphi);
	aml_free(e->mbase);
	aml_free(e->mout);
	aml_free(e->scratch);
	aml_free(e->work);
	aml_free(e->xa);
	aml_free(e->fa);
	aml_free(e->fb);
	aml_free(e->perm);
	aml_free(e);
}

/*
 * Choose the method of one member.  natural: a single pipeline, explained on
 * the scale its estimator is additive in; otherwise (ensemble member) on the
 * model's output scale.
 */
static AmlStatus
member_setup(AmlExplainer *e, Member *mb, const AmlPipeline *p, bool natural, Scale *scale,
			 AmlError *err)
{
	const AmlExplainInfo *info = p->explain;
	const AmlEstimator *est = p->estimator;
	bool		classification = est->task == AML_TASK_CLASSIFICATION;
	bool		nomem = false;
	bool		mapped;

	mb->p = p;
	mb->method = AML_EXPLAIN_SAMPLING;
	mb->K = aml_pipeline_outputs(p);
	*scale = classification ? SCALE_PROBABILITY : SCALE_VALUE;
	mb->origin = AML_NEW_ARRAY(int, est->n_features > 0 ? est->n_features : 1);
	if (mb->origin == NULL)
		return aml_error_nomem(err, "an explainer");
	mapped = pipeline_origins(p, mb->origin, err, &nomem);
	if (nomem)
		return aml_error_nomem(err, "an explainer");
	if (!mapped || info == NULL || info->n_inputs != est->n_features)
		return AML_OK;
	if (info->n_cover > 0)
	{
		AML_TRY(aml_shap_forest_from_estimator(est, &mb->forest, err));
		if (mb->forest == NULL || aml_shap_forest_total_nodes(mb->forest) != info->n_cover)
		{
			aml_shap_forest_free(mb->forest);
			mb->forest = NULL;
			return AML_OK;
		}
		/* boosting classifiers explain margins: only as a whole model */
		if (mb->forest->tree_output[0] >= 0 && classification && !natural)
		{
			aml_shap_forest_free(mb->forest);
			mb->forest = NULL;
			return AML_OK;
		}
		aml_shap_forest_set_covers(mb->forest, info->cover);
		AML_TRY(aml_shap_forest_prepare(mb->forest, err));
		mb->method = AML_EXPLAIN_TREE;
		mb->K = mb->forest->n_outputs;
		if (mb->forest->tree_output[0] >= 0 && classification)
			*scale = mb->K == 1 ? SCALE_LOG_ODDS : SCALE_MARGIN;
	}
	else if (is_linear(est->type) && est->state != NULL)
	{
		const AmlLinearModel *lin = est->state;

		if (lin->form != AML_FORM_IDENTITY && !natural)
			return AML_OK;
		for (int j = 0; j < est->n_features; j++)
			if (isnan(info->input_mean[j]))
				return AML_OK;
		mb->lin = lin;
		mb->method = AML_EXPLAIN_LINEAR;
		mb->K = lin->n_rows;
		if (lin->form == AML_FORM_LOGISTIC)
			*scale = SCALE_LOG_ODDS;
		else if (lin->form != AML_FORM_IDENTITY)
			*scale = SCALE_MARGIN;
	}
	else
		return AML_OK;
	mb->z = AML_NEW_ARRAY(double, est->n_features > 0 ? est->n_features : 1);
	mb->zphi = AML_NEW_ARRAY(double, (size_t) mb->K * (est->n_features > 0 ? est->n_features : 1));
	if (mb->z == NULL || mb->zphi == NULL)
		return aml_error_nomem(err, "an explainer");
	return AML_OK;
}

AmlStatus
aml_explainer_create(const AmlModel *m, int samples, uint64_t seed, AmlExplainer **out,
					 AmlError *err)
{
	AmlExplainer *e = AML_NEW(AmlExplainer);
	AmlStatus	st = AML_OK;
	int			n;
	long		work = 1;
	int			scratch = aml_model_scratch_size(m);
	bool		classification = m->schema->task == AML_TASK_CLASSIFICATION;

	*out = NULL;
	if (e == NULL)
		return aml_error_nomem(err, "an explainer");
	if (m->maps != NULL)
	{
		aml_free(e);
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "an ensemble whose members have different inputs (cross-site AutoML) is not explained");
	}
	if (samples < 2)
		samples = 2;
	e->model = m;
	e->samples = samples;
	e->seed = seed;
	e->n_raw = n = m->schema->n_inputs;
	e->n_members = m->n_members;
	e->members = AML_NEW_ARRAY(Member, m->n_members);
	if (e->members == NULL)
		st = aml_error_nomem(err, "an explainer");
	for (int i = 0; i < m->n_members && st == AML_OK; i++)
	{
		Scale		s;

		e->members[i].weight = m->weights[i];
		st = member_setup(e, &e->members[i], m->members[i], m->n_members == 1, &s, err);
		if (m->n_members == 1)
		{
			e->scale = s;
			e->method = e->members[i].method;
			e->K = e->members[i].K;
		}
		if (e->members[i].forest)
		{
			long		w = aml_shap_forest_workspace(e->members[i].forest);

			if (w > work)
				work = w;
		}
		if (m->members[i]->max_width > scratch)
			scratch = m->members[i]->max_width;
	}
	if (m->n_members > 1)
	{
		e->method = AML_EXPLAIN_ENSEMBLE;
		e->scale = classification ? SCALE_PROBABILITY : SCALE_VALUE;
		e->K = m->outputs;
	}
	if (st == AML_OK)
	{
		int			K = e->K > 0 ? e->K : 1;
		int			Kmax = K;

		for (int i = 0; i < e->n_members; i++)
			if (e->members[i].K > Kmax)
				Kmax = e->members[i].K;
		e->phi = AML_NEW_ARRAY(double, (size_t) K * (n > 0 ? n : 1));
		e->base = AML_NEW_ARRAY(double, K);
		e->out = AML_NEW_ARRAY(double, K);
		e->mphi = AML_NEW_ARRAY(double, (size_t) Kmax * (n > 0 ? n : 1));
		e->mbase = AML_NEW_ARRAY(double, Kmax);
		e->mout = AML_NEW_ARRAY(double, Kmax + m->outputs);
		e->scratch = AML_NEW_ARRAY(double, (size_t) 2 * scratch + 2);
		e->work = AML_NEW_ARRAY(double, work);
		e->xa = AML_NEW_ARRAY(double, n > 0 ? n : 1);
		e->fa = AML_NEW_ARRAY(double, Kmax + m->outputs);
		e->fb = AML_NEW_ARRAY(double, Kmax + m->outputs);
		e->perm = AML_NEW_ARRAY(int, n > 0 ? n : 1);
		e->report = AML_NEW_ARRAY(int, K);
		e->report_class = AML_NEW_ARRAY(int, K);
		if (!e->phi || !e->base || !e->out || !e->mphi || !e->mbase || !e->mout || !e->scratch ||
			!e->work || !e->xa || !e->fa || !e->fb || !e->perm || !e->report || !e->report_class)
			st = aml_error_nomem(err, "an explainer");
	}
	if (st == AML_OK)
	{
		/* which outputs are reported, for which class */
		if (!classification)
		{
			e->n_report = 1;
			e->report[0] = 0;
			e->report_class[0] = -1;
		}
		else if (e->K == 1)
		{
			const Member *mb = &e->members[0];

			e->n_report = 1;
			e->report[0] = 0;
			e->report_class[0] = mb->lin ? mb->lin->pos_class : 1;
		}
		else if (e->K == 2)
		{
			/* two classes: the second class's output (the first's is its mirror) */
			e->n_report = 1;
			e->report[0] = 1;
			e->report_class[0] = 1;
		}
		else
		{
			e->n_report = e->K;
			for (int k = 0; k < e->K; k++)
				e->report[k] = e->report_class[k] = k;
		}
	}
	if (st != AML_OK)
	{
		aml_explainer_free(e);
		return st;
	}
	*out = e;
	return AML_OK;
}

AmlExplainMethod
aml_explainer_method(const AmlExplainer *e)
{
	return e->method;
}

const char *
aml_explainer_scale(const AmlExplainer *e)
{
	return scale_names[e->scale];
}

int
aml_explainer_outputs(const AmlExplainer *e)
{
	return e->n_report;
}

int
aml_explainer_output_class(const AmlExplainer *e, int k)
{
	return e->report_class[k];
}

int
aml_explainer_inputs(const AmlExplainer *e)
{
	return e->n_raw;
}

/* ------------------------------------------------------------------ per member */

/* Pipeline outputs at raw row x into f. */
static void
pipeline_at(AmlExplainer *e, const AmlPipeline *p, const double *x, double *f)
{
	aml_pipeline_predict_row(p, x, f, e->scratch);
}

/*
 * Shapley values of p's outputs relative to reference r: exact enumeration
 * for few inputs, else `samples` permutations drawn in antithetic pairs.
 */
static AmlStatus
explain_sampling(AmlExplainer *e, const Member *mb, const double *x, const double *r,
				 double *phi, double *base, double *out, AmlError *err)
{
	int			n = e->n_raw;
	int			K = mb->K;
	double	   *xa = e->xa;
	double	   *fa = e->fa;
	double	   *fb = e->fb;

	memset(phi, 0, sizeof(double) * (size_t) K * n);
	pipeline_at(e, mb->p, r, base);
	pipeline_at(e, mb->p, x, out);
	if (n == 0)
		return AML_OK;
	if (n <= AML_EXPLAIN_EXACT_MAX)
	{
		unsigned	sets = 1u << n;
		double		fact[AML_EXPLAIN_EXACT_MAX + 1];
		double	   *v = AML_NEW_ARRAY(double, (size_t) sets * K);

		if (v == NULL)
			return aml_error_nomem(err, "an exact explanation");
		fact[0] = 1;
		for (int i = 1; i <= n; i++)
			fact[i] = fact[i - 1] * i;
		for (unsigned s = 0; s < sets; s++)
		{
			for (int j = 0; j < n; j++)
				xa[j] = (s & (1u << j)) ? x[j] : r[j];
			pipeline_at(e, mb->p, xa, v + (size_t) s * K);
		}
		for (int j = 0; j < n; j++)
			for (unsigned s = 0; s < sets; s++)
			{
				int			size = __builtin_popcount(s);
				double		w;

				if (s & (1u << j))
					continue;
				w = fact[size] * fact[n - size - 1] / fact[n];
				for (int k = 0; k < K; k++)
					phi[(size_t) k * n + j] += w * (v[(size_t) (s | (1u << j)) * K + k] -
													v[(size_t) s * K + k]);
			}
		aml_free(v);
	}
	else
	{
		AmlRng		rng;
		int			done = 0;

		aml_rng_seed(&rng, e->seed);
		for (int j = 0; j < n; j++)
			e->perm[j] = j;
		while (done < e->samples)
		{
			aml_rng_shuffle(&rng, e->perm, n);
			/* the permutation, then its reverse (antithetic pair) */
			for (int dir = 0; dir < 2 && done < e->samples; dir++, done++)
			{
				memcpy(xa, r, sizeof(double) * n);
				memcpy(fa, base, sizeof(double) * K);
				for (int q = 0; q < n; q++)
				{
					int			j = e->perm[dir == 0 ? q : n - 1 - q];

					xa[j] = x[j];
					if (q == n - 1)
						memcpy(fb, out, sizeof(double) * K);
					else
						pipeline_at(e, mb->p, xa, fb);
					for (int k = 0; k < K; k++)
						phi[(size_t) k * n + j] += fb[k] - fa[k];
					memcpy(fa, fb, sizeof(double) * K);
				}
			}
			if (aml_interrupted())
				return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		}
		for (long i = 0; i < (long) K * n; i++)
			phi[i] /= done;
	}
	return AML_OK;
}

/* One member: phi (K x n_raw), base (K), out (K) on its explained scale. */
static AmlStatus
explain_member(AmlExplainer *e, Member *mb, const double *x, double *phi, double *base,
			   double *out, AmlError *err)
{
	const AmlPipeline *p = mb->p;
	int			n = e->n_raw;
	int			q = p->estimator->n_features;
	int			K = mb->K;

	if (mb->method == AML_EXPLAIN_SAMPLING)
		return explain_sampling(e, mb, x, p->explain ? p->explain->reference : NULL, phi, base,
								out, err);
	pipeline_inputs(p, x, mb->z, e->scratch);
	if (mb->method == AML_EXPLAIN_TREE)
	{
		aml_shap_forest_explain(mb->forest, mb->z, mb->zphi, base, e->work);
		aml_shap_forest_output(mb->forest, mb->z, out);
	}
	else
	{
		const AmlLinearModel *lin = mb->lin;
		const double *mean = p->explain->input_mean;

		for (int k = 0; k < K; k++)
		{
			const double *w = lin->coef + (size_t) k * lin->n_features;
			double		b = lin->intercept[k];
			double		o = lin->intercept[k];

			for (int j = 0; j < q; j++)
			{
				mb->zphi[(size_t) k * q + j] = w[j] * (mb->z[j] - mean[j]);
				b += w[j] * mean[j];
				o += w[j] * mb->z[j];
			}
			base[k] = b;
			out[k] = o;
		}
	}
	memset(phi, 0, sizeof(double) * (size_t) K * n);
	for (int k = 0; k < K; k++)
		for (int j = 0; j < q; j++)
			phi[(size_t) k * n + mb->origin[j]] += mb->zphi[(size_t) k * q + j];
	return AML_OK;
}

AmlStatus
aml_explainer_explain(AmlExplainer *e, const double *x, double *phi, double *base,
					  double *output, AmlError *err)
{
	int			n = e->n_raw;
	int			K = e->K;

	for (int i = 0; i < e->n_members; i++)
		if (e->members[i].method == AML_EXPLAIN_SAMPLING &&
			(e->members[i].p->explain == NULL || e->members[i].p->explain->n_raw != n))
		{
			aml_error(err, AML_ERR_INVALID_DATA, "the model has no training summary to explain it with");
			return aml_error_hint(err, "Fit the model again with this version of automl.");
		}
	if (e->n_members == 1)
		AML_TRY(explain_member(e, &e->members[0], x, e->phi, e->base, e->out, err));
	else
	{
		memset(e->phi, 0, sizeof(double) * (size_t) K * n);
		memset(e->base, 0, sizeof(double) * K);
		memset(e->out, 0, sizeof(double) * K);
		for (int i = 0; i < e->n_members; i++)
		{
			Member	   *mb = &e->members[i];

			AML_TRY(explain_member(e, mb, x, e->mphi, e->mbase, e->mout, err));
			for (long t = 0; t < (long) K * n; t++)
				e->phi[t] += mb->weight * e->mphi[t];
			for (int k = 0; k < K; k++)
			{
				e->base[k] += mb->weight * e->mbase[k];
				e->out[k] += mb->weight * e->mout[k];
			}
		}
	}
	for (int r = 0; r < e->n_report; r++)
	{
		int			k = e->report[r];

		memcpy(phi + (size_t) r * n, e->phi + (size_t) k * n, sizeof(double) * n);
		base[r] = e->base[k];
		output[r] = e->out[k];
	}
	return AML_OK;
}

/* ------------------------------------------------------------------ global importance */

AmlStatus
aml_explainer_importance_add(AmlExplainer *e, const AmlMatrix *raw, const int *rows, int from,
							 int to, double *sum, double *sumsq, AmlError *err)
{
	int			n = e->n_raw;
	int			K = e->n_report;
	double	   *x = aml_alloc_array((size_t) (n > 0 ? n : 1), sizeof(double));
	double	   *phi = aml_alloc_array((size_t) (n > 0 ? n : 1) * K, sizeof(double));
	double	   *base = aml_alloc_array((size_t) K, sizeof(double));
	double	   *out = aml_alloc_array((size_t) K, sizeof(double));
	AmlStatus	st = AML_OK;

	if (x == NULL || phi == NULL || base == NULL || out == NULL)
		st = aml_error_nomem(err, "feature importances");
	if (st == AML_OK && raw->cols != n)
		st = aml_error(err, AML_ERR_INVALID_PARAMETER, "the rows have %d columns, the model %d",
					   raw->cols, n);
	for (int t = from; t < to && st == AML_OK; t++)
	{
		int			i = rows ? rows[t] : t;

		if (aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "feature importances interrupted");
			break;
		}
		aml_matrix_get_row(raw, i, x);
		st = aml_explainer_explain(e, x, phi, base, out, err);
		for (int j = 0; j < n && st == AML_OK; j++)
		{
			double		a = 0;

			for (int k = 0; k < K; k++)
				a += fabs(phi[(size_t) k * n + j]);
			sum[j] += a;
			sumsq[j] += a * a;
		}
	}
	aml_free(x);
	aml_free(phi);
	aml_free(base);
	aml_free(out);
	return st;
}

void
aml_importance_finish(int n_rows, int n_inputs, double *sum, double *sumsq)
{
	for (int j = 0; j < n_inputs; j++)
	{
		double		mean = n_rows > 0 ? sum[j] / n_rows : 0;

		sumsq[j] = n_rows > 0 ? sqrt(fmax(0, sumsq[j] / n_rows - mean * mean)) : 0;
		sum[j] = mean;
	}
}
