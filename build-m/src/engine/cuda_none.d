build-m/src/engine/cuda_none.o: src/engine/cuda_none.c \
 src/engine/../cuda/cuda_backend.h src/engine/../cuda/../engine/devmem.h \
 src/engine/../cuda/../engine/../plan/gpuinfo.h \
 src/engine/../cuda/../engine/../plan/../util/err.h \
 src/engine/../cuda/../engine/../util/err.h \
 src/engine/../cuda/../plan/workbuf.h \
 src/engine/../cuda/../plan/../model/arch.h \
 src/engine/../cuda/../plan/../model/../format/gguf.h \
 src/engine/../cuda/../plan/../model/../format/../util/err.h \
 src/engine/../cuda/../engine/stage.h \
 src/engine/../cuda/../engine/../plan/memory.h \
 src/engine/../cuda/../engine/../plan/../format/ggml_types.h \
 src/engine/../cuda/../engine/../plan/../format/gguf.h \
 src/engine/../cuda/../engine/../plan/../model/arch.h \
 src/engine/../cuda/../engine/../plan/workbuf.h \
 src/engine/../cuda/../engine/../plan/workbuf.h \
 src/engine/../cuda/../engine/devmem.h \
 src/engine/../cuda/../engine/model.h \
 src/engine/../cuda/../engine/../format/gguf.h \
 src/engine/../cuda/../engine/../model/arch.h \
 src/engine/../cuda/../engine/quant.h \
 src/engine/../cuda/../engine/../format/ggml_types.h
src/engine/../cuda/cuda_backend.h:
src/engine/../cuda/../engine/devmem.h:
src/engine/../cuda/../engine/../plan/gpuinfo.h:
src/engine/../cuda/../engine/../plan/../util/err.h:
src/engine/../cuda/../engine/../util/err.h:
src/engine/../cuda/../plan/workbuf.h:
src/engine/../cuda/../plan/../model/arch.h:
src/engine/../cuda/../plan/../model/../format/gguf.h:
src/engine/../cuda/../plan/../model/../format/../util/err.h:
src/engine/../cuda/../engine/stage.h:
src/engine/../cuda/../engine/../plan/memory.h:
src/engine/../cuda/../engine/../plan/../format/ggml_types.h:
src/engine/../cuda/../engine/../plan/../format/gguf.h:
src/engine/../cuda/../engine/../plan/../model/arch.h:
src/engine/../cuda/../engine/../plan/workbuf.h:
src/engine/../cuda/../engine/../plan/workbuf.h:
src/engine/../cuda/../engine/devmem.h:
src/engine/../cuda/../engine/model.h:
src/engine/../cuda/../engine/../format/gguf.h:
src/engine/../cuda/../engine/../model/arch.h:
src/engine/../cuda/../engine/quant.h:
src/engine/../cuda/../engine/../format/ggml_types.h:
