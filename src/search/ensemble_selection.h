/*
 * ensemble_selection.h — greedy ensemble selection with replacement
 * (Caruana et al. 2004) on out-of-fold predictions: start from the first
 * n_init candidates of the pool with equal weights ("sorted initialisation":
 * an ensemble that does not hinge on one candidate's lucky folds), repeatedly
 * add the candidate (possibly again) that most improves the metric of the
 * averaged predictions, keep the best ensemble seen.
 */
#ifndef AML_SEARCH_ENSEMBLE_SELECTION_H
#define AML_SEARCH_ENSEMBLE_SELECTION_H

#include "core/status.h"
#include "search/evaluate.h"

#define AML_MAX_ENSEMBLE 32

typedef struct AmlEnsembleChoice
{
	int			n_members;
	int			members[AML_MAX_ENSEMBLE];	/* indices into the candidates */
	double		weights[AML_MAX_ENSEMBLE];	/* sum to 1 */
	double		score;			/* the metric of the ensemble's out-of-fold predictions */
	double		signed_score;	/* higher is better */
} AmlEnsembleChoice;

/*
 * pool: indices of candidates with out-of-fold predictions, best first.
 * n_init: 1 .. n_pool.  rounds: additions to try, fewer when a round
 * would end past deadline (aml_clock(); 0: none), the best so far kept.
 * The caller decides whether the ensemble beats the best single candidate.
 */
AmlStatus	aml_ensemble_select(const AmlCvData *cv, const AmlCandidate *candidates,
								const int *pool, int n_pool, int n_init, int rounds,
								double deadline, AmlEnsembleChoice *out, AmlError *err);

#endif
