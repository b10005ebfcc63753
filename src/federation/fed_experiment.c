/*
 * fed_experiment.c — automl_experiment(query, strict, nodes): a Woken
 * ExperimentQuery over federation nodes.
 *
 * Each algorithm of the experiment runs as automl_mining(..., nodes) runs
 * it (woken_mining.c with fed_mining.c's hooks): a code with a federated
 * implementation on the union of the nodes' rows, any other code an error
 * item of that algorithm (0A000 naming it, Woken's per-algorithm error),
 * not a failure of the experiment unless strict.  Node failures are the
 * item's feedback.
 *
 * Validation.  Woken validated a predictive algorithm by k-fold over its
 * rows.  Over nodes, the rows stay where they are: naiveBayes (gaussian_nb)
 * is cross-validated by fed_nb_cv.c — every node assigns its rows to folds
 * by a hash of their values, the centre builds each fold's model from the
 * nodes' per-fold sufficient statistics, the nodes send per fold the
 * confusion matrix of their fold's rows under that fold's model — and the
 * score documents are Woken's (src/ml/woken_scores.c) computed from the
 * summed confusion matrices: a classification score is a function of the
 * confusion matrix, so "average" is the score of the pooled predictions
 * (as the local experiment defines it) and each fold's is its own.  Other
 * predictive codes have no federated fit (automl_mining refuses them first).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "core/json.h"
#include "federation/fed_json.h"
#include "federation/fed_nb.h"
#include "ml/woken_scores.h"
#include "pg/core_bridge.h"
#include "pg/fit.h"
#include "pg/woken_job.h"

/* Woken's score document of a confusion matrix (rows true, columns predicted). */
static json_object *
confusion_score(const int64 *cm, int nc, const char *const *labels)
{
	int64		n = 0;
	double	   *yt;
	double	   *yp;
	int			m = 0;
	json_object *doc;
	AmlError	err;

	for (int i = 0; i < nc * nc; i++)
		n += cm[i];
	if (n == 0)
		return NULL;
	if (n > INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows to score: " INT64_FORMAT, n)));
	yt = palloc(sizeof(double) * n);
	yp = palloc(sizeof(double) * n);
	for (int a = 0; a < nc; a++)
		for (int b = 0; b < nc; b++)
			for (int64 r = 0; r < cm[a * nc + b]; r++, m++)
			{
				yt[m] = a;
				yp[m] = b;
			}
	AML_PG_CHECK(aml_woken_score(AML_TASK_CLASSIFICATION, yt, yp, m, labels, nc, &doc, &err), &err);
	pfree(yt);
	pfree(yp);
	return aml_pg_json_own(doc);
}

void
aml_woken_fed_cross_validate(AmlWokenJob *job, const char *target, List *features,
							 const char *estimator, const char *params_json, AmlTask task,
							 int64 final_model)
{
	AmlFedFitArgs a;
	int			k = job->kfold;
	char	  **classes;
	int			nc;
	int64	  **confusion = palloc0(sizeof(int64 *) * k);
	int64	   *total;
	long		rows;
	json_object *ctext;
	json_object *kfold = aml_pg_json_own(json_object_new_object());
	json_object *fold_scores = json_object_new_object();
	AmlCoreSession *session;

	if (task != AML_TASK_CLASSIFICATION || strcmp(estimator, "gaussian_nb") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("k-fold validation of %s over federation nodes is not supported", estimator)));
	/* the final model's classes */
	{
		Oid			t[1] = {INT8OID};
		Datum		v[1] = {Int64GetDatum(final_model)};
		bool		isnull;
		char	   *str;

		if (SPI_execute_with_args("SELECT classes::pg_catalog.text FROM automl.models "
								  "WHERE id OPERATOR(pg_catalog.=) $1", 1, t, v, NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "reading the classes of model " INT64_FORMAT " failed", final_model);
		str = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		ctext = aml_pg_parse_json(str, strlen(str));
		if (!aml_fed_is_string_array(ctext))
			elog(ERROR, "model " INT64_FORMAT " has no classes", final_model);
		nc = (int) json_object_array_length(ctext);
		classes = palloc(sizeof(char *) * Max(nc, 1));
		for (int i = 0; i < nc; i++)
			classes[i] = pstrdup(json_object_get_string(json_object_array_get_idx(ctext, i)));
	}

	memset(&a, 0, sizeof(a));
	a.relid = job->fed_relid;
	a.target = pstrdup(target);
	a.type = aml_pg_find_algorithm(estimator);
	a.params = aml_pg_parse_json(params_json, strlen(params_json));
	a.features = DatumGetArrayTypeP(aml_woken_names_array(features));
	a.task = "classification";
	a.seed = 42;
	a.filter = job->fed_filter ? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(job->fed_filter)))
		: NULL;
	a.nodes = job->fed_nodes;
	a.strict = job->fed_strict;

	session = aml_core_session_begin("automl_experiment validation");
	aml_fed_nb_cross_validate(&a, k, classes, nc, confusion, &rows);
	total = palloc0(sizeof(int64) * nc * nc);
	for (int f = 0; f < k; f++)
	{
		json_object *doc = confusion_score(confusion[f], nc, (const char *const *) classes);
		char		key[16];

		for (int i = 0; i < nc * nc; i++)
			total[i] += confusion[f][i];
		snprintf(key, sizeof(key), "%d", f + 1);
		json_object_object_add(fold_scores, key, doc ? json_object_get(doc) : NULL);
	}
	json_object_object_add(kfold, "type", json_object_new_string("KFoldCrossValidationScore"));
	json_object_object_add(kfold, "average",
						   json_object_get(confusion_score(total, nc, (const char *const *) classes)));
	json_object_object_add(kfold, "folds", fold_scores);
	aml_core_session_end(session);
	json_object_object_add(job->parameters, "validation_rows", json_object_new_int64(rows));
	json_object_object_add(job->parameters, "validation_folds",
						   json_object_new_string("1 + FNV-1a-32(row values) mod k, on every node"));
	aml_woken_add_validation(job, k, kfold);
	aml_woken_fed_feedback(job);
}
