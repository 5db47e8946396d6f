/* tokenizer — loading a GGUF vocabulary, special-token splitting, and the
 * public API. The encoders live in tok_bpe.c and tok_spm.c. See tokenizer.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "unicode.h"

/* tokenizer.ggml.pre -> pre-tokenizer, after llama.cpp's llama_vocab::load. */
static const struct { const char *name; enum pretok_type type; bool llama3; } PRE_TYPES[] = {
    {"default", PRETOK_DEFAULT, false},
    {"llama3", PRETOK_LLAMA3, true}, {"llama-v3", PRETOK_LLAMA3, true}, {"llama-bpe", PRETOK_LLAMA3, true},
    {"falcon3", PRETOK_LLAMA3, true}, {"pixtral", PRETOK_LLAMA3, true},
    {"dbrx", PRETOK_LLAMA3, false}, {"smaug-bpe", PRETOK_LLAMA3, false},
    {"deepseek-llm", PRETOK_DEEPSEEK_LLM, false},
    {"deepseek-coder", PRETOK_DEEPSEEK_CODER, false},
    {"falcon", PRETOK_FALCON, false},
    {"mpt", PRETOK_GPT2, false}, {"gpt-2", PRETOK_GPT2, false}, {"phi-2", PRETOK_GPT2, false},
    {"olmo", PRETOK_GPT2, false}, {"jais", PRETOK_GPT2, false}, {"roberta-bpe", PRETOK_GPT2, false},
    {"jina-es", PRETOK_GPT2, false}, {"jina-de", PRETOK_GPT2, false}, {"gigachat", PRETOK_GPT2, false},
    {"jina-v1-en", PRETOK_GPT2, false}, {"jina-v2-es", PRETOK_GPT2, false},
    {"jina-v2-de", PRETOK_GPT2, false}, {"jina-v2-code", PRETOK_GPT2, false},
    {"starcoder", PRETOK_STARCODER, false}, {"refact", PRETOK_STARCODER, false},
    {"smollm", PRETOK_STARCODER, false}, {"command-r", PRETOK_STARCODER, false},
    {"codeshell", PRETOK_STARCODER, false}, {"exaone", PRETOK_STARCODER, false},
    {"minerva-7b", PRETOK_STARCODER, false},
    {"qwen2", PRETOK_QWEN2, false}, {"qwen2.5", PRETOK_QWEN2, false}, {"deepseek-r1-qwen", PRETOK_QWEN2, false},
    {"stablelm2", PRETOK_QWEN2, false}, {"megrez", PRETOK_QWEN2, false},
};

/* Texts that end a turn in the chat templates of common model families;
 * the first one present is the EOT token when the file names none. */
static const char *const EOT_TEXTS[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", /* DeepSeek */
    "<end_of_utterance>",
};
static const char *const EOG_TEXTS[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>",
    "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", /* DeepSeek */
};

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int32_t special_id(const gguf_file *f, const char *key, int32_t n_vocab, int32_t def) {
    int64_t v = gguf_get_int(f, key, def);
    return v >= 0 && v < n_vocab ? (int32_t)v : def;
}

static bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }
static int hex_val(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Builds the printable piece of every token (see tok_piece). */
static bool build_pieces(tokenizer *t) {
    uint64_t total = 0;
    for (int32_t i = 0; i < t->n_vocab; i++) total += t->text_len[i];
    /* a piece is never longer than its text: BPE maps 1-2 byte characters to
     * one byte, SPM maps 3-byte "▁" to one byte and <0xXX> to one byte */
    t->piece_arena = malloc(total + 1);
    t->piece_off = malloc(t->n_vocab * sizeof *t->piece_off);
    t->piece_len = malloc(t->n_vocab * sizeof *t->piece_len);
    if (!t->piece_arena || !t->piece_off || !t->piece_len) return false;
    uint32_t o = 0;
    for (int32_t i = 0; i < t->n_vocab; i++) {
        const char *s = t->text_arena + t->text_off[i];
        uint32_t n = t->text_len[i], k = 0;
        char *d = t->piece_arena + o;
        switch (t->type[i]) {
        case TT_NORMAL:
            if (t->model == TOK_BPE) {
                for (uint32_t j = 0; j < n;) {
                    uint32_t cp;
                    size_t used = utf8_decode(s + j, n - j, &cp);
                    int b = unicode_to_byte(cp);
                    if (b >= 0) d[k++] = (char)b;
                    else { memcpy(d + k, s + j, used); k += (uint32_t)used; }
                    j += (uint32_t)used;
                }
            } else {
                for (uint32_t j = 0; j < n;) {
                    if (n - j >= 3 && !memcmp(s + j, "\xE2\x96\x81", 3)) { d[k++] = ' '; j += 3; }
                    else d[k++] = s[j++];
                }
            }
            break;
        case TT_USER_DEFINED:
            memcpy(d, s, n);
            k = n;
            break;
        case TT_BYTE:
            if (n == 6 && !memcmp(s, "<0x", 3) && is_hex(s[3]) && is_hex(s[4]) && s[5] == '>')
                d[k++] = (char)(hex_val(s[3]) * 16 + hex_val(s[4]));
            break;
        default: /* control and unknown: shown only on request; unused: never */
            break;
        }
        t->piece_off[i] = o;
        t->piece_len[i] = k;
        o += k;
    }
    return true;
}

tokenizer *tok_load(const gguf_file *f, fc_err *err) {
    const char *model = gguf_get_str(f, "tokenizer.ggml.model", NULL);
    if (!model) {
        fc_errf(err, FC_EINPUT, "%s: no tokenizer (key tokenizer.ggml.model is missing)", f->path);
        return NULL;
    }
    enum tok_model kind;
    if (!strcmp(model, "gpt2")) kind = TOK_BPE;
    else if (!strcmp(model, "llama")) kind = TOK_SPM;
    else if (!strcmp(model, "bert")) kind = TOK_WPM;
    else {
        fc_errf(err, FC_EINPUT, "%s: tokenizer.ggml.model = \"%s\" is not supported (supported: gpt2, llama, bert)",
                f->path, model);
        return NULL;
    }
    const gguf_kv *tokens = gguf_find(f, "tokenizer.ggml.tokens");
    if (!tokens || tokens->type != GGUF_TYPE_ARRAY || tokens->arr_type != GGUF_TYPE_STRING ||
        tokens->arr_n == 0 || tokens->arr_n > (1u << 30)) {
        fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.tokens must be a non-empty array of strings", f->path);
        return NULL;
    }
    const gguf_kv *types = gguf_find(f, "tokenizer.ggml.token_type");
    if (types && (types->type != GGUF_TYPE_ARRAY || types->arr_n != tokens->arr_n ||
                  gguf_vtype_size(types->arr_type) == 0)) {
        fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.token_type must be an integer array of %llu entries",
                f->path, (unsigned long long)tokens->arr_n);
        return NULL;
    }
    const gguf_kv *scores = gguf_find(f, "tokenizer.ggml.scores");
    if (scores && (scores->type != GGUF_TYPE_ARRAY || scores->arr_n != tokens->arr_n ||
                   gguf_vtype_size(scores->arr_type) == 0)) {
        fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.scores must be a numeric array of %llu entries",
                f->path, (unsigned long long)tokens->arr_n);
        return NULL;
    }
    const gguf_kv *merges = NULL;
    enum pretok_type pre = PRETOK_DEFAULT;
    bool llama3 = false;
    const char *pre_name = gguf_get_str(f, "tokenizer.ggml.pre", "default");
    if (kind == TOK_BPE) {
        merges = gguf_find(f, "tokenizer.ggml.merges");
        if (!merges || merges->type != GGUF_TYPE_ARRAY || merges->arr_type != GGUF_TYPE_STRING ||
            merges->arr_n > (1u << 30)) {
            fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.merges must be an array of strings for a gpt2 tokenizer",
                    f->path);
            return NULL;
        }
        size_t i, n = sizeof PRE_TYPES / sizeof PRE_TYPES[0];
        for (i = 0; i < n && strcmp(PRE_TYPES[i].name, pre_name); i++) {}
        if (i == n) {
            fc_errf(err, FC_EINPUT, "%s: tokenizer.ggml.pre = \"%s\" is not a supported pre-tokenizer", f->path,
                    pre_name);
            return NULL;
        }
        pre = PRE_TYPES[i].type;
        llama3 = PRE_TYPES[i].llama3;
    }

    tokenizer *t = calloc(1, sizeof *t);
    if (!t) goto oom;
    t->model = kind;
    t->pre = pre;
    t->n_vocab = (int32_t)tokens->arr_n;
    int32_t n = t->n_vocab;
    if (kind == TOK_BPE) snprintf(t->kind, sizeof t->kind, "bpe (%s)", pre_name);
    else snprintf(t->kind, sizeof t->kind, kind == TOK_SPM ? "spm" : "wpm");

    /* vocabulary strings */
    uint64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        uint64_t len;
        if (!gguf_arr_str(tokens, (uint64_t)i, &len)) {
            fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.tokens: entry %d is unreadable", f->path, i);
            tok_free(t);
            return NULL;
        }
        total += len + 1;
    }
    if (total >= UINT32_MAX) {
        fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.tokens: %llu bytes of strings is too many", f->path,
                (unsigned long long)total);
        tok_free(t);
        return NULL;
    }
    t->text_arena = malloc(total);
    t->text_off = malloc(n * sizeof *t->text_off);
    t->text_len = malloc(n * sizeof *t->text_len);
    t->type = malloc(n);
    t->score = malloc(n * sizeof *t->score);
    t->eog = calloc(n, 1);
    if (!t->text_arena || !t->text_off || !t->text_len || !t->type || !t->score || !t->eog) goto oom;
    uint32_t o = 0;
    for (int32_t i = 0; i < n; i++) {
        uint64_t len;
        const char *s = gguf_arr_str(tokens, (uint64_t)i, &len);
        memcpy(t->text_arena + o, s, len);
        t->text_arena[o + len] = 0;
        t->text_off[i] = o;
        t->text_len[i] = (uint32_t)len;
        o += (uint32_t)len + 1;
        int64_t ty = types ? gguf_arr_int(types, (uint64_t)i, TT_NORMAL) : TT_NORMAL;
        t->type[i] = ty >= 0 && ty <= TT_BYTE ? (uint8_t)ty : TT_UNDEFINED;
        t->score[i] = scores ? (float)gguf_arr_float(scores, (uint64_t)i, 0) : 0.0f;
        if (len > t->max_token_len) t->max_token_len = (size_t)len;
    }
    /* a repeated token text maps to its last id, as llama.cpp's map assignment */
    if (!strtab_build(&t->vocab, t->text_arena, t->text_off, t->text_len, (uint32_t)n, false)) goto oom;

    if (kind == TOK_BPE) {
        t->n_merges = (uint32_t)merges->arr_n;
        total = 0;
        for (uint32_t i = 0; i < t->n_merges; i++) {
            uint64_t len;
            if (!gguf_arr_str(merges, i, &len)) {
                fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.merges: entry %u is unreadable", f->path, i);
                tok_free(t);
                return NULL;
            }
            total += len;
        }
        if (total >= UINT32_MAX) {
            fc_errf(err, FC_EINPUT, "%s: key tokenizer.ggml.merges is too large", f->path);
            tok_free(t);
            return NULL;
        }
        t->merge_arena = malloc(total + 1);
        t->merge_off = malloc((t->n_merges + 1) * sizeof *t->merge_off);
        t->merge_len = malloc((t->n_merges + 1) * sizeof *t->merge_len);
        if (!t->merge_arena || !t->merge_off || !t->merge_len) goto oom;
        o = 0;
        for (uint32_t i = 0; i < t->n_merges; i++) {
            uint64_t len;
            const char *s = gguf_arr_str(merges, i, &len);
            memcpy(t->merge_arena + o, s, len);
            t->merge_off[i] = o;
            t->merge_len[i] = (uint32_t)len;
            o += (uint32_t)len;
        }
        /* a repeated merge keeps its first (lowest) rank, as llama.cpp's map emplace */
        if (!strtab_build(&t->merges, t->merge_arena, t->merge_off, t->merge_len, t->n_merges, true)) goto oom;
        for (int b = 0; b < 256; b++) {
            uint32_t cp = bytes_to_unicode((uint8_t)b);
            char buf[4];
            size_t k = utf8_encode(cp, buf);
            memcpy(t->byte_utf8[b], buf, k);
            t->byte_utf8_len[b] = (uint8_t)k;
        }
        t->ignore_merges = llama3;
    }

    /* special ids: llama.cpp's defaults, then the file's keys */
    bool spm = kind == TOK_SPM, wpm = kind == TOK_WPM;
    t->bos = special_id(f, "tokenizer.ggml.bos_token_id", n, spm && n > 1 ? 1 : -1);
    t->eos = special_id(f, "tokenizer.ggml.eos_token_id", n, spm && n > 2 ? 2 : -1);
    t->unk = special_id(f, "tokenizer.ggml.unknown_token_id", n, spm ? 0 : -1);
    if (wpm) { /* BERT: [CLS] opens a text, [SEP] closes it ("seperator" is the key's spelling) */
        if (t->bos < 0) t->bos = special_id(f, "tokenizer.ggml.cls_token_id", n, n > 101 ? 101 : -1);
        if (t->eos < 0) t->eos = special_id(f, "tokenizer.ggml.seperator_token_id", n, n > 102 ? 102 : -1);
        if (t->unk < 0) t->unk = n > 100 ? 100 : -1;
    }
    t->eot = special_id(f, "tokenizer.ggml.eot_token_id", n, -1);
    t->add_bos = gguf_get_bool(f, "tokenizer.ggml.add_bos_token", spm || wpm || llama3);
    t->add_space_prefix = gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", spm);
    for (size_t i = 0; t->eot < 0 && i < sizeof EOT_TEXTS / sizeof EOT_TEXTS[0]; i++)
        t->eot = strtab_find(&t->vocab, EOT_TEXTS[i], strlen(EOT_TEXTS[i]));
    if (t->eos >= 0) t->eog[t->eos] = 1;
    if (t->eot >= 0) t->eog[t->eot] = 1;
    /* every end-of-generation id the file declares (eom: Llama 3.1 tool calls) */
    static const char *const EOG_KEYS[] = {"tokenizer.ggml.eom_token_id", "tokenizer.ggml.eot_token_id",
                                           "tokenizer.ggml.eos_token_id"};
    for (size_t i = 0; i < sizeof EOG_KEYS / sizeof EOG_KEYS[0]; i++) {
        int32_t id = special_id(f, EOG_KEYS[i], n, -1);
        if (id >= 0) t->eog[id] = 1;
    }
    for (size_t i = 0; i < sizeof EOG_TEXTS / sizeof EOG_TEXTS[0]; i++) {
        int32_t id = strtab_find(&t->vocab, EOG_TEXTS[i], strlen(EOG_TEXTS[i]));
        if (id >= 0) t->eog[id] = 1;
    }
    /* as llama.cpp: end-of-turn tokens are control tokens even when the
     * file forgot to say so, so that they print as nothing */
    for (int32_t i = 0; i < n; i++)
        if (t->eog[i] && t->type[i] == TT_NORMAL) t->type[i] = TT_CONTROL;

    for (int b = 0; b < 256; b++) {
        char hex[7];
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        t->byte_token[b] = strtab_find(&t->vocab, hex, 6);
        if (t->byte_token[b] < 0 && spm) {
            char c = (char)b;
            t->byte_token[b] = strtab_find(&t->vocab, &c, 1);
        }
    }

    /* tokens recognised in text before the model's own splitting */
    /* sorted longest first, then by id: keys (UINT32_MAX - length, id) */
    uint64_t *keys = malloc(n * sizeof *keys);
    t->specials = malloc(n * sizeof *t->specials);
    if (!keys || !t->specials) { free(keys); goto oom; }
    for (int32_t i = 0; i < n; i++) {
        uint8_t ty = t->type[i];
        if ((ty == TT_CONTROL || ty == TT_USER_DEFINED || ty == TT_UNKNOWN) && t->text_len[i] > 0)
            keys[t->n_specials++] = ((uint64_t)(UINT32_MAX - t->text_len[i]) << 32) | (uint32_t)i;
    }
    qsort(keys, t->n_specials, sizeof *keys, cmp_u64);
    for (size_t i = 0; i < t->n_specials; i++) t->specials[i] = (int32_t)(keys[i] & 0xFFFFFFFFu);
    free(keys);

    if (!build_pieces(t)) goto oom;
    return t;
oom:
    fc_errf(err, FC_EFAIL, "%s: out of memory loading the tokenizer", f->path);
    tok_free(t);
    return NULL;
}

void tok_free(tokenizer *t) {
    if (!t) return;
    free(t->text_arena);
    free(t->text_off);
    free(t->text_len);
    free(t->type);
    free(t->score);
    strtab_free(&t->vocab);
    free(t->piece_arena);
    free(t->piece_off);
    free(t->piece_len);
    free(t->merge_arena);
    free(t->merge_off);
    free(t->merge_len);
    strtab_free(&t->merges);
    free(t->specials);
    free(t->eog);
    free(t);
}

/* A piece of the input: raw text [start, end) or a recognised token. */
typedef struct frag { size_t start, end; int32_t id; } frag;
typedef struct frags { frag *v; size_t n, cap; } frags;

static bool frag_push(frags *fs, frag f) {
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        frag *v = realloc(fs->v, cap * sizeof *v);
        if (!v) return false;
        fs->v = v;
        fs->cap = cap;
    }
    fs->v[fs->n++] = f;
    return true;
}

/* Splits the raw fragments at every occurrence of each special token, the
 * longest tokens first (llama.cpp's tokenizer_st_partition). With a literal
 * mask, a control/unknown token is recognised only where none of its bytes
 * is literal (message text); user-defined tokens are recognised everywhere,
 * as without parse_special. */
static bool split_specials(const tokenizer *t, const char *text, bool parse_special, const unsigned char *literal,
                           frags *fs) {
    frags next = {0};
    for (size_t k = 0; k < t->n_specials; k++) {
        int32_t id = t->specials[k];
        bool user = t->type[id] == TT_USER_DEFINED;
        if (!parse_special && !user) continue;
        const unsigned char *mask = user ? NULL : literal;
        const char *tok = t->text_arena + t->text_off[id];
        size_t tlen = t->text_len[id];
        bool found = false;
        for (size_t i = 0; i < fs->n && !found; i++)
            found = fs->v[i].id < 0 && memmem(text + fs->v[i].start, fs->v[i].end - fs->v[i].start, tok, tlen);
        if (!found) continue;
        next.n = 0;
        for (size_t i = 0; i < fs->n; i++) {
            frag f = fs->v[i];
            if (f.id >= 0) {
                if (!frag_push(&next, f)) goto oom;
                continue;
            }
            size_t p = f.start, seg = f.start;
            for (;;) {
                const char *hit = memmem(text + p, f.end - p, tok, tlen);
                if (!hit) break;
                size_t h = (size_t)(hit - text);
                if (mask) { /* message text: not a token here */
                    bool lit = false;
                    for (size_t j = h; j < h + tlen && !lit; j++) lit = mask[j] != 0;
                    if (lit) { p = h + 1; continue; }
                }
                if (h > seg && !frag_push(&next, (frag){seg, h, -1})) goto oom;
                if (!frag_push(&next, (frag){h, h + tlen, id})) goto oom;
                p = seg = h + tlen;
            }
            if (seg < f.end && !frag_push(&next, (frag){seg, f.end, -1})) goto oom;
        }
        frags tmp = *fs; *fs = next; next = tmp;
    }
    free(next.v);
    return true;
oom:
    free(next.v);
    return false;
}

static int encode(const tokenizer *t, const char *text, size_t len, const unsigned char *literal, bool add_bos,
                  bool parse_special, int32_t **out, fc_err *err) {
    *out = NULL;
    if (len >= (1u << 30)) return fc_errf(err, FC_EINPUT, "text of %zu bytes is too long to tokenize", len);
    idvec ids = {0};
    frags fs = {0};
    if (add_bos && t->bos >= 0 && !idvec_push(&ids, t->bos)) goto oom;
    if (len && !frag_push(&fs, (frag){0, len, -1})) goto oom;
    if (!split_specials(t, text, parse_special, literal, &fs)) goto oom;
    bool prev_special = true; /* SentencePiece: a space in front of the text and after tokens */
    for (size_t i = 0; i < fs.n; i++) {
        frag f = fs.v[i];
        if (f.id >= 0) {
            if (!idvec_push(&ids, f.id)) goto oom;
            prev_special = true;
            continue;
        }
        bool ok;
        if (t->model == TOK_BPE) ok = bpe_encode_fragment(t, text + f.start, f.end - f.start, &ids);
        else if (t->model == TOK_WPM) ok = wpm_encode_fragment(t, text + f.start, f.end - f.start, &ids);
        else ok = spm_encode_fragment(t, text + f.start, f.end - f.start, t->add_space_prefix && prev_special, &ids);
        if (!ok) goto oom;
        prev_special = false;
    }
    free(fs.v);
    if (ids.n > INT32_MAX) { free(ids.v); return fc_errf(err, FC_EINPUT, "too many tokens"); }
    *out = ids.v;
    return (int)ids.n;
oom:
    free(fs.v);
    free(ids.v);
    return fc_errf(err, FC_EFAIL, "out of memory tokenizing %zu bytes", len);
}

int tok_encode(const tokenizer *t, const char *text, size_t len, bool add_bos, bool parse_special,
               int32_t **out, fc_err *err) {
    return encode(t, text, len, NULL, add_bos, parse_special, out, err);
}

int tok_encode_masked(const tokenizer *t, const char *text, size_t len, const unsigned char *literal, bool add_bos,
                      int32_t **out, fc_err *err) {
    return encode(t, text, len, literal, add_bos, true, out, err);
}

const char *tok_piece(const tokenizer *t, int32_t id, bool special, size_t *len) {
    if (id < 0 || id >= t->n_vocab) { *len = 0; return ""; }
    uint8_t ty = t->type[id];
    if (ty == TT_CONTROL || ty == TT_UNKNOWN) {
        *len = special ? t->text_len[id] : 0;
        return t->text_arena + t->text_off[id];
    }
    *len = t->piece_len[id];
    return t->piece_arena + t->piece_off[id];
}

const char *tok_text(const tokenizer *t, int32_t id) {
    return id >= 0 && id < t->n_vocab ? t->text_arena + t->text_off[id] : "";
}

int32_t tok_n_vocab(const tokenizer *t) { return t->n_vocab; }
int32_t tok_bos(const tokenizer *t) { return t->bos; }
int32_t tok_eos(const tokenizer *t) { return t->eos; }
int32_t tok_eot(const tokenizer *t) { return t->eot; }
bool tok_add_bos(const tokenizer *t) { return t->add_bos; }
bool tok_is_eog(const tokenizer *t, int32_t id) { return id >= 0 && id < t->n_vocab && t->eog[id]; }
int32_t tok_find(const tokenizer *t, const char *text, size_t len) { return strtab_find(&t->vocab, text, len); }
const char *tok_kind(const tokenizer *t) { return t->kind; }
