/*
 * web_routes.c — the HTTP API's routes: one table, each route a few SQL
 * statements run through SPI as the authenticated role, in one short
 * transaction (grants and row-level security decide what it sees and may
 * change), and /openapi.json generated from the same table.
 *
 * SQL here names everything with its schema (pg_catalog., automl.), compares
 * with OPERATOR(pg_catalog.=) and passes every value as a $n parameter; the
 * columns a body may set are fixed lists, so request keys never reach SQL
 * text.  search_path is pinned by aml_act_as().
 *
 * Errors map from the SQLSTATE: 22xxx, 23502 and 23514 -> 422 with
 * PostgreSQL's message, detail and hint; 42501 -> 403; 23505, 23503 and
 * 55xxx -> 409; 40001/40P01/57014 -> 503; anything else -> 500 saying only
 * "internal error" (the server log has the message).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/elog.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "pg/security.h"
#include "web/web.h"

bool		aml_web_changed_deployments = false;

typedef void (*RouteFn) (AmlWebRequest *req, AmlWebResponse *res, char **params);

typedef struct Route
{
	const char *method;
	const char *path;			/* /apps/{name}: {x} is one path segment */
	RouteFn		fn;				/* NULL: served by the worker itself */
	const char *summary;
	const char *body;			/* OpenAPI schema of the body, NULL when none */
	bool		list;			/* takes limit/offset */
	const char *filter;			/* name of an extra query argument, or NULL */
} Route;

#define MAX_LIMIT 1000
#define DEFAULT_LIMIT 50

/* Columns a request body may set. */
static const char *const app_columns[] = {
	"name", "description", "image", "command", "ports", "source_url", "metadata", "owner", NULL
};
static const char *const config_columns[] = {
	"name", "cpus", "mem", "disk", "instances", "args", "env", "labels", "health_check", "constraints", NULL
};

/* ------------------------------------------------------------ responses */

static void
json_str(StringInfo out, const char *s)
{
	if (s == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, s);
}

void
aml_web_error(AmlWebResponse *res, int status, const char *error, const char *detail, const char *hint)
{
	res->status = status;
	resetStringInfo(&res->body);
	appendStringInfoString(&res->body, "{\"error\": ");
	json_str(&res->body, error);
	if (detail)
	{
		appendStringInfoString(&res->body, ", \"detail\": ");
		json_str(&res->body, detail);
	}
	if (hint)
	{
		appendStringInfoString(&res->body, ", \"hint\": ");
		json_str(&res->body, hint);
	}
	appendStringInfoString(&res->body, "}");
}

static void
respond(AmlWebResponse *res, int status, const char *json)
{
	res->status = status;
	resetStringInfo(&res->body);
	appendStringInfoString(&res->body, json);
}

/* ------------------------------------------------------------ SQL */

/*
 * Plans of the routes' statements, kept across requests (SPI_keepplan) and
 * looked up by their text: planning is most of the cost of a small request.
 * The plan cache replans when the role changes (row-level security) or a
 * table does.  Bounded: past PLAN_CACHE_MAX texts, statements are planned
 * each time.
 */
#define PLAN_CACHE_MAX 256

typedef struct PlanEntry
{
	uint32		hash;			/* key: hash of the text */
	char	   *sql;
	SPIPlanPtr	plan;
} PlanEntry;

static HTAB *plans = NULL;

static SPIPlanPtr
cached_plan(const char *sql, int nargs, Oid *types)
{
	uint32		h = hash_bytes((const unsigned char *) sql, strlen(sql));
	PlanEntry  *e;
	bool		found;
	SPIPlanPtr	plan;

	if (plans == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(uint32);
		ctl.entrysize = sizeof(PlanEntry);
		plans = hash_create("automl http plans", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	e = hash_search(plans, &h, HASH_FIND, NULL);
	if (e != NULL)
		return strcmp(e->sql, sql) == 0 ? e->plan : NULL;	/* a hash collision: plan each time */
	if (hash_get_num_entries(plans) >= PLAN_CACHE_MAX)
		return NULL;
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	e = hash_search(plans, &h, HASH_ENTER, &found);
	e->sql = MemoryContextStrdup(TopMemoryContext, sql);
	e->plan = plan;
	return plan;
}

/* Run sql with text parameters (NULL: SQL NULL); returns the first column of the first row, or NULL. */
static char *
sql_text(const char *sql, int nargs, const char **args, uint64 *processed)
{
	Oid			types[8];
	Datum		values[8];
	char		nulls[9] = "        ";
	int			rc;
	char	   *result = NULL;

	SPIPlanPtr	plan;

	Assert(nargs <= 8);
	for (int i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	plan = cached_plan(sql, nargs, types);
	if (plan != NULL)
		rc = SPI_execute_plan(plan, values, nulls, false, 0);
	else
		rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (processed)
		*processed = SPI_processed;
	if (SPI_processed > 0 && SPI_tuptable != NULL)
		result = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return result;
}

/* The extension's schema, quoted (automl_deploy and friends live there). */
static char *
extension_schema(void)
{
	char	   *s = sql_text("SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_extension e "
							 "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace "
							 "WHERE e.extname OPERATOR(pg_catalog.=) 'automl'", 0, NULL, NULL);

	if (s == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("extension \"automl\" is not installed")));
	return pstrdup(quote_identifier(s));
}

/* ------------------------------------------------------------ arguments */

static bool
parse_count(const char *s, long dflt, long max, long *out)
{
	char	   *end;
	long		v;

	if (s == NULL)
	{
		*out = dflt;
		return true;
	}
	if (*s == '\0' || strlen(s) > 9)
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static bool
paging(AmlWebRequest *req, AmlWebResponse *res, char *limit, char *offset)
{
	long		l,
				o;

	if (!parse_count(req->limit, DEFAULT_LIMIT, MAX_LIMIT, &l) || !parse_count(req->offset, 0, 100000000, &o))
	{
		aml_web_error(res, 400, "invalid limit or offset", "limit is 0 to 1000, offset 0 to 100000000.", NULL);
		return false;
	}
	snprintf(limit, 16, "%ld", l);
	snprintf(offset, 16, "%ld", o);
	return true;
}

static bool
parse_id(const char *s, AmlWebResponse *res)
{
	if (*s == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
	{
		aml_web_error(res, 404, "not found", psprintf("\"%s\" is not an id.", s), NULL);
		return false;
	}
	return true;
}

/*
 * The body must be a JSON object whose keys are all in `allowed`; returns
 * the keys (NULL-terminated, in `allowed`'s spelling) or NULL after filling res.
 */
static const char **
body_columns(AmlWebRequest *req, AmlWebResponse *res, const char *const *allowed, int *n)
{
	json_tokener *tok;
	struct json_object *doc;
	const char **cols;
	int			count = 0;
	int			na = 0;

	while (allowed[na])
		na++;
	cols = palloc0(sizeof(char *) * (na + 1));
	*n = 0;
	if (req->body == NULL || req->body_len == 0)
	{
		aml_web_error(res, 400, "a JSON object is required as the request body", NULL, NULL);
		return NULL;
	}
	if (strlen(req->body) != req->body_len)
	{
		aml_web_error(res, 400, "the request body contains a NUL byte", NULL, NULL);
		return NULL;
	}
	tok = json_tokener_new_ex(64);
	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, req->body, (int) req->body_len);
	if (doc == NULL || json_tokener_get_error(tok) != json_tokener_success)
	{
		const char *why = json_tokener_error_desc(json_tokener_get_error(tok));

		json_tokener_free(tok);
		if (doc)
			json_object_put(doc);
		aml_web_error(res, 400, "the request body is not valid JSON", pstrdup(why), NULL);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(doc, json_type_object))
	{
		json_object_put(doc);
		aml_web_error(res, 400, "the request body must be a JSON object", NULL, NULL);
		return NULL;
	}
	{
		json_object_iter it;

		json_object_object_foreachC(doc, it)
		{
			int			k;

			for (k = 0; allowed[k]; k++)
				if (strcmp(allowed[k], it.key) == 0)
					break;
			if (allowed[k] == NULL)
			{
				char	   *key = pstrdup(it.key);
				StringInfoData list;

				json_object_put(doc);
				initStringInfo(&list);
				for (k = 0; allowed[k]; k++)
					appendStringInfo(&list, "%s%s", k ? ", " : "", allowed[k]);
				res->status = 422;
				aml_web_error(res, 422, "unknown field in the request body",
							  psprintf("Field \"%s\" is not one of: %s.", key, list.data), NULL);
				return NULL;
			}
			if (count < na)
				cols[count++] = allowed[k];
		}
	}
	json_object_put(doc);
	*n = count;
	return cols;
}

static bool
column_in(const char *const *cols, int n, const char *c)
{
	for (int i = 0; i < n; i++)
		if (strcmp(cols[i], c) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ lookups */

static const char *const SQL_APP_EXISTS =
"SELECT pg_catalog.bool_or(automl.registry_may_change(a.owner))::pg_catalog.text "
"FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $1";

/* 0: no such app (404 filled); 1: exists, caller may not change it; 2: may change */
static int
app_access(const char *name, AmlWebResponse *res)
{
	const char *args[1] = {name};
	char	   *v = sql_text(SQL_APP_EXISTS, 1, args, NULL);

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

/* ------------------------------------------------------------ apps */

static void
route_apps_list(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	char		limit[16],
				offset[16];
	const char *args[3];

	if (!paging(req, res, limit, offset))
		return;
	args[0] = limit;
	args[1] = offset;
	args[2] = req->q;
	respond(res, 200, sql_text(
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

static void
route_app_get(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	const char *args[1] = {p[0]};
	char	   *v = sql_text("SELECT (pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
							 " 'may_change', automl.registry_may_change(a.owner),"
							 " 'configs', COALESCE((SELECT pg_catalog.jsonb_agg(c.name ORDER BY c.name) FROM automl.app_configs c"
							 "   WHERE c.app_id OPERATOR(pg_catalog.=) a.id), '[]'::pg_catalog.jsonb)))::pg_catalog.text"
							 " FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $1", 1, args, NULL);

	if (v == NULL)
		aml_web_error(res, 404, "not found", psprintf("There is no app \"%s\".", p[0]), NULL);
	else
		respond(res, 200, v);
}

/* INSERT of the body's columns into automl.<table>; `app` (configs) names the app. */
static void
insert_row(AmlWebRequest *req, AmlWebResponse *res, const char *table, const char *const *allowed,
		   const char *app)
{
	int			n;
	const char **cols = body_columns(req, res, allowed, &n);
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
	(void) sql_text(sql.data, app ? 2 : 1, args, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "insert into automl.%s returned " UINT64_FORMAT " rows", table, (uint64) SPI_processed);
	v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	res->location = MemoryContextStrdup(GetMemoryChunkContext(res->body.data),
										app ? psprintf("/apps/%s/configs/%s", app,
													   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))
										: psprintf("/apps/%s", SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)));
	respond(res, 201, v);
}

/*
 * UPDATE of one row: PATCH sets the body's columns, PUT also resets the
 * others to their default.  where: SQL condition on t with $2 (and $3).
 */
static uint64
update_row(AmlWebRequest *req, AmlWebResponse *res, const char *table, const char *const *allowed,
		   const char *where, int nargs, const char *a2, const char *a3, bool put)
{
	int			n;
	const char **cols = body_columns(req, res, allowed, &n);
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

		if (column_in(cols, n, c))
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
	v = sql_text(sql.data, nargs, args, &processed);
	if (processed == 1)
		respond(res, 200, v);
	return processed;
}

static void
route_apps_create(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	insert_row(req, res, "apps", app_columns, NULL);
}

static void
app_change(AmlWebRequest *req, AmlWebResponse *res, char **p, bool put)
{
	int			access = app_access(p[0], res);

	if (access == 0)
		return;
	if (access == 1)
	{
		forbidden_app(res, req, p[0]);
		return;
	}
	(void) update_row(req, res, "apps", app_columns, "t.name OPERATOR(pg_catalog.=) $2", 2, p[0], NULL, put);
	if (res->status == 0)
		forbidden_app(res, req, p[0]);
}

static void
route_app_put(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	app_change(req, res, p, true);
}

static void
route_app_patch(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	app_change(req, res, p, false);
}

static void
route_app_delete(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	const char *args[1] = {p[0]};
	int			access = app_access(p[0], res);
	char	   *v;

	if (access == 0)
		return;
	if (access == 1)
	{
		forbidden_app(res, req, p[0]);
		return;
	}
	v = sql_text("DELETE FROM automl.apps t WHERE t.name OPERATOR(pg_catalog.=) $1 "
				 "RETURNING pg_catalog.to_jsonb(t)::pg_catalog.text", 1, args, NULL);
	if (v == NULL)
		forbidden_app(res, req, p[0]);
	else
		respond(res, 200, v);
}

/* ------------------------------------------------------------ configs */

#define CONFIG_OF_APP \
	"(SELECT a.id FROM automl.apps a WHERE a.name OPERATOR(pg_catalog.=) $%d)"

static void
route_configs_list(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	const char *args[1] = {p[0]};

	if (app_access(p[0], res) == 0)
		return;
	respond(res, 200, sql_text(psprintf(
										"SELECT pg_catalog.json_build_object('items', COALESCE(pg_catalog.json_agg(pg_catalog.to_jsonb(c) ORDER BY c.name),"
										" '[]'::pg_catalog.json))::pg_catalog.text FROM automl.app_configs c"
										" WHERE c.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP, 1), 1, args, NULL));
}

static void
config_not_found(AmlWebResponse *res, const char *app, const char *config)
{
	aml_web_error(res, 404, "not found",
				  psprintf("App \"%s\" has no configuration \"%s\" that you may see.", app, config), NULL);
}

static void
route_config_get(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	const char *args[2] = {p[0], p[1]};
	char	   *v;

	if (app_access(p[0], res) == 0)
		return;
	v = sql_text(psprintf("SELECT pg_catalog.to_jsonb(c)::pg_catalog.text FROM automl.app_configs c"
						  " WHERE c.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP
						  " AND c.name OPERATOR(pg_catalog.=) $2", 1), 2, args, NULL);
	if (v == NULL)
		config_not_found(res, p[0], p[1]);
	else
		respond(res, 200, v);
}

static void
route_configs_create(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	int			access = app_access(p[0], res);

	if (access == 0)
		return;
	if (access == 1)
	{
		forbidden_app(res, req, p[0]);
		return;
	}
	insert_row(req, res, "app_configs", config_columns, p[0]);
}

static void
config_change(AmlWebRequest *req, AmlWebResponse *res, char **p, bool put)
{
	int			access = app_access(p[0], res);

	if (access == 0)
		return;
	if (access == 1)
	{
		forbidden_app(res, req, p[0]);
		return;
	}
	if (update_row(req, res, "app_configs", config_columns,
				   psprintf("t.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP " AND t.name OPERATOR(pg_catalog.=) $3", 2),
				   3, p[0], p[1], put) == 0 && res->status == 0)
		config_not_found(res, p[0], p[1]);
}

static void
route_config_put(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	config_change(req, res, p, true);
}

static void
route_config_patch(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	config_change(req, res, p, false);
}

static void
route_config_delete(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	const char *args[2] = {p[0], p[1]};
	int			access = app_access(p[0], res);
	char	   *v;

	if (access == 0)
		return;
	if (access == 1)
	{
		forbidden_app(res, req, p[0]);
		return;
	}
	v = sql_text(psprintf("DELETE FROM automl.app_configs t WHERE t.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP
						  " AND t.name OPERATOR(pg_catalog.=) $2 RETURNING pg_catalog.to_jsonb(t)::pg_catalog.text", 1),
				 2, args, NULL);
	if (v == NULL)
		config_not_found(res, p[0], p[1]);
	else
		respond(res, 200, v);
}

/* ------------------------------------------------------------ deploy */

static void
deploy_or_undeploy(AmlWebRequest *req, AmlWebResponse *res, char **p, const char *fn)
{
	const char *args[2] = {p[0], p[1]};
	char	   *id;
	const char *idarg[1];

	int			access = app_access(p[0], res);

	if (access == 0)
		return;
	if (access == 1)
	{
		forbidden_app(res, req, p[0]);
		return;
	}
	if (sql_text(psprintf("SELECT 1 FROM automl.app_configs c WHERE c.app_id OPERATOR(pg_catalog.=) " CONFIG_OF_APP
						  " AND c.name OPERATOR(pg_catalog.=) $2", 1), 2, args, NULL) == NULL)
	{
		config_not_found(res, p[0], p[1]);
		return;
	}
	id = sql_text(psprintf("SELECT %s.%s($1, $2)::pg_catalog.text", extension_schema(), fn), 2, args, NULL);
	idarg[0] = id;
	respond(res, 202, sql_text("SELECT (pg_catalog.to_jsonb(d) OPERATOR(pg_catalog.-) 'definition'::pg_catalog.text)::pg_catalog.text"
							   " FROM automl.deployments d WHERE d.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
							   1, idarg, NULL));
	res->location = MemoryContextStrdup(GetMemoryChunkContext(res->body.data), psprintf("/deployments/%s", id));
	aml_web_changed_deployments = true;
}

static void
route_deploy(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	deploy_or_undeploy(req, res, p, "automl_deploy");
}

static void
route_undeploy(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	deploy_or_undeploy(req, res, p, "automl_undeploy");
}

/* ------------------------------------------------------------ read-only lists */

/*
 * A page of rows of `from` (a FROM item aliased x, with `where` using $3),
 * each as `expr`, newest `order` first, with the total.
 */
static void
list_page(AmlWebRequest *req, AmlWebResponse *res, const char *expr, const char *from, const char *where,
		  const char *order, const char *filter)
{
	char		limit[16],
				offset[16];
	const char *args[3];

	if (!paging(req, res, limit, offset))
		return;
	args[0] = limit;
	args[1] = offset;
	args[2] = filter;
	respond(res, 200, sql_text(psprintf(
										"SELECT pg_catalog.json_build_object("
										" 'items', COALESCE((SELECT pg_catalog.json_agg(y.j ORDER BY y.k DESC) FROM ("
										"   SELECT %s AS j, %s AS k FROM %s WHERE %s ORDER BY %s DESC"
										"   LIMIT $1::pg_catalog.int8 OFFSET $2::pg_catalog.int8) y), '[]'::pg_catalog.json),"
										" 'total', (SELECT pg_catalog.count(*) FROM %s WHERE %s),"
										" 'limit', $1::pg_catalog.int8, 'offset', $2::pg_catalog.int8)::pg_catalog.text",
										expr, order, from, where, order, from, where),
							   3, args, NULL));
}

static void
one_row(AmlWebResponse *res, const char *sql, const char *id, const char *what)
{
	const char *args[1] = {id};
	char	   *v;

	if (!parse_id(id, res))
		return;
	v = sql_text(sql, 1, args, NULL);
	if (v == NULL)
		aml_web_error(res, 404, "not found", psprintf("There is no %s %s that you may see.", what, id), NULL);
	else
		respond(res, 200, v);
}

static void
route_deployments_list(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	list_page(req, res, "pg_catalog.to_jsonb(x) OPERATOR(pg_catalog.-) 'definition'::pg_catalog.text",
			  "automl.deployments x", "($3 IS NULL OR x.state OPERATOR(pg_catalog.=) $3)", "x.id", req->state);
}

static void
route_deployment_get(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	one_row(res, "SELECT pg_catalog.to_jsonb(d)::pg_catalog.text FROM automl.deployments d"
			" WHERE d.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8", p[0], "deployment");
}

static void
route_runs_list(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	list_page(req, res,
			  "pg_catalog.jsonb_build_object('id', x.id, 'name', x.name, 'relation', x.relation, 'target', x.target,"
			  " 'task', x.task, 'metric', x.metric, 'status', x.status, 'evaluated', x.evaluated,"
			  " 'cv_score', x.cv_score, 'holdout_score', x.holdout_score, 'model_id', x.model_id,"
			  " 'started_at', x.started_at, 'finished_at', x.finished_at, 'owner', x.owner)",
			  "automl.runs x", "($3 IS NULL OR x.status OPERATOR(pg_catalog.=) $3)", "x.id", req->state);
}

static void
route_run_get(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	one_row(res,
			"SELECT (pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
			" 'leaderboard', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(l) ORDER BY l.rank, l.pipeline)"
			"   FROM (SELECT * FROM automl.leaderboard l0 WHERE l0.run_id OPERATOR(pg_catalog.=) r.id"
			"         ORDER BY l0.rank LIMIT 100) l), '[]'::pg_catalog.jsonb),"
			" 'pipelines', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(p.number, p.mean_score,"
			"   p.fit_seconds, p.status) ORDER BY p.number) FROM automl.pipelines p"
			"   WHERE p.run_id OPERATOR(pg_catalog.=) r.id), '[]'::pg_catalog.jsonb)))::pg_catalog.text"
			" FROM automl.runs r WHERE r.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8", p[0], "run");
}

static void
route_models_list(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	list_page(req, res, "pg_catalog.to_jsonb(x) OPERATOR(pg_catalog.-) 'pipeline'::pg_catalog.text",
			  "automl.models x", "($3 IS NULL OR x.name OPERATOR(pg_catalog.=) $3)", "x.id", req->q);
}

static void
route_model_get(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	one_row(res, "SELECT (pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.-) 'pipeline'::pg_catalog.text)::pg_catalog.text"
			" FROM automl.models m WHERE m.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8", p[0], "model");
}

/* ------------------------------------------------------------ jobs (when the job queue exists) */

static bool
jobs_installed(AmlWebResponse *res)
{
	if (aml_automl_relid("jobs") != InvalidOid)
		return true;
	aml_web_error(res, 501, "the job queue is not installed",
				  "This version of automl has no automl.jobs table.", NULL);
	return false;
}

static void
route_jobs_list(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	/* row-level security: the caller's jobs, every job for automl_job_admin */
	if (jobs_installed(res))
		list_page(req, res, "pg_catalog.to_jsonb(x)", "automl.jobs x",
				  "($3 IS NULL OR x.state OPERATOR(pg_catalog.=) $3)", "x.id", req->state);
}

static const char *const SQL_JOB_GET =
"SELECT pg_catalog.to_jsonb(j)::pg_catalog.text FROM automl.jobs j"
" WHERE j.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8";

static void
route_job_get(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	if (jobs_installed(res))
		one_row(res, SQL_JOB_GET, p[0], "job");
}

/*
 * POST /jobs: automl_submit with the body's keys as its arguments by name.
 * The allowed keys are automl_submit's argument names, read from pg_proc
 * (automl_submit is declared from automl_train's argument list, so a new
 * argument of automl_train is accepted here without a change); each value
 * is cast to the argument's type ($1->>key, or the elements of a JSON array
 * for an array argument), as the caller.
 */
static void
route_jobs_submit(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	const char *schema;
	int			rc;
	int			nargs;
	const char **names;
	Oid		   *types;
	const char **cols;
	int			n;
	StringInfoData sql;
	const char *args[1];
	char	   *id;

	if (!jobs_installed(res))
		return;
	schema = extension_schema();
	rc = SPI_execute("SELECT a.n::pg_catalog.text, a.t::pg_catalog.oid FROM pg_catalog.pg_proc p,"
					 " ROWS FROM (pg_catalog.unnest(p.proargnames), pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]))"
					 " WITH ORDINALITY a(n, t, o)"
					 " WHERE p.oid OPERATOR(pg_catalog.=) (SELECT pg_catalog.min(q.oid) FROM pg_catalog.pg_proc q"
					 "   JOIN pg_catalog.pg_extension e ON e.extnamespace OPERATOR(pg_catalog.=) q.pronamespace"
					 "   WHERE e.extname OPERATOR(pg_catalog.=) 'automl' AND q.proname OPERATOR(pg_catalog.=) 'automl_submit')"
					 " ORDER BY a.o", true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed == 0)
	{
		aml_web_error(res, 501, "the job queue is not installed", "automl_submit does not exist.", NULL);
		return;
	}
	nargs = (int) SPI_processed;
	names = palloc0(sizeof(char *) * (nargs + 1));
	types = palloc(sizeof(Oid) * nargs);
	for (int i = 0; i < nargs; i++)
	{
		bool		isnull;

		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		types[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	cols = body_columns(req, res, names, &n);
	if (cols == NULL)
		return;
	if (!column_in(cols, n, "relation") || !column_in(cols, n, "target"))
	{
		aml_web_error(res, 422, "relation and target are required",
					  "The body names automl_submit's arguments: at least relation and target.", NULL);
		return;
	}
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s.automl_submit(", schema);
	for (int i = 0; i < n; i++)
	{
		Oid			type = InvalidOid;
		Oid			elem;

		for (int k = 0; k < nargs; k++)
			if (strcmp(names[k], cols[i]) == 0)
				type = types[k];
		elem = get_element_type(type);
		if (OidIsValid(elem))
			appendStringInfo(&sql, "%s%s => (SELECT pg_catalog.array_agg(x.e::%s) FROM"
							 " pg_catalog.jsonb_array_elements_text($1::pg_catalog.jsonb OPERATOR(pg_catalog.->) %s) x(e))",
							 i ? ", " : "", quote_identifier(cols[i]), format_type_be_qualified(elem),
							 quote_literal_cstr(cols[i]));
		else
			appendStringInfo(&sql, "%s%s => ($1::pg_catalog.jsonb OPERATOR(pg_catalog.->>) %s)::%s",
							 i ? ", " : "", quote_identifier(cols[i]), quote_literal_cstr(cols[i]),
							 format_type_be_qualified(type));
	}
	appendStringInfoString(&sql, ")::pg_catalog.text");
	args[0] = req->body;
	id = sql_text(sql.data, 1, args, NULL);
	args[0] = id;
	respond(res, 201, sql_text(SQL_JOB_GET, 1, args, NULL));
	res->location = MemoryContextStrdup(GetMemoryChunkContext(res->body.data), psprintf("/jobs/%s", id));
	aml_web_changed_deployments = true;
}

/* POST /jobs/{id}/cancel, body optional: {"keep_best": false} (default true). */
static void
route_job_cancel(AmlWebRequest *req, AmlWebResponse *res, char **p)
{
	static const char *const cancel_columns[] = {"keep_best", NULL};
	const char *args[2];
	char	   *done;
	int			n;

	if (!jobs_installed(res) || !parse_id(p[0], res))
		return;
	args[0] = p[0];
	if (sql_text(SQL_JOB_GET, 1, args, NULL) == NULL)
	{
		/* another role's job, as a missing one (row-level security) */
		aml_web_error(res, 404, "not found", psprintf("There is no job %s that you may see.", p[0]), NULL);
		return;
	}
	args[1] = NULL;
	if (req->body != NULL && req->body_len > 0)
	{
		if (body_columns(req, res, cancel_columns, &n) == NULL)
			return;
		args[1] = req->body;
	}
	done = sql_text(psprintf("SELECT %s.automl_cancel($1::pg_catalog.int8, COALESCE(($2::pg_catalog.jsonb"
							 " OPERATOR(pg_catalog.->>) 'keep_best')::pg_catalog.bool, true))::pg_catalog.text",
							 extension_schema()), 2, args, NULL);
	if (done == NULL || strcmp(done, "true") != 0)
	{
		aml_web_error(res, 409, "the job has already ended", psprintf("Job %s is not queued nor running.", p[0]), NULL);
		return;
	}
	respond(res, 200, sql_text(SQL_JOB_GET, 1, args, NULL));
	aml_web_changed_deployments = true;
}

/* ------------------------------------------------------------ the table */

static const Route routes[] = {
	{"GET", "/apps", route_apps_list, "List apps (by name)", NULL, true, "q"},
	{"POST", "/apps", route_apps_create, "Register an app", "App", false, NULL},
	{"GET", "/apps/{name}", route_app_get, "One app, with its configuration names", NULL, false, NULL},
	{"PUT", "/apps/{name}", route_app_put, "Replace an app (omitted fields get their default)", "App", false, NULL},
	{"PATCH", "/apps/{name}", route_app_patch, "Change some fields of an app", "App", false, NULL},
	{"DELETE", "/apps/{name}", route_app_delete, "Delete an app that is not deployed", NULL, false, NULL},
	{"GET", "/apps/{name}/configs", route_configs_list, "An app's configurations", NULL, false, NULL},
	{"POST", "/apps/{name}/configs", route_configs_create, "Add a configuration", "Config", false, NULL},
	{"GET", "/apps/{name}/configs/{config}", route_config_get, "One configuration", NULL, false, NULL},
	{"PUT", "/apps/{name}/configs/{config}", route_config_put, "Replace a configuration", "Config", false, NULL},
	{"PATCH", "/apps/{name}/configs/{config}", route_config_patch, "Change some fields of a configuration", "Config", false, NULL},
	{"DELETE", "/apps/{name}/configs/{config}", route_config_delete, "Delete a configuration that is not deployed", NULL, false, NULL},
	{"POST", "/apps/{name}/configs/{config}/deploy", route_deploy, "Deploy a configuration on Marathon (202)", NULL, false, NULL},
	{"DELETE", "/apps/{name}/configs/{config}/deploy", route_undeploy, "Undeploy a configuration (202)", NULL, false, NULL},
	{"GET", "/deployments", route_deployments_list, "Deployment requests, newest first", NULL, true, "state"},
	{"GET", "/deployments/{id}", route_deployment_get, "One deployment request", NULL, false, NULL},
	{"GET", "/runs", route_runs_list, "Training runs, newest first", NULL, true, "state"},
	{"GET", "/runs/{id}", route_run_get, "One run with its leaderboard and pipelines", NULL, false, NULL},
	{"GET", "/models", route_models_list, "Fitted models, newest first", NULL, true, "q"},
	{"GET", "/models/{id}", route_model_get, "One model (without its fitted pipeline)", NULL, false, NULL},
	{"GET", "/jobs", route_jobs_list, "Training jobs you may see, newest first (501 without the job queue)", NULL, true, "state"},
	{"POST", "/jobs", route_jobs_submit, "Submit a training job: automl_submit's arguments by name (relation, target ...)", "JobSubmit", false, NULL},
	{"GET", "/jobs/{id}", route_job_get, "One job: state, progress, run and model ids", NULL, false, NULL},
	{"POST", "/jobs/{id}/cancel", route_job_cancel, "Cancel a job (optional body {\"keep_best\": bool}, default true; 409 when it has ended)", NULL, false, NULL},
	{"GET", "/events", NULL, "Server-Sent Events: deployment state changes", NULL, false, NULL},
	{"GET", "/openapi.json", NULL, "This document (no authentication)", NULL, false, NULL},
};

#define N_ROUTES lengthof(routes)

/* Match segments against a route's path; fills params (at most 4). */
static bool
match(const Route *r, char **segments, int n, char **params)
{
	const char *s = r->path + 1;
	int			i = 0;
	int			np = 0;

	while (*s)
	{
		const char *e = strchr(s, '/');
		size_t		len = e ? (size_t) (e - s) : strlen(s);

		if (i >= n)
			return false;
		if (s[0] == '{')
			params[np++] = segments[i];
		else if (strlen(segments[i]) != len || strncmp(segments[i], s, len) != 0)
			return false;
		i++;
		s += len;
		if (*s == '/')
			s++;
	}
	return i == n;
}

bool
aml_web_route_exists(char **segments, int n, bool *method_ok, const char *method)
{
	char	   *params[4];
	bool		any = false;

	*method_ok = false;
	for (int k = 0; k < N_ROUTES; k++)
		if (match(&routes[k], segments, n, params))
		{
			any = true;
			if (strcmp(routes[k].method, method) == 0)
				*method_ok = true;
		}
	return any;
}

static int
status_of(ErrorData *e, const char **error)
{
	int			code = e->sqlerrcode;

	*error = e->message;
	switch (code)
	{
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			return 403;
		case ERRCODE_UNIQUE_VIOLATION:
		case ERRCODE_FOREIGN_KEY_VIOLATION:
		case ERRCODE_EXCLUSION_VIOLATION:
			return 409;
		case ERRCODE_CHECK_VIOLATION:
		case ERRCODE_NOT_NULL_VIOLATION:
		case ERRCODE_UNDEFINED_OBJECT:	/* e.g. an owner that is no role */
		case ERRCODE_UNDEFINED_TABLE:	/* a job's relation */
		case ERRCODE_UNDEFINED_COLUMN:	/* a job's target */
		case ERRCODE_INVALID_TEXT_REPRESENTATION:
			return 422;
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_T_R_DEADLOCK_DETECTED:
		case ERRCODE_QUERY_CANCELED:
		case ERRCODE_LOCK_NOT_AVAILABLE:
			return 503;
	}
	if (ERRCODE_TO_CATEGORY(code) == ERRCODE_DATA_EXCEPTION)
		return 422;
	if (ERRCODE_TO_CATEGORY(code) == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
		return 409;
	if (ERRCODE_TO_CATEGORY(code) == ERRCODE_INSUFFICIENT_RESOURCES ||
		ERRCODE_TO_CATEGORY(code) == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		return 503;
	*error = "internal error";
	return 500;
}

void
aml_web_dispatch(AmlWebRequest *req, AmlWebResponse *res)
{
	const Route *volatile route = NULL;
	char	   *params[4] = {NULL, NULL, NULL, NULL};
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool in_xact = false;

	for (int k = 0; k < N_ROUTES; k++)
		if (strcmp(routes[k].method, req->method) == 0 && match(&routes[k], req->segments, req->n_segments, params))
		{
			route = &routes[k];
			break;
		}
	if (route == NULL || route->fn == NULL)
	{
		/* the worker serves /events and /openapi.json itself */
		aml_web_error(res, 404, "not found", NULL, NULL);
		return;
	}
	aml_web_changed_deployments = false;
	res->status = 0;

	PG_TRY();
	{
		AmlActAs	act;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		in_xact = true;
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		if (aml_automl_relid("apps") == InvalidOid)
			aml_web_error(res, 503, "automl is not installed in this database",
						  NULL, "CREATE EXTENSION automl in the database named by automl.database.");
		else
		{
			aml_act_as(&act, req->role);
			route->fn(req, res, params);
			aml_act_end(&act);
		}
		SPI_finish();
		PopActiveSnapshot();
		if (res->status >= 400)
		{
			AbortCurrentTransaction();
			aml_web_changed_deployments = false;
		}
		else
			CommitTransactionCommand();
		in_xact = false;
	}
	PG_CATCH();
	{
		ErrorData  *e;
		const char *error;
		int			status;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		if (in_xact)
			AbortCurrentTransaction();
		aml_web_changed_deployments = false;
		status = status_of(e, &error);
		if (status == 500)
		{
			ereport(LOG, (errmsg("automl http: %s %s failed: %s", req->method, route->path, e->message)));
			aml_web_error(res, 500, "internal error", NULL, NULL);
		}
		else
		{
			aml_web_error(res, status, error, e->detail, e->hint);
			if (status == 503)
				res->retry_after = 1;
		}
		FreeErrorData(e);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	if (res->status == 0)
		aml_web_error(res, 500, "internal error", NULL, NULL);
}

/* ------------------------------------------------------------ OpenAPI */

static const char *
status_text_of(const char *method, const Route *r)
{
	if (strcmp(method, "POST") == 0 && r->body)
		return "201";
	if (strstr(r->path, "/deploy") != NULL)
		return "202";
	return "200";
}

void
aml_web_openapi(StringInfo out)
{
	appendStringInfoString(out,
						   "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"automl registry API\", \"version\": \"0.1\"},"
						   " \"components\": {\"securitySchemes\": {\"basic\": {\"type\": \"http\", \"scheme\": \"basic\"}},"
						   " \"schemas\": {\"Error\": {\"type\": \"object\", \"required\": [\"error\"], \"properties\":"
						   " {\"error\": {\"type\": \"string\"}, \"detail\": {\"type\": \"string\"}, \"hint\": {\"type\": \"string\"}}},");
	for (int s = 0; s < 2; s++)
	{
		const char *const *cols = s == 0 ? app_columns : config_columns;

		appendStringInfo(out, "%s\"%s\": {\"type\": \"object\", \"additionalProperties\": false, \"properties\": {",
						 s ? ", " : " ", s == 0 ? "App" : "Config");
		for (int k = 0; cols[k]; k++)
			appendStringInfo(out, "%s\"%s\": {}", k ? ", " : "", cols[k]);
		appendStringInfoString(out, "}}");
	}
	/* automl_submit's arguments are automl_train's: open-ended, checked by the server */
	appendStringInfoString(out, ", \"JobSubmit\": {\"type\": \"object\", \"required\": [\"relation\", \"target\"],"
						   " \"properties\": {\"relation\": {\"type\": \"string\"}, \"target\": {\"type\": \"string\"}},"
						   " \"additionalProperties\": true}");
	appendStringInfoString(out, "}}, \"security\": [{\"basic\": []}], \"paths\": {");
	for (int k = 0; k < N_ROUTES; k++)
	{
		const Route *r = &routes[k];
		bool		first_of_path = (k == 0 || strcmp(routes[k - 1].path, r->path) != 0);
		bool		last_of_path = (k == N_ROUTES - 1 || strcmp(routes[k + 1].path, r->path) != 0);
		const char *s;
		bool		anyp = false;
		char		lower[8];

		if (first_of_path)
			appendStringInfo(out, "%s\"%s\": {", k ? ", " : "", r->path);
		else
			appendStringInfoString(out, ", ");
		for (int i = 0; r->method[i] && i < 7; i++)
			lower[i] = pg_ascii_tolower(r->method[i]), lower[i + 1] = '\0';
		appendStringInfo(out, "\"%s\": {\"summary\": ", lower);
		escape_json(out, r->summary);
		appendStringInfoString(out, ", \"parameters\": [");
		for (s = r->path; (s = strchr(s, '{')) != NULL; s++)
		{
			const char *e = strchr(s, '}');

			appendStringInfo(out, "%s{\"name\": \"%.*s\", \"in\": \"path\", \"required\": true, \"schema\": {\"type\": \"string\"}}",
							 anyp ? ", " : "", (int) (e - s - 1), s + 1);
			anyp = true;
		}
		if (r->list)
		{
			appendStringInfo(out, "%s{\"name\": \"limit\", \"in\": \"query\", \"schema\": {\"type\": \"integer\", \"maximum\": %d}},"
							 " {\"name\": \"offset\", \"in\": \"query\", \"schema\": {\"type\": \"integer\"}}",
							 anyp ? ", " : "", MAX_LIMIT);
			anyp = true;
		}
		if (r->filter)
			appendStringInfo(out, "%s{\"name\": \"%s\", \"in\": \"query\", \"schema\": {\"type\": \"string\"}}",
							 anyp ? ", " : "", r->filter);
		appendStringInfoString(out, "]");
		if (r->body)
			appendStringInfo(out, ", \"requestBody\": {\"required\": true, \"content\": {\"application/json\":"
							 " {\"schema\": {\"$ref\": \"#/components/schemas/%s\"}}}}", r->body);
		if (strcmp(r->path, "/openapi.json") == 0)
			appendStringInfoString(out, ", \"security\": []");
		appendStringInfo(out, ", \"responses\": {\"%s\": {\"description\": \"success\", \"content\": {\"%s\": {}}}",
						 status_text_of(r->method, r),
						 strcmp(r->path, "/events") == 0 ? "text/event-stream" : "application/json");
		appendStringInfoString(out, ", \"default\": {\"description\": \"error\", \"content\": {\"application/json\":"
							   " {\"schema\": {\"$ref\": \"#/components/schemas/Error\"}}}}}}");
		if (last_of_path)
			appendStringInfoString(out, "}");
	}
	appendStringInfoString(out, "}}");
}
