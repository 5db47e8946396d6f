/* Chat templates: each family renders a fixed conversation to the string its published
 * template produces (expected strings written out by hand from the published formats: HF
 * tokenizer_config.json chat templates and llama.cpp's template list; leading BOS omitted,
 * see template.h), and detection works on real template texts (tests/data/templates/,
 * extracted by tests/data/templates/extract.sh). */
#include <stdlib.h>
#include <string.h>

#include "../src/text/template.h"
#include "lib/t.h"

#define SYS "You are terse."

/* user, assistant, user (+ generation prompt), optionally after a system prompt. */
static char *render(enum tmpl_kind kind, bool with_system, bool gen) {
    tmpl_msg m[4] = {
        {TMPL_SYSTEM, SYS},
        {TMPL_USER, "Hello"},
        {TMPL_ASSISTANT, "Hi there"},
        {TMPL_USER, "Who are you?"},
    };
    char *out = NULL;
    fc_err e = {0};
    int rc = with_system ? tmpl_render(kind, m, 4, gen, &out, &e) : tmpl_render(kind, m + 1, 3, gen, &out, &e);
    CHECK_MSG(rc == 0, "%s: %s", tmpl_name(kind), e.msg);
    return out;
}

static void expect(enum tmpl_kind kind, bool with_system, const char *want) {
    char *got = render(kind, with_system, true);
    CHECK_MSG(got && !strcmp(got, want), "%s%s:\n got  [%s]\n want [%s]", tmpl_name(kind),
              with_system ? " +system" : "", got ? got : "(null)", want);
    free(got);
}

static void test_chatml(void) {
    expect(TMPL_CHATML, false,
           "<|im_start|>user\nHello<|im_end|>\n"
           "<|im_start|>assistant\nHi there<|im_end|>\n"
           "<|im_start|>user\nWho are you?<|im_end|>\n"
           "<|im_start|>assistant\n");
    expect(TMPL_CHATML, true,
           "<|im_start|>system\n" SYS "<|im_end|>\n"
           "<|im_start|>user\nHello<|im_end|>\n"
           "<|im_start|>assistant\nHi there<|im_end|>\n"
           "<|im_start|>user\nWho are you?<|im_end|>\n"
           "<|im_start|>assistant\n");
    char *no_gen = render(TMPL_CHATML, false, false);
    CHECK_STR(no_gen, "<|im_start|>user\nHello<|im_end|>\n"
                      "<|im_start|>assistant\nHi there<|im_end|>\n"
                      "<|im_start|>user\nWho are you?<|im_end|>\n");
    free(no_gen);
}

/* Llama-2-chat: bos + '[INST] ' + strip + ' [/INST]', assistant ' ' + strip + ' ' + eos. */
static void test_llama2(void) {
    expect(TMPL_LLAMA2, false, "[INST] Hello [/INST] Hi there </s><s>[INST] Who are you? [/INST]");
    expect(TMPL_LLAMA2, true,
           "[INST] <<SYS>>\n" SYS "\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you? [/INST]");
    /* No generation prompt of its own: the same text either way. */
    char *a = render(TMPL_LLAMA2, true, false), *b = render(TMPL_LLAMA2, true, true);
    CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
}

/* Mistral-7B-Instruct v0.1: bos + '[INST] ' + content + ' [/INST]', content + eos. */
static void test_mistral(void) {
    expect(TMPL_MISTRAL, false, "[INST] Hello [/INST]Hi there</s>[INST] Who are you? [/INST]");
    expect(TMPL_MISTRAL, true, "[INST] " SYS "\n\nHello [/INST]Hi there</s>[INST] Who are you? [/INST]");
}

static void test_llama3(void) {
    expect(TMPL_LLAMA3, false,
           "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
           "<|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\n");
    expect(TMPL_LLAMA3, true,
           "<|start_header_id|>system<|end_header_id|>\n\n" SYS "<|eot_id|>"
           "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
           "<|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

static void test_gemma(void) {
    expect(TMPL_GEMMA, false,
           "<start_of_turn>user\nHello<end_of_turn>\n"
           "<start_of_turn>model\nHi there<end_of_turn>\n"
           "<start_of_turn>user\nWho are you?<end_of_turn>\n"
           "<start_of_turn>model\n");
    expect(TMPL_GEMMA, true,
           "<start_of_turn>user\n" SYS "\n\nHello<end_of_turn>\n"
           "<start_of_turn>model\nHi there<end_of_turn>\n"
           "<start_of_turn>user\nWho are you?<end_of_turn>\n"
           "<start_of_turn>model\n");
}

static void test_phi3(void) {
    expect(TMPL_PHI3, false,
           "<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you?<|end|>\n<|assistant|>\n");
    expect(TMPL_PHI3, true,
           "<|system|>\n" SYS "<|end|>\n"
           "<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you?<|end|>\n<|assistant|>\n");
}

static void test_zephyr(void) {
    expect(TMPL_ZEPHYR, false,
           "<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you?</s>\n<|assistant|>\n");
    expect(TMPL_ZEPHYR, true,
           "<|system|>\n" SYS "</s>\n"
           "<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you?</s>\n<|assistant|>\n");
}

/* The templates that trim (llama2 strip, llama3 and gemma trim) and those that do not. */
static void test_whitespace(void) {
    tmpl_msg m[1] = {{TMPL_USER, "  hi \n"}};
    struct { enum tmpl_kind k; const char *want; } c[] = {
        {TMPL_LLAMA2, "[INST] hi [/INST]"},
        {TMPL_MISTRAL, "[INST]   hi \n [/INST]"},
        {TMPL_LLAMA3, "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"},
        {TMPL_GEMMA, "<start_of_turn>user\nhi<end_of_turn>\n"},
        {TMPL_CHATML, "<|im_start|>user\n  hi \n<|im_end|>\n"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *out = NULL;
        CHECK(tmpl_render(c[i].k, m, 1, false, &out, NULL) == 0);
        CHECK_MSG(out && !strcmp(out, c[i].want), "%s: [%s]", tmpl_name(c[i].k), out ? out : "(null)");
        free(out);
    }
}

static void test_render_errors(void) {
    char *out = (char *)1;
    fc_err e = {0};
    tmpl_msg late_system[2] = {{TMPL_USER, "a"}, {TMPL_SYSTEM, "b"}};
    CHECK(tmpl_render(TMPL_GEMMA, late_system, 2, true, &out, &e) < 0);
    CHECK(out == NULL);
    CHECK_EQ_INT(e.code, FC_EINPUT);
    CHECK(strstr(e.msg, "gemma") && strstr(e.msg, "message 1"));
    /* Block templates take a system message anywhere. */
    CHECK(tmpl_render(TMPL_CHATML, late_system, 2, false, &out, &e) == 0);
    CHECK_STR(out, "<|im_start|>user\na<|im_end|>\n<|im_start|>system\nb<|im_end|>\n");
    free(out);
    tmpl_msg null_content[1] = {{TMPL_USER, NULL}};
    CHECK(tmpl_render(TMPL_CHATML, null_content, 1, false, &out, &e) < 0);
    tmpl_msg sys_then_assistant[2] = {{TMPL_SYSTEM, "s"}, {TMPL_ASSISTANT, "a"}};
    CHECK(tmpl_render(TMPL_MISTRAL, sys_then_assistant, 2, false, &out, &e) < 0);
    /* A lone system prompt gets an empty user turn to ride in. */
    tmpl_msg only_system[1] = {{TMPL_SYSTEM, "s"}};
    CHECK(tmpl_render(TMPL_MISTRAL, only_system, 1, true, &out, &e) == 0);
    CHECK_STR(out, "[INST] s\n\n [/INST]");
    free(out);
    CHECK(tmpl_render(TMPL_LLAMA3, NULL, 0, true, &out, &e) == 0);
    CHECK_STR(out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    free(out);
    CHECK(tmpl_render(TMPL_COUNT, NULL, 0, true, &out, &e) < 0);
}

static void test_names(void) {
    enum tmpl_kind k;
    fc_err e = {0};
    for (int i = 0; i < TMPL_COUNT; i++) {
        CHECK(tmpl_from_name(tmpl_name((enum tmpl_kind)i), &k, &e) == 0);
        CHECK_EQ_INT(k, i);
    }
    CHECK(tmpl_from_name("Mistral", &k, &e) == 0 && k == TMPL_MISTRAL);
    CHECK(tmpl_from_name("vicuna", &k, &e) < 0);
    CHECK_EQ_INT(e.code, FC_EINPUT);
    CHECK(strstr(e.msg, "'vicuna'") && strstr(e.msg, "chatml, llama2, mistral, llama3, gemma, phi3, zephyr"));
    CHECK_STR(tmpl_stop_strings(TMPL_CHATML)[0], "<|im_end|>");
    CHECK_STR(tmpl_stop_strings(TMPL_LLAMA3)[0], "<|eot_id|>");
    CHECK_STR(tmpl_stop_strings(TMPL_GEMMA)[0], "<end_of_turn>");
    CHECK_STR(tmpl_stop_strings(TMPL_PHI3)[0], "<|end|>");
    CHECK_STR(tmpl_stop_strings(TMPL_ZEPHYR)[0], "</s>");
    CHECK_STR(tmpl_stop_strings(TMPL_MISTRAL)[0], "</s>");
    CHECK(tmpl_stop_strings(TMPL_CHATML)[1] == NULL);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

/* Real template texts from GGUF files (the default model and llama.cpp's vocab fixtures). */
static void test_detect_real(void) {
    struct { const char *file; enum tmpl_kind want; } c[] = {
        {"tests/data/templates/SmolLM2-135M-Instruct.Q4_1.jinja", TMPL_CHATML},
        {"tests/data/templates/phi-3.jinja", TMPL_PHI3},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *text = slurp(c[i].file);
        CHECK_MSG(text, "cannot read %s (tests run from the repository root)", c[i].file);
        if (!text) continue;
        bool guessed = true;
        CHECK_EQ_INT(tmpl_detect(text, &guessed), c[i].want);
        CHECK(!guessed);
        free(text);
    }
}

static void test_default_system(void) {
    char *text = slurp("tests/data/templates/SmolLM2-135M-Instruct.Q4_1.jinja");
    CHECK(text != NULL);
    char *sys = tmpl_default_system(text);
    CHECK_STR(sys, "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
    free(sys);
    free(text);
    /* Qwen2.5 writes it with Jinja escapes. */
    sys = tmpl_default_system("{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud."
                              " You are a helpful assistant.<|im_end|>\\n' }}");
    CHECK_STR(sys, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
    free(sys);
    CHECK(tmpl_default_system("{{'<|im_start|>system\n' + message['content'] + '<|im_end|>'}}") == NULL);
    CHECK(tmpl_default_system("{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>'}}") == NULL);
    text = slurp("tests/data/templates/phi-3.jinja");
    CHECK(text && tmpl_default_system(text) == NULL);
    free(text);
    CHECK(tmpl_default_system(NULL) == NULL);
}

/* The distinctive parts of the published templates of the other families. */
static void test_detect_markers(void) {
    struct { const char *text; enum tmpl_kind want; } c[] = {
        {"{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
         "+ message['content'] | trim + '<|eot_id|>' %}", TMPL_LLAMA3},
        {"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}", TMPL_GEMMA},
        {"{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] + eos_token }}", TMPL_ZEPHYR},
        {"{{ '<|user|>\\n' + message['content'] + '</s>' }}", TMPL_ZEPHYR},
        {"{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
         "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}", TMPL_LLAMA2},
        {"{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}", TMPL_MISTRAL},
        {"{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}", TMPL_CHATML},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        bool guessed = true;
        CHECK_MSG(tmpl_detect(c[i].text, &guessed) == c[i].want, "case %zu", i);
        CHECK(!guessed);
    }
    bool guessed = false;
    CHECK_EQ_INT(tmpl_detect(NULL, &guessed), TMPL_CHATML);
    CHECK(guessed);
    guessed = false;
    CHECK_EQ_INT(tmpl_detect("{{ messages }}", &guessed), TMPL_CHATML);
    CHECK(guessed);
    CHECK_EQ_INT(tmpl_detect("", NULL), TMPL_CHATML);
}

int main(void) {
    T_RUN(test_chatml);
    T_RUN(test_llama2);
    T_RUN(test_mistral);
    T_RUN(test_llama3);
    T_RUN(test_gemma);
    T_RUN(test_phi3);
    T_RUN(test_zephyr);
    T_RUN(test_whitespace);
    T_RUN(test_render_errors);
    T_RUN(test_names);
    T_RUN(test_detect_real);
    T_RUN(test_detect_markers);
    T_RUN(test_default_system);
    return t_done();
}
