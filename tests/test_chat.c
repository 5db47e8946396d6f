/* The chat module: the UTF-8 assembler on split multi-byte characters, stop strings split
 * over tokens, /save -> /load round trips, the banner's plan line, and on the real default
 * model (skipped when absent): prefix reuse across turns (only new tokens evaluated, checked
 * against engine_n_past), /reset giving the same greedy reply, and context overflow dropping
 * the oldest turns while keeping the system prompt. */
#include <stdlib.h>
#include <string.h>

#include "../src/app/chat.h"
#include "../src/app/generate.h"
#include "../src/app/session.h"
#include "../src/format/ggml_types.h"
#include "lib/t.h"

/* ---- a recording emit callback ---- */

typedef struct sink {
    char buf[4096];
    size_t len;
    int calls;
    bool all_valid; /* every chunk was valid UTF-8 on its own */
} sink;

static void sink_emit(void *ctx, const char *text, size_t len) {
    sink *s = ctx;
    if (!txt_utf8_valid(text, len)) s->all_valid = false;
    if (s->len + len < sizeof s->buf) {
        memcpy(s->buf + s->len, text, len);
        s->len += len;
        s->buf[s->len] = '\0';
    }
    s->calls++;
}

static void sink_init(sink *s) {
    memset(s, 0, sizeof *s);
    s->all_valid = true;
}

/* ---- UTF-8 ---- */

static void test_utf8_split(void) {
    /* é (2 bytes), € (3), 😀 (4), then ASCII: pushed one byte at a time. */
    const char *text = "a\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 z";
    txt_stream st;
    txt_stream_init(&st, NULL);
    sink s;
    sink_init(&s);
    for (size_t i = 0; text[i]; i++) {
        CHECK_EQ_INT(txt_stream_push(&st, text + i, 1, sink_emit, &s), 0);
        /* Never more than the complete characters so far. */
        CHECK(txt_utf8_valid(s.buf, s.len));
    }
    CHECK_EQ_INT(txt_stream_finish(&st, sink_emit, &s), 0);
    CHECK(s.all_valid);
    CHECK_STR(s.buf, text);
    CHECK_STR(st.text, text);
    txt_stream_free(&st);

    /* Byte pieces that split a character across tokens the way byte-level BPE does. */
    txt_stream_init(&st, NULL);
    sink_init(&s);
    txt_stream_push(&st, "x\xF0\x9F", 3, sink_emit, &s);
    CHECK_STR(s.buf, "x");
    txt_stream_push(&st, "\x98", 1, sink_emit, &s);
    CHECK_STR(s.buf, "x");
    txt_stream_push(&st, "\x80y", 2, sink_emit, &s);
    CHECK_STR(s.buf, "x\xF0\x9F\x98\x80y");
    txt_stream_free(&st);
}

static void test_utf8_invalid(void) {
    char out[64];
    size_t o = 0;
    /* A lone continuation byte and an overlong encoding become U+FFFD each byte. */
    size_t used = txt_utf8_take("a\x80" "b\xC0\xAF", 5, false, out, &o);
    CHECK_EQ_INT(used, 5);
    CHECK(o == 11 && !memcmp(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD", 11));
    /* An incomplete tail is held back, or replaced when final. */
    used = txt_utf8_take("ab\xE2\x82", 4, false, out, &o);
    CHECK_EQ_INT(used, 2);
    CHECK_EQ_INT(o, 2);
    used = txt_utf8_take("ab\xE2\x82", 4, true, out, &o);
    CHECK_EQ_INT(used, 4);
    CHECK(o == 5 && !memcmp(out, "ab\xEF\xBF\xBD", 5));
    /* A lead byte followed by ASCII: the lead is invalid, the ASCII survives. */
    used = txt_utf8_take("\xE2z", 2, false, out, &o);
    CHECK_EQ_INT(used, 2);
    CHECK(o == 4 && !memcmp(out, "\xEF\xBF\xBDz", 4));
    CHECK(txt_utf8_valid("\xED\x9F\xBF", 3));  /* U+D7FF */
    CHECK(!txt_utf8_valid("\xED\xA0\x80", 3)); /* a surrogate */
    CHECK(!txt_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */

    /* The stream never emits invalid text, even when the model produces it. */
    txt_stream st;
    txt_stream_init(&st, NULL);
    sink s;
    sink_init(&s);
    txt_stream_push(&st, "ok\xFF", 3, sink_emit, &s);
    txt_stream_push(&st, "\xE2\x82", 2, sink_emit, &s);
    txt_stream_finish(&st, sink_emit, &s);
    CHECK(s.all_valid);
    CHECK_STR(s.buf, "ok\xEF\xBF\xBD\xEF\xBF\xBD");
    txt_stream_free(&st);
}

/* ---- stop strings ---- */

static void test_stop_split(void) {
    static const char *const stops[] = {"<|im_end|>", "</s>", NULL};
    txt_stream st;
    sink s;
    /* Split over three tokens: nothing of it is shown, the text before it is. */
    txt_stream_init(&st, stops);
    sink_init(&s);
    CHECK_EQ_INT(txt_stream_push(&st, "Hello <|", 8, sink_emit, &s), 0);
    CHECK_STR(s.buf, "Hello ");
    CHECK_EQ_INT(txt_stream_push(&st, "im_e", 4, sink_emit, &s), 0);
    CHECK_EQ_INT(txt_stream_push(&st, "nd|> more", 9, sink_emit, &s), 1);
    CHECK_STR(s.buf, "Hello ");
    CHECK_STR(st.text, "Hello ");
    CHECK(st.stopped);
    CHECK_EQ_INT(txt_stream_push(&st, "x", 1, sink_emit, &s), 1);
    CHECK_EQ_INT(txt_stream_finish(&st, sink_emit, &s), 0);
    CHECK_STR(s.buf, "Hello ");
    txt_stream_free(&st);

    /* A held-back prefix that turns out not to be a stop string is shown after all. */
    txt_stream_init(&st, stops);
    sink_init(&s);
    CHECK_EQ_INT(txt_stream_push(&st, "a </", 4, sink_emit, &s), 0);
    CHECK_STR(s.buf, "a ");
    CHECK_EQ_INT(txt_stream_push(&st, "b> c", 4, sink_emit, &s), 0);
    CHECK_STR(s.buf, "a </b> c");
    /* ... and at the end of the reply. */
    CHECK_EQ_INT(txt_stream_push(&st, " <|im", 5, sink_emit, &s), 0);
    CHECK_STR(s.buf, "a </b> c ");
    CHECK_EQ_INT(txt_stream_finish(&st, sink_emit, &s), 0);
    CHECK_STR(s.buf, "a </b> c <|im");
    txt_stream_free(&st);

    /* The stop string inside one piece, with a multi-byte character before it. */
    txt_stream_init(&st, stops);
    sink_init(&s);
    CHECK_EQ_INT(txt_stream_push(&st, "caf\xC3", 4, sink_emit, &s), 0);
    CHECK_EQ_INT(txt_stream_push(&st, "\xA9</s>tail", 9, sink_emit, &s), 1);
    CHECK_STR(s.buf, "caf\xC3\xA9");
    CHECK(s.all_valid);
    txt_stream_free(&st);
}

/* ---- save / load ---- */

static void fill(fc_chat *c) {
    fc_err e = {0};
    CHECK(chat_set_system(c, "Be brief.", &e) == 0);
    CHECK(chat_push(c, TMPL_USER, "Hi \"there\"\n\xC3\xA9", &e) == 0);
    CHECK(chat_push(c, TMPL_ASSISTANT, "Hello!", &e) == 0);
    CHECK(chat_push(c, TMPL_USER, "Bye", &e) == 0);
}

static void test_save_load(void) {
    fc_chat a = {.tmpl = TMPL_CHATML}, b = {.tmpl = TMPL_CHATML};
    fc_err e = {0};
    fill(&a);
    char path[1024];
    snprintf(path, sizeof path, "%s/conv.json", t_tmpdir());
    CHECK_MSG(chat_save(&a, path, &e) == 0, "%s", e.msg);
    CHECK(chat_set_system(&b, "other", &e) == 0);
    CHECK(chat_push(&b, TMPL_USER, "to be replaced", &e) == 0);
    CHECK_MSG(chat_load(&b, path, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(b.n_msgs, a.n_msgs);
    for (int i = 0; i < a.n_msgs && i < b.n_msgs; i++) {
        CHECK_EQ_INT(b.msgs[i].role, a.msgs[i].role);
        CHECK_STR(b.msgs[i].content, a.msgs[i].content);
    }
    CHECK_EQ_INT(chat_n_turns(&b), 2);

    /* A bare array without a system message keeps the current system prompt. */
    CHECK(chat_from_json(&b, "[{\"role\":\"user\",\"content\":\"x\"}]", "t", &e) == 0);
    CHECK_EQ_INT(b.n_loaded, 1);
    CHECK_EQ_INT(b.n_msgs, 2);
    CHECK_STR(chat_system(&b), "Be brief.");

    /* Bad files change nothing and name what is wrong. */
    CHECK(chat_from_json(&b, "[{\"role\":\"robot\",\"content\":\"x\"}]", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "f.json: message 1: role 'robot'"), "%s", e.msg);
    CHECK(chat_from_json(&b, "[{\"role\":\"user\",\"content\":\"x\"}] trailing", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "f.json: line 1: not valid JSON (near offset 32)"), "%s", e.msg);
    CHECK(chat_from_json(&b, "{\"format\":\"other\",\"messages\":[]}", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "\"format\" must be"), "%s", e.msg);
    CHECK(chat_from_json(&b, "{\"version\":2,\"messages\":[]}", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "\"version\" must be 1"), "%s", e.msg);
    CHECK(chat_from_json(&b, "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "message 1: needs string") && strstr(e.msg, "list of parts"), "%s", e.msg);
    CHECK(chat_from_json(&b, "[{\"role\":\"user\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"caf\xe9\"}]", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "message 2: content is not valid UTF-8 (byte 0xE9 at offset 3 of it)"), "%s", e.msg);
    /* typed text is checked where it enters: /save never writes what /load refuses */
    CHECK(chat_push(&b, TMPL_USER, "caf\xe9", &e) == -1 && e.code == FC_EINPUT);
    CHECK_MSG(strstr(e.msg, "the message is not valid UTF-8 (byte 0xE9 at offset 3"), "%s", e.msg);
    CHECK(chat_set_system(&b, "\xff", &e) == -1);
    CHECK_STR(chat_system(&b), "Be brief.");
    CHECK(chat_from_json(&b, "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"system\",\"content\":\"y\"}]", "f.json",
                         &e) == -1);
    CHECK_MSG(strstr(e.msg, "system message can only come first"), "%s", e.msg);
    CHECK(chat_from_json(&b, "{\"messages\": 3}", "f.json", &e) == -1);
    CHECK(chat_from_json(&b, "{nope", "f.json", &e) == -1);
    CHECK_MSG(strstr(e.msg, "not valid JSON"), "%s", e.msg);
    CHECK_EQ_INT(b.n_msgs, 2);
    CHECK(chat_load(&b, "/nonexistent/x.json", &e) == -1 && e.code == FC_EINPUT);

    /* /reset keeps the system prompt; /system replaces it. */
    chat_reset(&a);
    CHECK_EQ_INT(a.n_msgs, 1);
    CHECK_STR(chat_system(&a), "Be brief.");
    CHECK(chat_set_system(&a, "New.", &e) == 0);
    CHECK_EQ_INT(a.n_msgs, 1);
    CHECK_STR(chat_system(&a), "New.");
    CHECK(chat_set_system(&a, NULL, &e) == 0);
    CHECK_EQ_INT(a.n_msgs, 0);
    chat_free(&a);
    chat_free(&b);
}

/* ---- the banner line ---- */

static void test_plan_line(void) {
    plan_result r;
    memset(&r, 0, sizeof r);
    gpu_inventory inv;
    memset(&inv, 0, sizeof inv);
    r.n_layer = 30;
    r.cfg.n_ctx = 4096;
    r.cfg.type_k = r.cfg.type_v = GGML_TYPE_F16;
    r.cpu.total = 118ull << 20;
    snprintf(inv.reason, sizeof inv.reason, "NVML: library not found (libnvidia-ml.so.1); CUDA runtime: no device (35)");
    char line[512];
    CHECK_STR(session_plan_line(line, sizeof line, &r, &inv),
              "0/30 layers on GPU (no GPU: NVML: library not found; CUDA runtime: no device), KV f16, 4096 ctx, CPU 118 MiB");

    r.n_layer = 32;
    r.n_gpu_layers = 24;
    r.cfg.n_ctx = 8192;
    r.cfg.type_k = r.cfg.type_v = GGML_TYPE_Q8_0;
    r.n_dev = 1;
    r.dev[0].bytes.total = (uint64_t)(6.1 * (1u << 30));
    inv.n = 1;
    snprintf(inv.dev[0].name, sizeof inv.dev[0].name, "RTX 3070");
    inv.dev[0].total = 8ull << 30;
    CHECK_STR(session_plan_line(line, sizeof line, &r, &inv), "24/32 layers on RTX 3070, KV q8_0, 8192 ctx, 6.1 of 8.0 GiB");
    r.cfg.type_v = GGML_TYPE_F16;
    inv.n = 2;
    inv.dev[1] = inv.dev[0];
    CHECK_STR(session_plan_line(line, sizeof line, &r, &inv),
              "24/32 layers on 2x RTX 3070, KV q8_0/f16, 8192 ctx, 6.1 of 16.0 GiB");
    inv.n = 3;
    snprintf(inv.dev[2].name, sizeof inv.dev[2].name, "RTX 3060");
    inv.dev[2].total = 12ull << 30;
    CHECK_STR(session_plan_line(line, sizeof line, &r, &inv),
              "24/32 layers on 2x RTX 3070 + RTX 3060, KV q8_0/f16, 8192 ctx, 6.1 of 28.0 GiB");
}

/* ---- on the real model ---- */

static bool open_model(fc_session *s, fc_chat *c, const char *n_ctx, const char *max_tokens) {
    const char *model = t_model_path();
    if (!model) { t_skip("default model absent (make models)"); return false; }
    char *argv[] = {"-m", (char *)model, "--temp", "0", "-t", "1", "-c", (char *)n_ctx, "-n", (char *)max_tokens};
    fc_config cfg;
    fc_err e = {0};
    /* Flags only: no modelconf.json from the environment. */
    if (config_init(&cfg, &e) || config_apply_args(&cfg, 10, argv, NULL, NULL, &e)) {
        t_fail(__FILE__, __LINE__, "config: %s", e.msg);
        config_free(&cfg);
        return false;
    }
    int rc = session_open(s, &cfg, &e);
    config_free(&cfg);
    if (rc) { t_fail(__FILE__, __LINE__, "session_open: %s", e.msg); return false; }
    chat_init(c, s->engine, s->tok, s->sampler, s->tmpl, s->max_tokens, &e);
    chat_set_system(c, s->default_system, &e);
    return true;
}

static void test_prefix_reuse(void) {
    fc_session s;
    fc_chat c;
    if (!open_model(&s, &c, "1024", "12")) return;
    fc_err e = {0};
    sink out;
    sink_init(&out);
    CHECK_MSG(chat_reply(&c, "Hi!", sink_emit, &out, NULL, &e) == 0, "%s", e.msg);
    int first_prompt = c.last.n_prompt;
    CHECK_EQ_INT(c.last.n_reused, 0);
    CHECK(first_prompt > 10);
    CHECK(c.last.n_gen > 0);
    CHECK(out.all_valid);
    CHECK_EQ_INT(engine_n_past(s.engine), c.n_cache);
    CHECK_EQ_INT(engine_n_past(s.engine), first_prompt + c.last.n_gen); /* every shown token was evaluated */
    int after_first = engine_n_past(s.engine);

    CHECK_MSG(chat_reply(&c, "Tell me a fact.", sink_emit, &out, NULL, &e) == 0, "%s", e.msg);
    /* Everything up to the first reply stays cached; only the new turn (and the first
     * reply's closing markers) is evaluated. */
    CHECK_MSG(c.last.n_reused >= first_prompt, "reused %d of a first prompt of %d", c.last.n_reused, first_prompt);
    CHECK_MSG(c.last.n_prompt < 20, "evaluated %d prompt tokens for a short second turn", c.last.n_prompt);
    CHECK(c.last.n_reused + c.last.n_prompt > after_first);
    CHECK_EQ_INT(engine_n_past(s.engine), c.n_cache);
    CHECK_EQ_INT(chat_n_turns(&c), 2);
    chat_free(&c);
    session_close(&s);
}

static void test_reset_same_reply(void) {
    fc_session s;
    fc_chat c;
    if (!open_model(&s, &c, "1024", "16")) return;
    fc_err e = {0};
    sink a, b, x;
    sink_init(&a);
    sink_init(&b);
    sink_init(&x);
    CHECK(chat_reply(&c, "What is 2+2?", sink_emit, &a, NULL, &e) == 0);
    CHECK(chat_reply(&c, "Name a color.", sink_emit, &x, NULL, &e) == 0);
    chat_reset(&c);
    CHECK_EQ_INT(c.n_msgs, 1);
    CHECK(chat_reply(&c, "What is 2+2?", sink_emit, &b, NULL, &e) == 0);
    CHECK(a.len > 0);
    CHECK_MSG(!strcmp(a.buf, b.buf), "after /reset:\n [%s]\n [%s]", a.buf, b.buf);
    chat_free(&c);
    session_close(&s);
}

static void test_overflow(void) {
    fc_session s;
    fc_chat c;
    if (!open_model(&s, &c, "128", "16")) return;
    fc_err e = {0};
    const char *sys = chat_system(&c);
    CHECK(sys != NULL);
    char *sys_copy = sys ? strdup(sys) : NULL;
    int dropped = 0;
    for (int i = 0; i < 6; i++) {
        sink out;
        sink_init(&out);
        int rc = chat_reply(&c, "Tell me something interesting about the sea.", sink_emit, &out, NULL, &e);
        CHECK_MSG(rc == 0, "turn %d: %s", i, e.msg);
        dropped += c.last.n_dropped;
        CHECK(engine_n_past(s.engine) <= engine_n_ctx(s.engine));
        CHECK_EQ_INT(engine_n_past(s.engine), c.n_cache);
        CHECK_STR(chat_system(&c), sys_copy);
    }
    CHECK_MSG(dropped > 0, "six turns in 128 tokens dropped nothing");
    CHECK(chat_n_turns(&c) < 6);
    /* A message that cannot fit at all is an input error and leaves the conversation as it was. */
    int n_before = c.n_msgs, n_turns_before = chat_n_turns(&c);
    CHECK(n_turns_before > 1);
    char big[2000];
    for (size_t i = 0; i + 1 < sizeof big; i++) big[i] = "word "[i % 5];
    big[sizeof big - 1] = '\0';
    sink out;
    sink_init(&out);
    CHECK(chat_reply(&c, big, sink_emit, &out, NULL, &e) == -1 && e.code == FC_EINPUT);
    CHECK_MSG(strstr(e.msg, "context holds 128"), "%s", e.msg);
    CHECK_EQ_INT(c.n_msgs, n_before);
    CHECK_EQ_INT(chat_n_turns(&c), n_turns_before);
    CHECK_STR(chat_system(&c), sys_copy);
    free(sys_copy);
    chat_free(&c);
    session_close(&s);
}

static void test_interrupt(void) {
    fc_session s;
    fc_chat c;
    if (!open_model(&s, &c, "512", "64")) return;
    fc_err e = {0};
    volatile sig_atomic_t stop = 1;
    sink out;
    sink_init(&out);
    /* Interrupted before anything was shown: the turn is forgotten. */
    CHECK(chat_reply(&c, "Hello", sink_emit, &out, &stop, &e) == 0);
    CHECK(c.last.interrupted);
    CHECK_EQ_INT(chat_n_turns(&c), 0);
    CHECK_EQ_INT(out.len, 0);
    stop = 0;
    CHECK(chat_reply(&c, "Hello", sink_emit, &out, &stop, &e) == 0);
    CHECK(!c.last.interrupted);
    CHECK_EQ_INT(chat_n_turns(&c), 1);
    chat_free(&c);
    session_close(&s);
}

/* session_generate's stop rules on the real model (greedy): max tokens (the
 * last token shown, not evaluated: the history stays what the cache holds),
 * a stop string (the text ends before it, taken from an earlier greedy
 * reply), the context full, an interrupt before the first token. */
static void test_generate_stops(void) {
    fc_session s;
    fc_chat c;
    if (!open_model(&s, &c, "64", "8")) return;
    fc_err e = {0};
    int32_t *prompt = NULL;
    const char *text = "The capital of France is";
    int np = tok_encode(s.tok, text, strlen(text), tok_add_bos(s.tok), false, &prompt, &e);
    CHECK(np > 0);
    gen_history h = {0};
    gen_result r;
    sink out;
    /* max tokens */
    engine_rewind(s.engine, 0);
    CHECK(engine_eval(s.engine, prompt, np, NULL, &e) == 0);
    h.n = 0;
    CHECK(gen_history_reserve(&h, np, &e) == 0);
    memcpy(h.ids, prompt, (size_t)np * sizeof *prompt);
    h.n = np;
    sink_init(&out);
    gen_params gp = {.max_tokens = 5, .emit = sink_emit, .emit_ctx = &out};
    CHECK(session_generate(s.engine, s.tok, s.sampler, &h, &gp, &r, &e) == 0);
    CHECK_EQ_INT(r.stop, GEN_MAX_TOKENS);
    CHECK_EQ_INT(r.n_gen, 5);
    CHECK_EQ_INT(h.n, np + 4);
    CHECK_EQ_INT(engine_n_past(s.engine), h.n);
    CHECK_EQ_INT((int)r.text_len, (int)out.len);
    char first[256];
    snprintf(first, sizeof first, "%s", r.text);
    free(r.text);
    /* a stop string from the middle of that reply */
    size_t fl = strlen(first);
    CHECK_MSG(fl >= 6, "reply '%s' too short", first);
    if (fl >= 6) {
        char stop[8];
        memcpy(stop, first + fl / 2, 3);
        stop[3] = 0;
        const char *stops[] = {stop, NULL};
        engine_rewind(s.engine, 0);
        CHECK(engine_eval(s.engine, prompt, np, NULL, &e) == 0);
        h.n = np;
        sink_init(&out);
        gen_params gs = {.max_tokens = 5, .stops = stops, .emit = sink_emit, .emit_ctx = &out};
        CHECK(session_generate(s.engine, s.tok, s.sampler, &h, &gs, &r, &e) == 0);
        CHECK_EQ_INT(r.stop, GEN_STOP_STRING);
        const char *at = strstr(first, stop);
        CHECK_MSG(at && r.text_len == (size_t)(at - first) && !strncmp(r.text, first, r.text_len),
                  "'%s' with stop '%s' gave '%s'", first, stop, r.text);
        free(r.text);
    }
    /* the context full (64), no end-of-generation stop */
    engine_rewind(s.engine, 0);
    CHECK(engine_eval(s.engine, prompt, np, NULL, &e) == 0);
    h.n = np;
    gen_params gc = {.max_tokens = -1};
    CHECK(session_generate(s.engine, s.tok, s.sampler, &h, &gc, &r, &e) == 0);
    CHECK_EQ_INT(r.stop, GEN_CTX_FULL);
    CHECK_EQ_INT(h.n, 64);
    CHECK_EQ_INT(r.n_gen, 64 - np + 1);
    free(r.text);
    /* interrupted at once */
    volatile sig_atomic_t stop_now = 1;
    gen_params gi = {.max_tokens = 5, .interrupt = &stop_now};
    CHECK(session_generate(s.engine, s.tok, s.sampler, &h, &gi, &r, &e) == 0);
    CHECK_EQ_INT(r.stop, GEN_INTERRUPTED);
    CHECK_EQ_INT(r.n_gen, 0);
    CHECK(r.text && r.text_len == 0);
    free(r.text);
    free(h.ids);
    free(prompt);
    chat_free(&c);
    session_close(&s);
}

/* Two sinks: answer and thinking; the reply given in pieces of every size from 1 to 9 bytes. */
typedef struct think_sinks { char answer[256], thinking[256]; size_t na, nt; } think_sinks;
static void to_answer(void *ctx, const char *t, size_t n) {
    think_sinks *s = ctx;
    if (s->na + n < sizeof s->answer) { memcpy(s->answer + s->na, t, n); s->na += n; s->answer[s->na] = 0; }
}
static void to_thinking(void *ctx, const char *t, size_t n) {
    think_sinks *s = ctx;
    if (s->nt + n < sizeof s->thinking) { memcpy(s->thinking + s->nt, t, n); s->nt += n; s->thinking[s->nt] = 0; }
}

static void test_think_split(void) {
    struct { const char *reply; bool starts; const char *answer, *thinking; } c[] = {
        {"<think>\nLet me see: 2<3.\n</think>\n\nIt is 4 <b>.", false, "\n\nIt is 4 <b>.", "<think>\nLet me see: 2<3.\n</think>"},
        {"7 times 6 is 42.\n</think>\n\n42", true, "\n\n42", "7 times 6 is 42.\n</think>"},
        {"no thinking <thin at all </think>", false, "no thinking <thin at all </think>", ""},
        {"<think>cut off <", false, "", "<think>cut off <"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        for (size_t piece = 1; piece <= 9; piece++) {
            for (int hide = 0; hide < 2; hide++) {
                think_sinks s = {0};
                chat_think t;
                chat_think_init(&t, &c[i].starts, to_answer, hide ? NULL : to_thinking, &s);
                size_t n = strlen(c[i].reply);
                for (size_t k = 0; k < n; k += piece) chat_think_push(&t, c[i].reply + k, n - k < piece ? n - k : piece);
                chat_think_finish(&t);
                CHECK_MSG(!strcmp(s.answer, c[i].answer), "case %zu piece %zu: answer [%s]", i, piece, s.answer);
                CHECK_MSG(!strcmp(s.thinking, hide ? "" : c[i].thinking), "case %zu piece %zu: thinking [%s]", i, piece,
                          s.thinking);
            }
        }
    }
}

int main(void) {
    T_RUN(test_think_split);
    T_RUN(test_utf8_split);
    T_RUN(test_utf8_invalid);
    T_RUN(test_stop_split);
    T_RUN(test_save_load);
    T_RUN(test_plan_line);
    T_RUN(test_prefix_reuse);
    T_RUN(test_reset_same_reply);
    T_RUN(test_overflow);
    T_RUN(test_interrupt);
    T_RUN(test_generate_stops);
    return t_done();
}
