build-m/src/text/pretok.o: src/text/pretok.c src/text/pretok.h \
 src/text/unicode.h
src/text/pretok.h:
src/text/unicode.h:
