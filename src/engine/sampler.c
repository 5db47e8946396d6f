#include "sampler.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct { float logit; int32_t id; } cand;

struct fc_sampler {
    fc_sampler_params p;
    int n_vocab;
    cand *c;          /* [n_vocab] */
    uint8_t *mark;    /* [n_vocab] greedy: the ids the repeat penalty lowers (cleared after each call) */
    uint64_t s[4];    /* xoshiro256** state */
};

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(fc_sampler *s) {
    uint64_t r = rotl(s->s[1] * 5, 7) * 9, t = s->s[1] << 17;
    s->s[2] ^= s->s[0]; s->s[3] ^= s->s[1]; s->s[1] ^= s->s[2]; s->s[0] ^= s->s[3];
    s->s[2] ^= t; s->s[3] = rotl(s->s[3], 45);
    return r;
}

fc_sampler *sampler_new(const fc_sampler_params *p, int n_vocab) {
    fc_sampler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->c = malloc((size_t)n_vocab * sizeof *s->c);
    s->mark = calloc((size_t)n_vocab, 1);
    if (!s->c || !s->mark) { free(s->c); free(s->mark); free(s); return NULL; }
    s->p = *p;
    s->n_vocab = n_vocab;
    uint64_t x = p->seed;
    for (int i = 0; i < 4; i++) s->s[i] = splitmix(&x);
    return s;
}

void sampler_free(fc_sampler *s) {
    if (!s) return;
    free(s->c);
    free(s->mark);
    free(s);
}

int32_t sampler_argmax(const float *logits, int n_vocab) {
    int32_t best = 0;
    for (int i = 1; i < n_vocab; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

/* Candidates in order: larger logit first, ties by the lower id (a total order, so any
 * way of selecting and sorting gives the same list). */
static inline bool cand_before(cand a, cand b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); }
static int cmp_desc(const void *a, const void *b) {
    const cand x = *(const cand *)a, y = *(const cand *)b;
    return cand_before(x, y) ? -1 : cand_before(y, x) ? 1 : 0;
}

/* c[0..k) := the k first of c[0..m) in cand_before's order, sorted: a heap of the best k
 * seen (its root the worst of them), then a sort of those k. O(m log k) where sorting all
 * m was O(m log m): 49K-262K candidates and k = 40 by default. */
static void top_k_sorted(cand *c, int m, int k) {
    for (int i = 0; i < m; i++) {
        cand x = c[i];
        int pos;
        if (i < k) { /* sift up: the root is the worst kept */
            pos = i;
            while (pos > 0 && cand_before(c[(pos - 1) / 2], x)) { c[pos] = c[(pos - 1) / 2]; pos = (pos - 1) / 2; }
            c[pos] = x;
            continue;
        }
        if (!cand_before(x, c[0])) continue;
        pos = 0; /* replace the root, sift down */
        for (;;) {
            int ch = 2 * pos + 1;
            if (ch >= k) break;
            if (ch + 1 < k && cand_before(c[ch], c[ch + 1])) ch++;
            if (!cand_before(x, c[ch])) break;
            c[pos] = c[ch];
            pos = ch;
        }
        c[pos] = x;
    }
    qsort(c, (size_t)k, sizeof *c, cmp_desc);
}

static inline float penalize(float l, float penalty) { return l > 0 ? l / penalty : l * penalty; }

/* Greedy: the first id of the largest logit after the repeat penalty, the
 * same answer as the candidates' path below, without copying the vocabulary
 * (a 262K vocabulary's copy cost ~1 ms a token). */
static int32_t sample_greedy(fc_sampler *s, const float *logits, const int32_t *recent, int n_recent) {
    const fc_sampler_params *p = &s->p;
    const int n = s->n_vocab;
    const bool pen = p->repeat_penalty != 1.0f && p->repeat_penalty > 0 && recent;
    if (!pen) return sampler_argmax(logits, n);
    const int from = p->repeat_last_n > 0 && n_recent > p->repeat_last_n ? n_recent - p->repeat_last_n : 0;
    for (int i = from; i < n_recent; i++)
        if (recent[i] >= 0 && recent[i] < n) s->mark[recent[i]] = 1;
    int32_t best = 0;
    float bv = s->mark[0] ? penalize(logits[0], p->repeat_penalty) : logits[0];
    for (int i = 1; i < n; i++) {
        const float v = s->mark[i] ? penalize(logits[i], p->repeat_penalty) : logits[i];
        if (v > bv) bv = v, best = i;
    }
    for (int i = from; i < n_recent; i++)
        if (recent[i] >= 0 && recent[i] < n) s->mark[recent[i]] = 0;
    return best;
}

int32_t sampler_sample(fc_sampler *s, const float *logits, const int32_t *recent, int n_recent) {
    const fc_sampler_params *p = &s->p;
    int n = s->n_vocab;
    if (p->temperature <= 0) return sample_greedy(s, logits, recent, n_recent);
    for (int i = 0; i < n; i++) s->c[i] = (cand){logits[i], i};
    if (p->repeat_penalty != 1.0f && p->repeat_penalty > 0 && recent) {
        int from = p->repeat_last_n > 0 && n_recent > p->repeat_last_n ? n_recent - p->repeat_last_n : 0;
        for (int i = from; i < n_recent; i++) {
            int32_t id = recent[i];
            if (id < 0 || id >= n) continue;
            /* Applied once per distinct token: a penalised logit is marked by
             * comparing with the original. */
            if (s->c[id].logit != logits[id]) continue;
            float l = s->c[id].logit;
            s->c[id].logit = l > 0 ? l / p->repeat_penalty : l * p->repeat_penalty;
        }
    }
    if (p->temperature <= 0) {
        int32_t best = 0;
        for (int i = 1; i < n; i++)
            if (s->c[i].logit > s->c[best].logit) best = i;
        return best;
    }
    /* Candidates more than 30 nats below the best carry < 1e-13 of the mass:
     * dropping them first keeps the sort short (vocabularies are 32K-256K). */
    float best = s->c[0].logit;
    for (int i = 1; i < n; i++)
        if (s->c[i].logit > best) best = s->c[i].logit;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (s->c[i].logit >= best - 30.0f) s->c[m++] = s->c[i];
    int k = p->top_k > 0 && p->top_k < m ? p->top_k : m;
    if (k < m) top_k_sorted(s->c, m, k);
    else qsort(s->c, (size_t)m, sizeof *s->c, cmp_desc);
    /* softmax over the k candidates (at temperature 1 for top-p/min-p, as llama.cpp does) */
    float mx = s->c[0].logit;
    double sum = 0;
    double *prob = malloc((size_t)k * sizeof *prob);
    if (!prob) return s->c[0].id;
    for (int i = 0; i < k; i++) { prob[i] = exp((double)s->c[i].logit - mx); sum += prob[i]; }
    for (int i = 0; i < k; i++) prob[i] /= sum;
    if (p->top_p > 0 && p->top_p < 1) {
        double cum = 0;
        for (int i = 0; i < k; i++) {
            cum += prob[i];
            if (cum >= p->top_p) { k = i + 1; break; }
        }
    }
    if (p->min_p > 0) {
        double floor_p = prob[0] * p->min_p;
        int keep = 1;
        while (keep < k && prob[keep] >= floor_p) keep++;
        k = keep;
    }
    /* temperature on the survivors, then draw */
    sum = 0;
    for (int i = 0; i < k; i++) { prob[i] = exp(((double)s->c[i].logit - mx) / p->temperature); sum += prob[i]; }
    double r = (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0) * sum, acc = 0;
    int32_t pick = s->c[k - 1].id;
    for (int i = 0; i < k; i++) {
        acc += prob[i];
        if (r < acc) { pick = s->c[i].id; break; }
    }
    free(prob);
    return pick;
}
