/* End-to-end tests of `fitchat info` on the real default model and on the
 * vocabulary-only files of the shared test data.
 *
 * The expected numbers come from outside the code under test: a separate
 * streaming walk of the GGUF header written here (not src/format/gguf.c),
 * block sizes written by hand (Q4_1 = 20 bytes per 32, Q8_0 = 34 per 32,
 * F32 = 4), the file size from stat(), and the model's published config
 * (SmolLM2-135M: 30 layers, 576 embd, 9 heads, 3 KV heads, ff 1536, vocab
 * 49152, ctx 8192, RoPE base 100000). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/format/gguf.h"
#include "lib/t.h"

/* --- an independent header walk ------------------------------------------ */

enum { W_Q4_1 = 3, W_Q8_0 = 8, W_F32 = 0 };

typedef struct {
    unsigned version;
    uint64_t n_tensors, n_kv;
    uint64_t infos_end;      /* file offset after the last tensor info */
    uint64_t layer_bytes[64];
    uint32_t layer_tensors[64];
    uint64_t outside_bytes, total_bytes;
    uint64_t embd_bytes;     /* token_embd.weight */
    uint32_t n_type[3];      /* F32, Q4_1, Q8_0 */
    uint64_t type_bytes[3];
    uint64_t n_tokens, n_merges;
    int unknown_type;        /* a tensor type this walk has no block size for */
} walk;

static FILE *wf;
static uint64_t wpos;
static int wfail;

static void rd(void *p, size_t n) {
    if (fread(p, 1, n, wf) != n) { wfail = 1; memset(p, 0, n); }
    wpos += n;
}
static uint32_t rd32(void) { uint32_t v; rd(&v, 4); return v; }
static uint64_t rd64(void) { uint64_t v; rd(&v, 8); return v; }
static void skip(uint64_t n) { if (fseeko(wf, (off_t)n, SEEK_CUR)) wfail = 1; wpos += n; }
static void rd_name(char *buf, size_t cap) {
    uint64_t n = rd64();
    if (n >= cap) { wfail = 1; skip(n); buf[0] = 0; return; }
    rd(buf, n);
    buf[n] = 0;
}

static void skip_value(uint32_t t, uint64_t *n_out) {
    static const int size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (t == 8) { skip(rd64()); return; }
    if (t == 9) {
        uint32_t et = rd32();
        uint64_t n = rd64();
        if (n_out) *n_out = n;
        for (uint64_t i = 0; i < n && !wfail; i++) {
            if (et != 8 && et != 9) { skip(n * (uint64_t)size[et]); break; }
            skip_value(et, NULL);
        }
        return;
    }
    if (t > 12) { wfail = 1; return; }
    skip((uint64_t)size[t]);
}

static int layer_of(const char *name) {
    if (strncmp(name, "blk.", 4)) return -1;
    return atoi(name + 4);
}

static int walk_file(const char *path, walk *w) {
    memset(w, 0, sizeof *w);
    wf = fopen(path, "rb");
    if (!wf) return -1;
    wpos = 0;
    wfail = 0;
    char magic[4], name[256];
    rd(magic, 4);
    w->version = rd32();
    w->n_tensors = rd64();
    w->n_kv = rd64();
    for (uint64_t i = 0; i < w->n_kv && !wfail; i++) {
        rd_name(name, sizeof name);
        uint32_t t = rd32();
        uint64_t n = 0;
        skip_value(t, &n);
        if (!strcmp(name, "tokenizer.ggml.tokens")) w->n_tokens = n;
        if (!strcmp(name, "tokenizer.ggml.merges")) w->n_merges = n;
    }
    for (uint64_t i = 0; i < w->n_tensors && !wfail; i++) {
        rd_name(name, sizeof name);
        uint32_t nd = rd32();
        uint64_t n = 1;
        for (uint32_t d = 0; d < nd; d++) n *= rd64();
        uint32_t type = rd32();
        rd64(); /* offset */
        uint64_t bytes;
        int slot;
        if (type == W_F32) { bytes = n * 4; slot = 0; }
        else if (type == W_Q4_1) { bytes = n / 32 * 20; slot = 1; }
        else if (type == W_Q8_0) { bytes = n / 32 * 34; slot = 2; }
        else { w->unknown_type = 1; continue; }
        w->n_type[slot]++;
        w->type_bytes[slot] += bytes;
        w->total_bytes += bytes;
        int il = layer_of(name);
        if (il >= 0 && il < 64) { w->layer_bytes[il] += bytes; w->layer_tensors[il]++; }
        else w->outside_bytes += bytes;
        if (!strcmp(name, "token_embd.weight")) w->embd_bytes = bytes;
    }
    w->infos_end = wpos;
    fclose(wf);
    return wfail || memcmp(magic, "GGUF", 4) ? -1 : 0;
}

/* --- running the program -------------------------------------------------- */

static const char *build_dir(void) {
    const char *b = getenv("FITCHAT_BUILD");
    return b && *b ? b : "build";
}

/* Runs fitchat with args; returns the exit status and stdout (malloc'd). */
static int run(const char *args, char **out) {
    char outp[600], cmd[2400];
    snprintf(outp, sizeof outp, "%s/stdout.txt", t_tmpdir());
    snprintf(cmd, sizeof cmd, "%s/fitchat %s >'%s'", build_dir(), args, outp);
    int st = system(cmd);
    *out = NULL;
    FILE *fp = fopen(outp, "rb");
    if (fp) {
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        *out = calloc(1, (size_t)n + 1);
        if (fread(*out, 1, (size_t)n, fp) != (size_t)n) (*out)[0] = 0;
        fclose(fp);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}
static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "(not a string)";
}

#define CHECK_CONTAINS(hay, needle) CHECK_MSG(hay && strstr(hay, needle), "output lacks '%s'", needle)

/* --- the default model ---------------------------------------------------- */

static void test_default_model_json(void) {
    const char *model = t_model_path();
    if (!model) { t_skip("default model absent (make models)"); return; }
    walk w;
    CHECK(walk_file(model, &w) == 0);
    CHECK(!w.unknown_type);
    struct stat st;
    CHECK(stat(model, &st) == 0);

    char args[1200];
    snprintf(args, sizeof args, "info --json '%s'", model);
    char *out;
    CHECK_EQ_INT(run(args, &out), 0);
    cJSON *j = cJSON_Parse(out ? out : "");
    CHECK_MSG(j, "--json output does not parse:\n%.400s", out ? out : "");
    if (!j) { free(out); return; }

    CHECK_STR(str(j, "file"), model);
    CHECK_EQ_U64(num(j, "file_size"), (uint64_t)st.st_size);
    CHECK_EQ_INT(num(j, "gguf_version"), 3);
    CHECK_EQ_INT(w.version, 3);
    CHECK_EQ_U64(num(j, "n_kv"), w.n_kv);
    CHECK_EQ_U64(num(j, "n_tensors"), w.n_tensors);
    CHECK_EQ_U64(w.n_tensors, 272);
    CHECK_EQ_INT(num(j, "alignment"), 32);
    CHECK_EQ_U64(num(j, "data_offset"), (w.infos_end + 31) / 32 * 32);
    CHECK_EQ_U64(num(j, "tensor_bytes"), w.total_bytes);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "vocab_only")));
    CHECK_STR(str(j, "architecture"), "llama");

    /* The published config of SmolLM2-135M-Instruct. */
    const cJSON *h = cJSON_GetObjectItem(j, "hparams");
    CHECK(cJSON_IsObject(h));
    CHECK_EQ_INT(num(h, "n_layer"), 30);
    CHECK_EQ_INT(num(h, "n_embd"), 576);
    CHECK_EQ_INT(num(h, "n_head"), 9);
    CHECK_EQ_INT(num(h, "n_head_kv"), 3);
    CHECK_EQ_INT(num(h, "head_dim"), 64);
    CHECK_EQ_INT(num(h, "head_dim_v"), 64);
    CHECK_EQ_INT(num(h, "n_ff"), 1536);
    CHECK_EQ_INT(num(h, "n_vocab"), 49152);
    CHECK_EQ_INT(num(h, "n_ctx_train"), 8192);
    CHECK_NEAR(num(h, "rope_base"), 100000, 0);
    CHECK_STR(str(h, "rope_type"), "normal");
    CHECK_EQ_INT(num(h, "rope_dims"), 64);
    CHECK_NEAR(num(h, "norm_eps"), 1e-5, 1e-12);
    CHECK_EQ_INT(num(h, "n_swa"), 0);
    CHECK_EQ_INT(num(h, "n_expert"), 0);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(h, "tied_output")));

    /* Type histogram: counts known for this file, bytes from the walk. */
    const cJSON *types = cJSON_GetObjectItem(j, "tensor_types");
    CHECK_EQ_INT(cJSON_GetArraySize(types), 3);
    struct { const char *name; int slot; int count; } want[] = {{"F32", 0, 61}, {"Q4_1", 1, 210}, {"Q8_0", 2, 1}};
    for (int i = 0; i < 3; i++) {
        const cJSON *row = NULL, *it;
        cJSON_ArrayForEach(it, types) if (!strcmp(str(it, "type"), want[i].name)) row = it;
        CHECK_MSG(row, "no %s row", want[i].name);
        if (!row) continue;
        CHECK_EQ_INT(num(row, "count"), want[i].count);
        CHECK_EQ_INT(w.n_type[want[i].slot], want[i].count);
        CHECK_EQ_U64(num(row, "bytes"), w.type_bytes[want[i].slot]);
    }

    /* Layers: each from the walk, and from the config by hand: q and o are
     * 576x576, k and v 576x192, gate/up/down 576x1536 in Q4_1, two F32 norms. */
    const uint64_t layer_by_config = (2ull * 576 * 576 + 2ull * 576 * 192 + 3ull * 576 * 1536) / 32 * 20 + 2 * 576 * 4;
    CHECK_EQ_U64(layer_by_config, 2216448);
    const cJSON *layers = cJSON_GetObjectItem(j, "layers");
    CHECK_EQ_INT(num(layers, "count"), 30);
    const cJSON *lb = cJSON_GetObjectItem(layers, "bytes");
    CHECK_EQ_INT(cJSON_GetArraySize(lb), 30);
    uint64_t lsum = 0, lmin = UINT64_MAX, lmax = 0;
    for (int i = 0; i < 30; i++) {
        const cJSON *v = cJSON_GetArrayItem(lb, i);
        CHECK_EQ_U64(v ? v->valuedouble : -1, w.layer_bytes[i]);
        CHECK_EQ_U64(w.layer_bytes[i], layer_by_config);
        CHECK_EQ_INT(w.layer_tensors[i], 9);
        lsum += w.layer_bytes[i];
        if (w.layer_bytes[i] < lmin) lmin = w.layer_bytes[i];
        if (w.layer_bytes[i] > lmax) lmax = w.layer_bytes[i];
    }
    CHECK_EQ_U64(num(layers, "total_bytes"), lsum);
    CHECK_EQ_U64(num(layers, "min_bytes"), lmin);
    CHECK_EQ_U64(num(layers, "max_bytes"), lmax);

    /* Outside the layers: the Q8_0 embeddings (49152 x 576) and the final norm. */
    const cJSON *outside = cJSON_GetObjectItem(j, "outside_layers");
    CHECK_EQ_U64(num(outside, "total_bytes"), w.outside_bytes);
    CHECK_EQ_U64(w.outside_bytes, 49152ull * 576 / 32 * 34 + 576 * 4);
    CHECK_EQ_U64(w.outside_bytes + lsum, w.total_bytes);
    const cJSON *ot = cJSON_GetObjectItem(outside, "tensors");
    CHECK_EQ_INT(cJSON_GetArraySize(ot), 2);
    const cJSON *emb = cJSON_GetArrayItem(ot, 0);
    CHECK_STR(str(emb, "name"), "token_embd.weight");
    CHECK_STR(str(emb, "role"), "embeddings");
    CHECK_STR(str(emb, "type"), "Q8_0");
    CHECK_EQ_U64(num(emb, "bytes"), w.embd_bytes);

    const cJSON *tok = cJSON_GetObjectItem(j, "tokenizer");
    CHECK_STR(str(tok, "model"), "gpt2");
    CHECK_STR(str(tok, "pre"), "smollm");
    CHECK_EQ_U64(num(tok, "n_tokens"), w.n_tokens);
    CHECK_EQ_U64(w.n_tokens, 49152);
    CHECK_EQ_U64(num(tok, "n_merges"), w.n_merges);
    CHECK_STR(str(cJSON_GetObjectItem(j, "chat_template"), "name"), "chatml");
    CHECK_MSG(cJSON_IsString(cJSON_GetObjectItem(j, "chat_prompt")) &&
                  !strcmp(cJSON_GetObjectItem(j, "chat_prompt")->valuestring,
                          "Jinja template (tokenizer.chat_template), built-in chatml as fallback"),
              "chat_prompt is not the Jinja path");
    cJSON_Delete(j);
    free(out);
}

/* The human report prints the same numbers. */
static void test_default_model_human(void) {
    const char *model = t_model_path();
    if (!model) { t_skip("default model absent (make models)"); return; }
    walk w;
    CHECK(walk_file(model, &w) == 0);
    struct stat st;
    CHECK(stat(model, &st) == 0);
    char args[1200], line[200];
    snprintf(args, sizeof args, "info -v '%s'", model);
    char *out;
    CHECK_EQ_INT(run(args, &out), 0);
    snprintf(line, sizeof line, "(%lld bytes)", (long long)st.st_size);
    CHECK_CONTAINS(out, line);
    CHECK_CONTAINS(out, "version 3, 33 metadata keys, 272 tensors, alignment 32");
    CHECK_CONTAINS(out, "architecture   llama\n");
    CHECK_CONTAINS(out, "  layers                 30\n");
    CHECK_CONTAINS(out, "  embedding size         576\n");
    CHECK_CONTAINS(out, "  attention heads        9\n");
    CHECK_CONTAINS(out, "  KV heads               3 (grouped-query attention)\n");
    CHECK_CONTAINS(out, "  head dim               64\n");
    CHECK_CONTAINS(out, "  feed-forward size      1536\n");
    CHECK_CONTAINS(out, "  vocabulary             49152\n");
    CHECK_CONTAINS(out, "  trained context        8192 tokens\n");
    CHECK_CONTAINS(out, "  RoPE                   base 100000, normal, 64 dims");
    CHECK_CONTAINS(out, "  norm epsilon           1e-05\n");
    CHECK_CONTAINS(out, "  Q4_1          210");
    CHECK_CONTAINS(out, "  Q8_0            1");
    CHECK_CONTAINS(out, "  F32            61");
    snprintf(line, sizeof line, "in 30 layers; each 2.11 MiB (%llu bytes)", (unsigned long long)w.layer_bytes[0]);
    CHECK_CONTAINS(out, line);
    for (int i = 0; i < 30; i++) {
        snprintf(line, sizeof line, "  layer %-4d %12s  %llu bytes, %u tensors\n", i, "2.11 MiB",
                 (unsigned long long)w.layer_bytes[i], w.layer_tensors[i]);
        CHECK_CONTAINS(out, line);
    }
    CHECK_CONTAINS(out, "token_embd.weight        embeddings   Q8_0");
    CHECK_CONTAINS(out, "tokenizer      gpt2 (byte-level BPE), pre-tokenizer smollm, 49152 tokens, 48900 merges\n");
    CHECK_CONTAINS(out, "chat template  chatml");
    CHECK_CONTAINS(out, "chat prompt    Jinja template (tokenizer.chat_template), built-in chatml as fallback\n");
    free(out);
    /* Without -v: no per-layer lines. */
    snprintf(args, sizeof args, "info '%s'", model);
    CHECK_EQ_INT(run(args, &out), 0);
    CHECK(out && !strstr(out, "  layer 0 "));
    free(out);
}

/* --- vocabulary-only files ------------------------------------------------ */

static void test_vocab_files(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tokenizer", t_testdata());
    DIR *d = opendir(dir);
    if (!d) { t_skip("%s absent", dir); return; }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf")) continue;
        char path[2048], args[2200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fc_err err = {0};
        gguf_file *f = gguf_open(path, &err);
        CHECK_MSG(f, "%s", err.msg);
        if (f) {
            walk w;
            CHECK_MSG(walk_file(path, &w) == 0, "%s: independent walk failed", path);
            CHECK_EQ_U64(f->n_kv, w.n_kv);
            CHECK_EQ_U64(f->n_tensors, w.n_tensors);
            CHECK_EQ_U64(gguf_arr_n(gguf_find(f, "tokenizer.ggml.tokens")), w.n_tokens);
            CHECK_MSG(w.n_tokens > 0, "%s: no tokens", path);
        }
        gguf_close(f);
        snprintf(args, sizeof args, "info '%s'", path);
        char *out;
        CHECK_MSG(run(args, &out) == 0, "fitchat info %s failed", path);
        CHECK_CONTAINS(out, "no tensors (vocabulary only)");
        free(out);
        snprintf(args, sizeof args, "info --json '%s'", path);
        CHECK_MSG(run(args, &out) == 0, "fitchat info --json %s failed", path);
        cJSON *j = cJSON_Parse(out ? out : "");
        CHECK_MSG(j && cJSON_IsTrue(cJSON_GetObjectItem(j, "vocab_only")), "%s: bad JSON", path);
        cJSON_Delete(j);
        free(out);
        n++;
    }
    closedir(d);
    CHECK_MSG(n >= 5, "only %d vocabulary files found in %s", n, dir);
}

int main(void) {
    T_RUN(test_default_model_json);
    T_RUN(test_default_model_human);
    T_RUN(test_vocab_files);
    return t_done();
}
