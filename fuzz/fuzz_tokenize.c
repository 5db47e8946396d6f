/* fuzz_tokenize — libFuzzer target for encoding text a user types: the
 * input is the text, encoded with real vocabularies loaded once (GPT-2's
 * byte-level BPE and Llama's SentencePiece from tests/data/external/
 * tokenizer/, run from the repository root or with FITCHAT_TESTDATA), with
 * special-token parsing on and off and with a literal mask (message text
 * inside a rendered prompt). Every id must be in the vocabulary; with the
 * byte-level BPE, decoding gives the text back byte for byte (special
 * parsing off). Seeds: fuzz/corpus-tokenize/. Build and run:
 * make -f fuzz/Makefile run-tokenize. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/format/gguf.h"
#include "../src/text/tokenizer.h"

static struct {
    gguf_file *f;
    tokenizer *t;
    int byte_level;
} V[2];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *td = getenv("FITCHAT_TESTDATA");
    static const char *names[2] = {"ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tokenizer/%s", td && *td ? td : "tests/data/external", names[i]);
        fc_err err = {0};
        if (!(V[i].f = gguf_open(path, &err)) || !(V[i].t = tok_load(V[i].f, &err))) {
            fprintf(stderr, "fuzz_tokenize: %s\n", err.msg);
            exit(1);
        }
        V[i].byte_level = i == 0;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    for (int v = 0; v < 2; v++)
        for (int special = 0; special < 2; special++) {
            int32_t *ids = NULL;
            fc_err err = {0};
            int n = tok_encode(V[v].t, text, size, false, special, &ids, &err);
            if (n < 0) {
                if (err.code != FC_EINPUT || strchr(err.msg, '\n')) abort();
                continue;
            }
            size_t len_out = 0;
            char *back = malloc(size * 4 + 16);
            for (int i = 0; i < n; i++) {
                if (ids[i] < 0 || ids[i] >= tok_n_vocab(V[v].t)) abort();
                size_t len = 0;
                const char *p = tok_piece(V[v].t, ids[i], special, &len);
                if (back && len_out + len <= size * 4 + 16) memcpy(back + len_out, p, len);
                len_out += len;
            }
            /* byte-level BPE loses nothing: the pieces are the text */
            if (V[v].byte_level && !special && back && (len_out != size || memcmp(back, text, size) != 0)) abort();
            free(back);
            free(ids);
        }
    return 0;
}
