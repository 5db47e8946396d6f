/* testapi — the cuda_test_* entry points of cuda_backend.h: each uploads its
 * host inputs, runs one kernel launcher (the very one the stage runs), and
 * downloads the result. Scratch memory comes from cuda_devmem_ops (the
 * backend's only allocator) and is freed before returning; it is not part
 * of any plan. Device 0; FC_EFAIL "no GPU: <reason>" without one.
 */
#include <stdio.h>
#include <string.h>

#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

#define MAX_SCRATCH 8

/* The device buffers of one call, freed together. */
typedef struct scratch {
    int ordinal;
    void *p[MAX_SCRATCH];
    int n;
} scratch;

static int scratch_begin(scratch *s, fc_err *err) {
    memset(s, 0, sizeof *s);
    char why[256] = "";
    if (cuda_device_count(why, sizeof why) == 0) return fc_errf(err, FC_EFAIL, "no GPU: %s", why);
    CU(err, cudaSetDevice(0), "cudaSetDevice(0)");
    return 0;
}

static void scratch_end(scratch *s) {
    for (int i = 0; i < s->n; i++) cuda_devmem_ops.free(&s->ordinal, s->p[i]);
    s->n = 0;
}

/* A device copy of bytes of host memory (src NULL: uninitialised). */
static void *scratch_put(scratch *s, const void *src, size_t bytes, fc_err *err) {
    if (s->n == MAX_SCRATCH) { fc_errf(err, FC_EFAIL, "CUDA test: too many buffers"); return NULL; }
    void *p = cuda_devmem_ops.alloc(&s->ordinal, bytes ? bytes : 16);
    if (!p) { fc_errf(err, FC_ENOMEM, "CUDA test: cannot allocate %zu bytes on the device", bytes); return NULL; }
    s->p[s->n++] = p;
    if (src && bytes && cuda_devmem_ops.upload(&s->ordinal, p, src, bytes)) {
        fc_errf(err, FC_EFAIL, "CUDA test: uploading %zu bytes failed", bytes);
        return NULL;
    }
    return p;
}

/* Waits for the kernel and copies bytes back into host dst. */
static int scratch_get(void *dst, const void *src, size_t bytes, const char *what, fc_err *err) {
    CU(err, cudaDeviceSynchronize(), what);
    CU(err, cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), what);
    return 0;
}

#define TRY(x) do { if ((x) != 0) goto fail; } while (0)
#define TRYP(p) do { if (!(p)) goto fail; } while (0)

extern "C" int cuda_test_matmul(uint32_t type, const void *w, int64_t n_in, int64_t n_out, const float *x, int n_tok,
                                float *y, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t row_bytes = (size_t)ggml_row_bytes(type, (uint64_t)n_in);
    if (!row_bytes) return fc_errf(err, FC_EINPUT, "CUDA test: rows of %lld %s values", (long long)n_in, ggml_type_name(type));
    void *dw, *dx, *dy;
    TRYP(dw = scratch_put(&s, w, row_bytes * (size_t)n_out, err));
    TRYP(dx = scratch_put(&s, x, sizeof(float) * (size_t)n_in * n_tok, err));
    TRYP(dy = scratch_put(&s, NULL, sizeof(float) * (size_t)n_out * n_tok, err));
    TRY(mm_launch(0, type, dw, n_in, n_out, row_bytes, (const float *)dx, n_in, n_tok, NULL, (float *)dy, n_out, false, err));
    TRY(scratch_get(y, dy, sizeof(float) * (size_t)n_out * n_tok, "matmul", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_dequant(uint32_t type, const void *row, int64_t n, float *out, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t bytes = (size_t)ggml_row_bytes(type, (uint64_t)n);
    if (!bytes) return fc_errf(err, FC_EINPUT, "CUDA test: a row of %lld %s values", (long long)n, ggml_type_name(type));
    void *dr, *dout;
    TRYP(dr = scratch_put(&s, row, bytes, err));
    TRYP(dout = scratch_put(&s, NULL, sizeof(float) * (size_t)n, err));
    TRY(dequant_launch(0, type, dr, n, (float *)dout, err));
    TRY(scratch_get(out, dout, sizeof(float) * (size_t)n, "dequantize", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_rmsnorm(const float *x, const float *w, int n_rows, int n, float eps, float *out, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t bytes = sizeof(float) * (size_t)n_rows * n;
    void *dx, *dw;
    TRYP(dx = scratch_put(&s, x, bytes, err));
    TRYP(dw = scratch_put(&s, w, sizeof(float) * (size_t)n, err));
    TRY(rmsnorm_launch(0, (const float *)dx, (const float *)dw, (float *)dx, n_rows, n, eps, false, err));
    TRY(scratch_get(out, dx, bytes, "rmsnorm", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_rope(float *v, int n_tok, int n_heads, int head_dim, int n_rot, int pos0, const double *inv_freq,
                              int kind, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t bytes = sizeof(float) * (size_t)n_tok * n_heads * head_dim;
    void *dv, *df;
    TRYP(dv = scratch_put(&s, v, bytes, err));
    TRYP(df = scratch_put(&s, inv_freq, sizeof(double) * (size_t)(n_rot / 2), err));
    TRY(rope_launch(0, (float *)dv, n_tok, n_heads, head_dim, n_rot, pos0, (const double *)df, kind, err));
    TRY(scratch_get(v, dv, bytes, "rope", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_glu(const float *g, const float *u, int64_t n, int act, float *out, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t bytes = sizeof(float) * (size_t)n;
    void *dg, *du;
    TRYP(dg = scratch_put(&s, g, bytes, err));
    TRYP(du = scratch_put(&s, u, bytes, err));
    TRY(glu_launch(0, (const float *)dg, (const float *)du, n, act, (float *)dg, err));
    TRY(scratch_get(out, dg, bytes, "glu", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_kv_store(uint32_t type, const float *x, int64_t n, void *row, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t bytes = (size_t)kv_row_bytes(type, n);
    void *dx, *dr;
    TRYP(dx = scratch_put(&s, x, sizeof(float) * (size_t)n, err));
    TRYP(dr = scratch_put(&s, NULL, bytes, err));
    TRY(kv_store_launch(0, type, (const float *)dx, 1, n, (uint8_t *)dr, bytes, 0, 1, err));
    TRY(scratch_get(row, dr, bytes, "kv store", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_kv_rotate(float *x, int n_vec, int head_dim, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const size_t bytes = sizeof(float) * (size_t)n_vec * head_dim;
    void *dx;
    TRYP(dx = scratch_put(&s, x, bytes, err));
    TRY(kv_rotate_launch(0, (float *)dx, n_vec, head_dim, err));
    TRY(scratch_get(x, dx, bytes, "kv rotate", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}

extern "C" int cuda_test_attention(const float *q, const void *k_rows, const void *v_rows, uint32_t type_k,
                                   uint32_t type_v, int n_tok, int pos0, int n_head, int n_head_kv, int head_dim,
                                   uint32_t n_window, float scale, float *out, fc_err *err) {
    scratch s;
    if (scratch_begin(&s, err)) return -1;
    const int n_kv = pos0 + n_tok;
    const size_t kb = (size_t)kv_row_bytes(type_k, (int64_t)n_head_kv * head_dim);
    const size_t vb = (size_t)kv_row_bytes(type_v, (int64_t)n_head_kv * head_dim);
    const size_t qbytes = sizeof(float) * (size_t)n_tok * n_head * head_dim;
    void *dq, *dk, *dv, *dout;
    TRYP(dq = scratch_put(&s, q, qbytes, err));
    TRYP(dk = scratch_put(&s, k_rows, kb * n_kv, err));
    TRYP(dv = scratch_put(&s, v_rows, vb * n_kv, err));
    TRYP(dout = scratch_put(&s, NULL, qbytes, err));
    {
        attn_args a;
        memset(&a, 0, sizeof a);
        a.q = (const float *)dq;
        a.k_cache = (const uint8_t *)dk;
        a.v_cache = (const uint8_t *)dv;
        a.type_k = type_k;
        a.type_v = type_v;
        a.k_row_bytes = kb;
        a.v_row_bytes = vb;
        a.kv_rows = n_kv;
        a.n_tok = n_tok;
        a.pos0 = pos0;
        a.n_head = n_head;
        a.n_head_kv = n_head_kv;
        a.hk = a.hv = head_dim;
        a.n_window = (int)n_window;
        a.scale = scale;
        a.out = (float *)dout;
        TRY(attention_launch(0, &a, err));
    }
    TRY(scratch_get(out, dout, qbytes, "attention", err));
    scratch_end(&s);
    return 0;
fail:
    scratch_end(&s);
    return -1;
}
