/*
 * metrics_internal.h — small helpers shared by metrics.c and woken_scores.c
 * (not part of the metrics interface).
 */
#ifndef AML_METRICS_INTERNAL_H
#define AML_METRICS_INTERNAL_H

#include <math.h>
#include <stdbool.h>

#include "core/status.h"

static inline bool
valid_label(double v, int n_classes)
{
	return v >= 0 && v < n_classes && v == floor(v);
}

static inline AmlStatus
check_labels(const double *y, int n, int n_classes, const char *what, AmlError *err)
{
	for (int i = 0; i < n; i++)
		if (!valid_label(y[i], n_classes))
		{
			aml_error(err, AML_ERR_INVALID_DATA, "invalid class index %g in %s (row %d)",
					  y[i], what, i);
			return aml_error_detail(err, "Class indices must be integers from 0 to %d.",
									n_classes - 1);
		}
	return AML_OK;
}

static inline double
safe_div(double a, double b)
{
	return b == 0.0 ? 0.0 : a / b;
}

#endif
