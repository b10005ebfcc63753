/*
 * fed_histogram.h — automl_histogram's group_by over federation nodes
 * (fed_histogram_groups.c), called by fed_histogram.c after its first round.
 */
#ifndef AML_FEDERATION_FED_HISTOGRAM_H
#define AML_FEDERATION_FED_HISTOGRAM_H

#include "postgres.h"

#include "funcapi.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "federation/federation.h"

/* The group_by names as automl_histogram checks them (22023 if one is the column). */
char	  **aml_fed_histogram_group_names(const char *column, ArrayType *group_by, int *ng);

/*
 * Round 2 with group_by: every node counts its rows per group in the global
 * bins [lower, upper] (bins of them) or, for a categorical column, in the
 * categories cats[0 .. ncats-1] (byte order); the centre unions the groups,
 * sums the counts and writes automl_histogram's rows, groups in the local
 * function's order.
 */
void		aml_fed_histogram_groups(AmlFedCall *c, ReturnSetInfo *rsinfo, Oid relid, const char *column,
									 ArrayType *group_by, Jsonb *filter, int bins, double lower, double upper,
									 char **cats, int ncats);

#endif
