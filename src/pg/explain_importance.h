/*
 * explain_importance.h — global feature importance stored with a model at
 * training time (mean |SHAP| on the holdout rows), and read back.
 */
#ifndef AML_PG_EXPLAIN_IMPORTANCE_H
#define AML_PG_EXPLAIN_IMPORTANCE_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "ml/model.h"

/* holdout rows explained at most (a seeded sample of them when more) */
#define AML_IMPORTANCE_MAX_ROWS 1000
/* when time is short, a smaller seeded sample of them, but at least this many */
#define AML_IMPORTANCE_MIN_ROWS 100
/* permutations per row for the families explained by sampling */
#define AML_IMPORTANCE_SAMPLES 64

/*
 * Mean |SHAP| per input of model over rows[0..n_rows) of raw (rows NULL:
 * its first n_rows), the holdout or, holdout false, the training rows when
 * the run held none out, as the JSON object stored under metrics.importance, or NULL (after a
 * NOTICE) when not even AML_IMPORTANCE_MIN_ROWS of them would be explained
 * before deadline (aml_clock() scale; estimated from a timed first
 * chunk of rows, after the explainer's preparation, and checked after
 * every chunk).  When all would not, a smaller seeded sample of the rows,
 * as many as fit; "rows" in the object says how many.  automl_train's search keeps
 * time for it (AmlSearchOptions.importance_*).
 * The object is owned by CurrentMemoryContext (aml_pg_json_own).
 */
json_object *aml_importance_at_training(const AmlModel *model, const AmlMatrix *raw,
										const int *rows, int n_rows, bool holdout,
										uint64 seed, double deadline);

#endif
