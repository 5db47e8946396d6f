build-m/src/format/ggml_types.o: src/format/ggml_types.c \
 src/format/ggml_types.h
src/format/ggml_types.h:
