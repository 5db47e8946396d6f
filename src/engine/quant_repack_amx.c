/* quant_repack_amx — the 8-row tiles over the repacked layouts of
 * quant_repack.h with AMX-INT8 (compiled with -mamx-tile -mamx-int8 on top
 * of the AVX-512 flags), for the table quant.c chooses on a CPU with AMX
 * whose kernel lets the process use it (QUANT_ISA_AMX: arch_prctl's
 * permission request for the tile data). The layouts (MEM_REPACK_X8) and
 * their packers are the AVX2 file's: the memory model is the same on every x86.
 *
 * Sixteen tokens at a time: each block of 32 values (Q4_K and Q5_K: each
 * sub-block of 32; Q6_K: each 16 values of one scale) is one tile product,
 *   A = the 16 tokens' activation bytes, loaded straight from their
 *       fc_block_q8 / fc_block_q8k rows (stride act_stride),
 *   B = the 8 rows' codes in the layout the repacked blocks already have
 *       ([c][r][4]: B's row c is row r's bytes 4c .. 4c + 3 at 4r): Q5_0,
 *       Q5_1, Q8_0 and Q6_K load from the copy itself, the 4-bit codes are
 *       unpacked to bytes into a 256-byte buffer first (IQ4_NL and
 *       IQ4_XS: to their signed levels),
 *   C = the 16 x 8 int32 sums (tdpbsud: signed activations times unsigned
 *       codes; Q8_0, IQ4_NL and IQ4_XS tdpbssd),
 * and C goes through memory into the steps the AVX2 and VNNI tiles take
 * (quant_repack_x86.h: the scales' products in int32, then the same float
 * operations in the same order). The integer sums are exact in every
 * kernel, so the results equal quant_avx2_tile_<type>x8's bit for bit, with
 * one exception no activation meets: the AVX2 Q8_0 and IQ4 tiles multiply
 * |w| by the activation with w's sign, which is -128 again for a raw -128
 * (no quantizer writes it: they round to [-127, 127]); tdpbssd, like the
 * VNNI Q8_0 and IQ4 tiles' codes + 128, multiplies the bytes as they are.
 * Fewer than 16 tokens left: the VNNI tiles.
 *
 * Compiled a second time with FC_AMX_EMU (tests/lib/amx_emu_avx2.c, AVX2
 * only): the five tile instructions as C over one thread's eight emulated
 * tile registers (Intel's pseudo-code), so that the tiling, the layouts the
 * tiles read and the steps after them are tested on every x86 machine; the
 * real build's object code is read by tests/amx_object.test.sh (every
 * ldtilecfg reads amx_cfg, every product's shapes valid); the instructions
 * themselves are tested on a CPU with AMX (test_quant_k test_repack_amx,
 * skipped elsewhere with the reason).
 */
#if defined(__x86_64__)

#include "quant_repack_x86.h"

#define QK FC_QK_K
enum { NT = 16 }; /* tokens per tile product: A's and C's rows */

#define AMX_ALWAYS static inline __attribute__((always_inline))

/* The tile registers, one configuration for every kernel (rows x bytes):
 *   0 A  16 x 32  activations, 32 values          5 B2 8 x 32  (a second B)
 *   1 B   8 x 32  codes: 32 values of 8 rows      6 C2 16 x 32 (a second C)
 *   2 C  16 x 32  int32 sums, 16 tokens x 8 rows  7 A2 16 x 32 (a second A)
 *   3 A16 16 x 16 activations, 16 values
 *   4 B4  4 x 32  codes: 16 values of 8 rows */
/* As ldtilecfg reads it (64 bytes: palette 1 at byte 0; tile i's bytes per
 * row as a little-endian uint16 at 16 + 2i, its rows at 48 + i; the rest
 * 0). A constant, not stores into a stack buffer: GCC 12's _tile_loadconfig
 * declares a read of 8 bytes only (amxtileintrin.h: "m" (*(const void
 * **)cfg)), so the stores of the shapes were deleted as dead and every tile
 * was configured 0 x 0 (found in review; the emulation, a C function, kept
 * them). The emulation reads this same table. */
#define SHAPE(i, rows, colsb) [16 + 2 * (i)] = (colsb), [48 + (i)] = (rows)
static const uint8_t amx_cfg[64] __attribute__((aligned(64))) = {
    [0] = 1,
    SHAPE(0, 16, 32), SHAPE(1, 8, 32), SHAPE(2, 16, 32), SHAPE(3, 16, 16),
    SHAPE(4, 4, 32), SHAPE(5, 8, 32), SHAPE(6, 16, 32), SHAPE(7, 16, 32),
};
#undef SHAPE

#ifdef FC_AMX_EMU
/* ---- the emulation: Intel's pseudo-code for the instructions used -------- */
typedef struct {
    int rows, colsb;
    uint8_t b[16][64];
} emu_tile;
static _Thread_local emu_tile emu_tmm[8];
/* noipa: GCC 12.2 at -O2, given the constant table, made an IPA-CP clone of
 * this function and then called it nowhere, so the emulated tiles kept
 * their zero shapes (seen in the object code; -fno-ipa-cp also keeps the
 * calls). The real build's ldtilecfg is a volatile asm. */
__attribute__((noipa)) static void emu_config(const uint8_t cfg[64]) {
    for (int i = 0; i < 8; i++) {
        emu_tmm[i].colsb = cfg[16 + 2 * i] | cfg[17 + 2 * i] << 8;
        emu_tmm[i].rows = cfg[48 + i];
        memset(emu_tmm[i].b, 0, sizeof emu_tmm[i].b);
    }
}
static void emu_load(int t, const void *base, size_t stride) {
    for (int r = 0; r < emu_tmm[t].rows; r++) memcpy(emu_tmm[t].b[r], (const uint8_t *)base + (size_t)r * stride, (size_t)emu_tmm[t].colsb);
}
static void emu_store(int t, void *base, size_t stride) {
    for (int r = 0; r < emu_tmm[t].rows; r++) memcpy((uint8_t *)base + (size_t)r * stride, emu_tmm[t].b[r], (size_t)emu_tmm[t].colsb);
}
static void emu_zero(int t) { memset(emu_tmm[t].b, 0, sizeof emu_tmm[t].b); }
/* C[m][n] += sum over k < A.colsb / 4 of the four products of A[m] bytes
 * 4k.. and B[k] bytes 4n.. (A signed, B signed when BSIGNED), wrapping */
static void emu_dp(int c, int a, int b, int BSIGNED) {
    emu_tile *C = &emu_tmm[c];
    const emu_tile *A = &emu_tmm[a], *B = &emu_tmm[b];
    for (int m = 0; m < C->rows; m++)
        for (int n = 0; n < C->colsb / 4; n++) {
            uint32_t acc;
            memcpy(&acc, C->b[m] + 4 * n, 4);
            for (int k = 0; k < A->colsb / 4; k++)
                for (int j = 0; j < 4; j++) {
                    const int av = (int8_t)A->b[m][4 * k + j];
                    const int bv = BSIGNED ? (int8_t)B->b[k][4 * n + j] : B->b[k][4 * n + j];
                    acc += (uint32_t)(av * bv);
                }
            memcpy(C->b[m] + 4 * n, &acc, 4);
        }
}
#define TILE_CONFIG(cfg) emu_config(cfg)
#define TILE_LOAD(t, p, s) emu_load(t, p, s)
#define TILE_STORE(t, p, s) emu_store(t, p, s)
#define TILE_ZERO(t) emu_zero(t)
#define TILE_DPBSUD(c, a, b) emu_dp(c, a, b, 0)
#define TILE_DPBSSD(c, a, b) emu_dp(c, a, b, 1)
#define AMX_NAME(t) quant_amxemu_tile_##t##x8
#define VNNI_NAME(t) quant_avx2_tile_##t##x8 /* the same bits */
#else
/* ldtilecfg reading all 64 bytes (the intrinsic declares 8, above) */
#define TILE_CONFIG(cfg) __asm__ volatile("ldtilecfg %0" : : "m"(*(const uint8_t(*)[64])(const void *)(cfg)))
/* GCC's _tile_loadd names no memory operand and no "memory" clobber: the
 * barrier makes the stores into bbuf land before the load reads them, on
 * any compiler or optimisation level */
#define TILE_LOAD(t, p, s)                  \
    do {                                    \
        __asm__ volatile("" : : : "memory"); \
        _tile_loadd(t, p, (long)(s));       \
    } while (0)
#define TILE_STORE(t, p, s) _tile_stored(t, p, (long)(s))
#define TILE_ZERO(t) _tile_zero(t)
#define TILE_DPBSUD(c, a, b) _tile_dpbsud(c, a, b)
#define TILE_DPBSSD(c, a, b) _tile_dpbssd(c, a, b)
#define AMX_NAME(t) quant_amx_tile_##t##x8
#define VNNI_NAME(t) quant_avx512_tile_##t##x8
#endif

/* Loads the configuration above (palette 1). Per call of a tile: cheap
 * against its blocks, and nothing else in the process configures tiles. */
static void amx_config(void) { TILE_CONFIG(amx_cfg); }

/* C := A x B (tile numbers), stored as 16 rows of 8 int32 at cbuf */
#define AMX_PRODUCT(C, A, B, BSIGNED, cbuf)              \
    do {                                                 \
        TILE_ZERO(C);                                    \
        if (BSIGNED) TILE_DPBSSD(C, A, B);               \
        else TILE_DPBSUD(C, A, B);                       \
        TILE_STORE(C, cbuf, 32);                         \
    } while (0)

/* acc[t] += C row t times the rows' scales sc (int32) */
AMX_ALWAYS void add_scaled(__m256i *acc, const int32_t (*cbuf)[8], __m256i sc) {
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++)
        acc[t] = _mm256_add_epi32(acc[t], _mm256_mullo_epi32(_mm256_load_si256((const __m256i *)(const void *)cbuf[t]), sc));
}

/* ---- Q4_K, Q5_K: two sub-blocks (the low and high nibbles of 32 bytes) a step */

AMX_ALWAYS void amx_k45x8(const uint8_t *wb, const uint8_t *act, size_t act_stride, int64_t n, float *out,
                          size_t out_stride, const int Q5) {
    const size_t bb = Q5 ? sizeof(blk_q5_kx8) : sizeof(blk_q4_kx8);
    int32_t cbuf[2][NT][8] __attribute__((aligned(64)));
    uint8_t bbuf[2][8][32] __attribute__((aligned(64)));
    __m256 facc[NT];
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++, wb += bb) {
        const blk_q4_kx8 *w = (const blk_q4_kx8 *)(const void *)wb;
        const uint8_t *qh = wb + sizeof(blk_q4_kx8);
        for (int k = 0; k < (int)bb; k += 64) __builtin_prefetch((const char *)(wb + 2 * bb) + k);
        const fc_block_q8k *a[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++) {
            _Pragma("GCC unroll 8") for (int c = 0; c < 8; c++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 256 * j + 32 * c));
                _mm256_store_si256((__m256i *)(void *)bbuf[0][c], k45_codes(q, qh + 32 * c, 2 * j, Q5));
                _mm256_store_si256((__m256i *)(void *)bbuf[1][c], k45_codes(q, qh + 32 * c, 2 * j + 1, Q5));
            }
            TILE_LOAD(0, a[0]->qs + 64 * j, act_stride);
            TILE_LOAD(1, bbuf[0], 32);
            TILE_LOAD(7, a[0]->qs + 64 * j + 32, act_stride);
            TILE_LOAD(5, bbuf[1], 32);
            AMX_PRODUCT(2, 0, 1, 0, cbuf[0]);
            AMX_PRODUCT(6, 7, 5, 0, cbuf[1]);
            add_scaled(acc, cbuf[0], scales32(w->sc[2 * j], 0));
            add_scaled(acc, cbuf[1], scales32(w->sc[2 * j + 1], 0));
        }
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) facc[t] = k45x8_step(facc[t], acc[t], w, a[t]);
    }
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- Q6_K: the codes (value + 32) as bytes, 16 values of one scale a product */

AMX_ALWAYS void amx_q6_kx8(const uint8_t *wb, const uint8_t *act, size_t act_stride, int64_t n, float *out,
                           size_t out_stride, const int unused) {
    (void)unused;
    const blk_q6_kx8 *w = (const blk_q6_kx8 *)(const void *)wb;
    int32_t cbuf[2][NT][8] __attribute__((aligned(64)));
    __m256 facc[NT];
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++, w++) {
        for (int k = 0; k < (int)sizeof *w; k += 64) __builtin_prefetch((const char *)(w + 2) + k);
        const fc_block_q8k *a[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++) { /* values 128h + 32k .. + 15 and .. + 16 .. + 31 */
                TILE_LOAD(3, a[0]->qs + 128 * h + 32 * k, act_stride);
                TILE_LOAD(4, w->qs + 1024 * h + 256 * k, 32);
                AMX_PRODUCT(2, 3, 4, 0, cbuf[0]);
                TILE_LOAD(3, a[0]->qs + 128 * h + 32 * k + 16, act_stride);
                TILE_LOAD(4, w->qs + 1024 * h + 256 * k + 128, 32);
                AMX_PRODUCT(6, 3, 4, 0, cbuf[1]);
                add_scaled(acc, cbuf[0], scales32(w->sc[8 * h + 2 * k], 1));
                add_scaled(acc, cbuf[1], scales32(w->sc[8 * h + 2 * k + 1], 1));
            }
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) facc[t] = q6kx8_step(facc[t], acc[t], w, a[t]);
    }
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- the legacy types: one product a block, then legacy_steps ------------- */

enum { L_Q4_0, L_Q4_1, L_Q5_0, L_Q5_1, L_Q8_0, L_IQ4_NL };

AMX_ALWAYS void amx_legacy(const uint8_t *w, const uint8_t *act, size_t act_stride, int64_t n, float *out,
                           size_t out_stride, const int T) {
    const int NL = T == L_IQ4_NL, Q4 = T == L_Q4_0 || T == L_Q4_1 || NL, HAS_M = T == L_Q4_1 || T == L_Q5_1;
    const int SIGNED = T == L_Q8_0 || NL; /* signed codes (tdpbssd), no offset or min */
    const size_t bb = T == L_Q4_0 || NL ? sizeof(blk_q4_0x8) : T == L_Q4_1 ? sizeof(blk_q4_1x8)
                    : T == L_Q5_0 ? sizeof(blk_q5_0x8) : T == L_Q5_1 ? sizeof(blk_q5_1x8) : sizeof(blk_q8_0x8);
    const size_t qo = HAS_M ? 64 : 32; /* the codes after d (and m) */
    int32_t cbuf[NT][8] __attribute__((aligned(64)));
    uint8_t bbuf[8][32] __attribute__((aligned(64)));
    __m256 facc[NT];
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), lut = iq4_lut_s8();
    for (int64_t i = 0; i < n / FC_QK; i++, w += bb) {
        for (int k = 0; k < (int)bb; k += 64) __builtin_prefetch((const char *)(w + 4 * bb) + k);
        const fc_block_q8 *a[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8 *)(const void *)(act + (size_t)t * act_stride) + i;
        TILE_LOAD(0, a[0]->qs, act_stride);
        if (Q4) { /* B's rows 0..3: the low nibbles (elements 4c..), 4..7 the high (16 + 4c..); IQ4_NL: their levels */
            _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w + qo + 32 * c));
                __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                if (NL) lo = _mm256_shuffle_epi8(lut, lo), hi = _mm256_shuffle_epi8(lut, hi);
                _mm256_store_si256((__m256i *)(void *)bbuf[c], lo);
                _mm256_store_si256((__m256i *)(void *)bbuf[4 + c], hi);
            }
            TILE_LOAD(1, bbuf, 32);
        } else {
            TILE_LOAD(1, w + qo, 32);
        }
        AMX_PRODUCT(2, 0, 1, SIGNED, cbuf);
        __m256i s[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) s[t] = _mm256_load_si256((const __m256i *)(const void *)cbuf[t]);
        const __m256 d = _mm256_loadu_ps((const float *)(const void *)w);
        const __m256 m = HAS_M ? _mm256_loadu_ps((const float *)(const void *)(w + 32))
                       : SIGNED ? _mm256_setzero_ps()
                                : _mm256_mul_ps(d, _mm256_set1_ps(Q4 ? -8.0f : -16.0f));
        legacy_steps(facc, s, d, m, a, NT, !SIGNED);
    }
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* ---- IQ4_XS: two sub-blocks (32 values each) a step, their levels signed -- */

AMX_ALWAYS void amx_iq4_xsx8(const uint8_t *wb, const uint8_t *act, size_t act_stride, int64_t n, float *out,
                             size_t out_stride, const int unused) {
    (void)unused;
    const blk_iq4_xsx8 *w = (const blk_iq4_xsx8 *)(const void *)wb;
    int32_t cbuf[2][NT][8] __attribute__((aligned(64)));
    uint8_t bbuf[2][8][32] __attribute__((aligned(64)));
    __m256 facc[NT];
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) facc[t] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), lut = iq4_lut_s8();
    for (int64_t i = 0; i < n / QK; i++, w++) {
        for (int k = 0; k < (int)sizeof *w; k += 64) __builtin_prefetch((const char *)(w + 2) + k);
        const fc_block_q8k *a[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) a[t] = (const fc_block_q8k *)(const void *)(act + (size_t)t * act_stride) + i;
        __m256i acc[NT];
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s += 2) {
            _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++)
                _Pragma("GCC unroll 4") for (int c = 0; c < 4; c++) {
                    const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(w->qs + 128 * (s + h) + 32 * c));
                    _mm256_store_si256((__m256i *)(void *)bbuf[h][c], _mm256_shuffle_epi8(lut, _mm256_and_si256(q, m4)));
                    _mm256_store_si256((__m256i *)(void *)bbuf[h][4 + c],
                                       _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)));
                }
            TILE_LOAD(0, a[0]->qs + 32 * s, act_stride);
            TILE_LOAD(1, bbuf[0], 32);
            TILE_LOAD(7, a[0]->qs + 32 * s + 32, act_stride);
            TILE_LOAD(5, bbuf[1], 32);
            AMX_PRODUCT(2, 0, 1, 1, cbuf[0]);
            AMX_PRODUCT(6, 7, 5, 1, cbuf[1]);
            add_scaled(acc, cbuf[0], scales32(w->sc[s], 1));
            add_scaled(acc, cbuf[1], scales32(w->sc[s + 1], 1));
        }
        _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++)
            facc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t]), _mm256_mul_ps(_mm256_loadu_ps(w->d), _mm256_set1_ps(a[t]->d)), facc[t]);
    }
    _Pragma("GCC unroll 16") for (int t = 0; t < NT; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, facc[t]);
}

/* n_tok tokens: the AMX kernel for each 16, the VNNI tile for the rest */
#define AMX_TILE(t, KERNEL, ARG)                                                                              \
    void AMX_NAME(t)(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,     \
                     size_t out_stride) {                                                                     \
        const uint8_t *a = act;                                                                               \
        int t0 = 0;                                                                                           \
        if (n_tok >= NT) amx_config();                                                                        \
        for (; t0 + NT <= n_tok; t0 += NT)                                                                    \
            KERNEL(w, a + (size_t)t0 * act_stride, act_stride, n, out + (size_t)t0 * out_stride, out_stride, ARG); \
        if (t0 < n_tok) VNNI_NAME(t)(w, a + (size_t)t0 * act_stride, act_stride, n, n_tok - t0, out + (size_t)t0 * out_stride, out_stride); \
    }
AMX_TILE(q4_k, amx_k45x8, 0)
AMX_TILE(q5_k, amx_k45x8, 1)
AMX_TILE(q6_k, amx_q6_kx8, 0)
AMX_TILE(q4_0, amx_legacy, L_Q4_0)
AMX_TILE(q4_1, amx_legacy, L_Q4_1)
AMX_TILE(q5_0, amx_legacy, L_Q5_0)
AMX_TILE(q5_1, amx_legacy, L_Q5_1)
AMX_TILE(q8_0, amx_legacy, L_Q8_0)
AMX_TILE(iq4_nl, amx_legacy, L_IQ4_NL)
AMX_TILE(iq4_xs, amx_iq4_xsx8, 0)

#ifdef FC_AMX_EMU
/* the emulated tile of a type, NULL for a type without a layout */
quant_rtile_fn quant_amxemu_tile(uint32_t type);
quant_rtile_fn quant_amxemu_tile(uint32_t type) {
    switch (type) {
    case GGML_TYPE_Q4_K: return quant_amxemu_tile_q4_kx8;
    case GGML_TYPE_Q5_K: return quant_amxemu_tile_q5_kx8;
    case GGML_TYPE_Q6_K: return quant_amxemu_tile_q6_kx8;
    case GGML_TYPE_Q4_0: return quant_amxemu_tile_q4_0x8;
    case GGML_TYPE_Q4_1: return quant_amxemu_tile_q4_1x8;
    case GGML_TYPE_Q5_0: return quant_amxemu_tile_q5_0x8;
    case GGML_TYPE_Q5_1: return quant_amxemu_tile_q5_1x8;
    case GGML_TYPE_Q8_0: return quant_amxemu_tile_q8_0x8;
    case GGML_TYPE_IQ4_NL: return quant_amxemu_tile_iq4_nlx8;
    case GGML_TYPE_IQ4_XS: return quant_amxemu_tile_iq4_xsx8;
    default: return NULL;
    }
}
#endif

#endif /* __x86_64__ */
