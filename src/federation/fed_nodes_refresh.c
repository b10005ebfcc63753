/*
 * fed_nodes_refresh.c — automl_node_refresh(node): ask federation nodes
 * again who they are (automl.node_info(): server version, the tables the
 * caller's mapped role may read) and record it in automl.nodes with
 * last_seen, as automl_node_add does once.
 *
 * Every node is asked in one round of the fan-out (fanout.c): concurrently,
 * each with automl.node_timeout.  A node that is down, late, refuses or
 * answers garbage is a row with ok = false and the reason in error (also
 * the call's feedback and a WARNING), never an error of the call, and its
 * row of automl.nodes is left as it was.
 *
 * Privileges are automl_node_add's: the caller needs USAGE on the node's
 * foreign server, and the connection uses the caller's user mapping (a
 * non-superuser's with a password).  Naming a node the caller cannot use is
 * an error, as automl_node_add's; with NULL (every node) such a node is a
 * row with ok = false and the reason, not contacted.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "federation/fed_json.h"
#include "federation/federation.h"
#include "pg/subxact.h"
#include "pg/core_bridge.h"
#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_node_refresh);

typedef struct RefreshNode
{
	char	   *name;
	char	   *server;
	char	   *error;			/* why it is not asked (NULL: asked) */
} RefreshNode;

/* The nodes of automl.nodes (one, or all when name is NULL), by name. */
static RefreshNode *
list_nodes(const char *name, int *n)
{
	AmlActAs	a;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char		nulls[1] = {' '};
	RefreshNode *out;

	if (name)
		values[0] = CStringGetTextDatum(name);
	else
		nulls[0] = 'n';
	aml_act_as(&a, InvalidOid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT name, server::pg_catalog.text FROM automl.nodes "
							  "WHERE $1 IS NULL OR name OPERATOR(pg_catalog.=) $1 ORDER BY name",
							  1, types, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read automl.nodes");
	*n = (int) SPI_processed;
	out = SPI_palloc(sizeof(RefreshNode) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		char	   *nm = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *sv = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		out[i].name = SPI_palloc(strlen(nm) + 1);
		strcpy(out[i].name, nm);
		out[i].server = SPI_palloc(strlen(sv) + 1);
		strcpy(out[i].server, sv);
		out[i].error = NULL;
	}
	SPI_finish();
	aml_act_end(&a);
	return out;
}

typedef struct ConnCheck
{
	const RefreshNode *rn;
	const ForeignServer *server;
} ConnCheck;

/* The node's connection options (arg: a ConnCheck): errors as aml_fed_begin's. */
static void
conn_options_check(void *arg)
{
	const ConnCheck *cc = arg;
	AmlFedNode	node;
	const char **kw;
	const char **val;

	memset(&node, 0, sizeof(node));
	node.name = cc->rn->name;
	node.serverid = cc->server->serverid;
	node.server = cc->rn->server;
	aml_fed_conn_options(&node, &kw, &val);
}

/*
 * What aml_fed_begin and the connection would refuse for this caller: the
 * server gone, no USAGE on it, no user mapping, a non-superuser's mapping
 * without a password.  Raised when raise, else returned (NULL: usable).
 * The checks that end in another module's ereport run in a subtransaction.
 */
static char *
check_usable(RefreshNode *rn, bool raise)
{
	ForeignServer *server = GetForeignServerByName(rn->server, true);
	char	   *why = NULL;
	ErrorData  *e;
	ConnCheck	cc;

	if (server == NULL)
	{
		if (raise)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("foreign server \"%s\" of node \"%s\" does not exist", rn->server, rn->name),
					 errhint("Remove the node with automl_node_remove('%s') and add it again.", rn->name)));
		return psprintf("foreign server \"%s\" does not exist", rn->server);
	}
	if (pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
	{
		if (raise)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for foreign server %s of node \"%s\"", rn->server, rn->name)));
		return psprintf("permission denied for foreign server %s", rn->server);
	}
	cc.rn = rn;
	cc.server = server;
	if (raise)
	{
		conn_options_check(&cc);
		return NULL;
	}
	/* ended by another module's ereport: caught, except what belongs to the session */
	e = aml_subxact_try(conn_options_check, &cc, true);
	if (e != NULL)
	{
		if (e->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(e);
		why = pstrdup(e->message);
		FreeErrorData(e);
	}
	return why;
}

/* The failure message the call's feedback has for a node (NULL: none). */
static char *
failure_of(AmlFedCall *c, const char *name)
{
	char	   *text = psprintf("[%s]", c->feedback.data);
	json_object *arr = json_tokener_parse(text);
	char	   *msg = NULL;

	if (arr == NULL)
		return NULL;
	aml_pg_json_own(arr);
	if (!aml_fed_is_array(arr, (size_t) -1))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
	{
		json_object *e = json_object_array_get_idx(arr, i);
		json_object *node = aml_fed_get(e, "node");
		json_object *failure = aml_fed_get(e, "failure");
		json_object *message = aml_fed_get(e, "message");

		if (node && json_object_is_type(node, json_type_string) &&
			strcmp(json_object_get_string(node), name) == 0 &&
			failure && json_object_get_boolean(failure) && message)
			msg = pstrdup(json_object_get_string(message));
	}
	return msg;
}

/*
 * automl_node_refresh(node text DEFAULT NULL) → TABLE(name, ok, version,
 * tables, error): NULL refreshes every node of automl.nodes.
 */
Datum
automl_node_refresh(PG_FUNCTION_ARGS)
{
	const char *what = "automl_node_refresh";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	RefreshNode *rn;
	int			n;
	int			asked = 0;
	Datum	   *names;
	AmlFedCall *c = NULL;

	InitMaterializedSRF(fcinfo, 0);
	rn = list_nodes(name, &n);
	if (name != NULL && n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("federation node \"%s\" does not exist", name),
				 errhint(strcmp(name, AML_FED_LOCAL) == 0
						 ? "'local' names this server in a nodes list; it is not in automl.nodes."
						 : "Nodes are listed in automl.nodes; add one with automl_node_add(name, server).")));
	names = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		rn[i].error = check_usable(&rn[i], name != NULL);
		if (rn[i].error == NULL)
			names[asked++] = CStringGetTextDatum(rn[i].name);
	}
	if (asked > 0)
	{
		c = aml_fed_begin(construct_array(names, asked, TEXTOID, -1, false, TYPALIGN_INT), false, what);
		aml_fed_round(c, "SELECT automl.node_info()", 0, NULL, NULL, NULL);
	}
	for (int i = 0, k = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, true, true, true};
		char	   *error = rn[i].error;

		values[0] = CStringGetTextDatum(rn[i].name);
		if (error == NULL)
		{
			AmlFedNode *node = &c->nodes[k++];

			Assert(strcmp(node->name, rn[i].name) == 0);
			if (aml_fed_answered(node))
			{
				Jsonb	   *tables = aml_fed_node_record(node->name, node->version, node->result);

				if (tables != NULL)
				{
					values[2] = CStringGetTextDatum(node->version ? node->version : "");
					nulls[2] = false;
					values[3] = JsonbPGetDatum(tables);
					nulls[3] = false;
				}
				else
				{
					error = "unreadable answer to automl.node_info()";
					aml_fed_feedback(c, node, true, ERRCODE_PROTOCOL_VIOLATION, "%s", error);
				}
			}
			else
			{
				error = failure_of(c, node->name);
				if (error == NULL)
					error = "no answer";
			}
		}
		values[1] = BoolGetDatum(error == NULL);
		if (error != NULL)
		{
			values[4] = CStringGetTextDatum(error);
			nulls[4] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (c != NULL)
		aml_fed_end(c);
	return (Datum) 0;
}
