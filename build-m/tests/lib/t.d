build-m/tests/lib/t.o: tests/lib/t.c tests/lib/t.h
tests/lib/t.h:
