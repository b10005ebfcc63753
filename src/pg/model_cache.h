/*
 * model_cache.h — compiled models per backend.
 *
 * A model is compiled (JSON -> AmlModel) once per backend, in its own memory
 * context under the cache.  A statement trigger on automl.models sends a
 * relcache invalidation on every change; the callback only bumps a
 * generation counter, and the cache is emptied at the next lookup, never
 * under a caller's feet (emptying advances the generation again).  Callers
 * keep the generation they saw *before* the lookup, and the role, and look
 * up again when either changed.  Entries are per role: a role gets only
 * models it may read.
 */
#ifndef AML_PG_MODEL_CACHE_H
#define AML_PG_MODEL_CACHE_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "ml/model.h"

typedef struct ModelKey
{
	int64		id;
	Oid			role;			/* the role it was compiled for (GetUserId()) */
} ModelKey;

typedef struct ModelEntry
{
	ModelKey	key;			/* hash key */
	MemoryContext context;		/* the compiled model lives here */
	AmlModel   *model;
	char	   *algorithm;
	text	  **labels;			/* classification: label per class, ready to copy */
	double	   *label_values;	/* numeric value of each label, NaN when not a number */
	struct CachedExplainer *explainers; /* prepared explainers, in context (see below) */
} ModelEntry;

/* The compiled model of an id the current role can see (compiled on first use). */
ModelEntry *aml_model_cache_lookup(int64 id);
/*
 * The entry's explainer (ml/explain.h) for that many samples and seed,
 * created on first use in the entry's context and freed with the entry, so
 * that its preparation (a deep forest's SHAP tables: ~0.3 s at depth 12) is
 * paid once per backend and model, not once per query.  A few (samples,
 * seed) pairs are kept; past that, a fresh explainer is made in
 * CurrentMemoryContext each time.  Valid as long as the entry (same
 * generation); not re-entrant (one explanation at a time, as a backend does).
 */
struct AmlExplainer *aml_model_cache_explainer(ModelEntry *entry, int samples, uint64 seed);
/* The id of the deployed version of the current role's model of that name. */
int64		aml_model_cache_deployed(const char *name);
/* Changes whenever automl.models changes; compare with a saved value. */
uint64		aml_model_cache_generation(void);
void		aml_predict_init(void);

#endif
