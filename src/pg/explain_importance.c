/*
 * explain_importance.c — the global importance automl_train stores with a
 * model (see explain_importance.h): mean |contribution| per original column
 * over the holdout rows, or the training rows when none were held out (at
 * most AML_IMPORTANCE_MAX_ROWS, a seeded sample of them when there are more; fewer, down to AML_IMPORTANCE_MIN_ROWS, when the
 * time allowed is short), with the model's explainer (ml/explain.h):
 * exact for trees, forests, boosting and linear models, permutation
 * sampling with AML_IMPORTANCE_SAMPLES permutations per row otherwise.
 *
 * Stored in automl.models.metrics under "importance":
 *   {"method": "shap", "explainer": "tree_shap" | "linear" | "sampling" | "ensemble",
 *    "samples": 64, "rows": n explained,
 *    "holdout_rows" (or "training_rows"): n rows they were taken from,
 *    "seed": s, "seconds": time taken,
 *    "features": [{"feature": name, "importance": mean, "std": std}, ...]}
 * features in the model's input order.  automl_feature_importance(model)
 * reads it (src/pg/explain.c).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include <math.h>

#include "miscadmin.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/memory.h"
#include "core/random.h"
#include "ml/explain.h"
#include "pg/core_bridge.h"
#include "pg/explain_importance.h"
#include "pg/fit.h"

#define FIRST_CHUNK 16
#define CHUNK 64
#define PROBE_MARGIN 8			/* the one-row probe stops what would take 8 times the time left */

static int
by_index(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return (x > y) - (x < y);
}

/* The model is stored without it: a training run does not fail for its importance. */
static json_object *
skipped(AmlError *err)
{
	if (err->status == AML_ERR_INTERRUPTED)
		aml_pg_raise(err);
	ereport(NOTICE,
			(errmsg("automl: feature importance not stored: %s", err->message),
			 errhint("automl_feature_importance(model_id) computes it when asked.")));
	return NULL;
}

json_object *
aml_importance_at_training(const AmlModel *model, const AmlMatrix *raw, const int *rows,
						   int n_rows, bool holdout, uint64 seed, double deadline)
{
	double		t0 = aml_clock();
	double		t_rows;
	int			n = model->schema->n_inputs;
	int			m = n_rows;
	int		   *pick = palloc(sizeof(int) * Max(n_rows, 1));
	double	   *sum = palloc0(sizeof(double) * Max(n, 1));
	double	   *sumsq = palloc0(sizeof(double) * Max(n, 1));
	AmlExplainer *e;
	AmlError	err;
	json_object *obj;
	json_object *features;
	int			done = 0;
	bool		resampled = false;

	if (n_rows <= 0 || n <= 0 || model->schema->task == AML_TASK_CLUSTERING)
		return NULL;
	if (t0 >= deadline)
	{
		ereport(NOTICE,
				(errmsg("automl: feature importance not stored: no time left in the budget"),
				 errhint("automl_feature_importance(model_id) computes it when asked.")));
		return NULL;
	}
	for (int i = 0; i < n_rows; i++)
		pick[i] = rows != NULL ? rows[i] : i;
	if (n_rows > AML_IMPORTANCE_MAX_ROWS)
	{
		AmlRng		rng;

		aml_rng_seed(&rng, seed);
		aml_rng_shuffle(&rng, pick, n_rows);
		m = AML_IMPORTANCE_MAX_ROWS;
		qsort(pick, m, sizeof(int), by_index);
	}
	if (aml_explainer_create(model, AML_IMPORTANCE_SAMPLES, 42, &e, &err) != AML_OK)
		return skipped(&err);
	/* the preparation (TreeSHAP's tables) is paid once: rows are timed after it */
	t_rows = aml_clock();
	while (done < m)
	{
		/* one row first: a slow explainer (sampling an ensemble) is given up after it */
		int			to = Min(m, done + (done == 0 ? 1 : done < FIRST_CHUNK ? FIRST_CHUNK - done : CHUNK));
		double		now;
		double		rate;

		CHECK_FOR_INTERRUPTS();
		if (aml_explainer_importance_add(e, raw, pick, done, to, sum, sumsq, &err) != AML_OK)
		{
			aml_explainer_free(e);
			return skipped(&err);
		}
		done = to;
		now = aml_clock();
		rate = (now - t_rows) / done;
		if (done >= m || now + rate * (m - done) <= deadline)
			continue;
		/*
		 * one row is a rough clock (its first explanation runs cold, up to
		 * 5 times the pace of the next ones on a busy machine): it only
		 * stops what is clearly out of reach
		 */
		if (done == 1 && rate * Min(m, AML_IMPORTANCE_MIN_ROWS) <= PROBE_MARGIN * (deadline - now))
			continue;
		/* the rest at the rate so far would not end in time */
		if (done <= FIRST_CHUNK && m > AML_IMPORTANCE_MIN_ROWS && !resampled)
		{
			/*
			 * after the first (timing) chunk: a smaller seeded sample of the
			 * rows, as many as fit, explained from the start
			 */
			int			k = (int) Min((double) m, 0.9 * (deadline - now) / fmax(rate, 1e-9));

			if (k >= AML_IMPORTANCE_MIN_ROWS)
			{
				AmlRng		rng;

				aml_rng_seed(&rng, seed + 1);
				aml_rng_shuffle(&rng, pick, m);
				m = k;
				resampled = true;
				qsort(pick, m, sizeof(int), by_index);
				memset(sum, 0, sizeof(double) * n);
				memset(sumsq, 0, sizeof(double) * n);
				done = 0;
				t_rows = aml_clock();
				continue;
			}
		}
		else if (done >= AML_IMPORTANCE_MIN_ROWS)
		{
			m = done;			/* later than the estimate: the rows explained so far */
			break;
		}
		ereport(NOTICE,
				(errmsg("automl: feature importance not stored: explaining %d %s rows would take about %.1f s, past the time budget",
						Min(m, AML_IMPORTANCE_MIN_ROWS), holdout ? "holdout" : "training", (t_rows - t0) + rate * Min(m, AML_IMPORTANCE_MIN_ROWS)),
				 errhint("automl_feature_importance(model_id) computes it when asked.")));
		aml_explainer_free(e);
		return NULL;
	}
	aml_importance_finish(m, n, sum, sumsq);
	obj = aml_pg_json_own(json_object_new_object());
	json_object_object_add(obj, "method", json_object_new_string("shap"));
	json_object_object_add(obj, "explainer",
						   json_object_new_string(aml_explain_method_name(aml_explainer_method(e))));
	json_object_object_add(obj, "samples", json_object_new_int(AML_IMPORTANCE_SAMPLES));
	json_object_object_add(obj, "rows", json_object_new_int(m));
	json_object_object_add(obj, holdout ? "holdout_rows" : "training_rows", json_object_new_int(n_rows));
	json_object_object_add(obj, "seed", json_object_new_int64((int64_t) seed));
	json_object_object_add(obj, "seconds", aml_json_new_number(aml_clock() - t0));
	features = json_object_new_array_ext(n);
	json_object_object_add(obj, "features", features);
	for (int j = 0; j < n; j++)
	{
		json_object *f = json_object_new_object();

		json_object_object_add(f, "feature", json_object_new_string(model->schema->inputs[j].name));
		json_object_object_add(f, "importance", aml_json_new_number(sum[j]));
		json_object_object_add(f, "std", aml_json_new_number(sumsq[j]));
		json_object_array_add(features, f);
	}
	aml_explainer_free(e);
	return obj;
}
