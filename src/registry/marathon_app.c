/*
 * marathon_app.c — registry rows -> Marathon app definition (pure function).
 *
 * Shape (Marathon >= 1.5 network API):
 *   Docker app:  "container": {"type": "DOCKER", "docker": {"image", "forcePullImage": false},
 *                              "portMappings": [{"containerPort": p, "hostPort": 0, "protocol": "tcp"}]},
 *                "networks": [{"mode": "container/bridge"}]          (BRIDGE, host port 0)
 *   command app: host networking, "portDefinitions": [{"port": 0, "protocol": "tcp"}] per port
 *   cmd and args: Marathon refuses both together, so a command with args
 *                 becomes one shell command line with the args quoted.
 *   labels:      automl.managed/app/config(/deployment), then for apps with
 *                ports traefik.enable, traefik.frontend.rule, traefik.backend,
 *                traefik.portIndex, then the user's labels (which override).
 * Every label and env value is a JSON string (Marathon refuses anything else).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "registry/marathon_app.h"

#define DEFAULT_CONFIG "default"

static char *
str_printf(const char *fmt, const char *a, const char *b, const char *c)
{
	int			n = snprintf(NULL, 0, fmt, a, b, c);
	char	   *s = malloc((size_t) n + 1);

	if (s != NULL)
		snprintf(s, (size_t) n + 1, fmt, a, b, c);
	return s;
}

char *
aml_traefik_host(const char *app_name, const char *config_name, const char *domain)
{
	if (strcmp(config_name, DEFAULT_CONFIG) == 0)
		return str_printf("Host:%s.%s%s", app_name, domain, "");
	return str_printf("Host:%s.%s.%s", config_name, app_name, domain);
}

/* Safe for /bin/sh without quotes */
static int
shell_plain(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
	{
		char		c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr("_@%+=:,./-", c) != NULL))
			return 0;
	}
	return 1;
}

char *
aml_shell_command(const char *cmd, const char *const *args, int nargs)
{
	size_t		len = strlen(cmd) + 1;
	char	   *out;
	char	   *p;

	for (int i = 0; i < nargs; i++)
		len += 4 * strlen(args[i]) + 3;
	out = malloc(len);
	if (out == NULL)
		return NULL;
	p = out;
	p += sprintf(p, "%s", cmd);
	for (int i = 0; i < nargs; i++)
	{
		const char *a = args[i];

		*p++ = ' ';
		if (shell_plain(a))
		{
			p += sprintf(p, "%s", a);
			continue;
		}
		/* 'it'\''s' */
		*p++ = '\'';
		for (; *a; a++)
		{
			if (*a == '\'')
			{
				memcpy(p, "'\\''", 4);
				p += 4;
			}
			else
				*p++ = *a;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}

static int
add(json_object *obj, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	return json_object_object_add(obj, key, val);
}

static int
add_string(json_object *obj, const char *key, const char *val)
{
	return add(obj, key, json_object_new_string(val));
}

/* A deep copy of a borrowed json-c value. */
static json_object *
copy_of(json_object *src)
{
	json_object *dst = NULL;

	if (json_object_deep_copy(src, &dst, NULL) != 0)
		return NULL;
	return dst;
}

static json_object *
build_container(const AmlAppSpec *spec)
{
	json_object *container = json_object_new_object();
	json_object *docker = json_object_new_object();
	json_object *mappings = json_object_new_array();
	int			rc = 0;

	if (container == NULL || docker == NULL || mappings == NULL)
		goto fail;
	rc |= add_string(docker, "image", spec->image);
	rc |= add(docker, "forcePullImage", json_object_new_boolean(0));
	for (int i = 0; i < spec->nports; i++)
	{
		json_object *pm = json_object_new_object();

		if (pm == NULL)
			goto fail;
		rc |= add(pm, "containerPort", json_object_new_int(spec->ports[i]));
		rc |= add(pm, "hostPort", json_object_new_int(0));
		rc |= add_string(pm, "protocol", "tcp");
		rc |= json_object_array_add(mappings, pm);
	}
	rc |= add_string(container, "type", "DOCKER");
	rc |= add(container, "docker", docker);
	docker = NULL;
	rc |= add(container, "portMappings", mappings);
	mappings = NULL;
	if (rc != 0)
		goto fail;
	return container;

fail:
	json_object_put(container);
	json_object_put(docker);
	json_object_put(mappings);
	return NULL;
}

static json_object *
build_labels(const AmlAppSpec *spec)
{
	json_object *labels = json_object_new_object();
	int			rc = 0;

	if (labels == NULL)
		return NULL;
	rc |= add_string(labels, "automl.managed", "true");
	rc |= add_string(labels, "automl.app", spec->app_name);
	rc |= add_string(labels, "automl.config", spec->config_name);
	if (spec->deployment_id > 0)
	{
		char		id[32];

		snprintf(id, sizeof(id), "%lld", spec->deployment_id);
		rc |= add_string(labels, "automl.deployment", id);
	}
	if (spec->nports > 0)
	{
		char	   *rule = aml_traefik_host(spec->app_name, spec->config_name, spec->traefik_domain);
		char	   *backend = strcmp(spec->config_name, DEFAULT_CONFIG) == 0
			? str_printf("%s%s%s", spec->app_name, "", "")
			: str_printf("%s.%s%s", spec->config_name, spec->app_name, "");

		if (rule == NULL || backend == NULL)
			rc = -1;
		else
		{
			rc |= add_string(labels, "traefik.enable", "true");
			rc |= add_string(labels, "traefik.frontend.rule", rule);
			rc |= add_string(labels, "traefik.backend", backend);
			rc |= add_string(labels, "traefik.portIndex", "0");
		}
		free(rule);
		free(backend);
	}
	if (spec->labels != NULL)
	{
		json_object_object_foreach(spec->labels, key, val)
		{
			/* replaces a Traefik default of the same name */
			rc |= add(labels, key, copy_of(val));
		}
	}
	if (rc != 0)
	{
		json_object_put(labels);
		return NULL;
	}
	return labels;
}

json_object *
aml_marathon_app_build(const AmlAppSpec *spec)
{
	json_object *app = json_object_new_object();
	int			rc = 0;

	if (app == NULL)
		return NULL;
	rc |= add_string(app, "id", spec->marathon_id);

	/* cmd and args are mutually exclusive in Marathon */
	if (spec->command != NULL && spec->nargs > 0)
	{
		char	   *cmd = aml_shell_command(spec->command, spec->args, spec->nargs);

		rc |= cmd ? add_string(app, "cmd", cmd) : -1;
		free(cmd);
	}
	else if (spec->command != NULL)
		rc |= add_string(app, "cmd", spec->command);
	else if (spec->nargs > 0)
	{
		json_object *args = json_object_new_array();

		for (int i = 0; args != NULL && i < spec->nargs; i++)
			rc |= json_object_array_add(args, json_object_new_string(spec->args[i]));
		rc |= add(app, "args", args);
	}

	rc |= add(app, "cpus", aml_json_new_double(spec->cpus));
	rc |= add(app, "mem", aml_json_new_double(spec->mem));
	rc |= add(app, "disk", aml_json_new_double(spec->disk));
	rc |= add(app, "instances", json_object_new_int(spec->instances));

	if (spec->image != NULL)
	{
		json_object *networks = json_object_new_array();
		json_object *bridge = json_object_new_object();

		rc |= add(app, "container", build_container(spec));
		if (bridge != NULL)
			rc |= add_string(bridge, "mode", "container/bridge");
		rc |= networks ? json_object_array_add(networks, bridge) : -1;
		rc |= add(app, "networks", networks);
	}
	else
	{
		json_object *defs = json_object_new_array();

		for (int i = 0; defs != NULL && i < spec->nports; i++)
		{
			json_object *pd = json_object_new_object();

			if (pd == NULL)
			{
				rc = -1;
				break;
			}
			rc |= add(pd, "port", json_object_new_int(0));
			rc |= add_string(pd, "protocol", "tcp");
			rc |= json_object_array_add(defs, pd);
		}
		rc |= add(app, "portDefinitions", defs);
	}

	rc |= add(app, "env", spec->env ? copy_of(spec->env) : json_object_new_object());
	rc |= add(app, "labels", build_labels(spec));
	if (spec->health_check != NULL)
	{
		json_object *checks = json_object_new_array();

		rc |= checks ? json_object_array_add(checks, copy_of(spec->health_check)) : -1;
		rc |= add(app, "healthChecks", checks);
	}
	if (spec->constraints != NULL && json_object_array_length(spec->constraints) > 0)
		rc |= add(app, "constraints", copy_of(spec->constraints));

	if (rc != 0)
	{
		json_object_put(app);
		return NULL;
	}
	return app;
}
