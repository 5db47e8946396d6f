/* fuzz_gguf — libFuzzer target for the GGUF reader.
 *
 * Parses the input as a whole file, then walks every accessor and reads every
 * byte they point to (fuzz/gguf_touch.h), so that a file the reader accepts
 * but describes wrongly is a finding too, not only a crash in the parser.
 * A failed parse must leave a one-line FC_EINPUT message with an offset.
 * Build and run: make fuzz (see fuzz/Makefile). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/format/gguf.h"
#include "gguf_touch.h"

/* Keeps the bytes the walk reads observable, so they are really read. */
volatile uint64_t fuzz_gguf_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fc_err err = {0};
    gguf_file *f = gguf_parse(data, size, "fuzz.gguf", &err);
    if (!f) {
        /* Out of memory is the only other allowed class. */
        if (err.code != FC_EINPUT && err.code != FC_EFAIL) abort();
        if (err.code == FC_EINPUT && strncmp(err.msg, "fuzz.gguf: offset ", 18) != 0) abort();
        if (strchr(err.msg, '\n')) abort();
        return 0;
    }
    uint64_t s = 0;
    if (gguf_touch_all(f, &s) != 0) abort();
    fuzz_gguf_sink += s;
    gguf_close(f);
    return 0;
}
