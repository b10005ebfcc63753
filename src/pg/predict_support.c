/*
 * predict_support.c — the planner support function of the automl_predict*
 * functions.
 *
 * SELECT automl_predict(7, p) FROM patients p passes a whole-row reference:
 * the executor would build a composite value of every row only for the
 * function to take it apart again.  When the row argument is a whole-row
 * Var of a table, this rewrites the call into its "columns" variant
 * (automl.predict_columns etc.) with the column names as a constant array
 * and the columns as separate arguments, which the executor fetches from the
 * scan slot directly.  For a constant model id only the model's input
 * columns are passed (a model's content never changes); otherwise every
 * column, when there are few enough for a function call.  Anything else is
 * left as written.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "ml/model.h"
#include "pg/model_cache.h"
#include "pg/model_store.h"

PG_FUNCTION_INFO_V1(automl_predict_support);

/* the columns variant of each SQL function */
static Oid
columns_variant(Oid funcid)
{
	char	   *name = get_func_name(funcid);
	Oid		   *argtypes;
	int			nargs;
	const char *variant;
	Oid			types[3];

	if (name == NULL)
		return InvalidOid;
	get_func_signature(funcid, &argtypes, &nargs);
	if (nargs != 2)
		return InvalidOid;
	if (strcmp(name, "automl_predict") == 0)
		variant = "predict_columns";
	else if (strcmp(name, "automl_predict_value") == 0)
		variant = "predict_value_columns";
	else if (strcmp(name, "automl_predict_proba") == 0)
		variant = "predict_proba_columns";
	else
		return InvalidOid;
	types[0] = argtypes[0];
	types[1] = TEXTARRAYOID;
	types[2] = ANYOID;
	return LookupFuncName(list_make2(makeString("automl"), makeString((char *) variant)),
						  3, types, true);
}

Datum
automl_predict_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *call;
	Node	   *model;
	Var		   *row;
	RangeTblEntry *rte;
	TupleDesc	desc;
	List	   *args = NIL;
	Datum	   *names;
	int			n_names = 0;
	bool	   *wanted;
	Oid			variant;
	FuncExpr   *rewritten;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	call = req->fcall;
	if (req->root == NULL || list_length(call->args) != 2)
		PG_RETURN_POINTER(NULL);
	model = linitial(call->args);
	row = (Var *) lsecond(call->args);
	if (!IsA(row, Var) || row->varattno != 0 || row->varlevelsup != 0 ||
		row->varno < 1 || row->varno > list_length(req->root->parse->rtable))
		PG_RETURN_POINTER(NULL);
	rte = rt_fetch(row->varno, req->root->parse->rtable);
	if (rte->rtekind != RTE_RELATION || get_typ_typrelid(row->vartype) != rte->relid)
		PG_RETURN_POINTER(NULL);
	variant = columns_variant(call->funcid);
	if (!OidIsValid(variant))
		PG_RETURN_POINTER(NULL);

	desc = lookup_rowtype_tupdesc(row->vartype, -1);
	wanted = palloc0(sizeof(bool) * Max(desc->natts, 1));
	if (IsA(model, Const) && !((Const *) model)->constisnull &&
		((Const *) model)->consttype == INT8OID)
	{
		/* a model's content never changes: pass only its inputs */
		int64		id = DatumGetInt64(((Const *) model)->constvalue);
		ModelEntry *entry;

		/* no such model (yet): leave the call as written, execution says so */
		if (!aml_model_visible(id))
		{
			ReleaseTupleDesc(desc);
			PG_RETURN_POINTER(NULL);
		}
		entry = aml_model_cache_lookup(id);
		for (int k = 0; k < entry->model->schema->n_inputs; k++)
			for (int a = 0; a < desc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, a);

				if (!att->attisdropped &&
					strcmp(NameStr(att->attname), entry->model->schema->inputs[k].name) == 0)
					wanted[a] = true;
			}
	}
	else
		for (int a = 0; a < desc->natts; a++)
			wanted[a] = !TupleDescAttr(desc, a)->attisdropped;
	for (int a = 0; a < desc->natts; a++)
		n_names += wanted[a];
	if (n_names + 2 > FUNC_MAX_ARGS)
	{
		ReleaseTupleDesc(desc);
		PG_RETURN_POINTER(NULL);	/* too many columns for one call */
	}
	names = palloc(sizeof(Datum) * Max(n_names, 1));
	n_names = 0;
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!wanted[a])
			continue;
		names[n_names++] = CStringGetTextDatum(NameStr(att->attname));
		args = lappend(args, makeVar(row->varno, att->attnum, att->atttypid, att->atttypmod,
									 att->attcollation, 0));
	}
	ReleaseTupleDesc(desc);
	args = lcons(makeConst(TEXTARRAYOID, -1, InvalidOid, -1,
						   PointerGetDatum(construct_array(names, n_names, TEXTOID, -1, false,
														   TYPALIGN_INT)),
						   false, false),
				 args);
	args = lcons(model, args);
	rewritten = makeFuncExpr(variant, call->funcresulttype, args, call->funccollid,
							 call->inputcollid, call->funcformat);
	rewritten->location = call->location;
	PG_RETURN_POINTER(rewritten);
}
