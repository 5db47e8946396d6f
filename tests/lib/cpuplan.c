#include "cpuplan.h"

#include <string.h>

#include "../../src/plan/gpuinfo.h"
#include "../../src/plan/memory.h"
#include "t.h"

int t_cpu_plan(const gguf_file *f, const model_desc *d, uint32_t n_ctx, uint32_t n_batch, uint32_t n_threads,
               int type_k, int type_v, plan_result *r, fc_engine_params *ep, fc_err *err) {
    mem_model mm;
    if (mem_model_init(&mm, f, d, err)) return -1;
    gpu_inventory inv;
    memset(&inv, 0, sizeof inv);
    inv.source = GPU_SRC_NONE;
    plan_params pp;
    plan_params_default(&pp);
    pp.n_ctx = n_ctx;
    pp.n_batch = n_batch;
    pp.n_threads = n_threads;
    if (type_k >= 0) pp.type_k = type_k;
    if (type_v >= 0) pp.type_v = type_v;
    int rc = plan_compute(&mm, &inv, &pp, r, err);
    mem_model_free(&mm);
    if (rc) return -1;
    *ep = (fc_engine_params){.n_ctx = r->cfg.n_ctx, .n_batch = r->cfg.n_batch, .n_threads = (int)r->cfg.n_threads,
                             .type_k = r->cfg.type_k, .type_v = r->cfg.type_v, .flash = r->cfg.flash};
    return 0;
}

void t_check_log_equals_plan(const fc_engine *e, const plan_result *r) {
    const fc_alloc_log *log = engine_alloc_log(e);
    CHECK_EQ_U64(log->total[ALLOC_KV], r->cpu.kv);
    CHECK_EQ_U64(log->total[ALLOC_BUFFER], r->cpu.buffers);
    CHECK_EQ_U64(log->total[ALLOC_WEIGHTS], r->cpu.weights);
}
