/* quant_repack_avx2 — Q4_K, Q5_K, Q6_K, Q5_0, Q5_1, Q8_0, Q4_0, Q4_1, IQ4_NL and IQ4_XS weights repacked at
 * load for the AVX2 prompt path (compiled with -mavx2 -mfma -mf16c), and the
 * 8-row tiles over them (the legacy types: at the end of the file).
 *
 * Layout (quant_repack.h, blk_q4_kx8): eight consecutive rows' super-block i
 * become one 1280-byte block: the eight d and dmin as floats (the f16 values
 * converted, exactly), the sub-block scales and mins unpacked from their 6-bit
 * codes to bytes (each scale twice, so one vpmovzxbw gives the int16 pair a
 * row's two madd lanes want), and the 128 code bytes of every row interleaved
 * four bytes at a time: register (j, c) = bytes [32j + 4c, 32j + 4c + 4) of
 * rows 0..7 (row r at bytes 4r..4r+3), whose low nibbles are elements 4c..4c+3
 * of sub-block 2j and high nibbles those of sub-block 2j + 1.
 *
 * The tile: a token's 4 activations of chunk c are broadcast to all eight
 * rows (vpbroadcastd), maddubs gives each row two int16 pair sums, and the
 * eight chunks of a sub-block are added as int16 (16 products of at most
 * 15 * 128 per lane: |sum| <= 30720, no saturation) before one madd with the
 * sub-block's scales: one vpmaddwd per 256 products where the row-major tile
 * (quant_k_avx2.c) needs one per 32. The mins go through the activation's
 * bsums as there. Every row's integer sums S and M per super-block are the
 * row-major tile's exactly, and the float steps per output are the same two
 * in the same order (acc = fma(S, d * d_a, acc); acc = fnmadd(M, dmin * d_a,
 * acc)), so the results equal quant_avx2_tile4_q4_k's bit for bit.
 */
#if defined(__x86_64__)

#include "quant_repack_x86.h"

#define QK FC_QK_K

/* row r's d, dmin, scales, mins and code bytes (Q4_K's and Q5_K's common part) */
static void pack_k45_row(const uint8_t *d, const uint8_t *dmin, const uint8_t *scales, const uint8_t *qs, int r,
                         blk_q4_kx8 *o) {
    o->d[r] = _cvtsh_ss(fc_rd16(d));
    o->dmin[r] = _cvtsh_ss(fc_rd16(dmin));
    for (int s = 0; s < 8; s++) {
        int sc, m;
        quant_k4_scale_min(scales, s, &sc, &m);
        o->sc[s][2 * r] = o->sc[s][2 * r + 1] = (uint8_t)sc;
        o->mn[s / 2][2 * r + s % 2] = (uint8_t)m;
    }
    for (int j = 0; j < 4; j++)
        for (int c = 0; c < 8; c++) memcpy(o->qs + 256 * j + 32 * c + 4 * r, qs + 32 * j + 4 * c, 4);
}

/* Q4_K row-major -> blk_q4_kx8, rows [0, 8) of a group */
void quant_avx2_repack_q4_k(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q4_kx8 *o = dst;
    for (int64_t i = 0; i < n_in / QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q4_k *b = (const blk_q4_k *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            pack_k45_row(b->d, b->dmin, b->scales, b->qs, r, o);
        }
}

/* Q5_K: the same, and the fifth bits (qh) interleaved four bytes at a time */
void quant_avx2_repack_q5_k(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q5_kx8 *o = dst;
    for (int64_t i = 0; i < n_in / QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q5_k *b = (const blk_q5_k *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            pack_k45_row(b->d, b->dmin, b->scales, b->qs, r, &o->k4);
            for (int c = 0; c < 8; c++) memcpy(o->qh + 32 * c + 4 * r, b->qh + 4 * c, 4);
        }
}

/* 8 rows x NT tokens over super-blocks of one row group; Q5: blk_q5_kx8
 * (the fifth bit of a code from qh, and the int16 sums of four chunks at a
 * time: 8 products of at most 31 * 128, |sum| <= 31744), else blk_q4_kx8 */
static inline __attribute__((always_inline)) void tile_k45x8(const void *wv, const uint8_t *act, size_t act_stride,
                                                             int64_t n, float *out, size_t out_stride, const int NT,
                                                             const int Q5) {
    const size_t bb = Q5 ? sizeof(blk_q5_kx8) : sizeof(blk_q4_kx8);
    const int CH = Q5 ? 4 : 8; /* chunks per int16 sum */
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
        _Pragma("GCC unroll 8") for (int j = 0; j < 4; j++) {
            _Pragma("GCC unroll 8") for (int h = 0; h < 2; h++) {
                const int s = 2 * j + h;
                const __m256i sc = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w->sc[s]));
                _Pragma("GCC unroll 2") for (int c0 = 0; c0 < 8; c0 += CH) {
                    __m256i p[8];
                    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();
                    _Pragma("GCC unroll 8") for (int c = c0; c < c0 + CH; c++) {
                        const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 256 * j + 32 * c));
                        const __m256i codes = k45_codes(q, qh + 32 * c, s, Q5);
                        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) {
                            p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(codes, bcast4(a[t]->qs + 32 * s + 4 * c)));
                            /* keeps the chain in order in a register: GCC otherwise rebalances it
                             * into a tree whose partial sums spill to the stack */
                            __asm__("" : "+x"(p[t]));
                        }
                    }
                    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(p[t], sc));
                }
            }
        }
        _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) facc[t] = k45x8_step(facc[t], acc[t], w, a[t]);
    }
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* the 32 bytes of v, four at a time, 32 bytes apart from out on (one row's
 * share of eight registers of an 8-row interleaved layout) */
static inline void scatter4(__m256i v, uint8_t *out) {
    uint8_t tmp[32];
    _mm256_storeu_si256((__m256i *)(void *)tmp, v);
    for (int c = 0; c < 8; c++) memcpy(out + 32 * c, tmp + 4 * c, 4);
}

/* ---- Q6_K ------------------------------------------------------------------
 * The codes (value + 32, 0..63) as bytes, eight rows interleaved four at a
 * time: register (h, k, c) holds elements 128h + 32k + 4c .. + 3 of the
 * eight rows (keeping ql's nibbles and qh's bit pairs packed, 1.16x the
 * row's bytes instead of 1.47x, measured 1.4x the 4x4 tile's rate in cache
 * where the bytes give 1.8x: the unpacking is ALU work the tile is short
 * of). A code times an activation is
 * at most 63 * 128, so two chunks (4 products per int16 lane, |sum| <= 32256)
 * are added before the madd with the sub-block's scales, two per sub-block.
 * The offset 32 goes through the activation's bsums and the scale pairs (sp)
 * as in the row-major tile: every row's integer sum per super-block equals
 * quant_avx2_tile4_q6_k's, and the float step too (acc = fma(S, d * d_a,
 * acc)), so the results are equal bit for bit. */

void quant_avx2_repack_q6_k(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q6_kx8 *o = dst;
    for (int64_t i = 0; i < n_in / QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q6_k *b = (const blk_q6_k *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            for (int s = 0; s < 16; s++) {
                o->sc[s][2 * r] = o->sc[s][2 * r + 1] = b->scales[s];
                o->sp[s / 2][2 * r + s % 2] = b->scales[s];
            }
            for (int h = 0; h < 2; h++) {
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)(const void *)(b->ql + 64 * h));
                const __m256i l1 = _mm256_loadu_si256((const __m256i *)(const void *)(b->ql + 64 * h + 32));
                const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b->qh + 32 * h));
                for (int k = 0; k < 4; k++) {
                    const __m256i l = k & 1 ? l1 : l0;
                    const __m256i lo = _mm256_and_si256(k < 2 ? l : _mm256_srli_epi16(l, 4), _mm256_set1_epi8(0x0F));
                    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), _mm256_set1_epi8(3));
                    scatter4(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), o->qs + 1024 * h + 256 * k + 4 * r);
                }
            }
        }
}

/* the codes of elements 128h + 32k + 4c .. + 3 of the eight rows */
static inline __m256i q6_codes(const blk_q6_kx8 *w, int h, int k, int c) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 1024 * h + 256 * k + 32 * c));
}

static inline __attribute__((always_inline)) void tile_q6_kx8(const blk_q6_kx8 *w, const uint8_t *act, size_t act_stride,
                                                              int64_t n, float *out, size_t out_stride, const int NT,
                                                              const int unused) {
    (void)unused;
    __m256 facc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++, w++) {
        _Pragma("GCC unroll 8") for (int k = 0; k < (int)sizeof *w; k += 64) __builtin_prefetch((const char *)(w + 2) + k);
        const fc_block_q8k *a[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
                _Pragma("GCC unroll 4") for (int cp = 0; cp < 8; cp += 2) {
                    __m256i p[4];
                    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();
                    _Pragma("GCC unroll 2") for (int c = cp; c < cp + 2; c++) {
                        const __m256i codes = q6_codes(w, h, k, c);
                        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) {
                            p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(codes, bcast4(a[t]->qs + 128 * h + 32 * k + 4 * c)));
                            __asm__("" : "+x"(p[t])); /* in order, in a register (see tile_k45x8) */
                        }
                    }
                    const int s = 8 * h + 2 * k + cp / 4;
                    const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w->sc[s]));
                    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(p[t], sc));
                }
            }
        }
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) facc[t] = q6kx8_step(facc[t], acc[t], w, a[t]);
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- Q5_0, Q5_1 ------------------------------------------------------------
 * Codes (0..31; Q5_0's value + 16) as bytes, eight rows interleaved four at
 * a time like Q4_K's. The 4x4 tile (quant_avx2.c, TILE_Q_LOOP) takes per
 * block and (row, token) acc = fma(S, d * d_a, acc) then acc = fma(m, s_a,
 * acc), S the integer sum of codes times activations, m = -16 d (Q5_0) or
 * the block's min (Q5_1); so does this tile. Four maddubs are added as int16
 * (8 products of at most 31 * 128: |sum| <= 31744) before a madd widens
 * them, two per block. */

static void pack_q5_codes(const uint8_t *qs, uint32_t qh, int r, uint8_t *out) {
    const __m128i q = _mm_loadu_si128((const __m128i *)(const void *)qs), m4 = _mm_set1_epi8(0x0F);
    const __m256i lo = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), m4), _mm_and_si128(q, m4));
    /* bit e of qh to bit 4 of byte e: each byte of qh spread over 8 bytes, then tested */
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh),
                                               _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i fifth = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
    scatter4(_mm256_or_si256(lo, fifth), out + 4 * r);
}

void quant_avx2_repack_q5_0(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q5_0x8 *o = dst;
    for (int64_t i = 0; i < n_in / FC_QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q5_0 *b = (const blk_q5_0 *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            pack_q5_codes(b->qs, fc_rd32(b->qh), r, o->qs);
        }
}

void quant_avx2_repack_q5_1(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q5_1x8 *o = dst;
    for (int64_t i = 0; i < n_in / FC_QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q5_1 *b = (const blk_q5_1 *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            o->m[r] = _cvtsh_ss(fc_rd16(b->m));
            pack_q5_codes(b->qs, fc_rd32(b->qh), r, o->qs);
        }
}

/* HAS_M: the mins are the block's (blk_q5_1x8), else m = -16 d (blk_q5_0x8) */
static inline __attribute__((always_inline)) void tile_q5x8(const uint8_t *w, const uint8_t *act, size_t act_stride,
                                                            int64_t n, float *out, size_t out_stride, const int NT,
                                                            const int HAS_M) {
    const size_t bb = HAS_M ? sizeof(blk_q5_1x8) : sizeof(blk_q5_0x8), qo = HAS_M ? 64 : 32;
    __m256 facc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i one = _mm256_set1_epi16(1);
    const __m256 k16 = _mm256_set1_ps(-16.0f);
    for (int64_t i = 0; i < n / FC_QK; i++, w += bb) {
        const fc_block_q8 *a[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++)
            a[t] = (const fc_block_q8 *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i s[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) s[t] = _mm256_setzero_si256();
        _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++) {
            __m256i p[4];
            _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();
            _Pragma("GCC unroll 4") for (int c = 4 * h; c < 4 * h + 4; c++) {
                const __m256i codes = _mm256_loadu_si256((const __m256i *)(const void *)(w + qo + 32 * c));
                _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) {
                    p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(codes, bcast4(a[t]->qs + 4 * c)));
                    __asm__("" : "+x"(p[t])); /* in order, in a register (see tile_k45x8) */
                }
            }
            _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(p[t], one));
        }
        const __m256 d = _mm256_loadu_ps((const float *)(const void *)w);
        const __m256 m = HAS_M ? _mm256_loadu_ps((const float *)(const void *)(w + 32)) : _mm256_mul_ps(d, k16);
        legacy_steps(facc, s, d, m, a, NT, 1);
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- Q4_0, Q4_1 --------------------------------------------------------------
 * The nibbles stay packed: register c holds bytes 4c .. 4c + 3 of the eight
 * rows' qs, whose low nibbles are elements 4c .. 4c + 3 and high nibbles
 * elements 16 + 4c .. 16 + 4c + 3. The eight maddubs of a block are added as
 * int16 (16 products of at most 15 * 128: |sum| <= 30720) before one madd;
 * the float steps are TILE_Q_LOOP's, m = -8 d (Q4_0) or the block's min. */

static void pack_q4_codes(const uint8_t *qs, int r, uint8_t *out) {
    for (int c = 0; c < 4; c++) memcpy(out + 32 * c + 4 * r, qs + 4 * c, 4);
}

void quant_avx2_repack_q4_0(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q4_0x8 *o = dst;
    for (int64_t i = 0; i < n_in / FC_QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q4_0 *b = (const blk_q4_0 *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            pack_q4_codes(b->qs, r, o->qs);
        }
}

void quant_avx2_repack_q4_1(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q4_1x8 *o = dst;
    for (int64_t i = 0; i < n_in / FC_QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q4_1 *b = (const blk_q4_1 *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            o->m[r] = _cvtsh_ss(fc_rd16(b->m));
            pack_q4_codes(b->qs, r, o->qs);
        }
}

static inline __attribute__((always_inline)) void tile_q4x8(const uint8_t *w, const uint8_t *act, size_t act_stride,
                                                            int64_t n, float *out, size_t out_stride, const int NT,
                                                            const int HAS_M) {
    const size_t bb = HAS_M ? sizeof(blk_q4_1x8) : sizeof(blk_q4_0x8), qo = HAS_M ? 64 : 32;
    __m256 facc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i one = _mm256_set1_epi16(1), m4 = _mm256_set1_epi8(0x0F);
    const __m256 k8 = _mm256_set1_ps(-8.0f);
    for (int64_t i = 0; i < n / FC_QK; i++, w += bb) {
        const fc_block_q8 *a[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++)
            a[t] = (const fc_block_q8 *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i p[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) p[t] = _mm256_setzero_si256();
        _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w + qo + 32 * c));
            const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) {
                p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(lo, bcast4(a[t]->qs + 4 * c)));
                __asm__("" : "+x"(p[t])); /* in order, in a register (see tile_k45x8) */
                p[t] = _mm256_add_epi16(p[t], _mm256_maddubs_epi16(hi, bcast4(a[t]->qs + 16 + 4 * c)));
                __asm__("" : "+x"(p[t]));
            }
        }
        __m256i s[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) s[t] = _mm256_madd_epi16(p[t], one);
        const __m256 d = _mm256_loadu_ps((const float *)(const void *)w);
        const __m256 m = HAS_M ? _mm256_loadu_ps((const float *)(const void *)(w + 32)) : _mm256_mul_ps(d, k8);
        legacy_steps(facc, s, d, m, a, NT, 1);
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- Q8_0 (and IQ4_NL's tile) ------------------------------------------------
 * Signed codes, eight rows interleaved four at a time. As in the 4x4 tile
 * (isum4_s): |w| times the activation with w's sign, each maddubs pair sum
 * (up to 2 * 128 * 127) widened by a madd at once; no mins: acc = fma(S,
 * d * d_a, acc) per block. IQ4_NL's levels are signed codes too: the same
 * tile over its looked-up nibbles (below). */

void quant_avx2_repack_q8_0(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_q8_0x8 *o = dst;
    for (int64_t i = 0; i < n_in / FC_QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_q8_0 *b = (const blk_q8_0 *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            for (int c = 0; c < 8; c++) memcpy(o->qs + 32 * c + 4 * r, b->qs + 4 * c, 4);
        }
}

/* Signed codes: register c (0..7) of a block holds elements 4c .. 4c + 3 of
 * the eight rows, times the activations at 4c: Q8_0's bytes (blk_q8_0x8),
 * or (NL) IQ4_NL's levels, registers 0..3 from the low nibbles of its four
 * packed registers (Q4_0's layout, blk_iq4_nlx8), 4..7 from the high ones. */
static inline __attribute__((always_inline)) __m256i signed_codes(const uint8_t *qs, int c, const int NL) {
    if (!NL) return _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * c));
    const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * (c % 4)));
    return _mm256_shuffle_epi8(iq4_lut_s8(), _mm256_and_si256(c < 4 ? q : _mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F)));
}

static inline __attribute__((always_inline)) void tile_s8x8(const uint8_t *w, const uint8_t *act, size_t act_stride,
                                                            int64_t n, float *out, size_t out_stride, const int NT,
                                                            const int NL) {
    const size_t bb = NL ? sizeof(blk_iq4_nlx8) : sizeof(blk_q8_0x8);
    __m256 facc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i one = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < n / FC_QK; i++, w += bb) {
        const fc_block_q8 *a[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++)
            a[t] = (const fc_block_q8 *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i s[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) s[t] = _mm256_setzero_si256();
        _Pragma("GCC unroll 8") for (int c = 0; c < 8; c++) {
            const __m256i q = signed_codes(w + 32, c, NL);
            const __m256i u = _mm256_sign_epi8(q, q);
            _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++)
                s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(bcast4(a[t]->qs + 4 * c), q)), one));
        }
        legacy_steps(facc, s, _mm256_loadu_ps((const float *)(const void *)w), _mm256_setzero_ps(), a, NT, 0);
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- IQ4_NL, IQ4_XS ------------------------------------------------------------
 * The nibbles stay packed (IQ4_NL: Q4_0's layout; IQ4_XS: register (s, c)
 * holds bytes 16s + 4c .. + 3 of the eight rows' qs, whose low nibbles are
 * elements 32s + 4c .. + 3 and high nibbles 32s + 16 + 4c .. + 3) and index
 * the 16 signed levels (one vpshufb per nibble register for all tokens).
 * Levels times activations as the 4x4 tiles (quant_k_avx2.c) do: |level|
 * times the activation with the level's sign, each maddubs pair sum (at
 * most 2 * 127 * 128) widened at once, by a madd with 1 (IQ4_NL) or with
 * the rows' sub-block scales (IQ4_XS). S per block (super-block) and row is
 * the exact integer sum, and the float step is the tiles' one: acc =
 * fma(S, d * d_a, acc). */

/* IQ4_NL's blocks are Q4_0's bytes (f16 d, 16 bytes of nibbles) */
_Static_assert(sizeof(blk_iq4_nl) == sizeof(blk_q4_0) && offsetof(blk_iq4_nl, qs) == offsetof(blk_q4_0, qs),
               "IQ4_NL blocks have Q4_0's layout");
void quant_avx2_repack_iq4_nl(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    quant_avx2_repack_q4_0(src, row_stride, n_in, dst);
}

void quant_avx2_repack_iq4_xs(const void *src, size_t row_stride, int64_t n_in, void *dst) {
    blk_iq4_xsx8 *o = dst;
    for (int64_t i = 0; i < n_in / QK; i++, o++)
        for (int r = 0; r < 8; r++) {
            const blk_iq4_xs *b = (const blk_iq4_xs *)(const void *)((const uint8_t *)src + (size_t)r * row_stride) + i;
            int ls[8];
            quant_iq4xs_scales(b, ls);
            o->d[r] = _cvtsh_ss(fc_rd16(b->d));
            for (int s = 0; s < 8; s++) {
                o->sc[s][2 * r] = o->sc[s][2 * r + 1] = (int8_t)ls[s];
                for (int c = 0; c < 4; c++) memcpy(o->qs + 128 * s + 32 * c + 4 * r, b->qs + 16 * s + 4 * c, 4);
            }
        }
}

/* acc + the products of the levels v (8 rows x 4) and the 4 activations at a,
 * as int32 per row: the pair sums times the int16 pairs sc */
static inline __attribute__((always_inline)) __m256i iq4_mac(__m256i acc, __m256i v, __m256i u, const int8_t *a, __m256i sc) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(bcast4(a), v)), sc));
}

static inline __attribute__((always_inline)) void tile_iq4_xsx8(const blk_iq4_xsx8 *w, const uint8_t *act, size_t act_stride,
                                                                int64_t n, float *out, size_t out_stride, const int NT,
                                                                const int unused) {
    (void)unused;
    __m256 facc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), lut = iq4_lut_s8();
    for (int64_t i = 0; i < n / QK; i++, w++) {
        _Pragma("GCC unroll 8") for (int k = 0; k < (int)sizeof *w; k += 64) __builtin_prefetch((const char *)(w + 2) + k);
        const fc_block_q8k *a[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[4];
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w->sc[s]));
            _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 128 * s + 32 * c));
                const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(q, m4));
                const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4));
                const __m256i ulo = _mm256_sign_epi8(lo, lo), uhi = _mm256_sign_epi8(hi, hi);
                _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) {
                    acc[t] = iq4_mac(acc[t], lo, ulo, a[t]->qs + 32 * s + 4 * c, sc);
                    acc[t] = iq4_mac(acc[t], hi, uhi, a[t]->qs + 32 * s + 16 + 4 * c, sc);
                }
            }
        }
        _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++)
            facc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t]), _mm256_mul_ps(_mm256_loadu_ps(w->d), _mm256_set1_ps(a[t]->d)), facc[t]);
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* n_tok tokens: passes of 4, then one at a time (quant_repack_x86.h) */
X8_TILE(quant_avx2_tile_q4_kx8, X8_PASS(tile_k45x8, 0, 4) X8_PASS(tile_k45x8, 0, 1))
X8_TILE(quant_avx2_tile_q5_kx8, X8_PASS(tile_k45x8, 1, 4) X8_PASS(tile_k45x8, 1, 1))
X8_TILE(quant_avx2_tile_q6_kx8, X8_PASS(tile_q6_kx8, 0, 4) X8_PASS(tile_q6_kx8, 0, 1))
X8_TILE(quant_avx2_tile_q8_0x8, X8_PASS(tile_s8x8, 0, 4) X8_PASS(tile_s8x8, 0, 1))
X8_TILE(quant_avx2_tile_q5_0x8, X8_PASS(tile_q5x8, 0, 4) X8_PASS(tile_q5x8, 0, 1))
X8_TILE(quant_avx2_tile_q5_1x8, X8_PASS(tile_q5x8, 1, 4) X8_PASS(tile_q5x8, 1, 1))
X8_TILE(quant_avx2_tile_q4_0x8, X8_PASS(tile_q4x8, 0, 4) X8_PASS(tile_q4x8, 0, 1))
X8_TILE(quant_avx2_tile_q4_1x8, X8_PASS(tile_q4x8, 1, 4) X8_PASS(tile_q4x8, 1, 1))
X8_TILE(quant_avx2_tile_iq4_nlx8, X8_PASS(tile_s8x8, 1, 4) X8_PASS(tile_s8x8, 1, 1))
X8_TILE(quant_avx2_tile_iq4_xsx8, X8_PASS(tile_iq4_xsx8, 0, 4) X8_PASS(tile_iq4_xsx8, 0, 1))

#endif /* __x86_64__ */
