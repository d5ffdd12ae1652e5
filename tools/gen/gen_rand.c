/* The generator's own random source: xoshiro256** seeded through splitmix64, plus the
 * few distributions the synthetic province needs. Same seed, same numbers, on every
 * libc (no rand()). */
#include <math.h>

#include "gen.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void cqe_gen_rng_seed(struct cqe_gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cqe_gen_u64(struct cqe_gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cqe_gen_unif(struct cqe_gen_rng *r)
{
    return (double)(cqe_gen_u64(r) >> 11) * 0x1.0p-53;
}

int64_t cqe_gen_range(struct cqe_gen_rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    if (span == 0)
        return (int64_t)cqe_gen_u64(r);
    /* 53-bit uniform scaled: exact enough for the spans used here (< 2^40) */
    uint64_t k = (uint64_t)(cqe_gen_unif(r) * (double)span);
    if (k >= span)
        k = span - 1;
    return lo + (int64_t)k;
}

int cqe_gen_chance(struct cqe_gen_rng *r, double p)
{
    return cqe_gen_unif(r) < p;
}

double cqe_gen_normal(struct cqe_gen_rng *r)
{
    double u1 = cqe_gen_unif(r), u2 = cqe_gen_unif(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double cqe_gen_noise(struct cqe_gen_rng *r)
{
    /* four 16-bit uniforms from one draw: sum has mean 2, variance 1/3 */
    uint64_t x = cqe_gen_u64(r);
    double s = (double)(x & 0xffff) + (double)((x >> 16) & 0xffff) + (double)((x >> 32) & 0xffff) +
               (double)(x >> 48);
    return (s / 65536.0 - 2.0) * 1.7320508075688772;
}

double cqe_gen_lognormal(struct cqe_gen_rng *r, double median, double sigma)
{
    return median * exp(sigma * cqe_gen_normal(r));
}

double cqe_gen_pareto(struct cqe_gen_rng *r, double xm, double alpha)
{
    double u = 1.0 - cqe_gen_unif(r); /* (0, 1] */
    return xm / pow(u, 1.0 / alpha);
}

int64_t cqe_gen_poisson(struct cqe_gen_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 30) {
        double x = lambda + sqrt(lambda) * cqe_gen_normal(r) + 0.5;
        return x < 0 ? 0 : (int64_t)x;
    }
    double limit = exp(-lambda), p = 1.0;
    int64_t k = 0;
    for (;;) {
        p *= cqe_gen_unif(r);
        if (p <= limit)
            return k;
        k++;
    }
}

int cqe_gen_pick(struct cqe_gen_rng *r, const double *weights, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    double x = cqe_gen_unif(r) * total;
    for (int i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}
