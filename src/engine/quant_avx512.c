#if defined(__x86_64__)
#include "quant_impl.h"
const quant_kernels quant_kernels_avx512 = {NULL, {NULL, NULL, NULL}};
#endif
