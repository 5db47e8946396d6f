build-m/src/app/paths.o: src/app/paths.c src/app/commands.h \
 src/app/config.h src/app/../util/err.h
src/app/commands.h:
src/app/config.h:
src/app/../util/err.h:
