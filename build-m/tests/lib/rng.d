build-m/tests/lib/rng.o: tests/lib/rng.c tests/lib/rng.h
tests/lib/rng.h:
