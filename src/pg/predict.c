/*
 * predict.c — automl_predict, automl_predict_value, automl_predict_proba:
 * serving stored models from SQL, one row at a time.
 *
 * Two ways in.  The SQL signature takes a row value (any composite); when
 * the planner sees that row is a whole-row reference to a table, the
 * support function (predict_support.c) rewrites the call into the
 * "columns" variant, which gets the needed columns as separate arguments
 * with their names, so the executor never builds the row value.
 *
 * Each call site (fn_extra) keeps what it resolved: the compiled model
 * (model_cache.c), which attribute or argument feeds each model input and
 * how to convert it, and row buffers.  Per row: fetch, convert, run the
 * model's row path, build the result — no SPI, no catalog access, no
 * allocation in the model.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "ml/model.h"
#include "pg/automl.h"
#include "pg/loader.h"
#include "pg/model_cache.h"

PG_FUNCTION_INFO_V1(automl_predict);
PG_FUNCTION_INFO_V1(automl_predict_by_name);
PG_FUNCTION_INFO_V1(automl_predict_value);
PG_FUNCTION_INFO_V1(automl_predict_proba);
PG_FUNCTION_INFO_V1(automl_predict_columns);
PG_FUNCTION_INFO_V1(automl_predict_columns_by_name);
PG_FUNCTION_INFO_V1(automl_predict_value_columns);
PG_FUNCTION_INFO_V1(automl_predict_proba_columns);

/* Readers of plain numeric values (the common case), by SQL type. */
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

/* The columns variant: arguments 0 = model, 1 = names, 2.. = column values. */
#define FIRST_COLUMN_ARG 2

/* What a call site resolved: model, input mapping, buffers. */
typedef struct PredictCall
{
	int64		model_id;
	Oid			role;			/* GetUserId() when the model was looked up */
	uint64		generation;		/* the cache's generation before the lookup */
	ModelEntry *entry;
	bool		bound;
	int			n_inputs;
	int		   *source;			/* per input: attribute index, or argument number */
	AmlSourceColumn *cols;		/* per input: how to convert */
	char	   *fast;			/* per input: a FAST_* reader, or FAST_NONE */
	/* row values only */
	Oid			tuptype;
	int32		tuptypmod;
	TupleDesc	desc;			/* of the row type */
	int			natts_needed;	/* attributes deformed: up to the last one needed */
	uint32	   *offset;			/* per attribute: offset when nothing before is NULL or varlena */
	bool		fixed_layout;	/* every attribute up to the last needed has a fixed length */
	Datum	   *values;
	bool	   *nulls;
	/* buffers */
	double	   *raw;
	double	   *scratch;
	double	   *out;
} PredictCall;

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

/* The call site's state, with the model of model_id resolved and current. */
static PredictCall *
call_for(FunctionCallInfo fcinfo, int64 model_id)
{
	PredictCall *call = (PredictCall *) fcinfo->flinfo->fn_extra;

	if (call == NULL)
	{
		call = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PredictCall));
		fcinfo->flinfo->fn_extra = call;
	}
	if (call->entry == NULL || call->model_id != model_id ||
		call->generation != aml_model_cache_generation() || call->role != GetUserId())
	{
		call->entry = NULL;
		call->bound = false;
		call->tuptype = InvalidOid;
		call->model_id = model_id;
		call->role = GetUserId();
		/* an invalidation during the lookup makes the next call look up again */
		call->generation = aml_model_cache_generation();
		call->entry = aml_model_cache_lookup(model_id);
	}
	return call;
}

/* Conversions and buffers for the model's inputs, once names are matched. */
static void
bind_inputs(PredictCall *call, MemoryContext mcxt, const char *const *names, const Oid *types,
			int n_sources)
{
	const AmlSchema *schema = call->entry->model->schema;
	MemoryContext old = MemoryContextSwitchTo(mcxt);

	call->n_inputs = schema->n_inputs;
	call->source = palloc(sizeof(int) * Max(schema->n_inputs, 1));
	call->cols = palloc0(sizeof(AmlSourceColumn) * Max(schema->n_inputs, 1));
	call->fast = palloc0(Max(schema->n_inputs, 1));
	for (int k = 0; k < schema->n_inputs; k++)
	{
		const AmlInputColumn *in = &schema->inputs[k];
		int			found = -1;

		for (int a = 0; a < n_sources; a++)
			if (names[a] != NULL && strcmp(names[a], in->name) == 0)
			{
				found = a;
				break;
			}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row has no column \"%s\", which model " INT64_FORMAT " needs",
							in->name, call->model_id),
					 errhint("Pass a row with every feature of the model: SELECT * FROM automl.models WHERE id = " INT64_FORMAT " lists them.",
							 call->model_id)));
		call->cols[k].name = pstrdup(in->name);
		if (!aml_source_column_as(&call->cols[k], types[found], in->kind))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the row has type %s, which model " INT64_FORMAT " cannot use",
							in->name, format_type_be(types[found]), call->model_id)));
		call->source[k] = found;
		call->fast[k] = fast_reader(&call->cols[k]);
	}
	call->raw = palloc(sizeof(double) * Max(schema->n_inputs, 1));
	call->scratch = palloc(sizeof(double) * aml_model_scratch_size(call->entry->model));
	call->out = palloc(sizeof(double) * Max(call->entry->model->outputs, 1));
	call->bound = true;
	MemoryContextSwitchTo(old);
}

static void
bind_row_type(PredictCall *call, HeapTupleHeader row, MemoryContext mcxt)
{
	Oid			tuptype = HeapTupleHeaderGetTypeId(row);
	volatile int32 tuptypmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	rowdesc = lookup_rowtype_tupdesc(tuptype, tuptypmod);
	const char **names = palloc(sizeof(char *) * Max(rowdesc->natts, 1));
	Oid		   *types = palloc(sizeof(Oid) * Max(rowdesc->natts, 1));
	int			max_idx = -1;
	MemoryContext old;

	for (int a = 0; a < rowdesc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(rowdesc, a);

		names[a] = att->attisdropped ? NULL : NameStr(att->attname);
		types[a] = att->atttypid;
	}
	PG_TRY();
	{
		bind_inputs(call, mcxt, names, types, rowdesc->natts);
	}
	PG_CATCH();
	{
		ReleaseTupleDesc(rowdesc);
		PG_RE_THROW();
	}
	PG_END_TRY();
	for (int k = 0; k < call->n_inputs; k++)
		if (call->source[k] > max_idx)
			max_idx = call->source[k];
	old = MemoryContextSwitchTo(mcxt);
	call->desc = CreateTupleDescCopyConstr(rowdesc);	/* keeps missing-attribute defaults */
	call->natts_needed = max_idx + 1;
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
	call->values = palloc(sizeof(Datum) * Max(max_idx + 1, 1));
	call->nulls = palloc(sizeof(bool) * Max(max_idx + 1, 1));
	call->tuptype = tuptype;
	call->tuptypmod = tuptypmod;
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(rowdesc);
}

/*
 * Deform the first natts attributes of a composite datum, like
 * heap_deform_tuple() but stopping at the last attribute a model needs.
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

/* One input value into call->raw[k]. */
static inline void
convert_input(PredictCall *call, int k, Datum value, bool isnull)
{
	const AmlSourceColumn *col = &call->cols[k];
	double		number = NAN;
	const char *str;
	int			len;

	if (isnull)
	{
		call->raw[k] = NAN;
		return;
	}
	switch (call->fast[k])
	{
		case FAST_FLOAT8:
			call->raw[k] = DatumGetFloat8(value);
			return;
		case FAST_FLOAT4:
			call->raw[k] = DatumGetFloat4(value);
			return;
		case FAST_INT2:
			call->raw[k] = DatumGetInt16(value);
			return;
		case FAST_INT4:
			call->raw[k] = DatumGetInt32(value);
			return;
		case FAST_INT8:
			call->raw[k] = (double) DatumGetInt64(value);
			return;
		case FAST_BOOL:
			call->raw[k] = DatumGetBool(value) ? 1.0 : 0.0;
			return;
		default:
			break;
	}
	if (!aml_source_convert(col, value, &number, &str, &len))
		call->raw[k] = NAN;
	else if (col->kind == AML_KIND_CATEGORICAL)
	{
		int			code = aml_dict_lookup(call->entry->model->schema->inputs[k].dict, str, (size_t) len);

		call->raw[k] = code >= 0 ? (double) code : AML_UNSEEN_CATEGORY;
	}
	else
		call->raw[k] = number;
}

/*
 * Infinite inputs are refused, as in training (NULL and NaN are missing
 * values): no model learned what an infinity means, and the families would
 * each make something different of it.
 */
static void infinite_input(const PredictCall *call, int k) pg_attribute_noreturn();

static void
infinite_input(const PredictCall *call, int k)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("column \"%s\" is %s, which model " INT64_FORMAT " cannot use",
					call->cols[k].name, call->raw[k] > 0 ? "Infinity" : "-Infinity",
					call->model_id),
			 errdetail("Models are trained without infinite values and predict without them too; "
					   "NULL and NaN are missing values."),
			 errhint("Pass NULL instead, for example with NULLIF, or leave the row out.")));
}

static inline void
check_finite_inputs(const PredictCall *call)
{
	for (int k = 0; k < call->n_inputs; k++)
		if (unlikely(isinf(call->raw[k])))
			infinite_input(call, k);
}

/* Predict from a row value; returns the call site with outputs filled. */
static PredictCall *
predict_row_value(FunctionCallInfo fcinfo, int64 model_id, HeapTupleHeader row)
{
	PredictCall *call = call_for(fcinfo, model_id);

	if (!call->bound || call->tuptype != HeapTupleHeaderGetTypeId(row) ||
		call->tuptypmod != HeapTupleHeaderGetTypMod(row))
		bind_row_type(call, row, fcinfo->flinfo->fn_mcxt);

	/* the fast path: no NULL, fixed-length attributes, plain numbers */
	if (call->fixed_layout && !(row->t_infomask & HEAP_HASNULL) &&
		(int) HeapTupleHeaderGetNatts(row) >= call->natts_needed)
	{
		const char *tp = (const char *) row + row->t_hoff;
		bool		done = true;

		for (int k = 0; k < call->n_inputs && done; k++)
		{
			const char *v = tp + call->offset[call->source[k]];

			switch (call->fast[k])
			{
				case FAST_FLOAT8:
					memcpy(&call->raw[k], v, sizeof(double));
					break;
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
			check_finite_inputs(call);
			aml_model_predict_row(call->entry->model, call->raw, call->out, call->scratch);
			return call;
		}
	}
	deform_prefix(row, call->desc, call->natts_needed, call->values, call->nulls);
	for (int k = 0; k < call->n_inputs; k++)
		convert_input(call, k, call->values[call->source[k]], call->nulls[call->source[k]]);
	check_finite_inputs(call);
	aml_model_predict_row(call->entry->model, call->raw, call->out, call->scratch);
	return call;
}

/* Predict from column arguments (the rewritten call); returns the call site. */
static PredictCall *
predict_columns(FunctionCallInfo fcinfo, int64 model_id)
{
	PredictCall *call = call_for(fcinfo, model_id);

	if (!call->bound)
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *elem_nulls;
		int			n;
		const char **names;
		Oid		   *types;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n);
		if (n != PG_NARGS() - FIRST_COLUMN_ARG)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%d column names for %d columns", n, PG_NARGS() - FIRST_COLUMN_ARG),
					 errhint("Each column value follows the array of names, in its order; "
							 "the planner writes these calls for automl_predict(model, t).")));
		names = palloc(sizeof(char *) * Max(n, 1));
		types = palloc(sizeof(Oid) * Max(n, 1));
		for (int a = 0; a < n; a++)
		{
			names[a] = elem_nulls[a] ? NULL : TextDatumGetCString(elems[a]);
			types[a] = get_fn_expr_argtype(fcinfo->flinfo, FIRST_COLUMN_ARG + a);
		}
		bind_inputs(call, fcinfo->flinfo->fn_mcxt, names, types, n);
	}
	for (int k = 0; k < call->n_inputs; k++)
	{
		int			arg = FIRST_COLUMN_ARG + call->source[k];

		convert_input(call, k, PG_GETARG_DATUM(arg), PG_ARGISNULL(arg));
	}
	check_finite_inputs(call);
	aml_model_predict_row(call->entry->model, call->raw, call->out, call->scratch);
	return call;
}

/* ---------------------------------------------------------------- results */

/*
 * A classifier's scores for the row must be numbers: finite inputs can still
 * overflow a model's arithmetic (1e308 in a linear model), and then no label
 * can be picked and no probability written (JSON has no NaN or infinity).
 * Probabilities must be finite; decision scores (linear SVM) may be infinite.
 */
static void
check_class_scores(const PredictCall *call, bool probabilities, const char *what)
{
	const AmlModel *m = call->entry->model;

	for (int c = 0; c < m->schema->classes->count; c++)
	{
		double		v = call->out[c];

		if (unlikely(isnan(v) || (probabilities && isinf(v))))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("model " INT64_FORMAT " cannot compute %s for this row", call->model_id, what),
					 errdetail("Its arithmetic overflowed on the values of the row: the score of class \"%s\" is not a number.",
							   aml_dict_string(m->schema->classes, c)),
					 errhint("Look for extreme values (near 1e308) in the row; NULL is a missing value.")));
	}
}

static Datum
label_result(PredictCall *call)
{
	const AmlModel *m = call->entry->model;

	if (m->schema->task == AML_TASK_CLASSIFICATION)
	{
		int			c;
		text	   *label;
		text	   *copy;

		check_class_scores(call, m->probabilistic, "a class");
		c = aml_model_decide(m, call->out);
		label = call->entry->labels[c];
		copy = palloc(VARSIZE(label));
		memcpy(copy, label, VARSIZE(label));
		return PointerGetDatum(copy);
	}
	return PointerGetDatum(cstring_to_text(float8out_internal(call->out[0])));
}

static Datum
value_result(PredictCall *call)
{
	const AmlModel *m = call->entry->model;

	if (m->schema->task == AML_TASK_CLASSIFICATION)
	{
		int			c;
		double		v;

		check_class_scores(call, m->probabilistic, "a class");
		c = aml_model_decide(m, call->out);
		v = call->entry->label_values[c];

		if (isnan(v))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("model " INT64_FORMAT " predicts the label \"%s\", which is not a number",
							call->model_id, aml_dict_string(m->schema->classes, c)),
					 errhint("Use automl_predict() for the label or automl_predict_proba() for probabilities.")));
		return Float8GetDatum(v);
	}
	return Float8GetDatum(call->out[0]);
}

static Datum
proba_result(PredictCall *call)
{
	const AmlModel *m = call->entry->model;
	JsonbParseState *state = NULL;
	JsonbValue *result;

	if (m->schema->task != AML_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model " INT64_FORMAT " is a %s model: it has no class probabilities",
						call->model_id, aml_task_name(m->schema->task)),
				 errhint("Use automl_predict_value().")));
	if (!m->probabilistic)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model " INT64_FORMAT " (%s) does not estimate probabilities",
						call->model_id, aml_model_algorithm(m)),
				 errhint("Use automl_predict() for its labels, or train a probabilistic model such as logistic_regression.")));
	check_class_scores(call, true, "class probabilities");
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
	return PointerGetDatum(JsonbValueToJsonb(result));
}

/* ---------------------------------------------------------------- SQL functions */

/* The columns variants are not strict (a NULL column is a missing value). */
#define NULL_MODEL_IS_NULL() do { if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL(); } while (0)

/* automl_predict(model_id bigint, row record) returns text */
Datum
automl_predict(PG_FUNCTION_ARGS)
{
	return label_result(predict_row_value(fcinfo, PG_GETARG_INT64(0), PG_GETARG_HEAPTUPLEHEADER(1)));
}

/* automl_predict(model_name text, row record) returns text: the deployed version */
Datum
automl_predict_by_name(PG_FUNCTION_ARGS)
{
	int64		id = aml_model_cache_deployed(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	return label_result(predict_row_value(fcinfo, id, PG_GETARG_HEAPTUPLEHEADER(1)));
}

/* automl_predict_value(model_id bigint, row record) returns float8 */
Datum
automl_predict_value(PG_FUNCTION_ARGS)
{
	return value_result(predict_row_value(fcinfo, PG_GETARG_INT64(0), PG_GETARG_HEAPTUPLEHEADER(1)));
}

/* automl_predict_proba(model_id bigint, row record) returns jsonb */
Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	return proba_result(predict_row_value(fcinfo, PG_GETARG_INT64(0), PG_GETARG_HEAPTUPLEHEADER(1)));
}

/* The rewritten forms: (model, names text[], VARIADIC "any" column values) */
Datum
automl_predict_columns(PG_FUNCTION_ARGS)
{
	NULL_MODEL_IS_NULL();
	return label_result(predict_columns(fcinfo, PG_GETARG_INT64(0)));
}

Datum
automl_predict_columns_by_name(PG_FUNCTION_ARGS)
{
	int64		id;

	NULL_MODEL_IS_NULL();
	id = aml_model_cache_deployed(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	return label_result(predict_columns(fcinfo, id));
}

Datum
automl_predict_value_columns(PG_FUNCTION_ARGS)
{
	NULL_MODEL_IS_NULL();
	return value_result(predict_columns(fcinfo, PG_GETARG_INT64(0)));
}

Datum
automl_predict_proba_columns(PG_FUNCTION_ARGS)
{
	NULL_MODEL_IS_NULL();
	return proba_result(predict_columns(fcinfo, PG_GETARG_INT64(0)));
}
