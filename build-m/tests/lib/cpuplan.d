build-m/tests/lib/cpuplan.o: tests/lib/cpuplan.c tests/lib/cpuplan.h \
 tests/lib/../../src/engine/engine.h \
 tests/lib/../../src/engine/../plan/memory.h \
 tests/lib/../../src/engine/../plan/../format/ggml_types.h \
 tests/lib/../../src/engine/../plan/../format/gguf.h \
 tests/lib/../../src/engine/../plan/../format/../util/err.h \
 tests/lib/../../src/engine/../plan/../model/arch.h \
 tests/lib/../../src/engine/../plan/../model/../format/gguf.h \
 tests/lib/../../src/engine/../plan/../util/err.h \
 tests/lib/../../src/engine/../plan/workbuf.h \
 tests/lib/../../src/engine/../plan/workbuf.h \
 tests/lib/../../src/engine/devmem.h \
 tests/lib/../../src/engine/../plan/gpuinfo.h \
 tests/lib/../../src/engine/../util/err.h \
 tests/lib/../../src/engine/model.h \
 tests/lib/../../src/engine/../format/gguf.h \
 tests/lib/../../src/engine/../model/arch.h \
 tests/lib/../../src/engine/quant.h \
 tests/lib/../../src/engine/../format/ggml_types.h \
 tests/lib/../../src/plan/planner.h tests/lib/../../src/plan/gpuinfo.h \
 tests/lib/../../src/plan/memory.h tests/lib/../../src/plan/gpuinfo.h \
 tests/lib/../../src/plan/memory.h tests/lib/t.h
tests/lib/cpuplan.h:
tests/lib/../../src/engine/engine.h:
tests/lib/../../src/engine/../plan/memory.h:
tests/lib/../../src/engine/../plan/../format/ggml_types.h:
tests/lib/../../src/engine/../plan/../format/gguf.h:
tests/lib/../../src/engine/../plan/../format/../util/err.h:
tests/lib/../../src/engine/../plan/../model/arch.h:
tests/lib/../../src/engine/../plan/../model/../format/gguf.h:
tests/lib/../../src/engine/../plan/../util/err.h:
tests/lib/../../src/engine/../plan/workbuf.h:
tests/lib/../../src/engine/../plan/workbuf.h:
tests/lib/../../src/engine/devmem.h:
tests/lib/../../src/engine/../plan/gpuinfo.h:
tests/lib/../../src/engine/../util/err.h:
tests/lib/../../src/engine/model.h:
tests/lib/../../src/engine/../format/gguf.h:
tests/lib/../../src/engine/../model/arch.h:
tests/lib/../../src/engine/quant.h:
tests/lib/../../src/engine/../format/ggml_types.h:
tests/lib/../../src/plan/planner.h:
tests/lib/../../src/plan/gpuinfo.h:
tests/lib/../../src/plan/memory.h:
tests/lib/../../src/plan/gpuinfo.h:
tests/lib/../../src/plan/memory.h:
tests/lib/t.h:
