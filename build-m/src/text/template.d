build-m/src/text/template.o: src/text/template.c src/text/template.h \
 src/text/../util/err.h src/text/jinja.h
src/text/template.h:
src/text/../util/err.h:
src/text/jinja.h:
