/*
 * explain_support.h — what automl_explain, automl_feature_importance and
 * automl_evaluate share: the GUCs of explanations, and reading the rows of a
 * relation into a model's raw inputs (and its target) with the caller's
 * rights, columns matched by name as automl_predict matches them.
 */
#ifndef AML_PG_EXPLAIN_SUPPORT_H
#define AML_PG_EXPLAIN_SUPPORT_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "core/matrix.h"
#include "pg/filter.h"
#include "pg/model_cache.h"

extern int	aml_guc_explain_samples;	/* automl.explain_samples */
extern int	aml_guc_explain_max_rows;	/* automl.explain_max_rows */

void		aml_explain_define_gucs(void);

typedef struct AmlModelRows
{
	int			n;				/* rows read */
	AmlMatrix  *raw;			/* n x model inputs (core-allocated) */
	double	   *y;				/* with a target: value, or class index (-1: label not known) */
	char	  **y_label;		/* classification: the row's label text (NULL when NULL) */
	int64		null_target;	/* rows left out: NULL target */
	int64		unseen;			/* classification: rows whose label the model never saw */
} AmlModelRows;

/*
 * Rows of relid (at most max_rows, 0 = all; where: a compiled query-builder
 * filter (pg/filter.h, first_param 1) or NULL) as model inputs; with_target also reads the model's target column
 * (rows with a NULL target are left out and counted).  Runs inside a core
 * session.
 */
AmlModelRows *aml_model_rows_load(ModelEntry *entry, int64 model_id, Oid relid, bool with_target,
								  const AmlWhere *where, int64 max_rows);
/* The training relation of a model the caller can see. */
Oid			aml_model_training_relation(int64 model_id);

#endif
