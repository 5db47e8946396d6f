/* mkfixture NAME PATH — writes a header-only GGUF fixture shaped like a
 * published model (tests/lib/fixtures.h); "mkfixture --list" names them. */
#include <stdio.h>
#include <string.h>

#include "../lib/fixtures.h"

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (int i = 0; i < FX_N_ALL; i++) puts(FX_ALL[i]->name);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: mkfixture NAME PATH | --list\n");
        return 2;
    }
    const fx_shape *s = fx_find(argv[1]);
    if (!s) {
        fprintf(stderr, "mkfixture: unknown fixture '%s' (see --list)\n", argv[1]);
        return 2;
    }
    fc_err err = {0};
    uint64_t size = 0;
    if (fx_write(s, argv[2], &size, &err)) {
        fprintf(stderr, "mkfixture: %s\n", err.msg);
        return 1;
    }
    printf("%s: %llu bytes\n", argv[2], (unsigned long long)size);
    return 0;
}
