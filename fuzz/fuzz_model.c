/* fuzz_model — libFuzzer target for everything a model file drives after the
 * GGUF reader: the model description (architecture hyper-parameters, also
 * absurd ones that the reader accepts), the tokenizer loader (and encoding
 * and decoding a fixed text with it), the memory model and the planner, and
 * the engine's setup with one forward pass of a few tokens on a tiny plan.
 * So a value such as a sliding window of 2^31 reaches the code that uses it.
 *
 * Every refusal must be a one-line FC_EINPUT or FC_EFAIL message; anything
 * else (a crash, a sanitizer report, a second line) is a finding. The seeds
 * (fuzz/corpus-model/, written by tests/tools/gen_model_seeds) are tiny
 * runnable llama, gemma3 and qwen2 models with SentencePiece and byte-level
 * BPE vocabularies. Build and run: make fuzz-model (see fuzz/Makefile). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/engine.h"
#include "../src/engine/model.h"
#include "../src/format/gguf.h"
#include "../src/model/arch.h"
#include "../src/plan/gpuinfo.h"
#include "../src/plan/memory.h"
#include "../src/plan/planner.h"
#include "../src/text/tokenizer.h"

volatile uint64_t fuzz_model_sink;

static void check_err(const fc_err *err) {
    if (err->code != FC_EINPUT && err->code != FC_EFAIL) abort();
    if (!err->msg[0] || strchr(err->msg, '\n')) abort();
}

static void tokenizer_round(const gguf_file *f) {
    fc_err err = {0};
    tokenizer *t = tok_load(f, &err);
    if (!t) { check_err(&err); return; }
    static const char text[] = "Hello world! <s>1234 \xC3\xA9t\xC3\xA9 \xE2\x96\x81 <|im_start|>user\n\t  x";
    for (int special = 0; special < 2; special++) {
        int32_t *ids = NULL;
        int n = tok_encode(t, text, sizeof text - 1, tok_add_bos(t), special, &ids, &err);
        if (n < 0) { check_err(&err); continue; }
        for (int i = 0; i < n; i++) {
            if (ids[i] < 0 || ids[i] >= tok_n_vocab(t)) abort();
            size_t len = 0;
            const char *p = tok_piece(t, ids[i], special, &len);
            for (size_t k = 0; k < len; k++) fuzz_model_sink += (uint8_t)p[k];
            fuzz_model_sink += tok_is_eog(t, ids[i]);
        }
        free(ids);
    }
    tok_free(t);
}

static void engine_round(const gguf_file *f, const model_desc *d) {
    fc_err err = {0};
    mem_model m;
    if (mem_model_init(&m, f, d, &err)) { check_err(&err); return; }
    gpu_inventory inv;
    memset(&inv, 0, sizeof inv);
    inv.host_avail = 256u << 20; /* plans that need more are refused, as on a small machine */
    plan_params p;
    plan_params_default(&p);
    p.n_ctx = 16;
    p.n_batch = 4;
    plan_result *r = malloc(sizeof *r);
    if (!r) abort();
    int rc = plan_compute(&m, &inv, &p, r, &err);
    mem_model_free(&m);
    if (rc) { check_err(&err); free(r); return; }
    if (!arch_runnable(d) || plan_host_need(r) > inv.host_avail) { free(r); return; }
    fc_engine_params ep = {.n_ctx = r->cfg.n_ctx, .n_batch = r->cfg.n_batch, .n_threads = 1,
                           .type_k = r->cfg.type_k, .type_v = r->cfg.type_v, .flash = r->cfg.flash};
    free(r);
    fc_engine *e = engine_new(f, d, &ep, &err);
    if (!e) { check_err(&err); return; }
    int32_t toks[5] = {0, 1, 2, 3, 1};
    for (int i = 0; i < 5; i++) toks[i] %= (int32_t)(d->n_vocab ? d->n_vocab : 1);
    /* a batch, then one token (the path generation takes) */
    if (engine_eval(e, toks, 4, NULL, &err) == 0 && engine_eval(e, toks + 4, 1, NULL, &err) == 0) {
        const float *lg = engine_logits(e);
        for (uint32_t i = 0; lg && i < d->n_vocab; i++) fuzz_model_sink += lg[i] > 0;
    } else {
        check_err(&err);
    }
    engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fc_err err = {0};
    gguf_file *f = gguf_parse(data, size, "fuzz.gguf", &err);
    if (!f) { check_err(&err); return 0; }
    model_desc d;
    if (model_desc_load(f, &d, &err)) {
        check_err(&err);
    } else {
        tokenizer_round(f);
        engine_round(f, &d);
        model_desc_free(&d);
    }
    gguf_close(f);
    return 0;
}
