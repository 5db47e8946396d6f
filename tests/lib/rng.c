#include "rng.h"

static uint64_t rng_state = 1;

void rng_seed(uint64_t s) { rng_state = s * 0x9E3779B97F4A7C15ull + 1; }

uint64_t rng_u64(void) {
    uint64_t x = rng_state;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return rng_state = x;
}

float rng_unit(void) { return (float)(rng_u64() >> 40) / (float)(1 << 24); }

/* 2 * unit - 1 is exact in float (unit has 24 bits), so this equals
 * 2 * (x >> 40) / 2^24 - 1 however it is grouped. */
float rng_sym(void) { return 2.0f * rng_unit() - 1.0f; }
