/*
 * guc.c — configuration parameters shared by the modules (automl.*).  The
 * app registry and the job workers define their own in their modules.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "pg/automl.h"

int			aml_guc_max_memory_kb = 1024 * 1024;	/* 1 GB */
int			aml_guc_blas_threads = 1;
char	   *aml_guc_database = NULL;

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
	/*
	 * Postmaster-level settings can only be defined while preloading; when
	 * the library is loaded later by a backend there are no workers anyway.
	 */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("automl.database",
							   "Database the automl background workers serve.",
							   "The deploy worker and the training-job worker connect to it; "
							   "automl must be installed there.",
							   &aml_guc_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
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
