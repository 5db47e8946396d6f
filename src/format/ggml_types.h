/* ggml_types — the one table of GGML tensor types used by GGUF files.
 *
 * Every type id a GGUF file can carry today has a row: its name, how many
 * elements one block holds and how many bytes that block takes. The planner
 * sizes any file from this table, even types the engine cannot run yet.
 * Ids are GGUF's on-disk ids (gaps are ids ggml retired). Immutable data,
 * thread-safe.
 */
#ifndef FC_GGML_TYPES_H
#define FC_GGML_TYPES_H

#include <stdbool.h>
#include <stdint.h>

enum ggml_type {
    GGML_TYPE_F32 = 0,
    GGML_TYPE_F16 = 1,
    GGML_TYPE_Q4_0 = 2,
    GGML_TYPE_Q4_1 = 3,
    GGML_TYPE_Q5_0 = 6,
    GGML_TYPE_Q5_1 = 7,
    GGML_TYPE_Q8_0 = 8,
    GGML_TYPE_Q8_1 = 9,
    GGML_TYPE_Q2_K = 10,
    GGML_TYPE_Q3_K = 11,
    GGML_TYPE_Q4_K = 12,
    GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14,
    GGML_TYPE_Q8_K = 15,
    GGML_TYPE_IQ2_XXS = 16,
    GGML_TYPE_IQ2_XS = 17,
    GGML_TYPE_IQ3_XXS = 18,
    GGML_TYPE_IQ1_S = 19,
    GGML_TYPE_IQ4_NL = 20,
    GGML_TYPE_IQ3_S = 21,
    GGML_TYPE_IQ2_S = 22,
    GGML_TYPE_IQ4_XS = 23,
    GGML_TYPE_I8 = 24,
    GGML_TYPE_I16 = 25,
    GGML_TYPE_I32 = 26,
    GGML_TYPE_I64 = 27,
    GGML_TYPE_F64 = 28,
    GGML_TYPE_IQ1_M = 29,
    GGML_TYPE_BF16 = 30,
    GGML_TYPE_TQ1_0 = 34,
    GGML_TYPE_TQ2_0 = 35,
    GGML_TYPE_MXFP4 = 39,
    GGML_TYPE_NVFP4 = 40,
    GGML_TYPE_Q1_0 = 41,
    GGML_TYPE_COUNT = 42, /* one past the largest id */
};

typedef struct ggml_type_info {
    const char *name;      /* "Q4_K"; NULL for retired or unknown ids */
    uint32_t block_elems;  /* elements per block (1 for plain types) */
    uint32_t block_bytes;  /* bytes per block */
} ggml_type_info;

/* The row for id, or NULL when id is not a type a GGUF file may use. */
const ggml_type_info *ggml_type_get(uint32_t id);

/* "Q4_K", or "unknown" for ids not in the table. */
const char *ggml_type_name(uint32_t id);

/* Looks a type up by name, case-insensitively ("q8_0", "F16"); -1 if none. */
int ggml_type_from_name(const char *name);

/* Bytes of a row of n elements of type id; 0 if id is unknown or n is not a
 * multiple of the block size. */
uint64_t ggml_row_bytes(uint32_t id, uint64_t n);

#endif
