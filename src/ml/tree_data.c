/*
 * tree_data.c — the data a tree grower prepares once (every feature ranked)
 * and the builder workspace shared by the trees of a forest (tree_internal.h).
 */
#include "ml/tree_internal.h"
#include "core/memory.h"

#include <limits.h>
#include <string.h>

/* ------------------------------------------------------------ ranking */

static inline uint64_t
double_key(double v)
{
	uint64_t	bits;

	v += 0.0;					/* -0.0 -> +0.0 */
	memcpy(&bits, &v, sizeof(bits));
	return (bits >> 63) ? ~bits : (bits | ((uint64_t) 1 << 63));
}

/* ------------------------------------------------------------ prepared data */

AmlStatus
aml_tree_data_create(const AmlMatrix *X, const double *y, int n_classes, bool ranks,
					 AmlTreeData **out, AmlError *err)
{
	int			n = X->rows;
	int			p = X->cols;
	AmlTreeData *d;
	uint64_t   *key = NULL;
	uint64_t   *key_tmp = NULL;
	uint32_t   *idx = NULL;
	uint32_t   *idx_tmp = NULL;
	size_t		n_values = 0;
	size_t		values_cap;

	*out = NULL;
	if (n < 1 || p < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "a tree needs at least one row and one feature");
	d = AML_NEW(AmlTreeData);
	if (d == NULL)
		return aml_error_nomem(err, "tree training data");
	d->n_rows = n;
	d->n_features = p;
	d->n_classes = n_classes;
	d->y = y;
	d->has_missing = AML_NEW_ARRAY(bool, p);
	if (n_classes > 0)
		d->cls = AML_NEW_ARRAY(int32_t, n);
	if (d->has_missing == NULL || (n_classes > 0 && d->cls == NULL))
		goto nomem;
	if (n_classes > 0)
		for (int i = 0; i < n; i++)
			d->cls[i] = (int32_t) y[i];
	if (!ranks)
	{
		/* the random splitter reads the values themselves */
		d->xr = AML_NEW_ARRAY(double, (size_t) n * (size_t) p);
		if (d->xr == NULL)
			goto nomem;
		for (int j = 0; j < p; j++)
		{
			const double *col = AML_COL(X, j);

			for (int i = 0; i < n; i++)
			{
				d->xr[(size_t) j * (size_t) n + i] = col[i];
				if (isnan(col[i]))
					d->has_missing[j] = true;
			}
		}
		*out = d;
		return AML_OK;
	}
	values_cap = (size_t) n < 1024 ? (size_t) n * (size_t) p : (size_t) n * 2;
	d->codes = aml_alloc_array((size_t) n * (size_t) p, sizeof(uint32_t));
	d->value_start = AML_NEW_ARRAY(size_t, p + 1);
	d->values = AML_NEW_ARRAY(double, values_cap);
	key = AML_NEW_ARRAY(uint64_t, n);
	key_tmp = AML_NEW_ARRAY(uint64_t, n);
	idx = AML_NEW_ARRAY(uint32_t, n);
	idx_tmp = AML_NEW_ARRAY(uint32_t, n);
	if (d->codes == NULL || d->value_start == NULL || d->values == NULL || key == NULL ||
		key_tmp == NULL || idx == NULL || idx_tmp == NULL)
		goto nomem;

	for (int j = 0; j < p; j++)
	{
		const double *col = AML_COL(X, j);
		uint32_t   *codes = d->codes + (size_t) j * (size_t) n;	/* column j */
		int			m = 0;
		uint32_t	code = 0;

		for (int i = 0; i < n; i++)
		{
			if (isnan(col[i]))
			{
				codes[i] = CODE_MISSING;
				d->has_missing[j] = true;
				continue;
			}
			key[m] = double_key(col[i]);
			idx[m] = (uint32_t) i;
			m++;
		}
		aml_tree_sort_pairs(key, idx, key_tmp, idx_tmp, m);
		d->value_start[j] = n_values;
		if (n_values + (size_t) m > values_cap)
		{
			size_t		cap = values_cap * 2 > n_values + (size_t) m ?
				values_cap * 2 : n_values + (size_t) m;
			double	   *v = aml_realloc(d->values, cap * sizeof(double));

			if (v == NULL)
				goto nomem;
			d->values = v;
			values_cap = cap;
		}
		for (int k = 0; k < m; k++)
		{
			if (k > 0 && key[k] != key[k - 1])
				code++;
			if (k == 0 || key[k] != key[k - 1])
				d->values[n_values + code] = col[idx[k]] + 0.0;
			codes[idx[k]] = code;
		}
		if (m > 0)
			n_values += (size_t) code + 1;
		if (m > 0 && (int) code + 1 > d->max_distinct)
			d->max_distinct = (int) code + 1;
	}
	d->value_start[p] = n_values;
	d->tight = AML_NEW_ARRAY(uint64_t, n_values / 64 + 1);
	if (d->tight == NULL)
		goto nomem;
	for (int j = 0; j < p; j++)
		for (size_t c = d->value_start[j]; c + 1 < d->value_start[j + 1]; c++)
			if (d->values[c + 1] <= d->values[c] + FEATURE_THRESHOLD)
				d->tight[c >> 6] |= (uint64_t) 1 << (c & 63);
	aml_free(key);
	aml_free(key_tmp);
	aml_free(idx);
	aml_free(idx_tmp);
	*out = d;
	return AML_OK;

nomem:
	aml_free(key);
	aml_free(key_tmp);
	aml_free(idx);
	aml_free(idx_tmp);
	aml_tree_data_free(d);
	return aml_error_nomem(err, "tree training data");
}

void
aml_tree_data_free(AmlTreeData *d)
{
	if (d == NULL)
		return;
	aml_free(d->codes);
	aml_free(d->xr);
	aml_free(d->values);
	aml_free(d->value_start);
	aml_free(d->has_missing);
	aml_free(d->tight);
	aml_free(d->cls);
	aml_free(d);
}

/* ------------------------------------------------------------------ builder */

AmlStatus
aml_tree_builder_create(const AmlTreeData *data, const AmlTreeConfig *config,
						AmlTreeBuilder **out, AmlError *err)
{
	AmlTreeBuilder *b;
	int			n = data->n_rows;
	int			p = data->n_features;
	int			S;
	size_t		cap;

	*out = NULL;
	if (config->max_features < 1 || config->max_features > p ||
		config->min_samples_leaf < 1 || config->min_samples_split < 2 ||
		!(config->min_impurity_decrease >= 0))
		return aml_error(err, AML_ERR_INTERNAL, "invalid tree configuration");
	if ((data->n_classes > 0) != (config->criterion != AML_TREE_SQUARED_ERROR))
		return aml_error(err, AML_ERR_INTERNAL, "tree criterion does not match the task");
	if (config->splitter == AML_TREE_BEST && data->codes == NULL)
		return aml_error(err, AML_ERR_INTERNAL, "the best splitter needs ranked tree data");
	b = AML_NEW(AmlTreeBuilder);
	if (b == NULL)
		return aml_error_nomem(err, "a tree builder");
	b->data = data;
	b->cfg = *config;
	b->classification = data->n_classes > 0;
	b->n_classes = b->classification ? data->n_classes : 1;
	b->n_rows = n;
	b->n_features = p;
	S = b->classification ? b->n_classes : 2;

	b->weight = AML_NEW_ARRAY(int, n);
	b->rows = AML_NEW_ARRAY(int, n);
	b->rows_tmp = AML_NEW_ARRAY(int, n);
	b->pw = AML_NEW_ARRAY(double, n);
	if (b->classification)
		b->pcls = AML_NEW_ARRAY(int32_t, n);
	else
		b->py = AML_NEW_ARRAY(double, n);
	b->lgo = AML_NEW_ARRAY(uint8_t, n);
	if (config->splitter == AML_TREE_RANDOM)
	{
		b->lx = AML_NEW_ARRAY(double, n);
		b->lx_best = AML_NEW_ARRAY(double, n);
	}
	else
	{
		b->lcode = AML_NEW_ARRAY(uint32_t, n);
		b->lcode_best = AML_NEW_ARRAY(uint32_t, n);
	}
	b->keys = AML_NEW_ARRAY(uint64_t, n);
	b->keys_tmp = AML_NEW_ARRAY(uint64_t, n);
	cap = (size_t) (data->max_distinct > 0 ? data->max_distinct : 1);
	if (cap * (size_t) S > HIST_MAX_DOUBLES)
		cap = HIST_MAX_DOUBLES / (size_t) S;
	b->hist_cap = (int) cap;
	b->hist_n = AML_NEW_ARRAY(int, cap);
	b->hist_s = AML_NEW_ARRAY(double, cap * (size_t) S);
	b->features = AML_NEW_ARRAY(int, p);
	b->constant_features = AML_NEW_ARRAY(int, p);
	b->tot = AML_NEW_ARRAY(double, b->n_classes);
	b->mis = AML_NEW_ARRAY(double, b->n_classes);
	b->left = AML_NEW_ARRAY(double, b->n_classes);
	b->lanes = AML_NEW_ARRAY(double, 4 * (size_t) b->n_classes);
	b->imp = AML_NEW_ARRAY(double, p);
	b->nodes_cap = 64;
	b->nodes = AML_NEW_ARRAY(AmlTreeNode, b->nodes_cap);
	b->leaves_cap = 32;
	b->leafvals = AML_NEW_ARRAY(double, (size_t) b->leaves_cap * (size_t) b->n_classes);
	b->stack_cap = 64;
	b->stack = AML_NEW_ARRAY(StackEntry, b->stack_cap);
	if (b->weight == NULL || b->rows == NULL || b->rows_tmp == NULL || b->pw == NULL ||
		(b->classification ? b->pcls == NULL : b->py == NULL) || b->lgo == NULL ||
		(config->splitter == AML_TREE_RANDOM ? (b->lx == NULL || b->lx_best == NULL) :
		 (b->lcode == NULL || b->lcode_best == NULL)) || b->keys == NULL || b->keys_tmp == NULL || b->hist_n == NULL ||
		b->hist_s == NULL || b->features == NULL || b->constant_features == NULL ||
		b->tot == NULL || b->mis == NULL || b->left == NULL || b->lanes == NULL || b->imp == NULL ||
		b->nodes == NULL || b->leafvals == NULL || b->stack == NULL)
	{
		aml_tree_builder_free(b);
		return aml_error_nomem(err, "a tree builder");
	}
	*out = b;
	return AML_OK;
}

void
aml_tree_builder_free(AmlTreeBuilder *b)
{
	if (b == NULL)
		return;
	aml_free(b->weight);
	aml_free(b->rows);
	aml_free(b->rows_tmp);
	aml_free(b->pcls);
	aml_free(b->py);
	aml_free(b->pw);
	aml_free(b->lgo);
	aml_free(b->lx);
	aml_free(b->lx_best);
	aml_free(b->lcode);
	aml_free(b->lcode_best);
	aml_free(b->keys);
	aml_free(b->keys_tmp);
	aml_free(b->hist_n);
	aml_free(b->hist_s);
	aml_free(b->features);
	aml_free(b->constant_features);
	aml_free(b->tot);
	aml_free(b->mis);
	aml_free(b->left);
	aml_free(b->lanes);
	aml_free(b->xlogx);
	aml_free(b->imp);
	aml_free(b->nodes);
	aml_free(b->leafvals);
	aml_free(b->stack);
	aml_free(b);
}
