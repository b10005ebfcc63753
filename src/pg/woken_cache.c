/*
 * woken_cache.c — woken.results_cache, filled as Woken fills it.
 *
 * Woken (MiningQueriesActor, ResultsCacheRepositoryDAO) caches the
 * QueryResult of every local MiningQuery that succeeded, keyed by node,
 * table name, the query with its user replaced by "woken" (so that one
 * user's result serves another's), the shape and the function; it skips
 * queries of more than 30 variables, covariables and groupings and results
 * weighing more than a million, and keeps the first result of a key (ON
 * CONFLICT DO NOTHING).  Experiments and validations are not cached.
 * automl_mining does the same.  Woken left table_contents_hash empty (a
 * TODO); automl writes the MD5 of the rows the result was computed from
 * (the query's view, as the caller saw them, each row as text, in text
 * order), so that a reader can tell a stale entry by hashing the same
 * query's rows again.
 *
 * automl itself never answers from the cache: its results are computed
 * with the caller's privileges (row-level security included) while a cache
 * entry is keyed for everyone, and knowing whether the rows are unchanged
 * takes the scan that most mining codes cost anyway.  The table is for a
 * Woken pointed at the woken schema (its cache hits), and is readable only
 * by the roles it is granted to, as woken.job_result.
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "pg/security.h"
#include "pg/woken_job.h"

/* Woken's limits (ResultsCacheRepositoryDAO) */
#define CACHE_MAX_VARIABLES 30
#define CACHE_MAX_WEIGHT 1000000

char *
aml_woken_contents_hash(AmlWokenJob *job, const char *view)
{
	int			ret;
	char	   *hash;

	ret = SPI_execute(psprintf("SELECT pg_catalog.md5(COALESCE(pg_catalog.string_agg(v::pg_catalog.text, "
							   "E'\\n' ORDER BY v::pg_catalog.text), '')) FROM pg_temp.%s v",
							   quote_identifier(view)), true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "hashing the rows of the query failed: %s", SPI_result_code_string(ret));
	hash = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return MemoryContextStrdup(job->cxt, hash);
}

static int
codes_count(json_object *q, const char *key)
{
	json_object *a;

	return json_object_object_get_ex(q, key, &a) && json_object_is_type(a, json_type_array)
		? (int) json_object_array_length(a) : 0;
}

bool
aml_woken_cache_put(AmlWokenJob *job, json_object *q, json_object *result)
{
	json_object *key;
	json_object *user;
	const char *data;
	Oid			relid;
	Oid			owner;
	HeapTuple	tp;
	AmlActAs	a;
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, TEXTOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = "       ";
	int			ret;
	bool		stored;

	if (job->error != NULL || job->contents_hash == NULL || job->table_name == NULL)
		return false;
	if (codes_count(q, "variables") + codes_count(q, "covariables") + codes_count(q, "grouping") >
		CACHE_MAX_VARIABLES)
		return false;
	data = aml_json_text(result);
	if (strlen(data) > CACHE_MAX_WEIGHT)
		return false;

	/* the key: the query as received, its user Woken's own */
	key = aml_pg_parse_json(aml_json_text(q), strlen(aml_json_text(q)));
	user = json_object_new_object();
	json_object_object_add(user, "code", json_object_new_string("woken"));
	json_object_object_add(key, "user", user);

	values[0] = CStringGetTextDatum(job->node);
	values[1] = CStringGetTextDatum(pnstrdup(job->table_name, 128));
	values[2] = CStringGetTextDatum(job->contents_hash);
	values[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(aml_json_text(key)));
	values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(data));
	values[5] = CStringGetTextDatum(job->shape);
	if (job->code)
		values[6] = CStringGetTextDatum(pnstrdup(job->code, 255));
	else
		nulls[6] = 'n';

	relid = RangeVarGetRelid(makeRangeVar("woken", "results_cache", -1), NoLock, false);
	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* written as the table's owner, for the caller, as woken.job_result */
	aml_act_as(&a, owner);
	ret = SPI_execute_with_args("INSERT INTO woken.results_cache "
								"(node, table_name, table_contents_hash, query, created_at, last_used, "
								"data, shape, function) "
								"VALUES ($1, $2, $3, $4, pg_catalog.now()::pg_catalog.timestamp, "
								"pg_catalog.clock_timestamp()::pg_catalog.timestamp, $5, $6, $7) "
								"ON CONFLICT DO NOTHING",
								7, types, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "writing woken.results_cache failed: %s", SPI_result_code_string(ret));
	stored = SPI_processed == 1;
	aml_act_end(&a);
	SPI_finish();
	return stored;
}
