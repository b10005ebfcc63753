/*
 * training_data.c — relation to schema + raw matrix + target (see
 * training_data.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "core/json.h"
#include "core/memory.h"
#include "core/stats.h"
#include "pg/core_bridge.h"
#include "pg/training_data.h"
#include "pg/filter.h"

void
aml_parse_task_argument(const char *task, AmlTask *out, bool *given)
{
	*given = false;
	if (task == NULL || strcmp(task, "auto") == 0)
		return;
	if (!aml_task_parse(task, out))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown task \"%s\"", task),
				 errhint("Use 'auto', 'classification' or 'regression'.")));
	*given = true;
}

/* Attribute numbers that alone form a primary key or unique index. */
static List *
unique_columns(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	List	   *indexes = RelationGetIndexList(rel);
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index idx;

		if (!HeapTupleIsValid(tup))
			continue;
		idx = (Form_pg_index) GETSTRUCT(tup);
		if (idx->indisunique && idx->indnkeyatts == 1 && idx->indkey.values[0] > 0 &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL))
			result = lappend_int(result, idx->indkey.values[0]);
		ReleaseSysCache(tup);
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	return result;
}

/* A numeric column whose known values are two whole numbers (0 and 1, 1.0 and 2.0). */
static bool
two_whole_numbers(const AmlColumn *col, int n_rows, const uint8 *keep)
{
	double		first = NAN;
	double		second = NAN;

	for (int i = 0; i < n_rows; i++)
	{
		double		v = col->values[i];

		if (!keep[i] || col->missing[i])
			continue;
		if (v != floor(v) || fabs(v) > 1e15)
			return false;
		if (isnan(first))
			first = v;
		else if (v != first)
		{
			if (isnan(second))
				second = v;
			else if (v != second)
				return false;
		}
	}
	return !isnan(second);
}

static bool
is_integer_type(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == INT2OID || base == INT4OID || base == INT8OID;
}

/*
 * Distinct non-missing values of a column over the kept rows, counted up to
 * `enough`: any count above it may come back as enough + 1 (a numeric column
 * is sorted only when more than one value matters; a constant check of a
 * wide table must not sort each of its columns).
 */
static int
count_distinct(const AmlColumn *col, int n_rows, const uint8 *keep, int enough)
{
	if (col->kind == AML_KIND_CATEGORICAL)
	{
		bool	   *seen = palloc0(sizeof(bool) * Max(col->dict->count, 1));
		int			distinct = 0;

		for (int i = 0; i < n_rows && distinct <= enough; i++)
			if (keep[i] && !col->missing[i] && !seen[(int) col->values[i]])
			{
				seen[(int) col->values[i]] = true;
				distinct++;
			}
		pfree(seen);
		return distinct;
	}
	else if (enough <= 1)
	{
		int			first = -1;

		for (int i = 0; i < n_rows; i++)
			if (keep[i] && !col->missing[i])
			{
				if (first < 0)
					first = i;
				else if (col->values[i] != col->values[first])
					return 2;
			}
		return first < 0 ? 0 : 1;
	}
	else
	{
		double	   *v = palloc(sizeof(double) * Max(n_rows, 1));
		int			n = 0;
		int			distinct = 0;

		for (int i = 0; i < n_rows; i++)
			if (keep[i] && !col->missing[i])
				v[n++] = col->values[i];
		aml_sort_doubles(v, n);
		for (int i = 0; i < n; i++)
			if (i == 0 || v[i] != v[i - 1])
				distinct++;
		pfree(v);
		return distinct;
	}
}

static void
format_class_label(double v, char *buf, size_t buflen)
{
	if (v == rint(v) && fabs(v) < 1e15)
		snprintf(buf, buflen, "%lld", (long long) v);
	else
		aml_format_double(v, buf, buflen);
}

AmlTrainingData *
aml_training_data_load_where(Oid relid, const char *target, ArrayType *features,
							 const char *task, Jsonb *filter, unsigned tasks)
{
	AmlTrainingData *data = palloc0(sizeof(AmlTrainingData));
	List	   *names = NIL;
	bool		named_features = features != NULL;
	AmlSource  *source;
	AmlDataset *ds;
	AmlLoadStats stats;
	AmlColumn  *tcol;
	uint8	   *keep;
	int			n_keep = 0;
	int			n_infinite = 0;	/* target values left out as infinite */
	AmlTask		wanted_task = AML_TASK_REGRESSION;
	bool		task_given;
	List	   *identifiers = NIL;
	int		   *use;
	int			n_use = 0;
	AmlError	err;
	StringInfoData empty;
	StringInfoData constant;
	StringInfoData ids;
	int			n_empty = 0;
	int			n_constant = 0;
	int			n_ids = 0;
	bool		clustering;
	int			first;			/* first feature column of ds: 1 after the target, 0 without */

	aml_parse_task_argument(task, &wanted_task, &task_given);
	clustering = task_given && wanted_task == AML_TASK_CLUSTERING;
	if (target == NULL && !clustering)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be NULL")));
	if (target != NULL && clustering)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a clustering task has no target (\"%s\" given)", target),
				 errhint("Pass NULL as the target.")));
	first = clustering ? 0 : 1;

	if (!clustering)
		names = lappend(names, pstrdup(target));
	if (named_features)
	{
		List	   *given = aml_name_array_to_list(features, "features");
		ListCell   *lc;

		if (given == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must not be an empty array"),
					 errhint("Pass NULL to use every column but the target.")));
		foreach(lc, given)
		{
			if (target != NULL && strcmp((char *) lfirst(lc), target) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the target \"%s\" cannot also be a feature", target)));
			names = lappend(names, lfirst(lc));
		}
	}
	else
	{
		/* every column but the target: ask the loader for all, then drop it */
		AmlSource  *all = aml_source_describe_ext(relid, NIL, false, true);

		if (target != NULL && aml_source_find(all, target) < 0 &&
			get_attnum(relid, target) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("target column \"%s\" of relation %s does not exist",
							target, all->qualified_name)));
		for (int i = 0; i < all->ncols; i++)
			if (target == NULL || strcmp(all->cols[i].name, target) != 0)
				names = lappend(names, all->cols[i].name);
		identifiers = unique_columns(relid);
	}
	source = aml_source_describe_list(relid, names, true);
	data->relation = source->qualified_name;
	ds = aml_source_load_where(source, aml_filter_compile(filter, relid, 1), &stats);
	if (ds->n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("relation %s has no rows", source->qualified_name),
				 filter ? errdetail("No row passes the filter.") : 0,
				 errhint("Training needs data.")));

	/* rows with a target (clustering: every row) */
	tcol = clustering ? NULL : &ds->columns[0];
	keep = palloc(ds->n_rows);
	for (int i = 0; i < ds->n_rows; i++)
	{
		keep[i] = clustering || (!tcol->missing[i] && isfinite(tcol->values[i]));
		n_keep += keep[i];
		n_infinite += !clustering && !tcol->missing[i] && isinf(tcol->values[i]);
	}
	if (!clustering && n_keep == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("target column \"%s\" has no values", target),
				 errdetail("All %d rows of %s have NULL (or NaN, or infinite) in \"%s\".",
						   ds->n_rows, source->qualified_name, target)));
	if (!clustering && n_keep < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("only one row of %s has a value in target \"%s\"", source->qualified_name, target),
				 errhint("Training needs many rows.")));
	data->skipped_null_target = ds->n_rows - n_keep;
	if (data->skipped_null_target > 0)
		ereport(NOTICE,
				(errmsg(INT64_FORMAT " of %d rows have no value in target \"%s\" and are left out",
						data->skipped_null_target, ds->n_rows, target),
				 n_infinite > 0 ? errdetail_plural("%d of them has an infinite target value.",
												   "%d of them have an infinite target value.",
												   n_infinite, n_infinite) : 0));

	/* the task */
	data->target_type = clustering ? InvalidOid : source->cols[0].typid;
	if (!task_given)	/* (clustering is always given) */
	{
		if (tcol->kind != AML_KIND_NUMERIC)
			wanted_task = AML_TASK_CLASSIFICATION;
		else if (is_integer_type(source->cols[0].typid) && !source->cols[0].from_metadata &&
				 count_distinct(tcol, ds->n_rows, keep, AML_MAX_INTEGER_CLASSES) <= AML_MAX_INTEGER_CLASSES)
			wanted_task = AML_TASK_CLASSIFICATION;
		else if ((tasks & (unsigned) AML_TASK_CLASSIFICATION) && !source->cols[0].from_metadata &&
				 two_whole_numbers(tcol, ds->n_rows, keep))
		{
			/* 0/1 labels stored as float8 or numeric (a CSV's "1.0"): a binary label, not a quantity */
			wanted_task = AML_TASK_CLASSIFICATION;
			ereport(NOTICE,
					(errmsg("target \"%s\" holds two whole numbers only: classification", target),
					 errhint("Use task => 'regression' to predict numbers.")));
		}
		else
			wanted_task = AML_TASK_REGRESSION;
	}
	else if (wanted_task == AML_TASK_REGRESSION && tcol->kind == AML_KIND_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot do regression on target \"%s\" of type %s",
						target, format_type_be(source->cols[0].typid)),
				 errdetail("Regression predicts numbers; \"%s\" holds categories.", target),
				 errhint("Use task => 'classification', or a numeric target.")));
	data->schema.task = wanted_task;

	/* features: which columns to use; the left-out ones are named in one NOTICE per reason */
	use = palloc(sizeof(int) * Max(ds->n_cols, 1));
	initStringInfo(&empty);
	initStringInfo(&constant);
	initStringInfo(&ids);
	for (int c = first; c < ds->n_cols; c++)
	{
		AmlColumn  *col = &ds->columns[c];
		int			missing = 0;
		int			distinct;

		for (int i = 0; i < ds->n_rows; i++)
			if (keep[i] && col->missing[i])
				missing++;
		if (missing == n_keep)
		{
			appendStringInfo(&empty, "%s%s", empty.len ? ", " : "", quote_identifier(col->name));
			n_empty++;
			continue;
		}
		/* an identifier has a value per row; else only "constant or not" matters */
		distinct = count_distinct(col, ds->n_rows, keep,
								  col->kind == AML_KIND_CATEGORICAL && !named_features ? n_keep : 1);
		if (!named_features)
		{
			bool		identifier = list_member_int(identifiers, source->cols[c].attnum);

			if (!identifier && col->kind == AML_KIND_CATEGORICAL && n_keep >= 10 &&
				missing == 0 && distinct == n_keep)
				identifier = true;
			if (identifier)
			{
				appendStringInfo(&ids, "%s%s", ids.len ? ", " : "", quote_identifier(col->name));
				n_ids++;
				continue;
			}
		}
		if (distinct == 1 && missing == 0)
		{
			appendStringInfo(&constant, "%s%s", constant.len ? ", " : "", quote_identifier(col->name));
			n_constant++;
			continue;
		}
		use[n_use++] = c;
	}
	if (n_ids > 0)
		ereport(NOTICE,
				(errmsg("%s left out: %s like an identifier (unique in every row)",
						ids.data, n_ids == 1 ? "it looks" : "they look"),
				 errhint("Name a column in features to use it anyway.")));
	if (n_empty > 0)
		ereport(NOTICE,
				(errmsg("%d column%s left out because %s no values: %s", n_empty,
						n_empty == 1 ? " is" : "s are", n_empty == 1 ? "it has" : "they have", empty.data)));
	if (n_constant > 0)
		ereport(NOTICE,
				(errmsg("%d column%s left out because %s the same value in every row: %s", n_constant,
						n_constant == 1 ? " is" : "s are", n_constant == 1 ? "it has" : "they have",
						constant.data)));
	if (n_use == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 target ? errmsg("no usable feature column to predict \"%s\"", target)
				 : errmsg("no usable feature column to cluster on"),
				 first >= ds->n_cols ?
				 (target ? errdetail("%s has no column of a usable type besides the target.", source->qualified_name)
				  : errdetail("%s has no column of a usable type.", source->qualified_name)) :
				 errdetail("Every candidate column is empty, constant or an identifier."),
				 first >= ds->n_cols ? 0 : errhint("Name the features to use with the features argument.")));

	/* schema, raw matrix and target */
	data->schema.n_inputs = n_use;
	data->schema.inputs = AML_NEW_ARRAY(AmlInputColumn, n_use);
	data->schema.target = target ? aml_strdup(target) : NULL;
	data->input_types = palloc(sizeof(Oid) * n_use);
	if (data->schema.inputs == NULL || (target != NULL && data->schema.target == NULL))
		goto nomem;
	data->n_rows = n_keep;
	if (aml_matrix_create(n_keep, n_use, &data->raw, &err) != AML_OK)
		aml_pg_raise(&err);
	data->y = AML_NEW_ARRAY(double, n_keep);
	if (data->y == NULL)
		goto nomem;
	for (int k = 0; k < n_use; k++)
	{
		AmlColumn  *col = &ds->columns[use[k]];
		double	   *dst = AML_COL(data->raw, k);
		int			r = 0;

		data->schema.inputs[k].name = aml_strdup(col->name);
		data->schema.inputs[k].kind = col->kind;
		if (data->schema.inputs[k].name == NULL)
			goto nomem;
		if (col->kind == AML_KIND_CATEGORICAL &&
			(data->schema.inputs[k].dict = aml_dict_copy(col->dict)) == NULL)
			goto nomem;
		data->input_types[k] = source->cols[use[k]].typid;
		for (int i = 0; i < ds->n_rows; i++)
			if (keep[i])
				dst[r++] = col->values[i];
	}

	if (wanted_task == AML_TASK_CLASSIFICATION)
	{
		AmlDictionary *classes = aml_dict_new();
		int		   *remap = NULL;
		int			r = 0;

		if (classes == NULL)
			goto nomem;
		data->schema.classes = classes;
		if (tcol->kind == AML_KIND_CATEGORICAL)
		{
			/* the target's own categories that occur in kept rows, in byte order */
			remap = palloc(sizeof(int) * Max(tcol->dict->count, 1));
			for (int c = 0; c < tcol->dict->count; c++)
				remap[c] = -1;
			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i])
					remap[(int) tcol->values[i]] = 0;
			for (int c = 0; c < tcol->dict->count; c++)
				if (remap[c] == 0)
				{
					const char *label = aml_dict_string(tcol->dict, c);

					if (aml_dict_intern(classes, label, strlen(label), &remap[c], &err) != AML_OK)
						aml_pg_raise(&err);
				}
			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i])
					data->y[r++] = remap[(int) tcol->values[i]];
		}
		else
		{
			/* booleans and numbers: distinct values in increasing order */
			double	   *sorted = palloc(sizeof(double) * n_keep);
			int			n = 0;
			int			distinct = 0;

			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i])
					sorted[n++] = tcol->values[i];
			aml_sort_doubles(sorted, n);
			for (int i = 0; i < n; i++)
				if (i == 0 || sorted[i] != sorted[i - 1])
					sorted[distinct++] = sorted[i];
			for (int c = 0; c < distinct; c++)
			{
				char		label[64];
				int			code;

				if (tcol->kind == AML_KIND_BINARY)
					snprintf(label, sizeof(label), "%s", sorted[c] != 0 ? "true" : "false");
				else
					format_class_label(sorted[c], label, sizeof(label));
				if (aml_dict_intern(classes, label, strlen(label), &code, &err) != AML_OK)
					aml_pg_raise(&err);
			}
			for (int i = 0; i < ds->n_rows; i++)
				if (keep[i])
				{
					/* binary search of the value among the distinct ones */
					int			lo = 0,
								hi = distinct - 1;

					while (lo < hi)
					{
						int			mid = (lo + hi) / 2;

						if (sorted[mid] < tcol->values[i])
							lo = mid + 1;
						else
							hi = mid;
					}
					data->y[r++] = lo;
				}
			pfree(sorted);
		}
		data->n_classes = classes->count;
		if (data->n_classes < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target \"%s\" has only one class (\"%s\")", target,
							aml_dict_string(classes, 0)),
					 errdetail("Classification needs at least two different values in the target."),
					 errhint("Check the rows you train on, or choose another target.")));
	}
	else if (clustering)
	{
		/* no target: zeros (estimators of the clustering task ignore y) */
		for (int i = 0; i < n_keep; i++)
			data->y[i] = 0;
	}
	else
	{
		int			r = 0;

		for (int i = 0; i < ds->n_rows; i++)
			if (keep[i])
				data->y[r++] = tcol->values[i];
		/* a constant target has nothing to learn (and its R² would be 0 / 0) */
		if (count_distinct(tcol, ds->n_rows, keep, 1) == 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target \"%s\" has the same value (%g) in every row", target, data->y[0]),
					 errdetail("Regression needs at least two different values in the target."),
					 errhint("Check the rows you train on, or choose another target.")));
	}
	/* infinite feature values cannot be learned from */
	for (int k = 0; k < n_use; k++)
	{
		const double *col = AML_COL(data->raw, k);

		for (int i = 0; i < n_keep; i++)
			if (isinf(col[i]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("column \"%s\" contains infinite values", data->schema.inputs[k].name),
						 errhint("Replace them with NULL, or leave the column out.")));
	}
	aml_dataset_free(ds);
	return data;
nomem:
	aml_error_nomem(&err, "training data");
	aml_pg_raise(&err);
}

char *
aml_training_features_json(const AmlTrainingData *data)
{
	/* the tree belongs to a context of its own from the start (format_type_be can raise) */
	MemoryContext json_context = AllocSetContextCreate(CurrentMemoryContext, "automl features JSON",
													   ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(json_context);
	json_object *a = aml_pg_json_own(json_object_new_array_ext(data->schema.n_inputs));
	char	   *text;

	for (int k = 0; k < data->schema.n_inputs; k++)
	{
		const AmlInputColumn *in = &data->schema.inputs[k];
		json_object *c = json_object_new_object();

		/* attached to the array at once, so released with it */
		if (c == NULL || json_object_array_add(a, c) != 0)
		{
			json_object_put(c);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		}
		json_object_object_add(c, "name", json_object_new_string(in->name));
		json_object_object_add(c, "kind", json_object_new_string(aml_kind_name(in->kind)));
		json_object_object_add(c, "type", json_object_new_string(format_type_be(data->input_types[k])));
		if (in->kind == AML_KIND_CATEGORICAL)
			json_object_object_add(c, "categories", aml_json_new_dict(in->dict));
	}
	MemoryContextSwitchTo(old);
	text = pstrdup(aml_json_text(a));
	MemoryContextDelete(json_context);
	return text;
}

/*
 * Leave out the inputs marked in drop (the leakage guard): the schema, the
 * raw matrix and the input types lose those columns.
 */
void
aml_training_data_drop_inputs(AmlTrainingData *data, const bool *drop)
{
	int			n = data->schema.n_inputs;
	int			kept = 0;
	int		   *keep = palloc(sizeof(int) * (n + 1));
	AmlMatrix  *raw;

	for (int j = 0; j < n; j++)
		if (!drop[j])
			keep[kept++] = j;
	if (kept == n)
		return;
	raw = aml_matrix_new(data->raw->rows, kept);
	if (raw == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory leaving out columns")));
	for (int i = 0; i < data->raw->rows; i++)
		for (int k = 0; k < kept; k++)
			AML_AT(raw, i, k) = AML_AT(data->raw, i, keep[k]);
	aml_matrix_free(data->raw);
	data->raw = raw;
	for (int j = 0; j < n; j++)
		if (drop[j])
		{
			aml_free(data->schema.inputs[j].name);
			aml_dict_free(data->schema.inputs[j].dict);
		}
	for (int k = 0; k < kept; k++)
	{
		data->schema.inputs[k] = data->schema.inputs[keep[k]];
		data->input_types[k] = data->input_types[keep[k]];
	}
	data->schema.n_inputs = kept;
}
