/*
 * fed_knn.c — automl_fit(..., 'knn', nodes => ...): k nearest neighbours
 * over federation nodes as Woken did it (its "codebooks" gathered: the
 * training rows themselves), the one federated fit that is row-revealing.
 *
 * A k-NN model is its training rows, so there is no aggregate to send: the
 * node must send its rows' feature vectors and labels.  It does so only
 * when its own superuser allowed it (automl.federation_allow_rows = on,
 * PGC_SUSET, read on the node: the node decides what leaves it); otherwise
 * it refuses with 42501 and a hint, which the centre reports as that
 * node's feedback (an error with strict).  A node that sends rows logs the
 * call in automl.federation_log with the row count and "row_values": true
 * in the arguments.
 *
 * Node (automl.node_rows): the complete rows (filter applied, rows with a
 * NULL in the target or a feature left out, as every federated fit) as
 * JSON objects {column: value} (categories as text, numbers with 17
 * significant digits, booleans).  Centre: the rows of every node that sent
 * them go into a temporary table with the centre relation's column types
 * (json_populate_recordset), automl_fit(temporary table, target, 'knn',
 * params, features, task, seed, name) fits the model there — the same code
 * as on the pooled table, so the model is automl_fit's on the union of the
 * rows — and the table is dropped.  The model's metrics name the nodes and
 * say "row_values": true.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "catalog/pg_type.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "core/json.h"
#include "federation/federation.h"
#include "federation/fed_json.h"
#include "federation/fed_model.h"
#include "pg/core_bridge.h"
#include "pg/stats_frame.h"

PG_FUNCTION_INFO_V1(automl_node_rows);

/* ---------------------------------------------------------------- node side */

static char *
node_rows_json(Oid relid, char **names, int n, Jsonb *filter, int64 *rows)
{
	AmlStatsFrame *fr;
	StringInfoData s;

	if (!aml_fed_allow_rows)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this node does not let row values leave it"),
				 errdetail("A k-NN model over federation nodes needs the rows' feature vectors and labels."),
				 errhint("A superuser of this node can allow it with ALTER SYSTEM SET automl.federation_allow_rows = on.")));
	fr = aml_stats_frame_load(relid, names, n, filter, true, "automl.node_rows");
	*rows = fr->n;
	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": %ld, \"rows\": [", fr->n);
	for (long i = 0; i < fr->n; i++)
	{
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		appendStringInfoString(&s, i ? ", {" : "{");
		for (int c = 0; c < fr->ncols; c++)
		{
			const AmlStatsColumn *col = &fr->cols[c];

			if (c > 0)
				appendStringInfoString(&s, ", ");
			aml_fed_json_string(&s, col->name);
			appendStringInfoString(&s, ": ");
			if (col->kind == AML_KIND_CATEGORICAL)
				aml_fed_json_string(&s, col->levels[(int) col->values[i]]);
			else if (col->kind == AML_KIND_BINARY)
				appendStringInfoString(&s, col->values[i] != 0 ? "true" : "false");
			else
				aml_fed_json_double(&s, col->values[i]);
		}
		appendStringInfoChar(&s, '}');
	}
	appendStringInfoString(&s, "]}");
	return s.data;
}

Datum
automl_node_rows(PG_FUNCTION_ARGS)
{
	const char *what = "automl.node_rows";
	Jsonb	   *filter;
	char	  **names;
	int			n;
	AmlCoreSession *session;
	char	   *out;
	int64		rows = 0;
	StringInfoData extra;

	aml_fed_check_member(what);
	aml_fed_node_args(fcinfo, 3);
	filter = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	names = aml_fed_target_features(NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), &n);
	session = aml_core_session_begin(what);
	out = node_rows_json(PG_GETARG_OID(0), names, n, filter, &rows);
	aml_core_session_end(session);
	initStringInfo(&extra);
	appendStringInfoString(&extra, ", \"target\": ");
	aml_fed_json_string(&extra, names[0]);
	appendStringInfoString(&extra, ", \"row_values\": true");
	aml_fed_log(what, aml_fed_log_arguments(PG_GETARG_OID(0), aml_fed_names_text(names + 1, n - 1), filter,
											extra.data), rows, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---------------------------------------------------------------- centre */

/* the extension's schema (automl_fit lives there) */
static Oid
ext_namespace(void)
{
	Oid			ext = get_extension_oid("automl", false);
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		elog(ERROR, "extension automl not found");
	return nsp;
}

typedef struct RowsLocal
{
	Oid			relid;
	char	  **names;
	int			n;
	Jsonb	   *filter;
	bool		strict;
} RowsLocal;

/*
 * This server as node 'local': its own automl.federation_allow_rows decides
 * too.  Refusing in-process would end the whole call, so without strict the
 * refusal is reported as this node's suppressed part (feedback).
 */
static char *
local_rows(void *arg)
{
	RowsLocal  *a = arg;
	int64		rows;

	if (!aml_fed_allow_rows && !a->strict)
		return aml_fed_suppressed_json("this node does not let row values leave it "
									   "(automl.federation_allow_rows is off)");
	return node_rows_json(a->relid, a->names, a->n, a->filter, &rows);
}

int64
aml_fed_knn(const AmlFedFitArgs *a)
{
	int			n;
	char	  **names = aml_fed_target_features(a->target, a->features, &n);
	AmlFedCall *c;
	RowsLocal	la;
	const char *params[4];
	bool	   *contributed;
	long		rows = 0;
	char	   *table;
	StringInfoData cols;
	int64		id;
	Oid			types[8] = {NAMEOID, TEXTOID, JSONBOID, NAMEARRAYOID, TEXTOID, INT4OID, TEXTOID, JSONBOID};
	Datum		values[8];
	char		nulls[8] = "        ";
	int			ret;
	bool		isnull;
	static int	counter = 0;

	/* the columns exist at the centre (their types make the table) */
	initStringInfo(&cols);
	for (int i = 0; i < n; i++)
	{
		if (get_attnum(a->relid, names[i]) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" does not exist in %s", names[i], aml_fed_relation_name(a->relid))));
		appendStringInfo(&cols, "%s%s", i ? ", " : "", quote_identifier(names[i]));
	}
	c = aml_fed_begin(a->nodes, a->strict, "automl_fit");
	contributed = palloc0(sizeof(bool) * c->n);
	params[0] = aml_fed_relation_name(a->relid);
	params[1] = names[0];
	params[2] = aml_fed_name_array_literal(names + 1, n - 1);
	params[3] = aml_fed_filter_text(a->filter);
	la.relid = a->relid;
	la.names = names;
	la.n = n;
	la.filter = a->filter;
	la.strict = a->strict;
	aml_fed_round(c, "SELECT automl.node_rows($1::pg_catalog.regclass, $2::pg_catalog.name, "
				  "$3::pg_catalog.name[], $4::pg_catalog.jsonb)", 4, params, local_rows, &la);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	table = psprintf("automl_fed_knn_%d_%d", MyProcPid, ++counter);
	if (SPI_execute(psprintf("CREATE TEMPORARY TABLE %s AS SELECT %s FROM %s WITH NO DATA",
							 quote_identifier(table), cols.data, aml_fed_relation_name(a->relid)),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "creating the table of the nodes' rows failed");
	for (int i = 0; i < c->n; i++)
	{
		json_object *doc;
		json_object *r;
		Oid			t[1] = {JSONOID};
		Datum		v[1];

		if (!aml_fed_answered(&c->nodes[i]) || (doc = aml_fed_contribution(c, &c->nodes[i])) == NULL)
			continue;
		r = aml_fed_get(doc, "rows");
		if (!aml_fed_is_array(r, -1))
		{
			json_object_put(doc);
			aml_fed_feedback(c, &c->nodes[i], true, ERRCODE_DATATYPE_MISMATCH,
							 "its answer does not match this server's columns");
			continue;
		}
		v[0] = CStringGetTextDatum(aml_json_text(r));
		ret = SPI_execute_with_args(psprintf("INSERT INTO pg_temp.%s SELECT %s FROM "
											 "pg_catalog.json_populate_recordset(NULL::pg_temp.%s, $1)",
											 quote_identifier(table), cols.data, quote_identifier(table)),
									1, t, v, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "storing the rows of node \"%s\" failed", c->nodes[i].name);
		rows += (long) SPI_processed;
		contributed[i] = SPI_processed > 0;
		json_object_put(doc);
	}
	if (rows == 0)
		aml_fed_no_contribution(c, "automl_fit");
	aml_fed_end(c);

	/* automl_fit on the union of the rows */
	values[0] = DirectFunctionCall1(namein, CStringGetDatum(a->target));
	values[1] = CStringGetTextDatum(a->type->name);
	if (a->params != NULL)
		values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(a->params)));
	else
		nulls[2] = 'n';
	values[3] = PointerGetDatum(a->features);
	if (a->task != NULL)
		values[4] = CStringGetTextDatum(a->task);
	else
		nulls[4] = 'n';
	values[5] = Int32GetDatum(a->seed);
	if (a->name != NULL)
		values[6] = CStringGetTextDatum(a->name);
	else
		nulls[6] = 'n';
	nulls[7] = 'n';
	ret = SPI_execute_with_args(psprintf("SELECT %s.automl_fit('pg_temp.%s'::pg_catalog.regclass, $1, $2, "
										 "COALESCE($3, '{}'::pg_catalog.jsonb), $4, "
										 "COALESCE($5, 'auto'), $6, $7, $8)",
										 quote_identifier(get_namespace_name(ext_namespace())),
										 quote_identifier(table)),
								8, types, values, nulls, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "fitting k-NN on the nodes' rows failed");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	/* the model says where its rows came from */
	{
		json_object *m = aml_fed_metrics(c, contributed, rows, a->seed, 0);
		Oid			t2[3] = {INT8OID, JSONBOID, TEXTOID};
		Datum		v2[3];

		json_object_object_add(m, "row_values", json_object_new_boolean(true));
		v2[0] = Int64GetDatum(id);
		v2[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(m)));
		v2[2] = CStringGetTextDatum(aml_fed_relation_name(a->relid));
		if (SPI_execute_with_args("UPDATE automl.models SET relation = $3, metrics = metrics OPERATOR(pg_catalog.||) "
								  "pg_catalog.jsonb_build_object('nodes', $2 OPERATOR(pg_catalog.->) 'nodes', "
								  "'row_values', true) WHERE id OPERATOR(pg_catalog.=) $1",
								  3, t2, v2, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "updating the metrics of model " INT64_FORMAT " failed", id);
	}
	if (SPI_execute(psprintf("DROP TABLE pg_temp.%s", quote_identifier(table)), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "dropping the table of the nodes' rows failed");
	SPI_finish();
	return id;
}
