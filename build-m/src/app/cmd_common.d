build-m/src/app/cmd_common.o: src/app/cmd_common.c src/app/commands.h \
 src/app/config.h src/app/../util/err.h
src/app/commands.h:
src/app/config.h:
src/app/../util/err.h:
