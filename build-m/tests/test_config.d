build-m/tests/test_config.o: tests/test_config.c \
 tests/../src/app/config.h tests/../src/app/../util/err.h \
 tests/../src/format/ggml_types.h tests/../src/text/template.h \
 tests/../src/text/../util/err.h tests/../src/text/jinja.h tests/lib/t.h
tests/../src/app/config.h:
tests/../src/app/../util/err.h:
tests/../src/format/ggml_types.h:
tests/../src/text/template.h:
tests/../src/text/../util/err.h:
tests/../src/text/jinja.h:
tests/lib/t.h:
