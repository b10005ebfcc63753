/*
 * kmeans.h — what k-means (kmeans.c) exposes beyond the estimator interface:
 * its fitted centres and cluster sizes (for automl_kmeans_centers).
 */
#ifndef AML_KMEANS_H
#define AML_KMEANS_H

#include <stdbool.h>

#include "ml/estimator.h"

typedef struct AmlKmeansInfo
{
	int			n_clusters;
	int			n_features;
	const double *centers;		/* n_clusters x n_features, row-major, in the estimator's space */
	const double *sizes;		/* training rows per cluster */
	double		inertia;		/* sum of squared distances of training rows to their centre */
	int			n_iter;			/* Lloyd iterations of the kept start */
} AmlKmeansInfo;

/* Fill info from a fitted k-means estimator; false for any other estimator. */
bool		aml_kmeans_get(const AmlEstimator *est, AmlKmeansInfo *info);

#endif
