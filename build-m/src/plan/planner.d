build-m/src/plan/planner.o: src/plan/planner.c src/plan/planner.h \
 src/plan/gpuinfo.h src/plan/../util/err.h src/plan/memory.h \
 src/plan/../format/ggml_types.h src/plan/../format/gguf.h \
 src/plan/../format/../util/err.h src/plan/../model/arch.h \
 src/plan/../model/../format/gguf.h src/plan/workbuf.h \
 src/plan/../util/fmt.h
src/plan/planner.h:
src/plan/gpuinfo.h:
src/plan/../util/err.h:
src/plan/memory.h:
src/plan/../format/ggml_types.h:
src/plan/../format/gguf.h:
src/plan/../format/../util/err.h:
src/plan/../model/arch.h:
src/plan/../model/../format/gguf.h:
src/plan/workbuf.h:
src/plan/../util/fmt.h:
