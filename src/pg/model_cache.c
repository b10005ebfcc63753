/*
 * model_cache.c — compiled models per backend (see model_cache.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "core/json.h"
#include "ml/explain.h"
#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"

/*
 * Both caches are keyed by the role they were filled for (GetUserId()), so
 * that after SET ROLE, or inside a SECURITY DEFINER function, a model is
 * served only if that role may read it (row-level security decided when the
 * entry was filled), and a name finds that role's model.
 */
typedef struct NameKey
{
	Oid			role;
	char		name[NAMEDATALEN * 4];	/* model names are <= 200 bytes */
} NameKey;

typedef struct NameEntry
{
	NameKey		key;			/* hash key */
	int64		id;
} NameEntry;

static HTAB *model_cache = NULL;
static HTAB *name_cache = NULL;
static MemoryContext cache_context = NULL;
static uint64 cache_generation = 1;
static bool flush_pending = false;
static Oid	models_relid = InvalidOid;

static void
models_changed(Datum arg, Oid relid)
{
	/* only flag here: freeing happens at the next lookup, never under a caller's feet */
	if (relid == InvalidOid || relid == models_relid || !OidIsValid(models_relid))
	{
		cache_generation++;
		flush_pending = true;
	}
}

void
aml_predict_init(void)
{
	CacheRegisterRelcacheCallback(models_changed, (Datum) 0);
}

static void
flush_caches(void)
{
	/*
	 * Call sites compare the generation they saw with this one: freed entries
	 * must never look current, even when the invalidation that flagged the
	 * flush arrived while an entry was being compiled.
	 */
	cache_generation++;
	if (cache_context != NULL)
		MemoryContextDelete(cache_context);	/* every entry's context is a child */
	cache_context = NULL;
	model_cache = NULL;
	name_cache = NULL;
	flush_pending = false;
}

static void
ensure_caches(void)
{
	HASHCTL		ctl;

	if (flush_pending)
		flush_caches();
	if (model_cache != NULL)
		return;
	cache_context = AllocSetContextCreate(TopMemoryContext, "automl model cache",
										  ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ModelKey);
	ctl.entrysize = sizeof(ModelEntry);
	ctl.hcxt = cache_context;
	model_cache = hash_create("automl models", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NameKey);
	ctl.entrysize = sizeof(NameEntry);
	ctl.hcxt = cache_context;
	name_cache = hash_create("automl model names", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	models_relid = aml_models_relid();
}

/* Compile a stored model into the cache. */
static void
compile_model(ModelEntry *entry)
{
	AmlStoredModel *stored = aml_model_fetch(entry->key.id);
	MemoryContext ctx = AllocSetContextCreate(cache_context, "automl compiled model",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "automl model parse",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);
	AmlCoreTarget save;
	AmlModel   *m = NULL;
	AmlError	err;
	AmlStatus	st;
	json_object *obj = aml_pg_parse_json(stored->pipeline, strlen(stored->pipeline));

	aml_core_allocate_in(ctx, &save);
	st = aml_model_from_json(obj, &m, &err);
	aml_core_restore(&save);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);	/* releases the parsed JSON */
	if (st != AML_OK)
	{
		MemoryContextDelete(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model " INT64_FORMAT " cannot be loaded: %s", entry->key.id, err.message),
				 err.detail[0] ? errdetail_internal("%s", err.detail) : 0));
	}
	old = MemoryContextSwitchTo(ctx);
	entry->model = m;
	entry->context = ctx;
	entry->algorithm = pstrdup(stored->algorithm);
	entry->explainers = NULL;
	if (m->schema->task == AML_TASK_CLASSIFICATION)
	{
		int			k = m->schema->classes->count;

		entry->labels = palloc(sizeof(text *) * k);
		entry->label_values = palloc(sizeof(double) * k);
		for (int c = 0; c < k; c++)
		{
			const char *label = aml_dict_string(m->schema->classes, c);
			char	   *end;

			entry->labels[c] = cstring_to_text(label);
			entry->label_values[c] = strtod(label, &end);
			if (*label == '\0' || *end != '\0')
				entry->label_values[c] = NAN;
		}
	}
	MemoryContextSwitchTo(old);
}

ModelEntry *
aml_model_cache_lookup(int64 id)
{
	ModelEntry *entry;
	ModelKey	key;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.id = id;
	key.role = GetUserId();
	for (;;)
	{
		HTAB	   *table;

		ensure_caches();
		table = model_cache;
		entry = hash_search(model_cache, &key, HASH_ENTER, &found);
		if (found)
			return entry;
		entry->model = NULL;
		entry->explainers = NULL;
		PG_TRY();
		{
			compile_model(entry);
		}
		PG_CATCH();
		{
			if (model_cache != NULL)
				hash_search(model_cache, &key, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
		/* emptied while compiling (the entry went with it): once more */
		if (model_cache == table)
			return entry;
	}
}

/* prepared explainers of an entry: a short list in the entry's context */
typedef struct CachedExplainer
{
	int			samples;
	uint64		seed;
	AmlExplainer *explainer;
	struct CachedExplainer *next;
} CachedExplainer;

#define MAX_CACHED_EXPLAINERS 4

AmlExplainer *
aml_model_cache_explainer(ModelEntry *entry, int samples, uint64 seed)
{
	CachedExplainer *c;
	int			count = 0;
	bool		keep;
	AmlCoreTarget save;
	AmlExplainer *e = NULL;
	AmlError	err;
	AmlStatus	st;

	for (c = entry->explainers; c != NULL; c = c->next, count++)
		if (c->samples == samples && c->seed == seed)
			return c->explainer;
	keep = count < MAX_CACHED_EXPLAINERS;
	aml_core_allocate_in(keep ? entry->context : CurrentMemoryContext, &save);
	st = aml_explainer_create(entry->model, samples, seed, &e, &err);
	aml_core_restore(&save);
	if (st != AML_OK)
		aml_pg_raise(&err);
	if (keep)
	{
		c = MemoryContextAlloc(entry->context, sizeof(CachedExplainer));
		c->samples = samples;
		c->seed = seed;
		c->explainer = e;
		c->next = entry->explainers;
		entry->explainers = c;
	}
	return e;
}

int64
aml_model_cache_deployed(const char *name)
{
	NameEntry  *entry;
	bool		found;
	NameKey		key;

	if (strlen(name) >= sizeof(key.name))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no deployed model named \"%s\"", name)));
	memset(&key, 0, sizeof(key));
	key.role = GetUserId();
	strlcpy(key.name, name, sizeof(key.name));
	ensure_caches();
	entry = hash_search(name_cache, &key, HASH_FIND, &found);
	if (!found)
	{
		int64		id = aml_model_deployed_id(name);

		ensure_caches();		/* the lookup may have processed invalidations */
		entry = hash_search(name_cache, &key, HASH_ENTER, &found);
		entry->id = id;
	}
	return entry->id;
}

uint64
aml_model_cache_generation(void)
{
	return cache_generation;
}
