build-m/tests/test_memory.o: tests/test_memory.c \
 tests/../src/plan/memory.h tests/../src/plan/../format/ggml_types.h \
 tests/../src/plan/../format/gguf.h \
 tests/../src/plan/../format/../util/err.h \
 tests/../src/plan/../model/arch.h \
 tests/../src/plan/../model/../format/gguf.h \
 tests/../src/plan/../util/err.h tests/../src/plan/workbuf.h \
 tests/../src/plan/workbuf.h tests/lib/fixtures.h \
 tests/lib/../../src/util/err.h tests/lib/t.h
tests/../src/plan/memory.h:
tests/../src/plan/../format/ggml_types.h:
tests/../src/plan/../format/gguf.h:
tests/../src/plan/../format/../util/err.h:
tests/../src/plan/../model/arch.h:
tests/../src/plan/../model/../format/gguf.h:
tests/../src/plan/../util/err.h:
tests/../src/plan/workbuf.h:
tests/../src/plan/workbuf.h:
tests/lib/fixtures.h:
tests/lib/../../src/util/err.h:
tests/lib/t.h:
