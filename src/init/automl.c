/*
 * automl.c — the extension's entry point, above every layer: module magic
 * and _PG_init, which calls one initialiser per area.  Each area defines its
 * own GUCs, asks for its shared memory and registers its workers there (only
 * while preloading: see pg/worker.h).  Nothing here touches OpenBLAS: it is
 * loaded lazily by the first backend that needs it (src/core/blas.h).
 *
 * Adding an area: include its header and add one line below.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "pg/automl.h"
#include "federation/federation.h"
#include "jobs/jobs.h"
#include "pg/core_bridge.h"
#include "pg/explain_support.h"
#include "pg/model_cache.h"
#include "pg/progress.h"
#include "pg/woken.h"
#include "registry/registry.h"
#include "web/web.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	aml_pg_install_default_allocator();
	aml_pg_define_gucs();		/* pg/guc.c: memory, threads, automl.database */
	aml_predict_init();			/* pg/model_cache.c: cache invalidation */
	aml_progress_init();		/* pg/progress.c: searches in progress */
	aml_explain_define_gucs();	/* pg/explain_support.c: explanation sampling */
	aml_woken_init();			/* pg/woken_catalogue.c: automl.node */
	aml_registry_init();		/* registry/registry.c: GUCs, deploy worker */
	aml_jobs_init();			/* jobs/jobs.c: GUCs, job scheduler */
	aml_federation_init();		/* federation/federation.c: GUCs of the nodes */
	aml_web_define_gucs();		/* web/web_guc.c: automl.http_* */
	aml_web_register_worker();	/* web/web_worker.c: the HTTP worker */
	MarkGUCPrefixReserved("automl");
}
