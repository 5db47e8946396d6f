build-m/tests/lib/fixtures.o: tests/lib/fixtures.c tests/lib/fixtures.h \
 tests/lib/../../src/util/err.h tests/lib/../../src/format/ggml_types.h \
 tests/lib/gguf_write.h
tests/lib/fixtures.h:
tests/lib/../../src/util/err.h:
tests/lib/../../src/format/ggml_types.h:
tests/lib/gguf_write.h:
