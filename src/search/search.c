/*
 * search.c — the AutoML search loop: portfolio, evolution, ensemble, budgets
 * (see search.h).
 */
#include "search/search.h"
#include "core/dictionary.h"
#include "core/json.h"
#include "core/memory.h"
#include "ml/pipeline.h"
#include "search/search_calibration.h"
#include "search/selection.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "search/search_internal.h"


void
aml_search_traits(const AmlSchema *schema, const AmlMatrix *raw, int n_classes, AmlDataTraits *out)
{
	memset(out, 0, sizeof(*out));
	out->n_rows = raw->rows;
	out->n_inputs = schema->n_inputs;
	out->n_classes = n_classes;
	out->has_missing = aml_matrix_has_nan(raw);
	for (int j = 0; j < schema->n_inputs; j++)
		if (schema->inputs[j].kind == AML_KIND_CATEGORICAL)
			out->has_categorical = true;
	out->encoded_width = aml_encoder_max_width(schema, 100, true);
}

/* Record candidate i (evaluated, OK) in the best-of-each-estimator table. */
static void
note_estimator_best(Search *s, int i)
{
	const AmlCandidate *c = &s->cands[i];

	for (int e = 0; e < s->n_est; e++)
		if (strcmp(s->cands[s->est_best[e]].estimator, c->estimator) == 0)
		{
			if (c->signed_mean > s->cands[s->est_best[e]].signed_mean)
				s->est_best[e] = i;
			return;
		}
	if (s->n_est < MAX_ESTIMATORS)
		s->est_best[s->n_est++] = i;
}

/* ------------------------------------------------------------ candidates */

void
aml_search_note(Search *s, const char *event)
{
	AmlSearchProgress p;
	const AmlCandidate *b = s->best >= 0 ? &s->cands[s->best] : NULL;
	double		now = aml_clock();

	if (s->opt->progress == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.event = event;
	p.generation = s->generations_done;
	p.evaluated = s->evaluated;
	p.best_mean = b ? b->mean : NAN;
	p.best_std = b ? b->std : NAN;
	p.best_description = b ? b->description : NULL;
	p.elapsed = now - s->opt->start;
	/* of the budget: the rescue's own deadline may run past it */
	p.time_left = (s->rescuing ? s->opt->start + s->opt->time_budget : s->deadline) - now;
	s->opt->progress(s->opt->progress_arg, &p);
}

static AmlCandidate *
new_candidate(Search *s, AmlError *err)
{
	if (s->n == s->cap)
	{
		int			cap = s->cap ? s->cap * 2 : 64;
		AmlCandidate *c = aml_realloc(s->cands, sizeof(AmlCandidate) * (size_t) cap);

		if (c == NULL)
		{
			aml_error_nomem(err, "the search's candidates");
			return NULL;
		}
		s->cands = c;
		s->cap = cap;
	}
	memset(&s->cands[s->n], 0, sizeof(AmlCandidate));
	s->cands[s->n].number = s->n + 1;
	return &s->cands[s->n++];
}

/*
 * Keep the out-of-fold predictions ensembles are built from: the best
 * candidate of each estimator (diversity), then the best overall, OOF_KEEP
 * in all; free the others.
 */
bool
aml_search_best_of_its_estimator(const Search *s, int i)
{
	for (int j = 0; j < s->n; j++)
		if (j != i && s->cands[j].status == AML_CANDIDATE_OK &&
			strcmp(s->cands[j].estimator, s->cands[i].estimator) == 0 &&
			(s->cands[j].signed_mean > s->cands[i].signed_mean ||
			 (s->cands[j].signed_mean == s->cands[i].signed_mean && j < i)))
			return false;
	return true;
}

static void
trim_oof(Search *s)
{
	int			held = 0;

	for (int i = 0; i < s->n; i++)
		if (s->cands[i].oof != NULL)
			held++;
	while (held > OOF_KEEP)
	{
		int			worst = -1;

		/* the worst holder that is not the best of its estimator, else the worst */
		for (int pass = 0; pass < 2 && worst < 0; pass++)
			for (int i = 0; i < s->n; i++)
				if (s->cands[i].oof != NULL && (pass == 1 || !aml_search_best_of_its_estimator(s, i)) &&
					(worst < 0 || s->cands[i].signed_mean < s->cands[worst].signed_mean))
					worst = i;
		aml_matrix_free(s->cands[worst].oof);
		s->cands[worst].oof = NULL;
		held--;
	}
}

static bool
stop_requested(Search *s)
{
	if (s->opt->stop_requested == NULL || !s->opt->stop_requested())
		return false;
	snprintf(s->stop_reason, sizeof(s->stop_reason), "cancelled");
	return true;
}

/*
 * A search bound by time stops early when the best has not really improved
 * (by CONVERGED_STEP of its fold scores' standard deviation) in the last
 * two thirds of what was evaluated, and at least CONVERGED_MIN candidates
 * were: on small tables thousands of candidates only add selection noise
 * (the best of many cross-validated scores is partly luck: sonar's holdout
 * fell from 0.857 at 12 s to 0.702 after 4 159 candidates at 60 s), and
 * the user gets the result sooner.  Runs bounded by max_evaluations run
 * them all.
 */
#define CONVERGED_MIN 300
#define CONVERGED_FACTOR 3
#define CONVERGED_STEP 0.1

static bool
converged(const Search *s)
{
	return s->opt->max_evaluations == 0 && s->improved_at > 0 &&
		s->evaluated >= CONVERGED_MIN && s->evaluated >= CONVERGED_FACTOR * s->improved_at;
}

static bool
out_of_time(Search *s)
{
	if (stop_requested(s))
		return true;
	if (s->opt->max_evaluations > 0 && s->evaluated + s->n_pending >= s->opt->max_evaluations)
	{
		snprintf(s->stop_reason, sizeof(s->stop_reason), "max_evaluations reached");
		return true;
	}
	if (aml_clock() + aml_search_reserve(s) >= s->deadline)
	{
		snprintf(s->stop_reason, sizeof(s->stop_reason), "time budget reached");
		return true;
	}
	if (converged(s))
	{
		snprintf(s->stop_reason, sizeof(s->stop_reason), "converged: no better pipeline in %d evaluations",
				 s->evaluated - s->improved_at);
		return true;
	}
	return false;
}

/*
 * Propose a genome unless it was seen before: it becomes a candidate, and
 * joins the batch unless it cannot fit in memory (then it is recorded as
 * skipped).  *added tells whether a candidate was recorded.
 */
static AmlStatus
propose_genome(Search *s, const AmlGenome *g, const char *phase, int *batch, int *n_batch,
			   bool *added, AmlError *err)
{
	json_object *spec = aml_genome_spec(s->opt->space, &s->traits, g);
	const char *text = aml_json_text(spec);
	int			code;
	AmlCandidate *c;
	AmlPipeline *unfitted;
	AmlError	perr;
	char		why[128];

	*added = false;
	if (aml_dict_lookup(s->seen, text, strlen(text)) >= 0 && !s->rescuing)
	{
		json_object_put(spec);
		return AML_OK;
	}
	if (aml_dict_intern(s->seen, text, strlen(text), &code, err) != AML_OK ||
		(c = new_candidate(s, err)) == NULL)
	{
		json_object_put(spec);
		return err->status;
	}
	*added = true;
	c->phase = phase;
	c->genome = *g;
	c->complexity = aml_genome_complexity(g);
	c->spec = aml_strdup(text);
	c->estimator = aml_strdup(aml_genome_estimator(s->opt->space, g)->name);
	if (aml_pipeline_create(s->schema, spec, &unfitted, &perr) == AML_OK)
	{
		char		words[1024];

		aml_pipeline_describe(unfitted, words, sizeof(words));
		c->description = aml_strdup(words);
		aml_pipeline_free(unfitted);
	}
	if (c->spec == NULL || c->estimator == NULL)
	{
		json_object_put(spec);
		return aml_error_nomem(err, "a candidate");
	}
	c->mean = c->std = NAN;
	c->signed_mean = -INFINITY;
	/* skip what cannot fit in memory */
	{
		double		need = aml_search_estimate_bytes(s, g, spec, &c->data_bytes, why, sizeof(why));

		json_object_put(spec);
		if (isinf(need) || !aml_memory_fits((size_t) fmin(need, (double) (SIZE_MAX / 2))))
		{
			c->status = AML_CANDIDATE_SKIPPED;
			snprintf(c->reason, sizeof(c->reason), "%s, more than %s", why,
					 isinf(need) ? "allowed (2000)" : "the memory budget allows");
			return AML_OK;
		}
	}
	batch[(*n_batch)++] = s->n - 1;
	return AML_OK;
}

/*
 * The requests of a batch of candidates (indexes into s->cands), made when
 * the batch is proposed: the prune rule and caps come from the results
 * known then, so they do not depend on how many candidates are evaluated at
 * once, nor on when the evaluator starts them.
 */
static void
make_requests(Search *s, const int *batch, int n, AmlEvalRequest *req)
{
	AmlPruneRule prune;
	double		deadline = s->deadline - aml_search_reserve(s);
	double		max_seconds = s->opt->max_evaluations == 0 ? fmax(2.0, 0.25 * s->opt->time_budget) : 0;

	/*
	 * Until a candidate succeeds (large tables on a short budget), the
	 * candidate may use most of what is left, keeping 40 % for its refits:
	 * a slow model is better than none
	 */
	if (s->best < 0 && s->opt->max_evaluations == 0)
		max_seconds = fmax(max_seconds, 0.6 * (deadline - aml_clock()));
	memset(&prune, 0, sizeof(prune));
	if (s->opt->max_model_bytes > 0)
	{
		int			k = s->opt->cv_folds;
		double		scale = s->opt->store_scale > 0 ? s->opt->store_scale : 1.0;

		prune.max_model_bytes = s->opt->max_model_bytes;
		prune.max_split_model_bytes = s->opt->max_model_bytes / (k / (k - 1.0) * scale);
	}
	if (s->best >= 0)
	{
		prune.active = true;
		prune.best_signed_mean = s->cands[s->best].signed_mean;
		prune.best_std = s->cands[s->best].std;
		/* a candidate too slow to be refitted in time is not worth finishing */
		if (s->opt->max_evaluations == 0)
		{
			int			k = s->opt->cv_folds;

			prune.end_deadline = s->deadline - aml_search_end_reserve(s);
			double		min_refit = s->opt->min_refit_scale > 0 ? s->opt->min_refit_scale : aml_search_refit_scale(s);
			double		min_store = s->opt->min_store_scale > 0 ? s->opt->min_store_scale : s->opt->store_scale;

			prune.refit_per_fit_second = 1.3 * k / (k - 1.0) * min_refit;
			prune.store_per_byte = s->opt->store_seconds_per_byte * k / (k - 1.0) * min_store;
			/* nor one whose splits cannot end within its time cap */
			prune.max_seconds = max_seconds;
		}
	}
	for (int i = 0; i < n; i++)
	{
		req[i].number = s->cands[batch[i]].number;
		req[i].spec = s->cands[batch[i]].spec;
		req[i].prune = prune;
		req[i].max_seconds = max_seconds;
		req[i].deadline = deadline;
		req[i].keep_oof = true;
	}
}

/* Candidates of a batch that will not be evaluated: the search was asked to stop. */
static void
mark_stopped(Search *s, const int *batch, int n)
{
	for (int i = 0; i < n; i++)
	{
		AmlCandidate *c = &s->cands[batch[i]];

		c->status = AML_CANDIDATE_FAILED;
		snprintf(c->reason, sizeof(c->reason), "stopped: the job was cancelled");
	}
}

/*
 * Evaluate a batch through the evaluator (which may start the requests of
 * the next batch, `next`, meanwhile), then take its results in proposal
 * order.
 */
static AmlStatus
evaluate_batch(Search *s, const int *batch, const AmlEvalRequest *req, int n,
			   const AmlEvalRequest *next, int n_next, AmlError *err)
{
	AmlCandidate *res;
	AmlEvalContext ctx;
	AmlEvaluateBatchFn fn = s->opt->evaluate_batch && !s->rescuing ? s->opt->evaluate_batch : aml_evaluate_batch_serial;
	AmlStatus	st;

	if (n == 0)
		return AML_OK;
	res = AML_NEW_ARRAY(AmlCandidate, n);
	if (res == NULL)
		return aml_error_nomem(err, "a batch of candidates");
	memset(&ctx, 0, sizeof(ctx));
	ctx.cv = s->cv;
	ctx.seed = s->opt->seed;
	ctx.cancelled = s->opt->cancelled;
	ctx.next = n_next > 0 ? next : NULL;
	ctx.n_next = n_next;
	st = fn(s->opt->evaluate_batch_arg, &ctx, req, n, res, err);
	if (st == AML_ERR_INTERRUPTED && stop_requested(s))
	{
		/* asked to stop keeping the best: this batch is left out, the search ends */
		for (int i = 0; i < n; i++)
			aml_matrix_free(res[i].oof);
		mark_stopped(s, batch, n);
		aml_free(res);
		s->stop = true;
		return AML_OK;
	}
	if (st != AML_OK)
	{
		for (int i = 0; i < n; i++)
			aml_matrix_free(res[i].oof);
		aml_free(res);
		return st;
	}
	for (int i = 0; i < n; i++)
	{
		AmlCandidate *c = &s->cands[batch[i]];
		int			idx = batch[i];

		c->status = res[i].status;
		memcpy(c->reason, res[i].reason, sizeof(c->reason));
		c->folds_done = res[i].folds_done;
		memcpy(c->fold_scores, res[i].fold_scores, sizeof(c->fold_scores));
		c->mean = res[i].mean;
		c->std = res[i].std;
		c->signed_mean = res[i].signed_mean;
		c->fit_seconds = res[i].fit_seconds;
		c->predict_seconds = res[i].predict_seconds;
		c->model_bytes = res[i].model_bytes;
		c->probabilistic = res[i].probabilistic;
		c->oof = res[i].oof;
		if (c->status == AML_CANDIDATE_SKIPPED)
			continue;			/* not started: the budget ran out */
		s->evaluated++;
		if (c->status == AML_CANDIDATE_OK)
			note_estimator_best(s, idx);
		if (c->status == AML_CANDIDATE_OK &&
			(s->best < 0 || c->signed_mean > s->cands[s->best].signed_mean))
		{
			s->best = idx;
			if (s->improved_at == 0 ||
				c->signed_mean > s->improved_score + CONVERGED_STEP * (isnan(c->std) ? 0 : c->std))
			{
				s->improved_at = s->evaluated;
				s->improved_score = c->signed_mean;
			}
			/* at most one a second, except in a run bounded by
			 * max_evaluations: there every new best is told, so that
			 * the messages do not depend on the machine's speed; and
			 * the rescue, always */
			if (s->opt->max_evaluations > 0 || s->rescuing || aml_clock() - s->last_best_note >= 1.0)
			{
				aml_search_note(s, s->rescuing ? "rescue" : "new best");
				s->last_best_note = aml_clock();
			}
		}
	}
	aml_free(res);
	trim_oof(s);
	return AML_OK;
}

/* Tell an event of the search (generations: at most one every 3 s, and the last). */
static void
tell(Search *s, const char *event)
{
	if (strcmp(event, "generation") != 0)
		aml_search_note(s, event);
	else if (aml_clock() - s->last_generation_note >= 3.0 || s->stop)
	{
		aml_search_note(s, event);
		s->last_generation_note = aml_clock();
	}
}

/*
 * Submit a newly proposed batch.  Its requests are made now, from the
 * results known now.  With `ahead`, it becomes the pending batch: the batch
 * pending before is evaluated first, and the evaluator may start the new
 * batch's candidates while the last ones of the pending batch still run —
 * processes do not idle at the end of a batch (the batch barrier).  So a
 * batch is proposed from the results of the batches before the one still
 * pending: one batch of lag, the same for any number of processes (the
 * serial evaluator simply ignores what it may start early).  Without
 * `ahead` (until a candidate succeeds, and for the rescue), the pending
 * batch and this one are evaluated before it returns.
 */
static AmlStatus
submit_batch(Search *s, const int *batch, int n, bool ahead, AmlError *err)
{
	AmlEvalRequest *req = AML_NEW_ARRAY(AmlEvalRequest, n > 0 ? n : 1);
	int		   *copy = AML_NEW_ARRAY(int, n > 0 ? n : 1);
	AmlStatus	st = AML_OK;

	if (req == NULL || copy == NULL)
	{
		aml_free(req);
		aml_free(copy);
		return aml_error_nomem(err, "a batch of candidates");
	}
	make_requests(s, batch, n, req);
	if (n > 0)
		memcpy(copy, batch, sizeof(int) * n);
	if (s->n_pending > 0)
	{
		const char *event = s->pending_note;

		st = evaluate_batch(s, s->pending, s->pending_req, s->n_pending, ahead ? req : NULL,
							ahead ? n : 0, err);
		aml_free(s->pending);
		aml_free(s->pending_req);
		s->pending = NULL;
		s->pending_req = NULL;
		s->n_pending = 0;
		s->pending_note = NULL;
		s->generations_done = s->pending_generation;
		if (st == AML_OK && event != NULL)
			tell(s, event);
	}
	if (st == AML_OK && s->stop)
		mark_stopped(s, copy, n);	/* asked to stop while the pending batch ran */
	else if (st == AML_OK && ahead && n > 0)
	{
		s->pending = copy;
		s->pending_req = req;
		s->n_pending = n;
		s->pending_generation = s->generation;
		return AML_OK;
	}
	else if (st == AML_OK)
	{
		st = evaluate_batch(s, copy, req, n, NULL, 0, err);
		s->generations_done = s->generation;
	}
	aml_free(copy);
	aml_free(req);
	return st;
}

/* Evaluate the pending batch, if any (the end of a phase of the search). */
static AmlStatus
flush_batches(Search *s, AmlError *err)
{
	return submit_batch(s, NULL, 0, false, err);
}

/* How many more candidates may be sent (max_evaluations), at most want. */
static int
batch_room(const Search *s, int want)
{
	if (s->opt->max_evaluations > 0)
	{
		int			left = s->opt->max_evaluations - s->evaluated - s->n_pending;

		return left < want ? left : want;
	}
	return want;
}

/* ------------------------------------------------------------ phases */

static AmlStatus
run_portfolio(Search *s, AmlError *err)
{
	AmlGenome  *portfolio = AML_NEW_ARRAY(AmlGenome, PORTFOLIO_MAX);
	int			batch[PORTFOLIO_MAX];
	int			size = s->opt->batch_size > 0 ? s->opt->batch_size : DEFAULT_BATCH;
	int			n;
	int			next = 0;

	if (portfolio == NULL)
		return aml_error_nomem(err, "the portfolio");
	n = aml_space_portfolio(s->opt->space, &s->traits, &s->gen_rng, portfolio, PORTFOLIO_MAX);
	while (next < n && !s->stop)
	{
		int			n_batch = 0;
		int			room;

		if (out_of_time(s))
		{
			s->stop = true;
			break;
		}
		/* one at a time until one succeeds (it may take most of the budget) */
		room = batch_room(s, s->best < 0 ? 1 : size);
		while (next < n && n_batch < room)
		{
			bool		added;

			if (propose_genome(s, &portfolio[next++], "portfolio", batch, &n_batch, &added, err) != AML_OK)
			{
				aml_free(portfolio);
				return err->status;
			}
		}
		/* ahead once a candidate succeeded: see submit_batch */
		if (submit_batch(s, batch, n_batch, s->best >= 0, err) != AML_OK)
		{
			aml_free(portfolio);
			return err->status;
		}
	}
	aml_free(portfolio);
	/* told when its last batch is evaluated */
	if (s->n_pending > 0)
		s->pending_note = "portfolio";
	else
		aml_search_note(s, "portfolio");
	return AML_OK;
}

static AmlStatus
run_evolution(Search *s, AmlError *err)
{
	int			mu = s->opt->population > 0 ? s->opt->population : 16;
	int			lambda = s->opt->offspring > 0 ? s->opt->offspring : 8;
	int		   *pop = NULL;
	int		   *pool = NULL;
	double	   *score = NULL;
	int		   *complexity = NULL;
	int		   *rank = NULL;
	double	   *crowd = NULL;
	int		   *batch = AML_NEW_ARRAY(int, lambda);
	int			n_pop = 0;
	int			stall = 0;

	if (batch == NULL)
		return aml_error_nomem(err, "the offspring");
	while (!s->stop)
	{
		int			n_pool = 0;
		int			before = s->n;
		int			n_batch = 0;
		int			room;

		if (out_of_time(s))
		{
			s->stop = true;
			break;
		}
		/* survivors: NSGA-II over every candidate that scored */
		aml_free(pool);
		aml_free(score);
		aml_free(complexity);
		pool = AML_NEW_ARRAY(int, s->n + 1);
		score = AML_NEW_ARRAY(double, s->n + 1);
		complexity = AML_NEW_ARRAY(int, s->n + 1);
		if (pool == NULL || score == NULL || complexity == NULL)
			break;
		for (int i = 0; i < s->n; i++)
			if (s->cands[i].status == AML_CANDIDATE_OK)
			{
				pool[n_pool] = i;
				score[n_pool] = s->cands[i].signed_mean;
				complexity[n_pool] = s->cands[i].complexity;
				n_pool++;
			}
		{
			int		   *chosen = AML_NEW_ARRAY(int, n_pool + 1);

			if (chosen == NULL)
				break;
			n_pop = aml_nsga2_select(score, complexity, n_pool, mu, chosen);
			aml_free(pop);
			pop = AML_NEW_ARRAY(int, n_pop + 1);
			if (pop == NULL)
			{
				aml_free(chosen);
				break;
			}
			for (int i = 0; i < n_pop; i++)
				pop[i] = pool[chosen[i]];
			aml_free(chosen);
		}
		aml_free(rank);
		aml_free(crowd);
		rank = AML_NEW_ARRAY(int, n_pop + 1);
		crowd = AML_NEW_ARRAY(double, n_pop + 1);
		if (rank == NULL || crowd == NULL)
			break;
		for (int i = 0; i < n_pop; i++)
		{
			score[i] = s->cands[pop[i]].signed_mean;
			complexity[i] = s->cands[pop[i]].complexity;
		}
		if (n_pop > 0)
			aml_nsga2_rank(score, complexity, n_pop, rank, crowd);

		/* the generation's offspring, proposed from this population, one batch */
		s->generation++;
		room = batch_room(s, lambda);
		for (int produced = 0; produced < room; produced++)
		{
			bool		added = false;

			for (int attempt = 0; attempt < 12 && !added; attempt++)
			{
				AmlGenome	child;
				double		r = aml_rng_uniform(&s->gen_rng);

				if (n_pop < 2 || r < 0.1 || attempt >= 8)
					aml_genome_random(s->opt->space, &s->traits, &s->gen_rng, &child);
				else if (r < 0.25)
				{
					const AmlGenome *a = &s->cands[pop[aml_tournament(rank, crowd, n_pop, &s->gen_rng)]].genome;
					const AmlGenome *b = &s->cands[pop[aml_tournament(rank, crowd, n_pop, &s->gen_rng)]].genome;
					AmlGenome	crossed;

					aml_genome_crossover(s->opt->space, &s->traits, &s->gen_rng, a, b, &crossed);
					if (aml_rng_uniform(&s->gen_rng) < 0.5)
						aml_genome_mutate(s->opt->space, &s->traits, &s->gen_rng, &crossed, &child);
					else
						child = crossed;
				}
				else
				{
					const AmlGenome *parent = &s->cands[pop[aml_tournament(rank, crowd, n_pop, &s->gen_rng)]].genome;

					aml_genome_mutate(s->opt->space, &s->traits, &s->gen_rng, parent, &child);
				}
				if (propose_genome(s, &child, "evolution", batch, &n_batch, &added, err) != AML_OK)
					goto fail;
			}
		}
		if (submit_batch(s, batch, n_batch, s->best >= 0, err) != AML_OK)
			goto fail;
		/* a space too small to produce anything new ends the search */
		stall = s->n == before ? stall + 1 : 0;
		if (stall >= 3)
		{
			snprintf(s->stop_reason, sizeof(s->stop_reason), "search space exhausted");
			s->stop = true;
		}
		/* told when the generation is evaluated */
		if (s->n_pending > 0)
			s->pending_note = "generation";
		else if (n_batch > 0)
			tell(s, "generation");
	}
	aml_free(batch);
	aml_free(pop);
	aml_free(pool);
	aml_free(score);
	aml_free(complexity);
	aml_free(rank);
	aml_free(crowd);
	return AML_OK;
fail:
	aml_free(batch);
	aml_free(pop);
	aml_free(pool);
	aml_free(score);
	aml_free(complexity);
	aml_free(rank);
	aml_free(crowd);
	return err->status;
}

/*
 * When the search ended before any candidate succeeded (a large table, a
 * short budget, a loaded machine; or max_evaluations candidates that all
 * ran out of the memory budget, as one-hot encodings of many levels do),
 * one last candidate that fits in a blink: Gaussian naive Bayes
 * (classification) or ridge regression, on ordinal codes, given 5 % of the
 * budget (at least 0.5 s) from now on top of the search's reserve, in this
 * process (helper processes may still be busy with the splits that ran out
 * of time).  A model at the edge of the budget is better than an error; it
 * counts as one more evaluation than max_evaluations.  A search space
 * without that estimator has no rescue.
 */
static AmlStatus
rescue(Search *s, AmlError *err)
{
	const char *name = s->schema->task == AML_TASK_CLASSIFICATION ? "gaussian_nb" : "ridge";
	int			op = aml_space_find(s->opt->space, name);
	AmlGenome	g;
	int			batch[1];
	int			n_batch = 0;
	bool		added;
	double		saved = s->deadline;
	bool		stopped;
	AmlStatus	st;

	if (op < 0 || stop_requested(s))
		return AML_OK;
	memset(&g, 0, sizeof(g));
	for (int k = 0; k < AML_N_SLOTS; k++)
		g.slots[k].op = -1;
	g.ordinal = 1;
	aml_gene_default(s->opt->space, op, &g.slots[AML_SLOT_ESTIMATOR]);
	aml_genome_repair(s->opt->space, &s->traits, &s->gen_rng, &g);
	s->rescuing = true;
	st = propose_genome(s, &g, "rescue", batch, &n_batch, &added, err);
	if (st != AML_OK)
	{
		s->rescuing = false;
		return st;
	}
	s->deadline = fmax(saved, aml_clock() + aml_search_reserve(s)) + fmax(0.05 * s->opt->time_budget, 0.5);
	/*
	 * the search stopped because its time ran out (s->stop), which would
	 * mark the rescue as stopped too ("the job was cancelled") unasked
	 */
	stopped = s->stop;
	s->stop = false;
	st = submit_batch(s, batch, n_batch, false, err);
	s->stop = stopped;
	s->rescuing = false;
	s->deadline = saved;
	return st;
}

/* The error when nothing worked: the most common reasons. */
static AmlStatus
all_failed(Search *s, AmlError *err)
{
	char		detail[AML_DETAIL_LEN];
	size_t		used = 0;
	bool	   *counted = AML_NEW_ARRAY(bool, s->n + 1);

	detail[0] = '\0';
	for (int shown = 0; shown < 3 && counted != NULL; shown++)
	{
		int			best = -1;
		int			best_count = 0;

		for (int i = 0; i < s->n; i++)
		{
			int			count = 0;

			if (counted[i])
				continue;
			for (int j = i; j < s->n; j++)
				if (!counted[j] && strcmp(s->cands[j].reason, s->cands[i].reason) == 0)
					count++;
			if (count > best_count)
			{
				best = i;
				best_count = count;
			}
		}
		if (best < 0)
			break;
		for (int j = best; j < s->n; j++)
			if (strcmp(s->cands[j].reason, s->cands[best].reason) == 0)
				counted[j] = true;
		used += (size_t) snprintf(detail + used, sizeof(detail) - used, "%s%s (%d candidate%s)",
								  used ? "; " : "", s->cands[best].reason, best_count,
								  best_count == 1 ? "" : "s");
		if (used >= sizeof(detail))
			break;
	}
	aml_free(counted);
	if (s->n == 0)
	{
		aml_error(err, AML_ERR_INVALID_DATA, "no candidate pipeline could be evaluated");
		return aml_error_hint(err, "Give the search more time (time_budget) or a wider search_space.");
	}
	{
		/* every one out of memory (or skipped as too large for it): the budget is the cause */
		bool		memory = true;

		for (int i = 0; i < s->n && memory; i++)
			if (strstr(s->cands[i].reason, "out of memory") != s->cands[i].reason &&
				strstr(s->cands[i].reason, "the memory budget allows") == NULL)
				memory = false;
		if (memory)
		{
			aml_error(err, AML_ERR_OUT_OF_MEMORY, "every candidate pipeline ran out of the memory budget");
			aml_error_detail(err, "Most common reasons: %s.", detail);
			return aml_error_hint(err, "Raise automl.max_memory, or use fewer rows or columns.");
		}
	}
	aml_error(err, AML_ERR_INVALID_DATA, "every candidate pipeline failed");
	aml_error_detail(err, "Most common reasons: %s.", detail);
	return aml_error_hint(err, "Check the data (target, features), or give the search more time.");
}

AmlStatus
aml_search_run(const AmlSchema *schema, const AmlMatrix *raw, const double *y, int n_classes,
			   const AmlSearchOptions *options, AmlSearchResult **out, AmlError *err)
{
	Search		s;
	AmlSearchResult *r;
	AmlRng		root;
	AmlRng		fold_rng;
	AmlStatus	st = AML_OK;
	int			repeats = options->cv_repeats > 1 ? options->cv_repeats : 1;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	s.schema = schema;
	s.opt = options;
	s.best = -1;
	s.deadline = options->start + options->time_budget;
	aml_search_traits(schema, raw, n_classes, &s.traits);
	aml_rng_seed(&root, options->seed);
	aml_rng_derive(&root, 1, &s.gen_rng);
	aml_rng_derive(&root, 2, &fold_rng);
	if (!aml_memory_fits(aml_cv_data_bytes(raw->rows, raw->cols, options->cv_folds * repeats)))
	{
		aml_error(err, AML_ERR_OUT_OF_MEMORY, "the cross-validation folds do not fit in the memory budget");
		aml_error_detail(err, "%d folds of %d rows and %d columns need about %zu kB.",
						 options->cv_folds * repeats, raw->rows, raw->cols,
						 aml_cv_data_bytes(raw->rows, raw->cols, options->cv_folds * repeats) / 1024);
		return aml_error_hint(err, "Raise automl.max_memory, or train on fewer rows or columns.");
	}
	AML_TRY(aml_cv_data_create(schema, raw, y, n_classes, options->cv_folds, repeats,
							   options->metric, &fold_rng, &s.cv, err));
	s.seen = aml_dict_new();
	r = AML_NEW(AmlSearchResult);
	if (s.seen == NULL || r == NULL)
	{
		aml_cv_data_free(s.cv);
		aml_dict_free(s.seen);
		aml_free(r);
		return aml_error_nomem(err, "the search");
	}
	r->calibration_share1 = NAN;
	snprintf(s.stop_reason, sizeof(s.stop_reason), "search finished");

	st = run_portfolio(&s, err);
	if (st == AML_OK && !s.stop)
		st = run_evolution(&s, err);
	if (st == AML_OK)
		st = flush_batches(&s, err);
	aml_free(s.pending);
	aml_free(s.pending_req);
	/*
	 * the last batch, proposed while the one before it ran, may find the
	 * budget spent: its candidates never started are not part of the search
	 * (the last ones proposed, so the others keep number = index + 1)
	 */
	while (st == AML_OK && s.n > 0 && s.cands[s.n - 1].status == AML_CANDIDATE_SKIPPED &&
		   s.cands[s.n - 1].folds_done == 0 &&
		   strncmp(s.cands[s.n - 1].reason, "not started", 11) == 0)
		aml_candidate_clear(&s.cands[--s.n]);
	if (st == AML_OK && s.best < 0)
		st = rescue(&s, err);
	if (st == AML_OK && s.best < 0)
		st = all_failed(&s, err);
	if (st == AML_OK)
	{
		r->best = s.best;
		r->final.n_members = 1;
		r->final.members[0] = s.best;
		r->final.weights[0] = 1.0;
		r->final.score = s.cands[s.best].mean;
		r->final.signed_score = s.cands[s.best].signed_mean;
		r->cv_score = s.cands[s.best].mean;
		r->cv_std = s.cands[s.best].std;
		if (options->ensemble)
			st = aml_search_run_ensemble(&s, r, err);
		/* calibrated probabilities for the chosen model (one call: search_calibration.c) */
		if (st == AML_OK)
			st = aml_search_calibrate(s.cv, s.cands, &r->final, options->seed, options->metric,
									  options->threshold_auto, options->threshold, &r->calibration,
									  r->calibration_logloss, &r->calibration_share1, err);
	}
	aml_cv_data_free(s.cv);
	aml_dict_free(s.seen);
	for (int i = 0; i < s.n; i++)
	{
		aml_matrix_free(s.cands[i].oof);
		s.cands[i].oof = NULL;
	}
	if (st != AML_OK)
	{
		for (int i = 0; i < s.n; i++)
			aml_candidate_clear(&s.cands[i]);
		aml_free(s.cands);
		aml_calibrator_free(r->calibration);
		aml_free(r);
		return st;
	}
	r->candidates = s.cands;
	r->n_candidates = s.n;
	r->generations = s.generation;
	r->evaluated = s.evaluated;
	r->seconds = aml_clock() - options->start;
	r->traits = s.traits;
	r->split_train_rows = (double) raw->rows * (options->cv_folds - 1) / options->cv_folds;
	r->split_test_rows = (double) raw->rows / options->cv_folds;
	snprintf(r->stop_reason, sizeof(r->stop_reason), "%s", s.stop_reason);
	*out = r;
	return AML_OK;
}
