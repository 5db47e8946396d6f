build-m/src/engine/ops.o: src/engine/ops.c src/engine/ops.h \
 src/engine/../model/arch.h src/engine/../model/../format/gguf.h \
 src/engine/../model/../format/../util/err.h src/engine/kvrot.h \
 src/engine/../format/ggml_types.h
src/engine/ops.h:
src/engine/../model/arch.h:
src/engine/../model/../format/gguf.h:
src/engine/../model/../format/../util/err.h:
src/engine/kvrot.h:
src/engine/../format/ggml_types.h:
