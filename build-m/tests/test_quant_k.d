build-m/tests/test_quant_k.o: tests/test_quant_k.c \
 tests/../src/engine/quant.h tests/../src/engine/../format/ggml_types.h \
 tests/../src/engine/../plan/workbuf.h \
 tests/../src/engine/../plan/../model/arch.h \
 tests/../src/engine/../plan/../model/../format/gguf.h \
 tests/../src/engine/../plan/../model/../format/../util/err.h \
 tests/../src/plan/memory.h tests/../src/plan/../format/ggml_types.h \
 tests/../src/plan/../format/gguf.h tests/../src/plan/../model/arch.h \
 tests/../src/plan/../util/err.h tests/../src/plan/workbuf.h \
 tests/lib/rng.h tests/lib/t.h
tests/../src/engine/quant.h:
tests/../src/engine/../format/ggml_types.h:
tests/../src/engine/../plan/workbuf.h:
tests/../src/engine/../plan/../model/arch.h:
tests/../src/engine/../plan/../model/../format/gguf.h:
tests/../src/engine/../plan/../model/../format/../util/err.h:
tests/../src/plan/memory.h:
tests/../src/plan/../format/ggml_types.h:
tests/../src/plan/../format/gguf.h:
tests/../src/plan/../model/arch.h:
tests/../src/plan/../util/err.h:
tests/../src/plan/workbuf.h:
tests/lib/rng.h:
tests/lib/t.h:
