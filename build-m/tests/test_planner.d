build-m/tests/test_planner.o: tests/test_planner.c \
 tests/../src/plan/planner.h tests/../src/plan/gpuinfo.h \
 tests/../src/plan/../util/err.h tests/../src/plan/memory.h \
 tests/../src/plan/../format/ggml_types.h \
 tests/../src/plan/../format/gguf.h \
 tests/../src/plan/../format/../util/err.h \
 tests/../src/plan/../model/arch.h \
 tests/../src/plan/../model/../format/gguf.h tests/../src/plan/workbuf.h \
 tests/lib/fixtures.h tests/lib/../../src/util/err.h tests/lib/t.h
tests/../src/plan/planner.h:
tests/../src/plan/gpuinfo.h:
tests/../src/plan/../util/err.h:
tests/../src/plan/memory.h:
tests/../src/plan/../format/ggml_types.h:
tests/../src/plan/../format/gguf.h:
tests/../src/plan/../format/../util/err.h:
tests/../src/plan/../model/arch.h:
tests/../src/plan/../model/../format/gguf.h:
tests/../src/plan/workbuf.h:
tests/lib/fixtures.h:
tests/lib/../../src/util/err.h:
tests/lib/t.h:
