/*
 * validation.c — the holdout and folds chosen from the data (see validation.h).
 */
#include "search/validation.h"
#include "search/evaluate.h"
#include "core/memory.h"
#include "core/random.h"

#include <stdlib.h>

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

		/*
		 * When classes too rare for k folds hold most of the rows, or leave
		 * fewer than two classes to score, fewer folds (down to 2) score them:
		 * a table of 2-row classes is validated by 2-fold cross-validation
		 * instead of refused.  Lowering k never pins more.
		 */
		while (k > 2 && (scored_classes < 2 || 2 * scored_rows < n_rows))
		{
			k--;
			out->n_pinned_classes = count_pinned(class_count, n_classes, k, &scored_rows, &scored_classes);
		}
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

int
aml_validation_search_rows(int n_rows, int n_inputs, double budget_seconds, int max_evaluations)
{
	double		rows;

	if (max_evaluations > 0 || !(budget_seconds > 0) || n_rows <= AML_SEARCH_MIN_ROWS)
		return n_rows;
	rows = AML_SEARCH_CELLS_PER_SECOND * budget_seconds / (n_inputs > 0 ? n_inputs : 1);
	if (rows < AML_SEARCH_MIN_ROWS)
		rows = AML_SEARCH_MIN_ROWS;
	if (rows >= 0.8 * n_rows)
		return n_rows;
	return (int) rows;
}

int
aml_validation_memory_rows(int n_rows, int n_inputs, int folds, size_t available)
{
	double		per_row = n_rows > 0 ? (double) aml_cv_data_bytes(n_rows, n_inputs, folds > 0 ? folds : 1) / n_rows : 1;
	double		rows = (double) available / 4 / per_row;
	int			floor_rows = n_rows < AML_MEMORY_SAMPLE_MIN_ROWS ? n_rows : AML_MEMORY_SAMPLE_MIN_ROWS;

	if (rows >= n_rows)
		return n_rows;
	return rows > floor_rows ? (int) rows : floor_rows;
}

typedef struct SampleKey
{
	double		key;
	int			position;		/* in the shuffled order: ties */
	int			row;
} SampleKey;

static int
by_sample_key(const void *a, const void *b)
{
	const SampleKey *x = a;
	const SampleKey *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->position - y->position;
}

AmlStatus
aml_validation_sample_order(int n, const double *y, int n_classes, uint64_t seed, int *order,
							AmlError *err)
{
	AmlRng		rng;
	SampleKey  *keys;
	int		   *count = NULL;
	int		   *seen = NULL;

	if (n <= 0)
		return AML_OK;
	keys = aml_alloc_array((size_t) n, sizeof(SampleKey));
	if (y != NULL && n_classes > 0)
	{
		count = aml_alloc_array((size_t) n_classes, sizeof(int));
		seen = aml_alloc_array((size_t) n_classes, sizeof(int));
	}
	if (keys == NULL || (y != NULL && n_classes > 0 && (count == NULL || seen == NULL)))
	{
		aml_free(keys);
		aml_free(count);
		aml_free(seen);
		return aml_error(err, AML_ERR_OUT_OF_MEMORY, "out of memory: sampling %d rows", n);
	}
	aml_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) aml_rng_below(&rng, (uint64_t) i + 1);
		int			t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	if (count != NULL)
		for (int i = 0; i < n; i++)
		{
			int			c = (int) y[i];

			if (c >= 0 && c < n_classes)
				count[c]++;
		}
	for (int p = 0; p < n; p++)
	{
		int			row = order[p];

		keys[p].row = row;
		keys[p].position = p;
		keys[p].key = (double) p / n;	/* regression: the shuffled order */
		if (count != NULL)
		{
			int			c = (int) y[row];

			if (c < 0 || c >= n_classes)
				keys[p].key = 2.0;	/* not a class: last */
			else
			{
				int			j = seen[c]++;

				/* the first rows of every class lead, then each class in proportion */
				keys[p].key = j < AML_SAMPLE_MIN_CLASS_ROWS ? -1.0 : (j + 0.5) / count[c];
			}
		}
	}
	qsort(keys, (size_t) n, sizeof(SampleKey), by_sample_key);
	for (int p = 0; p < n; p++)
		order[p] = keys[p].row;
	aml_free(keys);
	aml_free(count);
	aml_free(seen);
	return AML_OK;
}

void
aml_validation_fit_rows(double per_row, double available, int n_train, int n_all, int min_rows,
						bool refit_all, int *holdout_rows, int *final_rows)
{
	double		fit;			/* rows that fit in the time */

	if (min_rows > n_all)
		min_rows = n_all;
	fit = per_row > 0 ? fmax(available, 0) / per_row : (double) n_all + n_train + 1;
	if (n_train <= 0)
	{
		*holdout_rows = 0;
		*final_rows = fit >= n_all ? n_all : (int) fmax(fit, min_rows);
		return;
	}
	if (min_rows > n_train)
		min_rows = n_train;
	if (!refit_all)
	{
		*holdout_rows = *final_rows = fit >= n_train ? n_train : (int) fmax(fit, min_rows);
		return;
	}
	if (fit >= (double) n_train + n_all)
	{
		*holdout_rows = n_train;
		*final_rows = n_all;
		return;
	}
	*holdout_rows = (int) fmin(n_train, fmax(fit / 3, min_rows));
	*final_rows = (int) fmin(n_all, fit - *holdout_rows);
	/*
	 * two fits only when the final one gets more rows than one fit on the
	 * training rows would: that one is then scored on the holdout and kept
	 */
	if (*final_rows <= (int) fmin(n_train, fmax(fit, min_rows)))
		*holdout_rows = *final_rows = (int) fmin(n_train, fmax(fit, min_rows));
}
