build-m/src/serve/request.o: src/serve/request.c src/serve/request.h \
 src/serve/../text/template.h src/serve/../text/../util/err.h \
 src/serve/../text/jinja.h src/serve/../text/stream.h \
 src/serve/../util/fmt.h
src/serve/request.h:
src/serve/../text/template.h:
src/serve/../text/../util/err.h:
src/serve/../text/jinja.h:
src/serve/../text/stream.h:
src/serve/../util/fmt.h:
