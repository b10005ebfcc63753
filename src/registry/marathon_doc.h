/*
 * marathon_doc.h — Marathon's answers as untrusted input: its documents,
 * the deployment ids and the text it sends, and the URL paths that carry
 * ids back to it.
 *
 * The deploy worker acts on three kinds of answer: the app document of
 * GET /v2/apps/{id}, the result of a write (POST/PUT/DELETE on an app) and
 * the list of GET /v2/deployments.  Each reader checks every field it uses
 * (present or absent, type, range, the shape of deployment ids) and says
 * what is wrong instead of guessing; strings it returns point into the
 * call's parsed body and live as long as the call.
 */
#ifndef AML_REGISTRY_MARATHON_DOC_H
#define AML_REGISTRY_MARATHON_DOC_H

#include "postgres.h"

#include "registry/marathon_client.h"

typedef enum AmlDocStatus
{
	AML_DOC_OK,
	AML_DOC_MALFORMED,			/* not the expected shape: *problem says why (worth asking again) */
	AML_DOC_BAD_ID				/* a deployment id that is not one: *bad_id is it (the request fails) */
} AmlDocStatus;

/* What GET /v2/apps/{id} says about an app. */
typedef struct AmlMarathonApp
{
	const char *version;		/* NULL when absent */
	const char *deployment_label;	/* labels["automl.deployment"], NULL when absent */
	const char *deployment_id;	/* first of "deployments" (a checked id), NULL when none */
	int			instances;		/* 1 when absent */
	int			tasks_running;	/* 0 when absent */
	int			tasks_healthy;	/* 0 when absent */
	bool		has_health_checks;
} AmlMarathonApp;

AmlDocStatus aml_marathon_read_app(const AmlHttpCall *call, AmlMarathonApp *app, char **problem,
								   const char **bad_id);

/*
 * The deployment a successful write started: the Marathon-Deployment-Id
 * header, else "deploymentId", else "deployments"[0].id of the body; and the
 * app's new "version" when the body gives one.  Every id present must be a
 * deployment id.  *deployment_id is NULL when there is none; a body that is
 * not JSON is MALFORMED (whatever the header says).
 */
AmlDocStatus aml_marathon_read_write_result(const AmlHttpCall *call, const char **deployment_id,
											const char **version, char **problem, const char **bad_id);

/* One entry of GET /v2/deployments, as far as it can be read. */
typedef struct AmlMarathonDeployment
{
	const char *id;				/* NULL when missing or not a string */
	bool		id_ok;			/* id looks like a deployment id */
	json_object *affected_apps; /* an array (its non-strings are ignored), or NULL */
} AmlMarathonDeployment;

/*
 * The list of running deployments.  MALFORMED only when the document is not
 * an array; entries that are not objects are skipped (they cannot be
 * anybody's), fields of the wrong type read as absent.
 */
AmlDocStatus aml_marathon_read_deployments(const AmlHttpCall *call, AmlMarathonDeployment **list, int *n,
										   char **problem);
bool		aml_marathon_deployment_affects(const AmlMarathonDeployment *d, const char *marathon_app_id);

/*
 * Untrusted text as a palloc'd one-line string that is valid in the database
 * encoding: bytes that are not UTF-8 become '?', control characters spaces,
 * characters beyond ASCII are kept only in a UTF-8 (or SQL_ASCII) database,
 * and at most max_bytes bytes are kept (cut between characters, "..." added).
 */
char	   *aml_marathon_clean_text(const char *text, size_t len, size_t max_bytes);

/* Is this what a Marathon deployment id looks like (a UUID: 1 to 64 letters, digits, '-')? */
bool		aml_marathon_deployment_id_ok(const char *id);
#define AML_DEPLOYMENT_ID_MAX 64
/* "METHOD PATH: Marathon returned "<id>" as a deployment id, which is not one ..." (palloc'd). */
char	   *aml_marathon_bad_deployment_id_text(const AmlHttpCall *call, const char *id);

/*
 * Paths below the base URL: "/v2/apps" followed by a Marathon app id whose
 * segments are each percent-encoded ('/' kept between them), then suffix
 * (e.g. "?force=true"); "/v2/deployments/<id>" likewise.  palloc'd.
 */
char	   *aml_marathon_app_path(const char *app_id, const char *suffix);
char	   *aml_marathon_deployment_path(const char *deployment_id, const char *suffix);

/* Is this a plausible Marathon version (an ISO timestamp: at most 64 printable ASCII characters)? */
bool		aml_marathon_version_ok(const char *version);

#endif
