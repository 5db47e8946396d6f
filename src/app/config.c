#include "config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../format/ggml_types.h"
#include "../plan/memory.h"
#include "../text/stream.h"
#include "../text/template.h"
#include "../util/file.h"
#include "../util/fmt.h"
#include "commands.h"

#define INT_EXACT_LIMIT 9007199254740992.0 /* 2^53: every integer below is exact in a double */

/* ---- values: one JSON item or one flag's text, validated by the same setters ---- */

typedef struct cfg_val {
    const cJSON *json; /* from modelconf.json, or */
    const char *text;  /* from a flag */
} cfg_val;

static bool val_num(const cfg_val *v, double *out) {
    if (v->json) {
        if (!cJSON_IsNumber(v->json)) return false;
        *out = v->json->valuedouble;
    } else {
        const char *s = v->text;
        while (isspace((unsigned char)*s)) s++;
        if (!*s) return false;
        char *end;
        errno = 0;
        *out = strtod(s, &end);
        if (end == s || errno) return false;
        while (isspace((unsigned char)*end)) end++;
        if (*end) return false;
    }
    return isfinite(*out);
}

static bool val_int(const cfg_val *v, long long *out) {
    double d;
    if (!val_num(v, &d) || d != floor(d) || fabs(d) > INT_EXACT_LIMIT) return false;
    *out = (long long)d;
    return true;
}

static const char *val_str(const cfg_val *v) {
    if (v->json) return cJSON_IsString(v->json) ? v->json->valuestring : NULL;
    return v->text;
}

static bool val_is(const cfg_val *v, const char *word) {
    const char *s = val_str(v);
    return s && !strcmp(s, word);
}

/* ---- setters: validate one value and store it; on failure return -1 and say what is
 * allowed (the caller adds where, key and value). -2: out of memory. ---- */

typedef int (*setter_fn)(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed);

static void set_origin(fc_config *c, fc_setting s, fc_origin o) { c->origin[s] = o; }

static int replace_str(char **slot, const char *s) {
    char *dup = s ? strdup(s) : NULL;
    if (s && !dup) return -2;
    free(*slot);
    *slot = dup;
    return 0;
}

/* MODEL: a path; from a file it is relative to that file's folder ("~/" is the home folder). */
static int set_model(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    const char *s = val_str(v);
    *allowed = "a non-empty string (the path of a .gguf file)";
    if (!s || !*s) return -1;
    const char *home = getenv("HOME");
    const char *slash = o.src == FC_SRC_FILE && o.name ? strrchr(o.name, '/') : NULL;
    size_t n = strlen(s) + (home ? strlen(home) : 0) + (o.name ? strlen(o.name) : 0) + 2;
    char *path = malloc(n);
    if (!path) return -2;
    if (s[0] == '~' && s[1] == '/' && home) snprintf(path, n, "%s%s", home, s + 1);
    else if (s[0] != '/' && slash) snprintf(path, n, "%.*s/%s", (int)(slash - o.name), o.name, s);
    else snprintf(path, n, "%s", s);
    free(c->model);
    c->model = path;
    set_origin(c, FC_SET_MODEL, o);
    return 0;
}

static int set_model_type(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "\"auto\" or one of chatml, llama2, mistral, llama3, gemma, phi3, zephyr";
    const char *s = val_str(v);
    enum tmpl_kind kind;
    if (!s) return -1;
    if (!strcmp(s, "auto")) c->model_type = -1;
    else if (tmpl_from_name(s, &kind, NULL) == 0) c->model_type = (int)kind;
    else return -1;
    set_origin(c, FC_SET_MODEL_TYPE, o);
    return 0;
}

static int set_layers(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    long long n;
    *allowed = "\"auto\" or an integer >= 0";
    if (val_is(v, "auto")) c->n_gpu_layers = FC_LAYERS_AUTO;
    else if (val_int(v, &n) && n >= 0 && n <= 1000000) c->n_gpu_layers = (int)n;
    else return -1;
    set_origin(c, FC_SET_LAYERS, o);
    return 0;
}

static int set_target(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    double d;
    /* "80%" too, in a flag or the file (the original system took numbers only) */
    *allowed = "a number with 0 < x <= 1, or a percentage (1%..100%)";
    const char *s = val_str(v);
    size_t n = s ? strlen(s) : 0;
    if (n > 1 && s[n - 1] == '%') { /* "80%" */
        char *end;
        d = strtod(s, &end) / 100;
        if (end != s + n - 1) return -1;
    } else if (!val_num(v, &d)) {
        return -1;
    }
    if (!(d > 0 && d <= 1)) return -1;
    c->target = d;
    set_origin(c, FC_SET_TARGET, o);
    return 0;
}

/* The KV cache types the config accepts, as written in modelconf.json. */
static const struct { const char *name; int type; } KV[] = {
    {"f16", GGML_TYPE_F16}, {"q8_0", GGML_TYPE_Q8_0}, {"q4_0", GGML_TYPE_Q4_0},
    {"f32", GGML_TYPE_F32}, {"auto", FC_KV_AUTO},
};

static int parse_kv(const cfg_val *v, int *out, const char **allowed) {
    *allowed = "one of \"f16\", \"q8_0\", \"q4_0\", \"f32\", \"auto\"";
    const char *s = val_str(v);
    for (size_t i = 0; s && i < sizeof KV / sizeof KV[0]; i++)
        if (!strcmp(s, KV[i].name)) { *out = KV[i].type; return 0; }
    return -1;
}

static int set_kv_both(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    int t;
    if (parse_kv(v, &t, allowed)) return -1;
    c->kv_type_k = c->kv_type_v = t;
    set_origin(c, FC_SET_KV_TYPE_K, o);
    set_origin(c, FC_SET_KV_TYPE_V, o);
    return 0;
}

static int set_kv_k(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    if (parse_kv(v, &c->kv_type_k, allowed)) return -1;
    set_origin(c, FC_SET_KV_TYPE_K, o);
    return 0;
}

static int set_kv_v(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    if (parse_kv(v, &c->kv_type_v, allowed)) return -1;
    set_origin(c, FC_SET_KV_TYPE_V, o);
    return 0;
}

/* An integer in [lo, hi] into *slot; the message is the caller's. */
static int set_int_range(fc_config *c, const cfg_val *v, fc_origin o, fc_setting s, int *slot,
                         long long lo, long long hi) {
    long long n;
    if (!val_int(v, &n) || n < lo || n > hi) return -1;
    *slot = (int)n;
    set_origin(c, s, o);
    return 0;
}

static int set_n_ctx(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "\"auto\" or an integer from 16 to 16777216";
    if (val_is(v, "auto")) { c->n_ctx = FC_CTX_AUTO; set_origin(c, FC_SET_N_CTX, o); return 0; }
    return set_int_range(c, v, o, FC_SET_N_CTX, &c->n_ctx, FC_N_CTX_MIN, FC_N_CTX_MAX);
}

static int set_n_ctx_min(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 16 to 16777216";
    return set_int_range(c, v, o, FC_SET_N_CTX_MIN, &c->n_ctx_min, FC_N_CTX_MIN, FC_N_CTX_MAX);
}

static int set_n_ctx_max(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 16 to 16777216";
    return set_int_range(c, v, o, FC_SET_N_CTX_MAX, &c->n_ctx_max, FC_N_CTX_MIN, FC_N_CTX_MAX);
}

static int set_flash_attn(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "\"auto\", \"on\", \"off\", true or false";
    const char *s = val_str(v);
    if (v->json && cJSON_IsBool(v->json)) c->flash_attn = cJSON_IsTrue(v->json) ? FC_FA_ON : FC_FA_OFF;
    else if (s && !strcmp(s, "auto")) c->flash_attn = FC_FA_AUTO;
    else if (s && (!strcmp(s, "on") || (v->text && !strcmp(s, "true")))) c->flash_attn = FC_FA_ON;
    else if (s && (!strcmp(s, "off") || (v->text && !strcmp(s, "false")))) c->flash_attn = FC_FA_OFF;
    else return -1;
    set_origin(c, FC_SET_FLASH_ATTN, o);
    return 0;
}

static int set_repack(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "\"auto\", \"on\", \"off\", true or false";
    const char *s = val_str(v);
    if (v->json && cJSON_IsBool(v->json)) c->repack = cJSON_IsTrue(v->json) ? FC_REPACK_ON : FC_REPACK_OFF;
    else if (s && !strcmp(s, "auto")) c->repack = FC_REPACK_AUTO;
    else if (s && (!strcmp(s, "on") || (v->text && !strcmp(s, "true")))) c->repack = FC_REPACK_ON;
    else if (s && (!strcmp(s, "off") || (v->text && !strcmp(s, "false")))) c->repack = FC_REPACK_OFF;
    else return -1;
    set_origin(c, FC_SET_REPACK, o);
    return 0;
}

/* --no-repack: REPACK off (takes no value) */
static int set_no_repack(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    (void)v;
    *allowed = "no value";
    c->repack = FC_REPACK_OFF;
    set_origin(c, FC_SET_REPACK, o);
    return 0;
}

/* A size: a JSON number of bytes >= 0, or a string like "1.5GiB". 0, or -1. */
static int val_bytes(const cfg_val *v, uint64_t *bytes) {
    long long n;
    if (v->json && cJSON_IsNumber(v->json)) {
        if (!val_int(v, &n) || n < 0) return -1;
        *bytes = (uint64_t)n;
        return 0;
    }
    const char *s = val_str(v);
    return !s || parse_bytes(s, bytes) ? -1 : 0;
}

static int set_vram_reserve(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a size like \"1.5GiB\", \"512MiB\" or a number of bytes >= 0";
    uint64_t bytes;
    if (val_bytes(v, &bytes)) return -1;
    c->vram_reserve = bytes;
    set_origin(c, FC_SET_VRAM_RESERVE, o);
    return 0;
}

static int set_threads(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 1 to 1024";
    return set_int_range(c, v, o, FC_SET_N_THREADS, &c->n_threads, 1, FC_N_THREADS_MAX);
}

static int set_batch(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 1 to 8192";
    return set_int_range(c, v, o, FC_SET_N_BATCH, &c->n_batch, 1, FC_N_BATCH_MAX);
}

/* A number in a range into *slot. */
static int set_num(fc_config *c, const cfg_val *v, fc_origin o, fc_setting s, double *slot, bool ok_fn(double)) {
    double d;
    if (!val_num(v, &d) || !ok_fn(d)) return -1;
    *slot = d;
    set_origin(c, s, o);
    return 0;
}

static bool temp_ok(double d) { return d >= 0 && d <= 1000; }
static bool top_p_ok(double d) { return d > 0 && d <= 1; }
static bool min_p_ok(double d) { return d >= 0 && d < 1; }
static bool penalty_ok(double d) { return d > 0 && d <= 1000; }

static int set_temp(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a number with 0 <= x <= 1000 (0: greedy)";
    return set_num(c, v, o, FC_SET_TEMPERATURE, &c->temperature, temp_ok);
}

static int set_top_k(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer >= 0 (0: off)";
    return set_int_range(c, v, o, FC_SET_TOP_K, &c->top_k, 0, 1 << 30);
}

static int set_top_p(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a number with 0 < x <= 1";
    return set_num(c, v, o, FC_SET_TOP_P, &c->top_p, top_p_ok);
}

static int set_min_p(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a number with 0 <= x < 1";
    return set_num(c, v, o, FC_SET_MIN_P, &c->min_p, min_p_ok);
}

static int set_penalty(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a number with 0 < x <= 1000 (1: off)";
    return set_num(c, v, o, FC_SET_REPEAT_PENALTY, &c->repeat_penalty, penalty_ok);
}

static int set_seed(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    long long n;
    *allowed = "an integer >= -1 (-1: random)";
    if (!val_int(v, &n) || n < -1) return -1;
    c->seed = n;
    set_origin(c, FC_SET_SEED, o);
    return 0;
}

static int set_max_tokens(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    long long n;
    *allowed = "an integer >= 1, or -1 (until the end of the turn)";
    if (!val_int(v, &n) || n == 0 || n < -1 || n > (1 << 30)) return -1;
    c->max_tokens = (int)n;
    set_origin(c, FC_SET_MAX_TOKENS, o);
    return 0;
}

static int set_system(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a string of UTF-8 text";
    const char *s = val_str(v);
    if (!s || !txt_utf8_valid(s, strlen(s))) return -1;
    if (replace_str(&c->system_prompt, *s ? s : NULL)) return -2;
    set_origin(c, FC_SET_SYSTEM_PROMPT, o);
    return 0;
}

static int set_chat_template_file(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a file name";
    const char *s = val_str(v);
    if (!s) return -1;
    if (replace_str(&c->chat_template_file, *s ? s : NULL)) return -2;
    set_origin(c, FC_SET_CHAT_TEMPLATE_FILE, o);
    return 0;
}

static int set_thinking(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "show or hide";
    const char *s = val_str(v);
    if (!s || (strcmp(s, "show") && strcmp(s, "hide"))) return -1;
    c->show_thinking = !strcmp(s, "show");
    set_origin(c, FC_SET_THINKING, o);
    return 0;
}

static int set_prompt(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a string of UTF-8 text";
    const char *s = val_str(v);
    if (s && !txt_utf8_valid(s, strlen(s))) return -1;
    if (replace_str(&c->prompt, s)) return -2;
    set_origin(c, FC_SET_PROMPT, o);
    return 0;
}

static int add_gpu(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a GPU spec";
    char **list = realloc(c->gpu_specs, (size_t)(c->n_gpu_specs + 1) * sizeof *list);
    if (!list) return -2;
    c->gpu_specs = list;
    if (!(list[c->n_gpu_specs] = strdup(val_str(v)))) return -2;
    c->n_gpu_specs++;
    set_origin(c, FC_SET_GPU, o);
    return 0;
}

static int set_ram(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a size such as 16GiB";
    uint64_t b;
    const char *s = val_str(v);
    if (!s || parse_bytes(s, &b) || b == 0) return -1;
    if (replace_str(&c->ram_spec, s)) return -2;
    set_origin(c, FC_SET_RAM, o);
    return 0;
}

/* ---- fitchat serve ---- */

/* A string setting of 1 to max bytes, each accepted by ok (NULL: any byte). */
static int set_string(fc_config *c, const cfg_val *v, fc_origin o, fc_setting which, char **slot, size_t max,
                      bool (*ok)(unsigned char)) {
    const char *s = val_str(v);
    if (!s || !*s || strlen(s) > max) return -1;
    for (const char *p = s; ok && *p; p++)
        if (!ok((unsigned char)*p)) return -1;
    if (replace_str(slot, s)) return -2;
    set_origin(c, which, o);
    return 0;
}

static bool address_char(unsigned char ch) { return isxdigit(ch) || ch == '.' || ch == ':'; }
static bool key_char(unsigned char ch) { return ch > ' ' && ch < 127; }

static int set_host(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::1";
    return set_string(c, v, o, FC_SET_HOST, &c->host, 63, address_char);
}

static int set_port(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 0 to 65535 (0: any free port)";
    return set_int_range(c, v, o, FC_SET_PORT, &c->port, 0, 65535);
}

static int set_parallel(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "\"auto\" or an integer from 1 to 64";
    if (val_is(v, "auto")) { c->n_parallel = FC_PARALLEL_AUTO; set_origin(c, FC_SET_N_PARALLEL, o); return 0; }
    return set_int_range(c, v, o, FC_SET_N_PARALLEL, &c->n_parallel, 1, FC_N_SEQ_MAX);
}

static int set_api_key(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a string of 1 to 512 printable characters without spaces";
    return set_string(c, v, o, FC_SET_API_KEY, &c->api_key, 512, key_char);
}

/* an origin's characters (scheme://host[:port], ',' between origins) */
static bool origin_char(unsigned char ch) { return isalnum(ch) || strchr(":/.-_[],*", ch); }

static int set_cors_origins(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "\"*\" or origins separated by ',' such as \"http://192.168.1.5:3000,https://chat.example.org\"";
    return set_string(c, v, o, FC_SET_CORS_ORIGINS, &c->cors_origins, 2048, origin_char);
}

static int set_api_key_file(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a file name";
    return set_string(c, v, o, FC_SET_API_KEY_FILE, &c->api_key_file, 4096, NULL);
}

static int set_timeout(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 1 to 86400 (seconds)";
    return set_int_range(c, v, o, FC_SET_TIMEOUT, &c->timeout, 1, 86400);
}

static int set_max_body(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "a size from 1KiB to 1GiB, like \"4MiB\", or a number of bytes";
    uint64_t bytes;
    if (val_bytes(v, &bytes)) return -1;
    if (bytes < 1024 || bytes > (1ull << 30)) return -1;
    c->max_body = bytes;
    set_origin(c, FC_SET_MAX_BODY, o);
    return 0;
}

static int set_queue_size(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 0 to 4096";
    return set_int_range(c, v, o, FC_SET_QUEUE_SIZE, &c->queue_size, 0, 4096);
}

static int set_drain_timeout(fc_config *c, const cfg_val *v, fc_origin o, const char **allowed) {
    *allowed = "an integer from 0 to 86400 (seconds)";
    return set_int_range(c, v, o, FC_SET_DRAIN_TIMEOUT, &c->drain_timeout, 0, 86400);
}

/* ---- the one table: each input (file key and/or flags) and its setter ---- */

static const struct input {
    const char *key;         /* modelconf.json key, NULL if flag only */
    const char *flags[3];    /* flag spellings, NULL-padded */
    setter_fn set;
    const char *arg, *help;  /* for config_print_flags */
    bool server;             /* fitchat serve's: its flags only with CONFIG_SERVER */
    bool gen;                /* used only by the commands that generate text (sampling) */
} INPUTS[] = {
    {"MODEL", {"-m", "--model"}, set_model, "FILE", "GGUF model file", false, false},
    {"MODEL_TYPE", {"--model-type"}, set_model_type, "NAME", "chat template: auto, chatml, llama2, mistral, llama3, gemma, phi3, zephyr", false, false},
    {"LAYERS", {"-ngl", "--n-gpu-layers", "--gpu-layers"}, set_layers, "N|auto", "layers on the GPU", false, false},
    {"TARGET_VRAM_USAGE", {"--target"}, set_target, "X", "fraction of each GPU's memory to use (0 < x <= 1, or 80%)", false, false},
    {"KV_CACHE_QUANT", {NULL}, set_kv_both, NULL, NULL, false, false},
    {NULL, {"-ctk", "--cache-type-k"}, set_kv_k, "TYPE", "KV cache type for K: f16, q8_0, q4_0, f32, auto [KV_CACHE_QUANT sets both]", false, false},
    {NULL, {"-ctv", "--cache-type-v"}, set_kv_v, "TYPE", "KV cache type for V: f16, q8_0, q4_0, f32, auto [KV_CACHE_QUANT sets both]", false, false},
    {"N_CTX", {"-c", "--ctx-size"}, set_n_ctx, "N|auto", "context size in tokens", false, false},
    {"N_CTX_MIN", {"--ctx-min"}, set_n_ctx_min, "N", "smallest context -c auto may choose (default 4096)", false, false},
    {"N_CTX_MAX", {"--ctx-max"}, set_n_ctx_max, "N", "largest context -c auto may choose (default 32768)", false, false},
    {"FLASH_ATTN", {"-fa", "--flash-attn"}, set_flash_attn, "[on|off|auto]", "flash attention (no value: on)", false, false},
    {"VRAM_RESERVE", {"--vram-reserve"}, set_vram_reserve, "SIZE", "memory kept free on every GPU (\"1.5GiB\")", false, false},
    {"N_THREADS", {"-t", "--threads"}, set_threads, "N", "CPU threads", false, false},
    {"REPACK", {"--repack"}, set_repack, "auto|on|off", "repacked copies of the weights for the CPU's prompt kernels (host memory; auto: unless it is short)", false, false},
    {NULL, {"--no-repack"}, set_no_repack, NULL, "REPACK off", false, false},
    {"N_BATCH", {"-b", "--batch-size"}, set_batch, "N", "prompt tokens per batch (1..8192)", false, false},
    {"TEMPERATURE", {"--temp"}, set_temp, "X", "sampling temperature (0: greedy)", false, true},
    {"TOP_K", {"--top-k"}, set_top_k, "N", "top-k sampling (0: off)", false, true},
    {"TOP_P", {"--top-p"}, set_top_p, "X", "top-p sampling", false, true},
    {"MIN_P", {"--min-p"}, set_min_p, "X", "min-p sampling", false, true},
    {"REPEAT_PENALTY", {"--repeat-penalty"}, set_penalty, "X", "repetition penalty (1: off)", false, true},
    {"SEED", {"-s", "--seed"}, set_seed, "N", "random seed (-1: random)", false, true},
    {"MAX_TOKENS", {"-n", "--n-predict"}, set_max_tokens, "N", "tokens per reply (-1: until the end of the turn)", false, true},
    {"SYSTEM_PROMPT", {"--system"}, set_system, "TEXT", "system prompt", false, false},
    {"CHAT_TEMPLATE_FILE", {"--chat-template-file"}, set_chat_template_file, "FILE", "Jinja chat template to use instead of the model's", false, false},
    {"THINKING", {"--thinking"}, set_thinking, "show|hide", "a reasoning model's thinking: shown dimmed, or hidden", false, true},
    {NULL, {"-p", "--prompt"}, set_prompt, "TEXT", "prompt (first message)", false, false},
    {NULL, {"--gpu"}, add_gpu, "SPEC", "GPU to use or describe (repeatable)", false, false},
    {NULL, {"--ram"}, set_ram, "SIZE", "host memory to plan with (default: MemAvailable / the cgroup limit)", false, false},
    {NULL, {"--config"}, NULL, "FILE", "modelconf.json to read", false, false},
    {"HOST", {"--host"}, set_host, "ADDR", "address to listen on (default 127.0.0.1: this machine only)", true, false},
    {"PORT", {"--port"}, set_port, "N", "TCP port (default 8080; 0: any free port)", true, false},
    {"N_PARALLEL", {"-np", "--parallel"}, set_parallel, "N|auto", "slots: requests generated at the same time", true, false},
    {"API_KEY", {"--api-key"}, set_api_key, "KEY", "clients must send 'Authorization: Bearer KEY'", true, false},
    {"API_KEY_FILE", {"--api-key-file"}, set_api_key_file, "FILE", "the API key from the first line of FILE", true, false},
    {"TIMEOUT", {"--timeout"}, set_timeout, "S", "seconds a connection may stay idle (default 600)", true, false},
    {"MAX_BODY", {"--max-body"}, set_max_body, "SIZE", "largest request body (default 4MiB)", true, false},
    {"QUEUE_SIZE", {"--queue"}, set_queue_size, "N", "requests that may wait for a slot (default 16); more get 503", true, false},
    {"DRAIN_TIMEOUT", {"--drain-timeout"}, set_drain_timeout, "S",
     "on SIGTERM/SIGINT, seconds to let running and queued requests finish (default 30; 0: stop at once)", true, false},
    {"CORS_ORIGINS", {"--cors-origins"}, set_cors_origins, "LIST",
     "web pages (origins, ','-separated, or \"*\") that may call the server; default: pages of this machine", true, false},
};
#define N_INPUTS (sizeof INPUTS / sizeof INPUTS[0])

/* ---- defaults ---- */

int config_init(fc_config *cfg, fc_err *err) {
    memset(cfg, 0, sizeof *cfg);
    char buf[4096];
    default_model_path(buf, sizeof buf, NULL, 0); /* the path even when the file is missing */
    cfg->model = strdup(buf);
    if (!cfg->model) return fc_errf(err, FC_EFAIL, "config: out of memory");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->model_type = -1;
    cfg->n_gpu_layers = FC_LAYERS_AUTO;
    cfg->target = 0.8;
    cfg->kv_type_k = cfg->kv_type_v = GGML_TYPE_F16;
    cfg->n_ctx = FC_CTX_MODEL;
    cfg->n_ctx_min = 4096;
    cfg->n_ctx_max = 32768;
    cfg->flash_attn = FC_FA_AUTO;
    cfg->vram_reserve = FC_VRAM_RESERVE_DEFAULT;
    cfg->n_threads = cores < 1 ? 1 : cores > FC_N_THREADS_MAX ? (int)FC_N_THREADS_MAX : (int)cores;
    cfg->n_batch = 512;
    cfg->temperature = 0.7;
    cfg->top_k = 40;
    cfg->top_p = 0.95;
    cfg->min_p = 0.05;
    cfg->repeat_penalty = 1.1;
    cfg->seed = -1;
    cfg->max_tokens = -1;
    cfg->show_thinking = true;
    cfg->repack = FC_REPACK_AUTO;
    cfg->host = strdup("127.0.0.1");
    if (!cfg->host) { free(cfg->model); cfg->model = NULL; return fc_errf(err, FC_EFAIL, "config: out of memory"); }
    cfg->port = 8080;
    cfg->n_parallel = FC_PARALLEL_AUTO;
    cfg->timeout = 600;
    cfg->max_body = 4u << 20;
    cfg->queue_size = 16;
    cfg->drain_timeout = 30;
    return 0;
}

void config_free(fc_config *cfg) {
    if (!cfg) return;
    free(cfg->model);
    free(cfg->system_prompt);
    free(cfg->prompt);
    free(cfg->chat_template_file);
    for (int i = 0; i < cfg->n_gpu_specs; i++) free(cfg->gpu_specs[i]);
    free(cfg->gpu_specs);
    free(cfg->ram_spec);
    free(cfg->host);
    free(cfg->api_key);
    free(cfg->api_key_file);
    free(cfg->cors_origins);
    for (int i = 0; i < cfg->n_paths; i++) free(cfg->paths[i]);
    free(cfg->paths);
    for (int i = 0; i < cfg->n_warnings; i++) free(cfg->warnings[i]);
    free(cfg->warnings);
    memset(cfg, 0, sizeof *cfg);
}

static int add_warning(fc_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_warning(fc_config *cfg, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **list = realloc(cfg->warnings, (size_t)(cfg->n_warnings + 1) * sizeof *list);
    if (!list) return -1;
    cfg->warnings = list;
    if (!(list[cfg->n_warnings] = strdup(line))) return -1;
    cfg->n_warnings++;
    return 0;
}

/* ---- modelconf.json ---- */

/* Case-insensitive Levenshtein distance (short strings only: keys and flags). */
static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = toupper((unsigned char)a[i - 1]) != toupper((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest known key or flag to word, if close enough to be a likely typo. */
static const char *suggest(const char *word, bool flags, bool server) {
    const char *best = NULL;
    int best_d = 99;
    for (size_t i = 0; i < N_INPUTS; i++) {
        if (flags && INPUTS[i].server && !server) continue;
        for (int f = 0; f < (flags ? 3 : 1); f++) {
            const char *cand = flags ? INPUTS[i].flags[f] : INPUTS[i].key;
            if (!cand) continue;
            int d = edit_distance(word, cand);
            if (d < best_d) { best_d = d; best = cand; }
        }
    }
    int len = (int)strlen(word);
    return best && (best_d <= 2 || best_d <= len / 3) && best_d < len ? best : NULL;
}

/* Blanks what modelconf.json may hold beyond JSON, keeping line and column positions:
 * lines that are only "..." (optionally with a comma), // comments, and commas left
 * dangling before } or ]. Returns a NUL-terminated copy, or NULL when out of memory. */
static char *clean_json(const char *text, size_t len) {
    char *s = malloc(len + 1);
    if (!s) return NULL;
    memcpy(s, text, len);
    s[len] = '\0';
    for (size_t line = 0; line < len;) {
        size_t end = line;
        while (end < len && s[end] != '\n') end++;
        size_t a = line, b = end;
        while (a < b && isspace((unsigned char)s[a])) a++;
        while (b > a && isspace((unsigned char)s[b - 1])) b--;
        if (b > a && s[b - 1] == ',') b--;
        while (b > a && isspace((unsigned char)s[b - 1])) b--;
        if (b - a == 3 && !memcmp(s + a, "...", 3))
            for (size_t i = line; i < end; i++) s[i] = ' ';
        line = end + 1;
    }
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            if (s[i] == '\\' && i + 1 < len) i++;
            else if (s[i] == '"') in_str = false;
        } else if (s[i] == '"') {
            in_str = true;
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
            while (i < len && s[i] != '\n') s[i++] = ' ';
        }
    }
    in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            if (s[i] == '\\' && i + 1 < len) i++;
            else if (s[i] == '"') in_str = false;
        } else if (s[i] == '"') {
            in_str = true;
        } else if (s[i] == ',') {
            size_t j = i + 1;
            while (j < len && isspace((unsigned char)s[j])) j++;
            if (j < len && (s[j] == '}' || s[j] == ']')) s[i] = ' ';
        }
    }
    return s;
}

static const struct input *input_by_key(const char *key) {
    for (size_t i = 0; i < N_INPUTS; i++)
        if (INPUTS[i].key && !strcmp(INPUTS[i].key, key)) return &INPUTS[i];
    return NULL;
}

int config_load_text(fc_config *cfg, const char *path, const char *text, size_t len, fc_err *err) {
    size_t nul = json_nul_at(text, len);
    if (nul != (size_t)-1)
        return fc_errf(err, FC_EINPUT, "%s: line %d: %s is not allowed (it would cut the text short)", path,
                       text_line_at(text, nul), text[nul] ? "a \\u0000 escape" : "a NUL byte");
    char *clean = clean_json(text, len);
    if (!clean) return fc_errf(err, FC_EFAIL, "%s: out of memory", path);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(clean, len + 1, &end, 1);
    if (!root) {
        size_t pos = end && end >= clean && end <= clean + len ? (size_t)(end - clean) : 0;
        int line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
            if (clean[i] == '\n') { line++; col = 1; }
            else col++;
        }
        free(clean);
        return fc_errf(err, FC_EINPUT, "%s: line %d, column %d: invalid JSON", path, line, col);
    }
    free(clean);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fc_errf(err, FC_EINPUT, "%s: must hold a JSON object { \"KEY\": value, ... }", path);
    }
    /* The origin names the file: keep our own copy, and every earlier one, so that origins
     * never dangle. */
    char **paths = realloc(cfg->paths, (size_t)(cfg->n_paths + 1) * sizeof *paths);
    if (paths) cfg->paths = paths;
    if (!paths || !(paths[cfg->n_paths] = strdup(path))) {
        cJSON_Delete(root);
        return fc_errf(err, FC_EFAIL, "%s: out of memory", path);
    }
    cfg->config_path = paths[cfg->n_paths++];
    fc_origin o = {FC_SRC_FILE, cfg->config_path};
    bool seen[N_INPUTS] = {0};
    int rc = 0;
    for (const cJSON *item = root->child; item && rc == 0; item = item->next) {
        const struct input *in = input_by_key(item->string);
        if (!in) {
            const char *near = suggest(item->string, false, true);
            char shown[80]; /* the key as typed, safe on a terminal and one line */
            fmt_printable(shown, sizeof shown, item->string);
            if (near) rc = add_warning(cfg, "%s: unknown key '%s' (did you mean '%s'?)", path, shown, near);
            else rc = add_warning(cfg, "%s: unknown key '%s' (ignored)", path, shown);
            if (rc) rc = fc_errf(err, FC_EFAIL, "out of memory");
            continue;
        }
        size_t idx = (size_t)(in - INPUTS);
        if (seen[idx] && add_warning(cfg, "%s: key '%s' appears twice; the last one counts", path, item->string))
            rc = fc_errf(err, FC_EFAIL, "out of memory");
        seen[idx] = true;
        cfg_val v = {item, NULL};
        const char *allowed = "";
        int r = in->set(cfg, &v, o, &allowed);
        if (r == -2) rc = fc_errf(err, FC_EFAIL, "out of memory");
        else if (r) {
            /* cJSON prints an infinite number (1e400) as null: say what it was. */
            char *shown = cJSON_IsNumber(item) && !isfinite(item->valuedouble) ? strdup("(a number too large to represent)")
                                                                               : cJSON_PrintUnformatted(item);
            char line[sizeof err->msg];
            snprintf(line, sizeof line, "%s: %s = %.80s%s: must be %s", path, in->key, shown ? shown : "?",
                     shown && strlen(shown) > 80 ? "..." : "", allowed);
            free(shown);
            /* A key this command does not use stops only the commands that do. */
            if ((in->server && !cfg->server) || (in->gen && cfg->no_gen)) {
                if (add_warning(cfg, "%s (not used by this command; %s stop on it)", line,
                                in->server ? "fitchat serve would" : "chat, run, bench and serve"))
                    rc = fc_errf(err, FC_EFAIL, "out of memory");
            } else
                rc = fc_errf(err, FC_EINPUT, "%s", line);
        }
    }
    cJSON_Delete(root);
    return rc;
}

int config_load_file(fc_config *cfg, const char *path, fc_err *err) {
    char *buf;
    size_t len;
    if (fc_read_file(path, 16u << 20, &buf, &len, err)) return -1;
    int rc = config_load_text(cfg, path, buf, len, err);
    free(buf);
    return rc;
}

const char *config_find_file(char *buf, size_t cap) {
    struct stat st;
    /* Anything named modelconf.json counts, so that a directory or a FIFO
     * of that name is an error when it is read, not silently passed over. */
    if (lstat("modelconf.json", &st) == 0) {
        snprintf(buf, cap, "modelconf.json");
        return buf;
    }
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, cap, "%s/fitchat/modelconf.json", xdg);
    else if (home && *home) snprintf(buf, cap, "%s/.config/fitchat/modelconf.json", home);
    else return NULL;
    return lstat(buf, &st) == 0 ? buf : NULL;
}

/* ---- flags ---- */

/* The input and the spelling that matches arg (or its "--name" part before '='). */
static const struct input *input_by_flag(const char *arg, size_t n, const char **spelling) {
    for (size_t i = 0; i < N_INPUTS; i++)
        for (int f = 0; f < 3 && INPUTS[i].flags[f]; f++)
            if (strlen(INPUTS[i].flags[f]) == n && !strncmp(INPUTS[i].flags[f], arg, n)) {
                *spelling = INPUTS[i].flags[f];
                return &INPUTS[i];
            }
    return NULL;
}

static bool is_flash_value(const char *s) {
    static const char *const W[] = {"on", "off", "auto", "true", "false"};
    for (size_t i = 0; s && i < sizeof W / sizeof W[0]; i++)
        if (!strcmp(s, W[i])) return true;
    return false;
}

/* Looks up argv[i] as a known flag: the input, its value and how many arguments it takes.
 * Returns NULL if argv[i] is not one of ours; *n_args = 0 if its value is missing. */
static const struct input *match_flag(int argc, char **argv, int i, const char **spelling,
                                      const char **value, int *n_args) {
    const char *arg = argv[i];
    const char *eq = arg[0] == '-' && arg[1] == '-' ? strchr(arg, '=') : NULL;
    const struct input *in = input_by_flag(arg, eq ? (size_t)(eq - arg) : strlen(arg), spelling);
    if (!in) return NULL;
    if (eq) { *value = eq + 1; *n_args = 1; }
    else if (in->set == set_no_repack) { *value = "off"; *n_args = 1; }
    else if (in->set == set_flash_attn && (i + 1 >= argc || !is_flash_value(argv[i + 1]))) {
        *value = "on"; /* llama.cpp's older bare -fa */
        *n_args = 1;
    } else if (i + 1 < argc) { *value = argv[i + 1]; *n_args = 2; }
    else { *value = NULL; *n_args = 0; }
    return in;
}

/* "FLAG VALUE: must be ALLOWED", the value as typed made safe for a terminal. */
static int bad_flag_value(fc_err *err, const char *flag, const char *value, const char *allowed) {
    char shown[120];
    return fc_errf(err, FC_EINPUT, "%s %s: must be %s", flag, fmt_printable(shown, sizeof shown, value), allowed);
}

int config_set_key(fc_config *cfg, const char *key, const char *value, const char *origin, fc_err *err) {
    const struct input *in = input_by_key(key);
    if (!in || !in->set) return fc_errf(err, FC_EINPUT, "%s: no such setting", key);
    cfg_val v = {NULL, value};
    const char *allowed = "";
    int r = in->set(cfg, &v, (fc_origin){FC_SRC_FLAG, origin}, &allowed);
    if (r == -2) return fc_errf(err, FC_EFAIL, "out of memory");
    return r ? bad_flag_value(err, origin, value, allowed) : 0;
}

int config_apply_args(fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx, fc_err *err) {
    for (int i = 0; i < argc;) {
        const char *spelling = NULL, *value = NULL;
        int n_args = 0;
        const struct input *in = match_flag(argc, argv, i, &spelling, &value, &n_args);
        if (in && in->server && !cfg->server) in = NULL; /* serve's flag elsewhere: unknown */
        if (in) {
            if (!n_args) return fc_errf(err, FC_EINPUT, "%s: needs a value (%s)", spelling, in->arg);
            if (in->set) {
                cfg_val v = {NULL, value};
                const char *allowed = "";
                int r = in->set(cfg, &v, (fc_origin){FC_SRC_FLAG, spelling}, &allowed);
                if (r == -2) return fc_errf(err, FC_EFAIL, "out of memory");
                if (r) return bad_flag_value(err, spelling, value, allowed);
            }
            i += n_args;
            continue;
        }
        int used = extra ? extra(ctx, argc, argv, i, err) : 0;
        if (used < 0) return -1;
        if (used > 0) { i += used; continue; }
        const char *arg = argv[i];
        if (arg[0] == '-' && arg[1]) {
            char name[64];
            const char *eq = strchr(arg, '=');
            snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
            const char *near = suggest(name, true, cfg->server);
            if (near) return fc_errf(err, FC_EINPUT, "unknown flag '%s' (did you mean '%s'?)", name, near);
            return fc_errf(err, FC_EINPUT, "unknown flag '%s'", name);
        }
        if (i > 0 && argv[i - 1][0] == '-') /* "-fa maybe": the flag before it takes no such value */
            return fc_errf(err, FC_EINPUT, "unexpected argument '%s' (after %s: see --help for its values)", arg, argv[i - 1]);
        return fc_errf(err, FC_EINPUT, "unexpected argument '%s'", arg);
    }
    return 0;
}

int config_validate(const fc_config *cfg, fc_err *err) {
    if (cfg->n_ctx_min > cfg->n_ctx_max)
        return fc_errf(err, FC_EINPUT, "N_CTX_MIN = %d is larger than N_CTX_MAX = %d", cfg->n_ctx_min, cfg->n_ctx_max);
    return 0;
}

int config_load(fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx, fc_err *err) {
    return config_load_ex(cfg, argc, argv, extra, ctx, 0, err);
}

int config_load_ex(fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx, unsigned flags,
                   fc_err *err) {
    if (config_init(cfg, err)) return -1;
    cfg->server = (flags & CONFIG_SERVER) != 0;
    cfg->no_gen = (flags & CONFIG_NO_GEN) != 0;
    /* --config must be known before the file is read, and the flags applied after it. This
     * scan skips the values of our own flags; others are assumed to take no value. */
    const char *path = NULL;
    for (int i = 0; i < argc;) {
        const char *spelling = NULL, *value = NULL;
        int n_args = 0;
        const struct input *in = match_flag(argc, argv, i, &spelling, &value, &n_args);
        if (!in) { i++; continue; }
        if (!n_args) break; /* reported by config_apply_args */
        if (!strcmp(spelling, "--config")) path = value;
        i += n_args;
    }
    char found[4096];
    if (!path) path = config_find_file(found, sizeof found);
    if ((path && config_load_file(cfg, path, err)) ||
        config_apply_args(cfg, argc, argv, extra, ctx, err) || config_validate(cfg, err)) {
        config_free(cfg);
        return -1;
    }
    return 0;
}

/* ---- printing ---- */

static const char *kv_name(int type) {
    for (size_t i = 0; i < sizeof KV / sizeof KV[0]; i++)
        if (KV[i].type == type) return KV[i].name;
    return "?";
}

static void print_line(FILE *out, const char *key, const char *value, fc_origin o) {
    char where[512];
    switch (o.src) {
    case FC_SRC_FILE: snprintf(where, sizeof where, "%s", o.name ? o.name : "file"); break;
    case FC_SRC_FLAG: snprintf(where, sizeof where, "flag %s", o.name ? o.name : "?"); break;
    case FC_SRC_ENV: snprintf(where, sizeof where, "env %s", o.name ? o.name : "?"); break;
    default: snprintf(where, sizeof where, "default"); break;
    }
    fprintf(out, "%-18s %-14s (%s)\n", key, value, where);
}

static void print_int(FILE *out, const char *key, long long value, fc_origin o) {
    char v[32];
    snprintf(v, sizeof v, "%lld", value);
    print_line(out, key, v, o);
}

static void print_float(FILE *out, const char *key, double value, fc_origin o) {
    char v[32];
    snprintf(v, sizeof v, "%g", value);
    print_line(out, key, v, o);
}

void config_print(FILE *out, const fc_config *c) {
    char v[256];
    const fc_origin *o = c->origin;
    print_line(out, "MODEL", c->model ? c->model : "(none)", o[FC_SET_MODEL]);
    print_line(out, "MODEL_TYPE", c->model_type < 0 ? "auto" : tmpl_name((enum tmpl_kind)c->model_type), o[FC_SET_MODEL_TYPE]);
    if (c->n_gpu_layers == FC_LAYERS_AUTO) snprintf(v, sizeof v, "auto");
    else snprintf(v, sizeof v, "%d", c->n_gpu_layers);
    print_line(out, "LAYERS", v, o[FC_SET_LAYERS]);
    print_float(out, "TARGET_VRAM_USAGE", c->target, o[FC_SET_TARGET]);
    if (c->kv_type_k == c->kv_type_v && o[FC_SET_KV_TYPE_K].src == o[FC_SET_KV_TYPE_V].src &&
        o[FC_SET_KV_TYPE_K].name == o[FC_SET_KV_TYPE_V].name) {
        print_line(out, "KV_CACHE_QUANT", kv_name(c->kv_type_k), o[FC_SET_KV_TYPE_K]);
    } else {
        print_line(out, "KV_CACHE_QUANT K", kv_name(c->kv_type_k), o[FC_SET_KV_TYPE_K]);
        print_line(out, "KV_CACHE_QUANT V", kv_name(c->kv_type_v), o[FC_SET_KV_TYPE_V]);
    }
    if (c->n_ctx == FC_CTX_MODEL) snprintf(v, sizeof v, "model (<= 4096)");
    else if (c->n_ctx == FC_CTX_AUTO) snprintf(v, sizeof v, "auto");
    else snprintf(v, sizeof v, "%d", c->n_ctx);
    print_line(out, "N_CTX", v, o[FC_SET_N_CTX]);
    print_int(out, "N_CTX_MIN", c->n_ctx_min, o[FC_SET_N_CTX_MIN]);
    print_int(out, "N_CTX_MAX", c->n_ctx_max, o[FC_SET_N_CTX_MAX]);
    print_line(out, "FLASH_ATTN", c->flash_attn == FC_FA_ON ? "on" : c->flash_attn == FC_FA_OFF ? "off" : "auto",
               o[FC_SET_FLASH_ATTN]);
    print_line(out, "VRAM_RESERVE", fmt_bytes(v, sizeof v, c->vram_reserve), o[FC_SET_VRAM_RESERVE]);
    print_int(out, "N_THREADS", c->n_threads, o[FC_SET_N_THREADS]);
    print_line(out, "REPACK", c->repack == FC_REPACK_AUTO ? "auto" : c->repack ? "on" : "off", o[FC_SET_REPACK]);
    print_int(out, "N_BATCH", c->n_batch, o[FC_SET_N_BATCH]);
    print_float(out, "TEMPERATURE", c->temperature, o[FC_SET_TEMPERATURE]);
    print_int(out, "TOP_K", c->top_k, o[FC_SET_TOP_K]);
    print_float(out, "TOP_P", c->top_p, o[FC_SET_TOP_P]);
    print_float(out, "MIN_P", c->min_p, o[FC_SET_MIN_P]);
    print_float(out, "REPEAT_PENALTY", c->repeat_penalty, o[FC_SET_REPEAT_PENALTY]);
    print_int(out, "SEED", c->seed, o[FC_SET_SEED]);
    print_int(out, "MAX_TOKENS", c->max_tokens, o[FC_SET_MAX_TOKENS]);
    if (c->system_prompt) snprintf(v, sizeof v, "\"%.60s%s\"", c->system_prompt, strlen(c->system_prompt) > 60 ? "..." : "");
    else snprintf(v, sizeof v, "(none)");
    for (char *p = v; *p; p++) if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    print_line(out, "SYSTEM_PROMPT", v, o[FC_SET_SYSTEM_PROMPT]);
    print_line(out, "CHAT_TEMPLATE_FILE", c->chat_template_file ? c->chat_template_file : "(none: the model's)",
               o[FC_SET_CHAT_TEMPLATE_FILE]);
    print_line(out, "THINKING", c->show_thinking ? "show" : "hide", o[FC_SET_THINKING]);
    for (int i = 0; i < c->n_gpu_specs; i++) print_line(out, "GPU", c->gpu_specs[i], o[FC_SET_GPU]);
    if (c->ram_spec) print_line(out, "RAM", c->ram_spec, o[FC_SET_RAM]);
    if (!c->server) return;
    print_line(out, "HOST", c->host ? c->host : "?", o[FC_SET_HOST]);
    print_int(out, "PORT", c->port, o[FC_SET_PORT]);
    if (c->n_parallel == FC_PARALLEL_AUTO) snprintf(v, sizeof v, "auto");
    else snprintf(v, sizeof v, "%d", c->n_parallel);
    print_line(out, "N_PARALLEL", v, o[FC_SET_N_PARALLEL]);
    print_line(out, "API_KEY", c->api_key ? "(set, not shown)" : "(none)", o[FC_SET_API_KEY]);
    print_line(out, "API_KEY_FILE", c->api_key_file ? c->api_key_file : "(none)", o[FC_SET_API_KEY_FILE]);
    print_int(out, "TIMEOUT", c->timeout, o[FC_SET_TIMEOUT]);
    print_line(out, "MAX_BODY", fmt_bytes(v, sizeof v, c->max_body), o[FC_SET_MAX_BODY]);
    print_int(out, "QUEUE_SIZE", c->queue_size, o[FC_SET_QUEUE_SIZE]);
    print_int(out, "DRAIN_TIMEOUT", c->drain_timeout, o[FC_SET_DRAIN_TIMEOUT]);
    print_line(out, "CORS_ORIGINS", c->cors_origins ? c->cors_origins : "(pages of this machine)", o[FC_SET_CORS_ORIGINS]);
}

static void print_flags(FILE *out, bool server, const char *const *skip) {
    for (size_t i = 0; i < N_INPUTS; i++) {
        if (!INPUTS[i].flags[0] || INPUTS[i].server != server) continue;
        bool skipped = false;
        for (const char *const *k = skip; k && *k; k++) skipped |= !strcmp(*k, INPUTS[i].flags[0]);
        if (skipped) continue;
        char names[96];
        int n = 0;
        for (int f = 0; f < 3 && INPUTS[i].flags[f]; f++)
            n += snprintf(names + n, sizeof names - (size_t)n, "%s%s", f ? ", " : "", INPUTS[i].flags[f]);
        if (INPUTS[i].arg) snprintf(names + n, sizeof names - (size_t)n, " %s", INPUTS[i].arg);
        if (strlen(names) > 36) fprintf(out, "  %s\n%39s", names, ""); /* too wide: the help below */
        else fprintf(out, "  %-36s ", names);
        if (INPUTS[i].key) fprintf(out, "%s [%s]\n", INPUTS[i].help, INPUTS[i].key);
        else fprintf(out, "%s\n", INPUTS[i].help);
    }
}

void config_print_flags(FILE *out) { print_flags(out, false, NULL); }
void config_print_flags_except(FILE *out, const char *const *skip) { print_flags(out, false, skip); }
void config_print_server_flags(FILE *out) { print_flags(out, true, NULL); }
