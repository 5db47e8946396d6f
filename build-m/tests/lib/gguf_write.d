build-m/tests/lib/gguf_write.o: tests/lib/gguf_write.c \
 tests/lib/gguf_write.h tests/lib/../../src/util/err.h \
 tests/lib/../../src/format/ggml_types.h \
 tests/lib/../../src/format/gguf.h \
 tests/lib/../../src/format/../util/err.h
tests/lib/gguf_write.h:
tests/lib/../../src/util/err.h:
tests/lib/../../src/format/ggml_types.h:
tests/lib/../../src/format/gguf.h:
tests/lib/../../src/format/../util/err.h:
