/*
 * selection.h — NSGA-II survivor and parent selection on two objectives:
 * cross-validated score (higher is better) and pipeline complexity (lower is
 * better), as TPOT does; ties broken by evaluation order for determinism.
 */
#ifndef AML_SEARCH_SELECTION_H
#define AML_SEARCH_SELECTION_H

#include "core/random.h"

/*
 * Rank n points into non-dominated fronts (rank 0 = best) and compute the
 * crowding distance within each front.
 */
void		aml_nsga2_rank(const double *score, const int *complexity, int n, int *rank,
						   double *crowding);
/* Choose `keep` of n points: by front, then by crowding; chosen[] gets indices. */
int			aml_nsga2_select(const double *score, const int *complexity, int n, int keep,
							 int *chosen);
/* Binary tournament on (rank, crowding): an index in [0, n). */
int			aml_tournament(const int *rank, const double *crowding, int n, AmlRng *rng);

#endif
