/*
 * registry.c — the app registry's SQL functions and module initialisation.
 *
 *   automl_deploy(app, config)            queue a deployment, return its id
 *   automl_undeploy(app, config)          queue the removal of a deployment
 *   automl_deployment_wait(id, timeout)   wait for a final state
 *   automl_marathon_app(app, config)      the definition a deployment would send
 *   automl_validate_app_metadata(jsonb)   the problems of an image's metadata
 *
 * aml_registry_init() (from _PG_init) defines the registry's GUCs and, when
 * the library is in shared_preload_libraries, asks for the shared memory the
 * worker and the callers share and registers the deploy worker.
 *
 * automl_deploy and automl_undeploy read the registry and write
 * automl.deployments as the owner of that table (only they and the worker
 * write it), after checking that the caller owns the app or is a member of
 * automl_registry_admin (pg/security.h: search_path is pg_catalog, pg_temp
 * meanwhile).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "pg/security.h"
#include "registry/marathon_app.h"
#include "registry/marathon_client.h"
#include "registry/registry.h"
#include "registry/validate.h"

PG_FUNCTION_INFO_V1(automl_deploy);
PG_FUNCTION_INFO_V1(automl_undeploy);
PG_FUNCTION_INFO_V1(automl_deployment_wait);
PG_FUNCTION_INFO_V1(automl_marathon_app);
PG_FUNCTION_INFO_V1(automl_validate_app_metadata);

#define ADMIN_ROLE "automl_registry_admin"

char	   *aml_marathon_url = NULL;
char	   *aml_marathon_credentials = NULL;
char	   *aml_marathon_group = NULL;
char	   *aml_traefik_domain = NULL;
int			aml_http_timeout_ms = 30000;
int			aml_deploy_timeout_ms = 10 * 60 * 1000;
int			aml_deploy_poll_interval_ms = 250;
int			aml_deploy_max_backoff_ms = 30000;
int			aml_deploy_concurrency = 32;

AmlRegistryShared *aml_registry_shared = NULL;


/* ------------------------------------------------------------ GUC hooks */

static bool
check_marathon_url(char **newval, void **extra, GucSource source)
{
	const char *problem = NULL;

	if (!aml_marathon_check_url(*newval, &problem))
	{
		GUC_check_errdetail("%s", problem);
		return false;
	}
	return true;
}

static bool
check_marathon_credentials(char **newval, void **extra, GucSource source)
{
	char	   *mode,
			   *user,
			   *secret;
	const char *problem = NULL;

	if (!aml_marathon_parse_credentials(*newval, &mode, &user, &secret, &problem))
	{
		/* replaces the default message, which would print the secret */
		GUC_check_errmsg("invalid value for parameter \"automl.marathon_credentials\"");
		GUC_check_errdetail("%s", problem);
		return false;
	}
	return true;
}

/* Never shown, not even to superusers: they can read the configuration file. */
static const char *
show_marathon_credentials(void)
{
	return (aml_marathon_credentials && aml_marathon_credentials[0]) ? "********" : "";
}

static bool
check_marathon_group(char **newval, void **extra, GucSource source)
{
	if (!aml_check_group_path(*newval))
	{
		GUC_check_errdetail("A Marathon group is an absolute path of id segments such as \"/automl\" "
							"(lowercase letters, digits and hyphens), or empty for the root.");
		return false;
	}
	return true;
}

static bool
check_traefik_domain(char **newval, void **extra, GucSource source)
{
	if (!aml_check_dns_name(*newval))
	{
		GUC_check_errdetail("The domain must be a lowercase DNS name such as \"marathon.localhost\".");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ shared memory */

static void
registry_shmem_init(void *ptr)
{
	AmlRegistryShared *shared = ptr;

	aml_worker_slot_init(&shared->worker);
	ConditionVariableInit(&shared->progress_cv);
}

/* ------------------------------------------------------------ initialisation */

void
aml_registry_init(void)
{
	DefineCustomStringVariable("automl.marathon_url",
							   "Base URL of Marathon's REST API used by the deploy worker.",
							   "For example http://marathon.example.com:8080, or "
							   "https://dcos.example.com/service/marathon behind DC/OS. Empty: not configured.",
							   &aml_marathon_url, "", PGC_SIGHUP, 0,
							   check_marathon_url, NULL, NULL);
	DefineCustomStringVariable("automl.marathon_credentials",
							   "Credentials for Marathon: basic:USER:PASSWORD or token:TOKEN (DC/OS).",
							   "Never shown; readable only in the configuration file.",
							   &aml_marathon_credentials, "", PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   check_marathon_credentials, NULL, show_marathon_credentials);
	DefineCustomStringVariable("automl.marathon_group",
							   "Marathon group under which the registry deploys apps.",
							   "An app deploys as <group>/<app name>/<configuration name>.",
							   &aml_marathon_group, "/automl", PGC_SIGHUP, 0,
							   check_marathon_group, NULL, NULL);
	DefineCustomStringVariable("automl.traefik_domain",
							   "Domain of the Traefik host rules of deployed apps.",
							   "An app with ports is exposed as <app>.<domain> (<configuration>.<app>.<domain> "
							   "for configurations other than default).",
							   &aml_traefik_domain, "marathon.localhost", PGC_SIGHUP, 0,
							   check_traefik_domain, NULL, NULL);
	DefineCustomIntVariable("automl.http_timeout",
							"Longest time one HTTP call to Marathon may take.",
							NULL, &aml_http_timeout_ms, 30000, 100, 600000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.deploy_timeout",
							"Deadline of one deployment request, retries and Marathon's deployment included.",
							"A deployment still running at the deadline is cancelled (rolled back) and the "
							"request fails.",
							&aml_deploy_timeout_ms, 10 * 60 * 1000, 1000, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.deploy_poll_interval",
							"How often the deploy worker asks Marathon about running deployments.",
							NULL, &aml_deploy_poll_interval_ms, 250, 10, 60000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.deploy_max_backoff",
							"Longest wait between two retries of a failed call to Marathon.",
							"Retries start after about 100 ms and double each time, with jitter.",
							&aml_deploy_max_backoff_ms, 30000, 10, 3600000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.deploy_concurrency",
							"Most HTTP calls the deploy worker makes to Marathon at once.",
							NULL, &aml_deploy_concurrency, 32, 1, 1024, PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	/* both do nothing unless preloading */
	aml_shmem_add("automl registry", sizeof(AmlRegistryShared), registry_shmem_init,
				  (void **) &aml_registry_shared);
	aml_worker_register("aml_deploy_worker_main", AML_DEPLOY_WORKER_TYPE);
}

void
aml_registry_check_worker(const char *what)
{
	aml_worker_require(what, AML_DEPLOY_WORKER_TYPE, aml_registry_shared != NULL);
}

/* ------------------------------------------------------------ privileges */

static bool
may_change_app(Oid role, Oid owner)
{
	Oid			admin;

	if (superuser_arg(role))
		return true;
	if (OidIsValid(owner) && owner == role)
		return true;
	admin = get_role_oid(ADMIN_ROLE, true);
	return OidIsValid(admin) && has_privs_of_role(role, admin);
}

/* ------------------------------------------------------------ loading rows */

typedef struct Target
{
	int64		app_id;
	char	   *app;
	Oid			owner;
	char	   *image;
	char	   *command;
	int		   *ports;
	int			nports;
	int64		config_id;
	char	   *config;
	double		cpus;
	double		mem;
	double		disk;
	int			instances;
	char	  **args;
	int			nargs;
	char	   *env;
	char	   *labels;
	char	   *health_check;
	char	   *constraints;
} Target;

static void
spi_check(int rc, int expected)
{
	if (rc != expected)
		elog(ERROR, "SPI query failed: %s", SPI_result_code_string(rc));
}

static char *
col_text(int col)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);
}

static Datum
col_datum(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

static void refuse_not_owner(const Target *t, const char *action);

/*
 * The app and its configuration (the configuration row locked when `lock`).
 * With `action`, the caller must be allowed to change the app before
 * anything of its configurations is read (their names included).
 */
static void
load_target(const char *app, const char *config, bool lock, Target *t, const char *action,
			Oid caller)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	bool		isnull;
	Datum		d;

	memset(t, 0, sizeof(*t));
	values[0] = CStringGetTextDatum(app);
	spi_check(SPI_execute_with_args("SELECT id, name, owner::pg_catalog.oid, image, command, ports "
									"FROM automl.apps WHERE name OPERATOR(pg_catalog.=) $1",
									1, types, values, NULL, true, 1), SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("app \"%s\" does not exist", app),
				 errhint("Apps are registered in automl.apps.")));
	t->app_id = DatumGetInt64(col_datum(1, &isnull));
	t->app = col_text(2);
	t->owner = DatumGetObjectId(col_datum(3, &isnull));
	t->image = col_text(4);
	t->command = col_text(5);
	d = col_datum(6, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;

		deconstruct_array(DatumGetArrayTypeP(d), INT4OID, 4, true, TYPALIGN_INT, &elems, &nulls, &t->nports);
		t->ports = palloc(sizeof(int) * Max(t->nports, 1));
		for (int i = 0; i < t->nports; i++)
			t->ports[i] = DatumGetInt32(elems[i]);
	}
	if (action != NULL && !may_change_app(caller, t->owner))
		refuse_not_owner(t, action);

	values[0] = Int64GetDatum(t->app_id);
	values[1] = CStringGetTextDatum(config);
	types[0] = INT8OID;
	spi_check(SPI_execute_with_args(lock
									? "SELECT id, name, cpus, mem, disk, instances, args, env::pg_catalog.text, "
									"labels::pg_catalog.text, health_check::pg_catalog.text, "
									"constraints::pg_catalog.text FROM automl.app_configs "
									"WHERE app_id OPERATOR(pg_catalog.=) $1 AND name OPERATOR(pg_catalog.=) $2 "
									"FOR NO KEY UPDATE"
									: "SELECT id, name, cpus, mem, disk, instances, args, env::pg_catalog.text, "
									"labels::pg_catalog.text, health_check::pg_catalog.text, "
									"constraints::pg_catalog.text FROM automl.app_configs "
									"WHERE app_id OPERATOR(pg_catalog.=) $1 AND name OPERATOR(pg_catalog.=) $2",
									2, types, values, NULL, !lock, 1),
			  SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		StringInfoData names;

		spi_check(SPI_execute_with_args("SELECT pg_catalog.string_agg(pg_catalog.quote_literal(name), ', ' "
										"ORDER BY name) FROM automl.app_configs "
										"WHERE app_id OPERATOR(pg_catalog.=) $1",
										1, types, values, NULL, true, 1), SPI_OK_SELECT);
		initStringInfo(&names);
		if (col_text(1) != NULL)
			appendStringInfo(&names, "Its configurations are %s.", col_text(1));
		else
			appendStringInfoString(&names, "It has no configuration.");
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("app \"%s\" has no configuration \"%s\"", app, config),
				 errdetail("%s", names.data),
				 errhint("Configurations are rows of automl.app_configs; the one used by default is named \"default\".")));
	}
	t->config_id = DatumGetInt64(col_datum(1, &isnull));
	t->config = col_text(2);
	t->cpus = DatumGetFloat8(col_datum(3, &isnull));
	t->mem = DatumGetFloat8(col_datum(4, &isnull));
	t->disk = DatumGetFloat8(col_datum(5, &isnull));
	t->instances = DatumGetInt32(col_datum(6, &isnull));
	d = col_datum(7, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;

		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &t->nargs);
		t->args = palloc(sizeof(char *) * Max(t->nargs, 1));
		for (int i = 0; i < t->nargs; i++)
			t->args[i] = TextDatumGetCString(elems[i]);
	}
	t->env = col_text(8);
	t->labels = col_text(9);
	t->health_check = col_text(10);
	t->constraints = col_text(11);
}

static json_object *
parse_or_null(const char *text)
{
	return text ? aml_pg_parse_json(text, (int) strlen(text)) : NULL;
}

/* The Marathon app id of an app's configuration under automl.marathon_group. */
static char *
marathon_app_id(const char *app, const char *config)
{
	const char *group = aml_marathon_group ? aml_marathon_group : "";
	size_t		len = strlen(group);

	while (len > 0 && group[len - 1] == '/')
		len--;
	return psprintf("%.*s/%s/%s", (int) len, group, app, config);
}

/* The definition as jsonb (deployment_id > 0 adds the automl.deployment label). */
static Jsonb *
build_definition(const Target *t, const char *marathon_id, int64 deployment_id)
{
	AmlAppSpec	spec;
	json_object *app;
	Jsonb	   *result;

	memset(&spec, 0, sizeof(spec));
	spec.marathon_id = marathon_id;
	spec.app_name = t->app;
	spec.config_name = t->config;
	spec.image = t->image;
	spec.command = t->command;
	spec.ports = t->ports;
	spec.nports = t->nports;
	spec.args = (const char *const *) t->args;
	spec.nargs = t->nargs;
	spec.cpus = t->cpus;
	spec.mem = t->mem;
	spec.disk = t->disk;
	spec.instances = t->instances;
	spec.env = parse_or_null(t->env);
	spec.labels = parse_or_null(t->labels);
	spec.health_check = parse_or_null(t->health_check);
	spec.constraints = parse_or_null(t->constraints);
	spec.traefik_domain = aml_traefik_domain ? aml_traefik_domain : "marathon.localhost";
	spec.deployment_id = (long long) deployment_id;

	app = aml_marathon_app_build(&spec);
	if (app == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while building the Marathon app definition")));
	aml_pg_json_release_with_context(app);
	result = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												CStringGetDatum(json_object_to_json_string_ext(app, JSON_C_TO_STRING_PLAIN))));
	return result;
}

static char *
arg_text(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static void
refuse_not_owner(const Target *t, const char *action)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s app \"%s\"", action, t->app),
			 errdetail("App \"%s\" belongs to role %s.", t->app, aml_role_label(t->owner)),
			 errhint("Only its owner and members of %s may deploy and undeploy it.", ADMIN_ROLE)));
}

static void
insert_request(const Target *t, const char *action, const char *marathon_id, Jsonb *definition,
			   int64 id, Oid caller)
{
	Oid			types[9] = {INT8OID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, REGROLEOID};
	Datum		values[9];
	char		nulls[9];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(action);
	values[2] = Int64GetDatum(t->app_id);
	values[3] = Int64GetDatum(t->config_id);
	values[4] = CStringGetTextDatum(t->app);
	values[5] = CStringGetTextDatum(t->config);
	values[6] = CStringGetTextDatum(marathon_id);
	values[7] = definition ? JsonbPGetDatum(definition) : (Datum) 0;
	nulls[7] = definition ? ' ' : 'n';
	/* requested_by names the caller (current_user is the table's owner meanwhile) */
	values[8] = ObjectIdGetDatum(caller);
	spi_check(SPI_execute_with_args("INSERT INTO automl.deployments (id, action, app_id, config_id, app, config, "
									"marathon_app_id, definition, requested_by) "
									"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
									9, types, values, nulls, false, 0), SPI_OK_INSERT);
}

static int64
next_request_id(void)
{
	bool		isnull;

	spi_check(SPI_execute("SELECT pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('automl.deployments', 'id'))",
						  false, 1),
			  SPI_OK_SELECT);
	return DatumGetInt64(col_datum(1, &isnull));
}

/* ------------------------------------------------------------ SQL functions */

/* The Marathon id of what runs (or is about to) for a configuration. */
#define ACTIVE_DEPLOY_SQL \
	"SELECT marathon_app_id FROM automl.deployments WHERE config_id OPERATOR(pg_catalog.=) $1 " \
	"AND action OPERATOR(pg_catalog.=) 'deploy' " \
	"AND state OPERATOR(pg_catalog.=) ANY ('{requested,deploying,running}'::pg_catalog.text[]) " \
	"ORDER BY id DESC LIMIT 1"

Datum
automl_deploy(PG_FUNCTION_ARGS)
{
	char	   *app = arg_text(fcinfo, 0, "app");
	char	   *config = arg_text(fcinfo, 1, "config");
	AmlActAs	e;
	Target		t;
	char	   *marathon_id;
	int64		id;
	Jsonb	   *definition;
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	aml_registry_check_worker("automl_deploy");
	SPI_connect();
	aml_act_as_owner_of(&e, "deployments");
	load_target(app, config, true, &t, "deploy", aml_act_caller(&e));

	/* an update keeps the Marathon id of what runs now */
	values[0] = Int64GetDatum(t.config_id);
	spi_check(SPI_execute_with_args(ACTIVE_DEPLOY_SQL, 1, types, values, NULL, false, 1), SPI_OK_SELECT);
	marathon_id = SPI_processed > 0 ? col_text(1) : marathon_app_id(t.app, t.config);

	id = next_request_id();
	definition = build_definition(&t, marathon_id, id);
	insert_request(&t, "deploy", marathon_id, definition, id, aml_act_caller(&e));
	aml_act_end(&e);
	SPI_finish();

	if (aml_marathon_url == NULL || aml_marathon_url[0] == '\0')
		ereport(WARNING,
				(errmsg("automl.marathon_url is not set"),
				 errdetail("The deploy worker will record deployment %lld as failed.", (long long) id),
				 errhint("Set automl.marathon_url in postgresql.conf and reload the configuration.")));
	aml_worker_wake_at_commit(&aml_registry_shared->worker);
	PG_RETURN_INT64(id);
}

Datum
automl_undeploy(PG_FUNCTION_ARGS)
{
	char	   *app = arg_text(fcinfo, 0, "app");
	char	   *config = arg_text(fcinfo, 1, "config");
	AmlActAs	e;
	Target		t;
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *marathon_id = NULL;
	char	   *last_action = NULL;
	char	   *last_state = NULL;
	char	   *last_error = NULL;
	int64		last_id = 0;
	int64		id;
	bool		isnull;

	aml_registry_check_worker("automl_undeploy");
	SPI_connect();
	aml_act_as_owner_of(&e, "deployments");
	load_target(app, config, true, &t, "undeploy", aml_act_caller(&e));

	values[0] = Int64GetDatum(t.config_id);
	spi_check(SPI_execute_with_args("SELECT id, action, state, marathon_app_id, last_error FROM automl.deployments "
									"WHERE config_id OPERATOR(pg_catalog.=) $1 ORDER BY id DESC LIMIT 1",
									1, types, values, NULL, false, 1), SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		last_id = DatumGetInt64(col_datum(1, &isnull));
		last_action = col_text(2);
		last_state = col_text(3);
		marathon_id = col_text(4);
		last_error = col_text(5);
	}
	/* an undeploy already on its way: the same request */
	if (last_action != NULL && strcmp(last_action, "undeploy") == 0 &&
		(strcmp(last_state, AML_DEP_REQUESTED) == 0 || strcmp(last_state, AML_DEP_DELETING) == 0))
	{
		aml_act_end(&e);
		SPI_finish();
		PG_RETURN_INT64(last_id);
	}
	spi_check(SPI_execute_with_args(ACTIVE_DEPLOY_SQL, 1, types, values, NULL, false, 1), SPI_OK_SELECT);
	if (SPI_processed > 0)
		marathon_id = col_text(1);
	else if (!(last_action != NULL && strcmp(last_action, "undeploy") == 0 &&
			   strcmp(last_state, AML_DEP_FAILED) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("app \"%s\" configuration \"%s\" is not deployed", t.app, t.config),
				 last_action == NULL ? errdetail("It was never deployed.")
				 : strcmp(last_state, AML_DEP_FAILED) == 0
				 ? errdetail("Its last deployment (%lld) failed: %s.", (long long) last_id,
							 last_error ? last_error : "no error recorded")
				 : errdetail("It was undeployed by request %lld.", (long long) last_id)));

	id = next_request_id();
	insert_request(&t, "undeploy", marathon_id, NULL, id, aml_act_caller(&e));
	aml_act_end(&e);
	SPI_finish();

	if (aml_marathon_url == NULL || aml_marathon_url[0] == '\0')
		ereport(WARNING,
				(errmsg("automl.marathon_url is not set"),
				 errdetail("The deploy worker will record request %lld as failed.", (long long) id),
				 errhint("Set automl.marathon_url in postgresql.conf and reload the configuration.")));
	aml_worker_wake_at_commit(&aml_registry_shared->worker);
	PG_RETURN_INT64(id);
}

static bool
is_final(const char *state)
{
	return strcmp(state, AML_DEP_RUNNING) == 0 || strcmp(state, AML_DEP_FAILED) == 0 ||
		strcmp(state, AML_DEP_DELETED) == 0;
}

Datum
automl_deployment_wait(PG_FUNCTION_ARGS)
{
	int64		id;
	double		timeout_ms;
	TimestampTz start = GetCurrentTimestamp();
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *state = NULL;
	bool		isnull;
	AmlActAs	safe;
	MemoryContext caller_cxt = CurrentMemoryContext;

	timeout_ms = aml_worker_wait_timeout_ms(fcinfo, "automl_deployment_wait", "deployment_id",
											AML_DEPLOY_WORKER_TYPE, aml_registry_shared != NULL,
											"the deploy worker's progress");
	id = PG_GETARG_INT64(0);

	SPI_connect();
	aml_act_as(&safe, InvalidOid);
	values[0] = Int64GetDatum(id);
	ConditionVariablePrepareToSleep(&aml_registry_shared->progress_cv);
	for (;;)
	{
		long		remaining;

		CHECK_FOR_INTERRUPTS();
		/* each query sees the latest committed state (a new snapshot in READ COMMITTED) */
		spi_check(SPI_execute_with_args("SELECT state, xmin FROM automl.deployments "
										"WHERE id OPERATOR(pg_catalog.=) $1",
										1, types, values, NULL, false, 1), SPI_OK_SELECT);
		if (SPI_processed == 0)
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("deployment %lld does not exist", (long long) id)));
		}
		state = col_text(1);
		if (is_final(state))
			break;
		if (strcmp(state, AML_DEP_REQUESTED) == 0 &&
			TransactionIdIsCurrentTransactionId(DatumGetTransactionId(col_datum(2, &isnull))))
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("deployment %lld was requested in this transaction", (long long) id),
					 errdetail("The deploy worker sees it only after the transaction commits."),
					 errhint("Commit first, then wait for it.")));
		}
		remaining = (long) (timeout_ms - (double) (GetCurrentTimestamp() - start) / 1000.0);
		if (remaining <= 0)
			break;
		(void) ConditionVariableTimedSleep(&aml_registry_shared->progress_cv, Min(remaining, 1000L),
										   PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	/* SPI_finish frees what was allocated since SPI_connect */
	state = MemoryContextStrdup(caller_cxt, state);
	aml_act_end(&safe);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(state));
}

Datum
automl_marathon_app(PG_FUNCTION_ARGS)
{
	char	   *app = arg_text(fcinfo, 0, "app");
	char	   *config = arg_text(fcinfo, 1, "config");
	Target		t;
	Jsonb	   *definition;
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *marathon_id;
	MemoryContext caller = CurrentMemoryContext;
	AmlActAs	safe;

	SPI_connect();
	/* as the caller: configurations of other owners are not visible */
	aml_act_as(&safe, InvalidOid);
	load_target(app, config, false, &t, NULL, InvalidOid);
	values[0] = Int64GetDatum(t.config_id);
	spi_check(SPI_execute_with_args(ACTIVE_DEPLOY_SQL, 1, types, values, NULL, true, 1), SPI_OK_SELECT);
	marathon_id = SPI_processed > 0 ? col_text(1) : marathon_app_id(t.app, t.config);
	aml_act_end(&safe);
	definition = build_definition(&t, marathon_id, 0);
	{
		MemoryContext old = MemoryContextSwitchTo(caller);
		Jsonb	   *copy = palloc(VARSIZE(definition));

		memcpy(copy, definition, VARSIZE(definition));
		definition = copy;
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	PG_RETURN_JSONB_P(definition);
}

Datum
automl_validate_app_metadata(PG_FUNCTION_ARGS)
{
	Jsonb	   *metadata = PG_GETARG_JSONB_P(0);
	List	   *problems = aml_metadata_problems(metadata);
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(problems), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, problems)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}
