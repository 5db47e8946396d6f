#include "planner.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fmt.h"

void plan_params_default(plan_params *p) {
    memset(p, 0, sizeof *p);
    p->layers = PLAN_AUTO;
    p->target = 0.8;
    p->type_k = GGML_TYPE_F16;
    p->type_v = GGML_TYPE_F16;
    p->n_ctx = 0;
    p->n_ctx_min = PLAN_N_CTX_MIN_DEFAULT;
    p->n_ctx_max = PLAN_N_CTX_MAX_DEFAULT;
    p->flash = PLAN_AUTO;
    p->vram_reserve = 0;
    p->n_batch = PLAN_N_BATCH_DEFAULT;
    p->fixed_cost = -1;
    p->n_threads = 1;
    p->n_seq = 1;
}

static int check_kv_param(int32_t t, const char *flag, fc_err *err) {
    if (t == PLAN_AUTO || (t >= 0 && mem_kv_type_allowed((uint32_t)t))) return 0;
    return fc_errf(err, FC_EINPUT, "KV_CACHE_QUANT (%s) = %s is not allowed: allowed auto, f32, f16, q8_0, q4_0", flag,
                   t >= 0 ? ggml_type_name((uint32_t)t) : "(invalid)");
}

int plan_params_validate(const plan_params *p, fc_err *err) {
    if (p->layers < PLAN_AUTO)
        return fc_errf(err, FC_EINPUT, "LAYERS (-ngl) = %d is out of range: allowed \"auto\" or an integer >= 0",
                       (int)p->layers);
    if (!(p->target > 0 && p->target <= 1))
        return fc_errf(err, FC_EINPUT, "TARGET_VRAM_USAGE (--target) = %g is out of range: allowed 0 < x <= 1",
                       p->target);
    if (check_kv_param(p->type_k, "-ctk", err) || check_kv_param(p->type_v, "-ctv", err)) return -1;
    if (p->n_ctx < PLAN_AUTO || (p->n_ctx > 0 && p->n_ctx < FC_N_CTX_MIN) || p->n_ctx > FC_N_CTX_MAX)
        return fc_errf(err, FC_EINPUT, "N_CTX (-c) = %lld is out of range: allowed \"auto\" or %u..%u",
                       (long long)p->n_ctx, FC_N_CTX_MIN, FC_N_CTX_MAX);
    if (p->n_ctx_max < 1 || p->n_ctx_max > PLAN_N_CTX_LIMIT)
        return fc_errf(err, FC_EINPUT, "N_CTX_MAX = %u is out of range: allowed 1..%u", p->n_ctx_max, PLAN_N_CTX_LIMIT);
    if (p->n_ctx_min < 1 || p->n_ctx_min > p->n_ctx_max)
        return fc_errf(err, FC_EINPUT, "N_CTX_MIN = %u is out of range: allowed 1..N_CTX_MAX (%u)", p->n_ctx_min,
                       p->n_ctx_max);
    if (p->flash < PLAN_AUTO || p->flash > 1)
        return fc_errf(err, FC_EINPUT, "FLASH_ATTN (-fa) = %d is out of range: allowed auto, on, off", (int)p->flash);
    if (p->n_batch < 1 || p->n_batch > FC_N_BATCH_MAX)
        return fc_errf(err, FC_EINPUT, "N_BATCH (-b) = %u is out of range: allowed 1..%u", p->n_batch, FC_N_BATCH_MAX);
    if (p->fixed_cost < -1)
        return fc_errf(err, FC_EINPUT, "FIXED_COST (--fixed-cost) = %lld is out of range: allowed bytes >= 0",
                       (long long)p->fixed_cost);
    if (p->n_seq != PLAN_AUTO && (p->n_seq < 1 || (uint32_t)p->n_seq > FC_N_SEQ_MAX))
        return fc_errf(err, FC_EINPUT, "N_PARALLEL (-np) = %d is out of range: allowed 1..%u or auto", p->n_seq, FC_N_SEQ_MAX);
    if (p->n_threads > FC_N_THREADS_MAX)
        return fc_errf(err, FC_EINPUT, "N_THREADS (-t) = %u is out of range: allowed 1..%u", p->n_threads,
                       FC_N_THREADS_MAX);
    return 0;
}

uint64_t plan_budget(const gpu_device *g, const plan_params *p) {
    double t = p->target * (double)g->total;
    uint64_t target = t >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)t;
    uint64_t a = target > g->used ? target - g->used : 0;
    uint64_t b = g->free > PLAN_SAFETY_RESERVE ? g->free - PLAN_SAFETY_RESERVE : 0;
    uint64_t x = a < b ? a : b;
    return x > p->vram_reserve ? x - p->vram_reserve : 0;
}

/* --- search state: sizes for one config, O(1) per device evaluation ----- */

typedef struct {
    const mem_model *m;
    mem_config c;
    int n;                                 /* devices */
    int last;                              /* device that takes the head (and the last layers);
                                            * devices after it get nothing */
    int last_any;                          /* the last device with a budget: where the head is tried first */
    enum mem_dev_kind kind[GPU_MAX_DEVICES];
    uint64_t budget[GPU_MAX_DEVICES];
    uint64_t *prefix;                      /* [n_layer + 1] sum of weights + KV of layers < i */
    uint64_t shared, head;                 /* a device's shared tensors; its head (output, norm) */
    uint64_t buf[3][2];                    /* buffers [kind][has_output] */
} search;

/* Sums a device manifest's items into the search's parts: prefix[il + 1]
 * gets layer il's, the rest goes to shared or head. */
static int search_item(void *ctx, const mem_item *it) {
    search *s = ctx;
    if (it->layer >= 0) s->prefix[it->layer + 1] += it->bytes;
    else if (it->kind == MEM_ITEM_WEIGHTS && it->role == MEM_ROLE_SHARED) s->shared += it->bytes;
    else if (it->kind == MEM_ITEM_WEIGHTS) s->head += it->bytes;
    return 0;
}

/* The sizes of config c: sums over the manifest of a device that would hold
 * every layer and the head, so that dev_cost() of any range is O(1). */
static void search_config(search *s, const mem_config *c) {
    s->c = *c;
    const mem_model *m = s->m;
    memset(s->prefix, 0, (m->n_layer + 1) * sizeof *s->prefix);
    s->shared = s->head = 0;
    mem_manifest(m, c, MEM_DEV_EMULATED, 0, m->n_layer, true, search_item, s);
    for (uint32_t il = 0; il < m->n_layer; il++) s->prefix[il + 1] += s->prefix[il];
    for (int k = 0; k < 3; k++)
        for (int h = 0; h < 2; h++) s->buf[k][h] = mem_buffer_bytes(m->d, c, (enum mem_dev_kind)k, h);
}

/* Must equal mem_device_bytes(...).total for a GPU (tests check it). */
static uint64_t dev_cost(const search *s, int j, uint32_t first, uint32_t k, bool head) {
    if (!k && !head) return 0;
    uint64_t b = s->prefix[first + k] - s->prefix[first];
    if (k) b += s->shared;
    if (head) b += s->head;
    b += s->buf[s->kind[j]][head];
    if (s->kind[j] == MEM_DEV_GPU) b += s->c.fixed_cost;
    return b;
}

static bool split_fits(const search *s, uint32_t L, bool head, const uint32_t *k) {
    uint32_t first = s->m->n_layer - L;
    for (int j = 0; j < s->n; j++) {
        if (dev_cost(s, j, first, k[j], head && j == s->last) > s->budget[j]) return false;
        first += k[j];
    }
    return true;
}

/* Contiguous ranges in device order, sized in proportion to each device's
 * room for layers (budget minus what it pays anyway). */
static void split_proportional(const search *s, uint32_t L, bool head, uint32_t *k) {
    uint64_t room[GPU_MAX_DEVICES], total = 0, frac[GPU_MAX_DEVICES];
    for (int j = 0; j < s->n; j++) {
        k[j] = 0;
        room[j] = 0;
        if (j > s->last) continue;
        bool h = head && j == s->last;
        uint64_t base = s->buf[s->kind[j]][h] + (s->kind[j] == MEM_DEV_GPU ? s->c.fixed_cost : 0) +
                        (h ? s->head : 0);
        room[j] = s->budget[j] > base ? s->budget[j] - base : 0;
        total += room[j];
    }
    if (!total) {
        k[s->last] = L;
        return;
    }
    uint32_t given = 0;
    for (int j = 0; j <= s->last; j++) {
        k[j] = (uint32_t)((uint64_t)L * room[j] / total);
        frac[j] = (uint64_t)L * room[j] % total;
        given += k[j];
    }
    while (given < L) { /* largest remainder; ties go to the later device */
        int best = s->last;
        for (int j = s->last; j >= 0; j--)
            if (frac[j] > frac[best]) best = j;
        k[best]++;
        frac[best] = 0;
        given++;
    }
}

/* Packs from the last device backwards, each taking as many layers as fit.
 * Optimal for feasibility: no contiguous split holds more. */
static bool split_greedy(const search *s, uint32_t L, bool head, uint32_t *k) {
    uint32_t top = s->m->n_layer, rem = L;
    for (int j = s->n - 1; j >= 0; j--) {
        k[j] = 0;
        if (j > s->last) continue;
        bool h = head && j == s->last;
        if (h && dev_cost(s, j, top, 0, true) > s->budget[j]) return false;
        uint32_t n = 0;
        while (n < rem && dev_cost(s, j, top - n - 1, n + 1, h) <= s->budget[j]) n++;
        k[j] = n;
        top -= n;
        rem -= n;
    }
    return rem == 0;
}

/* The most layers (with the head on s->last) the devices can hold; 0 and
 * *head_fits false when not even the head fits there. */
static uint32_t max_layers_at(const search *s, bool *head_fits) {
    uint32_t k[GPU_MAX_DEVICES];
    *head_fits = false;
    if (s->n == 0 || dev_cost(s, s->last, s->m->n_layer, 0, true) > s->budget[s->last]) return 0;
    *head_fits = true;
    uint32_t lo = 0, hi = s->m->n_layer; /* greedy(lo) holds; find the largest */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (split_greedy(s, mid, true, k)) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* The most layers any choice of the head's device can hold: the head goes on the
 * last device with a budget unless an earlier one holds more (a small last card
 * that cannot hold the head must not leave a large one idle); ties go to the later
 * device. Sets s->last to the choice. */
static uint32_t max_layers(search *s, bool *head_fits) {
    uint32_t best = 0;
    int best_last = s->last_any;
    *head_fits = false;
    for (int j = s->last_any; j >= 0; j--) {
        if (!s->budget[j] && j != s->last_any) continue;
        s->last = j;
        bool hf;
        const uint32_t n = max_layers_at(s, &hf);
        if (hf && (!*head_fits || n > best)) {
            best = n;
            best_last = j;
            *head_fits = true;
        }
    }
    s->last = best_last;
    return best;
}

/* --- reasons -------------------------------------------------------------- */

static void add_line(char (*lines)[PLAN_LINE], int *n, const char *fmt, va_list ap) {
    if (*n >= PLAN_MAX_LINES) return;
    vsnprintf(lines[*n], PLAN_LINE, fmt, ap);
    (*n)++;
}

__attribute__((format(printf, 2, 3))) static void reason(plan_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_line(r->reasons, &r->n_reasons, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void warn(plan_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_line(r->warnings, &r->n_warnings, fmt, ap);
    va_end(ap);
}

#define B(x) fmt_bytes((char[32]){0}, 32, (x))

/* --- decisions ------------------------------------------------------------- */

static const uint32_t KV_AUTO_ORDER[] = {GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0}; /* least compressed first */

/* The recorded quality cost of each KV type (planner.h): mean KL of the
 * next-token distribution from f16's, nats per token, the worse of the two
 * models of tests/kvquality.test.sh (BENCHMARKS.md, "KV cache quality"). */
static const struct { uint32_t type; double kl; } KV_COST[] = {
    {GGML_TYPE_F32, 0.0},
    {GGML_TYPE_F16, 0.0},
    {GGML_TYPE_Q8_0, PLAN_KV_KL_Q8_0},
    {GGML_TYPE_Q4_0, PLAN_KV_KL_Q4_0},
};

double plan_kv_cost(uint32_t type) {
    for (size_t i = 0; i < sizeof KV_COST / sizeof KV_COST[0]; i++)
        if (KV_COST[i].type == type) return KV_COST[i].kl;
    return -1;
}

/* Layers that fit with config c (and the want cap); fills *head_fits. */
static uint32_t fit_with(search *s, const mem_config *c, bool *head_fits) {
    search_config(s, c);
    return max_layers(s, head_fits);
}

static int plan_compute_one(const mem_model *m, const gpu_inventory *inv, const plan_params *p, plan_result *r,
                            fc_err *err) {
    memset(r, 0, sizeof *r);
    if (plan_params_validate(p, err)) return -1;
    const model_desc *d = m->d;
    r->n_layer = m->n_layer;
    r->max_fit = -1;

    /* Fixed choices first. */
    mem_config c = {0};
    c.n_batch = p->n_batch;
    c.n_threads = p->n_threads ? p->n_threads : 1;
    c.n_outputs = p->all_logits ? p->n_batch : 1;
    c.n_seq = p->n_seq > 0 ? (uint32_t)p->n_seq : 1;
    c.repack = p->repack;
    c.fixed_cost = p->fixed_cost < 0 ? MEM_CUDA_FIXED_COST : (uint64_t)p->fixed_cost;
    if (p->fixed_cost < 0 && inv) {
        /* a measured context per GPU model and driver where the repository has
         * one (mem_cuda_fixed_cost); one cost for all GPUs: the largest */
        const mem_cuda_context *used = NULL;
        uint64_t most = 0;
        for (int i = 0; i < inv->n; i++) {
            if (inv->dev[i].emulated) continue;
            const mem_cuda_context *row = NULL;
            const uint64_t b = mem_cuda_fixed_cost(inv->dev[i].name, inv->driver, &row);
            if (b >= most) { most = b; used = row; }
        }
        if (used) {
            c.fixed_cost = most;
            reason(r, "CUDA context per GPU %s: measured on %s with driver %s (instead of the constant %s)", B(most),
                   used->gpu, used->driver, B(MEM_CUDA_FIXED_COST));
        }
    }
    if (p->type_k != PLAN_AUTO && mem_kv_type_check(d, (uint32_t)p->type_k, "KV_CACHE_QUANT (-ctk)", err)) return -1;
    if (p->type_v != PLAN_AUTO && mem_kv_type_check(d, (uint32_t)p->type_v, "KV_CACHE_QUANT (-ctv)", err)) return -1;
    c.flash = p->flash != 0;
    if (p->flash == PLAN_AUTO)
        reason(r, "flash attention on: FLASH_ATTN auto, and the engine's tiled attention reads each key and value "
                  "once per group of query heads, without n_ctx score rows (faster, same results)");
    else
        reason(r, "flash attention %s: set by FLASH_ATTN / -fa", c.flash ? "on" : "off");

    uint32_t train = d->n_ctx_train ? d->n_ctx_train : PLAN_N_CTX_LIMIT;
    uint32_t ctx_hi = train < p->n_ctx_max ? train : p->n_ctx_max;
    uint32_t ctx_lo = p->n_ctx_min < train ? p->n_ctx_min : train;
    if (ctx_lo > ctx_hi) ctx_lo = ctx_hi;
    if (p->n_ctx > 0) {
        c.n_ctx = (uint32_t)p->n_ctx;
        reason(r, "n_ctx %u: set by N_CTX / -c", c.n_ctx);
        if (d->n_ctx_train && c.n_ctx > d->n_ctx_train)
            warn(r, "N_CTX %u is beyond the model's trained context %u: quality may drop past it", c.n_ctx,
                 d->n_ctx_train);
    } else if (p->n_ctx == 0) {
        c.n_ctx = d->n_ctx_train && d->n_ctx_train < PLAN_N_CTX_DEFAULT_CAP ? d->n_ctx_train : PLAN_N_CTX_DEFAULT_CAP;
        reason(r, "n_ctx %u: N_CTX not set, so the trained context (%u) capped at %u", c.n_ctx, d->n_ctx_train,
               PLAN_N_CTX_DEFAULT_CAP);
    } else {
        c.n_ctx = ctx_lo; /* for the KV type choice; decided below */
    }

    /* Devices and budgets. */
    search s = {.m = m, .n = inv ? inv->n : 0};
    s.prefix = malloc((m->n_layer + 1) * sizeof *s.prefix);
    if (!s.prefix) return fc_errf(err, FC_EFAIL, "out of memory");
    r->n_dev = s.n;
    s.last = s.n - 1;
    for (int j = 0; j < s.n; j++) {
        const gpu_device *g = &inv->dev[j];
        s.kind[j] = g->emulated ? MEM_DEV_EMULATED : MEM_DEV_GPU;
        s.budget[j] = plan_budget(g, p);
        r->dev[j].gpu = j;
        r->dev[j].kind = s.kind[j];
        r->dev[j].budget = s.budget[j];
        reason(r, "budget GPU %d (%s%s): min(%.0f%% of %s - %s used by others, %s free - %s safety)%s%s = %s", g->index,
               g->name, g->emulated ? ", emulated" : "", p->target * 100, B(g->total), B(g->used), B(g->free),
               B(PLAN_SAFETY_RESERVE), p->vram_reserve ? " - VRAM_RESERVE " : "",
               p->vram_reserve ? B(p->vram_reserve) : "", B(s.budget[j]));
    }
    while (s.last > 0 && s.budget[s.last] == 0) s.last--;
    s.last_any = s.last;

    uint32_t want = p->layers == PLAN_AUTO ? m->n_layer : ((uint32_t)p->layers < m->n_layer ? (uint32_t)p->layers : m->n_layer);
    bool head_fits = false;

    /* KV cache type. */
    if (p->type_k != PLAN_AUTO && p->type_v != PLAN_AUTO) {
        c.type_k = (uint32_t)p->type_k;
        c.type_v = (uint32_t)p->type_v;
        reason(r, "KV cache K %s, V %s: %s", mem_kv_type_name(c.type_k), mem_kv_type_name(c.type_v),
               p->kv_default ? "the default (KV_CACHE_QUANT / -ctk / -ctv: q8_0 or q4_0 for less memory, auto to choose)"
                             : "set by KV_CACHE_QUANT / -ctk / -ctv");
    } else {
        char line[PLAN_LINE];
        int len = snprintf(line, sizeof line, "KV cache auto at n_ctx %u:", c.n_ctx);
        int best = -1;
        uint32_t best_fit = 0;
        for (size_t i = 0; i < sizeof KV_AUTO_ORDER / sizeof KV_AUTO_ORDER[0]; i++) {
            uint32_t t = KV_AUTO_ORDER[i];
            if (mem_kv_type_check(d, t, "", NULL)) continue;
            const double kl = plan_kv_cost(t);
            if (kl > PLAN_KV_AUTO_MAX_KL) { /* too lossy for auto */
                if (len < (int)sizeof line)
                    len += snprintf(line + len, sizeof line - (size_t)len, " %s (KL %.3g) over the bound;",
                                    mem_kv_type_name(t), kl);
                continue;
            }
            mem_config cc = c;
            cc.type_k = p->type_k == PLAN_AUTO ? t : (uint32_t)p->type_k;
            cc.type_v = p->type_v == PLAN_AUTO ? t : (uint32_t)p->type_v;
            uint32_t fit = s.n ? fit_with(&s, &cc, &head_fits) : 0;
            if (fit > want) fit = want;
            if (len < (int)sizeof line && kl > 0)
                len += snprintf(line + len, sizeof line - (size_t)len, " %s (KL %.3g) -> %u layers;", mem_kv_type_name(t), kl, fit);
            else if (len < (int)sizeof line)
                len += snprintf(line + len, sizeof line - (size_t)len, " %s -> %u layers;", mem_kv_type_name(t), fit);
            if (best < 0 || fit > best_fit) { best = (int)t; best_fit = fit; }
        }
        if (best < 0) {
            free(s.prefix);
            return fc_errf(err, FC_EINPUT, "KV_CACHE_QUANT auto: no KV type fits this model's rows");
        }
        c.type_k = p->type_k == PLAN_AUTO ? (uint32_t)best : (uint32_t)p->type_k;
        c.type_v = p->type_v == PLAN_AUTO ? (uint32_t)best : (uint32_t)p->type_v;
        reason(r, "%s %s is the least compressed with the most layers on the GPU among types whose measured cost is "
                  "at most KL %.3g%s", line, mem_kv_type_name((uint32_t)best), PLAN_KV_AUTO_MAX_KL,
               s.n ? "" : " (no GPU: f16 keeps full precision)");
    }

    /* Context auto: the largest that keeps the wanted layers on the GPUs. */
    if (p->n_ctx == PLAN_AUTO) {
        mem_config cc = c;
        bool ok = false;
        if (s.n && want) {
            cc.n_ctx = ctx_lo;
            ok = fit_with(&s, &cc, &head_fits) >= want;
        }
        if (!ok) {
            c.n_ctx = ctx_lo;
            reason(r, "n_ctx %u: N_CTX auto at its floor, min(N_CTX_MIN %u, trained %u): %s", c.n_ctx, p->n_ctx_min,
                   d->n_ctx_train,
                   !s.n ? "no GPU to size it against" : want ? "the wanted layers do not all fit even there"
                                                         : "no layer is wanted on the GPU");
        } else {
            cc.n_ctx = ctx_hi;
            if (fit_with(&s, &cc, &head_fits) >= want) {
                c.n_ctx = ctx_hi;
            } else { /* the largest multiple of 256 in (lo, hi) that fits; lo fits */
                uint32_t qlo = ctx_lo / 256, qhi = (ctx_hi - 1) / 256; /* qlo * 256 <= lo: known to fit */
                while (qlo < qhi) {
                    uint32_t mid = qlo + (qhi - qlo + 1) / 2;
                    cc.n_ctx = mid * 256;
                    if (fit_with(&s, &cc, &head_fits) >= want) qlo = mid;
                    else qhi = mid - 1;
                }
                c.n_ctx = qlo * 256 > ctx_lo ? qlo * 256 : ctx_lo;
            }
            reason(r, "n_ctx %u: N_CTX auto, the largest context (steps of 256, between %u and min(trained %u, "
                      "N_CTX_MAX %u)) that keeps %u layers on the GPU",
                   c.n_ctx, ctx_lo, d->n_ctx_train, p->n_ctx_max, want);
        }
    }

    /* Layers. */
    uint32_t k[GPU_MAX_DEVICES] = {0};
    uint32_t L = 0;
    bool head = false;
    if (!s.n) {
        reason(r, "no GPU (%s): all %u layers on the CPU", inv && inv->reason[0] ? inv->reason : "none found", m->n_layer);
        if (p->layers > 0) warn(r, "LAYERS %d asked for, but there is no GPU: 0 layers offloaded", (int)p->layers);
    } else {
        uint32_t fit = fit_with(&s, &c, &head_fits);
        r->max_fit = (int32_t)fit;
        reason(r, "order: the output head (%s) first, then layers from the last one backwards, so the hidden state "
                  "crosses CPU -> GPU once and the logits come back",
               B(m->output + m->output_norm));
        if (s.last < s.last_any && head_fits)
            reason(r, "the head and the last layers on GPU %d: GPU %d%s cannot hold the head with as many layers "
                      "(budget %s)", inv->dev[s.last].index, inv->dev[s.last_any].index,
                   s.last_any > s.last + 1 ? " and the GPUs after it" : "", B(s.budget[s.last_any]));
        if (p->layers == PLAN_AUTO) {
            L = fit;
            head = head_fits;
            if (!head_fits)
                reason(r, "LAYERS auto: 0 layers; the output head alone needs %s on GPU %d, budget %s",
                       B(dev_cost(&s, s.last, m->n_layer, 0, true)), inv->dev[s.last].index, B(s.budget[s.last]));
            else if (L == m->n_layer)
                reason(r, "LAYERS auto: all %u layers and the head fit", L);
            else
                reason(r, "LAYERS auto: %u of %u layers fit; one more (layer %u: %s weights + %s KV) does not",
                       L, m->n_layer, m->n_layer - L - 1, B(m->layer_weights[m->n_layer - L - 1]),
                       B(mem_kv_layer_bytes(d, m->n_layer - L - 1, c.n_ctx, c.type_k, c.type_v)));
        } else {
            L = want;
            head = L > 0;
            if (L > fit || (head && !head_fits)) {
                r->over_budget = true;
                warn(r, "LAYERS %d does not fit: the largest that fits is %u (%s)", (int)p->layers, head_fits ? fit : 0,
                     "going on with the layers asked for; expect the GPU to run out of memory");
            }
            char more[64] = "";
            if (head_fits && fit > L) snprintf(more, sizeof more, " (up to %u would fit: LAYERS auto takes them)", fit);
            reason(r, "LAYERS %d: set by LAYERS / -ngl%s%s", (int)p->layers,
                   (uint32_t)p->layers > m->n_layer ? " (more than the model has: every layer)" : "", more);
        }
        if (L || head) {
            split_proportional(&s, L, head, k);
            bool prop = split_fits(&s, L, head, k);
            if (!prop && !r->over_budget) split_greedy(&s, L, head, k);
            if (s.n > 1)
                reason(r, "%d GPUs: contiguous ranges in device order, %s; GPU %d holds the last layers and the head",
                       s.n, prop || r->over_budget ? "sized in proportion to each GPU's room after fixed cost and buffers"
                                                   : "packed from the last GPU (the proportional split overflowed one)",
                       inv->dev[s.last].index);
        }
    }

    /* The result. */
    r->cfg = c;
    r->n_gpu_layers = L;
    r->head_on_gpu = head;
    r->cpu_layers = m->n_layer - L;
    uint32_t first = r->cpu_layers;
    for (int j = 0; j < s.n; j++) {
        plan_device *pd = &r->dev[j];
        pd->first_layer = first;
        pd->n_layers = k[j];
        pd->head = head && j == s.last;
        first += k[j];
        mem_device_bytes(m, &c, pd->kind, pd->first_layer, pd->n_layers, pd->head, &pd->bytes);
        pd->headroom = (int64_t)pd->budget - (int64_t)pd->bytes.total;
    }
    mem_device_bytes(m, &c, MEM_DEV_CPU, 0, r->cpu_layers, !head, &r->cpu);
    free(s.prefix);
    return 0;
}

int plan_layer_device(const plan_result *r, uint32_t il) {
    for (int j = 0; j < r->n_dev; j++)
        if (il >= r->dev[j].first_layer && il < r->dev[j].first_layer + r->dev[j].n_layers) return j;
    return -1;
}

uint64_t plan_gpu_total(const plan_result *r) {
    uint64_t t = 0;
    for (int j = 0; j < r->n_dev; j++) t += r->dev[j].bytes.total;
    return t;
}

uint64_t plan_host_need(const plan_result *r) {
    uint64_t need = r->cpu.total - r->cpu.weights; /* the weights stay in the mapped file */
    for (int j = 0; j < r->n_dev; j++)
        if (r->dev[j].kind == MEM_DEV_EMULATED) need += r->dev[j].bytes.total; /* host memory too */
    return need;
}

/* The host is a device too: what the process allocates on the CPU side (KV
 * cache of the CPU layers, work buffers, emulated GPUs) must fit in the
 * memory it may still take. An explicit N_CTX that does not fit is an
 * error; an unset or auto N_CTX shrinks (steps of 256) until it fits. */
/* plan_compute for a fixed number of sequences. */
static int plan_compute_ctx(const mem_model *m, const gpu_inventory *inv, const plan_params *p, plan_result *r, fc_err *err) {
    if (plan_compute_one(m, inv, p, r, err)) return -1;
    uint64_t avail = inv ? inv->host_avail : 0;
    if (!avail) return 0; /* unknown: nothing to check against */
    uint64_t need = plan_host_need(r);
    /* REPACK auto: the copy only where the memory holds it besides the
     * mapped weights it duplicates (they are read for every generated
     * token; evicting them means reading the file again and again) and the
     * rest; else off before any context is given up */
    if (p->repack_auto && r->cpu.repacked && need + r->cpu.weights > avail) {
        const uint64_t rp = r->cpu.repacked, w = r->cpu.weights;
        plan_params q = *p;
        q.repack = MEM_REPACK_OFF;
        q.repack_auto = false;
        if (plan_compute_ctx(m, inv, &q, r, err)) return -1;
        reason(r, "repacked weights: off (REPACK auto): the copy (%s) with the CPU's mapped weights (%s) and the rest "
                  "(%s) is more than %s; REPACK on keeps it", B(rp), B(w), B(need - rp), inv->host_source);
        return 0;
    }
    if (need <= avail) {
        char rp[64] = "";
        if (r->cpu.repacked) snprintf(rp, sizeof rp, ", repacked weights %s", B(r->cpu.repacked));
        reason(r, "host memory: the CPU side allocates %s (KV %s, buffers %s%s%s) of %s", B(need), B(r->cpu.kv),
               B(r->cpu.buffers), rp, need > r->cpu.kv + r->cpu.buffers + r->cpu.repacked ? ", emulated GPUs" : "",
               inv->host_source);
        if (inv->host_total && r->cpu.weights > inv->host_total)
            warn(r, "the CPU's weights (%s, mapped from the file) are more than the host's memory (%s): they will be "
                    "read from disk again and again", B(r->cpu.weights), B(inv->host_total));
        else if (need + r->cpu.weights > avail)
            warn(r, "the CPU side allocates %s besides its weights mapped from the file (%s): together more than %s, "
                    "so parts of the weights will be read from disk again (slow); lower N_CTX, quantize the KV cache "
                    "(KV_CACHE_QUANT q8_0)%s%s",
                 B(need), B(r->cpu.weights), inv->host_source, r->cpu.repacked ? ", turn REPACK off" : "",
                 inv->n ? ", or put more layers on the GPU" : "");
        return 0;
    }
    char rp_need[64] = "";
    if (r->cpu.repacked) snprintf(rp_need, sizeof rp_need, ", repacked weights %s", B(r->cpu.repacked));
    if (p->n_ctx > 0)
        return fc_errf(err, FC_EINPUT,
                       "N_CTX %lld needs %s of host memory (KV cache %s, buffers %s%s) but %s; lower N_CTX, quantize the "
                       "KV cache (KV_CACHE_QUANT q8_0 or q4_0), %sor set N_CTX auto",
                       (long long)p->n_ctx, B(need), B(r->cpu.kv), B(r->cpu.buffers),
                       rp_need, inv->host_source,
                       r->cpu.repacked ? "turn REPACK off (--no-repack), " : "");
    /* Shrink: the largest multiple of 256 below the chosen context that fits. */
    plan_result *t = malloc(sizeof *t);
    if (!t) return fc_errf(err, FC_EFAIL, "out of memory");
    plan_params q = *p;
    uint32_t chosen = r->cfg.n_ctx, lo = 0, hi = (chosen - 1) / 256; /* lo: fits (0 = none known) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        q.n_ctx = (int64_t)mid * 256;
        if (plan_compute_one(m, inv, &q, t, err)) { free(t); return -1; }
        if (plan_host_need(t) <= avail) lo = mid;
        else hi = mid - 1;
    }
    if (lo == 0) {
        q.n_ctx = 256;
        int rc = plan_compute_one(m, inv, &q, t, err);
        uint64_t need256 = rc ? 0 : plan_host_need(t);
        free(t);
        if (rc) return -1;
        return fc_errf(err, FC_EINPUT, "even n_ctx 256 needs %s of host memory (buffers %s) but %s", B(need256),
                       B(r->cpu.buffers), inv->host_source);
    }
    q.n_ctx = (int64_t)lo * 256;
    if (plan_compute_one(m, inv, &q, r, err)) { free(t); return -1; }
    free(t);
    /* The inner plan says "set by N_CTX": say why instead. */
    for (int i = 0; i < r->n_reasons; i++)
        if (!strncmp(r->reasons[i], "n_ctx ", 6))
            snprintf(r->reasons[i], PLAN_LINE, "n_ctx %u: N_CTX %s gave %u, but the CPU side would need %s of host "
                     "memory; the largest context (steps of 256) that fits in %s", r->cfg.n_ctx,
                     p->n_ctx == PLAN_AUTO ? "auto" : "not set", chosen, B(need), inv->host_source);
    reason(r, "host memory: the CPU side allocates %s (KV %s, buffers %s) of %s", B(plan_host_need(r)), B(r->cpu.kv),
           B(r->cpu.buffers), inv->host_source);
    return 0;
}

int plan_compute(const mem_model *m, const gpu_inventory *inv, const plan_params *p, plan_result *r, fc_err *err) {
    if (p->n_seq != PLAN_AUTO) {
        if (plan_compute_ctx(m, inv, p, r, err)) return -1;
        if (r->cfg.n_seq > 1)
            reason(r, "slots: %u (N_PARALLEL), each with its own KV cache of %u tokens", r->cfg.n_seq, r->cfg.n_ctx);
        return 0;
    }
    plan_params q = *p;
    q.n_seq = 1;
    if (plan_compute_ctx(m, inv, &q, r, err)) return -1;
    plan_result *t = malloc(sizeof *t);
    if (!t) return fc_errf(err, FC_EFAIL, "out of memory");
    const uint64_t avail = inv ? inv->host_avail : 0;
    q.n_ctx = r->cfg.n_ctx; /* the context one slot got, for each */
    q.type_k = (int32_t)r->cfg.type_k;
    q.type_v = (int32_t)r->cfg.type_v;
    for (uint32_t n = PLAN_N_SEQ_AUTO_MAX; n > 1; n--) {
        q.n_seq = (int32_t)n;
        if (plan_compute_one(m, inv, &q, t, NULL)) continue;
        if (t->n_gpu_layers != r->n_gpu_layers || t->head_on_gpu != r->head_on_gpu) continue;
        if (avail && plan_host_need(t) > avail / 2) continue;
        *r = *t;
        free(t);
        reason(r, "slots: %u (N_PARALLEL auto: at most %u that keep the GPU layers%s), each with its own KV cache of %u tokens",
               n, PLAN_N_SEQ_AUTO_MAX, avail ? " and half the host memory free" : "", r->cfg.n_ctx);
        return 0;
    }
    free(t);
    reason(r, "slots: 1 (N_PARALLEL auto: a second would not fit)");
    return 0;
}
