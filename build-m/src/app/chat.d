build-m/src/app/chat.o: src/app/chat.c src/app/chat.h \
 src/app/../engine/engine.h src/app/../engine/../plan/memory.h \
 src/app/../engine/../plan/../format/ggml_types.h \
 src/app/../engine/../plan/../format/gguf.h \
 src/app/../engine/../plan/../format/../util/err.h \
 src/app/../engine/../plan/../model/arch.h \
 src/app/../engine/../plan/../model/../format/gguf.h \
 src/app/../engine/../plan/../util/err.h \
 src/app/../engine/../plan/workbuf.h src/app/../engine/../plan/workbuf.h \
 src/app/../engine/devmem.h src/app/../engine/../plan/gpuinfo.h \
 src/app/../engine/../util/err.h src/app/../engine/model.h \
 src/app/../engine/../format/gguf.h src/app/../engine/../model/arch.h \
 src/app/../engine/quant.h src/app/../engine/../format/ggml_types.h \
 src/app/../engine/sampler.h src/app/../text/stream.h \
 src/app/../text/template.h src/app/../text/../util/err.h \
 src/app/../text/jinja.h src/app/../text/tokenizer.h \
 src/app/../text/../format/gguf.h src/app/../util/err.h \
 src/app/../util/file.h src/app/../util/err.h src/app/generate.h \
 src/app/../util/fmt.h
src/app/chat.h:
src/app/../engine/engine.h:
src/app/../engine/../plan/memory.h:
src/app/../engine/../plan/../format/ggml_types.h:
src/app/../engine/../plan/../format/gguf.h:
src/app/../engine/../plan/../format/../util/err.h:
src/app/../engine/../plan/../model/arch.h:
src/app/../engine/../plan/../model/../format/gguf.h:
src/app/../engine/../plan/../util/err.h:
src/app/../engine/../plan/workbuf.h:
src/app/../engine/../plan/workbuf.h:
src/app/../engine/devmem.h:
src/app/../engine/../plan/gpuinfo.h:
src/app/../engine/../util/err.h:
src/app/../engine/model.h:
src/app/../engine/../format/gguf.h:
src/app/../engine/../model/arch.h:
src/app/../engine/quant.h:
src/app/../engine/../format/ggml_types.h:
src/app/../engine/sampler.h:
src/app/../text/stream.h:
src/app/../text/template.h:
src/app/../text/../util/err.h:
src/app/../text/jinja.h:
src/app/../text/tokenizer.h:
src/app/../text/../format/gguf.h:
src/app/../util/err.h:
src/app/../util/file.h:
src/app/../util/err.h:
src/app/generate.h:
src/app/../util/fmt.h:
