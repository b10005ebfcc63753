/*
 * genome.c — pipelines as genomes: random, repaired, mutated, crossed, and
 * turned into pipeline specifications (see space.h).
 */
#include "search/space.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/transformer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double min_frequencies[] = {0.0, 0.01, 0.05};

#define N_MIN_FREQ 3

static double
round_sig(double x, int digits)
{
	double		scale;

	if (x == 0 || !isfinite(x))
		return x;
	scale = pow(10, digits - 1 - (int) floor(log10(fabs(x))));
	return round(x * scale) / scale;
}

static double
sample_value(const AmlDomain *d, AmlRng *rng)
{
	switch (d->type)
	{
		case AML_DOMAIN_CHOICE:
			return (double) aml_rng_below(rng, (uint64_t) (d->n_choices > 0 ? d->n_choices : 1));
		case AML_DOMAIN_BOOL:
			return (double) aml_rng_below(rng, 2);
		case AML_DOMAIN_INT:
			{
				double		x;

				if (d->lo == d->hi)
					return d->lo;
				if (d->log && d->lo > 0)
					x = floor(exp(log(d->lo) + aml_rng_uniform(rng) * (log(d->hi + 1) - log(d->lo))));
				else
					x = d->lo + floor(aml_rng_uniform(rng) * (d->hi - d->lo + 1));
				return fmin(fmax(x, d->lo), d->hi);
			}
		case AML_DOMAIN_DOUBLE:
			if (d->lo == d->hi)
				return d->lo;
			if (d->log && d->lo > 0)
				return fmin(fmax(round_sig(exp(log(d->lo) + aml_rng_uniform(rng) *
												(log(d->hi) - log(d->lo))), 3), d->lo), d->hi);
			return fmin(fmax(round_sig(d->lo + aml_rng_uniform(rng) * (d->hi - d->lo), 3), d->lo), d->hi);
	}
	return 0;
}

/* A value near x: a step of about a sixth of the (log) range. */
static double
perturb_value(const AmlDomain *d, AmlRng *rng, double x)
{
	double		step = aml_rng_normal(rng) / 6.0;

	if (isnan(x))				/* unset: draw a value */
		return sample_value(d, rng);
	switch (d->type)
	{
		case AML_DOMAIN_CHOICE:
		case AML_DOMAIN_BOOL:
			return sample_value(d, rng);
		case AML_DOMAIN_INT:
		case AML_DOMAIN_DOUBLE:
			{
				double		y;

				if (d->lo == d->hi)
					return d->lo;
				if (d->log && d->lo > 0 && x > 0)
					y = exp(log(x) + step * (log(d->hi) - log(d->lo)));
				else
					y = x + step * (d->hi - d->lo);
				y = fmin(fmax(y, d->lo), d->hi);
				if (d->type == AML_DOMAIN_INT)
				{
					y = round(y);
					if (y == x)	/* move at least one step */
						y = fmin(fmax(x + (step >= 0 ? 1 : -1), d->lo), d->hi);
					return y;
				}
				return round_sig(y, 3);
			}
	}
	return x;
}

static void
random_gene(const AmlSearchSpace *space, int op, AmlRng *rng, AmlGene *g)
{
	memset(g, 0, sizeof(*g));
	g->op = op;
	if (op < 0)
		return;
	for (int i = 0; i < space->ops[op].n_domains; i++)
		g->v[i] = sample_value(&space->ops[op].domains[i], rng);
}

/*
 * The value of a domain that stands for the hyperparameter's own default;
 * NaN ("leave it unset") when that default lies outside the domain (e.g.
 * max_features=sqrt for a max_features_fraction range).
 */
static double
default_value(const AmlOperator *op, const AmlDomain *d)
{
	const AmlParamSpec *spec = aml_operator_param_spec(op, d->param);
	double		x;

	if (spec == NULL)
		return NAN;
	switch (d->type)
	{
		case AML_DOMAIN_CHOICE:
			if (spec->type == AML_PARAM_CHOICE)
			{
				const char *name = spec->choices[(int) spec->default_value];

				for (int c = 0; c < d->n_choices; c++)
					if (strcmp(d->choices[c], name) == 0)
						return c;
			}
			return NAN;
		case AML_DOMAIN_BOOL:
			return spec->default_value != 0;
		default:
			x = spec->default_value;
			if (isnan(x) || (spec->type == AML_PARAM_INT && (int) x == AML_PARAM_NONE_INT) ||
				x < d->lo || x > d->hi)
				return NAN;
			return x;
	}
}

void
aml_gene_default(const AmlSearchSpace *space, int op, AmlGene *g)
{
	memset(g, 0, sizeof(*g));
	g->op = op;
	if (op < 0)
		return;
	for (int i = 0; i < space->ops[op].n_domains; i++)
		g->v[i] = default_value(&space->ops[op], &space->ops[op].domains[i]);
}

static int
random_op_of_slot(const AmlSearchSpace *space, AmlSlot slot, AmlRng *rng)
{
	int			n = 0;
	int			pick;

	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == slot)
			n++;
	if (n == 0)
		return -1;
	pick = (int) aml_rng_below(rng, (uint64_t) n);
	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == slot && pick-- == 0)
			return i;
	return -1;
}

const AmlOperator *
aml_genome_estimator(const AmlSearchSpace *space, const AmlGenome *g)
{
	return g->slots[AML_SLOT_ESTIMATOR].op >= 0 ? &space->ops[g->slots[AML_SLOT_ESTIMATOR].op] : NULL;
}

void
aml_genome_repair(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng, AmlGenome *g)
{
	AmlGene    *est = &g->slots[AML_SLOT_ESTIMATOR];
	const AmlOperator *e;
	int			minmax = aml_space_find(space, "minmax_scaler");

	if (est->op < 0 || space->ops[est->op].slot != AML_SLOT_ESTIMATOR)
		random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng, est);
	e = &space->ops[est->op];
	/* multinomial naive Bayes: min-max scaling, nothing that makes negatives */
	if (e->needs_minmax)
	{
		if (minmax < 0 || space->ops[minmax].slot != AML_SLOT_SCALER)
		{
			/* cannot be satisfied: another estimator */
			for (int tries = 0; tries < 20 && e->needs_minmax; tries++)
			{
				random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng, est);
				e = &space->ops[est->op];
			}
		}
		else
		{
			aml_gene_default(space, minmax, &g->slots[AML_SLOT_SCALER]);
			g->slots[AML_SLOT_TRANSFORM].op = -1;
		}
	}
	/* an imputer unless the estimator handles missing values itself */
	if (!e->handles_missing && g->slots[AML_SLOT_IMPUTER].op < 0)
	{
		int			imp = random_op_of_slot(space, AML_SLOT_IMPUTER, rng);

		if (imp >= 0)
			aml_gene_default(space, imp, &g->slots[AML_SLOT_IMPUTER]);
	}
	/*
	 * Canonical forms, so that pipelines that must behave alike are one
	 * candidate: without missing values the imputer's settings do nothing;
	 * trees do not care about per-column scaling.
	 */
	if (!traits->has_missing && g->slots[AML_SLOT_IMPUTER].op >= 0)
		aml_gene_default(space, g->slots[AML_SLOT_IMPUTER].op, &g->slots[AML_SLOT_IMPUTER]);
	if (e->handles_missing && g->slots[AML_SLOT_SCALER].op >= 0 &&
		strcmp(space->ops[g->slots[AML_SLOT_SCALER].op].name, "normalizer") != 0)
		g->slots[AML_SLOT_SCALER].op = -1;
	/* without an imputer, later steps must cope with missing values */
	if (g->slots[AML_SLOT_IMPUTER].op < 0 && traits->has_missing)
		for (int s = AML_SLOT_SCALER; s < AML_SLOT_ESTIMATOR; s++)
			if (g->slots[s].op >= 0 && !space->ops[g->slots[s].op].accepts_missing)
				g->slots[s].op = -1;
	for (int s = 0; s < AML_N_SLOTS; s++)
		if (g->slots[s].op < 0)
			memset(&g->slots[s], 0, sizeof(AmlGene)), g->slots[s].op = -1;
	/* the encoding matters only when there are categories */
	if (!traits->has_categorical)
	{
		g->ordinal = 0;
		g->min_frequency = 0;
	}
	else
	{
		if (g->ordinal && !space->allow_ordinal)
			g->ordinal = 0;
		if (!g->ordinal && !space->allow_onehot)
			g->ordinal = 1;
		if (g->ordinal)
			g->min_frequency = 0;
	}
}

void
aml_genome_random(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
				  AmlGenome *out)
{
	memset(out, 0, sizeof(*out));
	for (int s = 0; s < AML_N_SLOTS; s++)
		out->slots[s].op = -1;
	random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng,
				&out->slots[AML_SLOT_ESTIMATOR]);
	if (!space->ops[out->slots[AML_SLOT_ESTIMATOR].op].handles_missing || aml_rng_uniform(rng) < 0.3)
		random_gene(space, random_op_of_slot(space, AML_SLOT_IMPUTER, rng), rng, &out->slots[AML_SLOT_IMPUTER]);
	/* each optional step with probability 1/3: pipelines start small */
	for (int s = AML_SLOT_SCALER; s < AML_SLOT_ESTIMATOR; s++)
		if (aml_rng_uniform(rng) < 1.0 / 3)
			random_gene(space, random_op_of_slot(space, (AmlSlot) s, rng), rng, &out->slots[s]);
	out->ordinal = (int) aml_rng_below(rng, 2);
	out->min_frequency = (int) aml_rng_below(rng, N_MIN_FREQ);
	aml_genome_repair(space, traits, rng, out);
}

void
aml_genome_mutate(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
				  const AmlGenome *parent, AmlGenome *out)
{
	double		r = aml_rng_uniform(rng);

	*out = *parent;
	if (r < 0.5)
	{
		/* one hyperparameter, of the estimator twice as often as of a step */
		int			slot = AML_SLOT_ESTIMATOR;
		AmlGene    *g;
		const AmlOperator *op;

		if (aml_rng_uniform(rng) < 1.0 / 3)
		{
			int			candidates[AML_N_SLOTS];
			int			n = 0;

			for (int s = 0; s < AML_SLOT_ESTIMATOR; s++)
				if (out->slots[s].op >= 0 && space->ops[out->slots[s].op].n_domains > 0)
					candidates[n++] = s;
			if (n > 0)
				slot = candidates[aml_rng_below(rng, (uint64_t) n)];
		}
		g = &out->slots[slot];
		op = &space->ops[g->op];
		if (op->n_domains > 0)
		{
			int			d = (int) aml_rng_below(rng, (uint64_t) op->n_domains);

			g->v[d] = perturb_value(&op->domains[d], rng, g->v[d]);
		}
		else
			random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng,
						&out->slots[AML_SLOT_ESTIMATOR]);
	}
	else if (r < 0.65)
		random_gene(space, random_op_of_slot(space, AML_SLOT_ESTIMATOR, rng), rng,
					&out->slots[AML_SLOT_ESTIMATOR]);
	else if (r < 0.9 || !traits->has_categorical)
	{
		/* add, replace or remove one preprocessing step */
		int			slot = (int) aml_rng_below(rng, AML_SLOT_ESTIMATOR);

		if (out->slots[slot].op >= 0 && aml_rng_uniform(rng) < 0.5)
			out->slots[slot].op = -1;
		else
			random_gene(space, random_op_of_slot(space, (AmlSlot) slot, rng), rng, &out->slots[slot]);
	}
	else
	{
		/* the encoding of categories */
		if (aml_rng_uniform(rng) < 0.5)
			out->ordinal = !out->ordinal;
		else
			out->min_frequency = (int) aml_rng_below(rng, N_MIN_FREQ);
	}
	aml_genome_repair(space, traits, rng, out);
}

void
aml_genome_crossover(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
					 const AmlGenome *a, const AmlGenome *b, AmlGenome *out)
{
	*out = *a;
	out->slots[AML_SLOT_ESTIMATOR] = b->slots[AML_SLOT_ESTIMATOR];
	if (aml_rng_uniform(rng) < 0.5)
	{
		out->ordinal = b->ordinal;
		out->min_frequency = b->min_frequency;
	}
	aml_genome_repair(space, traits, rng, out);
}

int
aml_genome_complexity(const AmlGenome *g)
{
	int			n = 0;

	for (int s = AML_SLOT_SCALER; s < AML_SLOT_ESTIMATOR; s++)
		if (g->slots[s].op >= 0)
			n++;
	return n;
}

static json_object *
gene_params(const AmlSearchSpace *space, const AmlGene *g)
{
	const AmlOperator *op = &space->ops[g->op];
	json_object *params = NULL;
	AmlError	err;

	if (op->fixed[0] == '\0' || aml_json_parse(op->fixed, strlen(op->fixed), &params, &err) != AML_OK)
		params = json_object_new_object();
	for (int i = 0; i < op->n_domains; i++)
	{
		const AmlDomain *d = &op->domains[i];
		json_object *v;

		if (isnan(g->v[i]))
			continue;			/* the hyperparameter's own default */
		switch (d->type)
		{
			case AML_DOMAIN_CHOICE:
				v = json_object_new_string(d->choices[(int) g->v[i] % (d->n_choices > 0 ? d->n_choices : 1)]);
				break;
			case AML_DOMAIN_BOOL:
				v = json_object_new_boolean(g->v[i] != 0);
				break;
			case AML_DOMAIN_INT:
				v = json_object_new_int((int) g->v[i]);
				break;
			default:
				{
					const AmlParamSpec *spec = aml_operator_param_spec(op, d->param);

					if (spec != NULL && spec->type == AML_PARAM_BOOL)
						v = json_object_new_boolean(g->v[i] != 0);
					else if (spec != NULL && spec->type == AML_PARAM_INT)
						v = json_object_new_int((int) g->v[i]);
					else
						v = aml_json_new_double(g->v[i]);
				}
				break;
		}
		json_object_object_add(params, d->param, v);
	}
	return params;
}

json_object *
aml_genome_spec(const AmlSearchSpace *space, const AmlDataTraits *traits, const AmlGenome *g)
{
	json_object *spec = json_object_new_object();
	json_object *encoder = json_object_new_object();
	json_object *steps = json_object_new_array();
	json_object *est = json_object_new_object();
	const AmlGene *eg = &g->slots[AML_SLOT_ESTIMATOR];

	json_object_object_add(encoder, "categorical", json_object_new_string(g->ordinal ? "ordinal" : "onehot"));
	if (!g->ordinal && g->min_frequency > 0)
		json_object_object_add(encoder, "min_frequency",
							   aml_json_new_double(min_frequencies[g->min_frequency % N_MIN_FREQ]));
	json_object_object_add(spec, "encoder", encoder);
	for (int s = 0; s < AML_SLOT_ESTIMATOR; s++)
	{
		const AmlGene *gs = &g->slots[s];
		json_object *step;

		if (gs->op < 0)
			continue;
		step = json_object_new_object();
		json_object_object_add(step, "type", json_object_new_string(space->ops[gs->op].name));
		json_object_object_add(step, "params", gene_params(space, gs));
		json_object_array_add(steps, step);
	}
	json_object_object_add(spec, "steps", steps);
	json_object_object_add(est, "type", json_object_new_string(space->ops[eg->op].name));
	json_object_object_add(est, "params", gene_params(space, eg));
	json_object_object_add(spec, "estimator", est);
	(void) traits;
	return spec;
}

