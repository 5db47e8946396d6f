/* rng — the seeded xorshift64 generator of the kernel tests (test_quant.c,
 * test_quant_k.c): the same seed gives the same test vectors on every
 * machine. One global state; call rng_seed() before drawing. Single-threaded. */
#ifndef FC_TEST_RNG_H
#define FC_TEST_RNG_H

#include <stdint.h>

void rng_seed(uint64_t s);
uint64_t rng_u64(void);
float rng_unit(void); /* [0,1), 24 bits */
float rng_sym(void);  /* [-1,1) */

#endif
