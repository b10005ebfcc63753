/*
 * random.h — seeded pseudo-random numbers (xoshiro256**, seeded by splitmix64).
 *
 * Everything random in the ML core and the search draws from an AmlRng that
 * the caller seeds, so results are reproducible for a given seed.  Independent
 * streams (one per tree, per fold, per candidate) come from aml_rng_derive(),
 * which depends only on the parent seed and the stream number, not on how many
 * numbers other streams consumed.
 */
#ifndef AML_RANDOM_H
#define AML_RANDOM_H

#include <stdint.h>

typedef struct AmlRng
{
	uint64_t	s[4];
	uint64_t	seed;			/* the seed it was created from */
} AmlRng;

void		aml_rng_seed(AmlRng *rng, uint64_t seed);
/* A new generator for stream `stream` of the generator seeded with parent->seed. */
void		aml_rng_derive(const AmlRng *parent, uint64_t stream, AmlRng *child);
uint64_t	aml_rng_next(AmlRng *rng);
/* uniform in [0, 1) with 53 random bits */
double		aml_rng_uniform(AmlRng *rng);
/* uniform integer in [0, n) without modulo bias; n > 0 */
uint64_t	aml_rng_below(AmlRng *rng, uint64_t n);
/* standard normal (Box-Muller) */
double		aml_rng_normal(AmlRng *rng);
/* Fisher-Yates shuffle of an int array */
void		aml_rng_shuffle(AmlRng *rng, int *items, int n);

#endif
