build-m/tests/test_engine.o: tests/test_engine.c \
 tests/../src/engine/engine.h tests/../src/engine/../plan/memory.h \
 tests/../src/engine/../plan/../format/ggml_types.h \
 tests/../src/engine/../plan/../format/gguf.h \
 tests/../src/engine/../plan/../format/../util/err.h \
 tests/../src/engine/../plan/../model/arch.h \
 tests/../src/engine/../plan/../model/../format/gguf.h \
 tests/../src/engine/../plan/../util/err.h \
 tests/../src/engine/../plan/workbuf.h \
 tests/../src/engine/../plan/workbuf.h tests/../src/engine/devmem.h \
 tests/../src/engine/../plan/gpuinfo.h tests/../src/engine/../util/err.h \
 tests/../src/engine/model.h tests/../src/engine/../format/gguf.h \
 tests/../src/engine/../model/arch.h tests/../src/engine/quant.h \
 tests/../src/engine/../format/ggml_types.h tests/../src/engine/sampler.h \
 tests/../src/format/gguf.h tests/../src/model/arch.h \
 tests/../src/plan/gpuinfo.h tests/../src/plan/memory.h \
 tests/../src/plan/planner.h tests/../src/plan/gpuinfo.h \
 tests/../src/plan/memory.h tests/../src/plan/workbuf.h \
 tests/lib/cpuplan.h tests/lib/../../src/engine/engine.h \
 tests/lib/../../src/plan/planner.h tests/lib/t.h
tests/../src/engine/engine.h:
tests/../src/engine/../plan/memory.h:
tests/../src/engine/../plan/../format/ggml_types.h:
tests/../src/engine/../plan/../format/gguf.h:
tests/../src/engine/../plan/../format/../util/err.h:
tests/../src/engine/../plan/../model/arch.h:
tests/../src/engine/../plan/../model/../format/gguf.h:
tests/../src/engine/../plan/../util/err.h:
tests/../src/engine/../plan/workbuf.h:
tests/../src/engine/../plan/workbuf.h:
tests/../src/engine/devmem.h:
tests/../src/engine/../plan/gpuinfo.h:
tests/../src/engine/../util/err.h:
tests/../src/engine/model.h:
tests/../src/engine/../format/gguf.h:
tests/../src/engine/../model/arch.h:
tests/../src/engine/quant.h:
tests/../src/engine/../format/ggml_types.h:
tests/../src/engine/sampler.h:
tests/../src/format/gguf.h:
tests/../src/model/arch.h:
tests/../src/plan/gpuinfo.h:
tests/../src/plan/memory.h:
tests/../src/plan/planner.h:
tests/../src/plan/gpuinfo.h:
tests/../src/plan/memory.h:
tests/../src/plan/workbuf.h:
tests/lib/cpuplan.h:
tests/lib/../../src/engine/engine.h:
tests/lib/../../src/plan/planner.h:
tests/lib/t.h:
