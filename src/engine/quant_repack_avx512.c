/* quant_repack_avx512 — the 8-row tiles over the repacked layouts of
 * quant_repack.h with AVX-512 VNNI (compiled with -mavx512vl -mavx512vnni;
 * 256-bit registers: Zen 4 runs 512-bit operations as two halves, and the
 * layouts' registers hold 8 rows x 4 bytes). The layouts and the packers are
 * the AVX2 file's (quant_repack_avx2.c, MEM_REPACK_X8): one copy of the
 * weights serves both tables.
 *
 * Where the AVX2 tiles sum maddubs pairs as int16 and widen them with a
 * madd (three instructions per four products and token, plus the madd),
 * vpdpbusd adds the four products of a lane straight into int32: one
 * instruction. A sub-block's int32 sum per row times its scale (vpmulld) is
 * the AVX2 tile's madd of the int16 sums with the duplicated scale, so every
 * row's integer sums per block are the same numbers, and the float steps
 * are the AVX2 tiles' in the same order: the results equal
 * quant_avx2_tile4_<type>'s bit for bit, which is the AVX-512 table's tile4
 * of these types (quant_avx512.c). Q8_0, IQ4_NL and IQ4_XS: the same exact
 * integer sums and float steps as the AVX2 tiles (and the AVX-512 table's
 * own IQ4 4x4 tiles, quant_iq4_avx512.c), the codes or levels + 128 here,
 * 128 x the activations' sum taken back.
 *
 * The activations enter vpdpbusd as its embedded {1to8} broadcast operand
 * (dpbusd_b4): 4 bytes of one token in every lane, no separate broadcast.
 */
#if defined(__x86_64__)

#include "quant_repack_x86.h"

#define QK FC_QK_K

/* acc + the unsigned bytes u times the 4 signed bytes at p in every lane:
 * vpdpbusd with p as an embedded {1to8} broadcast (GCC keeps a separate
 * vpbroadcastd for _mm256_dpbusd_epi32(acc, u, _mm256_set1_epi32(..))) */
static inline __attribute__((always_inline)) __m256i dpbusd_b4(__m256i acc, __m256i u, const int8_t *p) {
    __asm__("vpdpbusd %2%{1to8%}, %1, %0" : "+v"(acc) : "v"(u), "m"(*(const int32_t *)(const void *)p));
    return acc;
}

/* ---- Q4_K, Q5_K ------------------------------------------------------------ */

/* sub-blocks 2j and 2j + 1 of 8 rows x NT tokens into acc (tile_k45x8) */
#define K45_J(j)                                                                                               \
    do {                                                                                                       \
        _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++) {                                                  \
            const int s = 2 * (j) + h;                                                                         \
            __m256i p[8];                                                                                      \
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();                \
            _Pragma("GCC unroll 8") for (int c = 0; c < 8; c++) {                                              \
                const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 256 * (j) + 32 * c)); \
                const __m256i codes = k45_codes(q, qh + 32 * c, s, Q5);                                        \
                _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++)                                           \
                    p[t] = dpbusd_b4(p[t], codes, a[t]->qs + 32 * s + 4 * c);                                  \
            }                                                                                                  \
            const __m256i sc = scales32(w->sc[s], 0);                                                          \
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_add_epi32(acc[t], _mm256_mullo_epi32(p[t], sc)); \
        }                                                                                                      \
    } while (0)

static inline __attribute__((always_inline)) void tile_k45x8(const void *wv, const uint8_t *act, size_t act_stride,
                                                             int64_t n, float *out, size_t out_stride, const int NT,
                                                             const int Q5) {
    const size_t bb = Q5 ? sizeof(blk_q5_kx8) : sizeof(blk_q4_kx8);
    const uint8_t *wb = wv;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++, wb += bb) {
        const blk_q4_kx8 *w = (const blk_q4_kx8 *)(const void *)wb;
        const uint8_t *qh = wb + sizeof(blk_q4_kx8);
        _Pragma("GCC unroll 8") for (int k = 0; k < (int)bb; k += 64) __builtin_prefetch((const char *)(wb + 2 * bb) + k);
        const fc_block_q8k *a[8];
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[8];
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        /* Q4_K: the loop over j kept (measured on Zen 4: 1.07x the unrolled
         * form in cache; Q5_K's unrolled form is 1.06x its loop) */
        if (Q5) {
            _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) K45_J(j);
        } else {
            _Pragma("GCC unroll 1") for (int j = 0; j < 4; j++) K45_J(j);
        }
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = k45x8_step(facc[t], acc[t], w, a[t]);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- Q6_K: the codes (value + 32) as bytes, a scale per 16 values ----------- */

static inline __attribute__((always_inline)) void tile_q6_kx8(const blk_q6_kx8 *w, const uint8_t *act, size_t act_stride,
                                                              int64_t n, float *out, size_t out_stride, const int NT,
                                                              const int unused) {
    (void)unused;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++, w++) {
        _Pragma("GCC unroll 8") for (int k = 0; k < (int)sizeof *w; k += 64) __builtin_prefetch((const char *)(w + 2) + k);
        const fc_block_q8k *a[8];
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[8];
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            _Pragma("GCC unroll 1") for (int k = 0; k < 4; k++) {
                _Pragma("GCC unroll 2") for (int c0 = 0; c0 < 8; c0 += 4) {
                    __m256i p[8];
                    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();
                    _Pragma("GCC unroll 4") for (int c = c0; c < c0 + 4; c++) {
                        const __m256i codes = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 1024 * h + 256 * k + 32 * c));
                        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++)
                            p[t] = dpbusd_b4(p[t], codes, a[t]->qs + 128 * h + 32 * k + 4 * c);
                    }
                    const __m256i sc = scales32(w->sc[8 * h + 2 * k + c0 / 4], 1);
                    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_add_epi32(acc[t], _mm256_mullo_epi32(p[t], sc));
                }
            }
        }
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = q6kx8_step(facc[t], acc[t], w, a[t]);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- the legacy types: S per block and row in int32, then the AVX2 tiles'
 * float steps (legacy_steps, quant_repack_x86.h) ---------------------------- */

#define LEGACY_SETUP(NT)                                                                                \
    const fc_block_q8 *a[8];                                                                            \
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++)                                                \
        a[t] = (const fc_block_q8 *)(const void *)(act + (size_t)t * act_stride) + i;                   \
    __m256i s[8];                                                                                       \
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) s[t] = _mm256_setzero_si256()

/* Q5_0 (m = -16 d) and Q5_1 (HAS_M: the blocks' mins): codes 0..31 as bytes */
static inline __attribute__((always_inline)) void tile_q5x8(const uint8_t *w, const uint8_t *act, size_t act_stride,
                                                            int64_t n, float *out, size_t out_stride, const int NT,
                                                            const int HAS_M) {
    const size_t bb = HAS_M ? sizeof(blk_q5_1x8) : sizeof(blk_q5_0x8), qo = HAS_M ? 64 : 32;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / FC_QK; i++, w += bb) {
        LEGACY_SETUP(NT);
        _Pragma("GCC unroll 8") for (int c = 0; c < 8; c++) {
            const __m256i codes = _mm256_loadu_si256((const __m256i *)(const void *)(w + qo + 32 * c));
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) s[t] = dpbusd_b4(s[t], codes, a[t]->qs + 4 * c);
        }
        const __m256 d = _mm256_loadu_ps((const float *)(const void *)w);
        const __m256 m = HAS_M ? _mm256_loadu_ps((const float *)(const void *)(w + 32)) : _mm256_mul_ps(d, _mm256_set1_ps(-16.0f));
        legacy_steps(facc, s, d, m, a, NT, 1);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* Q4_0 (m = -8 d) and Q4_1: the nibbles packed, register c = bytes 4c .. 4c + 3
 * of the rows' qs (elements 4c.. low, 16 + 4c.. high) */
static inline __attribute__((always_inline)) void tile_q4x8(const uint8_t *w, const uint8_t *act, size_t act_stride,
                                                            int64_t n, float *out, size_t out_stride, const int NT,
                                                            const int HAS_M) {
    const size_t bb = HAS_M ? sizeof(blk_q4_1x8) : sizeof(blk_q4_0x8), qo = HAS_M ? 64 : 32;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int64_t i = 0; i < n / FC_QK; i++, w += bb) {
        LEGACY_SETUP(NT);
        _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w + qo + 32 * c));
            const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) {
                s[t] = dpbusd_b4(s[t], lo, a[t]->qs + 4 * c);
                s[t] = dpbusd_b4(s[t], hi, a[t]->qs + 16 + 4 * c);
            }
        }
        const __m256 d = _mm256_loadu_ps((const float *)(const void *)w);
        const __m256 m = HAS_M ? _mm256_loadu_ps((const float *)(const void *)(w + 32)) : _mm256_mul_ps(d, _mm256_set1_ps(-8.0f));
        legacy_steps(facc, s, d, m, a, NT, 1);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* 128 * (the sum of a block's 32 activation bytes) in every lane: one
 * vpdpbusd of 0x80 with them, summed across the lanes. The tiles below that
 * feed vpdpbusd codes + 128 (unsigned) take it back per token and block,
 * so their S is the exact sum of code times activation (Q8_0, IQ4_NL) */
static inline __attribute__((always_inline)) __m256i act_sum128(const fc_block_q8 *a) {
    __m256i v = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)0x80),
                                    _mm256_loadu_si256((const __m256i *)(const void *)a->qs));
    v = _mm256_add_epi32(v, _mm256_shuffle_epi32(v, 0x4E));
    v = _mm256_add_epi32(v, _mm256_shuffle_epi32(v, 0xB1));
    return _mm256_add_epi32(v, _mm256_permute2x128_si256(v, v, 1));
}

/* Q8_0: the codes + 128 (w XOR 0x80, unsigned 0..255) straight into
 * vpdpbusd, 128 * the activations' sum taken back: the AVX2 tiles' S (|w|
 * times the activation with w's sign) for activations in [-127, 127]; a raw
 * -128, which no quantizer writes, is multiplied as it is here (as
 * tdpbssd does), as +128 * -w's sign there */
static inline __attribute__((always_inline)) void tile_q8_0x8(const blk_q8_0x8 *w, const uint8_t *act, size_t act_stride,
                                                              int64_t n, float *out, size_t out_stride, const int NT,
                                                              const int unused) {
    (void)unused;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i k80 = _mm256_set1_epi8((char)0x80);
    for (int64_t i = 0; i < n / FC_QK; i++, w++) {
        LEGACY_SETUP(NT);
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) s[t] = _mm256_sub_epi32(s[t], act_sum128(a[t]));
        _Pragma("GCC unroll 8") for (int c = 0; c < 8; c++) {
            const __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 32 * c)), k80);
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) s[t] = dpbusd_b4(s[t], u, a[t]->qs + 4 * c);
        }
        legacy_steps(facc, s, _mm256_loadu_ps(w->d), _mm256_setzero_ps(), a, NT, 0);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* IQ4_NL, IQ4_XS: the levels looked up from the packed nibbles (one vpshufb
 * per nibble register for all tokens); IQ4_XS's sub-block sums times the
 * rows' scales (vpmulld) */

/* IQ4_NL: the levels + 128 (unsigned, 1..241) straight into vpdpbusd, and
 * 128 * the block's activation sum taken back (act_sum128): the AVX2
 * tile's exact S for activations in [-127, 127], as Q8_0 and IQ4_XS */
static inline __attribute__((always_inline)) void tile_iq4_nlx8(const blk_iq4_nlx8 *w, const uint8_t *act, size_t act_stride,
                                                                int64_t n, float *out, size_t out_stride, const int NT,
                                                                const int unused) {
    (void)unused;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), lut = iq4_lut_u8();
    for (int64_t i = 0; i < n / FC_QK; i++, w++) {
        LEGACY_SETUP(NT);
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) s[t] = _mm256_sub_epi32(s[t], act_sum128(a[t]));
        _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 32 * c));
            const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(q, m4));
            const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4));
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) {
                s[t] = dpbusd_b4(s[t], lo, a[t]->qs + 4 * c);
                s[t] = dpbusd_b4(s[t], hi, a[t]->qs + 16 + 4 * c);
            }
        }
        legacy_steps(facc, s, _mm256_loadu_ps(w->d), _mm256_setzero_ps(), a, NT, 0);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* IQ4_XS: the levels + 128 (unsigned, 1..241) straight into vpdpbusd, and
 * 128 * (the scales . the sub-blocks' activation sums) taken back per
 * super-block through the bsums (the scale pairs of sub-blocks 2p, 2p + 1
 * blended from sc, one vpmaddwd each): the same exact integer S as the
 * AVX2 tile's |level| times the signed activation, for activations in
 * [-127, 127] (a raw -128, which no quantizer writes, is multiplied as it
 * is here, and as +128 there) */
static inline __attribute__((always_inline)) __m256i iq4xs_offsets(const blk_iq4_xsx8 *w, const fc_block_q8k *a) {
    const __m256i s32 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a->bsums), _mm256_set1_epi16(1));
    const __m256i s16 = _mm256_packs_epi32(s32, s32); /* [s0 s1 s2 s3 s0..s3 | s4..s7 s4..s7] */
    __m256i off = _mm256_setzero_si256();
    _Pragma("GCC unroll 4") for (int p = 0; p < 4; p++) {
        const __m128i pair = _mm_mask_blend_epi8(0xAAAA, _mm_loadu_si128((const __m128i *)(const void *)w->sc[2 * p]),
                                                 _mm_loadu_si128((const __m128i *)(const void *)w->sc[2 * p + 1]));
        const __m256i sp = _mm256_permutevar8x32_epi32(s16, _mm256_set1_epi32(p < 2 ? p : p + 2));
        off = _mm256_add_epi32(off, _mm256_madd_epi16(_mm256_cvtepi8_epi16(pair), sp));
    }
    return _mm256_slli_epi32(off, 7);
}

static inline __attribute__((always_inline)) void tile_iq4_xsx8(const blk_iq4_xsx8 *w, const uint8_t *act, size_t act_stride,
                                                                int64_t n, float *out, size_t out_stride, const int NT,
                                                                const int unused) {
    (void)unused;
    __m256 facc[8];
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), lut = iq4_lut_u8();
    for (int64_t i = 0; i < n / QK; i++, w++) {
        _Pragma("GCC unroll 8") for (int k = 0; k < (int)sizeof *w; k += 64) __builtin_prefetch((const char *)(w + 2) + k);
        const fc_block_q8k *a[8];
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[8];
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            __m256i p[8];
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();
            _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 128 * s + 32 * c));
                const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(q, m4));
                const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4));
                _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) {
                    p[t] = dpbusd_b4(p[t], lo, a[t]->qs + 32 * s + 4 * c);
                    p[t] = dpbusd_b4(p[t], hi, a[t]->qs + 32 * s + 16 + 4 * c);
                }
            }
            const __m256i sc = scales32(w->sc[s], 1);
            _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_add_epi32(acc[t], _mm256_mullo_epi32(p[t], sc));
        }
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) {
            const __m256i S = _mm256_sub_epi32(acc[t], iq4xs_offsets(w, a[t]));
            facc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S), _mm256_mul_ps(_mm256_loadu_ps(w->d), _mm256_set1_ps(a[t]->d)), facc[t]);
        }
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* n_tok tokens: passes of 8 (32 registers hold their sums), then 4, then one at a time */
X8_TILE(quant_avx512_tile_q4_kx8, X8_PASS(tile_k45x8, 0, 8) X8_PASS(tile_k45x8, 0, 4) X8_PASS(tile_k45x8, 0, 1))
X8_TILE(quant_avx512_tile_q5_kx8, X8_PASS(tile_k45x8, 1, 8) X8_PASS(tile_k45x8, 1, 4) X8_PASS(tile_k45x8, 1, 1))
X8_TILE(quant_avx512_tile_q6_kx8, X8_PASS(tile_q6_kx8, 0, 8) X8_PASS(tile_q6_kx8, 0, 4) X8_PASS(tile_q6_kx8, 0, 1))
X8_TILE(quant_avx512_tile_q8_0x8, X8_PASS(tile_q8_0x8, 0, 8) X8_PASS(tile_q8_0x8, 0, 4) X8_PASS(tile_q8_0x8, 0, 1))
X8_TILE(quant_avx512_tile_q5_0x8, X8_PASS(tile_q5x8, 0, 8) X8_PASS(tile_q5x8, 0, 4) X8_PASS(tile_q5x8, 0, 1))
X8_TILE(quant_avx512_tile_q5_1x8, X8_PASS(tile_q5x8, 1, 8) X8_PASS(tile_q5x8, 1, 4) X8_PASS(tile_q5x8, 1, 1))
X8_TILE(quant_avx512_tile_q4_0x8, X8_PASS(tile_q4x8, 0, 8) X8_PASS(tile_q4x8, 0, 4) X8_PASS(tile_q4x8, 0, 1))
X8_TILE(quant_avx512_tile_q4_1x8, X8_PASS(tile_q4x8, 1, 8) X8_PASS(tile_q4x8, 1, 4) X8_PASS(tile_q4x8, 1, 1))
X8_TILE(quant_avx512_tile_iq4_nlx8, X8_PASS(tile_iq4_nlx8, 0, 8) X8_PASS(tile_iq4_nlx8, 0, 4) X8_PASS(tile_iq4_nlx8, 0, 1))
X8_TILE(quant_avx512_tile_iq4_xsx8, X8_PASS(tile_iq4_xsx8, 0, 8) X8_PASS(tile_iq4_xsx8, 0, 4) X8_PASS(tile_iq4_xsx8, 0, 1))

#endif /* __x86_64__ */
