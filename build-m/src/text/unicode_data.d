build-m/src/text/unicode_data.o: src/text/unicode_data.c \
 src/text/unicode.h
src/text/unicode.h:
