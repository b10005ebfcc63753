/*
 * evaluate.h — scoring one candidate pipeline by k-fold cross-validation.
 *
 * The folds are cut once per search (stratified for classification) and the
 * fold matrices kept, so every candidate sees exactly the same splits.  A
 * candidate is scored fold by fold; after each fold but the last it is
 * pruned when its running mean is clearly worse than the best candidate so
 * far (margin: 3 standard deviations of the best candidate's fold scores
 * after one fold, shrinking as 1/sqrt(folds)), which saves most of the cost
 * of bad candidates.  Out-of-fold predictions can be kept for ensembles
 * (with repeated k-fold, their mean over the repeats).
 */
#ifndef AML_SEARCH_EVALUATE_H
#define AML_SEARCH_EVALUATE_H

#include <json.h>

#include "core/clock.h"
#include "core/matrix.h"
#include "core/random.h"
#include "core/status.h"
#include "ml/encoder.h"
#include "ml/metrics.h"
#include "search/space.h"

#define AML_MAX_FOLDS 20

typedef struct AmlCvData
{
	const AmlSchema *schema;
	const AmlMetric *metric;
	int			n_rows;			/* scored rows (the out-of-fold predictions' rows) */
	int			n_classes;
	const double *y;			/* the scored rows' targets (owned) */
	int			k;				/* splits: folds_per_repeat x repeats */
	int			folds_per_repeat;
	int			repeats;
	int			n_pinned;		/* rows of too rare classes: in every training split */
	AmlMatrix  *train_x[AML_MAX_FOLDS];
	double	   *train_y[AML_MAX_FOLDS];
	AmlMatrix  *test_x[AML_MAX_FOLDS];
	double	   *test_y[AML_MAX_FOLDS];
	int		   *test_rows[AML_MAX_FOLDS];
	int			n_test[AML_MAX_FOLDS];
} AmlCvData;

typedef enum AmlCandidateStatus
{
	AML_CANDIDATE_OK = 0,
	AML_CANDIDATE_FAILED,
	AML_CANDIDATE_TIMED_OUT,
	AML_CANDIDATE_PRUNED,
	AML_CANDIDATE_SKIPPED
} AmlCandidateStatus;

const char *aml_candidate_status_name(AmlCandidateStatus status);

typedef struct AmlCandidate
{
	int			number;			/* order of evaluation, from 1 */
	const char *phase;			/* "portfolio", "evolution" */
	AmlGenome	genome;
	char	   *spec;			/* canonical JSON text of the pipeline specification */
	char	   *description;	/* in words */
	char	   *estimator;		/* its estimator type */
	int			complexity;
	int			folds_done;
	double		fold_scores[AML_MAX_FOLDS];
	double		mean;			/* of the metric as reported */
	double		std;
	double		signed_mean;	/* higher is better */
	double		fit_seconds;	/* all folds, fit and predict */
	double		predict_seconds;	/* of which predicting the test rows */
	double		model_bytes;	/* its model's JSON size fitted on one split (estimated) */
	double		data_bytes;		/* memory of its data's copies through its preprocessing on one
								 * split's rows (estimated) */
	AmlCandidateStatus status;
	char		reason[256];
	AmlMatrix  *oof;			/* out-of-fold predictions (n_rows x outputs) or NULL */
	bool		probabilistic;
} AmlCandidate;

#define AML_CAP_SLACK 1.1		/* AmlPruneRule.max_seconds */

/* When to stop a candidate early. */
typedef struct AmlPruneRule
{
	bool		active;
	double		best_signed_mean;
	double		best_std;
	/*
	 * A candidate whose own refits and storing would not end by
	 * end_deadline (aml_clock()) is stopped after its first split: those
	 * costs are estimated from that split, refit_per_fit_second seconds per
	 * second of its fit and store_per_byte seconds per byte of its model.
	 * 0: no such check (max_evaluations, or no candidate succeeded yet).
	 */
	double		end_deadline;
	double		refit_per_fit_second;
	double		store_per_byte;
	/*
	 * A candidate whose splits, at its first split's pace and with
	 * splits_at_once processes on the rest of them (the best case), would
	 * take more than AML_CAP_SLACK times max_seconds (its time cap) is
	 * stopped after that split: the cap would stop it anyway, later.
	 * max_seconds 0: no such check; splits_at_once 0 means 1 (the
	 * evaluator sets it).
	 */
	double		max_seconds;
	int			splits_at_once;
	/*
	 * A candidate whose model, fitted on the first split, is larger than
	 * this (bytes of JSON; its final fit is larger still) fails: it could
	 * not be stored.  0: no limit.
	 */
	double		max_split_model_bytes;
	double		max_model_bytes;	/* the limit itself, for the reason */
} AmlPruneRule;

/*
 * k-fold (stratified for classification) repeated `repeats` times; rows of
 * classes with fewer than k rows are in the training rows of every split and
 * never tested (they cannot be stratified).
 */
AmlStatus	aml_cv_data_create(const AmlSchema *schema, const AmlMatrix *raw, const double *y,
							   int n_classes, int k, int repeats, const AmlMetric *metric,
							   AmlRng *rng, AmlCvData **out, AmlError *err);
void		aml_cv_data_free(AmlCvData *cv);
/* Bytes the fold matrices need (for the memory budget). */
size_t		aml_cv_data_bytes(int n_rows, int n_cols, int k);

/*
 * Evaluate spec on every fold.  The candidate's status says how it went;
 * the return value is not AML_OK only when the caller must stop (the
 * interrupt hook fired for a reason other than the candidate's own time cap,
 * or a bug).  `cancelled` is the caller's "stop everything" check.
 */
AmlStatus	aml_cv_evaluate(const AmlCvData *cv, json_object *spec, const AmlPruneRule *prune,
							double deadline, double cap_seconds, bool keep_oof,
							bool (*cancelled) (void),
							AmlRng *rng, AmlCandidate *c, AmlError *err);
void		aml_candidate_clear(AmlCandidate *c);

/*
 * The same, split by split, for evaluators that spread the splits of a
 * candidate over several processes (search/batch.h): aml_cv_fold runs split
 * f (random stream: rng derived by f; cap_seconds only names the time cap in
 * a timed-out reason, 0 when the deadline is the end of the budget) and may run in any process holding the same folds;
 * the outcomes are then taken in split order with aml_cv_take_fold between
 * aml_cv_candidate_begin and aml_cv_candidate_end, which gives exactly what
 * aml_cv_evaluate gives (outcomes of splits after the one that finished the
 * candidate are dropped).
 */
typedef struct AmlFoldOutcome
{
	AmlCandidateStatus status;	/* OK, FAILED or TIMED_OUT */
	char		reason[256];
	double		score;
	double		seconds;
	double		predict_seconds;	/* of seconds, predicting the test rows */
	double		model_bytes;	/* split 0 */
	bool		probabilistic;
	AmlMatrix  *pred;			/* the split's test rows x outputs, when asked for */
} AmlFoldOutcome;

AmlStatus	aml_cv_fold(const AmlCvData *cv, json_object *spec, int f, const AmlRng *rng,
						double deadline, double cap_seconds, bool want_pred,
						bool (*cancelled) (void), AmlFoldOutcome *out, AmlError *err);
void		aml_fold_outcome_clear(AmlFoldOutcome *o);
void		aml_cv_candidate_begin(AmlCandidate *c);
bool		aml_cv_take_fold(const AmlCvData *cv, const AmlPruneRule *prune, bool keep_oof, int f,
							 AmlFoldOutcome *o, AmlCandidate *c);
void		aml_cv_candidate_end(const AmlCvData *cv, AmlCandidate *c, AmlStatus result);

#endif
