build-m/src/text/jinja_value.o: src/text/jinja_value.c \
 src/text/jinja_int.h src/text/jinja.h src/text/../util/err.h \
 src/text/unicode.h
src/text/jinja_int.h:
src/text/jinja.h:
src/text/../util/err.h:
src/text/unicode.h:
