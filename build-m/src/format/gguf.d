build-m/src/format/gguf.o: src/format/gguf.c src/format/gguf.h \
 src/format/../util/err.h src/format/ggml_types.h \
 src/format/../util/file.h src/format/../util/err.h
src/format/gguf.h:
src/format/../util/err.h:
src/format/ggml_types.h:
src/format/../util/file.h:
src/format/../util/err.h:
