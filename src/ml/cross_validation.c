/*
 * cross_validation.c — k-fold, stratified k-fold and holdout splits as index
 * lists (see cross_validation.h).
 */
#include "ml/cross_validation.h"
#include "core/memory.h"

#include <math.h>
#include <string.h>

static AmlStatus
folds_alloc(int n_rows, int k, int repeats, bool stratified, AmlFolds **out, AmlError *err)
{
	AmlFolds   *f = AML_NEW(AmlFolds);

	*out = NULL;
	if (f == NULL)
		return aml_error_nomem(err, "cross-validation folds");
	f->n_rows = n_rows;
	f->k = k;
	f->repeats = repeats;
	f->stratified = stratified;
	f->fold_of_row = AML_NEW_ARRAY(int, (size_t) n_rows * repeats);
	f->test_count = AML_NEW_ARRAY(int, (size_t) k * repeats);
	if (f->fold_of_row == NULL || f->test_count == NULL)
	{
		aml_folds_free(f);
		return aml_error_nomem(err, "cross-validation folds");
	}
	*out = f;
	return AML_OK;
}

void
aml_folds_free(AmlFolds *folds)
{
	if (folds == NULL)
		return;
	aml_free(folds->fold_of_row);
	aml_free(folds->test_count);
	aml_free(folds);
}

static AmlStatus
check_k(int n_rows, int k, int repeats, AmlError *err)
{
	if (k < 2)
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "k-fold cross-validation needs at least 2 folds, got %d", k);
		return aml_error_hint(err, "Use k = 5 or k = 10, or a holdout split.");
	}
	if (repeats < 1)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "cross-validation needs at least 1 repetition, got %d", repeats);
	if (k > n_rows)
	{
		aml_error(err, AML_ERR_INVALID_DATA,
				  "cannot make %d folds from %d rows", k, n_rows);
		aml_error_detail(err, "Every fold needs at least one row to test on.");
		return aml_error_hint(err, "Use at most %d folds, or more rows.", n_rows);
	}
	return AML_OK;
}

static AmlStatus
check_classes(const double *y, int n_rows, int n_classes, AmlError *err)
{
	if (y == NULL || n_classes < 1)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "stratified splitting needs the class of every row");
	for (int i = 0; i < n_rows; i++)
		if (!(y[i] >= 0 && y[i] < n_classes && y[i] == floor(y[i])))
		{
			aml_error(err, AML_ERR_INVALID_DATA, "invalid class index %g in row %d", y[i], i);
			return aml_error_detail(err, "Class indices must be integers from 0 to %d.",
									n_classes - 1);
		}
	return AML_OK;
}

AmlStatus
aml_kfold(int n_rows, int k, int repeats, AmlRng *rng, AmlFolds **out, AmlError *err)
{
	AmlFolds   *f;
	int		   *perm;

	*out = NULL;
	AML_TRY(check_k(n_rows, k, repeats, err));
	AML_TRY(folds_alloc(n_rows, k, repeats, false, &f, err));
	perm = AML_NEW_ARRAY(int, n_rows);
	if (perm == NULL)
	{
		aml_folds_free(f);
		return aml_error_nomem(err, "cross-validation folds");
	}
	for (int r = 0; r < repeats; r++)
	{
		AmlRng		child;
		int		   *fold = f->fold_of_row + (size_t) r * n_rows;
		int		   *count = f->test_count + (size_t) r * k;
		int			pos = 0;

		aml_rng_derive(rng, (uint64_t) r, &child);
		for (int i = 0; i < n_rows; i++)
			perm[i] = i;
		aml_rng_shuffle(&child, perm, n_rows);
		/* contiguous chunks of the permutation; the first n % k are one larger */
		for (int c = 0; c < k; c++)
		{
			count[c] = n_rows / k + (c < n_rows % k ? 1 : 0);
			for (int m = 0; m < count[c]; m++)
				fold[perm[pos++]] = c;
		}
	}
	aml_free(perm);
	*out = f;
	return AML_OK;
}

AmlStatus
aml_stratified_kfold(const double *y, int n_rows, int n_classes, int k, int repeats,
					 AmlRng *rng, AmlFolds **out, AmlError *err)
{
	AmlFolds   *f;
	int		   *count;
	int		   *start;
	int		   *order;
	int		   *rows;
	int			smallest = -1;

	*out = NULL;
	AML_TRY(check_k(n_rows, k, repeats, err));
	AML_TRY(check_classes(y, n_rows, n_classes, err));
	count = AML_NEW_ARRAY(int, (size_t) 2 * n_classes + 1);
	if (count == NULL)
		return aml_error_nomem(err, "cross-validation folds");
	start = count + n_classes;
	for (int i = 0; i < n_rows; i++)
		count[(int) y[i]]++;
	for (int c = 0; c < n_classes; c++)
		if (count[c] > 0 && (smallest < 0 || count[c] < count[smallest]))
			smallest = c;
	if (count[smallest] < k)
	{
		int			have = count[smallest];

		aml_free(count);
		aml_error(err, AML_ERR_INVALID_DATA,
				  "cannot make %d stratified folds: class %d has only %d row%s",
				  k, smallest, have, have == 1 ? "" : "s");
		aml_error_detail(err, "Stratified %d-fold cross-validation needs at least %d rows "
						 "of every class present.", k, k);
		if (have >= 2)
			return aml_error_hint(err, "Use at most %d folds, or plain (unstratified) "
								  "k-fold cross-validation.", have);
		return aml_error_hint(err, "Use plain (unstratified) k-fold cross-validation, "
							  "or remove or merge the rare class.");
	}
	/* rows grouped by class, in increasing row order within a class */
	start[0] = 0;
	for (int c = 0; c < n_classes; c++)
		start[c + 1] = start[c] + count[c];
	rows = AML_NEW_ARRAY(int, n_rows);
	order = AML_NEW_ARRAY(int, (size_t) n_rows + k);
	if (rows == NULL || order == NULL ||
		folds_alloc(n_rows, k, repeats, true, &f, err) != AML_OK)
	{
		aml_free(count);
		aml_free(rows);
		aml_free(order);
		return aml_error_nomem(err, "cross-validation folds");
	}
	for (int i = 0; i < n_rows; i++)
		order[start[(int) y[i]]++] = i;
	for (int c = n_classes; c > 0; c--)
		start[c] = start[c - 1];
	start[0] = 0;

	for (int r = 0; r < repeats; r++)
	{
		AmlRng		child;
		int		   *fold = f->fold_of_row + (size_t) r * n_rows;
		int		   *tc = f->test_count + (size_t) r * k;
		int		   *label = order + n_rows;

		aml_rng_derive(rng, (uint64_t) r, &child);
		memcpy(rows, order, sizeof(int) * n_rows);
		/* shuffle within each class, then deal the class-grouped sequence round-robin */
		for (int c = 0; c < n_classes; c++)
			aml_rng_shuffle(&child, rows + start[c], count[c]);
		/* which fold gets the extra rows is random too */
		for (int c = 0; c < k; c++)
			label[c] = c;
		aml_rng_shuffle(&child, label, k);
		memset(tc, 0, sizeof(int) * k);
		for (int pos = 0; pos < n_rows; pos++)
		{
			int			fl = label[pos % k];

			fold[rows[pos]] = fl;
			tc[fl]++;
		}
	}
	aml_free(count);
	aml_free(rows);
	aml_free(order);
	*out = f;
	return AML_OK;
}

static AmlStatus
check_test_size(int n_rows, double test_size, int *n_test, AmlError *err)
{
	if (!(test_size > 0.0 && test_size < 1.0))
	{
		aml_error(err, AML_ERR_INVALID_PARAMETER,
				  "test_size must be between 0 and 1 (exclusive), got %g", test_size);
		return aml_error_hint(err, "Use a fraction of the rows such as 0.2 or 0.25.");
	}
	*n_test = (int) ceil(test_size * n_rows);
	if (*n_test < 1 || *n_test >= n_rows)
	{
		aml_error(err, AML_ERR_INVALID_DATA,
				  "a test_size of %g leaves the %s set empty with %d rows", test_size,
				  *n_test < 1 ? "test" : "training", n_rows);
		return aml_error_hint(err, "Use more rows or another test_size.");
	}
	return AML_OK;
}

AmlStatus
aml_holdout(int n_rows, double test_size, const double *y, int n_classes, int repeats,
			AmlRng *rng, AmlFolds **out, AmlError *err)
{
	AmlFolds   *f;
	int			n_test = 0;
	int		   *rows;
	int		   *count = NULL;
	int		   *start = NULL;
	int		   *take = NULL;
	int		   *cursor = NULL;
	double	   *frac = NULL;

	*out = NULL;
	if (repeats < 1)
		return aml_error(err, AML_ERR_INVALID_PARAMETER,
						 "a holdout split needs at least 1 repetition, got %d", repeats);
	AML_TRY(check_test_size(n_rows, test_size, &n_test, err));
	if (y != NULL)
		AML_TRY(check_classes(y, n_rows, n_classes, err));
	AML_TRY(folds_alloc(n_rows, 1, repeats, y != NULL, &f, err));
	rows = AML_NEW_ARRAY(int, n_rows);
	if (y != NULL)
	{
		count = AML_NEW_ARRAY(int, (size_t) 4 * n_classes + 1);
		frac = AML_NEW_ARRAY(double, n_classes);
	}
	if (rows == NULL || (y != NULL && (count == NULL || frac == NULL)))
	{
		aml_free(rows);
		aml_free(count);
		aml_free(frac);
		aml_folds_free(f);
		return aml_error_nomem(err, "a holdout split");
	}
	if (y != NULL)
	{
		int			assigned = 0;

		start = count + n_classes;
		take = start + n_classes + 1;
		cursor = take + n_classes;
		for (int i = 0; i < n_rows; i++)
			count[(int) y[i]]++;
		/* test rows per class: floor of the proportional share, then largest remainders */
		for (int c = 0; c < n_classes; c++)
		{
			double		share = (double) count[c] * n_test / n_rows;

			take[c] = (int) floor(share);
			frac[c] = share - take[c];
			assigned += take[c];
		}
		while (assigned < n_test)
		{
			int			best = -1;

			for (int c = 0; c < n_classes; c++)
				if (take[c] < count[c] && (best < 0 || frac[c] > frac[best]))
					best = c;
			take[best]++;
			frac[best] = -1.0;
			assigned++;
		}
		start[0] = 0;
		for (int c = 0; c < n_classes; c++)
			start[c + 1] = start[c] + count[c];
	}
	for (int r = 0; r < repeats; r++)
	{
		AmlRng		child;
		int		   *fold = f->fold_of_row + (size_t) r * n_rows;

		aml_rng_derive(rng, (uint64_t) r, &child);
		for (int i = 0; i < n_rows; i++)
			fold[i] = -1;
		if (y == NULL)
		{
			for (int i = 0; i < n_rows; i++)
				rows[i] = i;
			aml_rng_shuffle(&child, rows, n_rows);
			for (int m = 0; m < n_test; m++)
				fold[rows[m]] = 0;
		}
		else
		{
			/* group rows by class (increasing order), shuffle each group, test = its head */
			memcpy(cursor, start, sizeof(int) * n_classes);
			for (int i = 0; i < n_rows; i++)
				rows[cursor[(int) y[i]]++] = i;
			for (int c = 0; c < n_classes; c++)
			{
				aml_rng_shuffle(&child, rows + start[c], count[c]);
				for (int m = 0; m < take[c]; m++)
					fold[rows[start[c] + m]] = 0;
			}
		}
		f->test_count[r] = n_test;
	}
	aml_free(rows);
	aml_free(count);
	aml_free(frac);
	*out = f;
	return AML_OK;
}

AmlStatus
aml_folds_for_task(AmlTask task, const double *y, int n_rows, int n_classes, int k,
				   int repeats, AmlRng *rng, AmlFolds **out, AmlError *err)
{
	if (task == AML_TASK_CLASSIFICATION)
		return aml_stratified_kfold(y, n_rows, n_classes, k, repeats, rng, out, err);
	return aml_kfold(n_rows, k, repeats, rng, out, err);
}

int
aml_folds_n_splits(const AmlFolds *folds)
{
	return folds->repeats * folds->k;
}

int
aml_folds_test_count(const AmlFolds *folds, int split)
{
	return folds->test_count[split];
}

int
aml_folds_train_count(const AmlFolds *folds, int split)
{
	return folds->n_rows - folds->test_count[split];
}

void
aml_folds_indices(const AmlFolds *folds, int split, int *train, int *test)
{
	int			r = split / folds->k;
	int			f = split % folds->k;
	const int  *fold = folds->fold_of_row + (size_t) r * folds->n_rows;
	int			a = 0;
	int			b = 0;

	for (int i = 0; i < folds->n_rows; i++)
	{
		if (fold[i] == f)
		{
			if (test)
				test[b] = i;
			b++;
		}
		else
		{
			if (train)
				train[a] = i;
			a++;
		}
	}
}

AmlStatus
aml_folds_split(const AmlFolds *folds, int split, AmlSplit *out, AmlError *err)
{
	memset(out, 0, sizeof(*out));
	if (split < 0 || split >= aml_folds_n_splits(folds))
		return aml_error(err, AML_ERR_INVALID_PARAMETER, "split %d does not exist (%d splits)",
						 split, aml_folds_n_splits(folds));
	out->n_test = aml_folds_test_count(folds, split);
	out->n_train = aml_folds_train_count(folds, split);
	out->test = AML_NEW_ARRAY(int, out->n_test > 0 ? out->n_test : 1);
	out->train = AML_NEW_ARRAY(int, out->n_train > 0 ? out->n_train : 1);
	if (out->test == NULL || out->train == NULL)
	{
		aml_split_free(out);
		return aml_error_nomem(err, "a train/test split");
	}
	aml_folds_indices(folds, split, out->train, out->test);
	return AML_OK;
}

void
aml_split_free(AmlSplit *split)
{
	if (split == NULL)
		return;
	aml_free(split->train);
	aml_free(split->test);
	memset(split, 0, sizeof(*split));
}

AmlStatus
aml_train_test_split(int n_rows, double test_size, const double *y, int n_classes,
					 AmlRng *rng, AmlSplit *out, AmlError *err)
{
	AmlFolds   *f;
	AmlStatus	st;

	memset(out, 0, sizeof(*out));
	AML_TRY(aml_holdout(n_rows, test_size, y, n_classes, 1, rng, &f, err));
	st = aml_folds_split(f, 0, out, err);
	aml_folds_free(f);
	return st;
}
