/* cuda_none — the CUDA backend's entry points in a build without CUDA
 * (make CUDA=0, or no nvcc): every call says so, nothing is linked. */
#include "../cuda/cuda_backend.h"

#include <stdio.h>

#define NO_CUDA "this fitchat was built without CUDA (rebuild with make CUDA=1 where nvcc is installed)"

bool cuda_built(void) { return false; }
bool cuda_emulated(void) { return false; }

int cuda_device_count(char *why, size_t cap) {
    if (why && cap) snprintf(why, cap, "built without CUDA");
    return 0;
}

int cuda_device_of_uuid(const char *uuid) {
    (void)uuid;
    return -2;
}

int cuda_device_init(int ordinal, uint64_t *context_bytes, fc_err *err) {
    (void)ordinal;
    if (context_bytes) *context_bytes = 0;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}

static void *none_alloc(void *ctx, uint64_t bytes) { (void)ctx; (void)bytes; return NULL; }
static void none_free(void *ctx, void *p) { (void)ctx; (void)p; }
static int none_upload(void *ctx, void *dst, const void *src, uint64_t bytes) { (void)ctx; (void)dst; (void)src; (void)bytes; return -1; }
static uint64_t none_free_now(void *ctx) { (void)ctx; return 0; }
const fc_devmem_ops cuda_devmem_ops = {none_alloc, none_free, none_upload, none_free_now};

static fc_stage *none_stage_new(const fc_stage_desc *sd, fc_devmem *m, fc_err *err) {
    (void)sd; (void)m;
    fc_errf(err, FC_EFAIL, NO_CUDA);
    return NULL;
}
static void none_stage_free(fc_stage *s) { (void)s; }
static int none_eval(fc_stage *s, float *x, const fc_ubatch *ub, float *logits, fc_err *err) {
    (void)s; (void)x; (void)ub; (void)logits;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
const fc_backend backend_cuda = {
    .name = "cuda", .kind = MEM_DEV_GPU, .mem = &cuda_devmem_ops, .device_init = cuda_device_init,
    .stage_new = none_stage_new, .eval = none_eval, .stage_free = none_stage_free,
    .device_count = cuda_device_count, .device_of_uuid = cuda_device_of_uuid, .built = cuda_built, .host_emulator = cuda_emulated,
};

int cuda_test_matmul(uint32_t type, const void *w, int64_t n_in, int64_t n_out, const float *x, int n_tok, float *y, fc_err *err) {
    (void)type; (void)w; (void)n_in; (void)n_out; (void)x; (void)n_tok; (void)y;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_dequant(uint32_t type, const void *row, int64_t n, float *out, fc_err *err) {
    (void)type; (void)row; (void)n; (void)out;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_rmsnorm(const float *x, const float *w, int n_rows, int n, float eps, float *out, fc_err *err) {
    (void)x; (void)w; (void)n_rows; (void)n; (void)eps; (void)out;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_rope(float *v, int n_tok, int n_heads, int head_dim, int n_rot, int pos0, const double *inv_freq, int kind, fc_err *err) {
    (void)v; (void)n_tok; (void)n_heads; (void)head_dim; (void)n_rot; (void)pos0; (void)inv_freq; (void)kind;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_glu(const float *g, const float *u, int64_t n, int act, float *out, fc_err *err) {
    (void)g; (void)u; (void)n; (void)act; (void)out;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_kv_store(uint32_t type, const float *x, int64_t n, void *row, fc_err *err) {
    (void)type; (void)x; (void)n; (void)row;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_kv_rotate(float *x, int n_vec, int head_dim, fc_err *err) {
    (void)x; (void)n_vec; (void)head_dim;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
int cuda_test_attention(const float *q, const void *k_rows, const void *v_rows, uint32_t type_k, uint32_t type_v,
                        int n_tok, int pos0, int n_head, int n_head_kv, int head_dim, uint32_t n_window, float scale,
                        float *out, fc_err *err) {
    (void)q; (void)k_rows; (void)v_rows; (void)type_k; (void)type_v; (void)n_tok; (void)pos0; (void)n_head;
    (void)n_head_kv; (void)head_dim; (void)n_window; (void)scale; (void)out;
    return fc_errf(err, FC_EFAIL, NO_CUDA);
}
