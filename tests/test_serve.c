/* Unit tests for src/serve without a model or a socket: the request parser (fields, ranges,
 * the field named in each error), the reply and stream formats, the error shape, /metrics
 * and the constant-time key comparison. The server end to end: tests/serve*.test.sh. */
#include <string.h>

#include "../src/app/generate.h"
#include "../src/serve/format.h"
#include "../src/serve/request.h"
#include "lib/t.h"

static int parse(srv_api api, const char *body, srv_request *r, srv_error *e) {
    return srv_request_parse(api, body, strlen(body), r, e);
}

static void test_chat_fields(void) {
    srv_request r;
    srv_error e = {0};
    const char *b = "{\"model\":\"m\",\"messages\":[{\"role\":\"developer\",\"content\":\"S\"},"
                    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},"
                    "{\"role\":\"assistant\",\"content\":null}],\"temperature\":0.5,\"top_p\":0.9,\"top_k\":3,"
                    "\"min_p\":0.1,\"seed\":-7,\"max_completion_tokens\":9,\"stop\":[\"x\",\"\",\"yy\"],"
                    "\"presence_penalty\":1.5,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"n\":1}";
    CHECK_MSG(parse(SRV_CHAT, b, &r, &e) == 0, "%s", e.message);
    CHECK_EQ_INT(r.n_msgs, 3);
    CHECK_EQ_INT(r.msgs[0].role, TMPL_SYSTEM);
    CHECK_STR(r.msgs[1].content, "ab");
    CHECK_STR(r.msgs[2].content, "");
    CHECK(r.stream && r.include_usage);
    CHECK_EQ_INT(r.max_tokens, 9);
    CHECK_EQ_INT(r.n_stops, 2);
    CHECK_STR(r.stops[1], "yy");
    CHECK_EQ_U64(r.seed, (uint64_t)(int64_t)-7);
    CHECK_EQ_INT(r.set, SRV_SET_TEMPERATURE | SRV_SET_TOP_P | SRV_SET_TOP_K | SRV_SET_MIN_P | SRV_SET_SEED);
    CHECK_NEAR(r.presence_penalty, 1.5, 0);
    srv_request_free(&r);
    CHECK(parse(SRV_OLLAMA_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":-1,\"stop\":[\"q\"]}}", &r, &e) == 0);
    CHECK(r.stream); /* ollama streams by default */
    CHECK_EQ_INT(r.max_tokens, -1);
    CHECK_EQ_INT(r.n_stops, 1);
    srv_request_free(&r);
    CHECK(parse(SRV_COMPLETION, "{\"prompt\":[\"once\"]}", &r, &e) == 0);
    CHECK_STR(r.prompt, "once");
    CHECK(!r.stream);
    srv_request_free(&r);
}

static void test_errors_name_the_field(void) {
    static const struct { srv_api api; const char *body, *param, *needle; } C[] = {
        {SRV_CHAT, "{", "", "not valid JSON"},
        {SRV_CHAT, "[]", "", "JSON object"},
        {SRV_CHAT, "{\"messages\":[]} x", "", "after the JSON"},
        {SRV_CHAT, "{}", "messages", "required"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].role", "tool"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content", "required"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "messages[0].content[0]", "image_url"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", "", "\\u0000"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}", "messages[0].content", "UTF-8"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "temperature", "number"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":0}", "top_p", "range"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}", "max_tokens", "integer"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_k\":1.5}", "top_k", "integer"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]}", "stop[0]", "string"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":3}", "n", "only 1"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"presence_penalty\":3}", "presence_penalty", "range"},
        {SRV_COMPLETION, "{\"prompt\":[1,2]}", "prompt", "token ids"},
        {SRV_OLLAMA_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"options\":{\"temperature\":\"x\"}}", "options.temperature", "number"},
        {SRV_OLLAMA_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"options\":{\"num_predict\":0}}", "options.num_predict", ">= 1"},
        {SRV_OLLAMA_GENERATE, "{\"prompt\":\"x\",\"format\":\"json\"}", "format", "not supported"},
        /* what other parsers read differently: duplicate keys (any depth), raw control bytes */
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":false,\"stream\":true}", "", "'stream' appears twice"},
        {SRV_OLLAMA_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"role\":\"system\"}]}", "", "'role' appears twice"},
        {SRV_COMPLETION, "{\"prompt\":\"a\x01" "b\"}", "", "byte 12: control character 0x01 in a string not escaped"},
        {SRV_COMPLETION, "{\"prompt\":\"a\tb\"}", "", "byte 12: control character 0x09 in a string not escaped"},
        {SRV_COMPLETION, "{\x01\"prompt\":\"ab\"}", "", "byte 1: control character 0x01 outside a string"},
        {SRV_COMPLETION, "{\"prompt\":\"a\\\"\nb\"}", "", "byte 14: control character 0x0A in a string not escaped"},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        srv_request r;
        srv_error e = {0};
        CHECK_MSG(parse(C[i].api, C[i].body, &r, &e) == -1, "case %zu accepted", i);
        CHECK_MSG(e.status == 400 && !strcmp(e.type, "invalid_request_error"), "case %zu: %d", i, e.status);
        CHECK_MSG(!strcmp(e.param, C[i].param), "case %zu: param '%s', want '%s'", i, e.param, C[i].param);
        CHECK_MSG(strstr(e.message, C[i].needle) && !strchr(e.message, '\n'), "case %zu: '%s'", i, e.message);
    }
}

static void test_formats(void) {
    srv_sb b = {0};
    srv_error e = {0};
    srv_fail(&e, 400, "temperature", "temperature: must be a number");
    srv_fmt_error(&b, &e, false);
    CHECK_STR(b.p, "{\"error\":{\"message\":\"temperature: must be a number\",\"type\":\"invalid_request_error\","
                   "\"param\":\"temperature\",\"code\":null}}");
    srv_sb_free(&b);
    srv_fmt_error(&b, &e, true);
    CHECK_STR(b.p, "{\"error\":\"temperature: must be a number\"}");
    srv_sb_free(&b);
    /* Text with quotes, a newline, a NUL and a control byte stays one valid JSON string. */
    srv_sb_json(&b, "a\"\n\0\x01\\", 6);
    CHECK_STR(b.p, "\"a\\\"\\n\\u0000\\u0001\\\\\"");
    srv_sb_free(&b);
    srv_reply_id id = {.api = SRV_CHAT, .id = "chatcmpl-1", .model = "m", .created = 5};
    srv_fmt_chunk(&b, &id, "hi\n", 3, true, NULL, false);
    CHECK_STR(b.p, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\","
                   "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hi\\n\"},\"logprobs\":null,"
                   "\"finish_reason\":null}]}\n\n");
    srv_sb_free(&b);
    srv_usage u = {3, 2};
    srv_fmt_stream_end(&b, &id, "stop", &u, true, 0, 0);
    CHECK(strstr(b.p, "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"));
    CHECK(strstr(b.p, "data: [DONE]\n\n") && b.p[b.n - 1] == '\n');
    srv_sb_free(&b);
    id.api = SRV_OLLAMA_GENERATE;
    srv_fmt_reply(&b, &id, "x", 1, srv_finish_reason(GEN_MAX_TOKENS), &u, 1.0, 2.0);
    CHECK(strstr(b.p, "\"response\":\"x\",\"done\":true,\"done_reason\":\"length\"") && b.p[b.n - 1] == '\n');
    CHECK(strstr(b.p, "\"eval_count\":2,\"eval_duration\":2000000000"));
    srv_sb_free(&b);
    srv_metrics m = {.requests_ok = 4, .n_slots = 2, .slot_cells = {7, 0}, .n_devices = 1};
    m.dev[0].name = "GPU 0 (\"x\")";
    m.dev[0].planned = m.dev[0].allocated = 10;
    srv_fmt_metrics(&b, &m);
    CHECK(strstr(b.p, "\nfitchat_requests_total{outcome=\"ok\"} 4\n"));
    CHECK(strstr(b.p, "\nfitchat_kv_cells_used{slot=\"0\"} 7\n"));
    CHECK(strstr(b.p, "\nfitchat_device_planned_bytes{device=\"GPU 0 (\\\"x\\\")\"} 10\n"));
    srv_sb_free(&b);
}

/* POST /api/show's body: the model by "model" or "name", with or without ":latest" */
static void test_show_body(void) {
    static const struct { const char *body; int status; } cases[] = {
        {"{\"model\": \"smol\"}", 0}, {"{\"model\": \"smol:latest\"}", 0}, {"{\"name\": \"smol\"}", 0},
        {"{\"model\": \"smol:7b\"}", 404}, {"{\"model\": \"other\"}", 404}, {"{\"model\": 3}", 400},
        {"{}", 400}, {"[\"smol\"]", 400}, {"{\"model\": \"smol\"", 400}, {"", 400}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_error e = {0};
        const int rc = srv_show_parse(cases[i].body, strlen(cases[i].body), "smol", &e);
        CHECK_MSG(rc == (cases[i].status ? -1 : 0) && e.status == cases[i].status, "%s: rc %d status %d", cases[i].body, rc, e.status);
        if (cases[i].status) CHECK_MSG(e.message[0] && !strchr(e.message, '\n'), "%s: '%s'", cases[i].body, e.message);
    }
    srv_error e = {0};
    CHECK(srv_show_parse("{\"model\": \"other\"}", 19, "smol", &e) < 0 && strstr(e.message, "'other' not found"));
}

static void test_key_equal(void) {
    CHECK(srv_key_equal("abc", 3, "abc", 3));
    CHECK(!srv_key_equal("abd", 3, "abc", 3));
    CHECK(!srv_key_equal("ab", 2, "abc", 3));
    CHECK(!srv_key_equal("abcd", 4, "abc", 3));
    CHECK(!srv_key_equal("", 0, "abc", 3));
    CHECK(!srv_key_equal("abc\0", 4, "abc", 3));
}

int main(void) {
    T_RUN(test_chat_fields);
    T_RUN(test_errors_name_the_field);
    T_RUN(test_formats);
    T_RUN(test_show_body);
    T_RUN(test_key_equal);
    return t_done();
}
