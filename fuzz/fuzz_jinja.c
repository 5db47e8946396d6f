/* fuzz_jinja — libFuzzer target for the Jinja chat-template interpreter (src/text/jinja.h).
 *
 * The input is a template (a GGUF's tokenizer.chat_template is outside data). It is parsed
 * and, if it parses, rendered over a small conversation (system, user, assistant, user
 * with non-ASCII and control-token text, tools as a list) with add_generation_prompt true.
 * Every failure must be a one-line FC_EINPUT message naming the template and a line, or
 * FC_EFAIL (out of memory); a rendering must return a mask as long as its text. Built with
 * smaller limits (steps, output, memory) so that each input is quick.
 * Build and run: make -f fuzz/Makefile run-jinja (see fuzz/Makefile). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../src/text/jinja.h"

static cJSON *g_data, *g_own;
volatile unsigned fuzz_jinja_sink; /* keeps the reads of text and mask observable */

static void check_err(const fc_err *e) {
    if (e->code != FC_EINPUT && e->code != FC_EFAIL) abort();
    if (e->code == FC_EINPUT && strncmp(e->msg, "fuzz.jinja line ", 16) != 0) abort();
    if (strchr(e->msg, '\n')) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_data) {
        g_data = cJSON_Parse("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                             " {\"role\": \"user\", \"content\": \"Hi {{ x }} <|im_start|>\"},"
                             " {\"role\": \"assistant\", \"content\": \"<think>\\nhm\\n</think>\\n\\nHello!\"},"
                             " {\"role\": \"user\", \"content\": \"Grüß dich 🙂\"}],"
                             " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}]}");
        g_own = cJSON_Parse("{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_generation_prompt\": true}");
        if (!g_data || !g_own) abort();
    }
    fc_err e = {0};
    jinja_tmpl *t = jinja_parse((const char *)data, size, "fuzz.jinja", &e);
    if (!t) { check_err(&e); return 0; }
    jinja_vars v = {.data = g_data, .own = g_own, .now = 1721995200};
    char *out = NULL;
    unsigned char *lit = NULL;
    size_t len = 0;
    if (jinja_render(t, &v, &out, &lit, &len, &e) == 0) {
        if (!out || !lit || out[len] != 0) abort();
        unsigned sum = 0;
        for (size_t i = 0; i < len; i++) sum += lit[i] + (unsigned char)out[i];
        fuzz_jinja_sink += sum;
    } else {
        check_err(&e);
    }
    free(out);
    free(lit);
    jinja_free(t);
    return 0;
}
