/*
 * dictionary.c — string dictionary with open addressing (see dictionary.h).
 */
#include "core/dictionary.h"
#include "core/memory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
hash_bytes(const char *s, size_t len)
{
	/* FNV-1a, then a final mix so low bits are usable as a slot index */
	uint64_t	h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

AmlDictionary *
aml_dict_new(void)
{
	AmlDictionary *d = AML_NEW(AmlDictionary);

	if (d == NULL)
		return NULL;
	d->nslots = 16;
	d->slots = aml_alloc(sizeof(int) * (size_t) d->nslots);
	if (d->slots == NULL)
	{
		aml_free(d);
		return NULL;
	}
	memset(d->slots, 0xff, sizeof(int) * (size_t) d->nslots);
	return d;
}

void
aml_dict_free(AmlDictionary *dict)
{
	if (dict == NULL)
		return;
	for (int i = 0; i < dict->count; i++)
		aml_free(dict->strings[i]);
	aml_free(dict->strings);
	aml_free(dict->lengths);
	aml_free(dict->slots);
	aml_free(dict);
}

static int
find_slot(const AmlDictionary *dict, const char *s, size_t len)
{
	size_t		mask = (size_t) dict->nslots - 1;
	size_t		i = (size_t) hash_bytes(s, len) & mask;

	for (;;)
	{
		int			code = dict->slots[i];

		if (code < 0)
			return (int) i;
		if (dict->lengths[code] == len && memcmp(dict->strings[code], s, len) == 0)
			return (int) i;
		i = (i + 1) & mask;
	}
}

int
aml_dict_lookup(const AmlDictionary *dict, const char *s, size_t len)
{
	return dict->slots[find_slot(dict, s, len)];
}

static AmlStatus
rebuild_slots(AmlDictionary *dict, int nslots, AmlError *err)
{
	int		   *slots = aml_alloc(sizeof(int) * (size_t) nslots);

	if (slots == NULL)
		return aml_error_nomem(err, "a category dictionary");
	memset(slots, 0xff, sizeof(int) * (size_t) nslots);
	aml_free(dict->slots);
	dict->slots = slots;
	dict->nslots = nslots;
	for (int code = 0; code < dict->count; code++)
		dict->slots[find_slot(dict, dict->strings[code], dict->lengths[code])] = code;
	return AML_OK;
}

AmlStatus
aml_dict_intern(AmlDictionary *dict, const char *s, size_t len, int *code, AmlError *err)
{
	int			slot = find_slot(dict, s, len);
	char	   *copy;

	if (dict->slots[slot] >= 0)
	{
		*code = dict->slots[slot];
		return AML_OK;
	}
	if (dict->count == dict->capacity)
	{
		int			newcap = dict->capacity ? dict->capacity * 2 : 8;
		char	  **strings = aml_realloc(dict->strings, sizeof(char *) * (size_t) newcap);
		size_t	   *lengths;

		if (strings == NULL)
			return aml_error_nomem(err, "a category dictionary");
		dict->strings = strings;
		lengths = aml_realloc(dict->lengths, sizeof(size_t) * (size_t) newcap);
		if (lengths == NULL)
			return aml_error_nomem(err, "a category dictionary");
		dict->lengths = lengths;
		dict->capacity = newcap;
	}
	copy = aml_strndup(s, len);
	if (copy == NULL)
		return aml_error_nomem(err, "a category dictionary");
	dict->strings[dict->count] = copy;
	dict->lengths[dict->count] = len;
	dict->slots[slot] = dict->count;
	*code = dict->count++;
	/* keep the load factor under 1/2 */
	if ((size_t) dict->count * 2 > (size_t) dict->nslots)
		return rebuild_slots(dict, dict->nslots * 2, err);
	return AML_OK;
}

const char *
aml_dict_string(const AmlDictionary *dict, int code)
{
	if (code < 0 || code >= dict->count)
		return NULL;
	return dict->strings[code];
}

typedef struct SortItem
{
	const char *s;
	size_t		len;
	int			old_code;
} SortItem;

static int
compare_items(const void *a, const void *b)
{
	const SortItem *x = a;
	const SortItem *y = b;
	size_t		n = x->len < y->len ? x->len : y->len;
	int			c = memcmp(x->s, y->s, n);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

AmlStatus
aml_dict_sort(AmlDictionary *dict, int *remap, AmlError *err)
{
	SortItem   *items;
	char	  **strings;
	size_t	   *lengths;

	if (dict->count == 0)
		return AML_OK;
	items = AML_NEW_ARRAY(SortItem, dict->count);
	strings = AML_NEW_ARRAY(char *, dict->capacity);
	lengths = AML_NEW_ARRAY(size_t, dict->capacity);
	if (items == NULL || strings == NULL || lengths == NULL)
	{
		aml_free(items);
		aml_free(strings);
		aml_free(lengths);
		return aml_error_nomem(err, "a category dictionary");
	}
	for (int i = 0; i < dict->count; i++)
	{
		items[i].s = dict->strings[i];
		items[i].len = dict->lengths[i];
		items[i].old_code = i;
	}
	qsort(items, (size_t) dict->count, sizeof(SortItem), compare_items);
	for (int i = 0; i < dict->count; i++)
	{
		strings[i] = dict->strings[items[i].old_code];
		lengths[i] = dict->lengths[items[i].old_code];
		if (remap != NULL)
			remap[items[i].old_code] = i;
	}
	aml_free(items);
	aml_free(dict->strings);
	aml_free(dict->lengths);
	dict->strings = strings;
	dict->lengths = lengths;
	return rebuild_slots(dict, dict->nslots, err);
}

AmlDictionary *
aml_dict_copy(const AmlDictionary *dict)
{
	AmlDictionary *c = aml_dict_new();
	AmlError	err;

	if (c == NULL)
		return NULL;
	for (int i = 0; i < dict->count; i++)
	{
		int			code;

		if (aml_dict_intern(c, dict->strings[i], dict->lengths[i], &code, &err) != AML_OK)
		{
			aml_dict_free(c);
			return NULL;
		}
	}
	return c;
}
