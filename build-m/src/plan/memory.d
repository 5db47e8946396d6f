build-m/src/plan/memory.o: src/plan/memory.c src/plan/memory.h \
 src/plan/../format/ggml_types.h src/plan/../format/gguf.h \
 src/plan/../format/../util/err.h src/plan/../model/arch.h \
 src/plan/../model/../format/gguf.h src/plan/../util/err.h \
 src/plan/workbuf.h
src/plan/memory.h:
src/plan/../format/ggml_types.h:
src/plan/../format/gguf.h:
src/plan/../format/../util/err.h:
src/plan/../model/arch.h:
src/plan/../model/../format/gguf.h:
src/plan/../util/err.h:
src/plan/workbuf.h:
