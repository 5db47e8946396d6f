/* amx_emu — the AMX tiles over the repacked layouts with the tile
 * instructions emulated (tests/lib/amx_emu_avx2.c): same arguments and
 * results as the repacker's tile (quant.h, quant_rtile_fn). Needs AVX2, FMA
 * and F16C; x86-64 only. */
#ifndef FC_TEST_AMX_EMU_H
#define FC_TEST_AMX_EMU_H

#include "../../src/engine/quant.h"

#if defined(__x86_64__)
/* The emulated AMX tile of type over its MEM_REPACK_X8 layout, NULL if none. */
quant_rtile_fn quant_amxemu_tile(uint32_t type);
#endif

#endif
