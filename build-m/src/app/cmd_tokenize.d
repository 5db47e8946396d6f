build-m/src/app/cmd_tokenize.o: src/app/cmd_tokenize.c \
 src/app/../format/gguf.h src/app/../format/../util/err.h \
 src/app/../text/tokenizer.h src/app/../text/../format/gguf.h \
 src/app/../text/../util/err.h src/app/../text/unicode.h \
 src/app/commands.h src/app/config.h src/app/../util/err.h
src/app/../format/gguf.h:
src/app/../format/../util/err.h:
src/app/../text/tokenizer.h:
src/app/../text/../format/gguf.h:
src/app/../text/../util/err.h:
src/app/../text/unicode.h:
src/app/commands.h:
src/app/config.h:
src/app/../util/err.h:
