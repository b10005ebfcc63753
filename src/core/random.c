/*
 * random.c — xoshiro256** generator (Blackman & Vigna), written from the
 * published description; see random.h.
 */
#include "core/random.h"

#include <math.h>

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
aml_rng_seed(AmlRng *rng, uint64_t seed)
{
	uint64_t	x = seed;

	rng->seed = seed;
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

void
aml_rng_derive(const AmlRng *parent, uint64_t stream, AmlRng *child)
{
	uint64_t	x = parent->seed ^ 0x6a09e667f3bcc909ULL;
	uint64_t	mixed;

	x += stream * 0x9e3779b97f4a7c15ULL;
	mixed = splitmix64(&x);
	aml_rng_seed(child, mixed ^ (stream << 1));
}

uint64_t
aml_rng_next(AmlRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
aml_rng_uniform(AmlRng *rng)
{
	return (double) (aml_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t
aml_rng_below(AmlRng *rng, uint64_t n)
{
	/* rejection sampling on the top of the range */
	uint64_t	limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t	x;

	do
		x = aml_rng_next(rng);
	while (x >= limit);
	return x % n;
}

double
aml_rng_normal(AmlRng *rng)
{
	double		u1;
	double		u2 = aml_rng_uniform(rng);

	do
		u1 = aml_rng_uniform(rng);
	while (u1 <= 0.0);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void
aml_rng_shuffle(AmlRng *rng, int *items, int n)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) aml_rng_below(rng, (uint64_t) i + 1);
		int			t = items[i];

		items[i] = items[j];
		items[j] = t;
	}
}
