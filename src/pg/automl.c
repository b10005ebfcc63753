/*
 * automl.c — the extension's entry point: module magic and _PG_init, which
 * calls one initialiser per module.  Nothing here touches OpenBLAS: it is
 * loaded lazily by the first backend that needs it (src/core/blas.h).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "federation/federation.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	aml_pg_install_default_allocator();
	aml_guc_init();
	aml_registry_init();
	aml_predict_init();
	aml_woken_init();
	aml_federation_init();
	MarkGUCPrefixReserved("automl");
}
