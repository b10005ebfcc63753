/*
 * core_bridge.h — running the pure-C layers inside a backend.
 *
 * A "core session" gives src/core, src/ml and src/search a dedicated memory
 * context to allocate in (with the automl.max_memory budget, capped by
 * automl.max_memory_limit), an interrupt hook reading
 * QueryCancelPending/ProcDiePending, and OpenBLAS loaded with
 * automl.blas_threads threads (at most automl.max_blas_threads).  Ending the
 * session, or an error unwinding past it (the context's reset callback),
 * frees everything and restores the previous allocator.  Core failures
 * become ereport()s with a SQLSTATE by aml_pg_raise().
 */
#ifndef AML_PG_CORE_BRIDGE_H
#define AML_PG_CORE_BRIDGE_H

#include "postgres.h"

#include "pg/jsonc.h"

#include "core/memory.h"
#include "core/status.h"

typedef struct AmlCoreSession
{
	MemoryContext context;		/* everything the core allocates lives here */
	size_t		in_use_before;
	AmlMemoryBudget budget_before;
	AmlAllocator previous;
	MemoryContextCallback callback;
	bool		active;
} AmlCoreSession;

/* Start a session under CurrentMemoryContext (palloc'd struct). */
AmlCoreSession *aml_core_session_begin(const char *name);
void		aml_core_session_end(AmlCoreSession *session);
/*
 * Make the core allocate in ctx (with the automl.max_memory budget) until
 * aml_core_restore(); for memory that outlives a call, like cached models.
 */
typedef struct AmlCoreTarget
{
	AmlAllocator previous;
	AmlMemoryBudget budget;
} AmlCoreTarget;
void		aml_core_allocate_in(MemoryContext ctx, AmlCoreTarget *save);
void		aml_core_restore(AmlCoreTarget *save);
/* Install the backend's default allocator (palloc in TopMemoryContext); from _PG_init. */
void		aml_pg_install_default_allocator(void);

/* Load OpenBLAS in this process with aml_pg_blas_thread_count() threads (raises on failure). */
void		aml_pg_blas_init(void);
/*
 * The one cancel channel of a backend: a query cancel, a termination, or a
 * job cancelled with keep_best (pg/progress.h).  The pure layers see it
 * through the interrupt hook; the search also takes it as its "cancelled"
 * check.
 */
bool		aml_pg_cancel_pending(void);
/* Install the interrupt hook (also done by session begin). */
void		aml_pg_install_interrupt_hook(void);

/* The SQLSTATE a core status maps to. */
int			aml_pg_sqlstate(AmlStatus status);
/* ereport(ERROR) for a failed core call; never returns. */
void		aml_pg_raise(const AmlError *err) pg_attribute_noreturn();
/* Same with an explicit SQLSTATE. */
void		aml_pg_raise_code(const AmlError *err, int sqlstate) pg_attribute_noreturn();

/* Raise unless st is AML_OK. */
#define AML_PG_CHECK(st, errp) do { if ((st) != AML_OK) aml_pg_raise(errp); } while (0)

/*
 * Release a json-c object when CurrentMemoryContext is reset or deleted,
 * including by an error: external resources owned by a memory context.
 * json-c allocates with malloc, so a tree that is not attached leaks when
 * anything raises before its json_object_put().  Attach every tree right
 * where it is created or parsed, before anything that can raise; for a tree
 * that should go before the end of the call, attach it in a child context
 * and delete that.  NULL is ignored; if the callback cannot be allocated,
 * obj is released and out of memory raised.
 */
void		aml_pg_json_release_with_context(json_object *obj);
/* The same for a new tree, where NULL means json-c ran out of memory (raises); returns obj. */
json_object *aml_pg_json_own(json_object *obj);
/* Parse JSON text (e.g. from jsonb) into a json-c object released with the context. */
json_object *aml_pg_parse_json(const char *text, int len);

#endif
