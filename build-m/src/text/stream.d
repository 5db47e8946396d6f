build-m/src/text/stream.o: src/text/stream.c src/text/stream.h
src/text/stream.h:
