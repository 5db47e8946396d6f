# fitchat — plain Makefile (see README "Building" for why not CMake: one binary,
# a handful of folders, per-file SIMD flags; make says all of it in one page).
#
#   make            build/fitchat (CPU; SIMD kernels chosen at run time)
#   make test       build and run the whole test suite
#   make check      make test, then make asan (what CI runs)
#   make asan       the whole suite under AddressSanitizer + UBSan (build-asan/, always CUDA=0)
#   make CUDA=0     CPU only even where nvcc is installed (default CUDA=auto, mk/cuda.mk)
#   make cuda-emu   the CUDA backend on the CUDA host emulator (build-cudaemu/, no nvcc, no GPU)
#   make test-cuda-emu   its tests alone (test_cuda, cuda.test.sh; also part of make test)
#   make models     fetch and verify the default model into the cache
#   make fuzz       libFuzzer target for the GGUF reader (clang)
#   make bench      benchmarks (see bench/)

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
WERROR  ?= -Werror
ARCH    := $(shell uname -m)

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Wno-format-truncation $(WERROR) -MMD -MP -pthread $(SAN)
LDLIBS      := -lcjson -ledit -lmicrohttpd -ldl -lm -pthread $(SAN)

LIB_SRC  := $(sort $(shell find src -name '*.c' ! -path 'src/app/main.c'))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TLIB_SRC := $(sort $(wildcard tests/lib/*.c))
TLIB_OBJ := $(TLIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
# Shared libraries the tests load with dlopen (e.g. a scripted fake NVML).
SO_SRC   := $(sort $(wildcard tests/so/*.c))
SO_LIB   := $(SO_SRC:tests/so/%.c=$(BUILD)/tests/so/%.so)

# `make` alone builds fitchat and the tools (mk/cuda.mk below defines rules
# of its own, which must not become the default goal).
.DEFAULT_GOAL := all

# The CUDA backend: CUDA ?= auto (1 when nvcc is found), see mk/cuda.mk.
include mk/cuda.mk

# make test also runs the CUDA backend on the CUDA host emulator
# (tests/cuda_emu.test.sh, built in this folder by make cuda-emu; about a
# minute of CPU); CUDA_EMU_TEST= leaves it out (make asan does).
CUDA_EMU_TEST ?= build-cudaemu

# SIMD kernels: one file per instruction set, chosen at run time by the
# dispatch table in src/engine (the scalar path is always built).
ifeq ($(ARCH),x86_64)
AVX2_FLAGS   := -mavx2 -mfma -mf16c
AVX512_FLAGS := -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mfma -mf16c -mavx2
AMX_FLAGS    := $(AVX512_FLAGS) -mamx-tile -mamx-int8
else
AVX2_FLAGS   :=
AVX512_FLAGS :=
AMX_FLAGS    :=
endif

.PHONY: all test check asan cuda-emu test-cuda-emu models models-extra fuzz bench clean tools
.SECONDARY:
all: $(BUILD)/fitchat tools

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AVX2_FLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AVX512_FLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%_amx.o: %_amx.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(AMX_FLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -c $< -o $@

$(BUILD)/libfitchat.a: $(LIB_OBJ) $(CUDA_STAMP)
	@rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(BUILD)/fitchat: $(BUILD)/src/app/main.o $(BUILD)/libfitchat.a
	$(CC) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/libtest.a: $(TLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/libtest.a $(BUILD)/libfitchat.a
	$(CC) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/tests/libtest.a $(BUILD)/libfitchat.a
	$(CC) -o $@ $^ $(LDFLAGS) $(LDLIBS)

tools: $(TOOL_BIN)

$(BUILD)/tests/so/%.so: tests/so/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -fPIC -shared -o $@ $< $(SAN)

test: $(BUILD)/fitchat $(TEST_BIN) $(CUDA_HOST_TEST) $(TOOL_BIN) $(SO_LIB) $(if $(CUDA_EMU_TEST),cuda-emu)
	@FITCHAT_CUDA_EMU_BUILD=$(CUDA_EMU_TEST) bash tests/run.sh $(BUILD)

# The README's test command: the suite, then the suite under the sanitizers.
check: test
	@$(MAKE) --no-print-directory asan
	@cat build/tests/summary.txt build-asan/tests/summary.txt | \
	  awk '{p += $$1; f += $$2; s += $$3} END {printf "check: %d passed, %d failed, %d skipped\n", p, f, s}'

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CUDA=0 CUDA_EMU_TEST= OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

cuda-emu:
	@$(MAKE) --no-print-directory BUILD=build-cudaemu CUDA=emu CUDA_EMU_TEST= all \
	  build-cudaemu/tests/test_cuda build-cudaemu/tests/test_cuda_blocks build-cudaemu/tests/test_engine

test-cuda-emu: cuda-emu
	@FITCHAT_CUDA_EMU_BUILD=build-cudaemu bash tests/cuda_emu.test.sh

models:
	@bash scripts/fetch-model.sh

models-extra:
	@bash scripts/fetch-model.sh gemma3

fuzz:
	$(MAKE) -f fuzz/Makefile

bench: $(BUILD)/fitchat
	@bash bench/run-all.sh

clean:
	rm -rf build build-asan build-fuzz build-cudaemu

-include $(LIB_OBJ:.o=.d) $(TLIB_OBJ:.o=.d) $(TEST_BIN:%=%.d) $(TOOL_BIN:%=%.d) $(BUILD)/src/app/main.d
