/*
 * batch.c — evaluating a batch of candidates: the random stream of a
 * candidate, one request, and the default serial evaluator (see batch.h).
 */
#include "search/batch.h"
#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define EVAL_STREAM 1000000

void
aml_eval_rng(uint64_t seed, int number, AmlRng *out)
{
	AmlRng		root;
	AmlRng		base;

	/* stream 3 of the seed is the evaluation base (search.c) */
	aml_rng_seed(&root, seed);
	aml_rng_derive(&root, 3, &base);
	aml_rng_derive(&base, EVAL_STREAM + (uint64_t) number, out);
}

double
aml_eval_cap(const AmlEvalRequest *request, double now, double *cap_seconds)
{
	if (request->max_seconds > 0 && now + request->max_seconds < request->deadline)
	{
		*cap_seconds = request->max_seconds;
		return now + request->max_seconds;
	}
	*cap_seconds = 0;
	return request->deadline;
}

AmlStatus
aml_eval_one(const AmlEvalContext *ctx, const AmlEvalRequest *request, AmlCandidate *result,
			 AmlError *err)
{
	double		now = aml_clock();
	double		cap;
	double		cap_seconds;
	json_object *spec;
	AmlRng		rng;
	AmlStatus	st;

	if (now >= request->deadline)
	{
		result->status = AML_CANDIDATE_SKIPPED;
		result->folds_done = 0;
		result->mean = result->std = NAN;
		result->signed_mean = -INFINITY;
		snprintf(result->reason, sizeof(result->reason), "not started: no time left in the budget");
		return AML_OK;
	}
	cap = aml_eval_cap(request, now, &cap_seconds);
	AML_TRY(aml_json_parse(request->spec, strlen(request->spec), &spec, err));
	aml_eval_rng(ctx->seed, request->number, &rng);
	st = aml_cv_evaluate(ctx->cv, spec, &request->prune, cap, cap_seconds, request->keep_oof,
						 ctx->cancelled, &rng, result, err);
	json_object_put(spec);
	return st;
}

AmlStatus
aml_evaluate_batch_serial(void *arg, const AmlEvalContext *ctx, const AmlEvalRequest *requests,
						  int n, AmlCandidate *results, AmlError *err)
{
	(void) arg;
	for (int i = 0; i < n; i++)
	{
		if (ctx->cancelled != NULL && ctx->cancelled())
			return aml_error(err, AML_ERR_INTERRUPTED, "interrupted");
		AML_TRY(aml_eval_one(ctx, &requests[i], &results[i], err));
	}
	return AML_OK;
}
