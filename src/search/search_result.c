/*
 * search_result.c — what a search leaves: its chosen model (one pipeline or
 * an ensemble) fitted again on rows the caller gives, with its calibration,
 * and freeing the result (see search.h).
 */
#include "search/search.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/pipeline.h"
#include "search/search_calibration.h"

#include <string.h>

#include "search/search_internal.h"

void
aml_search_result_free(AmlSearchResult *result)
{
	if (result == NULL)
		return;
	for (int i = 0; i < result->n_candidates; i++)
		aml_candidate_clear(&result->candidates[i]);
	aml_free(result->candidates);
	aml_calibrator_free(result->calibration);
	aml_free(result);
}

AmlStatus
aml_search_refit(const AmlSchema *schema, const AmlSearchResult *result, const AmlMatrix *raw,
				 const double *y, uint64_t seed, AmlModel **out, AmlError *err)
{
	AmlPipeline *members[AML_MAX_ENSEMBLE];
	int			n = result->final.n_members;
	AmlRng		root;
	AmlStatus	st = AML_OK;

	*out = NULL;
	aml_rng_seed(&root, seed);
	memset(members, 0, sizeof(members));
	for (int k = 0; k < n && st == AML_OK; k++)
	{
		const AmlCandidate *c = &result->candidates[result->final.members[k]];
		json_object *spec;
		AmlRng		rng;

		st = aml_json_parse(c->spec, strlen(c->spec), &spec, err);
		if (st != AML_OK)
			break;
		st = aml_pipeline_create(schema, spec, &members[k], err);
		json_object_put(spec);
		if (st != AML_OK)
			break;
		aml_rng_derive(&root, REFIT_STREAM + (uint64_t) c->number, &rng);
		st = aml_pipeline_fit(members[k], raw, y, &rng, err);
	}
	if (st == AML_OK)
		st = aml_model_ensemble(members, result->final.weights, n, out, err);
	if (st != AML_OK)
		for (int k = 0; k < n; k++)
			aml_pipeline_free(members[k]);
	else if ((st = aml_calibrator_copy(result->calibration, &(*out)->calibration, err)) != AML_OK)
	{
		aml_model_free(*out);
		*out = NULL;
	}
	return st;
}
