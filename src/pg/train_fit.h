/*
 * train_fit.h — what automl_train fits after its search: the winner
 * (ensemble or pipeline) on the training rows, scored on the holdout, then
 * on every row (refit => 'all'), each on as many rows as the time budget
 * (src/search/validation.h, aml_validation_fit_rows) and the memory budget
 * (automl.max_memory, from the search's estimates) allow; an ensemble
 * whose refits cannot fit gives way to the best single pipeline.  Also the
 * search's own rows: a sample when the table is large for the budget.
 */
#ifndef AML_PG_TRAIN_FIT_H
#define AML_PG_TRAIN_FIT_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "ml/metrics.h"
#include "ml/model.h"
#include "pg/training_data.h"
#include "search/search.h"

/*
 * The largest model JSON stored: jsonb refuses more than 256 MB of
 * elements (a 230 MB ensemble of forests failed), and the estimates made
 * from the search's fits are within about 15 %.
 */
#define AML_MAX_MODEL_BYTES (128.0 * 1048576.0)

typedef struct AmlWinnerFit
{
	/* in */
	const AmlTrainingData *data;
	const AmlMetric *metric;
	AmlSearchResult *result;	/* its final choice may become the best pipeline */
	const AmlMatrix *train_x;	/* the training rows (not the holdout's) */
	const double *train_y;
	int			n_train;
	const int  *test_rows;		/* into data's rows */
	int			n_test;
	const int  *train_order;	/* nested sampling order of the training rows; NULL: made when needed */
	int			n_search;		/* rows the search validated on (the fewest fitted) */
	bool		refit_all;
	uint64		seed;
	double		budget_end;		/* start + time_budget: what the rows are planned for */
	double		hard_deadline;	/* start + time_budget + margin: what must not be passed */
	double		store_seconds;	/* storing the rows of the run */
	double		store_per_byte;
	/* out */
	AmlModel   *model;
	int			final_rows;
	int			holdout_fit_rows;	/* rows of the model scored on the holdout */
	bool		memory_bound;	/* fewer rows than the time allows: the memory budget */
	int			memory_rows;	/* rows of the first fit that ran out of memory; 0: none */
	double		holdout_score;	/* NaN: no holdout */
	json_object *holdout_report;	/* NULL: no holdout */
} AmlWinnerFit;

/* Fit the winner (see above), NOTICEs for every fallback. */
void		aml_train_fit_winner(AmlWinnerFit *f);

/*
 * The first m rows of the nested sampling order of n rows (y: class codes
 * for classification, NULL for regression), in increasing order; order
 * (NULL: made here) is kept by the caller to draw more.
 */
int		   *aml_train_sample_rows(const int *order, int n, int m);
int		   *aml_train_sample_order(const double *y, int n, int n_classes, uint64 seed);

/*
 * Bytes of the copies of the data through the preprocessing of the chosen
 * model's members fitted on `rows` rows (the largest member's: they are
 * fitted one after the other), from the search's estimates on a split.
 */
double		aml_train_data_bytes_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows);
/* Seconds to fit the chosen model's members on `rows` rows, from their CV fit times. */
double		aml_train_refit_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows);
/* Seconds for it to predict `rows` rows, from its CV predictions' times. */
double		aml_train_predict_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows);
/* Seconds (per_byte > 0) or bytes (per_byte 1) to store it fitted on `rows` rows. */
double		aml_train_store_estimate(const AmlSearchResult *r, const AmlEnsembleChoice *e, int rows,
									 double per_byte);
/* The decision threshold of a two-class model (aml_model_decide); NaN: argmax. */
double		aml_train_model_threshold(const AmlModel *m);

#endif
