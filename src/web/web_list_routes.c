/*
 * web_list_routes.c — the HTTP routes of the read-only resources
 * (deployments, runs, models) and of jobs (web_routes.h).  A resource is
 * described once (how a row shows in a page, how one row is read); one
 * handler serves a page of any of them (newest first, with the total and an
 * optional filter named by the route), one serves a row by id.  Jobs also
 * take submit and cancel; without the job queue their routes answer 501.
 * Row-level security decides which rows the role sees.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "pg/security.h"
#include "web/web_routes.h"

struct AmlWebResource
{
	const char *what;			/* "run": in "There is no run 7 that you may see." */
	const char *expr;			/* a page: each row of x as JSON */
	const char *from;			/* a page: the FROM item, aliased x */
	const char *filter_column;	/* a page: x.<column> = the route's filter argument */
	const char *row_sql;		/* one row: its JSON as text, $1 the id */
	bool		jobs;			/* needs the job queue (automl.jobs) */
};

const AmlWebResource aml_web_deployments = {
	"deployment",
	"pg_catalog.to_jsonb(x) OPERATOR(pg_catalog.-) 'definition'::pg_catalog.text",
	"automl.deployments x", "state",
	"SELECT pg_catalog.to_jsonb(d)::pg_catalog.text FROM automl.deployments d"
	" WHERE d.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
	false
};

const AmlWebResource aml_web_runs = {
	"run",
	"pg_catalog.jsonb_build_object('id', x.id, 'name', x.name, 'relation', x.relation, 'target', x.target,"
	" 'task', x.task, 'metric', x.metric, 'status', x.status, 'evaluated', x.evaluated,"
	" 'cv_score', x.cv_score, 'holdout_score', x.holdout_score, 'model_id', x.model_id,"
	" 'started_at', x.started_at, 'finished_at', x.finished_at, 'owner', x.owner)",
	"automl.runs x", "status",
	"SELECT (pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
	" 'leaderboard', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(l) ORDER BY l.rank, l.pipeline)"
	"   FROM (SELECT * FROM automl.leaderboard l0 WHERE l0.run_id OPERATOR(pg_catalog.=) r.id"
	"         ORDER BY l0.rank LIMIT 100) l), '[]'::pg_catalog.jsonb),"
	" 'pipelines', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(p.number, p.mean_score,"
	"   p.fit_seconds, p.status) ORDER BY p.number) FROM automl.pipelines p"
	"   WHERE p.run_id OPERATOR(pg_catalog.=) r.id), '[]'::pg_catalog.jsonb)))::pg_catalog.text"
	" FROM automl.runs r WHERE r.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
	false
};

const AmlWebResource aml_web_models = {
	"model",
	"pg_catalog.to_jsonb(x) OPERATOR(pg_catalog.-) 'pipeline'::pg_catalog.text",
	"automl.models x", "name",
	"SELECT (pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.-) 'pipeline'::pg_catalog.text)::pg_catalog.text"
	" FROM automl.models m WHERE m.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8",
	false
};

static const char *const SQL_JOB_GET =
"SELECT pg_catalog.to_jsonb(j)::pg_catalog.text FROM automl.jobs j"
" WHERE j.id OPERATOR(pg_catalog.=) $1::pg_catalog.int8";

/* row-level security: the caller's jobs, every job for automl_job_admin */
const AmlWebResource aml_web_jobs = {
	"job", "pg_catalog.to_jsonb(x)", "automl.jobs x", "state", SQL_JOB_GET, true
};

static bool
jobs_installed(AmlWebResponse *res)
{
	if (aml_automl_relid("jobs") != InvalidOid)
		return true;
	aml_web_error(res, 501, "the job queue is not installed",
				  "This version of automl has no automl.jobs table.", NULL);
	return false;
}

/* ------------------------------------------------------------ a page, a row */

/*
 * GET of a resource: a page of its rows, newest (largest id) first, with the
 * total; the route's filter argument (q or state), when given, selects the
 * rows whose filter_column equals it.
 */
void
aml_web_route_list(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const AmlWebResource *rs = r->arg;
	char		limit[16],
				offset[16];
	const char *args[3];
	char	   *where;

	if (rs->jobs && !jobs_installed(res))
		return;
	if (!aml_web_paging(req, res, limit, offset))
		return;
	args[0] = limit;
	args[1] = offset;
	args[2] = r->filter == NULL ? NULL : strcmp(r->filter, "q") == 0 ? req->q : req->state;
	where = psprintf("($3 IS NULL OR x.%s OPERATOR(pg_catalog.=) $3)", rs->filter_column);
	aml_web_respond(res, 200, aml_web_sql(psprintf(
												   "SELECT pg_catalog.json_build_object("
												   " 'items', COALESCE((SELECT pg_catalog.json_agg(y.j ORDER BY y.k DESC) FROM ("
												   "   SELECT %s AS j, x.id AS k FROM %s WHERE %s ORDER BY x.id DESC"
												   "   LIMIT $1::pg_catalog.int8 OFFSET $2::pg_catalog.int8) y), '[]'::pg_catalog.json),"
												   " 'total', (SELECT pg_catalog.count(*) FROM %s WHERE %s),"
												   " 'limit', $1::pg_catalog.int8, 'offset', $2::pg_catalog.int8)::pg_catalog.text",
												   rs->expr, rs->from, where, rs->from, where),
										  3, args, NULL));
}

/* GET of a resource's row by id (the path's one parameter). */
void
aml_web_route_row(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	const AmlWebResource *rs = r->arg;
	const char *args[1] = {p[0]};
	char	   *v;

	if (rs->jobs && !jobs_installed(res))
		return;
	if (!aml_web_parse_id(p[0], res))
		return;
	v = aml_web_sql(rs->row_sql, 1, args, NULL);
	if (v == NULL)
		aml_web_error(res, 404, "not found", psprintf("There is no %s %s that you may see.", rs->what, p[0]), NULL);
	else
		aml_web_respond(res, 200, v);
}

/* ------------------------------------------------------------ jobs: submit, cancel */

/*
 * POST /jobs: automl_submit with the body's keys as its arguments by name.
 * The allowed keys are automl_submit's argument names, read from pg_proc
 * (automl_submit is declared from automl_train's argument list, so a new
 * argument of automl_train is accepted here without a change); each value
 * is cast to the argument's type ($1->>key, or the elements of a JSON array
 * for an array argument), as the caller.
 */
void
aml_web_route_jobs_submit(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
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
	schema = aml_web_extension_schema();
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
	cols = aml_web_body_columns(req, res, names, &n);
	if (cols == NULL)
		return;
	if (!aml_web_column_in(cols, n, "relation") || !aml_web_column_in(cols, n, "target"))
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
	id = aml_web_sql(sql.data, 1, args, NULL);
	args[0] = id;
	aml_web_respond(res, 201, aml_web_sql(SQL_JOB_GET, 1, args, NULL));
	res->location = MemoryContextStrdup(GetMemoryChunkContext(res->body.data), psprintf("/jobs/%s", id));
	aml_web_events_stage("job", id);
	aml_web_changed_deployments = true;
}

/* POST /jobs/{id}/cancel, body optional: {"keep_best": false} (default true). */
void
aml_web_route_job_cancel(AmlWebRequest *req, AmlWebResponse *res, char **p, const Route *r)
{
	static const char *const cancel_columns[] = {"keep_best", NULL};
	const char *args[2];
	char	   *done;
	int			n;

	if (!jobs_installed(res) || !aml_web_parse_id(p[0], res))
		return;
	args[0] = p[0];
	if (aml_web_sql(SQL_JOB_GET, 1, args, NULL) == NULL)
	{
		/* another role's job, as a missing one (row-level security) */
		aml_web_error(res, 404, "not found", psprintf("There is no job %s that you may see.", p[0]), NULL);
		return;
	}
	args[1] = NULL;
	if (req->body != NULL && req->body_len > 0)
	{
		if (aml_web_body_columns(req, res, cancel_columns, &n) == NULL)
			return;
		args[1] = req->body;
	}
	done = aml_web_sql(psprintf("SELECT %s.automl_cancel($1::pg_catalog.int8, COALESCE(($2::pg_catalog.jsonb"
							 " OPERATOR(pg_catalog.->>) 'keep_best')::pg_catalog.bool, true))::pg_catalog.text",
							 aml_web_extension_schema()), 2, args, NULL);
	if (done == NULL || strcmp(done, "true") != 0)
	{
		aml_web_error(res, 409, "the job has already ended", psprintf("Job %s is not queued nor running.", p[0]), NULL);
		return;
	}
	aml_web_respond(res, 200, aml_web_sql(SQL_JOB_GET, 1, args, NULL));
	aml_web_events_stage("job", p[0]);
	aml_web_changed_deployments = true;
}
