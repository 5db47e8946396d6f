build-m/src/engine/quant.o: src/engine/quant.c src/engine/quant.h \
 src/engine/../format/ggml_types.h src/engine/../plan/workbuf.h \
 src/engine/../plan/../model/arch.h \
 src/engine/../plan/../model/../format/gguf.h \
 src/engine/../plan/../model/../format/../util/err.h \
 src/engine/../plan/memory.h src/engine/../plan/../format/ggml_types.h \
 src/engine/../plan/../format/gguf.h src/engine/../plan/../util/err.h \
 src/engine/../plan/workbuf.h src/engine/kvrot.h src/engine/quant_impl.h \
 src/engine/quant_repack.h src/engine/vecmath.h
src/engine/quant.h:
src/engine/../format/ggml_types.h:
src/engine/../plan/workbuf.h:
src/engine/../plan/../model/arch.h:
src/engine/../plan/../model/../format/gguf.h:
src/engine/../plan/../model/../format/../util/err.h:
src/engine/../plan/memory.h:
src/engine/../plan/../format/ggml_types.h:
src/engine/../plan/../format/gguf.h:
src/engine/../plan/../util/err.h:
src/engine/../plan/workbuf.h:
src/engine/kvrot.h:
src/engine/quant_impl.h:
src/engine/quant_repack.h:
src/engine/vecmath.h:
