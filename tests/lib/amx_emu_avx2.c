/* amx_emu — the AMX tiles of src/engine/quant_repack_amx.c built with the
 * tile instructions emulated in C (FC_AMX_EMU) and AVX2 around them, so
 * test_quant_k checks their tiling and layouts on every x86 machine with
 * AVX2 (this file's name gives it the AVX2 flags). amx_emu.h: its API. */
#if defined(__x86_64__)
#define FC_AMX_EMU 1
#include "../../src/engine/quant_repack_amx.c"
#endif
