build-m/src/text/tok_heap.o: src/text/tok_heap.c src/text/tok_internal.h \
 src/text/pretok.h src/text/strtab.h src/text/tokenizer.h \
 src/text/../format/gguf.h src/text/../format/../util/err.h \
 src/text/../util/err.h
src/text/tok_internal.h:
src/text/pretok.h:
src/text/strtab.h:
src/text/tokenizer.h:
src/text/../format/gguf.h:
src/text/../format/../util/err.h:
src/text/../util/err.h:
