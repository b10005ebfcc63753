/*
 * nodes.c — the node catalogue (automl.nodes over postgres_fdw's foreign
 * servers and user mappings), connection options, the node side's checks
 * (membership, log), and the federation's settings.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <float.h>
#include <math.h>

#include <libpq-fe.h>

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "federation/fed_json.h"
#include "federation/federation.h"
#include "pg/core_bridge.h"
#include "pg/security.h"

int			aml_fed_node_timeout_ms = 30000;
int			aml_fed_min_group_size = 10;
bool		aml_fed_allow_rows = false;

PG_FUNCTION_INFO_V1(automl_node_add);
PG_FUNCTION_INFO_V1(automl_node_remove);
PG_FUNCTION_INFO_V1(automl_node_info);

void
aml_federation_init(void)
{
	DefineCustomIntVariable("automl.node_timeout",
							"Time a federation node has for each round of a federated call.",
							"A node that has not answered by then is cancelled and left out "
							"(reported in the feedback; an error with strict => true).",
							&aml_fed_node_timeout_ms, 30000, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("automl.min_group_size",
							"Smallest number of rows an aggregate that leaves this node may describe.",
							"Federation calls suppress (and report) any group of fewer rows.",
							&aml_fed_min_group_size, 10, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("automl.federation_allow_rows",
							 "Let federation calls send row values (k-NN codebooks: feature vectors and labels) off this node.",
							 NULL, &aml_fed_allow_rows, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- JSON */

void
aml_fed_json_double(StringInfo s, double v)
{
	if (isnan(v) || isinf(v))
		appendStringInfoString(s, "null");
	else
		appendStringInfo(s, "%.17g", v);
}

void
aml_fed_json_string(StringInfo s, const char *v)
{
	if (v == NULL)
		appendStringInfoString(s, "null");
	else
		escape_json(s, v);
}

char *
aml_fed_relation_name(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

const char *
aml_fed_group_check(int64 n, const char *group)
{
	if (n > 0 && n < aml_fed_min_group_size)
		return psprintf("%s has fewer than automl.min_group_size (%d) rows", group, aml_fed_min_group_size);
	return NULL;
}

/* ---------------------------------------------------------------- connections */

static bool
is_libpq_option(const char *keyword, PQconninfoOption *opts)
{
	/* options we set ourselves, and none that changes the protocol */
	if (strcmp(keyword, "fallback_application_name") == 0 ||
		strcmp(keyword, "client_encoding") == 0 ||
		strcmp(keyword, "replication") == 0)
		return false;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return strchr(o->dispchar, 'D') == NULL;	/* not a debug option */
	return false;
}

void
aml_fed_conn_options(AmlFedNode *node, const char ***keywords, const char ***values)
{
	ForeignServer *server = GetForeignServer(node->serverid);
	UserMapping *um = GetUserMapping(GetUserId(), node->serverid);
	PQconninfoOption *opts = PQconndefaults();
	List	   *all = list_concat(list_copy(server->options), um->options);
	const char **kw = palloc0(sizeof(char *) * (list_length(all) + 3));
	const char **val = palloc0(sizeof(char *) * (list_length(all) + 3));
	int			n = 0;
	bool		has_password = false;
	bool		password_required = true;
	ListCell   *lc;

	if (opts == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	foreach(lc, um->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "password_required") == 0)
			password_required = defGetBoolean(d);
		if (strcmp(d->defname, "password") == 0 && defGetString(d)[0] != '\0')
			has_password = true;
	}
	foreach(lc, all)
	{
		DefElem    *d = lfirst(lc);

		if (!is_libpq_option(d->defname, opts))
			continue;
		kw[n] = d->defname;
		val[n] = defGetString(d);
		n++;
	}
	PQconninfoFree(opts);
	kw[n] = "fallback_application_name";
	val[n++] = "automl_federation";
	kw[n] = "client_encoding";
	val[n++] = GetDatabaseEncodingName();
	kw[n] = NULL;
	val[n] = NULL;

	/*
	 * As postgres_fdw: a non-superuser connects with a password of their
	 * user mapping, and the node must have used it — otherwise the
	 * connection would be made with this server's OS identity (peer, trust,
	 * a .pgpass of the server's account).  Only a superuser can set
	 * password_required 'false' on a user mapping (postgres_fdw's validator).
	 */
	node->must_check_password = !superuser_arg(um->userid) && password_required;
	if (node->must_check_password && !has_password)
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required to use federation node \"%s\"", node->name),
				 errdetail("Non-superusers must give a password in the user mapping of server \"%s\".",
						   node->server)));
	*keywords = kw;
	*values = val;
}

/* ---------------------------------------------------------------- node side */

void
aml_fed_check_member(const char *what)
{
	Oid			member = get_role_oid(AML_FED_MEMBER_ROLE, true);

	if (!OidIsValid(member) || !has_privs_of_role(GetUserId(), member))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for federation function %s", what),
				 errdetail("Federation calls are answered only for members of role %s.",
						   AML_FED_MEMBER_ROLE),
				 errhint("The node's administrator grants %s to the role a federation connects as.",
						 AML_FED_MEMBER_ROLE)));
}

void
aml_fed_log(const char *function, const char *arguments_json, int64 rows, const char *suppressed)
{
	AmlActAs	a;
	char	   *caller = GetUserNameFromId(GetUserId(), false);
	char	   *session = GetUserNameFromId(GetSessionUserId(), false);
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8OID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = CStringGetTextDatum(caller);
	values[1] = CStringGetTextDatum(session);
	values[2] = CStringGetTextDatum(function);
	values[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(arguments_json));
	values[4] = Int64GetDatum(rows);
	if (suppressed)
		values[5] = CStringGetTextDatum(suppressed);
	else
		nulls[5] = 'n';
	aml_act_as_owner_of(&a, "federation_log");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO automl.federation_log "
							  "(caller, session_user_name, function, arguments, rows_aggregated, suppressed) "
							  "VALUES ($1, $2, $3, $4, $5, $6)",
							  6, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write automl.federation_log");
	SPI_finish();
	aml_act_end(&a);
}

/*
 * automl.node_info() — what the centre records about a node: its version
 * and the relations the caller may read (what the node exposes to it).
 */
Datum
automl_node_info(PG_FUNCTION_ARGS)
{
	StringInfoData s;
	AmlActAs	a;
	int64		n = 0;

	aml_fed_check_member("automl.node_info");
	initStringInfo(&s);
	appendStringInfo(&s, "{\"version\": ");
	aml_fed_json_string(&s, PG_VERSION);
	appendStringInfoString(&s, ", \"automl\": \"0.1\", \"tables\": [");
	aml_act_as(&a, InvalidOid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
					"OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) "
					"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
					"ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
					"WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v,m,p,f}'::pg_catalog.\"char\"[]) "
					"AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{pg_catalog,information_schema,automl,woken}'::pg_catalog.name[]) "
					"AND n.nspname OPERATOR(pg_catalog.!~) '^pg_toast' "
					"AND pg_catalog.has_table_privilege(c.oid, 'SELECT') ORDER BY 1",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the exposed relations");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		if (i > 0)
			appendStringInfoString(&s, ", ");
		aml_fed_json_string(&s, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	}
	n = (int64) SPI_processed;
	SPI_finish();
	aml_act_end(&a);
	appendStringInfoString(&s, "]}");
	aml_fed_log("automl.node_info", "{}", n, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(s.data));
}

/* ---------------------------------------------------------------- catalogue */

static void
check_node_name(const char *name)
{
	int			len = strlen(name);

	if (len == 0 || len > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid node name \"%s\"", name),
				 errdetail("A node name has 1 to 63 characters among a-z, 0-9, '_' and '-'.")));
	if (strcmp(name, AML_FED_LOCAL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("node name \"%s\" is reserved", name),
				 errdetail("'local' names this server in a nodes list.")));
}

/*
 * Record what a node said about itself (automl.node_info()'s answer): last
 * seen now, its server_version, the tables it exposes.  Returns the tables
 * (jsonb); NULL, nothing written, when the answer is not a JSON object.
 */
Jsonb *
aml_fed_node_record(const char *name, const char *version, const char *info_json)
{
	AmlActAs	a;
	Oid			types[3] = {TEXTOID, TEXTOID, JSONBOID};
	Datum		values[3];
	json_object *doc;
	json_object *t = NULL;
	Jsonb	   *tables;

	/* a node's answer is checked before it is stored: an object with an array of names */
	doc = info_json ? json_tokener_parse(info_json) : NULL;
	if (doc != NULL)
		aml_pg_json_own(doc);
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
		!json_object_object_get_ex(doc, "tables", &t) || !aml_fed_is_string_array(t))
		return NULL;
	tables = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json_object_to_json_string(t))));
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(version ? version : "");
	values[2] = JsonbPGetDatum(tables);
	aml_act_as_owner_of(&a, "nodes");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("UPDATE automl.nodes SET last_seen = pg_catalog.clock_timestamp(), version = $2, tables = $3 "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  3, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not write automl.nodes");
	SPI_finish();
	aml_act_end(&a);
	return tables;
}

/*
 * automl_node_add(name, server): register a postgres_fdw foreign server as a
 * federation node, then ask it for its version and tables (a node that does
 * not answer is added with a WARNING).
 */
Datum
automl_node_add(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *server_name;
	ForeignServer *server;
	ForeignDataWrapper *fdw;
	AmlActAs	a;
	Oid			types[3] = {TEXTOID, NAMEOID, REGROLEOID};
	Datum		values[3];
	int			rc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("node name and server must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	server_name = NameStr(*PG_GETARG_NAME(1));
	check_node_name(name);
	server = GetForeignServerByName(server_name, false);
	fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "postgres_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("server \"%s\" is not a postgres_fdw server", server_name),
				 errdetail("Its foreign-data wrapper is \"%s\".", fdw->fdwname),
				 errhint("Create it with CREATE SERVER ... FOREIGN DATA WRAPPER postgres_fdw.")));
	if (pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for foreign server %s", server_name)));

	values[0] = CStringGetTextDatum(name);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = ObjectIdGetDatum(GetUserId());
	aml_act_as_owner_of(&a, "nodes");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("INSERT INTO automl.nodes (name, server, owner) VALUES ($1, $2, $3) "
							   "ON CONFLICT (name) DO NOTHING", 3, types, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not write automl.nodes");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("node \"%s\" already exists", name),
				 errhint("Remove it first with automl_node_remove('%s').", name)));
	SPI_finish();
	aml_act_end(&a);

	/* ask the node who it is (feedback, not an error, when it is down) */
	{
		ArrayType  *one = construct_array(&values[0], 1, TEXTOID, -1, false, TYPALIGN_INT);
		AmlFedCall *c = aml_fed_begin(one, false, "automl_node_add");

		aml_fed_round(c, "SELECT automl.node_info()", 0, NULL, NULL, NULL);
		if (aml_fed_answered(&c->nodes[0]))
			aml_fed_node_record(name, c->nodes[0].version, c->nodes[0].result);
		aml_fed_end(c);
	}
	PG_RETURN_VOID();
}

/* automl_node_remove(name): its owner or a superuser; true when removed. */
Datum
automl_node_remove(PG_FUNCTION_ARGS)
{
	AmlActAs	a;
	Oid			types[2] = {TEXTOID, REGROLEOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		removed;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("node name must not be NULL")));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = ObjectIdGetDatum(GetUserId());
	if (superuser())
		nulls[1] = 'n';
	aml_act_as_owner_of(&a, "nodes");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT owner OPERATOR(pg_catalog.=) $2 OR $2 IS NULL FROM automl.nodes "
							  "WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							  2, types, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read automl.nodes");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("node \"%s\" does not exist", TextDatumGetCString(values[0]))));
	{
		bool		isnull;
		bool		mine = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

		if (isnull || !mine)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only the owner of node \"%s\" or a superuser may remove it",
							TextDatumGetCString(values[0]))));
	}
	if (SPI_execute_with_args("DELETE FROM automl.nodes WHERE name OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not write automl.nodes");
	removed = SPI_processed > 0;
	SPI_finish();
	aml_act_end(&a);
	PG_RETURN_BOOL(removed);
}
