build-m/src/text/tok_bpe.o: src/text/tok_bpe.c src/text/tok_internal.h \
 src/text/pretok.h src/text/strtab.h src/text/tokenizer.h \
 src/text/../format/gguf.h src/text/../format/../util/err.h \
 src/text/../util/err.h src/text/unicode.h
src/text/tok_internal.h:
src/text/pretok.h:
src/text/strtab.h:
src/text/tokenizer.h:
src/text/../format/gguf.h:
src/text/../format/../util/err.h:
src/text/../util/err.h:
src/text/unicode.h:
