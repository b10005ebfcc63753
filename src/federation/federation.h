/*
 * federation.h — one analysis over several automl servers ("nodes", e.g.
 * one per hospital), where only aggregates leave a node.
 *
 * The centre knows a node as a postgres_fdw foreign server plus the
 * caller's user mapping for it (automl.nodes maps a node name to a server):
 * PostgreSQL's own catalogue of where a server is and which credentials to
 * use, so automl stores no password.  A federated call resolves its node
 * names, opens one libpq connection per remote node with the server's and
 * the user mapping's options (as postgres_fdw and dblink do), and runs
 * rounds: the same SQL (a node-side function automl.node_*) sent to every
 * node at once with libpq's asynchronous API, the centre waiting on all
 * sockets together (poll), each node with its own deadline
 * (automl.node_timeout).  The node named 'local' is this server: its part
 * is computed in-process while the remote nodes compute theirs.
 *
 * A node that cannot be reached, fails or misses its deadline is left out
 * of the rest of the call and reported in the call's feedback (a WARNING
 * per entry, and automl_federation_feedback() afterwards); with strict it
 * is an error.  A cancelled or failed call cancels the queries still
 * running on the nodes (PQcancel) and closes every connection: a reset
 * callback of the memory context the call lives in does it on every exit.
 *
 * On a node, every federation function first checks that the caller is a
 * member of automl_federation_member, returns aggregates only (no group of
 * fewer than automl.min_group_size rows), and logs what left the node in
 * automl.federation_log.
 */
#ifndef AML_FEDERATION_H
#define AML_FEDERATION_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#define AML_FED_LOCAL "local"
#define AML_FED_MEMBER_ROLE "automl_federation_member"

/* GUCs (nodes.c) */
extern int	aml_fed_node_timeout_ms;
extern int	aml_fed_min_group_size;
extern bool aml_fed_allow_rows;

typedef enum AmlFedState
{
	AML_FED_IDLE,				/* connected, nothing running */
	AML_FED_CONNECTING,
	AML_FED_BUSY,				/* query sent */
	AML_FED_DONE,				/* this round's answer is in */
	AML_FED_FAILED				/* left out of the call */
} AmlFedState;

typedef struct AmlFedNode
{
	char	   *name;
	bool		local;
	Oid			serverid;
	char	   *server;
	void	   *conn;			/* PGconn * */
	int			poll_status;	/* PostgresPollingStatusType while connecting */
	bool		must_check_password;
	AmlFedState state;
	instr_time	deadline_start;
	char	   *result;			/* this round's answer (text) */
	char	   *version;		/* server_version of the node */
	double		ms;				/* this round's wall time */
} AmlFedNode;

typedef struct AmlFedCall
{
	const char *what;
	bool		strict;
	int			n;
	AmlFedNode *nodes;
	StringInfoData feedback;	/* JSON array body */
	int			n_feedback;
	bool		open;
} AmlFedCall;

/* Computes the local node's answer of a round (a JSON text). */
typedef char *(*AmlFedLocalFn) (void *arg);

/*
 * Resolve `nodes` (NULL: not federated, returns NULL).  Errors: NULL or
 * duplicate element, unknown node (42704), a server that is not
 * postgres_fdw's, no USAGE on it or no user mapping, a non-superuser whose
 * user mapping has no password.
 */
AmlFedCall *aml_fed_begin(ArrayType *nodes, bool strict, const char *what);
/* True when the call names this server. */
bool		aml_fed_has_local(const AmlFedCall *c);
/*
 * One round: `sql` with text parameters on every node still in the call,
 * local(arg) for the local node.  Answers in node->result.
 */
void		aml_fed_round(AmlFedCall *c, const char *sql, int nparams, const char *const *params,
						  AmlFedLocalFn local, void *arg);
/*
 * A feedback entry about a node (NULL: the call).  failure: the node is
 * left out of the call, and with strict the call fails with sqlstate.
 */
void		aml_fed_feedback(AmlFedCall *c, AmlFedNode *node, bool failure, int sqlstate,
							 const char *fmt,...) pg_attribute_printf(5, 6);
/* Leave a node out of the rest of the call, quietly (it said why already). */
void		aml_fed_leave(AmlFedCall *c, AmlFedNode *node);
/*
 * Close the connections; remember the feedback for automl_federation_feedback().
 * (automl.nodes is not written: analyses are STABLE; automl_node_refresh
 * moves last_seen.)
 */
void		aml_fed_end(AmlFedCall *c);
/* Live nodes with an answer this round. */
#define aml_fed_answered(node) ((node)->state == AML_FED_DONE && (node)->result != NULL)

/*
 * nodes.c: record a node's automl.node_info() answer in automl.nodes (last
 * seen, version, tables); returns the tables, NULL (nothing written) when
 * the answer is not {"tables": [names...], ...}.
 */
Jsonb	   *aml_fed_node_record(const char *name, const char *version, const char *info_json);
/* nodes.c: connection options of a node for the current user (palloc'd, NULL-terminated). */
void		aml_fed_conn_options(AmlFedNode *node, const char ***keywords, const char ***values);
/* nodes.c: the node side — refuse callers not in automl_federation_member (42501). */
void		aml_fed_check_member(const char *what);
/* nodes.c: log what leaves this node. */
void		aml_fed_log(const char *function, const char *arguments_json, int64 rows, const char *suppressed);
/* Append a double as JSON that reads back to the same bits (NaN/inf as null). */
void		aml_fed_json_double(StringInfo s, double v);
void		aml_fed_json_string(StringInfo s, const char *v);
/* A relation's name as the nodes are to resolve it: "schema"."table". */
char	   *aml_fed_relation_name(Oid relid);
/* The first round's suppression test: NULL when n rows may be reported. */
const char *aml_fed_group_check(int64 n, const char *group);

void		aml_federation_init(void);

#endif
