/*
 * web_registry_routes.c — the HTTP routes of the app registry: apps, their
 * configurations, deploy and undeploy (web_routes.h).  Each runs as the
 * authenticated role: grants and row-level security decide what it sees,
 * automl.registry_may_change() whether it may change an app.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "web/web_routes.h"

/* Columns a request body may set. */
const char *const aml_web_app_columns[] = {
	"name", "description", "image", "command", "ports", "source_url", "metadata", "owner", NULL
};
const char *const aml_web_config_columns[] = {
	"name", "cpus", "mem", "disk", "instances", "args", "env", "labels", "health_check", "constraints", NULL
};

/* ------------------------------------------------------------ lookups */

static const char *const SQL_APP_EXISTS =
"SELECT pg_catalog.bool_or(automl.registry_may_change(a.owner))::pg_catalog.text "
"FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $1";

/* 0: no such app (404 filled); 1: exists, caller may not change it; 2: may change */
static int
app_access(const char *name, AmlWebResponse *res)
{
	const char *args[1] = {name};
	char	   *v = aml_web_sql(SQL_APP_EXISTS, 1, args, NULL);

	if (v == NULL)
	{
		aml_web_error(res, 404, "not found", psprintf("There is no app \"%s\".", name), NULL);
		return 0;
	}
	return strcmp(v, "true") == 0 ? 2 : 1;
}

static void
forbidden_app(AmlWebResponse *res, AmlWebRequest *req, const char *name)
{
	aml_web_error(res, 403, "permission denied",
				  psprintf("Role \"%s\" may not change app \"%s\".", req->role_name, name),
				  "Apps are changed by their owner and members of automl_registry_admin.");
}

/* Does app `name` exist and may the caller change it?  If not, res says why (404 or 403). */
static bool
may_change_app(AmlWebRequest *req, AmlWebResponse *res, const char *name)
{
	int			access = app_access(name, res);

	if (access == 1)
		forbidden_app(res, req, name);
	return access == 2;
}

static void
config_not_found(AmlWebResponse *res, const char *app, const char *config)
{
	aml_web_error(res, 404, "not found",
				  psprintf("App \"%s\" has no configuration \"%s\" that you may see.", app, config), NULL);
}

/* ------------------------------------------------------------ writing rows */

/* INSERT of the body's columns into automl.<table>; `app` (configs) names the app. */
static void
insert_row(AmlWebRequest *req, AmlWebResponse *res, const char *table, const char *const *allowed,
		   const char *app)
{
	int			n;
	const char **cols = aml_web_body_columns(req, res, allowed, &n);
	StringInfoData sql,
				sel;
	const char *args[2];
	char	   *v;

	if (cols == NULL)
		return;
	initStringInfo(&sql);
	initStringInfo(&sel);
	appendStringInfo(&sql, "INSERT INTO automl.%s AS t (", table);
	if (app)
	{
		appendStringInfoString(&sql, "app_id");
		appendStringInfoString(&sel, "(SELECT a.id FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $2)");
	}
	for (int i = 0; i < n; i++)
	{
		bool		first = (i == 0 && !app);

		appendStringInfo(&sql, "%s%s", first ? "" : ", ", quote_identifier(cols[i]));
		appendStringInfo(&sel, "%sr.%s", first ? "" : ", ", quote_identifier(cols[i]));
	}
	if (n == 0 && !app)
	{
		aml_web_error(res, 422, "the request body sets no field", NULL, NULL);
		return;
	}
	appendStringInfo(&sql, ") SELECT %s FROM pg_catalog.jsonb_populate_record(NULL::automl.%s, $1::pg_catalog.jsonb) r"
					 " RETURNING t.name, pg_catalog.to_jsonb(t)::pg_catalog.text", sel.data, table);
	args[0] = req->body;
	args[1] = app;
	(void) aml_web_sql(sql.data, app ? 2 : 1, args, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "insert into automl.%s returned " UINT64_FORMAT " rows", table, (uint64) SPI_processed);
	v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	res->location = MemoryContextStrdup(GetMemoryChunkContext(res->body.data),
										app ? psprintf("/apps/%s/configs/%s", app,
													   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))
										: psprintf("/apps/%s", SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)));
	aml_web_respond(res, 201, v);
}

/*
 * UPDATE of one row: PATCH sets the body's columns, PUT also resets the
 * others to their default.  where: SQL condition on t with $2 (and $3).
 */
static uint64
update_row(AmlWebRequest *req, AmlWebResponse *res, const char *table, const char *const *allowed,
		   const char *where, int nargs, const char *a2, const char *a3)
{
	bool		put = strcmp(req->method, "PUT") == 0;
	int			n;
	const char **cols = aml_web_body_columns(req, res, allowed, &n);
	StringInfoData sql;
	const char *args[3];
	uint64		processed;
	char	   *v;
	bool		any = false;

	if (cols == NULL)
		return 0;
	initStringInfo(&sql);
	appendStringInfo(&sql, "UPDATE automl.%s AS t SET ", table);
	for (int k = 0; allowed[k]; k++)
	{
		const char *c = allowed[k];

		if (aml_web_column_in(cols, n, c))
			appendStringInfo(&sql, "%s%s = r.%s", any ? ", " : "", quote_identifier(c), quote_identifier(c));
		else if (put && strcmp(c, "name") != 0 && strcmp(c, "owner") != 0)
			appendStringInfo(&sql, "%s%s = DEFAULT", any ? ", " : "", quote_identifier(c));
		else
			continue;
		any = true;
	}
	if (!any)
	{
		aml_web_error(res, 422, "the request body sets no field", NULL, NULL);
		return 0;
	}
	appendStringInfo(&sql, " FROM pg_catalog.jsonb_populate_record(NULL::automl.%s, $1::pg_catalog.jsonb) r"
					 " WHERE %s RETURNING pg_catalog.to_jsonb(t)::pg_catalog.text", table, where);
	args[0] = req->body;
	args[1] = a2;
	args[2] = a3;
	v = aml_web_sql(sql.data, nargs, args, &processed);
	if (processed == 1)
		aml_web_respond(res, 200, v);
	return processed;
}

/* ------------------------------------------------------------ apps */

void
aml_web_route_apps_list(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	char		limit[16],
				offset[16];
	const char *args[3];

	if (!aml_web_paging(req, res, limit, offset))
		return;
	args[0] = limit;
	args[1] = offset;
	args[2] = req->q;
	aml_web_respond(res, 200, aml_web_sql(
										  "SELECT pg_catalog.json_build_object("
										  " 'items', COALESCE((SELECT pg_catalog.json_agg(x.j ORDER BY x.name) FROM ("
										  "   SELECT a.name, pg_catalog.to_jsonb(a) AS j FROM automl.apps a"
										  "   WHERE $3 IS NULL OR pg_catalog.strpos(a.name, $3) OPERATOR(pg_catalog.>) 0"
										  "   ORDER BY a.name LIMIT $1::pg_catalog.int8 OFFSET $2::pg_catalog.int8) x), '[]'::pg_catalog.json),"
										  " 'total', (SELECT pg_catalog.count(*) FROM automl.apps a"
										  "   WHERE $3 IS NULL OR pg_catalog.strpos(a.name, $3) OPERATOR(pg_catalog.>) 0),"
										  " 'limit', $1::pg_catalog.int8, 'offset', $2::pg_catalog.int8)::pg_catalog.text",
										  3, args, NULL));
}

void
aml_web_route_app_get(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const char *args[1] = {p[0]};
	char	   *v = aml_web_sql("SELECT (pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
								" 'may_change', automl.registry_may_change(a.owner),"
								" 'configs', COALESCE((SELECT pg_catalog.jsonb_agg(c.name ORDER BY c.name) FROM automl.app_configs c"
								"   WHERE c.app_id OPERATOR(pg_catalog.=) a.id), '[]'::pg_catalog.jsonb)))::pg_catalog.text"
								" FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $1", 1, args, NULL);

	if (v == NULL)
		aml_web_error(res, 404, "not found", psprintf("There is no app \"%s\".", p[0]), NULL);
	else
		aml_web_respond(res, 200, v);
}

void
aml_web_route_apps_create(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	insert_row(req, res, "apps", aml_web_app_columns, NULL);
}

/* PUT or PATCH (update_row tells them apart). */
void
aml_web_route_app_change(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	if (!may_change_app(req, res, p[0]))
		return;
	(void) update_row(req, res, "apps", aml_web_app_columns, "t.name OPERATOR(pg_catalog.=) $2", 2, p[0], NULL);
	if (res->status == 0)
		forbidden_app(res, req, p[0]);
}

void
aml_web_route_app_delete(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const char *args[1] = {p[0]};
	char	   *v;

	if (!may_change_app(req, res, p[0]))
		return;
	v = aml_web_sql("DELETE FROM automl.apps t WHERE t.name OPERATOR(pg_catalog.=) $1 "
					"RETURNING pg_catalog.to_jsonb(t)::pg_catalog.text", 1, args, NULL);
	if (v == NULL)
		forbidden_app(res, req, p[0]);
	else
		aml_web_respond(res, 200, v);
}

/* ------------------------------------------------------------ configs */

#define CONFIG_OF_APP \
	"(SELECT a.id FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $%d)"

void
aml_web_route_configs_list(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const char *args[1] = {p[0]};

	if (app_access(p[0], res) == 0)
		return;
	aml_web_respond(res, 200, aml_web_sql(psprintf(
												   "SELECT pg_catalog.json_build_object('items', COALESCE(pg_catalog.json_agg(pg_catalog.to_jsonb(c) ORDER BY c.name),"
												   " '[]'::pg_catalog.json))::pg_catalog.text FROM automl.app_configs c"
												   " WHERE c.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP, 1), 1, args, NULL));
}

void
aml_web_route_config_get(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const char *args[2] = {p[0], p[1]};
	char	   *v;

	if (app_access(p[0], res) == 0)
		return;
	v = aml_web_sql(psprintf("SELECT pg_catalog.to_jsonb(c)::pg_catalog.text FROM automl.app_configs c"
							 " WHERE c.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP
							 " AND c.name OPERATOR(pg_catalog.=) $2", 1), 2, args, NULL);
	if (v == NULL)
		config_not_found(res, p[0], p[1]);
	else
		aml_web_respond(res, 200, v);
}

void
aml_web_route_configs_create(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	if (may_change_app(req, res, p[0]))
		insert_row(req, res, "app_configs", aml_web_config_columns, p[0]);
}

/* PUT or PATCH (update_row tells them apart). */
void
aml_web_route_config_change(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	if (!may_change_app(req, res, p[0]))
		return;
	if (update_row(req, res, "app_configs", aml_web_config_columns,
				   psprintf("t.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP " AND t.name OPERATOR(pg_catalog.=) $3", 2),
				   3, p[0], p[1]) == 0 && res->status == 0)
		config_not_found(res, p[0], p[1]);
}

void
aml_web_route_config_delete(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const char *args[2] = {p[0], p[1]};
	char	   *v;

	if (!may_change_app(req, res, p[0]))
		return;
	v = aml_web_sql(psprintf("DELETE FROM automl.app_configs t WHERE t.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP
							 " AND t.name OPERATOR(pg_catalog.=) $2 RETURNING pg_catalog.to_jsonb(t)::pg_catalog.text", 1),
					2, args, NULL);
	if (v == NULL)
		config_not_found(res, p[0], p[1]);
	else
		aml_web_respond(res, 200, v);
}

/* ------------------------------------------------------------ deploy */

/* POST .../deploy calls automl_deploy, DELETE .../deploy automl_undeploy. */
void
aml_web_route_deploy(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const char *fn = strcmp(req->method, "DELETE") == 0 ? "automl_undeploy" : "automl_deploy";
	const char *args[2] = {p[0], p[1]};
	char	   *id;
	const char *idarg[1];

	if (!may_change_app(req, res, p[0]))
		return;
	if (aml_web_sql(psprintf("SELECT 1 FROM automl.app_configs c WHERE c.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP
							 " AND c.name OPERATOR(pg_catalog.=) $2", 1), 2, args, NULL) == NULL)
	{
		config_not_found(res, p[0], p[1]);
		return;
	}
	id = aml_web_sql(psprintf("SELECT %s.%s($1, $2)::pg_catalog.text", aml_web_extension_schema(), fn), 2, args, NULL);
	idarg[0] = id;
	aml_web_respond(res, 202, aml_web_sql("SELECT (pg_catalog.to_jsonb(d) OPERATOR(pg_catalog.-) 'definition'::pg_catalog.text)::pg_catalog.text"
										  " FROM automl.deployments d WHERE d.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
										  1, idarg, NULL));
	res->location = MemoryContextStrdup(GetMemoryChunkContext(res->body.data), psprintf("/deployments/%s", id));
	aml_web_events_stage("deployment", id);
	aml_web_changed_deployments = true;
}
