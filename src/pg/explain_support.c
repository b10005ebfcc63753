/*
 * explain_support.c — GUCs of explanations and reading a relation's rows as
 * a model's inputs (explain_support.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "core/memory.h"
#include "pg/core_bridge.h"
#include "pg/explain_support.h"
#include "pg/loader.h"

int			aml_guc_explain_samples = 256;
int			aml_guc_explain_max_rows = 1000;

void
aml_explain_define_gucs(void)
{
	DefineCustomIntVariable("automl.explain_samples",
							"Permutations the sampling estimator of automl_explain draws.",
							"Used for models that have no exact explanation (other families, "
							"ensembles) and more than 10 inputs; the error of each contribution "
							"falls as one over the square root of this number.",
							&aml_guc_explain_samples, 256, 2, 100000, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.explain_max_rows",
							"Rows automl_feature_importance reads from a relation at most.",
							NULL, &aml_guc_explain_max_rows, 1000, 1, INT_MAX, PGC_USERSET, 0,
							NULL, NULL, NULL);
}

Oid
aml_model_training_relation(int64 model_id)
{
	Datum		arg = Int64GetDatum(model_id);
	Oid			argtype = INT8OID;
	Oid			relid = InvalidOid;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("SELECT pg_catalog.to_regclass(relation)::pg_catalog.oid "
							   "FROM automl.models WHERE id OPERATOR(pg_catalog.=) $1",
							   1, &argtype, &arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading automl.models failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			relid = DatumGetObjectId(d);
	}
	SPI_finish();
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the training relation of model " INT64_FORMAT " does not exist any more",
						model_id),
				 errhint("Pass a relation with the model's columns.")));
	return relid;
}

AmlModelRows *
aml_model_rows_load(ModelEntry *entry, int64 model_id, Oid relid, bool with_target,
					const AmlWhere *where, int64 max_rows)
{
	const AmlSchema *schema = entry->model->schema;
	int			n_in = schema->n_inputs;
	List	   *names = NIL;
	AmlSource  *source;
	AmlSourceColumn *cols;
	AmlSourceColumn tcol;
	StringInfoData q;
	AmlModelRows *rows = palloc0(sizeof(AmlModelRows));
	bool		classification = schema->task == AML_TASK_CLASSIFICATION;
	int			rc;
	uint64		n;

	if (with_target && schema->task == AML_TASK_CLUSTERING)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model " INT64_FORMAT " is a clustering model: it has no target to compare with",
						model_id),
				 errhint("Use automl_kmeans_centers() for its clusters.")));
	if (with_target && get_attnum(relid, schema->target) == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("relation %s has no column \"%s\", the target of model " INT64_FORMAT,
						get_rel_name(relid) ? get_rel_name(relid) : "?", schema->target, model_id),
				 errhint("Evaluate on a relation that has the target column.")));
	for (int k = 0; k < n_in; k++)
	{
		if (get_attnum(relid, schema->inputs[k].name) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("relation %s has no column \"%s\", which model " INT64_FORMAT " needs",
							get_rel_name(relid) ? get_rel_name(relid) : "?",
							schema->inputs[k].name, model_id)));
		names = lappend(names, schema->inputs[k].name);
	}
	if (with_target)
		names = lappend(names, schema->target);
	/* resolves the columns and checks the caller may read them */
	source = aml_source_describe_list(relid, names, false);
	cols = palloc0(sizeof(AmlSourceColumn) * Max(n_in, 1));
	for (int k = 0; k < n_in; k++)
	{
		cols[k].name = source->cols[k].name;
		if (!aml_source_column_as(&cols[k], source->cols[k].typid, schema->inputs[k].kind))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, which model " INT64_FORMAT " cannot use",
							cols[k].name, format_type_be(source->cols[k].typid), model_id)));
	}
	if (with_target)
	{
		memset(&tcol, 0, sizeof(tcol));
		tcol.name = source->cols[n_in].name;
		if (!aml_source_column_as(&tcol, source->cols[n_in].typid,
								  classification ? AML_KIND_CATEGORICAL : AML_KIND_NUMERIC))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" has type %s, which model " INT64_FORMAT " cannot use",
							tcol.name, format_type_be(source->cols[n_in].typid), model_id)));
	}
	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	for (int k = 0; k < source->ncols; k++)
		appendStringInfo(&q, "%s%s", k ? ", " : "", quote_identifier(source->cols[k].name));
	if (source->ncols == 0)
		appendStringInfoString(&q, "1");
	appendStringInfo(&q, " FROM %s", source->qualified_name);
	if (where != NULL && where->clause != NULL)
		appendStringInfo(&q, " WHERE (%s)", where->clause);
	if (max_rows > 0)
		appendStringInfo(&q, " LIMIT " INT64_FORMAT, max_rows);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (where != NULL && where->clause != NULL)
		rc = SPI_execute_with_args(q.data, where->nparams, where->types, where->values, where->nulls,
								   true, 0);
	else
		rc = SPI_execute(q.data, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading %s failed: %s", source->qualified_name, SPI_result_code_string(rc));
	n = SPI_processed;
	if (n > (uint64) INT_MAX / Max(n_in, 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("relation %s has too many rows", source->qualified_name)));
	rows->raw = aml_matrix_new((int) n, n_in);
	if (rows->raw == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("%s is too large for the memory budget", source->qualified_name),
				 errhint("Raise automl.max_memory or pass fewer rows.")));
	if (with_target)
	{
		rows->y = SPI_palloc(sizeof(double) * Max(n, 1));
		if (classification)
			rows->y_label = SPI_palloc(sizeof(char *) * Max(n, 1));
	}
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		int			row = rows->n;
		bool		isnull;
		Datum		d;
		double		number;
		const char *str;
		int			len;

		if (with_target)
		{
			d = SPI_getbinval(tup, desc, n_in + 1, &isnull);
			if (isnull || !aml_source_convert(&tcol, d, &number, &str, &len))
			{
				rows->null_target++;
				continue;
			}
			if (classification)
			{
				int			c = aml_dict_lookup(schema->classes, str, (size_t) len);

				rows->y[row] = c;
				rows->y_label[row] = SPI_palloc(len + 1);
				memcpy(rows->y_label[row], str, len);
				rows->y_label[row][len] = '\0';
				if (c < 0)
					rows->unseen++;
			}
			else
				rows->y[row] = number;
		}
		for (int k = 0; k < n_in; k++)
		{
			d = SPI_getbinval(tup, desc, k + 1, &isnull);
			if (isnull || !aml_source_convert(&cols[k], d, &number, &str, &len))
				AML_AT(rows->raw, row, k) = NAN;
			else if (schema->inputs[k].kind == AML_KIND_CATEGORICAL)
			{
				int			code = aml_dict_lookup(schema->inputs[k].dict, str, (size_t) len);

				AML_AT(rows->raw, row, k) = code >= 0 ? (double) code : AML_UNSEEN_CATEGORY;
			}
			else if (isinf(number))
				AML_AT(rows->raw, row, k) = NAN;
			else
				AML_AT(rows->raw, row, k) = number;
		}
		rows->n++;
	}
	rows->raw->rows = rows->n;	/* rows with a NULL target are left out: column-major, repack */
	if ((uint64) rows->n != n)
	{
		for (int k = 1; k < n_in; k++)
			memmove(rows->raw->data + (size_t) k * rows->n, rows->raw->data + (size_t) k * n,
					sizeof(double) * rows->n);
	}
	SPI_finish();
	return rows;
}
