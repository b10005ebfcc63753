/*
 * automl.h — declarations shared by the PostgreSQL glue (src/pg, src/jobs,
 * src/registry): module initialisation hooks and GUC variables.
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

/* One initialiser per module, called from _PG_init(). */
void		aml_guc_init(void);
void		aml_registry_init(void);	/* src/registry/registry.c */
void		aml_predict_init(void);	/* predict.c: model cache invalidation */
void		aml_woken_init(void);	/* woken_catalogue.c: automl.node */

#endif
