/* c_api — the project's C headers, seen from C++/CUDA: C linkage, and C11's
 * _Static_assert spelled as C++'s static_assert while they are read. Every
 * .cu file includes this before cuda_backend.h. */
#ifndef FC_CUDA_C_API_CUH
#define FC_CUDA_C_API_CUH

#define _Static_assert static_assert
extern "C" {
#include "../plan/workbuf.h"
#include "../engine/devmem.h"
#include "../engine/model.h"
#include "../engine/quant.h"
#include "../engine/stage.h"
#include "../format/ggml_types.h"
#include "../plan/memory.h"
#include "../util/err.h"
}
#undef _Static_assert

#include "cuda_backend.h"

#endif
