build-m/src/util/file.o: src/util/file.c src/util/file.h src/util/err.h \
 src/util/fmt.h
src/util/file.h:
src/util/err.h:
src/util/fmt.h:
