build-m/src/engine/engine.o: src/engine/engine.c src/engine/engine.h \
 src/engine/../plan/memory.h src/engine/../plan/../format/ggml_types.h \
 src/engine/../plan/../format/gguf.h \
 src/engine/../plan/../format/../util/err.h \
 src/engine/../plan/../model/arch.h \
 src/engine/../plan/../model/../format/gguf.h \
 src/engine/../plan/../util/err.h src/engine/../plan/workbuf.h \
 src/engine/../plan/workbuf.h src/engine/devmem.h \
 src/engine/../plan/gpuinfo.h src/engine/../util/err.h src/engine/model.h \
 src/engine/../format/gguf.h src/engine/../model/arch.h \
 src/engine/quant.h src/engine/../format/ggml_types.h src/engine/stage.h \
 src/engine/threads.h
src/engine/engine.h:
src/engine/../plan/memory.h:
src/engine/../plan/../format/ggml_types.h:
src/engine/../plan/../format/gguf.h:
src/engine/../plan/../format/../util/err.h:
src/engine/../plan/../model/arch.h:
src/engine/../plan/../model/../format/gguf.h:
src/engine/../plan/../util/err.h:
src/engine/../plan/workbuf.h:
src/engine/../plan/workbuf.h:
src/engine/devmem.h:
src/engine/../plan/gpuinfo.h:
src/engine/../util/err.h:
src/engine/model.h:
src/engine/../format/gguf.h:
src/engine/../model/arch.h:
src/engine/quant.h:
src/engine/../format/ggml_types.h:
src/engine/stage.h:
src/engine/threads.h:
