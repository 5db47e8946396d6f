# CUDA backend (included by the Makefile).
#   CUDA ?= auto   1 when nvcc is on PATH, else 0;  make CUDA=0 builds CPU only.
# CUDA=emu: the CUDA host emulator (tests/cuda_emu): src/cuda/*.cu compiled as
# host C++ by g++ against stand-in cuda_runtime.h / cuda_fp16.h, the kernels
# run on the CPU (docs/gpu.md "The CUDA host emulator"); no nvcc needed.
# make cuda-emu builds it in build-cudaemu/, make test-cuda-emu runs it.
# CUDA=1: src/cuda/*.cu compiled by nvcc (host code -Wall -Wextra -Werror), the
# CUDA runtime linked statically, so the binary needs only the driver
# (libcuda) at run time and says "no CUDA driver" and runs on the CPU without
# one. src/engine/cuda_none.c (the stubs) is left out. Sanitizer builds
# (make asan) are always CUDA=0.
CUDA ?= auto
ifeq ($(CUDA),auto)
  CUDA := $(if $(shell command -v nvcc 2>/dev/null),1,0)
endif

ifeq ($(CUDA),1)
NVCC        ?= nvcc
comma       := ,
CUDA_HOME   ?= $(patsubst %/bin/,%,$(dir $(shell command -v $(NVCC))))
CUDA_ARCHS  ?= 75 80 86 89 90
CUDA_PTX    ?= 90
NVCC_FLAGS  := -O3 -std=c++17 -g --compiler-options -Wall,-Wextra,-Werror \
               $(foreach a,$(CUDA_ARCHS),-gencode arch=compute_$(a),code=sm_$(a)) \
               $(if $(CUDA_PTX),-gencode arch=compute_$(CUDA_PTX)$(comma)code=compute_$(CUDA_PTX)) -MMD -MP
CU_SRC      := $(sort $(wildcard src/cuda/*.cu))
CU_OBJ      := $(CU_SRC:%.cu=$(BUILD)/%.o)
LIB_SRC     := $(filter-out src/engine/cuda_none.c,$(LIB_SRC))
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_OBJ)
CFLAGS_BASE += -DFC_CUDA
LDLIBS      += -L$(CUDA_HOME)/lib64 -lcudart_static -lrt -ldl -lpthread -lstdc++
# The host test of the block decoders (blocks.cuh compiled for the CPU).
CUDA_HOST_TEST := $(BUILD)/tests/test_cuda_blocks

$(BUILD)/src/cuda/%.o: src/cuda/%.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCC_FLAGS) -c $< -o $@

$(BUILD)/tests/cuda_host/%.o: tests/cuda_host/%.cu
	@mkdir -p $(dir $@)
	$(NVCC) -O2 -std=c++17 -g --compiler-options -Wall,-Wextra,-Werror -MMD -MP -c $< -o $@

$(CUDA_HOST_TEST): $(BUILD)/tests/cuda_host/test_blocks.o $(BUILD)/tests/libtest.a $(BUILD)/libfitchat.a
	$(CC) -o $@ $^ $(LDFLAGS) $(LDLIBS)

-include $(CU_OBJ:.o=.d) $(BUILD)/tests/cuda_host/test_blocks.d
else ifeq ($(CUDA),emu)
# -ffp-contract=off: the device code's unfused float operations stay unfused;
# -Wno-unknown-pragmas: #pragma unroll is nvcc's; -fno-strict-aliasing: the kernels pun bytes as words as CUDA allows;
# -fsanitize=alignment: a misaligned float4 / uint4 access (a fault on a GPU) stops the run.
EMU_FLAGS   := -std=c++17 $(OPT) -g -Wall -Wextra -Werror -Wno-unknown-pragmas -ffp-contract=off -fno-strict-aliasing -pthread \
               -fsanitize=alignment -fno-sanitize-recover=alignment -DFC_CUDA_EMU -Itests/cuda_emu -MMD -MP
CU_SRC      := $(sort $(wildcard src/cuda/*.cu))
CU_OBJ      := $(CU_SRC:%.cu=$(BUILD)/%.o) $(BUILD)/tests/cuda_emu/emu.o
LIB_SRC     := $(filter-out src/engine/cuda_none.c,$(LIB_SRC))
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_OBJ)
CFLAGS_BASE += -DFC_CUDA
LDLIBS      += -lstdc++ -fsanitize=alignment
CUDA_HOST_TEST := $(BUILD)/tests/test_cuda_blocks

$(BUILD)/src/cuda/%.o: src/cuda/%.cu
	@mkdir -p $(dir $@)
	$(CXX) $(EMU_FLAGS) -x c++ -c $< -o $@

$(BUILD)/tests/cuda_emu/emu.o: tests/cuda_emu/emu.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(EMU_FLAGS) -c $< -o $@

$(BUILD)/tests/cuda_host/%.o: tests/cuda_host/%.cu
	@mkdir -p $(dir $@)
	$(CXX) $(EMU_FLAGS) -x c++ -c $< -o $@

$(CUDA_HOST_TEST): $(BUILD)/tests/cuda_host/test_blocks.o $(BUILD)/tests/libtest.a $(BUILD)/libfitchat.a
	$(CC) -o $@ $^ $(LDFLAGS) $(LDLIBS)

-include $(CU_OBJ:.o=.d) $(BUILD)/tests/cuda_host/test_blocks.d
else
CUDA_HOST_TEST :=
endif

# A stamp per CUDA setting, so that switching CUDA=0/1 in one build folder
# rebuilds the library with the right objects (and drops the CUDA-only host test).
CUDA_STAMP := $(BUILD)/cuda-$(CUDA).stamp
$(CUDA_STAMP):
	@mkdir -p $(BUILD)
	@rm -f $(BUILD)/cuda-*.stamp $(BUILD)/tests/test_cuda_blocks
	@touch $@
