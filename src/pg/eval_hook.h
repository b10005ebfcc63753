/*
 * eval_hook.h — how automl_train (pg layer) gets a parallel evaluator for
 * its search without knowing who provides it (src/jobs/parallel.c sets
 * these from _PG_init; NULL: candidates are evaluated in the calling
 * process).
 *
 * begin: may set options->evaluate_batch and options->evaluate_batch_arg
 * (search/batch.h) for a search on these training rows; it returns what
 * end() takes, or NULL.  end: stop the helpers and free what begin made.
 * An error in between (cancel included) releases them with the
 * transaction's resources.
 */
#ifndef AML_PG_EVAL_HOOK_H
#define AML_PG_EVAL_HOOK_H

#include "postgres.h"

#include "core/matrix.h"
#include "ml/encoder.h"
#include "search/search.h"

typedef void *(*AmlParallelBeginHook) (const AmlSchema *schema, const AmlMatrix *raw, const double *y,
									   int n_classes, AmlSearchOptions *options);
typedef void (*AmlParallelEndHook) (void *state);

extern AmlParallelBeginHook aml_parallel_begin_hook;
extern AmlParallelEndHook aml_parallel_end_hook;

#endif
