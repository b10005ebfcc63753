/*
 * web_sql.c — how the HTTP routes run SQL: statements with text parameters
 * through SPI, their plans kept across requests, and the extension's schema
 * (web_routes.h).
 *
 * SQL of the routes names everything with its schema (pg_catalog., automl.),
 * compares with OPERATOR(pg_catalog.=) and passes every value as a $n
 * parameter; search_path is pinned by aml_act_as().
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "web/web_routes.h"

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
char *
aml_web_sql(const char *sql, int nargs, const char **args, uint64 *processed)
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
char *
aml_web_extension_schema(void)
{
	char	   *s = aml_web_sql("SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_extension e "
							 "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace "
							 "WHERE e.extname OPERATOR(pg_catalog.=) 'automl'", 0, NULL, NULL);

	if (s == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("extension \"automl\" is not installed")));
	return pstrdup(quote_identifier(s));
}
