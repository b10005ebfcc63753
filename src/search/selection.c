/*
 * selection.c — NSGA-II non-dominated sorting, crowding, selection
 * (Deb et al. 2002), written from the published description (see selection.h).
 */
#include "search/selection.h"
#include "core/memory.h"

#include <math.h>
#include <stdlib.h>

static bool
dominates(const double *score, const int *complexity, int a, int b)
{
	return score[a] >= score[b] && complexity[a] <= complexity[b] &&
		(score[a] > score[b] || complexity[a] < complexity[b]);
}

typedef struct SortKey
{
	int			index;
	double		value;
} SortKey;

static int
by_value(const void *x, const void *y)
{
	const SortKey *a = x;
	const SortKey *b = y;

	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return a->index - b->index;
}

void
aml_nsga2_rank(const double *score, const int *complexity, int n, int *rank, double *crowding)
{
	int			assigned = 0;
	int			front = 0;
	SortKey    *keys = AML_NEW_ARRAY(SortKey, n > 0 ? n : 1);

	for (int i = 0; i < n; i++)
	{
		rank[i] = i;			/* out of memory: rank by position */
		crowding[i] = 0;
	}
	if (keys == NULL)
		return;
	for (int i = 0; i < n; i++)
		rank[i] = -1;
	while (assigned < n)
	{
		int			members = 0;

		/* the next front: the unranked points no other unranked point dominates */
		for (int i = 0; i < n; i++)
		{
			bool		dominated = false;

			if (rank[i] >= 0)
				continue;
			for (int j = 0; j < n && !dominated; j++)
				if (j != i && rank[j] < 0 && dominates(score, complexity, j, i))
					dominated = true;
			if (!dominated)
				keys[members++].index = i;
		}
		for (int m = 0; m < members; m++)
			rank[keys[m].index] = front;
		/* crowding distance within the front, on both objectives */
		for (int objective = 0; objective < 2; objective++)
		{
			int			m = 0;
			double		lo,
						hi;

			for (int i = 0; i < n; i++)
				if (rank[i] == front)
				{
					keys[m].index = i;
					keys[m].value = objective == 0 ? score[i] : complexity[i];
					m++;
				}
			qsort(keys, (size_t) m, sizeof(SortKey), by_value);
			lo = keys[0].value;
			hi = keys[m - 1].value;
			crowding[keys[0].index] = INFINITY;
			crowding[keys[m - 1].index] = INFINITY;
			if (hi > lo && isfinite(hi - lo))
				for (int r = 1; r < m - 1; r++)
					crowding[keys[r].index] += (keys[r + 1].value - keys[r - 1].value) / (hi - lo);
		}
		assigned += members;
		front++;
	}
	aml_free(keys);
}

typedef struct Ordered
{
	int			index;
	int			rank;
	double		crowding;
	double		score;
} Ordered;

static int
by_rank_crowding(const void *x, const void *y)
{
	const Ordered *a = x;
	const Ordered *b = y;

	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->crowding != b->crowding)
		return a->crowding > b->crowding ? -1 : 1;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->index - b->index;
}

int
aml_nsga2_select(const double *score, const int *complexity, int n, int keep, int *chosen)
{
	int		   *rank = AML_NEW_ARRAY(int, n > 0 ? n : 1);
	double	   *crowd = AML_NEW_ARRAY(double, n > 0 ? n : 1);
	Ordered    *order = AML_NEW_ARRAY(Ordered, n > 0 ? n : 1);
	int			k = keep < n ? keep : n;

	if (rank == NULL || crowd == NULL || order == NULL)
	{
		/* out of memory: keep the first ones */
		for (int i = 0; i < k; i++)
			chosen[i] = i;
	}
	else
	{
		aml_nsga2_rank(score, complexity, n, rank, crowd);
		for (int i = 0; i < n; i++)
		{
			order[i].index = i;
			order[i].rank = rank[i];
			order[i].crowding = crowd[i];
			order[i].score = score[i];
		}
		qsort(order, (size_t) n, sizeof(Ordered), by_rank_crowding);
		for (int i = 0; i < k; i++)
			chosen[i] = order[i].index;
	}
	aml_free(rank);
	aml_free(crowd);
	aml_free(order);
	return k;
}

int
aml_tournament(const int *rank, const double *crowding, int n, AmlRng *rng)
{
	int			a = (int) aml_rng_below(rng, (uint64_t) n);
	int			b = (int) aml_rng_below(rng, (uint64_t) n);

	if (rank[a] != rank[b])
		return rank[a] < rank[b] ? a : b;
	if (crowding[a] != crowding[b])
		return crowding[a] > crowding[b] ? a : b;
	return a < b ? a : b;
}
