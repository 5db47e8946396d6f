/* Configuration: defaults, modelconf.json (the original's example verbatim, every key's type
 * and range checks, unknown keys, JSON errors), flags, precedence and file lookup. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/app/config.h"
#include "../src/format/ggml_types.h"
#include "../src/text/template.h"
#include "lib/t.h"

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK_MSG(f, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Loads JSON text on top of the defaults; returns the status, cfg stays valid either way. */
static int load(fc_config *cfg, const char *json, fc_err *e) {
    fc_err_clear(e);
    CHECK(config_init(cfg, e) == 0);
    return config_load_text(cfg, "modelconf.json", json, strlen(json), e);
}

static void test_defaults(void) {
    fc_config c;
    fc_err e = {0};
    CHECK(config_init(&c, &e) == 0);
    CHECK(c.model && strstr(c.model, "SmolLM2-135M-Instruct.Q4_1.gguf"));
    CHECK_EQ_INT(c.model_type, -1);
    CHECK_EQ_INT(c.n_gpu_layers, FC_LAYERS_AUTO);
    CHECK_NEAR(c.target, 0.8, 0);
    CHECK_EQ_INT(c.kv_type_k, GGML_TYPE_F16);
    CHECK_EQ_INT(c.kv_type_v, GGML_TYPE_F16);
    CHECK_EQ_INT(c.n_ctx, FC_CTX_MODEL);
    CHECK_EQ_INT(c.n_ctx_min, 4096);
    CHECK_EQ_INT(c.n_ctx_max, 32768);
    CHECK_EQ_INT(c.flash_attn, FC_FA_AUTO);
    CHECK_EQ_U64(c.vram_reserve, FC_VRAM_RESERVE_DEFAULT);
    CHECK(c.n_threads >= 1);
    CHECK_EQ_INT(c.n_batch, 512);
    CHECK_NEAR(c.temperature, 0.7, 0);
    CHECK_EQ_INT(c.top_k, 40);
    CHECK_NEAR(c.top_p, 0.95, 0);
    CHECK_NEAR(c.min_p, 0.05, 0);
    CHECK_NEAR(c.repeat_penalty, 1.1, 0);
    CHECK_EQ_INT(c.seed, -1);
    CHECK_EQ_INT(c.max_tokens, -1);
    CHECK_EQ_INT(c.repack, FC_REPACK_AUTO); /* the planner decides (host memory) */
    CHECK(c.system_prompt == NULL && c.prompt == NULL && c.n_gpu_specs == 0 && c.config_path == NULL);
    for (int s = 0; s < FC_SET_COUNT; s++) CHECK_EQ_INT(c.origin[s].src, FC_SRC_DEFAULT);
    config_free(&c);
    config_free(&c); /* zeroed: a second free is harmless */
    config_free(NULL);
}

/* The example of automatic-gpu-layer-offloading.md, "..." line included. */
static void test_original_example(void) {
    fc_config c;
    fc_err e = {0};
    CHECK(config_init(&c, &e) == 0);
    int rc = config_load_file(&c, "tests/data/original-modelconf.json", &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_STR(c.model, "tests/data/mistral_v0.1/mistral-7b-instruct-v0.1.Q4_K_M.gguf");
    CHECK_EQ_INT(c.model_type, TMPL_MISTRAL);
    CHECK_EQ_INT(c.n_gpu_layers, FC_LAYERS_AUTO);
    CHECK_NEAR(c.target, 0.8, 0);
    CHECK_EQ_INT(c.kv_type_k, GGML_TYPE_F16);
    CHECK_EQ_INT(c.n_warnings, 0);
    CHECK_STR(c.config_path, "tests/data/original-modelconf.json");
    CHECK_EQ_INT(c.origin[FC_SET_LAYERS].src, FC_SRC_FILE);
    CHECK_STR(c.origin[FC_SET_MODEL_TYPE].name, "tests/data/original-modelconf.json");
    CHECK_EQ_INT(c.origin[FC_SET_TEMPERATURE].src, FC_SRC_DEFAULT);
    config_free(&c);
}

/* Every key the original's docs show, in their snippet forms, plus the conveniences. */
static void test_original_snippets(void) {
    fc_config c;
    fc_err e = {0};
    const char *json =
        "{\n"
        "// Maximum compression: 8K context + 4-bit KV (full model on 8GB GPU!)\n"
        "\"N_CTX\": 8192,\n"
        "\"KV_CACHE_QUANT\": \"q4_0\",   // 4-bit\n"
        "\"LAYERS\": 15,\n"
        "  \"SYSTEM_PROMPT\": \"a // b, not a comment\",\n"
        "...,\n"
        "}\n";
    CHECK_MSG(load(&c, json, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.n_ctx, 8192);
    CHECK_EQ_INT(c.kv_type_k, GGML_TYPE_Q4_0);
    CHECK_EQ_INT(c.kv_type_v, GGML_TYPE_Q4_0);
    CHECK_EQ_INT(c.n_gpu_layers, 15);
    CHECK_STR(c.system_prompt, "a // b, not a comment");
    config_free(&c);
}

static void test_all_keys(void) {
    fc_config c;
    fc_err e = {0};
    const char *json = "{\"MODEL\": \"/models/x.gguf\", \"MODEL_TYPE\": \"gemma\", \"LAYERS\": 0,"
                       " \"TARGET_VRAM_USAGE\": 1, \"KV_CACHE_QUANT\": \"auto\", \"N_CTX\": \"auto\","
                       " \"N_CTX_MIN\": 2048, \"N_CTX_MAX\": 8192, \"FLASH_ATTN\": false,"
                       " \"VRAM_RESERVE\": \"1.5GiB\", \"N_THREADS\": 3, \"N_BATCH\": 8192,"
                       " \"TEMPERATURE\": 0, \"TOP_K\": 0, \"TOP_P\": 1, \"MIN_P\": 0, \"REPEAT_PENALTY\": 1,"
                       " \"SEED\": 42, \"MAX_TOKENS\": 1, \"SYSTEM_PROMPT\": \"Be brief.\","
                       " \"CHAT_TEMPLATE_FILE\": \"/t/x.jinja\", \"THINKING\": \"hide\", \"REPACK\": \"off\","
                       " \"HOST\": \"0.0.0.0\", \"PORT\": 0, \"N_PARALLEL\": 3, \"API_KEY\": \"k-1\","
                       " \"API_KEY_FILE\": \"/k\", \"TIMEOUT\": 5, \"MAX_BODY\": \"1MiB\", \"QUEUE_SIZE\": 0,"
                       " \"DRAIN_TIMEOUT\": 7, \"CORS_ORIGINS\": \"http://a.example:3000,https://b.example\"}";
    CHECK_MSG(load(&c, json, &e) == 0, "%s", e.msg);
    CHECK_STR(c.model, "/models/x.gguf");
    CHECK_EQ_INT(c.model_type, TMPL_GEMMA);
    CHECK_EQ_INT(c.n_gpu_layers, 0);
    CHECK_NEAR(c.target, 1, 0);
    CHECK_EQ_INT(c.kv_type_k, FC_KV_AUTO);
    CHECK_EQ_INT(c.n_ctx, FC_CTX_AUTO);
    CHECK_EQ_INT(c.n_ctx_min, 2048);
    CHECK_EQ_INT(c.n_ctx_max, 8192);
    CHECK_EQ_INT(c.flash_attn, FC_FA_OFF);
    CHECK_EQ_U64(c.vram_reserve, 3ull << 29);
    CHECK_EQ_INT(c.n_threads, 3);
    CHECK_EQ_INT(c.n_batch, 8192);
    CHECK_NEAR(c.temperature, 0, 0);
    CHECK_EQ_INT(c.top_k, 0);
    CHECK_NEAR(c.top_p, 1, 0);
    CHECK_NEAR(c.min_p, 0, 0);
    CHECK_NEAR(c.repeat_penalty, 1, 0);
    CHECK_EQ_INT(c.seed, 42);
    CHECK_EQ_INT(c.max_tokens, 1);
    CHECK_STR(c.system_prompt, "Be brief.");
    CHECK_STR(c.chat_template_file, "/t/x.jinja");
    CHECK(!c.show_thinking);
    CHECK_STR(c.host, "0.0.0.0");
    CHECK_EQ_INT(c.port, 0);
    CHECK_EQ_INT(c.n_parallel, 3);
    CHECK_STR(c.api_key, "k-1");
    CHECK_STR(c.api_key_file, "/k");
    CHECK_EQ_INT(c.timeout, 5);
    CHECK_EQ_U64(c.max_body, 1u << 20);
    CHECK_EQ_INT(c.queue_size, 0);
    CHECK_EQ_INT(c.drain_timeout, 7);
    CHECK_STR(c.cors_origins, "http://a.example:3000,https://b.example");
    CHECK(!c.repack);
    for (int s = 0; s < FC_SET_COUNT; s++)
        if (s != FC_SET_PROMPT && s != FC_SET_GPU && s != FC_SET_RAM) CHECK_MSG(c.origin[s].src == FC_SRC_FILE, "setting %d", s);
    config_free(&c);

    struct { const char *json; int check; } more[] = {
        {"{\"FLASH_ATTN\": true}", 1}, {"{\"FLASH_ATTN\": \"on\"}", 1}, {"{\"FLASH_ATTN\": \"auto\"}", 2},
        {"{\"VRAM_RESERVE\": 1048576}", 3}, {"{\"SEED\": -1, \"MAX_TOKENS\": -1}", 4},
        {"{\"MODEL_TYPE\": \"auto\"}", 5}, {"{\"N_CTX\": 16}", 6}, {"{\"KV_CACHE_QUANT\": \"f32\"}", 7},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        CHECK_MSG(load(&c, more[i].json, &e) == 0, "%s: %s", more[i].json, e.msg);
        switch (more[i].check) {
        case 1: CHECK_EQ_INT(c.flash_attn, FC_FA_ON); break;
        case 2: CHECK_EQ_INT(c.flash_attn, FC_FA_AUTO); break;
        case 3: CHECK_EQ_U64(c.vram_reserve, 1048576); break;
        case 4: CHECK(c.seed == -1 && c.max_tokens == -1); break;
        case 5: CHECK_EQ_INT(c.model_type, -1); break;
        case 6: CHECK_EQ_INT(c.n_ctx, 16); break;
        case 7: CHECK(c.kv_type_k == GGML_TYPE_F32 && c.kv_type_v == GGML_TYPE_F32); break;
        }
        config_free(&c);
    }
}

/* Every key with a value of the wrong type and one out of range: FC_EINPUT, naming the key. */
static void test_bad_values(void) {
    static const struct { const char *key, *bad_type, *bad_range; } cases[] = {
        {"MODEL", "42", "\"\""},
        {"MODEL_TYPE", "3", "\"vicuna\""},
        {"LAYERS", "\"all\"", "-1"},
        {"TARGET_VRAM_USAGE", "\"most\"", "1.5"},
        {"KV_CACHE_QUANT", "8", "\"q5_1\""},
        {"N_CTX", "\"8k\"", "8"},
        {"N_CTX_MIN", "\"4096\"", "0"},
        {"N_CTX_MAX", "[32768]", "15"},
        {"FLASH_ATTN", "1", "\"yes\""},
        {"VRAM_RESERVE", "true", "-5"},
        {"N_THREADS", "\"4\"", "0"},
        {"N_BATCH", "null", "8193"},
        {"TEMPERATURE", "\"hot\"", "-0.1"},
        {"TOP_K", "{}", "-1"},
        {"TOP_P", "false", "0"},
        {"MIN_P", "\"0.1\"", "1"},
        {"REPEAT_PENALTY", "\"1.1\"", "0"},
        {"SEED", "\"42\"", "-2"},
        {"MAX_TOKENS", "\"many\"", "0"},
        {"SYSTEM_PROMPT", "7", "[\"a\"]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int which = 0; which < 2; which++) {
            const char *val = which ? cases[i].bad_range : cases[i].bad_type;
            char json[256], want[128];
            snprintf(json, sizeof json, "{\"%s\": %s}", cases[i].key, val);
            snprintf(want, sizeof want, "modelconf.json: %s = %s: must be ", cases[i].key, val);
            fc_config c;
            fc_err e = {0};
            int rc = load(&c, json, &e);
            CHECK_MSG(rc < 0 && e.code == FC_EINPUT, "%s accepted", json);
            CHECK_MSG(!strncmp(e.msg, want, strlen(want)), "%s: message '%s'", json, e.msg);
            config_free(&c);
        }
    }
    fc_config c;
    fc_err e = {0};
    CHECK(load(&c, "{\"TARGET_VRAM_USAGE\": 1.5}", &e) < 0);
    CHECK_STR(e.msg, "modelconf.json: TARGET_VRAM_USAGE = 1.5: must be a number with 0 < x <= 1, or a percentage (1%..100%)");
    config_free(&c);
    CHECK(load(&c, "{\"TARGET_VRAM_USAGE\": \"85%\"}", &e) == 0 && c.target > 0.849 && c.target < 0.851);
    config_free(&c);
    CHECK(load(&c, "{\"TARGET_VRAM_USAGE\": \"150%\"}", &e) < 0);
    config_free(&c);
    CHECK(load(&c, "{\"SYSTEM_PROMPT\": \"caf\xe9\"}", &e) < 0); /* before the model loads, exit 2 */
    CHECK_MSG(e.code == FC_EINPUT && strstr(e.msg, "SYSTEM_PROMPT = ") && strstr(e.msg, "UTF-8"), "%s", e.msg);
    config_free(&c);
    CHECK(load(&c, "{\"LAYERS\": 2.5}", &e) < 0);
    CHECK(strstr(e.msg, "LAYERS = 2.5"));
    config_free(&c);
    CHECK(load(&c, "[1, 2]", &e) < 0);
    CHECK_EQ_INT(e.code, FC_EINPUT);
    config_free(&c);
    /* N_CTX_MIN and N_CTX_MAX are checked together. */
    CHECK(load(&c, "{\"N_CTX_MIN\": 9000, \"N_CTX_MAX\": 8192}", &e) == 0);
    CHECK(config_validate(&c, &e) < 0);
    CHECK(strstr(e.msg, "N_CTX_MIN") && strstr(e.msg, "N_CTX_MAX"));
    config_free(&c);
}

static void test_unknown_keys(void) {
    fc_config c;
    fc_err e = {0};
    CHECK(load(&c, "{\"TEMPRATURE\": 0.5, \"model\": \"x\", \"COLOR\": 1, \"SEED\": 1, \"SEED\": 2}", &e) == 0);
    CHECK_EQ_INT(c.n_warnings, 4);
    if (c.n_warnings == 4) {
        CHECK_STR(c.warnings[0], "modelconf.json: unknown key 'TEMPRATURE' (did you mean 'TEMPERATURE'?)");
        CHECK_STR(c.warnings[1], "modelconf.json: unknown key 'model' (did you mean 'MODEL'?)");
        CHECK_STR(c.warnings[2], "modelconf.json: unknown key 'COLOR' (ignored)");
        CHECK_STR(c.warnings[3], "modelconf.json: key 'SEED' appears twice; the last one counts");
    }
    CHECK_NEAR(c.temperature, 0.7, 0);
    CHECK_EQ_INT(c.seed, 2);
    config_free(&c);
}

static void test_invalid_json(void) {
    fc_config c;
    fc_err e = {0};
    CHECK(load(&c, "{\n  \"N_CTX\": 4096\n  \"LAYERS\": 3\n}\n", &e) < 0);
    CHECK_EQ_INT(e.code, FC_EINPUT);
    CHECK_STR(e.msg, "modelconf.json: line 3, column 3: invalid JSON");
    config_free(&c);
    CHECK(load(&c, "{\n\"A\": tru }", &e) < 0);
    CHECK_STR(e.msg, "modelconf.json: line 2, column 6: invalid JSON");
    config_free(&c);
    CHECK(load(&c, "", &e) < 0);
    CHECK_STR(e.msg, "modelconf.json: line 1, column 1: invalid JSON");
    config_free(&c);
    CHECK(load(&c, "{} {}", &e) < 0);
    CHECK(strstr(e.msg, "invalid JSON"));
    config_free(&c);
    /* "..." is only skipped as a whole line. */
    CHECK(load(&c, "{\"N_CTX\": 4096, ...}", &e) < 0);
    config_free(&c);
    CHECK(config_init(&c, &e) == 0);
    CHECK(config_load_file(&c, "tests/data/no-such-file.json", &e) < 0);
    CHECK(strstr(e.msg, "no-such-file.json"));
    config_free(&c);
}

/* Hostile text: every prefix and single-byte change of a full file loads or fails cleanly
 * (run under the sanitizers by make asan). */
static void test_mangled(void) {
    const char *json = "{\n// c\n\"MODEL\": \"a/b.gguf\", \"N_CTX\": \"auto\", \"SEED\": -1,\n"
                       "\"SYSTEM_PROMPT\": \"x\\\"y//z\", \"VRAM_RESERVE\": \"1GiB\", \"T\": [1, {}],\n...\n}";
    size_t len = strlen(json);
    const char subst[] = {'"', ',', '}', '/', '.', '\\', '\n', 0, 'x', '['};
    for (size_t cut = 0; cut <= len; cut++) {
        for (size_t k = 0; k <= sizeof subst; k++) {
            char *buf = malloc(len + 1);
            memcpy(buf, json, len + 1);
            size_t n = cut;
            if (k < sizeof subst && cut < len) { buf[cut] = subst[k]; n = len; }
            fc_config c;
            fc_err e = {0};
            CHECK(config_init(&c, &e) == 0);
            int rc = config_load_text(&c, "m.json", buf, n, &e);
            CHECK(rc == 0 || (e.code == FC_EINPUT && !strncmp(e.msg, "m.json: ", 8)));
            config_free(&c);
            free(buf);
        }
    }
}

/* A command's own flags and arguments, through the callback. */
struct extra_ctx { int print_config; const char *positional; };
static int extra_flags(void *ctx, int argc, char **argv, int i, fc_err *err) {
    struct extra_ctx *x = ctx;
    (void)argc;
    if (!strcmp(argv[i], "--print-config")) { x->print_config = 1; return 1; }
    if (!strcmp(argv[i], "--fail")) return fc_errf(err, FC_EINPUT, "--fail: as asked");
    if (argv[i][0] != '-' && !x->positional) { x->positional = argv[i]; return 1; }
    return 0;
}

static int apply(fc_config *c, fc_err *e, int argc, char **argv) {
    fc_err_clear(e);
    CHECK(config_init(c, e) == 0);
    return config_apply_args(c, argc, argv, NULL, NULL, e);
}

/* REPACK's values: auto, on, off, and the flags */
static void test_repack_values(void) {
    fc_config c;
    fc_err e = {0};
    static const struct { const char *v; fc_repack want; } cases[] = {
        {"auto", FC_REPACK_AUTO}, {"on", FC_REPACK_ON}, {"off", FC_REPACK_OFF}, {"true", FC_REPACK_ON}, {"false", FC_REPACK_OFF}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[] = {"--repack", (char *)cases[i].v};
        CHECK_MSG(apply(&c, &e, 2, argv) == 0, "%s: %s", cases[i].v, e.msg);
        CHECK_EQ_INT(c.repack, cases[i].want);
        config_free(&c);
    }
    char *no[] = {"--no-repack"};
    CHECK(apply(&c, &e, 1, no) == 0);
    CHECK_EQ_INT(c.repack, FC_REPACK_OFF);
    config_free(&c);
    char *bad[] = {"--repack", "sometimes"};
    CHECK(apply(&c, &e, 2, bad) < 0);
    CHECK_MSG(strstr(e.msg, "\"auto\", \"on\", \"off\"") != NULL, "%s", e.msg);
    config_free(&c);
}

static void test_flags(void) {
    fc_config c;
    fc_err e = {0};
    char *argv[] = {"-m", "dir/m.gguf", "--model-type", "llama3", "-ngl", "12", "--target", "0.5",
                    "-ctk", "q8_0", "-ctv", "q4_0", "-c", "2048", "-fa", "--vram-reserve", "1GiB",
                    "-t", "2", "-b", "64", "--temp", "0", "--top-k", "5", "--top-p", "0.5", "--min-p",
                    "0.1", "--repeat-penalty", "1.2", "-s", "-1", "-n", "100", "--system", "42",
                    "--gpu", "0", "--gpu", "fake:8GiB", "-p", "Hi", "--config", "ignored.json",
                    "--threads=3", "--flash-attn", "off"};
    int argc = (int)(sizeof argv / sizeof argv[0]);
    CHECK_MSG(apply(&c, &e, argc, argv) == 0, "%s", e.msg);
    CHECK_STR(c.model, "dir/m.gguf");
    CHECK_EQ_INT(c.model_type, TMPL_LLAMA3);
    CHECK_EQ_INT(c.n_gpu_layers, 12);
    CHECK_NEAR(c.target, 0.5, 0);
    CHECK_EQ_INT(c.kv_type_k, GGML_TYPE_Q8_0);
    CHECK_EQ_INT(c.kv_type_v, GGML_TYPE_Q4_0);
    CHECK_EQ_INT(c.n_ctx, 2048);
    CHECK_EQ_INT(c.flash_attn, FC_FA_OFF);
    CHECK_EQ_U64(c.vram_reserve, 1ull << 30);
    CHECK_EQ_INT(c.n_threads, 3);
    CHECK_EQ_INT(c.n_batch, 64);
    CHECK_NEAR(c.temperature, 0, 0);
    CHECK_EQ_INT(c.top_k, 5);
    CHECK_NEAR(c.top_p, 0.5, 0);
    CHECK_NEAR(c.min_p, 0.1, 0);
    CHECK_NEAR(c.repeat_penalty, 1.2, 0);
    CHECK_EQ_INT(c.seed, -1);
    CHECK_EQ_INT(c.max_tokens, 100);
    CHECK_STR(c.system_prompt, "42");
    CHECK_STR(c.prompt, "Hi");
    CHECK_EQ_INT(c.n_gpu_specs, 2);
    if (c.n_gpu_specs == 2) { CHECK_STR(c.gpu_specs[0], "0"); CHECK_STR(c.gpu_specs[1], "fake:8GiB"); }
    CHECK_EQ_INT(c.origin[FC_SET_N_THREADS].src, FC_SRC_FLAG);
    CHECK_STR(c.origin[FC_SET_N_THREADS].name, "--threads");
    CHECK_STR(c.origin[FC_SET_TARGET].name, "--target");
    CHECK_STR(c.origin[FC_SET_KV_TYPE_V].name, "-ctv");
    CHECK_STR(c.origin[FC_SET_FLASH_ATTN].name, "--flash-attn");
    config_free(&c);

    char *bare_fa[] = {"-fa", "-c", "auto"};
    CHECK(apply(&c, &e, 3, bare_fa) == 0);
    CHECK_EQ_INT(c.flash_attn, FC_FA_ON);
    CHECK_EQ_INT(c.n_ctx, FC_CTX_AUTO);
    config_free(&c);

    struct { char *argv[2]; int argc; const char *want; } bad[] = {
        {{"--target", "1.5"}, 2, "--target 1.5: must be a number with 0 < x <= 1, or a percentage (1%..100%)"},
        {{"-ngl", "many"}, 2, "-ngl many: must be \"auto\" or an integer >= 0"},
        {{"-ctk", "q5"}, 2, "-ctk q5: must be one of"},
        {{"-c", "8"}, 2, "-c 8: must be"},
        {{"--vram-reserve", "lots"}, 2, "--vram-reserve lots: must be"},
        {{"-b", "0"}, 2, "-b 0: must be an integer from 1 to 8192"},
        {{"--temp", "1x"}, 2, "--temp 1x: must be"},
        {{"-n", "0"}, 2, "-n 0: must be"},
        {{"--model-type", "vicuna"}, 2, "--model-type vicuna: must be"},
        {{"--threads=0"}, 1, "--threads 0: must be"},
        {{"--top-p"}, 1, "--top-p: needs a value"},
        {{"--top_k", "1"}, 2, "unknown flag '--top_k' (did you mean '--top-k'?)"},
        {{"--n-gpu-layer=3"}, 1, "unknown flag '--n-gpu-layer' (did you mean '--n-gpu-layers'?)"},
        {{"--frobnicate"}, 1, "unknown flag '--frobnicate'"},
        {{"hello"}, 1, "unexpected argument 'hello'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = apply(&c, &e, bad[i].argc, bad[i].argv);
        CHECK_MSG(rc < 0 && e.code == FC_EINPUT && !strncmp(e.msg, bad[i].want, strlen(bad[i].want)),
                  "%s: rc %d, '%s'", bad[i].argv[0], rc, e.msg);
        config_free(&c);
    }

    struct extra_ctx x = {0};
    char *cmd_argv[] = {"--print-config", "-c", "1024", "prompt.txt"};
    CHECK(config_init(&c, &e) == 0);
    CHECK_MSG(config_apply_args(&c, 4, cmd_argv, extra_flags, &x, &e) == 0, "%s", e.msg);
    CHECK(x.print_config == 1);
    CHECK_STR(x.positional, "prompt.txt");
    CHECK_EQ_INT(c.n_ctx, 1024);
    x.positional = NULL;
    char *cmd_bad[] = {"a", "b"};
    CHECK(config_apply_args(&c, 2, cmd_bad, extra_flags, &x, &e) < 0);
    CHECK_STR(e.msg, "unexpected argument 'b'");
    char *cmd_fa[] = {"-fa", "maybe"};
    CHECK(config_apply_args(&c, 2, cmd_fa, NULL, NULL, &e) < 0);
    CHECK_STR(e.msg, "unexpected argument 'maybe' (after -fa: see --help for its values)");
    char *cmd_fail[] = {"--fail"};
    CHECK(config_apply_args(&c, 1, cmd_fail, extra_flags, &x, &e) < 0);
    CHECK_STR(e.msg, "--fail: as asked");
    config_free(&c);
}

static char *path_in(const char *dir, const char *rel) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, rel);
    return buf[k];
}

/* A wrong value for a key the command does not use is a warning that names it (and the
 * default stays); the commands that use the key stop on it. */
static void test_unused_keys(void) {
    const char *tmp = t_tmpdir();
    char *file = path_in(tmp, "unused.json");
    write_file(file, "{\"TEMPERATURE\": 5000, \"PORT\": 99999, \"N_CTX\": 2048}");
    char *argv[] = {"--config", file};
    fc_config c;
    fc_err e = {0};
    /* info / plan / gpu / template / tokenize: neither key is theirs */
    CHECK_MSG(config_load_ex(&c, 2, argv, NULL, NULL, CONFIG_NO_GEN, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.n_ctx, 2048);
    CHECK_NEAR(c.temperature, 0.7, 0);
    CHECK_EQ_INT(c.origin[FC_SET_TEMPERATURE].src, FC_SRC_DEFAULT);
    CHECK_EQ_INT(c.port, 8080);
    CHECK_EQ_INT(c.n_warnings, 2);
    if (c.n_warnings == 2) {
        CHECK_MSG(strstr(c.warnings[0], "TEMPERATURE = 5000: must be") && strstr(c.warnings[0], "not used by this command"),
                  "%s", c.warnings[0]);
        CHECK_MSG(strstr(c.warnings[1], "PORT = 99999: must be") && strstr(c.warnings[1], "fitchat serve would stop"),
                  "%s", c.warnings[1]);
    }
    config_free(&c);
    /* the chat: TEMPERATURE is its own, PORT is not */
    CHECK(config_load_ex(&c, 2, argv, NULL, NULL, 0, &e) < 0);
    CHECK_EQ_INT(e.code, FC_EINPUT);
    CHECK_MSG(strstr(e.msg, "TEMPERATURE = 5000: must be") && !strstr(e.msg, "not used"), "%s", e.msg);
    /* the server: PORT is its own */
    write_file(file, "{\"PORT\": 99999}");
    CHECK(config_load_ex(&c, 2, argv, NULL, NULL, CONFIG_SERVER, &e) < 0);
    CHECK_MSG(strstr(e.msg, "PORT = 99999: must be"), "%s", e.msg);
    /* a flag typed on the command line is never ignored */
    char *argv2[] = {"--temp", "5000"};
    CHECK(config_load_ex(&c, 2, argv2, NULL, NULL, CONFIG_NO_GEN, &e) < 0);
}

/* flags > file > default, with --config and every origin. */
static void test_precedence(void) {
    const char *tmp = t_tmpdir();
    char *file = path_in(tmp, "prec.json");
    write_file(file, "{\"TEMPERATURE\": 0.5, \"N_CTX\": 8192, \"KV_CACHE_QUANT\": \"q8_0\", \"LAYERS\": 10}");
    char *argv[] = {"--temp", "0.2", "--config", file, "-ctk", "f16"};
    fc_config c;
    fc_err e = {0};
    CHECK_MSG(config_load(&c, 6, argv, NULL, NULL, &e) == 0, "%s", e.msg);
    CHECK_NEAR(c.temperature, 0.2, 0);
    CHECK_EQ_INT(c.origin[FC_SET_TEMPERATURE].src, FC_SRC_FLAG);
    CHECK_EQ_INT(c.n_ctx, 8192);
    CHECK_EQ_INT(c.origin[FC_SET_N_CTX].src, FC_SRC_FILE);
    CHECK_STR(c.origin[FC_SET_N_CTX].name, file);
    CHECK_EQ_INT(c.kv_type_k, GGML_TYPE_F16);
    CHECK_EQ_INT(c.kv_type_v, GGML_TYPE_Q8_0);
    CHECK_EQ_INT(c.top_k, 40);
    CHECK_EQ_INT(c.origin[FC_SET_TOP_K].src, FC_SRC_DEFAULT);
    CHECK_STR(c.config_path, file);

    char *out = path_in(tmp, "print.txt");
    FILE *f = fopen(out, "w");
    CHECK(f != NULL);
    if (f) {
        config_print(f, &c);
        fclose(f);
        char text[8192] = {0};
        f = fopen(out, "r");
        size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f) fclose(f);
        CHECK(n > 0);
        char want[1200];
        CHECK(strstr(text, "TEMPERATURE        0.2            (flag --temp)\n"));
        snprintf(want, sizeof want, "N_CTX              8192           (%s)\n", file);
        CHECK_MSG(strstr(text, want), "no '%s' in:\n%s", want, text);
        CHECK(strstr(text, "TARGET_VRAM_USAGE  0.8            (default)\n"));
        CHECK(strstr(text, "KV_CACHE_QUANT K   f16            (flag -ctk)\n"));
        snprintf(want, sizeof want, "KV_CACHE_QUANT V   q8_0           (%s)\n", file);
        CHECK(strstr(text, want));
        CHECK(strstr(text, "LAYERS             10"));
    }
    config_free(&c);

    /* A bad flag after a good file fails, naming the flag; cfg is left zeroed. */
    char *bad[] = {"--config", file, "-t", "0"};
    CHECK(config_load(&c, 4, bad, NULL, NULL, &e) < 0);
    CHECK(strstr(e.msg, "-t 0"));
    CHECK(c.model == NULL);
    char *missing[] = {"--config", path_in(tmp, "absent.json")};
    CHECK(config_load(&c, 2, missing, NULL, NULL, &e) < 0);
    CHECK(strstr(e.msg, "absent.json"));
}

static void test_model_path(void) {
    const char *tmp = t_tmpdir();
    char *sub = path_in(tmp, "sub");
    mkdir(sub, 0755);
    char *file = path_in(sub, "modelconf.json");
    write_file(file, "{\"MODEL\": \"m/x.gguf\"}");
    fc_config c;
    fc_err e = {0};
    CHECK(config_init(&c, &e) == 0);
    CHECK_MSG(config_load_file(&c, file, &e) == 0, "%s", e.msg);
    char want[1100];
    snprintf(want, sizeof want, "%s/sub/m/x.gguf", tmp);
    CHECK_STR(c.model, want);
    config_free(&c);

    CHECK(load(&c, "{\"MODEL\": \"/abs/x.gguf\"}", &e) == 0);
    CHECK_STR(c.model, "/abs/x.gguf");
    config_free(&c);
    CHECK(load(&c, "{\"MODEL\": \"x.gguf\"}", &e) == 0); /* a file in the current folder */
    CHECK_STR(c.model, "x.gguf");
    config_free(&c);
    const char *home = getenv("HOME");
    if (home) {
        CHECK(load(&c, "{\"MODEL\": \"~/x.gguf\"}", &e) == 0);
        snprintf(want, sizeof want, "%s/x.gguf", home);
        CHECK_STR(c.model, want);
        config_free(&c);
    }
    /* A flag's path is the user's, relative to the current folder, even after a file. */
    char *argv[] = {"--config", file, "-m", "y.gguf"};
    CHECK(config_load(&c, 4, argv, NULL, NULL, &e) == 0);
    CHECK_STR(c.model, "y.gguf");
    config_free(&c);
}

/* ./modelconf.json, then $XDG_CONFIG_HOME/fitchat/modelconf.json (default ~/.config). */
static void test_lookup(void) {
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    const char *tmp = t_tmpdir();
    char *work = strdup(path_in(tmp, "work"));
    char *xdg = strdup(path_in(tmp, "xdg"));
    char *home = strdup(path_in(tmp, "home"));
    mkdir(work, 0755);
    mkdir(xdg, 0755);
    mkdir(path_in(xdg, "fitchat"), 0755);
    mkdir(home, 0755);
    mkdir(path_in(home, ".config"), 0755);
    mkdir(path_in(home, ".config/fitchat"), 0755);
    write_file(path_in(xdg, "fitchat/modelconf.json"), "{\"TOP_K\": 7}");
    write_file(path_in(home, ".config/fitchat/modelconf.json"), "{\"TOP_K\": 8}");
    char *old_xdg = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char buf[1024];
    fc_config c;
    fc_err e = {0};
    if (chdir(work) != 0) { CHECK(!"chdir"); free(work); free(xdg); free(home); return; }

    setenv("XDG_CONFIG_HOME", xdg, 1);
    setenv("HOME", home, 1);
    CHECK_STR(config_find_file(buf, sizeof buf), path_in(xdg, "fitchat/modelconf.json"));
    CHECK(config_load(&c, 0, NULL, NULL, NULL, &e) == 0);
    CHECK_EQ_INT(c.top_k, 7);
    config_free(&c);

    unsetenv("XDG_CONFIG_HOME");
    CHECK_STR(config_find_file(buf, sizeof buf), path_in(home, ".config/fitchat/modelconf.json"));
    CHECK(config_load(&c, 0, NULL, NULL, NULL, &e) == 0);
    CHECK_EQ_INT(c.top_k, 8);
    config_free(&c);

    setenv("XDG_CONFIG_HOME", xdg, 1);
    write_file("modelconf.json", "{\"TOP_K\": 9}");
    CHECK_STR(config_find_file(buf, sizeof buf), "modelconf.json");
    CHECK(config_load(&c, 0, NULL, NULL, NULL, &e) == 0);
    CHECK_EQ_INT(c.top_k, 9);
    CHECK_STR(c.origin[FC_SET_TOP_K].name, "modelconf.json");
    config_free(&c);

    char *argv[] = {"--config=../xdg/fitchat/modelconf.json"};
    CHECK(config_load(&c, 1, argv, NULL, NULL, &e) == 0);
    CHECK_EQ_INT(c.top_k, 7);
    config_free(&c);

    /* Nothing anywhere: defaults only. */
    unlink("modelconf.json");
    setenv("XDG_CONFIG_HOME", work, 1);
    setenv("HOME", work, 1);
    CHECK(config_find_file(buf, sizeof buf) == NULL);
    CHECK(config_load(&c, 0, NULL, NULL, NULL, &e) == 0);
    CHECK(c.config_path == NULL);
    CHECK_EQ_INT(c.top_k, 40);
    config_free(&c);

    if (old_xdg) setenv("XDG_CONFIG_HOME", old_xdg, 1);
    else unsetenv("XDG_CONFIG_HOME");
    if (old_home) setenv("HOME", old_home, 1);
    free(old_xdg);
    free(old_home);
    free(work);
    free(xdg);
    free(home);
    CHECK(chdir(cwd) == 0);
}

int main(void) {
    T_RUN(test_defaults);
    T_RUN(test_original_example);
    T_RUN(test_original_snippets);
    T_RUN(test_all_keys);
    T_RUN(test_bad_values);
    T_RUN(test_unknown_keys);
    T_RUN(test_invalid_json);
    T_RUN(test_mangled);
    T_RUN(test_flags);
    T_RUN(test_repack_values);
    T_RUN(test_unused_keys);
    T_RUN(test_precedence);
    T_RUN(test_model_path);
    T_RUN(test_lookup);
    return t_done();
}
