build-m/src/app/main.o: src/app/main.c src/app/commands.h \
 src/app/config.h src/app/../util/err.h
src/app/commands.h:
src/app/config.h:
src/app/../util/err.h:
