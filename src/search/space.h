/*
 * space.h — the AutoML search space: which operators a pipeline may use, the
 * ranges their hyperparameters are drawn from (space.c), pipelines as
 * genomes (genome.c), and the portfolio of strong configurations tried first
 * (portfolio.c).
 *
 * A pipeline is a fixed sequence of slots, each empty or holding one operator:
 *   encoding (one-hot or ordinal, only when there are categorical inputs)
 *   imputer → scaler → selector → feature transform → estimator
 * so every genome is a valid pipeline: the imputer may only be empty for
 * estimators that handle missing values (and then the later steps must too),
 * multinomial naive Bayes gets min-max scaling (it needs non-negative input).
 *
 * Built-in spaces: "default" (every estimator and transformer of the core)
 * and "light" (fast models only).  A jsonb space lists the allowed operators
 * and, optionally, ranges for their hyperparameters:
 *   {"estimators": {"random_forest": {"n_estimators": [100, 300]},
 *                   "logistic_regression": {"C": {"min": 0.01, "max": 10, "log": true}}},
 *    "preprocessing": {"standard_scaler": {}, "pca": {"n_components": [0.5, 0.99]}},
 *    "encodings": ["onehot", "ordinal"]}
 * A range is [lo, hi] or {"min", "max", "log"}; a list of strings is a set of
 * choices; a single value is fixed.  Operators named without ranges use the
 * built-in ones.
 */
#ifndef AML_SEARCH_SPACE_H
#define AML_SEARCH_SPACE_H

#include <stdbool.h>
#include <json.h>

#include "core/random.h"
#include "core/status.h"
#include "ml/estimator.h"

#define AML_MAX_DOMAINS 8
#define AML_MAX_CHOICES 6
#define AML_MAX_OPERATORS 48

typedef enum AmlSlot
{
	AML_SLOT_IMPUTER = 0,
	AML_SLOT_SCALER,
	AML_SLOT_SELECTOR,
	AML_SLOT_TRANSFORM,
	AML_SLOT_ESTIMATOR,
	AML_N_SLOTS
} AmlSlot;

typedef enum AmlDomainType
{
	AML_DOMAIN_INT,
	AML_DOMAIN_DOUBLE,
	AML_DOMAIN_CHOICE,
	AML_DOMAIN_BOOL
} AmlDomainType;

typedef struct AmlDomain
{
	char		param[32];
	AmlDomainType type;
	double		lo;
	double		hi;
	bool		log;
	int			n_choices;
	char		choices[AML_MAX_CHOICES][24];
} AmlDomain;

typedef struct AmlOperator
{
	char		name[40];		/* estimator or transformer type name */
	AmlSlot		slot;
	unsigned	tasks;			/* AmlTask bits it applies to */
	int			n_domains;
	AmlDomain	domains[AML_MAX_DOMAINS];
	char		fixed[160];		/* JSON object of fixed hyperparameters */
	bool		accepts_missing;	/* can follow an empty imputer slot */
	bool		handles_missing;	/* estimator: the imputer slot may be empty */
	bool		needs_minmax;	/* estimator: needs min-max scaled input */
	bool		probabilistic;	/* estimator */
} AmlOperator;

typedef struct AmlSearchSpace
{
	char		name[24];
	AmlTask		task;
	int			n_ops;
	AmlOperator ops[AML_MAX_OPERATORS];
	bool		allow_onehot;
	bool		allow_ordinal;
} AmlSearchSpace;

/* One slot of a pipeline: an operator (index into ops, -1 = empty) and its values. */
typedef struct AmlGene
{
	int			op;
	double		v[AML_MAX_DOMAINS];
} AmlGene;

typedef struct AmlGenome
{
	int			ordinal;		/* 0 one-hot, 1 ordinal */
	int			min_frequency;	/* index into aml_min_frequencies */
	AmlGene		slots[AML_N_SLOTS];
} AmlGenome;

/* What the data looks like, for repairs and estimates. */
typedef struct AmlDataTraits
{
	int			n_rows;
	int			n_inputs;
	bool		has_categorical;
	bool		has_missing;
	long		encoded_width;	/* one-hot width of the inputs */
	int			n_classes;
} AmlDataTraits;

/* A built-in space ("default" or "light") for a task. */
AmlStatus	aml_space_builtin(const char *name, AmlTask task, AmlSearchSpace **out, AmlError *err);
/* A space from a jsonb document (see above). */
AmlStatus	aml_space_from_json(json_object *doc, AmlTask task, AmlSearchSpace **out, AmlError *err);
void		aml_space_free(AmlSearchSpace *space);
int			aml_space_find(const AmlSearchSpace *space, const char *name);
/* Number of estimators in the space for its task. */
int			aml_space_estimator_count(const AmlSearchSpace *space);

/* A random valid genome. */
void		aml_genome_random(const AmlSearchSpace *space, const AmlDataTraits *traits,
							  AmlRng *rng, AmlGenome *out);
/* A mutated copy (one change: a hyperparameter, an operator, a slot, the encoding). */
void		aml_genome_mutate(const AmlSearchSpace *space, const AmlDataTraits *traits,
							  AmlRng *rng, const AmlGenome *parent, AmlGenome *out);
/* Preprocessing of a, estimator of b (or the other way), repaired. */
void		aml_genome_crossover(const AmlSearchSpace *space, const AmlDataTraits *traits,
								 AmlRng *rng, const AmlGenome *a, const AmlGenome *b, AmlGenome *out);
/* Enforce the slot rules (see above). */
void		aml_genome_repair(const AmlSearchSpace *space, const AmlDataTraits *traits,
							  AmlRng *rng, AmlGenome *g);
/* Number of preprocessing steps beyond the imputer (the size objective). */
int			aml_genome_complexity(const AmlGenome *g);
/* The pipeline specification (pipeline.h) of a genome; caller releases it. */
json_object *aml_genome_spec(const AmlSearchSpace *space, const AmlDataTraits *traits,
							 const AmlGenome *g);
/* The hyperparameter specification of an operator's parameter, or NULL. */
const AmlParamSpec *aml_operator_param_spec(const AmlOperator *op, const char *param);
/* Operator op with its default hyperparameters in gene g. */
void		aml_gene_default(const AmlSearchSpace *space, int op, AmlGene *g);
/* The estimator operator of a genome. */
const AmlOperator *aml_genome_estimator(const AmlSearchSpace *space, const AmlGenome *g);

/*
 * The portfolio: strong configurations in the order to try them (cheap and
 * robust first), restricted to what the space allows.  Returns how many were
 * written to out (at most max).
 */
int			aml_space_portfolio(const AmlSearchSpace *space, const AmlDataTraits *traits,
								AmlRng *rng, AmlGenome *out, int max);

#endif
