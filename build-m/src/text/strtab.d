build-m/src/text/strtab.o: src/text/strtab.c src/text/strtab.h
src/text/strtab.h:
