/*
 * explain.c — automl_explain and automl_feature_importance: additive
 * explanations of a stored model's output (src/ml/explain.h) from SQL.
 *
 * automl_explain(model, row, top_n) returns, per explained output (one for
 * regression and binary classification, one per class otherwise), a
 * '(base)' row and one row per original column, largest |contribution|
 * first; base + contributions = the explained output.  The call site keeps
 * the compiled model, its explainer and the row type's column mapping, so a
 * lateral join over a table explains every row without looking anything up
 * again.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "core/random.h"
#include "ml/explain.h"
#include "pg/core_bridge.h"
#include "pg/explain_support.h"
#include "pg/loader.h"
#include "pg/model_cache.h"

PG_FUNCTION_INFO_V1(automl_explain);
PG_FUNCTION_INFO_V1(automl_feature_importance);

#define EXPLAIN_SEED 42

typedef struct ExplainCall
{
	int64		model_id;
	Oid			role;
	uint64		generation;
	ModelEntry *entry;
	MemoryContext mcxt;			/* bindings; reset on rebinding */
	TupleDesc	resdesc;		/* the result row's descriptor (the call site's) */
	AmlExplainer *explainer;	/* the model cache entry's */
	int			samples;
	/* the row type */
	Oid			tuptype;
	int32		tuptypmod;
	int			n_inputs;
	int		   *source;			/* per input: attribute index */
	AmlSourceColumn *cols;
	FmgrInfo   *outfn;			/* per input: the column's output function */
	bool	   *is_float8;		/* per input: a float8 column (text without a cstring) */
	TupleDesc	rowdesc;		/* a copy of the row type's descriptor */
	Datum	   *values;			/* per attribute of the row */
	bool	   *nulls;
	Datum	   *name_text;		/* per input: its name as text; [n_inputs]: '(base)' */
	double	   *raw;
	double	   *phi;
	double	   *base;
	double	   *out;
	int		   *order;
	double	   *magnitude;		/* per input: |contribution|, NaN last */
	Datum	   *value_text;		/* per input: this row's value as text, 0 until needed */
} ExplainCall;

static void
raise_core(AmlError *err)
{
	aml_pg_raise(err);
}

/* A cluster number is not a quantity: clustering models are not explained. */
static void
refuse_clustering(const ModelEntry *entry, int64 model_id)
{
	if (entry->model->schema->task == AML_TASK_CLUSTERING)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model " INT64_FORMAT " is a clustering model: explanations need a regression or classification model",
						model_id),
				 errhint("Use automl_kmeans_centers() to see what sets its clusters apart.")));
}

/* The call site's state: created on its first call, with the result's descriptor. */
static ExplainCall *
call_site(FunctionCallInfo fcinfo)
{
	ExplainCall *call = (ExplainCall *) fcinfo->flinfo->fn_extra;

	if (call == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	desc;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		call = palloc0(sizeof(ExplainCall));
		call->resdesc = CreateTupleDescCopy(desc);
		call->mcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "automl explain",
										   ALLOCSET_DEFAULT_SIZES);
		fcinfo->flinfo->fn_extra = call;
		MemoryContextSwitchTo(old);
	}
	return call;
}

/*
 * The call's result: a tuplestore, as InitMaterializedSRF makes, but with
 * a copy of the call site's descriptor (the executor frees the one it is
 * handed) instead of looking the function's result type up at every call.
 */
static void
begin_result(FunctionCallInfo fcinfo, ExplainCall *call)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
											  false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(call->resdesc);
	MemoryContextSwitchTo(old);
}

/* A current explainer for model_id on this call site. */
static ExplainCall *
explain_call_for(FunctionCallInfo fcinfo, int64 model_id)
{
	ExplainCall *call = call_site(fcinfo);

	if (call->entry == NULL || call->model_id != model_id || call->role != GetUserId() ||
		call->generation != aml_model_cache_generation() ||
		call->samples != aml_guc_explain_samples)
	{
		call->entry = NULL;
		call->explainer = NULL;
		call->tuptype = InvalidOid;
		MemoryContextReset(call->mcxt);
		call->model_id = model_id;
		call->role = GetUserId();
		call->generation = aml_model_cache_generation();
		{
			ModelEntry *entry = aml_model_cache_lookup(model_id);
			MemoryContext old;

			refuse_clustering(entry, model_id);
			call->samples = aml_guc_explain_samples;
			/* prepared once per model in the backend's cache (model_cache.h) */
			old = MemoryContextSwitchTo(call->mcxt);
			call->explainer = aml_model_cache_explainer(entry, call->samples, EXPLAIN_SEED);
			MemoryContextSwitchTo(old);
			call->entry = entry;	/* only when all went well */
		}
	}
	return call;
}

static void
bind_row(ExplainCall *call, HeapTupleHeader row)
{
	Oid			tuptype = HeapTupleHeaderGetTypeId(row);
	int32		tuptypmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	desc = lookup_rowtype_tupdesc(tuptype, tuptypmod);
	const AmlSchema *schema = call->entry->model->schema;
	MemoryContext old = MemoryContextSwitchTo(call->mcxt);
	int			K = aml_explainer_outputs(call->explainer);
	int			n = schema->n_inputs;

	call->n_inputs = n;
	call->source = palloc(sizeof(int) * Max(n, 1));
	call->cols = palloc0(sizeof(AmlSourceColumn) * Max(n, 1));
	call->outfn = palloc0(sizeof(FmgrInfo) * Max(n, 1));
	call->is_float8 = palloc0(sizeof(bool) * Max(n, 1));
	for (int k = 0; k < n; k++)
	{
		const AmlInputColumn *in = &schema->inputs[k];
		int			found = -1;
		Oid			typid;
		Oid			outfunc;
		bool		varlena;

		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), in->name) == 0)
			{
				found = a;
				break;
			}
		}
		if (found < 0)
		{
			ReleaseTupleDesc(desc);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row has no column \"%s\", which model " INT64_FORMAT " needs",
							in->name, call->model_id),
					 errhint("Pass a row with every feature of the model: SELECT * FROM automl.models WHERE id = " INT64_FORMAT " lists them.",
							 call->model_id)));
		}
		typid = TupleDescAttr(desc, found)->atttypid;
		call->cols[k].name = pstrdup(in->name);
		if (!aml_source_column_as(&call->cols[k], typid, in->kind))
		{
			ReleaseTupleDesc(desc);
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the row has type %s, which model " INT64_FORMAT " cannot use",
							in->name, format_type_be(typid), call->model_id)));
		}
		getTypeOutputInfo(typid, &outfunc, &varlena);
		fmgr_info_cxt(outfunc, &call->outfn[k], call->mcxt);
		call->is_float8[k] = typid == FLOAT8OID;
		call->source[k] = found;
	}
	call->rowdesc = CreateTupleDescCopy(desc);
	call->values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	call->nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	call->name_text = palloc(sizeof(Datum) * (n + 1));
	for (int k = 0; k < n; k++)
		call->name_text[k] = CStringGetTextDatum(schema->inputs[k].name);
	call->name_text[n] = CStringGetTextDatum("(base)");
	call->raw = palloc(sizeof(double) * Max(n, 1));
	call->phi = palloc(sizeof(double) * Max(n, 1) * K);
	call->base = palloc(sizeof(double) * K);
	call->out = palloc(sizeof(double) * K);
	call->order = palloc(sizeof(int) * Max(n, 1));
	call->magnitude = palloc(sizeof(double) * Max(n, 1));
	call->value_text = palloc(sizeof(Datum) * Max(n, 1));
	call->tuptype = tuptype;
	call->tuptypmod = tuptypmod;
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(desc);
}

static const double *sort_key;
static int	by_magnitude(const void *a, const void *b);

/*
 * Orders the n inputs by |contribution| (magnitude, NaN as -1), largest
 * first, ties by position: insertion sort for the usual few columns.
 */
static void
order_inputs(ExplainCall *call, const double *phi, int n)
{
	double	   *mag = call->magnitude;
	int		   *order = call->order;

	for (int k = 0; k < n; k++)
	{
		mag[k] = isnan(phi[k]) ? -1 : fabs(phi[k]);
		order[k] = k;
	}
	if (n > 64)
	{
		sort_key = phi;
		qsort(order, n, sizeof(int), by_magnitude);
		return;
	}
	for (int i = 1; i < n; i++)
	{
		int			k = order[i];
		int			j = i;

		/* earlier positions stay first among equal magnitudes: stable */
		while (j > 0 && mag[order[j - 1]] < mag[k])
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
}

/* Input k's value in this row as text (float8 without the cstring detour). */
static Datum
value_as_text(ExplainCall *call, int k, Datum value)
{
	if (call->is_float8[k] && extra_float_digits > 0 && isfinite(DatumGetFloat8(value)))
	{
		text	   *t = palloc(VARHDRSZ + DOUBLE_SHORTEST_DECIMAL_LEN);
		int			len = double_to_shortest_decimal_buf(DatumGetFloat8(value), VARDATA(t));

		SET_VARSIZE(t, VARHDRSZ + len);
		return PointerGetDatum(t);
	}
	return CStringGetTextDatum(OutputFunctionCall(&call->outfn[k], value));
}

static int
by_magnitude(const void *a, const void *b)
{
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	double		x = isnan(sort_key[i]) ? -1 : fabs(sort_key[i]);
	double		y = isnan(sort_key[j]) ? -1 : fabs(sort_key[j]);

	if (x != y)
		return x > y ? -1 : 1;
	return i - j;
}

Datum
automl_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExplainCall *call;
	HeapTupleHeader row;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;
	int			top_n = -1;
	int			K;
	const AmlSchema *schema;
	AmlError	err;
	AmlStatus	st;
	AmlCoreTarget save;

	if (!PG_ARGISNULL(2))
	{
		top_n = PG_GETARG_INT32(2);
		if (top_n <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("top_n must be positive, not %d", top_n),
					 errhint("Pass NULL for every feature.")));
	}
	begin_result(fcinfo, call_site(fcinfo));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	call = explain_call_for(fcinfo, PG_GETARG_INT64(0));
	row = PG_GETARG_HEAPTUPLEHEADER(1);
	if (call->tuptype != HeapTupleHeaderGetTypeId(row) ||
		call->tuptypmod != HeapTupleHeaderGetTypMod(row))
		bind_row(call, row);
	schema = call->entry->model->schema;
	K = aml_explainer_outputs(call->explainer);

	/* the row's values (the descriptor and arrays are the call site's: no per-row lookups) */
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	values = call->values;
	nulls = call->nulls;
	heap_deform_tuple(&tuple, call->rowdesc, values, nulls);
	for (int k = 0; k < call->n_inputs; k++)
	{
		int			a = call->source[k];
		double		number = NAN;
		const char *str;
		int			len;

		if (nulls[a] || !aml_source_convert(&call->cols[k], values[a], &number, &str, &len))
			call->raw[k] = NAN;
		else if (schema->inputs[k].kind == AML_KIND_CATEGORICAL)
		{
			int			code = aml_dict_lookup(schema->inputs[k].dict, str, (size_t) len);

			call->raw[k] = code >= 0 ? (double) code : AML_UNSEEN_CATEGORY;
		}
		else if (isinf(number))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("column \"%s\" is %s, which model " INT64_FORMAT " cannot use",
							call->cols[k].name, number > 0 ? "Infinity" : "-Infinity",
							call->model_id),
					 errhint("Pass NULL instead, for example with NULLIF.")));
		else
			call->raw[k] = number;
	}

	aml_core_allocate_in(call->mcxt, &save);
	st = aml_explainer_explain(call->explainer, call->raw, call->phi, call->base, call->out, &err);
	aml_core_restore(&save);
	if (st != AML_OK)
		raise_core(&err);

	for (int k = 0; k < call->n_inputs; k++)
		call->value_text[k] = (Datum) 0;
	for (int r = 0; r < K; r++)
	{
		int			c = aml_explainer_output_class(call->explainer, r);
		Datum		cls = (Datum) 0;
		Datum		v[4];
		bool		nl[4] = {false, true, false, c < 0};
		int			shown;

		if (c >= 0)
			cls = PointerGetDatum(call->entry->labels[c]);
		v[0] = call->name_text[call->n_inputs];
		v[1] = (Datum) 0;
		v[2] = Float8GetDatum(call->base[r]);
		v[3] = cls;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nl);
		sort_key = call->phi + (size_t) r * call->n_inputs;
		order_inputs(call, sort_key, call->n_inputs);
		shown = top_n > 0 && top_n < call->n_inputs ? top_n : call->n_inputs;
		for (int i = 0; i < shown; i++)
		{
			int			k = call->order[i];
			int			a = call->source[k];

			v[0] = call->name_text[k];
			nl[1] = nulls[a];
			if (!nulls[a] && call->value_text[k] == (Datum) 0)
				call->value_text[k] = value_as_text(call, k, values[a]);
			v[1] = call->value_text[k];
			v[2] = Float8GetDatum(sort_key[k]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nl);
		}
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------ global importance */

static double
score_of(const AmlModel *m, const AmlModelRows *rows, const AmlMatrix *raw, AmlMatrix *pred)
{
	AmlError	err;
	bool		classification = m->schema->task == AML_TASK_CLASSIFICATION;
	double		s = 0;

	if (aml_model_predict(m, raw, pred, &err) != AML_OK)
		aml_pg_raise(&err);
	if (classification)
	{
		for (int i = 0; i < raw->rows; i++)
		{
			double		best = -INFINITY;
			int			arg = 0;

			for (int c = 0; c < pred->cols; c++)
				if (AML_AT(pred, i, c) > best)
				{
					best = AML_AT(pred, i, c);
					arg = c;
				}
			s += arg == (int) rows->y[i];
		}
		return s / raw->rows;
	}
	else
	{
		double		mean = 0,
					ss = 0;

		for (int i = 0; i < raw->rows; i++)
			mean += rows->y[i] / raw->rows;
		for (int i = 0; i < raw->rows; i++)
		{
			double		d = rows->y[i] - AML_AT(pred, i, 0);

			s += d * d;
			ss += (rows->y[i] - mean) * (rows->y[i] - mean);
		}
		return ss > 0 ? 1 - s / ss : (s == 0 ? 1 : 0);
	}
}

/*
 * The importance automl_train stored with the model (metrics.importance,
 * src/pg/explain_importance.c), read with the caller's rights: false when
 * there is none (automl_fit models, models stored before it existed, runs
 * without a holdout or whose budget did not allow it).
 */
static bool
stored_importance(int64 model_id, const AmlSchema *schema, double *imp, double *sd, int *rows_out,
				  bool *holdout_out)
{
	Datum		arg = Int64GetDatum(model_id);
	Oid			argtype = INT8OID;
	int			n = schema->n_inputs;
	int			rc;
	int			found = 0;
	bool	   *seen = palloc0(sizeof(bool) * Max(n, 1));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("SELECT f OPERATOR(pg_catalog.->>) 'feature', "
							   "(f OPERATOR(pg_catalog.->>) 'importance')::pg_catalog.float8, "
							   "(f OPERATOR(pg_catalog.->>) 'std')::pg_catalog.float8, "
							   "(m.metrics OPERATOR(pg_catalog.#>>) '{importance,rows}')::pg_catalog.int4, "
							   "m.metrics OPERATOR(pg_catalog.#>) '{importance,training_rows}' IS NULL "
							   "FROM automl.models m, pg_catalog.jsonb_array_elements("
							   "  CASE WHEN pg_catalog.jsonb_typeof(m.metrics OPERATOR(pg_catalog.#>) '{importance,features}') "
							   "       OPERATOR(pg_catalog.=) 'array' "
							   "  THEN m.metrics OPERATOR(pg_catalog.#>) '{importance,features}' "
							   "  ELSE '[]'::pg_catalog.jsonb END) f "
							   "WHERE m.id OPERATOR(pg_catalog.=) $1",
							   1, &argtype, &arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading automl.models failed: %s", SPI_result_code_string(rc));
	for (uint64 t = 0; t < SPI_processed; t++)
	{
		HeapTuple	tup = SPI_tuptable->vals[t];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *name = SPI_getvalue(tup, td, 1);
		Datum		d;

		for (int j = 0; name != NULL && j < n; j++)
			if (!seen[j] && strcmp(schema->inputs[j].name, name) == 0)
			{
				seen[j] = true;
				found++;
				d = SPI_getbinval(tup, td, 2, &isnull);
				imp[j] = isnull ? NAN : DatumGetFloat8(d);
				d = SPI_getbinval(tup, td, 3, &isnull);
				sd[j] = isnull ? NAN : DatumGetFloat8(d);
				d = SPI_getbinval(tup, td, 4, &isnull);
				*rows_out = isnull ? 0 : DatumGetInt32(d);
				*holdout_out = DatumGetBool(SPI_getbinval(tup, td, 5, &isnull));
				break;
			}
	}
	SPI_finish();
	return n > 0 && found == n;
}

/*
 * automl_feature_importance(model_id, method, relation, n_repeats, seed)
 *   shap         mean |contribution| over the relation's rows (its first
 *                automl.explain_max_rows), summed over the explained
 *                outputs; std: of |contribution| over the rows.  Without a
 *                relation: the values automl_train stored with the model
 *                (the holdout rows, or the training rows when the run held
 *                none out: explain_importance.h), read, not
 *                computed; computed on the training relation when there are
 *                none (automl_fit models: no holdout)
 *   permutation  mean decrease of the score (accuracy, R²) when the column
 *                is shuffled, over n_repeats shuffles; std over the repeats
 * The relation defaults to the model's training relation.  source says
 * where the numbers come from.
 */
Datum
automl_feature_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		model_id;
	const char *method;
	Oid			relid;
	int			n_repeats;
	int			seed;
	ModelEntry *entry;
	AmlCoreSession *session = NULL;
	AmlModelRows *rows = NULL;
	const AmlModel *m;
	int			n;
	double	   *imp;
	double	   *sd;
	AmlError	err;
	char	   *source;
	int			stored_rows = 0;
	bool		stored_holdout = true;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model_id must not be NULL")));
	model_id = PG_GETARG_INT64(0);
	method = PG_ARGISNULL(1) ? "shap" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(method, "shap") != 0 && strcmp(method, "permutation") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown importance method \"%s\"", method),
				 errhint("Use 'shap' or 'permutation'.")));
	n_repeats = PG_ARGISNULL(3) ? 5 : PG_GETARG_INT32(3);
	if (n_repeats < 1 || n_repeats > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_repeats must be between 1 and 1000, not %d", n_repeats)));
	seed = PG_ARGISNULL(4) ? 42 : PG_GETARG_INT32(4);
	InitMaterializedSRF(fcinfo, 0);
	entry = aml_model_cache_lookup(model_id);
	refuse_clustering(entry, model_id);
	m = entry->model;
	n = m->schema->n_inputs;
	imp = palloc0(sizeof(double) * Max(n, 1));
	sd = palloc0(sizeof(double) * Max(n, 1));
	if (PG_ARGISNULL(2) && strcmp(method, "shap") == 0 &&
		stored_importance(model_id, m->schema, imp, sd, &stored_rows, &stored_holdout))
	{
		source = psprintf("stored: mean |SHAP| on %d %s rows at training", stored_rows,
						  stored_holdout ? "holdout" : "training");
		goto emit;
	}
	relid = PG_ARGISNULL(2) ? aml_model_training_relation(model_id) : PG_GETARG_OID(2);
	session = aml_core_session_begin("automl_feature_importance");
	rows = aml_model_rows_load(entry, model_id, relid, strcmp(method, "permutation") == 0, NULL,
							   strcmp(method, "shap") == 0 ? aml_guc_explain_max_rows : 0);
	if (rows->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("relation %s has no rows to compute importances on", get_rel_name(relid))));
	source = psprintf("computed: %s on %d rows of %s",
					  strcmp(method, "shap") == 0 ? "mean |SHAP|" : "permutation", rows->n,
					  get_rel_name(relid));
	if (strcmp(method, "shap") == 0)
	{
		AmlExplainer *e = aml_model_cache_explainer(entry, aml_guc_explain_samples, EXPLAIN_SEED);

		if (aml_explainer_importance_add(e, rows->raw, NULL, 0, rows->n, imp, sd, &err) != AML_OK)
			aml_pg_raise(&err);
		aml_importance_finish(rows->n, n, imp, sd);
	}
	else
	{
		AmlMatrix  *pred = aml_matrix_new(rows->n, m->outputs);
		AmlMatrix  *work = aml_matrix_new(rows->n, n);
		double		s0;
		double	   *drops = palloc(sizeof(double) * n_repeats);
		int		   *perm = palloc(sizeof(int) * rows->n);
		AmlRng		rng;

		if (pred == NULL || work == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("the relation is too large for the memory budget"),
					 errhint("Raise automl.max_memory.")));
		if (rows->unseen > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg(INT64_FORMAT " rows have a label that model " INT64_FORMAT " never saw",
							rows->unseen, model_id),
					 errhint("Compute permutation importance on rows with known labels.")));
		s0 = score_of(m, rows, rows->raw, pred);
		memcpy(work->data, rows->raw->data, sizeof(double) * (size_t) rows->n * n);
		aml_rng_seed(&rng, (uint64_t) (uint32) seed);
		for (int j = 0; j < n; j++)
		{
			double		mean = 0,
						var = 0;

			CHECK_FOR_INTERRUPTS();
			for (int r = 0; r < n_repeats; r++)
			{
				CHECK_FOR_INTERRUPTS();
				for (int i = 0; i < rows->n; i++)
					perm[i] = i;
				aml_rng_shuffle(&rng, perm, rows->n);
				for (int i = 0; i < rows->n; i++)
					AML_AT(work, i, j) = AML_AT(rows->raw, perm[i], j);
				drops[r] = s0 - score_of(m, rows, work, pred);
				mean += drops[r] / n_repeats;
			}
			for (int r = 0; r < n_repeats; r++)
				var += (drops[r] - mean) * (drops[r] - mean) / n_repeats;
			imp[j] = mean;
			sd[j] = sqrt(var);
			for (int i = 0; i < rows->n; i++)
				AML_AT(work, i, j) = AML_AT(rows->raw, i, j);
		}
	}
emit:
	{
		int		   *order = palloc(sizeof(int) * Max(n, 1));
		Datum		src = CStringGetTextDatum(source);

		for (int j = 0; j < n; j++)
			order[j] = j;
		sort_key = imp;
		qsort(order, n, sizeof(int), by_magnitude);
		for (int i = 0; i < n; i++)
		{
			int			j = order[i];
			Datum		v[4];
			bool		nl[4] = {false, isnan(imp[j]), isnan(sd[j]), false};

			v[0] = CStringGetTextDatum(m->schema->inputs[j].name);
			v[1] = Float8GetDatum(imp[j]);
			v[2] = Float8GetDatum(sd[j]);
			v[3] = src;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nl);
		}
	}
	if (session != NULL)
		aml_core_session_end(session);
	return (Datum) 0;
}
