/*
 * search_internal.h — what search.c, search_ensemble.c and
 * search_estimates.c share: the search's state, its progress note, the
 * ensemble phase and the time and memory estimates.  Not for other files.
 */
#ifndef AML_SEARCH_INTERNAL_H
#define AML_SEARCH_INTERNAL_H

#include "core/dictionary.h"
#include "search/batch.h"
#include "search/search.h"

#define PORTFOLIO_MAX 32
#define OOF_KEEP 16				/* candidates whose out-of-fold predictions are kept */
#define ENSEMBLE_POOL 12
#define ENSEMBLE_ROUNDS 24
#define ENSEMBLE_INIT 3
#define MAX_ESTIMATORS 64
#define DEFAULT_BATCH 4
#define REFIT_STREAM 2000000

typedef struct Search
{
	const AmlSchema *schema;
	const AmlSearchOptions *opt;
	AmlDataTraits traits;
	AmlCvData  *cv;
	AmlRng		gen_rng;		/* genomes */
	AmlCandidate *cands;
	int			n;
	int			cap;
	AmlDictionary *seen;		/* specification texts evaluated */
	int			best;
	int			est_best[MAX_ESTIMATORS];	/* the best candidate of each estimator seen */
	int			n_est;
	double		deadline;
	/*
	 * The rescue (search.c): evaluated in this process whatever
	 * opt->evaluate_batch, and even when its pipeline was tried before
	 */
	bool		rescuing;
	double		last_best_note;
	double		last_generation_note;
	int			generation;
	int			evaluated;
	/* the last real improvement of the best (search.c: converged) */
	int			improved_at;	/* evaluated then; 0: no best yet */
	double		improved_score; /* the best's signed mean then */
	/*
	 * The batch proposed but not yet evaluated (search.c: submit_batch):
	 * its requests were made when it was proposed; the evaluator may start
	 * them while it finishes the batch before.
	 */
	int		   *pending;
	AmlEvalRequest *pending_req;
	int			n_pending;
	int			pending_generation;	/* the generation it belongs to (0: portfolio) */
	const char *pending_note;	/* progress event to tell once it is evaluated */
	int			generations_done;	/* generations evaluated */
	bool		stop;
	char		stop_reason[64];
} Search;

/* Tell the progress callback an event of the search (search.c). */
void		aml_search_note(Search *s, const char *event);
/* Whether candidate i is the best evaluated one of its estimator (search.c). */
bool		aml_search_best_of_its_estimator(const Search *s, int i);
/* The ensemble phase: r->final becomes the ensemble when it wins (search_ensemble.c). */
AmlStatus	aml_search_run_ensemble(Search *s, AmlSearchResult *r, AmlError *err);

/*
 * Bytes a candidate would need to be evaluated (INFINITY, with why, when it
 * cannot be); *data_bytes: of which the copies of the data through its
 * preprocessing (the estimators' own estimates are rougher).
 */
double		aml_search_estimate_bytes(const Search *s, const AmlGenome *g, json_object *spec,
									  double *data_bytes, char *why, size_t whylen);
/* The caller's refits, in rows of the search's data (opt->refit_scale, 0 = 1). */
double		aml_search_refit_scale(const Search *s);
/* Seconds to refit candidate c on all rows and store it (from its cross-validation time). */
double		aml_search_refit_seconds(const Search *s, const AmlCandidate *c);
/* Time kept for the end whatever the model: storing the run and a margin. */
double		aml_search_end_reserve(const Search *s);
/* Seconds the search's own end (ensemble selection, calibration) takes (in the reserve). */
double		aml_search_post_seconds(const Search *s);
/*
 * Time kept for the end: the refits of the best candidate or of an
 * ensemble's likely members, and the importance of that model (options
 * importance_*).
 */
double		aml_search_reserve(const Search *s);

#endif
