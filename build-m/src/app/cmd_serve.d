build-m/src/app/cmd_serve.o: src/app/cmd_serve.c src/app/../serve/http.h \
 src/app/../serve/../util/err.h src/app/../serve/format.h \
 src/app/../serve/request.h src/app/../serve/../text/template.h \
 src/app/../serve/../text/../util/err.h src/app/../serve/../text/jinja.h \
 src/app/../serve/sched.h src/app/../serve/../app/generate.h \
 src/app/../serve/../app/../engine/engine.h \
 src/app/../serve/../app/../engine/../plan/memory.h \
 src/app/../serve/../app/../engine/../plan/../format/ggml_types.h \
 src/app/../serve/../app/../engine/../plan/../format/gguf.h \
 src/app/../serve/../app/../engine/../plan/../format/../util/err.h \
 src/app/../serve/../app/../engine/../plan/../model/arch.h \
 src/app/../serve/../app/../engine/../plan/../model/../format/gguf.h \
 src/app/../serve/../app/../engine/../plan/../util/err.h \
 src/app/../serve/../app/../engine/../plan/workbuf.h \
 src/app/../serve/../app/../engine/../plan/workbuf.h \
 src/app/../serve/../app/../engine/devmem.h \
 src/app/../serve/../app/../engine/../plan/gpuinfo.h \
 src/app/../serve/../app/../engine/../util/err.h \
 src/app/../serve/../app/../engine/model.h \
 src/app/../serve/../app/../engine/../format/gguf.h \
 src/app/../serve/../app/../engine/../model/arch.h \
 src/app/../serve/../app/../engine/quant.h \
 src/app/../serve/../app/../engine/../format/ggml_types.h \
 src/app/../serve/../app/../engine/sampler.h \
 src/app/../serve/../app/../text/stream.h \
 src/app/../serve/../app/../text/tokenizer.h \
 src/app/../serve/../app/../text/../format/gguf.h \
 src/app/../serve/../app/../text/../util/err.h \
 src/app/../serve/../app/../util/err.h src/app/../serve/../app/session.h \
 src/app/../serve/../app/../format/gguf.h \
 src/app/../serve/../app/../model/arch.h \
 src/app/../serve/../app/../plan/gpuinfo.h \
 src/app/../serve/../app/../plan/memory.h \
 src/app/../serve/../app/../plan/planner.h \
 src/app/../serve/../app/../plan/gpuinfo.h \
 src/app/../serve/../app/../plan/memory.h \
 src/app/../serve/../app/../text/template.h \
 src/app/../serve/../app/config.h src/app/../serve/sched.h \
 src/app/../util/file.h src/app/../util/err.h src/app/../util/fmt.h \
 src/app/commands.h src/app/config.h src/app/session.h
src/app/../serve/http.h:
src/app/../serve/../util/err.h:
src/app/../serve/format.h:
src/app/../serve/request.h:
src/app/../serve/../text/template.h:
src/app/../serve/../text/../util/err.h:
src/app/../serve/../text/jinja.h:
src/app/../serve/sched.h:
src/app/../serve/../app/generate.h:
src/app/../serve/../app/../engine/engine.h:
src/app/../serve/../app/../engine/../plan/memory.h:
src/app/../serve/../app/../engine/../plan/../format/ggml_types.h:
src/app/../serve/../app/../engine/../plan/../format/gguf.h:
src/app/../serve/../app/../engine/../plan/../format/../util/err.h:
src/app/../serve/../app/../engine/../plan/../model/arch.h:
src/app/../serve/../app/../engine/../plan/../model/../format/gguf.h:
src/app/../serve/../app/../engine/../plan/../util/err.h:
src/app/../serve/../app/../engine/../plan/workbuf.h:
src/app/../serve/../app/../engine/../plan/workbuf.h:
src/app/../serve/../app/../engine/devmem.h:
src/app/../serve/../app/../engine/../plan/gpuinfo.h:
src/app/../serve/../app/../engine/../util/err.h:
src/app/../serve/../app/../engine/model.h:
src/app/../serve/../app/../engine/../format/gguf.h:
src/app/../serve/../app/../engine/../model/arch.h:
src/app/../serve/../app/../engine/quant.h:
src/app/../serve/../app/../engine/../format/ggml_types.h:
src/app/../serve/../app/../engine/sampler.h:
src/app/../serve/../app/../text/stream.h:
src/app/../serve/../app/../text/tokenizer.h:
src/app/../serve/../app/../text/../format/gguf.h:
src/app/../serve/../app/../text/../util/err.h:
src/app/../serve/../app/../util/err.h:
src/app/../serve/../app/session.h:
src/app/../serve/../app/../format/gguf.h:
src/app/../serve/../app/../model/arch.h:
src/app/../serve/../app/../plan/gpuinfo.h:
src/app/../serve/../app/../plan/memory.h:
src/app/../serve/../app/../plan/planner.h:
src/app/../serve/../app/../plan/gpuinfo.h:
src/app/../serve/../app/../plan/memory.h:
src/app/../serve/../app/../text/template.h:
src/app/../serve/../app/config.h:
src/app/../serve/sched.h:
src/app/../util/file.h:
src/app/../util/err.h:
src/app/../util/fmt.h:
src/app/commands.h:
src/app/config.h:
src/app/session.h:
