/* GPU inventory: override parsing, the real "no NVML" path of a machine
 * without a driver, and NVML / CUDA runtime through a real dlopen of the
 * scripted fakes in tests/so/. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "../src/plan/gpuinfo.h"
#include "lib/t.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static char so_nvml[512], so_cudart[512];

static const char *script(const char *name, const char *text) {
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", t_tmpdir(), name);
    FILE *f = fopen(p, "w");
    if (f) { fputs(text, f); fclose(f); }
    return p;
}

static void clear_env(void) {
    unsetenv("FITCHAT_GPU");
    unsetenv("FITCHAT_NVML_LIB");
    unsetenv("FITCHAT_CUDART_LIB");
    unsetenv("FAKE_NVML_SCRIPT");
    unsetenv("FAKE_CUDART_SCRIPT");
    unsetenv("FAKE_NVML_LOG");
}

static void test_override_parse(void) {
    gpu_inventory inv = {0};
    fc_err e = {0};
    CHECK(gpu_override_parse("8GiB", &inv, &e) == 0);
    CHECK(gpu_override_parse("name=RTX 3070,total=8GiB,used=857MiB", &inv, &e) == 0);
    CHECK(gpu_override_parse(" sim:512MiB ", &inv, &e) == 0);
    CHECK(gpu_override_parse("name=Big, total=24GiB, used=1GiB, free=20GiB, uuid=GPU-1", &inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 4);
    CHECK_EQ_INT(inv.source, GPU_SRC_OVERRIDE);
    CHECK_EQ_U64(inv.dev[0].total, 8 * GiB);
    CHECK_EQ_U64(inv.dev[0].free, 8 * GiB);
    CHECK_STR(inv.dev[1].name, "RTX 3070");
    CHECK_EQ_U64(inv.dev[1].used, 857 * MiB);
    CHECK_EQ_U64(inv.dev[1].free, 8 * GiB - 857 * MiB);
    CHECK(inv.dev[2].emulated);
    CHECK_STR(inv.dev[2].name, "sim 512 MiB");
    CHECK_EQ_U64(inv.dev[2].total, 512 * MiB);
    CHECK_EQ_U64(inv.dev[3].free, 20 * GiB);
    CHECK_STR(inv.dev[3].uuid, "GPU-1");
    CHECK_EQ_INT(inv.dev[3].index, 3);
    struct { const char *spec, *a, *b; } bad[] = {
        {"", "empty", "allowed"},
        {"8XB", "'8XB'", "not a size"},
        {"name=x,total=big", "total = 'big'", "not a size"},
        {"name=x", "total must be", "8GiB"},
        {"name=x,total=8GiB,used=9GiB", "used", "more than total"},
        {"name=x,total=8GiB,colour=red", "unknown field 'colour'", "allowed name, total"},
        {"name=x,total=8GiB,oops", "field 'oops'", "no '='"},
        {"sim:", "sim = ''", "not a size"},
        {"0", "total must be", "above 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gpu_inventory x = {0};
        e.msg[0] = 0;
        CHECK_MSG(gpu_override_parse(bad[i].spec, &x, &e) < 0 && e.code == FC_EINPUT, "'%s' accepted", bad[i].spec);
        CHECK_MSG(strstr(e.msg, bad[i].a) && strstr(e.msg, bad[i].b), "'%s': %s", bad[i].spec, e.msg);
    }
}

static void test_env_override(void) {
    clear_env();
    setenv("FITCHAT_NVML_LIB", so_nvml, 1);
    setenv("FAKE_NVML_LOG", script("log-env", ""), 1);
    setenv("FITCHAT_GPU", "8GiB; name=RTX 3070,total=8GiB,used=857MiB ;sim:1GiB", 1);
    gpu_inventory inv;
    fc_err e = {0};
    CHECK(gpu_inventory_get(NULL, 0, &inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 3);
    CHECK_STR(inv.dev[1].name, "RTX 3070");
    CHECK(inv.dev[2].emulated);
    CHECK(strstr(inv.path, "FITCHAT_GPU") != NULL);
    /* Flags win over the environment; NVML is never touched. */
    const char *specs[] = {"12GiB"};
    CHECK(gpu_inventory_get(specs, 1, &inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 1);
    CHECK_EQ_U64(inv.dev[0].total, 12 * GiB);
    FILE *f = fopen(getenv("FAKE_NVML_LOG"), "r");
    char buf[64] = "";
    if (f) { size_t n = fread(buf, 1, sizeof buf - 1, f); buf[n] = 0; fclose(f); }
    CHECK_STR(buf, "");
    setenv("FITCHAT_GPU", "8GiB;total=zz", 1);
    CHECK(gpu_inventory_get(NULL, 0, &inv, &e) < 0);
    CHECK(strstr(e.msg, "FITCHAT_GPU") && strstr(e.msg, "'zz'"));
    clear_env();
}

/* The real path here: no NVIDIA driver, so no libnvidia-ml. */
static void test_nvml_absent(void) {
    clear_env();
    void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        dlclose(h);
        t_skip("this machine has NVML");
        return;
    }
    setenv("FITCHAT_CUDART_LIB", "/nonexistent/libcudart.so", 1);
    gpu_inventory inv;
    fc_err e = {0};
    CHECK(gpu_inventory_get(NULL, 0, &inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 0);
    CHECK_EQ_INT(inv.source, GPU_SRC_NONE);
    CHECK_MSG(strstr(inv.reason, "NVML: library not found (libnvidia-ml.so.1, libnvidia-ml.so)"), "%s", inv.reason);
    CHECK_MSG(strstr(inv.reason, "CUDA runtime: /nonexistent/libcudart.so not found"), "%s", inv.reason);
    CHECK(strstr(inv.path, "no GPU, planning for the CPU") != NULL);
    clear_env();
}

static void test_nvml_fake(void) {
    clear_env();
    setenv("FITCHAT_NVML_LIB", so_nvml, 1);
    setenv("FITCHAT_CUDART_LIB", "/nonexistent/libcudart.so", 1);
    const char *log = script("log", "");
    setenv("FAKE_NVML_LOG", log, 1);
    setenv("FAKE_NVML_SCRIPT", script("two.txt",
           "driver 550.54.15\n"
           "device Quadro P4000|GPU-aaaa|8589934592|898629632|7691304960\n"
           "device NVIDIA GeForce RTX 3090|GPU-bbbb|25769803776|0|25769803776\n"), 1);
    gpu_inventory inv;
    fc_err e = {0};
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 2);
    CHECK_EQ_INT(inv.source, GPU_SRC_NVML);
    CHECK_STR(inv.driver, "550.54.15");
    CHECK_STR(inv.dev[0].name, "Quadro P4000");
    CHECK_STR(inv.dev[0].uuid, "GPU-aaaa");
    CHECK_EQ_U64(inv.dev[0].total, 8 * GiB);
    CHECK_EQ_U64(inv.dev[0].used, 857 * MiB);
    CHECK_EQ_U64(inv.dev[0].free, 8589934592ull - 898629632ull);
    CHECK_EQ_INT(inv.dev[1].index, 1);
    CHECK_EQ_U64(inv.dev[1].total, 24 * GiB);
    CHECK(strstr(inv.path, "NVML (") != NULL);
    FILE *f = fopen(log, "r");
    char buf[64] = "";
    if (f) { size_t n = fread(buf, 1, sizeof buf - 1, f); buf[n] = 0; fclose(f); }
    CHECK_STR(buf, "init\nshutdown\n");

    struct { const char *script, *want; } cases[] = {
        {"init 18\n", "nvmlInit failed: NVML_ERROR_LIB_RM_VERSION_MISMATCH (driver/library version mismatch"},
        {"init 9\n", "NVML_ERROR_DRIVER_NOT_LOADED"},
        {"count_rc 999\ndevice a|b|1|0|1\n", "nvmlDeviceGetCount failed: NVML_ERROR_UNKNOWN (999)"},
        {"driver 1\n", "no device (NVML sees 0 GPUs)"},
        {"mem_rc 15\ndevice a|b|1|0|1\n", "GPU 0: NVML query failed: NVML_ERROR_GPU_IS_LOST (15)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("FAKE_NVML_SCRIPT", script("case.txt", cases[i].script), 1);
        CHECK(gpu_query(&inv, &e) == 0);
        CHECK_EQ_INT(inv.n, 0);
        CHECK_MSG(strstr(inv.reason, cases[i].want), "case %zu: %s", i, inv.reason);
    }
    /* one GPU this process may not query (NVML_ERROR_NO_PERMISSION, 4):
     * that one is left out, the others stay, with their own indices */
    setenv("FAKE_NVML_SCRIPT", script("perm.txt", "handle_rc 0 4\ndevice A|GPU-a|100|0|100\ndevice B|GPU-b|200|0|200\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 1);
    CHECK_STR(inv.dev[0].name, "B");
    CHECK_EQ_INT(inv.dev[0].index, 1);
    CHECK_EQ_INT(inv.dev[0].ordinal, 1);
    CHECK_MSG(strstr(inv.path, "GPU 0: NVML query failed: NVML_ERROR_NO_PERMISSION (4), left out"), "%s", inv.path);

    /* MIG mode: the MIG devices (own memory, "MIG-" UUIDs; NVML names them
     * "<GPU> MIG <profile>") in place of the card, whose memory query a
     * process without root may not make; empty slots skipped; a GPU in MIG
     * mode without MIG devices is left out with the reason */
    setenv("FAKE_NVML_SCRIPT", script("mig.txt",
           "device NVIDIA GeForce RTX 4090|GPU-aaaa|25769803776|0|25769803776\n"
           "device NVIDIA H200|GPU-bbbb|150000000000|0|150000000000\n"
           "mig 1 0 NVIDIA H200 MIG 1g.18gb|MIG-cccc|19327352832|15728640|19311624192\n"
           "mig 1 3 NVIDIA H200 MIG 3g.71gb|MIG-dddd|76235669504|31457280|76204212224\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 3);
    CHECK_STR(inv.dev[0].uuid, "GPU-aaaa");
    CHECK_STR(inv.dev[1].name, "NVIDIA H200 MIG 1g.18gb");
    CHECK_STR(inv.dev[1].uuid, "MIG-cccc");
    CHECK_EQ_INT(inv.dev[1].index, 1);
    CHECK_EQ_U64(inv.dev[1].total, 18 * GiB);
    CHECK_EQ_U64(inv.dev[1].used, 15 * MiB);
    CHECK_STR(inv.dev[2].uuid, "MIG-dddd");
    CHECK_EQ_U64(inv.dev[2].total, 71 * GiB);
    CHECK_MSG(!strstr(inv.path, "left out"), "%s", inv.path);
    /* a MIG device whose name NVML gives without "MIG" gets its slot */
    setenv("FAKE_NVML_SCRIPT", script("mig2.txt",
           "device A100|GPU-bbbb|42949672960|0|42949672960\n"
           "mig 0 2 A100 slice|MIG-eeee|5368709120|0|5368709120\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 1);
    CHECK_STR(inv.dev[0].name, "A100 slice MIG device 2");
    /* MIG mode, no MIG device: nothing of that GPU CUDA can use; left out
     * with the reason (the other GPU stays) */
    setenv("FAKE_NVML_SCRIPT", script("mig3.txt",
           "device NVIDIA GeForce RTX 4090|GPU-aaaa|25769803776|0|25769803776\n"
           "device A100|GPU-bbbb|42949672960|0|42949672960\n"
           "mig_mode 1 1\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 1);
    CHECK_STR(inv.dev[0].uuid, "GPU-aaaa");
    CHECK_MSG(strstr(inv.path, "GPU 1: MIG mode on but no MIG device (create one: nvidia-smi mig -cgi PROFILE -C), left out"),
              "%s", inv.path);
    clear_env();
}

/* NVML fails, the CUDA runtime answers (or explains why it cannot). */
static void test_cudart_fallback(void) {
    clear_env();
    setenv("FITCHAT_NVML_LIB", so_nvml, 1);
    setenv("FAKE_NVML_SCRIPT", script("mismatch.txt", "init 18\n"), 1);
    setenv("FITCHAT_CUDART_LIB", so_cudart, 1);
    setenv("FAKE_CUDART_SCRIPT", script("cuda.txt", "count 1\ntotal 8589934592\nfree 7516192768\ndriver 12040\n"), 1);
    gpu_inventory inv;
    fc_err e = {0};
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 1);
    CHECK_EQ_INT(inv.source, GPU_SRC_CUDART);
    CHECK_EQ_U64(inv.dev[0].used, 1 * GiB);
    CHECK_STR(inv.driver, "CUDA 12.4");
    CHECK_MSG(strstr(inv.path, "MISMATCH") && strstr(inv.path, "-> CUDA runtime ("), "%s", inv.path);
    setenv("FAKE_CUDART_SCRIPT", script("cuda35.txt", "count_rc 35\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_EQ_INT(inv.n, 0);
    CHECK_MSG(strstr(inv.reason, "cudaErrorInsufficientDriver (no NVIDIA driver, or a driver/library mismatch"), "%s", inv.reason);
    setenv("FAKE_CUDART_SCRIPT", script("cuda100.txt", "count_rc 100\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_MSG(strstr(inv.reason, "no device"), "%s", inv.reason);
    setenv("FAKE_CUDART_SCRIPT", script("cuda0.txt", "count 0\n"), 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_MSG(inv.n == 0 && strstr(inv.reason, "CUDA runtime: no device"), "%s", inv.reason);
    /* A library without the NVML symbols (the CUDA fake) is named as such. */
    setenv("FITCHAT_NVML_LIB", so_cudart, 1);
    CHECK(gpu_query(&inv, &e) == 0);
    CHECK_MSG(strstr(inv.reason, "lacks the NVML functions"), "%s", inv.reason);
    clear_env();
}

int main(void) {
    const char *b = getenv("FITCHAT_BUILD");
    snprintf(so_nvml, sizeof so_nvml, "%s/tests/so/fake_nvml.so", b && *b ? b : "build");
    snprintf(so_cudart, sizeof so_cudart, "%s/tests/so/fake_cudart.so", b && *b ? b : "build");
    /* dlopen of a bare relative name would search the library path. */
    if (so_nvml[0] != '/' && strncmp(so_nvml, "./", 2)) {
        char t[512];
        snprintf(t, sizeof t, "./%s", so_nvml); snprintf(so_nvml, sizeof so_nvml, "%s", t);
        snprintf(t, sizeof t, "./%s", so_cudart); snprintf(so_cudart, sizeof so_cudart, "%s", t);
    }
    T_RUN(test_override_parse);
    T_RUN(test_env_override);
    T_RUN(test_nvml_absent);
    T_RUN(test_nvml_fake);
    T_RUN(test_cudart_fallback);
    return t_done();
}
