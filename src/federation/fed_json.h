/*
 * fed_json.h — what every federated function shares when it reads the
 * nodes' answers (JSON text) and writes its own: suppression answers, the
 * checks json-c needs before array calls, the nodes' log arguments.
 */
#ifndef AML_FEDERATION_FED_JSON_H
#define AML_FEDERATION_FED_JSON_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "federation/federation.h"

/* A filter's text (NULL for no filter). */
char	   *aml_fed_filter_text(Jsonb *filter);
/* {"suppressed": reason}: all a node sends when a group is too small. */
char	   *aml_fed_suppressed_json(const char *reason);
/* A node's answer as a JSON object; NULL (the node left out, reported) when unreadable. */
json_object *aml_fed_parse_answer(AmlFedCall *c, AmlFedNode *node);
/*
 * A node's answer when it contributes: NULL when it is unreadable or a
 * suppression (reported as feedback, the node left out of the call).
 */
json_object *aml_fed_contribution(AmlFedCall *c, AmlFedNode *node);
/* json-c asserts on array calls over other types: check first (len -1: any length). */
bool		aml_fed_is_array(json_object *o, size_t len);
/* An array of len numbers (json-c reads a number from anything: check). */
bool		aml_fed_is_number_array(json_object *o, size_t len);
bool		aml_fed_is_string_array(json_object *o);
/* o[key] or NULL */
json_object *aml_fed_get(json_object *o, const char *key);
/* The optional trailing arguments of a federated function: nodes text[], strict boolean. */
#define NODES_ARG(i) (PG_NARGS() > (i) && !PG_ARGISNULL(i) ? PG_GETARG_ARRAYTYPE_P(i) : NULL)
#define STRICT_ARG(i) (PG_NARGS() > (i) && !PG_ARGISNULL(i) && PG_GETARG_BOOL(i))
/* A node-side function's first nargs arguments must not be NULL (22004). */
void		aml_fed_node_args(FunctionCallInfo fcinfo, int nargs);
/* The arguments a node logs: {"relation", "columns", "filter"} plus extra (", \"key\": ..."). */
char	   *aml_fed_log_arguments(Oid relid, const char *names, Jsonb *filter, const char *extra);
/* The centre's error when every node was left out or suppressed. */
void		aml_fed_no_contribution(AmlFedCall *c, const char *what) pg_attribute_noreturn();

#endif
