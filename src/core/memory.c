/*
 * memory.c — allocation with exact accounting and a budget (see memory.h).
 */
#include "core/memory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

/* Header in front of every block: its size.  16 bytes keep 16-byte alignment. */
typedef union AmlBlockHeader
{
	size_t		size;
	max_align_t align;
} AmlBlockHeader;

static void *
default_alloc(void *state, size_t size)
{
	(void) state;
	return malloc(size);
}

static void
default_free(void *state, void *ptr)
{
	(void) state;
	free(ptr);
}

static AmlAllocator current = {default_alloc, default_free, NULL};
static size_t mem_base = 0;
static size_t mem_limit = SIZE_MAX;
static size_t mem_in_use = 0;
static size_t mem_peak = 0;
static bool mem_limit_hit = false;

static AmlInterruptHook interrupt_hook = NULL;
static void *interrupt_state = NULL;

AmlAllocator
aml_set_allocator(const AmlAllocator *allocator)
{
	AmlAllocator previous = current;

	if (allocator == NULL)
	{
		current.alloc = default_alloc;
		current.free = default_free;
		current.state = NULL;
	}
	else
		current = *allocator;
	return previous;
}

void
aml_set_memory_budget(size_t budget, AmlMemoryBudget *saved)
{
	if (saved != NULL)
	{
		saved->base = mem_base;
		saved->limit = mem_limit;
	}
	mem_base = mem_in_use;
	mem_limit = (budget == 0 || budget > SIZE_MAX - mem_base) ? SIZE_MAX : mem_base + budget;
	mem_limit_hit = false;
}

void
aml_restore_memory_budget(const AmlMemoryBudget *saved)
{
	mem_base = saved->base;
	mem_limit = saved->limit;
	mem_limit_hit = false;
}

size_t
aml_memory_budget(void)
{
	return mem_limit == SIZE_MAX ? 0 : mem_limit - mem_base;
}

size_t
aml_memory_used(void)
{
	return mem_in_use > mem_base ? mem_in_use - mem_base : 0;
}

size_t
aml_memory_in_use(void)
{
	return mem_in_use;
}

size_t
aml_memory_peak(void)
{
	return mem_peak;
}

void
aml_memory_reset_peak(void)
{
	mem_peak = mem_in_use;
}

bool
aml_memory_limit_hit(void)
{
	return mem_limit_hit;
}

void
aml_memory_clear_limit_hit(void)
{
	mem_limit_hit = false;
}

bool
aml_memory_fits(size_t bytes)
{
	return bytes <= mem_limit && mem_in_use <= mem_limit - bytes;
}

size_t
aml_memory_available(void)
{
	if (mem_limit == SIZE_MAX)
		return SIZE_MAX;
	return mem_in_use < mem_limit ? mem_limit - mem_in_use : 0;
}

void
aml_memory_rewind(size_t in_use)
{
	if (in_use < mem_in_use)
		mem_in_use = in_use;
	mem_limit_hit = false;
}

bool
aml_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return false;
	*out = a * b;
	return true;
}

/*
 * Large blocks (a data matrix, a one-hot encoding: hundreds of MB) come
 * fresh from mmap, and faulting them in 4 kB at a time cost as much as the
 * work on them (half of an automl_fit of naive Bayes on 100 000 rows x 1 000
 * encoded columns, most of it in the virtual machine's fault handling).
 * Where transparent huge pages are granted on request (the usual "madvise"
 * setting), such a block asks for them before it is touched: 2 MB a fault.
 */
#define HUGE_BLOCK_BYTES ((size_t) 8 << 20)

static void
advise_huge(void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	const uintptr_t page = 4096;
	uintptr_t	start = ((uintptr_t) p + page - 1) & ~(page - 1);
	uintptr_t	end = ((uintptr_t) p + size) & ~(page - 1);

	if (size >= HUGE_BLOCK_BYTES && end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);	/* advice only */
#else
	(void) p;
	(void) size;
#endif
}

void *
aml_alloc(size_t size)
{
	AmlBlockHeader *h;
	size_t		total;

	if (size > SIZE_MAX - sizeof(AmlBlockHeader))
		return NULL;
	total = size + sizeof(AmlBlockHeader);
	if (!aml_memory_fits(total))
	{
		mem_limit_hit = true;
		return NULL;
	}
	h = current.alloc(current.state, total);
	if (h == NULL)
		return NULL;
	advise_huge(h, total);
	h->size = total;
	mem_in_use += total;
	if (mem_in_use > mem_peak)
		mem_peak = mem_in_use;
	return h + 1;
}

void *
aml_alloc0(size_t size)
{
	void	   *p = aml_alloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void *
aml_alloc_array(size_t count, size_t elem_size)
{
	size_t		bytes;

	if (!aml_mul_size(count, elem_size, &bytes))
		return NULL;
	/* never ask for 0 bytes: callers test the result against NULL */
	return aml_alloc0(bytes == 0 ? 1 : bytes);
}

void *
aml_realloc(void *ptr, size_t size)
{
	AmlBlockHeader *h;
	size_t		old_size;
	void	   *p;

	if (ptr == NULL)
		return aml_alloc(size);
	h = ((AmlBlockHeader *) ptr) - 1;
	old_size = h->size - sizeof(AmlBlockHeader);
	p = aml_alloc(size);
	if (p == NULL)
		return NULL;			/* the old block stays valid, as with realloc */
	memcpy(p, ptr, old_size < size ? old_size : size);
	aml_free(ptr);
	return p;
}

void
aml_free(void *ptr)
{
	AmlBlockHeader *h;

	if (ptr == NULL)
		return;
	h = ((AmlBlockHeader *) ptr) - 1;
	if (h->size <= mem_in_use)
		mem_in_use -= h->size;
	else
		mem_in_use = 0;
	current.free(current.state, h);
}

char *
aml_strdup(const char *s)
{
	return aml_strndup(s, strlen(s));
}

char *
aml_strndup(const char *s, size_t len)
{
	char	   *p = aml_alloc(len + 1);

	if (p != NULL)
	{
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

void
aml_set_interrupt_hook(AmlInterruptHook hook, void *state)
{
	interrupt_hook = hook;
	interrupt_state = state;
}

void
aml_get_interrupt_hook(AmlInterruptHook *hook, void **state)
{
	*hook = interrupt_hook;
	*state = interrupt_state;
}

bool
aml_interrupted(void)
{
	return interrupt_hook != NULL && interrupt_hook(interrupt_state);
}
