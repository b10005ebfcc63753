/*
 * predict.c — automl_predict, automl_predict_value, automl_predict_proba:
 * serving stored models from SQL, one row value at a time.
 *
 * A model is compiled once per backend (JSON -> pipeline) into a cache keyed
 * by model id; a statement trigger on automl.models sends a relcache
 * invalidation on every change, which empties the cache in every backend.
 * Each call site (fn_extra) keeps what it resolved for its row type: which
 * attribute feeds each model input and how to convert it, a truncated tuple
 * descriptor so that only the attributes up to the last one needed are
 * deformed, and row buffers, so the per-row work is: deform, convert, run
 * the pipeline's row path, build the result.  No SPI, no allocation in the
 * pipeline, no catalog access per row.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "core/json.h"
#include "ml/model.h"
#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "pg/loader.h"
#include "pg/model_store.h"

PG_FUNCTION_INFO_V1(automl_predict);
PG_FUNCTION_INFO_V1(automl_predict_by_name);
PG_FUNCTION_INFO_V1(automl_predict_value);
PG_FUNCTION_INFO_V1(automl_predict_proba);

typedef struct ModelEntry
{
	int64		id;				/* hash key */
	MemoryContext context;		/* the compiled model lives here */
	AmlModel   *model;
	char	   *algorithm;
	text	  **labels;			/* classification: label per class, ready to copy */
	double	   *label_values;	/* numeric value of each label, NaN when not a number */
} ModelEntry;

typedef struct NameEntry
{
	char		name[NAMEDATALEN * 4];	/* hash key (model names are <= 200 chars) */
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
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(ModelEntry);
	ctl.hcxt = cache_context;
	model_cache = hash_create("automl models", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(((NameEntry *) 0)->name);
	ctl.entrysize = sizeof(NameEntry);
	ctl.hcxt = cache_context;
	name_cache = hash_create("automl model names", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	models_relid = aml_models_relid();
}

/* Compile a stored model into the cache. */
static void
compile_model(ModelEntry *entry)
{
	AmlStoredModel *stored = aml_model_fetch(entry->id);
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
				 errmsg("model " INT64_FORMAT " cannot be loaded: %s", entry->id, err.message),
				 err.detail[0] ? errdetail_internal("%s", err.detail) : 0));
	}
	old = MemoryContextSwitchTo(ctx);
	entry->model = m;
	entry->context = ctx;
	entry->algorithm = pstrdup(stored->algorithm);
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

static ModelEntry *
lookup_model(int64 id)
{
	ModelEntry *entry;
	bool		found;

	ensure_caches();
	entry = hash_search(model_cache, &id, HASH_ENTER, &found);
	if (!found)
	{
		entry->model = NULL;
		PG_TRY();
		{
			compile_model(entry);
		}
		PG_CATCH();
		{
			if (model_cache != NULL)
				hash_search(model_cache, &id, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return entry;
}

static int64
lookup_name(const char *name)
{
	NameEntry  *entry;
	bool		found;
	char		key[sizeof(((NameEntry *) 0)->name)];

	if (strlen(name) >= sizeof(key))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no deployed model named \"%s\"", name)));
	memset(key, 0, sizeof(key));
	strlcpy(key, name, sizeof(key));
	ensure_caches();
	entry = hash_search(name_cache, key, HASH_FIND, &found);
	if (!found)
	{
		int64		id = aml_model_deployed_id(name);

		ensure_caches();		/* the lookup may have processed invalidations */
		entry = hash_search(name_cache, key, HASH_ENTER, &found);
		entry->id = id;
	}
	return entry->id;
}

/* Readers of plain numeric attributes (the common case), by SQL type. */
enum
{
	FAST_NONE = 0,
	FAST_FLOAT8,
	FAST_FLOAT4,
	FAST_INT2,
	FAST_INT4,
	FAST_INT8,
	FAST_BOOL
};

static char
fast_reader(const AmlSourceColumn *col)
{
	switch (col->conversion)
	{
		case AML_CONV_FLOAT8:
			return FAST_FLOAT8;
		case AML_CONV_FLOAT4:
			return FAST_FLOAT4;
		case AML_CONV_INT2:
			return FAST_INT2;
		case AML_CONV_INT4:
			return FAST_INT4;
		case AML_CONV_INT8:
			return FAST_INT8;
		case AML_CONV_BOOL:
			return FAST_BOOL;
		default:
			return FAST_NONE;
	}
}

/* What a call site resolved: model, row type mapping, buffers. */
typedef struct PredictCall
{
	int64		model_id;
	uint64		generation;
	ModelEntry *entry;
	Oid			tuptype;
	int32		tuptypmod;
	TupleDesc	desc;			/* of the row type */
	int			natts_needed;	/* attributes deformed: up to the last one needed */
	int			n_inputs;
	int		   *attidx;			/* per input: index into values[] */
	AmlSourceColumn *cols;		/* per input: how to convert */
	char	   *fast;			/* per input: a FAST_* reader for plain numbers, or FAST_NONE */
	uint32	   *offset;			/* per attribute: its offset when no attribute before is
								 * NULL or variable-length (fixed_layout) */
	bool		fixed_layout;	/* every attribute up to the last needed has a fixed length */
	Datum	   *values;
	bool	   *nulls;
	double	   *raw;
	double	   *scratch;
	double	   *out;
} PredictCall;

static void
bind_row_type(PredictCall *call, HeapTupleHeader row, MemoryContext mcxt)
{
	Oid			tuptype = HeapTupleHeaderGetTypeId(row);
	int32		tuptypmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	rowdesc = lookup_rowtype_tupdesc(tuptype, tuptypmod);
	const AmlSchema *schema = call->entry->model->schema;
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	int			max_idx = -1;

	call->n_inputs = schema->n_inputs;
	call->attidx = palloc(sizeof(int) * Max(schema->n_inputs, 1));
	call->cols = palloc0(sizeof(AmlSourceColumn) * Max(schema->n_inputs, 1));
	for (int k = 0; k < schema->n_inputs; k++)
	{
		const AmlInputColumn *in = &schema->inputs[k];
		int			found = -1;

		for (int a = 0; a < rowdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(rowdesc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), in->name) == 0)
			{
				found = a;
				break;
			}
		}
		if (found < 0)
		{
			ReleaseTupleDesc(rowdesc);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row has no column \"%s\", which model " INT64_FORMAT " needs",
							in->name, call->model_id),
					 errhint("Pass a row with every feature of the model: SELECT * FROM automl.models WHERE id = " INT64_FORMAT " lists them.",
							 call->model_id)));
		}
		call->cols[k].name = pstrdup(in->name);
		if (!aml_source_column_as(&call->cols[k], TupleDescAttr(rowdesc, found)->atttypid, in->kind))
		{
			Oid			typid = TupleDescAttr(rowdesc, found)->atttypid;

			ReleaseTupleDesc(rowdesc);
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the row has type %s, which model " INT64_FORMAT " cannot use",
							in->name, format_type_be(typid), call->model_id)));
		}
		call->attidx[k] = found;
		if (found > max_idx)
			max_idx = found;
	}
	call->desc = CreateTupleDescCopyConstr(rowdesc);	/* keeps missing-attribute defaults */
	call->natts_needed = max_idx + 1;
	/* offsets of the attributes when none before them is NULL or variable-length */
	call->fast = palloc0(Max(schema->n_inputs, 1));
	for (int k = 0; k < schema->n_inputs; k++)
		call->fast[k] = fast_reader(&call->cols[k]);
	call->offset = palloc(sizeof(uint32) * Max(max_idx + 1, 1));
	call->fixed_layout = true;
	{
		uint32		off = 0;

		for (int a = 0; a <= max_idx && call->fixed_layout; a++)
		{
			Form_pg_attribute att = TupleDescAttr(rowdesc, a);

			if (att->attlen <= 0)
				call->fixed_layout = false;
			else
			{
				off = att_align_nominal(off, att->attalign);
				call->offset[a] = off;
				off += att->attlen;
			}
		}
	}
	ReleaseTupleDesc(rowdesc);
	call->values = palloc(sizeof(Datum) * Max(max_idx + 1, 1));
	call->nulls = palloc(sizeof(bool) * Max(max_idx + 1, 1));
	call->raw = palloc(sizeof(double) * Max(schema->n_inputs, 1));
	call->scratch = palloc(sizeof(double) * aml_model_scratch_size(call->entry->model));
	call->out = palloc(sizeof(double) * Max(call->entry->model->outputs, 1));
	call->tuptype = tuptype;
	call->tuptypmod = tuptypmod;
	MemoryContextSwitchTo(old);
}

/*
 * Deform the first natts attributes of a composite datum, like
 * heap_deform_tuple() but stopping at the last attribute a model needs (a row
 * of a wide table is mostly columns the model does not use).
 */
static void
deform_prefix(HeapTupleHeader tup, TupleDesc desc, int natts, Datum *values, bool *isnull)
{
	bool		hasnulls = (tup->t_infomask & HEAP_HASNULL) != 0;
	bits8	   *bp = tup->t_bits;
	char	   *tp = (char *) tup + tup->t_hoff;
	uint32		off = 0;
	int			stored = Min(natts, (int) HeapTupleHeaderGetNatts(tup));
	int			attnum;

	for (attnum = 0; attnum < stored; attnum++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, attnum);

		if (hasnulls && att_isnull(attnum, bp))
		{
			values[attnum] = (Datum) 0;
			isnull[attnum] = true;
			continue;
		}
		isnull[attnum] = false;
		if (att->attlen == -1)
			off = att_align_pointer(off, att->attalign, -1, tp + off);
		else
			off = att_align_nominal(off, att->attalign);
		values[attnum] = fetchatt(att, tp + off);
		off = att_addlength_pointer(off, att->attlen, tp + off);
	}
	/* columns added after the row was stored: their default, or NULL */
	for (; attnum < natts; attnum++)
		values[attnum] = getmissingattr(desc, attnum + 1, &isnull[attnum]);
}

/* Resolve the model of this call site and run it on the row; returns the outputs. */
static PredictCall *
predict_row(FunctionCallInfo fcinfo, int64 model_id, HeapTupleHeader row)
{
	PredictCall *call = (PredictCall *) fcinfo->flinfo->fn_extra;
	const AmlModel *m;

	if (call == NULL)
	{
		call = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictCall));
		fcinfo->flinfo->fn_extra = call;
	}
	if (call->entry == NULL || call->model_id != model_id || call->generation != cache_generation ||
		flush_pending)
	{
		call->entry = NULL;
		call->tuptype = InvalidOid;
		call->model_id = model_id;
		call->entry = lookup_model(model_id);
		call->generation = cache_generation;
	}
	if (call->tuptype != HeapTupleHeaderGetTypeId(row) ||
		call->tuptypmod != HeapTupleHeaderGetTypMod(row))
		bind_row_type(call, row, fcinfo->flinfo->fn_mcxt);

	m = call->entry->model;
	/* the fast path: no NULL, fixed-length attributes, plain numbers */
	if (call->fixed_layout && !(row->t_infomask & HEAP_HASNULL) &&
		(int) HeapTupleHeaderGetNatts(row) >= call->natts_needed)
	{
		const char *tp = (const char *) row + row->t_hoff;
		bool		done = true;

		for (int k = 0; k < call->n_inputs && done; k++)
		{
			const char *v = tp + call->offset[call->attidx[k]];

			switch (call->fast[k])
			{
				case FAST_FLOAT8:
					{
						double		d;

						memcpy(&d, v, sizeof(double));
						call->raw[k] = d;
						break;
					}
				case FAST_FLOAT4:
					{
						float		f;

						memcpy(&f, v, sizeof(float));
						call->raw[k] = f;
						break;
					}
				case FAST_INT2:
					call->raw[k] = *(const int16 *) v;
					break;
				case FAST_INT4:
					call->raw[k] = *(const int32 *) v;
					break;
				case FAST_INT8:
					{
						int64		i;

						memcpy(&i, v, sizeof(int64));
						call->raw[k] = (double) i;
						break;
					}
				case FAST_BOOL:
					call->raw[k] = *(const bool *) v ? 1.0 : 0.0;
					break;
				default:
					done = false;
			}
		}
		if (done)
		{
			aml_model_predict_row(m, call->raw, call->out, call->scratch);
			return call;
		}
	}
	deform_prefix(row, call->desc, call->natts_needed, call->values, call->nulls);
	for (int k = 0; k < call->n_inputs; k++)
	{
		int			a = call->attidx[k];
		const AmlSourceColumn *col = &call->cols[k];
		double		number = NAN;
		const char *str;
		int			len;

		if (call->nulls[a])
			call->raw[k] = NAN;
		else if (!aml_source_convert(col, call->values[a], &number, &str, &len))
			call->raw[k] = NAN;
		else if (col->kind == AML_KIND_CATEGORICAL)
		{
			int			code = aml_dict_lookup(m->schema->inputs[k].dict, str, (size_t) len);

			call->raw[k] = code >= 0 ? (double) code : AML_UNSEEN_CATEGORY;
		}
		else
			call->raw[k] = number;
	}
	aml_model_predict_row(m, call->raw, call->out, call->scratch);
	return call;
}

static int64
model_arg(FunctionCallInfo fcinfo)
{
	return PG_GETARG_INT64(0);
}

static Datum
label_result(PredictCall *call)
{
	const AmlModel *m = call->entry->model;

	if (m->schema->task == AML_TASK_CLASSIFICATION)
	{
		int			c = aml_argmax(call->out, m->schema->classes->count);
		text	   *label = call->entry->labels[c];
		text	   *copy = palloc(VARSIZE(label));

		memcpy(copy, label, VARSIZE(label));
		return PointerGetDatum(copy);
	}
	return PointerGetDatum(cstring_to_text(float8out_internal(call->out[0])));
}

/* automl_predict(model_id bigint, row record) returns text */
Datum
automl_predict(PG_FUNCTION_ARGS)
{
	return label_result(predict_row(fcinfo, model_arg(fcinfo), PG_GETARG_HEAPTUPLEHEADER(1)));
}

/* automl_predict(model_name text, row record) returns text: the deployed version */
Datum
automl_predict_by_name(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	/* names resolve through a cache emptied whenever automl.models changes */
	return label_result(predict_row(fcinfo, lookup_name(name), PG_GETARG_HEAPTUPLEHEADER(1)));
}

/* automl_predict_value(model_id bigint, row record) returns float8 */
Datum
automl_predict_value(PG_FUNCTION_ARGS)
{
	PredictCall *call = predict_row(fcinfo, model_arg(fcinfo), PG_GETARG_HEAPTUPLEHEADER(1));
	const AmlModel *m = call->entry->model;

	if (m->schema->task == AML_TASK_CLASSIFICATION)
	{
		int			c = aml_argmax(call->out, m->schema->classes->count);
		double		v = call->entry->label_values[c];

		if (isnan(v))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("model " INT64_FORMAT " predicts the label \"%s\", which is not a number",
							call->model_id, aml_dict_string(m->schema->classes, c)),
					 errhint("Use automl_predict() for the label or automl_predict_proba() for probabilities.")));
		PG_RETURN_FLOAT8(v);
	}
	PG_RETURN_FLOAT8(call->out[0]);
}

/* automl_predict_proba(model_id bigint, row record) returns jsonb {"label": p, ...} */
Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	PredictCall *call = predict_row(fcinfo, model_arg(fcinfo), PG_GETARG_HEAPTUPLEHEADER(1));
	const AmlModel *m = call->entry->model;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	if (m->schema->task != AML_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model " INT64_FORMAT " is a regression model: it has no class probabilities",
						call->model_id),
				 errhint("Use automl_predict_value().")));
	if (!m->probabilistic)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model " INT64_FORMAT " (%s) does not estimate probabilities",
						call->model_id, aml_model_algorithm(m)),
				 errhint("Use automl_predict() for its labels, or train a probabilistic model such as logistic_regression.")));
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int c = 0; c < m->schema->classes->count; c++)
	{
		JsonbValue	key;
		JsonbValue	val;
		const char *label = aml_dict_string(m->schema->classes, c);

		key.type = jbvString;
		key.val.string.val = (char *) label;
		key.val.string.len = strlen(label);
		pushJsonbValue(&state, WJB_KEY, &key);
		val.type = jbvNumeric;
		val.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric,
															  Float8GetDatum(call->out[c])));
		pushJsonbValue(&state, WJB_VALUE, &val);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
