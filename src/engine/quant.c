/* quant — dispatch of the block-format kernels and the float conversions
 * (see quant.h for the contract).
 *
 * The active kernel set is a pointer to one of the per-ISA tables
 * (quant_ref.c, quant_avx2.c, quant_avx512.c); quant_init is its only writer
 * and runs before threads start. Until it runs, the scalar table is active.
 */
#include "quant.h"

#include <stdlib.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../plan/memory.h"
#include "../util/clock.h"
#include "kvrot.h"
#include "quant_impl.h"
#include "quant_repack.h"
#include "vecmath.h"

static const quant_kernels *active = &quant_kernels_ref;
static int active_isa = QUANT_ISA_SCALAR; /* the ISA of active */

/* ---- f16 / bf16 ----------------------------------------------------------- */

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float fc_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0x1F) return bits_f32(sign | 0x7F800000 | (mant << 13)); /* inf, NaN (payload kept) */
    if (exp != 0) return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return bits_f32(sign);
    /* subnormal: mant * 2^-24, exact in float */
    const float v = (float)mant * (1.0f / 16777216.0f);
    return sign ? -v : v;
}

uint16_t fc_f32_to_f16(float f) {
    const uint32_t x = f32_bits(f);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const uint32_t ax = x & 0x7FFFFFFF;
    if (ax > 0x7F800000) /* NaN: quiet it, keep the top payload bits (as F16C does) */
        return (uint16_t)(sign | 0x7E00 | ((ax >> 13) & 0x3FF));
    if (ax >= 0x477FF000) return sign | 0x7C00; /* >= 65520 rounds to inf */
    if (ax >= 0x38800000) {                     /* normal half: >= 2^-14 */
        /* rebias the exponent (127 -> 15) and round the 13 dropped bits to
         * nearest even; a carry out of the mantissa bumps the exponent */
        const uint32_t odd = (ax >> 13) & 1;
        return (uint16_t)(sign | ((ax - 0x38000000 + 0xFFF + odd) >> 13));
    }
    /* subnormal half or zero: the value in units of 2^-24, rounded to even */
    const int e = (int)(ax >> 23);
    const int shift = 126 - e; /* >= 14 here */
    if (e == 0 || shift > 24) return sign; /* below 2^-25 (or f32 subnormal): rounds to 0 */
    const uint32_t m = (ax & 0x7FFFFF) | 0x800000;
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return (uint16_t)(sign | q);
}

float fc_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t fc_f32_to_bf16(float f) {
    const uint32_t x = f32_bits(f);
    if ((x & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    return (uint16_t)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}

/* ---- dispatch ------------------------------------------------------------- */

const char *quant_isa_name(int isa) {
    switch (isa) {
    case QUANT_ISA_SCALAR: return "scalar";
    case QUANT_ISA_AVX2: return "avx2";
    case QUANT_ISA_AVX512: return "avx512";
    case QUANT_ISA_AMX: return "amx";
    case QUANT_ISA_AUTO: return "auto";
    default: return "unknown";
    }
}

#if defined(__x86_64__)
/* AMX-INT8 usable: the CPU has AMX-TILE and AMX-INT8 (CPUID 7.0 EDX bits 24
 * and 25), the kernel grants this process the tile data state (Linux
 * 5.16+: arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA; without it
 * the first tile instruction faults), and the tiles pass their start-up
 * check (quant_amx_selftest). Asked once; the grant is the process's, so threads
 * started later may use the tiles. */
static bool amx_usable(void) {
    static int known = -1; /* written once, in quant_init before threads start, or the same value again */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (k < 0) {
        unsigned a, b, c, dx;
        k = __get_cpuid_count(7, 0, &a, &b, &c, &dx) && (dx >> 24 & 1) && (dx >> 25 & 1) &&
            syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0 && quant_amx_selftest(NULL);
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k;
}
#endif

/* The best ISA this CPU runs among those compiled in. */
static int cpu_best_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
#if defined(__clang__) && __clang_major__ < 16 /* no "f16c" nor "avx512vnni" there: CPUID */
    unsigned a, b, c, dx;
    bool f16c = __get_cpuid(1, &a, &b, &c, &dx) && (c >> 29 & 1);
    bool vnni = __get_cpuid_count(7, 0, &a, &b, &c, &dx) && (c >> 11 & 1);
#else
    bool f16c = __builtin_cpu_supports("f16c");
    bool vnni = __builtin_cpu_supports("avx512vnni");
#endif
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c))
        return QUANT_ISA_SCALAR;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && vnni)
        return amx_usable() ? QUANT_ISA_AMX : QUANT_ISA_AVX512;
    return QUANT_ISA_AVX2;
#else
    return QUANT_ISA_SCALAR;
#endif
}

#if defined(__x86_64__)
/* ---- the width of the AVX-512 dots of the 4/5/8-bit types ------------------
 * quant_kernels_avx512 and quant_kernels_avx512w differ only in the dots of
 * Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (generation's kernels on the small
 * models): 256-bit or 512-bit, the same floats bit for bit. Which is faster
 * depends on the CPU's 512-bit units (Zen 4 splits them in two: there the
 * 256-bit dots measured faster for every type, BENCHMARKS.md; Intel's
 * server cores and Zen 5 have full-width units), so it is measured, per type, once, at the first
 * quant_init on an AVX-512 CPU: 256 rows of 1024 values (L2-resident: the
 * generation shape without the memory's noise), the two variants
 * alternately, the best of 7 each; the 512-bit one must win by 5 %. About
 * 2 ms. FITCHAT_DOTS=256|512 forces the choice (another value is reported
 * on stderr and measured). The table the
 * AVX-512 and AMX ISAs then use is avx512_k: the 256-bit table with the
 * chosen rows; it is written by quant_init only. */
static quant_traits avx512_rows[GGML_TYPE_COUNT];
static quant_kernels avx512_k; /* traits NULL until quant_init chose */
static int dot_bits[GGML_TYPE_COUNT];
static const uint32_t LEGACY[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0};

/* 512 if the 512-bit dot_rows of type beat the 256-bit ones here, else 256 */
static int measure_dot_bits(uint32_t type) {
    enum { N = 1024, ROWS = 256, ROUNDS = 7 };
    const quant_traits *t256 = &quant_kernels_avx512.traits[type], *t512 = &quant_kernels_avx512w.traits[type];
    const size_t rb = (size_t)(N / t256->block_elems) * t256->block_bytes;
    uint8_t *rows = malloc(rb * ROWS), *act = malloc(quant_act_bytes(FC_ACT_Q8, N));
    float *x = malloc(N * sizeof *x), *out = malloc(ROWS * sizeof *out);
    int bits = 256;
    if (rows && act && x && out) {
        uint32_t seed = 2463534242u;
        for (int r = 0; r < ROWS; r++) { /* 8 rows quantized, the rest copies of them (the speed is the same) */
            if (r >= 8) { memcpy(rows + (size_t)r * rb, rows + (size_t)(r % 8) * rb, rb); continue; }
            for (int e = 0; e < N; e++) x[e] = (float)((int)((seed = seed * 1664525u + 1013904223u) >> 16) % 2001 - 1000) / 1000.0f;
            t256->quantize(x, rows + (size_t)r * rb, N);
        }
        quant_kernels_avx512.ops.act_q8(x, (fc_block_q8 *)(void *)act, N);
        double best[2] = {1e30, 1e30};
        for (int round = 0; round < ROUNDS; round++)
            for (int w = 0; w < 2; w++) {
                const quant_traits *t = w ? t512 : t256;
                const double t0 = fc_now_s();
                t->dot_rows(rows, rb, ROWS, act, N, out);
                const double dt = fc_now_s() - t0;
                if (dt < best[w]) best[w] = dt;
            }
        bits = best[1] < 0.95 * best[0] ? 512 : 256;
    }
    free(rows); free(act); free(x); free(out);
    return bits;
}

/* Fills avx512_k; a later call (a second engine) with the same widths
 * writes nothing, so kernels running elsewhere never see their rows move. */
static void choose_dot_bits(void) {
    static int measured[GGML_TYPE_COUNT]; /* 0 until measured */
    static bool warned;
    const char *env = getenv("FITCHAT_DOTS");
    const int forced = env && !strcmp(env, "512") ? 512 : env && !strcmp(env, "256") ? 256 : 0;
    if (env && *env && !forced && !warned) {
        fprintf(stderr, "fitchat: FITCHAT_DOTS=%s is not 256 or 512; the dots' width is measured\n", env);
        warned = true;
    }
    int bits[GGML_TYPE_COUNT] = {0};
    for (size_t i = 0; i < sizeof LEGACY / sizeof *LEGACY; i++) {
        const uint32_t type = LEGACY[i];
        if (!forced && !measured[type]) measured[type] = measure_dot_bits(type);
        bits[type] = forced ? forced : measured[type];
    }
    if (avx512_k.traits && !memcmp(bits, dot_bits, sizeof bits)) return;
    memcpy(dot_bits, bits, sizeof bits);
    memcpy(avx512_rows, quant_kernels_avx512.traits, sizeof avx512_rows);
    for (size_t i = 0; i < sizeof LEGACY / sizeof *LEGACY; i++)
        if (dot_bits[LEGACY[i]] == 512) avx512_rows[LEGACY[i]] = quant_kernels_avx512w.traits[LEGACY[i]];
    avx512_k = (quant_kernels){avx512_rows, quant_kernels_avx512.ops};
}
#endif

int quant_dot_bits(uint32_t type) {
#if defined(__x86_64__)
    if (active_isa >= QUANT_ISA_AVX512 && type < GGML_TYPE_COUNT) return dot_bits[type];
#else
    (void)type;
#endif
    return 0;
}

static const quant_kernels *kernels_of(int isa) {
    if (isa < QUANT_ISA_SCALAR || isa > cpu_best_isa()) return NULL;
    switch (isa) {
#if defined(__x86_64__)
    case QUANT_ISA_AVX2: return &quant_kernels_avx2;
    case QUANT_ISA_AVX512: /* the AMX ISA: the same dots; its own repacked tiles */
    case QUANT_ISA_AMX: return avx512_k.traits ? &avx512_k : &quant_kernels_avx512;
#endif
    case QUANT_ISA_SCALAR: return &quant_kernels_ref;
    default: return NULL;
    }
}

int quant_init(int isa) {
    int best = cpu_best_isa(), want = best;
    /* The automatic choice is the best the CPU runs: AMX (the AVX-512 table
     * with AMX tiles over the repacked weights for prompts), AVX-512 (VNNI:
     * 256-bit kernels, which Zen 4's split 512-bit units and Intel's run
     * alike, and the dots of the 4/5/8-bit types at the width measured
     * faster, choose_dot_bits; all give the AVX2 dots' floats), AVX2
     * (BENCHMARKS.md). */
    if (isa != QUANT_ISA_AUTO && isa >= QUANT_ISA_SCALAR && isa < want) want = isa;
    const char *cap = getenv("FITCHAT_ISA");
    if (cap && *cap) {
        int c = QUANT_ISA_AMX;
        if (!strcasecmp(cap, "scalar")) c = QUANT_ISA_SCALAR;
        else if (!strcasecmp(cap, "avx2")) c = QUANT_ISA_AVX2;
        else if (!strcasecmp(cap, "avx512")) c = QUANT_ISA_AVX512;
        else if (strcasecmp(cap, "amx")) {
            static atomic_flag warned = ATOMIC_FLAG_INIT; /* quant_init runs more than once */
            if (!atomic_flag_test_and_set(&warned))
                fprintf(stderr, "fitchat: FITCHAT_ISA=%s is not scalar, avx2, avx512 or amx; the CPU's best kernels run\n", cap);
        }
        if (c < want) want = c; /* a cap: never above what the caller asked */
    }
#if defined(__x86_64__)
    if (want >= QUANT_ISA_AVX512) choose_dot_bits();
#endif
    const quant_kernels *k = kernels_of(want);
    while (!k && want > QUANT_ISA_SCALAR) k = kernels_of(--want);
    active = k ? k : &quant_kernels_ref;
    active_isa = k ? want : QUANT_ISA_SCALAR;
    vm_init(want >= QUANT_ISA_AVX2); /* the float loops follow the kernels' ISA */
    return want;
}

int quant_isa(void) { return active_isa; }

static const quant_traits *row_of(const quant_kernels *k, uint32_t type) {
    if (!k || type >= GGML_TYPE_COUNT || !k->traits[type].name) return NULL;
    return &k->traits[type];
}

/* ---- repacked weights ----------------------------------------------------- */

#if defined(__x86_64__)
_Static_assert(sizeof(blk_q4_kx8) == MEM_REPACK_Q4_K_X8_BYTES, "the memory model's Q4_K x8 size");
_Static_assert(sizeof(blk_q5_kx8) == MEM_REPACK_Q5_K_X8_BYTES, "the memory model's Q5_K x8 size");
_Static_assert(sizeof(blk_q6_kx8) == MEM_REPACK_Q6_K_X8_BYTES, "the memory model's Q6_K x8 size");
_Static_assert(sizeof(blk_q5_0x8) == MEM_REPACK_Q5_0_X8_BYTES, "the memory model's Q5_0 x8 size");
_Static_assert(sizeof(blk_q5_1x8) == MEM_REPACK_Q5_1_X8_BYTES, "the memory model's Q5_1 x8 size");
_Static_assert(sizeof(blk_q8_0x8) == MEM_REPACK_Q8_0_X8_BYTES, "the memory model's Q8_0 x8 size");
_Static_assert(sizeof(blk_q4_0x8) == MEM_REPACK_Q4_0_X8_BYTES, "the memory model's Q4_0 x8 size");
_Static_assert(sizeof(blk_q4_1x8) == MEM_REPACK_Q4_1_X8_BYTES, "the memory model's Q4_1 x8 size");
_Static_assert(sizeof(blk_iq4_nlx8) == MEM_REPACK_IQ4_NL_X8_BYTES, "the memory model's IQ4_NL x8 size");
_Static_assert(sizeof(blk_iq4_xsx8) == MEM_REPACK_IQ4_XS_X8_BYTES, "the memory model's IQ4_XS x8 size");
/* One row per ISA and type: the layout (set, type, group, block), the packer
 * (the AVX2 one for both: one layout) and that ISA's tile over it. T is the
 * type (Q4_K), t its kernels' name (q4_k), block its block (FC_QK_K). */
#define REPACKER(ISA, isa, T, t, block)                                                                  \
    {MEM_REPACK_X8, GGML_TYPE_##T, MEM_REPACK_X8_ROWS, block, sizeof(blk_##t##x8), quant_avx2_repack_##t, \
     quant_##isa##_tile_##t##x8, QUANT_ISA_##ISA}
#define REPACKERS(ISA, isa)                                                                              \
    REPACKER(ISA, isa, Q4_K, q4_k, FC_QK_K), REPACKER(ISA, isa, Q5_K, q5_k, FC_QK_K),                     \
    REPACKER(ISA, isa, Q6_K, q6_k, FC_QK_K), REPACKER(ISA, isa, Q5_0, q5_0, FC_QK),                       \
    REPACKER(ISA, isa, Q5_1, q5_1, FC_QK),   REPACKER(ISA, isa, Q8_0, q8_0, FC_QK),                       \
    REPACKER(ISA, isa, Q4_0, q4_0, FC_QK),   REPACKER(ISA, isa, Q4_1, q4_1, FC_QK),                       \
    REPACKER(ISA, isa, IQ4_NL, iq4_nl, FC_QK), REPACKER(ISA, isa, IQ4_XS, iq4_xs, FC_QK_K)
static const quant_repacker repackers[] = {REPACKERS(AVX2, avx2), REPACKERS(AVX512, avx512), REPACKERS(AMX, amx)};
#endif

#if defined(__x86_64__)
/* The AMX tiles are used only after they have computed, on this CPU, what
 * the AVX2 tiles compute: every repacked type, 8 rows x 512 random values
 * times 16 tokens, bit for bit (the tests do more; this guards users of a
 * CPU or hypervisor the tiles were never run on). A fault there (SIGILL,
 * SIGSEGV) or a difference leaves AMX off, with a line on stderr. Runs once,
 * from quant_init, before threads start. */
static sigjmp_buf amx_jmp;
static volatile sig_atomic_t amx_sig;
static void amx_fault(int sig) {
    amx_sig = sig;
    siglongjmp(amx_jmp, 1);
}

/* The first type whose AMX tile differs from the AVX2 one, -1 if none. */
static int amx_check_types(quant_rtile_fn (*tile_of)(uint32_t), uint8_t *rows, uint8_t *packed, uint8_t *acts, float *x,
                           float *want, float *got, int n, int tok) {
    const quant_ops *ops = &quant_kernels_avx2.ops;
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof repackers / sizeof *repackers; i++) {
        const quant_repacker *amx = &repackers[i], *avx2 = NULL;
        if (amx->isa != QUANT_ISA_AMX) continue;
        for (size_t k = 0; k < sizeof repackers / sizeof *repackers; k++)
            if (repackers[k].isa == QUANT_ISA_AVX2 && repackers[k].type == amx->type) avx2 = &repackers[k];
        const quant_traits *t = &quant_kernels_avx2.traits[amx->type];
        const size_t rb = (size_t)(n / t->block_elems) * t->block_bytes;
        for (size_t b = 0; b < 8 * rb; b++) rows[b] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
        const size_t h = amx->type == GGML_TYPE_Q6_K ? 208 : 0; /* finite scales: 0.0999 in the f16 fields */
        for (size_t o = 0; o < 8 * rb; o += t->block_bytes) {
            rows[o + h] = 0x66; rows[o + h + 1] = 0x2E;
            if (h == 0) { rows[o + 2] = 0x66; rows[o + 3] = 0x2E; }
        }
        amx->pack(rows, rb, n, packed);
        const size_t ab = quant_act_bytes(t->act_type, n);
        for (int tk = 0; tk < tok; tk++) {
            for (int e = 0; e < n; e++) x[e] = (float)((int)((seed = seed * 1664525u + 1013904223u) >> 16) % 2001 - 1000) / 1000.0f;
            if (t->act_type == FC_ACT_Q8K) ops->act_q8k(x, (fc_block_q8k *)(void *)(acts + (size_t)tk * ab), n);
            else ops->act_q8(x, (fc_block_q8 *)(void *)(acts + (size_t)tk * ab), n);
        }
        avx2->tile(packed, acts, ab, n, tok, want, 8);
        (tile_of ? tile_of(amx->type) : amx->tile)(packed, acts, ab, n, tok, got, 8);
        if (memcmp(want, got, (size_t)tok * 8 * sizeof *want)) return (int)amx->type;
    }
    return -1;
}

bool quant_amx_selftest(quant_rtile_fn (*tile_of)(uint32_t type)) {
    enum { N = 512, TOK = 16, ROWBYTES = N / 32 * 34 };
    uint8_t *rows = malloc(8 * ROWBYTES), *packed = malloc(8 * ROWBYTES * 2), *acts = malloc(TOK * N * 2);
    float *x = malloc(N * sizeof *x), *want = malloc(2 * TOK * 8 * sizeof *want);
    bool ok = false;
    if (rows && packed && acts && x && want) {
        struct sigaction sa, old_ill, old_segv;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = amx_fault;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGILL, &sa, &old_ill);
        sigaction(SIGSEGV, &sa, &old_segv);
        volatile int bad_type = -1;
        amx_sig = 0;
        if (sigsetjmp(amx_jmp, 1) == 0) /* (C11 7.13.1.1: the whole controlling expression) */
            bad_type = amx_check_types(tile_of, rows, packed, acts, x, want, want + TOK * 8, N, TOK);
        const int sig = amx_sig;
        sigaction(SIGILL, &old_ill, NULL);
        sigaction(SIGSEGV, &old_segv, NULL);
        if (sig)
            fprintf(stderr, "fitchat: the AMX tiles faulted (signal %d) in their start-up check; using the AVX-512 kernels\n", sig);
        else if (bad_type >= 0)
            fprintf(stderr, "fitchat: the AMX tiles of %s differ from the AVX2 tiles in their start-up check; using the AVX-512 kernels\n",
                    quant_kernels_avx2.traits[bad_type].name);
        ok = !sig && bad_type < 0;
    }
    free(rows); free(packed); free(acts); free(x); free(want);
    return ok;
}
#else
bool quant_amx_selftest(quant_rtile_fn (*tile_of)(uint32_t type)) {
    (void)tile_of;
    return false;
}
#endif

uint32_t quant_repack_set(void) { return active_isa >= QUANT_ISA_AVX2 ? MEM_REPACK_X8 : MEM_REPACK_OFF; }

const quant_repacker *quant_repacker_get_isa(uint32_t repack, uint32_t type, int isa) {
#if defined(__x86_64__)
    if (repack != MEM_REPACK_OFF && isa <= cpu_best_isa())
        for (size_t i = 0; i < sizeof repackers / sizeof *repackers; i++)
            if (repackers[i].repack == repack && repackers[i].type == type && repackers[i].isa == isa) return &repackers[i];
#else
    (void)repack; (void)type; (void)isa;
#endif
    return NULL;
}

const quant_repacker *quant_repacker_get(uint32_t repack, uint32_t type) {
    return quant_repacker_get_isa(repack, type, active_isa);
}

void quant_repack_rows(const quant_repacker *rp, const void *rows, size_t row_stride, int64_t n_rows, int64_t n, void *dst) {
    const int64_t blocks = n / rp->block_elems;
    for (int64_t g = 0; g < n_rows / rp->group; g++)
        rp->pack((const uint8_t *)rows + (size_t)g * rp->group * row_stride, row_stride, n,
                 (uint8_t *)dst + (size_t)g * (size_t)blocks * rp->block_bytes);
}

const quant_traits *quant_get(uint32_t type) { return row_of(active, type); }
const quant_traits *quant_get_ref(uint32_t type) { return row_of(&quant_kernels_ref, type); }
const quant_traits *quant_get_isa(uint32_t type, int isa) { return row_of(kernels_of(isa), type); }

/* Q4_0 for the KV cache: kvrot.h's least-squares scale of each block
 * (vm_kvq_q4_0_scales, eight lanes at a time), then every value to its
 * nearest level at the f16-rounded scale (kvq_q4_0_levels; the CUDA twin:
 * kv.cu's quant_block). */
void quant_kv_quantize_q4_0(const float *x, void *row, int64_t n) {
    enum { CHUNK = 64 };
    blk_q4_0 *y = row;
    float d[CHUNK];
    for (int64_t b0 = 0; b0 < n / FC_QK; b0 += CHUNK) {
        const int nb = n / FC_QK - b0 < CHUNK ? (int)(n / FC_QK - b0) : CHUNK;
        vm_kvq_q4_0_scales(x + b0 * FC_QK, nb, d);
        for (int b = 0; b < nb; b++) {
            const float *xb = x + (b0 + b) * FC_QK;
            uint16_t dh = fc_f32_to_f16(d[b]);
            bool flip;
            if (!kvq_q4_0_levels(xb, fc_f16_to_f32(dh), y[b0 + b].qs, &flip)) {
                dh = fc_f32_to_f16(kvq_signed_max(xb) / -8);
                kvq_q4_0_levels(xb, fc_f16_to_f32(dh), y[b0 + b].qs, &flip);
            }
            fc_wr16(y[b0 + b].d, flip ? (uint16_t)(dh ^ 0x8000u) : dh);
        }
    }
}

quant_quantize_fn quant_kv_quantizer(uint32_t type) {
    if (type == GGML_TYPE_Q4_0) return quant_kv_quantize_q4_0;
    const quant_traits *t = quant_get(type);
    return t ? t->quantize : NULL;
}

const quant_ops *quant_get_ops(int isa) {
    const quant_kernels *k = kernels_of(isa);
    return k ? &k->ops : NULL;
}

void quant_dot_rows(const quant_traits *t, const void *rows, size_t row_stride, int n_rows,
                    const void *act, int64_t n, float *out) {
    if (t->dot_rows) { t->dot_rows(rows, row_stride, n_rows, act, n, out); return; }
    const uint8_t *r = rows;
    for (int i = 0; i < n_rows; i++) out[i] = t->dot(r + (size_t)i * row_stride, act, n);
}

void quant_tile4(const quant_traits *t, const void *rows, size_t row_stride, const void *act,
                 size_t act_stride, int64_t n, float *out, size_t out_stride) {
    if (t->tile4) { t->tile4(rows, row_stride, act, act_stride, n, out, out_stride); return; }
    quant_tile4_dots(t->dot, rows, row_stride, act, act_stride, n, out, out_stride);
}

size_t quant_act_bytes(enum fc_act_type t, int64_t n) {
    if (t == FC_ACT_Q8) return (size_t)(n / FC_QK8) * sizeof(fc_block_q8);
    if (t == FC_ACT_Q8K) return (size_t)(n / FC_QK_K) * sizeof(fc_block_q8k);
    return (size_t)n * sizeof(float);
}

void quant_act_from_f32(enum fc_act_type t, const float *x, void *out, int64_t n) {
    if (t == FC_ACT_Q8) active->ops.act_q8(x, out, n);
    else if (t == FC_ACT_Q8K) active->ops.act_q8k(x, out, n);
    else memcpy(out, x, (size_t)n * sizeof(float));
}

float fc_dot_f32(const float *a, const float *b, int64_t n) { return active->ops.dot_f32(a, b, n); }

void fc_axpy_f32(float *y, float a, const float *x, int64_t n) { active->ops.axpy_f32(y, a, x, n); }
