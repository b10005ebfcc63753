/*
 * memory.h — allocation, memory budget and interruption for the pure-C layers.
 *
 * Every allocation of src/core, src/ml and src/search goes through
 * aml_alloc()/aml_free().  The caller installs the underlying allocator
 * (malloc by default; the PostgreSQL glue installs one that allocates in a
 * dedicated memory context) and a memory limit.  Allocations carry a small
 * header so the bytes in use are known exactly; an allocation that would
 * exceed the limit returns NULL and marks the limit as hit, so the caller can
 * report "memory budget exceeded" instead of being killed.
 *
 * Long loops call aml_interrupted() once per outer iteration (epoch, tree,
 * fold, pipeline) and stop with AML_ERR_INTERRUPTED when it returns true.
 *
 * The state is per process and not thread-safe: the layers are single-threaded
 * (OpenBLAS may use threads internally, it does not allocate through here).
 */
#ifndef AML_MEMORY_H
#define AML_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct AmlAllocator
{
	void	   *(*alloc) (void *state, size_t size);	/* NULL on failure */
	void		(*free) (void *state, void *ptr);
	void	   *state;
} AmlAllocator;

/* Install an allocator (NULL restores malloc/free).  Returns the previous one. */
AmlAllocator aml_set_allocator(const AmlAllocator *allocator);

/*
 * A budget of `budget` bytes more than are in use right now (0 = unlimited);
 * the previous budget is returned through *saved for aml_restore_memory_budget.
 */
typedef struct AmlMemoryBudget
{
	size_t		base;
	size_t		limit;
} AmlMemoryBudget;
void		aml_set_memory_budget(size_t budget, AmlMemoryBudget *saved);
void		aml_restore_memory_budget(const AmlMemoryBudget *saved);
/* The budget and the bytes used against it (in use minus the base). */
size_t		aml_memory_budget(void);
size_t		aml_memory_used(void);
size_t		aml_memory_in_use(void);
size_t		aml_memory_peak(void);
void		aml_memory_reset_peak(void);
bool		aml_memory_limit_hit(void);
void		aml_memory_clear_limit_hit(void);
/* Would an allocation of `bytes` more fit in the budget right now? */
bool		aml_memory_fits(size_t bytes);
/* Bytes that can still be allocated within the budget (SIZE_MAX without one). */
size_t		aml_memory_available(void);
/*
 * Set the bytes-in-use counter back to a value read earlier with
 * aml_memory_in_use(), after the caller freed everything allocated since at
 * once (e.g. by deleting the memory context the allocator allocated in).
 */
void		aml_memory_rewind(size_t in_use);

void	   *aml_alloc(size_t size);
void	   *aml_alloc0(size_t size);
void	   *aml_alloc_array(size_t count, size_t elem_size);	/* overflow-checked, zeroed */
void	   *aml_realloc(void *ptr, size_t size);
void		aml_free(void *ptr);
char	   *aml_strdup(const char *s);
char	   *aml_strndup(const char *s, size_t len);

/* a * b without overflow; false when it would overflow. */
bool		aml_mul_size(size_t a, size_t b, size_t *out);

/* Interruption: the hook returns true when the caller wants us to stop. */
typedef bool (*AmlInterruptHook) (void *state);
void		aml_set_interrupt_hook(AmlInterruptHook hook, void *state);
/* The hook installed now (to chain to it). */
void		aml_get_interrupt_hook(AmlInterruptHook *hook, void **state);
bool		aml_interrupted(void);

/* Convenience: allocate `count` elements of `type`, zeroed. */
#define AML_NEW_ARRAY(type, count) ((type *) aml_alloc_array((count), sizeof(type)))
#define AML_NEW(type) ((type *) aml_alloc0(sizeof(type)))

#endif
