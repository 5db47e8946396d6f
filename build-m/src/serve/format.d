build-m/src/serve/format.o: src/serve/format.c src/serve/format.h \
 src/serve/request.h src/serve/../text/template.h \
 src/serve/../text/../util/err.h src/serve/../text/jinja.h \
 src/serve/../app/generate.h src/serve/../app/../engine/engine.h \
 src/serve/../app/../engine/../plan/memory.h \
 src/serve/../app/../engine/../plan/../format/ggml_types.h \
 src/serve/../app/../engine/../plan/../format/gguf.h \
 src/serve/../app/../engine/../plan/../format/../util/err.h \
 src/serve/../app/../engine/../plan/../model/arch.h \
 src/serve/../app/../engine/../plan/../model/../format/gguf.h \
 src/serve/../app/../engine/../plan/../util/err.h \
 src/serve/../app/../engine/../plan/workbuf.h \
 src/serve/../app/../engine/../plan/workbuf.h \
 src/serve/../app/../engine/devmem.h \
 src/serve/../app/../engine/../plan/gpuinfo.h \
 src/serve/../app/../engine/../util/err.h \
 src/serve/../app/../engine/model.h \
 src/serve/../app/../engine/../format/gguf.h \
 src/serve/../app/../engine/../model/arch.h \
 src/serve/../app/../engine/quant.h \
 src/serve/../app/../engine/../format/ggml_types.h \
 src/serve/../app/../engine/sampler.h src/serve/../app/../text/stream.h \
 src/serve/../app/../text/tokenizer.h \
 src/serve/../app/../text/../format/gguf.h \
 src/serve/../app/../text/../util/err.h src/serve/../app/../util/err.h
src/serve/format.h:
src/serve/request.h:
src/serve/../text/template.h:
src/serve/../text/../util/err.h:
src/serve/../text/jinja.h:
src/serve/../app/generate.h:
src/serve/../app/../engine/engine.h:
src/serve/../app/../engine/../plan/memory.h:
src/serve/../app/../engine/../plan/../format/ggml_types.h:
src/serve/../app/../engine/../plan/../format/gguf.h:
src/serve/../app/../engine/../plan/../format/../util/err.h:
src/serve/../app/../engine/../plan/../model/arch.h:
src/serve/../app/../engine/../plan/../model/../format/gguf.h:
src/serve/../app/../engine/../plan/../util/err.h:
src/serve/../app/../engine/../plan/workbuf.h:
src/serve/../app/../engine/../plan/workbuf.h:
src/serve/../app/../engine/devmem.h:
src/serve/../app/../engine/../plan/gpuinfo.h:
src/serve/../app/../engine/../util/err.h:
src/serve/../app/../engine/model.h:
src/serve/../app/../engine/../format/gguf.h:
src/serve/../app/../engine/../model/arch.h:
src/serve/../app/../engine/quant.h:
src/serve/../app/../engine/../format/ggml_types.h:
src/serve/../app/../engine/sampler.h:
src/serve/../app/../text/stream.h:
src/serve/../app/../text/tokenizer.h:
src/serve/../app/../text/../format/gguf.h:
src/serve/../app/../text/../util/err.h:
src/serve/../app/../util/err.h:
