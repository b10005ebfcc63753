/*
 * kmeans_centers.c — automl_kmeans_centers(model_id): the clusters of a
 * k-means model, one row per cluster: its number (0-based, as automl_predict
 * returns it), how many training rows it got, and its centre as jsonb.
 *
 * The default k-means pipeline does not scale (pipeline.h), so the centre
 * is in the original units: a numeric column's value is the mean of the
 * cluster's rows (NULLs counted as the column's training median), a boolean
 * column's the fraction of true, and a categorical column gives one key per
 * one-hot column ("col=value": the fraction of rows with that value).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "ml/kmeans.h"
#include "ml/model.h"
#include "ml/pipeline.h"
#include "pg/model_cache.h"

PG_FUNCTION_INFO_V1(automl_kmeans_centers);

Datum
automl_kmeans_centers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		id;
	ModelEntry *entry;
	const AmlPipeline *p;
	AmlKmeansInfo info;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model_id must not be NULL")));
	id = PG_GETARG_INT64(0);
	InitMaterializedSRF(fcinfo, 0);
	entry = aml_model_cache_lookup(id);
	p = entry->model->n_members == 1 ? entry->model->members[0] : NULL;
	if (p == NULL || !aml_kmeans_get(p->estimator, &info))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model " INT64_FORMAT " is not a k-means model (it is %s)", id, entry->algorithm),
				 errhint("Fit one with automl_fit(relation, NULL, 'kmeans', '{\"n_clusters\": 3}').")));
	/* the centres are named by the encoder's columns when no step changed the width */
	for (int k = 0; k < p->n_steps; k++)
		if (p->steps[k]->n_out != p->encoder->n_out)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the centres of model " INT64_FORMAT " are not in the columns' units", id),
					 errdetail("Its pipeline has a step that changes the number of columns.")));
	if (info.n_features != p->encoder->n_out)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model " INT64_FORMAT " has centres of the wrong width", id)));
	for (int c = 0; c < info.n_clusters; c++)
	{
		StringInfoData s;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		initStringInfo(&s);
		appendStringInfoChar(&s, '{');
		for (int j = 0; j < info.n_features; j++)
		{
			char		name[512];

			aml_encoder_column_name(p->encoder, &p->schema, j, name, sizeof(name));
			if (j > 0)
				appendStringInfoString(&s, ", ");
			escape_json(&s, name);
			appendStringInfo(&s, ": %s",
							 float8out_internal(info.centers[(size_t) c * info.n_features + j]));
		}
		appendStringInfoChar(&s, '}');
		values[0] = Int32GetDatum(c);
		values[1] = Int64GetDatum((int64) info.sizes[c]);
		values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
