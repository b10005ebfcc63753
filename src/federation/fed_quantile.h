/*
 * fed_quantile.h — exact order statistics (quartiles, median) of numeric
 * columns over federation nodes, for automl_summary (fed_quantile.c).
 */
#ifndef AML_FEDERATION_FED_QUANTILE_H
#define AML_FEDERATION_FED_QUANTILE_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "federation/federation.h"

typedef struct AmlFedQuantileColumn
{
	const char *name;
	int64		n;				/* pooled count of the column's values (no NULL, no NaN) */
	double		min;			/* pooled minimum and maximum (from the first round) */
	double		max;
	bool		known;			/* n > 0 and min/max known: quartiles can be computed */
	double		q[3];			/* out: first quartile, median, third quartile */
	bool		q_null[3];
} AmlFedQuantileColumn;

/*
 * The quartiles and median (R's type 7, as percentile_cont and the local
 * automl_summary) of each column on the union of the rows of the nodes
 * still in the call c, by rounds of counts below thresholds
 * (automl.node_quantile).  A column whose order statistics cannot be
 * narrowed without a count the nodes suppress keeps NULL quartiles, with a
 * feedback entry; so does every column when a node leaves the call.
 */
void		aml_fed_quantiles(AmlFedCall *c, Oid relid, Jsonb *filter, AmlFedQuantileColumn *cols, int ncols);

#endif
