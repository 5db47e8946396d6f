/* cmd_gpu — the GPU table shared by `fitchat gpu` and `fitchat plan`. */
#ifndef FC_CMD_GPU_H
#define FC_CMD_GPU_H

#include <stdio.h>

#include "../plan/gpuinfo.h"

/* Prints the inventory like nvidia-smi summarises it, then the path taken. */
void gpu_print_table(FILE *out, const gpu_inventory *inv);

#endif
