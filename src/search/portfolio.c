/*
 * portfolio.c — the strong configurations tried first (see space.h).
 */
#include "search/space.h"
#include "core/json.h"
#include "core/memory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/*
 * Strong, robust configurations, cheapest first: each
 * {"e": estimator, "p": {params}, "i": imputer strategy, "s": scaler,
 *  "sel": selector, "t": transform, "enc": "ordinal"}.
 */
static const char *const classification_portfolio[] = {
	"{\"e\":\"logistic_regression\",\"p\":{\"C\":1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":100},\"enc\":\"ordinal\"}",
	"{\"e\":\"gaussian_nb\",\"p\":{},\"i\":\"median\"}",
	"{\"e\":\"extra_trees\",\"p\":{\"n_estimators\":100},\"i\":\"median\"}",
	"{\"e\":\"logistic_regression\",\"p\":{\"C\":0.1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"knn\",\"p\":{\"n_neighbors\":15,\"weights\":\"distance\"},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.05,\"max_iter\":300,\"max_leaf_nodes\":15,\"min_samples_leaf\":10,\"l2_regularization\":1},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":200,\"max_features_fraction\":0.5,\"min_samples_leaf\":2},\"enc\":\"ordinal\"}",
	"{\"e\":\"linear_svm\",\"p\":{\"C\":0.1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"logistic_regression\",\"p\":{\"C\":1},\"i\":\"median\",\"s\":\"standard_scaler\",\"sel\":\"select_percentile\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.1,\"max_iter\":200,\"max_leaf_nodes\":8,\"min_samples_leaf\":20,\"subsample\":0.8},\"enc\":\"ordinal\"}",
	"{\"e\":\"extra_trees\",\"p\":{\"n_estimators\":200,\"max_features_fraction\":0.7,\"min_samples_leaf\":2},\"i\":\"median\"}",
	"{\"e\":\"decision_tree\",\"p\":{\"max_depth\":6,\"min_samples_leaf\":5},\"enc\":\"ordinal\"}",
	"{\"e\":\"bernoulli_nb\",\"p\":{\"binarize\":0},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"multinomial_nb\",\"p\":{},\"i\":\"median\",\"s\":\"minmax_scaler\"}",
	NULL
};

static const char *const regression_portfolio[] = {
	"{\"e\":\"ridge\",\"p\":{\"alpha\":1},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":100,\"max_features_fraction\":1.0},\"enc\":\"ordinal\"}",
	"{\"e\":\"extra_trees\",\"p\":{\"n_estimators\":100,\"max_features_fraction\":1.0},\"i\":\"median\"}",
	"{\"e\":\"lasso\",\"p\":{\"alpha\":0.01},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"elastic_net\",\"p\":{\"alpha\":0.01,\"l1_ratio\":0.5},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"knn\",\"p\":{\"n_neighbors\":10,\"weights\":\"distance\"},\"i\":\"median\",\"s\":\"standard_scaler\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.05,\"max_iter\":300,\"max_leaf_nodes\":15,\"min_samples_leaf\":10,\"l2_regularization\":1},\"enc\":\"ordinal\"}",
	"{\"e\":\"random_forest\",\"p\":{\"n_estimators\":200,\"max_features_fraction\":0.5,\"min_samples_leaf\":2},\"enc\":\"ordinal\"}",
	"{\"e\":\"ridge\",\"p\":{\"alpha\":10},\"i\":\"median\",\"s\":\"standard_scaler\",\"t\":\"polynomial_features\"}",
	"{\"e\":\"linear_regression\",\"p\":{},\"i\":\"median\"}",
	"{\"e\":\"gradient_boosting\",\"p\":{\"learning_rate\":0.1,\"max_iter\":200,\"max_leaf_nodes\":8,\"min_samples_leaf\":20,\"subsample\":0.8},\"enc\":\"ordinal\"}",
	"{\"e\":\"decision_tree\",\"p\":{\"max_depth\":6,\"min_samples_leaf\":5},\"enc\":\"ordinal\"}",
	NULL
};

/* Set the gene of slot to operator `name` with params (others at defaults). */
static bool
gene_from(const AmlSearchSpace *space, AmlSlot slot, const char *name, json_object *params,
		  AmlGene *g)
{
	int			op = -1;

	for (int i = 0; i < space->n_ops; i++)
		if (space->ops[i].slot == slot && strcmp(space->ops[i].name, name) == 0)
			op = i;
	if (op < 0)
		return false;
	aml_gene_default(space, op, g);
	if (params == NULL)
		return true;
	for (int i = 0; i < space->ops[op].n_domains; i++)
	{
		const AmlDomain *d = &space->ops[op].domains[i];
		json_object *v;
		double		x;

		if (!json_object_object_get_ex(params, d->param, &v))
			continue;
		if (d->type == AML_DOMAIN_CHOICE)
		{
			for (int c = 0; c < d->n_choices; c++)
				if (strcmp(d->choices[c], json_object_get_string(v)) == 0)
					g->v[i] = c;
		}
		else if (d->type == AML_DOMAIN_BOOL)
			g->v[i] = json_object_get_boolean(v);
		else if (aml_json_as_double(v, &x))
			g->v[i] = fmin(fmax(x, d->lo), d->hi);
	}
	return true;
}

int
aml_space_portfolio(const AmlSearchSpace *space, const AmlDataTraits *traits, AmlRng *rng,
					AmlGenome *out, int max)
{
	const char *const *list = space->task == AML_TASK_CLASSIFICATION ? classification_portfolio
		: regression_portfolio;
	int			n = 0;

	for (int k = 0; list[k] != NULL && n < max; k++)
	{
		json_object *item;
		json_object *v;
		AmlGenome	g;
		AmlError	err;
		bool		ok = true;

		if (aml_json_parse(list[k], strlen(list[k]), &item, &err) != AML_OK)
			continue;
		memset(&g, 0, sizeof(g));
		for (int s = 0; s < AML_N_SLOTS; s++)
			g.slots[s].op = -1;
		ok = gene_from(space, AML_SLOT_ESTIMATOR, json_object_get_string(json_object_object_get(item, "e")),
					   json_object_object_get(item, "p"), &g.slots[AML_SLOT_ESTIMATOR]);
		if (ok && json_object_object_get_ex(item, "i", &v))
		{
			json_object *p = json_object_new_object();

			json_object_object_add(p, "strategy", json_object_get(v));
			json_object_object_add(p, "add_indicator", json_object_new_boolean(1));
			ok = gene_from(space, AML_SLOT_IMPUTER, "simple_imputer", p, &g.slots[AML_SLOT_IMPUTER]);
			json_object_put(p);
		}
		if (ok && json_object_object_get_ex(item, "s", &v))
			ok = gene_from(space, AML_SLOT_SCALER, json_object_get_string(v), NULL, &g.slots[AML_SLOT_SCALER]);
		if (ok && json_object_object_get_ex(item, "sel", &v))
			ok = gene_from(space, AML_SLOT_SELECTOR, json_object_get_string(v), NULL, &g.slots[AML_SLOT_SELECTOR]);
		if (ok && json_object_object_get_ex(item, "t", &v))
			ok = gene_from(space, AML_SLOT_TRANSFORM, json_object_get_string(v), NULL, &g.slots[AML_SLOT_TRANSFORM]);
		if (json_object_object_get_ex(item, "enc", &v) && strcmp(json_object_get_string(v), "ordinal") == 0)
			g.ordinal = 1;
		json_object_put(item);
		if (!ok)
			continue;			/* not allowed by this space */
		aml_genome_repair(space, traits, rng, &g);
		out[n++] = g;
	}
	/* spaces without any portfolio entry start from each estimator's defaults */
	if (n == 0)
		for (int i = 0; i < space->n_ops && n < max; i++)
			if (space->ops[i].slot == AML_SLOT_ESTIMATOR)
			{
				AmlGenome	g;

				memset(&g, 0, sizeof(g));
				for (int s = 0; s < AML_N_SLOTS; s++)
					g.slots[s].op = -1;
				aml_gene_default(space, i, &g.slots[AML_SLOT_ESTIMATOR]);
				if (space->ops[i].handles_missing)
					g.ordinal = 1;
				else if (aml_space_find(space, "standard_scaler") >= 0)
					aml_gene_default(space, aml_space_find(space, "standard_scaler"), &g.slots[AML_SLOT_SCALER]);
				aml_genome_repair(space, traits, rng, &g);
				out[n++] = g;
			}
	return n;
}
