build-m/src/engine/threads.o: src/engine/threads.c src/engine/threads.h
src/engine/threads.h:
