build-m/src/serve/sched.o: src/serve/sched.c src/serve/sched.h \
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
 src/serve/../app/../text/../util/err.h src/serve/../app/../util/err.h \
 src/serve/../app/session.h src/serve/../app/../format/gguf.h \
 src/serve/../app/../model/arch.h src/serve/../app/../plan/gpuinfo.h \
 src/serve/../app/../plan/memory.h src/serve/../app/../plan/planner.h \
 src/serve/../app/../plan/gpuinfo.h src/serve/../app/../plan/memory.h \
 src/serve/../app/../text/template.h src/serve/../app/../text/jinja.h \
 src/serve/../app/config.h src/serve/format.h src/serve/request.h \
 src/serve/../text/template.h src/serve/../app/chat.h
src/serve/sched.h:
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
src/serve/../app/session.h:
src/serve/../app/../format/gguf.h:
src/serve/../app/../model/arch.h:
src/serve/../app/../plan/gpuinfo.h:
src/serve/../app/../plan/memory.h:
src/serve/../app/../plan/planner.h:
src/serve/../app/../plan/gpuinfo.h:
src/serve/../app/../plan/memory.h:
src/serve/../app/../text/template.h:
src/serve/../app/../text/jinja.h:
src/serve/../app/config.h:
src/serve/format.h:
src/serve/request.h:
src/serve/../text/template.h:
src/serve/../app/chat.h:
