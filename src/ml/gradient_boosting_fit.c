/*
 * gradient_boosting_fit.c — fitting histogram gradient boosting: binning,
 * the validation split, the boosting rounds with early stopping, leaf refits
 * and the fitted state they leave (gradient_boosting.c explains the rules).
 */
#include "ml/gradient_boosting_internal.h"
#include "ml/binning.h"
#include "core/memory.h"
#include "core/stats.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ fit */

typedef struct FitContext
{
	int		   *train_rows;
	int		   *val_rows;
	double	   *y_train;
	double	   *y_val;
	AmlBinMapper *bm;
	uint8_t    *Xb;
	uint8_t    *Xb_val;
	uint8_t    *has_missing;
	size_t	   *hoff;
	double	   *raw;
	double	   *raw_val;
	float	   *g;
	float	   *h;
	double	   *scratch;
	double	   *scores;
	int		   *perm;
	uint8_t    *inbag;
	int		   *queue;
	Grower		gr;
	GbState    *state;
	int			cap_nodes;		/* allocated state->nodes */
	int			cap_trees;
} FitContext;

static void
fit_context_free(FitContext *c)
{
	aml_free(c->train_rows);
	aml_free(c->val_rows);
	aml_free(c->y_train);
	aml_free(c->y_val);
	aml_bin_mapper_free(c->bm);
	aml_free(c->Xb);
	aml_free(c->Xb_val);
	aml_free(c->has_missing);
	aml_free(c->hoff);
	aml_free(c->raw);
	aml_free(c->raw_val);
	aml_free(c->g);
	aml_free(c->h);
	aml_free(c->scratch);
	aml_free(c->scores);
	aml_free(c->perm);
	aml_free(c->inbag);
	aml_free(c->queue);
	aml_gb_grower_free(&c->gr);
	aml_gb_state_free(c->state);
}

/*
 * Hold out n_val rows: stratified by class for classification (each class
 * gives its share, rounded by largest remainders), at random otherwise.
 * Both lists come back in increasing row order.
 */
static AmlStatus
validation_split(const double *y, int n, int n_classes, int n_val, AmlRng *rng,
				 int *train_rows, int *val_rows, AmlError *err)
{
	uint8_t    *is_val = AML_NEW_ARRAY(uint8_t, n);
	int		   *rows = AML_NEW_ARRAY(int, n);
	int			nt = 0;
	int			nv = 0;

	if (is_val == NULL || rows == NULL)
	{
		aml_free(is_val);
		aml_free(rows);
		return aml_error_nomem(err, "the validation split");
	}
	if (n_classes > 0)
	{
		int		   *count = AML_NEW_ARRAY(int, n_classes);
		int		   *take = AML_NEW_ARRAY(int, n_classes);
		double	   *rem = AML_NEW_ARRAY(double, n_classes);
		int			assigned = 0;

		if (count == NULL || take == NULL || rem == NULL)
		{
			aml_free(count);
			aml_free(take);
			aml_free(rem);
			aml_free(is_val);
			aml_free(rows);
			return aml_error_nomem(err, "the validation split");
		}
		for (int i = 0; i < n; i++)
			count[(int) y[i]]++;
		for (int c = 0; c < n_classes; c++)
		{
			double		share = (double) count[c] * n_val / n;

			take[c] = (int) floor(share);
			rem[c] = share - take[c];
			assigned += take[c];
		}
		while (assigned < n_val)
		{
			int			best = -1;

			for (int c = 0; c < n_classes; c++)
				if (take[c] < count[c] && (best < 0 || rem[c] > rem[best]))
					best = c;
			if (best < 0)
				break;
			take[best]++;
			rem[best] = -1;
			assigned++;
		}
		/* rows grouped by class (counting sort), each group shuffled */
		{
			int			pos = 0;

			for (int c = 0; c < n_classes; c++)
			{
				int			m = count[c];

				count[c] = pos;
				pos += m;
			}
			for (int i = 0; i < n; i++)
				rows[count[(int) y[i]]++] = i;
			pos = 0;
			for (int c = 0; c < n_classes; c++)
			{
				int			m = count[c] - pos;

				aml_rng_shuffle(rng, rows + pos, m);
				for (int i = 0; i < take[c]; i++)
					is_val[rows[pos + i]] = 1;
				pos = count[c];
			}
		}
		aml_free(count);
		aml_free(take);
		aml_free(rem);
	}
	else
	{
		for (int i = 0; i < n; i++)
			rows[i] = i;
		aml_rng_shuffle(rng, rows, n);
		for (int i = 0; i < n_val; i++)
			is_val[rows[i]] = 1;
	}
	for (int i = 0; i < n; i++)
	{
		if (is_val[i])
			val_rows[nv++] = i;
		else
			train_rows[nt++] = i;
	}
	aml_free(is_val);
	aml_free(rows);
	return AML_OK;
}

/* scikit-learn's _should_stop on the scores (negative losses) so far */
static bool
should_stop(const double *scores, int n_scores, int n_iter_no_change, double tol)
{
	int			ref = n_iter_no_change + 1;
	double		reference;

	if (n_scores < ref)
		return false;
	reference = scores[n_scores - ref] + tol;
	for (int i = n_scores - ref + 1; i < n_scores; i++)
		if (scores[i] > reference)
			return false;
	return true;
}

/* Append the grown tree to the state in compact form (breadth-first, children adjacent). */
static AmlStatus
emit_tree(FitContext *c, const AmlBinMapper *bm, AmlError *err)
{
	Grower	   *gr = &c->gr;
	GbState    *s = c->state;
	int			qlen = 1;
	int			base = s->n_nodes;
	int			depth = 0;

	if (s->n_trees + 2 > c->cap_trees)
	{
		int			cap = c->cap_trees * 2 + 16;
		int		   *a = aml_realloc(s->tree_start, sizeof(int) * (size_t) cap);
		int		   *d;

		if (a == NULL)
			return aml_error_nomem(err, "trees");
		s->tree_start = a;
		d = aml_realloc(s->tree_depth, sizeof(int) * (size_t) cap);
		if (d == NULL)
			return aml_error_nomem(err, "trees");
		s->tree_depth = d;
		c->cap_trees = cap;
	}
	if (base + gr->n_nodes > c->cap_nodes)
	{
		int			cap = c->cap_nodes * 2 > base + gr->n_nodes ? c->cap_nodes * 2
			: base + gr->n_nodes + 1024;
		GbNode	   *a = aml_realloc(s->nodes, sizeof(GbNode) * (size_t) cap);
		double	   *v;

		if (a == NULL)
			return aml_error_nomem(err, "tree nodes");
		s->nodes = a;
		v = aml_realloc(s->leaf_value, sizeof(double) * (size_t) cap);
		if (v == NULL)
			return aml_error_nomem(err, "tree nodes");
		s->leaf_value = v;
		c->cap_nodes = cap;
	}
	c->queue[0] = 0;
	for (int q = 0; q < qlen; q++)
	{
		const GNode *nd = &gr->nodes[c->queue[q]];
		int			i = base + q;
		GbNode	   *out = &s->nodes[i];

		if (nd->left < 0)
		{
			out->thr = INFINITY;
			out->feature = 0;
			out->child = -i;
			s->leaf_value[i] = nd->out;
			depth = nd->depth > depth ? nd->depth : depth;
		}
		else
		{
			out->feature = nd->split.feature;
			out->thr = aml_bin_threshold(bm, nd->split.feature, nd->split.bin);
			out->child = nd->split.missing_left ? -(base + qlen) : base + qlen;
			s->leaf_value[i] = 0;
			c->queue[qlen++] = nd->left;
			c->queue[qlen++] = nd->left + 1;
		}
	}
	s->tree_start[s->n_trees] = base;
	s->tree_depth[s->n_trees] = depth;
	s->n_nodes = base + qlen;
	s->n_trees++;
	s->tree_start[s->n_trees] = s->n_nodes;
	return AML_OK;
}

/* leaf values of absolute_error / huber from the residuals of the leaf's rows */
static void
refit_leaves(Grower *gr, int loss, const double *y, const double *raw, double delta,
			 double *scratch)
{
	for (int li = 0; li < gr->n_nodes; li++)
	{
		GNode	   *nd = &gr->nodes[li];
		const uint32_t *idx = gr->part + nd->start;
		int			m = nd->count;

		if (nd->left >= 0)
			continue;
		if (m == 0)
		{
			nd->out = 0;
			continue;
		}
		for (int i = 0; i < m; i++)
			scratch[i] = y[idx[i]] - raw[idx[i]];
		if (loss == LOSS_ABSOLUTE)
			nd->out = aml_median_inplace(scratch, m);
		else
		{
			double		med = aml_gb_lower_percentile(scratch, m, 50.0);
			double		sum = 0;

			for (int i = 0; i < m; i++)
			{
				double		d = y[idx[i]] - raw[idx[i]] - med;
				double		a = fabs(d) < delta ? fabs(d) : delta;

				sum += d > 0 ? a : (d < 0 ? -a : 0);
			}
			nd->out = med + sum / m;
		}
	}
}

AmlStatus
aml_gb_fit(AmlEstimator *est, const AmlMatrix *X, const double *y, AmlRng *rng, AmlError *err)
{
	const GbParams *P = (const GbParams *) est->params;
	FitContext	c;
	Grower	   *gr = &c.gr;
	GbState    *s;
	int			n = X->rows;
	int			p = X->cols;
	int			loss;
	int			K;
	int			nt;
	int			nv = 0;
	bool		early;
	bool		use_val = false;
	int			n_scores = 0;
	double		delta = 0;
	double		lr = P->learning_rate;
	AmlRng		stream;
	AmlStatus	st = AML_OK;

	memset(&c, 0, sizeof(c));
	if (p < 1)
		return aml_error(err, AML_ERR_INVALID_DATA, "gradient_boosting needs at least one feature");

	/* loss and trees per round */
	if (est->task == AML_TASK_CLASSIFICATION)
	{
		if (P->loss != GB_LOSS_AUTO && P->loss != GB_LOSS_LOG_LOSS)
		{
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "loss \"%s\" of gradient_boosting is for regression",
					  aml_gb_loss_choices[P->loss]);
			return aml_error_hint(err, "Use \"log_loss\" (or \"auto\") for classification.");
		}
		loss = est->n_classes == 2 ? LOSS_BINARY : LOSS_MULTINOMIAL;
		K = est->n_classes == 2 ? 1 : est->n_classes;
	}
	else
	{
		if (P->loss == GB_LOSS_LOG_LOSS)
		{
			aml_error(err, AML_ERR_INVALID_PARAMETER,
					  "loss \"log_loss\" of gradient_boosting is for classification");
			return aml_error_hint(err, "Use \"squared_error\", \"absolute_error\" or \"huber\" "
								  "for regression.");
		}
		loss = P->loss == GB_LOSS_ABSOLUTE_ERROR ? LOSS_ABSOLUTE
			: P->loss == GB_LOSS_HUBER ? LOSS_HUBER : LOSS_SQUARED;
		K = 1;
	}

	/* training / validation rows */
	early = P->early_stopping == GB_ES_ON || (P->early_stopping == GB_ES_AUTO && n > 10000);
	nt = n;
	if (early)
	{
		nv = (int) ceil(P->validation_fraction * n);
		if (nv >= 1 && n - nv >= 1)
		{
			use_val = true;
			c.train_rows = AML_NEW_ARRAY(int, n);
			c.val_rows = AML_NEW_ARRAY(int, nv);
			if (c.train_rows == NULL || c.val_rows == NULL)
			{
				st = aml_error_nomem(err, "the validation split");
				goto done;
			}
			aml_rng_derive(rng, 1, &stream);
			if ((st = validation_split(y, n, est->task == AML_TASK_CLASSIFICATION ? est->n_classes : 0,
									   nv, &stream, c.train_rows, c.val_rows, err)) != AML_OK)
				goto done;
			nt = n - nv;
		}
		else
			nv = 0;				/* too few rows: score the training loss instead */
	}
	c.y_train = AML_NEW_ARRAY(double, nt);
	c.y_val = AML_NEW_ARRAY(double, nv > 0 ? nv : 1);
	if (c.y_train == NULL || c.y_val == NULL)
		goto nomem;
	for (int i = 0; i < nt; i++)
		c.y_train[i] = y[use_val ? c.train_rows[i] : i];
	for (int i = 0; i < nv; i++)
		c.y_val[i] = y[c.val_rows[i]];

	/* binning */
	aml_rng_derive(rng, 2, &stream);
	if ((st = aml_bin_mapper_fit(X, use_val ? c.train_rows : NULL, nt, P->max_bins, &stream,
								 &c.bm, err)) != AML_OK)
		goto done;
	c.Xb = aml_alloc((size_t) nt * (size_t) (p > 0 ? p : 1));
	c.Xb_val = aml_alloc((size_t) (nv > 0 ? nv : 1) * (size_t) (p > 0 ? p : 1));
	c.has_missing = AML_NEW_ARRAY(uint8_t, p > 0 ? p : 1);
	c.hoff = AML_NEW_ARRAY(size_t, p + 1);
	if (c.Xb == NULL || c.Xb_val == NULL || c.has_missing == NULL || c.hoff == NULL)
		goto nomem;
	aml_bin_mapper_transform(c.bm, X, use_val ? c.train_rows : NULL, nt, c.Xb, c.has_missing);
	if (nv > 0)
		aml_bin_mapper_transform(c.bm, X, c.val_rows, nv, c.Xb_val, NULL);
	/* missing values to the bin just after the feature's last one (compact histograms) */
	for (int j = 0; j < p; j++)
	{
		uint8_t		from = (uint8_t) P->max_bins;
		uint8_t		to = (uint8_t) c.bm->n_bins[j];
		uint8_t    *col = c.Xb + (size_t) j * (size_t) nt;

		if (from == to)
			continue;
		if (c.has_missing[j])
			for (int i = 0; i < nt; i++)
				col[i] = col[i] == from ? to : col[i];
		col = c.Xb_val + (size_t) j * (size_t) nv;
		for (int i = 0; i < nv; i++)
			col[i] = col[i] == from ? to : col[i];
	}

	/* state */
	c.state = s = AML_NEW(GbState);
	if (s == NULL)
		goto nomem;
	s->loss = loss;
	s->K = K;
	s->baseline = AML_NEW_ARRAY(double, K);
	s->importances = AML_NEW_ARRAY(double, p > 0 ? p : 1);
	c.cap_trees = 16;
	s->tree_start = AML_NEW_ARRAY(int, c.cap_trees);
	s->tree_depth = AML_NEW_ARRAY(int, c.cap_trees);
	if (s->baseline == NULL || s->importances == NULL || s->tree_start == NULL ||
		s->tree_depth == NULL)
		goto nomem;

	/* working arrays */
	c.raw = AML_NEW_ARRAY(double, (size_t) K * (size_t) nt);
	c.raw_val = AML_NEW_ARRAY(double, (size_t) K * (size_t) (nv > 0 ? nv : 1));
	c.g = AML_NEW_ARRAY(float, (size_t) K * (size_t) nt);
	c.h = AML_NEW_ARRAY(float, (size_t) K * (size_t) nt);
	c.scratch = AML_NEW_ARRAY(double, nt > K ? nt : K);
	c.scores = AML_NEW_ARRAY(double, (size_t) P->max_iter + 1);
	c.queue = AML_NEW_ARRAY(int, 2 * (size_t) nt + 1);
	if (c.raw == NULL || c.raw_val == NULL || c.g == NULL || c.h == NULL || c.scratch == NULL ||
		c.scores == NULL || c.queue == NULL)
		goto nomem;

	/* baseline: the intercept-only model of the loss */
	switch (loss)
	{
		case LOSS_BINARY:
			{
				double		mean = 0;
				double		eps = 10 * DBL_EPSILON;

				for (int i = 0; i < nt; i++)
					mean += c.y_train[i];
				mean /= nt;
				if (mean < eps)
					mean = eps;
				if (mean > 1 - eps)
					mean = 1 - eps;
				s->baseline[0] = log(mean / (1 - mean));
				break;
			}
		case LOSS_MULTINOMIAL:
			{
				double		mean_log = 0;

				for (int k = 0; k < K; k++)
					s->baseline[k] = 0;
				for (int i = 0; i < nt; i++)
					s->baseline[(int) c.y_train[i]] += 1;
				for (int k = 0; k < K; k++)
				{
					double		pk = s->baseline[k] / nt;

					if (pk < DBL_EPSILON)
						pk = DBL_EPSILON;
					if (pk > 1 - DBL_EPSILON)
						pk = 1 - DBL_EPSILON;
					s->baseline[k] = log(pk);
					mean_log += s->baseline[k];
				}
				mean_log /= K;
				for (int k = 0; k < K; k++)
					s->baseline[k] -= mean_log;
				break;
			}
		case LOSS_SQUARED:
			{
				double		mean = 0;

				for (int i = 0; i < nt; i++)
					mean += c.y_train[i];
				s->baseline[0] = mean / nt;
				break;
			}
		default:
			memcpy(c.scratch, c.y_train, sizeof(double) * (size_t) nt);
			s->baseline[0] = aml_median_inplace(c.scratch, nt);
			break;
	}
	for (int k = 0; k < K; k++)
	{
		for (int i = 0; i < nt; i++)
			c.raw[(size_t) k * nt + i] = s->baseline[k];
		for (int i = 0; i < nv; i++)
			c.raw_val[(size_t) k * nv + i] = s->baseline[k];
	}

	/* grower */
	gr->nt = nt;
	gr->p = p;
	/* one histogram slot per bin and one for missing values, per feature */
	for (int j = 0; j < p; j++)
		c.hoff[j + 1] = c.hoff[j] + (size_t) c.bm->n_bins[j] + 1;
	gr->hoff = c.hoff;
	gr->Xb = c.Xb;
	gr->n_bins = c.bm->n_bins;
	gr->has_missing = c.has_missing;
	gr->max_leaf_nodes = P->max_leaf_nodes == AML_PARAM_NONE_INT ? 0 : P->max_leaf_nodes;
	gr->max_depth = P->max_depth == AML_PARAM_NONE_INT ? 0 : P->max_depth;
	gr->min_samples_leaf = P->min_samples_leaf;
	gr->l2 = P->l2_regularization;
	gr->hess_const = loss != LOSS_BINARY && loss != LOSS_MULTINOMIAL;
	gr->importances = s->importances;
	gr->part = AML_NEW_ARRAY(uint32_t, nt);
	gr->buf = AML_NEW_ARRAY(uint32_t, nt);
	gr->og = AML_NEW_ARRAY(float, nt);
	gr->oh = AML_NEW_ARRAY(float, nt);
	if (gr->part == NULL || gr->buf == NULL || gr->og == NULL || gr->oh == NULL)
		goto nomem;
	if (P->subsample < 1.0)
	{
		c.perm = AML_NEW_ARRAY(int, nt);
		c.inbag = AML_NEW_ARRAY(uint8_t, nt);
		if (c.perm == NULL || c.inbag == NULL)
			goto nomem;
		for (int i = 0; i < nt; i++)
			c.perm[i] = i;
	}

	if (early)
	{
		/*
		 * the score of the baseline comes first, as in scikit-learn; huber's
		 * threshold is then that of the baseline's residuals, as the first
		 * round's gradients take it (0 would make the baseline's loss 0,
		 * which no round beats)
		 */
		if (loss == LOSS_HUBER)
		{
			for (int i = 0; i < nt; i++)
				c.scratch[i] = fabs(c.y_train[i] - c.raw[i]);
			delta = aml_gb_lower_percentile(c.scratch, nt, P->alpha * 100.0);
		}
		if (nv > 0)
			c.scores[n_scores++] = -aml_gb_mean_loss(loss, K, nv, c.raw_val, c.y_val, delta);
		else
			c.scores[n_scores++] = -aml_gb_mean_loss(loss, K, nt, c.raw, c.y_train, delta);
	}

	for (int it = 0; it < P->max_iter; it++)
	{
		int			m = nt;

		if (aml_interrupted())
		{
			st = aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
			goto done;
		}
		aml_gb_compute_gradients(loss, K, nt, c.raw, c.y_train, c.g, c.h, P->alpha, c.scratch, &delta);

		/* rows of this round */
		if (c.perm != NULL)
		{
			int			taken = 0;

			m = (int) (P->subsample * nt);
			if (m < 1)
				m = 1;
			aml_rng_derive(rng, 1000 + (uint64_t) it, &stream);
			for (int i = 0; i < m; i++)
			{
				int			j = i + (int) aml_rng_below(&stream, (uint64_t) (nt - i));
				int			t = c.perm[i];

				c.perm[i] = c.perm[j];
				c.perm[j] = t;
			}
			memset(c.inbag, 0, (size_t) nt);
			for (int i = 0; i < m; i++)
				c.inbag[c.perm[i]] = 1;
			for (int i = 0; i < nt; i++)
				if (c.inbag[i])
					gr->part[taken++] = (uint32_t) i;
		}

		for (int k = 0; k < K; k++)
		{
			double	   *raw_k = c.raw + (size_t) k * nt;

			if (c.perm == NULL)
				for (int i = 0; i < nt; i++)
					gr->part[i] = (uint32_t) i;
			else if (k > 0)
			{
				int			taken = 0;

				for (int i = 0; i < nt; i++)
					if (c.inbag[i])
						gr->part[taken++] = (uint32_t) i;
			}
			gr->g = c.g + (size_t) k * nt;
			gr->h = c.h + (size_t) k * nt;
			if ((st = aml_gb_grow_tree(gr, m, err)) != AML_OK)
				goto done;
			if (loss == LOSS_ABSOLUTE || loss == LOSS_HUBER)
				refit_leaves(gr, loss, c.y_train, raw_k, delta, c.scratch);
			for (int li = 0; li < gr->n_nodes; li++)
				if (gr->nodes[li].left < 0)
					gr->nodes[li].out *= lr;

			/* raw predictions: rows of the tree by leaf, the others by walking it */
			for (int li = 0; li < gr->n_nodes; li++)
			{
				const GNode *nd = &gr->nodes[li];
				const uint32_t *idx = gr->part + nd->start;

				if (nd->left >= 0)
					continue;
				for (int i = 0; i < nd->count; i++)
					raw_k[idx[i]] += nd->out;
			}
			if (c.perm != NULL)
				for (int i = 0; i < nt; i++)
					if (!c.inbag[i])
						raw_k[i] += aml_gb_grower_leaf(gr, c.Xb, (size_t) nt, (size_t) i)->out;
			for (int i = 0; i < nv; i++)
				c.raw_val[(size_t) k * nv + i] +=
					aml_gb_grower_leaf(gr, c.Xb_val, (size_t) nv, (size_t) i)->out;
			if ((st = emit_tree(&c, c.bm, err)) != AML_OK)
				goto done;
		}
		s->n_iter++;

		if (early)
		{
			double		score;

			if (nv > 0)
				score = -aml_gb_mean_loss(loss, K, nv, c.raw_val, c.y_val, delta);
			else
				score = -aml_gb_mean_loss(loss, K, nt, c.raw, c.y_train, delta);
			c.scores[n_scores++] = score;
			if (should_stop(c.scores, n_scores, P->n_iter_no_change, P->tol))
				break;
		}
	}

	/* importances as fractions of the total gain */
	{
		double		total = 0;

		for (int j = 0; j < p; j++)
			total += s->importances[j];
		if (total > 0)
			for (int j = 0; j < p; j++)
				s->importances[j] /= total;
	}
	/* give back the spare capacity */
	if (s->n_nodes > 0)
	{
		GbNode	   *a = aml_realloc(s->nodes, sizeof(GbNode) * (size_t) s->n_nodes);
		double	   *v = aml_realloc(s->leaf_value, sizeof(double) * (size_t) s->n_nodes);

		if (a != NULL)
			s->nodes = a;
		if (v != NULL)
			s->leaf_value = v;
	}
	est->state = s;
	c.state = NULL;
	goto done;

nomem:
	st = aml_error_nomem(err, "gradient boosting");
done:
	fit_context_free(&c);
	return st;
}
