/*
 * automl.h — the GUCs of the pg layer (src/pg/guc.c), read by the glue and
 * the areas above it (src/jobs, src/registry, src/web).  _PG_init is in
 * src/init/automl.c.
 */
#ifndef AML_PG_AUTOML_H
#define AML_PG_AUTOML_H

#include "postgres.h"

/* GUCs owned by src/pg/guc.c */
extern int	aml_guc_max_memory_kb;	/* automl.max_memory */
extern int	aml_guc_max_memory_limit_kb;	/* automl.max_memory_limit (superuser) */
extern int	aml_guc_blas_threads;	/* automl.blas_threads */
extern int	aml_guc_max_blas_threads;	/* automl.max_blas_threads (superuser) */
extern char *aml_guc_database;	/* automl.database: served by the background workers */

/*
 * What a call may use: the user's setting, capped by the superuser's
 * ceiling (read these, not the GUC variables).
 */
size_t		aml_pg_memory_budget(void);	/* bytes */
int			aml_pg_blas_thread_count(void);

/* Called from _PG_init(): define the GUCs above. */
void		aml_pg_define_gucs(void);

#endif
