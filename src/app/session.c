#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../format/ggml_types.h"
#include "../engine/stage.h"
#include "../util/fmt.h"
#include "commands.h"

/* "118 MiB" below a GiB, "6.1 GiB" above. */
static const char *short_bytes(char *buf, size_t cap, uint64_t b) {
    double mib = (double)b / (1024.0 * 1024.0);
    if (mib < 1024.0) snprintf(buf, cap, "%.0f MiB", mib);
    else snprintf(buf, cap, "%.1f GiB", mib / 1024.0);
    return buf;
}

/* The inventory's reason without the parenthesised details of each part, so
 * that it fits a banner line: "NVML: library not found; CUDA runtime: ...". */
static void short_reason(char *out, size_t cap, const char *reason) {
    size_t o = 0;
    int depth = 0;
    for (const char *p = reason; *p && o + 1 < cap; p++) {
        if (*p == '(') depth++;
        if (!depth && !(*p == ' ' && p[1] == '(')) out[o++] = *p;
        if (*p == ')' && depth > 0) depth--;
    }
    while (o > 0 && out[o - 1] == ' ') o--;
    out[o] = '\0';
}

const char *session_plan_line(char *buf, size_t cap, const plan_result *r, const gpu_inventory *inv) {
    char kv[40], where[400], mem[64];
    if (r->cfg.type_k == r->cfg.type_v) snprintf(kv, sizeof kv, "%s", mem_kv_type_name(r->cfg.type_k));
    else snprintf(kv, sizeof kv, "%s/%s", mem_kv_type_name(r->cfg.type_k), mem_kv_type_name(r->cfg.type_v));
    if (!inv || inv->n == 0) {
        char why[300];
        short_reason(why, sizeof why, inv && inv->reason[0] ? inv->reason : "none found");
        snprintf(where, sizeof where, "GPU (no GPU: %s)", why);
        char b[32];
        snprintf(mem, sizeof mem, "CPU %s", short_bytes(b, sizeof b, r->cpu.total));
    } else {
        /* The GPUs' names, joined with " + " (the same name n times in a row as "nx NAME"). */
        size_t n = 0;
        uint64_t total = 0;
        where[0] = '\0';
        for (int i = 0; i < inv->n;) {
            int same = 1;
            while (i + same < inv->n && !strcmp(inv->dev[i + same].name, inv->dev[i].name)) same++;
            for (int k = 0; k < same; k++) total += inv->dev[i + k].total;
            if (n < sizeof where) {
                char count[16] = "";
                if (same > 1) snprintf(count, sizeof count, "%dx ", same);
                n += (size_t)snprintf(where + n, sizeof where - n, "%s%s%s", n ? " + " : "", count, inv->dev[i].name);
            }
            i += same;
        }
        snprintf(mem, sizeof mem, "%.1f of %.1f GiB", (double)plan_gpu_total(r) / (1u << 30), (double)total / (1u << 30));
    }
    snprintf(buf, cap, "%u/%u layers on %s, KV %s, %u ctx, %s", r->n_gpu_layers, r->n_layer, where, kv, r->cfg.n_ctx, mem);
    return buf;
}

static void report_line(FILE *out, const char *label, const mem_bytes *plan, const uint64_t got[ALLOC_KINDS],
                        uint64_t measured, bool gpu) {
    char a[5][32], b[4][32], f[2][32];
    uint64_t got_total = got[ALLOC_WEIGHTS] + got[ALLOC_KV] + got[ALLOC_BUFFER] + got[ALLOC_REPACKED];
    uint64_t plan_total = plan->weights + plan->kv + plan->buffers + plan->repacked; /* what the engine allocates itself */
    const bool rp = plan->repacked || got[ALLOC_REPACKED];
    fprintf(out, "%s: planned weights %s, KV %s, buffers %s", label, fmt_bytes(a[0], 32, plan->weights),
            fmt_bytes(a[1], 32, plan->kv), fmt_bytes(a[2], 32, plan->buffers));
    if (rp) fprintf(out, ", repacked %s", fmt_bytes(a[4], 32, plan->repacked));
    if (gpu) fprintf(out, ", fixed %s", fmt_bytes(a[3], 32, plan->fixed));
    fprintf(out, "; allocated %s, %s, %s", fmt_bytes(b[0], 32, got[ALLOC_WEIGHTS]), fmt_bytes(b[1], 32, got[ALLOC_KV]),
            fmt_bytes(b[2], 32, got[ALLOC_BUFFER]));
    if (rp) fprintf(out, ", %s", fmt_bytes(b[3], 32, got[ALLOC_REPACKED]));
    if (got[ALLOC_WEIGHTS] == plan->weights && got[ALLOC_KV] == plan->kv && got[ALLOC_BUFFER] == plan->buffers &&
        got[ALLOC_REPACKED] == plan->repacked)
        fprintf(out, " (matches the plan to the byte)");
    else
        fprintf(out, " (differs from the plan by %+lld bytes)", (long long)got_total - (long long)plan_total);
    if (gpu)
        fprintf(out, "; CUDA context measured %s (plan's constant %s)", fmt_bytes(f[0], 32, measured),
                fmt_bytes(f[1], 32, plan->fixed));
    fputc('\n', out);
}

void session_memory_report(FILE *out, const fc_session *s) {
    if (!s->engine) return;
    const fc_alloc_log *log = engine_alloc_log(s->engine);
    report_line(out, "CPU (weights mapped from the file)", &s->plan.cpu, log->total, 0, false);
    for (int i = 0; i < s->plan.n_dev; i++) {
        const plan_device *pd = &s->plan.dev[i];
        if (!pd->n_layers && !pd->head) continue;
        const gpu_device *g = &s->inv.dev[pd->gpu];
        char label[160];
        const char *kind = g->emulated ? "emulated GPU" : backend_cuda.host_emulator() ? "CUDA host emulator GPU" : "GPU";
        snprintf(label, sizeof label, "%s %d (%s), layers %u-%u%s", kind, g->index, g->name, pd->first_layer,
                 pd->first_layer + pd->n_layers - 1, pd->head ? " + head" : "");
        if (!pd->n_layers) snprintf(label, sizeof label, "%s %d (%s), head", kind, g->index, g->name);
        report_line(out, label, &pd->bytes, log->dev_total[i], engine_device_context_bytes(s->engine, i),
                    pd->kind == MEM_DEV_GPU);
    }
}

void session_progress_stderr(void *ctx, const char *device, uint64_t done, uint64_t total) {
    (void)ctx;
    bool tty = isatty(2);
    if (!tty && done != total) return; /* a log gets the last line only */
    fprintf(stderr, "%sloading weights to %s: %.0f of %.0f MiB%s", tty ? "\r" : "", device,
            (double)done / (1 << 20), (double)total / (1 << 20), done == total || !tty ? "\n" : "");
    fflush(stderr);
}

const char *session_model_name(const fc_session *s, char *buf, size_t cap) {
    const char *name = s->desc.name;
    if (!name[0]) {
        const char *p = s->model_path ? strrchr(s->model_path, '/') : NULL;
        name = p ? p + 1 : s->model_path ? s->model_path : "?";
    }
    return fmt_printable(buf, cap, name);
}

static uint64_t random_seed(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
}

void session_plan_params(const fc_config *cfg, bool all_logits, plan_params *pp) {
    plan_params_default(pp);
    pp->layers = cfg->n_gpu_layers == FC_LAYERS_AUTO ? PLAN_AUTO : cfg->n_gpu_layers;
    pp->target = cfg->target;
    pp->type_k = cfg->kv_type_k == FC_KV_AUTO ? PLAN_AUTO : cfg->kv_type_k;
    pp->type_v = cfg->kv_type_v == FC_KV_AUTO ? PLAN_AUTO : cfg->kv_type_v;
    pp->kv_default = cfg->origin[FC_SET_KV_TYPE_K].src == FC_SRC_DEFAULT && cfg->origin[FC_SET_KV_TYPE_V].src == FC_SRC_DEFAULT;
    pp->n_ctx = cfg->n_ctx == FC_CTX_AUTO ? PLAN_AUTO : cfg->n_ctx; /* FC_CTX_MODEL = 0 = the planner's default */
    pp->n_ctx_min = (uint32_t)cfg->n_ctx_min;
    pp->n_ctx_max = (uint32_t)cfg->n_ctx_max;
    pp->flash = cfg->flash_attn == FC_FA_AUTO ? PLAN_AUTO : cfg->flash_attn == FC_FA_ON ? 1 : 0;
    pp->vram_reserve = cfg->vram_reserve;
    pp->n_batch = (uint32_t)cfg->n_batch;
    pp->n_threads = (uint32_t)cfg->n_threads;
    pp->all_logits = all_logits;
    /* the layouts the engine's kernels on this CPU read (quant_init picks them as the engine will) */
    quant_init(QUANT_ISA_AUTO);
    pp->repack = cfg->repack ? quant_repack_set() : MEM_REPACK_OFF;
    pp->repack_auto = cfg->repack == FC_REPACK_AUTO;
}

/* NVML numbers the GPUs in PCI order and sees them all; CUDA numbers
 * them fastest first and sees only what CUDA_VISIBLE_DEVICES leaves. Where
 * this binary can ask CUDA, each NVML device gets the ordinal of the CUDA
 * device with its UUID, and the ones CUDA cannot see leave the inventory
 * (said in its path), so the plan spends only memory the engine can reach.
 * A MIG device matches by its own UUID (NVML's "MIG-..."; CUDA sees MIG
 * devices, not their GPUs). If CUDA has devices but none carries an NVML
 * UUID, the order NVML gave stays. */
static void map_nvml_to_cuda(gpu_inventory *inv) {
    if (inv->source != GPU_SRC_NVML || !backend_cuda.device_of_uuid || !backend_cuda.built()) return;
    int ord[GPU_MAX_DEVICES], matched = 0;
    for (int i = 0; i < inv->n; i++) {
        ord[i] = inv->dev[i].uuid[0] ? backend_cuda.device_of_uuid(inv->dev[i].uuid) : -1;
        if (ord[i] == -2) return; /* CUDA cannot be asked (no or an old driver): the engine will say so */
        matched += ord[i] >= 0;
    }
    if (!matched) {
        char why[160] = "";
        if (backend_cuda.device_count(why, sizeof why) > 0) return; /* UUIDs CUDA spells otherwise */
    }
    char hidden[256] = "";
    int n = 0;
    size_t hl = 0;
    for (int i = 0; i < inv->n; i++) {
        if (ord[i] >= 0) {
            inv->dev[n] = inv->dev[i];
            inv->dev[n++].ordinal = ord[i];
        } else if (hl < sizeof hidden) {
            const gpu_device *g = &inv->dev[i];
            const bool mig = !strncmp(g->uuid, "MIG-", 4); /* named by its UUID: its GPU may have several */
            hl += (size_t)snprintf(hidden + hl, sizeof hidden - hl, "%s%d%s%s%s", hl ? ", " : "", g->index,
                                   mig ? " (" : "", mig ? g->uuid : "", mig ? ")" : "");
        }
    }
    if (n == inv->n) return;
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    char why[200] = "";
    if (cvd) snprintf(why, sizeof why, " (CUDA_VISIBLE_DEVICES=%s)", cvd);
    const size_t pl = strlen(inv->path);
    snprintf(inv->path + pl, sizeof inv->path - pl, "; NVML GPU %s not visible to CUDA%s", hidden, why);
    inv->n = n;
    if (!n) snprintf(inv->reason, sizeof inv->reason, "NVML lists GPU %s, none visible to CUDA%s", hidden, why);
}

int session_inventory(const fc_config *cfg, gpu_inventory *inv, fc_err *err) {
    if (gpu_inventory_get((const char *const *)cfg->gpu_specs, cfg->n_gpu_specs, inv, err)) return -1;
    map_nvml_to_cuda(inv);
    return cfg->ram_spec ? host_memory_query(cfg->ram_spec, inv, err) : 0;
}

/* The engine's devices from the plan, index for index (idle ones hold
 * nothing), so the allocation log's device numbers are the plan's. A
 * device given by numbers (--gpu 8GiB) stands for the CUDA device of the
 * same index: the numbers only restrict what the plan uses of it. */
static int engine_devices(const fc_session *s, fc_engine_params *ep, fc_err *err) {
    ep->n_dev = 0;
    int n_cuda = -1;
    char why[256] = "";
    for (int i = 0; i < s->plan.n_dev; i++) {
        const plan_device *pd = &s->plan.dev[i];
        const gpu_device *g = &s->inv.dev[pd->gpu];
        fc_engine_device *v = &ep->dev[ep->n_dev++];
        *v = (fc_engine_device){.kind = pd->kind, .ordinal = g->ordinal, .first_layer = pd->first_layer,
                                .n_layers = pd->n_layers, .head = pd->head, .cap = g->emulated ? g->total : 0};
        snprintf(v->name, sizeof v->name, "%s%s", g->name, !g->emulated && backend_cuda.host_emulator() ? " (CUDA host emulator)" : "");
        if (g->emulated || (!pd->n_layers && !pd->head)) continue;
        if (n_cuda < 0) n_cuda = backend_cuda.device_count(why, sizeof why);
        if (g->ordinal < 0 || g->ordinal >= n_cuda)
            return fc_errf(err, FC_EINPUT,
                           "GPU %d \"%s\" (from %s) has no CUDA device behind it (%s): plan with it using `fitchat "
                           "plan`, emulate it with --gpu sim:SIZE, or set LAYERS to 0",
                           g->index, g->name, s->inv.source == GPU_SRC_OVERRIDE ? "the GPU override" : s->inv.library,
                           n_cuda > 0 ? "index out of range" : why);
    }
    return 0;
}

/* Creates the engine for s->plan. A GPU that runs out of memory anyway
 * (FC_ENOMEM): take a fresh inventory, plan again with fewer GPU layers,
 * retry, and say so in s->notices. */
static int open_engine(fc_session *s, const fc_config *cfg, const session_opts *o, plan_params *pp, fc_err *err) {
    for (;;) {
        fc_engine_params ep = {
            .n_ctx = s->plan.cfg.n_ctx,
            .n_seq = s->plan.cfg.n_seq,
            .n_batch = s->plan.cfg.n_batch,
            .n_threads = cfg->n_threads,
            .type_k = s->plan.cfg.type_k,
            .type_v = s->plan.cfg.type_v,
            .flash = s->plan.cfg.flash,
            .exact = o->exact,
            .all_logits = o->all_logits,
            .repack = s->plan.cfg.repack,
            .progress = o->progress,
            .progress_ctx = o->progress_ctx,
        };
        if (engine_devices(s, &ep, err)) return -1;
        fc_err e2 = {0};
        if ((s->engine = engine_new(s->file, &s->desc, &ep, &e2))) return 0;
        uint32_t failed = s->plan.n_gpu_layers;
        if (e2.code != FC_ENOMEM || (failed == 0 && !s->plan.head_on_gpu)) { *err = e2; return -1; }
        /* Fewer layers: what the GPUs' free memory allows now, and at least one fewer. */
        gpu_inventory fresh;
        if (session_inventory(cfg, &fresh, err)) return -1;
        s->inv = fresh;
        plan_params retry = *pp;
        retry.layers = PLAN_AUTO;
        if (plan_compute(&s->mem, &s->inv, &retry, &s->plan, err)) return -1;
        if (s->plan.n_gpu_layers >= failed) {
            if (failed == 0) { /* only the head was there: run on the CPU alone */
                s->inv.n = 0;
                snprintf(s->inv.reason, sizeof s->inv.reason, "out of GPU memory");
            }
            retry.layers = failed > 0 ? (int32_t)failed - 1 : 0;
            if (plan_compute(&s->mem, &s->inv, &retry, &s->plan, err)) return -1;
        }
        if (s->n_notices < (int)(sizeof s->notices / sizeof *s->notices))
            snprintf(s->notices[s->n_notices++], sizeof s->notices[0], "%s; retrying with %u of %u layers on the GPU",
                     e2.msg, s->plan.n_gpu_layers, s->plan.n_layer);
        *pp = retry;
    }
}

int session_open(fc_session *s, const fc_config *cfg, fc_err *err) { return session_open_ex(s, cfg, NULL, err); }

int session_open_ex(fc_session *s, const fc_config *cfg, const session_opts *o, fc_err *err) {
    static const session_opts defaults = {0};
    if (!o) o = &defaults;
    memset(s, 0, sizeof *s);
    if (!cfg->model || !*cfg->model) return fc_errf(err, FC_EINPUT, "no model: set MODEL in modelconf.json or pass -m FILE");
    {
        /* The default model gets the message that says how to fetch it, and
         * must have been verified; any model with a record must match it. */
        char buf[1024], why[1200];
        const char *def = default_model_path(buf, sizeof buf, why, sizeof why); /* buf: the path, found or not */
        if (!strcmp(buf, cfg->model) ? !def : model_check_record(cfg->model, false, why, sizeof why) != 0)
            return fc_errf(err, FC_EINPUT, "%s", why);
    }
    if (!(s->model_path = strdup(cfg->model))) return fc_errf(err, FC_EFAIL, "out of memory");
    if (!(s->file = gguf_open(s->model_path, err))) goto fail;
    if (model_desc_load(s->file, &s->desc, err)) goto fail;
    if (model_check_runnable(&s->desc, s->model_path, err)) goto fail;
    if (!(s->tok = tok_load(s->file, err))) goto fail;

    /* The chat template: MODEL_TYPE wins, else a template file, else the model's own. */
    const char *jinja = gguf_get_str(s->file, "tokenizer.chat_template", NULL);
    if (session_chat_template(&s->chat_tmpl, s->file, s->tok, cfg, &s->tmpl_guessed, err)) goto fail;
    s->tmpl = s->chat_tmpl.kind;
    if (jinja && s->tmpl == TMPL_CHATML) s->default_system = tmpl_default_system(jinja);

    if (session_inventory(cfg, &s->inv, err)) goto fail;
    if (mem_model_init(&s->mem, s->file, &s->desc, err)) goto fail;
    plan_params pp;
    session_plan_params(cfg, o->all_logits, &pp);
    if (o->server) pp.n_seq = cfg->n_parallel == FC_PARALLEL_AUTO ? PLAN_AUTO : cfg->n_parallel;
    if (o->exact) pp.repack = MEM_REPACK_OFF; /* float activations: the tiles do not run */
    if (plan_params_validate(&pp, err) || plan_compute(&s->mem, &s->inv, &pp, &s->plan, err)) goto fail;
    if (open_engine(s, cfg, o, &pp, err)) goto fail;

    s->sampling = (fc_sampler_params){
        .temperature = (float)cfg->temperature,
        .top_k = cfg->top_k,
        .top_p = (float)cfg->top_p,
        .min_p = (float)cfg->min_p,
        .repeat_penalty = (float)cfg->repeat_penalty,
        .repeat_last_n = 64,
        .seed = cfg->seed >= 0 ? (uint64_t)cfg->seed : random_seed(),
    };
    if (!(s->sampler = sampler_new(&s->sampling, engine_n_vocab(s->engine)))) {
        fc_errf(err, FC_EFAIL, "out of memory for the sampler");
        goto fail;
    }
    s->max_tokens = cfg->max_tokens;
    return 0;
fail:
    session_close(s);
    return -1;
}

void session_close(fc_session *s) {
    if (!s) return;
    sampler_free(s->sampler);
    engine_free(s->engine);
    if (s->mem.layer_weights) mem_model_free(&s->mem);
    tok_free(s->tok);
    model_desc_free(&s->desc);
    gguf_close(s->file);
    free(s->default_system);
    tmpl_chat_free(&s->chat_tmpl);
    free(s->model_path);
    memset(s, 0, sizeof *s);
}

const char *session_guess_warning(char *buf, size_t cap) {
    snprintf(buf, cap, "the model has no chat template fitchat knows; using ChatML (set MODEL_TYPE or --model-type to "
             "one of %s)", tmpl_names());
    return buf;
}

int session_chat_template(tmpl_chat *t, const gguf_file *f, const tokenizer *tok, const fc_config *cfg, bool *guessed,
                          fc_err *err) {
    const char *model_jinja = gguf_get_str(f, "tokenizer.chat_template", NULL);
    const char *arch = gguf_get_str(f, "general.architecture", NULL);
    const char *bos = tok && tok_bos(tok) >= 0 ? tok_text(tok, tok_bos(tok)) : "";
    const char *eos = tok && tok_eos(tok) >= 0 ? tok_text(tok, tok_eos(tok)) : "";
    bool dummy;
    if (!guessed) guessed = &dummy;
    *guessed = false;
    if (cfg->model_type >= 0 && cfg->model_type < TMPL_COUNT)
        return tmpl_chat_init(t, NULL, 0, "MODEL_TYPE", (enum tmpl_kind)cfg->model_type, bos, eos, err);
    char *file_text = NULL;
    size_t len = 0;
    const char *src = model_jinja, *source = "tokenizer.chat_template";
    if (cfg->chat_template_file) {
        FILE *fp = fopen(cfg->chat_template_file, "rb");
        if (!fp) return fc_errf(err, FC_EINPUT, "%s: cannot open the chat template file", cfg->chat_template_file);
        size_t cap = 1 << 16;
        file_text = malloc(cap);
        for (size_t k; file_text && (k = fread(file_text + len, 1, cap - len - 1, fp)) > 0;) {
            len += k;
            if (len > (8u << 20)) { fclose(fp); free(file_text); return fc_errf(err, FC_EINPUT, "%s: a chat template of more than 8 MiB", cfg->chat_template_file); }
            if (cap - len < 2) { char *q = realloc(file_text, cap *= 2); if (!q) { free(file_text); file_text = NULL; } else file_text = q; }
        }
        bool bad = ferror(fp);
        fclose(fp);
        if (!file_text) return fc_errf(err, FC_EFAIL, "out of memory reading %s", cfg->chat_template_file);
        if (bad) { free(file_text); return fc_errf(err, FC_EINPUT, "%s: read error", cfg->chat_template_file); }
        file_text[len] = 0;
        src = file_text;
        source = cfg->chat_template_file;
    } else if (src) {
        len = strlen(src);
    }
    bool detected = false, by_arch = false;
    enum tmpl_kind kind = tmpl_detect(src, &detected);
    /* a template file fitchat does not recognise: the fallback family (and the stop
     * strings) come from the model's own template, as without the file */
    if (detected && file_text && model_jinja) kind = tmpl_detect(model_jinja, &detected);
    detected = !detected;
    if (!detected) kind = tmpl_from_arch(arch, &by_arch);
    *guessed = !detected && !by_arch;
    int rc = tmpl_chat_init(t, src, len, source, kind, bos, eos, err);
    free(file_text);
    return rc;
}

const char *session_template_line(char *buf, size_t cap, const tmpl_chat *t, const fc_config *cfg) {
    if (cfg->model_type >= 0 && cfg->model_type < TMPL_COUNT)
        snprintf(buf, cap, "built-in %s format (MODEL_TYPE)", tmpl_name(t->kind));
    else if (t->jinja)
        snprintf(buf, cap, "Jinja template (%s), built-in %s as fallback", t->source, tmpl_name(t->kind));
    else if (t->warning[0])
        snprintf(buf, cap, "built-in %s format (%s)", tmpl_name(t->kind), t->warning);
    else
        snprintf(buf, cap, "built-in %s format (the model has no chat template)", tmpl_name(t->kind));
    return buf;
}
