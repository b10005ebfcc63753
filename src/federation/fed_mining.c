/*
 * fed_mining.c — automl_mining(query, strict, nodes): a Woken MiningQuery
 * run over federation nodes.
 *
 * Woken ran a distributed query's algorithm on every node and combined the
 * nodes' intermediate results at the central node (executionPlan
 * "map-reduce"; the "distributed" PCA and k-means images).  Here a code
 * with a federated implementation calls the same function as the local
 * query does, with the query's rows given as a filter instead of a view
 *   relation => the target table (each node reads its table of that name),
 *   filter   => the user's filters AND Woken's not-null rules AND the datasets,
 *   nodes    => the nodes given, strict => automl_mining's strict,
 * so the result is that of the union of the nodes' rows (the federated
 * functions' exactness, src/federation/fed_*.c).  A node that is down or
 * slow is a feedback entry of the QueryResult ({"severity": "warning",
 * "node", "message"}), not a failure, unless strict.
 *
 * Codes: statisticsSummary, histograms (grouping too), linearRegression,
 * anova, correlationHeatmap, pca, naiveBayes and kmeans (automl_fit over
 * nodes: fed_nb.c, fed_kmeans.c).  Any other code with nodes: 0A000 naming
 * the code (their fits read rows at one place).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "pg/core_bridge.h"
#include "pg/woken_job.h"

static const char *const fed_codes[] = {
	"statisticsSummary", "histograms", "linearRegression", "anova", "correlationHeatmap", "pca",
	"naiveBayes", "kmeans"
};

void
aml_woken_fed_check_code(AmlWokenJob *job, const char *code)
{
	if (job->fed_nodes == NULL)
		return;
	for (int i = 0; i < (int) lengthof(fed_codes); i++)
		if (strcmp(code, fed_codes[i]) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("algorithm %s is not supported over federation nodes", code),
			 errdetail("Codes that run over nodes: statisticsSummary, histograms, linearRegression, anova, "
					   "correlationHeatmap, pca, naiveBayes, kmeans."),
			 errhint("Run it without nodes (on this server's rows).")));
}

Oid
aml_woken_fed_relation(AmlWokenJob *job, Oid viewid)
{
	return job->fed_nodes != NULL ? job->fed_relid : viewid;
}

char *
aml_woken_fed_args(AmlWokenJob *job, int *nargs, Oid *types, Datum *values, char *nulls)
{
	int			k = *nargs;

	if (job->fed_nodes == NULL)
		return "";
	types[k] = JSONBOID;
	if (job->fed_filter != NULL)
	{
		values[k] = DirectFunctionCall1(jsonb_in, CStringGetDatum(job->fed_filter));
		nulls[k] = ' ';
	}
	else
	{
		values[k] = (Datum) 0;
		nulls[k] = 'n';
	}
	types[k + 1] = TEXTARRAYOID;
	values[k + 1] = PointerGetDatum(job->fed_nodes);
	nulls[k + 1] = ' ';
	types[k + 2] = BOOLOID;
	values[k + 2] = BoolGetDatum(job->fed_strict);
	nulls[k + 2] = ' ';
	*nargs = k + 3;
	return psprintf(", filter => $%d, nodes => $%d, strict => $%d", k + 1, k + 2, k + 3);
}

/*
 * The feedback of the last federated call (automl_federation_feedback():
 * [{node, failure, message}]) as Woken feedback entries of the job.
 */
void
aml_woken_fed_feedback(AmlWokenJob *job)
{
	int			ret;
	char	   *text;
	json_object *entries;

	if (job->fed_nodes == NULL)
		return;
	ret = SPI_execute(psprintf("SELECT %s.automl_federation_feedback()::pg_catalog.text", aml_woken_ext_schema()),
					  true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the federation feedback failed: %s", SPI_result_code_string(ret));
	text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (text == NULL)
		return;
	entries = aml_pg_parse_json(text, strlen(text));
	if (!json_object_is_type(entries, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(entries); i++)
	{
		json_object *e = json_object_array_get_idx(entries, i);
		json_object *o = json_object_new_object();
		json_object *v;

		json_object_object_add(o, "severity", json_object_new_string("warning"));
		if (json_object_object_get_ex(e, "node", &v) && json_object_is_type(v, json_type_string))
			json_object_object_add(o, "node", json_object_new_string(json_object_get_string(v)));
		if (json_object_object_get_ex(e, "message", &v) && json_object_is_type(v, json_type_string))
			json_object_object_add(o, "message", json_object_new_string(json_object_get_string(v)));
		if (json_object_object_get_ex(e, "failure", &v))
			json_object_object_add(o, "failure", json_object_new_boolean(json_object_get_boolean(v)));
		json_object_array_add(job->feedback, o);
	}
}
