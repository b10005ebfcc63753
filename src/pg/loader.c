/*
 * loader.c — science-db relations into core datasets (see loader.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tupdesc.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "pg/core_bridge.h"
#include "pg/loader.h"
#include "pg/filter.h"
#include "pg/security.h"

#define LOAD_BATCH_ROWS 10000

/* seconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch) */
#define PG_EPOCH_OFFSET_SECONDS 946684800.0

/*
 * A name[] argument as a list of names, refusing NULLs and duplicates.  The
 * duplicates are found with a hash table: the array comes from the caller
 * and may be huge (a list walk per element made 100 000 names take seconds
 * that statement_timeout could not interrupt).
 */
List *
aml_name_array_to_list(ArrayType *names, const char *argname)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *result = NIL;
	HTAB	   *seen;
	HASHCTL		ctl;

	if (ARR_NDIM(names) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	deconstruct_array(names, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = NAMEDATALEN;
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("automl column names", Max(n, 1), &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (int i = 0; i < n; i++)
	{
		char	   *name;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", argname)));
		name = pstrdup(NameStr(*DatumGetName(elems[i])));
		(void) hash_search(seen, name, HASH_ENTER, &found);
		if (found)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column \"%s\" appears more than once in %s", name, argname)));
		result = lappend(result, name);
	}
	hash_destroy(seen);
	return result;
}

/* Kind and conversion from the SQL type; false when unsupported. */
static bool
classify_type(Oid typid, AmlColumnKind *kind, AmlConversion *conv)
{
	Oid			base = getBaseType(typid);
	char		category;
	bool		preferred;

	switch (base)
	{
		case INT2OID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_INT2;
			return true;
		case INT4OID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_INT4;
			return true;
		case INT8OID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_INT8;
			return true;
		case FLOAT4OID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_FLOAT4;
			return true;
		case FLOAT8OID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_FLOAT8;
			return true;
		case NUMERICOID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_NUMERIC;
			return true;
		case BOOLOID:
			*kind = AML_KIND_BINARY, *conv = AML_CONV_BOOL;
			return true;
		case DATEOID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_DATE;
			return true;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_TIMESTAMP;
			return true;
		case TIMEOID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_TIME;
			return true;
		case TIMETZOID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_TIMETZ;
			return true;
		case INTERVALOID:
			*kind = AML_KIND_NUMERIC, *conv = AML_CONV_INTERVAL;
			return true;
		case TEXTOID:
		case VARCHAROID:
			*kind = AML_KIND_CATEGORICAL, *conv = AML_CONV_TEXT;
			return true;
		case BPCHAROID:
			*kind = AML_KIND_CATEGORICAL, *conv = AML_CONV_BPCHAR;
			return true;
		case NAMEOID:
			*kind = AML_KIND_CATEGORICAL, *conv = AML_CONV_NAME;
			return true;
		case CHAROID:
			*kind = AML_KIND_CATEGORICAL, *conv = AML_CONV_OUTPUT;
			return true;
		default:
			break;
	}
	get_type_category_preferred(base, &category, &preferred);
	if (category == TYPCATEGORY_STRING || category == TYPCATEGORY_ENUM)
	{
		*kind = AML_KIND_CATEGORICAL;
		*conv = AML_CONV_OUTPUT;
		return true;
	}
	return false;
}

/* automl.variables types for the given columns: code -> type, as a list of pairs */
static char *
metadata_type_of(List *meta, const char *name)
{
	ListCell   *lc;

	foreach(lc, meta)
	{
		char	  **pair = (char **) lfirst(lc);

		if (strcmp(pair[0], name) == 0)
			return pair[1];
	}
	return NULL;
}

static List *
read_metadata(List *names)
{
	List	   *result = NIL;
	Datum	   *elems;
	ArrayType  *arr;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	int			n = list_length(names);
	int			i = 0;
	ListCell   *lc;
	int			ret;
	MemoryContext caller = CurrentMemoryContext;
	AmlActAs	safe;

	if (n == 0)
		return NIL;
	elems = palloc(sizeof(Datum) * n);
	foreach(lc, names)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	arr = construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
	args[0] = PointerGetDatum(arr);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	aml_act_as(&safe, InvalidOid);
	ret = SPI_execute_with_args("SELECT code, type FROM automl.variables "
								"WHERE code OPERATOR(pg_catalog.=) ANY ($1)",
								1, argtypes, args, NULL, true, 0);
	aml_act_end(&safe);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading automl.variables failed: %s", SPI_result_code_string(ret));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *code = SPI_getvalue(tup, desc, 1);
		char	   *type = SPI_getvalue(tup, desc, 2);
		MemoryContext old = MemoryContextSwitchTo(caller);
		char	  **pair = palloc(sizeof(char *) * 2);

		pair[0] = pstrdup(code);
		pair[1] = pstrdup(type ? type : "");
		result = lappend(result, pair);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return result;
}

bool
aml_source_column_as(AmlSourceColumn *col, Oid typid, AmlColumnKind wanted)
{
	AmlColumnKind natural;
	AmlConversion conv;

	if (!classify_type(typid, &natural, &conv))
		return false;
	col->typid = typid;
	if (wanted == AML_KIND_CATEGORICAL && natural != AML_KIND_CATEGORICAL)
		conv = AML_CONV_OUTPUT;		/* e.g. integer codes read as categories */
	else if (wanted != AML_KIND_CATEGORICAL && natural == AML_KIND_CATEGORICAL)
		conv = AML_CONV_PARSE_NUMBER;	/* numbers stored as text */
	col->kind = wanted;
	col->conversion = conv;
	if (conv == AML_CONV_OUTPUT || conv == AML_CONV_PARSE_NUMBER)
	{
		Oid			outfunc;
		bool		varlena;

		getTypeOutputInfo(typid, &outfunc, &varlena);
		fmgr_info_cxt(outfunc, &col->output, CurrentMemoryContext);
	}
	return true;
}

/* Apply a MIP variable type to a column whose SQL type gave its kind. */
static void
apply_metadata(AmlSourceColumn *col, const char *mtype)
{
	bool		numeric_meta = strcmp(mtype, "integer") == 0 || strcmp(mtype, "real") == 0;
	bool		categorical_meta = strcmp(mtype, "polynominal") == 0 ||
		strcmp(mtype, "binominal") == 0 || strcmp(mtype, "text") == 0;

	if (categorical_meta && col->kind != AML_KIND_CATEGORICAL)
		col->from_metadata = aml_source_column_as(col, col->typid, AML_KIND_CATEGORICAL);
	else if (numeric_meta && col->kind == AML_KIND_CATEGORICAL)
		col->from_metadata = aml_source_column_as(col, col->typid, AML_KIND_NUMERIC);
	else if (categorical_meta || numeric_meta)
		col->from_metadata = true;
}

static void
check_select_privilege(Relation rel, AmlSource *source)
{
	AclResult	res = pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_SELECT);

	if (res == ACLCHECK_OK)
		return;
	for (int i = 0; i < source->ncols; i++)
	{
		res = pg_attribute_aclcheck(RelationGetRelid(rel), source->cols[i].attnum,
									GetUserId(), ACL_SELECT);
		if (res != ACLCHECK_OK)
			aclcheck_error(res, get_relkind_objtype(rel->rd_rel->relkind),
						   RelationGetRelationName(rel));
	}
}

AmlSource *
aml_source_describe_list(Oid relid, List *names, bool use_metadata)
{
	return aml_source_describe_ext(relid, names, use_metadata, false);
}

AmlSource *
aml_source_describe_ext(Oid relid, List *names, bool use_metadata, bool skip_unsupported)
{
	Relation	rel;
	TupleDesc	desc;
	AmlSource  *source;
	char		relkind;
	List	   *meta = NIL;
	List	   *all_names = NIL;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = rel->rd_rel->relkind;
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table, view or materialized view",
						RelationGetRelationName(rel))));
	desc = RelationGetDescr(rel);
	source = palloc0(sizeof(AmlSource));
	source->relid = relid;
	source->qualified_name =
		quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
								   RelationGetRelationName(rel));
	source->estimated_rows = (relkind == RELKIND_VIEW || rel->rd_rel->reltuples < 0)
		? -1 : rel->rd_rel->reltuples;

	if (names == NIL)
	{
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped)
				all_names = lappend(all_names, pstrdup(NameStr(att->attname)));
		}
		names = all_names;
	}
	if (use_metadata)
		meta = read_metadata(names);

	source->ncols = 0;
	source->cols = palloc0(sizeof(AmlSourceColumn) * Max(list_length(names), 1));
	for (int i = 0; i < list_length(names); i++)
	{
		const char *name = (const char *) list_nth(names, i);
		AmlSourceColumn *col = &source->cols[source->ncols];
		Form_pg_attribute att = NULL;
		char	   *mtype;

		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute candidate = TupleDescAttr(desc, a);

			if (!candidate->attisdropped && strcmp(NameStr(candidate->attname), name) == 0)
			{
				att = candidate;
				break;
			}
		}
		if (att == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							name, RelationGetRelationName(rel))));
		col->name = pstrdup(name);
		col->attnum = att->attnum;
		col->typid = att->atttypid;
		if (!classify_type(att->atttypid, &col->kind, &col->conversion) && skip_unsupported)
		{
			ereport(NOTICE,
					(errmsg("column \"%s\" is left out: automl cannot use type %s",
							name, format_type_be(att->atttypid))));
			continue;
		}
		if (!classify_type(att->atttypid, &col->kind, &col->conversion))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has unsupported type %s",
							name, format_type_be(att->atttypid)),
					 errdetail("automl reads numbers, booleans, strings, enums, dates, times and intervals."),
					 errhint("Leave the column out with the columns argument, or cast it in a view.")));
		if (col->conversion == AML_CONV_OUTPUT)
		{
			Oid			outfunc;
			bool		varlena;

			getTypeOutputInfo(col->typid, &outfunc, &varlena);
			fmgr_info(outfunc, &col->output);
		}
		if ((mtype = metadata_type_of(meta, name)) != NULL)
			apply_metadata(col, mtype);
		source->ncols++;
	}
	check_select_privilege(rel, source);
	relation_close(rel, AccessShareLock);
	return source;
}

AmlSource *
aml_source_describe(Oid relid, ArrayType *columns, bool use_metadata)
{
	List	   *names = columns ? aml_name_array_to_list(columns, "columns") : NIL;

	if (columns != NULL && names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must not be an empty array"),
				 errhint("Pass NULL to use every column.")));
	return aml_source_describe_list(relid, names, use_metadata);
}

int
aml_source_find(const AmlSource *source, const char *name)
{
	for (int i = 0; i < source->ncols; i++)
		if (strcmp(source->cols[i].name, name) == 0)
			return i;
	return -1;
}

static double
interval_seconds(const Interval *iv)
{
	/* the same year and month lengths as EXTRACT(epoch FROM interval) */
	return (double) iv->time / USECS_PER_SEC
		+ (double) DAYS_PER_YEAR * SECS_PER_DAY * (iv->month / MONTHS_PER_YEAR)
		+ (double) DAYS_PER_MONTH * SECS_PER_DAY * (iv->month % MONTHS_PER_YEAR)
		+ (double) SECS_PER_DAY * iv->day;
}

bool
aml_source_convert(const AmlSourceColumn *col, Datum value,
				   double *number, const char **str, int *len)
{
	switch (col->conversion)
	{
		case AML_CONV_INT2:
			*number = DatumGetInt16(value);
			return true;
		case AML_CONV_INT4:
			*number = DatumGetInt32(value);
			return true;
		case AML_CONV_INT8:
			*number = (double) DatumGetInt64(value);
			return true;
		case AML_CONV_FLOAT4:
			*number = DatumGetFloat4(value);
			break;
		case AML_CONV_FLOAT8:
			*number = DatumGetFloat8(value);
			break;
		case AML_CONV_NUMERIC:
			*number = DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
			break;
		case AML_CONV_BOOL:
			*number = DatumGetBool(value) ? 1.0 : 0.0;
			return true;
		case AML_CONV_DATE:
			{
				DateADT		d = DatumGetDateADT(value);

				if (DATE_IS_NOBEGIN(d))
					*number = -INFINITY;
				else if (DATE_IS_NOEND(d))
					*number = INFINITY;
				else
					*number = (double) d * SECS_PER_DAY + PG_EPOCH_OFFSET_SECONDS;
				return true;
			}
		case AML_CONV_TIMESTAMP:
			{
				Timestamp	t = DatumGetTimestamp(value);

				if (TIMESTAMP_IS_NOBEGIN(t))
					*number = -INFINITY;
				else if (TIMESTAMP_IS_NOEND(t))
					*number = INFINITY;
				else
					*number = (double) t / USECS_PER_SEC + PG_EPOCH_OFFSET_SECONDS;
				return true;
			}
		case AML_CONV_TIME:
			*number = (double) DatumGetTimeADT(value) / USECS_PER_SEC;
			return true;
		case AML_CONV_TIMETZ:
			{
				TimeTzADT  *t = DatumGetTimeTzADTP(value);

				*number = (double) t->time / USECS_PER_SEC + t->zone;
				return true;
			}
		case AML_CONV_INTERVAL:
			*number = interval_seconds(DatumGetIntervalP(value));
			return true;
		case AML_CONV_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				*str = VARDATA_ANY(t);
				*len = VARSIZE_ANY_EXHDR(t);
				return true;
			}
		case AML_CONV_BPCHAR:
			{
				BpChar	   *t = DatumGetBpCharPP(value);
				const char *s = VARDATA_ANY(t);
				int			n = VARSIZE_ANY_EXHDR(t);

				while (n > 0 && s[n - 1] == ' ')
					n--;
				*str = s;
				*len = n;
				return true;
			}
		case AML_CONV_NAME:
			*str = NameStr(*DatumGetName(value));
			*len = strlen(*str);
			return true;
		case AML_CONV_OUTPUT:
			*str = OutputFunctionCall((FmgrInfo *) &col->output, value);
			*len = strlen(*str);
			return true;
		case AML_CONV_PARSE_NUMBER:
			{
				char	   *s;
				char	   *end;

				if (getBaseType(col->typid) == TEXTOID || getBaseType(col->typid) == VARCHAROID)
					s = text_to_cstring(DatumGetTextPP(value));
				else
					s = OutputFunctionCall((FmgrInfo *) &col->output, value);
				errno = 0;
				*number = strtod(s, &end);
				while (*end == ' ')
					end++;
				if (end == s || *end != '\0' || errno == ERANGE)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
							 errmsg("column \"%s\" holds \"%s\", which is not a number",
									col->name, s),
							 col->from_metadata
							 ? errdetail("automl.variables says \"%s\" is numeric.", col->name)
							 : errdetail("The model was trained on numbers in \"%s\".", col->name),
							 col->from_metadata
							 ? errhint("Fix the value, or the variable's type in automl.variables.")
							 : errhint("Pass a number, or NULL.")));
				break;
			}
	}
	return !isnan(*number);
}

AmlDataset *
aml_source_load(const AmlSource *source, const char *filter, AmlLoadStats *stats)
{
	AmlWhere	where;

	memset(&where, 0, sizeof(where));
	where.clause = (char *) filter;
	return aml_source_load_where(source, &where, stats);
}

/*
 * The rows of the load's query, as the executor produces them: each slot
 * is read where it is (SPI's tuple table would copy every row into a new
 * heap tuple, batch after batch of fresh memory, and deform it again).
 * Converted values live in batch_context, reset every LOAD_BATCH_ROWS rows.
 */
typedef struct LoadReceiver
{
	DestReceiver pub;
	const AmlSource *source;
	AmlDataset *ds;
	AmlLoadStats *stats;
	MemoryContext batch_context;
	int			in_batch;
	ErrorContextCallback *outer_context;	/* the caller's, without SPI's */
} LoadReceiver;

static bool
load_receive(TupleTableSlot *slot, DestReceiver *self)
{
	LoadReceiver *r = (LoadReceiver *) self;
	const AmlSource *source = r->source;
	ErrorContextCallback *spi_context = error_context_stack;
	MemoryContext old;
	AmlError	err;
	int			row;

	Assert(slot->tts_tupleDescriptor->natts >= source->ncols);
	slot_getsomeattrs(slot, source->ncols);
	/* a bad value is the caller's error, not one of the generated query's (no CONTEXT line) */
	error_context_stack = r->outer_context;
	old = MemoryContextSwitchTo(r->batch_context);
	if (aml_dataset_append_row(r->ds, &row, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int c = 0; c < source->ncols; c++)
	{
		double		number = 0;
		const char *str = NULL;
		int			len = 0;

		if (slot->tts_isnull[c])
			continue;			/* rows start all-missing */
		if (!aml_source_convert(&source->cols[c], slot->tts_values[c], &number, &str, &len))
		{
			r->stats->nan_counts[c]++;
			continue;
		}
		if (source->cols[c].kind == AML_KIND_CATEGORICAL)
		{
			if (aml_dataset_set_category(r->ds, row, c, str, (size_t) len, &err) != AML_OK)
				aml_pg_raise(&err);
		}
		else
			aml_dataset_set_number(r->ds, row, c, number);
	}
	MemoryContextSwitchTo(old);
	error_context_stack = spi_context;
	r->stats->rows++;
	if (++r->in_batch == LOAD_BATCH_ROWS)
	{
		MemoryContextReset(r->batch_context);
		r->in_batch = 0;
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

static void
load_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
load_shutdown(DestReceiver *self)
{
}

AmlDataset *
aml_source_load_where(const AmlSource *source, const AmlWhere *where, AmlLoadStats *stats)
{
	const char *filter = where ? where->clause : NULL;
	int			nparams = filter != NULL && where->nparams > 0 ? where->nparams : 0;
	StringInfoData query;
	AmlDataset *ds;
	AmlError	err;
	SPIPlanPtr	plan;
	SPIExecuteOptions options;
	LoadReceiver receiver;
	size_t		row_bytes = aml_dataset_row_bytes(source->ncols);

	/* refuse early when the statistics already say it cannot fit */
	if (source->estimated_rows > 0 &&
		!aml_memory_fits((size_t) (source->estimated_rows * (double) row_bytes)))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("relation %s is too large for the memory budget", source->qualified_name),
				 errdetail("About %.0f rows of %d columns need about %zu kB; automl.max_memory allows %zu kB.",
						   source->estimated_rows, source->ncols,
						   (size_t) (source->estimated_rows * (double) row_bytes) / 1024,
						   aml_memory_budget() / 1024),
				 errhint("Raise automl.max_memory, or use fewer rows or columns.")));

	initStringInfo(&query);
	appendStringInfoString(&query, "SELECT ");
	for (int i = 0; i < source->ncols; i++)
		appendStringInfo(&query, "%s%s", i ? ", " : "", quote_identifier(source->cols[i].name));
	if (source->ncols == 0)
		appendStringInfoString(&query, "NULL");
	appendStringInfo(&query, " FROM %s", source->qualified_name);
	if (filter != NULL)
		appendStringInfo(&query, " WHERE (%s)", filter);

	if (aml_dataset_create(source->ncols, &ds, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int i = 0; i < source->ncols; i++)
		if (aml_dataset_define_column(ds, i, source->cols[i].name, source->cols[i].kind, &err) != AML_OK)
			aml_pg_raise(&err);
	stats->rows = 0;
	stats->nan_counts = palloc0(sizeof(int64) * Max(source->ncols, 1));

	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = load_receive;
	receiver.pub.rStartup = load_startup;
	receiver.pub.rShutdown = load_shutdown;
	receiver.pub.rDestroy = load_shutdown;
	receiver.pub.mydest = DestNone;
	receiver.source = source;
	receiver.ds = ds;
	receiver.stats = stats;
	receiver.batch_context = AllocSetContextCreate(CurrentMemoryContext, "automl load batch",
												   ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (nparams > 0 && where->first_param != 1)
		elog(ERROR, "a filter read by the loader must number its parameters from $1");
	plan = SPI_prepare(query.data, nparams, nparams > 0 ? where->types : NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for the load query: %s", SPI_result_code_string(SPI_result));
	memset(&options, 0, sizeof(options));
	if (nparams > 0)
	{
		options.params = makeParamList(nparams);
		for (int i = 0; i < nparams; i++)
		{
			ParamExternData *prm = &options.params->params[i];

			prm->value = where->values[i];
			prm->isnull = where->nulls != NULL && where->nulls[i] == 'n';
			prm->pflags = PARAM_FLAG_CONST;
			prm->ptype = where->types[i];
		}
	}
	options.read_only = true;
	options.dest = &receiver.pub;
	receiver.outer_context = error_context_stack;
	/* (a SELECT whose rows go to a receiver of DestNone answers SPI_OK_UTILITY) */
	if (SPI_execute_plan_extended(plan, &options) < 0)
		elog(ERROR, "the load query failed: %s", SPI_result_code_string(SPI_result));
	SPI_finish();
	MemoryContextDelete(receiver.batch_context);

	if (aml_dataset_finish(ds, &err) != AML_OK)
		aml_pg_raise(&err);
	for (int c = 0; c < source->ncols; c++)
		if (stats->nan_counts[c] > 0)
			ereport(NOTICE,
					(errmsg("column \"%s\": " INT64_FORMAT " NaN value%s treated as missing",
							source->cols[c].name, stats->nan_counts[c],
							stats->nan_counts[c] == 1 ? "" : "s")));
	return ds;
}
