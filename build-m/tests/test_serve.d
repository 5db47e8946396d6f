build-m/tests/test_serve.o: tests/test_serve.c \
 tests/../src/app/generate.h tests/../src/app/../engine/engine.h \
 tests/../src/app/../engine/../plan/memory.h \
 tests/../src/app/../engine/../plan/../format/ggml_types.h \
 tests/../src/app/../engine/../plan/../format/gguf.h \
 tests/../src/app/../engine/../plan/../format/../util/err.h \
 tests/../src/app/../engine/../plan/../model/arch.h \
 tests/../src/app/../engine/../plan/../model/../format/gguf.h \
 tests/../src/app/../engine/../plan/../util/err.h \
 tests/../src/app/../engine/../plan/workbuf.h \
 tests/../src/app/../engine/../plan/workbuf.h \
 tests/../src/app/../engine/devmem.h \
 tests/../src/app/../engine/../plan/gpuinfo.h \
 tests/../src/app/../engine/../util/err.h \
 tests/../src/app/../engine/model.h \
 tests/../src/app/../engine/../format/gguf.h \
 tests/../src/app/../engine/../model/arch.h \
 tests/../src/app/../engine/quant.h \
 tests/../src/app/../engine/../format/ggml_types.h \
 tests/../src/app/../engine/sampler.h tests/../src/app/../text/stream.h \
 tests/../src/app/../text/tokenizer.h \
 tests/../src/app/../text/../format/gguf.h \
 tests/../src/app/../text/../util/err.h tests/../src/app/../util/err.h \
 tests/../src/serve/format.h tests/../src/serve/request.h \
 tests/../src/serve/../text/template.h \
 tests/../src/serve/../text/../util/err.h \
 tests/../src/serve/../text/jinja.h tests/../src/serve/request.h \
 tests/lib/t.h
tests/../src/app/generate.h:
tests/../src/app/../engine/engine.h:
tests/../src/app/../engine/../plan/memory.h:
tests/../src/app/../engine/../plan/../format/ggml_types.h:
tests/../src/app/../engine/../plan/../format/gguf.h:
tests/../src/app/../engine/../plan/../format/../util/err.h:
tests/../src/app/../engine/../plan/../model/arch.h:
tests/../src/app/../engine/../plan/../model/../format/gguf.h:
tests/../src/app/../engine/../plan/../util/err.h:
tests/../src/app/../engine/../plan/workbuf.h:
tests/../src/app/../engine/../plan/workbuf.h:
tests/../src/app/../engine/devmem.h:
tests/../src/app/../engine/../plan/gpuinfo.h:
tests/../src/app/../engine/../util/err.h:
tests/../src/app/../engine/model.h:
tests/../src/app/../engine/../format/gguf.h:
tests/../src/app/../engine/../model/arch.h:
tests/../src/app/../engine/quant.h:
tests/../src/app/../engine/../format/ggml_types.h:
tests/../src/app/../engine/sampler.h:
tests/../src/app/../text/stream.h:
tests/../src/app/../text/tokenizer.h:
tests/../src/app/../text/../format/gguf.h:
tests/../src/app/../text/../util/err.h:
tests/../src/app/../util/err.h:
tests/../src/serve/format.h:
tests/../src/serve/request.h:
tests/../src/serve/../text/template.h:
tests/../src/serve/../text/../util/err.h:
tests/../src/serve/../text/jinja.h:
tests/../src/serve/request.h:
tests/lib/t.h:
