/*
 * marathon_app.h — registry rows -> the Marathon app definition that is
 * POSTed (or PUT) to /v2/apps, with the registry's and Traefik's labels.
 *
 * Pure C (json-c only, no postgres.h): the same inputs always give the same
 * document, which automl_marathon_app() shows and automl_deploy() stores.
 */
#ifndef AML_REGISTRY_MARATHON_APP_H
#define AML_REGISTRY_MARATHON_APP_H

#include <stdbool.h>
#include <json.h>

typedef struct AmlAppSpec
{
	const char *marathon_id;	/* e.g. "/automl/sales-dashboard/default" */
	const char *app_name;
	const char *config_name;
	const char *image;			/* Docker image, or NULL for a command app */
	const char *command;		/* shell command, or NULL */
	const int  *ports;			/* container ports */
	int			nports;
	const char *const *args;	/* arguments */
	int			nargs;
	double		cpus;
	double		mem;			/* MB */
	double		disk;			/* MB */
	int			instances;
	json_object *env;			/* borrowed: object of strings, or NULL */
	json_object *labels;		/* borrowed: user labels (override Traefik's), or NULL */
	json_object *health_check;	/* borrowed: one Marathon health check, or NULL */
	json_object *constraints;	/* borrowed: array of constraints, or NULL */
	const char *traefik_domain; /* e.g. "marathon.localhost" */
	long long	deployment_id;	/* > 0: stamped as label automl.deployment */
} AmlAppSpec;

/*
 * The Marathon app definition (a new json-c object the caller releases with
 * json_object_put), or NULL when out of memory.
 */
json_object *aml_marathon_app_build(const AmlAppSpec *spec);

/* "Host:<app>.<domain>" for the default configuration, "Host:<config>.<app>.<domain>" otherwise. */
char	   *aml_traefik_host(const char *app_name, const char *config_name, const char *domain);

/*
 * A command line: cmd followed by args quoted for /bin/sh (malloc'd, caller
 * frees), used when both a command and args are set, since Marathon refuses
 * cmd together with args.
 */
char	   *aml_shell_command(const char *cmd, const char *const *args, int nargs);

#endif
