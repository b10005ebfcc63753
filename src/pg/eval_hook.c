/*
 * eval_hook.c — the parallel evaluator's hooks (eval_hook.h).
 */
#include "postgres.h"

#include "pg/eval_hook.h"

AmlParallelBeginHook aml_parallel_begin_hook = NULL;
AmlParallelEndHook aml_parallel_end_hook = NULL;
