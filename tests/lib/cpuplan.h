/* cpuplan — the "allocation log equals the plan" check the engine tests share:
 * plan a model for the CPU alone (no GPU), derive the engine's parameters from
 * the plan, and compare the engine's log with the plan's CPU bytes. */
#ifndef FC_T_CPUPLAN_H
#define FC_T_CPUPLAN_H

#include "../../src/engine/engine.h"
#include "../../src/plan/planner.h"

/* Plans f without a GPU (type_k / type_v < 0 keep the defaults) into *r and
 * the engine parameters that follow it into *ep. Returns 0, or -1 with err. */
int t_cpu_plan(const gguf_file *f, const model_desc *d, uint32_t n_ctx, uint32_t n_batch, uint32_t n_threads,
               int type_k, int type_v, plan_result *r, fc_engine_params *ep, fc_err *err);

/* CHECKs KV, buffers and mapped weights of e's allocation log against r.cpu. */
void t_check_log_equals_plan(const fc_engine *e, const plan_result *r);

#endif
