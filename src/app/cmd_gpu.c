/* fitchat gpu — the GPU inventory and the fallback path taken. */
#include "cmd_gpu.h"

#include <string.h>

#include "../engine/stage.h"
#include "../util/fmt.h"
#include "commands.h"
#include "config.h"
#include "session.h"

void gpu_print_table(FILE *out, const gpu_inventory *inv) {
    char a[32], b[32], c[32];
    fprintf(out, "GPUs: %s%s%s%s\n", gpu_source_name(inv->source), inv->driver[0] ? ", driver " : "", inv->driver,
            inv->n ? "" : " (no GPU)");
    if (inv->n) {
        fprintf(out, "  %-3s %-28s %10s %10s %10s  %s\n", "GPU", "Name", "Total", "Used", "Free", "UUID");
        for (int i = 0; i < inv->n; i++) {
            const gpu_device *g = &inv->dev[i];
            fprintf(out, "  %-3d %-28.28s %10s %10s %10s  %s\n", g->index, g->name, fmt_bytes(a, sizeof a, g->total),
                    fmt_bytes(b, sizeof b, g->used), fmt_bytes(c, sizeof c, g->free),
                    g->emulated ? "emulated (host memory)" : g->uuid[0] ? g->uuid : "-");
        }
    } else {
        fprintf(out, "  no GPU: %s\n", inv->reason);
    }
    /* without any source the path is the reason again, in other words */
    if (inv->n || inv->source != GPU_SRC_NONE) fprintf(out, "  path: %s\n", inv->path);
    if (inv->host_avail) fprintf(out, "host memory: %s\n", inv->host_source);
    else fprintf(out, "host memory: unknown (no MemAvailable, no cgroup limit): the CPU side is not checked\n");
    char why[256] = "";
    int n = backend_cuda.device_count(why, sizeof why);
    if (!backend_cuda.built()) fprintf(out, "CUDA backend: not built (make CUDA=1 where nvcc is installed); layers run on the CPU\n");
    else if (n > 0) fprintf(out, "CUDA backend: built%s, %d device%s\n", backend_cuda.host_emulator() ? " (host emulator)" : "", n,
                            n == 1 ? "" : "s");
    else fprintf(out, "CUDA backend: built%s, 0 devices (%s); layers run on the CPU\n",
                 backend_cuda.host_emulator() ? " (host emulator)" : "", why);
}

static void usage(FILE *out) {
    fprintf(out, "usage: fitchat gpu [--gpu SPEC]... [--ram SIZE]\n\n"
                 "Lists the GPUs (NVML, else the CUDA runtime) and their memory, and the host memory the\n"
                 "planner counts the CPU side against. Reads the same settings as the chat (modelconf.json,\n"
                 "--config FILE).\n"
                 "  --gpu SPEC   use this GPU instead of asking the driver (repeatable):\n"
                 "               8GiB | name=RTX 3070,total=8GiB,used=857MiB | sim:512MiB (emulated)\n"
                 "  --ram SIZE   plan with this much host memory instead of MemAvailable / the cgroup limit\n"
                 "environment: FITCHAT_GPU (specs separated by ';'), FITCHAT_RAM, FITCHAT_NVML_LIB, FITCHAT_CUDART_LIB\n");
}

static int gpu_extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    (void)argc;
    (void)err;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { *(bool *)ctx = true; return 1; }
    return 0;
}

int cmd_gpu(int argc, char **argv) {
    fc_config cfg;
    fc_err err = {0};
    bool help = false;
    int lrc = cmd_load_settings_ex("gpu", &cfg, argc - 1, argv + 1, gpu_extra, &help, CONFIG_NO_GEN);
    if (lrc) return lrc;
    if (help) {
        usage(stdout);
        config_free(&cfg);
        return 0;
    }
    if (cfg.n_gpu_specs > GPU_MAX_DEVICES) {
        fprintf(stderr, "fitchat gpu: more than %d --gpu\n", GPU_MAX_DEVICES);
        config_free(&cfg);
        return 2;
    }
    gpu_inventory inv;
    int rc = session_inventory(&cfg, &inv, &err);
    config_free(&cfg);
    if (rc) {
        fprintf(stderr, "fitchat gpu: %s\n", err.msg);
        return err.code == FC_EINPUT ? 2 : 1;
    }
    gpu_print_table(stdout, &inv);
    return 0;
}
