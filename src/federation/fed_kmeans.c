/*
 * fed_kmeans.c — automl_fit(..., 'kmeans', ..., nodes => ARRAY[...]).
 */
#include "postgres.h"

#include "federation/fed_model.h"

int64
aml_fed_kmeans(const AmlFedFitArgs *a)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("algorithm \"kmeans\" is not supported over federation nodes yet")));
	return 0;
}
