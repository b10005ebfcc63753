/*
 * guc.c — configuration parameters of the ML side (automl.*).  The app
 * registry and the job workers define their own in their modules.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "pg/automl.h"

int			aml_guc_max_memory_kb = 1024 * 1024;	/* 1 GB */
int			aml_guc_blas_threads = 1;

void
aml_guc_init(void)
{
	DefineCustomIntVariable("automl.max_memory",
							"Memory a single automl call may use for data and models.",
							"Loading a relation, training and searching stop with an error "
							"instead of exceeding it.",
							&aml_guc_max_memory_kb,
							1024 * 1024,
							1024,	/* 1 MB */
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.blas_threads",
							"Threads OpenBLAS may use in one backend.",
							NULL,
							&aml_guc_blas_threads,
							1,
							1,
							64,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
}
