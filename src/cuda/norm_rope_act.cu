/* norm_rope_act — the per-token operations of a layer, twins of
 * src/engine/ops.c and the GLU of engine.c:
 * - RMSNorm with the sum of squares in double (one block per row; the rows
 *   may be whole hidden states or single heads for the Q/K norms), and the
 *   post-norm variant that adds the normed row into the residual;
 * - RoPE, NORM and NEOX pairing, angles and their cosines in double as the
 *   CPU computes them, the rotation with unfused float operations (so the
 *   rotated values equal the CPU's for equal cosines);
 * - SwiGLU / GeGLU (tanh form, as the CPU's exact mode) and the logit
 *   softcap, elementwise.
 */
#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

#define NORM_THREADS 128

__global__ void __launch_bounds__(NORM_THREADS)
    rmsnorm_kernel(const float *x, const float *__restrict__ w, float *out, int n, float eps, int add) {
    __shared__ double part[NORM_THREADS / 32];
    __shared__ float scale_s;
    const float *xr = x + (size_t)blockIdx.x * n;
    float *outr = out + (size_t)blockIdx.x * n;
    double ss = 0.0;
    for (int i = threadIdx.x; i < n; i += NORM_THREADS) ss += (double)xr[i] * xr[i];
    ss = warp_sum_d(ss);
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = ss;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0.0;
        for (int i = 0; i < NORM_THREADS / 32; i++) t += part[i];
        scale_s = (float)(1.0 / sqrt(t / n + (double)eps));
    }
    __syncthreads();
    const float scale = scale_s;
    for (int i = threadIdx.x; i < n; i += NORM_THREADS) {
        const float v = fc_mul(fc_mul(xr[i], scale), w[i]);
        outr[i] = add ? fc_add(outr[i], v) : v;
    }
}

int rmsnorm_launch(cudaStream_t st, const float *x, const float *w, float *out, int n_rows, int n, float eps,
                   bool add, fc_err *err) {
    if (n_rows <= 0) return 0;
    FC_LAUNCH(rmsnorm_kernel, n_rows, NORM_THREADS, 0, st)(x, w, out, n, eps, add);
    CU_LAUNCHED(err, "rmsnorm");
    return 0;
}

/* One block per token: each thread takes dimension pairs i and rotates them
 * in every head (the cosine is computed once per token and pair). */
__global__ void rope_kernel(float *v, int n_heads, int head_dim, int n_rot, int pos0, const double *__restrict__ inv_freq,
                            int neox) {
    const int t = blockIdx.x, pos = pos0 + t, half = n_rot / 2;
    float *vt = v + (size_t)t * n_heads * head_dim;
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        const double theta = pos * inv_freq[i];
        const float c = (float)cos(theta), s = (float)sin(theta);
        const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
        for (int h = 0; h < n_heads; h++) {
            float *hv = vt + (size_t)h * head_dim;
            const float x0 = hv[a], x1 = hv[b];
            hv[a] = fc_sub(fc_mul(x0, c), fc_mul(x1, s));
            hv[b] = fc_add(fc_mul(x0, s), fc_mul(x1, c));
        }
    }
}

int rope_launch(cudaStream_t st, float *v, int n_tok, int n_heads, int head_dim, int n_rot, int pos0,
                const double *inv_freq, int kind, fc_err *err) {
    if (n_tok <= 0 || n_rot < 2) return 0;
    if (n_rot > head_dim) return fc_errf(err, FC_EINPUT, "CUDA rope: n_rot %d exceeds the head dimension %d", n_rot, head_dim);
    FC_LAUNCH(rope_kernel, n_tok, 64, 0, st)(v, n_heads, head_dim, n_rot, pos0, inv_freq, kind == ROPE_NEOX);
    CU_LAUNCHED(err, "rope");
    return 0;
}

__global__ void glu_kernel(const float *g, const float *__restrict__ u, int64_t n, int gelu, float *out) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const float x = g[i];
        float a;
        if (gelu)
            a = 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
        else
            a = x / (1.0f + expf(-x));
        out[i] = a * u[i];
    }
}

int glu_launch(cudaStream_t st, const float *g, const float *u, int64_t n, int act, float *out, fc_err *err) {
    if (n <= 0) return 0;
    const int blocks = (int)(n / 256 + 1 < 4096 ? n / 256 + 1 : 4096);
    FC_LAUNCH(glu_kernel, blocks, 256, 0, st)(g, u, n, act == 1, out);
    CU_LAUNCHED(err, "glu");
    return 0;
}

__global__ void softcap_kernel(float *v, int64_t n, float cap) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        v[i] = cap * tanhf(v[i] / cap);
}

int softcap_launch(cudaStream_t st, float *v, int64_t n, float cap, fc_err *err) {
    if (n <= 0 || !(cap > 0)) return 0;
    const int blocks = (int)(n / 256 + 1 < 4096 ? n / 256 + 1 : 4096);
    FC_LAUNCH(softcap_kernel, blocks, 256, 0, st)(v, n, cap);
    CU_LAUNCHED(err, "softcap");
    return 0;
}
