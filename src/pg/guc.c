/*
 * guc.c — configuration parameters shared by the modules (automl.*).  The
 * app registry and the job workers define their own in their modules.
 *
 * Resources a backend may take have a user setting and a superuser-only
 * ceiling: automl.max_memory under automl.max_memory_limit, and
 * automl.blas_threads under automl.max_blas_threads.  Anyone may lower the
 * setting; raising it above the ceiling is refused at SET time when the
 * setter is not a superuser, and whatever the setting, what is used is the
 * smaller of the two (aml_pg_memory_budget(), aml_pg_blas_thread_count()).
 */
#include "postgres.h"

#include <limits.h>
#include <unistd.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "pg/automl.h"

#define DEFAULT_MAX_MEMORY_KB (1024 * 1024)	/* 1 GB */
#define DEFAULT_MAX_MEMORY_LIMIT_KB (4 * 1024 * 1024)	/* 4 GB */
#define MAX_THREADS 64
#define DEFAULT_MAX_BLAS_THREADS 4

int			aml_guc_max_memory_kb = DEFAULT_MAX_MEMORY_KB;
int			aml_guc_max_memory_limit_kb = DEFAULT_MAX_MEMORY_LIMIT_KB;
int			aml_guc_blas_threads = 1;
int			aml_guc_max_blas_threads = DEFAULT_MAX_BLAS_THREADS;
char	   *aml_guc_database = NULL;

size_t
aml_pg_memory_budget(void)
{
	return (size_t) Min(aml_guc_max_memory_kb, aml_guc_max_memory_limit_kb) * 1024;
}

int
aml_pg_blas_thread_count(void)
{
	return Max(Min(aml_guc_blas_threads, aml_guc_max_blas_threads), 1);
}

/* An amount of kB as PostgreSQL would accept it back: 4GB, 512MB, 100kB. */
static char *
memory_text(int kb)
{
	if (kb % (1024 * 1024 * 1024) == 0)
		return psprintf("%dTB", kb / (1024 * 1024 * 1024));
	if (kb % (1024 * 1024) == 0)
		return psprintf("%dGB", kb / (1024 * 1024));
	if (kb % 1024 == 0)
		return psprintf("%dMB", kb / 1024);
	return psprintf("%dkB", kb);
}

/*
 * May the current user set a value above its ceiling?  Only superusers.
 *
 * Who set a value is known only for settings made in a session (SET,
 * set_config(), a function's SET clause, startup options of the connection)
 * and for ALTER ROLE/DATABASE ... SET when they are stored (PGC_S_TEST):
 * those are checked.  The server's configuration is the superuser's; stored
 * role and database settings are applied at login without asking again,
 * as PostgreSQL does for every setting (they were checked when stored); a
 * parallel worker copies its leader's settings; outside a transaction the
 * catalogs cannot be read.  In all of these cases the value is accepted and
 * the ceiling still applies where the resource is used.
 */
static bool
may_exceed_ceiling(GucSource source)
{
	if (source < PGC_S_CLIENT)
		return true;
	if (InitializingParallelWorker || !IsTransactionState())
		return true;
	return superuser();
}

static bool
check_max_memory(int *newval, void **extra, GucSource source)
{
	if (*newval <= aml_guc_max_memory_limit_kb || may_exceed_ceiling(source))
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("permission denied to set parameter \"automl.max_memory\" above \"automl.max_memory_limit\"");
	GUC_check_errdetail("%s was asked for; automl.max_memory_limit is %s.",
						memory_text(*newval), memory_text(aml_guc_max_memory_limit_kb));
	GUC_check_errhint("Use at most %s, or ask a superuser to raise automl.max_memory_limit.",
					  memory_text(aml_guc_max_memory_limit_kb));
	return false;
}

static bool
check_blas_threads(int *newval, void **extra, GucSource source)
{
	if (*newval <= aml_guc_max_blas_threads || may_exceed_ceiling(source))
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("permission denied to set parameter \"automl.blas_threads\" above \"automl.max_blas_threads\"");
	GUC_check_errdetail("%d threads were asked for; automl.max_blas_threads is %d.",
						*newval, aml_guc_max_blas_threads);
	GUC_check_errhint("Use at most %d threads, or ask a superuser to raise automl.max_blas_threads.",
					  aml_guc_max_blas_threads);
	return false;
}

/* The default ceiling of threads: 4, or the number of CPUs when fewer. */
static int
default_max_blas_threads(void)
{
	long		cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		return 1;
	return (int) Min(cpus, DEFAULT_MAX_BLAS_THREADS);
}

void
aml_pg_define_gucs(void)
{
	/* the ceilings first: the settings' check hooks read them */
	DefineCustomIntVariable("automl.max_memory_limit",
							"Largest automl.max_memory that takes effect (superuser only).",
							"Users may set automl.max_memory lower, not higher; every call "
							"works within the smaller of the two.",
							&aml_guc_max_memory_limit_kb,
							DEFAULT_MAX_MEMORY_LIMIT_KB,
							1024,	/* 1 MB */
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	aml_guc_max_blas_threads = default_max_blas_threads();
	DefineCustomIntVariable("automl.max_blas_threads",
							"Largest automl.blas_threads that takes effect (superuser only).",
							"Users may set automl.blas_threads lower, not higher.",
							&aml_guc_max_blas_threads,
							aml_guc_max_blas_threads,
							1,
							MAX_THREADS,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.max_memory",
							"Memory a single automl call may use for data and models.",
							"Loading a relation, training and searching stop with an error "
							"instead of exceeding it, or automl.max_memory_limit when that "
							"is smaller.",
							&aml_guc_max_memory_kb,
							DEFAULT_MAX_MEMORY_KB,
							1024,	/* 1 MB */
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							check_max_memory, NULL, NULL);
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
							"At most automl.max_blas_threads are used.",
							&aml_guc_blas_threads,
							1,
							1,
							MAX_THREADS,
							PGC_USERSET,
							0,
							check_blas_threads, NULL, NULL);
}
