/*
 * training_data.h — turning (relation, target, features, task) into what a
 * pipeline trains on: a schema, a raw matrix and a target vector.
 *
 * Shared by automl_fit and automl_train.  Rows whose target is NULL are left
 * out (NOTICE); the task is decided ('auto': categorical and boolean targets
 * are classification, numbers are regression except integer columns with at
 * most AML_MAX_INTEGER_CLASSES distinct values and other numbers that are
 * two whole numbers only, NOTICE); feature columns that cannot
 * help are left out with a NOTICE: identifiers (a single-column primary key
 * or unique index, or text unique in every row) when features were not
 * named, columns that are entirely NULL, and constant columns.
 */
#ifndef AML_PG_TRAINING_DATA_H
#define AML_PG_TRAINING_DATA_H

#include "postgres.h"

#include "pg/jsonc.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "core/matrix.h"
#include "ml/encoder.h"
#include "pg/loader.h"

#define AML_MAX_INTEGER_CLASSES 10

typedef struct AmlTrainingData
{
	char	   *relation;		/* quoted qualified name */
	AmlSchema	schema;			/* core-allocated */
	AmlMatrix  *raw;			/* n_rows x schema.n_inputs, core-allocated */
	double	   *y;				/* n_rows, core-allocated */
	int			n_rows;
	Oid		   *input_types;	/* SQL type of each input (palloc) */
	Oid			target_type;
	int			n_classes;		/* classification only */
	int64		skipped_null_target;
} AmlTrainingData;

/*
 * Load and prepare; must run inside a core session.  features NULL = every
 * column but the target (identifiers excluded); task "auto",
 * "classification", "regression" or "clustering" (target NULL: every row
 * is kept, y is zeros, schema.target NULL); only the rows that pass a
 * query-builder filter (pg/filter.h; NULL: all);
 * tasks: the AmlTask bits the caller can do (automl_fit: its algorithm's),
 * which decide a target of two whole numbers under 'auto' (classification
 * when allowed, else regression).
 */
AmlTrainingData *aml_training_data_load_where(Oid relid, const char *target, ArrayType *features,
											  const char *task, Jsonb *filter, unsigned tasks);
/* Parse and check the task argument ("auto" and NULL return false in *given). */
void		aml_parse_task_argument(const char *task, AmlTask *out, bool *given);
/* Leave out the inputs marked true in drop (one flag per input). */
void		aml_training_data_drop_inputs(AmlTrainingData *data, const bool *drop);
/* features jsonb text: [{"name", "kind", "type", "categories"}...] */
char	   *aml_training_features_json(const AmlTrainingData *data);

#endif
