/*
 * dictionary.h — a dictionary of strings to dense integer codes 0..n-1.
 *
 * The category dictionary of a categorical column (and of a classification
 * target): training interns every distinct string, predict looks strings up
 * (an unseen string has no code).  Codes are assigned in insertion order;
 * aml_dict_sort() renumbers them in byte order so that the result does not
 * depend on row order.
 */
#ifndef AML_DICTIONARY_H
#define AML_DICTIONARY_H

#include <stddef.h>

#include "core/status.h"

typedef struct AmlDictionary
{
	int			count;			/* number of strings */
	int			capacity;		/* allocated length of strings[] */
	char	  **strings;		/* code -> NUL-terminated string */
	size_t	   *lengths;		/* code -> length */
	int		   *slots;			/* hash table of codes, -1 = empty */
	int			nslots;			/* power of two */
} AmlDictionary;

AmlDictionary *aml_dict_new(void);
void		aml_dict_free(AmlDictionary *dict);
/* Code of s[0..len-1], or -1 when absent. */
int			aml_dict_lookup(const AmlDictionary *dict, const char *s, size_t len);
/* Code of s, inserting it when absent. */
AmlStatus	aml_dict_intern(AmlDictionary *dict, const char *s, size_t len, int *code,
							AmlError *err);
const char *aml_dict_string(const AmlDictionary *dict, int code);
/*
 * Renumber codes in byte order of the strings.  When remap is not NULL it
 * receives, for every old code, the new one (remap has dict->count entries).
 */
AmlStatus	aml_dict_sort(AmlDictionary *dict, int *remap, AmlError *err);
/* A deep copy. */
AmlDictionary *aml_dict_copy(const AmlDictionary *dict);

#endif
