build-m/src/plan/workbuf.o: src/plan/workbuf.c src/plan/workbuf.h \
 src/plan/../model/arch.h src/plan/../model/../format/gguf.h \
 src/plan/../model/../format/../util/err.h
src/plan/workbuf.h:
src/plan/../model/arch.h:
src/plan/../model/../format/gguf.h:
src/plan/../model/../format/../util/err.h:
