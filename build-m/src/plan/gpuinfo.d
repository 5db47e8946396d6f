build-m/src/plan/gpuinfo.o: src/plan/gpuinfo.c src/plan/gpuinfo.h \
 src/plan/../util/err.h src/plan/../util/fmt.h
src/plan/gpuinfo.h:
src/plan/../util/err.h:
src/plan/../util/fmt.h:
