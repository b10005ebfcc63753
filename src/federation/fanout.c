/*
 * fanout.c — running a round of a federated call on every node at once
 * (federation.h): libpq's asynchronous connection (PQconnectStartParams /
 * PQconnectPoll) and query (PQsendQueryParams / PQconsumeInput) calls, one
 * poll() over every node's socket, a deadline per node, cancellation
 * forwarded to the nodes when the call ends early.
 */
#include "postgres.h"

#include <poll.h>

#include <libpq-fe.h>

#include "access/parallel.h"
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

#include "federation/federation.h"
#include "pg/security.h"

PG_FUNCTION_INFO_V1(automl_federation_feedback);

/* the feedback of the last federated call of this session (TopMemoryContext) */
static char *last_feedback = NULL;

/* Keep the feedback so far as the session's last (also when the call fails). */
static void
save_feedback(AmlFedCall *c)
{
	char	   *copy = MemoryContextAlloc(TopMemoryContext, c->feedback.len + 3);

	copy[0] = '[';
	memcpy(copy + 1, c->feedback.data, c->feedback.len);
	copy[c->feedback.len + 1] = ']';
	copy[c->feedback.len + 2] = '\0';
	if (last_feedback)
		pfree(last_feedback);
	last_feedback = copy;
}

static void
ignore_notice(void *arg, const char *message)
{
}

/* Cancel what runs on a node and close its connection. */
static void
close_node(AmlFedNode *node, bool cancel)
{
	PGconn	   *conn = node->conn;

	if (conn == NULL)
		return;
	if (cancel && PQtransactionStatus(conn) == PQTRANS_ACTIVE)
	{
		PGcancel   *cn = PQgetCancel(conn);
		char		buf[256];

		if (cn)
		{
			(void) PQcancel(cn, buf, sizeof(buf));
			PQfreeCancel(cn);
		}
	}
	PQfinish(conn);
	node->conn = NULL;
}

/* On every exit of the call (error, cancel, end): no connection survives it. */
static void
call_reset_callback(void *arg)
{
	AmlFedCall *c = arg;

	if (!c->open)
		return;
	for (int i = 0; i < c->n; i++)
		close_node(&c->nodes[i], true);
	c->open = false;
}

static Oid
node_server(const char *name, char **server_name)
{
	AmlActAs	a;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	Oid			serverid = InvalidOid;

	values[0] = CStringGetTextDatum(name);
	aml_act_as(&a, InvalidOid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT server::pg_catalog.text FROM automl.nodes WHERE name OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read automl.nodes");
	if (SPI_processed == 1)
	{
		char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		/* SPI_palloc: in the caller's context, which outlives SPI_finish */
		*server_name = SPI_palloc(strlen(s) + 1);
		strcpy(*server_name, s);
	}
	SPI_finish();
	aml_act_end(&a);
	if (*server_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("federation node \"%s\" does not exist", name),
				 errhint("Nodes are listed in automl.nodes; add one with automl_node_add(name, server), "
						 "or write 'local' for this server.")));
	serverid = GetForeignServerByName(*server_name, false)->serverid;
	return serverid;
}

AmlFedCall *
aml_fed_begin(ArrayType *nodes, bool strict, const char *what)
{
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;
	AmlFedCall *c;
	MemoryContextCallback *cb;

	if (nodes == NULL)
		return NULL;
	if (ARR_NDIM(nodes) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s: nodes must be a one-dimensional array", what)));
	deconstruct_array(nodes, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: nodes is empty", what),
				 errhint("Pass NULL for this server alone, or name nodes of automl.nodes ('local' is this server).")));
	c = palloc0(sizeof(AmlFedCall));
	c->what = what;
	c->strict = strict;
	c->n = n;
	c->nodes = palloc0(sizeof(AmlFedNode) * n);
	initStringInfo(&c->feedback);
	for (int i = 0; i < n; i++)
	{
		AmlFedNode *node = &c->nodes[i];

		if (elem_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: a node name is NULL", what)));
		node->name = TextDatumGetCString(elems[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(c->nodes[j].name, node->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("%s: node \"%s\" is named twice", what, node->name)));
		node->state = AML_FED_IDLE;
		if (strcmp(node->name, AML_FED_LOCAL) == 0)
		{
			node->local = true;
			continue;
		}
		node->serverid = node_server(node->name, &node->server);
		if (pg_foreign_server_aclcheck(node->serverid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for foreign server %s of node \"%s\"",
							node->server, node->name)));
	}
	save_feedback(c);			/* this call's, empty so far */
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = call_reset_callback;
	cb->arg = c;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	c->open = true;
	return c;
}

bool
aml_fed_has_local(const AmlFedCall *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->nodes[i].local)
			return true;
	return false;
}

void
aml_fed_feedback(AmlFedCall *c, AmlFedNode *node, bool failure, int sqlstate, const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	if (node && failure)
	{
		close_node(node, true);
		node->state = AML_FED_FAILED;
		node->result = NULL;
	}
	appendStringInfoString(&c->feedback, c->n_feedback++ ? ", {\"node\": " : "{\"node\": ");
	aml_fed_json_string(&c->feedback, node ? node->name : NULL);
	appendStringInfoString(&c->feedback, ", \"failure\": ");
	appendStringInfoString(&c->feedback, failure ? "true" : "false");
	appendStringInfoString(&c->feedback, ", \"message\": ");
	aml_fed_json_string(&c->feedback, msg.data);
	appendStringInfoString(&c->feedback, "}");
	save_feedback(c);
	if (failure && c->strict)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s: node \"%s\": %s", c->what, node ? node->name : "-", msg.data),
				 errhint("Without strict => true, a node that fails is left out and reported in the feedback.")));
	ereport(WARNING,
			(errmsg("%s: node \"%s\": %s", c->what, node ? node->name : "-", msg.data)));
}

static double
elapsed_ms(AmlFedNode *node)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, node->deadline_start);
	return INSTR_TIME_GET_MILLISEC(now);
}

static void
node_failed_conn(AmlFedCall *c, AmlFedNode *node, const char *what)
{
	char	   *msg = pstrdup(node->conn ? PQerrorMessage(node->conn) : "out of memory");
	int			len = strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	aml_fed_feedback(c, node, true, ERRCODE_CONNECTION_FAILURE, "%s: %s", what, msg);
}

static void
start_connect(AmlFedCall *c, AmlFedNode *node)
{
	const char **kw;
	const char **val;

	aml_fed_conn_options(node, &kw, &val);
	node->conn = PQconnectStartParams(kw, val, false);
	if (node->conn == NULL || PQstatus(node->conn) == CONNECTION_BAD)
	{
		node_failed_conn(c, node, "could not connect");
		return;
	}
	PQsetNoticeProcessor(node->conn, ignore_notice, NULL);
	node->poll_status = PGRES_POLLING_WRITING;
	node->state = AML_FED_CONNECTING;
}

static void
send_query(AmlFedCall *c, AmlFedNode *node, const char *sql, int nparams, const char *const *params)
{
	if (!PQsendQueryParams((PGconn *) node->conn, sql, nparams, NULL, params, NULL, NULL, 0))
	{
		node_failed_conn(c, node, "could not send the query");
		return;
	}
	node->state = AML_FED_BUSY;
}

static void
connected(AmlFedCall *c, AmlFedNode *node, const char *sql, int nparams, const char *const *params)
{
	PGconn	   *conn = node->conn;
	const char *v = PQparameterStatus(conn, "server_version");

	if (node->must_check_password && !PQconnectionUsedPassword(conn))
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required to use federation node \"%s\"", node->name),
				 errdetail("Node \"%s\" did not ask for the password of the user mapping.", node->name),
				 errhint("Non-superusers must connect with a password the node checks.")));
	node->version = v ? pstrdup(v) : NULL;
	send_query(c, node, sql, nparams, params);
}

/* Take whatever results have arrived; the round's answer when complete. */
static void
collect(AmlFedCall *c, AmlFedNode *node)
{
	PGconn	   *conn = node->conn;

	if (!PQconsumeInput(conn))
	{
		node_failed_conn(c, node, "connection lost");
		return;
	}
	while (!PQisBusy(conn))
	{
		PGresult   *res = PQgetResult(conn);

		if (res == NULL)
		{
			node->state = AML_FED_DONE;
			node->ms = elapsed_ms(node);
			return;
		}
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1)
		{
			node->result = PQgetisnull(res, 0, 0) ? NULL : pstrdup(PQgetvalue(res, 0, 0));
			PQclear(res);
			continue;
		}
		{
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			int			code = ERRCODE_CONNECTION_FAILURE;
			char	   *msg = pstrdup(primary ? primary : PQresStatus(PQresultStatus(res)));

			if (state && strlen(state) == 5)
				code = MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4]);
			PQclear(res);
			/* a node-side function this server calls and the node lacks */
			if (code == ERRCODE_UNDEFINED_FUNCTION && strncmp(msg, "function automl.", 16) == 0)
				msg = psprintf("%s (the node's automl is older than this server's: upgrade it)", msg);
			aml_fed_feedback(c, node, true, code, "%s", msg);
			return;
		}
	}
}

void
aml_fed_round(AmlFedCall *c, const char *sql, int nparams, const char *const *params,
			  AmlFedLocalFn local, void *arg)
{
	struct pollfd *fds = palloc(sizeof(struct pollfd) * c->n);
	AmlFedNode **who = palloc(sizeof(AmlFedNode *) * c->n);
	bool		local_done = false;

	for (int i = 0; i < c->n; i++)
	{
		AmlFedNode *node = &c->nodes[i];

		if (node->state == AML_FED_FAILED)
			continue;
		node->result = NULL;
		INSTR_TIME_SET_CURRENT(node->deadline_start);
		if (node->local)
		{
			node->state = AML_FED_BUSY;
			continue;
		}
		if (node->conn == NULL)
			start_connect(c, node);
		else
			send_query(c, node, sql, nparams, params);
	}

	for (;;)
	{
		int			nfds = 0;
		int			wait_ms = 100;
		bool		connecting = false;

		for (int i = 0; i < c->n; i++)
		{
			AmlFedNode *node = &c->nodes[i];
			double		left;

			if (node->local || (node->state != AML_FED_CONNECTING && node->state != AML_FED_BUSY))
				continue;
			left = aml_fed_node_timeout_ms - elapsed_ms(node);
			if (left <= 0)
			{
				aml_fed_feedback(c, node, true, ERRCODE_QUERY_CANCELED,
								 "%s within automl.node_timeout (%d ms): cancelled and left out",
								 node->state == AML_FED_CONNECTING ? "could not connect" : "did not answer",
								 aml_fed_node_timeout_ms);
				continue;
			}
			wait_ms = Min(wait_ms, (int) left + 1);
			fds[nfds].fd = PQsocket((PGconn *) node->conn);
			fds[nfds].events = node->state == AML_FED_CONNECTING && node->poll_status == PGRES_POLLING_WRITING
				? POLLOUT : POLLIN;
			fds[nfds].revents = 0;
			who[nfds++] = node;
			connecting |= node->state == AML_FED_CONNECTING;
		}

		/* the local part, once every remote node has its query */
		if (!local_done && !connecting)
		{
			for (int i = 0; i < c->n; i++)
				if (c->nodes[i].local && c->nodes[i].state == AML_FED_BUSY)
				{
					c->nodes[i].result = local ? local(arg) : NULL;
					c->nodes[i].state = AML_FED_DONE;
					c->nodes[i].ms = elapsed_ms(&c->nodes[i]);
				}
			local_done = true;
			continue;			/* deadlines again, after the local work */
		}
		if (nfds == 0)
			break;
		if (poll(fds, nfds, wait_ms) < 0 && errno != EINTR)
			ereport(ERROR,
					(errcode_for_socket_access(),
					 errmsg("%s: poll() failed: %m", c->what)));
		CHECK_FOR_INTERRUPTS();
		for (int k = 0; k < nfds; k++)
		{
			AmlFedNode *node = who[k];

			if (fds[k].revents == 0)
				continue;
			if (node->state == AML_FED_CONNECTING)
			{
				node->poll_status = PQconnectPoll((PGconn *) node->conn);
				if (node->poll_status == PGRES_POLLING_FAILED)
					node_failed_conn(c, node, "could not connect");
				else if (node->poll_status == PGRES_POLLING_OK)
					connected(c, node, sql, nparams, params);
			}
			else if (node->state == AML_FED_BUSY)
				collect(c, node);
		}
	}
}

void
aml_fed_leave(AmlFedCall *c, AmlFedNode *node)
{
	close_node(node, true);
	node->state = AML_FED_FAILED;
	node->result = NULL;
}

void
aml_fed_end(AmlFedCall *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->n; i++)
		close_node(&c->nodes[i], true);
	c->open = false;
	save_feedback(c);
}

/* automl_federation_feedback(): the feedback of this session's last federated call. */
Datum
automl_federation_feedback(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(last_feedback ? last_feedback : "[]"));
}
