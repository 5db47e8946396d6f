build-m/src/app/cmd_run.o: src/app/cmd_run.c \
 src/app/../format/ggml_types.h src/app/../plan/memory.h \
 src/app/../plan/../format/ggml_types.h src/app/../plan/../format/gguf.h \
 src/app/../plan/../format/../util/err.h src/app/../plan/../model/arch.h \
 src/app/../plan/../model/../format/gguf.h src/app/../plan/../util/err.h \
 src/app/../plan/workbuf.h src/app/commands.h src/app/config.h \
 src/app/../util/err.h src/app/generate.h src/app/../engine/engine.h \
 src/app/../engine/../plan/memory.h src/app/../engine/../plan/workbuf.h \
 src/app/../engine/devmem.h src/app/../engine/../plan/gpuinfo.h \
 src/app/../engine/../plan/../util/err.h src/app/../engine/../util/err.h \
 src/app/../engine/model.h src/app/../engine/../format/gguf.h \
 src/app/../engine/../model/arch.h src/app/../engine/quant.h \
 src/app/../engine/../format/ggml_types.h src/app/../engine/sampler.h \
 src/app/../text/stream.h src/app/../text/tokenizer.h \
 src/app/../text/../format/gguf.h src/app/../text/../util/err.h \
 src/app/session.h src/app/../format/gguf.h src/app/../model/arch.h \
 src/app/../plan/gpuinfo.h src/app/../plan/planner.h \
 src/app/../plan/gpuinfo.h src/app/../plan/memory.h \
 src/app/../text/template.h src/app/../text/jinja.h
src/app/../format/ggml_types.h:
src/app/../plan/memory.h:
src/app/../plan/../format/ggml_types.h:
src/app/../plan/../format/gguf.h:
src/app/../plan/../format/../util/err.h:
src/app/../plan/../model/arch.h:
src/app/../plan/../model/../format/gguf.h:
src/app/../plan/../util/err.h:
src/app/../plan/workbuf.h:
src/app/commands.h:
src/app/config.h:
src/app/../util/err.h:
src/app/generate.h:
src/app/../engine/engine.h:
src/app/../engine/../plan/memory.h:
src/app/../engine/../plan/workbuf.h:
src/app/../engine/devmem.h:
src/app/../engine/../plan/gpuinfo.h:
src/app/../engine/../plan/../util/err.h:
src/app/../engine/../util/err.h:
src/app/../engine/model.h:
src/app/../engine/../format/gguf.h:
src/app/../engine/../model/arch.h:
src/app/../engine/quant.h:
src/app/../engine/../format/ggml_types.h:
src/app/../engine/sampler.h:
src/app/../text/stream.h:
src/app/../text/tokenizer.h:
src/app/../text/../format/gguf.h:
src/app/../text/../util/err.h:
src/app/session.h:
src/app/../format/gguf.h:
src/app/../model/arch.h:
src/app/../plan/gpuinfo.h:
src/app/../plan/planner.h:
src/app/../plan/gpuinfo.h:
src/app/../plan/memory.h:
src/app/../text/template.h:
src/app/../text/jinja.h:
