/*
 * tree_sort.c — sorting of 64-bit keys for the tree grower (tree_internal.h):
 * (key, index) pairs when features are ranked, packed (code, position) keys
 * in the split search.
 */
#include "ml/tree_internal.h"

#include <string.h>

/* Sort (key, idx) pairs by key: insertion sort for short runs, LSD radix otherwise. */
void
aml_tree_sort_pairs(uint64_t *key, uint32_t *idx, uint64_t *key_tmp, uint32_t *idx_tmp, int n)
{
	if (n < 64)
	{
		for (int i = 1; i < n; i++)
		{
			uint64_t	k = key[i];
			uint32_t	x = idx[i];
			int			j = i - 1;

			while (j >= 0 && key[j] > k)
			{
				key[j + 1] = key[j];
				idx[j + 1] = idx[j];
				j--;
			}
			key[j + 1] = k;
			idx[j + 1] = x;
		}
		return;
	}
	{
		/* LSD radix sort, 11-bit digits; digits equal in every key are skipped */
		int			count[6][2048];
		uint64_t   *src_k = key,
				   *dst_k = key_tmp;
		uint32_t   *src_i = idx,
				   *dst_i = idx_tmp;

		memset(count, 0, sizeof(count));
		for (int i = 0; i < n; i++)
			for (int b = 0; b < 6; b++)
				count[b][(key[i] >> (11 * b)) & 2047]++;
		for (int b = 0; b < 6; b++)
		{
			int			pos = 0;
			bool		trivial = false;

			for (int d = 0; d < 2048 && !trivial; d++)
				trivial = count[b][d] == n;
			if (trivial)
				continue;
			for (int d = 0; d < 2048; d++)
			{
				int			c = count[b][d];

				count[b][d] = pos;
				pos += c;
			}
			for (int i = 0; i < n; i++)
			{
				int			p = count[b][(src_k[i] >> (11 * b)) & 2047]++;

				dst_k[p] = src_k[i];
				dst_i[p] = src_i[i];
			}
			{
				uint64_t   *tk = src_k;
				uint32_t   *ti = src_i;

				src_k = dst_k;
				src_i = dst_i;
				dst_k = tk;
				dst_i = ti;
			}
		}
		if (src_k != key)
		{
			memcpy(key, src_k, sizeof(uint64_t) * (size_t) n);
			memcpy(idx, src_i, sizeof(uint32_t) * (size_t) n);
		}
	}
}

static void
insertion_sort_u64(uint64_t *a, int n)
{
	for (int i = 1; i < n; i++)
	{
		uint64_t	k = a[i];
		int			j = i - 1;

		while (j >= 0 && a[j] > k)
		{
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = k;
	}
}

/* keys are distinct (they carry the row position), so a plain Hoare quicksort is safe */
static void
quick_sort_u64(uint64_t *a, int n)
{
	while (n > 24)
	{
		uint64_t	x = a[0],
					y = a[n / 2],
					z = a[n - 1];
		uint64_t	pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		int			i = -1,
					j = n;

		for (;;)
		{
			do
				i++;
			while (a[i] < pivot);
			do
				j--;
			while (a[j] > pivot);
			if (i >= j)
				break;
			{
				uint64_t	t = a[i];

				a[i] = a[j];
				a[j] = t;
			}
		}
		/* recurse into the smaller part */
		if (j + 1 < n - j - 1)
		{
			quick_sort_u64(a, j + 1);
			a += j + 1;
			n -= j + 1;
		}
		else
		{
			quick_sort_u64(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_sort_u64(a, n);
}

/*
 * Sort keys (code << 32 | position) by code; codes lie in [cmin, cmin + range).
 * Returns the array holding the result (keys or tmp).
 */
uint64_t *
aml_tree_sort_keys(uint64_t *keys, uint64_t *tmp, int n, uint32_t cmin, uint32_t range)
{
	int			bits;
	int			passes;
	int			digit;
	uint32_t	mask;
	int			count[2048];
	uint64_t   *src = keys;
	uint64_t   *dst = tmp;

	if (n <= 24)
	{
		insertion_sort_u64(keys, n);
		return keys;
	}
	if (n <= 320)
	{
		quick_sort_u64(keys, n);
		return keys;
	}
	bits = 32 - __builtin_clz((range - 1) | 1);
	passes = (bits + 10) / 11;
	digit = (bits + passes - 1) / passes;
	mask = (1u << digit) - 1;
	for (int p = 0; p < passes; p++)
	{
		int			shift = p * digit;
		int			pos = 0;

		memset(count, 0, sizeof(int) * ((size_t) mask + 1));
		for (int i = 0; i < n; i++)
			count[(((uint32_t) (src[i] >> 32) - cmin) >> shift) & mask]++;
		for (uint32_t d = 0; d <= mask; d++)
		{
			int			c = count[d];

			count[d] = pos;
			pos += c;
		}
		for (int i = 0; i < n; i++)
			dst[count[(((uint32_t) (src[i] >> 32) - cmin) >> shift) & mask]++] = src[i];
		{
			uint64_t   *t = src;

			src = dst;
			dst = t;
		}
	}
	return src;
}
