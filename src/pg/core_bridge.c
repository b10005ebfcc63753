/*
 * core_bridge.c — memory, interrupts, OpenBLAS and error mapping for the
 * pure-C layers inside a backend (see core_bridge.h).
 */
#include "postgres.h"

#include "pg/jsonc.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "core/blas.h"
#include "core/json.h"
#include "pg/automl.h"
#include "pg/core_bridge.h"
#include "pg/progress.h"

#ifndef AML_SANITIZE

static void *
context_alloc(void *state, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) state, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
context_free(void *state, void *ptr)
{
	pfree(ptr);
}

static void *
top_context_alloc(void *state, size_t size)
{
	return MemoryContextAllocExtended(TopMemoryContext, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

#else							/* AML_SANITIZE */

/*
 * Sanitizer builds (make SANITIZE=...): AddressSanitizer sees the bounds of
 * malloc'd blocks only, and a palloc chunk lives inside a larger block of
 * its memory context, so an overflow into the next chunk would go unseen.
 * Here every block of the pure layers is malloc'd on its own, with a header
 * that links it to the memory context it belongs to; a reset callback of
 * that context frees what is left when the context is reset or deleted
 * (error cleanup included), as palloc would.
 */
typedef struct SanOwner SanOwner;

typedef struct SanBlock
{
	struct SanBlock *prev;
	struct SanBlock *next;
	SanOwner   *owner;
	size_t		size;			/* keeps the header a multiple of 16 bytes */
} SanBlock;

struct SanOwner
{
	MemoryContext context;
	MemoryContextCallback callback;
	SanBlock	blocks;			/* circular list head */
	SanOwner   *next;
};

static SanOwner *san_owners;

static void
san_release(void *arg)
{
	SanOwner   *owner = (SanOwner *) arg;
	SanOwner  **link;

	while (owner->blocks.next != &owner->blocks)
	{
		SanBlock   *b = owner->blocks.next;

		b->prev->next = b->next;
		b->next->prev = b->prev;
		free(b);
	}
	for (link = &san_owners; *link != NULL; link = &(*link)->next)
		if (*link == owner)
		{
			*link = owner->next;
			break;
		}
	free(owner);
}

static void *
san_alloc(MemoryContext context, size_t size)
{
	SanOwner   *owner;
	SanBlock   *b;

	StaticAssertStmt(sizeof(SanBlock) % 16 == 0, "SanBlock keeps blocks 16-byte aligned");
	for (owner = san_owners; owner != NULL; owner = owner->next)
		if (owner->context == context)
			break;
	if (owner == NULL)
	{
		owner = malloc(sizeof(SanOwner));
		if (owner == NULL)
			return NULL;
		owner->context = context;
		owner->blocks.prev = owner->blocks.next = &owner->blocks;
		owner->callback.func = san_release;
		owner->callback.arg = owner;
		owner->next = san_owners;
		san_owners = owner;
		MemoryContextRegisterResetCallback(context, &owner->callback);
	}
	if (size > SIZE_MAX - sizeof(SanBlock) || (b = malloc(sizeof(SanBlock) + size)) == NULL)
		return NULL;
	b->owner = owner;
	b->size = size;
	b->next = owner->blocks.next;
	b->prev = &owner->blocks;
	b->next->prev = b;
	owner->blocks.next = b;
	return b + 1;
}

static void *
context_alloc(void *state, size_t size)
{
	return san_alloc((MemoryContext) state, size);
}

static void *
top_context_alloc(void *state, size_t size)
{
	return san_alloc(TopMemoryContext, size);
}

static void
context_free(void *state, void *ptr)
{
	SanBlock   *b = ((SanBlock *) ptr) - 1;

	b->prev->next = b->next;
	b->next->prev = b->prev;
	free(b);
}

#endif							/* AML_SANITIZE */

void
aml_pg_install_default_allocator(void)
{
	AmlAllocator allocator = {top_context_alloc, context_free, NULL};

	/* every core block is then palloc'd, so pfree is always the right free */
	aml_set_allocator(&allocator);
}

void
aml_core_allocate_in(MemoryContext ctx, AmlCoreTarget *save)
{
	AmlAllocator allocator = {context_alloc, context_free, ctx};

	aml_pg_blas_init();
	aml_pg_install_interrupt_hook();
	save->previous = aml_set_allocator(&allocator);
	aml_set_memory_budget(aml_pg_memory_budget(), &save->budget);
}

void
aml_core_restore(AmlCoreTarget *save)
{
	aml_set_allocator(&save->previous);
	aml_restore_memory_budget(&save->budget);
}

bool
aml_pg_cancel_pending(void)
{
	/* a job cancelled with keep_best ends its search here too (pg/progress.h) */
	return QueryCancelPending || ProcDiePending || aml_progress_stopping();
}

static bool
pg_interrupt_pending(void *state)
{
	return aml_pg_cancel_pending();
}

void
aml_pg_install_interrupt_hook(void)
{
	aml_set_interrupt_hook(pg_interrupt_pending, NULL);
}

/* Runs when the session context is deleted or reset, including during abort. */
static void
session_release(void *arg)
{
	AmlCoreSession *session = (AmlCoreSession *) arg;

	if (!session->active)
		return;
	session->active = false;
	aml_set_allocator(&session->previous);
	aml_memory_rewind(session->in_use_before);
	aml_restore_memory_budget(&session->budget_before);
}

AmlCoreSession *
aml_core_session_begin(const char *name)
{
	AmlCoreSession *session = palloc0(sizeof(AmlCoreSession));
	AmlAllocator allocator;
	size_t		budget = aml_pg_memory_budget();

	aml_pg_blas_init();
	aml_pg_install_interrupt_hook();
	session->context = AllocSetContextCreate(CurrentMemoryContext, "automl core session",
											 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSetIdentifier(session->context, name);
	allocator.alloc = context_alloc;
	allocator.free = context_free;
	allocator.state = session->context;
	session->previous = aml_set_allocator(&allocator);
	session->in_use_before = aml_memory_in_use();
	aml_set_memory_budget(budget, &session->budget_before);
	aml_memory_reset_peak();
	session->callback.func = session_release;
	session->callback.arg = session;
	session->active = true;
	MemoryContextRegisterResetCallback(session->context, &session->callback);
	return session;
}

void
aml_core_session_end(AmlCoreSession *session)
{
	MemoryContextDelete(session->context);	/* runs session_release */
	pfree(session);
}

void
aml_pg_blas_init(void)
{
	AmlError	err;
	int			threads = aml_pg_blas_thread_count();

	if (aml_blas_loaded() && aml_blas_threads() == threads)
		return;
	if (aml_blas_init(threads, &err) != AML_OK)
		aml_pg_raise(&err);
}

int
aml_pg_sqlstate(AmlStatus status)
{
	switch (status)
	{
		case AML_OK:
			return ERRCODE_SUCCESSFUL_COMPLETION;
		case AML_ERR_INVALID_PARAMETER:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case AML_ERR_INVALID_DATA:
			return ERRCODE_DATA_EXCEPTION;
		case AML_ERR_OUT_OF_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		case AML_ERR_INTERRUPTED:
		case AML_ERR_TIMEOUT:
			return ERRCODE_QUERY_CANCELED;
		case AML_ERR_BAD_FORMAT:
			return ERRCODE_INVALID_JSON_TEXT;
		case AML_ERR_NUMERICAL:
			return ERRCODE_FLOATING_POINT_EXCEPTION;
		case AML_ERR_UNAVAILABLE:
			return ERRCODE_SYSTEM_ERROR;
		case AML_ERR_INTERNAL:
			return ERRCODE_INTERNAL_ERROR;
	}
	return ERRCODE_INTERNAL_ERROR;
}

void
aml_pg_raise_code(const AmlError *err, int sqlstate)
{
	/* a pending cancel or termination wins: let core raise the right error */
	if (err->status == AML_ERR_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	if (err->status == AML_ERR_INTERNAL)
		elog(ERROR, "automl internal error: %s", err->message);
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", err->message),
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

void
aml_pg_raise(const AmlError *err)
{
	aml_pg_raise_code(err, aml_pg_sqlstate(err->status));
}

static void
release_json(void *arg)
{
	json_object_put((json_object *) arg);
}

void
aml_pg_json_release_with_context(json_object *obj)
{
	MemoryContextCallback *cb;

	if (obj == NULL)
		return;
	/* if even the callback cannot be allocated, release obj before raising */
	cb = MemoryContextAllocExtended(CurrentMemoryContext, sizeof(MemoryContextCallback),
									MCXT_ALLOC_NO_OOM);
	if (cb == NULL)
	{
		json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed to register the release of a JSON document.")));
	}
	cb->func = release_json;
	cb->arg = obj;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
}

json_object *
aml_pg_json_own(json_object *obj)
{
	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed to build a JSON document.")));
	aml_pg_json_release_with_context(obj);
	return obj;
}

json_object *
aml_pg_parse_json(const char *text, int len)
{
	json_object *obj;
	AmlError	err;

	if (aml_json_parse(text, (size_t) len, &obj, &err) != AML_OK)
		aml_pg_raise(&err);
	aml_pg_json_release_with_context(obj);
	return obj;
}
