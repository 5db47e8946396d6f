build-m/src/engine/sampler.o: src/engine/sampler.c src/engine/sampler.h
src/engine/sampler.h:
