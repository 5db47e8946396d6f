build-m/src/engine/vecmath.o: src/engine/vecmath.c src/engine/vecmath.h \
 src/engine/kvrot.h src/engine/../format/ggml_types.h
src/engine/vecmath.h:
src/engine/kvrot.h:
src/engine/../format/ggml_types.h:
