build-m/src/model/arch.o: src/model/arch.c src/model/arch.h \
 src/model/../format/gguf.h src/model/../format/../util/err.h
src/model/arch.h:
src/model/../format/gguf.h:
src/model/../format/../util/err.h:
