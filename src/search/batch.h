/*
 * batch.h — the one door through which the search has candidates evaluated.
 *
 * The search proposes candidates in batches and hands each batch to
 * AmlSearchOptions.evaluate_batch (default: aml_evaluate_batch_serial, one
 * after the other in this process).  Another implementation may evaluate
 * the requests of a batch at the same time, in other processes; the search
 * consumes the results in proposal order, after the whole batch is back.
 * With the batch, the search may pass the next one (ctx->next), already
 * proposed: an evaluator may start its requests early (so that processes
 * do not idle while the batch's last candidates run) but need not; the
 * next call passes them again, first and in the same order, and that call
 * finishes them.
 *
 * Determinism: a batch's composition (which candidates, in which order),
 * each request's pruning rule and random stream depend only on the data,
 * the seed and the results of the batches before the previous one, never
 * on timing or on how many evaluate at once.  So with max_evaluations (no time cap) the search
 * returns the same result for any evaluator that honours the contract.
 *
 * Contract of an evaluator, for each request i (see /work/notes/eval-hook.md):
 *  - evaluate requests[i].spec (canonical JSON text of a pipeline
 *    specification) by cross-validation on ctx->cv, exactly as
 *    aml_eval_one() does: random stream aml_eval_rng(ctx, number), prune
 *    rule, time cap min(deadline, its start + max_seconds), keep the
 *    out-of-fold predictions when keep_oof;
 *  - requests of ctx->next: nothing to fill; the request (and its spec
 *    text) stays valid until the call that finishes it;
 *  - fill results[i] (zeroed by the search): status, reason, folds_done,
 *    fold_scores, mean, std, signed_mean, fit_seconds, predict_seconds, model_bytes,
 *    probabilistic, oof.
 *    oof (cv->n_rows x outputs, allocated with aml_matrix_new) passes to the
 *    search, which frees it;
 *  - a request whose deadline has passed before it starts is not run:
 *    status AML_CANDIDATE_SKIPPED, folds_done 0;
 *  - return AML_OK, or an error that ends the search (ctx->cancelled fired,
 *    a worker lost); results already filled are then ignored.
 */
#ifndef AML_SEARCH_BATCH_H
#define AML_SEARCH_BATCH_H

#include "core/random.h"
#include "core/status.h"
#include "search/evaluate.h"

typedef struct AmlEvalRequest
{
	int			number;			/* the candidate's number (from 1): names its random stream */
	const char *spec;			/* canonical JSON text; owned by the search, valid during the call */
	AmlPruneRule prune;			/* fixed when the batch is proposed */
	double		max_seconds;	/* its own time cap from when it starts; 0 = none */
	double		deadline;		/* aml_clock() after which it must not run on */
	bool		keep_oof;		/* return out-of-fold predictions (for ensembles) */
} AmlEvalRequest;

typedef struct AmlEvalContext
{
	const AmlCvData *cv;		/* the folds every candidate is scored on */
	uint64_t	seed;			/* the search's seed: streams derive from it */
	bool		(*cancelled) (void);	/* the caller's "stop everything" check, or NULL */
	const AmlEvalRequest *next; /* the next batch, which may be started early; or NULL */
	int			n_next;
} AmlEvalContext;

typedef AmlStatus (*AmlEvaluateBatchFn) (void *arg, const AmlEvalContext *ctx,
										 const AmlEvalRequest *requests, int n,
										 AmlCandidate *results, AmlError *err);

/* The random stream of candidate `number` of a search with this seed. */
void		aml_eval_rng(uint64_t seed, int number, AmlRng *out);
/*
 * When a request started at `now` must stop: its own time cap, or the
 * search's deadline when that comes first.  *cap_seconds is the cap's
 * length for a timed-out reason, 0 when the deadline is the limit (the
 * reason then names the end of the budget).
 */
double		aml_eval_cap(const AmlEvalRequest *request, double now, double *cap_seconds);
/* Evaluate one request into result (the unit every evaluator runs). */
AmlStatus	aml_eval_one(const AmlEvalContext *ctx, const AmlEvalRequest *request,
						 AmlCandidate *result, AmlError *err);
/* The default evaluator: the requests one after the other in this process. */
AmlStatus	aml_evaluate_batch_serial(void *arg, const AmlEvalContext *ctx,
									  const AmlEvalRequest *requests, int n,
									  AmlCandidate *results, AmlError *err);

#endif
