/* sim_rng: the simulator's deterministic random numbers (xoshiro256**, seeded by splitmix64).
 *
 * Every hall has its own stream, seeded from the run's seed and the hall's id, so the traffic
 * of one hall does not depend on which other halls are simulated. Same seed, same draws in
 * the same order: same numbers on every platform with IEEE doubles and a correct libm.
 */
#ifndef CW_SIM_RNG_H
#define CW_SIM_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

static inline uint64_t sim_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* FNV-1a of a string: mixes an id into a seed. */
static inline uint64_t sim_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static inline void sim_rng_seed(sim_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = sim_splitmix64(&x);
}

static inline uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t v = s[1] * 5;
    uint64_t result = ((v << 7) | (v >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double sim_rng_unit(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [lo, hi). */
static inline double sim_rng_range(sim_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_unit(r);
}

/* Uniform integer in [0, n); n > 0. */
static inline int sim_rng_int(sim_rng *r, int n)
{
    return (int)(sim_rng_unit(r) * n);
}

static inline int sim_rng_chance(sim_rng *r, double p)
{
    return sim_rng_unit(r) < p;
}

/* Exponential with the given mean. */
static inline double sim_rng_exp(sim_rng *r, double mean)
{
    return -mean * log(1.0 - sim_rng_unit(r));
}

/* Standard normal (Box-Muller, one value per call). */
static inline double sim_rng_normal(sim_rng *r)
{
    double u1 = 1.0 - sim_rng_unit(r);
    double u2 = sim_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Log-normal with the given median and sigma of the underlying normal. */
static inline double sim_rng_lognormal(sim_rng *r, double median, double sigma)
{
    return median * exp(sigma * sim_rng_normal(r));
}

/* Poisson with mean lambda (Knuth for small means, normal approximation above 30). */
static inline int sim_rng_poisson(sim_rng *r, double lambda)
{
    if (lambda <= 0) return 0;
    if (lambda > 30) {
        double v = lambda + sqrt(lambda) * sim_rng_normal(r) + 0.5;
        return v < 0 ? 0 : (int)v;
    }
    double limit = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= sim_rng_unit(r);
    } while (p > limit);
    return k - 1;
}

#endif
