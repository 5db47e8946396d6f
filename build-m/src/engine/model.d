build-m/src/engine/model.o: src/engine/model.c src/engine/model.h \
 src/engine/../format/gguf.h src/engine/../format/../util/err.h \
 src/engine/../model/arch.h src/engine/../model/../format/gguf.h \
 src/engine/quant.h src/engine/../format/ggml_types.h \
 src/engine/../plan/workbuf.h src/engine/../plan/../model/arch.h
src/engine/model.h:
src/engine/../format/gguf.h:
src/engine/../format/../util/err.h:
src/engine/../model/arch.h:
src/engine/../model/../format/gguf.h:
src/engine/quant.h:
src/engine/../format/ggml_types.h:
src/engine/../plan/workbuf.h:
src/engine/../plan/../model/arch.h:
