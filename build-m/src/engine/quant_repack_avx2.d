build-m/src/engine/quant_repack_avx2.o: src/engine/quant_repack_avx2.c \
 src/engine/quant_repack.h src/engine/quant_impl.h src/engine/quant.h \
 src/engine/../format/ggml_types.h src/engine/../plan/workbuf.h \
 src/engine/../plan/../model/arch.h \
 src/engine/../plan/../model/../format/gguf.h \
 src/engine/../plan/../model/../format/../util/err.h \
 src/engine/quant_x86.h
src/engine/quant_repack.h:
src/engine/quant_impl.h:
src/engine/quant.h:
src/engine/../format/ggml_types.h:
src/engine/../plan/workbuf.h:
src/engine/../plan/../model/arch.h:
src/engine/../plan/../model/../format/gguf.h:
src/engine/../plan/../model/../format/../util/err.h:
src/engine/quant_x86.h:
