/* attention — flash-style attention (online softmax) for decoding and
 * prompts, over a KV cache in F32, F16, Q8_0 or Q4_0, with grouped-query
 * heads, causal masking, an optional sliding window and ring rows
 * (position p in cache row p % kv_rows), as engine.c's att_task computes it.
 *
 * One block per (query head, token); its ATT_WARPS warps take every
 * ATT_WARPS-th position. For a position a warp computes the score with one
 * key element per lane (lane + 32 i) and a shuffle sum, then updates its
 * running max, sum and output (lane + 32 i of the value) in registers; no
 * score matrix exists anywhere. The warps' partial states are merged in
 * shared memory at the end. Positions of the current batch are read from
 * the float work buffers (already rounded to the KV type), older ones are
 * decoded from the cache element by element (blocks.cuh kv_elem).
 * Head dims: multiples of 32 up to 256 (8 values per lane).
 */
#include <math.h>

#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

#define ATT_WARPS 8
#define ATT_MAXD 8 /* values per lane: head dim 256 */

__global__ void __launch_bounds__(ATT_WARPS * 32) attention_kernel(const attn_args a) {
    __shared__ float sm_m[ATT_WARPS], sm_l[ATT_WARPS];
    __shared__ float sm_acc[ATT_WARPS][ATT_MAXD * 32];
    const int h = blockIdx.x, t = blockIdx.y, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int kvh = h / (a.n_head / a.n_head_kv);
    const int pos = a.pos0 + t, n_kv = pos + 1;
    const int first = a.n_window && n_kv > a.n_window ? n_kv - a.n_window : 0;
    const int dk = a.hk / 32, dv = a.hv / 32;
    const int kv_wk = a.n_head_kv * a.hk, kv_wv = a.n_head_kv * a.hv;

    float q[ATT_MAXD], acc[ATT_MAXD];
    const float *qh = a.q + (size_t)t * a.n_head * a.hk + (size_t)h * a.hk;
#pragma unroll
    for (int i = 0; i < ATT_MAXD; i++) {
        q[i] = i < dk ? qh[lane + 32 * i] : 0.0f;
        acc[i] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int p = first + warp; p < n_kv; p += ATT_WARPS) {
        float kv[ATT_MAXD], vv[ATT_MAXD];
        if (a.k_new && p >= a.pos0) {
            const float *kr = a.k_new + (size_t)(p - a.pos0) * kv_wk + (size_t)kvh * a.hk;
            const float *vr = a.v_new + (size_t)(p - a.pos0) * kv_wv + (size_t)kvh * a.hv;
#pragma unroll
            for (int i = 0; i < ATT_MAXD; i++) {
                kv[i] = i < dk ? kr[lane + 32 * i] : 0.0f;
                vv[i] = i < dv ? vr[lane + 32 * i] : 0.0f;
            }
        } else {
            const size_t row = (size_t)(p % a.kv_rows);
            const uint8_t *kr = a.k_cache + row * a.k_row_bytes, *vr = a.v_cache + row * a.v_row_bytes;
#pragma unroll
            for (int i = 0; i < ATT_MAXD; i++) {
                kv[i] = i < dk ? kv_elem(a.type_k, kr, kvh * a.hk + lane + 32 * i) : 0.0f;
                vv[i] = i < dv ? kv_elem(a.type_v, vr, kvh * a.hv + lane + 32 * i) : 0.0f;
            }
        }
        float s = 0.0f;
#pragma unroll
        for (int i = 0; i < ATT_MAXD; i++) s += q[i] * kv[i];
        s = warp_sum(s) * a.scale;
        const float m_new = fmaxf(m, s);
        const float corr = expf(m - m_new), pw = expf(s - m_new); /* corr 0 at the first position */
        l = l * corr + pw;
#pragma unroll
        for (int i = 0; i < ATT_MAXD; i++) acc[i] = acc[i] * corr + pw * vv[i];
        m = m_new;
    }
    if (lane == 0) {
        sm_m[warp] = m;
        sm_l[warp] = l;
    }
#pragma unroll
    for (int i = 0; i < ATT_MAXD; i++)
        if (i < dv) sm_acc[warp][lane + 32 * i] = acc[i];
    __syncthreads();
    float mx = -INFINITY;
    for (int w = 0; w < ATT_WARPS; w++) mx = fmaxf(mx, sm_m[w]);
    float denom = 0.0f;
    for (int w = 0; w < ATT_WARPS; w++)
        if (sm_m[w] > -INFINITY) denom += sm_l[w] * expf(sm_m[w] - mx);
    float *out = a.out + (size_t)t * a.n_head * a.hv + (size_t)h * a.hv;
    for (int d = threadIdx.x; d < a.hv; d += ATT_WARPS * 32) {
        float o = 0.0f;
        for (int w = 0; w < ATT_WARPS; w++)
            if (sm_m[w] > -INFINITY) o += sm_acc[w][d] * expf(sm_m[w] - mx);
        out[d] = o / denom;
    }
}

int attention_launch(cudaStream_t st, const attn_args *a, fc_err *err) {
    if (a->n_tok <= 0) return 0;
    if (a->hk % 32 || a->hv % 32 || a->hk > 32 * ATT_MAXD || a->hv > 32 * ATT_MAXD || a->hk <= 0 || a->hv <= 0)
        return fc_errf(err, FC_EINPUT, "CUDA attention: head dims %d/%d are not supported (multiples of 32 up to %d)",
                       a->hk, a->hv, 32 * ATT_MAXD);
    if (a->n_head_kv <= 0 || a->n_head % a->n_head_kv)
        return fc_errf(err, FC_EINPUT, "CUDA attention: %d heads do not share %d KV heads evenly", a->n_head, a->n_head_kv);
    if (a->kv_rows <= 0) return fc_errf(err, FC_EINPUT, "CUDA attention: a KV cache of %d rows", a->kv_rows);
    const dim3 grid((unsigned)a->n_head, (unsigned)a->n_tok);
    FC_LAUNCH(attention_kernel, grid, ATT_WARPS * 32, 0, st)(*a);
    CU_LAUNCHED(err, "attention");
    return 0;
}
