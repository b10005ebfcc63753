/*
 * validation.c — the holdout and folds chosen from the data (see validation.h).
 */
#include "search/validation.h"
#include "search/evaluate.h"

#include <math.h>

double
aml_validation_test_size(int n_rows, double requested)
{
	if (!isnan(requested))
		return requested;
	return n_rows < AML_HOLDOUT_MIN_ROWS ? 0.0 : 0.25;
}

static int
count_pinned(const int *class_count, int n_classes, int k, int *scored_rows, int *scored_classes)
{
	int			pinned = 0;

	*scored_rows = 0;
	*scored_classes = 0;
	for (int c = 0; c < n_classes; c++)
	{
		if (class_count[c] == 0)
			continue;
		if (class_count[c] < k)
			pinned++;
		else
		{
			*scored_rows += class_count[c];
			(*scored_classes)++;
		}
	}
	return pinned;
}

AmlStatus
aml_validation_folds(int n_rows, const int *class_count, int n_classes, int requested,
					 AmlFoldPlan *out, AmlError *err)
{
	int			k;
	int			scored_rows = n_rows;
	int			scored_classes = 1;

	out->folds_automatic = requested <= 0;
	out->repeats = 1;
	out->n_pinned_classes = 0;
	if (requested > 0)
	{
		k = requested;
		if (class_count != NULL)
			out->n_pinned_classes = count_pinned(class_count, n_classes, k, &scored_rows, &scored_classes);
		if (scored_classes == 0 || scored_rows < 2 * k)
		{
			aml_error(err, AML_ERR_INVALID_DATA,
					  "%d-fold cross-validation is impossible on these rows", k);
			if (class_count != NULL)
				aml_error_detail(err, "%d-fold cross-validation needs at least %d rows of classes with "
								 "%d rows or more; there are %d.", k, 2 * k, k, scored_rows);
			else
				aml_error_detail(err, "It needs at least %d rows; the search has %d.", 2 * k, n_rows);
			return aml_error_hint(err, "Leave cv_folds out: it is then chosen from the data.");
		}
		out->cv_folds = k;
		return AML_OK;
	}
	k = n_rows >= 50 ? 5 : n_rows / 10;
	if (k < 2)
		k = 2;
	if (class_count != NULL)
	{
		bool		lowered = true;

		while (k > 3 && lowered)
		{
			lowered = false;
			for (int c = 0; c < n_classes; c++)
				if (class_count[c] >= 3 && class_count[c] < k)
					lowered = true;
			if (lowered)
				k--;
		}
		out->n_pinned_classes = count_pinned(class_count, n_classes, k, &scored_rows, &scored_classes);
	}
	if (scored_classes == 0 || scored_rows < 2 * k)
	{
		aml_error(err, AML_ERR_INVALID_DATA, "%d training row%s are too few to validate a model",
				  n_rows, n_rows == 1 ? "" : "s");
		if (class_count != NULL)
			aml_error_detail(err, "Cross-validation needs at least 4 rows in classes of 2 rows or more.");
		else
			aml_error_detail(err, "Cross-validation needs at least 4 rows.");
		return aml_error_hint(err, "Add rows, or use a smaller test_size.");
	}
	out->cv_folds = k;
	if (n_rows < 200)
		out->repeats = 3;
	else if (n_rows < 500)
		out->repeats = 2;
	while (out->repeats > 1 && out->repeats * k > AML_MAX_FOLDS)
		out->repeats--;
	return AML_OK;
}
