build-m/src/text/jinja_parse.o: src/text/jinja_parse.c \
 src/text/jinja_int.h src/text/jinja.h src/text/../util/err.h
src/text/jinja_int.h:
src/text/jinja.h:
src/text/../util/err.h:
