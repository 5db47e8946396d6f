build-m/src/engine/devmem.o: src/engine/devmem.c src/engine/devmem.h \
 src/engine/../plan/gpuinfo.h src/engine/../plan/../util/err.h \
 src/engine/../util/err.h
src/engine/devmem.h:
src/engine/../plan/gpuinfo.h:
src/engine/../plan/../util/err.h:
src/engine/../util/err.h:
