/* render_template — the C side of the chat-template conformance test (tests/templates.test.sh).
 *
 * usage: render_template TEMPLATE CASES.json OUTDIR
 * Renders TEMPLATE with src/text/jinja over every case of CASES.json (the format
 * tests/reference/render_templates.py reads) and writes OUTDIR/<case>.out (the text) or
 * OUTDIR/<case>.err (the one-line error). bos_token, eos_token and add_generation_prompt are
 * the template's own text; every other variable is outside text. Exit 0 unless the files
 * cannot be read or written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../src/text/jinja.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    for (size_t k; s && (k = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (cap - n < 2) { char *t = realloc(s, cap *= 2); if (!t) { free(s); s = NULL; } else s = t; }
    }
    fclose(f);
    if (s) s[n] = 0;
    *len = n;
    return s;
}

static int write_file(const char *dir, const char *name, const char *ext, const char *s, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s, 1, n, f) != n || fclose(f)) { fprintf(stderr, "render_template: cannot write %s\n", path); return -1; }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: render_template TEMPLATE CASES.json OUTDIR\n"); return 2; }
    size_t tlen, clen;
    char *src = slurp(argv[1], &tlen), *cases_text = slurp(argv[2], &clen);
    if (!src || !cases_text) { fprintf(stderr, "render_template: cannot read %s\n", src ? argv[2] : argv[1]); return 2; }
    cJSON *spec = cJSON_Parse(cases_text);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(spec, "cases");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(spec, "now");
    if (!cJSON_IsArray(cases) || !cJSON_IsNumber(now)) { fprintf(stderr, "render_template: %s: no cases / now\n", argv[2]); return 2; }
    fc_err err = {0};
    const char *base = strrchr(argv[1], '/');
    jinja_tmpl *t = jinja_parse(src, tlen, base ? base + 1 : argv[1], &err);
    int rc = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "name"));
        cJSON *vars = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "vars"), 1);
        cJSON *own = cJSON_CreateObject();
        static const char *const own_names[] = {"bos_token", "eos_token", "add_generation_prompt"};
        for (int k = 0; k < 3; k++) {
            cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(vars, own_names[k]);
            if (v) cJSON_AddItemToObject(own, own_names[k], v);
        }
        char *out = NULL;
        size_t len = 0;
        jinja_vars jv = {.data = vars, .own = own, .now = (time_t)now->valuedouble};
        if (t && jinja_render(t, &jv, &out, NULL, &len, &err) == 0) {
            rc |= write_file(argv[3], name, "out", out, len);
        } else {
            char line[1100];
            int n = snprintf(line, sizeof line, "%s\n", err.msg);
            rc |= write_file(argv[3], name, "err", line, (size_t)n);
        }
        free(out);
        cJSON_Delete(vars);
        cJSON_Delete(own);
    }
    jinja_free(t);
    cJSON_Delete(spec);
    free(src);
    free(cases_text);
    return rc ? 1 : 0;
}
