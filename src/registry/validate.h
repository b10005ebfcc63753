/*
 * validate.h — what Marathon (and Docker, and Traefik) would refuse, checked
 * when a row is written instead of when it is deployed.
 *
 * Each check returns true when the value is fine, or fills an AmlProblem
 * (message, detail, hint in PostgreSQL's style) that the caller raises —
 * triggers.c with SQLSTATE 23514 and the offending table and column.
 */
#ifndef AML_REGISTRY_VALIDATE_H
#define AML_REGISTRY_VALIDATE_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/jsonb.h"

typedef struct AmlProblem
{
	char	   *message;		/* errmsg: lowercase, no period */
	char	   *detail;			/* errdetail: sentences, or NULL */
	char	   *hint;			/* errhint: sentences, or NULL */
} AmlProblem;

/* Longest app or configuration name: a DNS label in Traefik host names. */
#define AML_MAX_NAME_LENGTH 63
/* Smallest memory (MB) an app may ask for, as in Maracker. */
#define AML_MIN_MEM_MB 32

/* App name (is_config = false) or configuration name: a Marathon id segment. */
bool		aml_check_name(const char *name, bool is_config, AmlProblem *p);
/* A Docker image reference: [registry[:port]/]namespace/name[:tag][@digest]. */
bool		aml_check_image(const char *image, AmlProblem *p);
/* Container ports: 1..65535, no NULLs, no duplicates; *nports gets the count. */
bool		aml_check_ports(ArrayType *ports, int *nports, AmlProblem *p);
/* Arguments: a one-dimensional array without NULLs. */
bool		aml_check_args(ArrayType *args, AmlProblem *p);
/* env (is_labels = false) or labels: a JSON object whose values are strings. */
bool		aml_check_string_map(Jsonb *map, bool is_labels, AmlProblem *p);
/*
 * Labels that route traffic to an app: Traefik's (but traefik.enable,
 * traefik.port, traefik.portIndex, traefik.protocol, traefik.weight, which
 * only concern the app itself), marathon-lb's HAPROXY_* and DC/OS's
 * DCOS_SERVICE_*.  With them an app could take another app's host name or
 * backend, so only registry administrators set them.  Case is ignored.
 */
bool		aml_label_routes_traffic(const char *key);
/* The first routing label that `labels` sets to a value `old` (may be NULL) does not have. */
char	   *aml_routing_label_change(Jsonb *old, Jsonb *labels);
/* One Marathon health check, for an app with nports ports. */
bool		aml_check_health_check(Jsonb *hc, int nports, AmlProblem *p);
/* Marathon placement constraints: [[field, OPERATOR(, value)], ...]. */
bool		aml_check_constraints(Jsonb *constraints, AmlProblem *p);
/* An app's image metadata (Label Schema labels): the list of problems (char *). */
List	   *aml_metadata_problems(Jsonb *metadata);
/* A DNS name (automl.traefik_domain) and a Marathon group path (automl.marathon_group). */
bool		aml_check_dns_name(const char *name);
bool		aml_check_group_path(const char *path);

/* Label Schema labels used as defaults. */
#define AML_LS_DESCRIPTION	"org.label-schema.description"
#define AML_LS_MEMORY_HINT	"org.label-schema.memory-hint"
#define AML_LS_CPU_HINT		"org.label-schema.cpu-hint"
#define AML_LS_VCS_URL		"org.label-schema.vcs-url"

#endif
