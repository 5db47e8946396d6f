build-m/src/app/config.o: src/app/config.c src/app/config.h \
 src/app/../util/err.h src/app/../format/ggml_types.h \
 src/app/../plan/memory.h src/app/../plan/../format/ggml_types.h \
 src/app/../plan/../format/gguf.h src/app/../plan/../format/../util/err.h \
 src/app/../plan/../model/arch.h \
 src/app/../plan/../model/../format/gguf.h src/app/../plan/../util/err.h \
 src/app/../plan/workbuf.h src/app/../text/template.h \
 src/app/../text/../util/err.h src/app/../text/jinja.h \
 src/app/../util/file.h src/app/../util/err.h src/app/../util/fmt.h \
 src/app/commands.h
src/app/config.h:
src/app/../util/err.h:
src/app/../format/ggml_types.h:
src/app/../plan/memory.h:
src/app/../plan/../format/ggml_types.h:
src/app/../plan/../format/gguf.h:
src/app/../plan/../format/../util/err.h:
src/app/../plan/../model/arch.h:
src/app/../plan/../model/../format/gguf.h:
src/app/../plan/../util/err.h:
src/app/../plan/workbuf.h:
src/app/../text/template.h:
src/app/../text/../util/err.h:
src/app/../text/jinja.h:
src/app/../util/file.h:
src/app/../util/err.h:
src/app/../util/fmt.h:
src/app/commands.h:
