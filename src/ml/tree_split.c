/*
 * tree_split.c — the split search of one node (tree_internal.h): impurities,
 * the proxies of candidate splits, the best and random splitters and the
 * feature draw.
 */
#include "ml/tree_internal.h"
#include "ml/split_scan.h"

#include <string.h>

/* ------------------------------------------------------ impurity and proxies */

double
aml_tree_class_impurity(const AmlTreeBuilder *b, const double *c, double w)
{
	double		s = 0;

	if (b->cfg.criterion == AML_TREE_GINI)
	{
		for (int k = 0; k < b->n_classes; k++)
			s += c[k] * c[k];
		return 1.0 - s / (w * w);
	}
	for (int k = 0; k < b->n_classes; k++)
		if (c[k] > 0)
		{
			double		q = c[k] / w;

			s -= q * log2(q);
		}
	return s;
}

static inline bool
better(const Split *best, double proxy, int f)
{
	return proxy > best->proxy || (proxy == best->proxy && f < best->feature);
}

static inline double
midpoint(double a, double b)
{
	double		t = a / 2.0 + b / 2.0;

	if (t == b || isinf(t))
		t = a;
	return t;
}

/* Can the scan split between codes c < cn of the feature whose values start at base? */
static inline bool
gap_ok(const AmlTreeData *d, size_t base, uint32_t c, uint32_t cn)
{
	size_t		bit = base + c;

	if (((d->tight[bit >> 6] >> (bit & 63)) & 1) == 0)
		return true;
	return d->values[base + cn] > d->values[base + c] + FEATURE_THRESHOLD;
}

/*
 * The threshold of a candidate: the midpoint between distinct values c and
 * cn (vals != NULL, computed only when the candidate wins) or thr itself.
 */
#define CANDIDATE_THRESHOLD(vals, c, cn, thr) \
	((vals) != NULL ? midpoint((vals)[c], (vals)[cn]) : (thr))

/*
 * Gini sums of a classification split: sl = sum_k l_k^2 over the left
 * child's class weights l (L, + missing when with_m), sr the same for the
 * right child (the rest of the node).  The proxy is sl / wl + sr / wr.
 */
static inline __attribute__((always_inline)) void
gini_sums(const AmlTreeBuilder *b, const double *L, bool with_m, double *sl_out, double *sr_out)
{
	const double *T = b->tot;
	const double *M = b->mis;
	int			C = b->n_classes;
	double		sl = 0,
				sr = 0;

	if (with_m)
		for (int k = 0; k < C; k++)
		{
			double		l = L[k] + M[k],
						r = T[k] - l;

			sl += l * l;
			sr += r * r;
		}
	else
		for (int k = 0; k < C; k++)
		{
			double		l = L[k],
						r = T[k] - l;

			sl += l * l;
			sr += r * r;
		}
	*sl_out = sl;
	*sr_out = sr;
}

/* Can a proxy a / wl + c / wr beat the best (split_scan.h; better() decides)? */
static inline bool
may_beat(const Split *best, double a, double wl, double c, double wr)
{
	return aml_split_may_beat(a, wl, c, wr, best->proxy * AML_SPLIT_FILTER_SLACK);
}

/*
 * Proxy of a classification split (larger is better): the left child holds
 * L (+ missing when with_m), the right child the rest of the node.  NaN
 * (never better) for a Gini candidate that may_beat rules out.
 */
static inline __attribute__((always_inline)) double
class_proxy(const AmlTreeBuilder *b, const Split *best, const double *L, bool with_m,
			double wl, double wr)
{
	if (b->cfg.criterion == AML_TREE_GINI)
	{
		double		sl,
					sr;

		gini_sums(b, L, with_m, &sl, &sr);
		if (best != NULL && !may_beat(best, sl, wl, sr, wr))
			return NAN;
		return sl / wl + sr / wr;
	}
	else
	{
		const double *xl = b->xlogx;
		const double *T = b->tot;
		const double *M = b->mis;
		double		s = -xl[(size_t) wl] - xl[(size_t) wr];

		for (int k = 0; k < b->n_classes; k++)
		{
			double		l = L[k] + (with_m ? M[k] : 0.0),
						r = T[k] - l;

			s += xl[(size_t) l] + xl[(size_t) r];
		}
		return s;
	}
}

/* The squared-error proxy, NaN (never better) when may_beat rules it out. */
static inline double
reg_proxy(const Split *best, double sl, double wl, double sr, double wr)
{
	if (!may_beat(best, sl * sl, wl, sr * sr, wr))
		return NAN;
	return sl * sl / wl + sr * sr / wr;
}

/*
 * A classification candidate: left = the non-missing rows below threshold
 * `thr` (statistics L, Lw, Ln).
 */
static inline __attribute__((always_inline)) void
class_candidate(const AmlTreeBuilder *b, const double *L, double Lw, int Ln, int f,
				const double *vals, uint32_t c, uint32_t cn, double thr, Split *best)
{
	int			msl = b->cfg.min_samples_leaf;
	int			nL = Ln;
	int			nR = b->Tn - Ln;

	if (nL >= msl && nR >= msl)
	{
		double		proxy = class_proxy(b, best, L, false, Lw, b->Tw - Lw);

		if (better(best, proxy, f))
		{
			best->proxy = proxy;
			best->feature = f;
			best->threshold = CANDIDATE_THRESHOLD(vals, c, cn, thr);
			best->cthr = c;
			best->mleft = b->Mn == 0 ? nL > nR : false;
		}
	}
	if (b->Mn > 0)
	{
		nL = Ln + b->Mn;
		nR = b->Tn - nL;
		if (nL >= msl && nR >= msl)
		{
			double		wl = Lw + b->Mw;
			double		proxy = class_proxy(b, best, L, true, wl, b->Tw - wl);

			if (better(best, proxy, f))
			{
				best->proxy = proxy;
				best->feature = f;
				best->threshold = CANDIDATE_THRESHOLD(vals, c, cn, thr);
				best->cthr = c;
				best->mleft = true;
			}
		}
	}
}

static inline __attribute__((always_inline)) void
reg_candidate(const AmlTreeBuilder *b, double Ls, double Lw, int Ln, int f,
			  const double *vals, uint32_t c, uint32_t cn, double thr, Split *best)
{
	int			msl = b->cfg.min_samples_leaf;
	int			nL = Ln;
	int			nR = b->Tn - Ln;

	if (nL >= msl && nR >= msl)
	{
		double		wr = b->Tw - Lw;
		double		sr = b->Ts - Ls;
		double		proxy = reg_proxy(best, Ls, Lw, sr, wr);

		if (better(best, proxy, f))
		{
			best->proxy = proxy;
			best->feature = f;
			best->threshold = CANDIDATE_THRESHOLD(vals, c, cn, thr);
			best->cthr = c;
			best->mleft = b->Mn == 0 ? nL > nR : false;
		}
	}
	if (b->Mn > 0)
	{
		nL = Ln + b->Mn;
		nR = b->Tn - nL;
		if (nL >= msl && nR >= msl)
		{
			double		wl = Lw + b->Mw;
			double		sl = Ls + b->Ms;
			double		wr = b->Tw - wl;
			double		sr = b->Ts - sl;
			double		proxy = reg_proxy(best, sl, wl, sr, wr);

			if (better(best, proxy, f))
			{
				best->proxy = proxy;
				best->feature = f;
				best->threshold = CANDIDATE_THRESHOLD(vals, c, cn, thr);
				best->cthr = c;
				best->mleft = true;
			}
		}
	}
}

/* The split "non-missing left, missing right" of feature f (Mn > 0, some non-missing). */
static void
missing_only_candidate(AmlTreeBuilder *b, int f, Split *best)
{
	int			msl = b->cfg.min_samples_leaf;
	int			nL = b->Tn - b->Mn;
	int			nR = b->Mn;
	double		wl = b->Tw - b->Mw;
	double		proxy;

	if (nL < msl || nR < msl)
		return;
	if (b->classification)
	{
		for (int k = 0; k < b->n_classes; k++)
			b->left[k] = b->tot[k] - b->mis[k];
		proxy = class_proxy(b, NULL, b->left, false, wl, b->Mw);
	}
	else
	{
		double		sl = b->Ts - b->Ms;

		proxy = sl * sl / wl + b->Ms * b->Ms / b->Mw;
	}
	if (better(best, proxy, f))
	{
		best->proxy = proxy;
		best->feature = f;
		best->threshold = INFINITY;
		best->cthr = CODE_MISSING - 1;
		best->mleft = false;
	}
}

/* ------------------------------------------------------------ split search */

/*
 * Read the codes of feature f for the node's rows: non-missing into keys
 * (code << 32 | position), missing into the Mn/Mw/mis/Ms statistics.
 * Returns the number of non-missing rows; cmin/cmax their code range.
 */
static int
gather_codes(AmlTreeBuilder *b, int f, int start, int m, uint32_t *cmin_out,
			 uint32_t *cmax_out)
{
	const AmlTreeData *d = b->data;
	const uint32_t *col = d->codes + (size_t) f * (size_t) d->n_rows;
	const int  *rows = b->rows + start;
	uint64_t   *keys = b->keys;
	uint32_t   *lcode = b->lcode;
	uint32_t	cmin = UINT32_MAX,
				cmax = 0;
	int			nm = 0;

	b->Mn = 0;
	b->Mw = 0;
	b->Ms = 0;
	if (b->classification)
		memset(b->mis, 0, sizeof(double) * (size_t) b->n_classes);
	if (!d->has_missing[f])
	{
		for (int k = 0; k < m; k++)
		{
			uint32_t	c = col[rows[k]];

			lcode[k] = c;
			keys[k] = ((uint64_t) c << 32) | (uint32_t) k;
			cmin = c < cmin ? c : cmin;
			cmax = c > cmax ? c : cmax;
		}
		nm = m;
	}
	else
	{
		for (int k = 0; k < m; k++)
		{
			uint32_t	c = col[rows[k]];

			lcode[k] = c;
			if (c == CODE_MISSING)
			{
				double		w = b->lw[k];

				b->Mn++;
				b->Mw += w;
				if (b->classification)
					b->mis[b->lcls[k]] += w;
				else
					b->Ms += w * b->ly[k];
				continue;
			}
			keys[nm++] = ((uint64_t) c << 32) | (uint32_t) k;
			cmin = c < cmin ? c : cmin;
			cmax = c > cmax ? c : cmax;
		}
	}
	*cmin_out = cmin;
	*cmax_out = cmax;
	return nm;
}

/* Best threshold of feature f over the node's rows; false when f is constant there. */
static bool
best_split_feature(AmlTreeBuilder *b, int f, int start, int m, Split *best)
{
	const AmlTreeData *d = b->data;
	size_t		base = d->value_start[f];
	const double *vals = d->values + base;
	uint32_t	cmin,
				cmax,
				range;
	int			nm = gather_codes(b, f, start, m, &cmin, &cmax);
	int			C = b->n_classes;
	int			msl = b->cfg.min_samples_leaf;
	double	   *L = b->left;
	double		Lw = 0,
				Ls = 0;
	int			Ln = 0;

	if (nm == 0 || cmax == cmin || !gap_ok(d, base, cmin, cmax))
		return false;
	range = cmax - cmin + 1;
	if (b->classification)
		memset(L, 0, sizeof(double) * (size_t) C);

	if (range <= (uint32_t) b->hist_cap && (size_t) range <= (size_t) nm * 2 + 16)
	{
		/* histogram over the code range */
		int		   *hn = b->hist_n;
		double	   *hs = b->hist_s;
		const uint64_t *keys = b->keys;
		int			prev = -1;

		memset(hn, 0, sizeof(int) * (size_t) range);
		if (b->classification)
		{
			memset(hs, 0, sizeof(double) * (size_t) range * (size_t) C);
			for (int i = 0; i < nm; i++)
			{
				uint32_t	bin = (uint32_t) (keys[i] >> 32) - cmin;
				uint32_t	k = (uint32_t) keys[i];

				hn[bin]++;
				hs[(size_t) bin * C + b->lcls[k]] += b->lw[k];
			}
			for (uint32_t bin = 0; bin < range; bin++)
			{
				const double *h;

				if (hn[bin] == 0)
					continue;
				if (prev >= 0 && gap_ok(d, base, cmin + prev, cmin + bin))
					class_candidate(b, L, Lw, Ln, f, vals, cmin + prev, cmin + bin, 0, best);
				h = hs + (size_t) bin * C;
				for (int k = 0; k < C; k++)
				{
					L[k] += h[k];
					Lw += h[k];
				}
				Ln += hn[bin];
				prev = (int) bin;
				if (b->Tn - Ln < msl)
					break;
			}
		}
		else
		{
			memset(hs, 0, sizeof(double) * (size_t) range * 2);
			for (int i = 0; i < nm; i++)
			{
				uint32_t	bin = (uint32_t) (keys[i] >> 32) - cmin;
				uint32_t	k = (uint32_t) keys[i];
				double		w = b->lw[k];

				hn[bin]++;
				hs[2 * (size_t) bin] += w;
				hs[2 * (size_t) bin + 1] += w * b->ly[k];
			}
			for (uint32_t bin = 0; bin < range; bin++)
			{
				if (hn[bin] == 0)
					continue;
				if (prev >= 0 && gap_ok(d, base, cmin + prev, cmin + bin))
					reg_candidate(b, Ls, Lw, Ln, f, vals, cmin + prev, cmin + bin, 0, best);
				Lw += hs[2 * (size_t) bin];
				Ls += hs[2 * (size_t) bin + 1];
				Ln += hn[bin];
				prev = (int) bin;
				if (b->Tn - Ln < msl)
					break;
			}
		}
	}
	else
	{
		const uint64_t *keys = aml_tree_sort_keys(b->keys, b->keys_tmp, nm, cmin, range);
		int			i = 0;

		if (b->classification)
		{
			const int32_t *lcls = b->lcls;
			const double *lw = b->lw;

			while (i < nm)
			{
				uint32_t	c = (uint32_t) (keys[i] >> 32);
				uint32_t	cn;

				do
				{
					uint32_t	k = (uint32_t) keys[i];

					L[lcls[k]] += lw[k];
					Lw += lw[k];
					i++;
				} while (i < nm && (uint32_t) (keys[i] >> 32) == c);
				Ln = i;
				if (i >= nm || b->Tn - Ln < msl)
					break;
				cn = (uint32_t) (keys[i] >> 32);
				if (Ln + b->Mn >= msl && gap_ok(d, base, c, cn))
					class_candidate(b, L, Lw, Ln, f, vals, c, cn, 0, best);
			}
		}
		else
		{
			const double *ly = b->ly;
			const double *lw = b->lw;

			while (i < nm)
			{
				uint32_t	c = (uint32_t) (keys[i] >> 32);
				uint32_t	cn;

				do
				{
					uint32_t	k = (uint32_t) keys[i];

					Lw += lw[k];
					Ls += lw[k] * ly[k];
					i++;
				} while (i < nm && (uint32_t) (keys[i] >> 32) == c);
				Ln = i;
				if (i >= nm || b->Tn - Ln < msl)
					break;
				cn = (uint32_t) (keys[i] >> 32);
				if (Ln + b->Mn >= msl && gap_ok(d, base, c, cn))
					reg_candidate(b, Ls, Lw, Ln, f, vals, c, cn, 0, best);
			}
		}
	}
	if (b->Mn > 0)
		missing_only_candidate(b, f, best);
	return true;
}

/*
 * Extra-trees split of feature f: one uniform threshold between the node's
 * min and max.  Works on the values themselves (no ranks needed).
 */
static bool
random_split_feature(AmlTreeBuilder *b, int f, int start, int m, Split *best)
{
	const AmlTreeData *d = b->data;
	const double *col = d->xr + (size_t) f * (size_t) d->n_rows;
	const int  *rows = b->rows + start;
	double	   *lx = b->lx;
	double		vmin = INFINITY,
				vmax = -INFINITY,
				thr;
	double		Lw = 0,
				Ls = 0;
	int			Ln = 0;

	b->Mn = 0;
	b->Mw = 0;
	b->Ms = 0;
	if (b->classification)
		memset(b->mis, 0, sizeof(double) * (size_t) b->n_classes);
	if (!d->has_missing[f])
	{
		/* two min/max lanes: the loop is not bound by their latency */
		double		vmin2 = INFINITY,
					vmax2 = -INFINITY;
		int			k = 0;

		for (; k + 2 <= m; k += 2)
		{
			double		v = col[rows[k]];
			double		v2 = col[rows[k + 1]];

			lx[k] = v;
			lx[k + 1] = v2;
			vmin = v < vmin ? v : vmin;
			vmax = v > vmax ? v : vmax;
			vmin2 = v2 < vmin2 ? v2 : vmin2;
			vmax2 = v2 > vmax2 ? v2 : vmax2;
		}
		for (; k < m; k++)
		{
			double		v = col[rows[k]];

			lx[k] = v;
			vmin = v < vmin ? v : vmin;
			vmax = v > vmax ? v : vmax;
		}
		vmin = vmin2 < vmin ? vmin2 : vmin;
		vmax = vmax2 > vmax ? vmax2 : vmax;
	}
	else
		for (int k = 0; k < m; k++)
		{
			double		v = col[rows[k]];

			lx[k] = v;
			if (isnan(v))
			{
				double		w = b->lw[k];

				b->Mn++;
				b->Mw += w;
				if (b->classification)
					b->mis[b->lcls[k]] += w;
				else
					b->Ms += w * b->ly[k];
				continue;
			}
			vmin = v < vmin ? v : vmin;
			vmax = v > vmax ? v : vmax;
		}
	if (b->Mn == m || vmax <= vmin + FEATURE_THRESHOLD)
		return false;
	thr = (vmax - vmin) * aml_rng_uniform(b->rng) + vmin;
	if (thr >= vmax)
		thr = vmin;

	/*
	 * Statistics of the rows below thr (NaN <= thr is false: missing rows
	 * are not counted here), branch-free (the side of a row is unpredictable)
	 * with four accumulator lanes (not bound by the latency of additions).
	 */
	if (b->classification)
	{
		int			C = b->n_classes;
		double	   *L = b->left;
		double	   *lane = b->lanes;	/* 4 * C */
		const int32_t *lcls = b->lcls;
		const double *lw = b->lw;
		int			k = 0;

		memset(lane, 0, sizeof(double) * 4 * (size_t) C);
		if (b->unit_weights)
			for (; k + 4 <= m; k += 4)
				for (int j = 0; j < 4; j++)
				{
					int			g = lx[k + j] <= thr;

					lane[j * C + lcls[k + j]] += g;
					Ln += g;
				}
		for (; k + 4 <= m; k += 4)
			for (int j = 0; j < 4; j++)
			{
				int			g = lx[k + j] <= thr;

				lane[j * C + lcls[k + j]] += g ? lw[k + j] : 0.0;
				Ln += g;
			}
		for (; k < m; k++)
		{
			int			g = lx[k] <= thr;

			lane[lcls[k]] += g ? lw[k] : 0.0;
			Ln += g;
		}
		for (int c = 0; c < C; c++)
		{
			L[c] = (lane[c] + lane[C + c]) + (lane[2 * C + c] + lane[3 * C + c]);
			Lw += L[c];
		}
		class_candidate(b, L, Lw, Ln, f, NULL, 0, 0, thr, best);
	}
	else
	{
		const double *lw = b->lw;
		const double *ly = b->ly;
		double		w4[4] = {0, 0, 0, 0},
					s4[4] = {0, 0, 0, 0};
		int			k = 0;

		if (b->unit_weights)
			for (; k + 4 <= m; k += 4)
				for (int j = 0; j < 4; j++)
				{
					int			g = lx[k + j] <= thr;

					w4[j] += g;
					s4[j] += g ? ly[k + j] : 0.0;
					Ln += g;
				}
		for (; k + 4 <= m; k += 4)
			for (int j = 0; j < 4; j++)
			{
				int			g = lx[k + j] <= thr;
				double		w = g ? lw[k + j] : 0.0;

				w4[j] += w;
				s4[j] += w * ly[k + j];
				Ln += g;
			}
		for (; k < m; k++)
		{
			int			g = lx[k] <= thr;
			double		w = g ? lw[k] : 0.0;

			w4[0] += w;
			s4[0] += w * ly[k];
			Ln += g;
		}
		Lw = (w4[0] + w4[1]) + (w4[2] + w4[3]);
		Ls = (s4[0] + s4[1]) + (s4[2] + s4[3]);
		reg_candidate(b, Ls, Lw, Ln, f, NULL, 0, 0, thr, best);
	}
	if (b->Mn > 0)
		missing_only_candidate(b, f, best);
	return true;
}

/*
 * Draw features as scikit-learn does (Fisher-Yates over features[], known
 * constant features first; constants do not stop the search before one
 * non-constant feature was evaluated) and keep the best split.
 */
void
aml_tree_find_split(AmlTreeBuilder *b, const StackEntry *e, Split *best, int *n_const_out)
{
	int		   *features = b->features;
	int		   *cf = b->constant_features;
	int			m = e->end - e->start;
	int			max_f = b->cfg.max_features;
	int			f_i = b->n_features;
	int			n_found = 0;
	int			n_drawn = 0;
	int			n_known = e->n_const;
	int			n_total = n_known;
	int			n_visited = 0;

	while (f_i > n_total && (n_visited < max_f || n_visited <= n_found + n_drawn))
	{
		int			f_j;
		int			f;
		bool		ok;
		int			t;

		n_visited++;
		f_j = n_drawn + (int) aml_rng_below(b->rng, (uint64_t) (f_i - n_found - n_drawn));
		if (f_j < n_known)
		{
			t = features[n_drawn];
			features[n_drawn] = features[f_j];
			features[f_j] = t;
			n_drawn++;
			continue;
		}
		f_j += n_found;
		f = features[f_j];
		if (b->cfg.splitter == AML_TREE_BEST)
			ok = best_split_feature(b, f, e->start, m, best);
		else
			ok = random_split_feature(b, f, e->start, m, best);
		if (ok && best->feature == f)
		{
			/* keep this feature's per-row data for the partition */
			if (b->cfg.splitter == AML_TREE_BEST)
			{
				uint32_t   *tc = b->lcode;

				b->lcode = b->lcode_best;
				b->lcode_best = tc;
			}
			else
			{
				double	   *tx = b->lx;

				b->lx = b->lx_best;
				b->lx_best = tx;
			}
		}
		if (!ok)
		{
			features[f_j] = features[n_total];
			features[n_total] = f;
			n_found++;
			n_total++;
			continue;
		}
		f_i--;
		t = features[f_i];
		features[f_i] = features[f_j];
		features[f_j] = t;
	}
	memcpy(features, cf, sizeof(int) * (size_t) n_known);
	memcpy(cf + n_known, features + n_known, sizeof(int) * (size_t) n_found);
	*n_const_out = n_total;
}
