/*
 * search.h — the AutoML search: find, score and refit the best pipeline.
 *
 * 1. Portfolio: strong, robust configurations (space.c), cheapest first, so
 *    that a good model exists after seconds.
 * 2. Evolution: NSGA-II on (cross-validated score, pipeline size) like TPOT;
 *    offspring by mutation (a hyperparameter, an operator, a preprocessing
 *    step, the encoding) and crossover (preprocessing of one parent,
 *    estimator of another).  Every candidate is cross-validated on the same
 *    folds, pruned early when clearly worse than the best, skipped when its
 *    estimated memory does not fit the budget, capped in time, and never
 *    evaluated twice (cache by the canonical text of its specification).
 * 3. Ensemble: greedy ensemble selection over the best candidates' out-of-fold
 *    predictions; kept only when it beats the best single pipeline in CV.
 *
 * Budgets: the search stops when max_evaluations candidates were evaluated,
 * or when what is left of the time budget is needed to refit the winner.
 * With max_evaluations the result depends only on the data and the seed
 * (candidates have no time cap then), unless the time budget runs out first.
 */
#ifndef AML_SEARCH_SEARCH_H
#define AML_SEARCH_SEARCH_H

#include "core/matrix.h"
#include "core/status.h"
#include "ml/encoder.h"
#include "ml/metrics.h"
#include "ml/model.h"
#include "search/batch.h"
#include "search/ensemble_selection.h"
#include "search/evaluate.h"
#include "search/space.h"

typedef struct AmlSearchProgress
{
	const char *event;			/* "portfolio", "generation", "new best", "rescue", "ensemble" */
	int			generation;
	int			evaluated;
	double		best_mean;
	double		best_std;
	const char *best_description;
	double		elapsed;
	double		time_left;
} AmlSearchProgress;

typedef struct AmlSearchOptions
{
	const AmlMetric *metric;
	const AmlSearchSpace *space;
	int			cv_folds;		/* k of k-fold cross-validation */
	int			cv_repeats;		/* repeated k-fold: 0 or 1 = once */
	uint64_t	seed;
	double		start;			/* aml_clock() when the call began: the budget counts from it */
	double		time_budget;	/* seconds */
	int			max_evaluations;	/* 0 = no limit */
	int			population;		/* survivors per generation (default 16) */
	int			offspring;		/* new candidates per generation (default 8) */
	bool		ensemble;		/* try greedy ensemble selection */
	/*
	 * The decision threshold of two classes (search_calibration.h):
	 * threshold_auto chooses it on the calibrated out-of-fold predictions
	 * by the metric; otherwise threshold, 0 meaning 0.5.
	 */
	bool		threshold_auto;
	double		threshold;
	double		reserve_seconds;	/* time kept for the caller after the refit (storing) */
	double		store_seconds_per_byte;	/* storing the final model, per byte of its JSON */
	double		store_scale;	/* rows of the final fit / rows of the search */
	double		refit_scale;	/* the caller's refits, in rows of the search's data (0 = 1): refit on
								 * the training rows and then on all rows with a holdout of
								 * 25 % is 1 + 4/3 */
	/*
	 * The least the caller must do with the winner, in the same units (0 =
	 * as above): automl_train fits on as few rows as the search's when
	 * time is short (1: pg/train_fit.c).  A candidate that could not have
	 * even that done in time is stopped after its first split; when it is
	 * below refit_scale, the search keeps at most 40 % of the budget for
	 * the refits (search_estimates.c).
	 */
	double		min_refit_scale;
	double		min_store_scale;
	/*
	 * Largest model (bytes of JSON, fitted on all the rows of the final
	 * fit) the caller can store; 0: no limit.  Larger candidates fail.
	 */
	double		max_model_bytes;
	/*
	 * The global importance the caller computes with the final model (mean
	 * |SHAP| on the holdout rows, pg/explain_importance.h): importance_rows
	 * rows explained (0: none), importance_samples permutations per row for
	 * the models explained by sampling, importance_scale how much slower
	 * this machine runs now than the one the rates were measured on (0 = 1).
	 * Its estimated time is kept in the reserve (search_estimates.c) unless
	 * it is more than a quarter of the budget (then the caller
	 * will likely skip it, as without the reserve).
	 */
	int			importance_rows;
	int			importance_samples;
	double		importance_scale;
	void		(*progress) (void *arg, const AmlSearchProgress *p);
	void	   *progress_arg;
	bool		(*cancelled) (void);	/* stop everything (query cancel) */
	/*
	 * End the search now and keep what was found (a job cancelled with
	 * keep_best); NULL: never.  When it returns true, cancelled() does too
	 * (so that a candidate being evaluated stops), and the search ends
	 * normally with stop_reason "cancelled".
	 */
	bool		(*stop_requested) (void);
	/*
	 * How candidates are evaluated (batch.h): NULL = one after the other in
	 * this process.  batch_size: portfolio candidates per batch (default 4;
	 * 1 until a candidate succeeded; a generation's offspring are one batch).  Neither may depend on the
	 * number of workers, or results would.
	 */
	AmlEvaluateBatchFn evaluate_batch;
	void	   *evaluate_batch_arg;
	int			batch_size;
} AmlSearchOptions;

typedef struct AmlSearchResult
{
	int			n_candidates;
	AmlCandidate *candidates;	/* in evaluation order */
	int			best;			/* best single candidate */
	AmlEnsembleChoice final;	/* the chosen model: one member, or an ensemble */
	bool		is_ensemble;
	double		cv_score;		/* of the chosen model (metric as reported) */
	double		cv_std;
	int			generations;
	int			evaluated;		/* candidates evaluated (not skipped) */
	double		seconds;
	char		stop_reason[64];
	AmlDataTraits traits;
	double		split_train_rows;	/* rows a candidate was fitted on per split (for estimates) */
	double		split_test_rows;	/* rows it predicted per split */
	/* calibration of the chosen model's probabilities (search_calibration.h) */
	struct AmlCalibrator *calibration;	/* NULL: none helps and the threshold is 0.5, or not a classifier */
	double		calibration_logloss[2];	/* cross-fitted log loss without / with it */
	/*
	 * Two classes with the threshold chosen ('auto') and a calibrator: the
	 * share of out-of-fold rows that the calibration and threshold decide as
	 * class 1 (train_fit.c checks that they decide new rows alike); NaN
	 * otherwise.
	 */
	double		calibration_share1;
} AmlSearchResult;

AmlStatus	aml_search_run(const AmlSchema *schema, const AmlMatrix *raw, const double *y,
						   int n_classes, const AmlSearchOptions *options,
						   AmlSearchResult **out, AmlError *err);
/* Fit the chosen model (single or ensemble) on all rows. */
AmlStatus	aml_search_refit(const AmlSchema *schema, const AmlSearchResult *result,
							 const AmlMatrix *raw, const double *y, uint64_t seed,
							 AmlModel **out, AmlError *err);
void		aml_search_result_free(AmlSearchResult *result);
/* Data traits of a schema and raw matrix. */
void		aml_search_traits(const AmlSchema *schema, const AmlMatrix *raw, int n_classes,
							  AmlDataTraits *out);

#endif
